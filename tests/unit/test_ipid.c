/* test_ipid.c — IP-ID gaps, rates and classes (plugin/core/ipid.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "ipid.h"

/* step literals leave df out when it is false */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct step {
    uint16_t id;
    double dt;
    bool plus1; /* same-connection retransmission whose previous copy had id-1 */
    bool df;
} step;

static ddi_ipid_class feed(ddi_ipid_acc *a, const step *s, size_t n)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < n; i++)
        ddi_ipid_add(a, s[i].id, s[i].df, s[i].dt, s[i].plus1);
    return ddi_ipid_classify(a);
}
#define FEED(a, ...) feed((a), (const step[]){__VA_ARGS__}, sizeof((const step[]){__VA_ARGS__}) / sizeof(step))

/* Feed plain IDs one second apart. */
static ddi_ipid_class ids(const uint16_t *v, size_t n)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < n; i++)
        ddi_ipid_add(&a, v[i], false, i ? 1.0 : 0, false);
    return ddi_ipid_classify(&a);
}
#define IDS(...) ids((const uint16_t[]){__VA_ARGS__}, sizeof((const uint16_t[]){__VA_ARGS__}) / sizeof(uint16_t))

/* A Linux host whose second connection happens to start less than 20000
 * above the first: still one counter per connection, never a global counter
 * with a rate made up from the jump. */
static void test_per_destination_small_jump(void)
{
    ddi_ipid_acc a;
    g_assert_cmpint(FEED(&a, {.id = 4000}, {.id = 4001, .dt = 1.0, .plus1 = true}, {.id = 9500, .dt = 0.5},
                         {.id = 9501, .dt = 1.0, .plus1 = true}),
                    ==, DDI_IPID_PER_DEST);
    double r;
    g_assert_false(ddi_ipid_rate(ddi_ipid_classify(&a), 4001, 9500, 0.5, &r, NULL));
    /* a busy Windows host: retransmissions advance by more than 1, no per-connection class */
    g_assert_cmpint(FEED(&a, {.id = 4000}, {.id = 4069, .dt = 3.0, .plus1 = false}, {.id = 5200, .dt = 20.0},
                         {.id = 5600, .dt = 8.0}),
                    ==, DDI_IPID_GLOBAL);
}

static void test_gap(void)
{
    g_assert_cmpuint(ddi_ipid_gap(65530, 3), ==, 9);
    g_assert_cmpuint(ddi_ipid_gap(65535, 0), ==, 1);
    g_assert_cmpuint(ddi_ipid_gap(5, 5), ==, 0);
    g_assert_cmpuint(ddi_ipid_gap(32569, 32638), ==, 69);
    g_assert_cmpuint(ddi_ipid_gap(3, 65530), ==, 65527); /* backwards = almost a full turn */
    g_assert_cmpuint(ddi_bswap16(0x1234), ==, 0x3412);
    g_assert_cmpuint(ddi_bswap16(0x0100), ==, 0x0001);
}

static void test_unknown_until_two(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_UNKNOWN);
    ddi_ipid_add(&a, 1234, true, 0, false);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_UNKNOWN);
    g_assert_cmpuint(a.last, ==, 1234);
    g_assert_cmpuint(a.ndiffs, ==, 0);
    ddi_ipid_add(&a, 1236, true, 1.0, false);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    g_assert_cmpuint(a.ndiffs, ==, 1);
}

static void test_global(void)
{
    g_assert_cmpint(IDS(100, 105, 111, 120, 121), ==, DDI_IPID_GLOBAL);
    /* the seed: +69 in 2.97 s */
    ddi_ipid_acc a;
    g_assert_cmpint(FEED(&a, {32569, 0, false}, {32638, 2.968866, false}), ==, DDI_IPID_GLOBAL);
    /* across the wrap */
    g_assert_cmpint(IDS(65500, 65530, 3, 40), ==, DDI_IPID_GLOBAL);
    /* a step of exactly 1000 is still small */
    g_assert_cmpint(IDS(1, 1001), ==, DDI_IPID_GLOBAL);
}

