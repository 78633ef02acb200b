/* test_state.c — source / connection tables and frame records (plugin/core/state.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "pktbuild.h"
#include "state.h"

#define NADDR 200000u

static ddi_addr v4(uint32_t i)
{
    ddi_addr a;
    memset(&a, 0, sizeof a);
    a.family = 4;
    uint32_t x = 0x0a000000u + i; /* 10.0.0.0 + i */
    a.a[0] = (uint8_t)(x >> 24);
    a.a[1] = (uint8_t)(x >> 16);
    a.a[2] = (uint8_t)(x >> 8);
    a.a[3] = (uint8_t)x;
    return a;
}

static ddi_addr v6(uint32_t i)
{
    ddi_addr a = pb_addr("2001:db8::");
    /* vary both halves: /64 prefixes and interface IDs */
    a.a[6] = (uint8_t)(i >> 8);
    a.a[7] = (uint8_t)i;
    a.a[12] = (uint8_t)(i >> 24);
    a.a[13] = (uint8_t)(i >> 16);
    a.a[14] = (uint8_t)(i >> 8);
    a.a[15] = (uint8_t)i;
    return a;
}

static void test_sources_many(void)
{
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    bool created = false;
    ddi_addr a0 = v4(0);
    uint32_t first = ddi_state_source_get(&st, &a0, &created);
    g_assert_cmpuint(first, ==, 1);
    g_assert_true(created);
    ddi_source *s1 = ddi_state_source(&st, first);
    g_assert_nonnull(s1);
    ddi_source_whole *w1 = ddi_state_whole(&st, first);
    g_assert_nonnull(w1); /* kept unless the caller says otherwise */
    w1->pkts = 4242;
    s1->syns = 77;
    size_t mem0 = ddi_state_memory(&st);

    for (uint32_t i = 1; i < NADDR; i++) {
        ddi_addr a = v4(i);
        uint32_t idx = ddi_state_source_get(&st, &a, &created);
        g_assert_true(created);
        g_assert_cmpuint(idx, ==, i + 1);
    }
    for (uint32_t i = 0; i < NADDR; i++) {
        ddi_addr a = v6(i);
        uint32_t idx = ddi_state_source_get(&st, &a, &created);
        g_assert_true(created);
        g_assert_cmpuint(idx, ==, NADDR + i + 1);
    }
    g_assert_cmpuint(ddi_state_source_count(&st), ==, 2 * NADDR);
    g_assert_cmpuint(ddi_state_memory(&st), >, mem0);

    /* every address finds its own record again, nothing new is made */
    for (uint32_t i = 0; i < NADDR; i++) {
        ddi_addr a = v4(i), b = v6(i);
        g_assert_cmpuint(ddi_state_source_get(&st, &a, &created), ==, i + 1);
        g_assert_false(created);
        g_assert_cmpuint(ddi_state_source_get(&st, &b, &created), ==, NADDR + i + 1);
        g_assert_false(created);
        ddi_addr got;
        ddi_state_source_addr(&st, ddi_state_source(&st, i + 1), &got);
        g_assert_true(ddi_addr_eq(&got, &a));
        ddi_state_source_addr(&st, ddi_state_source(&st, NADDR + i + 1), &got);
        g_assert_true(ddi_addr_eq(&got, &b));
    }
    g_assert_cmpuint(ddi_state_source_count(&st), ==, 2 * NADDR);

    /* records never move: the first pointer is still the first record */
    g_assert_true(ddi_state_source(&st, 1) == s1);
    g_assert_true(ddi_state_whole(&st, 1) == w1);
    g_assert_cmpuint(s1->syns, ==, 77);
    g_assert_cmpuint(w1->pkts, ==, 4242);
    /* a fresh record is zeroed but for its address */
    ddi_source *last = ddi_state_source(&st, 2 * NADDR);
    g_assert_cmpuint(ddi_state_whole(&st, 2 * NADDR)->pkts, ==, 0);
    g_assert_null(ddi_state_whole(&st, 2 * NADDR + 1));
    g_assert_cmpuint(last->syns, ==, 0);
    g_assert_cmpuint(last->ipid.seen, ==, 0);
    g_assert_cmpuint(last->nat_bits, ==, 0);

    g_assert_null(ddi_state_source(&st, 0));
    g_assert_null(ddi_state_source(&st, 2 * NADDR + 1));
    g_assert_cmpuint(st.src_dropped, ==, 0);
    ddi_state_free(&st);
    g_assert_cmpuint(ddi_state_source_count(&st), ==, 0);
    g_assert_cmpuint(ddi_state_memory(&st), ==, 0);
}

