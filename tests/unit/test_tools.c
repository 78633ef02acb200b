/* test_tools.c — scanner / malware fingerprints (plugin/core/tools.c).
 *
 * Packets are built as raw bytes, parsed with ddi_pkt_parse() and then
 * classified, so the tests go through the same path as the plugin.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "pkt.h"
#include "tools.h"

/* ------------------------------------------------------------- builders */

typedef struct tcp_spec {
    const char *src, *dst;   /* IPv4 dotted quad or IPv6 text */
    uint16_t id;
    uint8_t ttl;
    bool df;
    uint8_t tos;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags;          /* DDI_TH_* (NS in bit 8) */
    uint16_t win, urg;
    const uint8_t *opts;     /* raw option bytes, length a multiple of 4 */
    size_t optlen;
} tcp_spec;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static bool is6(const char *a) { return strchr(a, ':') != NULL; }

/* IP header for `l4len` bytes of payload; returns the header length. */
static size_t put_ip(uint8_t *b, const char *src, const char *dst, uint8_t proto, size_t l4len, uint16_t id,
                     uint8_t ttl, bool df, uint8_t tos)
{
    if (is6(src)) {
        memset(b, 0, 40);
        b[0] = (uint8_t)(0x60 | (tos >> 4));
        b[1] = (uint8_t)(tos << 4);
        put16(b + 4, (uint16_t)l4len);
        b[6] = proto;
        b[7] = ttl;
        g_assert_cmpint(inet_pton(AF_INET6, src, b + 8), ==, 1);
        g_assert_cmpint(inet_pton(AF_INET6, dst, b + 24), ==, 1);
        return 40;
    }
    memset(b, 0, 20);
    b[0] = 0x45;
    b[1] = tos;
    put16(b + 2, (uint16_t)(20 + l4len));
    put16(b + 4, id);
    put16(b + 6, df ? 0x4000 : 0);
    b[8] = ttl;
    b[9] = proto;
    g_assert_cmpint(inet_pton(AF_INET, src, b + 12), ==, 1);
    g_assert_cmpint(inet_pton(AF_INET, dst, b + 16), ==, 1);
    return 20;
}

static ddi_pkt mk_tcp(const tcp_spec *s)
{
    uint8_t b[128];
    size_t tl = 20 + s->optlen;
    g_assert_cmpuint(s->optlen % 4, ==, 0);
    size_t h = put_ip(b, s->src, s->dst, 6, tl, s->id, s->ttl, s->df, s->tos);
    uint8_t *t = b + h;
    memset(t, 0, 20);
    put16(t, s->sport);
    put16(t + 2, s->dport);
    put32(t + 4, s->seq);
    put32(t + 8, s->ack);
    t[12] = (uint8_t)(((tl / 4) << 4) | ((s->flags >> 8) & 1));
    t[13] = (uint8_t)s->flags;
    put16(t + 14, s->win);
    put16(t + 18, s->urg);
    if (s->optlen)
        memcpy(t + 20, s->opts, s->optlen);
    ddi_pkt p;
    g_assert_true(ddi_pkt_parse(b, h + tl, 1.0, &p));
    g_assert_true(ddi_pkt_is_tcp(&p));
    return p;
}

static ddi_pkt mk_udp(const char *src, const char *dst, uint16_t id, uint8_t ttl, bool df, uint16_t sport,
                      uint16_t dport, uint16_t payload)
{
    uint8_t b[1600];
    size_t h = put_ip(b, src, dst, 17, 8u + payload, id, ttl, df, 0);
    put16(b + h, sport);
    put16(b + h + 2, dport);
    put16(b + h + 4, (uint16_t)(8 + payload));
    put16(b + h + 6, 0);
    memset(b + h + 8, 'C', payload);
    ddi_pkt p;
    g_assert_true(ddi_pkt_parse(b, h + 8 + payload, 1.0, &p));
    return p;
}

static ddi_pkt mk_icmp(const char *src, const char *dst, uint16_t id, uint8_t ttl, bool df, uint8_t tos,
                       uint8_t type, uint8_t code, uint16_t payload)
{
    uint8_t b[1600];
    bool v6 = is6(src);
    size_t h = put_ip(b, src, dst, v6 ? 58 : 1, 8u + payload, id, ttl, df, tos);
    memset(b + h, 0, 8u + payload);
    b[h] = type;
    b[h + 1] = code;
    put16(b + h + 4, 0x1234);
    put16(b + h + 6, 1);
    ddi_pkt p;
    g_assert_true(ddi_pkt_parse(b, h + 8 + payload, 1.0, &p));
    return p;
}

static ddi_tool classify1(const ddi_pkt *p, ddi_tool_match *m)
{
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    return ddi_tool_classify_ex(&c, p, m);
}

static void assert_evidence(ddi_tool t, const ddi_pkt *p, const char *needle1, const char *needle2)
{
    char buf[512];
    ddi_tool_evidence(t, p, buf, sizeof buf);
    if (needle1 && !strstr(buf, needle1))
        g_error("evidence '%s' lacks '%s'", buf, needle1);
    if (needle2 && !strstr(buf, needle2))
        g_error("evidence '%s' lacks '%s'", buf, needle2);
}

