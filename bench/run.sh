#!/usr/bin/env bash
# bench/run.sh — the ddi performance bar (issues 6 and 11), measured side by side.
#
#   bench/run.sh              measure and write bench/RESULTS.md (~20 min on 2 quiet cores)
#   bench/run.sh --quick      the same comparisons on smaller inputs (<= 10 min on 2 quiet cores)
#   bench/run.sh --profile    instead, profile the first 100,000 packets of the mixed capture:
#                             callgrind with and without ddi (instruction
#                             counts: exact, whatever the machine's load) and
#                             massif of ddi's heap -> $BENCH_DIR/profile.txt
#                             (15-30 min on 2 cores)
#
# 1. Builds the plugin (RelWithDebInfo) in $DDI_BUILD_DIR and
#    bench/gen_darknet, and generates two captures in $BENCH_DIR (reused when
#    present): a SYN-heavy one (`gen_darknet --syn-only`, $BENCH_SYN_PACKETS
#    SYNs from $BENCH_SYN_SOURCES sources: issue 11's acceptance capture) and
#    the mixed one ($BENCH_PACKETS packets from $BENCH_SOURCES sources, with
#    backscatter and IPv6).
# 2. Measures, with /usr/bin/time -v (wall time, CPU time, peak RSS) and
#    medians over $BENCH_RUNS side-by-side pairs ($BENCH_S_RUNS for S):
#      S  tshark -T fields, 5 ip/tcp fields + 4 ddi fields (ddi.os,
#         ddi.ipid.gap, ddi.nat, ddi.mss.link), SYN capture, ddi enabled vs
#         the same command with --disable-protocol ddi (target <= 1.10x wall)
#      M  the same on the mixed capture
#      P  plain `tshark -r X` (nothing of ddi referenced), SYN capture, vs
#         --disable-protocol ddi (target <= 1.03x wall)
#      B  S with -2
#      C  p0f -r X -o LOG  vs  tshark -q -z ddi,sources on the mixed capture
#         (ddi must be at least as fast as p0f)
#    and the peak-RSS difference per source (S, M; target <= 150 bytes).
#      I  S's and P's commands under callgrind on a $BENCH_IR_PACKETS-packet
#         SYN capture: instructions per packet, exact whatever the load
# 3. Prints a table and rewrites the measured part of bench/RESULTS.md
#    (between the bench:begin/bench:end markers; the analysis around it is
#    kept), saying for each target whether it was met.
#
# tshark runs the plugin of the BUILD TREE: as root it runs as user nobody
# with WIRESHARK_PLUGIN_DIR (Wireshark ignores that variable as root), like
# the integration tests.  Every ddi run is checked to have produced ddi
# output, so a run without the plugin cannot pass for a fast one.
#
# Pairing: with 2+ CPUs the two commands of a comparison run AT THE SAME TIME
# (one per core), so background load and CPU frequency changes hit both
# equally; the order of start alternates.  BENCH_PAIR=0 runs everything one
# after the other (more precise absolute times on an idle machine, longer).
#
# Environment: BENCH_SYN_PACKETS (200000) BENCH_SYN_SOURCES (50000)
#   BENCH_PACKETS (1000000; --quick 200000) BENCH_SOURCES (100000; --quick
#   20000) BENCH_SEED (1) BENCH_RUNS (3) BENCH_S_RUNS (3 x BENCH_RUNS: S
#   sits near its line and one pair moves by +-2 %, so its median needs
#   more pairs than the others to be the same answer twice) BENCH_DIR (/tmp/ddi-bench)
#   BENCH_PAIR (1 if nproc >= 2) BENCH_IR_PACKETS (20000; --quick 10000; 0 =
#   no callgrind section) BENCH_RESULTS (bench/RESULTS.md; "-" = do not
#   write) DDI_BUILD_DIR (/tmp/ddi-bench-build)
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
quick=0
profile=0
case "${1:-}" in
--quick) quick=1 ;;
--profile) profile=1 ;;
"") ;;
*) echo "usage: bench/run.sh [--quick | --profile]" >&2; exit 2 ;;
esac
if [ "$quick" = 1 ]; then
    packets=${BENCH_PACKETS:-200000}
    sources=${BENCH_SOURCES:-20000}
    irp=${BENCH_IR_PACKETS:-10000}
