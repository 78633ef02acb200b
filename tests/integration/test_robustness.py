"""Robustness on captures made by others (issue 6, item 4).

Every file of the shared corpus's robustness/ folder and every corpus capture
the MANIFEST marks ROB (truncated, malformed, IPv6, fragments, VLAN/QinQ/MPLS,
PPPoE, GTP, ICMP-quoted TCP, all-flags TCP, nanosecond pcap) is read by
tshark with the normal build, single pass and -2, with -V.  tshark must exit
0, print no ddi warning or error, no "Dissector bug" and no "Malformed
Packet: DDI".  Then the honest outcomes:

* the all-flags packet is neither backscatter nor an OS fingerprint;
* a snaplen-68 trace (options cut) gets no OS family but "unknown", and an
  MSS only where the MSS option itself was captured;
* a SYN split into IP fragments gets no OS from the partial options of a
  non-final fragment;
* ICMP errors quoting TCP are backscatter, and a victim, when one is
  claimed, is the quoted destination (StopDDoS rewrote every destination to
  10.10.10.10 upstream, so its quotes do not match and ddi claims none);
* PPPoE (MSS 1452 -> ddi.mss.pppoe), QinQ, VLAN, MPLS, GTP and SLL captures
  are analysed: every SYN's MSS reaches ddi.mss.

A missing and a malformed signature database each give a clear message on
stderr naming the file (and the line), and ddi still analyses.

Corpus tests skip clearly when ../shared/captures is missing.
"""
import glob
import os
import re
import subprocess
import tempfile
import unittest

import ddi_tshark as T

BAD_OUTPUT = [
    (re.compile(r"Dissector bug"), "Dissector bug"),
    (re.compile(r"Malformed Packet: DDI", re.I), "Malformed Packet: DDI"),
]
DDI_STDERR = re.compile(r"\bddi\b", re.I)


def manifest_rob_files():
    """Top-level corpus files whose MANIFEST row says ROB, plus robustness/*."""
    man = os.path.join(T.CORPUS, "MANIFEST.md")
    files = set()
    if os.path.exists(man):
        for line in open(man, encoding="utf-8"):
            if not line.startswith("| ") or "ROB" not in line:
                continue
            first = line.split("|")[1].strip()
            if re.fullmatch(r"[\w.\-]+\.pcap(ng)?", first) and os.path.exists(os.path.join(T.CORPUS, first)):
                files.add(first)
    for p in glob.glob(os.path.join(T.CORPUS, "robustness", "*.pcap*")):
        files.add(os.path.relpath(p, T.CORPUS))
    return sorted(files)


def run_scan(args, timeout=600):
    """tshark with the normal build; streams stdout and returns (rc, hits, stderr, lines)."""
    cmd = T._base_cmd() + ["tshark", "-n", "-o", "ddi.own_db:" + T.OWN_DB] + args
    hits = []
    lines = 0
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, errors="replace")
        for line in p.stdout:
            lines += 1
            for pat, name in BAD_OUTPUT:
                if pat.search(line) and len(hits) < 5:
                    hits.append("%s: %s" % (name, line.strip()[:200]))
        rc = p.wait(timeout=timeout)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return rc, hits, stderr, lines


def fields(path, names, two_pass=False, **kw):
    return T.fields(path, ["frame.number"] + names, two_pass=two_pass, **kw)


