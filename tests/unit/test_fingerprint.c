/* test_fingerprint.c — p0f-style matching of SYNs built as raw bytes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "fingerprint.h"
#include "p0fdb.h"
#include "pkt.h"

#ifndef DDI_SOURCE_DIR
#define DDI_SOURCE_DIR "."
#endif

#define P0F_FP "/etc/p0f/p0f.fp" /* Debian package p0f */
#define DDI_FP DDI_SOURCE_DIR "/signatures/ddi.fp"

/* ---------------------------------------------------------------------------
 * Packet builder: one IPv4 or IPv6 + TCP packet as it would be on the wire.
 */

typedef struct spec {
    int ver;            /* 4 (default) or 6 */
    uint8_t ttl;
    bool df;
    uint16_t ipid;
    uint8_t tos;        /* IPv4 TOS / IPv6 traffic class */
    uint32_t flow;      /* IPv6 flow label */
    const uint8_t *ipopt; /* IPv4 options, multiple of 4 bytes */
    size_t ipoptlen;
    uint16_t flags;     /* 0 = plain SYN */
    uint32_t seq, ack;
    uint16_t win;
    const uint8_t *opt; /* TCP options, multiple of 4 bytes */
    size_t optlen;
    size_t payload;
} spec;

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static size_t build(const spec *s, uint8_t *buf, size_t cap)
{
    g_assert_cmpuint(s->optlen % 4, ==, 0);
    g_assert_cmpuint(s->ipoptlen % 4, ==, 0);
    size_t tcplen = 20 + s->optlen + s->payload;
    size_t iphl = s->ver == 6 ? 40 : 20 + s->ipoptlen;
    g_assert_cmpuint(iphl + tcplen, <=, cap);
    memset(buf, 0, iphl + tcplen);
    if (s->ver == 6) {
        buf[0] = (uint8_t)(0x60 | (s->tos >> 4));
        buf[1] = (uint8_t)(((s->tos & 0x0f) << 4) | ((s->flow >> 16) & 0x0f));
        put16(buf + 2, s->flow & 0xffff);
        put16(buf + 4, (unsigned)tcplen);
        buf[6] = 6;
        buf[7] = s->ttl;
        buf[8] = 0x20, buf[9] = 0x01, buf[10] = 0x0d, buf[11] = 0xb8, buf[23] = 1; /* 2001:db8::1 */
        buf[24] = 0x20, buf[25] = 0x01, buf[26] = 0x0d, buf[27] = 0xb8, buf[39] = 2;
    } else {
        buf[0] = (uint8_t)(0x40 | (iphl / 4));
        buf[1] = s->tos;
        put16(buf + 2, (unsigned)(iphl + tcplen));
        put16(buf + 4, s->ipid);
        put16(buf + 6, s->df ? 0x4000 : 0);
        buf[8] = s->ttl;
        buf[9] = 6;
        buf[12] = 192, buf[13] = 0, buf[14] = 2, buf[15] = 1;
        buf[16] = 198, buf[17] = 51, buf[18] = 100, buf[19] = 7;
        if (s->ipoptlen)
            memcpy(buf + 20, s->ipopt, s->ipoptlen);
    }
    uint8_t *t = buf + iphl;
    put16(t, 40000);
    put16(t + 2, 445);
    put32(t + 4, s->seq ? s->seq : 0x12345678);
    put32(t + 8, s->ack);
    uint16_t fl = s->flags ? s->flags : DDI_TH_SYN;
    t[12] = (uint8_t)(((20 + s->optlen) / 4) << 4 | ((fl >> 8) & 1));
    t[13] = (uint8_t)fl;
    put16(t + 14, s->win);
    if (s->optlen)
        memcpy(t + 20, s->opt, s->optlen);
    return iphl + tcplen;
}

static ddi_pkt parse(const spec *s)
{
    uint8_t buf[256];
    size_t n = build(s, buf, sizeof buf);
    ddi_pkt p;
    g_assert_true(ddi_pkt_parse(buf, n, 0, &p));
    g_assert_true(ddi_pkt_is_tcp(&p));
    return p;
}

/* TCP option bytes */
#define MSS(v) 2, 4, (uint8_t)((v) >> 8), (uint8_t)(v)
#define NOP 1
#define WS(s) 3, 3, (s)
#define SOK 4, 2
#define TS(a, b) 8, 10, (uint8_t)((a) >> 24), (uint8_t)((a) >> 16), (uint8_t)((a) >> 8), (uint8_t)(a), \
                 (uint8_t)((b) >> 24), (uint8_t)((b) >> 16), (uint8_t)((b) >> 8), (uint8_t)(b)
#define EOL 0
#define OPTS(...) .opt = (const uint8_t[]){__VA_ARGS__}, .optlen = sizeof((const uint8_t[]){__VA_ARGS__})