/* Option byte strings (wire format). */
static const uint8_t O_MSS1460[] = {2, 4, 0x05, 0xb4};
/* ZMap >= 4.1 "windows": MSS 1460, NOP, WS 8, NOP, NOP, SACK-perm (12 B) */
static const uint8_t O_ZMAP_WIN[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
/* ZMap "linux": MSS, SACK-perm, TS, NOP, WS 7 (20 B) */
static const uint8_t O_ZMAP_LINUX[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
/* Linux SYN: MSS, SACK-perm, TS, NOP, WS 7 */
static const uint8_t O_LINUX[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 1, 3, 3, 7};
/* Windows 10: MSS, NOP, WS 8, NOP, NOP, SACK-perm */
static const uint8_t O_WIN10[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
/* Windows XP: MSS, NOP, NOP, SACK-perm */
static const uint8_t O_WINXP[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};
/* macOS: MSS, NOP, WS 6, NOP, NOP, TS, SACK-perm, EOL, EOL */
static const uint8_t O_MACOS[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0, 0, 0, 4, 2, 0, 0};
/* unicornscan fingerprint 1: MSS 1436, NOP, NOP, SACK-perm, NOP, WS 0, NOP, NOP, TS */
static const uint8_t O_UNI1[] = {2, 4, 0x05, 0x9c, 1, 1, 4, 2, 1, 3, 3, 0, 1, 1, 8, 10, 0x9a, 0x8a, 0x0b, 0xb9, 0, 0, 0, 0};
/* nmap OS T5/T6 (prbOpts[10], [11]): WS 10, NOP, MSS 265, TS, SACK-perm */
static const uint8_t O_NMAP_T5[] = {3, 3, 10, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2};
/* nmap OS T7 (prbOpts[12]): WS 15, NOP, MSS 265, TS, SACK-perm */
static const uint8_t O_NMAP_T7[] = {3, 3, 15, 1, 2, 4, 1, 9, 8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 4, 2};

/* ------------------------------------------------------------------ names */

static void test_names(void)
{
    g_assert_cmpstr(ddi_tool_name(DDI_TOOL_ZMAP), ==, "ZMap");
    g_assert_cmpstr(ddi_tool_name(DDI_TOOL_MASSCAN), ==, "masscan");
    g_assert_cmpstr(ddi_tool_name(DDI_TOOL_MIRAI), ==, "Mirai");
    g_assert_cmpstr(ddi_tool_name(DDI_TOOL_NMAP_SYN), ==, "nmap SYN scan");
    g_assert_cmpstr(ddi_tool_name(DDI_TOOL_NMAP_OS), ==, "nmap OS probe");
    g_assert_cmpstr(ddi_tool_name(DDI_TOOL_UNICORNSCAN), ==, "unicornscan");
    g_assert_cmpstr(ddi_tool_name(DDI_TOOL_HPING3), ==, "hping3");
    g_assert_cmpstr(ddi_tool_name(DDI_TOOL_CRAFTED), ==, "crafted SYN");
    for (int t = 0; t < DDI_TOOL__COUNT; t++)
        g_assert_cmpstr(ddi_tool_name((ddi_tool)t), !=, "?");
    for (int r = 0; r < DDI_TR__COUNT; r++)
        g_assert_cmpstr(ddi_tool_rule_name((ddi_tool_rule)r), !=, "?");
    g_assert_cmpuint(sizeof(ddi_tool_ctx), <=, 24);

    g_assert_true(ddi_tool_is_stateless(DDI_TOOL_ZMAP));
    g_assert_true(ddi_tool_is_stateless(DDI_TOOL_MASSCAN));
    g_assert_true(ddi_tool_is_stateless(DDI_TOOL_MIRAI));
    g_assert_false(ddi_tool_is_stateless(DDI_TOOL_NMAP_SYN));
    g_assert_false(ddi_tool_is_stateless(DDI_TOOL_CRAFTED));
    g_assert_false(ddi_tool_is_stateless(DDI_TOOL_NONE));
}

/* ------------------------------------------------------------------- ZMap */

static void test_zmap_old(void)
{
    ddi_tool_match m;
    /* zmap 2.1.1 (Debian 12): id 54321, TTL 255, no options, window 65535 */
    tcp_spec s = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 54321, .ttl = 250, .sport = 41974,
                  .dport = 11311, .seq = 0x9a3f0c11, .flags = DDI_TH_SYN, .win = 65535};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_SYN);
    g_assert_cmpint(m.confidence, ==, 3);
    assert_evidence(DDI_TOOL_ZMAP, &p, "IP ID 54321", "zmap src/probe_modules/packet.c");

    /* 3.0 - 4.0: MSS 1460 only */
    s.opts = O_MSS1460;
    s.optlen = sizeof O_MSS1460;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_nonnull(strstr(m.variant, "3.0 - 4.0"));

    /* MSS 536 only is not ZMap's option */
    static const uint8_t mss536[] = {2, 4, 0x02, 0x18};
    s.opts = mss536;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, NULL), !=, DDI_TOOL_ZMAP);
    s.opts = NULL;
    s.optlen = 0;

    /* sport outside the default range: still ZMap, lower confidence */
    s.sport = 1234;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_cmpint(m.confidence, ==, 2);
    assert_evidence(DDI_TOOL_ZMAP, &p, "outside", NULL);
    s.sport = 41974;

    /* tutorial raw-socket SYN: id 54321 but window 5840, seq 0: not ZMap */
    tcp_spec tut = s;
    tut.win = 5840;
    tut.seq = 0;
    tut.ttl = 64;
    p = mk_tcp(&tut);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);
    tut.win = 53264; /* struct.pack('!H', socket.htons(5840)) */
    p = mk_tcp(&tut);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* DF set: not ZMap */
    tcp_spec df = s;
    df.df = true;
    p = mk_tcp(&df);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* a flood SYN with ECE+CWR that happens to carry id 54321 (2^-16): not ZMap */
    tcp_spec ecn = s;
    ecn.flags = DDI_TH_SYN | DDI_TH_ECE | DDI_TH_CWR;
    p = mk_tcp(&ecn);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* IPv6 has no IP ID: a v6 SYN with window 65535 and no options is only crafted */
    tcp_spec v6 = s;
    v6.src = "2001:db8::7";
    v6.dst = "2001:db8:1::9";
    p = mk_tcp(&v6);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);
}

