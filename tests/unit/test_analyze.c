/* test_analyze.c — end to end through the core: raw bytes -> ddi_pkt_parse
 * -> ddi_observe (first pass, capture order) -> ddi_verdict_build (any pass)
 * (plugin/core/analyze.c with os.c, ipid.c, retry.c, nat.c, mss.c, state.c).
 *
 * The seed is the published two-SYN analysis (Team Cymru, "Deep Darknet
 * Inspection" part 1; captures/make_seed.py): 114.124.162.72 -> port 445,
 * sport 21269, IP IDs 32569 / 32638 2.968866 s apart, MSS 1410, TTL 113.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _POSIX_C_SOURCE 200809L
#include <glib.h>
#include <math.h>
#include <string.h>

#include "analyze.h"
#include "p0fdb.h"
#include "pktbuild.h"

#define T0 1271757600.0 /* 2010-04-20 10:00:00 UTC, the seed's first SYN */
#define SEED_DT 2.968866
#define SEED_SRC "114.124.162.72"
#define SEED_ISN 0x5eed1234u
#define P0F_FP "/etc/p0f/p0f.fp"
#define OWN_FP DDI_SOURCE_DIR "/signatures/ddi.fp"

/* ------------------------------------------------------------ a capture */

#define MAXPKT 4096

typedef struct capture {
    ddi_state st;
    ddi_p0fdb *db;
    uint32_t n;
    ddi_pkt pkts[MAXPKT];
    ddi_verdict first_pass[MAXPKT]; /* built right after each packet (one-pass tshark) */
} capture;

typedef enum { DB_NONE, DB_OWN, DB_BOTH } db_mode;

static capture *cap_new(db_mode m, uint32_t max_sources, uint32_t max_conns)
{
    capture *c = g_new0(capture, 1);
    ddi_state_init(&c->st, max_sources, max_conns);
    if (m != DB_NONE) {
        char err[512];
        c->db = ddi_p0fdb_new();
        /* the plugin's order (packet-ddi.c load_sigdb): ddi's own file first */
        g_assert_cmpint(ddi_p0fdb_load_file(c->db, OWN_FP, err, sizeof err), >, 0);
        if (m == DB_BOTH)
            g_assert_cmpint(ddi_p0fdb_load_file(c->db, P0F_FP, err, sizeof err), >, 0);
    }
    return c;
}

static void cap_free(capture *c)
{
    ddi_state_free(&c->st);
    ddi_p0fdb_free(c->db);
    g_free(c);
}

/* The glue's first pass hands ddi_observe_keep()'s OS to the verdict
 * (ddi_verdict_build_from) instead of matching again: the values must be
 * those of a verdict that matches again. */
static void assert_observed_reused(const capture *c, const ddi_pkt *p, const ddi_frame_rec *rec,
                                   const ddi_observed *obs, const ddi_verdict *full)
{
    static ddi_verdict v;
    ddi_verdict_build_from(&c->st, c->db, p, rec, DDI_EXPLAIN_SUMMARY, obs, &v);
    if (obs->has_os) /* (a frame observe() stopped short of, such as a full table's, has none: matched again) */
        g_assert_true(full->has_os);
    g_assert_cmpint(v.has_os, ==, full->has_os);
    g_assert_cmpint(v.os.family, ==, full->os.family);
    g_assert_cmpint(v.os.era, ==, full->os.era);
    g_assert_cmpint(v.os.match, ==, full->os.match);
    g_assert_cmpint(v.os.dated, ==, full->os.dated);
    g_assert_cmpint(v.os.fp.kind, ==, full->os.fp.kind);
    g_assert_cmpuint(v.os.fp.ittl, ==, full->os.fp.ittl);
    g_assert_cmpint(v.os.fp.distance, ==, full->os.fp.distance);
    g_assert_cmpuint(v.os.fp.line, ==, full->os.fp.line);
    g_assert_cmpstr(v.os.label, ==, full->os.label);
    g_assert_cmpstr(v.os.evidence, ==, ""); /* no text asked for */
    g_assert_cmpstr(v.summary, ==, full->summary);
    /* the records and the class it hands on too */
    g_assert_true(v.src == full->src);
    g_assert_cmpuint(v.conn_idx, ==, full->conn_idx);
    g_assert_cmpint(v.conn_known, ==, full->conn_known);
    g_assert_cmpint(v.has_bs, ==, full->has_bs);
    g_assert_cmpint(v.bs_seen, ==, full->bs_seen);
    g_assert_true(memcmp(&v.bs, &full->bs, sizeof v.bs) == 0);
}

/* Feed one packet; returns its frame number. */
static uint32_t feed_bytes(capture *c, const uint8_t *b, size_t len, double ts)
{
    g_assert_cmpuint(c->n, <, MAXPKT);
    uint32_t frame = ++c->n;
    ddi_pkt *p = &c->pkts[frame - 1];
    pb_parse_exact(b, len, ts, p);
    p->frame = frame;
    ddi_frame_rec *rec = ddi_state_frame(&c->st, frame);
    static ddi_observed obs;
    ddi_observe_keep(&c->st, c->db, p, rec, &obs);
    ddi_verdict_build(&c->st, c->db, p, rec, &c->first_pass[frame - 1]);
    assert_observed_reused(c, p, rec, &obs, &c->first_pass[frame - 1]);
    return frame;
}

static uint32_t feed_tcp(capture *c, const pb_ip *ip, const pb_tcp *t, double ts)
{
    uint8_t b[PB_MAX];
    size_t n = pb_tcp_pkt(b, ip, t);
    return feed_bytes(c, b, n, ts);
}

static const ddi_frame_rec *rec_of(const capture *c, uint32_t frame)
{
    const ddi_frame_rec *r = ddi_state_frame_peek(&c->st, frame);
    g_assert_nonnull(r);
    return r;
}

/* The verdict of a frame as a later pass (or the GUI) builds it. */
static void verdict(const capture *c, uint32_t frame, ddi_verdict *v)
{
    ddi_verdict_build(&c->st, c->db, &c->pkts[frame - 1], rec_of(c, frame), v);
}

/* Everything that must not depend on when the verdict is built. */
static void assert_same_point_in_time(const ddi_verdict *a, const ddi_verdict *b)
{
    g_assert_true(a->p == b->p);
    g_assert_true(a->src == b->src);
    g_assert_cmpint(a->syn, ==, b->syn);
    g_assert_cmpint(a->has_gap, ==, b->has_gap);
    g_assert_cmpint(a->has_rate, ==, b->has_rate);
    g_assert_cmpuint(a->gap, ==, b->gap);
    g_assert_cmpint(a->rate_est.status, ==, b->rate_est.status);
    g_assert_cmpuint(a->rate_est.samples, ==, b->rate_est.samples);
    g_assert_cmpuint(a->rate_est.advance, ==, b->rate_est.advance);
    g_assert_cmpfloat(a->rate_est.span, ==, b->rate_est.span);
    g_assert_cmpfloat(a->dt, ==, b->dt);
    g_assert_cmpfloat(a->rate, ==, b->rate);
    g_assert_cmpint(a->ipid_class, ==, b->ipid_class);
    g_assert_cmpuint(a->retry_count, ==, b->retry_count);
    g_assert_cmpfloat(a->retry_iv, ==, b->retry_iv);
    g_assert_cmpfloat(a->retry_gap1, ==, b->retry_gap1);
    g_assert_cmpstr(a->backoff, ==, b->backoff);
    g_assert_cmpint(a->has_os, ==, b->has_os);
    g_assert_cmpint(a->os.family, ==, b->os.family);
    g_assert_cmpint(a->os.era, ==, b->os.era);
    g_assert_cmpint(a->os.match, ==, b->os.match);
    g_assert_cmpint(a->os.fp.kind, ==, b->os.fp.kind);
    g_assert_cmpuint(a->os.fp.ittl, ==, b->os.fp.ittl);
    g_assert_cmpint(a->os.fp.distance, ==, b->os.fp.distance);
    g_assert_cmpstr(a->os.label, ==, b->os.label);
    g_assert_cmpstr(a->os.evidence, ==, b->os.evidence);
    g_assert_cmpstr(a->os.raw_sig, ==, b->os.raw_sig);
    g_assert_cmpint(a->has_mss, ==, b->has_mss);
    g_assert_cmpuint(a->link.mtu, ==, b->link.mtu);
    g_assert_cmpstr(a->link.label, ==, b->link.label);
    g_assert_cmpint(a->link.pppoe, ==, b->link.pppoe);
    g_assert_cmpuint(a->nat_bits, ==, b->nat_bits);
    g_assert_cmpstr(a->nat_reason, ==, b->nat_reason);
    g_assert_cmpint(a->tool, ==, b->tool);
    g_assert_cmpstr(a->tool_evidence, ==, b->tool_evidence);
    g_assert_cmpint(a->has_bs, ==, b->has_bs);
    g_assert_cmpstr(a->bs_evidence, ==, b->bs_evidence);
    g_assert_cmpint(a->bs_seen, ==, b->bs_seen);
    g_assert_cmpint(a->two_way, ==, b->two_way);
    g_assert_cmpint(a->two_way_here, ==, b->two_way_here);
    g_assert_cmpuint(a->two_way_frame, ==, b->two_way_frame);
    g_assert_cmpint(a->duplicate, ==, b->duplicate);
    g_assert_cmpfloat(a->dup_iv, ==, b->dup_iv);
}

static void assert_same_verdict(const ddi_verdict *a, const ddi_verdict *b)
{
    assert_same_point_in_time(a, b);
    g_assert_cmpint(a->conn_known, ==, b->conn_known);
    g_assert_cmpuint(a->conn.count, ==, b->conn.count);
    g_assert_cmpint(a->conficker, ==, b->conficker);
    g_assert_cmpfloat(a->observed_after, ==, b->observed_after);
    g_assert_cmpstr(a->summary, ==, b->summary);
}

