"""The published two-SYN analysis, end to end through tshark (issue: build,
install and reproduce the published analysis).

captures/seed-conficker.pcapng is made by captures/make_seed.py: the two
published SYNs from 114.124.162.72 plus a Linux-like, an XP-like and a
random-IP-ID source that must NOT inherit the seed's conclusions.
"""
import os
import subprocess
import tempfile
import unittest

import ddi_tshark as T

SEED = os.path.join(T.CAPTURES, "seed-conficker.pcapng")
SEED_SRC = "114.124.162.72"
LINUX_SRC, XP_SRC, RANDOM_SRC = "203.0.113.10", "203.0.113.20", "203.0.113.30"

POINT_IN_TIME = [
    "ddi.ipid.gap", "ddi.ipid.dt", "ddi.ipid.rate", "ddi.ipid.class", "ddi.os", "ddi.os.evidence", "ddi.os.sig",
    "ddi.os.match", "ddi.ttl.initial", "ddi.ttl.distance", "ddi.mss", "ddi.mss.mtu", "ddi.mss.link", "ddi.mss.pppoe",
    "ddi.nat", "ddi.nat.reason", "ddi.retry.count", "ddi.retry.interval", "ddi.tool", "ddi.backscatter",
]
ALL = ["frame.number", "ip.src"] + POINT_IN_TIME + ["ddi.conficker", "ddi.verdict", "ddi.sender"]


def by_src(rows, src):
    return [r for r in rows if r["ip.src"] == src]


