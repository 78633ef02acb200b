/* test_ipid.c — IP-ID gaps, rates and classes (plugin/core/ipid.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <locale.h>
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

#define NS(s) ((int64_t)llround((s) * 1e9))

/* `dt` of each step is seconds after the previous step */
static ddi_ipid_class feed(ddi_ipid_acc *a, const step *s, size_t n)
{
    memset(a, 0, sizeof *a);
    double t = 1000;
    for (size_t i = 0; i < n; i++) {
        t += s[i].dt;
        ddi_ipid_add(a, s[i].id, s[i].df, NS(t), s[i].plus1);
    }
    return ddi_ipid_classify(a);
}
#define FEED(a, ...) feed((a), (const step[]){__VA_ARGS__}, sizeof((const step[]){__VA_ARGS__}) / sizeof(step))

/* Feed plain IDs one second apart. */
static ddi_ipid_class ids(const uint16_t *v, size_t n)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < n; i++)
        ddi_ipid_add(&a, v[i], false, NS(1000.0 + i), false);
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
    g_assert_cmpint(ddi_ipid_source_rate(&a).status, ==, DDI_RATE_NOT_COUNTER);
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
    g_assert_true(ddi_ipid_add(&a, 1234, true, NS(5), false));
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_UNKNOWN);
    g_assert_cmpuint(a.last, ==, 1234);
    g_assert_cmpuint(a.samples, ==, 1);
    g_assert_true(ddi_ipid_add(&a, 1236, true, NS(6), false));
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    g_assert_cmpuint(a.samples, ==, 2);
    g_assert_cmpuint(a.advance, ==, 2);
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
    /* a repeat is a retransmission that kept its ID or a duplicate capture
     * (zeek__pppoe-over-qinq.pcap: one TCP segment at each RTO, one ID): it
     * says nothing against a counter (nmap would call this random) */
    g_assert_cmpint(IDS(10, 10, 20), ==, DDI_IPID_GLOBAL);
    g_assert_cmpint(IDS(0, 0, 0), ==, DDI_IPID_ZERO);
    g_assert_cmpint(IDS(0, 0), ==, DDI_IPID_ZERO);
    g_assert_cmpint(IDS(54321, 54321, 54321), ==, DDI_IPID_CONSTANT);
    g_assert_cmpint(IDS(7, 7), ==, DDI_IPID_CONSTANT);

    /* many random IDs (fixed seed): random */
    GRand *r = g_rand_new_with_seed(99);
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    for (int i = 0; i < 200; i++)
        ddi_ipid_add(&a, (uint16_t)g_rand_int(r), false, NS(i * 0.5), false);
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
    g_assert_cmpuint(a.advance, ==, 15500);
    g_assert_cmpfloat_with_epsilon(ddi_ipid_source_rate(&a).rate, 15500 / 3.1, 1e-6);
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
        ddi_ipid_add(&a, (uint16_t)(i * 3), false, NS(i * 0.01), false);
    g_assert_cmpuint(a.samples, ==, 70000);
    g_assert_cmpuint(a.advance, ==, 69999u * 3);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    g_assert_cmpuint(a.n_small, >, 100); /* halved, never wrapped */
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
    g_assert_cmpuint(a.samples, ==, 3);
    g_assert_cmpuint(a.advance, ==, 10);
    /* a crafting host: random IDs and a few zero-ID kernel RSTs (hping3) */
    GRand *r = g_rand_new_with_seed(3);
    memset(&a, 0, sizeof a);
    for (int i = 0; i < 1000; i++) {
        ddi_ipid_add(&a, (uint16_t)g_rand_int_range(r, 1, 65536), false, NS(i * 0.1), false);
        if (i % 300 == 0)
            ddi_ipid_add(&a, 0, true, NS(i * 0.1 + 0.05), false);
    }
    g_rand_free(r);
    g_assert_cmpuint(a.df_zero, ==, 4);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_RANDOM);
    /* the count saturates */
    memset(&a, 0, sizeof a);
    for (int i = 0; i < 300; i++)
        ddi_ipid_add(&a, 0, true, NS(i * 0.1), false);
    g_assert_cmpuint(a.df_zero, ==, UINT8_MAX);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_ZERO);
    /* zero WITHOUT DF is a real ID value and stays in the sequence */
    g_assert_cmpint(FEED(&a, {0, 0, false, false}, {0, 1, false, false}), ==, DDI_IPID_ZERO);
    g_assert_cmpuint(a.seen, ==, 1);
    g_assert_cmpuint(a.df_zero, ==, 0);
}

