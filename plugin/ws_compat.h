/* The differences between the Wireshark releases this plugin builds against, in one
 * place. Everything else is written against the common API. */
#ifndef TEARDOWN_WS_COMPAT_H
#define TEARDOWN_WS_COMPAT_H

#include <ws_version.h>
#include <epan/proto.h>
#include <epan/ftypes/ftypes.h>

#define TEARDOWN_WS_AT_LEAST(major, minor)                                              \
    (WIRESHARK_VERSION_MAJOR > (major) ||                                               \
     (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

static inline guint32 teardown_field_uint(field_info *fi)
{
    return fvalue_get_uinteger(&fi->value);
}

#endif
