#!/usr/bin/env bash
# check-deb.sh — install the wireshark-ddi package of SUITE into a clean root
# filesystem of that suite (minbase, scripts/rootfs.sh ... base) with
# `apt-get install ./wireshark-ddi_....deb`, check that tshark lists the
# plugin and that the seed analysis comes out right, then remove the package
# and check that nothing of it is left.  Runs lintian (of this host) on it.
#
#   scripts/check-deb.sh SUITE [DISTDIR]     (default dist/; the .deb in DISTDIR/SUITE/)
#   scripts/check-deb.sh --here DEB SEED     (inside the root filesystem)
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "check-deb.sh: $*" >&2; exit 1; }

if [ "${1:-}" != --here ]; then
    suite=${1:?usage: check-deb.sh SUITE [DISTDIR]}
    dist=$(cd "${2:-$here/dist}/$suite" && pwd)
    debs=("$dist"/wireshark-ddi_*.deb)
    [ -e "${debs[0]}" ] || die "no package in $dist (scripts/build-deb.sh $suite)"
    [ ${#debs[@]} -eq 1 ] || die "more than one package in $dist"
    if command -v lintian >/dev/null; then
        # the host's lintian: a packaging check, not a gate (its suite may differ)
        lintian --tag-display-limit 0 "${debs[0]}" 2>/dev/null | sed 's/^/lintian: /' || true
    fi
    cp "$here/captures/seed-conficker.pcapng" "$dist/"
    rc=0
    "$here/scripts/rootfs.sh" run "$suite" base --checkout "$here" --out "$dist" -- \
        bash /root/ddi/scripts/check-deb.sh --here "/root/out/$(basename "${debs[0]}")" /root/out/seed-conficker.pcapng ||
        rc=$?
    rm -f "$dist/seed-conficker.pcapng"
    exit $rc
fi

deb=$2 seed=$3
apt-get update -qq
apt-get install -y -qq "$deb" >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; die "apt-get install $deb failed"; }
echo "check-deb.sh: installed $(dpkg-query -W -f='${Package} ${Version}' wireshark-ddi) with" \
     "$(dpkg-query -W -f='${Depends}' wireshark-ddi)"
tshark --version 2>/dev/null | head -n1

tshark -G plugins 2>/dev/null | grep -E '^ddi\.so' || die "tshark -G plugins does not list ddi.so"

# the published two-SYN analysis (README walk-through), point-in-time values
# and the whole-capture Conficker verdict; 4.4+ spell a true boolean "True"
t=1
case "$(tshark --version 2>/dev/null | head -n1)" in
*"Wireshark) 4.0."* | *"Wireshark) 4.2."*) ;;
*) t=True ;;
esac
got=$(tshark -n -2 -r "$seed" -Y 'ip.src==114.124.162.72' -T fields -e frame.number -e ddi.ipid.gap \
      -e ddi.ipid.rate -e ddi.mss.pppoe -e ddi.nat -e ddi.conficker -e ddi.os 2>/tmp/tshark.err)
want=$(printf '1\t\t\t%s\t%s\t%s\tWindows 2000/XP/2003 (RFC 1323 on)\n3\t69\t23.241\t%s\t%s\t%s\tWindows 2000/XP/2003 (RFC 1323 on)' \
       $t $t $t $t $t $t)
echo "$got"
if [ "$got" != "$want" ]; then
    echo "expected:"; echo "$want"; cat /tmp/tshark.err
    die "the seed analysis differs"
fi
if grep -i "ddi" /tmp/tshark.err; then die "ddi warned on stderr"; fi
tshark -n -2 -q -z ddi,sources -r "$seed" 2>/dev/null | grep -q "Conficker-style single retry" ||
    die "the per-source report lacks the Conficker-style verdict"
[ -f /usr/share/wireshark/profiles/Darknet/preferences ] || die "no Darknet profile"
tshark -C Darknet -r "$seed" -c 1 2>/dev/null | grep -q "Windows 2000/XP/2003" || die "the Darknet profile shows no ddi column"
echo "check-deb.sh: seed analysis, report and Darknet profile as expected"

files=$(dpkg -L wireshark-ddi | while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done)
apt-get remove --purge -y -qq wireshark-ddi >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; die "removal failed"; }
left=$(for f in $files; do if [ -e "$f" ]; then echo "$f"; fi; done)
[ -z "$left" ] || die "left after removal: $left"
! tshark -G plugins 2>/dev/null | grep -q '^ddi\.so' || die "ddi.so still loads after removal"
echo "check-deb.sh: removed cleanly ($(echo "$files" | wc -l) files gone)"