/* Feed one ID `dt` seconds after the previous one (clock kept in *t_ns). */
static bool add_at(ddi_ipid_acc *a, uint16_t id, double dt, int64_t *t_ns)
{
    *t_ns += NS(dt);
    return ddi_ipid_add(a, id, false, *t_ns, false);
}

static void estimate_text(const ddi_ipid_estimate *e, char *buf, size_t n) { ddi_ipid_estimate_text(e, buf, n); }

/* The published seed: +69 in 2.968866 s.  Two samples, but over more than
 * 0.2 s: a rate, and its basis said with it. */
static void test_rate_seed(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(1271757604.871203);
    g_assert_true(ddi_ipid_add(&a, 32569, true, t, false));
    g_assert_true(add_at(&a, 32638, 2.968866, &t));
    ddi_ipid_estimate e = ddi_ipid_source_rate(&a);
    g_assert_cmpint(e.status, ==, DDI_RATE_OK);
    g_assert_cmpint(e.cls, ==, DDI_IPID_GLOBAL);
    g_assert_cmpuint(e.samples, ==, 2);
    g_assert_cmpuint(e.advance, ==, 69);
    g_assert_cmpfloat_with_epsilon(e.span, 2.968866, 1e-9);
    g_assert_cmpfloat_with_epsilon(e.rate, 69 / 2.968866, 1e-9);
    char buf[256];
    estimate_text(&e, buf, sizeof buf);
    g_assert_cmpstr(buf, ==, "~23.2 packets/s over 2.97 s, 2 samples");
}

/* Fewer than 10 samples within less than 0.2 s: no rate, and why. */
static void test_rate_too_little(void)
{
    char buf[256];
    ddi_ipid_estimate e = ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 2, 5, NS(0.007));
    g_assert_cmpint(e.status, ==, DDI_RATE_TOO_LITTLE);
    estimate_text(&e, buf, sizeof buf);
    g_assert_cmpstr(buf, ==, "2 samples over 0.007 s: too little to estimate a rate (needs >= 0.2 s or >= 10 samples)");
    g_assert_cmpint(ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 9, 50, NS(0.199999)).status, ==, DDI_RATE_TOO_LITTLE);
    g_assert_cmpint(ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 9, 50, NS(0.2)).status, ==, DDI_RATE_OK);
    g_assert_cmpint(ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 10, 50, NS(0.01)).status, ==, DDI_RATE_OK);
    g_assert_cmpint(ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 1, 0, 0).status, ==, DDI_RATE_TOO_LITTLE);
    /* ten samples with one timestamp (a capture that stamps in batches) */
    e = ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 12, 11, 0);
    g_assert_cmpint(e.status, ==, DDI_RATE_TOO_LITTLE);
    estimate_text(&e, buf, sizeof buf);
    g_assert_cmpstr(buf, ==, "12 samples with one timestamp: no time to estimate a rate over");
    /* out of sequence, and after a jump */
    e = ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 0, 0, 0);
    g_assert_cmpint(e.status, ==, DDI_RATE_OUT_OF_SEQ);
    estimate_text(&e, buf, sizeof buf);
    g_assert_nonnull(strstr(buf, "out of the counter's sequence"));
    g_assert_cmpint(ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 50, UINT32_MAX, NS(10)).status, ==, DDI_RATE_JUMPED);
}

/* Only counters have a rate; the text says what the IDs are instead. */
static void test_rate_not_counter(void)
{
    static const struct {
        ddi_ipid_class c;
        const char *why;
    } cases[] = {
        {DDI_IPID_UNKNOWN, "not yet known whether IDs are a counter"},
        {DDI_IPID_PER_DEST, "IDs count per connection (or the host is idle), not per host"},
        {DDI_IPID_RANDOM, "IDs are random"},
        {DDI_IPID_ZERO, "IDs are zero"},
        {DDI_IPID_CONSTANT, "IDs are constant (crafted packets)"},
    };
    char buf[256];
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_false(ddi_ipid_is_counter(cases[i].c));
        ddi_ipid_estimate e = ddi_ipid_estimate_of(cases[i].c, 100, 1000, NS(10));
        g_assert_cmpint(e.status, ==, DDI_RATE_NOT_COUNTER);
        estimate_text(&e, buf, sizeof buf);
        g_assert_cmpstr(buf, ==, cases[i].why);
    }
    g_assert_true(ddi_ipid_is_counter(DDI_IPID_GLOBAL));
    g_assert_true(ddi_ipid_is_counter(DDI_IPID_BYTESWAPPED));
}

