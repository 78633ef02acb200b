#!/usr/bin/env bash
# bench/hours.sh — a generated day of 24 hourly files run as shards x hours
# with state carried (scripts/shard.sh --hours; issue 12, item 5):
#
#   1. bench/gen_darknet --hours 24 --hourly: 24 files, sources across hour
#      boundaries and silent for hours (reused when present);
#   2. scripts/shard.sh --hours over the 24 files without eviction, then with
#      --evict-idle, each under /usr/bin/time -v, every engine run under
#      /usr/bin/time (DDI_ENGINE_PREFIX);
#   3. ddi-read over the 24 files in order as one capture (the single process
#      the sharded run must equal);
#   4. wall time (and shard.sh's split / analysis / merge phases), peak RSS of
#      the largest engine run and of the largest process of all (splitter and
#      merge included), bytes of state per source at the end, and whether the
#      run without eviction equals the single process line for line;
#   5. rewrites the part of bench/RESULTS.md between the hours:begin and
#      hours:end markers.
#
# Full size (a /16-telescope-like day, about 1M packets an hour; ~2 GB of
# files in BENCH_DIR, ~2 GB RSS for the generator, ~15-30 min on 2 cores):
#     bench/hours.sh
# Quick run (a tenth, a few minutes):
#     BENCH_HOURS_PACKETS=2400000 BENCH_HOURS_SOURCES=200000 bench/hours.sh
#
# Environment: BENCH_HOURS_PACKETS (24000000) BENCH_HOURS_SOURCES (2000000)
#   BENCH_HOURS_SHARDS (2 x nproc) BENCH_HOURS_ENGINE (reader; or tshark)
#   BENCH_HOURS_EVICT (3600 seconds; 0 = skip the eviction run) BENCH_SEED (1)
#   BENCH_DIR (/tmp/ddi-bench) DDI_BUILD_DIR (/tmp/ddi-bench-build; must be a
#   build of this source tree) DDI_JOBS (nproc) BENCH_RESULTS (bench/RESULTS.md;
#   "-" = do not write)
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
packets=${BENCH_HOURS_PACKETS:-24000000}
sources=${BENCH_HOURS_SOURCES:-2000000}
shards=${BENCH_HOURS_SHARDS:-$((2 * $(nproc)))}
engine=${BENCH_HOURS_ENGINE:-reader}
evict=${BENCH_HOURS_EVICT:-3600}
. "$here/common.sh"
bench_need cmake make parallel /usr/bin/time

# ------------------------------------------------------------------ build + day
targets=(ddi-read)
[ "$engine" = tshark ] && targets+=(ddi)
bench_build "plugin reader scripts CMakeLists.txt" "${targets[@]}"
stem=$work/day-${packets}p-${sources}s-seed${seed}
if [ ! -s "$stem-23.pcap" ]; then
    echo "bench: generating $stem-00..23.pcap" >&2
    /usr/bin/time -f "%e %M" -o "$work/gen.time" \
        "$here/gen_darknet" "$stem.pcap" --packets "$packets" --sources "$sources" --seed "$seed" --hours 24 --hourly \
        2>"$work/gen.log"
fi
hours=("$stem"-[0-2][0-9].pcap)
[ "${#hours[@]}" -eq 24 ] || { echo "bench: expected 24 hourly files, found ${#hours[@]}" >&2; exit 1; }
chmod 644 "${hours[@]}"
bytes=$(cat "${hours[@]}" | wc -c)

# ------------------------------------------------------------------ runs
export DDI_BUILD_DIR=$build DDI_READER=$build/ddi-read
export DDI_READER_OPTS="--own-db $root/signatures/ddi.fp" DDI_TSHARK_OPTS="-o ddi.own_db:$root/signatures/ddi.fp"

# run NAME [shard.sh options]: one shards x hours run into $work/hours-NAME
run() {
    local name=$1 out=$work/hours-$1
    shift
    rm -rf "$out" "$work/rss-$name"
    mkdir -p "$out"
    chmod 777 "$out"
    : >"$work/rss-$name"
    chmod 666 "$work/rss-$name"
    echo "bench: shards x hours ($name): $shards shards, 24 files, engine $engine" >&2
    DDI_ENGINE_PREFIX="/usr/bin/time -a -o $work/rss-$name -f %M" \
        /usr/bin/time -v -o "$work/time-$name" \
        "$root/scripts/shard.sh" --engine "$engine" "$@" --hours "$shards" "$out" "${hours[@]}" 2>"$work/err-$name" || {
        echo "bench: shard.sh ($name) failed:" >&2; tail -30 "$work/err-$name" >&2; exit 1; }
}
run plain
[ "$evict" != 0 ] && run evict --evict-idle "$evict"

echo "bench: one process over the 24 files in order" >&2
/usr/bin/time -v -o "$work/time-single" "$build/ddi-read" -q --own-db "$root/signatures/ddi.fp" "${hours[@]}" \
    >"$work/single.json" 2>"$work/err-single"
elapsed=$(($(date +%s) - t_start))

PYTHONPATH="$here" "$PY" - "$work" "$results" "$packets" "$sources" "$shards" "$engine" "$evict" "$bytes" "$elapsed" "$commit" \
    "$seed" "${DDI_JOBS:-$(nproc)}" "$root/scripts/ddi_shard.py" <<'PYEOF'
import json, os, re, statistics, sys
import results as R

work, results, packets, sources, shards, engine, evict, nbytes, elapsed, commit, seed, jobs, splitter = sys.argv[1:]
packets, sources, shards, nbytes = int(packets), int(sources), int(shards), int(nbytes)
sys.path.insert(0, os.path.dirname(splitter))
import ddi_shard


