"""Backscatter and two-way traffic over every capture: ddi's claims checked
against an independent reading of what each capture shows.

A SYN-ACK or RST that answers a connection the other side opened earlier in
the same capture is part of an observed exchange, not backscatter; neither is
a host's RST in a connection it took part in before.  This test derives those
facts from the TCP fields tshark prints (addresses, ports, flags), without
ddi's code, and fails when ddi.backscatter appears on such a packet.

Run directly with --counts to print backscatter claim counts per capture.
"""
import glob
import json
import os
import sys
import unittest

import ddi_tshark as T

F = ["frame.number", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
     "tcp.flags", "udp.srcport", "udp.dstport", "ddi.backscatter", "ddi.exchange", "ddi.twoway",
     "ddi.retry.duplicate", "ddi.retry.count", "ddi.backscatter.evidence"]
SYN, ACK, RST = 0x02, 0x10, 0x04
# one-way captures: a telescope's view, or a victim's view of a reflection attack
ONE_WAY = ["netns-backscatter.pcapng", "seed-conficker.pcapng", "stopddos__amp.TCP.reflection.SYNACK.pcap",
           "stopddos__pkt.TCP.synflood.spoofed.pcap"]


# Wireshark's own test captures (test/captures of its source package), where
# the build has them (see DDI_WIRESHARK_TESTS in tests/CMakeLists.txt)
WS_TESTS = os.environ.get("DDI_WIRESHARK_TESTS", os.path.join(T.BUILD, "wireshark-tests"))


def capture_files():
    files = sorted(glob.glob(os.path.join(T.CAPTURES, "*.pcap*")))
    if os.path.isdir(T.CORPUS):
        files += sorted(glob.glob(os.path.join(T.CORPUS, "*.pcap*")))
        files += sorted(glob.glob(os.path.join(T.CORPUS, "robustness", "*.pcap*")))
    ws = os.path.join(WS_TESTS, "captures")
    if os.path.isdir(ws):
        files += sorted(f for f in glob.glob(os.path.join(ws, "*")) if os.path.isfile(f))
    return files


def find(name):
    path = os.path.join(T.CAPTURES, name)
    return path if os.path.exists(path) else T.corpus(name)


def rows_of(path, two_pass=False, names=F):
    """Packets with every occurrence of each field (tunnels and ICMP quotes
    give several addresses; ddi analyses the innermost header)."""
    return T.fields(path, names, two_pass=two_pass, aggregator=",", check=False)


def capture_header(path):
    """The capture line of the JSON report."""
    out, _ = T.tshark(["-r", path, "-q", "-z", "ddi,sources,json"])
    for line in out.splitlines():
        if line.startswith("{"):
            obj = json.loads(line)
            if "capture" in obj:
                return obj["capture"]
    raise AssertionError("no capture header in the JSON report of %s" % path)


def flow(r):
    """(proto, src, sport, dst, dport, tcp flags) of a TCP or UDP packet whose
    innermost IP header carries it directly (no ICMP quote), else None."""
    protos = [p for p in r["frame.protocols"].split(":") if not p.startswith("ipv6.")]
    if "icmp" in protos or "icmpv6" in protos:
        return None
    ips = [i for i, p in enumerate(protos) if p in ("ip", "ipv6")]
    if not ips or ips[-1] + 1 >= len(protos):
        return None
    fam, l4 = protos[ips[-1]], protos[ips[-1] + 1]
    if l4 not in ("tcp", "udp"):
        return None
    src, dst = r[fam + ".src"].split(","), r[fam + ".dst"].split(",")
    try:
        sport = int(r[l4 + ".srcport"].split(",")[-1])
        dport = int(r[l4 + ".dstport"].split(",")[-1])
        flags = int(r["tcp.flags"].split(",")[-1], 16) if l4 == "tcp" else 0
    except ValueError:
        return None
    return l4, src[-1], sport, dst[-1], dport, flags


