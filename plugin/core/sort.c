/* sort.c — byte-wise LSD radix sort of 192-bit keys.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "sort.h"

#include <stdlib.h>
#include <string.h>

enum { DIGITS = 24 };

/* digit d: byte d % 8 (from the least significant) of k[2 - d / 8] */
static inline unsigned digit_of(const ddi_sort_row *r, int d) { return (r->k[2 - d / 8] >> (8 * (d % 8))) & 255; }

/* LSD radix sort of a[0..n) on the key's bytes, with b[0..n) as scratch,
 * only on the bytes where the rows differ (found first by OR and AND over
 * all keys: IPv4 sources leave half the address zero, packet counts have
 * few significant bytes).  Stable.  Returns where the sorted rows are. */
static ddi_sort_row *radix(ddi_sort_row *a, ddi_sort_row *b, uint32_t n, uint32_t (*count)[256])
{
    if (n < 2)
        return a;
    uint64_t any[3] = {0, 0, 0}, all[3] = {~0ULL, ~0ULL, ~0ULL};
    for (uint32_t i = 0; i < n; i++)
        for (int w = 0; w < 3; w++) {
            any[w] |= a[i].k[w];
            all[w] &= a[i].k[w];
        }
    int digit[DIGITS], nd = 0;
    for (int d = 0; d < DIGITS; d++) {
        int w = 2 - d / 8;
        if (((any[w] ^ all[w]) >> (8 * (d % 8))) & 255)
            digit[nd++] = d;
    }
    memset(count, 0, (size_t)nd * sizeof *count);
    for (uint32_t i = 0; i < n; i++)
        for (int j = 0; j < nd; j++)
            count[j][digit_of(&a[i], digit[j])]++;
    ddi_sort_row *from = a, *to = b;
    for (int j = 0; j < nd; j++) {
        uint32_t pos[256], sum = 0;
        for (int v = 0; v < 256; v++) {
            pos[v] = sum;
            sum += count[j][v];
        }
        for (uint32_t i = 0; i < n; i++)
            to[pos[digit_of(&from[i], digit[j])]++] = from[i];
        ddi_sort_row *t = from;
        from = to;
        to = t;
    }
    return from;
}

static int key_cmp(const ddi_sort_row *x, const ddi_sort_row *y)
{
    for (int w = 0; w < 3; w++)
        if (x->k[w] != y->k[w])
            return x->k[w] < y->k[w] ? -1 : 1;
    return 0;
}

/* The rows whose key ends in 96 zero bits (the report's IPv4 sources) and
 * the others (IPv6) are sorted apart, each on the bytes where its own rows
 * differ (an IPv4 row then costs 7 passes, not 19), and merged.  Equal keys
 * fall in the same part, so the whole stays stable. */
static bool short_key(const ddi_sort_row *r) { return !r->k[2] && !(r->k[1] & 0xffffffffu); }

bool ddi_sort_rows(ddi_sort_row *rows, uint32_t n)
{
    if (n < 2)
        return true;
    uint32_t(*count)[256] = malloc(DIGITS * sizeof *count);
    ddi_sort_row *tmp = malloc((size_t)n * sizeof *tmp);
    if (!count || !tmp) {
        free(count);
        free(tmp);
        return false;
    }
    uint32_t na = 0;
    for (uint32_t i = 0; i < n; i++)
        na += short_key(&rows[i]);
    for (uint32_t i = 0, ia = 0, ib = na; i < n; i++) /* a stable partition into tmp */
        tmp[short_key(&rows[i]) ? ia++ : ib++] = rows[i];
    const ddi_sort_row *a = radix(tmp, rows, na, count);
    const ddi_sort_row *b = radix(tmp + na, rows + na, n - na, count);
    /* each sorted part is in tmp or in rows (same offsets): merge into the
     * other array, then into rows */
    ddi_sort_row *out = malloc((size_t)n * sizeof *out);
    if (!out) {
        free(count);
        free(tmp);
        return false;
    }
    uint32_t i = 0, j = 0, o = 0, nb = n - na;
    while (i < na && j < nb)
        out[o++] = key_cmp(&b[j], &a[i]) < 0 ? b[j++] : a[i++];
    while (i < na)
        out[o++] = a[i++];
    while (j < nb)
        out[o++] = b[j++];
    memcpy(rows, out, (size_t)n * sizeof *rows);
    free(out);
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
