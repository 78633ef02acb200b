"""`tshark -q -z ddi,tree` and `tshark -q -z ddi,sources` (issue 7).

The expected counts of captures/seed-conficker.pcapng follow from how the
capture is built (captures/README.md): 22 SYNs from 4 sources, namely the
published seed 114.124.162.72 (2 SYNs to tcp/445, Conficker-style), a Linux
client (4 SYNs to tcp/22, 1 s RTO), a Windows XP host (3 connections x 3
SYNs to tcp/445 and tcp/139, 3 s RTO) and an nmap-shaped scanner (7 SYNs to
tcp/23 and tcp/80).  Corpus counts come from /work/shared/captures/MANIFEST.md
(counted there with plain tshark, independently of ddi).
"""
import calendar
import os
import re
import time
import unittest

import ddi_tshark as T


def utc_epoch(text):
    """'2010-04-20 10:00:02.968866' (UTC) -> epoch seconds."""
    day, frac = text.split(".")
    return calendar.timegm(time.strptime(day, "%Y-%m-%d %H:%M:%S")) + int(frac) / 1e6

SEED = os.path.join(T.CAPTURES, "seed-conficker.pcapng")
SEED_SRC, LINUX_SRC, XP_SRC, SCAN_SRC = "114.124.162.72", "203.0.113.10", "203.0.113.20", "203.0.113.30"

PKTS, SRCS = "ddi packets", "ddi sources"
OS, LINK, NAT, RETRY, TOOL, BS, DPORT = ("OS family", "Link type", "NAT suspected", "SYN retry pattern",
                                         "Scanning tool", "Backscatter", "Destination port")
CONFICKER = "one retry at ~3 s, then silence (Conficker-style)"


def parse_tree(out):
    """stats_tree text -> {(node, child, ...): count}."""
    lines = out.splitlines()
    hdr = [i for i, ln in enumerate(lines) if ln.startswith("Topic / Item")]
    if len(hdr) != 1:
        raise AssertionError("expected one stats tree, got:\n" + out)
    col = lines[hdr[0]].index("Count")
    tree, path = {}, []
    for ln in lines[hdr[0] + 2:]:
        if ln.startswith("---"):
            break
        if not ln.strip():
            continue
        label = ln[:col].rstrip()
        depth = len(label) - len(label.lstrip(" "))
        path = path[:depth] + [label.strip()]
        tree[tuple(path)] = int(ln[col:].split()[0])
    return tree


def children(tree, *path):
    return {k[-1]: v for k, v in tree.items() if len(k) == len(path) + 1 and k[:len(path)] == path}


def parse_sources(out):
    """The text per-source report -> (announced number, {src: {key: value}}).
    Each source block is `ADDR  packets N  first T  last T` followed by
    indented `Key:  value` lines."""
    m = re.search(r"^ddi per-source report: (\d+) sources$", out, re.M)
    if not m:
        raise AssertionError("no per-source report in:\n" + out)
    rows, cur = {}, None
    for ln in out[m.end():].splitlines():
        h = re.match(r"^(\S+)  packets (\d+)  first ([\d-]+ [\d:.]+)  last ([\d-]+ [\d:.]+)$", ln)
        if h:
            cur = rows.setdefault(h.group(1), {"packets": int(h.group(2)), "first": utc_epoch(h.group(3)),
                                               "last": utc_epoch(h.group(4)), "order": len(rows)})
            continue
        kv = re.match(r"^    (\w[\w -]*):\s+(.*)$", ln)
        if kv and cur is not None:
            cur[kv.group(1)] = kv.group(2)
    return int(m.group(1)), rows


def run(capture, z, two_pass=False):
    out, err = T.tshark((["-2"] if two_pass else []) + ["-q", "-r", capture, "-z", z])
    return out


class SeedTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.one = parse_tree(run(SEED, "ddi,tree"))
        cls.two = parse_tree(run(SEED, "ddi,tree", two_pass=True))

    def test_totals(self):
        for t in (self.one, self.two):
            self.assertEqual(t[(PKTS,)], 22)
            self.assertEqual(t[(SRCS,)], 4)

    def test_packets_and_sources_per_os_family(self):
        for t in (self.one, self.two):
            self.assertEqual(children(t, PKTS, OS), {"Windows": 11, "Linux": 4})  # seed 2 + XP 9; Linux 4
            self.assertEqual(t[(PKTS, OS)], 15)  # the scanner's SYNs have no OS
            self.assertEqual(children(t, SRCS, OS), {"Windows": 2, "Linux": 1})
            self.assertEqual(t[(SRCS, OS)], 3)

    def test_link_nat_tool_backscatter_ports(self):
        for t in (self.one, self.two):
            # coarse categories, the table's label one level down; the scanner's
            # MSS 1460 is typed into its tool, not read from a link
            self.assertEqual(children(t, PKTS, LINK), {"Ethernet (MTU 1500)": 13, "PPPoE or DSL-sized": 2})
            self.assertEqual(children(t, SRCS, LINK), {"Ethernet (MTU 1500)": 2, "PPPoE or DSL-sized": 1})
            self.assertEqual(children(t, PKTS, LINK, "Ethernet (MTU 1500)"), {"Ethernet": 13})
            detail = children(t, PKTS, LINK, "PPPoE or DSL-sized")
            self.assertEqual(list(detail.values()), [2], detail)
            self.assertIn("PPPoE", list(detail)[0])
            self.assertEqual(children(t, PKTS, NAT), {"source port": 2})
            self.assertEqual(children(t, SRCS, NAT), {"source port": 1})
            # nmap draws a TTL per probe; TTL 55 on a third probe refutes nmap
            self.assertEqual(children(t, PKTS, TOOL), {"nmap SYN scan": 2, "crafted SYN": 5})
            self.assertEqual(sum(children(t, SRCS, TOOL).values()) >= 1, True)
            self.assertIn("crafted SYN", children(t, SRCS, TOOL))
            self.assertEqual(t[(PKTS, BS)], 0)
            self.assertEqual(children(t, PKTS, BS), {})
            self.assertEqual(children(t, PKTS, DPORT), {"tcp/445": 8, "tcp/23": 4, "tcp/22": 4, "tcp/80": 3,
                                                         "tcp/139": 3})
            self.assertEqual(children(t, SRCS, DPORT), {"tcp/445": 2, "tcp/23": 1, "tcp/22": 1, "tcp/80": 1,
                                                         "tcp/139": 1})
            self.assertEqual(t[(SRCS, DPORT)], 4)

    def test_retry_patterns_single_pass(self):
        # one pass cannot know yet that the seed stays silent: no Conficker
        # row; a first SYN is no retry pattern
        self.assertEqual(children(self.one, PKTS, RETRY), {"retry, 3 s initial RTO": 7, "retry, 1 s initial RTO": 3})
        self.assertEqual(children(self.one, SRCS, RETRY), {"retry, 3 s initial RTO": 2, "retry, 1 s initial RTO": 1})

    def test_retry_patterns_two_pass(self):
        # both SYNs of the seed's connection make the Conficker-style pattern
        self.assertEqual(children(self.two, PKTS, RETRY), {"retry, 3 s initial RTO": 6,
                                                           "retry, 1 s initial RTO": 3, CONFICKER: 2})
        self.assertEqual(children(self.two, SRCS, RETRY), {"retry, 3 s initial RTO": 1,
                                                           "retry, 1 s initial RTO": 1, CONFICKER: 1})

    def test_source_counts_never_exceed_the_sources(self):
        for t in (self.one, self.two):
            for dim, n in children(t, SRCS).items():
                self.assertLessEqual(n, t[(SRCS,)], dim)
                for value, m in children(t, SRCS, dim).items():
                    self.assertLessEqual(m, n, (dim, value))
            for dim, n in children(t, PKTS).items():
                self.assertLessEqual(n, t[(PKTS,)], dim)
                self.assertEqual(sum(children(t, PKTS, dim).values()), n, dim)


