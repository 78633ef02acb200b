/* sort.c — byte-wise LSD radix sort of 192-bit keys.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "sort.h"

#include <stdlib.h>
#include <string.h>

/* LSD radix sort on the key's bytes, skipping every byte all rows share
 * (most of them: IPv4 sources leave half the address zero, packet counts
 * have few significant bytes): a few linear passes.  Stable. */
bool ddi_sort_rows(ddi_sort_row *rows, uint32_t n)
{
    enum { DIGITS = 24 };
    if (n < 2)
        return true;
    uint32_t(*count)[256] = calloc(DIGITS, sizeof *count);
    ddi_sort_row *tmp = malloc((size_t)n * sizeof *tmp);
    if (!count || !tmp) {
        free(count);
        free(tmp);
        return false;
    }
    /* digit d: byte d % 8 (from the least significant) of k[2 - d / 8] */
    for (uint32_t i = 0; i < n; i++)
        for (int d = 0; d < DIGITS; d++)
            count[d][(rows[i].k[2 - d / 8] >> (8 * (d % 8))) & 255]++;
    ddi_sort_row *from = rows, *to = tmp;
    for (int d = 0; d < DIGITS; d++) {
        unsigned shift = 8 * (d % 8), w = 2 - d / 8;
        if (count[d][(rows[0].k[w] >> shift) & 255] == n)
            continue; /* every row has the same byte here */
        uint32_t pos[256], sum = 0;
        for (int b = 0; b < 256; b++) {
            pos[b] = sum;
            sum += count[d][b];
        }
        for (uint32_t i = 0; i < n; i++)
            to[pos[(from[i].k[w] >> shift) & 255]++] = from[i];
        ddi_sort_row *t = from;
        from = to;
        to = t;
    }
    if (from != rows)
        memcpy(rows, from, (size_t)n * sizeof *rows);
    free(count);
    free(tmp);
    return true;
}

uint64_t ddi_sort_key_double(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    /* negative numbers: all bits flipped (larger magnitude first); others: the sign bit set */
    return (b >> 63) ? ~b : b | (1ULL << 63);
}
