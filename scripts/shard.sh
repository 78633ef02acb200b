#!/usr/bin/env bash
# shard.sh — split a capture by source address and analyse the shards with
# tshark + ddi in parallel, then merge the per-source reports.
#
#   scripts/shard.sh CAPTURE N OUTDIR
#
# 1. A small stdlib-only Python splitter (embedded below) reads CAPTURE (pcap
#    or pcapng, any byte order, µs or ns) once and writes N shards
#    OUTDIR/shards/shard-K.{pcap,pcapng}.  A packet goes to shard
#    crc32(source address) mod N, where the source is the address ddi
#    analyses: the innermost IP header (through VLAN/QinQ, MPLS, PPPoE, PPP,
#    SLL/SLL2, raw IP, GRE, IP-in-IP, GTP-U, VXLAN, Teredo, L2TP), but the
#    sender of an ICMP error, never the header it quotes.  Every packet of
#    one source therefore lands in one shard; packets without an IP source
#    go to shard 0.  The splitter also prints the capture's end time (the
#    latest timestamp of a packet with an IP source, which is what ddi
#    itself uses as the horizon).
#    A reply is backscatter only if the capture does not show the packet it
#    answers, which another host sent: so a packet also goes, as context, to
#    the shard of its destination when that destination sends packets itself
#    somewhere in the capture (a first read collects the senders).  A pure
#    telescope's dark addresses never send, so its packets are not copied.
#    Likewise a host's packets go to the shards of the hosts sending it ICMP
#    errors (a traceroute's routers).  Limit on two-way captures: the point
#    where the capture first shows two-way traffic is each shard's own.
# 2. GNU parallel runs, for every shard,
#        tshark -n -r SHARD -q -o ddi.capture_end:END -z ddi,sources,json
#    so whole-capture verdicts (Conficker-style "one retry, then silence")
#    see the end of the WHOLE capture, not of the shard.
#    To spread the shards over several machines, give parallel a host list:
#        DDI_PARALLEL_OPTS="--sshlogin 8/host1,8/host2,:"
#    (8 jobs on each host, ':' is this one; every host needs tshark with the
#    plugin installed and must see OUTDIR at the same path, e.g. over NFS).
# 3. The per-source JSON lines of all shards are merged, sorted by "src",
#    into OUTDIR/sources.jsonl, each taken from the shard that owns the
#    source (context packets give partial lines elsewhere, which are
#    dropped).  A source found in two owning shards is an error.
#
# Environment:
#   DDI_JOBS           parallel jobs (default: nproc)
#   DDI_BUILD_DIR      use the plugin of this build tree instead of the
#                      installed one (as root, tshark then runs as user
#                      nobody: Wireshark ignores WIRESHARK_PLUGIN_DIR as root)
#   DDI_TSHARK_OPTS    extra tshark options (word-split), e.g. "-2" or
#                      "-o ddi.own_db:/path/ddi.fp"
#   DDI_PARALLEL_OPTS  extra GNU parallel options (e.g. --sshlogin ...)
#   DDI_KEEP_SHARDS=1  keep OUTDIR/shards and the per-shard outputs
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

usage() { echo "usage: $0 CAPTURE N OUTDIR" >&2; exit 2; }
[ $# -eq 3 ] || usage
capture=$1 n=$2 outdir=$3
[ -r "$capture" ] || { echo "shard.sh: cannot read $capture" >&2; exit 2; }
if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 4096 ]; then
    echo "shard.sh: N must be 1..4096" >&2
    exit 2
