"""Telescope per-source features and the spoofed-source likelihood (issue 12
item 6) on real captures, checked against what Wireshark's own dissectors
show in the same capture, and equal in the plugin and in ddi-read.

stopddos__pkt.TCP.synflood.spoofed.pcap (corpus MANIFEST): a randomly spoofed
SYN flood on 10.10.10.10:25565, 37623 sources of one or two 40-byte SYNs with
TTL 242 or 244, ~23000 of them in the first second.  Every source should be a
"likely" spoofed one (TTL >= 200 that no scanner explains, one of a random-
source flood), and the ones ending in .0 or .255 say so too.  The scanner
captures (masscan, ZMap: TTL 255 initial) are the negatives: explained.
"""
import collections
import json
import os
import subprocess
import unittest

import ddi_tshark as T

READER = os.path.join(T.BUILD, "ddi-read")
FLOOD = "stopddos__pkt.TCP.synflood.spoofed.pcap"


def plugin_json(path):
    out, _ = T.tshark(["-q", "-r", path, "-z", "ddi,sources,json"])
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {r["src"]: r for r in rows[1:]}


def reader_json(path):
    cmd = [READER, "--own-db", T.OWN_DB, "-q", path]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    return {r["src"]: r for r in rows[1:]}


def capture_facts(path):
    """Per IPv4 source, from Wireshark's dissectors alone: packets, sum of
    ip.len, TTLs, (destination, TCP destination port) pairs."""
    rows = T.fields(path, ["ip.src", "ip.dst", "ip.len", "ip.ttl", "tcp.dstport"])
    facts = collections.defaultdict(lambda: {"packets": 0, "bytes": 0, "ttls": set(), "targets": collections.Counter()})
    for r in rows:
        if not r["ip.src"]:
            continue
        f = facts[r["ip.src"]]
        f["packets"] += 1
        f["bytes"] += int(r["ip.len"])
        f["ttls"].add(int(r["ip.ttl"]))
        f["targets"][(r["ip.dst"], int(r["tcp.dstport"] or -1))] += 1
    return facts


