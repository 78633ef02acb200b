/* test_bigmem.c — large tables from the system, small ones from malloc
 * (plugin/core/bigmem.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bigmem.h"

static void check_zero_and_writable(size_t n)
{
    unsigned char *p = ddi_big_alloc0(n);
    g_assert_nonnull(p);
    g_assert_cmpuint((uintptr_t)p % 16, ==, 0);
    for (size_t i = 0; i < n; i += 997)
        g_assert_cmpuint(p[i], ==, 0);
    g_assert_cmpuint(p[n - 1], ==, 0);
    memset(p, 0xa5, n);
    ddi_big_free(p, n);
}

static void test_sizes(void)
{
    check_zero_and_writable(1);
    check_zero_and_writable(4096);
    check_zero_and_writable(DDI_BIG_MIN - 1);
    check_zero_and_writable(DDI_BIG_MIN);
    check_zero_and_writable(3 * DDI_BIG_MIN + 5);
    void *p = ddi_big_try_alloc0(1000);
    g_assert_nonnull(p);
    ddi_big_free(p, 1000);
    ddi_big_free(NULL, 1000);
    ddi_big_free(NULL, DDI_BIG_MIN);
    g_assert_null(ddi_big_try_alloc0(G_MAXSIZE - 8));
}

#ifdef __linux__
static long resident_kb(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    g_assert_nonnull(f);
    g_assert_cmpint(fscanf(f, "%ld %ld", &pages, &res), ==, 2);
    fclose(f);
    return res * 4; /* 4 KB pages on the machines this runs on */
}

/* The point of the module: a freed table leaves no resident hole, even where
 * malloc would keep it (inside tshark, after glibc's mmap threshold has
 * grown past the table's size).  Freeing a 16 MB malloc'd block makes glibc
 * raise that threshold; a small allocation after the table keeps it from
 * being the top of the heap, which glibc would give back anyway. */
static void test_freed_table_leaves_no_hole(void)
{
    g_free(g_malloc(16u << 20));
    const size_t n = 4u << 20;
    unsigned char *t = ddi_big_alloc0(n);
    void *above = g_malloc(64);
    memset(t, 1, n);
    long with = resident_kb();
    ddi_big_free(t, n);
    long without = resident_kb();
    g_assert_cmpint(with - without, >=, (long)(n / 1024) * 9 / 10);
    g_free(above);
}
#endif

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bigmem/sizes", test_sizes);
#ifdef __linux__
    g_test_add_func("/bigmem/freed_table_leaves_no_hole", test_freed_table_leaves_no_hole);
#endif
    return g_test_run();
}
