"""NAT, OS, tool and link claims that agree with ddi's own findings (issue 13
item 2), over every capture in captures/ and the shared corpus, plus the
cases that once contradicted themselves.

Each NAT kind rests on something ddi shows beside it on the same packet:
IP-ID sequences on a counter class, port/TTL/several-OS evidence on an exact
or generic OS match; a tool's packet carries no NAT, no OS and no link.
"""
import glob
import os
import re
import struct
import tempfile
import unittest

import ddi_tshark as T

F = ["frame.number", "ip.src", "ipv6.src", "ip.ttl", "ipv6.hlim", "tcp.srcport", "tcp.dstport", "ddi.ipid.class",
     "ddi.os", "ddi.os.family", "ddi.os.match", "ddi.os.evidence", "ddi.tool", "ddi.tool.evidence", "ddi.nat",
     "ddi.nat.kind", "ddi.nat.reason", "ddi.mss", "ddi.mss.link", "ddi.mss.pppoe", "ddi.verdict", "ddi.retry.backoff"]
COUNTER = {"global counter", "byte-swapped counter"}
CONFIDENT = {"exact", "generic"}
# Wireshark's IANA port list: a file up to 4.2, compiled into libwireshark from
# 4.4 on; there netbase's /etc/services (fewer ports) has to do
SERVICES = next((p for p in ("/usr/share/wireshark/services", "/etc/services") if os.path.exists(p)),
                "/usr/share/wireshark/services")


def rows_of(capture, two_pass=True):
    """Every occurrence of a field joined by '|'."""
    rows = T.fields(capture, F, two_pass=two_pass, aggregator="|")
    for r in rows:
        r["src"] = r["ip.src"].split("|")[-1] or r["ipv6.src"].split("|")[-1]
        r["kinds"] = set(k for k in r["ddi.nat.kind"].split("|") if k)
    return rows


def corpus():
    caps = sorted(glob.glob(os.path.join(T.CAPTURES, "*.pcap*")))
    caps += sorted(glob.glob(os.path.join(T.CORPUS, "*.pcap*")))
    caps += sorted(glob.glob(os.path.join(T.CORPUS, "robustness", "*.pcap*")))
    return caps


def registered_tcp_ports():
    ports = set()
    for line in open(SERVICES, encoding="utf-8", errors="replace"):
        f = line.split("#", 1)[0].split()
        m = len(f) >= 2 and re.fullmatch(r"(\d+)(?:-(\d+))?/([a-z/]+)", f[1])
        if m and "tcp" in m.group(3).split("/"):
            ports.update(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))
    return ports


# ------------------------------------------------------------ crafted frames

def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def _ip4(src, dst, proto, payload, ttl=64, df=True, ident=1):
    a = bytes(int(x) for x in src.split(".")) + bytes(int(x) for x in dst.split("."))
    h = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(payload), ident, 0x4000 if df else 0, ttl, proto, 0) + a
    return h[:10] + struct.pack("!H", _csum(h)) + h[12:] + payload


def _syn(sport, dport, mss, seq=1):
    # Linux order: mss, sackOK, timestamps, nop, wscale 7; window 64240
    opts = struct.pack("!BBH", 2, 4, mss) + b"\x04\x02" + struct.pack("!BBII", 8, 10, 12345, 0) + b"\x01\x03\x03\x07"
    win = 65535 // mss * mss  # Linux >= 4.20: ~64 KB rounded down to a multiple of its own MSS
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (20 + len(opts)) // 4 << 4, 0x02, win, 0, 0) + opts


def _eth(payload, ethertype=0x0800):
    return b"\x00\x00\x5e\x00\x53\x02\x00\x00\x5e\x00\x53\x01" + struct.pack("!H", ethertype) + payload


def _udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def encap_capture(path):
    """SYNs with MSS 1410 (MTU 1450) inside VXLAN, and the same SYN on plain
    Ethernet; an MSS 1436 SYN inside GRE (MTU 1476)."""
    vx_inner = _eth(_ip4("203.0.113.77", "198.51.100.9", 6, _syn(40001, 443, 1410), ttl=64))
    vxlan = _eth(_ip4("192.0.2.1", "192.0.2.2", 17,
                      _udp(49153, 4789, struct.pack("!II", 0x08000000, 0x00123400) + vx_inner), df=False))
    plain = _eth(_ip4("203.0.113.78", "198.51.100.9", 6, _syn(40002, 443, 1410), ttl=64))
    gre = _eth(_ip4("192.0.2.1", "192.0.2.2", 47,
                    struct.pack("!HH", 0, 0x0800) + _ip4("203.0.113.79", "198.51.100.9", 6, _syn(40003, 443, 1436))))
    frames = [vxlan, plain, gre]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr)