class SeedSources(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.reports = {"one pass": parse_sources(run(SEED, "ddi,sources")),
                       "two passes": parse_sources(run(SEED, "ddi,sources", two_pass=True))}

    def test_rows_and_order(self):
        for mode, (n, rows) in self.reports.items():
            self.assertEqual(n, 4, mode)
            self.assertEqual(sorted(rows, key=lambda s: rows[s]["order"]), [XP_SRC, SCAN_SRC, LINUX_SRC, SEED_SRC])
            self.assertEqual({s: r["packets"] for s, r in rows.items()},
                             {XP_SRC: 9, SCAN_SRC: 7, LINUX_SRC: 4, SEED_SRC: 2})

    def test_seed_row_reads_like_the_published_summary(self):
        # both modes: the report re-evaluates at the end, so even one-pass
        # tshark knows the seed stayed silent after its single retry
        for mode, (_, rows) in self.reports.items():
            r = rows[SEED_SRC]
            self.assertEqual(r["first"], 1271757600.0)
            self.assertAlmostEqual(r["last"] - r["first"], 2.968866, places=6)
            self.assertRegex(r["OS"], r"^Windows .*\(exact\)$", mode)
            self.assertRegex(r["Link"], r"^MTU 1450, .*PPPoE.*\[PPPoE-sized\]$", mode)
            self.assertTrue(r["NAT"].startswith("source port (first at 2010-04-20 10:00:00.000000): "), r["NAT"])
            self.assertIn("source port 21269", r["NAT"])
            self.assertIn("1025-5000", r["NAT"])
            self.assertIn("49152-65535", r["NAT"])
            m = re.fullmatch(r"global counter, ~([\d.]+) packets/s in all over ([\d.]+) s, (\d+) samples", r["IP ID"])
            self.assertTrue(m, r["IP ID"])
            self.assertEqual(m.group(1), "23.2")  # 69 IDs in 2.968866 s
            self.assertEqual((m.group(2), m.group(3)), ("2.97", "2"))
            self.assertEqual(r["SYNs"], "2 SYNs, 1 of them retransmission")
            self.assertEqual(r["Conficker-style"], "yes (1 of 1 tcp/445 connection: one retry at ~3 s, then silence)")
            self.assertEqual(r["Packets"], "2 SYN, 0 backscatter, 0 UDP, 0 other")
            self.assertEqual(r["Targets"], "1 destination, 1 port")
            self.assertEqual(r["TTL"], "113 (initial 128, 15 hops)")
            self.assertIn("Conficker-style single retry", r["Verdict"])
            self.assertIn("(published reading: Vista/2008)", r["Verdict"])
            self.assertIn("NAT suspected (source port)", r["Verdict"])
            self.assertNotIn("Tool", r)

    def test_other_rows(self):
        for mode, (_, rows) in self.reports.items():
            xp, lin, scan = rows[XP_SRC], rows[LINUX_SRC], rows[SCAN_SRC]
            self.assertEqual(xp["OS"], "Windows XP (exact)")
            self.assertEqual(xp["Link"], "MTU 1500, Ethernet")
            self.assertEqual(xp["NAT"], "no evidence")
            self.assertTrue(xp["IP ID"].startswith("global counter"), xp["IP ID"])
            self.assertEqual(xp["SYNs"], "9 SYNs, 6 of them retransmissions")
            self.assertEqual(xp["Conficker-style"],
                             "no (2 tcp/445 connections, none with exactly one retry 2.4-3.6 s after the first SYN)")
            self.assertEqual(xp["Targets"], "3 destinations, 2 ports")
            self.assertTrue(xp["Sender"].startswith("stateful (6 of its 9 SYNs"), xp["Sender"])
            self.assertTrue(lin["OS"].startswith("Linux"), lin["OS"])
            self.assertEqual(lin["SYNs"], "4 SYNs, 3 of them retransmissions")
            self.assertEqual(lin["Conficker-style"], "no (no SYN to tcp/445)")
            self.assertEqual(scan["OS"], "-")
            # nmap's shape, but TTL 55 on every probe where nmap draws one per probe
            self.assertEqual(scan["Tool"], "crafted SYN")  # the nmap label of its first probes was refuted
            self.assertEqual(scan["SYNs"], "7 SYNs, 0 of them retransmissions")
            self.assertTrue(scan["Sender"].startswith("stateless (7 SYNs, none answered"), scan["Sender"])
            self.assertIn("crafted SYN", scan["Verdict"])
            self.assertIn("stateless sender", scan["Verdict"])
            for r in (xp, lin, scan):
                self.assertNotIn("Conficker", r["Verdict"], mode)


class ReportHeaderAndOptions(unittest.TestCase):
    """What the report says about the capture as a whole, and what -z accepts."""

    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_header(self):
        out = run(SEED, "ddi,sources")
        head = out[:out.index("-----")]
        self.assertIn("Capture:  2010-04-20 10:00:00.000000 to 2010-04-20 10:00:35.912640 UTC (35.913 s), "
                      "22 packets analysed from 4 sources", head)
        self.assertIn("Traffic:  one-way: no packet in the capture answers another one seen in it", head)
        self.assertIn("Limits:   no table limit reached", head)
        dbs = re.findall(r"^Database: (.+): (\d+) signatures$", head, re.M)
        self.assertEqual([d[0] for d in dbs], [T.OWN_DB, "/etc/p0f/p0f.fp"])
        self.assertTrue(all(int(n) > 10 for _, n in dbs), dbs)

    def test_failed_database_is_reported(self):
        out, _ = T.tshark(["-q", "-r", SEED, "-z", "ddi,sources"], extra_opts=["ddi.p0f_db:/nonexistent/p0f.fp"])
        self.assertRegex(out, r"(?m)^Database: /nonexistent/p0f.fp: FAILED: cannot open signature file "
                              r"/nonexistent/p0f.fp")
        self.assertRegex(out, r"(?m)^Database: %s: \d+ signatures$" % re.escape(T.OWN_DB))

    def test_sources_past_the_limit_are_not_counted(self):
        out, _ = T.tshark(["-q", "-r", SEED, "-z", "ddi,sources", "-z", "ddi,tree"],
                          extra_opts=["ddi.max_sources:2"])
        n, rows = parse_sources(out[out.index("ddi per-source report"):])
        # the first two sources in capture order: the seed (frame 1) and the scanner (frame 2)
        self.assertEqual((n, set(rows)), (2, {SEED_SRC, SCAN_SRC}))
        self.assertIn("Limits:   source table full (ddi.max_sources = 2): 13 packets of further sources not "
                      "analysed and not counted here", out)
        self.assertIn("9 packets analysed from 2 sources", out)
        t = parse_tree(out[:out.index("ddi per-source report")])
        self.assertEqual((t[(PKTS,)], t[(SRCS,)]), (9, 2))
        self.assertEqual(t[("packets not analysed (source table full)",)], 13)

    def test_unknown_option_is_refused(self):
        out, err = T.tshark(["-q", "-r", SEED, "-z", "ddi,sources,xml"], check=False)
        self.assertIn('ddi: unknown option in "-z ddi,sources,xml"', err)
        self.assertNotIn("per-source report", out)
        self.assertNotIn("{", out)

    def test_two_trees_count_apart(self):
        out = run(SEED, "ddi,tree")
        both, _ = T.tshark(["-q", "-r", SEED, "-z", "ddi,tree", "-z", "ddi,tree,ip.src==%s" % SEED_SRC])
        counts = re.findall(r"(?m)^(ddi packets|ddi sources)\s+(\d+)", both)
        self.assertEqual(sorted(counts), sorted([("ddi packets", "22"), ("ddi sources", "4"),
                                                 ("ddi packets", "2"), ("ddi sources", "1")]))
        self.assertEqual(parse_tree(out)[(SRCS,)], 4)

    def test_sorted_by_count_without_empty_columns(self):
        out = run(SEED, "ddi,tree")
        header = [ln for ln in out.splitlines() if ln.startswith("Topic / Item")][0]
        self.assertNotIn("Burst", header)
        t = parse_tree(out)
        for path in ((PKTS,), (SRCS,), (PKTS, DPORT), (SRCS, DPORT), (PKTS, RETRY)):
            vals = list(children(t, *path).values())
            self.assertEqual(vals, sorted(vals, reverse=True), path)
        self.assertEqual(list(children(t, PKTS, DPORT))[:2], ["tcp/445", "tcp/23"])


class CorpusReport(unittest.TestCase):
    """Whole-source report lines on real captures."""

    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_answered_connections_are_not_stateless(self):
        # a Windows 10 SMB session: every SYN was answered, so nothing shows
        # whether the stacks would have retransmitted
        out = run(T.corpus("arkime__wireshark-smb-on-windows10.pcap"), "ddi,sources")
        self.assertIn("Traffic:  two-way from frame 2 (0.000 s into the capture)", out)
        self.assertIn("          2 sources got answers to their SYNs", out)
        _, rows = parse_sources(out)
        for src in ("192.168.199.133", "192.168.199.132"):
            self.assertTrue(rows[src]["Sender"].startswith("undetermined (some of its SYNs were answered"),
                            rows[src]["Sender"])
        self.assertFalse(any("stateless" in r.get("Sender", "") + r["Verdict"] for r in rows.values()))

    def test_scanner_answered_is_not_stateless(self):
        # nmap -sS: its kernel resets every SYN-ACK (seq = ISN + 1), so the
        # probes were answered and their lack of retries says nothing
        _, rows = parse_sources(run(T.corpus("probing__nmap.pcapng"), "ddi,sources"))
        r = rows["192.168.181.140"]
        self.assertIn("nmap SYN scan", r["Tool"])
        self.assertTrue(r["Sender"].startswith("undetermined (some of its SYNs were answered"), r["Sender"])
        self.assertFalse(any(x.get("Sender", "").startswith("stateless") for x in rows.values()))

    def test_tool_sources_say_so_in_the_verdict(self):
        _, rows = parse_sources(run(T.corpus("probing__hping3.pcapng"), "ddi,sources"))
        tools = {s: r for s, r in rows.items() if "Tool" in r}
        self.assertGreaterEqual(len(tools), 3)
        for src, r in tools.items():
            self.assertNotEqual(r["Verdict"], "nothing notable", src)
            for tool in r["Tool"].split(", "):
                self.assertIn(tool, r["Verdict"], src)


class CorpusStats(unittest.TestCase):
    """Counts from /work/shared/captures/MANIFEST.md."""

    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_backscatter_reflection(self):
        cap = T.corpus("stopddos__amp.TCP.reflection.SYNACK.pcap")
        t = parse_tree(run(cap, "ddi,tree"))
        bs_pkts, bs_srcs = children(t, PKTS, BS), children(t, SRCS, BS)
        # MANIFEST: 6651 SYN-ACKs from 6035 reflectors; 1018 RST / RST-ACK;
        # 153 ICMP errors, 139 of them quoting the spoofed SYN
        self.assertEqual(bs_pkts["SYN-ACK"], 6651)
        self.assertEqual(bs_srcs["SYN-ACK"], 6035)
        self.assertEqual(bs_pkts.get("RST", 0) + bs_pkts.get("RST-ACK", 0), 1018)
        self.assertGreaterEqual(bs_pkts.get("ICMP unreachable", 0), 139)
        self.assertLessEqual(bs_pkts.get("ICMP unreachable", 0), 153)
        self.assertEqual(children(t, PKTS, TOOL), {})
        n, rows = parse_sources(run(cap, "ddi,sources"))
        self.assertEqual(n, len(rows))
        self.assertEqual(n, t[(SRCS,)])
        self.assertEqual(sum(r["packets"] for r in rows.values()), t[(PKTS,)])
        self.assertGreaterEqual(sum(1 for r in rows.values() if r.get("Backscat", "").startswith("SYN-ACK x")), 5900)

    def test_single_scanners(self):
        for name, tool, pkts in (("probing__zmap_tcp_5k.pcapng", "ZMap", 5000),
                                 ("probing__masscan_5k.pcapng", "masscan", 4989)):
            cap = T.corpus(name)
            t = parse_tree(run(cap, "ddi,tree"))
            self.assertEqual(t[(SRCS,)], 1, name)  # captured at the scanner: one source
            self.assertEqual(children(t, SRCS, TOOL), {tool: 1}, name)
            self.assertEqual(children(t, PKTS, TOOL), {tool: pkts}, name)
            n, rows = parse_sources(run(cap, "ddi,sources"))
            self.assertEqual(n, 1)
            (r,) = rows.values()
            self.assertEqual(r["Tool"], tool)
            self.assertTrue(r["Conficker-style"].startswith("no ("), r["Conficker-style"])
            self.assertTrue(r["Verdict"].startswith(tool), r["Verdict"])


if __name__ == "__main__":
    T.main()
