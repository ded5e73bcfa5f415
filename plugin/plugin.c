/* Entry points Wireshark's plugin loader looks for: plugin_version, plugin_want_major,
 * plugin_want_minor and plugin_register in every release; since 4.2 also
 * plugin_describe, which says what kind of plugin this is (tshark -G plugins). */
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tap.h>
#include <ws_symbol_export.h>

#include "teardown_tap.h"
#include "ws_compat.h"

#if TEARDOWN_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
#endif

void proto_register_teardown(void);
void proto_reg_handoff_teardown(void);

WS_DLL_PUBLIC_DEF const char plugin_version[] = TEARDOWN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
    static proto_plugin dissector = {
        .register_protoinfo = proto_register_teardown,
        .register_handoff = proto_reg_handoff_teardown,
    };
    static tap_plugin statistics = {
        .register_tap_listener = teardown_stats_register,
    };
    proto_register_plugin(&dissector);
    tap_register_plugin(&statistics);
}

#if TEARDOWN_WS_AT_LEAST(4, 2)
WS_DLL_PUBLIC uint32_t plugin_describe(void);

uint32_t plugin_describe(void)
{
    return WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER;
}
#endif