/* Real-world SYN shapes (layouts per p0f.fp and docs/references.md#os-layouts). */
#define LINUX_OPTS(mss, ws) OPTS(MSS(mss), SOK, TS(123456789u, 0), NOP, WS(ws))
#define WIN7_OPTS OPTS(MSS(1460), NOP, WS(8), NOP, NOP, SOK)
#define XP_OPTS OPTS(MSS(1460), NOP, NOP, SOK)
#define MAC_OPTS(ws) OPTS(MSS(1460), NOP, WS(ws), NOP, NOP, TS(987654321u, 0), SOK, EOL, EOL)
/* the seed Conficker SYN: MSS 1410, WS 0, TSval 0 */
#define SEED_OPTS OPTS(MSS(1410), NOP, WS(0), NOP, NOP, TS(0, 0), NOP, NOP, SOK)

/* ---------------------------------------------------------------------------
 * Databases
 */

static ddi_p0fdb *p0f_db;  /* /etc/p0f/p0f.fp alone (NULL if not installed) */
static ddi_p0fdb *both_db; /* p0f.fp then ddi.fp (ddi.fp alone without p0f) */

#define NEED_P0F()                                              \
    do {                                                        \
        if (!p0f_db) {                                          \
            g_test_skip(P0F_FP " not installed (Debian p0f)");  \
            return;                                             \
        }                                                       \
    } while (0)

/* Timing limits only mean something on a plain build: valgrind (which
 * preloads its vgpreload library) or DDI_TEST_NO_TIMING turns them into
 * messages. */
static bool timing_asserts(void)
{
    const char *pre = g_getenv("LD_PRELOAD");
    return !g_getenv("DDI_TEST_NO_TIMING") && !(pre && strstr(pre, "vgpreload"));
}

static ddi_p0fdb *db_from(const char *text)
{
    char err[512];
    ddi_p0fdb *db = ddi_p0fdb_new();
    ddi_p0fdb_load_string(db, "inline.fp", text, err, sizeof err);
    g_assert_cmpstr(err, ==, "");
    return db;
}

static ddi_fp_result match(const ddi_p0fdb *db, const spec *s)
{
    ddi_pkt p = parse(s);
    ddi_fp_result r;
    bool m = ddi_fp_match(db, &p, &r);
    g_assert_cmpint(m, ==, r.kind != DDI_MATCH_NONE);
    return r;
}

static void assert_raw(const spec *s, const char *want)
{
    ddi_pkt p = parse(s);
    char raw[DDI_FP_RAW_SIG_MAX];
    ddi_fp_raw_sig(&p, raw, sizeof raw);
    g_assert_cmpstr(raw, ==, want);
}

/* ---------------------------------------------------------------------------
 * Against p0f.fp
 */

static void test_linux_311(void)
{
    NEED_P0F();
    spec s = {.ttl = 57, .df = true, .ipid = 0x1c2d, .win = 29200, LINUX_OPTS(1460, 7)};
    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.cls, ==, "unix");
    g_assert_cmpstr(r.name, ==, "Linux");
    g_assert_cmpstr(r.flavor, ==, "3.11 and newer");
    g_assert_false(r.userland);
    g_assert_false(r.generic);
    g_assert_cmpstr(r.file, ==, P0F_FP);
    g_assert_cmpuint(r.line, ==, 97);
    g_assert_cmpstr(r.sig, ==, "*:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0");
    g_assert_cmpuint(r.ittl, ==, 64);
    g_assert_cmpint(r.distance, ==, 7);
    g_assert_false(r.excess_dist);
    g_assert_false(r.random_ttl);
    assert_raw(&s, "4:57+7:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0");

    /* an MSS clamped on the path: the window is still 20 x 1460, which p0f's
     * "MTU 1500 on the wrong interface" rule recognises */
    spec c = {.ttl = 50, .df = true, .ipid = 7, .win = 29200, LINUX_OPTS(1400, 7)};
    r = match(p0f_db, &c);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.flavor, ==, "3.11 and newer");
    assert_raw(&c, "4:50+14:0:1400:mss*20,7:mss,sok,ts,nop,ws:df,id+:0");
}

static void test_windows_7(void)
{
    NEED_P0F();
    spec s = {.ttl = 120, .df = true, .ipid = 0x0ca4, .win = 8192, WIN7_OPTS};
    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.cls, ==, "win");
    g_assert_cmpstr(r.name, ==, "Windows");
    g_assert_cmpstr(r.flavor, ==, "7 or 8");
    g_assert_cmpuint(r.line, ==, 186);
    g_assert_cmpuint(r.ittl, ==, 128);
    g_assert_cmpint(r.distance, ==, 8);
    assert_raw(&s, "4:120+8:0:1460:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0");
}

static void test_windows_xp(void)
{
    NEED_P0F();
    spec s = {.ttl = 110, .df = true, .ipid = 300, .win = 65535, XP_OPTS};
    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.name, ==, "Windows");
    g_assert_cmpstr(r.flavor, ==, "XP");
    g_assert_cmpuint(r.line, ==, 178);
    g_assert_cmpint(r.distance, ==, 18);
}

