/* test_os.c — OS labels that agree with the behaviour beside them
 * (plugin/core/os.c): a signature's version range that the retry schedule
 * rules out gives way to the behaviour.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <stddef.h>
#include <string.h>

#include "os.h"
#include "p0fdb.h"
#include "pktbuild.h"

#define CLASSES "classes = win,unix,other\n[tcp:request]\n"

static ddi_p0fdb *db_with(const char *label)
{
    char text[512], err[512];
    g_snprintf(text, sizeof text, CLASSES "label = %s\nsig = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+:0\n", label);
    ddi_p0fdb *db = ddi_p0fdb_new();
    ddi_p0fdb_load_string(db, "inline.fp", text, err, sizeof err);
    g_assert_cmpstr(err, ==, "");
    return db;
}

static ddi_pkt linux_syn(void)
{
    pb_ip ip = {.src = "203.0.113.10", .dst = "198.51.100.10", .ttl = 63, .df = true, .id = 7};
    pb_tcp t = {.sport = 37460, .dport = 445, .seq = 1, .flags = DDI_TH_SYN, .win = 64240,
                PB_OPTS(PB_MSS(1460), PB_SOK, PB_TS(1, 0), PB_NOP, PB_WS(10))};
    return pb_tcp_parsed(&ip, &t, 1.0);
}

static void infer(const ddi_p0fdb *db, const ddi_pkt *p, double gap1, ddi_backoff backoff, ddi_os_result *o)
{
    ddi_os_input in = {.p = p, .db = db, .retry_count = backoff ? 2 : gap1 > 0, .retry_gap1 = gap1,
                       .backoff = backoff, .ipid = DDI_IPID_UNKNOWN, .explain = true};
    ddi_os_infer(&in, o);
}

typedef struct dating_case {
    const char *label;   /* p0f label line */
    double gap1;
    ddi_backoff backoff;
    const char *want;    /* the label shown */
    bool dated;
} dating_case;

static void test_linux_dating(void)
{
    static const dating_case cases[] = {
        /* Linux 6.x in netns-stacks.pcapng: 1 s, then constant gaps */
        {"g:unix:Linux:2.2.x-3.x", 1.0, DDI_BACKOFF_LINEAR, "Linux >= 6.5", true},
        {"g:unix:Linux:2.2.x-3.x (no timestamps)", 1.02, DDI_BACKOFF_LINEAR, "Linux >= 6.5", true},
        {"s:unix:Linux:3.11 and newer", 1.0, DDI_BACKOFF_LINEAR, "Linux 3.11 and newer", false},
        {"s:unix:Linux:4.20 and newer", 1.0, DDI_BACKOFF_LINEAR, "Linux 4.20 and newer", false},
        /* a 1 s RTO fits 2.2.x-3.x (3.1 - 3.x); doubling fits too */
        {"g:unix:Linux:2.2.x-3.x", 1.0, DDI_BACKOFF_NONE, "Linux 2.2.x-3.x", false},
        {"g:unix:Linux:2.2.x-3.x", 1.0, DDI_BACKOFF_DOUBLING, "Linux 2.2.x-3.x", false},
        /* but not 2.6.x or 2.4-2.6 */
        {"s:unix:Linux:2.6.x", 1.0, DDI_BACKOFF_NONE, "Linux >= 3.1", true},
        {"s:unix:Linux:2.4-2.6", 1.0, DDI_BACKOFF_DOUBLING, "Linux 3.1-6.4", true},
        /* a 3 s RTO rules out 3.11 and newer, fits 2.6.x */
        {"s:unix:Linux:3.11 and newer", 3.0, DDI_BACKOFF_NONE, "Linux <= 3.0", true},
        {"s:unix:Linux:2.6.x", 3.0, DDI_BACKOFF_DOUBLING, "Linux 2.6.x", false},
        {"s:unix:Linux:3.1-3.10", 3.0, DDI_BACKOFF_NONE, "Linux <= 3.0", true},
        {"s:unix:Linux:3.x", 2.98, DDI_BACKOFF_NONE, "Linux 3.x", false},
        /* no retransmission, or a label without versions: nothing to reconcile */
        {"s:unix:Linux:2.6.x", 0, DDI_BACKOFF_NONE, "Linux 2.6.x", false},
        {"s:unix:Linux:(Android)", 1.0, DDI_BACKOFF_LINEAR, "Linux (Android)", false},
    };
    ddi_pkt p = linux_syn();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const dating_case *c = &cases[i];
        ddi_p0fdb *db = db_with(c->label);
        ddi_os_result o;
        infer(db, &p, c->gap1, c->backoff, &o);
        if (strcmp(o.label, c->want) || o.dated != c->dated)
            g_error("case %zu (%s, %.2f s, backoff %d): label '%s' dated %d, want '%s' %d", i, c->label, c->gap1,
                    c->backoff, o.label, o.dated, c->want, c->dated);
        g_assert_cmpint(o.family, ==, DDI_OS_LINUX);
        if (c->dated) {
            /* the evidence names the signature's label and the behaviour */
            g_assert_nonnull(strstr(o.evidence, "the signature says Linux"));
            g_assert_nonnull(strstr(o.evidence, "the label follows the behaviour"));
        }
        ddi_p0fdb_free(db);
    }
}

