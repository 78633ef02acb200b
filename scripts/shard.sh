#!/usr/bin/env bash
# shard.sh — split captures by source address, analyse the shards in
# parallel with tshark + ddi (or ddi-read), merge the per-source reports.
#
#   scripts/shard.sh [--engine E] CAPTURE N OUTDIR
#   scripts/shard.sh [--engine E] [--evict-idle S] [--state-max-gap S] --hours N OUTDIR FILE...
#
# One capture: scripts/ddi_shard.py splits CAPTURE into N shards
# OUTDIR/shards/shard-K.{pcap,pcapng} by a hash of the source address ddi
# analyses (all packets of a source in one shard, plus context packets for
# two-way captures: see ddi_shard.py), GNU parallel analyses every shard with
#     tshark -n -r SHARD -q -o ddi.capture_end:END -z ddi,sources,json
# (END = the end of the WHOLE capture, so whole-capture verdicts such as
# Conficker-style "one retry, then silence" see it, not the shard's end), and
# the per-source JSON lines are merged, sorted by "src", into
# OUTDIR/sources.jsonl.
#
# --hours: FILE... are consecutive pieces of one capture in time order (a
# telescope's hourly files).  Every file is split into the same N shards
# (the senders that decide context packets are collected over all files);
# the N shards run in parallel, and the files of one shard run one after the
# other with the shard's ddi state carried from each to the next
# (ddi.state_in/ddi.state_out, or ddi-read --state-in/--state-out).  OUTDIR
# keeps, between runs, each shard's state (OUTDIR/state/), the sources
# evicted so far (OUTDIR/evicted/) and the files already done
# (OUTDIR/hours.done, full paths; a file named there is refused): run it
# once over a day's 24 files, or once an hour with the new file only, same
# result (on a two-way capture, which packets are copied as context is
# decided from the senders of one run's files: a reply in a later run to a
# host that only starts sending then is judged without them).  N must stay
# the same for one OUTDIR.
# A run that fails leaves OUTDIR's state as it was (states are moved in only
# when every shard succeeded), so it can simply be run again.
# OUTDIR/sources.jsonl is then the report at the end of the last file: the
# sources in the shards' state plus those evicted, one line per source
# (sorted by src, then first_seen; a source evicted and seen again later has
# one line per stretch of activity).  Each file is analysed with
# ddi.capture_end = the end of the series so far, so every shard sees the
# same horizon a single process reading the files in order would.
#
# Options:
#   --engine tshark|reader  tshark with the ddi plugin (default), or the
#                           batch reader ddi-read (same core, same JSON)
#   --evict-idle S          (--hours) sources idle longer than S seconds leave
#                           the state; their final lines go to OUTDIR/evicted/
#   --state-max-gap S       (--hours) the largest gap allowed between the end
#                           of what came before (OUTDIR's state, the file
#                           before) and a file's first packet (default 3600;
#                           0 = no limit); checked on the whole files, before
#                           anything runs
# Several machines: GNU parallel runs the shards on other hosts with
#     DDI_PARALLEL_OPTS="--sshlogin 8/host1,8/host2,:"
# (8 jobs on each host, ':' is this one); every host needs the engine (tshark
# with the plugin installed, or ddi-read) and must see OUTDIR at the same
# path (e.g. NFS), since the jobs read and write their files there.
#
# Environment:
#   DDI_JOBS           parallel jobs (default: nproc)
#   DDI_BUILD_DIR      use this build tree's plugin (and its ddi-read) instead
#                      of the installed ones (as root, tshark then runs as
#                      user nobody: Wireshark ignores WIRESHARK_PLUGIN_DIR as
#                      root; OUTDIR must then be under e.g. /tmp)
#   DDI_ENGINE         as --engine
#   DDI_READER         the ddi-read to run (default: DDI_BUILD_DIR's, else PATH's)
#   DDI_TSHARK_OPTS    extra tshark options (word-split), e.g. "-2" or
#                      "-o ddi.own_db:/path/ddi.fp"
#   DDI_READER_OPTS    extra ddi-read options, e.g. "--own-db /path/ddi.fp"
#   DDI_PARALLEL_OPTS  extra GNU parallel options (e.g. --sshlogin ...)
#   DDI_ENGINE_PREFIX  a command put before every engine run (word-split), e.g.
#                      "/usr/bin/time -a -o /tmp/rss -f %M" (bench/hours.sh)
#   DDI_KEEP_SHARDS=1  keep the shard files, the per-shard outputs and (with
#                      --hours) every intermediate state, under OUTDIR/work
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

