#!/usr/bin/env bash
# Builds the project and runs its whole ctest suite inside a Debian root of another
# series, against that series' Wireshark (trixie: 4.4, sid: 4.6). Needs root (debootstrap,
# chroot, mounts) and the debootstrap package.
#
#   tests/compat/run-suite.sh SERIES [-- CTEST_ARGS...]
#
# The root is made with debootstrap (minbase), or copied from the package tests' root of
# the same series, then gets the packages of .ci/build-packages and .ci/debian-packages
# (the native lists) and what the suite needs on top. It is kept in
# $TEARDOWN_COMPAT_ROOT_CACHE/SERIES (default: build/compat-root/SERIES in the source
# tree) and reused by later runs; a marker written at the end of each stage tells a
# finished root from one an interrupted run left behind, which is made again.
#
# Every run copies the working tree in (git's tracked and untracked, not ignored, files),
# configures and builds it from scratch in the root, and runs
# `ctest --output-on-failure -E '^(compat|package)\.'` there: the compat.compile.* tests
# fetch other series' headers and are redundant inside a root of that series; the
# package.* tests make roots of their own, from the host. CTEST_ARGS are
# added to that command line (e.g. -- -R '^tshark\.'). The exit status is ctest's, or
# non-zero when an earlier phase fails.
#
# Environment:
#   TEARDOWN_COMPAT_ROOT_CACHE  folder of the cached roots (default build/compat-root)
#   TEARDOWN_COMPAT_REBUILD=1   make the root again from scratch
#   TEARDOWN_COMPAT_UPGRADE=1   apt-get update && apt-get upgrade in a reused root
#   TEARDOWN_COMPAT_EXTRA_PACKAGES  more packages for the root, separated by spaces
#   TEARDOWN_COMPAT_KEYRING     keyring that checks the archive's Release file (default:
#                               the host's debian-archive-keyring)
#   TEARDOWN_COMPAT_JOBS        parallel build jobs (default 2)
#   TEARDOWN_DEBIAN_MIRROR      the archive; by default the one of the host's apt sources
#
# The mounts (the root onto itself, so that "/" is a mount point for `ip netns`; /dev,
# /dev/pts, /proc, /sys bound from the host; tmpfs on /dev/shm, /run and /tmp) live in
# a private mount namespace when unshare(1) can make one, and are unmounted on exit in
# any case, failure or interruption included.
set -euo pipefail

# The whole script is one block, read before any of it runs: editing the file (a git
# checkout, say) while it runs cannot change what it does.
{
die() {
    echo "run-suite: error: $*" >&2
    exit 1
}
say() {
    echo "run-suite: $*"
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    die "usage: $0 SERIES [-- CTEST_ARGS...]   (SERIES: trixie, sid, ...)"
fi
series=$1
shift
if [ $# -gt 0 ]; then
    [ "$1" = -- ] || die "usage: $0 SERIES [-- CTEST_ARGS...]; unexpected '$1'"
    shift
fi
ctest_extra=("$@")
case "$series" in
    ''|*[!a-z0-9-]*) die "'$series' is not a Debian suite name" ;;
esac
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts)"
for tool in debootstrap chroot mount umount mountpoint flock tar awk; do
    command -v "$tool" >/dev/null ||
        die "'$tool' is missing (apt-get install debootstrap util-linux tar gawk)"
done

# A private mount namespace: whatever happens to this script, its mounts do not outlive
# it on the host. The trap below unmounts them as well.
if [ -z "${TEARDOWN_SUITE_MOUNT_NS:-}" ] && command -v unshare >/dev/null &&
   unshare --mount --propagation private true 2>/dev/null; then
    export TEARDOWN_SUITE_MOUNT_NS=1
    exec unshare --mount --propagation private -- bash "$here/run-suite.sh" "$series" \
        ${ctest_extra[@]+-- "${ctest_extra[@]}"}
fi

# shellcheck source-path=SCRIPTDIR source=suite-mirror.sh
. "$here/suite-mirror.sh"
mirror=$(suite_debian_mirror) || die "no Debian archive to bootstrap from"

cache=${TEARDOWN_COMPAT_ROOT_CACHE:-$top/build/compat-root}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
root=$cache/$series
case "$root" in
    *[[:space:]]*) die "the root's path '$root' contains white space; set TEARDOWN_COMPAT_ROOT_CACHE" ;;
esac
bootstrapped=$root/.teardown-suite-bootstrapped   # debootstrap finished
ready=$root/.teardown-suite-ready                 # packages installed; holds their list

keyring=${TEARDOWN_COMPAT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
[ -f "$keyring" ] || die "no keyring $keyring (install debian-archive-keyring, or set TEARDOWN_COMPAT_KEYRING)"

# The root's packages: the native list (but debootstrap, which only the host needs), and
# what the suite needs beyond it: iproute2 (ip netns for tests/kernel) and perl (netpbm's
# pnmquant, for the GUI check's screenshots; Debian 12 hosts tend to have it already).
packages=()
while read -r pkg; do
    case "$pkg" in
        ''|debootstrap) ;;
        # Debian 13 put the Qt GUI into the package wireshark; wireshark-qt is gone. In
        # Debian 12, wireshark depends on wireshark-qt, so the name works everywhere.
        wireshark-qt) packages+=(wireshark) ;;
        *) packages+=("$pkg") ;;
    esac