static void test_source_families_distinct(void)
{
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    bool created;
    /* same leading bytes, different family / length */
    ddi_addr a = pb_addr("10.0.0.1"), b = pb_addr("a00:1::"), c = pb_addr("::a00:1");
    uint32_t ia = ddi_state_source_get(&st, &a, &created);
    uint32_t ib = ddi_state_source_get(&st, &b, &created);
    uint32_t ic = ddi_state_source_get(&st, &c, &created);
    g_assert_cmpuint(ia, !=, ib);
    g_assert_cmpuint(ia, !=, ic);
    g_assert_cmpuint(ib, !=, ic);
    g_assert_cmpuint(ddi_state_source_count(&st), ==, 3);
    /* bytes past a[3] of an IPv4 address are not part of it */
    ddi_addr a2 = a;
    a2.a[9] = 0x77;
    g_assert_cmpuint(ddi_state_source_get(&st, &a2, &created), ==, ia);
    g_assert_false(created);
    ddi_state_free(&st);
}

static void test_source_limit(void)
{
    ddi_state st;
    ddi_state_init(&st, 10, 0);
    bool created;
    for (uint32_t i = 0; i < 10; i++) {
        ddi_addr a = v4(i);
        g_assert_cmpuint(ddi_state_source_get(&st, &a, &created), ==, i + 1);
    }
    for (uint32_t i = 10; i < 15; i++) {
        ddi_addr a = v4(i);
        g_assert_cmpuint(ddi_state_source_get(&st, &a, &created), ==, 0);
        g_assert_false(created);
    }
    g_assert_cmpuint(st.src_dropped, ==, 5);
    g_assert_cmpuint(ddi_state_source_count(&st), ==, 10);
    /* known sources are still found, and do not count as drops */
    ddi_addr a3 = v4(3);
    g_assert_cmpuint(ddi_state_source_get(&st, &a3, &created), ==, 4);
    g_assert_cmpuint(st.src_dropped, ==, 5);
    ddi_state_free(&st);
}

static ddi_pkt syn(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint32_t seq)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = 64, .id = 1};
    pb_tcp t = {.sport = sport, .dport = dport, .seq = seq, .flags = DDI_TH_SYN, .win = 1024};
    return pb_tcp_parsed(&ip, &t, 1.0);
}