usage() {
    echo "usage: $0 [--engine tshark|reader] CAPTURE N OUTDIR" >&2
    echo "       $0 [--engine tshark|reader] [--evict-idle S] [--state-max-gap S] --hours N OUTDIR FILE..." >&2
    exit 2
}
engine=${DDI_ENGINE:-tshark} hours=0 evict_idle= max_gap=
while [ $# -gt 0 ]; do
    case $1 in
    --engine) [ $# -ge 2 ] || usage; engine=$2; shift 2 ;;
    --evict-idle) [ $# -ge 2 ] || usage; evict_idle=$2; shift 2 ;;
    --state-max-gap) [ $# -ge 2 ] || usage; max_gap=$2; shift 2 ;;
    --hours) hours=1; shift ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
    esac
done
if [ "$hours" = 1 ]; then
    [ $# -ge 3 ] || usage
    n=$1 outdir=$2
    shift 2
    files=("$@")
else
    [ $# -eq 3 ] || usage
    files=("$1") n=$2 outdir=$3
    [ -z "$evict_idle$max_gap" ] || { echo "shard.sh: --evict-idle and --state-max-gap need --hours" >&2; exit 2; }
fi
for f in "${files[@]}"; do
    [ -r "$f" ] || { echo "shard.sh: cannot read $f" >&2; exit 2; }
done
if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 4096 ]; then
    echo "shard.sh: N must be 1..4096" >&2
    exit 2
fi
for v in "$evict_idle" "$max_gap"; do
    [[ -z "$v" || "$v" =~ ^[0-9]+$ ]] || { echo "shard.sh: --evict-idle/--state-max-gap take whole seconds" >&2; exit 2; }
done
case $engine in tshark | reader) ;; *) echo "shard.sh: --engine is tshark or reader" >&2; exit 2 ;; esac
command -v parallel >/dev/null || { echo "shard.sh: GNU parallel not found (apt-get install parallel)" >&2; exit 2; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
SPLITTER=$(dirname "$(readlink -f "$0")")/ddi_shard.py

# ------------------------------------------------------------------ engine
# engine_cmd: the command prefix; the per-file options come from
# engine_args (below), which speaks either engine's spelling.
run_as_nobody=0
if [ "$engine" = tshark ]; then
    command -v tshark >/dev/null || { echo "shard.sh: tshark not found" >&2; exit 2; }
    engine_cmd=(tshark)
    if [ -n "${DDI_BUILD_DIR:-}" ]; then
        plugdir=$(cd "$DDI_BUILD_DIR" && pwd)/plugins
        [ -d "$plugdir" ] || { echo "shard.sh: no plugins/ in DDI_BUILD_DIR=$DDI_BUILD_DIR" >&2; exit 2; }
        if [ "$(id -u)" -eq 0 ]; then
            # Wireshark ignores WIRESHARK_PLUGIN_DIR as root: run as nobody
            # with a throw-away HOME; OUTDIR must then be readable (and, for
            # state files, writable) by nobody
            run_as_nobody=1
            home=$(mktemp -d /tmp/ddi-shard-home.XXXXXX)
            chmod 777 "$home"
            trap 'rm -rf "$home"' EXIT
            engine_cmd=(setpriv --reuid=65534 --regid=65534 --clear-groups
                        env -i PATH=/usr/bin:/bin "HOME=$home" TZ=UTC LANG=C.UTF-8 "WIRESHARK_PLUGIN_DIR=$plugdir" tshark)
        else
            engine_cmd=(env "WIRESHARK_PLUGIN_DIR=$plugdir" tshark)
        fi
    fi
    tshark_base=("${engine_cmd[@]}")
    read -r -a extra <<<"${DDI_TSHARK_OPTS:-}"
    engine_cmd+=(-n "${extra[@]}")
else
    reader=${DDI_READER:-}
    if [ -z "$reader" ] && [ -n "${DDI_BUILD_DIR:-}" ] && [ -x "$DDI_BUILD_DIR/ddi-read" ]; then
        reader=$(cd "$DDI_BUILD_DIR" && pwd)/ddi-read
    fi
    reader=${reader:-$(command -v ddi-read || true)}
    [ -n "$reader" ] && [ -x "$reader" ] || { echo "shard.sh: ddi-read not found (DDI_READER=...)" >&2; exit 2; }
    read -r -a extra <<<"${DDI_READER_OPTS:-}"
    engine_cmd=("$reader" -q "${extra[@]}")
fi

read -r -a prefix <<<"${DDI_ENGINE_PREFIX:-}"
engine_cmd=("${prefix[@]}" "${engine_cmd[@]}")

# engine_args END FILE [STATE_IN STATE_OUT EVICTED_OUT]: the options of one
# analysis, into the array `args`
engine_args() {
    local end=$1 file=$2 sin=${3:-} sout=${4:-} evicted=${5:-}
    if [ "$engine" = tshark ]; then
        # shellcheck disable=SC2054  # the comma is part of "-z ddi,sources,json"
        args=()
        [ -n "$end" ] && args+=(-o "ddi.capture_end:$end")
        [ -n "$sin" ] && args+=(-o "ddi.state_in:$sin")
        [ -n "$sout" ] && args+=(-o "ddi.state_out:$sout" -o ddi.state_max_gap:0)
        [ -n "$evicted" ] && [ -n "$evict_idle" ] && args+=(-o "ddi.evict_idle:$evict_idle" -o "ddi.evicted_out:$evicted")
        args+=(-r "$file" -q -z ddi,sources,json)
    else
        args=()
        [ -n "$end" ] && args+=(--capture-end "$end")
        [ -n "$sin" ] && args+=(--state-in "$sin")
        [ -n "$sout" ] && args+=(--state-out "$sout" --state-max-gap 0)
        [ -n "$evicted" ] && [ -n "$evict_idle" ] && args+=(--evict-idle "$evict_idle" --evicted-out "$evicted")
        args+=("$file")
    fi
}

# state carried needs an engine that knows the state options
engine_has_state() {
    if [ "$engine" = tshark ]; then
        "${tshark_base[@]}" -G defaultprefs 2>/dev/null | grep -q '^#ddi\.state_in:'
    else
        "$reader" --help 2>&1 | grep -q -- '--state-in'
    fi
}

now() { date +%s.%N; }
phase() {  # phase NAME START: "NAME 1.23 s" for the timing line
    timing+=("$1 $(awk -v a="$2" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s")
}
timing=()
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
work=$outdir/work
rm -rf "$work" "$outdir/shards" "$outdir/parts"
mkdir -p "$work"
read -r -a popts <<<"${DDI_PARALLEL_OPTS:-}"

# run_jobs FILE: one command line per job in FILE; parallel runs them (-j
# jobs, --halt: stop at the first failure), then every job's stderr is
# passed on (e.g. a signature database or state file warning)
run_jobs() {
    if ! parallel --will-cite --halt now,fail=1 -j "${DDI_JOBS:-$(nproc)}" "${popts[@]}" <"$1"; then
        echo "shard.sh: a shard's $engine failed:" >&2
        for e in "$work"/shard-*.err; do
            [ -s "$e" ] && { echo "--- $e" >&2; head -20 "$e" >&2; }
        done
        exit 1
    fi
    for e in "$work"/shard-*.err; do
        [ -s "$e" ] && sed "s|^|$(basename "$e" .err): |" "$e" >&2
    done
    return 0
}

nobody_access() {  # the engine runs as nobody: let it read the inputs and write where it must
    [ "$run_as_nobody" = 1 ] || return 0
    chmod -R a+rwX "$@"
    if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -w "$work"; then
        echo "shard.sh: user nobody cannot use $work (a parent folder is private): choose an OUTDIR under /tmp" >&2
        exit 2
    fi
}

# ------------------------------------------------------------------ one capture
if [ "$hours" = 0 ]; then
    t=$(now)
    split_out=$("$PY" "$SPLITTER" split "$n" "$work" "${files[0]}")
    read -r _ capture_end ext <<<"$split_out"
    echo "shard.sh: $n shards of $(basename "${files[0]}") in $work; capture end $capture_end" >&2
    phase split "$t"
    nobody_access "$outdir"
    t=$(now)
    : >"$work/commands"
    for ((k = 0; k < n; k++)); do
        engine_args "$capture_end" "$work/shard-$k.$ext"
        printf '%q ' "${engine_cmd[@]}" "${args[@]}" >>"$work/commands"
        printf '> %q 2> %q\n' "$work/shard-$k.jsonl" "$work/shard-$k.err" >>"$work/commands"
    done
    run_jobs "$work/commands"
    phase analysis "$t"
    t=$(now)
    "$PY" "$SPLITTER" merge "$n" "$outdir/sources.jsonl" "$work"/shard-*.jsonl
    phase merge "$t"
    echo "shard.sh: $(IFS=,; echo "${timing[*]}" | sed 's/,/, /g')" >&2
    [ "${DDI_KEEP_SHARDS:-0}" = 1 ] || rm -rf "$work"
    exit 0
fi

# ------------------------------------------------------------------ hours
engine_has_state || { echo "shard.sh: this $engine has no ddi state files (ddi.state_in/--state-in): --hours needs them" >&2; exit 2; }
state=$outdir/state evicted=$outdir/evicted
mkdir -p "$state" "$evicted"
touch "$outdir/hours.done"
if [ -s "$outdir/shards.conf" ]; then
    read -r old_n old_end <"$outdir/shards.conf"
    [ "$old_n" = "$n" ] || { echo "shard.sh: $outdir holds the state of $old_n shards, not $n: use N=$old_n or a new OUTDIR" >&2; exit 2; }
else
    old_end=0
fi
for f in "${files[@]}"; do
    if grep -qxF "$(readlink -f "$f")" "$outdir/hours.done"; then
        echo "shard.sh: $f was already analysed into $outdir (hours.done): its packets would count twice" >&2
        exit 2
    fi
done

t=$(now)
split_out=$("$PY" "$SPLITTER" split --series "$n" "$work" "${files[@]}")
mapfile -t ends <<<"$split_out"
[ "${#ends[@]}" -eq "${#files[@]}" ] || { echo "shard.sh: the splitter failed" >&2; exit 1; }
echo "shard.sh: ${#files[@]} files x $n shards in $work" >&2
phase split "$t"

# The series as a whole must be in time order and without holes: each file
# starts after the end of what came before (OUTDIR's state, then the files
# before it) and at most max_gap seconds later (a missing hour, or a file of
# another series).  shard.sh checks this on the whole files; a shard sees
# only its own packets, so the engines' own gap check is turned off (their
# order check stays).  The horizon after each file is the end of the series
# so far: every shard sees the capture end one process would.
horizon=() prev=$old_end prev_name="the state in $outdir"
for i in "${!files[@]}"; do
    read -r first last _ <<<"${ends[$i]}"
    if [ "$last" != 0.000000000 ]; then
        verdict=$("$PY" -c '
import sys
first, prev, gap = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3] or 3600)
if prev and first < prev:
    print("starts at %.6f, before the end of %s (%.6f): the files are not in time order" % (first, sys.argv[4], prev))
