/* test_sort.c — the report's row sort (core/sort.c) against qsort: keys
 * like the report's (packet counts, IPv4 and IPv6 addresses), keys equal in
 * whole or in part, every size from empty up; equal keys keep their order.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sort.h"

static int by_key_then_idx(const void *x, const void *y)
{
    const ddi_sort_row *a = x, *b = y;
    for (int w = 0; w < 3; w++)
        if (a->k[w] != b->k[w])
            return a->k[w] < b->k[w] ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static ddi_sort_row random_row(GRand *r, uint32_t idx, int style)
{
    ddi_sort_row row = {{0, 0, 0}, idx};
    uint32_t pkts = g_rand_boolean(r) ? (uint32_t)g_rand_int_range(r, 1, 20) : g_rand_int(r);
    bool v6 = style == 1 || (style == 2 && g_rand_int_range(r, 0, 10) == 0);
    row.k[0] = (uint64_t)(UINT32_MAX - pkts) << 8 | (v6 ? 6 : 4);
    row.k[1] = (uint64_t)(g_rand_int_range(r, 0, 4) ? g_rand_int(r) : 0xc0000201u) << 32; /* repeats too */
    if (v6) {
        row.k[1] |= g_rand_int(r);
        row.k[2] = (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
    }
    if (style == 3) /* any 192 bits */
        for (int w = 0; w < 3; w++)
            row.k[w] = (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
    return row;
}

static void test_against_qsort(void)
{
    GRand *r = g_rand_new_with_seed(192);
    const uint32_t sizes[] = {0, 1, 2, 3, 17, 256, 1000, 4099, 50000};
    for (size_t si = 0; si < G_N_ELEMENTS(sizes); si++)
        for (int style = 0; style < 4; style++) {
            uint32_t n = sizes[si];
            ddi_sort_row *rows = g_new0(ddi_sort_row, n + 1), *want = g_new0(ddi_sort_row, n + 1);
            for (uint32_t i = 0; i < n; i++)
                rows[i] = random_row(r, i, style);
            if (n > 3) /* whole keys repeated, and keys that differ in their last word only */
                for (uint32_t i = 0; i < n / 4; i++) {
                    ddi_sort_row *x = &rows[g_rand_int_range(r, 0, (gint32)n)];
                    memcpy(x->k, rows[i % 2].k, sizeof x->k);
                    if (i % 3 == 0)
                        x->k[2] ^= 1u << (i % 7);
                }
            for (uint32_t i = 0; i < n; i++)
                rows[i].idx = i; /* the input order, which equal keys keep */
            memcpy(want, rows, n * sizeof *rows);
            qsort(want, n, sizeof *want, by_key_then_idx);
            g_assert_true(ddi_sort_rows(rows, n));
            for (uint32_t i = 0; i < n; i++) {
                g_assert_cmpmem(rows[i].k, sizeof rows[i].k, want[i].k, sizeof want[i].k);
                g_assert_cmpuint(rows[i].idx, ==, want[i].idx);
            }
            g_free(rows);
            g_free(want);
        }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sort/against_qsort", test_against_qsort);
    return g_test_run();
}