static void test_byteswapped(void)
{
    /* host counter 1, 2, 4, 7 written little-endian */
    g_assert_cmpint(IDS(0x0100, 0x0200, 0x0400, 0x0700), ==, DDI_IPID_BYTESWAPPED);
    /* 5120 = 20 x 256 is the largest byte-swapped step nmap accepts */
    g_assert_cmpint(IDS(0x0100, 0x1500), ==, DDI_IPID_BYTESWAPPED);
    /* one step that is not a multiple of 256 ends it */
    g_assert_cmpint(IDS(0x0100, 0x0200, 0x0201), ==, DDI_IPID_GLOBAL);
    /* a multiple of 256 above 5120 is not a byte-swapped step: 5376 is large,
     * one large step alone is "not yet known" */
    g_assert_cmpint(IDS(0x0100, 0x1600), ==, DDI_IPID_UNKNOWN);
}

static void test_per_destination(void)
{
    ddi_ipid_acc a;
    /* Linux: each connection starts at a random ID, its retransmissions are +1 */
    g_assert_cmpint(FEED(&a, {40000, 0, false}, {40001, 1, true}, {40002, 2, true}, {1234, 0.5, false},
                         {1235, 1, true}, {60000, 0.1, false}),
                    ==, DDI_IPID_PER_DEST);
    /* only +1 retransmissions (one connection) */
    g_assert_cmpint(FEED(&a, {777, 0, false}, {778, 1, true}, {779, 2, true}, {780, 4, true}), ==,
                    DDI_IPID_PER_DEST);
    /* wrap inside the connection */
    g_assert_cmpint(FEED(&a, {65535, 0, false}, {0, 1, true}), ==, DDI_IPID_PER_DEST);
    /* the same big jumps without +1 retransmissions are random */
    g_assert_cmpint(FEED(&a, {40000, 0, false}, {40001, 1, false}, {40002, 2, false}, {1234, 0.5, false},
                         {1235, 1, false}, {60000, 0.1, false}),
                    ==, DDI_IPID_RANDOM);
    /* a "retransmission" that did not advance by exactly one is just a step */
    g_assert_cmpint(FEED(&a, {777, 0, false}, {779, 1, true}), ==, DDI_IPID_GLOBAL);
}

static void test_random_zero_constant(void)
{
    g_assert_cmpint(IDS(5000, 47000, 12000, 60000), ==, DDI_IPID_RANDOM);
    /* a repeat mixed with steps: no counter repeats between packets */
    g_assert_cmpint(IDS(10, 10, 20), ==, DDI_IPID_RANDOM);
    g_assert_cmpint(IDS(0, 0, 0), ==, DDI_IPID_ZERO);
    g_assert_cmpint(IDS(0, 0), ==, DDI_IPID_ZERO);
    g_assert_cmpint(IDS(54321, 54321, 54321), ==, DDI_IPID_CONSTANT);
    g_assert_cmpint(IDS(7, 7), ==, DDI_IPID_CONSTANT);

    /* many random IDs (fixed seed): random */
    GRand *r = g_rand_new_with_seed(99);
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    for (int i = 0; i < 200; i++)
        ddi_ipid_add(&a, (uint16_t)g_rand_int(r), false, 0.5, false);
    g_rand_free(r);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_RANDOM);
}

static void test_large_steps(void)
{
    ddi_ipid_acc a;
    /* one large step: a busy counter or a random draw, not yet known */
    g_assert_cmpint(FEED(&a, {100, 0, false}, {5100, 1, false}), ==, DDI_IPID_UNKNOWN);
    g_assert_cmpstr(ddi_ipid_class_name(ddi_ipid_classify(&a)), ==, "not yet known");
    g_assert_cmpint(FEED(&a, {100, 0, false}, {5100, 1, false}, {10100, 1, false}), ==, DDI_IPID_UNKNOWN);
    /* three large steps at ~5000/s: a busy global counter */
    g_assert_cmpint(FEED(&a, {100, 0, false}, {5100, 1, false}, {10100, 1, false}, {15600, 1.1, false}), ==,
                    DDI_IPID_GLOBAL);
    g_assert_cmpfloat(a.min_rate, ==, 5000.0f);
    g_assert_cmpfloat(a.max_rate, ==, 5000.0f);
    /* rates within 4x of each other still agree */
    g_assert_cmpint(FEED(&a, {100, 0, false}, {2100, 1, false}, {10100, 1, false}, {12100, 1, false}), ==,
                    DDI_IPID_GLOBAL);
    /* rates 110/s, 37600/s, 1500/s: not one counter */
    g_assert_cmpint(FEED(&a, {100, 0, false}, {1200, 10, false}, {20000, 0.5, false}, {21500, 1, false}), ==,
                    DDI_IPID_RANDOM);
    /* small steps in between do not count as rates */
    g_assert_cmpint(FEED(&a, {100, 0, false}, {5100, 1, false}, {5105, 0.001, false}, {10105, 1, false},
                         {15105, 1, false}),
                    ==, DDI_IPID_GLOBAL);
    /* dt 0 on a large step: an "infinite" rate, which disagrees with finite ones */
    g_assert_cmpint(FEED(&a, {100, 0, false}, {5100, 1, false}, {10100, 0, false}, {15100, 1, false}), ==,
                    DDI_IPID_RANDOM);
}