/* The plausibility bound: 1 GbE line rate of minimum frames. */
static void test_rate_bound(void)
{
    /* issue 13: "~717,607,284 packets/s" from a gap of 5646 in 8 us */
    ddi_ipid_estimate e = ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 12, 5646, 8000);
    g_assert_cmpint(e.status, ==, DDI_RATE_IMPLAUSIBLE);
    char buf[256];
    estimate_text(&e, buf, sizeof buf);
    g_assert_nonnull(strstr(buf, "above 1 GbE line rate"));
    g_assert_cmpint(ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 12, 1488095, NS(1.0)).status, ==, DDI_RATE_OK);
    g_assert_cmpint(ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 12, 1488096, NS(1.0)).status, ==, DDI_RATE_IMPLAUSIBLE);

    /* the tracker keeps such a step out of a counter's advance: a host at
     * 10 packets/s whose next ID is 5646 further 8 us later */
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(1000);
    ddi_ipid_add(&a, 100, false, t, false);
    for (int i = 1; i <= 20; i++)
        g_assert_true(add_at(&a, (uint16_t)(100 + i), 0.1, &t));
    g_assert_false(add_at(&a, 120 + 5646, 0.000008, &t));
    g_assert_true(add_at(&a, 121, 0.1, &t)); /* the counter goes on where it was */
    g_assert_cmpuint(a.advance, ==, 21);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    g_assert_cmpfloat_with_epsilon(ddi_ipid_source_rate(&a).rate, 21 / 2.100008, 1e-9);
}

/* Times are exact nanoseconds: a 1 us interval is 1 us, not 2^-20 s (what a
 * double epoch of 2010 rounds it to), and spans of microseconds add up. */
static void test_rate_precision(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = 1271757604LL * 1000000000 + 871203000;
    ddi_ipid_add(&a, 7, false, t, false);
    for (int i = 1; i < 10; i++) {
        t += 1000; /* 1 us */
        g_assert_true(ddi_ipid_add(&a, (uint16_t)(7 + i), false, t, false));
    }
    ddi_ipid_estimate e = ddi_ipid_source_rate(&a);
    g_assert_cmpint(e.status, ==, DDI_RATE_OK);
    g_assert_cmpfloat(e.span, ==, 9e-6);
    g_assert_cmpfloat_with_epsilon(e.rate, 1e6, 1e-6); /* exactly 9 in 9 us */
    char buf[256];
    estimate_text(&e, buf, sizeof buf);
    g_assert_cmpstr(buf, ==, "~1000000.0 packets/s over 0.000009 s, 10 samples");
    /* two packets 1 us apart: no rate at all */
    g_assert_cmpint(ddi_ipid_estimate_of(DDI_IPID_GLOBAL, 2, 1, 1000).status, ==, DDI_RATE_TOO_LITTLE);
}

/* issue 13: one reordered packet flipped a +1 counter to "random" for the
 * remaining 990 steps.  Now it is one stray, and the advance stays exact. */
