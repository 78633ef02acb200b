#!/usr/bin/env python3
"""ddi_shard.py — the splitter and the merger behind scripts/shard.sh.

    ddi_shard.py split N OUTDIR CAPTURE              -> OUTDIR/shard-K.{pcap,pcapng}
    ddi_shard.py split --series N OUTDIR FILE...     -> OUTDIR/shard-K/NNNN.{pcap,pcapng}
                                                        (DDI_JOBS files at a time; default: the CPUs)
    ddi_shard.py merge N OUT.jsonl PART...           -> one JSON line per source, sorted

split: reads the capture(s) (pcap or pcapng, any byte order, µs or ns)
and writes N shards.  A packet goes to shard crc32(source address) mod N,
where the source is the address ddi analyses: the innermost IP header
(through VLAN/QinQ, MPLS, PPPoE, PPP, SLL/SLL2, raw IP, GRE, IP-in-IP,
GTP-U, VXLAN, Teredo, L2TP), but the sender of an ICMP error, never the
header it quotes.  Every packet of one source therefore lands in one shard;
packets without an IP source go to shard 0.
A reply is backscatter only if the capture does not show the packet it
answers, which another host sent: so a packet also goes, as context, to the
shard of its destination when that destination sends packets itself
somewhere in the capture (a first read collects the senders).  A pure
telescope's dark addresses never send, so its packets are not copied.
Likewise a host's packets go to the shards of the hosts sending it ICMP
errors (a traceroute's routers).  With --series the files are one capture
cut in time (hourly files, in order): the senders are collected over all of
them, so a reply in hour 5 to a probe in hour 4 finds it in its shard, and
each file is split into its own shard files, numbered in the given order.
Prints, per input file, "FIRST END EXT": the earliest and the latest
timestamp of a packet with an IP source (the latest is what ddi itself uses
as the horizon; both 0 when there is none) and the shard files' extension.

merge: PART files are named shard-K.jsonl (a shard's final report) or
shard-K.<anything>.jsonl (e.g. the sources a shard evicted); their
per-source lines ({"src": ...}) are kept only from the shard that owns the
source (context packets give partial lines elsewhere), and written sorted by
source, then first_seen.  A source owned by one shard appears once, or once
per stretch of activity when state eviction dropped it and it came back
(a line for the same source and first_seen is kept once, from the first
PART that has it: a source evicted when the last state was saved is also in
that run's report).  A
source found in two shards is an error (the splitter would disagree with ddi
about which address is the source).

stdlib only.  SPDX-License-Identifier: GPL-2.0-or-later
"""
import ipaddress, json, os, re, struct, sys, zlib



ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
VLAN_TYPES = (0x8100, 0x88A8, 0x9100, 0x9200)
MPLS_TYPES = (0x8847, 0x8848)
PPPOE_SESSION = 0x8864
ICMP4_ERRORS = (3, 4, 5, 11, 12)
ICMP6_ERRORS = (1, 2, 3, 4)
IP6_EXT = (0, 43, 60, 135, 139, 140)   # hop-by-hop, routing, dstopts, mobility, HIP, shim6
DEPTH = 8


def ip_source(b, off, depth=0):
    """(source, destination, is an ICMP error) of the IP header ddi analyses
    in the IP packet at b[off:] (addresses as bytes), or None."""
    if depth > DEPTH or off >= len(b):
        return None
    ver = b[off] >> 4
    if ver == 4:
        if len(b) < off + 20:
            return None
        ihl = (b[off] & 15) * 4
        proto = b[off + 9]
        frag = struct.unpack_from(">H", b, off + 6)[0]
        l4 = off + max(ihl, 20)
        err = proto == 1 and not frag & 0x1FFF and len(b) > l4 and b[l4] in ICMP4_ERRORS
        src = (b"\x04" + bytes(b[off + 12:off + 16]), b"\x04" + bytes(b[off + 16:off + 20]), err)
        if frag & 0x1FFF:       # not the first fragment: no L4 header here
            return src
        inner = l4_inner(b, l4, proto, 4, depth)
        return inner or src
    if ver == 6:
        if len(b) < off + 40:
            return None
        src = [b"\x06" + bytes(b[off + 8:off + 24]), b"\x06" + bytes(b[off + 24:off + 40]), False]
        nh, p = b[off + 6], off + 40
        for _ in range(DEPTH):
            if nh in IP6_EXT and len(b) >= p + 2:
                nh, p = b[p], p + (b[p + 1] + 1) * 8
            elif nh == 44 and len(b) >= p + 8:   # fragment header
                if struct.unpack_from(">H", b, p + 2)[0] & 0xFFF8:
                    return tuple(src)
                nh, p = b[p], p + 8
            else:
                break
        src[2] = nh == 58 and len(b) > p and b[p] in ICMP6_ERRORS
        inner = l4_inner(b, p, nh, 6, depth)
        return inner or tuple(src)
    return None