elif prev and gap and first - prev > gap:
    print("starts %.0f s after the end of %s, more than --state-max-gap %.0f s: a file is missing, or it belongs to "
          "another series" % (first - prev, sys.argv[4], gap))' "$first" "$prev" "$max_gap" "$prev_name")
        if [ -n "$verdict" ]; then
            echo "shard.sh: ${files[$i]} $verdict (nothing analysed)" >&2
            [ "${DDI_KEEP_SHARDS:-0}" = 1 ] || rm -rf "$work"
            exit 2
        fi
        prev=$last prev_name=${files[$i]}
    fi
    [ "$prev" = 0 ] && horizon+=("") || horizon+=("$prev")
done
nobody_access "$outdir"
t=$(now)

# One job per shard: its files in order, each starting from the state the
# one before wrote ($sin at run time).  tshark writes no state for a shard
# file without packets: the state then carries on unchanged.  The last state
# of each shard is named in work/shard-K.final.
: >"$work/commands"
for ((k = 0; k < n; k++)); do
    job=$work/shard-$k.sh sin0= final=$work/shard-$k.final
    [ -s "$state/shard-$k.state" ] && sin0=$state/shard-$k.state
    {
        echo "set -e"
        printf 'sin=%q\n' "$sin0"
        for i in "${!files[@]}"; do
            read -r _ _ ext <<<"${ends[$i]}"
            idx=$(printf %04d "$i")
            sout=$work/shard-$k/state-$idx err=$work/shard-$k/err-$idx
            engine_args "${horizon[$i]}" "$work/shard-$k/$idx.$ext" @SIN@ "$sout" "$work/shard-$k/evicted-$idx.jsonl"
            out=/dev/null
            [ "$i" -eq $((${#files[@]} - 1)) ] && out=$work/shard-$k.jsonl
            printf 'rm -f %q\n' "$sout"
            printf '%q ' "${engine_cmd[@]}" "${args[@]}" | sed 's/@SIN@/"$sin"/'
            printf '> %q 2> %q || { cat %q >> %q; exit 1; }\n' "$out" "$err" "$err" "$work/shard-$k.err"
            printf 'cat %q >> %q\n' "$err" "$work/shard-$k.err"
            # a state file the engine refused (it then goes on from empty
            # state, as an analyst wants) would silently break the series
            printf 'if [ -n "$sin" ] && grep -qF -- "$sin" %q; then echo %q >> %q; exit 1; fi\n' "$err" \
                "shard.sh: the state of the previous file was not carried (see above)" "$work/shard-$k.err"
            # the state this file started from is no longer needed (never the
            # one in OUTDIR/state, which stays until the whole run succeeded)
            printf 'if [ -f %q ]; then\n' "$sout"
            if [ "${DDI_KEEP_SHARDS:-0}" != 1 ]; then
                printf '    case $sin in %q/*) rm -f "$sin" ;; esac\n' "$work"
            fi
            printf '    sin=%q\nfi\n' "$sout"
        done
        printf 'printf "%%s\\n" "$sin" > %q\n' "$final"
    } >"$job"
    printf 'bash %q\n' "$job" >>"$work/commands"
done
run_jobs "$work/commands"
phase analysis "$t"
t=$(now)

# every shard succeeded: prepare the new states and evicted lists beside
# the old ones, then rename them all in (a crash in between is a window of a
# few renames, not of a whole run), and remember the files
moved=()
for ((k = 0; k < n; k++)); do
    read -r last_state <"$work/shard-$k.final" || last_state=
    if [ -n "$last_state" ] && [ "$last_state" != "$state/shard-$k.state" ]; then
        cp "$last_state" "$state/.shard-$k.state.tmp"
        moved+=("$k")
    fi
    ev=$evicted/shard-$k.evicted.jsonl
    { [ -f "$ev" ] && cat "$ev"; cat "$work/shard-$k"/evicted-*.jsonl 2>/dev/null || true; } >"$ev.tmp"
done
for k in "${moved[@]}"; do
    mv -f "$state/.shard-$k.state.tmp" "$state/shard-$k.state"
done
for ((k = 0; k < n; k++)); do
    mv -f "$evicted/shard-$k.evicted.jsonl.tmp" "$evicted/shard-$k.evicted.jsonl"
done
echo "$n ${horizon[-1]}" >"$outdir/shards.conf"
for f in "${files[@]}"; do readlink -f "$f"; done >>"$outdir/hours.done"

shopt -s nullglob
"$PY" "$SPLITTER" merge "$n" "$outdir/sources.jsonl" "$work"/shard-*.jsonl "$evicted"/shard-*.jsonl
phase merge "$t"
echo "shard.sh: $(IFS=,; echo "${timing[*]}" | sed 's/,/, /g')" >&2
[ "${DDI_KEEP_SHARDS:-0}" = 1 ] || rm -rf "$work"