static void test_reordering(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(50);
    uint16_t id = 65000; /* wraps on the way */
    ddi_ipid_add(&a, id, false, t, false);
    for (int i = 1; i <= 1000; i++) {
        id++;
        if (i == 10) { /* 10 and 11 swapped */
            g_assert_true(add_at(&a, (uint16_t)(id + 1), 0.01, &t));
            g_assert_false(add_at(&a, id, 0.0001, &t));
            g_assert_true(add_at(&a, (uint16_t)(id + 2), 0.01, &t));
            g_assert_cmpuint(a.n_stray, ==, 1);
            g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
            id += 2;
            i += 2;
            continue;
        }
        g_assert_true(add_at(&a, id, 0.01, &t));
        if (i >= 3)
            g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    }
    g_assert_cmpuint(a.advance, ==, 1000);
    g_assert_cmpuint(a.samples, ==, 1000); /* the late copy is not counted */
    /* a late packet older than the one before: still a stray */
    g_assert_false(add_at(&a, (uint16_t)(id - 5), 0.001, &t));
    g_assert_true(add_at(&a, (uint16_t)(id + 1), 0.01, &t));
    g_assert_cmpuint(a.advance, ==, 1001);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    /* the same packet captured twice (a repeat) */
    g_assert_false(add_at(&a, (uint16_t)(id + 1), 0.0, &t));
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);

    /* for NAT evidence: a late or repeated ID is no second host's sequence */
    g_assert_true(ddi_ipid_late_or_repeat(&a, (uint16_t)(id + 1)));
    g_assert_true(ddi_ipid_late_or_repeat(&a, (uint16_t)(id - 999)));
    g_assert_false(ddi_ipid_late_or_repeat(&a, (uint16_t)(id + 2)));
    g_assert_false(ddi_ipid_late_or_repeat(&a, (uint16_t)(id - 1000)));

    /* zeek__pppoe-over-qinq.pcap, 2.2.2.2: a late packet just below the
     * counter followed by a repeat of the counter's ID is not a jump */
    memset(&a, 0, sizeof a);
    t = NS(1523351398.860407);
    static const uint16_t seq[] = {7215, 7224, 7226, 7228, 7224, 7228, 7226, 7238, 7240, 7240, 7252, 7304, 7326, 7328, 7346};
    ddi_ipid_add(&a, seq[0], true, t, false);
    for (size_t i = 1; i < G_N_ELEMENTS(seq); i++)
        add_at(&a, seq[i], 0.2, &t);
    g_assert_cmpuint(a.n_jump, ==, 0);
    g_assert_cmpuint(a.n_stray, ==, 2);
    g_assert_cmpuint(a.advance, ==, 7346 - 7215);
    g_assert_cmpuint(a.samples, ==, 11);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
}

/* Another sender's packet (or a crafted one) inside a counter's sequence,
 * above and below the counter: never part of the advance. */
static void test_outlier(void)
{
    static const uint16_t strays[] = {40000, 20121, 5, 110};
    for (size_t k = 0; k < G_N_ELEMENTS(strays); k++) {
        ddi_ipid_acc a;
        memset(&a, 0, sizeof a);
        int64_t t = NS(10);
        ddi_ipid_add(&a, 100, false, t, false);
        for (uint16_t id = 101; id <= 120; id++)
            add_at(&a, id, 0.5, &t);
        g_assert_false(add_at(&a, strays[k], 0.2, &t));
        g_assert_true(add_at(&a, 121, 0.3, &t));
        for (uint16_t id = 122; id <= 130; id++)
            add_at(&a, id, 0.5, &t);
        g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
        g_assert_cmpuint(a.advance, ==, 30);
        g_assert_cmpuint(a.n_stray, ==, 1);
        g_assert_cmpfloat_with_epsilon(ddi_ipid_source_rate(&a).rate, 30 / 15.0, 1e-9);
    }
}

/* A class recovers: a run of strays makes the source look random, a longer
 * run of in-sequence steps makes it a counter again. */
static void test_recovery(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(10);
    ddi_ipid_add(&a, 1000, false, t, false);
    uint16_t id = 1000;
    for (int i = 0; i < 10; i++)
        add_at(&a, ++id, 0.1, &t);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    /* five foreign packets in a row, each followed by the counter */
    static const uint16_t foreign[] = {50000, 33000, 61000, 47000, 52000};
    for (size_t i = 0; i < G_N_ELEMENTS(foreign); i++) {
        g_assert_false(add_at(&a, foreign[i], 0.05, &t));
        g_assert_true(add_at(&a, ++id, 0.05, &t));
    }
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_RANDOM);
    int steps = 0;
    while (ddi_ipid_classify(&a) != DDI_IPID_GLOBAL && steps < 100) {
        add_at(&a, ++id, 0.1, &t);
        steps++;
    }
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    g_assert_cmpint(steps, <=, 10); /* 4 in-sequence steps per stray */
    g_assert_cmpuint(a.advance, ==, (uint16_t)(id - 1000));
}