def l4_inner(b, p, proto, ver, depth):
    """An inner IP header's source carried by this L4 payload (tunnels)."""
    if proto in (4, 41):                                  # IP-in-IP, 6in4
        return ip_source(b, p, depth + 1)
    if (ver == 4 and proto == 1) or (ver == 6 and proto == 58):   # ICMP error: keep the sender
        return None
    if proto == 47 and len(b) >= p + 4:                   # GRE
        flags, ptype = struct.unpack_from(">HH", b, p)
        q = p + 4 + (4 if flags & 0x8000 else 0) + (4 if flags & 0x2000 else 0) + (4 if flags & 0x1000 else 0)
        if ptype in (ETH_IPV4, ETH_IPV6):
            return ip_source(b, q, depth + 1)
        if ptype == 0x6558:                               # transparent Ethernet bridging
            return ether(b, q, depth + 1)
        return None
    if proto == 17 and len(b) >= p + 8:                   # UDP tunnels Wireshark decodes by default
        sport, dport = struct.unpack_from(">HH", b, p)
        if 2152 in (sport, dport):                        # GTP-U
            return gtpu(b, p + 8, depth)
        if dport == 4789 and len(b) >= p + 16:            # VXLAN
            return ether(b, p + 16, depth + 1)
        if 3544 in (sport, dport):                        # Teredo
            return teredo(b, p + 8, depth)
        if 1701 in (sport, dport):                        # L2TPv2 data
            return l2tp(b, p + 8, depth)
    return None


def teredo(b, q, depth):
    for _ in range(2):
        if len(b) >= q + 2 and b[q] == 0 and b[q + 1] == 1 and len(b) >= q + 4:      # authentication
            q += 4 + b[q + 2] + b[q + 3] + 9
        elif len(b) >= q + 2 and b[q] == 0 and b[q + 1] == 0:                          # origin indication
            q += 8
    if len(b) > q and b[q] >> 4 == 6:
        return ip_source(b, q, depth + 1)
    return None


def l2tp(b, q, depth):
    if len(b) < q + 6:
        return None
    flags = struct.unpack_from(">H", b, q)[0]
    if flags & 0x8000 or flags & 0x000F != 2:             # control message, or not L2TPv2
        return None
    r = q + 2 + (2 if flags & 0x4000 else 0) + 4 + (4 if flags & 0x0800 else 0)
    if flags & 0x0200:
        if len(b) < r + 2:
            return None
        r += 2 + struct.unpack_from(">H", b, r)[0]
    return ppp(b, r, depth)


def gtpu(b, q, depth):
    if len(b) < q + 8 or (b[q] >> 5) != 1 or b[q + 1] != 0xFF:
        return None
    flags, r = b[q], q + 8
    if flags & 0x07:
        if len(b) < r + 4:
            return None
        nxt, r = b[r + 3], r + 4
        while nxt and len(b) > r:
            ln = b[r] * 4
            if not ln or len(b) < r + ln:
                return None
            nxt, r = b[r + ln - 1], r + ln
    return ip_source(b, r, depth + 1)


def ethertype(b, t, p, depth):
    for _ in range(DEPTH):
        if t in VLAN_TYPES and len(b) >= p + 4:
            t, p = struct.unpack_from(">H", b, p + 2)[0], p + 4
        elif t in MPLS_TYPES:
            while len(b) >= p + 4:
                bos = b[p + 2] & 1
                p += 4
                if bos:
                    break
            return ip_source(b, p, depth + 1)
        elif t == PPPOE_SESSION and len(b) >= p + 7:
            return ppp(b, p + 6, depth)
        else:
            break
    if t in (ETH_IPV4, ETH_IPV6):
        return ip_source(b, p, depth + 1)
    return None