static void test_zmap_synack_and_icmp(void)
{
    ddi_tool_match m;
    /* module_tcp_synackscan: SYN+ACK probes with id 54321, window 65535 */
    tcp_spec s = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 54321, .ttl = 247, .sport = 50000,
                  .dport = 443, .seq = 0x11223344, .ack = 0x55667788, .flags = DDI_TH_SYN | DDI_TH_ACK,
                  .win = 65535};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_SYNACK);
    assert_evidence(DDI_TOOL_ZMAP, &p, "not backscatter", "module_tcp_synackscan.c");

    /* any other SYN-ACK is backscatter, never a scanner */
    s.id = 4711;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    s.win = 1024; /* even with nmap/masscan-like values */
    s.opts = O_MSS1460;
    s.optlen = 4;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* ZMap icmp_echoscan: echo request, id 54321, TTL 255, no DF */
    p = mk_icmp("198.51.100.7", "203.0.113.9", 54321, 250, false, 0, 8, 0, 0);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_ICMP);
    assert_evidence(DDI_TOOL_ZMAP, &p, "ICMP echo request with IP ID 54321", NULL);
    /* an ordinary ping that happens to use that ID (TTL 64) is not */
    p = mk_icmp("198.51.100.7", "203.0.113.9", 54321, 60, false, 0, 8, 0, 56);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* an echo reply with that ID is not a probe */
    p = mk_icmp("198.51.100.7", "203.0.113.9", 54321, 250, false, 0, 0, 0, 0);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

static void test_zmap_new(void)
{
    ddi_tool_match m;
    tcp_spec s = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 0x3c1d, .ttl = 57, .sport = 45000,
                  .dport = 443, .seq = 0xdeadbeef, .flags = DDI_TH_SYN, .win = 65535, .opts = O_ZMAP_WIN,
                  .optlen = sizeof O_ZMAP_WIN};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP_NEW);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_NEW);
    assert_evidence(DDI_TOOL_ZMAP_NEW, &p, "MSS 1460,NOP,WS 8,NOP,NOP,SACK-perm", "set_tcp_options");

    /* a Windows 10 SYN has the same options but DF and TTL 128 */
    tcp_spec w = s;
    w.df = true;
    w.ttl = 116;
    w.win = 64240;
    w.opts = O_WIN10;
    p = mk_tcp(&w);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    w.win = 65535; /* even with window 65535 */
    p = mk_tcp(&w);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* TTL above 64: not ZMap >= 4.1 (its default --probe-ttl is 64) */
    tcp_spec hi = s;
    hi.ttl = 120;
    p = mk_tcp(&hi);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* --probe-args=linux */
    tcp_spec l = s;
    l.opts = O_ZMAP_LINUX;
    l.optlen = sizeof O_ZMAP_LINUX;
    p = mk_tcp(&l);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP_NEW);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_NEW_ALT);
    g_assert_nonnull(strstr(m.variant, "linux"));

    /* smallest-probes: MSS only, random id (54321 would be <= 4.0) */
    tcp_spec sm = s;
    sm.opts = O_MSS1460;
    sm.optlen = 4;
    p = mk_tcp(&sm);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP_NEW);
    g_assert_nonnull(strstr(m.variant, "smallest"));
}

/* ---------------------------------------------------------------- masscan */

static uint16_t masscan_id(const char *dst, uint16_t dport, uint32_t seq)
{
    struct in_addr a;
    g_assert_cmpint(inet_pton(AF_INET, dst, &a), ==, 1);
    return (uint16_t)((ntohl(a.s_addr) ^ dport ^ seq) & 0xffff);
}

