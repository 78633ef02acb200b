#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ddi capture recorder -- summarise the recorded captures per source address
# with tshark field dumps, so a re-recording can be checked against
# MANIFEST.tsv by eye (and the facts quoted in README.md re-derived).
#
#   captures/record/verify.py [captures/netns-*.pcapng ...]
#
# Needs only tshark.  Prints, per ip.src: packet count, TTL/DF/window/TCP
# option sets, IP-ID behaviour (constant? zmap 54321? masscan formula
# (dst ^ dport ^ seq) & 0xffff? +1 per retransmission?), source-port
# behaviour, SYN retransmission times per flow, ICMP types.

import collections
import glob
import ipaddress
import os
import subprocess
import sys

FIELDS = ["frame.time_relative", "ip.src", "ip.dst", "ip.id", "ip.ttl",
          "ip.flags.df", "ip.proto", "tcp.srcport", "tcp.dstport",
          "tcp.flags", "tcp.window_size_value", "tcp.options", "tcp.seq_raw",
          "tcp.ack_raw", "icmp.type", "icmp.code", "udp.dstport"]


def dump(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        yield dict(zip(FIELDS, line.split("\t")))


def short(s, n=6):
    s = sorted(s)
    return ", ".join(s[:n]) + (" ... (%d)" % len(s) if len(s) > n else "")


def summarise(path):
    by_src = collections.OrderedDict()
    for p in dump(path):
        by_src.setdefault(p["ip.src"], []).append(p)
    print("=" * 78)
    print("%s: %d packets, %d bytes" % (path, sum(map(len, by_src.values())),
                                        os.path.getsize(path)))
    for src in sorted(by_src, key=lambda a: ipaddress.ip_address(a)):
        pk = by_src[src]
        print("-- %s: %d packets" % (src, len(pk)))
        kinds = collections.Counter()
        for p in pk:
            if p["ip.proto"] == "6":
                kinds["tcp flags=%s" % p["tcp.flags"]] += 1
            elif p["ip.proto"] == "1":
                kinds["icmp %s/%s" % (p["icmp.type"], p["icmp.code"])] += 1
            elif p["ip.proto"] == "17":
                kinds["udp"] += 1
        print("   kinds   :", dict(kinds))
        print("   ttl     :", short({p["ip.ttl"] for p in pk}, 30))
        print("   df      :", short({p["ip.flags.df"] for p in pk}))
        tcp = [p for p in pk if p["ip.proto"] == "6"]
        if tcp:
            print("   window  :", short({p["tcp.window_size_value"] for p in tcp}))
            opts = {p["tcp.options"] or "-" for p in tcp}
            print("   options :", short({o if len(opts) < 6 else o[:12] + "…" for o in opts}, 8))
            print("   sports  : %d distinct (%s)" % (len({p["tcp.srcport"] for p in tcp}),
                  short({p["tcp.srcport"] for p in tcp}, 4)))
            print("   seqs    : %d distinct" % len({p["tcp.seq_raw"] for p in tcp}))
            syn_noack = [p for p in tcp if p["tcp.flags"] == "0x0002"]
            if syn_noack:
                nz = sum(1 for p in syn_noack if p["tcp.ack_raw"] not in ("", "0"))
                print("   SYN with nonzero ack field: %d/%d" % (nz, len(syn_noack)))
        ids = [int(p["ip.id"], 16) for p in pk]
        print("   ip.id   : %d distinct%s" % (len(set(ids)), " (all %d)" % ids[0] if len(set(ids)) == 1 else ""))
        m = [p for p in tcp if p["tcp.seq_raw"]]
        if m:
            ok = sum(1 for p in m if (int(ipaddress.ip_address(p["ip.dst"])) ^ int(p["tcp.dstport"])
                                      ^ int(p["tcp.seq_raw"])) & 0xffff == int(p["ip.id"], 16))
            print("   ip.id == (dst ^ dport ^ seq) & 0xffff (masscan): %d/%d" % (ok, len(m)))
        # per-flow retransmissions (same 4-tuple and same seq)
        flows = collections.OrderedDict()
        for p in tcp:
            k = (p["ip.dst"], p["tcp.srcport"], p["tcp.dstport"], p["tcp.seq_raw"], p["tcp.flags"])
            flows.setdefault(k, []).append(p)
        rx = [v for v in flows.values() if len(v) > 1]
        for v in rx[:4]:
            t0 = float(v[0]["frame.time_relative"])
            dts = [round(float(p["frame.time_relative"]) - t0, 2) for p in v]
            dids = [(int(b["ip.id"], 16) - int(a["ip.id"], 16)) & 0xffff for a, b in zip(v, v[1:])]
            print("   flow %s:%s->%s: t=%s  ip.id deltas=%s" % (src, v[0]["tcp.srcport"],
                  v[0]["ip.dst"] + ":" + v[0]["tcp.dstport"], dts, dids))
        if len(rx) > 4:
            print("   ... %d more retransmitted flows" % (len(rx) - 4))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    files = sys.argv[1:] or sorted(glob.glob(os.path.join(here, "..", "netns-*.pcapng")))
    for f in files:
        summarise(os.path.relpath(f))


if __name__ == "__main__":
    main()
