/* The differences between the Wireshark releases this plugin builds against, in one
 * place. Everything else is written against the common API.
 *
 * Checked against 4.0 (Debian 12), 4.4 (Debian 13) and 4.6 (Debian sid): see
 * tests/compat/compile-against.sh and tests/compat/run-suite.sh. Today the only
 * difference is in the plugin's entry points (plugin.c). */
#ifndef TEARDOWN_WS_COMPAT_H
#define TEARDOWN_WS_COMPAT_H

#include <ws_version.h>

#define TEARDOWN_WS_AT_LEAST(major, minor)                                              \
    (WIRESHARK_VERSION_MAJOR > (major) ||                                               \
     (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))


#endif