fi
command -v tshark >/dev/null || { echo "shard.sh: tshark not found" >&2; exit 2; }
command -v parallel >/dev/null || { echo "shard.sh: GNU parallel not found (apt-get install parallel)" >&2; exit 2; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
shards=$outdir/shards
rm -rf "$shards" "$outdir/parts"
mkdir -p "$shards" "$outdir/parts"

# ------------------------------------------------------------------ split
end=$("$PY" - "$capture" "$n" "$shards" <<'PYEOF'
import os, struct, sys, zlib

cap, n, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]

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


def shard_of(src):
    return zlib.crc32(src) % n if src else 0


def targets(addrs, senders, errors):
    """The shards a packet goes to: its source's; its destination's when the
    destination sends too (context for judging replies); and those of the
    hosts that send ICMP errors to its source (context for judging them,
    e.g. the routers answering a traceroute)."""
    if not addrs:
        return (0,)
    out = {shard_of(addrs[0])}
    if senders is not None:
        if addrs[1] in senders:
            out.add(shard_of(addrs[1]))
        out |= errors.get(addrs[0], set())
    return sorted(out)


def split(senders, errors):
  """One read of the capture.  senders is None: collect and return the set of
  source addresses and, per destination of ICMP errors, the shards of their
  senders; otherwise write the shards."""
  found, errs = set(), {}

  def note(addrs):
      found.add(addrs[0])
      if addrs[2]:
          errs.setdefault(addrs[1], set()).add(shard_of(addrs[0]))

  end = None
  ext = None
  with open(cap, "rb") as f:
      head = f.read(4)
      f.seek(0)
      if head == b"\x0a\x0d\x0d\x0a":
          ext = "pcapng"
          outs = [opener(senders)(os.path.join(outdir, "shard-%d.pcapng" % k), "wb") for k in range(n)]
          endian, links, tsres = "<", {}, {}
          while True:
              hdr = f.read(8)
              if len(hdr) < 8:
                  if hdr:
                      sys.exit("shard.sh: %s: truncated pcapng block" % cap)
                  break
              if hdr[:4] == b"\x0a\x0d\x0d\x0a":
                  bom = f.read(4)
                  endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
                  btype, blen = struct.unpack(endian + "II", hdr)
                  body = bom + f.read(blen - 12)
                  links, tsres = {}, {}
                  idb_count = 0
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
                  # if_tsresol option (9)
                  res, o = 10 ** -6, 8
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
                  for o_ in outs:
                      o_.write(block)
              elif btype in (6, 2):                         # EPB, obsolete PB
                  if btype == 6:
                      iface, tsh, tsl, caplen = struct.unpack_from(endian + "IIII", body, 0)
                  else:
                      iface, _drops, tsh, tsl, caplen = struct.unpack_from(endian + "HHIII", body, 0)
                  data = body[20:20 + caplen]
                  addrs = source(links.get(iface, -1), data)
                  if addrs:
                      note(addrs)
                      ts = ((tsh << 32) | tsl) * tsres.get(iface, 1e-6)
                      if end is None or ts > end:
                          end = ts
                  for k in targets(addrs, senders, errors):
                      outs[k].write(block)
              elif btype == 3:                              # SPB: interface 0, no timestamp
                  data = body[4:]
                  addrs = source(links.get(0, -1), data)
                  if addrs:
                      note(addrs)
                  for k in targets(addrs, senders, errors):
                      outs[k].write(block)
              else:                                         # SHB, NRB, ISB, DSB, custom...: to every shard
                  for o_ in outs:
                      o_.write(block)
      else:
          ext = "pcap"
          gh = f.read(24)
          if len(gh) < 24:
              sys.exit("shard.sh: %s: not a pcap or pcapng file" % cap)
          magic = gh[:4]
          formats = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
                     b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
          if magic not in formats:
              sys.exit("shard.sh: %s: unsupported capture format (magic %s); convert it with editcap -F pcapng"
                       % (cap, magic.hex()))
          endian, unit = formats[magic]
          linktype = struct.unpack_from(endian + "I", gh, 20)[0] & 0x0FFFFFFF
          outs = [opener(senders)(os.path.join(outdir, "shard-%d.pcap" % k), "wb") for k in range(n)]
          for o_ in outs:
              o_.write(gh)
          rec = struct.Struct(endian + "IIII")
          while True:
              rh = f.read(16)
              if len(rh) < 16:
                  if rh:
                      sys.exit("shard.sh: %s: truncated record header" % cap)
                  break
              sec, frac, incl, _orig = rec.unpack(rh)
              data = f.read(incl)
              if len(data) != incl:
                  sys.exit("shard.sh: %s: truncated record" % cap)
              addrs = source(linktype, data)
              if addrs:
                  note(addrs)
                  ts = sec + frac * unit
                  if end is None or ts > end:
                      end = ts
              for k in targets(addrs, senders, errors):
                  outs[k].write(rh)
                  outs[k].write(data)
  for o_ in outs:
      o_.close()
  return (found, errs) if senders is None else (end, ext)


class Null:
    def write(self, _):
        pass

    def close(self):
        pass


def opener(senders):
    if senders is None:
        return lambda path, mode: Null()
    return open


senders, errors = split(None, None)
end, ext = split(senders, errors)
print("%.9f %s" % (end if end is not None else 0.0, ext))
PYEOF
)
read -r capture_end ext <<<"$end"
echo "shard.sh: $n shards of $(basename "$capture") in $shards; capture end $capture_end" >&2

