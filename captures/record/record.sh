#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ddi capture recorder: records REAL tools and REAL Linux kernel stacks
# sending into a simulated darknet, entirely inside network namespaces that
# this script creates (and deletes again on exit).
#
#   sudo captures/record/record.sh            # writes captures/netns-*.pcapng
#   OUT=/tmp/x sudo captures/record/record.sh # write somewhere else
#
# Network safety rules (see README.md in this directory):
#   * only RFC 5737 documentation prefixes are used: 192.0.2.0/24,
#     198.51.100.0/24 (the darknet), 203.0.113.0/24 (the sources);
#   * every interface lives in a namespace created here (veth pairs are
#     created directly inside the namespaces, never in the host namespace);
#     no namespace has a default route and the router only knows the
#     documentation prefixes;
#   * the darknet namespace never answers (local route + iptables DROP);
#   * every tool run is bounded in packets (-c, -n, small target sets,
#     --max-retries) and in time (timeout).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$REPO/captures}
MANIFEST=${MANIFEST:-$HERE/MANIFEST.tsv}
VERSIONS=${VERSIONS:-$HERE/versions.txt}
PY=/usr/bin/python3             # Debian python with python3-scapy
LOG=$(mktemp -d /tmp/ddi-record.XXXXXX)
mkdir -p "$OUT" "$(dirname "$MANIFEST")" "$(dirname "$VERSIONS")"

NSS=(ddi-rt ddi-dark
     ddi-lx ddi-nat ddi-natin ddi-ppp ddi-nots ddi-lxexp
     ddi-zmap ddi-masscan ddi-nmss ddi-nmst ddi-nmos ddi-hping ddi-nmsn
     ddi-victim ddi-vrte ddi-vrtu ddi-atk)

DARK_IF=dk0
DARK_FILTER='dst net 198.51.100.0/24'