static void test_masscan(void)
{
    ddi_tool_match m;
    tcp_spec s = {.src = "192.0.2.44", .dst = "200.83.99.32", .ttl = 243, .sport = 53389, .dport = 23,
                  .seq = 3763952323u, .flags = DDI_TH_SYN, .win = 1024};
    s.id = masscan_id(s.dst, s.dport, s.seq);
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MASSCAN);
    g_assert_cmpint(m.confidence, ==, 3);
    g_assert_nonnull(strstr(m.variant, "1.3.2"));
    char want[64];
    g_snprintf(want, sizeof want, "IP ID %u = (dst ^ dport ^ seq) & 0xffff = %u", s.id, s.id);
    assert_evidence(DDI_TOOL_MASSCAN, &p, want, "masscan src/templ-pkt.c");
    assert_evidence(DDI_TOOL_MASSCAN, &p, "window 1024", "TTL 243");

    /* one bit off: not masscan (window 1024, no options, no DF: crafted) */
    tcp_spec off = s;
    off.id ^= 1;
    p = mk_tcp(&off);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* DF set: not masscan */
    tcp_spec df = s;
    df.df = true;
    p = mk_tcp(&df);
    g_assert_cmpint(classify1(&p, NULL), !=, DDI_TOOL_MASSCAN);

    /* relation holds but window 5840: not masscan's template */
    tcp_spec w = s;
    w.win = 5840;
    p = mk_tcp(&w);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* masscan git HEAD: window 1025 and MSS 1460 */
    tcp_spec head = s;
    head.win = 1025;
    head.opts = O_MSS1460;
    head.optlen = 4;
    p = mk_tcp(&head);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MASSCAN);
    g_assert_nonnull(strstr(m.variant, "1025"));
    /* the same without the relation is neither masscan nor nmap (window 1025) */
    head.id ^= 0x100;
    p = mk_tcp(&head);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* masscan's kernel RSTs are never labelled */
    tcp_spec rst = s;
    rst.flags = DDI_TH_RST;
    rst.id = masscan_id(rst.dst, rst.dport, rst.seq);
    p = mk_tcp(&rst);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

/* ------------------------------------------------------------------ Mirai */

static void test_mirai(void)
{
    ddi_tool_match m;
    /* seq = the destination's 4 bytes: 93.184.216.34 = 0x5db8d822 */
    tcp_spec s = {.src = "192.0.2.66", .dst = "93.184.216.34", .id = 0x1c2d, .ttl = 52, .sport = 48211,
                  .dport = 23, .seq = 0x5db8d822, .flags = DDI_TH_SYN, .win = 0x7a31};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_cmpint(m.confidence, ==, 3);
    g_assert_nonnull(strstr(m.variant, "23/2323"));
    assert_evidence(DDI_TOOL_MIRAI, &p, "TCP seq 0x5db8d822 = destination 93.184.216.34", "mirai/bot/scanner.c");

    s.dport = 2323;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "23/2323"));

    /* variants keep the signature on other ports */
    s.dport = 37215;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "known variant port"));
    assert_evidence(DDI_TOOL_MIRAI, &p, "variant", NULL);
    s.dport = 6379;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "not in the 2016 source"));

    /* a destination original Mirai never scans (10/8) */
    tcp_spec x = s;
    x.dst = "10.1.2.3";
    x.seq = 0x0a010203;
    x.dport = 23;
    p = mk_tcp(&x);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "never scans"));

    /* seq off by one: crafted only */
    tcp_spec off = s;
    off.seq ^= 0x100;
    p = mk_tcp(&off);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* with options (doff != 5): not Mirai */
    tcp_spec o = s;
    o.opts = O_MSS1460;
    o.optlen = 4;
    p = mk_tcp(&o);
    g_assert_cmpint(classify1(&p, NULL), !=, DDI_TOOL_MIRAI);
}

/* ------------------------------------------------------------------- nmap */

static void test_nmap_syn(void)
{
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    ddi_tool_match m;
    tcp_spec s = {.src = "172.16.0.8", .dst = "64.13.134.52", .id = 0x2ab1, .ttl = 43, .sport = 63505,
                  .dport = 80, .seq = 0x237ff1d4, .flags = DDI_TH_SYN, .win = 1024, .opts = O_MSS1460,
                  .optlen = 4};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NMAP_SYN);
    g_assert_false(m.multi);
    g_assert_cmpint(m.confidence, ==, 2);
    assert_evidence(DDI_TOOL_NMAP_SYN, &p, "window 1024", "build_tcp_raw");

    /* same (sport, seq), another destination (and a new random TTL/ID): confirmed */
    s.dst = "64.13.134.53";
    s.ttl = 57;
    s.id = 0x91f0;
    s.win = 3072;
    p = mk_tcp(&s);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NMAP_SYN);
    g_assert_true(m.multi);
    g_assert_cmpint(m.confidence, ==, 3);
    char buf[512];
    ddi_tool_match_evidence(&m, &p, buf, sizeof buf);
    g_assert_nonnull(strstr(buf, "confirmed by earlier packets"));

    /* the same target again (a retransmission-like repeat) does not count */
    ddi_tool_ctx c2;
    memset(&c2, 0, sizeof c2);
    s.dst = "64.13.134.52";
    p = mk_tcp(&s);
    ddi_tool_classify_ex(&c2, &p, &m);
    ddi_tool_classify_ex(&c2, &p, &m);
    g_assert_false(m.multi);

    /* TTL 128 is no nmap (it draws 37-59) */
    tcp_spec t = s;
    t.ttl = 120;
    p = mk_tcp(&t);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* window 8192 is no nmap */
    t = s;
    t.win = 8192;
    p = mk_tcp(&t);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* DF set is no nmap */
    t = s;
    t.df = true;
    p = mk_tcp(&t);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* IPv6 SYN with nmap's window and options */
    tcp_spec v6 = s;
    v6.src = "2001:db8::8";
    v6.dst = "2001:db8:2::1";
    p = mk_tcp(&v6);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NMAP_SYN);
}