/* A counter that goes on from somewhere its rate does not explain (a reboot,
 * a per-connection counter, another host): the advance across the jump is
 * not known, so no rate is claimed after it, while the class may recover. */
static void test_jump(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(10);
    ddi_ipid_add(&a, 20829, false, t, false);
    for (uint16_t id = 20830; id <= 20852; id++)
        add_at(&a, id, 0.5, &t);
    g_assert_cmpint(ddi_ipid_source_rate(&a).status, ==, DDI_RATE_OK);
    g_assert_false(add_at(&a, 7511, 215, &t)); /* held back */
    g_assert_true(add_at(&a, 7512, 0.02, &t)); /* and confirmed */
    g_assert_cmpuint(a.n_jump, ==, 1);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_RANDOM);
    for (uint16_t id = 7513; id < 7600; id++)
        add_at(&a, id, 0.01, &t);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    ddi_ipid_estimate e = ddi_ipid_source_rate(&a);
    g_assert_cmpint(e.status, ==, DDI_RATE_JUMPED);
    char buf[256];
    estimate_text(&e, buf, sizeof buf);
    g_assert_nonnull(strstr(buf, "jumped"));
}

/* When the very first ID was the stray, the sequence starts at the next. */
static void test_first_id_stray(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(10);
    ddi_ipid_add(&a, 40000, false, t, false);
    g_assert_false(add_at(&a, 100, 0.001, &t));
    int64_t t_anchor = t;
    g_assert_true(add_at(&a, 101, 0.5, &t));
    g_assert_cmpuint(a.samples, ==, 2);
    g_assert_cmpint(a.first_ns, ==, t_anchor);
    for (uint16_t id = 102; id <= 110; id++)
        add_at(&a, id, 0.5, &t);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    ddi_ipid_estimate e = ddi_ipid_source_rate(&a);
    g_assert_cmpint(e.status, ==, DDI_RATE_OK);
    g_assert_cmpuint(e.advance, ==, 10);
    g_assert_cmpfloat_with_epsilon(e.rate, 2.0, 1e-9);

    /* a first step too large to judge without a rate (+15000 in 0.1 s), then
     * +1 steps: the sequence starts at the second ID, the rate is the +1s' */
    memset(&a, 0, sizeof a);
    t = NS(10);
    ddi_ipid_add(&a, 100, false, t, false);
    g_assert_false(add_at(&a, 15100, 0.1, &t));
    t_anchor = t;
    for (uint16_t id = 15101; id <= 15120; id++)
        g_assert_true(add_at(&a, id, 0.1, &t));
    g_assert_cmpint(a.first_ns, ==, t_anchor);
    e = ddi_ipid_source_rate(&a);
    g_assert_cmpint(e.status, ==, DDI_RATE_OK);
    g_assert_cmpuint(e.advance, ==, 20);
    g_assert_cmpfloat_with_epsilon(e.rate, 10.0, 1e-9);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
}

/* Bursts: a host sending 2 packets/s, seen every half second, then a burst
 * of 200 packets in 0.1 s.  The rate is the whole span's, not the burst's. */
static void test_burst(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(10);
    uint16_t id = 500;
    ddi_ipid_add(&a, id, false, t, false);
    for (int i = 0; i < 200; i++)
        add_at(&a, id = (uint16_t)(id + 1), 0.5, &t);
    for (int i = 0; i < 200; i++)
        add_at(&a, id = (uint16_t)(id + 1), 0.0005, &t);
    ddi_ipid_estimate e = ddi_ipid_source_rate(&a);
    g_assert_cmpint(e.status, ==, DDI_RATE_OK);
    g_assert_cmpfloat_with_epsilon(e.rate, 400 / 100.1, 1e-9);
}