say() { printf '[record] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raw sockets)"
for t in ip iptables ethtool dumpcap tshark zmap masscan nmap hping3 timeout; do
    command -v "$t" >/dev/null || die "missing tool: $t"
done
"$PY" -c 'import scapy' 2>/dev/null || die "$PY has no scapy (apt-get install python3-scapy)"

# ---------------------------------------------------------------- cleanup --
cleanup() {
    local ns pid
    for ns in "${NSS[@]}"; do
        [ -e "/run/netns/$ns" ] || continue
        # Only processes living inside OUR namespaces (all started by us).
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -TERM "$pid" 2>/dev/null || true
        done
    done
    sleep 0.3
    for ns in "${NSS[@]}"; do
        [ -e "/run/netns/$ns" ] || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
}
trap 'rc=$?; cleanup; [ $rc = 0 ] || say "failed (rc=$rc), logs in $LOG"; exit $rc' EXIT
trap 'exit 130' INT TERM
cleanup   # idempotent: remove leftovers of an interrupted earlier run

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# --------------------------------------------------------------- topology --
for ns in "${NSS[@]}"; do
    ip netns add "$ns"
    nsx "$ns" ip link set lo up
    # Loose source checks: the router must pass the spoofed backscatter stimuli.
    nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done

# mac <link-index> <1=router side|2=host side>: RFC 7042 documentation MACs
# 00:00:5e:00:53:xx (router side even, host side odd).
mac() { printf '00:00:5e:00:53:%02x' $(( $1 * 2 + $2 - 1 )); }

# link_src <ns> <index> <address> [mtu]: point-to-point /32 link between a
# source namespace (eth0) and the router (r-<ns>); router side is 203.0.113.1.
link_src() {
    local ns=$1 idx=$2 addr=$3 mtu=${4:-1500} rif="r-${1#ddi-}"
    ip link add eth0 netns "$ns" address "$(mac "$idx" 2)" mtu "$mtu" type veth \
        peer name "$rif" netns ddi-rt address "$(mac "$idx" 1)" mtu "$mtu"
    # Full checksums in the frames (veth would otherwise leave them partial).
    nsx "$ns" ethtool -K eth0 tx off >/dev/null
    nsx ddi-rt ethtool -K "$rif" tx off >/dev/null
    nsx "$ns" ip addr add "$addr/32" dev eth0
    nsx "$ns" ip link set eth0 up
    nsx "$ns" ip route add 203.0.113.1/32 dev eth0 scope link
    nsx "$ns" ip route add 198.51.100.0/24 via 203.0.113.1 dev eth0
    nsx ddi-rt ip addr add 203.0.113.1/32 dev "$rif"
    nsx ddi-rt ip link set "$rif" up
    nsx ddi-rt ip route add "$addr/32" dev "$rif" scope link
}
gwmac() { mac "$1" 1; }

say "building namespaces"
nsx ddi-rt sysctl -qw net.ipv4.ip_forward=1

# router <-> darknet transit 192.0.2.252/30
ip link add r-dark netns ddi-rt address "$(mac 1 1)" type veth \
    peer name "$DARK_IF" netns ddi-dark address "$(mac 1 2)"
nsx ddi-rt ethtool -K r-dark tx off >/dev/null
nsx ddi-dark ethtool -K "$DARK_IF" tx off >/dev/null
nsx ddi-rt ip addr add 192.0.2.254/30 dev r-dark
nsx ddi-rt ip link set r-dark up
nsx ddi-dark ip addr add 192.0.2.253/30 dev "$DARK_IF"
nsx ddi-dark ip link set "$DARK_IF" up
nsx ddi-rt ip route add 198.51.100.0/24 via 192.0.2.253 dev r-dark
# The darknet owns all of 198.51.100.0/24 and never answers anything.
nsx ddi-dark ip route add local 198.51.100.0/24 dev lo
nsx ddi-dark iptables -P INPUT DROP
nsx ddi-dark iptables -P FORWARD DROP
nsx ddi-dark iptables -P OUTPUT DROP

# 1. kernel stacks
link_src ddi-lx    2 203.0.113.10
link_src ddi-nat   3 203.0.113.11
link_src ddi-ppp   4 203.0.113.12 1492
link_src ddi-nots  5 203.0.113.13
nsx ddi-nots sysctl -qw net.ipv4.tcp_timestamps=0
# Recent kernels (6.18 here) retransmit SYNs with linear 1 s timeouts
# (net.ipv4.tcp_syn_linear_timeouts=4); 0 gives the classic 1, 3, 7, 15 s.
link_src ddi-lxexp 18 203.0.113.14
nsx ddi-lxexp sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null ||
    say "kernel has no tcp_syn_linear_timeouts: backoff is exponential anyway"
# NAT: 192.0.2.0/28 behind 203.0.113.11, random ports, MSS clamped to 1380 (a WireGuard-sized tunnel, MTU 1420: not PPPoE-sized, so NAT and PPPoE stay separate questions)
ip link add lan0 netns ddi-nat address "$(mac 6 1)" type veth \
    peer name eth0 netns ddi-natin address "$(mac 6 2)"
nsx ddi-nat ethtool -K lan0 tx off >/dev/null
nsx ddi-natin ethtool -K eth0 tx off >/dev/null
nsx ddi-nat ip addr add 192.0.2.1/28 dev lan0
nsx ddi-nat ip link set lan0 up
nsx ddi-natin ip addr add 192.0.2.2/28 dev eth0
nsx ddi-natin ip link set eth0 up
nsx ddi-natin ip route add 198.51.100.0/24 via 192.0.2.1 dev eth0
nsx ddi-nat sysctl -qw net.ipv4.ip_forward=1
nsx ddi-nat iptables -t nat -A POSTROUTING -o eth0 -s 192.0.2.0/28 -j MASQUERADE --random-fully
nsx ddi-nat iptables -t mangle -A FORWARD -o eth0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1380

# 2. scanners
link_src ddi-zmap    7 203.0.113.20
link_src ddi-masscan 8 203.0.113.21
link_src ddi-nmss    9 203.0.113.22
link_src ddi-nmst   10 203.0.113.23
link_src ddi-nmos   11 203.0.113.24
link_src ddi-hping  12 203.0.113.25
link_src ddi-nmsn   13 203.0.113.26

# 3. backscatter: victim host (.50-.54), two victim routers (.60, .61),
#    attacker (.66) that spoofs darknet sources.
link_src ddi-victim 14 203.0.113.50
for a in 51 52 53 54; do nsx ddi-victim ip addr add "203.0.113.$a/32" dev eth0; done
for a in 51 52 53 54; do nsx ddi-rt ip route add "203.0.113.$a/32" dev r-victim scope link; done
link_src ddi-vrte 15 203.0.113.60
link_src ddi-vrtu 16 203.0.113.61
link_src ddi-atk  17 203.0.113.66
nsx ddi-atk ip route add 203.0.113.0/24 via 203.0.113.1 dev eth0
nsx ddi-atk ip route add 192.0.2.96/27 via 203.0.113.1 dev eth0
nsx ddi-atk ip route add 192.0.2.192/27 via 203.0.113.1 dev eth0
nsx ddi-rt ip route add 192.0.2.96/27 via 203.0.113.60 dev r-vrte
nsx ddi-rt ip route add 192.0.2.192/27 via 203.0.113.61 dev r-vrtu
for ns in ddi-vrte ddi-vrtu; do nsx "$ns" sysctl -qw net.ipv4.ip_forward=1; done
# vrte forwards 192.0.2.96/27 back towards the router: TTL expires first.
nsx ddi-vrte ip route add 192.0.2.96/27 via 203.0.113.1 dev eth0
# vrtu has an 'unreachable' route: ICMP destination unreachable (host).
nsx ddi-vrtu ip route add unreachable 192.0.2.192/27

# --------------------------------------------------------------- capture ---
CAP_PID=
cap_start() {   # cap_start <file> <comment>
    local f=$1
    rm -f "$f"
    # 'ip netns exec' execs dumpcap, so $! is dumpcap itself.
    ip netns exec ddi-dark dumpcap -q -i "$DARK_IF" -f "$DARK_FILTER" -w "$f" \
        --capture-comment "$2" >"$LOG/dumpcap.$(basename "$f").log" 2>&1 &
    CAP_PID=$!
    local i
    for i in $(seq 50); do
        grep -q "Capturing on" "$LOG/dumpcap.$(basename "$f").log" 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.5
}
cap_stop() {
    sleep 1
    kill -TERM "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    CAP_PID=
}

# ---------------------------------------------------------------- manifest --
printf 'file\tsrc\tnamespace\tcommand\texpected\n' >"$MANIFEST"
row() {   # row <file> <src> <ns> <command> <expected>; repo paths made relative
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4//"$REPO/"/}" "$5" >>"$MANIFEST"
}

# run_bg <file> <src> <ns> <expected> <cmd...>: run cmd in ns in background,
# record it in the manifest (the command exactly as executed).
# qjoin: join argv into one shell-readable line (quote only where needed).
qjoin() {
    local a out=()
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:,=+@%-]+$ ]]; then out+=("$a")
        elif [[ $a != *[\"\$\`\\]* ]]; then out+=("\"$a\"")
        else out+=("$(printf '%q' "$a")"); fi
    done
    printf '%s' "${out[*]}"
}
PIDS=()
run_bg() {
    local file=$1 src=$2 ns=$3 exp=$4; shift 4
    row "$file" "$src" "$ns" "$(qjoin "$@")" "$exp"
    ( nsx "$ns" "$@" >>"$LOG/$ns.log" 2>&1 || true ) &
    PIDS+=($!)
}
wait_all() { local p; for p in "${PIDS[@]}"; do wait "$p" || true; done; PIDS=(); }

# ------------------------------------------------- 1. kernel stacks (connect)
F1=netns-stacks.pcapng
say "recording $F1 (~14 s)"
cap_start "$OUT/$F1" "ddi: real Linux $(uname -r) SYNs via connect() into darknet 198.51.100.0/24 (captures/record/record.sh)"
# stacks <ns> <src> <expected> <first darknet host octet>
stacks() {
    local ns=$1 src=$2 exp=$3 h=$4
    # one long connect (SYN retransmissions at ~1, 3, 7 s) and two short ones
    run_bg "$F1" "$src" "$ns" "$exp" bash -c \
        "timeout 12 bash -c 'exec 3<>/dev/tcp/198.51.100.$h/445' & timeout 4 bash -c 'exec 3<>/dev/tcp/198.51.100.$((h+1))/80' & timeout 4 bash -c 'exec 3<>/dev/tcp/198.51.100.$((h+2))/22' & wait"
}
stacks ddi-lx    203.0.113.10 "os=Linux nat=no pppoe=no mss=1460 ts=yes tool=none synretrans=linear(kernel 6.18 default tcp_syn_linear_timeouts=4: 1,2,3,4,5,7 s)" 10
stacks ddi-natin 203.0.113.11 "os=Linux nat=yes(masquerade --random-fully, inner 192.0.2.2, 2 hops) pppoe=no mss=1380(clamped) ts=yes tool=none" 20
stacks ddi-ppp   203.0.113.12 "os=Linux nat=no pppoe=yes(mtu 1492) mss=1452 ts=yes tool=none" 30
stacks ddi-nots  203.0.113.13 "os=Linux nat=no pppoe=no mss=1460 ts=no(tcp_timestamps=0) tool=none" 40
stacks ddi-lxexp 203.0.113.14 "os=Linux nat=no pppoe=no mss=1460 ts=yes tool=none synretrans=exponential(tcp_syn_linear_timeouts=0: 1,3,7 s)" 50
wait_all
cap_stop

# ------------------------------------------------------------ 2. scanners --
F2=netns-scanners.pcapng
say "recording $F2 (up to ~60 s)"
cap_start "$OUT/$F2" "ddi: real scanners (zmap, masscan, nmap, hping3) into darknet 198.51.100.0/24 (captures/record/record.sh)"
run_bg "$F2" 203.0.113.20 ddi-zmap "tool=zmap (tcp_synscan) count=100" \
    timeout 30 zmap -p 80 -n 100 -r 200 -c 1 -e 1 -i eth0 -S 203.0.113.20 -G "$(gwmac 7)" \
    -b "$HERE/zmap-blocklist.conf" -o /dev/null 198.51.100.0/24
run_bg "$F2" 203.0.113.21 ddi-masscan "tool=masscan count=128" \
    timeout 30 masscan 198.51.100.0/26 -p80,445 --rate 200 --wait 1 --seed 1 \
    --adapter eth0 --adapter-ip 203.0.113.21 --router-mac "$(gwmac 8)"
run_bg "$F2" 203.0.113.22 ddi-nmss "tool=nmap-sS" \
    timeout 90 nmap -n -Pn -sS -T4 --max-retries 1 --host-timeout 60s -e eth0 \
    -p 22,80,443,445 198.51.100.0/28
run_bg "$F2" 203.0.113.23 ddi-nmst "tool=nmap-sT (kernel connect(): Linux SYNs)" \
    timeout 90 nmap -n -Pn -sT -T4 --max-retries 1 --host-timeout 60s -e eth0 \
    -p 22,80,443,445 198.51.100.16/28
run_bg "$F2" 203.0.113.24 ddi-nmos "tool=nmap-O (SYN scan + OS probes, no open port)" \
    timeout 90 nmap -n -Pn -O -T4 --max-retries 1 --host-timeout 60s -e eth0 \
    -p 22,80,443 198.51.100.32/30
run_bg "$F2" 203.0.113.25 ddi-hping "tool=hping3 (-S) count=20" \
    timeout 10 hping3 -n -q -S -p 80 -c 20 -i u100000 -I eth0 198.51.100.200
run_bg "$F2" 203.0.113.26 ddi-nmsn "tool=nmap-sn (host discovery: ICMP echo, SYN 443, ACK 80, ICMP timestamp)" \
    timeout 60 nmap -n -sn -T4 --max-retries 1 -e eth0 198.51.100.48/28
wait_all
cap_stop

# --------------------------------------------------------- 3. backscatter --
F3=netns-backscatter.pcapng
say "recording $F3 (~10 s)"
# Open port on the victim: listen on 203.0.113.50:80 but never accept.
nsx ddi-victim "$PY" -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("203.0.113.50", 80)); s.listen(16); time.sleep(120)' >"$LOG/listener.log" 2>&1 &
LISTENER=$!
for i in $(seq 50); do
    nsx ddi-victim ss -Hltn 'sport = :80' | grep -q . && break
    sleep 0.1