static void test_macos(void)
{
    NEED_P0F();
    spec s = {.ttl = 60, .df = true, .ipid = 0xbeef, .win = 65535, MAC_OPTS(4)};
    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.name, ==, "MacOS X"); /* sic: p0f.fp spells it two ways */
    g_assert_cmpstr(r.flavor, ==, "10.9 or newer (sometimes iPhone or iPad)");
    g_assert_cmpuint(r.line, ==, 220);
    assert_raw(&s, "4:60+4:0:1460:65535,4:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0");

    /* today's Apple SYN: IP ID 0 with DF (no id+), scale 5: p0f.fp only has
     * its generic Mac OS X, fuzzily */
    spec z = {.ttl = 64, .df = true, .ipid = 0, .win = 65535, MAC_OPTS(5)};
    r = match(p0f_db, &z);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_FUZZY);
    g_assert_true(r.generic);
    g_assert_cmpstr(r.name, ==, "Mac OS X");
    assert_raw(&z, "4:64+0:0:1460:65535,5:mss,nop,ws,nop,nop,ts,sok,eol+1:df:0");
}

static void test_nmap_syn_scan(void)
{
    NEED_P0F();
    spec s = {.ttl = 50, .df = false, .ipid = 0x5bd1, .win = 1024, OPTS(MSS(1460))};
    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.cls, ==, "!");
    g_assert_true(r.userland);
    g_assert_cmpstr(r.name, ==, "NMap");
    g_assert_cmpstr(r.flavor, ==, "SYN scan");
    g_assert_true(r.random_ttl);
    g_assert_cmpuint(r.line, ==, 295);
    g_assert_cmpuint(r.ittl, ==, 64);
    g_assert_cmpint(r.distance, ==, 14); /* at most 14 hops */
    g_assert_false(r.excess_dist);
    assert_raw(&s, "4:50+14:0:1460:1024,0:mss::0");

    /* random TTL up to 64: a TTL above that is not nmap's, and userland
     * sigs never match fuzzily.  p0f 3.09b then falls back to its fuzzy
     * "Linux 2.2.x-3.x (barebone)" (initial TTL 64) for TTL 70; ddi never
     * lets a fuzzy match cross initial-TTL families (64 -> 128) */
    spec hi = s;
    hi.ttl = 70;
    r = match(p0f_db, &hi);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_NONE);
    g_assert_cmpuint(r.ittl, ==, 128); /* guessed */
    g_assert_cmpint(r.distance, ==, 58);
    spec df = s;
    df.df = true; /* adds df + id+: a quirk difference p0f does not forgive */
    r = match(p0f_db, &df);
    g_assert_false(r.userland);
}

static void test_seed_syn(void)
{
    NEED_P0F();
    spec s = {.ttl = 113, .df = true, .ipid = 0x2a1b, .win = 65535, SEED_OPTS};
    assert_raw(&s, "4:113+15:0:1410:65535,0:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0");

    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_NONE); /* p0f.fp has no sig for it */
    g_assert_cmpstr(r.name, ==, "");
    g_assert_cmpstr(r.sig, ==, "");
    g_assert_cmpuint(r.ittl, ==, 128);
    g_assert_cmpint(r.distance, ==, 15);

    r = match(both_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.cls, ==, "win");
    g_assert_cmpstr(r.name, ==, "Windows");
    g_assert_cmpstr(r.flavor, ==, "2000/XP/2003 (RFC 1323 on)");
    g_assert_cmpstr(r.file, ==, DDI_FP);
    g_assert_cmpstr(r.sig, ==, "*:128:0:*:*,*:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0");
    g_assert_cmpuint(r.ittl, ==, 128);
    g_assert_cmpint(r.distance, ==, 15);

}

static void test_fuzzy(void)
{
    NEED_P0F();
    /* Linux SYN without DF: df and id+ "disappear" */
    spec s = {.ttl = 61, .df = false, .ipid = 999, .win = 29200, LINUX_OPTS(1460, 7)};
    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_FUZZY);
    g_assert_cmpstr(r.name, ==, "Linux");
    g_assert_cmpstr(r.flavor, ==, "3.11 and newer");
    g_assert_false(r.generic);
    g_assert_cmpuint(r.ittl, ==, 64);
    g_assert_cmpint(r.distance, ==, 3);
    g_assert_false(r.excess_dist);
    assert_raw(&s, "4:61+3:0:1460:mss*20,7:mss,sok,ts,nop,ws::0");

    /* ... and with IP ID 0 too: id- "appears" */
    s.ipid = 0;
    r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_FUZZY);
    g_assert_cmpstr(r.flavor, ==, "3.11 and newer");

    /* ECN on (ECE+CWR in the SYN) is forgiven too */
    spec e = {.ttl = 100, .df = true, .ipid = 5, .win = 8192, .flags = DDI_TH_SYN | DDI_TH_ECE | DDI_TH_CWR,
              WIN7_OPTS};
    r = match(p0f_db, &e);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_FUZZY); /* ecn is the fuzz */
    g_assert_cmpstr(r.flavor, ==, "7 or 8");
    g_assert_cmpuint(r.ittl, ==, 128);
    /* TTL 64 under the 128 sig: p0f 3.09b takes it, ddi does not cross families */
    e.ttl = 64;
    r = match(p0f_db, &e);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_NONE);

    /* but a quirk that may not appear kills the match: PUSH on a SYN */
    spec q = {.ttl = 64, .df = true, .ipid = 5, .win = 29200, .flags = DDI_TH_SYN | DDI_TH_PUSH,
              LINUX_OPTS(1460, 7)};
    r = match(p0f_db, &q);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_NONE);
}