def ether(b, p, depth=0):
    if len(b) < p + 14:
        return None
    t = struct.unpack_from(">H", b, p + 12)[0]
    if t <= 1500:                                         # 802.3 length + LLC/SNAP
        if len(b) >= p + 22 and b[p + 14:p + 17] == b"\xaa\xaa\x03":
            return ethertype(b, struct.unpack_from(">H", b, p + 20)[0], p + 22, depth)
        return None
    return ethertype(b, t, p + 14, depth)


def ppp(b, p, depth=0):
    if len(b) >= p + 2 and b[p] == 0xFF and b[p + 1] == 0x03:
        p += 2
    if len(b) < p + 1:
        return None
    if b[p] & 1:                                          # compressed 1-byte protocol field
        proto, p = b[p], p + 1
    elif len(b) >= p + 2:
        proto, p = struct.unpack_from(">H", b, p)[0], p + 2
    else:
        return None
    if proto in (0x21, 0x57, 0x0021, 0x0057):
        return ip_source(b, p, depth + 1)
    return None


def source(linktype, b):
    # fast path for what telescopes mostly carry, TCP in IPv4 over Ethernet
    # (what ip_source() would say for it: no tunnel, no ICMP error)
    if linktype == 1 and len(b) >= 34 and b[12] == 8 and b[13] == 0 and b[14] >> 4 == 4 and b[23] == 6:
        return b"\x04" + b[26:30], b"\x04" + b[30:34], False
    try:
        if linktype == 1:                                 # Ethernet
            return ether(b, 0)
        if linktype in (101, 12, 14, 228, 229):          # raw IP
            return ip_source(b, 0)
        if linktype == 113 and len(b) >= 16:              # Linux cooked (SLL)
            return ethertype(b, struct.unpack_from(">H", b, 14)[0], 16, 0)
        if linktype == 276 and len(b) >= 20:              # SLL2
            return ethertype(b, struct.unpack_from(">H", b, 0)[0], 20, 0)
        if linktype in (9, 50, 51):                       # PPP, PPP-in-HDLC, PPPoE
            return ppp(b, 6 if linktype == 51 else 0)
        if linktype == 104 and len(b) >= 4:               # Cisco HDLC
            return ethertype(b, struct.unpack_from(">H", b, 2)[0], 4, 0)
        if linktype in (0, 108) and len(b) >= 4:          # BSD loopback (either byte order)
            return ip_source(b, 4)
    except (IndexError, struct.error):
        return None
    return None


def shard_of(src, n):
    return zlib.crc32(src) % n if src else 0


EVERY = "every shard"  # a block every shard needs (file header, pcapng interface and section blocks)


def capture_ext(cap):
    with open(cap, "rb") as f:
        return "pcapng" if f.read(4) == b"\x0a\x0d\x0d\x0a" else "pcap"