done
cap_start "$OUT/$F3" "ddi: backscatter from real Linux $(uname -r) victims (spoofed darknet sources) seen by darknet 198.51.100.0/24 (captures/record/record.sh)"
BS="$PY $HERE/backscatter.py"
row "$F3" 203.0.113.50 ddi-atk "timeout 30 $BS  # SYN to listening :80 from 198.51.100.101-103; answered by ddi-victim" "backscatter=synack (os=Linux, retransmitted ~1,3,7 s)"
row "$F3" 203.0.113.51 ddi-atk "timeout 30 $BS  # SYN to closed :81 from 198.51.100.111-112; answered by ddi-victim" "backscatter=rstack"
row "$F3" 203.0.113.52 ddi-atk "timeout 30 $BS  # ACK to closed :80 from 198.51.100.121-122; answered by ddi-victim" "backscatter=rst"
row "$F3" 203.0.113.53 ddi-atk "timeout 30 $BS  # UDP to closed :53/:123 from 198.51.100.131-132; answered by ddi-victim" "backscatter=icmp-port-unreach (quotes UDP)"
row "$F3" 203.0.113.54 ddi-atk "timeout 30 $BS  # ICMP echo request from 198.51.100.141-142; answered by ddi-victim" "backscatter=echo-reply"
row "$F3" 203.0.113.60 ddi-atk "timeout 30 $BS  # TCP SYN ttl=2 to 192.0.2.100-101 from 198.51.100.151-152; answered by ddi-vrte" "backscatter=icmp-ttl-exceeded (quotes TCP SYN)"
row "$F3" 203.0.113.61 ddi-atk "timeout 30 $BS  # TCP SYN to 192.0.2.200-201 (unreachable route) from 198.51.100.161-162; answered by ddi-vrtu" "backscatter=icmp-host-unreach (quotes TCP SYN)"
nsx ddi-atk timeout 30 $BS >"$LOG/backscatter.log" 2>&1 || die "backscatter.py failed: $(cat "$LOG/backscatter.log")"
sleep 8     # let the victim retransmit its SYN-ACKs (1 s, 3 s, 7 s)
cap_stop
kill -INT "$LISTENER" 2>/dev/null || true