else
    packets=${BENCH_PACKETS:-1000000}
    sources=${BENCH_SOURCES:-100000}
    irp=${BENCH_IR_PACKETS:-20000}
fi
syn_packets=${BENCH_SYN_PACKETS:-200000}
syn_sources=${BENCH_SYN_SOURCES:-50000}
runs=${BENCH_RUNS:-3}
s_runs=${BENCH_S_RUNS:-$((3 * runs))}
ncpu=$(nproc)
pair=${BENCH_PAIR:-$([ "$ncpu" -ge 2 ] && echo 1 || echo 0)}
. "$here/common.sh"
bench_need tshark p0f cmake make /usr/bin/time

# ------------------------------------------------------------------ build
bench_build "plugin CMakeLists.txt" ddi

cap=$work/darknet-${packets}p-${sources}s-seed${seed}.pcap
if [ ! -s "$cap" ]; then
    echo "bench: generating $cap" >&2
    "$here/gen_darknet" "$cap" --packets "$packets" --sources "$sources" --seed "$seed" --quiet
fi
syncap=$work/syn-${syn_packets}p-${syn_sources}s-seed${seed}.pcap
if [ ! -s "$syncap" ]; then
    echo "bench: generating $syncap" >&2
    "$here/gen_darknet" "$syncap" --packets "$syn_packets" --sources "$syn_sources" --seed "$seed" --syn-only --quiet
fi
chmod 644 "$cap" "$syncap"

# ------------------------------------------------------------------ runners
home=$(mktemp -d /tmp/ddi-bench-home.XXXXXX)
chmod 777 "$home"
cleanup() { rm -rf "$home"; }
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
    as_user=()
fi
tsg=("${as_user[@]}" env -i PATH=/usr/bin:/bin "HOME=$home" TZ=UTC LANG=C.UTF-8 "WIRESHARK_PLUGIN_DIR=$plugdir" tshark)
ts=("${tsg[@]}" -n)
plugins=$("${tsg[@]}" -G plugins 2>/dev/null || true)
grep -q "$plugdir" <<<"$plugins" ||
    { echo "bench: the ddi plugin does not load from $plugdir" >&2; exit 2; }

ip_fields=(-e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e tcp.flags)
ddi_fields=(-e ddi.os -e ddi.ipid.gap -e ddi.nat -e ddi.mss.link)
own_db=(-o "ddi.own_db:$root/signatures/ddi.fp")

