#!/usr/bin/env bash
# rootfs.sh — Debian root filesystems for building and testing ddi against the
# Wireshark of another Debian release (bookworm 4.0, trixie 4.4, forky 4.6),
# made with mmdebstrap from the configured Debian archive and cached.
#
#   scripts/rootfs.sh path SUITE [FLAVOR]      make (if missing or stale) the cached
#                                              tarball; print its path
#   scripts/rootfs.sh run SUITE FLAVOR [--checkout DIR] [--out DIR] -- COMMAND...
#                                              unpack a fresh copy, copy DIR (a ddi
#                                              checkout, without build trees) to
#                                              /root/ddi and ../shared beside it to
#                                              /root/shared, bind the --out DIR at
#                                              /root/out, run COMMAND in it as root
#
# FLAVOR: test (minbase + everything `setup.sh packages` lists: building and
# the whole test suite) or base (minbase only: a clean system for installing
# the .deb).  Cache: /var/cache/ddi/rootfs/SUITE-FLAVOR-KEY-YYYYMMDD.tar.zst,
# KEY a hash of the package list and the mirror; a tarball older than
# DDI_ROOTFS_MAX_AGE days (default 7) is stale and made again.
# Environment: DDI_MIRROR (default: the first Debian URI in /etc/apt/sources.list*),
# DDI_ROOTFS_CACHE (default /var/cache/ddi/rootfs).
# The root filesystem is entered with unshare --mount --pid --fork + chroot
# after mounting proc, sys, dev and a tmpfs on /tmp; its mounts vanish with
# the namespace, the unpacked copy is deleted afterwards.  Needs root.
# SPDX-License-Identifier: GPL-2.0-or-later
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${DDI_ROOTFS_CACHE:-/var/cache/ddi/rootfs}
max_age=${DDI_ROOTFS_MAX_AGE:-7}

die() { echo "rootfs.sh: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, unshare, chroot)"

mirror() {
    if [ -n "${DDI_MIRROR:-}" ]; then echo "$DDI_MIRROR"; return; fi
    local m
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -oE '(https?|file)://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ')
    echo "${m:-http://deb.debian.org/debian}"
}

# apt sources for SUITE: the suite, its -updates and -security when they exist
sources() {
    local suite=$1 m sec
    m=$(mirror); m=${m%/}
    sec=${m%/debian}/debian-security
    case "$suite" in
    bookworm|trixie) printf '%s\n' "deb $m $suite main" "deb $m $suite-updates main" "deb $sec $suite-security main" ;;
    *) printf '%s\n' "deb $m $suite main" ;;
    esac
}

packages() {
    case "$1" in
    test) bash "$here/setup.sh" packages ;;
    base) ;;
    *) die "unknown flavor $1 (test or base)" ;;
    esac
}

# path SUITE FLAVOR: the cached tarball, made if missing or stale
tarball() {
    local suite=$1 flavor=$2 pkgs key today f age newest=
    pkgs=$(packages "$flavor" | tr '\n' ' ')
    key=$( (echo "$pkgs"; sources "$suite") | sha256sum | cut -c1-10)
    mkdir -p "$cache"
    exec 9>"$cache/.lock-$suite-$flavor"
    flock 9
    for f in "$cache/$suite-$flavor-$key-"*.tar.zst; do
        [ -e "$f" ] && newest=$f
    done
    if [ -n "$newest" ]; then
        age=$(( ($(date -u +%s) - $(date -u -d "$(basename "$newest" .tar.zst | grep -oE '[0-9]{8}$')" +%s)) / 86400 ))
        if [ "$age" -lt "$max_age" ]; then echo "$newest"; return; fi
        echo "rootfs.sh: $newest is $age days old: making it again" >&2
    fi
    today=$(date -u +%Y%m%d)
    f="$cache/$suite-$flavor-$key-$today.tar.zst"
    local opts=(--variant=minbase --components=main)
    # testing's and unstable's Release files in the archive can be past their
    # Valid-Until date (stable's carry none); the setting stays in the root
    # filesystem for its later apt-get update
    case "$suite" in
    bookworm|trixie) ;;
    *) opts+=(--aptopt='Acquire::Check-Valid-Until "false"') ;;
    esac
    [ -n "$pkgs" ] && opts+=(--include="$(echo $pkgs | tr ' ' ',')")
    echo "rootfs.sh: making $f with mmdebstrap ($(mirror))" >&2
    local t0=$SECONDS
    mapfile -t srcs < <(sources "$suite")
    local part="$cache/.part-$suite-$flavor.tar.zst"
    mmdebstrap --quiet "${opts[@]}" "$suite" "$part" "${srcs[@]}" >&2 || { rm -f "$part"; die "mmdebstrap $suite failed"; }
    mv "$part" "$f"
    echo "rootfs.sh: made $f in $((SECONDS - t0)) s ($(du -h "$f" | cut -f1))" >&2
    # older tarballs of this suite and flavor are no longer used
    find "$cache" -maxdepth 1 -name "$suite-$flavor-*.tar.zst" ! -path "$f" -delete
    echo "$f"
}

run() {
    local suite=$1 flavor=$2; shift 2
    local checkout= out=
    while [ $# -gt 0 ]; do
        case "$1" in
        --checkout) checkout=$(cd "$2" && pwd); shift 2 ;;
        --out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
        --) shift; break ;;
        *) die "run: unexpected $1" ;;
        esac
    done
    [ $# -gt 0 ] || die "run: no command"
    local tar root
    tar=$(tarball "$suite" "$flavor")
    root=$(mktemp -d /var/tmp/ddi-rootfs-"$suite".XXXXXX)
    trap "rm -rf --one-file-system '$root'" EXIT
    tar --zstd -xpf "$tar" -C "$root" --numeric-owner
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    if [ -n "$checkout" ]; then
        # the files git knows about (tracked or not ignored): no build trees
        mkdir -p "$root/root/ddi"
        if git -C "$checkout" rev-parse 2>/dev/null; then
            (cd "$checkout" && git ls-files -z -co --exclude-standard | xargs -0 -r -n 500 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
                tar --null -T - -cf -) | tar -xf - -C "$root/root/ddi"
        else
            tar -C "$checkout" --exclude=./build --exclude='./build-*' -cf - . | tar -xf - -C "$root/root/ddi"
        fi
        if [ -d "$checkout/../shared" ]; then
            mkdir -p "$root/root/shared" && cp -a "$(cd "$checkout/../shared" && pwd -P)/." "$root/root/shared/"
        fi
    fi
    mkdir -p "$root/root/out"
    unshare --mount --pid --fork --propagation private /bin/bash -c '
        set -e
        r=$1; out=$2; shift 2
        [ -z "$out" ] || mount --bind "$out" "$r/root/out"
        mount -t proc proc "$r/proc"
        mount --rbind /sys "$r/sys"
        mount --rbind /dev "$r/dev"
        mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
        exec chroot "$r" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            LANG=C.UTF-8 TERM=dumb CI="${CI:-}" DEBIAN_FRONTEND=noninteractive "$@"' bash "$root" "$out" "$@"
}

cmd=${1:-}; shift || true
case "$cmd" in
path) [ $# -ge 1 ] || die "usage: rootfs.sh path SUITE [FLAVOR]"; tarball "$1" "${2:-test}" ;;
run) [ $# -ge 2 ] || die "usage: rootfs.sh run SUITE FLAVOR [--checkout DIR] [--out DIR] -- COMMAND..."; run "$@" ;;
*) sed -n '2,26p' "$0" >&2; exit 2 ;;
esac
