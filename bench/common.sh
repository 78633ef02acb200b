# bench/common.sh — sourced by bench/run.sh, reader.sh and hours.sh: the
# defaults they share, the tool check and the build of the measured tree.
# Expects `here` (bench/) and `root` (the checkout) to be set.
# SPDX-License-Identifier: GPL-2.0-or-later

seed=${BENCH_SEED:-1}
work=${BENCH_DIR:-/tmp/ddi-bench}
build=${DDI_BUILD_DIR:-/tmp/ddi-bench-build}
results=${BENCH_RESULTS:-$here/RESULTS.md}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
t_start=$(date +%s)

bench_need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 2; }
    done
    mkdir -p "$work"
    chmod 755 "$work"
}

# bench_build "DIRS WATCHED" TARGET...: builds the targets (RelWithDebInfo,
# no tests) and gen_darknet; sets `commit` (what was measured, with a note
# when the watched paths had uncommitted changes) and `plugdir`.
bench_build() {
    local watched=$1
    shift
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
    fi
    local src_of_build
    src_of_build=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
    if [ "$(readlink -f "$src_of_build")" != "$(readlink -f "$root")" ]; then
        echo "bench: $build is a build of $src_of_build, not of $root: set DDI_BUILD_DIR" >&2
        exit 2
    fi
    cmake --build "$build" --target "$@" -j"$(nproc)" >/dev/null 2>&1 ||
        cmake --build "$build" --target "$@" -j"$(nproc)" # show the errors
    commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
    # shellcheck disable=SC2086 # the watched paths are words
    if [ -n "$(git -C "$root" status --porcelain -- $watched 2>/dev/null)" ]; then
        commit="$commit + uncommitted changes"
    fi
    plugdir=$(cd "$build" && pwd)/plugins
    make -s -C "$here" gen_darknet >/dev/null
}
