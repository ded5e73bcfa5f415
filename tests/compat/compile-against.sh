#!/usr/bin/env bash
# Compiles the plugin's sources against the Wireshark headers of another Debian series,
# to check that they still build there. Nothing is linked or run.
#
#   tests/compat/compile-against.sh SERIES [DEST]
#
# SERIES: trixie (Wireshark 4.4), sid (4.6), ... DEST holds the headers that
# fetch-headers.sh unpacked; it defaults to build/compat/SERIES in the source tree and
# is fetched first when it has no headers yet (set TEARDOWN_COMPAT_REFETCH=1 to fetch
# again). Needs gcc and the GLib headers of the host (libglib2.0-dev, pkg-config).
set -euo pipefail

die() {
    echo "compile-against: error: $*" >&2
    exit 1
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    die "usage: $0 SERIES [DEST]   (SERIES: trixie, sid, ...)"
fi
series=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dest=${2:-$top/build/compat/$series}
cc=${CC:-gcc}

command -v "$cc" >/dev/null || die "'$cc' is missing (install gcc)"
command -v pkg-config >/dev/null || die "pkg-config is missing (install pkg-config)"
glib_cflags=$(pkg-config --cflags glib-2.0) ||
    die "pkg-config knows no glib-2.0 (install libglib2.0-dev)"

ws_include=$dest/root/usr/include/wireshark
if [ ! -f "$ws_include/ws_version.h" ] || [ -n "${TEARDOWN_COMPAT_REFETCH:-}" ]; then
    "$here/fetch-headers.sh" "$series" "$dest" ||
        die "could not fetch the $series headers into $dest"
fi

# What plugin/CMakeLists.txt and the top CMakeLists.txt give the plugin's sources:
# TEARDOWN_VERSION from project(VERSION), C11 with GNU extensions, -fPIC, hidden
# visibility, -Wall -Wextra; the Wireshark and GLib headers are system headers there
# too (an imported target's include directories).
version=$(sed -n 's/^project([^)]*VERSION[[:space:]]\+\([0-9.]\+\).*/\1/p' "$top/CMakeLists.txt")
[ -n "$version" ] || die "could not read the project version from $top/CMakeLists.txt"

flags=(
    -std=gnu11 -fPIC -fvisibility=hidden
    -Wall -Wextra -Werror
    "-DTEARDOWN_VERSION=\"$version\""
    -I "$top/plugin" -I "$top/plugin/core"
    -isystem "$ws_include"
)
# shellcheck disable=SC2206 # pkg-config's output is a list of words
flags+=(${glib_cflags//-I/-isystem })

ws_version=$(awk '/define VERSION_MAJOR|define WIRESHARK_VERSION_MAJOR/ { ma = $3 }
                  /define VERSION_MINOR|define WIRESHARK_VERSION_MINOR/ { mi = $3 }
                  /define VERSION_MICRO|define WIRESHARK_VERSION_MICRO/ { mc = $3 }
                  END { print ma "." mi "." mc }' "$ws_include/ws_version.h")
echo "compile-against: Wireshark $ws_version headers ($series) from $ws_include"

objdir=$(mktemp -d)
trap 'rm -rf "$objdir"' EXIT
failed=()
for src in "$top"/plugin/*.c; do
    name=$(basename "$src")
    if "$cc" "${flags[@]}" -c "$src" -o "$objdir/${name%.c}.o"; then
        echo "compile-against:   ok    plugin/$name"
    else
        echo "compile-against:   FAIL  plugin/$name" >&2
        failed+=("plugin/$name")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    die "${#failed[@]} file(s) do not compile against Wireshark $ws_version ($series): ${failed[*]}"
fi
echo "compile-against: all plugin sources compile against Wireshark $ws_version ($series)"