def records(cap):
    """The blocks of one capture in file order, as (raw bytes, addrs, time):
    addrs is EVERY for blocks that every shard needs, else source() of the
    packet (None without an IP source); time is None without a timestamp."""
    with open(cap, "rb", buffering=1 << 20) as f:
        if capture_ext(cap) == "pcapng":
            endian, links, tsres, idb_count = "<", {}, {}, 0
            while True:
                hdr = f.read(8)
                if len(hdr) < 8:
                    if hdr:
                        sys.exit("shard.sh: %s: truncated pcapng block" % cap)
                    return
                if hdr[:4] == b"\x0a\x0d\x0d\x0a":
                    bom = f.read(4)
                    endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
                    btype, blen = struct.unpack(endian + "II", hdr)
                    body = bom + f.read(blen - 12)
                    links, tsres, idb_count = {}, {}, 0
                else:
                    btype, blen = struct.unpack(endian + "II", hdr)
                    if blen < 12 or blen % 4:
                        sys.exit("shard.sh: %s: bad pcapng block length %d" % (cap, blen))
                    body = f.read(blen - 8)
                if len(body) != blen - 8:
                    sys.exit("shard.sh: %s: truncated pcapng block" % cap)
                block = hdr + body
                if btype == 1:                                # IDB: every shard needs every interface
                    links[idb_count] = struct.unpack_from(endian + "H", body, 0)[0]
                    res, o = 10 ** -6, 8                      # if_tsresol option (9)
                    while o + 4 <= len(body) - 4:
                        code, ln = struct.unpack_from(endian + "HH", body, o)
                        if code == 0:
                            break
                        if code == 9 and ln >= 1:
                            v = body[o + 4]
                            res = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -v
                        o += 4 + (ln + 3) // 4 * 4
                    tsres[idb_count] = res
                    idb_count += 1
                    yield block, EVERY, None
                elif btype in (6, 2):                         # EPB, obsolete PB
                    if btype == 6:
                        iface, tsh, tsl, caplen = struct.unpack_from(endian + "IIII", body, 0)
                    else:
                        iface, _drops, tsh, tsl, caplen = struct.unpack_from(endian + "HHIII", body, 0)
                    yield (block, source(links.get(iface, -1), body[20:20 + caplen]),
                           ((tsh << 32) | tsl) * tsres.get(iface, 1e-6))
                elif btype == 3:                              # SPB: interface 0, no timestamp
                    yield block, source(links.get(0, -1), body[4:]), None
                else:                                         # SHB, NRB, ISB, DSB, custom...: to every shard
                    yield block, EVERY, None
        else:
            gh = f.read(24)
            if len(gh) < 24:
                sys.exit("shard.sh: %s: not a pcap or pcapng file" % cap)
            formats = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
                       b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
            if gh[:4] not in formats:
                sys.exit("shard.sh: %s: unsupported capture format (magic %s); convert it with editcap -F pcapng"
                         % (cap, gh[:4].hex()))
            endian, unit = formats[gh[:4]]
            linktype = struct.unpack_from(endian + "I", gh, 20)[0] & 0x0FFFFFFF
            yield gh, EVERY, None
            rec = struct.Struct(endian + "IIII")
            while True:
                rh = f.read(16)
                if len(rh) < 16:
                    if rh:
                        sys.exit("shard.sh: %s: truncated record header" % cap)
                    return
                sec, frac, incl, _orig = rec.unpack(rh)
                data = f.read(incl)
                if len(data) != incl:
                    sys.exit("shard.sh: %s: truncated record" % cap)
                yield rh + data, source(linktype, data), sec + frac * unit


def senders_of(cap, n):
    """First read of one capture: every address that sends, and, per
    destination of ICMP errors, the shards of their senders."""
    found, errs = set(), {}
    for _raw, addrs, _ts in records(cap):
        if addrs and addrs is not EVERY:
            found.add(addrs[0])
            if addrs[2]:
                errs.setdefault(addrs[1], set()).add(shard_of(addrs[0], n))
    return found, errs


def targets(addrs, n, senders, errors):
    """The shards a packet goes to: its source's; its destination's when the
    destination sends too (context for judging replies); and those of the
    hosts that send ICMP errors to its source (context for judging them,
    e.g. the routers answering a traceroute)."""
    if not addrs:
        return (0,)
    own = shard_of(addrs[0], n)
    if addrs[1] not in senders and addrs[0] not in errors:
        return (own,)  # a telescope's packets: no context to copy
    out = {own}
    if addrs[1] in senders:
        out.add(shard_of(addrs[1], n))
    out |= errors.get(addrs[0], set())
    return out


# what the workers of split() share (inherited by fork, never pickled)
JOB = {}


def _senders_job(cap):
    return senders_of(cap, JOB["n"])


def _split_job(i):
    """Second read of capture i: its shard files; returns "END EXT"."""
    n, outdir, cap, series = JOB["n"], JOB["outdir"], JOB["caps"][i], JOB["series"]
    senders, errors = JOB["senders"], JOB["errors"]
    ext = capture_ext(cap)
    if series:
        paths = [os.path.join(outdir, "shard-%d" % k, "%04d.%s" % (i, ext)) for k in range(n)]
    else:
        paths = [os.path.join(outdir, "shard-%d.%s" % (k, ext)) for k in range(n)]
    outs = []
    for p in paths:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        outs.append(open(p, "wb", buffering=1 << 20))
    first = end = None
    for raw, addrs, ts in records(cap):
        if addrs is EVERY:
            for o in outs:
                o.write(raw)
            continue
        if addrs and ts is not None:
            if end is None or ts > end:
                end = ts
            if first is None or ts < first:
                first = ts
        for k in targets(addrs, n, senders, errors):
            outs[k].write(raw)
    for o in outs:
        o.close()
    return "%.9f %.9f %s" % (first or 0.0, end or 0.0, ext)