static void test_ndiffs_saturate(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    for (uint32_t i = 0; i < 70000; i++)
        ddi_ipid_add(&a, (uint16_t)(i * 3), false, 0.01, false);
    g_assert_cmpuint(a.ndiffs, ==, UINT16_MAX);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
}

/* RFC 6864: the ID of a DF packet may be anything; 0 there is counted apart */
static void test_atomic_zero(void)
{
    g_assert_true(ddi_ipid_atomic_zero(true, 0));
    g_assert_false(ddi_ipid_atomic_zero(false, 0));
    g_assert_false(ddi_ipid_atomic_zero(true, 1));

    ddi_ipid_acc a;
    /* macOS / iOS / FreeBSD: every DF packet carries 0 */
    g_assert_cmpint(FEED(&a, {0, 0, false, true}), ==, DDI_IPID_UNKNOWN);
    g_assert_cmpint(FEED(&a, {0, 0, false, true}, {0, 1, false, true}), ==, DDI_IPID_ZERO);
    g_assert_cmpuint(a.seen, ==, 0); /* never entered the sequence */
    g_assert_cmpuint(a.df_zero, ==, 2);
    /* an iPhone: TCP all zero with DF, a couple of non-DF UDP packets with random IDs */
    g_assert_cmpint(FEED(&a, {0, 0, false, true}, {0, 1, false, true}, {0, 1, false, true}, {0, 1, false, true},
                         {31000, 1, false, false}, {0, 1, false, true}, {7000, 1, false, false}),
                    ==, DDI_IPID_ZERO);
    /* a DF packet with a non-zero ID: this host does set IDs */
    g_assert_cmpint(FEED(&a, {0, 0, false, true}, {0, 1, false, true}, {0, 1, false, true}, {500, 1, false, true},
                         {501, 1, false, true}),
                    ==, DDI_IPID_GLOBAL);
    /* zero-ID DF packets do not break a counter sequence */
    g_assert_cmpint(FEED(&a, {100, 0, false, true}, {0, 1, false, true}, {105, 1, false, true},
                         {0, 1, false, true}, {110, 1, false, true}),
                    ==, DDI_IPID_GLOBAL);
    g_assert_cmpuint(a.last, ==, 110);
    g_assert_cmpuint(a.ndiffs, ==, 2);
    /* a crafting host: random IDs and a few zero-ID kernel RSTs (hping3) */
    GRand *r = g_rand_new_with_seed(3);
    memset(&a, 0, sizeof a);
    for (int i = 0; i < 1000; i++) {
        ddi_ipid_add(&a, (uint16_t)g_rand_int_range(r, 1, 65536), false, 0.1, false);
        if (i % 300 == 0)
            ddi_ipid_add(&a, 0, true, 0.1, false);
    }
    g_rand_free(r);
    g_assert_cmpuint(a.df_zero, ==, 4);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_RANDOM);
    /* the count saturates */
    memset(&a, 0, sizeof a);
    for (int i = 0; i < 300; i++)
        ddi_ipid_add(&a, 0, true, 0.1, false);
    g_assert_cmpuint(a.df_zero, ==, UINT8_MAX);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_ZERO);
    /* zero WITHOUT DF is a real ID value and stays in the sequence */
    g_assert_cmpint(FEED(&a, {0, 0, false, false}, {0, 1, false, false}), ==, DDI_IPID_ZERO);
    g_assert_cmpuint(a.seen, ==, 1);
    g_assert_cmpuint(a.df_zero, ==, 0);
}