static void test_excess_distance(void)
{
    NEED_P0F();
    /* a Linux SYN 44 hops away: beyond p0f's MAX_DIST 35, so only fuzzy;
     * within the signature's family the stated initial TTL and distance are
     * the signature's (64 - 20), so that TTL, initial TTL and hops agree */
    spec s = {.ttl = 20, .df = true, .ipid = 1, .win = 29200, LINUX_OPTS(1460, 7)};
    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_FUZZY);
    g_assert_cmpstr(r.flavor, ==, "3.11 and newer");
    g_assert_true(r.excess_dist);
    g_assert_cmpuint(r.ittl, ==, 64);
    g_assert_cmpint(r.distance, ==, 44);

    /* a TTL above the signature's: TTL 200 cannot come from a 128 stack,
     * and TTL 255 none from a 64 one (the Cisco router of zeek
     * mixed-vlan-mpls.pcap was "Linux (barebone)" in p0f 3.09b) */
    spec w = {.ttl = 200, .df = true, .ipid = 1, .win = 8192, WIN7_OPTS};
    r = match(p0f_db, &w);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_NONE);
    g_assert_cmpuint(r.ittl, ==, 255);
    g_assert_cmpint(r.distance, ==, 55);
    assert_raw(&w, "4:200+?:0:1460:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0");
    spec cisco = {.ttl = 255, .df = false, .ipid = 1, .win = 4128, OPTS(MSS(536))};
    r = match(p0f_db, &cisco);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_NONE);
    cisco.ttl = 60; /* the same SYN with a TTL of the 64 family may match fuzzily */
    r = match(p0f_db, &cisco);
    if (r.kind != DDI_MATCH_NONE)
        g_assert_true(ddi_fp_same_ttl_family(r.ittl, 60));

    g_assert_true(ddi_fp_same_ttl_family(64, 20));
    g_assert_true(ddi_fp_same_ttl_family(64, 64));
    g_assert_false(ddi_fp_same_ttl_family(64, 65));
    g_assert_false(ddi_fp_same_ttl_family(128, 64));
    g_assert_true(ddi_fp_same_ttl_family(128, 65));
    g_assert_false(ddi_fp_same_ttl_family(255, 128));
    g_assert_true(ddi_fp_same_ttl_family(255, 129));
    g_assert_false(ddi_fp_same_ttl_family(64, 255));
}

static void test_ipv6(void)
{
    NEED_P0F();
    /* Linux over IPv6 without a flow label: the '*' sig's df,id+ are ignored */
    spec s = {.ver = 6, .ttl = 57, .win = 28800, LINUX_OPTS(1440, 7)};
    ddi_fp_result r = match(p0f_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.name, ==, "Linux");
    g_assert_cmpstr(r.flavor, ==, "3.11 and newer");
    g_assert_cmpint(r.distance, ==, 7);
    assert_raw(&s, "6:57+7:0:1440:mss*20,7:mss,sok,ts,nop,ws::0");

    /* with a flow label (Linux's default): p0f.fp cannot match it, ddi.fp can */
    s.flow = 0x5a5a5;
    assert_raw(&s, "6:57+7:0:1440:mss*20,7:mss,sok,ts,nop,ws:flow:0");
    g_assert_cmpint(match(p0f_db, &s).kind, ==, DDI_MATCH_NONE);
    r = match(both_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.flavor, ==, "3.11 and newer");
    g_assert_cmpstr(r.file, ==, DDI_FP);

    /* Linux >= 4.20 over IPv6: 65535 rounded down to 45 x 1440 */
    spec n = {.ver = 6, .ttl = 64, .flow = 0x12345, .win = 64800, LINUX_OPTS(1440, 7)};
    r = match(both_db, &n);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.flavor, ==, "4.20 and newer");
}

/* ---------------------------------------------------------------------------
 * ddi.fp additions (with p0f.fp loaded first when it exists)
 */