static void test_nmap_os(void)
{
    ddi_tool_match m;
    tcp_spec base = {.src = "192.0.2.10", .dst = "203.0.113.5", .id = 0x4242, .ttl = 50, .sport = 45678,
                     .dport = 39521, .seq = 0x12345678, .ack = 0x9abcdef0};

    tcp_spec t5 = base;
    t5.flags = DDI_TH_SYN;
    t5.win = 31337;
    t5.opts = O_NMAP_T5;
    t5.optlen = sizeof O_NMAP_T5;
    ddi_pkt p = mk_tcp(&t5);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_T5);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "31337", "osscan2.cc");

    tcp_spec t6 = base;
    t6.flags = DDI_TH_ACK;
    t6.win = 32768;
    t6.df = true;
    t6.opts = O_NMAP_T5;
    t6.optlen = sizeof O_NMAP_T5;
    p = mk_tcp(&t6);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_T6);
    t6.df = false; /* T6 sets DF */
    p = mk_tcp(&t6);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    t6.df = true; /* an ordinary ACK with window 32768 and a TS option */
    static const uint8_t ts_only[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    t6.opts = ts_only;
    t6.optlen = sizeof ts_only;
    p = mk_tcp(&t6);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    tcp_spec t7 = base;
    t7.flags = DDI_TH_FIN | DDI_TH_PUSH | DDI_TH_URG;
    t7.win = 65535;
    t7.opts = O_NMAP_T7;
    t7.optlen = sizeof O_NMAP_T7;
    p = mk_tcp(&t7);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_T7);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "WS 15", NULL);

    tcp_spec ecn = base;
    ecn.flags = DDI_TH_SYN | DDI_TH_ECE | DDI_TH_CWR;
    ecn.win = 3;
    ecn.urg = 0xF7F5;
    ecn.ack = 0;
    ecn.opts = O_NMAP_T5;
    ecn.optlen = sizeof O_NMAP_T5;
    p = mk_tcp(&ecn);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_ECN);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "0xf7f5", "sendTEcnProbe");

    /* IE1: echo request, code 9, DF, 120 data bytes */
    p = mk_icmp("192.0.2.10", "203.0.113.5", 0x7777, 50, true, 0, 8, 9, 120);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_IE1);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "code 9", NULL);
    /* code 9 without DF: no */
    p = mk_icmp("192.0.2.10", "203.0.113.5", 0x7777, 50, false, 0, 8, 9, 120);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* IE2: TOS 0x04, code 0, 150 bytes */
    p = mk_icmp("192.0.2.10", "203.0.113.5", 0x7778, 50, false, 0x04, 8, 0, 150);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_IE2);
    /* an ordinary ping */
    p = mk_icmp("192.0.2.10", "203.0.113.5", 0x7778, 50, true, 0, 8, 0, 56);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* U1: UDP, id 0x1042, 300 bytes of 'C' (UDP length 308) */
    p = mk_udp("192.0.2.10", "203.0.113.5", 0x1042, 55, false, 45678, 40125, 300);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_U1);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "0x1042", "send_closedudp_probe");
    p = mk_udp("192.0.2.10", "203.0.113.5", 0x1043, 55, false, 45678, 40125, 300);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

static void test_nmap_other(void)
{
    ddi_tool_match m;
    tcp_spec s = {.src = "192.0.2.11", .dst = "203.0.113.5", .id = 0x1111, .ttl = 40, .sport = 63505,
                  .dport = 80, .seq = 595583444u, .flags = 0, .win = 1024};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OTHER);
    g_assert_nonnull(strstr(m.variant, "-sN"));
    s.flags = DDI_TH_FIN | DDI_TH_PUSH | DDI_TH_URG;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OTHER);
    g_assert_nonnull(strstr(m.variant, "-sX"));
    /* -sA: seq 0, the encoded value in ack */
    s.flags = DDI_TH_ACK;
    s.seq = 0;
    s.ack = 2763710632u;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OTHER);
    assert_evidence(DDI_TOOL_NMAP_OTHER, &p, "seq 0", "sendIPScanProbe");
    /* an ACK with DF and window 1024 is an ordinary segment */
    s.df = true;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

/* ----------------------------------------------------------------- hping3 */

