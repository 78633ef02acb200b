#!/usr/bin/env bash
# ddi set-up on Debian 12: install what is missing, build, install the plugin
# and the Darknet profile, then either run the main job or all tests.
#
#   sudo ./setup.sh run    per-source analysis of the bundled captures
#   sudo ./setup.sh test   the whole test suite (ctest)
#
# Idempotent: packages already present are not touched; the build directory
# is reused.  SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

mode=${1:-run}
here=$(cd "$(dirname "$0")" && pwd)
build=${DDI_BUILD_DIR:-$here/build}

# build + plugin + tests (tshark, p0f as oracle and signature database,
# wireshark-qt/xvfb for the GUI test, parallel for the sharded run)
packages=(build-essential cmake pkg-config libglib2.0-dev libpcap-dev wireshark-dev tshark p0f python3
          wireshark-qt xvfb xauth x11-utils imagemagick xdotool parallel)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "ddi: installing ${missing[*]}"
    as_root apt-get update -qq
    # tshark asks whether non-root users may capture: keep the default
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
as_root cmake --install "$build" >/dev/null
echo "ddi: installed $(tshark -G plugins 2>/dev/null | awk '$1=="ddi.so"{print $NF}')"

case "$mode" in
run)
    for cap in "$here"/captures/*.pcapng; do
        echo
        echo "### $(basename "$cap")"
        tshark -n -2 -q -z ddi,sources -r "$cap"
    done
    ;;
test)
    ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
    ;;
*)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
