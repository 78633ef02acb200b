#!/usr/bin/env bash
# build-deb.sh — a binary Debian package of ddi for one Debian release.
#
#   scripts/build-deb.sh SUITE [OUTDIR]   build inside a SUITE root filesystem
#                                         (scripts/rootfs.sh); the package lands in
#                                         OUTDIR/SUITE/ (default dist/)
#   scripts/build-deb.sh --here OUTDIR    build on this system, for its Wireshark
#
# SUITE: bookworm (Wireshark 4.0), trixie (4.4), forky (4.6).  The package,
# wireshark-ddi_<version>_<arch>.deb, depends on the libwireshark ABI package
# the build found (dpkg-shlibdeps: libwireshark16 / 18 / 19) and installs
#   /usr/lib/<triplet>/wireshark/plugins/<major.minor>/epan/ddi.so
#   /usr/bin/ddi-read                           (the batch reader, when built)
#   /usr/share/ddi/ddi.fp                       (the plugin's default ddi.own_db)
#   /usr/share/wireshark/profiles/Darknet/      (the Darknet configuration profile)
#   /usr/share/doc/wireshark-ddi/               (README, workflows, copyright, changelog)
# Built with dpkg-deb (no debian/ source directory); files owned by root.
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "build-deb.sh: $*" >&2; exit 2; }

if [ "${1:-}" != --here ]; then
    suite=${1:?usage: build-deb.sh SUITE [OUTDIR] | --here OUTDIR}
    out=${2:-$here/dist}/$suite
    rm -rf "$out"
    mkdir -p "$out"
    exec "$here/scripts/rootfs.sh" run "$suite" test --checkout "$here" --out "$out" -- \
        bash -c 'cd /root/ddi && scripts/build-deb.sh --here /root/out'
fi
out=${2:?usage: build-deb.sh --here OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

pkg=wireshark-ddi
version=$(sed -n 's/^project(ddi VERSION \([0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
[ -n "$version" ] || die "no project version in CMakeLists.txt"
. /etc/os-release
case "${VERSION_CODENAME:-}" in
bookworm) debver=12 ;;
trixie) debver=13 ;;
forky) debver=14 ;;
*) debver=${VERSION_ID:-0} ;;
esac
full="$version-1~deb$debver"
arch=$(dpkg --print-architecture)
# the project has no mail address of its own (lintian: bogus-mail-host);
# whoever publishes the package sets theirs
maintainer=${DDI_MAINTAINER:-ddi <ddi@localhost>}

work=$(mktemp -d /tmp/ddi-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
build=$work/build root=$work/root
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
DESTDIR=$root cmake --install "$build" >/dev/null

so=$(find "$root" -name ddi.so)
[ -n "$so" ] || die "no ddi.so installed"
bins=$(find "$root/usr/bin" -type f 2>/dev/null || true)
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$so" $bins

doc=$root/usr/share/doc/$pkg
mkdir -p "$doc"
cp "$here/README.md" "$doc/"
cp "$here"/docs/*.md "$doc/"
cat >"$doc/copyright" <<EOT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ddi
Comment: Deep Darknet Inspection, a Wireshark post-dissector plugin.

Files: *
Copyright: $(date -u +%Y) the ddi authors
License: GPL-2.0-or-later

License: GPL-2.0-or-later
 This program is free software; you can redistribute it and/or modify
 it under the terms of the GNU General Public License as published by
 the Free Software Foundation; either version 2 of the License, or
 (at your option) any later version.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 2 can be found in "/usr/share/common-licenses/GPL-2".
EOT
date=$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)}")
printf '%s (%s) %s; urgency=medium\n\n  * Built for %s with Wireshark %s.\n\n -- %s  %s\n' \
    "$pkg" "$full" "$VERSION_CODENAME" "$PRETTY_NAME" "$(dpkg-query -W -f='${Version}' wireshark-dev)" "$maintainer" "$date" |
    gzip -9n >"$doc/changelog.Debian.gz"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
[ -z "$bins" ] || chmod 0755 $bins

# dependencies: what the plugin links against, as dpkg-shlibdeps says
# (libwiresharkNN is the ABI the plugin was built for)
mkdir -p "$work/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/src/debian/control"
deps=$(cd "$work/src" && dpkg-shlibdeps -O -e"$so" $(for b in $bins; do echo "-e$b"; done) 2>/dev/null |
       sed -n 's/^shlibs:Depends=//p')
case "$deps" in *libwireshark[0-9]*) ;; *) die "dpkg-shlibdeps found no libwireshark dependency: $deps" ;; esac
abi=$(echo "$deps" | grep -o 'libwireshark[0-9]*' | head -n1)
wsver=$(dpkg-query -W -f='${Version}' "$abi" | sed 's/-.*//')
wsminor=$(echo "$wsver" | cut -d. -f1,2)
# the plugin loads only into the minor version it was built for: pin it
next="${wsminor%.*}.$((${wsminor#*.} + 1))"
deps=$(echo "$deps" | sed -E "s/$abi \([^)]*\)/$abi (>= $wsminor.0), $abi (<< $next~)/")

mkdir -p "$root/DEBIAN"
(cd "$root" && find usr -type f -exec md5sum {} + | sort -k2) >"$root/DEBIAN/md5sums"
cat >"$root/DEBIAN/control" <<EOT
Package: $pkg
Version: $full
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $deps
Recommends: tshark | wireshark, p0f
Enhances: tshark, wireshark
Section: net
Priority: optional
Description: Deep Darknet Inspection: Wireshark post-dissector for darknet traffic
 ddi reads, for every packet that reaches a network telescope, what an
 analyst reads in a few headers: IP-ID counter gap and rate, OS (p0f v3
 signatures and its own rules), MSS and link type, NAT evidence, SYN
 retries and Conficker-style retry patterns, scanner tools and
 backscatter.  It adds a ddi tree, expert items, Statistics > Darknet and
 a per-source report (tshark -z ddi,sources).
 .
 This build is for Wireshark $wsminor.x ($abi): a plugin loads only into
 the Wireshark minor version it was built for.
EOT
deb="$out/${pkg}_${full}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "build-deb.sh: $deb"
echo "build-deb.sh: Depends: $deps"
dpkg-deb -c "$deb" | awk '{print "    " $6}'