static void test_hping3(void)
{
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    ddi_tool_match m;
    tcp_spec s = {.src = "192.168.181.160", .dst = "203.0.113.5", .id = 0x51d2, .ttl = 64, .sport = 1099,
                  .dport = 20, .seq = 0x1c7e11aa, .ack = 1228723076u, .flags = DDI_TH_SYN, .win = 512};
    ddi_pkt p = mk_tcp(&s);
    g_assert_true(p.quirks & DDI_Q_NZ_ACK);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_HPING3);
    g_assert_cmpint(m.rule, ==, DDI_TR_HPING3);
    g_assert_false(m.multi);
    assert_evidence(DDI_TOOL_HPING3, &p, "ack number 1228723076 != 0", "sendtcp.c");

    /* the next two packets: sport +1, new random seq/ack/id */
    for (int i = 1; i <= 2; i++) {
        s.sport++;
        s.dport++;
        s.seq += 0x01020304;
        s.ack = 0x10203040u * (uint32_t)i;
        s.id += 77;
        p = mk_tcp(&s);
        g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_HPING3);
    }
    g_assert_true(m.multi);
    g_assert_cmpint(m.confidence, ==, 3);

    /* ack 0: the single-packet rule does not hold (a crafted SYN) */
    tcp_spec z = s;
    z.ack = 0;
    p = mk_tcp(&z);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* hping3 -A: the ACK flag is set, so only the sport +1 run tells */
    ddi_tool_ctx a;
    memset(&a, 0, sizeof a);
    tcp_spec ack = {.src = "192.168.181.165", .dst = "203.0.113.5", .ttl = 64, .sport = 1772, .dport = 20,
                    .seq = 1, .ack = 2, .flags = DDI_TH_ACK, .win = 512};
    ddi_tool got[4];
    for (int i = 0; i < 4; i++) {
        ack.id = (uint16_t)(0x1000 + 997 * i);
        p = mk_tcp(&ack);
        got[i] = ddi_tool_classify_ex(&a, &p, &m);
        ack.sport++;
        ack.dport++;
    }
    g_assert_cmpint(got[0], ==, DDI_TOOL_NONE);
    g_assert_cmpint(got[1], ==, DDI_TOOL_NONE);
    g_assert_cmpint(got[2], ==, DDI_TOOL_HPING3);
    g_assert_cmpint(got[3], ==, DDI_TOOL_HPING3);
    g_assert_cmpint(m.rule, ==, DDI_TR_HPING3_SPORT);
    assert_evidence(DDI_TOOL_HPING3, &p, "= previous + 1", NULL);

    /* the same run with a TTL that changes per packet (as nmap's) is not hping3 */
    memset(&a, 0, sizeof a);
    ack.sport = 3000;
    for (int i = 0; i < 4; i++) {
        ack.ttl = (uint8_t)(40 + 3 * i);
        p = mk_tcp(&ack);
        got[i] = ddi_tool_classify_ex(&a, &p, &m);
        ack.sport++;
    }
    g_assert_cmpint(got[3], ==, DDI_TOOL_NONE);

    /* hping3 -2: UDP without payload, sport +1 */
    ddi_tool_ctx u;
    memset(&u, 0, sizeof u);
    ddi_tool t = DDI_TOOL_NONE;
    for (int i = 0; i < 3; i++) {
        p = mk_udp("192.168.181.161", "203.0.113.5", (uint16_t)(0x2222 + 31 * i), 64, false, (uint16_t)(1937 + i),
                   (uint16_t)(20 + i), 0);
        t = ddi_tool_classify_ex(&u, &p, &m);
    }
    g_assert_cmpint(t, ==, DDI_TOOL_HPING3);
    assert_evidence(DDI_TOOL_HPING3, &p, "UDP length 8", NULL);
}

/* ------------------------------------------------------------ unicornscan */

static void test_unicorn_key_formula(void)
{
    /* verified on probing__unicornscan.pcapng (source .150, first SYN):
     * dst 192.168.181.1, sport 6823, dport 533, seq 865053826 -> K 0x302f1ee5 */
    tcp_spec s = {.src = "192.168.181.150", .dst = "192.168.181.1", .ttl = 64, .df = true, .sport = 6823,
                  .dport = 533, .seq = 865053826u, .flags = DDI_TH_SYN, .win = 16384};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmphex(ddi_tool_unicorn_key(&p), ==, 0x302f1ee5u);
    /* second SYN of the same run: sport 62768, dport 31337, seq 1274233621 */
    s.sport = 62768;
    s.dport = 31337;
    s.seq = 1274233621u;
    p = mk_tcp(&s);
    g_assert_cmphex(ddi_tool_unicorn_key(&p), ==, 0x302f1ee5u);
}

/* seq a unicornscan sender with key k puts in a probe */
static uint32_t uni_seq(uint32_t k, const char *dst, uint16_t sport, uint16_t dport)
{
    struct in_addr a;
    g_assert_cmpint(inet_pton(AF_INET, dst, &a), ==, 1);
    uint32_t d = ntohl(a.s_addr);
    uint32_t bs = (d >> 24) | ((d >> 8) & 0xff00u) | ((d << 8) & 0xff0000u) | (d << 24);
    return k ^ bs ^ (((uint32_t)dport << 16) + sport);
}

