# Sourced, not run: finds the Debian archive this machine already uses.
#
#   . tests/compat/suite-mirror.sh
#   mirror=$(suite_debian_mirror) || exit 1
#
# Shared by fetch-headers.sh and run-suite.sh: TEARDOWN_DEBIAN_MIRROR=URI if set; otherwise
# the URI of the entry in /etc/apt/sources.list or /etc/apt/sources.list.d/ (one-line
# *.list or deb822 *.sources) that carries this machine's own release (from
# /etc/os-release); otherwise any archive whose path ends in /debian. Prints the URI
# without a trailing slash, or an explanation on standard error and returns 1.
# shellcheck shell=bash

# Prints "URI SUITE..." for each enabled 'deb' entry of the system's sources.
suite_list_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI suite components...
        awk '$1 == "deb" {
                 i = 2
                 if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                 if (i + 1 <= NF) print $i, $(i + 1)
             }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # deb822 stanzas, separated by blank lines.
        awk 'function flush() {
                 if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false)$/ && uris != "")
                     { n = split(uris, u, " "); for (k = 1; k <= n; k++) print u[k], suites }
                 types = ""; uris = ""; suites = ""; enabled = ""
             }
             /^[ \t]*#/ { next }
             /^[ \t]*$/ { flush(); next }
             { key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val) }
             key == "types" { types = val }
             key == "uris" { uris = val }
             key == "suites" { suites = val }
             key == "enabled" { enabled = tolower(val) }
             END { flush() }' "$f"
    done
}

suite_debian_mirror() {
    local mirror=${TEARDOWN_DEBIAN_MIRROR:-} host_codename sources
    if [ -z "$mirror" ]; then
        # shellcheck disable=SC1091 # the host's own file
        host_codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") || true
        sources=$(suite_list_sources)
        # The entry that carries this machine's release itself (not -security, -updates).
        if [ -n "$host_codename" ]; then
            mirror=$(awk -v c="$host_codename" \
                         '{ for (i = 2; i <= NF; i++) if ($i == c) { print $1; exit } }' \
                         <<<"$sources")
        fi
        # Otherwise any archive whose path ends in /debian.
        if [ -z "$mirror" ]; then
            mirror=$(awk '$1 ~ /\/debian\/?$/ { print $1; exit }' <<<"$sources")
        fi
    fi
    if [ -z "$mirror" ]; then
        echo "found no Debian archive in /etc/apt/sources.list or /etc/apt/sources.list.d/" \
             "(looked for an entry of suite '${host_codename:-?}', or a URI ending in" \
             "/debian); set TEARDOWN_DEBIAN_MIRROR=URI to name one" >&2
        return 1
    fi
    echo "${mirror%/}"
}
