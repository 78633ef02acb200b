"""Sharded analysis (scripts/shard.sh) gives exactly the single-process
per-source report.

shard.sh splits a capture by a hash of the source address, runs tshark + ddi
on the shards in parallel with -o ddi.capture_end:<end of the whole capture>
and merges the `-z ddi,sources,json` lines sorted by src.  Because every
source's packets land in one shard and whole-capture verdicts see the whole
capture's end, the merged file must equal the single-process report (sorted)
line for line: on the bundled captures, on the shared corpus (when present)
and on a generated 20k-packet darknet capture.
"""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import ddi_tshark as T

SHARD = os.path.join(T.SOURCE, "scripts", "shard.sh")
GEN_SRC = os.path.join(T.SOURCE, "bench", "gen_darknet.c")


def single(capture, two_pass=False):
    args = ["-r", capture, "-q", "-z", "ddi,sources,json"]
    if two_pass:
        args.insert(0, "-2")
    out, _ = T.tshark(args)
    lines = [l for l in out.splitlines() if l.startswith("{") and "src" in json.loads(l)]
    return sorted(lines, key=lambda l: json.loads(l)["src"])


class Shards(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        if not shutil.which("parallel"):
            raise unittest.SkipTest("GNU parallel is not installed: sharded run not tested")
        cls.tmp = tempfile.mkdtemp(prefix="ddi-shards-")
        os.chmod(cls.tmp, 0o755)  # tshark runs as nobody when the tests run as root

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def sharded(self, capture, n, two_pass=False):
        out = tempfile.mkdtemp(dir=self.tmp)
        os.chmod(out, 0o755)
        env = dict(os.environ, DDI_BUILD_DIR=T.STAGED_BUILD, DDI_JOBS="2",
                   DDI_TSHARK_OPTS=("-2 " if two_pass else "") + "-o ddi.own_db:" + T.OWN_DB)
        p = subprocess.run(["bash", SHARD, capture, str(n), out], env=env, capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(p.returncode, 0, "shard.sh failed:\n" + p.stderr)
        with open(os.path.join(out, "sources.jsonl"), encoding="utf-8") as f:
            return f.read().splitlines()

    def check(self, capture, n, two_pass=False):
        want = single(capture, two_pass)
        got = self.sharded(capture, n, two_pass)
        self.assertEqual([json.loads(l)["src"] for l in got], sorted(json.loads(l)["src"] for l in got),
                         "sources.jsonl is not sorted by src")
        self.assertEqual(len(got), len(want), "%s: %d sources sharded, %d in one process" %
                         (capture, len(got), len(want)))
        for a, b in zip(got, want):
            self.assertEqual(a, b, "%s (%d shards): sharded line differs" % (os.path.basename(capture), n))
        return want

    def test_bundled_captures(self):
        caps = sorted(glob.glob(os.path.join(T.CAPTURES, "*.pcapng")))
        self.assertTrue(caps, "no bundled captures")
        for cap in caps:
            with self.subTest(capture=os.path.basename(cap)):
                self.assertTrue(self.check(cap, 3), "no sources reported")
                self.check(cap, 2, two_pass=True)

    def test_generated_capture(self):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            self.skipTest("no C compiler: generated capture not tested")
        gen = os.path.join(self.tmp, "gen_darknet")
        subprocess.run([cc, "-std=c11", "-O2", "-o", gen, GEN_SRC], check=True, timeout=120)
        cap = os.path.join(self.tmp, "darknet-20k.pcap")
        subprocess.run([gen, cap, "--packets", "20000", "--sources", "2000", "--seed", "6", "--quiet"],
                       check=True, timeout=120)
        os.chmod(cap, 0o644)
        rows = self.check(cap, 4)
        self.assertEqual(len(rows), 2000)
        # the generated file has Conficker-like hosts: the whole-capture verdict
        # must survive sharding (capture_end), not only the per-packet facts
        self.assertTrue(any(json.loads(l)["conficker"] == "yes" for l in rows), "no Conficker-style source in the generated capture")

    # corpus captures that exercise the splitter: link types (SLL, raw IPv4/IPv6,
    # PPP), encapsulations (VLAN, QinQ, MPLS, PPPoE, GTP-U), IPv6, fragments,
    # ICMP errors (the sender, not the quoted source, is the source) and many
    # sources (spoofed floods, scans)
    CORPUS_SET = [
        "arkime__gtp-iphone.pcap", "zeek__pppoe-over-qinq.pcap", "zeek__mixed-vlan-mpls.pcap",
        "sv__bug-4810_pppoe-session-http.pcap", "sv__bug-4376_syn_retransmit_with_ts.pcap",
        "tcpdump__tcp-handshake-nano.pcap", "arkime__v6.pcap", "esnet__nmap_80_all.pcap",
        "stopddos__amp.TCP.reflection.SYNACK.pcap", "stopddos__pkt.TCP.synflood.spoofed.pcap",
        "probing__masscan_5k.pcapng", "zeek__ipv4_fragmented-syn.pcap",
        "robustness/sv__defrag_frag-ppp-ip-tcp-syn.pcap", "robustness/sv__defrag_frag-ip6-tcp.pcap",
        "robustness/tcpdump__icmp-cksum-oobr-1.pcap",
    ]

    def test_corpus(self):
        if not os.path.isdir(T.CORPUS):
            self.skipTest("corpus folder %s not found: corpus test skipped" % T.CORPUS)
        for rel in self.CORPUS_SET:
            with self.subTest(capture=rel):
                self.check(T.corpus(rel), 3)


if __name__ == "__main__":
    T.main()