static bool skip_without(db_mode m)
{
    if (m == DB_BOTH && !g_file_test(P0F_FP, G_FILE_TEST_IS_REGULAR)) {
        g_test_skip(P0F_FP " not installed (Debian package p0f)");
        return true;
    }
    return false;
}

/* ------------------------------------------------------------ packets */

#define SEED_OPTS PB_OPTS(PB_MSS(1410), PB_NOP, PB_WS(0), PB_NOP, PB_NOP, PB_TS(0, 0), PB_NOP, PB_NOP, PB_SOK)

static uint32_t feed_seed(capture *c, uint16_t id, double ts)
{
    pb_ip ip = {.src = SEED_SRC, .dst = "198.51.100.23", .ttl = 113, .df = true, .id = id};
    pb_tcp t = {.sport = 21269, .dport = 445, .seq = SEED_ISN, .flags = DDI_TH_SYN, .win = 65535, SEED_OPTS};
    return feed_tcp(c, &ip, &t, ts);
}

/* Linux >= 4.20 SYN: mss,sok,ts,nop,ws, window 64240, scale 7 */
static uint32_t feed_linux(capture *c, const char *src, const char *dst, uint16_t sport, uint16_t dport,
                           uint32_t isn, uint16_t id, uint32_t tsval, double ts)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = 52, .df = true, .id = id};
    pb_tcp t = {.sport = sport, .dport = dport, .seq = isn, .flags = DDI_TH_SYN, .win = 64240,
                PB_OPTS(PB_MSS(1460), PB_SOK, PB_TS(tsval, 0), PB_NOP, PB_WS(7))};
    return feed_tcp(c, &ip, &t, ts);
}

/* Windows XP SP2-like SYN: mss,nop,nop,sok, window 65535 */
static uint32_t feed_xp(capture *c, const char *src, const char *dst, uint16_t sport, uint16_t dport, uint32_t isn,
                        uint16_t id, double ts)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = 117, .df = true, .id = id};
    pb_tcp t = {.sport = sport, .dport = dport, .seq = isn, .flags = DDI_TH_SYN, .win = 65535,
                PB_OPTS(PB_MSS(1460), PB_NOP, PB_NOP, PB_SOK)};
    return feed_tcp(c, &ip, &t, ts);
}

/* ------------------------------------------------------------- the seed */

static void check_seed_second(const ddi_verdict *v, db_mode m)
{
    g_assert_true(v->syn);
    g_assert_nonnull(v->src);
    g_assert_true(v->has_gap);
    g_assert_cmpuint(v->gap, ==, 69);
    g_assert_cmpfloat_with_epsilon(v->dt, SEED_DT, 1e-5);
    g_assert_cmpint(v->ipid_class, ==, DDI_IPID_GLOBAL);
    g_assert_true(v->has_rate);
    g_assert_cmpuint(v->rate_est.advance, ==, 69); /* over the whole span: 2 samples, 2.97 s */
    g_assert_cmpuint(v->rate_est.samples, ==, 2);
    g_assert_cmpfloat_with_epsilon(v->rate_est.span, SEED_DT, 1e-6);
    g_assert_cmpfloat_with_epsilon(v->rate, 69 / SEED_DT, 1e-3); /* ~23.24 packets/s */
    g_assert_cmpfloat_with_epsilon(v->rate, 23.24, 0.005);

    g_assert_cmpuint(v->retry_count, ==, 1);
    g_assert_cmpfloat_with_epsilon(v->retry_iv, SEED_DT, 1e-4);
    g_assert_cmpfloat_with_epsilon(v->retry_gap1, SEED_DT, 1e-4);
    g_assert_null(v->backoff); /* needs three SYNs */
    g_assert_true(v->conn_known);
    g_assert_cmpuint(v->conn.count, ==, 2);
    g_assert_true(v->conn.port445);
    g_assert_cmpfloat_with_epsilon(v->conn.gap1, SEED_DT, 1e-4);

    g_assert_true(v->has_mss);
    g_assert_cmpuint(v->link.mss, ==, 1410);
    g_assert_cmpuint(v->link.mtu, ==, 1450);
    g_assert_true(v->link.pppoe);

    g_assert_true(v->has_os);
    g_assert_cmpint(v->os.family, ==, DDI_OS_WINDOWS);
    g_assert_cmpuint(v->os.fp.ittl, ==, 128);
    g_assert_cmpint(v->os.fp.distance, ==, 15);
    g_assert_nonnull(strstr(v->os.evidence, "TSval 0"));
    g_assert_nonnull(strstr(v->os.evidence, "retry after 2.97 s"));

    g_assert_false(v->nat_bits & DDI_NAT_MSS); /* 65535 is no multiple of 1460 */
    if (m == DB_NONE) {
        /* without a signature, ddi's own layout rule names Windows, but a
         * heuristic label is no baseline for a port range */
        g_assert_cmpint(v->os.match, ==, DDI_OSM_HEURISTIC);
        g_assert_cmpuint(v->nat_bits, ==, 0);
    } else {
        g_assert_cmpint(v->os.match, ==, DDI_OSM_EXACT);
        g_assert_true(v->nat_bits & DDI_NAT_PORT);
        g_assert_nonnull(strstr(v->nat_reason, "source port 21269"));
        g_assert_nonnull(strstr(v->nat_reason, "1025-5000"));
        g_assert_nonnull(strstr(v->nat_reason, "49152-65535"));
    }

    g_assert_cmpint(v->tool, ==, DDI_TOOL_NONE);
    g_assert_false(v->has_bs);

    g_assert_nonnull(strstr(v->summary, "MTU 1450, PPPoE-sized"));
    if (m != DB_NONE)
        g_assert_nonnull(strstr(v->summary, "NAT suspected (source port"));
    g_assert_nonnull(strstr(v->summary, "sends ~23.2 packets/s in all (IP-ID, over 2.97 s, 2 samples)"));
    g_assert_nonnull(strstr(v->summary, "SYN retry #1 after 2.97 s"));
}

static void test_seed(gconstpointer data)
{
    db_mode m = (db_mode)GPOINTER_TO_INT(data);
    if (skip_without(m))
        return;
    capture *c = cap_new(m, 0, 0);
    uint32_t f1 = feed_seed(c, 32569, T0);
    uint32_t f2 = feed_seed(c, 32638, T0 + SEED_DT);
    g_assert_cmpuint(ddi_state_source_count(&c->st), ==, 1);
    g_assert_cmpfloat(c->st.horizon, ==, T0 + SEED_DT);
    g_assert_cmpfloat(c->st.first_ts, ==, T0);

    const ddi_frame_rec *r1 = rec_of(c, f1), *r2 = rec_of(c, f2);
    g_assert_true(r1->flags & DDI_FR_FIRST);
    g_assert_false(r1->flags & DDI_FR_HAS_GAP);
    g_assert_false(r2->flags & DDI_FR_FIRST);
    g_assert_true(r2->flags & DDI_FR_HAS_GAP);
    /* one source, one connection: later passes find both again by lookup */
    g_assert_cmpuint(ddi_state_source_find(&c->st, &c->pkts[f1 - 1].src), ==,
                     ddi_state_source_find(&c->st, &c->pkts[f2 - 1].src));
    g_assert_true((r1->flags & DDI_FR_HAS_CONN) && (r2->flags & DDI_FR_HAS_CONN));
    g_assert_cmpuint(ddi_state_conn_find(&c->st, ddi_conn_key(&c->pkts[f1 - 1])), ==,
                     ddi_state_conn_find(&c->st, ddi_conn_key(&c->pkts[f2 - 1])));
    g_assert_cmpuint(r1->retry_count, ==, 0);

    /* the first packet of a source: no gap, no rate, class not yet known */
    ddi_verdict *v1 = g_new0(ddi_verdict, 1), *v2 = g_new0(ddi_verdict, 1), *again = g_new0(ddi_verdict, 1);
    verdict(c, f1, v1);
    g_assert_false(v1->has_gap);
    g_assert_false(v1->has_rate);
    g_assert_cmpuint(v1->gap, ==, 0);
    g_assert_cmpint(v1->ipid_class, ==, DDI_IPID_UNKNOWN);
    g_assert_cmpuint(v1->retry_count, ==, 0);
    g_assert_cmpfloat(v1->retry_gap1, ==, 0);
    g_assert_cmpint(v1->os.family, ==, DDI_OS_WINDOWS);
    g_assert_cmpuint(v1->nat_bits & DDI_NAT_PORT, ==, m == DB_NONE ? 0 : DDI_NAT_PORT);
    g_assert_true(v1->link.pppoe);
    g_assert_null(strstr(v1->summary, "retry"));
    g_assert_null(strstr(v1->os.evidence, "retry after"));

    verdict(c, f2, v2);
    check_seed_second(v2, m);
    /* 2.97 s after the first SYN nobody can know that no third SYN comes */
    g_assert_cmpint(v1->conficker, ==, DDI_CONF_UNKNOWN);
    g_assert_cmpint(v2->conficker, ==, DDI_CONF_UNKNOWN);
    g_assert_cmpfloat_with_epsilon(v2->observed_after, SEED_DT, 1e-6);
    g_assert_null(strstr(v2->summary, "Conficker"));

    /* idempotent */
    verdict(c, f2, again);
    assert_same_verdict(v2, again);
    verdict(c, f1, again);
    assert_same_verdict(v1, again);
    /* the one-pass verdict built at observe time is the same too */
    assert_same_verdict(&c->first_pass[f2 - 1], v2);

    /* a packet of another source 35 s later moves the horizon past 10 s */
    feed_xp(c, "203.0.113.20", "198.51.100.77", 1090, 139, 777, 2817, T0 + 35.0);
    g_assert_cmpfloat(c->st.horizon, ==, T0 + 35.0);
    verdict(c, f2, again);
    assert_same_point_in_time(v2, again);
    g_assert_cmpint(again->conficker, ==, DDI_CONF_YES);
    g_assert_cmpfloat_with_epsilon(again->observed_after, 35.0, 1e-6);
    g_assert_nonnull(strstr(again->summary, "Conficker-style single retry"));
    verdict(c, f1, again);
    assert_same_point_in_time(v1, again);
    g_assert_cmpint(again->conficker, ==, DDI_CONF_YES);

    g_free(v1);
    g_free(v2);
    g_free(again);
    cap_free(c);
}