static void test_rate(void)
{
    double rate = -1;
    uint16_t g = 0;
    g_assert_true(ddi_ipid_rate(DDI_IPID_GLOBAL, 32569, 32638, 2.968866, &rate, &g));
    g_assert_cmpuint(g, ==, 69);
    g_assert_cmpfloat_with_epsilon(rate, 69 / 2.968866, 1e-9);
    g_assert_cmpfloat_with_epsilon(rate, 23.2412, 1e-4);
    g_assert_true(ddi_ipid_rate(DDI_IPID_GLOBAL, 65530, 3, 0.5, &rate, NULL));
    g_assert_cmpfloat_with_epsilon(rate, 18.0, 1e-9);

    /* zero / negative / NaN dt: no rate, outputs untouched */
    rate = -1;
    g = 0;
    g_assert_false(ddi_ipid_rate(DDI_IPID_GLOBAL, 1, 2, 0, &rate, &g));
    g_assert_false(ddi_ipid_rate(DDI_IPID_GLOBAL, 1, 2, -1, &rate, &g));
    g_assert_false(ddi_ipid_rate(DDI_IPID_GLOBAL, 1, 2, NAN, &rate, &g));
    g_assert_cmpfloat(rate, ==, -1);
    g_assert_cmpuint(g, ==, 0);

    /* only counters have a rate */
    static const ddi_ipid_class not_counter[] = {DDI_IPID_UNKNOWN, DDI_IPID_PER_DEST, DDI_IPID_RANDOM,
                                                 DDI_IPID_ZERO, DDI_IPID_CONSTANT};
    for (size_t i = 0; i < G_N_ELEMENTS(not_counter); i++) {
        g_assert_false(ddi_ipid_is_counter(not_counter[i]));
        g_assert_false(ddi_ipid_rate(not_counter[i], 1, 2, 1, &rate, &g));
    }
    g_assert_true(ddi_ipid_is_counter(DDI_IPID_GLOBAL));
    g_assert_true(ddi_ipid_is_counter(DDI_IPID_BYTESWAPPED));

    /* byte-swapped: the gap is read after swapping back (0x0100 -> 0x0300 is 2, not 512) */
    g_assert_true(ddi_ipid_rate(DDI_IPID_BYTESWAPPED, 0x0100, 0x0300, 0.5, &rate, &g));
    g_assert_cmpuint(g, ==, 2);
    g_assert_cmpfloat_with_epsilon(rate, 4.0, 1e-9);
    /* ... including the carry into the low byte: host 0x00ff -> 0x0101 */
    g_assert_true(ddi_ipid_rate(DDI_IPID_BYTESWAPPED, 0xff00, 0x0101, 1, &rate, &g));
    g_assert_cmpuint(g, ==, 2);
}

static void test_names(void)
{
    g_assert_cmpstr(ddi_ipid_class_name(DDI_IPID_GLOBAL), ==, "global counter");
    g_assert_cmpstr(ddi_ipid_class_name(DDI_IPID_PER_DEST), ==, "per-destination counter");
    g_assert_cmpstr(ddi_ipid_class_name(DDI_IPID_RANDOM), ==, "random");
    g_assert_cmpstr(ddi_ipid_class_name(DDI_IPID__COUNT), ==, "?");
    for (int c = 0; c < DDI_IPID__COUNT; c++) {
        g_assert_nonnull(ddi_ipid_class_name((ddi_ipid_class)c));
        for (int d = 0; d < c; d++)
            g_assert_cmpstr(ddi_ipid_class_name((ddi_ipid_class)c), !=, ddi_ipid_class_name((ddi_ipid_class)d));
    }
    /* the class must fit the 4-bit field of the frame record */
    g_assert_cmpint(DDI_IPID__COUNT, <=, 16);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ipid/gap", test_gap);
    g_test_add_func("/ipid/unknown-until-two", test_unknown_until_two);
    g_test_add_func("/ipid/class/global", test_global);
    g_test_add_func("/ipid/class/byteswapped", test_byteswapped);
    g_test_add_func("/ipid/class/per-destination", test_per_destination);
    g_test_add_func("/ipid/class/per-destination-small-jump", test_per_destination_small_jump);
    g_test_add_func("/ipid/class/random-zero-constant", test_random_zero_constant);
    g_test_add_func("/ipid/class/large-steps", test_large_steps);
    g_test_add_func("/ipid/ndiffs-saturate", test_ndiffs_saturate);
    g_test_add_func("/ipid/atomic-zero", test_atomic_zero);
    g_test_add_func("/ipid/rate", test_rate);
    g_test_add_func("/ipid/names", test_names);
    return g_test_run();
}
