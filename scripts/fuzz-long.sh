#!/usr/bin/env bash
# fuzz-long.sh — the nightly fuzz run: 10,000+ mutants of every bundled and
# corpus capture through tshark with the ASan+UBSan build of ddi.
#
#   scripts/fuzz-long.sh [MUTANTS [SEED]]       default 10000 mutants, seed = day number
#
# Uses every CPU: the mutants go in batches of 25 (mergecap -a) to
# tests/fuzz/fuzz.py, which runs each batch four ways (single pass and -2,
# -V and -T fields -e ddi.verdict) and bisects a failing batch down to the
# guilty mutant.  The sanitizer build is $DDI_ASAN_BUILD_DIR (default
# /tmp/ddi-asan-build), configured with -DDDI_SANITIZE=ON and built on first
# use.  A different seed each day explores new mutants; pass SEED to replay
# a night.  Then the libFuzzer harness of the core (tests/fuzz/fuzz_core.c,
# clang, exact-size packet buffers) runs $DDI_FUZZ_CORE_SECONDS (600) s; 0
# skips it.
#
# Results: a summary on stderr and in $DDI_FUZZ_OUT/summary.json (default
# /tmp/ddi-fuzz-long-<seed>); reproducers of ddi failures (mutant + sanitizer
# log) in $DDI_FUZZ_OUT/crashes/.  Exit 1 when ddi failed on some mutant.
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mutants=${1:-10000}
seed=${2:-$(( $(date +%s) / 86400 ))}
out=${DDI_FUZZ_OUT:-/tmp/ddi-fuzz-long-$seed}
build=${DDI_ASAN_BUILD_DIR:-/tmp/ddi-asan-build}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

mkdir -p "$out"
echo "fuzz-long: $mutants mutants, seed $seed, $(nproc) jobs, sanitizer build $build, results in $out" >&2
set +e
"$PY" -B "$here/tests/fuzz/fuzz.py" --mutants "$mutants" --seed "$seed" --batch "${DDI_FUZZ_BATCH:-25}" \
    --seed-packets "${DDI_FUZZ_SEED_PACKETS:-300}" --jobs "$(nproc)" --build "$build" \
    --workdir "$out/work" --json "$out/summary.json" --timeout 300 --core-seconds "${DDI_FUZZ_CORE_SECONDS:-600}"
rc=$?
set -e
if [ -d "$out/work/crashes" ]; then
    mkdir -p "$out/crashes"
    cp -a "$out/work/crashes/." "$out/crashes/"
    echo "fuzz-long: reproducers in $out/crashes" >&2
fi
exit $rc