static void test_seed_horizon_edge(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    feed_seed(c, 32569, T0);
    uint32_t f2 = feed_seed(c, 32638, T0 + SEED_DT);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    feed_xp(c, "203.0.113.20", "198.51.100.77", 1090, 139, 777, 2817, T0 + 9.9);
    verdict(c, f2, v);
    g_assert_cmpint(v->conficker, ==, DDI_CONF_UNKNOWN);
    /* an older packet does not move the horizon back */
    feed_xp(c, "203.0.113.21", "198.51.100.77", 1090, 139, 778, 2817, T0 + 1.0);
    g_assert_cmpfloat(c->st.horizon, ==, T0 + 9.9);
    feed_xp(c, "203.0.113.20", "198.51.100.78", 1091, 139, 779, 2820, T0 + 10.0);
    verdict(c, f2, v);
    g_assert_cmpint(v->conficker, ==, DDI_CONF_YES);

    /* a third SYN of the same connection ends it: not Conficker-like */
    uint32_t f3 = feed_seed(c, 32700, T0 + 9.0);
    verdict(c, f3, v);
    g_assert_cmpuint(v->retry_count, ==, 2);
    g_assert_cmpint(v->conficker, ==, DDI_CONF_NA);
    g_assert_nonnull(v->backoff);
    g_assert_true(g_str_has_prefix(v->backoff, "doubling")); /* 2.97 then 6.03 */
    verdict(c, f2, v);
    g_assert_cmpint(v->conficker, ==, DDI_CONF_NA); /* the whole-capture verdict changed for every frame */
    g_assert_cmpuint(v->retry_count, ==, 1);         /* the point-in-time one did not */
    g_free(v);
    cap_free(c);
}

/* --------------------------------------------------------------- Linux */

static void test_linux_retries(gconstpointer data)
{
    db_mode m = (db_mode)GPOINTER_TO_INT(data);
    if (skip_without(m))
        return;
    capture *c = cap_new(m, 0, 0);
    const double off[] = {0, 1.021412, 3.058103, 7.131977};
    const double t = T0 + 21.517336;
    uint32_t f[4];
    for (int i = 0; i < 4; i++)
        f[i] = feed_linux(c, "203.0.113.10", "198.51.100.40", 40002, 22, 0xabcdef01u, (uint16_t)(51000 + i),
                          1000000u + (uint32_t)(off[i] * 1000), t + off[i]);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    for (int i = 0; i < 4; i++) {
        verdict(c, f[i], v);
        g_assert_cmpuint(v->retry_count, ==, i);
        g_assert_false(v->has_rate);
        g_assert_cmpint(v->os.family, ==, DDI_OS_LINUX);
        g_assert_cmpuint(v->os.fp.ittl, ==, 64);
        g_assert_cmpuint(v->nat_bits, ==, 0); /* port 40002 is in the Linux range */
        g_assert_cmpint(v->conficker, ==, DDI_CONF_NA);
        g_assert_false(v->link.pppoe);
        g_assert_cmpuint(v->link.mtu, ==, 1500);
        if (!i) {
            g_assert_false(v->has_gap);
            continue;
        }
        g_assert_true(v->has_gap);
        g_assert_cmpuint(v->gap, ==, 1);
        g_assert_cmpint(v->ipid_class, ==, DDI_IPID_PER_DEST);
        g_assert_cmpfloat_with_epsilon(v->retry_iv, off[i] - off[i - 1], 1e-4);
        g_assert_cmpfloat_with_epsilon(v->retry_gap1, off[1], 1e-4);
        g_assert_nonnull(strstr(v->os.evidence, "1 s initial RTO"));
        g_assert_nonnull(strstr(v->os.evidence, "IP ID per connection"));
        g_assert_cmpint(v->conn.count, ==, 4);
        if (i == 2) {
            g_assert_nonnull(v->backoff);
            g_assert_true(g_str_has_prefix(v->backoff, "doubling"));
        } else {
            g_assert_null(v->backoff);
        }
    }
    g_assert_cmpuint(ddi_state_source(&c->st, ddi_state_source_find(&c->st, &c->pkts[f[0] - 1].src))->retries, ==, 3);
    g_assert_cmpuint(ddi_state_source(&c->st, ddi_state_source_find(&c->st, &c->pkts[f[0] - 1].src))->syns, ==, 4);
    g_free(v);
    cap_free(c);
}

/* --------------------------------------------- XP host: global counter */

static void test_xp_three_syns(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    /* captures/make_seed.py (b): three connections, each 0, +3, +9 s */
    const struct {
        uint16_t sport;
        const char *dst;
        uint16_t dport;
        double first;
        uint16_t ids[3];
    } xp[] = {
        {1090, "198.51.100.77", 445, 4.871203, {2817, 2821, 2830}},
        {1091, "198.51.100.78", 139, 10.203377, {2826, 2828, 2835}},
        {1092, "198.51.100.79", 445, 26.014522, {2842, 2844, 2849}},
    };
    const double retx[] = {0, 3.000481, 9.000935};
    uint32_t frames[3][3];
    /* in capture order */
    typedef struct ev {
        double ts;
        int k, i;
    } ev;
    ev evs[9];
    int ne = 0;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 3; i++)
            evs[ne++] = (ev){xp[k].first + retx[i], k, i};
    for (int a = 0; a < ne; a++)
        for (int b = a + 1; b < ne; b++)
            if (evs[b].ts < evs[a].ts) {
                ev tmp = evs[a];
                evs[a] = evs[b];
                evs[b] = tmp;
            }
    for (int e = 0; e < ne; e++) {
        int k = evs[e].k, i = evs[e].i;
        frames[k][i] = feed_xp(c, "203.0.113.20", xp[k].dst, xp[k].sport, xp[k].dport, 1000u + (uint32_t)k,
                               xp[k].ids[i], T0 + evs[e].ts);
    }
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 3; i++) {
            verdict(c, frames[k][i], v);
            g_assert_cmpuint(v->retry_count, ==, i);
            g_assert_cmpint(v->conficker, ==, DDI_CONF_NA);
            g_assert_cmpint(v->os.family, ==, DDI_OS_WINDOWS);
            g_assert_false(v->nat_bits & DDI_NAT_PORT); /* 1090.. is in the XP range */
            if (i)
                g_assert_cmpfloat_with_epsilon(v->retry_gap1, 3.000481, 1e-4);
            if (i == 2)
                g_assert_true(g_str_has_prefix(v->backoff, "doubling"));
        }
    }
    /* the counter is global: by the last packet the class is known */
    verdict(c, frames[2][2], v);
    g_assert_cmpint(v->ipid_class, ==, DDI_IPID_GLOBAL);
    g_assert_true(v->has_rate);
    g_assert_nonnull(strstr(v->os.evidence, "3 s initial RTO"));
    g_assert_cmpuint(v->nat_bits & DDI_NAT_IPID, ==, 0);
    g_free(v);
    cap_free(c);
}

/* ------------------------------------------- other sources do not leak */

static void test_other_sources_do_not_change_verdicts(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    uint32_t f1 = feed_seed(c, 32569, T0);
    uint32_t f2 = feed_seed(c, 32638, T0 + SEED_DT);
    ddi_verdict *before1 = g_new0(ddi_verdict, 1), *before2 = g_new0(ddi_verdict, 1), *v = g_new0(ddi_verdict, 1);
    verdict(c, f1, before1);
    verdict(c, f2, before2);

    /* 300 packets of other sources: SYNs, UDP, ICMP, some to port 445 */
    GRand *r = g_rand_new_with_seed(11);
    for (int i = 0; i < 300; i++) {
        char src[32];
        g_snprintf(src, sizeof src, "203.0.113.%d", 1 + g_rand_int_range(r, 0, 50));
        double ts = T0 + SEED_DT + 0.01 * (i + 1); /* stays below the 10 s horizon */
        uint8_t b[PB_MAX];
        pb_ip ip = {.src = src, .dst = "198.51.100.23", .ttl = 50, .df = true,
                    .id = (uint16_t)g_rand_int(r)};
        size_t n;
        switch (i % 3) {
        case 0:
            feed_linux(c, src, "198.51.100.23", (uint16_t)g_rand_int_range(r, 32768, 61000), 445,
                       g_rand_int(r), ip.id, 5, ts);
            continue;
        case 1:
            n = pb_udp_pkt(b, &ip, 5000, 53, 10);
            break;
        default:
            n = pb_icmp_pkt(b, &ip, 8, 0, 1, (uint16_t)i, NULL, 0);
            break;
        }
        feed_bytes(c, b, n, ts);
    }
    g_rand_free(r);
    g_assert_cmpfloat(c->st.horizon, <, T0 + 10.0);

    /* point-in-time fields unchanged; the whole-capture ones (observed_after)
     * follow the horizon, the Conficker verdict is still open at < 10 s */
    verdict(c, f1, v);
    assert_same_point_in_time(before1, v);
    g_assert_cmpint(v->conficker, ==, DDI_CONF_UNKNOWN);
    verdict(c, f2, v);
    assert_same_point_in_time(before2, v);
    g_assert_cmpint(v->conficker, ==, DDI_CONF_UNKNOWN);
    g_assert_cmpfloat_with_epsilon(v->observed_after, c->st.horizon - T0, 1e-9);
    g_assert_cmpstr(v->summary, ==, before2->summary);
    check_seed_second(v, DB_OWN);
    g_free(before1);
    g_free(before2);
    g_free(v);
    cap_free(c);
}

