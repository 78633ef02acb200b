/* skips.c — skipped-frame counts and their text.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "skips.h"

#include <pcap/pcap.h>
#include <stdlib.h>

void ddi_skips_add(ddi_skips *s, int linktype, ddi_skip why, uint32_t detail)
{
    s->total++;
    for (unsigned i = 0; i < s->nrows; i++) {
        ddi_skip_row *r = &s->rows[i];
        if (r->linktype == linktype && r->why == why && r->detail == detail) {
            r->frames++;
            return;
        }
    }
    if (s->nrows == DDI_SKIP_ROWS) {
        s->overflow++;
        return;
    }
    s->rows[s->nrows++] = (ddi_skip_row){linktype, why, detail, 1};
}

const char *ddi_skip_detail_str(uint32_t detail, char *buf, size_t len)
{
    unsigned v = detail & 0xffffu;
    switch (detail >> 16) {
    case 1: snprintf(buf, len, "ethertype 0x%04x", v); break;
    case 2: snprintf(buf, len, "PPP protocol 0x%04x", v); break;
    case 3:
        if (v & 0x100)
            snprintf(buf, len, "IP version %u", v & 0xff);
        else
            snprintf(buf, len, "address family %u", v);
        break;
    case 4: snprintf(buf, len, "cooked-capture type 0x%04x", v); break;
    default: snprintf(buf, len, "%s", ""); break;
    }
    return buf;
}

static int by_frames(const void *a, const void *b)
{
    const ddi_skip_row *x = a, *y = b;
    if (x->frames != y->frames)
        return x->frames > y->frames ? -1 : 1;
    if (x->linktype != y->linktype)
        return x->linktype < y->linktype ? -1 : 1;
    if (x->why != y->why)
        return x->why < y->why ? -1 : 1;
    return x->detail < y->detail ? -1 : x->detail > y->detail;
}

void ddi_skips_print(const ddi_skips *s, FILE *f)
{
    ddi_skip_row rows[DDI_SKIP_ROWS];
    for (unsigned i = 0; i < s->nrows; i++)
        rows[i] = s->rows[i];
    qsort(rows, s->nrows, sizeof rows[0], by_frames);
    for (unsigned i = 0; i < s->nrows; i++) {
        char d[48];
        const char *name = pcap_datalink_val_to_name(rows[i].linktype);
        ddi_skip_detail_str(rows[i].detail, d, sizeof d);
        fprintf(f, "ddi-read: skipped %llu frames: link type %d (%s): %s%s%s%s\n", (unsigned long long)rows[i].frames,
                rows[i].linktype, name ? name : "unknown", ddi_skip_name(rows[i].why), d[0] ? " (" : "", d,
                d[0] ? ")" : "");
    }
    if (s->overflow)
        fprintf(f, "ddi-read: skipped %llu more frames for other reasons\n", (unsigned long long)s->overflow);
}