/* Windows doubles its SYN RTO: constant gaps are said against it. */
static void test_windows_linear(void)
{
    char err[512];
    ddi_p0fdb *db = ddi_p0fdb_new();
    ddi_p0fdb_load_string(db, "inline.fp",
                          CLASSES "label = s:win:Windows:10 or newer\nsig = *:128:0:*:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0\n",
                          err, sizeof err);
    g_assert_cmpstr(err, ==, "");
    pb_ip ip = {.src = "192.0.2.5", .dst = "198.51.100.10", .ttl = 120, .df = true, .id = 7};
    pb_tcp t = {.sport = 50000, .dport = 445, .seq = 1, .flags = DDI_TH_SYN, .win = 64240,
                PB_OPTS(PB_MSS(1460), PB_NOP, PB_WS(8), PB_NOP, PB_NOP, PB_SOK)};
    ddi_pkt p = pb_tcp_parsed(&ip, &t, 1.0);
    ddi_os_result o;
    infer(db, &p, 1.0, DDI_BACKOFF_LINEAR, &o);
    g_assert_cmpint(o.family, ==, DDI_OS_WINDOWS);
    g_assert_nonnull(strstr(o.evidence, "constant SYN gaps, where Windows doubles them"));
    infer(db, &p, 1.0, DDI_BACKOFF_DOUBLING, &o);
    g_assert_null(strstr(o.evidence, "where Windows doubles"));
    ddi_p0fdb_free(db);
}

/* The memo of fingerprint verdicts gives what a fresh verdict gives: for
 * more fingerprints than it has slots (so slots are shared and refilled),
 * for signature matches and for ddi's own rules, and never from another
 * database or from one that has changed since. */
static void os_head_equal(const ddi_os_result *a, const ddi_os_result *b, int ttl, int k)
{
    if (memcmp(a, b, offsetof(ddi_os_result, evidence)))
        g_error("TTL %d template %d: memo '%s' (family %d, match %d), fresh '%s' (family %d, match %d)", ttl, k,
                a->label, a->family, a->match, b->label, b->family, b->match);
}

static ddi_pkt memo_syn(int k, int ttl, uint16_t win)
{
    pb_ip ip = {.src = "192.0.2.5", .dst = "198.51.100.10", .ttl = (uint8_t)ttl, .df = true, .id = 7};
    pb_tcp lin = {.sport = 50000, .dport = 445, .seq = 1, .flags = DDI_TH_SYN, .win = win,
                  PB_OPTS(PB_MSS(1460), PB_SOK, PB_TS(1, 0), PB_NOP, PB_WS(10))};
    pb_tcp win10 = {.sport = 50000, .dport = 445, .seq = 1, .flags = DDI_TH_SYN, .win = win,
                    PB_OPTS(PB_MSS(1460), PB_NOP, PB_WS(8), PB_NOP, PB_NOP, PB_SOK)};
    pb_tcp bsd = {.sport = 50000, .dport = 445, .seq = 1, .flags = DDI_TH_SYN, .win = win,
                  PB_OPTS(PB_MSS(1460), PB_NOP, PB_WS(6), PB_SOK, PB_TS(1, 0))};
    const pb_tcp *t = k == 0 ? &lin : k == 1 ? &win10 : &bsd;
    return pb_tcp_parsed(&ip, t, 1.0);
}

