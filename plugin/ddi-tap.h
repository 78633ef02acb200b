/* ddi-tap.h — what the post-dissector queues on the "ddi" tap, and the only
 * thing the statistics module (stats-ddi.c) knows about the dissector.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_TAP_H
#define DDI_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/analyze.h"
#include "core/summary.h"

/* Valid during the tap callback; `st` and `dbs` live until the next file
 * is opened (the report keeps them for its draw). */
typedef struct ddi_tap_info {
    uint32_t frame;
    uint32_t src;              /* source index + 1; 0 = not analysed (source table full) */
    const ddi_verdict *v;      /* NULL when not analysed */
    const ddi_state *st;       /* the whole capture as seen so far */
    const ddi_db_info *dbs;    /* signature databases, for the report header */
    int ndbs;
    const char *state_in;      /* the state file this capture started from (NULL = none) */
    const char *state_error;   /* why it was refused (NULL = carried) */
    uint32_t carried;          /* sources 1..carried came from it: listed even without packets here */
} ddi_tap_info;

#endif
