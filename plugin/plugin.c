/* plugin.c — the symbols Wireshark's plugin loader looks for.
 * Hand-written (the generated one needs Wireshark's source tree).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <gmodule.h>

#include <epan/proto.h>
#include <ws_symbol_export.h>

#include "compat.h"
#include "packet-ddi.h"
#include "stats-ddi.h"

#ifndef DDI_VERSION
#define DDI_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = DDI_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
#ifdef DDI_HAVE_PLUGIN_DESCRIBE
WS_DLL_PUBLIC uint32_t plugin_describe(void);
uint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER; }
#endif

/* The dissector and the statistics meet only through the "ddi" tap. */
static void handoff(void)
{
    proto_reg_handoff_ddi();
    ddi_stats_register();
}

void plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = proto_register_ddi;
    plug.register_handoff = handoff;
    proto_register_plugin(&plug);
}
