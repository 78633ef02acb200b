#!/usr/bin/env bash
# ddi set-up on Debian 12, 13 and testing: install what is missing, build,
# install the plugin and the Darknet profile, then either run the main job or
# all tests.
#
#   sudo ./setup.sh run       per-source analysis of the bundled captures
#   sudo ./setup.sh test      the whole test suite (ctest)
#   ./setup.sh packages       the Debian packages it needs, one per line
#   sudo ./setup.sh ci-tools  only install what .ci/run needs besides (mmdebstrap ...)
#
# Idempotent: packages already present are not touched; the build directory
# is reused.  SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

mode=${1:-run}
here=$(cd "$(dirname "$0")" && pwd)
build=${DDI_BUILD_DIR:-$here/build}

# build + plugin + tests (tshark, p0f as oracle and signature database,
# wireshark/xvfb for the GUI test, parallel for the sharded run, libpcap for
# ddi-read).  The GUI is the package `wireshark` on every release: Debian 12
# splits it into wireshark-qt, which Debian 13 and later no longer have.
packages=(build-essential cmake pkg-config libglib2.0-dev libpcap-dev wireshark-dev tshark p0f python3
          wireshark xvfb xauth x11-utils imagemagick xdotool parallel zip python3-cryptography)
# .ci/run also makes Debian root filesystems and packages
ci_tools=(mmdebstrap zstd dpkg-dev fakeroot lintian)
if [ "$mode" = packages ]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "ddi: installing ${missing[*]}"
        as_root apt-get update -qq
        # tshark asks whether non-root users may capture: keep the default
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

if [ "$mode" = ci-tools ]; then
    install_missing "${ci_tools[@]}"
    exit 0
fi
install_missing "${packages[@]}"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
# what this build used (CI logs compare runs on several Debian releases)
echo "ddi: Debian $(cat /etc/debian_version 2>/dev/null || echo '?'); $(tshark --version 2>/dev/null | head -n1);" \
     "wireshark-dev $(dpkg-query -W -f='${Version}' wireshark-dev 2>/dev/null || echo '?');" \
     "$(cc --version | head -n1); $(cmake --version | head -n1)"
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
    # Wireshark's own test captures and keys (one pass vs -2 on decrypted data)
    [ -d "$build/wireshark-tests/captures" ] ||
        as_root "$here/captures/wireshark_tests.sh" --fetch "$build/wireshark-tests" ||
        echo "ddi: Wireshark's test captures unavailable; that part of the tests will be skipped" >&2
    ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
    ;;
*)
    echo "usage: $0 run|test|packages|ci-tools" >&2
    exit 2
    ;;
esac
