/* The differences between the Wireshark releases this plugin builds against, in one
 * place. Everything else is written against the common API.
 *
 * Checked against 4.0 (Debian 12), 4.4 (Debian 13) and 4.6 (Debian sid): see
 * tests/compat/compile-against.sh. The 4.2 boundaries below are where the changes
 * were made upstream; 4.2 itself is not compiled against. */
#ifndef TEARDOWN_WS_COMPAT_H
#define TEARDOWN_WS_COMPAT_H

#include <stdbool.h>

#include <ws_version.h>
#include <epan/proto.h>
#include <epan/ftypes/ftypes.h>

#define TEARDOWN_WS_AT_LEAST(major, minor)                                              \
    (WIRESHARK_VERSION_MAJOR > (major) ||                                               \
     (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

/* The variable behind a boolean preference: gboolean * until 4.0, bool * since 4.2
 * (prefs_register_bool_preference). */
#if TEARDOWN_WS_AT_LEAST(4, 2)
typedef bool teardown_pref_bool;
#else
typedef gboolean teardown_pref_bool;
#endif

/* An unsigned integer field's value. field_info.value is an fvalue_t until 4.0 and an
 * fvalue_t * since 4.2. */
static inline uint32_t teardown_field_uint(field_info *fi)
{
#if TEARDOWN_WS_AT_LEAST(4, 2)
    return fvalue_get_uinteger(fi->value);
#else
    return fvalue_get_uinteger(&fi->value);
#endif
}

#endif