static void test_ddi_fp_additions(void)
{
    struct {
        spec s;
        const char *name, *flavor;
    } cases[] = {
        {{.ttl = 122, .df = true, .ipid = 9, .win = 64240, OPTS(MSS(1460), NOP, WS(8), NOP, NOP, SOK)},
         "Windows", "10 or newer"},
        /* MSS rewritten on the path, window still 64240 */
        {{.ttl = 114, .df = true, .ipid = 9, .win = 64240, OPTS(MSS(1400), NOP, WS(8), NOP, NOP, SOK)},
         "Windows", "10 or newer"},
        {{.ttl = 118, .df = true, .ipid = 9, .win = 64240, OPTS(MSS(1168), NOP, WS(8), NOP, NOP, SOK)},
         "Windows", "10 or newer"},
        {{.ttl = 128, .df = true, .ipid = 9, .win = 64240, XP_OPTS}, "Windows", "XP SP1+ or 2000 SP3"},
        {{.ttl = 128, .df = true, .ipid = 9, .win = 8192, OPTS(MSS(1460), NOP, WS(8), SOK, TS(5, 0))},
         "Windows", "7 or 8"},
        {{.ttl = 64, .df = true, .ipid = 9, .win = 64240, LINUX_OPTS(1460, 7)}, "Linux", "4.20 and newer"},
        {{.ttl = 64, .df = true, .ipid = 9, .win = 29200, LINUX_OPTS(1460, 8)}, "Linux", "3.11 and newer"},
        {{.ttl = 64, .df = true, .ipid = 9, .win = 65535, LINUX_OPTS(1460, 8)}, "Linux", "(Android)"},
        {{.ttl = 64, .df = true, .ipid = 0, .win = 65535, MAC_OPTS(6)}, "Mac OS X", "10.13+ or iOS 11+"},
        {{.ttl = 64, .df = true, .ipid = 0, .win = 65535, .flags = DDI_TH_SYN | DDI_TH_ECE | DDI_TH_CWR,
          MAC_OPTS(7)},
         "Mac OS X", "10.13+ or iOS 11+"},
        {{.ttl = 64, .df = true, .ipid = 0, .win = 65535, OPTS(MSS(1460), NOP, WS(6), SOK, TS(77, 0))},
         "FreeBSD", "12 or newer"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        ddi_fp_result r = match(both_db, &cases[i].s);
        g_test_message("case %zu: %s %s (%s:%u)", i, r.name, r.flavor, r.file, r.line);
        g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
        g_assert_cmpstr(r.name, ==, cases[i].name);
        g_assert_cmpstr(r.flavor, ==, cases[i].flavor);
        g_assert_cmpstr(r.file, ==, DDI_FP);
    }
}

static void test_linux_synack_backscatter(void)
{
    /* a Linux >= 4.20 SYN+ACK (IP ID 0, DF), as seen in backscatter */
    spec s = {.ttl = 52, .df = true, .ipid = 0, .win = 65340, .flags = DDI_TH_SYN | DDI_TH_ACK, .ack = 77,
              LINUX_OPTS(1452, 7)};
    assert_raw(&s, "4:52+12:0:1452:mss*45,7:mss,sok,ts,nop,ws:df:0");
    ddi_fp_result r = match(both_db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.flavor, ==, "4.20 and newer");
}

/* ---------------------------------------------------------------------------
 * Matching rules, on small inline databases
 */

#define CLASSES "classes = win,unix,other\n[tcp:request]\n"

static void test_tiers(void)
{
    ddi_p0fdb *db = db_from(CLASSES
                            "label = g:unix:Gen:eric\n"
                            "sig = *:64:0:*:*,*:mss:df,id+:0\n"
                            "label = s:unix:Spec:ific\n"
                            "sig = *:64:0:1460:*,*:mss:df,id+:0\n"
                            "label = s:unix:Fuz:zy\n"
                            "sig = *:64:0:1400:*,*:mss:df,id+:0\n");
    /* a specific exact match wins over an earlier generic one */
    spec s = {.ttl = 64, .df = true, .ipid = 1, .win = 100, OPTS(MSS(1460))};
    ddi_fp_result r = match(db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_EXACT);
    g_assert_cmpstr(r.name, ==, "Spec");
    g_assert_cmpuint(r.line, ==, 6);

    /* only the generic one fits exactly */
    s.opt = (const uint8_t[]){MSS(1300)};
    r = match(db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_GENERIC);
    g_assert_true(r.generic);
    g_assert_cmpstr(r.name, ==, "Gen");

    /* a generic exact match wins over a specific fuzzy one */
    spec f = {.ttl = 64, .df = false, .ipid = 1, .win = 100, OPTS(MSS(1400))};
    r = match(db, &f);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_FUZZY); /* no DF: everything is fuzzy ... */
    g_assert_cmpstr(r.name, ==, "Gen");           /* ... and the first fuzzy one wins */
    ddi_p0fdb_free(db);

    db = db_from(CLASSES
                 "label = s:unix:Fuz:zy\n"
                 "sig = *:64:0:1400:*,*:mss:df,id+:0\n"
                 "label = g:unix:Gen:eric\n"
                 "sig = *:64:0:*:*,*:mss::0\n");
    r = match(db, &f);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_GENERIC);
    g_assert_cmpstr(r.name, ==, "Gen");
    ddi_p0fdb_free(db);
}

static void test_first_file_wins(void)
{
    char err[256];
    ddi_p0fdb *db = ddi_p0fdb_new();
    ddi_p0fdb_load_string(db, "a.fp", CLASSES "label = s:unix:Alpha:\nsig = *:64:0:*:*,*:mss::0\n", err, sizeof err);
    ddi_p0fdb_load_string(db, "b.fp", CLASSES "label = s:unix:Beta:\nsig = *:64:0:*:*,*:mss::0\n", err, sizeof err);
    spec s = {.ttl = 64, .ipid = 3, .win = 100, OPTS(MSS(536))};
    ddi_fp_result r = match(db, &s);
    g_assert_cmpstr(r.name, ==, "Alpha");
    g_assert_cmpstr(r.file, ==, "a.fp");
    ddi_p0fdb_free(db);
}