class Consistency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(T.CORPUS):
            raise unittest.SkipTest("corpus folder %s not found: corpus test skipped" % T.CORPUS_SOURCE)
        T.require_plugin(cls)
        cls.caps = {os.path.basename(c): rows_of(c) for c in corpus()}
        cls.registered = registered_tcp_ports()

    def nat_rows(self):
        for cap, rows in self.caps.items():
            for r in rows:
                if r["ddi.nat"] == T.BOOL_TRUE:
                    yield cap, r

    def test_corpus_is_there(self):
        self.assertGreaterEqual(len(self.caps), 30)

    def test_every_nat_claim_rests_on_what_ddi_shows_beside_it(self):
        n = 0
        for cap, r in self.nat_rows():
            n += 1
            where = "%s frame %s (%s): %s" % (cap, r["frame.number"], r["src"], r["ddi.nat.reason"])
            self.assertTrue(r["kinds"], where)
            self.assertEqual(r["ddi.tool"], "", "a tool's packet carries no NAT claim: " + where)
            if "IP-ID sequences" in r["kinds"]:
                self.assertIn(r["ddi.ipid.class"], COUNTER, where)
            if r["kinds"] & {"source port", "TTL", "several OS"}:
                self.assertIn(r["ddi.os.match"], CONFIDENT, where)
                self.assertNotEqual(r["ddi.os.family"], "userland tool", where)
            if "source port" in r["kinds"]:
                sport, dport = int(r["tcp.srcport"]), int(r["tcp.dstport"])
                self.assertGreater(sport, 1023, where)
                self.assertNotEqual(sport, dport, where)
                self.assertNotIn(sport, self.registered, where)
                self.assertIn("source port %d" % sport, r["ddi.nat.reason"], where)
        self.assertGreater(n, 0, "the corpus has true NAT claims (seed, netns-stacks 203.0.113.11)")

    def test_stated_ttl_values_agree(self):
        """'TTL t -> initial i, h hops': i - t == h, and t is the packet's TTL."""
        pat = re.compile(r"TTL (\d+) -> initial (\d+), (-?\d+) hops?")
        n = 0
        for cap, rows in self.caps.items():
            for r in rows:
                m = pat.search(r["ddi.os.evidence"])
                if not m:
                    continue
                n += 1
                ttl, ittl, hops = map(int, m.groups())
                where = "%s frame %s: %s" % (cap, r["frame.number"], m.group(0))
                self.assertEqual(ittl - ttl, hops, where)
                self.assertGreaterEqual(ittl, ttl, where)
                wire = (r["ip.ttl"] + "|" + r["ipv6.hlim"]).split("|")
                self.assertIn(str(ttl), wire, where)
        self.assertGreater(n, 100)
        for cap, r in self.nat_rows():
            self.assertNotRegex(r["ddi.nat.reason"], r"TTL \d+ is \d+ hops below", cap)

    def test_tool_packets_get_no_os_no_link_no_nat(self):
        n = 0
        for cap, rows in self.caps.items():
            for r in rows:
                if not r["ddi.tool"]:
                    continue
                n += 1
                where = "%s frame %s (%s, %s)" % (cap, r["frame.number"], r["src"], r["ddi.tool"])
                self.assertEqual(r["ddi.os"], "", where)
                self.assertEqual(r["ddi.mss.link"], "", where)
                self.assertEqual(r["ddi.nat"], "", where)
        self.assertGreater(n, 10000)

    def test_ipv6_evidence_cites_no_ipv4_bits(self):
        n = 0
        for cap, rows in self.caps.items():
            for r in rows:
                if r["ip.src"] or not r["ipv6.src"]:
                    continue
                n += 1
                for f in ("ddi.tool.evidence", "ddi.os.evidence", "ddi.nat.reason"):
                    self.assertNotRegex(r[f], r"\bDF (set|clear)\b", "%s frame %s %s" % (cap, r["frame.number"], f))
        self.assertGreater(n, 100)

    def src_rows(self, cap, src):
        rows = [r for r in self.caps[cap] if r["src"] == src]
        self.assertTrue(rows, (cap, src))
        return rows

    def test_phones_and_responders_are_no_nat(self):
        # Android (per-connection and random IDs): Bellovin's sequences are sockets, not hosts
        for cap in ("ndpi__android.pcap", "ndpi__googledns_android10.pcap", "zeek__pppoe-over-qinq.pcap"):
            for r in self.caps[cap]:
                self.assertNotIn("IP-ID sequences", r["kinds"], (cap, r["frame.number"], r["ddi.ipid.class"]))

    def test_sip_port_is_no_nat(self):
        rows = [r for r in self.caps["arkime__gtp-iphone.pcap"] if r["tcp.srcport"] == "5060"]
        self.assertTrue(rows)
        for r in rows:
            self.assertNotIn("source port", r["kinds"])

    def test_cisco_router_is_not_linux_behind_nat(self):
        syns = [r for r in self.src_rows("zeek__mixed-vlan-mpls.pcap", "10.1.2.1") if r["ddi.os.evidence"]]
        self.assertTrue(syns)
        for r in syns:
            self.assertNotIn("Linux", r["ddi.os"])
            self.assertEqual(r["ddi.nat"], "")
            # MSS 536: no PMTU information, not the MPLS labels of the frame
            self.assertIn("576", r["ddi.verdict"])
            self.assertNotIn("MPLS", r["ddi.mss.link"])

    def test_true_nat_claims_stay(self):
        seed = self.src_rows("seed-conficker.pcapng", "114.124.162.72")
        self.assertEqual([r["kinds"] for r in seed], [{"source port"}] * 2)
        self.assertIn("source port 21269", seed[0]["ddi.nat.reason"])
        natted = self.src_rows("netns-stacks.pcapng", "203.0.113.11")
        syns = [r for r in natted if r["ddi.os.evidence"]]
        self.assertTrue(all(r["ddi.nat"] for r in syns))

    def test_os_label_agrees_with_the_retry_schedule(self):
        """Linear SYN backoff dates Linux >= 6.5; a label whose versions stop
        earlier would contradict the ddi.retry.backoff beside it."""
        n = 0
        for cap, rows in self.caps.items():
            for r in rows:
                if r["ddi.os.family"] != "Linux" or not r["ddi.retry.backoff"].startswith("constant"):
                    continue
                n += 1
                label = r["ddi.os"]
                where = "%s frame %s: %s beside %s" % (cap, r["frame.number"], label, r["ddi.retry.backoff"])
                ok = label in ("Linux", "Linux >= 6.5") or "and newer" in label or "Android" in label
                self.assertTrue(ok, where)
                self.assertNotRegex(label, r"\b[23]\.[0-9x]+(\.x)?(-[23]\.[0-9x]+)?$", where)
        self.assertGreater(n, 0)
        # the Linux 6.18 hosts of netns-stacks.pcapng (MANIFEST: tcp_syn_linear_timeouts=4)
        rows = self.src_rows("netns-stacks.pcapng", "203.0.113.10")
        dated = [r for r in rows if r["ddi.retry.backoff"].startswith("constant")]
        self.assertTrue(dated)
        for r in dated:
            self.assertEqual(r["ddi.os"], "Linux >= 6.5")
            self.assertIn("the signature says Linux 2.2.x-3.x", r["ddi.os.evidence"])

    def test_constant_ttl_is_no_nmap(self):
        """nmap draws a TTL per probe: the seed's scanner keeps TTL 55."""
        scan = self.src_rows("seed-conficker.pcapng", "203.0.113.30")
        self.assertEqual(len({r["ip.ttl"] for r in scan}), 1)
        self.assertEqual([r["ddi.tool"] for r in scan], ["nmap SYN scan"] * 2 + ["crafted SYN"] * 5)
        self.assertIn("TTL 55 on every one", scan[-1]["ddi.tool.evidence"])
        # real nmap scans (TTL drawn anew) stay nmap on every SYN
        for cap, src in (("probing__nmap.pcapng", "192.168.181.140"), ("ndpi__synscan.pcap", "172.16.0.8")):
            tools = {r["ddi.tool"] for r in self.src_rows(cap, src) if r["ddi.tool"]}
            self.assertEqual(tools, {"nmap SYN scan"}, cap)