# ------------------------------------------------------------------ analyse
# tshark command prefix: the installed plugin, or a build tree's plugin.
tshark_cmd=(tshark)
if [ -n "${DDI_BUILD_DIR:-}" ]; then
    plugdir=$(cd "$DDI_BUILD_DIR" && pwd)/plugins
    [ -d "$plugdir" ] || { echo "shard.sh: no plugins/ in DDI_BUILD_DIR=$DDI_BUILD_DIR" >&2; exit 2; }
    if [ "$(id -u)" -eq 0 ]; then
        # Wireshark ignores WIRESHARK_PLUGIN_DIR as root: run as nobody with a
        # throw-away HOME; the shards must then be readable by nobody
        home=$(mktemp -d /tmp/ddi-shard-home.XXXXXX)
        chmod 777 "$home"
        trap 'rm -rf "$home"' EXIT
        chmod a+rx "$outdir" "$shards"
        chmod a+r "$shards"/*
        if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$shards/shard-0.$ext"; then
            echo "shard.sh: user nobody cannot read $shards (a parent folder is private): choose an OUTDIR under /tmp" >&2
            exit 2
        fi
        tshark_cmd=(setpriv --reuid=65534 --regid=65534 --clear-groups
                    env -i PATH=/usr/bin:/bin "HOME=$home" TZ=UTC LANG=C.UTF-8 "WIRESHARK_PLUGIN_DIR=$plugdir" tshark)
    else
        tshark_cmd=(env "WIRESHARK_PLUGIN_DIR=$plugdir" tshark)
    fi
fi
read -r -a extra <<<"${DDI_TSHARK_OPTS:-}"
read -r -a popts <<<"${DDI_PARALLEL_OPTS:-}"

# one command line per shard; parallel runs them (-j jobs, --halt: stop at
# the first failure and report it)
cmds=$outdir/parts/commands
: >"$cmds"
for ((k = 0; k < n; k++)); do
    # shellcheck disable=SC2054  # the comma is part of "-z ddi,sources,json"
    args=("${tshark_cmd[@]}" -n "${extra[@]}" -o "ddi.capture_end:$capture_end" -r "$shards/shard-$k.$ext"
          -q -z ddi,sources,json)
    printf '%q ' "${args[@]}" >>"$cmds"
    printf '> %q 2> %q\n' "$outdir/parts/shard-$k.jsonl" "$outdir/parts/shard-$k.err" >>"$cmds"
done
if ! parallel --will-cite --halt now,fail=1 -j "${DDI_JOBS:-$(nproc)}" "${popts[@]}" <"$cmds"; then
    echo "shard.sh: a shard's tshark failed:" >&2
    for e in "$outdir"/parts/*.err; do
        [ -s "$e" ] && { echo "--- $e" >&2; head -20 "$e" >&2; }
    done
    exit 1
fi
for e in "$outdir"/parts/*.err; do
    # pass tshark's warnings on (e.g. a signature database problem), once per shard
    [ -s "$e" ] && sed "s|^|$(basename "$e" .err): |" "$e" >&2
done

# ------------------------------------------------------------------ merge
"$PY" - "$outdir/sources.jsonl" "$n" "$outdir"/parts/shard-*.jsonl <<'PYEOF'
import ipaddress, json, os, re, sys, zlib

out, n, parts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


def owner(src):
    a = ipaddress.ip_address(src)
    return zlib.crc32((b"\x04" if a.version == 4 else b"\x06") + a.packed) % n

rows, where = [], {}
for p in parts:
    with open(p, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("{"):
                continue
            obj = json.loads(line)
            if "src" not in obj:  # the shard's {"capture": ...} header describes the shard only
                continue
            src = obj["src"]
            if owner(src) != int(re.search(r"shard-(\d+)\.jsonl$", p).group(1)):
                continue  # only context packets of this source were here
            if src in where:
                sys.exit("shard.sh: source %s is in two shards (%s, %s): the splitter disagrees with ddi "
                         "about which address is the source" % (src, where[src], p))
            where[src] = p
            rows.append((src, line))
rows.sort()
with open(out, "w", encoding="utf-8") as f:
    for _, line in rows:
        f.write(line + "\n")
print("shard.sh: %d sources from %d shards -> %s" % (len(rows), len(parts), out), file=sys.stderr)
PYEOF

if [ "${DDI_KEEP_SHARDS:-0}" != 1 ]; then
    rm -rf "$shards" "$outdir/parts"
fi
