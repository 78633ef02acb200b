#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Craft captures/ipid-classes.pcapng: one source per IP-ID behaviour that no
capture made by others in the corpus shows (a byte-swapped counter, a counter
wrapping past 65535) plus the common ones for contrast.

Usage:  /usr/bin/python3 captures/make_ipid.py [OUT]

Sources (all SYNs to the darknet 198.51.100.0/24; values from a fixed-seed
generator, so two runs give byte-identical files):
  203.0.113.40  byte-swapped global counter (Windows 95/98/NT4: the counter is
                written in host order, so it advances by 256 on the wire;
                nmap osscan2.cc IPID_SEQ_BROKEN_INCR)
  203.0.113.41  global counter that wraps from 65535 to 0
  203.0.113.42  IP ID 0 with DF (macOS/iOS, FreeBSD >= 12)
  203.0.113.43  per-destination counter (Linux: random start per connection,
                +1 on the retransmission)
  203.0.113.44  random IP IDs
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_seed import opts_linux, opts_winxp_default, pcapng_bytes, syn  # noqa: E402

DARK = "198.51.100.%d"


def build_packets():
    rnd = random.Random(20101)  # fixed seed: reproducible output
    pkts = []
    t = 0

    def at(dt_us):
        nonlocal t
        t += dt_us
        return t

    # byte-swapped counter: host-order counter c, wire ID = bswap16(c)
    c = 0x0312
    for i in range(8):
        c = (c + rnd.randint(1, 6)) & 0xFFFF
        wire = ((c & 0xFF) << 8) | (c >> 8)
        pkts.append(syn(at(400000), "203.0.113.40", DARK % (10 + i), wire, 113, True, 1030 + i, 445,
                        rnd.getrandbits(32), 65535, opts_winxp_default(1460), "bswap"))
    # wrapping counter
    c = 65490
    for i in range(10):
        c = (c + rnd.randint(5, 12)) & 0xFFFF
        pkts.append(syn(at(300000), "203.0.113.41", DARK % (30 + i), c, 116, True, 1100 + i, 445,
                        rnd.getrandbits(32), 65535, opts_winxp_default(1460), "wrap"))
    # zero IDs with DF
    for i in range(5):
        pkts.append(syn(at(500000), "203.0.113.42", DARK % (50 + i), 0, 52, True, 49300 + i, 443,
                        rnd.getrandbits(32), 65535, opts_linux(1460, rnd.getrandbits(32), 6), "zero"))
    # per-destination: three connections, each retransmitted once after 1 s
    for i in range(3):
        start = rnd.getrandbits(16)
        seq = rnd.getrandbits(32)
        ts0 = rnd.getrandbits(31)
        first = at(700000)
        pkts.append(syn(first, "203.0.113.43", DARK % (70 + i), start, 57, True, 40000 + 2 * i, 22, seq, 64240,
                        opts_linux(1460, ts0, 7), "perdst"))
        pkts.append(syn(first + 1010000, "203.0.113.43", DARK % (70 + i), (start + 1) & 0xFFFF, 57, True,
                        40000 + 2 * i, 22, seq, 64240, opts_linux(1460, ts0 + 1010, 7), "perdst-retry"))
        at(1100000)
    # random
    for i in range(8):
        pkts.append(syn(at(350000), "203.0.113.44", DARK % (90 + i), rnd.getrandbits(16), 60, False, 50000 + i, 80,
                        rnd.getrandbits(32), 1024, [("MSS", 1460)], "random"))
    pkts.sort(key=lambda p: p[0])
    return pkts


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "ipid-classes.pcapng")
    pkts = build_packets()
    with open(out, "wb") as f:
        f.write(pcapng_bytes(pkts, b"captures/make_ipid.py"))
    print("wrote %s: %d packets" % (out, len(pkts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
