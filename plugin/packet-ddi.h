/* packet-ddi.h — what the glue offers the statistics module.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PACKET_DDI_H
#define PACKET_DDI_H

#include <epan/packet.h>

#include "core/analyze.h"

void proto_register_ddi(void);
void proto_reg_handoff_ddi(void);

/* Queued on the "ddi" tap for every analysed packet; valid during the tap
 * callback only. */
typedef struct ddi_tap_info {
    uint32_t frame;
    uint32_t conn; /* connection index + 1 (0 = none), for whole-capture verdicts */
    const ddi_verdict *v;
} ddi_tap_info;

const ddi_state *ddi_glue_state(void);
/* Latest packet time used for whole-capture verdicts (the ddi.capture_end
 * preference, or the latest packet seen). */
double ddi_glue_horizon(void);

/* stats-ddi.c */
void ddi_stats_register(void);

#endif