class Telescope(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        if not os.access(READER, os.X_OK):
            raise unittest.SkipTest("ddi-read not built in %s (libpcap missing?)" % T.BUILD)

    def test_spoofed_flood_against_the_capture(self):
        path = T.corpus(FLOOD)
        facts = capture_facts(path)
        rows = plugin_json(path)
        # what the capture shows (MANIFEST): 37623 sources, one target, TTL 242/244
        self.assertEqual(len(facts), 37623)
        self.assertEqual(set(rows), set(facts))
        targets = {t for f in facts.values() for t in f["targets"]}
        self.assertEqual(targets, {("10.10.10.10", 25565)})
        edge = 0
        for src, f in facts.items():
            r = rows[src]
            self.assertEqual(r["packets"], f["packets"], src)
            self.assertEqual(r["bytes"], f["bytes"], src)
            self.assertEqual(r["ttls"], sorted(f["ttls"]), src)
            self.assertTrue(r["ttls_complete"])
            self.assertEqual(r["ports_top"], [{"port": 25565, "packets": f["packets"]}], src)
            self.assertTrue(r["ports_top_exact"])
            self.assertEqual((r["dst_prefixes24"], r["dst_prefixes24_at_least"]), (1, False))
            self.assertIsNone(r["dst_prefixes48"])
            # never "certain": the strongest word is "likely"
            self.assertEqual(r["spoof"], "likely", src)
            want = ["ttl>=200"]
            if src.endswith(".0") or src.endswith(".255"):
                want.append("src-last-octet-0-or-255")
                edge += 1
            want.append("random-source-flood")
            self.assertEqual(r["spoof_reasons"], want, src)
            self.assertIn("source address likely spoofed", r["verdict"])
        self.assertEqual(edge, 273)  # counted from the capture's addresses above
        self.assertEqual(sum(f["bytes"] for f in facts.values()), 37841 * 40)

    def test_spoofed_flood_text_report(self):
        path = T.corpus(FLOOD)
        out, _ = T.tshark(["-q", "-r", path, "-z", "ddi,sources"])
        self.assertEqual(out.count("    Spoofed:  likely (TTL >= 200"), 37623)
        self.assertEqual(out.count("one of >= 100 sources that each sent <= 3 packets to one destination and port"),
                         37623)
        self.assertIn("    Features: 80 bytes, 1 destination /24; top ports 25565 x2; TTLs 244\n", out)

    def test_packet_field(self):
        """ddi.spoof / ddi.spoof.reason from the packet alone: every SYN of the
        flood has TTL 242/244, so "possible"; the ones from .0/.255 sources
        "likely", with both reasons.  The seed's packets have none."""
        path = T.corpus(FLOOD)
        rows = T.fields(path, ["ip.src", "ip.ttl", "ddi.spoof", "ddi.spoof.reason"], aggregator="|")
        self.assertEqual(len(rows), 37841)
        for r in rows:
            edge = r["ip.src"].endswith(".0") or r["ip.src"].endswith(".255")
            self.assertGreaterEqual(int(r["ip.ttl"]), 200)
            self.assertEqual(r["ddi.spoof"], "likely" if edge else "possible", r["ip.src"])
            reasons = r["ddi.spoof.reason"].split("|")
            self.assertEqual(len(reasons), 2 if edge else 1)
            self.assertTrue(reasons[0].startswith("TTL >= 200"))
        seed = T.fields(os.path.join(T.CAPTURES, "seed-conficker.pcapng"), ["frame.number", "ddi.spoof"])
        self.assertTrue(seed)
        self.assertEqual({r["ddi.spoof"] for r in seed}, {""})

    def test_reader_equals_plugin_on_the_features(self):
        keys = ["bytes", "dst_prefixes24", "dst_prefixes24_at_least", "dst_prefixes48", "dst_prefixes48_at_least",
                "ports_top", "ports_top_exact", "ttls", "ttls_complete", "spoof", "spoof_reasons"]
        for name in (FLOOD, "probing__masscan_5k.pcapng", "arkime__v6.pcap"):
            with self.subTest(capture=name):
                path = T.corpus(name)
                a, b = plugin_json(path), reader_json(path)
                self.assertEqual(set(a), set(b))
                for src in a:
                    self.assertEqual({k: a[src][k] for k in keys}, {k: b[src][k] for k in keys}, src)

    def test_scanners_with_ttl_255_are_explained(self):
        """masscan and ZMap send TTL 255 (templ-pkt.c, make_ip_header): at the
        scanner the capture shows 255, and nothing says spoofed."""
        for name, tool in (("probing__masscan_5k.pcapng", "masscan"), ("probing__zmap_tcp_5k.pcapng", "ZMap")):
            with self.subTest(capture=name):
                path = T.corpus(name)
                facts = capture_facts(path)
                rows = plugin_json(path)
                scanner = max(facts, key=lambda s: facts[s]["packets"])
                self.assertIn(255, facts[scanner]["ttls"])
                r = rows[scanner]
                self.assertIn(tool, r["tools"])
                self.assertEqual((r["spoof"], r["spoof_reasons"]), ("unlikely", []))
                self.assertEqual(r["bytes"], facts[scanner]["bytes"])
                self.assertEqual(r["ttls"], sorted(facts[scanner]["ttls"]))

    def test_no_spoofing_claim_the_capture_refutes(self):
        """A source that sent into a TCP or UDP conversation after the other
        side had sent to it there (an ACK after a SYN-ACK, data, a DNS or
        HTTP answer) received those packets: its address is its own, whatever
        its TTL (Cisco's and other network gear's 255) or its last byte (.0 in
        a network larger than /24).  Conversations are Wireshark's own
        (tcp.stream, udp.stream); sources of the other direction alone keep
        their hedged claim."""
        names = ["arkime__gtp-iphone.pcap", "arkime__v6.pcap", "ndpi__android.pcap", "ndpi__iphone.pcap",
                 "ndpi__tcp_scan.pcapng", "zeek__mixed-vlan-mpls.pcap", "zeek__nmap-vsn.pcap",
                 "zeek__pppoe-over-qinq.pcap", "sv__bug-4810_pppoe-session-http.pcap"]
        cols = ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.stream", "udp.stream", "tcp.flags.syn",
                "tcp.flags.ack", "tcp.flags.reset"]
        answered_all, claims = set(), {}
        for name in names:
            with self.subTest(capture=name):
                path = T.corpus(name)
                answered, sent_to = set(), set()
                for r in T.fields(path, cols, aggregator="|"):
                    last = {k: r[k].split("|")[-1] for k in cols}
                    # the analysed header is the innermost: IPv6 inside an IPv4 tunnel (GTP) when both
                    src, dst = (last["ipv6.src"], last["ipv6.dst"]) if last["ipv6.src"] else (last["ip.src"], last["ip.dst"])
                    conv = ("tcp", last["tcp.stream"]) if last["tcp.stream"] else \
                        ("udp", last["udp.stream"]) if last["udp.stream"] else None
                    if not src or not conv:
                        continue
                    opens = last["tcp.flags.syn"] in ("1", "True") and last["tcp.flags.ack"] not in ("1", "True")
                    if (conv, src) in sent_to and not opens:
                        answered.add(src)
                    sent_to.add((conv, dst))
                rows = reader_json(path)
                for src in answered:
                    if src in rows:
                        self.assertEqual((rows[src]["spoof"], rows[src]["spoof_reasons"]), ("unlikely", []), src)
                answered_all |= {(name, s) for s in answered}
                claims.update({(name, s): (r["spoof"], r["spoof_reasons"]) for s, r in rows.items()})
        # the sources that carried a claim before it was checked against the other direction
        for case in (("zeek__pppoe-over-qinq.pcap", "2.2.2.2"), ("sv__bug-4810_pppoe-session-http.pcap", "10.100.0.0"),
                     ("zeek__nmap-vsn.pcap", "192.168.1.71"), ("ndpi__tcp_scan.pcapng", "192.168.1.178")):
            if os.path.exists(os.path.join(T.CORPUS, case[0])):
                self.assertIn(case, answered_all)
        # a Cisco-like telnet client whose peer's packets are not in the capture: nothing refutes TTL 255
        if ("zeek__mixed-vlan-mpls.pcap", "10.1.2.1") in claims:
            self.assertNotIn(("zeek__mixed-vlan-mpls.pcap", "10.1.2.1"), answered_all)
            self.assertEqual(claims[("zeek__mixed-vlan-mpls.pcap", "10.1.2.1")], ("possible", ["ttl>=200"]))

    def test_seed_sources_unlikely(self):
        rows = plugin_json(os.path.join(T.CAPTURES, "seed-conficker.pcapng"))
        self.assertTrue(rows)
        for src, r in rows.items():
            self.assertEqual((r["spoof"], r["spoof_reasons"]), ("unlikely", []), src)
        self.assertEqual(rows["114.124.162.72"]["ports_top"], [{"port": 445, "packets": 2}])


if __name__ == "__main__":
    T.main()