# --------------------------------------------------------------- versions --
{
    echo "# recorded $(date -u +%Y-%m-%dT%H:%M:%SZ) by captures/record/record.sh"
    echo "kernel: $(uname -r)"
    echo "debian: $(cat /etc/debian_version 2>/dev/null || echo ?)"
    echo "zmap: $(zmap --version 2>&1 | head -1)"
    echo "masscan: $(masscan --version 2>&1 | grep -m1 -i version)"
    echo "nmap: $(nmap --version 2>&1 | head -1)"
    echo "hping3: $(hping3 --version 2>&1 | head -1)"
    echo "scapy: $("$PY" -c 'import scapy; print(scapy.__version__)')"
    echo "dumpcap: $(dumpcap --version 2>&1 | head -1)"
    echo "iptables: $(iptables --version)"
    echo "iproute2: $(ip -V)"
} >"$VERSIONS"

for f in "$F1" "$F2" "$F3"; do
    chmod 644 "$OUT/$f"     # dumpcap creates 0600 files
    n=$(tshark -r "$OUT/$f" -T fields -e frame.number 2>/dev/null | wc -l)
    printf 'wrote %s (%s packets, %s bytes)\n' "$OUT/$f" "$n" "$(stat -c %s "$OUT/$f")"
done
echo "wrote $MANIFEST"
echo "wrote $VERSIONS"
echo "check with: $HERE/verify.py $OUT/$F1 $OUT/$F2 $OUT/$F3"
rm -rf "$LOG"