static void test_conn_keys(void)
{
    ddi_pkt base = syn("192.0.2.1", "198.51.100.2", 1000, 445, 12345);
    ddi_pkt same = syn("192.0.2.1", "198.51.100.2", 1000, 445, 12345);
    same.ts = 99;
    same.ttl = 3;
    same.ip_id = 777;
    g_assert_cmpuint(ddi_conn_key(&base), ==, ddi_conn_key(&same)); /* identity only */
    const ddi_pkt other[] = {
        syn("192.0.2.1", "198.51.100.2", 1000, 445, 12346), syn("192.0.2.1", "198.51.100.2", 1001, 445, 12345),
        syn("192.0.2.1", "198.51.100.2", 1000, 446, 12345), syn("192.0.2.2", "198.51.100.2", 1000, 445, 12345),
        syn("192.0.2.1", "198.51.100.3", 1000, 445, 12345), syn("198.51.100.2", "192.0.2.1", 1000, 445, 12345),
        syn("192.0.2.1", "198.51.100.2", 445, 1000, 12345), syn("::c000:201", "::c633:6402", 1000, 445, 12345),
    };
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    static gint64 keys[G_N_ELEMENTS(other) + 1];
    keys[0] = (gint64)ddi_conn_key(&base);
    g_hash_table_add(seen, &keys[0]);
    for (size_t i = 0; i < G_N_ELEMENTS(other); i++) {
        keys[i + 1] = (gint64)ddi_conn_key(&other[i]);
        if (g_hash_table_contains(seen, &keys[i + 1]))
            g_error("conn key %zu collides", i);
        g_hash_table_add(seen, &keys[i + 1]);
    }
    g_hash_table_destroy(seen);

    /* 100k ISNs x ports: no collisions */
    GHashTable *h = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    for (uint32_t i = 0; i < 100000; i++) {
        ddi_pkt p = base;
        p.tcp.seq = i * 2654435761u;
        p.tcp.sport = (uint16_t)(i % 3 + 1024);
        gint64 *k = g_new(gint64, 1);
        *k = (gint64)ddi_conn_key(&p);
        g_assert_false(g_hash_table_contains(h, k));
        g_hash_table_add(h, k);
    }
    g_hash_table_destroy(h);
}

static void test_conns(void)
{
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    bool created;
    ddi_pkt p = syn("192.0.2.1", "198.51.100.2", 1000, 445, 1);
    uint64_t k1 = ddi_conn_key(&p);
    p.tcp.seq = 2;
    uint64_t k2 = ddi_conn_key(&p);
    uint32_t c1 = ddi_state_conn_get(&st, k1, &created);
    g_assert_true(created);
    uint32_t c2 = ddi_state_conn_get(&st, k2, &created);
    g_assert_true(created);
    g_assert_cmpuint(c1, !=, c2);
    g_assert_cmpuint(ddi_state_conn_get(&st, k1, &created), ==, c1);
    g_assert_false(created);
    ddi_conn *c = ddi_state_conn(&st, c1);
    g_assert_cmpuint(c->key, ==, k1);
    g_assert_cmpuint(c->count, ==, 0);

    /* growth keeps the records and indices */
    for (uint64_t i = 0; i < 100000; i++)
        ddi_state_conn_get(&st, i * 0x9e3779b97f4a7c15ULL + 17, &created);
    g_assert_true(ddi_state_conn(&st, c1) == c);
    g_assert_cmpuint(ddi_state_conn_get(&st, k2, &created), ==, c2);
    g_assert_false(created);
    g_assert_null(ddi_state_conn(&st, 0));
    g_assert_null(ddi_state_conn(&st, 100003));

    /* history from the compact record */
    c->first_ts = 1000.0;
    c->last_dt = 3.0f;
    c->gap1 = 1.0f;
    c->count = 3;
    c->port445 = 1;
    ddi_syn_history h = ddi_conn_history(c);
    g_assert_cmpuint(h.count, ==, 3);
    g_assert_cmpfloat(h.first_ts, ==, 1000.0);
    g_assert_cmpfloat(h.last_ts, ==, 1003.0);
    g_assert_cmpfloat(h.gap1, ==, 1.0f);
    g_assert_true(h.port445);
    ddi_state_free(&st);
}

static void test_conn_limit(void)
{
    ddi_state st;
    ddi_state_init(&st, 0, 3);
    bool created;
    for (uint64_t k = 1; k <= 3; k++)
        g_assert_cmpuint(ddi_state_conn_get(&st, k * 1000003, &created), ==, k);
    g_assert_cmpuint(ddi_state_conn_get(&st, 99, &created), ==, 0);
    g_assert_false(created);
    g_assert_cmpuint(ddi_state_conn_get(&st, 98, &created), ==, 0);
    g_assert_cmpuint(st.conn_dropped, ==, 2);
    g_assert_cmpuint(ddi_state_conn_get(&st, 2 * 1000003, &created), ==, 2);
    g_assert_cmpuint(st.conn_dropped, ==, 2);
    ddi_state_free(&st);
}