def phases(path):
    m = re.findall(r"^shard\.sh: (split .* s, analysis .* s, merge .* s)$", open(path).read(), re.M)
    return m[-1] if m else "?"


def state_figures(name):
    out = os.path.join(work, "hours-" + name)
    sdir = os.path.join(out, "state")
    size = sum(os.path.getsize(os.path.join(sdir, f)) for f in os.listdir(sdir))
    lines = [json.loads(l) for l in open(os.path.join(out, "sources.jsonl"))]
    evicted = set()
    edir = os.path.join(out, "evicted")
    for f in os.listdir(edir):
        k = int(re.match(r"shard-(\d+)", f).group(1))
        for l in open(os.path.join(edir, f)):
            o = json.loads(l)
            if ddi_shard.owner(o["src"], shards) == k:
                evicted.add((o["src"], o["first_seen"]))
    in_state = len(lines) - len(evicted)  # the last reports list what the state holds, plus what left at the end
    rss = [int(x) for x in open(os.path.join(work, "rss-" + name)).read().split()]
    return {"lines": len(lines), "distinct": len({l["src"] for l in lines}), "evicted": len(evicted),
            "in_state": in_state, "state_bytes": size, "per_source": size / in_state if in_state else 0,
            "engine_runs": len(rss), "engine_rss_max": max(rss), "engine_rss_median": statistics.median(rss),
            "time": R.gnu_time(os.path.join(work, "time-" + name)), "phases": phases(os.path.join(work, "err-" + name))}


runs = {"plain": state_figures("plain")}
if evict != "0":
    runs["evict"] = state_figures("evict")
single = R.gnu_time(os.path.join(work, "time-single"))
want = sorted((l for l in open(os.path.join(work, "single.json")) if l.startswith('{"src"')),
              key=lambda l: json.loads(l)["src"])
got = open(os.path.join(work, "hours-plain", "sources.jsonl")).readlines()
equal = got == want
# where they differ: which sources, which keys
wmap = {json.loads(l)["src"]: json.loads(l) for l in want}
differ, keys = [], {}
for l in got:
    g = json.loads(l)
    w = wmap.pop(g["src"], None)
    if w is None or w != g:
        differ.append(g["src"])
        for k in (set(g) | set(w or {})):
            if w is None or g.get(k) != w.get(k):
                keys[k] = keys.get(k, 0) + 1
missing = len(wmap)
gen = open(os.path.join(work, "gen.log")).read() if os.path.exists(os.path.join(work, "gen.log")) else ""
m = re.search(r"(\d+) sources pause for hours; Conficker host across the hour (\d+) boundary: (\S+)", gen)
boundary = None
if m:
    host = m.group(3)
    row = [json.loads(l) for l in got if json.loads(l)["src"] == host]
    boundary = (host, row[0]["conficker"] if row else "missing", m.group(1))


hdr = ["run", "wall", "CPU", "packets/s (wall)", "split / analysis / merge", "peak RSS, largest engine run",
       "peak RSS, any process", "sources at the end in state", "state bytes", "bytes per source", "evicted"]
rows = []
for name, r in runs.items():
    w, c, m_ = r["time"]
    rows.append(["shards x hours" + (", --evict-idle %s" % evict if name == "evict" else ""), "%.1f s" % w,
                 "%.1f s" % c, R.thousands(packets / w), r["phases"], R.mb(r["engine_rss_max"]), R.mb(m_),
                 "{:,}".format(r["in_state"]), "{:,}".format(r["state_bytes"]), "%.0f" % r["per_source"],
                 "{:,}".format(r["evicted"])])
rows.append(["one ddi-read over the 24 files", "%.1f s" % single[0], "%.1f s" % single[1],
             R.thousands(packets / single[0]), "—", R.mb(single[2]), R.mb(single[2]), "—", "—", "—", "—"])
R.print_table(hdr, rows)
print("equal to one process:", equal, "differing sources:", len(differ), keys)
if results == "-":
    sys.exit(0)
md = ["## Shards × hours, measured %s" % R.utc_now(), "",
      "`bench/hours.sh`: `gen_darknet --hours 24 --hourly` (%s packets, %s sources, seed %s; 24 files, %.0f MB), "
      "`scripts/shard.sh --engine %s --hours %d` over the 24 files in one run (%d engine runs: %d shards × 24 hours, "
      "%d at a time), ddi %s. %s Whole script %s s."
      % ("{:,}".format(packets), "{:,}".format(sources), seed, nbytes / 1e6,
         engine, shards, runs["plain"]["engine_runs"], shards, int(jobs), commit, R.machine_sentence(), elapsed), ""]
md += R.md_table(hdr, rows)
md += ["", "Output check: the run without eviction is %s the single process's report sorted by source (%s lines)."
       % ("**line for line equal to**" if equal else "**different from**", "{:,}".format(len(want)))]
if not equal:
    md.append("%d sources differ (%s), %d are missing; keys that differ: %s." % (
        len(differ), ", ".join(differ[:5]) + (", ..." if len(differ) > 5 else ""), missing,
        ", ".join("%s (%d)" % kv for kv in sorted(keys.items()))))
if boundary:
    md.append("The Conficker-style host whose retry ends hour 11 and whose silence is in hour 12 (%s) reads "
              "`\"conficker\":\"%s\"`; %s sources pause for hours." % boundary)
if "evict" in runs:
    r = runs["evict"]
    md.append("With `--evict-idle %s`: %s lines for %s sources (a source that comes back after eviction has one "
              "line per stretch of activity)." % (evict, "{:,}".format(r["lines"]), "{:,}".format(r["distinct"])))
R.write_section(results, "hours", "hours.sh", md)
PYEOF
