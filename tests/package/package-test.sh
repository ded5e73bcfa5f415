#!/usr/bin/env bash
# The .deb as users get it: built for one Wireshark series, installed with apt into a
# Debian root that has only Wireshark (tshark), loaded by tshark, flagging the bundled
# capture, then removed. Also the per-user install (the plugin copied to the personal
# plugin folder, no root, no package).
#
#   tests/package/package-test.sh native WORKDIR   # built on this machine (its series)
#   tests/package/package-test.sh SERIES WORKDIR   # built in a fresh root of SERIES by
#                                                  # the README's first command, verbatim
#
# SERIES is a Debian suite (bookworm: Wireshark 4.0, trixie: 4.4, sid: 4.6). Needs root
# (debootstrap, chroot, mounts). The roots are cached (see package-roots.sh); WORKDIR
# holds this run's overlays and the package. Prints the package's size and Depends.
set -euo pipefail

# One block, read whole before any of it runs: editing the file while a test runs (the
# suite copies the working tree) cannot change what the test does.
{

die() {
    echo "package-test: error: $*" >&2
    exit 1
}
say() {
    echo "package-test: $*"
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -eq 2 ] || die "usage: $0 native|SERIES WORKDIR"
mode=$1
work=$2
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts)"
for tool in debootstrap chroot mount umount flock unshare git tar dpkg-deb; do
    command -v "$tool" >/dev/null || die "'$tool' is missing"
done

# Mounts live in a private mount namespace: none outlives the test.
if [ -z "${TEARDOWN_PACKAGE_MOUNT_NS:-}" ]; then
    export TEARDOWN_PACKAGE_MOUNT_NS=1
    exec unshare --mount --propagation private -- bash "$here/package-test.sh" "$mode" "$work"
fi

# shellcheck source=package-roots.sh
. "$here/package-roots.sh"
trap 'pkgroot_unmount_all' EXIT

mkdir -p "$work"
work=$(cd "$work" && pwd)
started=$(date +%s)
phase() {
    say "=== $1 ($(($(date +%s) - started)) s)"
}

# --- The package. --------------------------------------------------------------------
if [ "$mode" = native ]; then
    # shellcheck disable=SC1091 # the machine's own file
    series=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$series" ] || die "no VERSION_CODENAME in /etc/os-release"
    phase "building the .deb natively ($series)"
    build=$work/native-build
    rm -rf "$build"
    cmake -S "$top" -B "$build" -DBUILD_TESTING=OFF >"$work/native-build.log" 2>&1 &&
        cmake --build "$build" -j2 >>"$work/native-build.log" 2>&1 &&
        cmake --build "$build" --target package >>"$work/native-build.log" 2>&1 ||
        { cat "$work/native-build.log" >&2; die "the native build of the package failed"; }
    debs=("$build"/tcp-teardown_*.deb)
