#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Craft captures/esp-frag.pcapng: SYNs whose analysed header is not in the
frame's own bytes (issue 13): inside an ESP tunnel that Wireshark decrypts
with the keys below, and split into IPv4 fragments that Wireshark
reassembles.

Usage:  /usr/bin/python3 captures/make_esp_frag.py [OUT]
        /usr/bin/python3 captures/make_esp_frag.py --esp-sa   (prints the esp_sa UAT record)

Needs Debian's python3-cryptography (AES-CBC); everything else is written by
hand: no clock, no `random`, fixed IVs derived by SHA-256, so two runs give
byte-identical files.

Contents (all times relative to the first frame):
  ESP tunnel 203.0.113.1 -> 203.0.113.2, SPI 0x0ddc0001, AES-CBC-128 +
  HMAC-SHA-1-96, carrying SYNs of 203.0.113.60 (Windows-XP-like options,
  a global IP-ID counter) to the darknet 198.51.100.0/24: a connection to
  445 retried once after 3 s, then silence (Conficker-style once the
  capture has run 12 s); four other connections.
  203.0.113.61: a SYN to 198.51.100.9:80 split in two IPv4 fragments, the
  first cut inside the TCP options; the same SYN retransmitted 1 s later,
  fragmented the same way.
  203.0.113.62: a first fragment whose second part never arrives.
"""
import hashlib
import hmac
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

T0_US = 1700000000 * 1000000
MAC_A, MAC_B = bytes.fromhex("00005e005301"), bytes.fromhex("00005e005302")
SPI = 0x0DDC0001
ENC_KEY = hashlib.sha256(b"ddi/esp-frag/enc").digest()[:16]
AUTH_KEY = hashlib.sha256(b"ddi/esp-frag/auth").digest()[:20]
GW_SRC, GW_DST = "203.0.113.1", "203.0.113.2"


def esp_sa_record():
    return '"IPv4","%s","%s","0x%08x","AES-CBC [RFC3602]","0x%s","HMAC-SHA-1-96 [RFC2404]","0x%s"' % (
        GW_SRC, GW_DST, SPI, ENC_KEY.hex(), AUTH_KEY.hex())


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, ipid, ttl, proto, payload, df=True, mf=False, frag_off=0, total=None):
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total or 20 + len(payload), ipid, flags, ttl, proto, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp_syn(src, dst, sport, dport, seq, win, opts):
    doff = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, doff << 4, 0x02, win, 0, 0) + opts
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(seg))
    return seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]


def opts_xp(mss):  # MSS, NOP, NOP, SACK-permitted (Windows XP default)
    return struct.pack("!BBH", 2, 4, mss) + b"\x01\x01\x04\x02"


def opts_linux(mss, tsval):  # MSS, SACK-permitted, timestamps, NOP, window scale 7
    return struct.pack("!BBH", 2, 4, mss) + b"\x04\x02" + struct.pack("!BBII", 8, 10, tsval, 0) + b"\x01\x03\x03\x07"


def esp(seq, inner):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # only to write the file

    pad_len = (-(len(inner) + 2)) % 16
    plain = inner + bytes(range(1, pad_len + 1)) + bytes([pad_len, 4])  # next header 4: IPv4 (tunnel mode)
    iv = hashlib.sha256(b"ddi/esp-frag/iv/%d" % seq).digest()[:16]
    enc = Cipher(algorithms.AES(ENC_KEY), modes.CBC(iv)).encryptor()
    body = struct.pack("!II", SPI, seq) + iv + enc.update(plain) + enc.finalize()
    return body + hmac.new(AUTH_KEY, body, hashlib.sha1).digest()[:12]


def eth(payload):
    frame = MAC_B + MAC_A + b"\x08\x00" + payload
    return frame + b"\x00" * max(0, 60 - len(frame))


def build_packets():
    pkts = []
    # the tunnelled host: global counter, advancing by the traffic it sends elsewhere
    conns = [  # (t_s, ipid, dst, sport, dport, seq)
        (0.000, 1201, "198.51.100.5", 1041, 445, 0x1a2b3c01),
        (0.500, 1205, "198.51.100.6", 1042, 139, 0x1a2b3c02),
        (1.250, 1212, "198.51.100.7", 1043, 80, 0x1a2b3c03),
        (3.000, 1230, "198.51.100.5", 1041, 445, 0x1a2b3c01),  # the retry of the first, then silence
        (4.500, 1243, "198.51.100.8", 1044, 23, 0x1a2b3c04),
        (12.000, 1302, "198.51.100.11", 1045, 3389, 0x1a2b3c05),  # long enough to see the 445 silence
    ]
    esp_seq = 1
    for t, ipid, dst, sport, dport, seq in conns:
        inner = ipv4("203.0.113.60", dst, ipid, 115, 6, tcp_syn("203.0.113.60", dst, sport, dport, seq, 65535,
                                                                opts_xp(1460)))
        pkts.append((t, eth(ipv4(GW_SRC, GW_DST, 100 + esp_seq, 62, 50, esp(esp_seq, inner)))))
        esp_seq += 1
    # a fragmented SYN and its retransmission: the first fragment carries 24 TCP bytes
    for t, ipid in ((2.000, 40001), (3.000, 40002)):
        seg = tcp_syn("203.0.113.61", "198.51.100.9", 40123, 80, 0x51c0ffee, 64240, opts_linux(1460, 0x00abcdef))
        total = 20 + len(seg)
        pkts.append((t, eth(ipv4("203.0.113.61", "198.51.100.9", ipid, 52, 6, seg[:24], df=False, mf=True,
                                 total=44))))
        pkts.append((t + 0.000050, eth(ipv4("203.0.113.61", "198.51.100.9", ipid, 52, 6, seg[24:], df=False,
                                            frag_off=24, total=total - 24))))
    # a first fragment alone
    seg = tcp_syn("203.0.113.62", "198.51.100.10", 50000, 22, 0x600df00d, 29200, opts_linux(1460, 0x0badcafe))
    pkts.append((5.000, eth(ipv4("203.0.113.62", "198.51.100.10", 777, 50, 6, seg[:16], df=False, mf=True,
                                 total=36))))
    pkts.sort(key=lambda p: p[0])
    return [(T0_US + round(t * 1e6), raw) for t, raw in pkts]


def pcapng_bytes(pkts):
    def opt(code, value):
        return struct.pack("<HH", code, len(value)) + value + b"\x00" * ((-len(value)) % 4)

    def block(btype, body):
        body += b"\x00" * ((-len(body)) % 4)
        return struct.pack("<II", btype, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) +
                opt(1, b"Crafted by captures/make_esp_frag.py (ddi project, GPL-2.0-or-later); not a live "
                       b"recording.") + opt(4, b"ddi captures/make_esp_frag.py") + struct.pack("<HH", 0, 0))
    out += block(1, struct.pack("<HHI", 1, 0, 262144) + opt(2, b"telescope0") + opt(9, b"\x06") +
                 struct.pack("<HH", 0, 0))
    for ts, raw in pkts:
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(raw), len(raw)) + raw)
    return out


def main(argv):
    if argv[1:] == ["--esp-sa"]:
        print(esp_sa_record())
        return 0
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "esp-frag.pcapng")
    with open(out, "wb") as f:
        f.write(pcapng_bytes(build_packets()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
