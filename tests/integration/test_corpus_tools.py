"""Scanner and backscatter labels on real captures made by others, checked
against what their sources state (tests/data/corpus_tools.tsv).  Packets ddi
cannot classify are listed there with the reason; anything else unlabelled,
or a wrong label, fails."""
import os
import unittest

import ddi_tshark as T

TABLE = os.path.join(T.SOURCE, "tests", "data", "corpus_tools.tsv")
F = ["ip.src", "ip.proto", "tcp.flags", "ddi.tool", "ddi.backscatter", "ddi.backscatter.victim"]


def load():
    rows = []
    for line in open(TABLE):
        if line.strip() and not line.startswith("#"):
            cap, src, kind, expect, maxu, why = line.rstrip("\n").split("\t")
            rows.append((cap, src, kind, expect, int(maxu), why))
    return rows


def kind_matches(kind, r):
    if kind == "udp":
        return r["ip.proto"] == "17"
    if kind == "icmp":
        return r["ip.proto"] == "1"
    if kind == "tcp:*":
        return r["ip.proto"] == "6"
    return r["ip.proto"] == "6" and r["tcp.flags"] == kind[4:]


class CorpusTools(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_scanner_labels(self):
        table = load()
        by_cap = {}
        for row in table:
            by_cap.setdefault(row[0], []).append(row)
        total = 0
        for cap, rules in sorted(by_cap.items()):
            pkts = T.fields(T.corpus(cap), F)
            for src in sorted({r[1] for r in rules}):
                mine = [p for p in pkts if p["ip.src"] == src]
                with self.subTest(capture=cap, src=src):
                    self.assertTrue(mine)
                    src_rules = [r for r in rules if r[1] == src]
                    for p in mine:
                        hit = [r for r in src_rules if kind_matches(r[2], p)]
                        self.assertEqual(len(hit), 1, "packet kind not listed for %s: %s" % (src, p))
                    for _, _, kind, expect, maxu, why in src_rules:
                        sel = [p for p in mine if kind_matches(kind, p)]
                        self.assertTrue(sel, "no %s packets (%s)" % (kind, why))
                        labels = [p["ddi.tool"] for p in sel]
                        if expect == "-":
                            self.assertEqual(set(labels), {""}, why)
                        else:
                            wrong = [l for l in labels if l not in ("", expect)]
                            self.assertEqual(wrong, [], why)
                            self.assertLessEqual(labels.count(""), maxu, why)
                        total += len(sel)
        self.assertGreater(total, 50000)

    def test_backscatter_reflection(self):
        # SYN-ACK reflection seen at the spoofed victim (StopDDoS; its destination
        # was rewritten to 10.10.10.10 by the upstream anonymisation)
        pkts = T.fields(T.corpus("stopddos__amp.TCP.reflection.SYNACK.pcap"), F)
        synack = [p for p in pkts if p["ip.proto"] == "6" and p["tcp.flags"] == "0x0012"]
        self.assertEqual(len(synack), 6651)
        self.assertEqual({p["ddi.backscatter"] for p in synack}, {"SYN-ACK"})
        self.assertTrue(all(p["ddi.backscatter.victim"] == p["ip.src"] for p in synack))
        rst = [p for p in pkts if p["ip.proto"] == "6" and p["tcp.flags"] in ("0x0004", "0x0014")]
        self.assertEqual(len(rst), 1018)  # MANIFEST: 1018 RST / RST-ACK
        for p in rst:
            self.assertEqual(p["ddi.backscatter"], "RST" if p["tcp.flags"] == "0x0004" else "RST-ACK")
            self.assertEqual(p["ddi.backscatter.victim"], p["ip.src"])
        icmp = [p for p in pkts if p["ip.proto"] == "1"]
        self.assertEqual(len(icmp), 153)
        self.assertEqual({p["ddi.backscatter"] for p in icmp}, {"ICMP unreachable"})
        # the quotes name 172.99.233.20 as sender, not the rewritten 10.10.10.10:
        # ddi must not invent a victim from a quote it cannot tie to this address
        self.assertEqual({p["ddi.backscatter.victim"] for p in icmp}, {""})
        stray = [p for p in pkts if p["ip.proto"] == "6" and p["tcp.flags"] == "0x0002"]
        self.assertTrue(stray and all(p["ddi.backscatter"] == "" for p in stray))
        self.assertEqual({p["ddi.tool"] for p in synack}, {""})


if __name__ == "__main__":
    T.main()
