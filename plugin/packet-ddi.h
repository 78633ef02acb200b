/* packet-ddi.h — the dissector's registration entry points (plugin.c calls them).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PACKET_DDI_H
#define PACKET_DDI_H

#include <epan/packet.h>

#include "core/analyze.h"

void proto_register_ddi(void);
void proto_reg_handoff_ddi(void);

#endif
