#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Prepare Wireshark's own test captures and decryption keys for the ddi tests
# (tests/integration/test_passes.py), from Debian's wireshark source package.
# Nothing of it is copied into the repository.
#
#   captures/wireshark_tests.sh SRC [OUT]
#   captures/wireshark_tests.sh --fetch [OUT]
#
# SRC: an unpacked Wireshark source tree, or its source tarball
#      (e.g. wireshark_4.0.17.orig.tar.bz2 as fetched by
#      `apt-get source --download-only wireshark` with a deb-src line).
# --fetch: download the source package of the installed tshark version
#      with apt-get, through a private deb-src list for the configured
#      Debian mirror (the system's apt configuration is not changed).
# OUT: default build/wireshark-tests (the default of the CMake cache variable
#      DDI_WIRESHARK_TESTS, which the tests read).
#
# OUT gets captures/ and keys/ from the source's test/ folder, and
# home/.config/wireshark/ with the decryption tables (esp_sa, 80211_keys,
# ...) made from test/config/*.tmpl the way Wireshark's own test suite makes
# them (TEST_KEYS_DIR replaced by OUT/keys/).
set -eu
src=${1:?usage: $0 SRC [OUT]}
out=${2:-build/wireshark-tests}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=
if [ "$src" = --fetch ]; then
    tmp=$(mktemp -d)
    chmod 755 "$tmp" # apt's download user reads the lists it fetches
    ver=$(dpkg-query -W -f='${Version}' tshark)
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
             grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+' | grep -v security | head -1)
    mirror=${mirror%/}
    suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
    mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
    {
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror:-http://deb.debian.org/debian} $suite main"
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror:-http://deb.debian.org/debian}-security $suite-security main"
    } > "$tmp/src.list"
    apt_opts="-o Dir::Etc::SourceList=$tmp/src.list -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$tmp/lists
              -o Dir::Cache=$tmp/cache -o Debug::NoLocking=1 -qq"
    # shellcheck disable=SC2086
    apt-get $apt_opts update
    # shellcheck disable=SC2086
    (cd "$tmp" && apt-get $apt_opts source --download-only "wireshark=$ver" >/dev/null)
    src=$(ls "$tmp"/wireshark_*.orig.tar.* | head -1)
    [ -f "$src" ] || { echo "$0: could not fetch the wireshark $ver source package" >&2; exit 1; }
fi
if [ -f "$src" ]; then
    [ -n "$tmp" ] || tmp=$(mktemp -d)
    tmp=$(mktemp -d)
    tar -xf "$src" -C "$tmp" --wildcards '*/test/captures/*' '*/test/keys/*' '*/test/config/*'
    src=$(dirname "$(dirname "$(find "$tmp" -type d -path '*/test/captures' | head -1)")")
fi
[ -d "$src/test/captures" ] || { echo "$0: no test/captures in $src" >&2; exit 1; }
rm -rf "$out/captures" "$out/keys" "$out/home"
cp -r "$src/test/captures" "$src/test/keys" "$out/"
mkdir -p "$out/home/.config/wireshark"
for t in "$src"/test/config/*.tmpl; do
    name=$(basename "$t" .tmpl)
    sed "s|TEST_KEYS_DIR|$out/keys/|g" "$t" > "$out/home/.config/wireshark/$name"
done
chmod -R a+rX "$out"
[ -z "$tmp" ] || rm -rf "$tmp"
echo "$(ls "$out/captures" | wc -l) captures and the decryption tables in $out"