static void memo_infer(const ddi_p0fdb *db, ddi_os_memo *memo, const ddi_pkt *p, ddi_os_result *o)
{
    ddi_os_input in = {.p = p, .db = db, .memo = memo, .ipid = DDI_IPID_UNKNOWN};
    ddi_os_infer(&in, o);
}

static void test_memo(void)
{
    char err[512];
    ddi_p0fdb *db = ddi_p0fdb_new();
    ddi_p0fdb_load_string(db, "inline.fp",
                          CLASSES "label = s:unix:Linux:3.11 and newer\nsig = *:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0\n"
                                  "label = g:win:Windows:7 or 8\nsig = *:128:0:*:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0\n"
                                  "label = s:win:Windows:10 or newer\nsig = *:128:0:*:64240,8:mss,nop,ws,nop,nop,sok:df,id+:0\n",
                          err, sizeof err);
    g_assert_cmpstr(err, ==, "");
    ddi_os_memo *memo = ddi_os_memo_new();
    static const uint16_t wins[] = {64240, 8192, 29200};
    /* 255 TTLs x 3 layouts x 3 windows: 2295 fingerprints for 256 slots */
    for (int round = 0; round < 2; round++)
        for (int ttl = 1; ttl <= 255; ttl++)
            for (int k = 0; k < 3; k++)
                for (size_t w = 0; w < G_N_ELEMENTS(wins); w++) {
                    ddi_pkt p = memo_syn(k, ttl, wins[w]);
                    ddi_os_result fresh, memoed;
                    memo_infer(db, NULL, &p, &fresh);
                    memo_infer(db, memo, &p, &memoed);
                    os_head_equal(&memoed, &fresh, ttl, k);
                    memo_infer(db, memo, &p, &memoed); /* now from the memo */
                    os_head_equal(&memoed, &fresh, ttl, k);
                }
    g_assert_cmpuint(ddi_os_memo_hits(memo), >=, 2 * 255 * 3 * 3);

    /* the same fingerprint against another database: matched afresh */
    ddi_pkt p = memo_syn(0, 60, 29200);
    ddi_os_result o;
    memo_infer(db, memo, &p, &o);
    g_assert_cmpstr(o.label, ==, "Linux 3.11 and newer");
    ddi_p0fdb *other = ddi_p0fdb_new();
    ddi_p0fdb_load_string(other, "other.fp",
                          CLASSES "label = s:unix:Other:kernel\nsig = *:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0\n", err,
                          sizeof err);
    uint64_t hits = ddi_os_memo_hits(memo);
    memo_infer(other, memo, &p, &o);
    g_assert_cmpstr(o.label, ==, "Other kernel");
    g_assert_cmpuint(ddi_os_memo_hits(memo), ==, hits);
    /* a database that has grown since: matched afresh, too */
    uint32_t gen = ddi_p0fdb_generation(db);
    ddi_p0fdb_load_string(db, "more.fp", CLASSES "label = s:unix:Later:one\nsig = *:64:0:*:*,*:mss:df:0\n", err,
                          sizeof err);
    g_assert_cmpuint(ddi_p0fdb_generation(db), !=, gen);
    memo_infer(db, memo, &p, &o);
    g_assert_cmpstr(o.label, ==, "Linux 3.11 and newer");
    g_assert_cmpuint(ddi_os_memo_hits(memo), ==, hits);
    memo_infer(db, memo, &p, &o);
    g_assert_cmpuint(ddi_os_memo_hits(memo), ==, hits + 1);
    g_free(memo);
    ddi_p0fdb_free(other);
    ddi_p0fdb_free(db);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/os/linux-dating", test_linux_dating);
    g_test_add_func("/os/windows-linear", test_windows_linear);
    g_test_add_func("/os/memo", test_memo);
    return g_test_run();
}
