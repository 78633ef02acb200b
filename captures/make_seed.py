#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Craft captures/seed-conficker.pcapng deterministically.

Usage:  /usr/bin/python3 captures/make_seed.py [OUT]
        (default OUT: seed-conficker.pcapng next to this script)

The capture re-creates the two SYNs published in Team Cymru's "Deep Darknet
Inspection - Part 1" (114.124.162.72 -> port 445, IP IDs 32569/32638,
delta 2.968866 s, Win=65535 MSS=1410 WS=1 TSV=0 TSER=0) and surrounds them
with three contrasting sources so that the capture runs well past the
point where a Windows stack would have sent its third SYN.  See
captures/README.md, section "seed-conficker.pcapng", for every value and why
it was chosen.

Determinism: no clock, no `random`.  Every "random-looking" value comes from
SHA-256 over a fixed label (see prng()), timestamps are integer
microseconds, and the pcapng container is written by the small writer below
(no host name, OS or tool version goes into the file), so two runs give
byte-identical output.  Needs Debian's python3-scapy (only to build the
Ethernet/IPv4/TCP headers and their checksums).
"""

import hashlib
import os
import struct
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

# --------------------------------------------------------------------------
# Fixed inputs
# --------------------------------------------------------------------------

# 2010-04-20 10:00:00.000000 UTC: the seed source's first SYN, in microseconds.
T0_US = 1271757600 * 1000000

# Documentation MAC addresses (RFC 7042 section 2.1.1, 00-00-5E-00-53-xx):
# every packet arrives from the same upstream router at the telescope sensor.
MAC_ROUTER = "00:00:5e:00:53:01"
MAC_SENSOR = "00:00:5e:00:53:02"

ETH_MIN_FRAME = 60  # minimum Ethernet frame without FCS; shorter frames are padded

PRNG_SALT = b"ddi/captures/seed-conficker.pcapng/v1/"


def prng(label, bits):
    """Deterministic 'random' integer of `bits` bits for a fixed label."""
    digest = hashlib.sha256(PRNG_SALT + label.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - bits)


def us(seconds_str):
    """Offset from T0 given as a decimal string of seconds -> integer us."""
    whole, _, frac = seconds_str.partition(".")
    if len(frac) > 6:
        raise ValueError("more than 6 decimals: " + seconds_str)
    frac = (frac + "000000")[:6]
    return int(whole) * 1000000 + int(frac)


# TCP option layouts (scapy notation), in the exact order each stack sends them.
def opts_win2000_xp_rfc1323(mss):
    # p0f v2: *:128:1:64:M*,N,W0,N,N,T0,N,N,S  (XP/2000, RFC1323+, w, tstamp+)
    return [("MSS", mss), ("NOP", None), ("WScale", 0), ("NOP", None),
            ("NOP", None), ("Timestamp", (0, 0)), ("NOP", None),
            ("NOP", None), ("SAckOK", b"")]


def opts_linux(mss, tsval, wscale):
    # p0f v3: mss,sok,ts,nop,ws
    return [("MSS", mss), ("SAckOK", b""), ("Timestamp", (tsval, 0)),
            ("NOP", None), ("WScale", wscale)]


def opts_winxp_default(mss):
    # p0f v3 L176: mss,nop,nop,sok
    return [("MSS", mss), ("NOP", None), ("NOP", None), ("SAckOK", b"")]


def opts_mss_only(mss):
    return [("MSS", mss)]


DF = 0x2  # IPv4 flags field value with only Don't Fragment set


def syn(t_us, src, dst, ipid, ttl, df, sport, dport, seq, win, options,
        label):
    """Return (timestamp_us, frame_bytes, label) for one SYN.  The label is
    only used in self-check messages; it is not written to the file (packet
    comments would show up as expert items in every tshark run)."""
    frame = (Ether(src=MAC_ROUTER, dst=MAC_SENSOR)
             / IP(src=src, dst=dst, id=ipid, ttl=ttl, flags=(DF if df else 0),
                  tos=0)
             / TCP(sport=sport, dport=dport, seq=seq, ack=0, flags="S",
                   window=win, urgptr=0, options=options))
    raw = bytes(frame)
    if len(raw) < ETH_MIN_FRAME:
        raw += b"\x00" * (ETH_MIN_FRAME - len(raw))
    return (T0_US + t_us, raw, label)


def build_packets():
    pkts = []

    # ---- Seed: the two published packets (Conficker-like: one retry, then
    # nothing).  Published: saddr, IP IDs, sport, dport, delta, Win, MSS,
    # WS=1 (multiplier 1 = shift 0), TSV=0, TSER=0.  Chosen: dst, TTL, ISN.
    seed_isn = prng("seed/isn", 32)
    for t, ipid, n in (("0.000000", 32569, 1), ("2.968866", 32638, 2)):
        pkts.append(syn(us(t), "114.124.162.72", "198.51.100.23", ipid,
                        113, True, 21269, 445, seed_isn, 65535,
                        opts_win2000_xp_rfc1323(1410),
                        "seed SYN %d of 2 (published values; dst, TTL and ISN "
                        "chosen)" % n))

    # ---- (a) Linux >= 4.20 client: one connection to 198.51.100.40:22,
    # SYNs at 0, +1, +3, +7 s (gaps ~1, 2, 4 s with a few ms of timer slack).
    # Its next retransmission (+15 s) would fall after the end of the capture.
    lx_start = us("21.517336")
    lx_offsets = [us(x) for x in ("0", "1.021412", "3.058103", "7.131977")]
    lx_isn = prng("linux/isn", 32)
    lx_ipid0 = prng("linux/ipid", 16)
    lx_ts0 = prng("linux/tsval", 32)
    lx_sport = 32768 + 2 * (prng("linux/sport", 16) % ((60999 - 32768) // 2))
    for i, off in enumerate(lx_offsets):
        tsval = lx_ts0 + off // 1000  # 1000 Hz TS clock (Linux >= 4.13)
        pkts.append(syn(lx_start + off, "203.0.113.10", "198.51.100.40",
                        (lx_ipid0 + i) & 0xFFFF, 52, True, lx_sport, 22,
                        lx_isn, 64240, opts_linux(1460, tsval, 7),
                        "Linux-like SYN %d of 4 (RTO 1 s, doubling)" % (i + 1)))

    # ---- (b) Windows XP SP2-like host: three connections, sequential
    # ephemeral ports, each with the full XP schedule 0, +3, +9 s (3 SYNs).
    # Global IP-ID counter: small increments from other traffic in between.
    xp = [  # (sport, dst, dport, first SYN offset, [IP ID per SYN])
        (1090, "198.51.100.77", 445, "4.871203", [2817, 2821, 2830]),
        (1091, "198.51.100.78", 139, "10.203377", [2826, 2828, 2835]),
        (1092, "198.51.100.79", 445, "26.014522", [2842, 2844, 2849]),
    ]
    xp_retx = [us(x) for x in ("0", "3.000481", "9.000935")]
    for sport, dst, dport, first, ids in xp:
        isn = prng("xp/isn/%d" % sport, 32)
        for i, off in enumerate(xp_retx):
            pkts.append(syn(us(first) + off, "203.0.113.20", dst, ids[i], 117,
                            True, sport, dport, isn, 65535,
                            opts_winxp_default(1460),
                            "WinXP-like sport %d SYN %d of 3 (0, +3, +9 s)"
                            % (sport, i + 1)))

    # ---- (c) Plain scanner: random IP IDs, fixed source port, one SYN per
    # target, MSS-only options, Win 1024, no DF.
    sc_sport = 40000 + prng("scan/sport", 16) % 20000
    sc = [("1.734512", "198.51.100.3", 23), ("7.402981", "198.51.100.58", 80),
          ("13.118204", "198.51.100.101", 23),
          ("19.655037", "198.51.100.144", 80),
          ("25.290418", "198.51.100.190", 23),
          ("30.847193", "198.51.100.213", 80),
          ("35.912640", "198.51.100.250", 23)]
    for i, (t, dst, dport) in enumerate(sc):
        pkts.append(syn(us(t), "203.0.113.30", dst,
                        prng("scan/ipid/%d" % i, 16), 55, False, sc_sport,
                        dport, prng("scan/isn/%d" % i, 32), 1024,
                        opts_mss_only(1460),
                        "scanner-like SYN %d of %d (random IP ID)"
                        % (i + 1, len(sc))))

    pkts.sort(key=lambda p: p[0])
    return pkts


# --------------------------------------------------------------------------
# Minimal deterministic pcapng writer (little-endian, one Ethernet interface,
# default microsecond resolution).
# --------------------------------------------------------------------------

def _opt(code, value):
    pad = (-len(value)) % 4
    return struct.pack("<HH", code, len(value)) + value + b"\x00" * pad


def _opt_end():
    return struct.pack("<HH", 0, 0)


def _block(btype, body):
    body += b"\x00" * ((-len(body)) % 4)
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def pcapng_bytes(pkts, creator=b"captures/make_seed.py"):
    out = bytearray()
    shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    shb += _opt(1, b"Crafted by " + creator + b" (ddi project, "
                   b"GPL-2.0-or-later); not a live recording.")  # shb_comment
    shb += _opt(4, b"ddi " + creator)                             # shb_userappl
    shb += _opt_end()
    out += _block(0x0A0D0D0A, shb)

    idb = struct.pack("<HHI", 1, 0, 262144)        # LINKTYPE_ETHERNET, snaplen
    idb += _opt(2, b"telescope0")                  # if_name
    idb += _opt(9, b"\x06")                        # if_tsresol: 10^-6 s
    idb += _opt_end()
    out += _block(0x00000001, idb)

    for ts, raw, _label in pkts:
        epb = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                          len(raw), len(raw))
        epb += raw + b"\x00" * ((-len(raw)) % 4)
        out += _block(0x00000006, epb)
    return bytes(out)


# --------------------------------------------------------------------------
# Self-checks (independent of scapy's checksum code)
# --------------------------------------------------------------------------

def _csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _check(cond, msg):
    # explicit, so the checks also run under "python3 -O"
    if not cond:
        raise SystemExit("make_seed.py self-check failed: " + msg)


def self_check(pkts):
    # mss 1410 | nop | ws 0 | nop nop | ts 0 0 | nop nop | sackOK
    seed_opts = bytes.fromhex("02040582" "01" "030300" "0101"
                              "080a" "00000000" "00000000" "0101" "0402")
    for ts, raw, label in pkts:
        _check(raw[12:14] == b"\x08\x00", "ethertype: " + label)
        ip = raw[14:]
        ihl = (ip[0] & 0x0F) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        _check(_csum(ip[:ihl]) == 0xFFFF, "IP checksum: " + label)
        seg = ip[ihl:tot]
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(seg))
        _check(_csum(pseudo + seg) == 0xFFFF, "TCP checksum: " + label)
        if ip[12:16] == bytes([114, 124, 162, 72]):
            doff = (seg[12] >> 4) * 4
            _check(tot == 64 and doff == 44, "seed lengths: " + label)
            _check(seg[20:doff] == seed_opts, "seed options: " + label)
    times = [p[0] for p in pkts]
    _check(times == sorted(times), "packets not in time order")
    _check(times[0] == T0_US, "first packet is not the seed's first SYN")
    _check(times[-1] - T0_US >= 35 * 1000000, "capture shorter than 35 s")
    _check(len(pkts) < 30, "too many packets")


def main(argv):
    if len(argv) > 2:
        sys.stderr.write(__doc__)
        return 2
    out = argv[1] if len(argv) == 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "seed-conficker.pcapng")
    pkts = build_packets()
    self_check(pkts)
    data = pcapng_bytes(pkts)
    with open(out, "wb") as f:
        f.write(data)
    print("wrote %s: %d packets, %d bytes, sha256 %s"
          % (out, len(pkts), len(data), hashlib.sha256(data).hexdigest()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