/* ---------------------------------------------- one pass vs. two passes */

static void test_first_pass_equals_second_pass(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    GRand *r = g_rand_new_with_seed(3);
    feed_seed(c, 32569, T0);
    for (int i = 0; i < 200; i++) {
        double ts = T0 + 0.2 * (i + 1);
        if (i == 10)
            feed_seed(c, 32638, T0 + SEED_DT);
        else if (i % 4 == 0)
            feed_linux(c, "203.0.113.10", "198.51.100.40", 40002, 22, 7u + (uint32_t)(i / 40), (uint16_t)(i / 4),
                       (uint32_t)i, ts);
        else if (i % 4 == 1)
            feed_xp(c, "203.0.113.20", "198.51.100.77", (uint16_t)(1100 + i), 445, (uint32_t)i,
                    (uint16_t)(3000 + i * 3), ts);
        else
            feed_linux(c, "203.0.113.30", "198.51.100.99", (uint16_t)g_rand_int_range(r, 32768, 61000), 80,
                       g_rand_int(r), (uint16_t)g_rand_int(r), 1, ts);
    }
    g_rand_free(r);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    for (uint32_t f = 1; f <= c->n; f++) {
        verdict(c, f, v);
        assert_same_point_in_time(&c->first_pass[f - 1], v);
    }
    g_free(v);
    cap_free(c);
}

/* -------------------------------------------------- NAT over a capture */

/* Two XP hosts behind one address, each SYN a new connection, counters
 * starting at 1000 and `b0`: returns the first frame flagged (0 = none). */
static uint32_t interleave_xp(capture *c, uint16_t b0, ddi_ipid_class *cls)
{
    uint16_t a = 1000, b = b0;
    uint32_t flagged_at = 0;
    for (int i = 0; i < 40; i++) {
        uint16_t id = i % 2 ? (b += 3) : (a += 2);
        uint32_t f = feed_xp(c, "192.0.2.77", "198.51.100.5", (uint16_t)(1100 + i), 445, (uint32_t)i, id,
                             T0 + i * 0.5);
        const ddi_frame_rec *r = rec_of(c, f);
        bool has = r->nat_bits & DDI_NAT_IPID;
        /* never beside a class that is not a counter */
        if (has)
            g_assert_true(ddi_ipid_is_counter((ddi_ipid_class)r->ipid_class));
        if (has && !flagged_at)
            flagged_at = f;
        if (flagged_at)
            g_assert_true(has); /* sticky for the rest of the source */
        *cls = (ddi_ipid_class)r->ipid_class;
    }
    return flagged_at;
}

static void test_nat_ipid_interleaved(void)
{
    /* Bellovin's tracker finds the two sequences (test_nat.c), but the
     * merged IDs step back and forth by more than 20000 (mod 2^16), which
     * ddi, as nmap, classes random: "interleaved counters" beside "random"
     * would contradict the class, so there is no claim, near or far apart */
    static const uint16_t starts[] = {1600, 30000};
    for (size_t k = 0; k < G_N_ELEMENTS(starts); k++) {
        capture *c = cap_new(DB_OWN, 0, 0);
        ddi_ipid_class cls;
        uint32_t flagged_at = interleave_xp(c, starts[k], &cls);
        g_assert_cmpint(cls, ==, DDI_IPID_RANDOM);
        g_assert_cmpuint(flagged_at, ==, 0);
        g_assert_false(ddi_state_source(&c->st, 1)->nat_bits & DDI_NAT_IPID);
        cap_free(c);
    }
}

/* One Windows host whose global counter is seen with other traffic in
 * between: a counter, one sequence, no claim either. */
static void test_nat_ipid_one_counter(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    uint16_t id = 5000;
    for (int i = 0; i < 40; i++) {
        id = (uint16_t)(id + 3 + i % 11);
        uint32_t f = feed_xp(c, "192.0.2.78", "198.51.100.5", (uint16_t)(1100 + i), 445, (uint32_t)i, id,
                             T0 + i * 0.5);
        g_assert_cmpuint(rec_of(c, f)->nat_bits, ==, 0);
    }
    g_assert_cmpint(rec_of(c, c->n)->ipid_class, ==, DDI_IPID_GLOBAL);
    cap_free(c);
}

static void test_nat_ipid_random_source(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    /* a Linux host opening 500 connections: a random IP ID for each */
    GRand *r = g_rand_new_with_seed(500);
    for (int i = 0; i < 500; i++) {
        char dst[32];
        g_snprintf(dst, sizeof dst, "198.51.100.%d", i % 250 + 1);
        uint32_t f = feed_linux(c, "203.0.113.99", dst, (uint16_t)g_rand_int_range(r, 32768, 61000), 80,
                                g_rand_int(r), (uint16_t)g_rand_int_range(r, 1, 65536), (uint32_t)i, T0 + i);
        g_assert_cmpuint(rec_of(c, f)->nat_bits & DDI_NAT_IPID, ==, 0);
    }
    g_rand_free(r);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    verdict(c, c->n, v);
    g_assert_cmpint(v->ipid_class, ==, DDI_IPID_RANDOM);
    g_assert_false(v->has_rate);
    g_free(v);
    cap_free(c);
}

static void test_nat_mss_clamp(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    /* Windows 10 (64240 = 44 x 1460, scale 8) behind a PPPoE router clamping to 1452 */
    pb_ip ip = {.src = "192.0.2.10", .dst = "198.51.100.5", .ttl = 116, .df = true, .id = 100};
    pb_tcp t = {.sport = 50123, .dport = 445, .seq = 5, .flags = DDI_TH_SYN, .win = 64240,
                PB_OPTS(PB_MSS(1452), PB_NOP, PB_WS(8), PB_NOP, PB_NOP, PB_SOK)};
    uint32_t f = feed_tcp(c, &ip, &t, T0);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    verdict(c, f, v);
    g_assert_cmpint(v->os.family, ==, DDI_OS_WINDOWS);
    g_assert_true(v->nat_bits & DDI_NAT_MSS);
    g_assert_false(v->nat_bits & DDI_NAT_PORT);
    g_assert_nonnull(strstr(v->nat_reason, "window 64240 = 44 x 1460 but MSS is 1452"));
    g_assert_true(v->link.pppoe);
    g_assert_cmpuint(v->link.mtu, ==, 1492);
    g_free(v);
    cap_free(c);
}

/* Windows 2000/XP/2003 with RFC 1323 on: an exact match in ddi.fp */
static uint32_t feed_xp1323(capture *c, const char *src, const char *dst, uint16_t sport, uint32_t isn, uint16_t id,
                            double ts)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = 117, .df = true, .id = id};
    pb_tcp t = {.sport = sport, .dport = 445, .seq = isn, .flags = DDI_TH_SYN, .win = 65535, SEED_OPTS};
    return feed_tcp(c, &ip, &t, ts);
}

static void test_multi_os_one_address(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    /* a heuristic label (no signature) is no baseline: it neither sets the
     * first family nor contradicts it */
    uint32_t f0 = feed_xp(c, "192.0.2.200", "198.51.100.4", 1099, 445, 9, 490, T0 - 1);
    uint32_t f1 = feed_xp1323(c, "192.0.2.200", "198.51.100.5", 1100, 1, 500, T0);
    uint32_t f2 = feed_linux(c, "192.0.2.200", "198.51.100.6", 40000, 22, 2, 9000, 1, T0 + 1);
    uint32_t f3 = feed_xp1323(c, "192.0.2.200", "198.51.100.7", 1101, 3, 505, T0 + 2);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    verdict(c, f0, v);
    g_assert_cmpint(v->os.match, ==, DDI_OSM_HEURISTIC);
    verdict(c, f1, v);
    g_assert_cmpint(v->os.match, ==, DDI_OSM_EXACT);
    g_assert_false(v->nat_bits & DDI_NAT_MULTI_OS);
    verdict(c, f2, v);
    g_assert_cmpint(v->os.family, ==, DDI_OS_LINUX);
    g_assert_cmpint(v->os.match, ==, DDI_OSM_EXACT);
    g_assert_true(v->nat_bits & DDI_NAT_MULTI_OS);
    g_assert_nonnull(strstr(v->nat_reason, "also sent Windows SYNs"));
    verdict(c, f3, v); /* sticky */
    g_assert_true(v->nat_bits & DDI_NAT_MULTI_OS);
    verdict(c, f0, v);
    g_assert_false(v->nat_bits & DDI_NAT_MULTI_OS);
    g_free(v);
    cap_free(c);
}

/* A tool's packet: no OS family, no link claim from the MSS it hard-codes,
 * no NAT (the ZMap build with MSS 536 that was "Linux (barebone)", a
 * dial-up link and NAT). */
