#!/usr/bin/env bash
# Downloads the Wireshark development headers of another Debian series and unpacks
# them, without touching the system's apt state or installing anything.
#
#   tests/compat/fetch-headers.sh SERIES DEST
#
# SERIES is a Debian suite (trixie: Wireshark 4.4, sid: the newest, 4.6 at the time of
# writing). The packages are unpacked under DEST/root, so the headers end up in
# DEST/root/usr/include/wireshark. apt's own state, cache and lists live under DEST/apt.
#
# The archive is the one the system already uses: the URI of the entry in
# /etc/apt/sources.list or /etc/apt/sources.list.d/ that carries this machine's own
# release (from /etc/os-release). TEARDOWN_DEBIAN_MIRROR=URI overrides it. The Release
# files are checked against the keys in /etc/apt/trusted.gpg.d and /usr/share/keyrings
# (debian-archive-keyring).
set -euo pipefail

PACKAGES=(libwireshark-dev libwiretap-dev libwsutil-dev)

die() {
    echo "fetch-headers: error: $*" >&2
    exit 1
}

[ $# -eq 2 ] || die "usage: $0 SERIES DEST   (SERIES: trixie, sid, ...)"
series=$1
dest=$2
case "$series" in
    ''|*[!a-z0-9-]*) die "'$series' is not a Debian suite name" ;;
esac
for tool in apt-get dpkg dpkg-deb awk; do
    command -v "$tool" >/dev/null || die "'$tool' is missing; this script needs a Debian system"
done

# --- The Debian archive this machine already uses. -------------------------------------
# shellcheck source-path=SCRIPTDIR source=suite-mirror.sh
. "$(dirname "$0")/suite-mirror.sh"
mirror=$(suite_debian_mirror) || die "no Debian archive to fetch from"

# --- A private apt configuration under DEST/apt. ---------------------------------------
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
aptdir=$dest/apt
rm -rf "$aptdir" "$dest/root" "$dest/debs"
mkdir -p "$aptdir/state/lists/partial" "$aptdir/cache/archives/partial" \
         "$aptdir/sources.list.d" "$aptdir/preferences.d" "$dest/debs" "$dest/root"
: >"$aptdir/state/status"
echo "deb $mirror $series main" >"$aptdir/sources.list"

keyparts=/etc/apt/trusted.gpg.d
if ! ls "$keyparts"/debian-archive-* >/dev/null 2>&1; then
    keyparts=/usr/share/keyrings
    ls "$keyparts"/debian-archive-* >/dev/null 2>&1 ||
        die "no Debian archive keys in /etc/apt/trusted.gpg.d or /usr/share/keyrings;
install the debian-archive-keyring package"
fi

apt_opts=(
    -o "Dir::State=$aptdir/state"
    -o "Dir::State::status=$aptdir/state/status"
    -o "Dir::Cache=$aptdir/cache"
    -o "Dir::Etc::SourceList=$aptdir/sources.list"
    -o "Dir::Etc::SourceParts=$aptdir/sources.list.d"
    -o "Dir::Etc::Preferences=$aptdir/preferences"
    -o "Dir::Etc::PreferencesParts=$aptdir/preferences.d"
    -o "Dir::Etc::Trusted=$aptdir/no-trusted.gpg"
    -o "Dir::Etc::TrustedParts=$keyparts"
    -o "APT::Architecture=amd64"
    -o "APT::Architectures=amd64"
    -o "Acquire::Languages=none"
    -o "Acquire::GzipIndexes=true"
    -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::CNF::DefaultEnabled=false"
    -o "Debug::NoLocking=true"
    # The private directories belong to whoever runs this; apt's _apt user may not
    # be able to write them.
    -o "APT::Sandbox::User=$(id -un)"
    -q
)

started=$(date +%s)
echo "fetch-headers: reading the $series package lists from $mirror"
if ! apt-get "${apt_opts[@]}" update; then
    die "apt-get update failed for '$mirror $series main' (is the suite name right, the
archive reachable, and its signing key in $keyparts?)"
fi

echo "fetch-headers: downloading ${PACKAGES[*]}"
if ! (cd "$dest/debs" && apt-get "${apt_opts[@]}" download "${PACKAGES[@]}"); then
    die "apt-get download failed for ${PACKAGES[*]} from $series"
fi

for deb in "$dest"/debs/*.deb; do
    [ -f "$deb" ] || die "nothing was downloaded into $dest/debs"
    dpkg -x "$deb" "$dest/root" || die "could not unpack $deb"
done

version_h=$dest/root/usr/include/wireshark/ws_version.h
[ -f "$version_h" ] || die "$version_h is missing after unpacking; did the packages change?"
ws_version=$(dpkg-deb -f "$dest"/debs/libwireshark-dev_*.deb Version)
echo "$ws_version" >"$dest/VERSION"

# The package lists are the bulk of the download; only the headers are needed later.
rm -rf "$aptdir/state/lists" "$aptdir/cache"
echo "fetch-headers: Wireshark $ws_version ($series) headers in $dest/root/usr/include/wireshark" \
     "($(du -sh "$dest" | cut -f1) on disk, $(($(date +%s) - started)) s)"
