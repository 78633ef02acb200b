"""Crafted pcap files with one SYN per encapsulation, for the reader and the
plugin to analyse side by side: every link layer and tunnel ddi-read
follows, including those no corpus capture has.

Each frame's innermost SYN comes from its own source address, so the
per-source JSON shows each encapsulation separately.  Packets are built here
byte by byte (no scapy on the test machines).
"""
import socket
import struct

EPOCH = 1700000000


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ttl=64, ident=1, df=True, frag=0):
    flags = (0x4000 if df else 0) | frag
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim, socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def syn(sport, dport, seq, win=64240, mss=1460):
    opts = struct.pack("!BBH", 2, 4, mss) + b"\x01\x03\x03\x08\x01\x01\x04\x02"  # MSS, NOP, WS 8, NOP, NOP, SACK-OK
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + len(opts) // 4) << 4, 0x02, win, 0, 0) + opts


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(typ, code, body):
    return struct.pack("!BBHI", typ, code, 0, 0) + body


def eth(ethertype, payload):
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + struct.pack("!H", ethertype) + payload


def vlan(vid, ethertype, payload=b""):
    return struct.pack("!HH", vid, ethertype) + payload


def inner4(n, dport=445):
    """A Windows-like SYN from 192.0.2.n (the analysed header)."""
    return ip4("192.0.2.%d" % n, "198.51.100.1", 6, syn(40000 + n, dport, 1000 * n), ttl=120, ident=100 + n)


def inner6(n):
    return ip6("2001:db8::%x" % n, "2001:db8:ffff::1", 6, syn(40000 + n, 80, 1000 * n), hlim=60)


def outer4(proto, payload, n):
    return ip4("203.0.113.%d" % n, "198.51.100.254", proto, payload, ttl=50, ident=7000 + n, df=False)


def ethernet_frames():
    """(description, frame) for LINKTYPE_ETHERNET."""
    f = []
    f.append(("plain", eth(0x0800, inner4(1))))
    f.append(("802.1Q", eth(0x8100, vlan(100, 0x0800, inner4(2)))))
    f.append(("QinQ", eth(0x88A8, vlan(10, 0x8100) + vlan(20, 0x0800, inner4(3)))))
    f.append(("MPLS", eth(0x8847, struct.pack("!II", 16 << 12 | 64, 32 << 12 | 0x100 | 64) + inner4(4))))
    p = b"\x00\x21" + inner4(5)
    f.append(("PPPoE", eth(0x8864, struct.pack("!BBHH", 0x11, 0, 0x1234, len(p)) + p)))
    f.append(("IPv4 in IPv4", eth(0x0800, outer4(4, inner4(6), 6))))
    f.append(("IPv6 in IPv4", eth(0x0800, outer4(41, inner6(7), 7))))
    f.append(("IPv4 in IPv6", eth(0x86DD, ip6("2001:db8:aaaa::8", "2001:db8:bbbb::1", 4, inner4(8)))))
    f.append(("GRE", eth(0x0800, outer4(47, struct.pack("!HH", 0, 0x0800) + inner4(9), 9))))
    f.append(("GRE key+seq", eth(0x0800, outer4(47, struct.pack("!HHII", 0x3000, 0x0800, 5, 6) + inner4(10), 10))))
    f.append(("GRE Ethernet", eth(0x0800, outer4(47, struct.pack("!HH", 0, 0x6558) + eth(0x0800, inner4(11)), 11))))
    vx = struct.pack("!II", 0x08000000, 42 << 8) + eth(0x0800, inner4(12))
    f.append(("VXLAN", eth(0x0800, outer4(17, udp(51000, 4789, vx), 12))))
    g = inner4(13)
    f.append(("GTP-U", eth(0x0800, outer4(17, udp(2152, 2152, struct.pack("!BBHI", 0x30, 0xFF, len(g), 9) + g), 13))))
    q = inner4(14)[:28]
    f.append(("ICMP error quoting a SYN", eth(0x0800, outer4(1, icmp(3, 3, q), 14))))
    e = ip4("203.0.113.115", "192.0.2.99", 1, icmp(11, 0, inner4(15)[:28]), ttl=250)
    f.append(("ICMP error in IPv4 in IPv4", eth(0x0800, outer4(4, e, 15))))
    f.append(("ARP (not IP)", eth(0x0806, b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\0" * 20)))
    return f


def other_linktypes():
    """(linktype, description, frames) for the other link layers."""
    return [
        (113, "Linux SLL", [b"\x00\x00\x00\x01\x00\x06\x02\0\0\0\0\x01\0\0\x08\x00" + inner4(21)]),
        (276, "Linux SLL2", [b"\x08\x00\0\0\0\0\0\x03\x00\x01\x00\x06\x02\0\0\0\0\x01\0\0" + inner4(22)]),
        (0, "BSD NULL", [struct.pack("<I", 2) + inner4(23)]),
        (108, "OpenBSD LOOP", [struct.pack("!I", 2) + inner4(24)]),
        (101, "raw IP", [inner4(25), inner6(26)]),
        (228, "raw IPv4", [inner4(27)]),
        (229, "raw IPv6", [inner6(28)]),
        (9, "PPP", [b"\xff\x03\x00\x21" + inner4(29)]),
    ]


def write_pcap(path, linktype, frames):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            out.write(struct.pack("<IIII", EPOCH + i, 1000 * i, len(fr), len(fr)))
            out.write(fr)


def write_all(folder):
    """Write one pcap per link type into folder; returns their paths."""
    import os
    paths = []
    p = os.path.join(folder, "enc-ethernet.pcap")
    write_pcap(p, 1, [fr for _, fr in ethernet_frames()])
    paths.append(p)
    for lt, name, frames in other_linktypes():
        p = os.path.join(folder, "enc-lt%d.pcap" % lt)
        write_pcap(p, lt, frames)
        paths.append(p)
    return paths