done < <(sed 's/#.*//; s/[[:space:]]\+/\n/g' "$top/.ci/build-packages" "$top/.ci/debian-packages")
packages+=(iproute2 perl)
case "$mirror" in https:*) packages+=(ca-certificates) ;; esac
# shellcheck disable=SC2206 # a list of words
packages+=(${TEARDOWN_COMPAT_EXTRA_PACKAGES:-})
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
[ ${#packages[@]} -gt 1 ] || die "no packages read from $top/.ci/build-packages and debian-packages"

# --- Phases and their timings. ------------------------------------------------------
timings=()
current=""
phase_started=0
phase_begin() {
    current=$1
    phase_started=$(date +%s)
    say "=== $current"
}
phase_end() {
    local took=$(($(date +%s) - phase_started))
    timings+=("$(printf '%-16s %5d s' "$current" "$took")")
    say "=== $current: $took s"
    current=""
}
phase_skipped() {
    timings+=("$(printf '%-16s %s' "$1" "${2:-cached}")")
}

# --- Mounts and clean-up. -----------------------------------------------------------
# Mount points at or under the root, deepest (most recent) first.
mounts_under_root() {
    awk -v r="$root" '{ p = $5; gsub(/\\040/, " ", p)
                        if (p == r || index(p, r "/") == 1) print p }' /proc/self/mountinfo | tac
}
# Processes left running inside the root (a daemon a test started, say) keep its mounts
# busy; they are this run's own children.
kill_root_processes() {
    local p pids=()
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && pids+=("${p#/proc/}")
    done
    [ ${#pids[@]} -eq 0 ] && return 0
    say "stopping processes left in the root: ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    sleep 2
    kill -KILL "${pids[@]}" 2>/dev/null || true
}
unmount_root() {
    local m
    [ -d "$root" ] || return 0
    kill_root_processes
    while read -r m; do
        [ -n "$m" ] || continue
        umount "$m" 2>/dev/null || umount -l "$m" ||
            echo "run-suite: warning: could not unmount $m" >&2
    done < <(mounts_under_root)
    if [ -n "$(mounts_under_root)" ]; then
        echo "run-suite: warning: still mounted under $root: $(mounts_under_root | tr '\n' ' ')" >&2
        return 1
    fi
}
mount_root() {
    local d
    for d in dev proc sys run tmp; do mkdir -p "$root/$d"; done
    # The root bound onto itself: "/" inside the chroot is then a mount point, which
    # `ip netns exec` and `ip -n` need (they make it a slave: mount --make-rslave /).
    mount --bind "$root" "$root"
    mount --bind /dev "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/dev/shm"
    mount --bind /proc "$root/proc"
    mount --bind /sys "$root/sys"
    mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs "$root/run"
    mkdir -p "$root/run/lock"
    chmod 1777 "$root/run/lock"
    mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"
}
remove_root() {
    unmount_root || die "cannot remove $root while something is mounted under it"
    # Never crosses into a mount: /dev and the others are unmounted, and if one were not,
    # --one-file-system keeps rm out of it.
    rm -rf --one-file-system "$root"
}

# Runs a long command in the background and waits for it, so that a signal to this
# script is handled at once (the trap stops the command), not when the command is done.
child=""
run() {
    local status=0
    "$@" &
    child=$!
    wait "$child" || status=$?
    child=""
    return "$status"
}

# The command's status matters: the trap reports it and keeps it.
# shellcheck disable=SC2317 # called by the trap below
on_exit() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    [ -n "$current" ] && say "=== $current: FAILED after $(($(date +%s) - phase_started)) s"
    unmount_root
    if [ ${#timings[@]} -gt 0 ]; then
        say "timings ($series):"
        printf 'run-suite:   %s\n' "${timings[@]}"
    fi
    [ -d "$root" ] && say "root $root: $(du -sxh "$root" 2>/dev/null | cut -f1) on disk"
    exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_root() {
    chroot "$root" /usr/bin/env -i \
        HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        "$@"
}

# One run per root at a time.
exec 9>"$cache/$series.lock"
if ! flock -n 9; then
    say "another run is using $root; waiting for it"
    flock 9
fi

# --- The root: made, completed or reused. -------------------------------------------
if [ -n "${TEARDOWN_COMPAT_REBUILD:-}" ] && [ -e "$root" ]; then
    say "TEARDOWN_COMPAT_REBUILD is set: removing $root"
    remove_root
elif [ -e "$root" ] && [ ! -f "$bootstrapped" ]; then
    say "$root is a root an interrupted debootstrap left behind: making it again"
    remove_root
fi
# Whatever a previous, killed run left mounted.
unmount_root || die "cannot clear the mounts under $root"

if [ ! -f "$bootstrapped" ]; then
    script=$series
    # A suite newer than this debootstrap knows is bootstrapped like sid.
    [ -e "/usr/share/debootstrap/scripts/$series" ] || script=sid
    phase_begin debootstrap
    # The package tests (tests/package) keep the same debootstrap of this series in the
    # same cache; a copy of it takes seconds instead of minutes.
    minbase=$cache/$series-minbase
    if [ -f "$minbase/.teardown-package-ready" ]; then
        say "copying the $series root of the package tests, $minbase, into $root"
        run cp -a "$minbase" "$root"
        rm -f "$root/.teardown-package-ready"
    else
        say "debootstrap $series from $mirror into $root (Release checked with $keyring)"
    fi
    # The host's keyring (Debian 12's debian-archive-keyring) holds the bookworm and
    # trixie archive keys, which sign trixie's and sid's Release files; when sid moves to
    # keys it lacks, set TEARDOWN_COMPAT_KEYRING to a newer debian-archive-keyring.gpg.
    if [ ! -d "$root" ] && ! run debootstrap --variant=minbase --keyring="$keyring" \
            "$series" "$root" "$mirror" \
            "/usr/share/debootstrap/scripts/$script"; then
        [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
        die "debootstrap of $series failed (a signature error means the Release file is
signed with keys $keyring lacks: set TEARDOWN_COMPAT_KEYRING)"
    fi
    # No services start inside the root.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
        >"$root/etc/apt/apt.conf.d/90teardown-suite"
    date -u +%FT%TZ >"$bootstrapped"
    phase_end
else
    phase_skipped debootstrap "cached (made $(cat "$bootstrapped"))"
fi

cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mount_root

wanted=$(printf '%s\n' "${packages[@]}")
if [ ! -f "$ready" ] || [ "$(cat "$ready")" != "$wanted" ] ||
   [ -n "${TEARDOWN_COMPAT_UPGRADE:-}" ]; then
    phase_begin "package install"
    rm -f "$ready"
    # An install an interrupted run left half done.
    run in_root dpkg --configure -a
    update_log=$root/tmp/apt-update.log
    updated=0
    run in_root apt-get update >"$update_log" 2>&1 || updated=$?
    cat "$update_log"
    if [ "$updated" -ne 0 ]; then
        grep -q 'is expired' "$update_log" || die "apt-get update failed in the $series root"
        # A mirror that lags (or a frozen snapshot of the archive) can serve a sid
        # Release file past its Valid-Until date, which debootstrap accepts and apt does
        # not. The signature is still checked; only the freshness check is turned off,
        # in this root only, and said so.
        echo "run-suite: warning: $mirror serves an expired $series Release file;" \
             "turning apt's Valid-Until check off in this root" >&2
        printf '// %s\nAcquire::Check-Valid-Until "false";\n' \
            "The mirror serves an expired Release file (run-suite.sh)." \
            >"$root/etc/apt/apt.conf.d/91teardown-suite-expired"
        run in_root apt-get update
    fi
    [ -n "${TEARDOWN_COMPAT_UPGRADE:-}" ] && run in_root apt-get -y upgrade
    run in_root apt-get install -y "${packages[@]}" ||
        die "installing the packages in the $series root failed (set TEARDOWN_COMPAT_REBUILD=1 to start over)"
    in_root apt-get clean
    echo "$wanted" >"$ready"
    phase_end
else
    phase_skipped "package install"
    say "reusing the $series root in $root (packages installed $(date -u -r "$ready" +%FT%TZ);" \
        "TEARDOWN_COMPAT_UPGRADE=1 updates it)"
fi
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
say "in the root: $(in_root dpkg-query -W -f '${Package} ${Version}\n' tshark libwireshark-dev cmake | tr '\n' ' ')"

# --- The source tree, copied in. ----------------------------------------------------
src=$root/teardown/src
rm -rf --one-file-system "$root/teardown"
mkdir -p "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked and untracked files, but not ignored ones (build trees, this cache).
    git -C "$top" ls-files -z --cached --others --exclude-standard |
        (cd "$top" && while IFS= read -r -d '' f; do
             if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
         done) |
        tar -C "$top" --null --no-recursion -T - -cf - | tar -C "$src" -xf -
else
    tar -C "$top" --exclude=./.git --exclude=./build --exclude='./build-*' -cf - . |
        tar -C "$src" -xf -
fi
say "copied $(find "$src" -type f | wc -l) files of $top into the root"

jobs=${TEARDOWN_COMPAT_JOBS:-2}
phase_begin build
run in_root cmake -S /teardown/src -B /teardown/build
run in_root cmake --build /teardown/build -j"$jobs"
phase_end

phase_begin ctest
status=0
run in_root ctest --test-dir /teardown/build --output-on-failure -j2 -E '^(compat|package)\.' \
    ${ctest_extra[@]+"${ctest_extra[@]}"} || status=$?
phase_end
if [ "$status" -ne 0 ]; then
    say "ctest failed in the $series root (status $status); the log is" \
        "$root/teardown/build/Testing/Temporary/LastTest.log"
    exit "$status"
fi
if [ ${#ctest_extra[@]} -eq 0 ]; then
    say "the whole suite passes against $series's Wireshark"
else
    say "the selected tests pass against $series's Wireshark"
fi
exit 0
}