def split(n, outdir, caps, series, jobs=1):
    """Split CAPS (one capture, or a series cut in time) into N shards; the
    files are read by up to JOBS processes at once."""
    JOB.update(n=n, outdir=outdir, caps=caps, series=series)
    pool = None
    if jobs > 1 and len(caps) > 1:
        import multiprocessing
        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(min(jobs, len(caps)))
    run = pool.map if pool else lambda f, xs: list(map(f, xs))
    senders, errors = set(), {}
    for found, errs in run(_senders_job, caps):
        senders |= found
        for dst, ks in errs.items():
            errors.setdefault(dst, set()).update(ks)
    JOB.update(senders=senders, errors=errors)
    if pool:
        pool.close()
        pool.join()
        pool = ctx.Pool(min(jobs, len(caps)))  # forked again: the workers inherit the senders
        run = pool.map
    ends = run(_split_job, range(len(caps)))
    if pool:
        pool.close()
        pool.join()
    print("\n".join(ends))


def owner(src, n):
    a = ipaddress.ip_address(src)
    return zlib.crc32((b"\x04" if a.version == 4 else b"\x06") + a.packed) % n


# the two keys a line is sorted by, read without parsing the whole object
# (a day of a large telescope has millions of lines): the writer in
# summary.c puts "src" first and "first_seen" once per line
SRC_KEY = re.compile(rb'^\{"src":"([^"]+)"')
FIRST_SEEN = re.compile(rb'"first_seen":(null|-?[0-9][0-9.eE+-]*)')


def merge(n, out, parts):
    """Keys and file offsets only in memory; the lines are copied from the
    parts in order at the end."""
    keys, where, done = [], {}, set()
    for pi, p in enumerate(parts):
        m = re.search(r"(?:^|/)shard-(\d+)(?:\.[^/]*)?\.jsonl$", p)
        if not m:
            sys.exit("shard.sh: %s: a part file must be named shard-K[.what].jsonl" % p)
        k = int(m.group(1))
        with open(p, "rb") as f:
            off = 0
            for line in f:
                at, off = off, off + len(line)
                m = SRC_KEY.match(line)
                if not m:  # a shard's {"capture": ...} header describes the shard only
                    continue
                src = m.group(1).decode()
                if owner(src, n) != k:
                    continue  # only context packets of this source were here
                if where.setdefault(src, k) != k:
                    sys.exit("shard.sh: source %s is in two shards (%d, %d): the splitter disagrees with ddi "
                             "about which address is the source" % (src, where[src], k))
                fs = FIRST_SEEN.search(line)
                key = (src, float(fs.group(1)) if fs and fs.group(1) != b"null" else 0.0)
                if key in done:
                    continue  # evicted when the state was saved after the report that lists it too
                done.add(key)
                keys.append(key + (pi, at, len(line)))
    keys.sort()
    files = [open(p, "rb") for p in parts]
    with open(out, "wb") as f:
        for _src, _fs, pi, at, ln in keys:
            files[pi].seek(at)
            line = files[pi].read(ln)
            f.write(line if line.endswith(b"\n") else line + b"\n")
    for g in files:
        g.close()
    print("shard.sh: %d sources (%d lines) from %d files -> %s" % (len(where), len(keys), len(parts), out),
          file=sys.stderr)


def main(argv):
    if len(argv) >= 4 and argv[0] == "split":
        series = argv[1] == "--series"
        args = argv[2:] if series else argv[1:]
        if len(args) < 3 or (not series and len(args) != 3):
            sys.exit(__doc__)
        jobs = int(os.environ.get("DDI_JOBS") or os.cpu_count() or 1)
        split(int(args[0]), args[1], args[2:], series, jobs)
    elif len(argv) >= 3 and argv[0] == "merge":
        merge(int(argv[1]), argv[2], argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
