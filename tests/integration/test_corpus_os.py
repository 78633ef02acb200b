"""OS family on labelled SYNs of real captures made by others (issue: OS
fingerprinting that holds up on real traffic).  Ground truth is in
tests/data/corpus_os.tsv with where each label comes from."""
import os
import unittest

import ddi_tshark as T

TRUTH = os.path.join(T.SOURCE, "tests", "data", "corpus_os.tsv")
SYN = "tcp.flags.syn==1 && tcp.flags.ack==0"


def load_truth():
    rows = []
    with open(TRUTH) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cap, src, family, why = line.rstrip("\n").split("\t")
            rows.append((cap, src, family, why))
    return rows


class CorpusOS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_labelled_syns(self):
        truth = load_truth()
        self.assertGreaterEqual(len({fam for _, _, fam, _ in truth}), 3)
        by_cap = {}
        for cap, src, fam, why in truth:
            by_cap.setdefault(cap, []).append((src, fam, why))
        checked = 0
        for cap, expect in sorted(by_cap.items()):
            path = T.corpus(cap)
            rows = T.fields(path, ["ip.src", "ipv6.src", "ddi.os", "ddi.os.family", "ddi.tool"], display_filter=SYN)
            for src, fam, why in expect:
                with self.subTest(capture=cap, src=src):
                    mine = [r for r in rows if src in (r["ip.src"], r["ipv6.src"]) or
                            (":" in src and r["ipv6.src"] == src)]
                    self.assertTrue(mine, "no SYN from %s in %s" % (src, cap))
                    for r in mine:
                        self.assertEqual(r["ddi.os.family"], fam, "%s (%s): %s" % (src, why, r))
                        checked += 1
        self.assertGreater(checked, 50)

    def test_ipv6_syn_gets_os_and_link_fields(self):
        rows = T.fields(T.corpus("arkime__v6.pcap"),
                        ["ipv6.src", "ddi.os", "ddi.os.sig", "ddi.mss", "ddi.mss.mtu", "ddi.mss.link"], display_filter=SYN)
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual(r["ddi.mss"], "1440")
        self.assertEqual(r["ddi.mss.mtu"], "1500")  # IPv6: MSS + 60
        self.assertTrue(r["ddi.os.sig"].startswith("6:64+0:0:1440:"), r)
        self.assertNotEqual(r["ddi.os"], "")


if __name__ == "__main__":
    T.main()
