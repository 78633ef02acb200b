/* sort.h — the report's sorts: rows ordered by a 192-bit key.
 *
 * The per-source report and the flood scan sort one row per source (millions
 * at telescope scale); qsort's comparisons cost ~1,200-2,700 instructions a
 * row there.  A byte-wise LSD radix sort that skips the bytes all rows share
 * makes a few linear passes instead.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_SORT_H
#define DDI_SORT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ddi_sort_row {
    uint64_t k[3];   /* the key: k[0] most significant, ascending */
    uint32_t idx;    /* what the row stands for (carried along) */
} ddi_sort_row;

/* Sort ascending by (k[0], k[1], k[2]); rows with equal keys keep their
 * order.  False when memory ran out (rows unchanged). */
bool ddi_sort_rows(ddi_sort_row *rows, uint32_t n);

/* A double as a key word that sorts as the number does (IEEE 754 bits, the
 * sign folded in). */
uint64_t ddi_sort_key_double(double v);

#endif