static void test_userland_never_fuzzy(void)
{
    ddi_p0fdb *db = db_from(CLASSES "label = s:!:Tool:\nsys = @unix\nsig = *:64:0:*:*,*:mss:df,id+:0\n");
    spec s = {.ttl = 64, .df = true, .ipid = 3, .win = 100, OPTS(MSS(536))};
    g_assert_cmpint(match(db, &s).kind, ==, DDI_MATCH_EXACT);
    s.df = false;
    ddi_fp_result r = match(db, &s);
    g_assert_cmpint(r.kind, ==, DDI_MATCH_NONE);
    g_assert_cmpuint(r.ittl, ==, 64); /* still guessed */
    g_assert_cmpint(r.distance, ==, 0);
    ddi_p0fdb_free(db);
}

static void test_version_and_fixed_fields(void)
{
    ddi_p0fdb *db = db_from(CLASSES
                            "label = s:unix:Four:\n"
                            "sig = 4:64:0:*:*,*:mss::0\n"
                            "label = s:unix:Opt:\n"
                            "sig = *:64:4:*:*,*:mss::0\n"
                            "label = s:unix:Eol:\n"
                            "sig = *:64:0:*:*,*:mss,eol+3::0\n"
                            "label = s:unix:Pay:\n"
                            "sig = *:64:0:*:*,*:nop,mss,nop,nop,nop::+\n");
    spec v6 = {.ver = 6, .ttl = 64, .win = 100, OPTS(MSS(1440))};
    g_assert_cmpint(match(db, &v6).kind, ==, DDI_MATCH_NONE); /* p0f 3.09b would say "Four" */
    spec v4 = {.ttl = 64, .ipid = 1, .win = 100, OPTS(MSS(1440))};
    g_assert_cmpstr(match(db, &v4).name, ==, "Four");

    spec o = {.ttl = 64, .ipid = 1, .win = 100, .ipopt = (const uint8_t[]){1, 1, 1, 0}, .ipoptlen = 4,
              OPTS(MSS(1440))};
    g_assert_cmpstr(match(db, &o).name, ==, "Opt");
    assert_raw(&o, "4:64+0:4:1440:100,0:mss::0");

    spec e = {.ttl = 64, .ipid = 1, .win = 100, OPTS(MSS(1440), EOL, 0, 0, 0)};
    g_assert_cmpstr(match(db, &e).name, ==, "Eol");
    spec e2 = {.ttl = 64, .ipid = 1, .win = 100, OPTS(MSS(1440), EOL, 0, 0, 0, 0, 0, 0, 0)};
    g_assert_cmpint(match(db, &e2).kind, ==, DDI_MATCH_NONE); /* eol+7 */

    spec p = {.ttl = 64, .ipid = 1, .win = 100, OPTS(NOP, MSS(1440), NOP, NOP, NOP), .payload = 10};
    g_assert_cmpstr(match(db, &p).name, ==, "Pay");
    assert_raw(&p, "4:64+0:0:1440:100,0:nop,mss,nop,nop,nop::+");
    p.payload = 0; /* pclass '+' wants a payload */
    g_assert_cmpint(match(db, &p).kind, ==, DDI_MATCH_NONE);
    ddi_p0fdb_free(db);
}

static void test_window_rules(void)
{
    ddi_p0fdb *db = db_from(CLASSES
                            "label = s:unix:Mod:\n"
                            "sig = *:64:0:*:%8192,*:mss::0\n"
                            "label = s:unix:Mtu:\n"
                            "sig = *:64:0:*:mtu*4,*:mss::0\n"
                            "label = s:unix:Mss:\n"
                            "sig = *:64:0:*:mss*10,*:mss,sok,ts,nop,ws::0\n"
                            "label = s:unix:Exact:\n"
                            "sig = *:64:0:*:13880,*:mss,sok,ts,nop,ws:ts1-:0\n");
    spec m = {.ttl = 64, .ipid = 1, .win = 16384, OPTS(MSS(536))};
    g_assert_cmpstr(match(db, &m).name, ==, "Mod");
    /* 6000 = 4 x (1460 + 40) */
    spec u = {.ttl = 64, .ipid = 1, .win = 6000, OPTS(MSS(1460))};
    g_assert_cmpstr(match(db, &u).name, ==, "Mtu");
    assert_raw(&u, "4:64+0:0:1460:mtu*4,0:mss::0");
    /* 13880 = 10 x (1400 - 12): counts as mss*10 only with a non-zero TSval */
    spec t = {.ttl = 64, .ipid = 1, .win = 13880, LINUX_OPTS(1400, 7)};
    g_assert_cmpstr(match(db, &t).name, ==, "Mss");
    assert_raw(&t, "4:64+0:0:1400:mss*10,7:mss,sok,ts,nop,ws::0");
    t.opt = (const uint8_t[]){MSS(1400), SOK, TS(0, 0), NOP, WS(7)};
    g_assert_cmpstr(match(db, &t).name, ==, "Exact");
    assert_raw(&t, "4:64+0:0:1400:13880,7:mss,sok,ts,nop,ws:ts1-:0");
    /* no window multiples without a usable MSS */
    spec z = {.ttl = 64, .ipid = 1, .win = 0, OPTS(MSS(1460))};
    assert_raw(&z, "4:64+0:0:1460:0,0:mss::0");
    ddi_p0fdb_free(db);
}

