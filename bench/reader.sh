#!/usr/bin/env bash
# bench/reader.sh — the batch reader against the tools an operator would
# otherwise run on the same file (issue 12, item 5):
#
#   R  ddi-read FILE                          (per-source JSON; the report's lines built by every processor)
#   S  ddi-read --single-thread FILE          (the same, no threads at all)
#   T  tshark -q -z ddi,sources,json -r FILE  (the plugin's per-source JSON)
#   P  p0f -r FILE -o LOG                     (p0f's own SYN fingerprinting)
#   D  tcpdump -r FILE -w /dev/null           (the cost of just reading the file)
#
# on the 1M-packet capture of bench/gen_darknet, one command at a time (the
# order rotates from run to run), $BENCH_RUNS runs each, /usr/bin/time -v for
# wall time, CPU time and peak RSS; medians.  Checks that the reader's JSON
# equals the plugin's on this capture, then rewrites the part of
# bench/RESULTS.md between the reader:begin/reader:end markers.
#
# Environment: BENCH_PACKETS (1000000) BENCH_SOURCES (100000) BENCH_SEED (1)
#   BENCH_RUNS (3) BENCH_DIR (/tmp/ddi-bench) DDI_BUILD_DIR (/tmp/ddi-bench-build)
#   BENCH_RESULTS (bench/RESULTS.md; "-" = do not write)
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
packets=${BENCH_PACKETS:-1000000}
sources=${BENCH_SOURCES:-100000}
runs=${BENCH_RUNS:-3}
. "$here/common.sh"
bench_need tshark cmake make /usr/bin/time
have_p0f=$(command -v p0f >/dev/null && echo 1 || echo 0)
have_tcpdump=$(command -v tcpdump >/dev/null && echo 1 || echo 0)

# ------------------------------------------------------------------ build + capture
bench_build "plugin reader CMakeLists.txt" ddi ddi-read
cap=$work/darknet-${packets}p-${sources}s-seed${seed}.pcap
if [ ! -s "$cap" ]; then
    echo "bench: generating $cap" >&2
    "$here/gen_darknet" "$cap" --packets "$packets" --sources "$sources" --seed "$seed" --quiet
fi
chmod 644 "$cap"

# ------------------------------------------------------------------ runners
home=$(mktemp -d /tmp/ddi-bench-home.XXXXXX)
chmod 777 "$home"
trap 'rm -rf "$home"' EXIT
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
    as_user=()
fi
ts=("${as_user[@]}" env -i PATH=/usr/bin:/bin "HOME=$home" TZ=UTC LANG=C.UTF-8 "WIRESHARK_PLUGIN_DIR=$plugdir" tshark)
"${ts[@]}" -G plugins 2>/dev/null | grep -q "$plugdir" ||
    { echo "bench: the ddi plugin does not load from $plugdir" >&2; exit 2; }
own_db=$root/signatures/ddi.fp

declare -A cmds
cmds[R]="$build/ddi-read --own-db $own_db -o $work/out.R $cap"
cmds[S]="$build/ddi-read --single-thread --own-db $own_db -o $work/out.S $cap"
cmds[T]="${ts[*]} -n -q -o ddi.own_db:$own_db -r $cap -z ddi,sources,json"
[ "$have_p0f" = 1 ] && cmds[P]="sh -c 'rm -f $work/p0f.log; exec p0f -r $cap -o $work/p0f.log >/dev/null'"
[ "$have_tcpdump" = 1 ] && cmds[D]="tcpdump -r $cap -w /dev/null"
order=(R S T)
[ "$have_p0f" = 1 ] && order+=(P)
[ "$have_tcpdump" = 1 ] && order+=(D)