static void test_unicornscan(void)
{
    ddi_tool_match m;
    /* fingerprint 1 (shipped unicorn.conf): a single SYN */
    tcp_spec s = {.src = "192.168.181.150", .dst = "192.168.181.1", .id = 0x9fe4, .ttl = 64, .df = true,
                  .sport = 6823, .dport = 533, .seq = 865053826u, .flags = DDI_TH_SYN, .win = 16384,
                  .opts = O_UNI1, .optlen = sizeof O_UNI1};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_UNICORNSCAN);
    g_assert_cmpint(m.rule, ==, DDI_TR_UNICORN_FP1);
    g_assert_cmpint(m.confidence, ==, 2);
    assert_evidence(DDI_TOOL_UNICORNSCAN, &p, "MSS 1436,NOP,NOP,SACK-perm,NOP,WS 0,NOP,NOP,TS", "unicorn.conf");
    /* the same options on a FIN probe (-mTsF): no OS does that */
    tcp_spec fin = s;
    fin.flags = DDI_TH_FIN;
    p = mk_tcp(&fin);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_UNICORNSCAN);
    g_assert_cmpint(m.confidence, ==, 3);
    /* and on the all-flags probe (-mTFSRPAU), which is not backscatter */
    fin.flags = 0x3f;
    p = mk_tcp(&fin);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_UNICORNSCAN);

    /* fingerprint 0 ("cisco": 4128, MSS only, TTL 255) alone is a real Cisco too: no label */
    tcp_spec f0 = {.src = "198.51.100.20", .dst = "203.0.113.1", .id = 0x5555, .ttl = 250, .sport = 5555,
                   .dport = 23, .flags = DDI_TH_SYN, .win = 4128, .opts = O_MSS1460, .optlen = 4};
    const uint32_t K = 0xa5a5f00du;
    f0.seq = uni_seq(K, f0.dst, f0.sport, f0.dport);
    p = mk_tcp(&f0);
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NONE);
    /* ... but with the key seen again on a second target it is unicornscan */
    f0.dst = "203.0.113.2";
    f0.sport = 40001;
    f0.dport = 80;
    f0.seq = uni_seq(K, f0.dst, f0.sport, f0.dport);
    p = mk_tcp(&f0);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_UNICORNSCAN);
    g_assert_cmpint(m.rule, ==, DDI_TR_UNICORN_FP0);
    g_assert_true(m.multi);

    /* key alone (another -W fingerprint): unicornscan from the third target on */
    memset(&c, 0, sizeof c);
    static const char *dsts[] = {"203.0.113.10", "203.0.113.77", "198.51.100.3", "192.0.2.200"};
    static const uint8_t mss1400[] = {2, 4, 0x05, 0x78, 1, 3, 3, 2};
    tcp_spec k = {.src = "198.51.100.21", .id = 1, .ttl = 60, .df = true, .flags = DDI_TH_SYN, .win = 5840,
                  .opts = mss1400, .optlen = sizeof mss1400};
    ddi_tool got[4];
    for (int i = 0; i < 4; i++) {
        k.dst = dsts[i];
        k.sport = (uint16_t)(5000 + 1111 * i);
        k.dport = (uint16_t)(22 + 100 * i);
        k.seq = uni_seq(K, k.dst, k.sport, k.dport);
        k.id = (uint16_t)(k.id * 31 + 7);
        p = mk_tcp(&k);
        got[i] = ddi_tool_classify_ex(&c, &p, &m);
    }
    g_assert_cmpint(got[0], ==, DDI_TOOL_NONE);
    g_assert_cmpint(got[1], ==, DDI_TOOL_NONE);
    g_assert_cmpint(got[2], ==, DDI_TOOL_UNICORNSCAN);
    g_assert_cmpint(got[3], ==, DDI_TOOL_UNICORNSCAN);
    g_assert_cmpint(m.rule, ==, DDI_TR_UNICORN_KEY);
    char want[64];
    g_snprintf(want, sizeof want, "= 0x%08x", K);
    assert_evidence(DDI_TOOL_UNICORNSCAN, &p, want, "tcphash.h");

    /* a stray packet keeps the lock; a new key (rerun) takes over */
    tcp_spec stray = k;
    stray.seq ^= 0xffff0000u;
    p = mk_tcp(&stray);
    ddi_tool_classify_ex(&c, &p, &m);
    k.dst = "192.0.2.201";
    k.seq = uni_seq(K, k.dst, k.sport, k.dport);
    p = mk_tcp(&k);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_UNICORNSCAN);

    /* an OS retransmitting one SYN (same seq, dst, ports, so the same K) is not unicornscan */
    memset(&c, 0, sizeof c);
    tcp_spec rt = {.src = "198.51.100.22", .dst = "203.0.113.10", .id = 100, .ttl = 64, .df = true,
                   .sport = 51000, .dport = 445, .seq = 0x01020304, .flags = DDI_TH_SYN, .win = 64240,
                   .opts = O_LINUX, .optlen = sizeof O_LINUX};
    for (int i = 0; i < 6; i++) {
        rt.id++;
        p = mk_tcp(&rt);
        g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NONE);
    }
}

/* --------------------------------------------------------------- real OSes */

