"""Captures recorded from real kernel stacks and real tools inside network
namespaces (captures/record/record.sh).  What produced each source is in
captures/record/MANIFEST.tsv; these tests read the expectations from there."""
import csv
import os
import re
import unittest

import ddi_tshark as T

MANIFEST = os.path.join(T.CAPTURES, "record", "MANIFEST.tsv")
F = ["ip.src", "ip.proto", "tcp.flags", "tcp.srcport", "ddi.os.family", "ddi.nat", "ddi.nat.reason", "ddi.mss",
     "ddi.mss.pppoe", "ddi.tool", "ddi.backscatter", "ddi.backscatter.victim", "ddi.retry.count",
     "ddi.retry.interval", "ddi.retry.backoff", "ddi.conficker", "ddi.sender"]
SYN = "0x0002"
TOOL_NAMES = {"zmap": {"ZMap"}, "masscan": {"masscan"}, "nmap-sS": {"nmap SYN scan"}, "hping3": {"hping3"},
              "nmap-O": {"nmap SYN scan", "nmap OS probe"},
              "nmap-sn": {"nmap host discovery", "nmap SYN scan", "nmap FIN/NULL/Xmas/ACK scan"}}
BACKSCATTER = {"synack": "SYN-ACK", "rstack": "RST-ACK", "rst": "RST", "echo-reply": "echo reply",
               "icmp-port-unreach": "ICMP unreachable", "icmp-host-unreach": "ICMP unreachable",
               "icmp-ttl-exceeded": "ICMP time exceeded"}


def manifest():
    out = {}
    with open(MANIFEST) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            exp = dict(re.findall(r"(\w+)=([\w.-]+)", row["expected"]))
            out[row["src"]] = (row["file"], exp)
    return out


class Recorded(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.man = manifest()
        cls.rows = {}
        for f in sorted({f for f, _ in cls.man.values()}):
            cls.rows[f] = T.fields(os.path.join(T.CAPTURES, f), F, two_pass=True)

    def src_rows(self, src):
        f, exp = self.man[src]
        return [r for r in self.rows[f] if r["ip.src"] == src], exp

    def test_kernel_stacks(self):
        stacks = [s for s, (f, e) in self.man.items() if "os" in e and "backscatter" not in e]
        self.assertGreaterEqual(len(stacks), 4)
        for src in stacks:
            rows, exp = self.src_rows(src)
            syns = [r for r in rows if r["tcp.flags"] == SYN]
            with self.subTest(src=src):
                self.assertTrue(syns)
                for r in syns:
                    self.assertEqual(r["ddi.os.family"], exp["os"])
                    self.assertEqual(r["ddi.tool"], "")  # a kernel stack is no scanning tool
                    self.assertEqual(r["ddi.mss"], exp["mss"])
                    self.assertEqual(r["ddi.mss.pppoe"], T.BOOL_TRUE if exp["pppoe"] == "yes" else "")
                    self.assertEqual(r["ddi.conficker"], "")
                    if exp["nat"] == "yes":
                        self.assertEqual(r["ddi.nat"], T.BOOL_TRUE)
                        port = int(r["tcp.srcport"])
                        if port < 32768 or port > 61000:
                            self.assertIn("source port %d" % port, r["ddi.nat.reason"])
                        self.assertIn("MSS was rewritten", r["ddi.nat.reason"])
                    else:
                        self.assertEqual(r["ddi.nat"], "", r["ddi.nat.reason"])

    def test_stateless_and_stateful_senders(self):
        # raw-socket tools never retransmit a SYN; kernel stacks do
        stateless = {s for s, (f, e) in self.man.items() if e.get("tool") in ("zmap", "masscan", "hping3", "nmap-sS")}
        stateful = {s for s, (f, e) in self.man.items() if "os" in e and "backscatter" not in e}
        self.assertEqual(len(stateless), 4)
        for src in sorted(stateless | stateful):
            rows, _ = self.src_rows(src)
            want = "stateless" if src in stateless else "stateful"
            with self.subTest(src=src):
                self.assertEqual({r["ddi.sender"].split(":")[0] for r in rows}, {want})

    def test_retry_schedules(self):
        # exponential backoff (tcp_syn_linear_timeouts=0): 1, 2, 4 s between SYNs
        rows, _ = self.src_rows("203.0.113.14")
        conns = {}
        for r in rows:
            conns.setdefault(r["tcp.srcport"], []).append(r)
        longest = max(conns.values(), key=len)
        self.assertEqual([r["ddi.retry.count"] for r in longest], ["0", "1", "2", "3"])
        for r, want in zip(longest[1:], (1, 2, 4)):
            self.assertAlmostEqual(float(r["ddi.retry.interval"]), want, delta=0.3)
        self.assertTrue(any("doubling" in r["ddi.retry.backoff"] for r in rows))
        # the kernel's default here is linear first: 1 s gaps
        rows, _ = self.src_rows("203.0.113.10")
        self.assertTrue(any("constant" in r["ddi.retry.backoff"] for r in rows))

    def test_tools(self):
        for src, (f, exp) in sorted(self.man.items()):
            tool = exp.get("tool")
            if not tool or tool == "none":
                continue
            rows, _ = self.src_rows(src)
            with self.subTest(src=src, tool=tool):
                self.assertTrue(rows)
                if tool == "nmap-sT":  # connect(): the kernel's own SYNs
                    self.assertEqual({r["ddi.tool"] for r in rows}, {""})
                    self.assertEqual({r["ddi.os.family"] for r in rows if r["tcp.flags"] == SYN}, {"Linux"})
                    continue
                labels = {r["ddi.tool"] for r in rows}
                self.assertTrue(labels <= TOOL_NAMES[tool] and labels, "%s: %s" % (tool, labels))
                if "count" in exp:
                    self.assertEqual(len(rows), int(exp["count"]))

    def test_backscatter(self):
        for src, (f, exp) in sorted(self.man.items()):
            kind = exp.get("backscatter")
            if not kind:
                continue
            rows, _ = self.src_rows(src)
            with self.subTest(src=src, kind=kind):
                self.assertTrue(rows)
                for r in rows:
                    self.assertEqual(r["ddi.backscatter"], BACKSCATTER[kind])
                    self.assertEqual(r["ddi.tool"], "")
                    if kind.startswith("icmp-") and kind != "icmp-port-unreach":
                        # a router answered: the victim comes from the quoted header
                        self.assertTrue(r["ddi.backscatter.victim"].startswith("192.0.2."), r)
                    else:
                        self.assertEqual(r["ddi.backscatter.victim"], src)


if __name__ == "__main__":
    T.main()