class Encapsulation(unittest.TestCase):
    """A reduced MSS is first explained by a tunnel in the frame."""

    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.tmp = tempfile.mkdtemp(prefix="ddi-encap-")
        os.chmod(cls.tmp, 0o755)
        cls.path = os.path.join(cls.tmp, "encap.pcap")
        encap_capture(cls.path)
        os.chmod(cls.path, 0o644)
        cls.rows = {r["src"]: r for r in rows_of(cls.path)}

    def test_vxlan_syn_is_not_pppoe(self):
        r = self.rows["203.0.113.77"]
        self.assertEqual(r["ddi.mss"], "1410")
        self.assertIn("VXLAN", r["ddi.mss.link"])
        self.assertEqual(r["ddi.mss.pppoe"], "")
        self.assertIn("MTU 1450, VXLAN in this frame", r["ddi.verdict"])
        self.assertNotIn("PPPoE", r["ddi.verdict"])

    def test_same_syn_without_tunnel_keeps_the_published_reading(self):
        r = self.rows["203.0.113.78"]
        self.assertEqual(r["ddi.mss.pppoe"], T.BOOL_TRUE)
        self.assertIn("PPPoE-sized", r["ddi.verdict"])

    def test_gre(self):
        r = self.rows["203.0.113.79"]
        self.assertIn("GRE", r["ddi.mss.link"])
        self.assertIn("MTU 1476, GRE in this frame", r["ddi.verdict"])


if __name__ == "__main__":
    unittest.main()