# ------------------------------------------------------------------ profile (--profile)
prof=$work/profile.txt
if [ "$profile" = 1 ]; then
    slice=$work/slice-100k.pcap
    # BENCH_PROFILE_REUSE=1: summarise the callgrind/massif files of an earlier --profile
    if [ "${BENCH_PROFILE_REUSE:-0}" != 1 ] || [ ! -s "$work/callgrind.ddi" ]; then
        editcap -r "$cap" "$slice" 1-100000 >/dev/null
        chmod 644 "$slice"
        chmod 777 "$work"
        for m in base ddi; do
            if [ $m = base ]; then x=(--disable-protocol ddi); pf=(); else x=("${own_db[@]}"); pf=("${ddi_fields[@]}"); fi
            "${as_user[@]}" env -i PATH=/usr/bin:/bin "HOME=$home" TZ=UTC LANG=C.UTF-8 "WIRESHARK_PLUGIN_DIR=$plugdir" \
                valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.$m" \
                tshark -n -r "$slice" "${x[@]}" -T fields "${ip_fields[@]}" "${pf[@]}" >/dev/null 2>"$work/callgrind.$m.err" &
        done
        "${as_user[@]}" env -i PATH=/usr/bin:/bin "HOME=$home" TZ=UTC LANG=C.UTF-8 "WIRESHARK_PLUGIN_DIR=$plugdir" \
            valgrind --tool=massif --threshold=0.5 --massif-out-file="$work/massif.ddi" \
            tshark -n -r "$slice" "${own_db[@]}" -T fields "${ip_fields[@]}" "${ddi_fields[@]}" >/dev/null \
            2>"$work/massif.err"
        wait
    fi
    for m in base ddi; do
        callgrind_annotate --inclusive=yes "$work/callgrind.$m" >"$work/callgrind.$m.txt" 2>/dev/null || true
    done
    callgrind_annotate --tree=calling --inclusive=yes "$work/callgrind.ddi" >"$work/callgrind.ddi.tree.txt" 2>/dev/null || true
    ms_print "$work/massif.ddi" >"$work/massif.ddi.txt" 2>/dev/null || true
    {
        echo "commit $commit; first 100,000 packets of $(basename "$cap"); A's two commands"
        for m in base ddi; do
            echo "== callgrind $m: $(grep -m1 'PROGRAM TOTALS' "$work/callgrind.$m.txt" || true)"
        done
        echo "== inclusive instruction counts: without ddi / with ddi"
        for fn in dissect_ddi ddi_observe ddi_verdict_build_ex ddi_verdict_build ddi_os_infer ddi_fp_raw_sig \
                  ddi_tool_evidence ddi_pkt_parse expert_add_info_format write_fields_proto_tree \
                  proto_tree_children_foreach g_str_hash; do
            b=$(grep -m1 -E "[:?]$fn( |'|\$)" "$work/callgrind.base.txt" | awk '{print $1}' || true)
            d=$(grep -m1 -E "[:?]$fn( |'|\$)" "$work/callgrind.ddi.txt" | awk '{print $1}' || true)
            printf '%-32s %18s %18s\n' "$fn" "${b:--}" "${d:--}"
        done
        echo "== what dissect_ddi calls (inclusive, largest first)"
        awk '/\*  .*dissect_ddi/{p=1; next} p && /^$/{p=0} p' "$work/callgrind.ddi.tree.txt" |
            sort -t' ' -k1,1 -rn | head -30 || true
        echo "== massif, ddi run: the peak snapshot's allocation tree, 3 levels (bytes; ddi's state is"
        echo "   g_malloc0 -> ddi.so vec_reserve/table_grow; Wireshark's own tables are the g_malloc/wmem part)"
        awk '/^heap_tree=peak/{p=1; next} p && /^snapshot=/{exit} p' "$work/massif.ddi" |
            grep -E '^ {0,3}n[0-9]+:' | sed 's/ (in [^)]*)//' || true
    } >"$prof"
    cat "$prof" >&2
    echo "bench: profile in $prof ($(($(date +%s) - t_start)) s)" >&2
    exit 0
fi

raw=$work/raw.tsv
: >"$raw"