/* Connections older than the retry window are retired: folded into their
 * source (tcp/445 only), and with recycle_conns their records are reused
 * and the index forgets them; without it they stay for later passes. */
static void retire_run(bool recycle)
{
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    st.recycle_conns = recycle;
    bool created;
    ddi_addr a = {.family = 4, .a = {192, 0, 2, 9}};
    uint32_t si = ddi_state_source_get(&st, &a, &created);
    enum { N = 3000 };
    uint32_t idx[N];
    for (uint32_t i = 0; i < N; i++) {
        double t = 1000.0 + i; /* one a second */
        ddi_state_conn_expire(&st, t);
        idx[i] = ddi_state_conn_get(&st, 0x1234567ULL * (i + 1), &created);
        g_assert_true(created);
        ddi_conn *c = ddi_state_conn(&st, idx[i]);
        c->src = si;
        c->first_ts = t;
        c->count = 1;
        c->port445 = i % 2 == 0;
    }
    double now = 1000.0 + N - 1;
    /* the last 181 (first SYN at most 180 s before `now`) are live */
    for (uint32_t i = 0; i < N; i++) {
        uint32_t found = ddi_state_conn_find(&st, 0x1234567ULL * (i + 1));
        bool live = now - (1000.0 + i) <= DDI_SYN_RETRY_WINDOW_S;
        if (live) {
            g_assert_cmpuint(found, ==, idx[i]);
            g_assert_true(ddi_conn_live(ddi_state_conn(&st, found), now));
        } else if (recycle) {
            g_assert_cmpuint(found, ==, 0);
        } else {
            g_assert_cmpuint(found, ==, idx[i]);
            g_assert_false(ddi_conn_live(ddi_state_conn(&st, found), now));
        }
    }
    const ddi_source_whole *s = ddi_state_whole(&st, si);
    /* retired: the first N - 181 - ... up to the last expire call (at `now`) */
    uint32_t retired = 0;
    for (uint32_t i = 0; i < N; i++)
        retired += now - (1000.0 + i) > DDI_SYN_RETRY_WINDOW_S;
    g_assert_cmpuint(s->gone445, ==, (retired + 1) / 2);
    g_assert_cmpuint(s->gone445_yes, ==, 0); /* one SYN each: no Conficker-style retry */
    if (recycle)
        g_assert_cmpuint(st.conns.count, <=, 200); /* records reused */
    else
        g_assert_cmpuint(st.conns.count, ==, N);

    /* renewing a key: the new record takes the index, the old one stays
     * findable at its own time without recycling */
    uint64_t k = 0x1234567ULL * N;
    ddi_conn *old = ddi_state_conn(&st, ddi_state_conn_find(&st, k));
    old->gone = 1;
    uint32_t nv = ddi_state_conn_renew(&st, k);
    g_assert_cmpuint(nv, !=, idx[N - 1]);
    g_assert_cmpuint(ddi_state_conn_find(&st, k), ==, nv);
    ddi_state_conn(&st, nv)->first_ts = now + 500;
    g_assert_cmpuint(ddi_state_conn_find_at(&st, k, now + 600), ==, nv);
    g_assert_cmpuint(ddi_state_conn_find_at(&st, k, now), ==, idx[N - 1]);
    ddi_state_free(&st);
}

static void test_conn_retire(void)
{
    retire_run(false);
    retire_run(true);
}

/* ddi_state_conn_expire() remembers the oldest connection's time between
 * calls; it must retire exactly what reading the records would, also when
 * the ring empties and a retired record comes back under its old index. */