static void test_tool_packet_claims_nothing(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    pb_ip ip = {.src = "192.0.2.90", .dst = "198.51.100.5", .ttl = 250, .id = 54321};
    pb_tcp t = {.sport = 3092, .dport = 80, .seq = 5, .flags = DDI_TH_SYN, .win = 65535, PB_OPTS(PB_MSS(536))};
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    for (int i = 0; i < 3; i++) {
        char dst[32];
        g_snprintf(dst, sizeof dst, "198.51.100.%d", 5 + i);
        ip.dst = dst;
        uint32_t f = feed_tcp(c, &ip, &t, T0 + i);
        verdict(c, f, v);
        g_assert_cmpint(v->tool, ==, DDI_TOOL_ZMAP);
        g_assert_false(v->has_os);
        g_assert_false(v->has_mss);
        g_assert_cmpuint(v->nat_bits, ==, 0);
        g_assert_null(strstr(v->summary, "MTU"));
    }
    /* nmap -O's T5 probe (MSS 265): no "MTU 305" */
    pb_ip ip2 = {.src = "192.0.2.91", .dst = "198.51.100.5", .ttl = 50, .id = 7};
    pb_tcp t5 = {.sport = 40000, .dport = 1, .seq = 9, .flags = DDI_TH_SYN, .win = 31337,
                 PB_OPTS(PB_WS(10), PB_NOP, PB_MSS(265), PB_TS(0xffffffff, 0), PB_SOK)};
    uint32_t f = feed_tcp(c, &ip2, &t5, T0 + 5);
    verdict(c, f, v);
    g_assert_cmpint(v->tool, ==, DDI_TOOL_NMAP_OS);
    g_assert_false(v->has_mss);
    g_assert_null(strstr(v->summary, "MTU"));
    g_free(v);
    cap_free(c);
}

/* ------------------------------------------- text or no text, same values */

static void test_explain_levels(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    feed_seed(c, 32569, T0);
    uint32_t f2 = feed_seed(c, 32638, T0 + SEED_DT);
    ddi_verdict *all = g_new0(ddi_verdict, 1), *v = g_new0(ddi_verdict, 1);
    verdict(c, f2, all);
    static const unsigned levels[] = {0, DDI_EXPLAIN_SUMMARY, DDI_EXPLAIN_EVIDENCE, DDI_EXPLAIN_SENDER};
    g_assert_cmpint(all->sender, !=, DDI_SENDER_UNKNOWN); /* so that leaving it out shows */
    for (size_t i = 0; i < G_N_ELEMENTS(levels); i++) {
        ddi_verdict_build_ex(&c->st, c->db, &c->pkts[f2 - 1], rec_of(c, f2), levels[i], v);
        /* the values never depend on which text is wanted */
        g_assert_cmpint(v->has_gap, ==, all->has_gap);
        g_assert_cmpuint(v->gap, ==, all->gap);
        g_assert_cmpfloat(v->rate, ==, all->rate);
        g_assert_cmpint(v->ipid_class, ==, all->ipid_class);
        g_assert_cmpuint(v->retry_count, ==, all->retry_count);
        g_assert_cmpint(v->os.family, ==, all->os.family);
        g_assert_cmpint(v->os.era, ==, all->os.era);
        g_assert_cmpint(v->os.match, ==, all->os.match);
        g_assert_cmpuint(v->os.fp.ittl, ==, all->os.fp.ittl);
        g_assert_cmpuint(v->link.mtu, ==, all->link.mtu);
        g_assert_cmpuint(v->nat_bits, ==, all->nat_bits);
        g_assert_cmpint(v->conficker, ==, all->conficker);
        if (levels[i] & DDI_EXPLAIN_EVIDENCE)
            g_assert_cmpstr(v->nat_reason, ==, all->nat_reason);
        else
            g_assert_cmpstr(v->nat_reason, ==, "");
        if (levels[i] & DDI_EXPLAIN_SUMMARY)
            g_assert_cmpstr(v->summary, ==, all->summary);
        else
            g_assert_cmpstr(v->summary, ==, "");
        /* the whole-capture sender verdict only when asked for */
        if (levels[i] & DDI_EXPLAIN_SENDER) {
            g_assert_cmpint(v->sender, ==, all->sender);
            g_assert_cmpstr(v->sender_why, ==, all->sender_why);
        } else {
            g_assert_cmpint(v->sender, ==, DDI_SENDER_UNKNOWN);
        }
    }
    g_free(all);
    g_free(v);
    cap_free(c);
}

/* ------------------------------------------ RFC 6864 atomic datagrams */

static void test_atomic_zero_ids(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    /* macOS-like: DF and IP ID 0 on every SYN */
    pb_ip ip = {.src = "192.0.2.30", .dst = "198.51.100.8", .ttl = 64, .df = true, .id = 0};
    pb_tcp t = {.sport = 50001, .dport = 443, .seq = 9, .flags = DDI_TH_SYN, .win = 65535,
                PB_OPTS(PB_MSS(1460), PB_NOP, PB_WS(6), PB_NOP, PB_NOP, PB_TS(100, 0), PB_SOK, PB_EOL, PB_EOL)};
    uint32_t f[3];
    for (int i = 0; i < 3; i++)
        f[i] = feed_tcp(c, &ip, &t, T0 + i);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    verdict(c, f[0], v);
    g_assert_false(v->has_gap);
    verdict(c, f[2], v);
    g_assert_false(v->has_gap); /* an ID of 0 with DF says nothing: no gap */
    g_assert_false(v->has_rate);
    g_assert_cmpint(v->ipid_class, ==, DDI_IPID_ZERO);
    g_assert_cmpuint(v->retry_count, ==, 2);

    /* a global counter with a zero-ID DF packet in between: the gap and its
     * time are measured from the last packet that carried a counter value */
    uint32_t a = feed_xp(c, "203.0.113.40", "198.51.100.9", 1200, 445, 1, 5000, T0 + 10);
    pb_ip rst_ip = {.src = "203.0.113.40", .dst = "198.51.100.9", .ttl = 117, .df = true, .id = 0};
    pb_tcp rst = {.sport = 1200, .dport = 445, .seq = 2, .flags = DDI_TH_RST, .win = 0};
    uint32_t r = feed_tcp(c, &rst_ip, &rst, T0 + 11);
    uint32_t b = feed_xp(c, "203.0.113.40", "198.51.100.10", 1201, 445, 3, 5010, T0 + 12);
    verdict(c, r, v);
    g_assert_false(v->has_gap);
    verdict(c, b, v);
    g_assert_true(v->has_gap);
    g_assert_cmpuint(v->gap, ==, 10);
    g_assert_cmpfloat_with_epsilon(v->dt, 2.0, 1e-6);
    g_assert_cmpint(v->ipid_class, ==, DDI_IPID_GLOBAL);
    g_assert_true(v->has_rate);
    g_assert_cmpfloat_with_epsilon(v->rate, 5.0, 1e-5);
    (void)a;
    g_free(v);
    cap_free(c);
}

/* ----------------------------------------------------- odd inputs, limits */

static void test_unparsable_and_other_l4(void)
{
    capture *c = cap_new(DB_NONE, 0, 0);
    static const uint8_t junk[] = {0x55, 1, 2, 3};
    uint32_t f = feed_bytes(c, junk, sizeof junk, T0);
    g_assert_null(ddi_state_frame_peek(&c->st, f)); /* not analysed */
    g_assert_cmpuint(c->st.packets, ==, 0);
    g_assert_cmpuint(ddi_state_source_count(&c->st), ==, 0);

    /* UDP then ICMP from one source: IP-ID gap across protocols, no SYN fields */
    uint8_t b[PB_MAX];
    pb_ip ip = {.src = "192.0.2.5", .dst = "198.51.100.5", .ttl = 60, .id = 100};
    size_t n = pb_udp_pkt(b, &ip, 1, 2, 0);
    uint32_t fu = feed_bytes(c, b, n, T0 + 1);
    ip.id = 110;
    n = pb_icmp_pkt(b, &ip, 8, 0, 1, 1, NULL, 0);
    uint32_t fi = feed_bytes(c, b, n, T0 + 2);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    verdict(c, fu, v);
    g_assert_false(v->has_gap);
    g_assert_false(v->syn);
    g_assert_false(v->has_os);
    g_assert_false(v->has_mss);
    g_assert_false(v->conn_known);
    verdict(c, fi, v);
    g_assert_true(v->has_gap);
    g_assert_cmpuint(v->gap, ==, 10);
    g_assert_cmpfloat_with_epsilon(v->dt, 1.0, 1e-6);
    g_assert_false(v->conn_known);
    g_assert_cmpuint(v->retry_count, ==, 0);

    /* IPv6: no IP ID, no gap */
    pb_ip ip6 = {.src = "2001:db8::5", .dst = "2001:db8::6", .ttl = 64};
    pb_tcp t = {.sport = 40000, .dport = 22, .seq = 9, .flags = DDI_TH_SYN, .win = 64800,
                PB_OPTS(PB_MSS(1440), PB_SOK, PB_TS(5, 0), PB_NOP, PB_WS(7))};
    uint32_t f6a = feed_tcp(c, &ip6, &t, T0 + 3);
    uint32_t f6b = feed_tcp(c, &ip6, &t, T0 + 4);
    verdict(c, f6b, v);
    g_assert_false(v->has_gap);
    g_assert_cmpuint(v->retry_count, ==, 1);
    g_assert_cmpuint(v->link.mtu, ==, 1500);
    g_assert_cmpint(v->os.family, ==, DDI_OS_LINUX);
    verdict(c, f6a, v);
    g_assert_cmpuint(v->retry_count, ==, 0);
    g_free(v);
    cap_free(c);
}

