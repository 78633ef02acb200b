"""Every IP-ID rate ddi shows, on every capture we have, is an estimate it can
stand behind (issue 13, "IP-ID rate as an estimate with its basis"):

- it rests on at least 10 samples or at least 0.2 s (ddi.ipid.samples,
  ddi.ipid.span), and is below the 1 GbE line-rate bound;
- it lies within 3x of the source's whole-span average up to that packet:
  the counter's advance from the source's first counted sample (the one
  ddi.ipid.span points back to) to this packet, over the time between them.
  The advance is computed here independently of ddi: the IDs of all the
  source's packets in between (DF packets with ID 0 aside, RFC 6864),
  unwrapped to the nearest step either way, so a reordered or foreign packet
  in between cancels out instead of adding a turn;
- one-pass and two-pass tshark give the same ddi.ipid.* fields on every frame.

Which IP header ddi analysed is read from frame.protocols (the innermost
one, never one quoted inside an ICMP error); ddi.ipid.gap on every frame
cross-checks that this test groups packets exactly as ddi does.
"""
import glob
import os
import unittest
from decimal import Decimal

import ddi_tshark as T

MIN_SPAN, MIN_SAMPLES, MAX_RATE, FACTOR = 0.2, 10, 1488095.0, 3.0
IPID = ["ddi.ipid.class", "ddi.ipid.gap", "ddi.ipid.dt", "ddi.ipid.rate", "ddi.ipid.samples", "ddi.ipid.span",
        "ddi.ipid.norate"]
F = ["frame.number", "frame.time_epoch", "frame.protocols", "ip.src", "ip.id", "ip.flags.df"] + IPID


def all_captures():
    caps = sorted(glob.glob(os.path.join(T.CAPTURES, "*.pcap*")))
    caps += sorted(glob.glob(os.path.join(T.CORPUS, "*.pcap*")))
    caps += sorted(glob.glob(os.path.join(T.CORPUS, "robustness", "*.pcap*")))
    return caps


def rows_of(capture, two_pass=False):
    return T.fields(capture, F, two_pass=two_pass, aggregator="|")


def analysed_ipv4(row):
    """Index among the frame's IPv4 headers of the one ddi analysed, or None
    when that one is IPv6 or there is none."""
    last, n_ip = None, 0
    for layer in row["frame.protocols"].split(":"):
        if layer in ("icmp", "icmpv6"):
            break  # what follows is quoted by the ICMP error
        if layer == "ip":
            last, n_ip = ("ip", n_ip), n_ip + 1
        elif layer == "ipv6":
            last = ("ipv6", None)
    if last is None and row["ip.src"] and "|" not in row["ip.src"] and "icmp" not in row["frame.protocols"]:
        # Wireshark 4.4+ leave the ip layer out of frame.protocols under MPLS
        # ("eth:ethertype:mpls:tcp"), though ip.* fields are there: one header
        return 0
    return last[1] if last and last[0] == "ip" else None


def bswap(v):
    return ((v & 0xff) << 8) | (v >> 8)


def signed(d):
    d &= 0xffff
    return d - 0x10000 if d >= 0x8000 else d


class Checker:
    """Walks one capture's rows; collects violations as strings."""

    def __init__(self, name):
        self.name, self.rates, self.problems = name, 0, []
        self.samples = {}  # source -> [(t_ns, id)] of its counted samples so far

    def row(self, r):
        i = analysed_ipv4(r)
        if i is None:
            if r["ddi.ipid.class"]:
                self.problems.append("%s frame %s: ddi has an IP-ID class but the test found no IPv4 header"
                                     % (self.name, r["frame.number"]))
            return
        ids, srcs, dfs = r["ip.id"].split("|"), r["ip.src"].split("|"), r["ip.flags.df"].split("|")
        if i >= len(ids) or not ids[i] or not r["ddi.ipid.class"]:
            return  # truncated header, or not analysed (table full)
        src, ident, df = srcs[i], int(ids[i], 16), dfs[i] == T.BOOL_TRUE
        t = int(Decimal(r["frame.time_epoch"]) * 1000000000)
        if df and ident == 0:
            return  # RFC 6864: no counter value
        seq = self.samples.setdefault(src, [])
        if r["ddi.ipid.gap"] and (not seq or int(r["ddi.ipid.gap"]) != (ident - seq[-1][1]) & 0xffff):
            self.problems.append("%s frame %s: ddi's gap %s does not follow from the test's grouping"
                                 % (self.name, r["frame.number"], r["ddi.ipid.gap"]))
        seq.append((t, ident))
        if r["ddi.ipid.rate"]:
            self.check_rate(r, src, seq, t)

    def check_rate(self, r, src, seq, t):
        self.rates += 1
        where = "%s frame %s (%s)" % (self.name, r["frame.number"], src)
        rate, norate = float(r["ddi.ipid.rate"]), r["ddi.ipid.norate"]
        if norate or not r["ddi.ipid.samples"] or not r["ddi.ipid.span"]:
            self.problems.append("%s: a rate without its basis, or with a reason for none" % where)
            return
        n, span = int(r["ddi.ipid.samples"]), float(r["ddi.ipid.span"])
        if n < MIN_SAMPLES and span < MIN_SPAN - 1e-6:
            self.problems.append("%s: rate %.3f from %d samples over %.6f s" % (where, rate, n, span))
        if rate > MAX_RATE:
            self.problems.append("%s: rate %.3f above the bound" % (where, rate))
        # the first counted sample: the span points back to it (shown to 1 us)
        start = [k for k, (ts, _) in enumerate(seq) if abs(t - ts - span * 1e9) <= 1000]
        if not start:
            self.problems.append("%s: no sample of this source %.6f s before it" % (where, span))
            return
        k = start[0]
        if len(seq) - k < n:
            self.problems.append("%s: %d samples claimed, %d seen" % (where, n, len(seq) - k))
        swap = r["ddi.ipid.class"].startswith("byte-swapped")
        key = (lambda v: bswap(v)) if swap else (lambda v: v)
        advance = sum(signed(key(b) - key(a)) for (_, a), (_, b) in zip(seq[k:], seq[k + 1:]))
        elapsed = (t - seq[k][0]) / 1e9
        avg = advance / elapsed if elapsed > 0 else float("inf")
        if not (avg > 0 and avg / FACTOR <= rate <= avg * FACTOR):
            self.problems.append("%s: rate %.3f vs whole-span average %.3f (%d over %.6f s, %d samples)"
                                 % (where, rate, avg, advance, elapsed, len(seq) - k))


class IpidRateCorpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(T.CORPUS):
            raise unittest.SkipTest("corpus folder %s not found: corpus test skipped" % T.CORPUS_SOURCE)
        T.require_plugin(cls)
        cls.caps = all_captures()
        cls.one = {c: rows_of(c) for c in cls.caps}

    def test_every_rate_within_3x_of_whole_span_average(self):
        problems, rates, per_capture = [], 0, {}
        for cap, rows in self.one.items():
            chk = Checker(os.path.basename(cap))
            for r in rows:
                chk.row(r)
            problems += chk.problems
            rates += chk.rates
            per_capture[os.path.basename(cap)] = chk.rates
        self.assertEqual(problems[:20], [], "%d problems" % len(problems))
        # the test must have something to check: the seed, and rates beyond it
        self.assertGreaterEqual(per_capture.get("seed-conficker.pcapng", 0), 1)
        if len(self.caps) > 10:
            self.assertGreater(rates, 200)

    def test_one_pass_equals_two_pass(self):
        for cap in self.caps:
            two = rows_of(cap, two_pass=True)
            one = self.one[cap]
            self.assertEqual(len(one), len(two), cap)
            for a, b in zip(one, two):
                for f in IPID:
                    if a[f] != b[f]:
                        self.fail("%s frame %s: %s is %r in one pass, %r in two"
                                  % (os.path.basename(cap), a["frame.number"], f, a[f], b[f]))

    def test_no_rate_from_too_little(self):
        """Where there is no rate, the reason is given with its basis."""
        seen = 0
        for cap, rows in self.one.items():
            for r in rows:
                why = r["ddi.ipid.norate"]
                if why.endswith("(needs >= 0.2 s or >= 10 samples)"):
                    seen += 1
                    n, span = int(r["ddi.ipid.samples"]), float(r["ddi.ipid.span"])
                    self.assertTrue(n < MIN_SAMPLES and span < MIN_SPAN, (cap, r["frame.number"]))
                    self.assertTrue(why.startswith("%d sample" % n), why)
                    self.assertEqual(r["ddi.ipid.rate"], "")
        self.assertGreater(seen, 0)


class SeedRate(unittest.TestCase):
    """The published reading: ~23.2 packets/s from 2 samples over 2.97 s."""

    @classmethod
    def setUpClass(cls):
        T.require_plugin(cls)

    def test_seed_basis(self):
        rows = T.fields(os.path.join(T.CAPTURES, "seed-conficker.pcapng"),
                        ["frame.number", "ddi.ipid.rate", "ddi.ipid.samples", "ddi.ipid.span", "ddi.verdict"],
                        display_filter="ip.src==114.124.162.72")
        second = rows[1]
        self.assertEqual(second["frame.number"], "3")
        self.assertAlmostEqual(float(second["ddi.ipid.rate"]), 69 / 2.968866, places=3)
        self.assertEqual(second["ddi.ipid.samples"], "2")
        self.assertAlmostEqual(float(second["ddi.ipid.span"]), 2.968866, places=6)
        self.assertIn("sends ~23.2 packets/s in all (IP-ID, over 2.97 s, 2 samples)", second["ddi.verdict"])


if __name__ == "__main__":
    T.main()
