/* skips.h — count frames the reader could not analyse, by link type, reason
 * and protocol met, in a fixed table (no allocation per frame).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_READ_SKIPS_H
#define DDI_READ_SKIPS_H

#include <stdint.h>
#include <stdio.h>

#include "decap.h"

#define DDI_SKIP_ROWS 64 /* distinct (link type, reason, detail); more go to one overflow row */

typedef struct ddi_skip_row {
    int linktype;
    ddi_skip why;
    uint32_t detail;
    uint64_t frames;
} ddi_skip_row;

typedef struct ddi_skips {
    ddi_skip_row rows[DDI_SKIP_ROWS];
    unsigned nrows;
    uint64_t overflow, total;
} ddi_skips;

void ddi_skips_add(ddi_skips *s, int linktype, ddi_skip why, uint32_t detail);
/* "ethertype 0x0806", "PPP protocol 0xc021", ... ("" when there is no detail) */
const char *ddi_skip_detail_str(uint32_t detail, char *buf, size_t len);
/* One line per row, most frames first: "skipped <n> frames: <linktype>: <reason>[ (<detail>)]". */
void ddi_skips_print(const ddi_skips *s, FILE *f);

#endif