def fields_all(path, names, two_pass=False):
    """Every occurrence of each field, as lists (outer header first)."""
    args = ["-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    if two_pass:
        args.insert(0, "-2")
    for n in ["frame.number"] + names:
        args += ["-e", n]
    out, _ = T.tshark(args)
    rows = []
    for line in out.splitlines():
        vals = line.split("\t") + [""] * (len(names) + 1)
        rows.append({n: (v.split("|") if v else []) for n, v in zip(["frame.number"] + names, vals)})
    return rows


class CorpusRobustness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(T.CORPUS):
            raise unittest.SkipTest("corpus folder %s not found: corpus robustness tests skipped" % T.CORPUS)
        T.require_plugin(cls)

    def test_every_rob_capture_reads_cleanly(self):
        files = manifest_rob_files()
        self.assertGreaterEqual(len(files), 15, "expected the robustness/ folder and the ROB captures: %s" % files)
        for rel in files:
            path = os.path.join(T.CORPUS, rel)
            for two in (False, True):
                with self.subTest(capture=rel, two_pass=two):
                    rc, hits, stderr, lines = run_scan((["-2"] if two else []) + ["-r", path, "-V"])
                    self.assertEqual(rc, 0, "tshark exit %d on %s:\n%s" % (rc, rel, stderr[-2000:]))
                    self.assertEqual(hits, [], rel)
                    self.assertIsNone(DDI_STDERR.search(stderr), "ddi message on stderr for %s:\n%s" % (rel, stderr))
                    self.assertGreater(lines, 0, rel)

    def test_all_flags_packet_is_neither_backscatter_nor_os(self):
        path = T.corpus("robustness/tcpdump__tcp_eight_lowest_weight_flags_set.pcap")
        for two in (False, True):
            rows = fields(path, ["tcp.flags", "ddi.backscatter", "ddi.os", "ddi.verdict"], two_pass=two)
            self.assertTrue(rows)
            for r in rows:
                self.assertEqual(r["ddi.backscatter"], "", r)
                self.assertEqual(r["ddi.os"], "", r)
                self.assertNotEqual(r["ddi.verdict"], "", "ddi did not analyse the packet: %s" % r)

    def test_truncated_options_give_no_os_and_no_cut_mss(self):
        path = T.corpus("zeek__tcp_truncated-header.pcap")
        for two in (False, True):
            rows = fields(path, ["tcp.flags.syn", "tcp.options.mss_val", "ddi.os", "ddi.os.family", "ddi.mss"],
                          two_pass=two)
            syns = [r for r in rows if r["tcp.flags.syn"] == T.BOOL_TRUE]
            self.assertTrue(syns, "no SYN in the truncated trace")
            for r in rows:
                self.assertIn(r["ddi.os.family"], ("", "unknown"), r)
                if r["ddi.os"]:
                    self.assertIn("unknown", r["ddi.os"], r)
                # an MSS only where the MSS option itself was captured, and then the captured value
                if r["ddi.mss"]:
                    self.assertEqual(r["ddi.mss"], r["tcp.options.mss_val"], r)

    def test_fragmented_syn_gets_no_os_from_partial_options(self):
        files = ["zeek__ipv4_fragmented-syn.pcap"] + sorted(
            os.path.relpath(p, T.CORPUS) for p in glob.glob(os.path.join(T.CORPUS, "robustness", "sv__defrag_*")))
        for rel in files:
            path = T.corpus(rel)
            for two in (False, True):
                rows = fields_all(path, ["ip.flags.mf", "ipv6.fraghdr.more", "ddi.os", "ddi.os.family",
                                         "ddi.mss", "tcp.options.mss_val"], two_pass=two)
                self.assertTrue(rows, rel)
                # Wireshark decodes TCP only in the reassembled packet: an MSS ddi
                # reads from a first fragment must be the reassembled SYN's MSS
                whole_mss = {m for r in rows for m in r["tcp.options.mss_val"]}
                for r in rows:
                    partial = T.BOOL_TRUE in r["ip.flags.mf"] or T.BOOL_TRUE in r["ipv6.fraghdr.more"]
                    if partial:
                        with self.subTest(capture=rel, frame=r["frame.number"], two_pass=two):
                            self.assertTrue(set(r["ddi.os.family"]) <= {"unknown"}, r)
                            for m in r["ddi.mss"]:
                                self.assertIn(m, whole_mss, r)

    def check_icmp_quotes(self, rel, need_victim):
        path = T.corpus(rel)
        rows = fields_all(path, ["icmp.type", "ip.dst", "ip.proto", "tcp.dstport", "ddi.backscatter",
                                 "ddi.backscatter.victim", "ddi.backscatter.port", "ddi.backscatter.evidence",
                                 "ddi.exchange"],
                          two_pass=True)
        quoting = [r for r in rows if r["icmp.type"][:1] in (["3"], ["11"]) and r["ip.proto"][1:2] == ["6"]]
        self.assertTrue(quoting, "%s: no ICMP error quoting TCP" % rel)
        with_victim = 0
        for r in quoting:
            with self.subTest(capture=rel, frame=r["frame.number"]):
                if need_victim is None:
                    # the quoted SYN is in the capture: an answer to the
                    # capture host's own probe, attributed to nobody
                    self.assertEqual(r["ddi.backscatter"], [], r)
                    self.assertEqual(r["ddi.backscatter.victim"], [], r)
                    self.assertEqual(r["ddi.exchange"], ["ICMP error about a packet seen sent"], r)
                    continue
                self.assertTrue(r["ddi.backscatter"], "ICMP quoting TCP is not backscatter: %s" % r)
                if r["ddi.backscatter.victim"]:
                    with_victim += 1
                    self.assertEqual(r["ddi.backscatter.victim"], r["ip.dst"][1:2], "victim is not the quoted destination")
                    if r["ddi.backscatter.port"] and r["tcp.dstport"]:
                        self.assertEqual(r["ddi.backscatter.port"][0], r["tcp.dstport"][0])
                else:
                    self.assertRegex(" ".join(r["ddi.backscatter.evidence"]), "quoted source is not|no victim")
        if need_victim:
            self.assertEqual(with_victim, len(quoting), "%s: ICMP quotes without a victim" % rel)
        return quoting, with_victim

    def test_icmp_quoted_tcp_esnet(self):
        # nmap's host captured its own scan: the routers' unreachables quote
        # SYNs seen sent in the capture, so they are no backscatter
        quoting, _ = self.check_icmp_quotes("esnet__nmap_80_all.pcap", need_victim=None)
        self.assertEqual(len(quoting), 6)

    def test_icmp_quoted_tcp_stopddos(self):
        # upstream anonymisation rewrote every destination (so the quoted source
        # never equals the outer destination): backscatter yes, victim only if
        # it is the quoted destination
        quoting, _ = self.check_icmp_quotes("stopddos__amp.TCP.reflection.SYNACK.pcap", need_victim=False)
        self.assertGreaterEqual(len(quoting), 139)

    def test_pppoe_mss(self):
        path = T.corpus("sv__bug-4810_pppoe-session-http.pcap")
        for two in (False, True):
            rows = fields(path, ["tcp.flags", "tcp.options.mss_val", "ddi.mss", "ddi.mss.pppoe"], two_pass=two)
            syn = [r for r in rows if r["tcp.flags"] == "0x0002"]
            self.assertEqual(len(syn), 1)
            self.assertEqual(syn[0]["ddi.mss"], "1452")
            self.assertEqual(syn[0]["ddi.mss.pppoe"], T.BOOL_TRUE)

    def test_encapsulations_reach_ddi(self):
        for rel in ["zeek__pppoe-over-qinq.pcap", "zeek__mixed-vlan-mpls.pcap", "sv__bug-4376_syn_retransmit_with_ts.pcap",
                    "arkime__gtp-iphone.pcap", "tcpdump__tcp-handshake-nano.pcap", "arkime__v6.pcap",
                    "sv__bug-4810_pppoe-session-http.pcap"]:
            path = T.corpus(rel)
            rows = fields_all(path, ["tcp.flags.syn", "tcp.options.mss_val", "ddi.mss"])
            syns = [r for r in rows if r["tcp.options.mss_val"]]
            with self.subTest(capture=rel):
                self.assertTrue(syns, "%s: no SYN with an MSS" % rel)
                for r in syns:
                    # the innermost TCP header's MSS (GTP: the tunnelled one)
                    self.assertEqual(r["ddi.mss"], r["tcp.options.mss_val"][-1:], r)


class SignatureDatabase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.seed = os.path.join(T.CAPTURES, "seed-conficker.pcapng")

    def run_db(self, db):
        args = ["-r", self.seed, "-T", "fields", "-e", "ddi.verdict", "-e", "ddi.os"]
        out, err = T.tshark(args, extra_opts=["ddi.p0f_db:" + db])
        verdicts = [l.split("\t")[0] for l in out.splitlines() if l.split("\t")[0]]
        self.assertTrue(verdicts, "ddi did not analyse with p0f_db=%s" % db)
        return verdicts, err

    def test_missing_database(self):
        db = "/nonexistent/p0f.fp"
        _, err = self.run_db(db)
        self.assertIn(db, err, "no message naming the missing database")
        self.assertRegex(err, r"(?i)cannot open|no such file|not found|missing")

    def test_malformed_database(self):
        fd, db = tempfile.mkstemp(prefix="ddi-bad-", suffix=".fp")
        try:
            with os.fdopen(fd, "w") as f:
                f.write("this is not a p0f line\n[tcp:request]\nlabel = s:unix:Linux:3.x\n"
                        "sig = garbage:with:too:few:fields\n")
            os.chmod(db, 0o644)
            _, err = self.run_db(db)
            self.assertIn(db, err, "no message naming the malformed database")
            self.assertRegex(err, re.escape(db) + r"[:, ]+(line )?\d+", "no line number in: %s" % err)
        finally:
            os.unlink(db)


if __name__ == "__main__":
    T.main()
