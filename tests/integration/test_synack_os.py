"""The OS of SYN-ACK senders (ddi.synack.os) from p0f's [tcp:response]
signatures: named for backscatter victims, whose SYN the capture never shows,
and the same name p0f 3.09b itself gives wherever p0f saw the handshake."""
import collections
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

import ddi_tshark as T

SYNACK = "tcp.flags.syn==1 && tcp.flags.ack==1"


def ddi_synacks(capture):
    out, _ = T.tshark(["-r", capture, "-Y", SYNACK, "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport",
                       "-e", "ddi.synack.os", "-e", "ddi.synack.os.match", "-e", "ddi.backscatter"])
    return [line.split("\t") for line in out.splitlines()]


def p0f_synacks(capture):
    """{(server ip, server port): label} for every SYN+ACK p0f fingerprints (it needs the SYN)."""
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "p0f.log")
        subprocess.run(["p0f", "-r", capture, "-o", log], capture_output=True, timeout=300)
        out = {}
        for line in open(log, errors="replace") if os.path.exists(log) else ():
            if "mod=syn+ack|" not in line:
                continue
            kv = dict(p.split("=", 1) for p in line.split("] ", 1)[1].strip().split("|") if "=" in p)
            ip, port = kv["srv"].rsplit("/", 1)
            out[(ip, port)] = kv.get("os")
        return out


class SynAckOs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_backscatter_victims_named(self):
        cap = os.path.join(T.CORPUS, "stopddos__amp.TCP.reflection.SYNACK.pcap")
        if not os.path.exists(cap):
            self.skipTest("corpus capture missing: " + cap)
        rows = ddi_synacks(cap)
        self.assertEqual(len(rows), 6651)
        named = collections.Counter((r[2], r[3]) for r in rows if r[2])
        # a real run (2026-12-05): 2822 of 6651 reflectors named, all exact
        self.assertEqual(named, {("Windows 7 or 8", "exact"): 2153, ("Linux 3.x", "exact"): 512,
                                 ("Linux 4.20 and newer", "exact"): 91, ("Linux 2.4-2.6", "exact"): 66})
        # every named SYN-ACK here is backscatter (the capture shows no SYN)
        self.assertTrue(all(r[4] == "SYN-ACK" for r in rows if r[2]))

    def test_agrees_with_p0f(self):
        if not shutil.which("p0f"):
            self.skipTest("p0f not installed")
        caps = sorted(glob.glob(os.path.join(T.CAPTURES, "*.pcap*")))
        if os.path.isdir(T.CORPUS):
            caps += sorted(glob.glob(os.path.join(T.CORPUS, "*.pcap*")))
        agree = 0
        for cap in caps:
            oracle = p0f_synacks(cap)
            if not oracle:
                continue
            for ip, port, label, _match, _bs in ddi_synacks(cap):
                # p0f's "???": ddi may still know the stack from its own ddi.fp
                if not label or oracle.get((ip, port)) in (None, "???"):
                    continue
                self.assertEqual(label, oracle[(ip, port)], "%s: SYN-ACK from %s:%s" % (os.path.basename(cap), ip, port))
                agree += 1
        if not os.path.isdir(T.CORPUS):
            self.skipTest("corpus not found: nothing to compare")
        self.assertGreater(agree, 0, "no SYN-ACK both p0f and ddi name")


if __name__ == "__main__":
    unittest.main()