else
    series=$mode
    base=$(pkgroot_base "$series")
    # The README's first command, run as a user would: from a clone, in a fresh Debian.
    readme_cmd=$(awk '/^## Install and try it/ { on = 1 }
                      on && /^```sh$/ { getline; print; exit }' "$top/README.md")
    case "$readme_cmd" in
        *cmake*tcp-teardown_*.deb*) ;;
        *) die "found no first command in the README's 'Install and try it' section" ;;
    esac
    phase "the README's first command in a fresh $series root"
    pkgroot_overlay "$base" "$work/build"
    pkgroot_copy_tree "$work/build/root/teardown"
    # A frozen mirror can serve an expired Release file: let it through before the
    # README's own apt-get update meets it.
    pkgroot_apt_update "$work/build/root" >/dev/null
    status=0
    readme_started=$(date +%s)
    pkgroot_run "$work/build/root" bash -c "cd /teardown && $readme_cmd" \
        >"$work/readme.log" 2>&1 || status=$?
    tail -n 40 "$work/readme.log"
    say "the README's first command took $(($(date +%s) - readme_started)) s"
    [ "$status" -eq 0 ] || die "the README's first command failed in $series (status $status)"
    # What it printed last: the flagged frames.
    grep -Eq 'Spurious ACK after FIN' "$work/readme.log" ||
        die "the README's first command showed no spurious ACK in $series"
    debs=("$work/build/root/teardown/"build-*/tcp-teardown_*.deb)
fi
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || die "expected one package, found: ${debs[*]}"
deb=$work/$(basename "${debs[0]}")
cp "${debs[0]}" "$deb"
pkgroot_unmount_all
say "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
say "Depends: $(dpkg-deb -f "$deb" Depends)"

# --- Installed into a root that has only Wireshark. ----------------------------------
base=$(pkgroot_base "$series")
phase "installing tshark into a fresh $series root"
root=$work/install/root
pkgroot_overlay "$base" "$work/install"
pkgroot_apt_update "$root" >/dev/null
pkgroot_run "$root" apt-get install -y --no-install-recommends tshark >"$work/tshark-install.log" 2>&1 ||
    { cat "$work/tshark-install.log" >&2; die "installing tshark in $series failed"; }

# "TShark (Wireshark) 4.4.19." in 4.4, without the full stop in 4.0.
ws_version=$(pkgroot_run "$root" tshark --version | head -n 1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)
[ -n "$ws_version" ] || die "tshark --version names no version in the $series root"
ws_series=${ws_version%.*}
libws=$(pkgroot_run "$root" sh -c 'ls /usr/lib/*/libwireshark.so.*' | head -n 1)
[ -n "$libws" ] || die "no libwireshark in the $series root"
libws_pkg=$(pkgroot_run "$root" dpkg -S "$libws" | cut -d: -f1)
plugin=$(dirname "$libws")/wireshark/plugins/$ws_series/epan/teardown.so
say "the $series root has Wireshark $ws_version, $libws_pkg"

dpkg-deb -f "$deb" Depends | grep -Eq "(^|, )$libws_pkg( |,|$)" ||
    die "Depends does not name $libws_pkg"
case "$(dpkg-deb -f "$deb" Version)" in
    *+ws"$ws_series") ;;
    *) die "the package's version $(dpkg-deb -f "$deb" Version) is not for Wireshark $ws_series" ;;
esac

# The frames the manifest flags as the pattern in the capture the README shows.
expected=$(awk '$1 == "q152474.pcap" && ($3 == "spurious_ack" || $3 == "provoked_rst") { print $2 }' \
               "$top/captures/manifest.txt" | sort -n | tr '\n' ' ')
[ -n "$expected" ] || die "captures/manifest.txt flags nothing in q152474.pcap"
cp "$top/captures/q152474.pcap" "$deb" "$root/tmp/"
chmod 644 "$root/tmp/q152474.pcap"
flagged() {
    pkgroot_run_user "$root" tshark -n -r /tmp/q152474.pcap \
        -Y 'teardown.spurious_ack || teardown.provoked_rst' -T fields -e frame.number |
        sort -n | tr '\n' ' '
}
listed() {
    pkgroot_run_user "$root" tshark -G plugins | awk -v p="$1" '$NF == p || index($0, p) { n++ } END { exit n ? 0 : 1 }'
}

phase "apt install ./$(basename "$deb")"
pkgroot_run "$root" apt install -y "/tmp/$(basename "$deb")" >"$work/apt-install.log" 2>&1 ||
    { cat "$work/apt-install.log" >&2; die "apt install of the package failed in $series"; }
pkgroot_run "$root" dpkg -L tcp-teardown | grep -qxF "$plugin" ||
    die "the package does not hold $plugin"
listed "$plugin" || die "tshark -G plugins does not list $plugin"
got=$(flagged)
[ "$got" = "$expected" ] || die "installed plugin flags frames '$got', the manifest '$expected'"
say "installed: tshark loads $plugin and flags frames $got"

phase "apt remove tcp-teardown"
pkgroot_run "$root" apt remove -y tcp-teardown >"$work/apt-remove.log" 2>&1 ||
    { cat "$work/apt-remove.log" >&2; die "apt remove failed in $series"; }
[ ! -e "$root$plugin" ] || die "$plugin is still there after apt remove"
! listed teardown.so || die "tshark -G plugins still lists teardown.so after apt remove"
if pkgroot_run_user "$root" tshark -n -r /tmp/q152474.pcap -Y teardown >/dev/null 2>&1; then
    die "tshark still knows the filter 'teardown' after apt remove"
fi
say "removed: the plugin is gone"

# The README's per-user install: no root, no package.
phase "per-user install"
rm -rf "$root/tmp/extract"
dpkg-deb -x "$deb" "$root/tmp/extract"
chmod -R a+rX "$root/tmp/extract"
personal=/tmp/home/.local/lib/wireshark/plugins/$ws_series/epan
pkgroot_run_user "$root" sh -c "mkdir -p $personal && cp /tmp/extract$plugin $personal/"
listed "$personal/teardown.so" || die "tshark -G plugins does not list $personal/teardown.so"
got=$(flagged)
[ "$got" = "$expected" ] || die "per-user plugin flags frames '$got', the manifest '$expected'"
say "per-user: tshark loads $personal/teardown.so and flags frames $got"

pkgroot_unmount_all
rm -rf --one-file-system "$work/build" "$work/install"
phase "done: $series, Wireshark $ws_version"
exit 0
}
