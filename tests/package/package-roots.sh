# Sourced, not run: Debian roots for the package tests.
#
# One root per series, made once with debootstrap (minbase: a fresh Debian with nothing
# of this project's) and cached beside the compat suite's roots. Every test works in an
# overlay on top of it, so the cached root stays fresh and a test leaves nothing behind:
#
#   . tests/package/package-roots.sh
#   base=$(pkgroot_base SERIES)            # made on first use; needs root
#   pkgroot_overlay "$base" DIR            # DIR/root: a writable copy, mounted
#   pkgroot_run DIR/root apt-get ...       # as root inside it
#   pkgroot_unmount_all                    # every mount this shell made
#
# The caller runs in a private mount namespace (unshare --mount), so a killed test leaves
# no mount on the host either.
# shellcheck shell=bash

pkgroot_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkgroot_top=$(cd "$pkgroot_here/../.." && pwd)
# shellcheck source=../compat/suite-mirror.sh
. "$pkgroot_top/tests/compat/suite-mirror.sh"

pkgroot_cache=${TEARDOWN_COMPAT_ROOT_CACHE:-$pkgroot_top/build/compat-root}
pkgroot_keyring=${TEARDOWN_COMPAT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
pkgroot_mounts=()

pkgroot_die() {
    echo "package-roots: error: $*" >&2
    exit 1
}

pkgroot_run() {
    local root=$1
    shift
    chroot "$root" /usr/bin/env -i \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# As nobody, with a home of its own: tshark ignores its personal plugin folder as root.
pkgroot_run_user() {
    local root=$1
    shift
    mkdir -p "$root/tmp/home"
    chown -R 65534:65534 "$root/tmp/home"
    chroot --userspec=65534:65534 "$root" /usr/bin/env -i \
        HOME=/tmp/home LANG=C.UTF-8 PATH=/usr/bin:/bin "$@"
}

pkgroot_mount() {
    mount "$@"
    pkgroot_mounts+=("${!#}")
}

pkgroot_mount_system() {
    local root=$1
    pkgroot_mount --bind /dev "$root/dev"
    pkgroot_mount --bind /proc "$root/proc"
    pkgroot_mount --bind /sys "$root/sys"
    pkgroot_mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
}

pkgroot_unmount_all() {
    local i
    for ((i = ${#pkgroot_mounts[@]} - 1; i >= 0; i--)); do
        umount "${pkgroot_mounts[$i]}" 2>/dev/null || umount -l "${pkgroot_mounts[$i]}" ||
            echo "package-roots: warning: could not unmount ${pkgroot_mounts[$i]}" >&2
    done
    pkgroot_mounts=()
}

# apt-get update; a mirror that serves a sid Release file past its Valid-Until date is
# accepted with a warning, as in the compat suite's roots.
pkgroot_apt_update() {
    local root=$1
    if ! pkgroot_run "$root" apt-get update >"$root/tmp/apt-update.log" 2>&1; then
        cat "$root/tmp/apt-update.log" >&2
        grep -q 'is expired' "$root/tmp/apt-update.log" || return 1
        echo "package-roots: warning: the mirror serves an expired Release file;" \
             "turning apt's Valid-Until check off in this root" >&2
        echo 'Acquire::Check-Valid-Until "false";' \
            >"$root/etc/apt/apt.conf.d/91teardown-package-expired"
        pkgroot_run "$root" apt-get update
    fi
}

# Prints the cached root of SERIES, making it first if needed.
pkgroot_base() {
    local series=$1 root ready mirror script
    case "$series" in ''|*[!a-z0-9-]*) pkgroot_die "'$series' is not a Debian suite name" ;; esac
    mkdir -p "$pkgroot_cache"
    root=$pkgroot_cache/$series-minbase
    ready=$root/.teardown-package-ready
    exec 8>"$pkgroot_cache/$series-minbase.lock"
    flock 8
    if [ ! -f "$ready" ]; then
        command -v debootstrap >/dev/null || pkgroot_die "debootstrap is missing (apt-get install debootstrap)"
        [ -f "$pkgroot_keyring" ] || pkgroot_die "no keyring $pkgroot_keyring (set TEARDOWN_COMPAT_KEYRING)"
        mirror=$(suite_debian_mirror) || pkgroot_die "no Debian archive to bootstrap from"
        rm -rf --one-file-system "$root"
        script=$series
        [ -e "/usr/share/debootstrap/scripts/$series" ] || script=sid
        echo "package-roots: debootstrap $series (minbase) from $mirror into $root" >&2
        debootstrap --variant=minbase --keyring="$pkgroot_keyring" "$series" "$root" \
                "$mirror" "/usr/share/debootstrap/scripts/$script" >&2 ||
            pkgroot_die "debootstrap of $series failed"
        # No service starts in a root; a user's apt installs no Recommends only if told.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 755 "$root/usr/sbin/policy-rc.d"
        rm -rf "$root/var/cache/apt/archives/"*.deb
        date -u +%FT%TZ >"$ready"
    fi
    exec 8>&-
    echo "$root"
}

# DIR/root: BASE with a writable layer in DIR, the system folders mounted, resolv.conf
# and a package cache shared by the overlays of this series (downloads once per run).
pkgroot_overlay() {
    local base=$1 dir=$2 archives
    rm -rf --one-file-system "$dir"
    mkdir -p "$dir/upper" "$dir/work" "$dir/root"
    pkgroot_mount -t overlay overlay \
        -o "lowerdir=$base,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
    pkgroot_mount_system "$dir/root"
    archives=$base.archives
    mkdir -p "$archives/partial"
    pkgroot_mount --bind "$archives" "$dir/root/var/cache/apt/archives"
    cp -L /etc/resolv.conf "$dir/root/etc/resolv.conf" 2>/dev/null || true
    # The overlay is thrown away after the test: dpkg need not sync every file it unpacks.
    echo force-unsafe-io >"$dir/root/etc/dpkg/dpkg.cfg.d/teardown-package-unsafe-io"
}

# Copies the working tree (tracked and untracked, not ignored files) to DEST.
pkgroot_copy_tree() {
    local dest=$1
    mkdir -p "$dest"
    if ! git -C "$pkgroot_top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        tar -C "$pkgroot_top" --exclude=./.git --exclude=./build --exclude='./build-*' \
            -cf - . | tar -C "$dest" -xf -
        return
    fi
    git -C "$pkgroot_top" ls-files -z --cached --others --exclude-standard |
        (cd "$pkgroot_top" && while IFS= read -r -d '' f; do
             if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
         done) |
        tar -C "$pkgroot_top" --null --no-recursion -T - -cf - | tar -C "$dest" -xf -
}