/* A busy host seen rarely: every step is large, the rates agree. */
static void test_busy_counter(void)
{
    GRand *r = g_rand_new_with_seed(7);
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(10);
    uint32_t id = 12345, total = 0;
    ddi_ipid_add(&a, (uint16_t)id, false, t, false);
    for (int i = 0; i < 50; i++) {
        double dt = g_rand_double_range(r, 5, 15);
        uint32_t step = (uint32_t)(500 * dt * g_rand_double_range(r, 0.5, 1.5));
        id += step;
        total += step;
        /* the first large step waits for the second to agree with it */
        g_assert_cmpint(add_at(&a, (uint16_t)id, dt, &t), ==, i > 0);
    }
    g_rand_free(r);
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_GLOBAL);
    ddi_ipid_estimate e = ddi_ipid_source_rate(&a);
    g_assert_cmpuint(e.advance, ==, total);
    g_assert_cmpfloat(e.rate, >, 400);
    g_assert_cmpfloat(e.rate, <, 600);
}

/* Byte-swapped: the advance is read in host order (nmap idle_scan.cc). */
static void test_rate_byteswapped(void)
{
    ddi_ipid_acc a;
    memset(&a, 0, sizeof a);
    int64_t t = NS(10);
    uint16_t host = 0x0312;
    ddi_ipid_add(&a, ddi_bswap16(host), false, t, false);
    static const uint16_t steps[] = {1, 3, 2, 6, 4, 1, 5};
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        host = (uint16_t)(host + steps[i]);
        add_at(&a, ddi_bswap16(host), 0.4, &t);
    }
    g_assert_cmpint(ddi_ipid_classify(&a), ==, DDI_IPID_BYTESWAPPED);
    ddi_ipid_estimate e = ddi_ipid_source_rate(&a);
    g_assert_cmpint(e.status, ==, DDI_RATE_OK);
    g_assert_cmpuint(e.advance, ==, 22);
    g_assert_cmpfloat_with_epsilon(e.rate, 22 / 2.8, 1e-9);
}

/* Numbers in ddi's text never take the locale's decimal comma. */
static void test_fmt_fixed(void)
{
    char b[64];
    ddi_ipid_fmt_fixed(b, sizeof b, 23.2412, 1);
    g_assert_cmpstr(b, ==, "23.2");
    ddi_ipid_fmt_fixed(b, sizeof b, 2.968866, 2);
    g_assert_cmpstr(b, ==, "2.97");
    ddi_ipid_fmt_fixed(b, sizeof b, 0.00049, 3);
    g_assert_cmpstr(b, ==, "0.000");
    ddi_ipid_fmt_fixed(b, sizeof b, 9.96, 1);
    g_assert_cmpstr(b, ==, "10.0");
    ddi_ipid_fmt_fixed(b, sizeof b, -1.25, 1);
    g_assert_cmpstr(b, ==, "-1.3");
    ddi_ipid_fmt_fixed(b, sizeof b, 42, 0);
    g_assert_cmpstr(b, ==, "42");
    ddi_ipid_fmt_fixed(b, sizeof b, NAN, 2);
    g_assert_cmpstr(b, ==, "nan");
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
        ddi_ipid_fmt_fixed(b, sizeof b, 23.2412, 1);
        g_assert_cmpstr(b, ==, "23.2");
        setlocale(LC_NUMERIC, "C");
    }
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
    g_test_add_func("/ipid/samples-saturate-counts", test_ndiffs_saturate);
    g_test_add_func("/ipid/atomic-zero", test_atomic_zero);
    g_test_add_func("/ipid/rate/seed", test_rate_seed);
    g_test_add_func("/ipid/rate/too-little", test_rate_too_little);
    g_test_add_func("/ipid/rate/not-counter", test_rate_not_counter);
    g_test_add_func("/ipid/rate/bound", test_rate_bound);
    g_test_add_func("/ipid/rate/precision", test_rate_precision);
    g_test_add_func("/ipid/rate/burst", test_burst);
    g_test_add_func("/ipid/rate/busy-counter", test_busy_counter);
    g_test_add_func("/ipid/rate/byteswapped", test_rate_byteswapped);
    g_test_add_func("/ipid/tracker/reordering", test_reordering);
    g_test_add_func("/ipid/tracker/outlier", test_outlier);
    g_test_add_func("/ipid/tracker/recovery", test_recovery);
    g_test_add_func("/ipid/tracker/jump", test_jump);
    g_test_add_func("/ipid/tracker/first-id-stray", test_first_id_stray);
    g_test_add_func("/ipid/fmt-fixed", test_fmt_fixed);
    g_test_add_func("/ipid/names", test_names);
    return g_test_run();
}