static void test_synack_peer_mss(void)
{
    ddi_p0fdb *db = db_from("classes = unix\n[tcp:response]\nlabel = s:unix:Peer:\n"
                            "sig = *:64:0:*:mss*4,0:mss::0\n");
    /* a SYN+ACK window of 4 x the client's MSS 1000 */
    spec s = {.ttl = 64, .ipid = 1, .win = 4000, .flags = DDI_TH_SYN | DDI_TH_ACK, .ack = 1, OPTS(MSS(1460))};
    ddi_pkt p = parse(&s);
    ddi_fp_result r;
    g_assert_false(ddi_fp_match(db, &p, &r));
    g_assert_true(ddi_fp_match_ex(db, &p, 1000, &r));
    g_assert_cmpstr(r.name, ==, "Peer");
    g_assert_true(ddi_fp_match_ex(db, &p, 1012, &r)); /* peer MSS - 12 */
    g_assert_false(ddi_fp_match_ex(db, &p, 12, &r)); /* p0f would divide by zero here */
    /* the same packet as a SYN is looked up in [tcp:request] */
    s.flags = DDI_TH_SYN;
    g_assert_cmpint(match(db, &s).kind, ==, DDI_MATCH_NONE);
    ddi_p0fdb_free(db);
}

static void test_not_a_syn(void)
{
    ddi_p0fdb *db = db_from(CLASSES "label = s:unix:Any:\nsig = *:64:0:*:*,*:mss::0\n");
    uint16_t bad[] = {DDI_TH_ACK, DDI_TH_RST, DDI_TH_SYN | DDI_TH_FIN, DDI_TH_SYN | DDI_TH_RST, 0};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        spec s = {.ttl = 64, .ipid = 1, .win = 100, .flags = bad[i] ? bad[i] : 0x100 /* NS only */,
                  OPTS(MSS(1460))};
        g_assert_cmpint(match(db, &s).kind, ==, DDI_MATCH_NONE);
    }
    /* UDP, and a NULL db */
    uint8_t udp[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17};
    ddi_pkt p;
    g_assert_true(ddi_pkt_parse(udp, sizeof udp, 0, &p));
    ddi_fp_result r;
    g_assert_false(ddi_fp_match(db, &p, &r));
    g_assert_cmpuint(r.ittl, ==, 64);
    char raw[16] = "x";
    ddi_fp_raw_sig(&p, raw, sizeof raw);
    g_assert_cmpstr(raw, ==, "");
    spec s = {.ttl = 64, .ipid = 1, .win = 100, OPTS(MSS(1460))};
    p = parse(&s);
    g_assert_false(ddi_fp_match(NULL, &p, &r));
    g_assert_cmpstr(r.name, ==, "");
    g_assert_cmpstr(r.flavor, ==, "");
    ddi_p0fdb_free(db);
}

static void test_truncated_capture(void)
{
    /* options cut by the snap length: the layout is unknown, no match */
    ddi_p0fdb *db = db_from(CLASSES "label = s:unix:Any:\nsig = *:64:0:*:*,*:mss::0\n");
    spec s = {.ttl = 64, .ipid = 1, .win = 100, OPTS(MSS(1460), NOP, NOP, NOP, NOP)};
    uint8_t buf[128];
    size_t n = build(&s, buf, sizeof buf);
    ddi_pkt p;
    g_assert_true(ddi_pkt_parse(buf, n - 6, 0, &p)); /* keeps the MSS, loses the NOPs */
    ddi_fp_result r;
    g_assert_false(ddi_fp_match(db, &p, &r));
    ddi_p0fdb_free(db);
}

static void test_guess_ittl(void)
{
    static const struct {
        uint8_t ttl, ittl;
    } t[] = {{0, 32}, {1, 32}, {32, 32}, {33, 64}, {60, 64}, {64, 64}, {65, 128},
             {113, 128}, {128, 128}, {129, 255}, {242, 255}, {255, 255}};
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        g_assert_cmpuint(ddi_fp_guess_ittl(t[i].ttl), ==, t[i].ittl);
}

static void test_raw_sig_limits(void)
{
    /* 40 options (a full option area) and every quirk we can provoke */
    uint8_t opts[40];
    memset(opts, NOP, sizeof opts);
    spec s = {.ttl = 255, .df = false, .ipid = 0, .tos = 3, .seq = 0, .ack = 5, .win = 1,
              .flags = DDI_TH_SYN | DDI_TH_URG | DDI_TH_PUSH, .opt = opts, .optlen = sizeof opts};
    ddi_pkt p = parse(&s);
    p.tcp.seq = 0;
    p.quirks |= DDI_Q_ZERO_SEQ;
    char raw[DDI_FP_RAW_SIG_MAX];
    ddi_fp_raw_sig(&p, raw, sizeof raw);
    g_assert_true(g_str_has_prefix(raw, "4:255+0:0:0:1,0:nop,nop,"));
    g_assert_true(g_str_has_suffix(raw, "nop:id-,ecn,seq-,ack+,urgf+,pushf+:0"));

    /* the full worst case fits in DDI_FP_RAW_SIG_MAX */
    p.quirks = 0x1ffff;
    for (int i = 0; i < 39; i++)
        p.tcp.olayout[i] = 253;
    p.tcp.olayout[39] = DDI_OPT_EOL;
    p.tcp.eol_pad = 255;
    p.tcp.nopt = 40;
    p.tcp.payload_len = 1;
    ddi_fp_raw_sig(&p, raw, sizeof raw);
    g_assert_true(g_str_has_suffix(raw, ",?253,eol+255:df,id+,id-,ecn,0+,flow,seq-,ack+,ack-,uptr+,urgf+,"
                                        "pushf+,ts1-,ts2+,opt+,exws,bad:+"));

    /* a short buffer gets a terminated prefix */
    char full[DDI_FP_RAW_SIG_MAX], small[10];
    ddi_fp_raw_sig(&p, full, sizeof full);
    memset(small, 'x', sizeof small);
    ddi_fp_raw_sig(&p, small, sizeof small);
    g_assert_cmpuint(strlen(small), ==, sizeof small - 1);
    g_assert_true(g_str_has_prefix(full, small));
    ddi_fp_raw_sig(&p, small, 0); /* must not write */
}