static void test_conn_expire_remembered(void)
{
    for (int recycle = 0; recycle < 2; recycle++) {
        ddi_state st;
        ddi_state_init(&st, 0, 0);
        st.recycle_conns = recycle;
        bool created;
        double first[64];
        uint32_t n = 0;
        /* bursts separated by gaps longer than the window, calls in between */
        const double w = DDI_SYN_RETRY_WINDOW_S;
        double t = 1000.0;
        for (int burst = 0; burst < 4; burst++, t += 3 * w) {
            for (int i = 0; i < 16; i++) {
                double now = t + i * (w / 5);
                ddi_state_conn_expire(&st, now);
                uint32_t live = 0;
                for (uint32_t k = 0; k < n; k++)
                    live += now - first[k] <= w;
                g_assert_cmpuint(st.fifo_len, ==, live);
                uint32_t ci = ddi_state_conn_get(&st, 0x9e3779b97f4a7c15ULL * (n + 1), &created);
                g_assert_true(created);
                ddi_state_conn(&st, ci)->first_ts = now;
                first[n++] = now;
            }
        }
        ddi_state_conn_expire(&st, t + 10 * w);
        g_assert_cmpuint(st.fifo_len, ==, 0);
        ddi_state_free(&st);
    }
}

static void test_frames(void)
{
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    g_assert_cmpuint(sizeof(ddi_frame_rec), <=, 24); /* state.h: a frame costs 24 bytes */
    g_assert_null(ddi_state_frame(&st, 0));
    g_assert_null(ddi_state_frame_peek(&st, 0));
    g_assert_null(ddi_state_frame_peek(&st, 1)); /* nothing yet */

    ddi_frame_rec *r1 = ddi_state_frame(&st, 1);
    g_assert_nonnull(r1);
    static const ddi_frame_rec zero;
    g_assert_cmpmem(r1, sizeof *r1, &zero, sizeof zero);
    g_assert_null(ddi_state_frame_peek(&st, 1)); /* made but not analysed (no flags) */
    r1->flags = DDI_FR_ANALYSED;
    r1->ipid_gap = 69;
    r1->retry_count = 15;
    r1->ipid_class = DDI_IPID_CONSTANT;
    g_assert_true(ddi_state_frame_peek(&st, 1) == r1);

    /* far ahead: every record in between exists and is zero */
    ddi_frame_rec *rb = ddi_state_frame(&st, 1000000);
    g_assert_nonnull(rb);
    g_assert_cmpmem(rb, sizeof *rb, &zero, sizeof zero);
    for (uint32_t n = 2; n < 1000000; n += 4999) {
        g_assert_null(ddi_state_frame_peek(&st, n));
        g_assert_cmpmem(ddi_state_frame(&st, n), sizeof zero, &zero, sizeof zero);
    }
    g_assert_null(ddi_state_frame_peek(&st, 1000001));
    /* the first record did not move and kept its values */
    g_assert_true(ddi_state_frame(&st, 1) == r1);
    g_assert_cmpuint(r1->flags, ==, DDI_FR_ANALYSED);
    g_assert_cmpuint(r1->ipid_gap, ==, 69);
    g_assert_cmpuint(r1->retry_count, ==, 15);
    g_assert_cmpuint(r1->ipid_class, ==, DDI_IPID_CONSTANT);
    /* asking again for an existing frame gives the same record */
    g_assert_true(ddi_state_frame(&st, 1000000) == rb);
    g_assert_cmpuint(st.frames.count, ==, 1000000);
    /* 24 bytes a frame is the memory budget: 16, plus the IP-ID rate's basis
     * (samples and advance as of the frame, issue 13) */
    g_assert_cmpuint(sizeof(ddi_frame_rec), ==, 24);
    ddi_state_free(&st);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/state/sources/many", test_sources_many);
    g_test_add_func("/state/sources/families-distinct", test_source_families_distinct);
    g_test_add_func("/state/sources/limit", test_source_limit);
    g_test_add_func("/state/conns/keys", test_conn_keys);
    g_test_add_func("/state/conns/table", test_conns);
    g_test_add_func("/state/conns/limit", test_conn_limit);
    g_test_add_func("/state/conns/retire", test_conn_retire);
    g_test_add_func("/state/conns/expire-remembered", test_conn_expire_remembered);
    g_test_add_func("/state/frames", test_frames);
    return g_test_run();
}