class SeedCapture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.one = T.fields(SEED, ALL)
        cls.two = T.fields(SEED, ALL, two_pass=True)

    def test_fields_registered(self):
        out, _ = T.tshark(["-G", "fields"], own_db=None)
        names = {line.split("\t")[2] for line in out.splitlines() if line.startswith("F\t")}
        for f in POINT_IN_TIME + ["ddi.conficker", "ddi.verdict", "ddi.retry.first_gap", "ddi.conficker.observed",
                                  "ddi.backscatter.victim", "ddi.backscatter.port", "ddi.tool.evidence"]:
            self.assertIn(f, names)

    def test_published_conclusions_two_pass(self):
        seed = by_src(self.two, SEED_SRC)
        self.assertEqual(len(seed), 2)
        first, second = seed
        self.assertEqual(first["ddi.ipid.gap"], "")  # a source's first packet has no gap
        self.assertEqual(second["ddi.ipid.gap"], "69")
        self.assertAlmostEqual(float(second["ddi.ipid.dt"]), 2.968866, places=5)
        self.assertAlmostEqual(float(second["ddi.ipid.rate"]), 69 / 2.968866, places=2)
        self.assertEqual(second["ddi.ipid.class"], "global counter")
        for r in seed:
            self.assertEqual(r["ddi.mss"], "1410")
            self.assertEqual(r["ddi.mss.mtu"], "1450")
            self.assertEqual(r["ddi.mss.pppoe"], T.BOOL_TRUE)
            self.assertEqual(r["ddi.nat"], T.BOOL_TRUE)
            self.assertIn("21269", r["ddi.nat.reason"])
            self.assertIn("1025-5000", r["ddi.nat.reason"])
            self.assertIn("49152-65535", r["ddi.nat.reason"])
            self.assertIn("Windows", r["ddi.os"])
            self.assertIn("Vista", r["ddi.os.evidence"])
            self.assertIn("TSval 0", r["ddi.os.evidence"])
            self.assertEqual(r["ddi.ttl.initial"], "128")
            self.assertEqual(r["ddi.conficker"], T.BOOL_TRUE)
        self.assertEqual(second["ddi.retry.count"], "1")
        self.assertAlmostEqual(float(second["ddi.retry.interval"]), 2.968866, places=4)
        self.assertIn("Conficker", second["ddi.verdict"])

    def test_single_pass_does_not_claim_conficker(self):
        for r in self.one:
            self.assertEqual(r["ddi.conficker"], "", r)
        self.assertNotIn("Conficker", " ".join(r["ddi.verdict"] for r in self.one))

    def test_point_in_time_fields_equal_in_both_modes(self):
        self.assertEqual(len(self.one), len(self.two))
        for a, b in zip(self.one, self.two):
            for f in POINT_IN_TIME:
                self.assertEqual(a[f], b[f], "frame %s field %s" % (a["frame.number"], f))

    def test_other_sources_not_flagged(self):
        for src in (LINUX_SRC, XP_SRC, RANDOM_SRC):
            rows = by_src(self.two, src)
            self.assertTrue(rows, src)
            for r in rows:
                self.assertEqual(r["ddi.conficker"], "", (src, r))
                self.assertEqual(r["ddi.mss.pppoe"], "", (src, r))
                self.assertEqual(r["ddi.nat"], "", (src, r))

    def test_linux_source(self):
        rows = by_src(self.two, LINUX_SRC)
        self.assertEqual([r["ddi.retry.count"] for r in rows], ["0", "1", "2", "3"])
        gaps = [float(r["ddi.retry.interval"]) for r in rows[1:]]
        for got, want in zip(gaps, (1, 2, 4)):
            self.assertAlmostEqual(got, want, delta=0.2)
        self.assertTrue(all("Linux" in r["ddi.os"] for r in rows))
        # +1 per retransmission is a per-socket counter: no load estimate
        self.assertEqual(rows[-1]["ddi.ipid.class"], "per-destination counter")
        self.assertTrue(all(r["ddi.ipid.rate"] == "" for r in rows))

    def test_xp_source(self):
        rows = by_src(self.two, XP_SRC)
        self.assertTrue(all("Windows" in r["ddi.os"] for r in rows))
        self.assertTrue(all("XP" in r["ddi.os"] for r in rows))
        self.assertEqual(rows[-1]["ddi.ipid.class"], "global counter")
        self.assertEqual(max(int(r["ddi.retry.count"]) for r in rows), 2)

    def test_capture_end_preference(self):
        # a shard told the whole capture's end may decide whole-capture verdicts
        # in one pass; without it one pass must not (test above)
        rows = T.fields(SEED, ["ip.src", "ddi.conficker"], extra_opts=["ddi.capture_end:1271757640"])
        # one pass: the first SYN is shown before its retry exists
        self.assertEqual([r["ddi.conficker"] for r in by_src(rows, SEED_SRC)], ["", T.BOOL_TRUE])
        early = T.fields(SEED, ["ip.src", "ddi.conficker"], extra_opts=["ddi.capture_end:1271757605"])
        self.assertEqual([r["ddi.conficker"] for r in by_src(early, SEED_SRC)], ["", ""])

    def test_sender_types(self):
        # whole-capture verdict: every source with a retry is stateful, the
        # scanner-like source sent 7 SYNs over 34 s and retransmitted none
        for src, want in ((SEED_SRC, "stateful"), (LINUX_SRC, "stateful"), (XP_SRC, "stateful"),
                          (RANDOM_SRC, "stateless")):
            self.assertEqual({r["ddi.sender"].split(":")[0] for r in by_src(self.two, src)}, {want}, src)

    def test_random_ipid_source_gets_no_rate(self):
        rows = by_src(self.two, RANDOM_SRC)
        self.assertEqual(rows[-1]["ddi.ipid.class"], "random")
        self.assertTrue(all(r["ddi.ipid.rate"] == "" for r in rows))

    def test_gui_style_redissection_is_stable(self):
        # -2 with a display filter re-dissects frames on the second pass;
        # asking twice must give the same answer
        a = T.fields(SEED, ALL, two_pass=True, display_filter="ddi.nat")
        b = T.fields(SEED, ALL, two_pass=True, display_filter="ddi.nat")
        self.assertEqual(a, b)
        self.assertEqual({r["ip.src"] for r in a}, {SEED_SRC})

    def test_filters_from_readme(self):
        for flt, want in (("ddi.conficker", {SEED_SRC}), ("ddi.mss.pppoe", {SEED_SRC}),
                          ("ddi.ipid.rate > 10", {SEED_SRC}), ("ddi.nat", {SEED_SRC})):
            rows = T.fields(SEED, ["ip.src"], two_pass=True, display_filter=flt)
            self.assertEqual({r["ip.src"] for r in rows}, want, flt)


class BadInput(unittest.TestCase):
    def test_truncated_copy(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "trunc.pcapng")
            subprocess.run(["editcap", "-s", "40", SEED, out], check=True)
            os.chmod(d, 0o755)
            os.chmod(out, 0o644)
            rows = T.fields(out, ALL, two_pass=True)
            self.assertEqual(len(rows), 22)
            for r in rows:
                # options were cut off: no OS claim, no link claim
                self.assertNotIn("Windows", r["ddi.os"])
                self.assertEqual(r["ddi.mss"], "")

    def test_capture_without_tcp(self):
        with tempfile.TemporaryDirectory() as d:
            os.chmod(d, 0o755)
            txt = os.path.join(d, "udp.txt")
            with open(txt, "w") as f:
                # one UDP/IPv4 packet in text2pcap hex form
                f.write("000000 45 00 00 1c 00 01 00 00 40 11 00 00 c0 00 02 01 c6 33 64 01 "
                        "04 00 00 35 00 08 00 00\n")
            pc = os.path.join(d, "udp.pcap")
            subprocess.run(["text2pcap", "-q", "-l", "101", txt, pc], check=True, capture_output=True)
            os.chmod(pc, 0o644)
            out_txt, err = T.tshark(["-2", "-r", pc, "-V"])
            self.assertIn("Deep Darknet Inspection", out_txt)
            self.assertNotIn("ddi", err.lower().replace("ddi.own_db", ""))


if __name__ == "__main__":
    T.main()
