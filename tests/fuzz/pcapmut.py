"""pcapmut — read, rewrite and mutate pcap / pcapng files (Python stdlib only).

Used by tests/fuzz/fuzz.py.  `mutate_tcp_options()` rewrites bytes in the TCP
option area of SYN and SYN-ACK packets (also a TCP header quoted inside an
ICMP error, and TCP inside IP-in-IP / GTP-U tunnels), keeping the record
framing valid so that every mutant reaches the dissectors.

    python3 pcapmut.py IN OUT SEED      # one option-mutated copy of IN

SPDX-License-Identifier: GPL-2.0-or-later
"""
import random
import struct
import sys

VLAN_TYPES = (0x8100, 0x88A8, 0x9100, 0x9200)
IP6_EXT = (0, 43, 60, 135, 139, 140)


class Capture:
    """A capture as a list of blocks; packet blocks expose a mutable payload."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        self.blocks = []          # (kind, header bytes, payload bytearray, trailer bytes, linktype)
        if self.raw[:4] == b"\x0a\x0d\x0d\x0a":
            self._read_pcapng()
        else:
            self._read_pcap()

    def _read_pcap(self):
        b = self.raw
        fmt = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}
        if len(b) < 24 or b[:4] not in fmt:
            raise ValueError("not a pcap/pcapng file")
        e = fmt[b[:4]]
        self.format = "pcap"
        lt = struct.unpack_from(e + "I", b, 20)[0] & 0x0FFFFFFF
        self.blocks.append(("raw", b[:24], bytearray(), b"", None))
        o = 24
        while o + 16 <= len(b):
            incl = struct.unpack_from(e + "I", b, o + 8)[0]
            data = b[o + 16:o + 16 + incl]
            self.blocks.append(("pkt", b[o:o + 16], bytearray(data), b"", lt))
            o += 16 + incl
        if o < len(b):
            self.blocks.append(("raw", b[o:], bytearray(), b"", None))

    def _read_pcapng(self):
        b = self.raw
        self.format = "pcapng"
        e, links, o = "<", [], 0
        while o + 12 <= len(b):
            if b[o:o + 4] == b"\x0a\x0d\x0d\x0a":
                e = "<" if b[o + 8:o + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            btype, blen = struct.unpack_from(e + "II", b, o)
            if blen < 12 or o + blen > len(b):
                break
            if btype == 1:
                links.append(struct.unpack_from(e + "H", b, o + 8)[0])
            if btype == 6 and blen >= 32:
                iface, caplen = struct.unpack_from(e + "I", b, o + 8)[0], struct.unpack_from(e + "I", b, o + 20)[0]
                caplen = min(caplen, blen - 32)
                lt = links[iface] if iface < len(links) else None
                self.blocks.append(("pkt", b[o:o + 28], bytearray(b[o + 28:o + 28 + caplen]),
                                    b[o + 28 + caplen:o + blen], lt))
            else:
                self.blocks.append(("raw", b[o:o + blen], bytearray(), b"", None))
            o += blen
        if o < len(b):
            self.blocks.append(("raw", b[o:], bytearray(), b"", None))

    def packets(self):
        for blk in self.blocks:
            if blk[0] == "pkt":
                yield blk[4], blk[2]

    def write(self, path):
        with open(path, "wb") as f:
            for kind, head, data, tail, _lt in self.blocks:
                f.write(head)
                f.write(bytes(data))
                f.write(tail)


# ---------------------------------------------------------------- locating TCP


def _ip(b, off, found, depth=0):
    if depth > 6 or off + 1 > len(b):
        return
    ver = b[off] >> 4
    if ver in (4, 6):
        found.append(("ip", off))
    if ver == 4 and len(b) >= off + 20:
        ihl = (b[off] & 15) * 4
        proto = b[off + 9]
        if struct.unpack_from(">H", b, off + 6)[0] & 0x1FFF:
            return
        _l4(b, off + max(ihl, 20), proto, found, depth)
    elif ver == 6 and len(b) >= off + 40:
        nh, p = b[off + 6], off + 40
        for _ in range(6):
            if nh in IP6_EXT and len(b) >= p + 2:
                nh, p = b[p], p + (b[p + 1] + 1) * 8
            elif nh == 44 and len(b) >= p + 8:
                nh, p = b[p], p + 8
            else:
                break
        _l4(b, p, nh, found, depth)


def _l4(b, p, proto, found, depth):
    if proto == 6 and len(b) >= p + 14:
        found.append(("tcp", p))
    elif proto in (4, 41):
        _ip(b, p, found, depth + 1)
    elif proto in (1, 58) and len(b) >= p + 8 and b[p] in ((3, 4, 5, 11, 12) if proto == 1 else (1, 2, 3, 4)):
        _ip(b, p + 8, found, depth + 1)       # the quoted header
    elif proto == 17 and len(b) >= p + 16 and 2152 in struct.unpack_from(">HH", b, p):
        q = p + 8
        if (b[q] >> 5) == 1 and b[q + 1] == 0xFF:
            _ip(b, q + (12 if b[q] & 7 else 8), found, depth + 1)


def _ethertype(b, t, p, found):
    for _ in range(6):
        if t in VLAN_TYPES and len(b) >= p + 4:
            t, p = struct.unpack_from(">H", b, p + 2)[0], p + 4
        elif t in (0x8847, 0x8848):
            while len(b) >= p + 4:
                bos = b[p + 2] & 1
                p += 4
                if bos:
                    break
            return _ip(b, p, found)
        elif t == 0x8864 and len(b) >= p + 8:
            q = p + 6
            if b[q] & 1:
                t, p = {0x21: 0x0800, 0x57: 0x86DD}.get(b[q], 0), q + 1
            else:
                t, p = {0x21: 0x0800, 0x57: 0x86DD}.get(struct.unpack_from(">H", b, q)[0], 0), q + 2
        else:
            break
    if t in (0x0800, 0x86DD):
        _ip(b, p, found)


def tcp_offsets(linktype, b):
    """Offsets of the TCP headers in a packet (outer, tunnelled, ICMP-quoted)."""
    return [o for k, o in _walk(linktype, b) if k == "tcp"]


def ip_offsets(linktype, b):
    """Offsets of the IP headers in a packet, outermost first."""
    return [o for k, o in _walk(linktype, b) if k == "ip"]


def _walk(linktype, b):
    found = []
    try:
        if linktype == 1 and len(b) >= 14:
            _ethertype(b, struct.unpack_from(">H", b, 12)[0], 14, found)
        elif linktype in (101, 12, 14, 228, 229):
            _ip(b, 0, found)
        elif linktype == 113 and len(b) >= 16:
            _ethertype(b, struct.unpack_from(">H", b, 14)[0], 16, found)
        elif linktype == 276 and len(b) >= 20:
            _ethertype(b, struct.unpack_from(">H", b, 0)[0], 20, found)
        elif linktype == 9 and len(b) >= 4:
            q = 2 if b[0] == 0xFF else 0
            proto = b[q] if b[q] & 1 else struct.unpack_from(">H", b, q)[0]
            if proto in (0x21, 0x57):
                _ip(b, q + (1 if b[q] & 1 else 2), found)
        elif linktype in (0, 108) and len(b) >= 4:
            _ip(b, 4, found)
    except (IndexError, struct.error):
        pass
    return found


# ---------------------------------------------------------------- mutations

# values that stress option parsers: zero/one lengths, maximal lengths, EOL,
# NOP, the known kinds, and MSS/WS/TS edge values
INTERESTING = [0, 1, 2, 3, 4, 5, 8, 10, 19, 28, 29, 30, 34, 0x7F, 0x80, 0xFE, 0xFF, 14, 15, 40, 0x3A, 0xFD]
OPTION_SNIPPETS = [
    b"\x02\x04\x00\x00",            # MSS 0
    b"\x02\x04\xff\xff",            # MSS 65535
    b"\x02\x04\x05\xac",            # MSS 1452
    b"\x02\x02",                    # MSS with length 2
    b"\x02\x00",                    # length 0 (endless-loop bait)
    b"\x02\xff\x05\xb4",            # length 255
    b"\x03\x03\xff",                # WS 255
    b"\x03\x03\x0e",                # WS 14
    b"\x03\x02",                    # WS without shift
    b"\x04\x02",                    # SACK permitted
    b"\x04\x00",
    b"\x08\x0a\x00\x00\x00\x00\x00\x00\x00\x00",   # TS 0/0
    b"\x08\x0a\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\x08\x06\x00\x00\x00\x01",    # short TS
    b"\x01", b"\x00", b"\x01\x01\x01",
    b"\x1d\x04\x00\x00",            # TCP-AO
    b"\x1e\x03\x00",                # MPTCP, short
    b"\xfe\x04\xf9\x89",            # experimental
    b"\x22\x02",                    # TFO cookie request
    b"\x05\x0a\x00\x00\x00\x01\x00\x00\x00\x02",   # SACK block in a SYN
]


def _mutate_one(b, t, rng):
    """Mutate the TCP header at offset t of bytearray b in place; True if changed."""
    flags = b[t + 13]
    doff = (b[t + 12] >> 4) * 4
    if not flags & 0x02 and rng.random() > 0.05:  # SYN / SYN-ACK (a few other packets too)
        return False
    end = min(len(b), t + max(doff, 20))
    area = end - (t + 20)
    r = rng.random()
    if r < 0.1:
        # a new data offset: shorter, longer or beyond the packet
        b[t + 12] = (rng.choice([0, 1, 4, 5, 6, 7, 8, 10, 15]) << 4) | (b[t + 12] & 0x0F)
        return True
    if area <= 0:
        if rng.random() < 0.5:
            b[t + 12] = (rng.choice([6, 8, 10, 15]) << 4) | (b[t + 12] & 0x0F)   # options "appear"
            return True
        return False
    base = t + 20
    if r < 0.45:
        for _ in range(rng.randint(1, 4)):
            i = base + rng.randrange(area)
            b[i] = rng.choice(INTERESTING) if rng.random() < 0.6 else rng.randrange(256)
    elif r < 0.8:
        snip = rng.choice(OPTION_SNIPPETS)
        i = base + rng.randrange(area)
        n = min(len(snip), end - i)
        b[i:i + n] = snip[:n]
    elif r < 0.9:
        # shuffle the option bytes
        seg = list(b[base:end])
        rng.shuffle(seg)
        b[base:end] = bytes(seg)
    else:
        # fill the whole area with one byte (all EOL, all NOP, all 0xff...)
        b[base:end] = bytes([rng.choice([0, 1, 2, 3, 8, 0xFF])]) * area
    return True


def mutate_tcp_options(src, dst, seed, rate=0.7):
    """Copy src to dst with TCP option bytes of SYN packets rewritten.
    Returns the number of packets changed."""
    rng = random.Random(seed)
    cap = Capture(src)
    changed = 0
    for lt, data in cap.packets():
        if rng.random() > rate:
            continue
        done = False
        for t in tcp_offsets(lt, data):
            done |= _mutate_one(data, t, rng)
        changed += done
    cap.write(dst)
    return changed


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: pcapmut.py IN OUT SEED")
    print(mutate_tcp_options(sys.argv[1], sys.argv[2], int(sys.argv[3])))