static void test_limits(void)
{
    capture *c = cap_new(DB_NONE, 1, 1);
    uint32_t f1 = feed_seed(c, 32569, T0);
    /* a second source: table full */
    uint32_t fx = feed_xp(c, "203.0.113.20", "198.51.100.77", 1090, 445, 1, 2817, T0 + 1);
    ddi_frame_rec *rx = ddi_state_frame(&c->st, fx);
    g_assert_false(rx->flags & DDI_FR_ANALYSED);
    g_assert_true(rx->flags & DDI_FR_SRC_FULL);
    g_assert_cmpuint(c->st.src_dropped, ==, 1);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    ddi_verdict_build(&c->st, c->db, &c->pkts[fx - 1], rx, v); /* must not crash */
    g_assert_null(v->src);
    g_assert_false(v->has_gap);
    g_assert_false(v->conn_known);
    g_assert_cmpint(v->os.family, ==, DDI_OS_WINDOWS); /* the packet alone still says this */

    /* a second connection of the known source: connection table full */
    pb_ip ip = {.src = SEED_SRC, .dst = "198.51.100.24", .ttl = 113, .df = true, .id = 32600};
    pb_tcp t = {.sport = 21270, .dport = 445, .seq = 1, .flags = DDI_TH_SYN, .win = 65535, SEED_OPTS};
    uint32_t fc = feed_tcp(c, &ip, &t, T0 + 2);
    const ddi_frame_rec *rc = rec_of(c, fc);
    g_assert_true(rc->flags & DDI_FR_CONN_FULL);
    g_assert_false(rc->flags & DDI_FR_HAS_CONN);
    g_assert_true(rc->flags & DDI_FR_HAS_GAP); /* the source is still tracked */
    g_assert_cmpuint(c->st.conn_dropped, ==, 1);
    verdict(c, fc, v);
    g_assert_false(v->conn_known);
    g_assert_cmpuint(v->gap, ==, 31);
    /* the first connection still counts its retry */
    uint32_t f2 = feed_seed(c, 32638, T0 + SEED_DT);
    verdict(c, f2, v);
    g_assert_cmpuint(v->retry_count, ==, 1);
    g_assert_true(v->conn_known);
    verdict(c, f1, v);
    g_assert_cmpuint(v->retry_count, ==, 0);
    g_free(v);
    cap_free(c);
}

static void test_retry_count_saturates(void)
{
    capture *c = cap_new(DB_NONE, 0, 0);
    uint32_t last = 0;
    for (int i = 0; i < 20; i++)
        last = feed_xp(c, "203.0.113.20", "198.51.100.77", 1090, 445, 1, (uint16_t)(100 + i * 7), T0 + i);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    verdict(c, last, v);
    g_assert_cmpuint(v->retry_count, ==, 15);
    g_assert_cmpuint(v->conn.count, ==, 20);
    verdict(c, 15, v);
    g_assert_cmpuint(v->retry_count, ==, 14);
    g_free(v);
    cap_free(c);
}


/* -------------------------------------- what the capture shows answered */

static uint32_t feed_flags(capture *c, const char *src, const char *dst, uint16_t sport, uint16_t dport, uint32_t seq,
                           uint32_t ack, uint16_t flags, double ts)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = 64, .df = true, .id = (uint16_t)(c->n * 7 + 1)};
    pb_tcp t = {.sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags, .win = 64240};
    return feed_tcp(c, &ip, &t, ts);
}

static uint32_t feed_udp(capture *c, const char *src, const char *dst, uint16_t sport, uint16_t dport, uint8_t ttl,
                         double ts)
{
    uint8_t b[PB_MAX];
    pb_ip ip = {.src = src, .dst = dst, .ttl = ttl, .id = (uint16_t)(c->n * 7 + 1)};
    return feed_bytes(c, b, pb_udp_pkt(b, &ip, sport, dport, 12), ts);
}

static uint32_t feed_echo(capture *c, const char *src, const char *dst, uint8_t type, uint16_t id, uint16_t seq,
                          double ts)
{
    uint8_t b[PB_MAX];
    pb_ip ip = {.src = src, .dst = dst, .ttl = 64, .id = (uint16_t)(c->n * 7 + 1)};
    return feed_bytes(c, b, pb_icmp_pkt(b, &ip, type, 0, id, seq, NULL, 16), ts);
}

/* An ICMP error from `router` to `to` quoting the first 8 bytes after the
 * IP header of `quoted` (as RFC 792 routers do). */
static uint32_t feed_icmp_err(capture *c, const char *router, const char *to, uint8_t type, uint8_t code,
                              const uint8_t *quoted, size_t qlen, double ts)
{
    uint8_t b[PB_MAX];
    pb_ip ip = {.src = router, .dst = to, .ttl = 250, .id = (uint16_t)(c->n * 7 + 1)};
    return feed_bytes(c, b, pb_icmp_pkt(b, &ip, type, code, 0, 0, quoted, qlen), ts);
}

/* Verdict on every pass, checked against the one built in the first pass. */
static void verdict_pit(const capture *c, uint32_t frame, ddi_verdict *v)
{
    verdict(c, frame, v);
    assert_same_point_in_time(v, &c->first_pass[frame - 1]);
}

static void test_client_capture_is_two_way(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    const char *me = "192.0.2.10", *srv = "203.0.113.5", *v1 = "198.51.100.60", *v2 = "198.51.100.61";
    /* before the capture shows any exchange: a SYN-ACK nobody asked for */
    uint32_t bs1 = feed_flags(c, v1, me, 80, 1111, 500, 777, DDI_TH_SYN | DDI_TH_ACK, T0);
    /* the client's own connection to 445, retried once at 3 s, then answered */
    uint32_t syn = feed_xp(c, me, srv, 50000, 445, 1000, 100, T0 + 1);
    uint32_t syn2 = feed_xp(c, me, srv, 50000, 445, 1000, 101, T0 + 4);
    uint32_t sa = feed_flags(c, srv, me, 445, 50000, 9000, 1001, DDI_TH_SYN | DDI_TH_ACK, T0 + 4.05);
    uint32_t ack = feed_flags(c, me, srv, 50000, 445, 1001, 9001, DDI_TH_ACK, T0 + 4.06);
    uint32_t rst_own = feed_flags(c, me, srv, 50000, 445, 1001, 0, DDI_TH_RST, T0 + 5);
    uint32_t rst_ans = feed_flags(c, srv, me, 445, 50000, 9001, 1001, DDI_TH_RST | DDI_TH_ACK, T0 + 5.1);
    /* after the exchange: another unexplained SYN-ACK */
    uint32_t bs2 = feed_flags(c, v2, me, 443, 2222, 600, 888, DDI_TH_SYN | DDI_TH_ACK, T0 + 6);
    feed_flags(c, "198.51.100.99", "198.51.100.98", 1, 2, 3, 0, DDI_TH_SYN, T0 + 30); /* the capture goes on */

    verdict_pit(c, bs1, v);
    g_assert_true(v->has_bs);
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_NONE);
    g_assert_false(v->two_way); /* point-in-time: nothing answered yet */
    g_assert_null(strstr(v->bs_evidence, "two-way"));

    verdict_pit(c, sa, v);
    g_assert_false(v->has_bs);
    g_assert_cmpint(v->bs.kind, ==, DDI_BS_SYNACK); /* the class stays known */
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_ANSWERS_SYN);
    g_assert_true(v->two_way);
    g_assert_true(v->two_way_here);
    g_assert_cmpuint(v->two_way_frame, ==, sa);
    g_assert_nonnull(strstr(v->bs_evidence, "answers the SYN 192.0.2.10:50000"));
    g_assert_nonnull(strstr(v->bs_evidence, "not backscatter"));
    g_assert_null(strstr(v->summary, "backscatter"));
    uint32_t ff;
    double fts;
    g_assert_true(ddi_state_two_way(&c->st, 0, &ff, &fts));
    g_assert_cmpuint(ff, ==, sa);
    g_assert_cmpfloat(fts, ==, T0 + 4.05);
    g_assert_false(ddi_state_two_way(&c->st, sa - 1, NULL, NULL));

    verdict_pit(c, ack, v);
    g_assert_false(v->has_bs);
    g_assert_false(v->two_way_here); /* said once */
    verdict_pit(c, rst_own, v);
    g_assert_false(v->has_bs);
    /* the server's SYN-ACK came first: the client's RST answers it */
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_ANSWERS_PKT);
    verdict_pit(c, rst_ans, v);
    g_assert_false(v->has_bs);
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_ANSWERS_SYN); /* the client opened this connection */

    verdict_pit(c, bs2, v);
    g_assert_true(v->has_bs); /* no SYN of it was seen: still a candidate, qualified */
    g_assert_true(v->two_way);
    g_assert_false(v->two_way_here);
    g_assert_nonnull(strstr(v->bs_evidence, "two-way (since frame"));
    g_assert_nonnull(strstr(v->summary, "possible backscatter SYN-ACK"));

    /* an answered connection is no Conficker-style give-up, and answered
     * SYNs are no evidence of a stateless sender */
    verdict_pit(c, syn2, v);
    g_assert_cmpuint(v->retry_count, ==, 1);
    g_assert_true(v->conn.answered);
    g_assert_cmpint(v->conficker, ==, DDI_CONF_NA);
    g_assert_cmpint(v->sender, ==, DDI_SENDER_STATEFUL);
    uint32_t ci = ddi_state_source_find(&c->st, &c->pkts[syn - 1].src);
    const ddi_source *cl = ddi_state_source(&c->st, ci);
    g_assert_cmpuint(cl->syns, ==, 2);
    g_assert_cmpuint(ddi_state_whole(&c->st, ci)->syns_dup, ==, 0);
    g_assert_true(cl->flags & DDI_SRC_ANSWERED); /* seen from the server's SYN-ACK */
    g_free(v);
    cap_free(c);
}

static void test_answered_syns_are_no_stateless_evidence(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    /* a client opening 3 connections, each answered at once */
    uint32_t f = 0;
    for (uint16_t i = 0; i < 3; i++) {
        f = feed_linux(c, "192.0.2.20", "203.0.113.7", (uint16_t)(40000 + i), 443, 7000u + i, (uint16_t)(10 + i),
                       1000, T0 + i);
        feed_flags(c, "203.0.113.7", "192.0.2.20", 443, (uint16_t)(40000 + i), 1, 7001u + i, DDI_TH_SYN | DDI_TH_ACK,
                   T0 + i + 0.01);
    }
    feed_flags(c, "198.51.100.99", "198.51.100.98", 1, 2, 3, 0, DDI_TH_SYN, T0 + 60);
    verdict(c, f, v);
    g_assert_cmpint(v->sender, ==, DDI_SENDER_UNKNOWN);
    /* the client never sent its handshake ACK here: the servers' SYN-ACKs
     * are what shows the SYNs answered */
    const ddi_source *cl = ddi_state_source(&c->st, ddi_state_source_find(&c->st, &c->pkts[f - 1].src));
    g_assert_true(cl->flags & DDI_SRC_ANSWERED);
    /* a scanner whose SYNs go unanswered stays stateless */
    for (uint16_t i = 0; i < 4; i++)
        f = feed_flags(c, "192.0.2.21", "203.0.113.8", 40000, (uint16_t)(20 + i), 5, 0, DDI_TH_SYN, T0 + 61 + i);
    feed_flags(c, "198.51.100.99", "198.51.100.98", 1, 2, 3, 0, DDI_TH_SYN, T0 + 90);
    verdict(c, f, v);
    g_assert_cmpint(v->sender, ==, DDI_SENDER_STATELESS);
    g_free(v);
    cap_free(c);
}