static void test_real_os(void)
{
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    struct {
        const char *name;
        const uint8_t *opts;
        size_t optlen;
        uint16_t win;
        uint8_t ttl;
        uint16_t id;
    } os[] = {
        {"Linux", O_LINUX, sizeof O_LINUX, 64240, 52, 0x3e1a},
        {"Windows 10", O_WIN10, sizeof O_WIN10, 64240, 113, 0x0ca4},
        {"Windows XP", O_WINXP, sizeof O_WINXP, 64240, 120, 0x7f39},
        {"macOS", O_MACOS, sizeof O_MACOS, 65535, 60, 0},
    };
    uint32_t seq = 0x1badb002;
    for (size_t i = 0; i < G_N_ELEMENTS(os); i++) {
        /* several SYNs from one host to several targets, in one context */
        for (int j = 0; j < 5; j++) {
            char dst[32];
            g_snprintf(dst, sizeof dst, "203.0.113.%d", 10 + j);
            seq = seq * 1103515245u + 12345u;
            tcp_spec s = {.src = "198.51.100.50", .dst = dst, .id = (uint16_t)(os[i].id + (os[i].id ? j : 0)),
                          .ttl = os[i].ttl, .df = true, .sport = (uint16_t)(49152 + 7 * j), .dport = 445,
                          .seq = seq, .flags = DDI_TH_SYN, .win = os[i].win, .opts = os[i].opts,
                          .optlen = os[i].optlen};
            ddi_pkt p = mk_tcp(&s);
            ddi_tool t = ddi_tool_classify(&c, &p);
            if (t != DDI_TOOL_NONE)
                g_error("%s SYN classified as %s", os[i].name, ddi_tool_name(t));
            /* also with a fresh context */
            g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
        }
    }
    /* a Linux SYN over IPv6 */
    tcp_spec v6 = {.src = "2001:db8::50", .dst = "2001:db8:1::1", .ttl = 60, .sport = 40000, .dport = 22,
                   .seq = 7, .flags = DDI_TH_SYN, .win = 64800, .opts = O_LINUX, .optlen = sizeof O_LINUX};
    ddi_pkt p = mk_tcp(&v6);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* an ECN-setup SYN from Linux */
    tcp_spec e = {.src = "198.51.100.51", .dst = "203.0.113.1", .id = 9, .ttl = 60, .df = true, .sport = 40000,
                  .dport = 443, .seq = 99, .flags = DDI_TH_SYN | DDI_TH_ECE | DDI_TH_CWR, .win = 64240,
                  .opts = O_LINUX, .optlen = sizeof O_LINUX};
    p = mk_tcp(&e);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

/* ------------------------------------------------------ crafted / misc */

static void test_crafted_and_edges(void)
{
    ddi_tool_match m;
    /* a spoofed flood SYN: window 0, no options, no DF, TTL 242 */
    tcp_spec s = {.src = "160.161.74.108", .dst = "10.10.10.10", .id = 0x1357, .ttl = 242, .sport = 1024,
                  .dport = 25565, .seq = 0xabcd0000u, .flags = DDI_TH_SYN, .win = 0};
    ddi_pkt p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_CRAFTED);
    g_assert_cmpint(m.confidence, ==, 1);
    assert_evidence(DDI_TOOL_CRAFTED, &p, "20-byte TCP header", "R19");
    /* crafted is for SYNs only: a bare ACK, a SYN-ACK, a RST are not */
    s.flags = DDI_TH_SYN | DDI_TH_ACK;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    s.flags = DDI_TH_RST;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    s.flags = DDI_TH_RST | DDI_TH_ACK;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* the all-flags packet is not a SYN */
    s.flags = 0xff;
    p = mk_tcp(&s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* a non-first fragment carries no TCP header */
    uint8_t b[60] = {0x45, 0, 0, 40, 0x12, 0x34, 0x00, 0x10, 64, 6, 0, 0, 192, 0, 2, 1, 203, 0, 113, 1};
    g_assert_true(ddi_pkt_parse(b, 40, 0, &p));
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* a TCP header cut after 8 bytes: nothing to classify */
    uint8_t t[28] = {0x45, 0, 0, 40, 0xd4, 0x31, 0, 0, 255, 6, 0, 0, 192, 0, 2, 1, 203, 0, 113, 1,
                     0xa3, 0xf6, 0x2c, 0x2f, 1, 2, 3, 4};
    g_assert_true(ddi_pkt_parse(t, sizeof t, 0, &p));
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* NULL packet / context and tiny evidence buffers are safe */
    g_assert_cmpint(ddi_tool_classify(NULL, NULL), ==, DDI_TOOL_NONE);
    tcp_spec z = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 54321, .ttl = 250, .sport = 41974,
                  .dport = 80, .seq = 5, .flags = DDI_TH_SYN, .win = 65535};
    p = mk_tcp(&z);
    g_assert_cmpint(ddi_tool_classify(NULL, &p), ==, DDI_TOOL_ZMAP);
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    ddi_tool_evidence(DDI_TOOL_ZMAP, &p, tiny, sizeof tiny);
    g_assert_cmpuint(strlen(tiny), ==, sizeof tiny - 1);
    ddi_tool_evidence(DDI_TOOL_ZMAP, &p, tiny, 1);
    g_assert_cmpstr(tiny, ==, "");
    ddi_tool_evidence(DDI_TOOL_ZMAP, &p, NULL, 0);
    /* evidence for a tool the packet does not show still says what was compared */
    char buf[256];
    ddi_tool_evidence(DDI_TOOL_MASSCAN, &p, buf, sizeof buf);
    g_assert_nonnull(strstr(buf, "!="));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tools/names", test_names);
    g_test_add_func("/tools/zmap/old", test_zmap_old);
    g_test_add_func("/tools/zmap/synack-icmp", test_zmap_synack_and_icmp);
    g_test_add_func("/tools/zmap/new", test_zmap_new);
    g_test_add_func("/tools/masscan", test_masscan);
    g_test_add_func("/tools/mirai", test_mirai);
    g_test_add_func("/tools/nmap/syn", test_nmap_syn);
    g_test_add_func("/tools/nmap/os", test_nmap_os);
    g_test_add_func("/tools/nmap/other", test_nmap_other);
    g_test_add_func("/tools/hping3", test_hping3);
    g_test_add_func("/tools/unicornscan/key-formula", test_unicorn_key_formula);
    g_test_add_func("/tools/unicornscan", test_unicornscan);
    g_test_add_func("/tools/real-os", test_real_os);
    g_test_add_func("/tools/crafted-edges", test_crafted_and_edges);
    return g_test_run();
}