# start NAME RUN OUT -- cmd... : run in the background under /usr/bin/time -v
start() {
    local name=$1 run=$2 out=$3
    shift 4
    /usr/bin/time -v -o "$work/time.$name.$run" "$@" >"$out" 2>"$work/err.$name.$run" &
}
record() {
    local name=$1 run=$2 f=$work/time.$1.$2
    grep -q "Exit status: 0" "$f" || { echo "bench: $name run $run failed:" >&2; cat "$f" "$work/err.$name.$run" >&2; exit 1; }
    awk -v n="$name" -v r="$run" -F': ' '
        /Elapsed \(wall clock\)/ { k = split($2, t, ":"); w = (k == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
        /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 }
        END { printf "%s\t%s\t%.2f\t%.2f\t%.2f\t%d\n", n, r, w, u, s, m }' "$f" >>"$raw"
}
# compare SECTION NAME_A OUT_A CMD_A... --- NAME_B OUT_B CMD_B...
compare() {
    local sec=$1 i n=$runs
    [ "$sec" = S ] && n=$s_runs
    shift
    local -a a=() b=()
    while [ "$1" != "---" ]; do a+=("$1"); shift; done
    shift
    b=("$@")
    for ((i = 1; i <= n; i++)); do
        local first=("${a[@]}") second=("${b[@]}")
        if ((i % 2 == 0)); then first=("${b[@]}"); second=("${a[@]}"); fi
        echo "bench: $sec run $i/$n: ${first[0]} + ${second[0]}$([ "$pair" = 1 ] && echo " (paired)")" >&2
        start "${first[0]}" "$i" "${first[1]}" -- "${first[@]:2}"
        [ "$pair" = 1 ] || wait
        start "${second[0]}" "$i" "${second[1]}" -- "${second[@]:2}"
        wait
        record "${a[0]}" "$i"
        record "${b[0]}" "$i"
    done
}

fields=("${ip_fields[@]}" "${ddi_fields[@]}")
off=(--disable-protocol ddi)
# S: -T fields with four ddi fields, SYN capture (issue 11's acceptance command)
compare S \
    S.base "$work/out.S.base" "${ts[@]}" -r "$syncap" "${off[@]}" -T fields "${fields[@]}" --- \
    S.ddi "$work/out.S.ddi" "${ts[@]}" "${own_db[@]}" -r "$syncap" -T fields "${fields[@]}"
# P: plain tshark -r, nothing of ddi referenced
compare P \
    P.base "$work/out.P.base" "${ts[@]}" -r "$syncap" "${off[@]}" --- \
    P.ddi "$work/out.P.ddi" "${ts[@]}" "${own_db[@]}" -r "$syncap"
# M: S's command on the mixed capture
compare M \
    M.base "$work/out.M.base" "${ts[@]}" -r "$cap" "${off[@]}" -T fields "${fields[@]}" --- \
    M.ddi "$work/out.M.ddi" "${ts[@]}" "${own_db[@]}" -r "$cap" -T fields "${fields[@]}"
# B: S with two passes
compare B \
    B.base "$work/out.B.base" "${ts[@]}" -2 -r "$syncap" "${off[@]}" -T fields "${fields[@]}" --- \
    B.ddi "$work/out.B.ddi" "${ts[@]}" "${own_db[@]}" -2 -r "$syncap" -T fields "${fields[@]}"
# C: p0f (its default limits; log to a file, console output discarded) vs ddi's per-source report
# shellcheck disable=SC2016  # $1/$2 are sh -c's arguments
compare C \
    C.p0f "/dev/null" sh -c 'rm -f "$1"; exec p0f -r "$2" -o "$1"' p0f "$work/p0f.log" "$cap" --- \
    C.ddi "$work/out.C.ddi" "${ts[@]}" "${own_db[@]}" -q -r "$cap" -z ddi,sources

# I: instructions per packet under callgrind: exact and repeatable whatever
# the machine's load (a shared VM's wall and CPU times vary by +-30 % from
# run to run).  A smaller SYN capture (4 packets per source); an empty
# capture gives tshark's start-up cost, which is subtracted.
irtsv=$work/ir.tsv
: >"$irtsv"
if [ "$irp" -gt 0 ] && command -v valgrind >/dev/null; then
    ircap=$work/syn-${irp}p-$((irp / 4))s-seed${seed}.pcap
    [ -s "$ircap" ] || "$here/gen_darknet" "$ircap" --packets "$irp" --sources $((irp / 4)) --seed "$seed" --syn-only --quiet
    head -c 24 "$ircap" >"$work/empty.pcap"
    chmod 644 "$ircap" "$work/empty.pcap"
    chmod 777 "$work"
    echo "bench: I: callgrind instruction counts, $irp packets" >&2
    for cmd in S P; do
        for input in empty "${irp}p"; do
            if [ "$input" = empty ]; then f=$work/empty.pcap; else f=$ircap; fi
            for m in base ddi; do
                if [ $m = base ]; then x=("${off[@]}"); else x=("${own_db[@]}"); fi
                if [ $cmd = S ]; then e=(-T fields "${fields[@]}"); else e=(); fi
                "${as_user[@]}" env -i PATH=/usr/bin:/bin "HOME=$home" TZ=UTC LANG=C.UTF-8 "WIRESHARK_PLUGIN_DIR=$plugdir" \
                    valgrind --tool=callgrind --callgrind-out-file="$work/ir.$cmd.$m.$input" \
                    tshark -n -r "$f" "${x[@]}" "${e[@]}" >/dev/null 2>"$work/ir.$cmd.$m.$input.err" &
            done
            wait
            for m in base ddi; do
                printf '%s\t%s\t%s\n' "$cmd.$m" "$input" \
                    "$(sed -n 's/^summary: *//p; s/^totals: *//p' "$work/ir.$cmd.$m.$input" | head -1)" >>"$irtsv"
            done
        done
    done
    rm -f "$work"/ir.[SP].*.empty "$work"/ir.[SP].*."${irp}p"
fi

# ------------------------------------------------------------------ sanity checks
checks=$work/checks.txt
{
    for k in S M B; do
        echo "lines $k.base $(wc -l <"$work/out.$k.base")"
        echo "lines $k.ddi $(wc -l <"$work/out.$k.ddi")"
        # columns 6-9 are the ddi fields: some must be filled when ddi ran
        echo "os $k.ddi $(awk -F'\t' '$6 != ""' "$work/out.$k.ddi" | wc -l)"
        echo "link $k.ddi $(awk -F'\t' '$9 != ""' "$work/out.$k.ddi" | wc -l)"
        echo "os $k.base $(awk -F'\t' '$6 != ""' "$work/out.$k.base" | wc -l)"
    done
    echo "lines P.base $(wc -l <"$work/out.P.base")"
    echo "lines P.ddi $(wc -l <"$work/out.P.ddi")"
    echo "sources C.ddi $(sed -n 's/^ddi per-source report: \([0-9]*\) sources/\1/p' "$work/out.C.ddi")"
    echo "os C.ddi $(grep -c '^    OS:       [^-]' "$work/out.C.ddi" || true)"
    # the report's last line: ddi state: S sources, C SYN connections, F frame records, M MB
    sed -n 's/^ddi state: \([0-9]*\) sources, \([0-9]*\) SYN connections, \([0-9]*\) frame records, \([0-9.]*\) MB$/state_sources C.ddi \1\nstate_conns C.ddi \2\nstate_frames C.ddi \3\nstate_kb C.ddi \4/p' "$work/out.C.ddi" |
        awk '$1 == "state_kb" { $3 = int($3 * 1024) } { print }'
    echo "p0f_syn C.p0f $(grep -c 'subj=cli|os=' "$work/p0f.log" || true)"
    echo "p0f_hosts C.p0f $(grep 'subj=cli|os=' "$work/p0f.log" | sed 's/.*|cli=\([^/]*\)\/.*/\1/' | sort -u | wc -l)"
    echo "p0f_os C.p0f $(grep 'subj=cli|os=' "$work/p0f.log" | grep -vc 'os=???' || true)"
} >"$checks"
cat "$checks" >&2
awk '$1 == "os" && $2 ~ /ddi$/ && $3 == 0 { exit 1 }' "$checks" ||
    { echo "bench: ddi produced no OS labels: the plugin did not run" >&2; exit 1; }
cmp -s "$work/out.P.base" "$work/out.P.ddi" ||
    { echo "bench: plain tshark -r printed something else with ddi enabled" >&2; exit 1; }

# ------------------------------------------------------------------ report
elapsed=$(($(date +%s) - t_start))
PYTHONPATH="$here" "$PY" - "$raw" "$checks" "$results" "$packets" "$sources" "$runs" "$s_runs" "$pair" "$elapsed" "$cap" "$commit" "$irtsv" "$irp" \
    "$syncap" "$syn_packets" "$syn_sources" "$quick" <<'PYEOF'
import os, sys
import results as R

(raw, checks, results, packets, sources, runs, s_runs, pair, elapsed, cap, commit, irtsv, irp,
 syncap, syn_packets, syn_sources, quick) = sys.argv[1:]
packets, sources, runs, s_runs, elapsed = int(packets), int(sources), int(runs), int(s_runs), int(elapsed)
syn_packets, syn_sources = int(syn_packets), int(syn_sources)
rows, byrun = R.read_runs(raw)
med = R.medians(rows)
chk = {}
for line in open(checks):
    parts = line.split()
    if len(parts) == 3 and parts[2].isdigit():
        chk[(parts[0], parts[1])] = int(parts[2])

ws = R.sh("tshark --version | head -1") or "?"
p0fv = R.sh("dpkg-query -W -f='${Version}' p0f 2>/dev/null") or "?"


def row(label, a, b, nsrc, target_wall=None, rss_target=None):
    wa, ca, ra = med[a]
    wb, cb, rb = med[b]
    ratio = R.paired_ratio(byrun, a, b, 0)
    cratio = R.paired_ratio(byrun, a, b, 1)
    per_src = (rb - ra) * 1024.0 / nsrc if nsrc else None
    out = [label, "%.2f s" % wa, "%.2f s" % wb, "%.3f×" % ratio, "%.3f×" % cratio,
           R.mb(ra), R.mb(rb), "%.0f B" % per_src if per_src is not None else "—"]
    verdicts = []
    if target_wall is not None:
        verdicts.append("wall ≤ %.2f×: %s" % (target_wall, R.verdict(ratio <= target_wall)))
    if rss_target is not None:
        verdicts.append("≤ %d B/source: %s" % (rss_target, R.verdict(per_src <= rss_target)))
    out.append("; ".join(verdicts))
    return out


hdr = ["comparison", "baseline wall", "ddi wall", "wall ratio", "CPU ratio", "baseline peak RSS", "ddi peak RSS",
       "RSS diff / source", "target"]
allrows = [
    row("S: -T fields, 4 ddi fields, SYN capture", "S.base", "S.ddi", syn_sources, 1.10, 150),
    row("P: plain tshark -r, SYN capture", "P.base", "P.ddi", None, 1.03),
    row("M: -T fields, 4 ddi fields, mixed capture", "M.base", "M.ddi", sources, 1.10, 150),
    row("B: S with -2", "B.base", "B.ddi", syn_sources),
]
wp, cp, rp = med["C.p0f"]
wd, cd, rd = med["C.ddi"]
ratio_c = R.paired_ratio(byrun, "C.p0f", "C.ddi", 0)
allrows.append(["C: p0f -r vs -z ddi,sources, mixed capture", "%.2f s" % wp, "%.2f s" % wd, "%.3f×" % ratio_c,
                "%.3f×" % R.paired_ratio(byrun, "C.p0f", "C.ddi", 1), R.mb(rp), R.mb(rd), "—",
                "ddi at least as fast as p0f: %s" % R.verdict(ratio_c <= 1.0)])

ir = {}
if os.path.exists(irtsv):
    for line in open(irtsv):
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            ir[(parts[0], parts[1])] = int(parts[2])
irn = int(irp)
irrows = []
for cmd, label, target in (("S", "S's commands", 1.10), ("P", "P's commands", 1.03)):
    keys = [("%s.%s" % (cmd, m), inp) for m in ("base", "ddi") for inp in ("empty", "%dp" % irn)]
    if not all(k in ir for k in keys):
        continue
    per = {m: (ir[("%s.%s" % (cmd, m), "%dp" % irn)] - ir[("%s.%s" % (cmd, m), "empty")]) / irn
           for m in ("base", "ddi")}
    iratio = per["ddi"] / per["base"]
    irrows.append(["I%s: instructions/packet (callgrind, %d SYNs, %s)" % (cmd, irn, label), "%.0f" % per["base"],
                   "%.0f" % per["ddi"], "%.3f×" % iratio, "(exact)", "", "", "",
                   "ratio ≤ %.2f×: %s" % (target, R.verdict(iratio <= target))])
allrows += irrows

R.print_table(hdr, allrows)
if results == "-":
    sys.exit(0)
md = []
md.append("## Measured %s%s" % (R.utc_now(), " (bench/run.sh --quick)" if quick == "1" else ""))
md.append("")
md.append("| | |\n|---|---|")
md.append("| machine | %s |" % R.machine_cell())
md.append("| Wireshark | %s |" % ws)
md.append("| p0f | %s (Debian package), default limits |" % p0fv)
md.append("| ddi | commit %s (at build time), RelWithDebInfo build tree, run as user nobody with WIRESHARK_PLUGIN_DIR |"
          % commit)
md.append("| SYN capture | `bench/gen_darknet --syn-only --packets %d --sources %d` (%s, %.0f MB) |" % (
    syn_packets, syn_sources, os.path.basename(syncap), os.path.getsize(syncap) / 1e6))
md.append("| mixed capture | `bench/gen_darknet --packets %d --sources %d` (%s, %.0f MB) |" % (
    packets, sources, os.path.basename(cap), os.path.getsize(cap) / 1e6))
md.append("| method | %d runs each, S %d; %s; `/usr/bin/time -v` (wall, user+sys CPU, peak RSS). Times and RSS: "
          "medians; ratios: median of the run-by-run ratios. Whole script %d s |" % (
    runs, s_runs, "the two sides of a comparison run at the same time, one per core, start order alternating"
    if pair == "1" else "one run at a time, order alternating", elapsed))
md.append("")
md += R.md_table(hdr, allrows)
md.append("")
md.append("Commands (tshark is `tshark -n` as user nobody with the build tree's plugin dir; ddi runs also get "
          "`-o ddi.own_db:signatures/ddi.fp`; every baseline is the same command with `--disable-protocol ddi`):")
md.append("")
md.append("* S, M: `tshark -r X -T fields -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e tcp.flags "
          "-e ddi.os -e ddi.ipid.gap -e ddi.nat -e ddi.mss.link`; B: the same with `-2`.")
md.append("* P: `tshark -r X` (summary lines; nothing of ddi referenced; both sides' output must be identical).")
md.append("* C: `p0f -r X -o LOG` (console output discarded) vs `tshark -q -r X -z ddi,sources`.")
if irrows:
    md.append("* I: S's and P's commands under `valgrind --tool=callgrind` on a %d-packet SYN capture from the same "
              "generator (%d sources), minus the instructions of the same commands on an empty capture "
              "(start-up), divided by the packets.  Instruction counts do not depend on the machine's load, so "
              "this is the number to compare between commits; wall and CPU times on a shared VM vary by tens of "
              "percent run to run (see the runs below)." % (irn, irn // 4))
md.append("")
md.append("All runs, seconds wall / seconds CPU / peak RSS MB:")
md.append("")
md += R.runs_list(rows, sorted(rows))
md.append("")
md.append("Output checks: S ddi %s lines, %s with an OS, %s with a link type (baseline: %s with an OS); "
          "M ddi %s lines, %s with an OS; B ddi %s with an OS; P: identical output with and without ddi; "
          "ddi report: %s sources, %s with an OS; p0f: %s SYN signatures logged for %s hosts, %s of them with "
          "an OS." % (
              chk.get(("lines", "S.ddi"), "?"), chk.get(("os", "S.ddi"), "?"), chk.get(("link", "S.ddi"), "?"),
              chk.get(("os", "S.base"), "?"), chk.get(("lines", "M.ddi"), "?"), chk.get(("os", "M.ddi"), "?"),
              chk.get(("os", "B.ddi"), "?"), chk.get(("sources", "C.ddi"), "?"), chk.get(("os", "C.ddi"), "?"),
              chk.get(("p0f_syn", "C.p0f"), "?"), chk.get(("p0f_hosts", "C.p0f"), "?"),
              chk.get(("p0f_os", "C.p0f"), "?")))
if ("state_kb", "C.ddi") in chk:
    md.append("")
    md.append("ddi's own state at the end of the C run (the `-z ddi,sources` report's last line, "
              "`ddi_state_memory()`): %.1f MB for %d sources, %d SYN connections and %d frame records = "
              "**%.0f bytes per source** (%.1f bytes per packet)." % (
                  chk[("state_kb", "C.ddi")] / 1024.0, chk.get(("state_sources", "C.ddi"), 0),
                  chk.get(("state_conns", "C.ddi"), 0), chk.get(("state_frames", "C.ddi"), 0),
                  chk[("state_kb", "C.ddi")] * 1024.0 / sources, chk[("state_kb", "C.ddi")] * 1024.0 / packets))
R.write_section(results, "bench", "run.sh", md)
PYEOF
echo "bench: done in $(($(date +%s) - t_start)) s" >&2