static void test_own_connection_rst(void)
{
    capture *c = cap_new(DB_NONE, 0, 0);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    /* a spoofed flood: each forged source sends a SYN, then an RST (one-way) */
    feed_flags(c, "198.51.100.70", "192.0.2.1", 3000, 30120, 42, 0, DDI_TH_SYN, T0);
    uint32_t r = feed_flags(c, "198.51.100.70", "192.0.2.1", 3000, 30120, 43, 0, DDI_TH_RST, T0 + 0.5);
    /* an RST from a host that sent nothing of that connection before */
    uint32_t r2 = feed_flags(c, "198.51.100.71", "192.0.2.1", 3001, 30120, 43, 0, DDI_TH_RST, T0 + 0.6);
    verdict_pit(c, r, v);
    g_assert_false(v->has_bs);
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_OWN_CONN);
    g_assert_nonnull(strstr(v->bs_evidence, "closes a connection in which it sent packets earlier"));
    g_assert_false(v->two_way); /* the other side never spoke */
    verdict_pit(c, r2, v);
    g_assert_true(v->has_bs);
    g_assert_false(ddi_state_two_way(&c->st, 0, NULL, NULL));

    /* a backscatter victim's retransmitted SYN-ACKs and its later RST stay
     * backscatter: its own earlier packets there were backscatter too */
    uint32_t s1 = feed_flags(c, "203.0.113.50", "192.0.2.2", 80, 5555, 77, 1, DDI_TH_SYN | DDI_TH_ACK, T0 + 1);
    feed_flags(c, "203.0.113.50", "192.0.2.2", 80, 5555, 77, 1, DDI_TH_SYN | DDI_TH_ACK, T0 + 2);
    uint32_t s3 = feed_flags(c, "203.0.113.50", "192.0.2.2", 80, 5555, 78, 0, DDI_TH_RST, T0 + 3);
    for (uint32_t f = s1; f <= s3; f++) {
        verdict_pit(c, f, v);
        g_assert_true(v->has_bs);
    }
    g_assert_false(ddi_state_two_way(&c->st, 0, NULL, NULL));

    /* a scanner host: raw SYN out, the target's SYN-ACK, the kernel's RST */
    feed_flags(c, "192.0.2.3", "203.0.113.9", 61000, 22, 1000, 0, DDI_TH_SYN, T0 + 4);
    uint32_t sa = feed_flags(c, "203.0.113.9", "192.0.2.3", 22, 61000, 5, 1001, DDI_TH_SYN | DDI_TH_ACK, T0 + 4.1);
    uint32_t kr = feed_flags(c, "192.0.2.3", "203.0.113.9", 61000, 22, 1001, 0, DDI_TH_RST, T0 + 4.2);
    verdict_pit(c, sa, v);
    g_assert_false(v->has_bs);
    g_assert_true(v->two_way_here);
    verdict_pit(c, kr, v);
    g_assert_false(v->has_bs);
    g_assert_cmpint(v->bs_seen, !=, DDI_BS_SEEN_NONE);
    g_free(v);
    cap_free(c);
}

static void test_traceroute_and_ping(void)
{
    capture *c = cap_new(DB_NONE, 0, 0);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    const char *me = "192.0.2.40", *dst = "203.0.113.44", *r1 = "198.51.100.1";
    /* UDP traceroute: a probe with TTL 1, the first router's time exceeded */
    uint8_t q[PB_MAX];
    pb_ip qip = {.src = me, .dst = dst, .ttl = 1, .id = 9};
    size_t qn = pb_udp_pkt(q, &qip, 44000, 33434, 32);
    feed_bytes(c, q, qn, T0);
    uint32_t te = feed_icmp_err(c, r1, me, 11, 0, q, 20 + 8, T0 + 0.001);
    verdict_pit(c, te, v);
    g_assert_false(v->has_bs);
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_QUOTES_SENT);
    g_assert_true(v->two_way_here);
    g_assert_nonnull(strstr(v->bs_evidence, "ICMP time exceeded from 198.51.100.1 is about a packet seen sent"));
    g_assert_null(strstr(v->summary, dst)); /* never attributed to the quoted destination */

    /* ICMP traceroute: the quoted packet is an echo request */
    uint8_t e[PB_MAX];
    size_t en = pb_icmp_pkt(e, &qip, 8, 0, 0x4242, 3, NULL, 32);
    feed_bytes(c, e, en, T0 + 1);
    uint32_t te2 = feed_icmp_err(c, r1, me, 11, 0, e, 20 + 8, T0 + 1.001);
    verdict_pit(c, te2, v);
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_QUOTES_SENT);
    /* a time exceeded about a probe the capture never showed stays backscatter */
    pb_ip fip = {.src = me, .dst = dst, .ttl = 1, .id = 10};
    size_t fn = pb_udp_pkt(q, &fip, 44001, 33435, 32);
    uint32_t te3 = feed_icmp_err(c, r1, me, 11, 0, q, 20 + 8, T0 + 2);
    (void)fn;
    verdict_pit(c, te3, v);
    g_assert_true(v->has_bs);
    g_assert_true(v->two_way);

    /* ping: the reply to a seen request is no backscatter; one to an unseen
     * request is */
    feed_echo(c, me, dst, 8, 7, 1, T0 + 3);
    uint32_t rep = feed_echo(c, dst, me, 0, 7, 1, T0 + 3.01);
    uint32_t rep2 = feed_echo(c, dst, me, 0, 7, 2, T0 + 3.02);
    verdict_pit(c, rep, v);
    g_assert_false(v->has_bs);
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_ANSWERS_REQ);
    verdict_pit(c, rep2, v);
    g_assert_true(v->has_bs);

    /* a client's port unreachable for a late answer to its own query */
    feed_udp(c, me, "203.0.113.53", 5353, 53, 64, T0 + 4);
    pb_ip aip = {.src = "203.0.113.53", .dst = me, .ttl = 60, .id = 11};
    size_t an = pb_udp_pkt(q, &aip, 53, 5353, 40);
    (void)an;
    uint32_t pu = feed_icmp_err(c, me, "203.0.113.53", 3, 3, q, 20 + 8, T0 + 5);
    verdict_pit(c, pu, v);
    g_assert_false(v->has_bs);
    g_assert_cmpint(v->bs_seen, ==, DDI_BS_SEEN_QUOTES_REPLY);
    g_free(v);
    cap_free(c);
}

static void test_telescope_stays_one_way(void)
{
    capture *c = cap_new(DB_NONE, 0, 0);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    /* a darknet that never sends: every reply is backscatter */
    uint32_t f[4];
    f[0] = feed_flags(c, "203.0.113.80", "192.0.2.77", 80, 51234, 1, 2, DDI_TH_SYN | DDI_TH_ACK, T0);
    f[1] = feed_flags(c, "203.0.113.81", "192.0.2.77", 22, 4001, 1, 2, DDI_TH_RST | DDI_TH_ACK, T0 + 1);
    f[2] = feed_echo(c, "203.0.113.82", "192.0.2.77", 0, 1, 1, T0 + 2);
    uint8_t q[PB_MAX];
    pb_ip qip = {.src = "192.0.2.77", .dst = "203.0.113.83", .ttl = 3, .id = 9};
    size_t qn = pb_udp_pkt(q, &qip, 1234, 53, 32);
    f[3] = feed_icmp_err(c, "198.51.100.1", "192.0.2.77", 11, 0, q, 20 + 8, T0 + 3);
    (void)qn;
    /* scanners' SYNs in between change nothing */
    feed_flags(c, "198.51.100.9", "192.0.2.77", 40000, 23, 1, 0, DDI_TH_SYN, T0 + 4);
    for (int i = 0; i < 4; i++) {
        verdict_pit(c, f[i], v);
        g_assert_true(v->has_bs);
        g_assert_false(v->two_way);
        g_assert_null(strstr(v->bs_evidence, "two-way"));
    }
    /* a fingerprint collision (seen.h: about n / 2^32 a lookup) must not make
     * a victim's RST "its own connection": the victim sent only backscatter,
     * so its RSTs are not looked up at all */
    const ddi_pkt *rp = &c->pkts[f[1] - 1];
    ddi_seen_add(&c->st.seen, ddi_seen_key(DDI_SEEN_TCP, 0, &rp->src, &rp->dst, 22, 4002));
    uint32_t r = feed_flags(c, "203.0.113.81", "192.0.2.77", 22, 4002, 1, 2, DDI_TH_RST | DDI_TH_ACK, T0 + 5);
    verdict_pit(c, r, v);
    g_assert_true(v->has_bs);
    /* the same for a victim answering forged UDP probes with port
     * unreachables: it sends only ICMP errors, so "does the quoted probe
     * answer a flow the victim opened" is never looked up */
    uint8_t probe[PB_MAX];
    pb_ip pip = {.src = "192.0.2.77", .dst = "203.0.113.84", .ttl = 50, .id = 3};
    pb_udp_pkt(probe, &pip, 1234, 53, 32);
    uint32_t u1 = feed_icmp_err(c, "203.0.113.84", "192.0.2.77", 3, 3, probe, 20 + 8, T0 + 6);
    const ddi_pkt *up = &c->pkts[u1 - 1];
    ddi_seen_add(&c->st.seen, ddi_seen_key(DDI_SEEN_UDP, 0, &up->src, &up->dst, 53, 1234));
    uint32_t u2 = feed_icmp_err(c, "203.0.113.84", "192.0.2.77", 3, 3, probe, 20 + 8, T0 + 7);
    for (uint32_t f2 = u1; f2 <= u2; f2 += u2 - u1) {
        verdict_pit(c, f2, v);
        g_assert_true(v->has_bs);
    }
    g_assert_false(ddi_state_two_way(&c->st, 0, NULL, NULL));
    g_free(v);
    cap_free(c);
}