def exchange_replies(rows):
    """Frame numbers of SYN-ACKs and RSTs that answer a connection the other
    side opened earlier (a SYN from the replier's peer to the replier), or
    that a host sent in a connection it had already sent other packets in."""
    opened, sent, out = set(), set(), {}
    for r in rows:
        e = flow(r)
        if not e or e[0] != "tcp":
            continue
        _, src, sport, dst, dport, flags = e
        synack = flags & SYN and flags & ACK and not flags & RST
        rst = flags & RST and not flags & SYN
        if synack or rst:
            if (dst, dport, src, sport) in opened:
                out[r["frame.number"]] = "answers a SYN from %s:%d" % (dst, dport)
            elif rst and (src, sport, dst, dport) in sent:
                out[r["frame.number"]] = "RST in %s's own connection" % src
        else:
            sent.add((src, sport, dst, dport))
        if flags & SYN and not flags & ACK:
            opened.add((src, sport, dst, dport))
    return out


def first_answer(rows):
    """First frame that is a TCP (other than a SYN) or UDP packet of a flow
    whose reverse direction was sent earlier: the other side talks back."""
    sent = set()
    for r in rows:
        e = flow(r)
        if not e:
            continue
        l4, src, sport, dst, dport, flags = e
        if (l4 == "udp" or not (flags & SYN and not flags & ACK)) and (l4, dst, dport, src, sport) in sent:
            return int(r["frame.number"])
        sent.add((l4, src, sport, dst, dport))
    return None