raw=$work/reader-raw.tsv
: >"$raw"
for ((i = 1; i <= runs; i++)); do
    n=${#order[@]}
    for ((j = 0; j < n; j++)); do
        k=${order[$(((i - 1 + j) % n))]}
        echo "bench: run $i/$runs: $k" >&2
        out=/dev/null
        [ "$k" = T ] && out=$work/out.T
        # every run writes a new file, as an hourly job does: overwriting the
        # last run's 117 MB costs its truncation and, on ext4 (auto_da_alloc),
        # a flush at close, ~0.1 s charged to a tool writing with -o but not
        # to one writing to a shell redirection (opened and closed untimed)
        rm -f "$work/out.$k"
        eval "/usr/bin/time -v -o $work/time.$k.$i ${cmds[$k]}" >"$out" 2>"$work/err.$k.$i" || {
            echo "bench: $k run $i failed:" >&2; cat "$work/time.$k.$i" "$work/err.$k.$i" >&2; exit 1; }
        awk -v n="$k" -v r="$i" -F': ' '
            /Elapsed \(wall clock\)/ { c = split($2, t, ":"); w = (c == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
            /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 }
            END { printf "%s\t%s\t%.3f\t%.3f\t%d\n", n, r, w, u + s, m }' "$work/time.$k.$i" >>"$raw"
    done
done

# ------------------------------------------------------------------ checks
# the reader's JSON must be the plugin's, line for line (both sort by packets, then address)
same=no
cmp -s "$work/out.R" "$work/out.T" && cmp -s "$work/out.S" "$work/out.T" && same=yes
json_lines=$(wc -l <"$work/out.R")
skipped=$(sed -n 's/^ddi-read: [0-9]* frames, [0-9]* analysed, \([0-9]*\) skipped$/\1/p' "$work/err.R.1")
[ "$json_lines" -gt 0 ] || { echo "bench: the reader wrote no JSON" >&2; exit 1; }
elapsed=$(($(date +%s) - t_start))

PYTHONPATH="$here" "$PY" - "$raw" "$results" "$packets" "$sources" "$runs" "$elapsed" "$cap" "$commit" "$same" "$json_lines" \
    "$skipped" "$have_p0f" "$have_tcpdump" <<'PYEOF'
import os, sys
import results as R

(raw, results, packets, sources, runs, elapsed, cap, commit, same, json_lines, skipped, have_p0f,
 have_tcpdump) = sys.argv[1:]
packets, sources, runs = int(packets), int(sources), int(runs)
rows, _ = R.read_runs(raw)
med = R.medians(rows, floor=0.01)

names = {"R": "ddi-read (batch reader)", "S": "ddi-read --single-thread", "T": "tshark -q -z ddi,sources,json", "P": "p0f -r", "D": "tcpdump -r -w /dev/null"}
ver = {"R": "ddi %s" % commit, "S": "ddi %s" % commit, "T": R.sh("tshark --version | head -1 | sed 's/ (Git.*//'"),
       "P": "p0f " + (R.sh("dpkg-query -W -f='${Version}' p0f 2>/dev/null") or "?"),
       "D": R.sh("tcpdump --version 2>&1 | head -1")}
hdr = ["tool", "median wall", "median CPU", "packets/s (wall)", "packets/s (CPU)", "reader's speed-up (wall)",
       "reader's speed-up (CPU)", "peak RSS", "version"]
table = []
for k in ("R", "S", "T", "P", "D"):
    if k not in med:
        continue
    w, c, m = med[k]
    table.append([names[k], "%.2f s" % w, "%.2f s" % c, R.thousands(packets / w), R.thousands(packets / c),
                  "—" if k in "RS" else "%.1f×" % (w / med["R"][0]), "—" if k in "RS" else "%.1f×" % (c / med["R"][1]),
                  R.mb(m), ver[k]])
R.print_table(hdr, table)
targets = []
for r in ("R", "S"):
    for k, want in (("T", 20), ("P", 5)):
        if k in med and r in med:
            x, y = med[k][0] / med[r][0], med[k][1] / med[r][1]
            targets.append("%s ≥ %d× %s: %.1f× by wall time %s, %.1f× by CPU time %s" % (
                "ddi-read" if r == "R" else "ddi-read --single-thread", want, "tshark" if k == "T" else "p0f", x,
                R.verdict(x >= want), y, R.verdict(y >= want)))
reading = ""
if "D" in med:
    reading = ("Just reading the file (tcpdump -r -w /dev/null) takes %.0f %% of the reader's wall time and %.0f %% of "
               "its CPU time." % (100 * med["D"][0] / med["R"][0], 100 * med["D"][1] / med["R"][1]))
if results == "-":
    print("; ".join(targets))
    sys.exit(0)
md = ["## Batch reader, measured %s" % R.utc_now(), "",
      "`bench/reader.sh` on `%s` (%d packets, %d sources, %.0f MB); %d runs of each command one at a time, "
      "order rotating; `/usr/bin/time -v`; medians. %s "
      "Whole script %s s." % (os.path.basename(cap), packets, sources, os.path.getsize(cap) / 1e6, runs,
                              R.machine_sentence(), elapsed), ""]
md += R.md_table(hdr, table)
md += ["", "Targets (issue 12): " + "; ".join(targets) + ".", ""]
if reading:
    md += [reading, ""]
md += [
       "Output check: the reader's per-source JSON (%s lines, both modes) is %s the plugin's on this capture; the reader "
       "skipped %s frames." % (json_lines, "byte for byte identical to" if same == "yes" else "**different from**",
                               skipped or "?")]
if have_tcpdump != "1":
    md.append("")
    md.append("tcpdump is not installed on this machine: its column (the cost of just reading the file) is left out.")
if have_p0f != "1":
    md.append("")
    md.append("p0f is not installed on this machine: its column is left out.")
md += ["", "All runs, seconds wall / seconds CPU / peak RSS MB:", ""]
md += R.runs_list(rows, ("R", "S", "T", "P", "D"), names, "%.2f / %.2f / %.0f")
R.write_section(results, "reader", "reader.sh", md)
PYEOF