static void test_duplicates_are_no_retries(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    ddi_verdict *v = g_new0(ddi_verdict, 1);
    /* a SYN, its copy 20 ms later, the real retry at 3 s and its copy */
    uint32_t f0 = feed_xp(c, "192.0.2.50", "198.51.100.5", 1500, 445, 4242, 300, T0);
    uint32_t f1 = feed_xp(c, "192.0.2.50", "198.51.100.5", 1500, 445, 4242, 300, T0 + 0.02);
    uint32_t f2 = feed_xp(c, "192.0.2.50", "198.51.100.5", 1500, 445, 4242, 301, T0 + 3.0);
    uint32_t f3 = feed_xp(c, "192.0.2.50", "198.51.100.5", 1500, 445, 4242, 301, T0 + 3.19);
    feed_flags(c, "198.51.100.99", "198.51.100.98", 1, 2, 3, 0, DDI_TH_SYN, T0 + 20);
    verdict_pit(c, f0, v);
    g_assert_false(v->duplicate);
    verdict_pit(c, f1, v);
    g_assert_true(v->duplicate);
    g_assert_cmpuint(v->retry_count, ==, 0);
    g_assert_cmpfloat_with_epsilon(v->dup_iv, 0.02, 1e-5);
    g_assert_nonnull(strstr(v->summary, "duplicate SYN 0.020 s after the previous"));
    g_assert_null(strstr(v->summary, "SYN retry"));
    g_assert_null(strstr(v->os.evidence, "retry after")); /* the OS reading ignores it too */
    verdict_pit(c, f2, v);
    g_assert_false(v->duplicate);
    g_assert_cmpuint(v->retry_count, ==, 1);
    g_assert_cmpfloat_with_epsilon(v->retry_iv, 3.0, 1e-4); /* from the first SYN, not its copy */
    g_assert_cmpfloat_with_epsilon(v->retry_gap1, 3.0, 1e-4);
    verdict_pit(c, f3, v);
    g_assert_true(v->duplicate);
    /* one retry at 3 s then silence: the copies change nothing */
    g_assert_cmpuint(v->conn.count, ==, 2);
    g_assert_cmpint(v->conficker, ==, DDI_CONF_YES);
    uint32_t si = ddi_state_source_find(&c->st, &c->pkts[f0 - 1].src);
    const ddi_source *s = ddi_state_source(&c->st, si);
    g_assert_cmpuint(s->retries, ==, 1);
    g_assert_cmpuint(s->syns, ==, 2); /* the duplicates are counted apart, for the report */
    g_assert_cmpuint(ddi_state_whole(&c->st, si)->syns_dup, ==, 2);

    /* a flood source whose only SYN was duplicated: no retransmission seen */
    uint32_t g0 = feed_flags(c, "198.51.100.200", "192.0.2.1", 41885, 25565, 0x36fc0000, 0, DDI_TH_SYN, T0 + 21);
    uint32_t g1 = feed_flags(c, "198.51.100.200", "192.0.2.1", 41885, 25565, 0x36fc0000, 0, DDI_TH_SYN, T0 + 21.03);
    feed_flags(c, "198.51.100.99", "198.51.100.98", 1, 2, 3, 0, DDI_TH_SYN, T0 + 40);
    verdict(c, g1, v);
    g_assert_true(v->duplicate);
    g_assert_cmpint(v->sender, ==, DDI_SENDER_UNKNOWN);
    (void)g0;
    /* 0.2 s is the boundary: Linux's minimum RTO */
    g_assert_true(ddi_retry_is_duplicate(0.199));
    g_assert_false(ddi_retry_is_duplicate(0.2));
    g_free(v);
    cap_free(c);
}

/* The OS of a SYN-ACK's sender from p0f's [tcp:response] signatures: a
 * backscatter victim gets a name, on every pass; a SYN, and a SYN-ACK no
 * stack's signature covers, get none. */
static void test_synack_sender_os(void)
{
    capture *c = cap_new(DB_OWN, 0, 0);
    /* a Linux >= 4.20 SYN+ACK (IP ID 0, DF, mss,sok,ts,nop,ws) answering a spoofed SYN */
    pb_ip ip = {.src = "203.0.113.80", .dst = "198.51.100.9", .ttl = 52, .df = true, .id = 0};
    pb_tcp t = {.sport = 80, .dport = 51234, .seq = 1, .ack = 77, .flags = DDI_TH_SYN | DDI_TH_ACK, .win = 65340,
                PB_OPTS(PB_MSS(1452), PB_SOK, PB_TS(5, 9), PB_NOP, PB_WS(7))};
    uint32_t f = feed_tcp(c, &ip, &t, 1.0);
    const ddi_verdict *v = &c->first_pass[f - 1];
    g_assert_true(v->has_bs);
    g_assert_true(v->has_synack_os);
    g_assert_cmpstr(v->synack_os, ==, "Linux 4.20 and newer");
    g_assert_cmpint(v->synack_fp.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(ddi_match_name(v->synack_fp.kind), ==, "exact");
    /* a later pass reads the same from the packet alone */
    ddi_verdict again;
    ddi_verdict_build(&c->st, c->db, &c->pkts[f - 1], ddi_state_frame_peek(&c->st, f), &again);
    g_assert_true(again.has_synack_os);
    g_assert_cmpstr(again.synack_os, ==, v->synack_os);
    /* the same options on a SYN: a client, no SYN-ACK sender OS */
    t.flags = DDI_TH_SYN;
    t.ack = 0;
    ip.src = "203.0.113.81";
    f = feed_tcp(c, &ip, &t, 2.0);
    g_assert_false(c->first_pass[f - 1].has_synack_os);
    /* a SYN-ACK layout no signature has (WS first) */
    pb_tcp odd = {.sport = 443, .dport = 40000, .seq = 9, .ack = 5, .flags = DDI_TH_SYN | DDI_TH_ACK, .win = 1000,
                  PB_OPTS(PB_WS(3), PB_NOP, PB_MSS(1460))};
    ip.src = "203.0.113.82";
    f = feed_tcp(c, &ip, &odd, 3.0);
    g_assert_true(c->first_pass[f - 1].has_bs);
    g_assert_false(c->first_pass[f - 1].has_synack_os);
    cap_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/analyze/seed/no-db", GINT_TO_POINTER(DB_NONE), test_seed);
    g_test_add_data_func("/analyze/seed/ddi-fp", GINT_TO_POINTER(DB_OWN), test_seed);
    g_test_add_data_func("/analyze/seed/ddi-fp+p0f-fp", GINT_TO_POINTER(DB_BOTH), test_seed);
    g_test_add_func("/analyze/seed/horizon-edge", test_seed_horizon_edge);
    g_test_add_data_func("/analyze/linux-retries/no-db", GINT_TO_POINTER(DB_NONE), test_linux_retries);
    g_test_add_data_func("/analyze/linux-retries/ddi-fp+p0f-fp", GINT_TO_POINTER(DB_BOTH), test_linux_retries);
    g_test_add_func("/analyze/xp-three-syns", test_xp_three_syns);
    g_test_add_func("/analyze/other-sources-do-not-change-verdicts", test_other_sources_do_not_change_verdicts);
    g_test_add_func("/analyze/first-pass-equals-second-pass", test_first_pass_equals_second_pass);
    g_test_add_func("/analyze/nat/ipid-interleaved", test_nat_ipid_interleaved);
    g_test_add_func("/analyze/nat/ipid-one-counter", test_nat_ipid_one_counter);
    g_test_add_func("/analyze/tool-packet-claims-nothing", test_tool_packet_claims_nothing);
    g_test_add_func("/analyze/nat/ipid-random-source", test_nat_ipid_random_source);
    g_test_add_func("/analyze/nat/mss-clamp", test_nat_mss_clamp);
    g_test_add_func("/analyze/nat/multi-os", test_multi_os_one_address);
    g_test_add_func("/analyze/ipid/atomic-zero", test_atomic_zero_ids);
    g_test_add_func("/analyze/explain-levels", test_explain_levels);
    g_test_add_func("/analyze/unparsable-and-other-l4", test_unparsable_and_other_l4);
    g_test_add_func("/analyze/limits", test_limits);
    g_test_add_func("/analyze/retry-count-saturates", test_retry_count_saturates);
    g_test_add_func("/analyze/seen/client-capture-is-two-way", test_client_capture_is_two_way);
    g_test_add_func("/analyze/seen/answered-syns-no-stateless-evidence", test_answered_syns_are_no_stateless_evidence);
    g_test_add_func("/analyze/seen/own-connection-rst", test_own_connection_rst);
    g_test_add_func("/analyze/seen/traceroute-and-ping", test_traceroute_and_ping);
    g_test_add_func("/analyze/seen/telescope-stays-one-way", test_telescope_stays_one_way);
    g_test_add_func("/analyze/retry/duplicates", test_duplicates_are_no_retries);
    g_test_add_func("/analyze/synack-sender-os", test_synack_sender_os);
    return g_test_run();
}