static void test_speed(void)
{
    if (!both_db) {
        g_test_skip("no database");
        return;
    }
    /* A mix of SYNs; the matcher must be cheap enough for millions of them. */
    spec shapes[] = {
        {.ttl = 57, .df = true, .ipid = 1, .win = 29200, LINUX_OPTS(1460, 7)},
        {.ttl = 113, .df = true, .ipid = 1, .win = 65535, SEED_OPTS},
        {.ttl = 50, .ipid = 1, .win = 1024, OPTS(MSS(1460))},
        {.ttl = 240, .ipid = 1, .win = 65535},
        {.ttl = 120, .df = true, .ipid = 1, .win = 8192, WIN7_OPTS},
    };
    ddi_pkt pk[G_N_ELEMENTS(shapes)];
    for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++)
        pk[i] = parse(&shapes[i]);
    const int rounds = 200000;
    unsigned hits = 0;
    gint64 t0 = g_get_monotonic_time();
    for (int i = 0; i < rounds; i++) {
        ddi_fp_result r;
        hits += ddi_fp_match(both_db, &pk[i % G_N_ELEMENTS(pk)], &r);
    }
    gint64 dt = g_get_monotonic_time() - t0;
    g_test_message("%d matches in %" G_GINT64_FORMAT " us (%.0f ns each, %u hits)", rounds, dt,
                   dt * 1000.0 / rounds, hits);
    if (timing_asserts())
        g_assert_cmpint(dt, <, 200000); /* < 1 us per match (measured: ~100 ns) */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    char err[512];
    if (g_file_test(P0F_FP, G_FILE_TEST_EXISTS)) {
        p0f_db = ddi_p0fdb_new();
        ddi_p0fdb_load_file(p0f_db, P0F_FP, err, sizeof err);
        g_assert_cmpstr(err, ==, "");
        both_db = ddi_p0fdb_new();
        ddi_p0fdb_load_file(both_db, P0F_FP, err, sizeof err);
        g_assert_cmpstr(err, ==, "");
    } else {
        both_db = ddi_p0fdb_new();
    }
    g_assert_cmpint(ddi_p0fdb_load_file(both_db, DDI_FP, err, sizeof err), >, 0);
    g_assert_cmpstr(err, ==, "");

    g_test_add_func("/fingerprint/p0f/linux-3.11", test_linux_311);
    g_test_add_func("/fingerprint/p0f/windows-7", test_windows_7);
    g_test_add_func("/fingerprint/p0f/windows-xp", test_windows_xp);
    g_test_add_func("/fingerprint/p0f/macos", test_macos);
    g_test_add_func("/fingerprint/p0f/nmap-syn-scan", test_nmap_syn_scan);
    g_test_add_func("/fingerprint/p0f/seed-syn", test_seed_syn);
    g_test_add_func("/fingerprint/p0f/fuzzy", test_fuzzy);
    g_test_add_func("/fingerprint/p0f/excess-distance", test_excess_distance);
    g_test_add_func("/fingerprint/p0f/ipv6", test_ipv6);
    g_test_add_func("/fingerprint/ddi/additions", test_ddi_fp_additions);
    g_test_add_func("/fingerprint/ddi/linux-synack", test_linux_synack_backscatter);
    g_test_add_func("/fingerprint/rules/tiers", test_tiers);
    g_test_add_func("/fingerprint/rules/first-file-wins", test_first_file_wins);
    g_test_add_func("/fingerprint/rules/userland-never-fuzzy", test_userland_never_fuzzy);
    g_test_add_func("/fingerprint/rules/version-and-fixed-fields", test_version_and_fixed_fields);
    g_test_add_func("/fingerprint/rules/window", test_window_rules);
    g_test_add_func("/fingerprint/rules/synack-peer-mss", test_synack_peer_mss);
    g_test_add_func("/fingerprint/rules/not-a-syn", test_not_a_syn);
    g_test_add_func("/fingerprint/rules/truncated-capture", test_truncated_capture);
    g_test_add_func("/fingerprint/guess-ittl", test_guess_ittl);
    g_test_add_func("/fingerprint/raw-sig-limits", test_raw_sig_limits);
    g_test_add_func("/fingerprint/speed", test_speed);

    int rc = g_test_run();
    ddi_p0fdb_free(p0f_db);
    ddi_p0fdb_free(both_db);
    return rc;
}