class TwoWay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)
        cls.rows = {path: rows_of(path) for path in capture_files()}

    def test_no_backscatter_on_seen_exchanges(self):
        if not os.path.isdir(T.CORPUS):
            self.skipTest("corpus folder %s not found: corpus test skipped" % T.CORPUS_SOURCE)
        self.assertGreater(len(self.rows), 5)
        checked = 0
        for path, rows in self.rows.items():
            replies = exchange_replies(rows)
            checked += len(replies)
            with self.subTest(capture=os.path.basename(path)):
                bad = ["frame %s (%s): %s" % (r["frame.number"], replies[r["frame.number"]], r["ddi.backscatter"])
                       for r in rows if r["frame.number"] in replies and r["ddi.backscatter"]]
                self.assertEqual(bad[:5], [], "%d backscatter claims on observed exchanges" % len(bad))
                # every such reply that ddi analysed says what it answers
                said = [r for r in rows if r["frame.number"] in replies and r["ddi.exchange"]]
                self.assertLessEqual(len(said), len(replies))
        # the corpus has such replies in quantity: the check is not vacuous
        self.assertGreater(checked, 400)

    def test_two_way_said_once_where_evident(self):
        if not os.path.isdir(T.CORPUS):
            self.skipTest("corpus folder %s not found: corpus test skipped" % T.CORPUS_SOURCE)
        two_way = 0
        for path, rows in self.rows.items():
            name = os.path.basename(path)
            marked = [int(r["frame.number"]) for r in rows if r["ddi.twoway"]]
            first = first_answer(rows)
            with self.subTest(capture=name):
                self.assertLessEqual(len(marked), 1, marked)
                if first is not None:
                    # ddi says it no later than a TCP/UDP answer shows it
                    self.assertEqual(len(marked), 1, "two-way from frame %d, not recognised" % first)
                    two_way += 1
                if marked and marked[0] != first:
                    # earlier (or only) evidence can only be ICMP: an error
                    # about, or a reply to, a packet seen sent
                    self.assertTrue(first is None or marked[0] < first, (marked, first))
                    protos = rows[marked[0] - 1]["frame.protocols"].split(":")
                    self.assertTrue("icmp" in protos or "icmpv6" in protos, (name, marked[0], protos))
                if name in ONE_WAY:
                    self.assertEqual(marked, [])
        self.assertGreaterEqual(two_way, 20)

    def test_two_way_client_capture(self):
        # an iPhone's own traffic: its DNS query is answered in frame 54, its
        # TCP connections by 11 servers' SYN-ACKs, none of them backscatter
        rows = self.rows.get(find("ndpi__iphone.pcap")) or rows_of(find("ndpi__iphone.pcap"))
        self.assertEqual([r["frame.number"] for r in rows if r["ddi.twoway"]], ["54"])
        synacks = [r for r in rows if r["tcp.flags"] and int(r["tcp.flags"], 16) & (SYN | ACK | RST) == SYN | ACK]
        self.assertEqual(len({r["ip.src"] for r in synacks}), 11)
        for r in synacks:
            self.assertEqual(r["ddi.backscatter"], "")
            self.assertEqual(r["ddi.exchange"], "answers a SYN seen earlier")
        # said once: the report header and one expert note
        cap = capture_header(find("ndpi__iphone.pcap"))
        self.assertIs(cap["two_way"], True)
        self.assertEqual(cap["two_way_frame"], 54)
        out, _ = T.tshark(["-r", find("ndpi__iphone.pcap"), "-q", "-z", "expert"])
        notes = [l for l in out.splitlines() if "Two-way traffic" in l]
        self.assertEqual(len(notes), 1, notes)
        self.assertEqual(notes[0].split()[0], "1")

    def test_one_way_backscatter_kept(self):
        rows = rows_of(find("stopddos__amp.TCP.reflection.SYNACK.pcap"))
        self.assertEqual([r for r in rows if r["ddi.twoway"] or r["ddi.exchange"]], [])
        synacks = [r for r in rows if r["tcp.flags"] == "0x0012"]
        self.assertGreater(len(synacks), 6000)
        self.assertEqual({r["ddi.backscatter"] for r in synacks}, {"SYN-ACK"})
        cap = capture_header(find("stopddos__amp.TCP.reflection.SYNACK.pcap"))
        self.assertIs(cap["two_way"], False)
        self.assertIsNone(cap["two_way_frame"])

    def test_duplicates_are_no_retries(self):
        # a spoofed flood sends some SYNs twice, 20-40 ms apart (MANIFEST: 172)
        rows = rows_of(find("stopddos__pkt.TCP.synflood.spoofed.pcap"))
        dups = [r for r in rows if r["ddi.retry.duplicate"]]
        self.assertEqual(len(dups), 172)
        self.assertEqual({r["ddi.retry.count"] for r in dups}, {""})
        self.assertEqual([r for r in rows if r["ddi.retry.count"] not in ("", "0")], [])

    def test_one_pass_equals_two_pass(self):
        # point-in-time: only what came earlier counts, so -2 shows the same
        names = ["frame.number", "ddi.backscatter", "ddi.exchange", "ddi.twoway", "ddi.retry.duplicate",
                 "ddi.retry.count", "ddi.backscatter.evidence"]
        for path in capture_files():
            with self.subTest(capture=os.path.basename(path)):
                one = [{k: r[k] for k in names} for r in self.rows[path]]
                two = rows_of(path, two_pass=True, names=names)
                self.assertEqual(one, two)


def counts(build_dir=None):
    """Backscatter claims per capture: packets, sources, and claims on replies
    within an observed exchange."""
    tot = [0, 0, 0]
    for path in capture_files():
        # only fields every ddi version has, to compare builds
        rows = rows_of(path, names=[n for n in F if not n.startswith("ddi.") or n == "ddi.backscatter"])
        replies = exchange_replies(rows)
        bs = [r for r in rows if r["ddi.backscatter"]]
        srcs = {(r["ip.src"] or r["ipv6.src"]).split(",")[0] for r in bs}
        wrong = sum(1 for r in bs if r["frame.number"] in replies)
        tot[0] += len(bs)
        tot[1] += len(srcs)
        tot[2] += wrong
        print("%-60s bs_pkts %6d bs_srcs %5d on_exchange %6d twoway %s" %
              (os.path.basename(path), len(bs), len(srcs), wrong, "yes" if replies else "no"))
    print("TOTAL bs_pkts %d bs_srcs %d on_exchange %d" % tuple(tot))


if __name__ == "__main__":
    if "--counts" in sys.argv:
        counts()
    else:
        T.main()
