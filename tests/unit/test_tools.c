/* test_tools.c — scanner / malware fingerprints (plugin/core/tools.c).
 *
 * Packets are built as raw bytes (pktbuild.h), parsed with ddi_pkt_parse()
 * and then classified, so the tests go through the same path as the plugin.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

#include "pkt.h"
#include "pktbuild.h"
#include "tools.h"

/* ------------------------------------------------------------- builders */

/* An IP+TCP packet parsed at ts 1.0 (and taken as TCP); the options are
 * whole words, so no padding is added. */
static ddi_pkt mk_tcp(const pb_ip *ip, const pb_tcp *t)
{
    g_assert_cmpuint(t->optlen % 4, ==, 0);
    ddi_pkt p = pb_tcp_parsed(ip, t, 1.0);
    g_assert_true(ddi_pkt_is_tcp(&p));
    return p;
}

/* An IP+UDP packet with `payload` bytes of 'C' (as nmap's U1 probe). */
static ddi_pkt mk_udp(const pb_ip *ip, uint16_t sport, uint16_t dport, uint16_t payload)
{
    uint8_t b[PB_MAX];
    size_t n = pb_udp_pkt_fill(b, ip, sport, dport, payload, 'C');
    return pb_parse(b, n, 1.0);
}

/* An ICMP message (id 0x1234, seq 1) with `payload` zero bytes of data. */
static ddi_pkt mk_icmp(const pb_ip *ip, uint8_t type, uint8_t code, uint16_t payload)
{
    uint8_t b[PB_MAX];
    size_t n = pb_icmp_pkt(b, ip, type, code, 0x1234, 1, NULL, payload);
    return pb_parse(b, n, 1.0);
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
static const uint8_t O_MSS1460[] = {PB_MSS(1460)};
/* ZMap >= 4.1 "windows": MSS 1460, NOP, WS 8, NOP, NOP, SACK-perm (12 B) */
static const uint8_t O_ZMAP_WIN[] = {PB_MSS(1460), PB_NOP, PB_WS(8), PB_NOP, PB_NOP, PB_SOK};
/* ZMap "linux": MSS, SACK-perm, TS, NOP, WS 7 (20 B) */
static const uint8_t O_ZMAP_LINUX[] = {PB_MSS(1460), PB_SOK, PB_TS(1, 0), PB_NOP, PB_WS(7)};
/* Linux SYN: MSS, SACK-perm, TS, NOP, WS 7 */
static const uint8_t O_LINUX[] = {PB_MSS(1460), PB_SOK, PB_TS(0x12345678, 0), PB_NOP, PB_WS(7)};
/* Windows 10: MSS, NOP, WS 8, NOP, NOP, SACK-perm */
static const uint8_t O_WIN10[] = {PB_MSS(1460), PB_NOP, PB_WS(8), PB_NOP, PB_NOP, PB_SOK};
/* Windows XP: MSS, NOP, NOP, SACK-perm */
static const uint8_t O_WINXP[] = {PB_MSS(1460), PB_NOP, PB_NOP, PB_SOK};
/* macOS: MSS, NOP, WS 6, NOP, NOP, TS, SACK-perm, EOL, EOL */
static const uint8_t O_MACOS[] = {PB_MSS(1460), PB_NOP, PB_WS(6), PB_NOP, PB_NOP, PB_TS(0x0a0b0c0d, 0),
                                  PB_SOK, PB_EOL, PB_EOL};
/* unicornscan fingerprint 1: MSS 1436, NOP, NOP, SACK-perm, NOP, WS 0, NOP, NOP, TS */
static const uint8_t O_UNI1[] = {PB_MSS(1436), PB_NOP, PB_NOP, PB_SOK, PB_NOP, PB_WS(0),
                                 PB_NOP, PB_NOP, PB_TS(0x9a8a0bb9, 0)};
/* nmap OS T5/T6 (prbOpts[10], [11]): WS 10, NOP, MSS 265, TS, SACK-perm */
static const uint8_t O_NMAP_T5[] = {PB_WS(10), PB_NOP, PB_MSS(265), PB_TS(0xffffffff, 0), PB_SOK};
/* nmap OS T7 (prbOpts[12]): WS 15, NOP, MSS 265, TS, SACK-perm */
static const uint8_t O_NMAP_T7[] = {PB_WS(15), PB_NOP, PB_MSS(265), PB_TS(0xffffffff, 0), PB_SOK};

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
    pb_ip ip = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 54321, .ttl = 250};
    pb_tcp s = {.sport = 41974, .dport = 11311, .seq = 0x9a3f0c11, .flags = DDI_TH_SYN, .win = 65535};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_SYN);
    assert_evidence(DDI_TOOL_ZMAP, &p, "IP ID 54321", "zmap src/probe_modules/packet.c");

    /* 3.0 - 4.0: MSS 1460 only */
    s.opts = O_MSS1460;
    s.optlen = sizeof O_MSS1460;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_nonnull(strstr(m.variant, "3.0 - 4.0"));

    /* MSS 536 only, or a full OS-like layout, is no layout a ZMap release
     * sends; the IP ID/window/DF marker does not depend on options, so a
     * build that adds or changes them is still ZMap (and so gets no OS
     * label, no link claim from its MSS and no NAT: test_analyze.c) */
    static const uint8_t mss536[] = {PB_MSS(536)};
    static const uint8_t linuxish[] = {PB_MSS(1460), PB_SOK, PB_TS(1, 0), PB_NOP, PB_WS(7)};
    const uint8_t *layouts[] = {mss536, linuxish};
    const size_t lens[] = {sizeof mss536, sizeof linuxish};
    for (size_t k = 0; k < 2; k++) {
        s.opts = layouts[k];
        s.optlen = lens[k];
        p = mk_tcp(&ip, &s);
        g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
        g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_SYN_OPTS);
        assert_evidence(DDI_TOOL_ZMAP, &p, "IP ID 54321 (fixed 54321)", "not a layout ZMap releases send");
        /* DF set, or another window, is no ZMap marker */
        pb_ip df_ip = ip;
        df_ip.df = true;
        p = mk_tcp(&df_ip, &s);
        g_assert_cmpint(classify1(&p, NULL), !=, DDI_TOOL_ZMAP);
        pb_tcp w = s;
        w.win = 5840;
        p = mk_tcp(&ip, &w);
        g_assert_cmpint(classify1(&p, NULL), !=, DDI_TOOL_ZMAP);
    }
    s.opts = NULL;
    s.optlen = 0;

    /* sport outside the default range: still ZMap (the evidence says "outside") */
    s.sport = 1234;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_nonnull(m.variant);
    assert_evidence(DDI_TOOL_ZMAP, &p, "outside", NULL);
    s.sport = 41974;

    /* tutorial raw-socket SYN: id 54321 but window 5840, seq 0: not ZMap */
    pb_ip tut_ip = ip;
    tut_ip.ttl = 64;
    pb_tcp tut = s;
    tut.win = 5840;
    tut.seq = 0;
    p = mk_tcp(&tut_ip, &tut);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);
    tut.win = 53264; /* struct.pack('!H', socket.htons(5840)) */
    p = mk_tcp(&tut_ip, &tut);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* DF set: not ZMap */
    pb_ip df = ip;
    df.df = true;
    p = mk_tcp(&df, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* a flood SYN with ECE+CWR that happens to carry id 54321 (2^-16): not ZMap */
    pb_tcp ecn = s;
    ecn.flags = DDI_TH_SYN | DDI_TH_ECE | DDI_TH_CWR;
    p = mk_tcp(&ip, &ecn);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* IPv6 has no IP ID: a v6 SYN with window 65535 and no options is only crafted */
    pb_ip v6 = ip;
    v6.src = "2001:db8::7";
    v6.dst = "2001:db8:1::9";
    p = mk_tcp(&v6, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);
    /* and its evidence cites no IPv4-only bit: IPv6 has no DF */
    char buf[512];
    ddi_tool_evidence(DDI_TOOL_CRAFTED, &p, buf, sizeof buf);
    g_assert_null(strstr(buf, "DF"));
    g_assert_nonnull(strstr(buf, "IPv6 SYN with a 20-byte TCP header"));
    g_assert_nonnull(strstr(buf, "hop limit"));
    /* the IPv4 one does say DF clear */
    p = mk_tcp(&ip, &s);
    ddi_tool_evidence(DDI_TOOL_CRAFTED, &p, buf, sizeof buf);
    g_assert_nonnull(strstr(buf, "DF clear"));
}

static void test_zmap_synack_and_icmp(void)
{
    ddi_tool_match m;
    /* module_tcp_synackscan: SYN+ACK probes with id 54321, window 65535 */
    pb_ip ip = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 54321, .ttl = 247};
    pb_tcp s = {.sport = 50000, .dport = 443, .seq = 0x11223344, .ack = 0x55667788,
                .flags = DDI_TH_SYN | DDI_TH_ACK, .win = 65535};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_SYNACK);
    assert_evidence(DDI_TOOL_ZMAP, &p, "not backscatter", "module_tcp_synackscan.c");

    /* any other SYN-ACK is backscatter, never a scanner */
    ip.id = 4711;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    s.win = 1024; /* even with nmap/masscan-like values */
    s.opts = O_MSS1460;
    s.optlen = 4;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* ZMap icmp_echoscan: echo request, id 54321, TTL 255, no DF */
    pb_ip icmp = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 54321, .ttl = 250};
    p = mk_icmp(&icmp, 8, 0, 0);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_ICMP);
    assert_evidence(DDI_TOOL_ZMAP, &p, "ICMP echo request with IP ID 54321", NULL);
    /* an ordinary ping that happens to use that ID (TTL 64) is not */
    icmp.ttl = 60;
    p = mk_icmp(&icmp, 8, 0, 56);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* an echo reply with that ID is not a probe */
    icmp.ttl = 250;
    p = mk_icmp(&icmp, 0, 0, 0);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

static void test_zmap_new(void)
{
    ddi_tool_match m;
    pb_ip ip = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 0x3c1d, .ttl = 57};
    pb_tcp s = {.sport = 45000, .dport = 443, .seq = 0xdeadbeef, .flags = DDI_TH_SYN, .win = 65535,
                .opts = O_ZMAP_WIN, .optlen = sizeof O_ZMAP_WIN};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP_NEW);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_NEW);
    assert_evidence(DDI_TOOL_ZMAP_NEW, &p, "MSS 1460,NOP,WS 8,NOP,NOP,SACK-perm", "set_tcp_options");

    /* a Windows 10 SYN has the same options but DF and TTL 128 */
    pb_ip w_ip = ip;
    w_ip.df = true;
    w_ip.ttl = 116;
    pb_tcp w = s;
    w.win = 64240;
    w.opts = O_WIN10;
    p = mk_tcp(&w_ip, &w);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    w.win = 65535; /* even with window 65535 */
    p = mk_tcp(&w_ip, &w);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* TTL above 64: not ZMap >= 4.1 (its default --probe-ttl is 64) */
    pb_ip hi = ip;
    hi.ttl = 120;
    p = mk_tcp(&hi, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* --probe-args=linux */
    pb_tcp l = s;
    l.opts = O_ZMAP_LINUX;
    l.optlen = sizeof O_ZMAP_LINUX;
    p = mk_tcp(&ip, &l);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_ZMAP_NEW);
    g_assert_cmpint(m.rule, ==, DDI_TR_ZMAP_NEW_ALT);
    g_assert_nonnull(strstr(m.variant, "linux"));

    /* smallest-probes: MSS only, random id (54321 would be <= 4.0) */
    pb_tcp sm = s;
    sm.opts = O_MSS1460;
    sm.optlen = 4;
    p = mk_tcp(&ip, &sm);
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
    pb_ip ip = {.src = "192.0.2.44", .dst = "200.83.99.32", .ttl = 243};
    pb_tcp s = {.sport = 53389, .dport = 23, .seq = 3763952323u, .flags = DDI_TH_SYN, .win = 1024};
    ip.id = masscan_id(ip.dst, s.dport, s.seq);
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MASSCAN);
    g_assert_nonnull(strstr(m.variant, "1.3.2"));
    char want[64];
    g_snprintf(want, sizeof want, "IP ID %u = (dst ^ dport ^ seq) & 0xffff = %u", ip.id, ip.id);
    assert_evidence(DDI_TOOL_MASSCAN, &p, want, "masscan src/templ-pkt.c");
    assert_evidence(DDI_TOOL_MASSCAN, &p, "window 1024", "TTL 243");

    /* one bit off: not masscan (window 1024, no options, no DF: crafted) */
    pb_ip off = ip;
    off.id ^= 1;
    p = mk_tcp(&off, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* DF set: not masscan */
    pb_ip df = ip;
    df.df = true;
    p = mk_tcp(&df, &s);
    g_assert_cmpint(classify1(&p, NULL), !=, DDI_TOOL_MASSCAN);

    /* relation holds but window 5840: not masscan's template */
    pb_tcp w = s;
    w.win = 5840;
    p = mk_tcp(&ip, &w);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* masscan git HEAD: window 1025 and MSS 1460 */
    pb_ip head_ip = ip;
    pb_tcp head = s;
    head.win = 1025;
    head.opts = O_MSS1460;
    head.optlen = 4;
    p = mk_tcp(&head_ip, &head);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MASSCAN);
    g_assert_nonnull(strstr(m.variant, "1025"));
    /* the same without the relation is neither masscan nor nmap (window 1025) */
    head_ip.id ^= 0x100;
    p = mk_tcp(&head_ip, &head);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* masscan's kernel RSTs are never labelled */
    pb_ip rst_ip = ip;
    pb_tcp rst = s;
    rst.flags = DDI_TH_RST;
    rst_ip.id = masscan_id(rst_ip.dst, rst.dport, rst.seq);
    p = mk_tcp(&rst_ip, &rst);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

/* ------------------------------------------------------------------ Mirai */

static void test_mirai(void)
{
    ddi_tool_match m;
    /* seq = the destination's 4 bytes: 93.184.216.34 = 0x5db8d822 */
    pb_ip ip = {.src = "192.0.2.66", .dst = "93.184.216.34", .id = 0x1c2d, .ttl = 52};
    pb_tcp s = {.sport = 48211, .dport = 23, .seq = 0x5db8d822, .flags = DDI_TH_SYN, .win = 0x7a31};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "23/2323"));
    assert_evidence(DDI_TOOL_MIRAI, &p, "TCP seq 0x5db8d822 = destination 93.184.216.34", "mirai/bot/scanner.c");

    s.dport = 2323;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "23/2323"));

    /* variants keep the signature on other ports */
    s.dport = 37215;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "known variant port"));
    assert_evidence(DDI_TOOL_MIRAI, &p, "variant", NULL);
    s.dport = 6379;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "not in the 2016 source"));

    /* a destination original Mirai never scans (10/8) */
    pb_ip x_ip = ip;
    pb_tcp x = s;
    x_ip.dst = "10.1.2.3";
    x.seq = 0x0a010203;
    x.dport = 23;
    p = mk_tcp(&x_ip, &x);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_MIRAI);
    g_assert_nonnull(strstr(m.variant, "never scans"));

    /* seq off by one: crafted only */
    pb_tcp off = s;
    off.seq ^= 0x100;
    p = mk_tcp(&ip, &off);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* with options (doff != 5): not Mirai */
    pb_tcp o = s;
    o.opts = O_MSS1460;
    o.optlen = 4;
    p = mk_tcp(&ip, &o);
    g_assert_cmpint(classify1(&p, NULL), !=, DDI_TOOL_MIRAI);
}

/* ------------------------------------------------------------------- nmap */

static void test_nmap_syn(void)
{
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    ddi_tool_match m;
    pb_ip ip = {.src = "172.16.0.8", .dst = "64.13.134.52", .id = 0x2ab1, .ttl = 43};
    pb_tcp s = {.sport = 63505, .dport = 80, .seq = 0x237ff1d4, .flags = DDI_TH_SYN, .win = 1024,
                .opts = O_MSS1460, .optlen = 4};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NMAP_SYN);
    g_assert_false(m.multi);
    assert_evidence(DDI_TOOL_NMAP_SYN, &p, "window 1024", "build_tcp_raw");

    /* same (sport, seq), another destination (and a new random TTL/ID): confirmed */
    ip.dst = "64.13.134.53";
    ip.ttl = 57;
    ip.id = 0x91f0;
    s.win = 3072;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NMAP_SYN);
    g_assert_true(m.multi);
    char buf[512];
    ddi_tool_match_evidence(&m, &p, buf, sizeof buf);
    g_assert_nonnull(strstr(buf, "confirmed by earlier packets"));

    /* the same target again (a retransmission-like repeat) does not count */
    ddi_tool_ctx c2;
    memset(&c2, 0, sizeof c2);
    ip.dst = "64.13.134.52";
    p = mk_tcp(&ip, &s);
    ddi_tool_classify_ex(&c2, &p, &m);
    ddi_tool_classify_ex(&c2, &p, &m);
    g_assert_false(m.multi);

    /* TTL 128 is no nmap (it draws 37-59) */
    pb_ip t_ip = ip;
    t_ip.ttl = 120;
    p = mk_tcp(&t_ip, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* window 8192 is no nmap */
    pb_tcp t = s;
    t.win = 8192;
    p = mk_tcp(&ip, &t);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* DF set is no nmap */
    t_ip = ip;
    t_ip.df = true;
    p = mk_tcp(&t_ip, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* IPv6 SYN with nmap's window and options; its evidence cites no DF bit */
    pb_ip v6 = ip;
    v6.src = "2001:db8::8";
    v6.dst = "2001:db8:2::1";
    p = mk_tcp(&v6, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NMAP_SYN);
    ddi_tool_evidence(DDI_TOOL_NMAP_SYN, &p, buf, sizeof buf);
    g_assert_null(strstr(buf, "DF clear"));
    g_assert_null(strstr(buf, "DF set"));
    g_assert_nonnull(strstr(buf, "IPv6"));
}

/* nmap draws a new TTL per probe: a source whose nmap-shaped SYNs keep one
 * TTL is not nmap (the seed's 203.0.113.30: TTL 55 on 7 probes). */
static void test_nmap_syn_ttl(void)
{
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    ddi_tool_match m;
    pb_ip ip = {.src = "203.0.113.30", .dst = "198.51.100.3", .id = 0x2618, .ttl = 55};
    pb_tcp s = {.sport = 47414, .dport = 23, .flags = DDI_TH_SYN, .win = 1024, .opts = O_MSS1460, .optlen = 4};
    for (unsigned i = 0; i < 7; i++) {
        char dst[32];
        g_snprintf(dst, sizeof dst, "198.51.100.%u", 3 + i * 37);
        ip.dst = dst;
        ip.id = (uint16_t)(0x2618 + i * 7919);
        s.seq = 450765528u + i * 104729u; /* a new ISN per probe: no (sport, seq) relation */
        ddi_pkt p = mk_tcp(&ip, &s);
        ddi_tool t = ddi_tool_classify_ex(&c, &p, &m);
        if (i + 1 < DDI_NMAP_TTL_SAME_MAX) {
            /* one or two probes: a TTL within 37-59 fits, variation not yet seen */
            g_assert_cmpint(t, ==, DDI_TOOL_NMAP_SYN);
            g_assert_nonnull(strstr(m.variant, "not yet seen"));
        } else {
            g_assert_cmpint(t, ==, DDI_TOOL_CRAFTED);
            g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_SHAPE);
            char buf[512];
            ddi_tool_match_evidence(&m, &p, buf, sizeof buf);
            g_assert_nonnull(strstr(buf, "TTL 55 on every one"));
            /* the same text when only the verdict is known (a later pass) */
            ddi_tool_evidence(DDI_TOOL_CRAFTED, &p, buf, sizeof buf);
            g_assert_nonnull(strstr(buf, "nmap draws a new TTL 37-59 per probe"));
        }
    }
    g_assert_true(ddi_tool_nmap_refuted(&c));
    /* the same probes with a TTL drawn per probe: nmap, confirmed by the variation */
    memset(&c, 0, sizeof c);
    g_assert_false(ddi_tool_nmap_refuted(&c));
    static const uint8_t ttls[] = {44, 44, 51, 38, 59, 40, 40};
    for (unsigned i = 0; i < G_N_ELEMENTS(ttls); i++) {
        ip.ttl = ttls[i];
        s.seq = 1000u + i * 104729u;
        ddi_pkt p = mk_tcp(&ip, &s);
        ddi_tool t = ddi_tool_classify_ex(&c, &p, &m);
        g_assert_cmpint(t, ==, DDI_TOOL_NMAP_SYN);
        g_assert_true(m.multi == (i >= 2));
    }
    g_assert_false(ddi_tool_nmap_refuted(&c));
    /* a constant TTL, but nmap's (sport, seq) on two targets: nmap (--ttl) */
    memset(&c, 0, sizeof c);
    ip.ttl = 50;
    s.seq = 77;
    for (unsigned i = 0; i < 4; i++) {
        char dst[32];
        g_snprintf(dst, sizeof dst, "198.51.100.%u", 10 + i);
        ip.dst = dst;
        ddi_pkt p = mk_tcp(&ip, &s);
        g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NMAP_SYN);
    }
}

static void test_nmap_os(void)
{
    ddi_tool_match m;
    pb_ip ip = {.src = "192.0.2.10", .dst = "203.0.113.5", .id = 0x4242, .ttl = 50};
    pb_tcp base = {.sport = 45678, .dport = 39521, .seq = 0x12345678, .ack = 0x9abcdef0};

    pb_tcp t5 = base;
    t5.flags = DDI_TH_SYN;
    t5.win = 31337;
    t5.opts = O_NMAP_T5;
    t5.optlen = sizeof O_NMAP_T5;
    ddi_pkt p = mk_tcp(&ip, &t5);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_T5);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "31337", "osscan2.cc");

    pb_ip t6_ip = ip;
    pb_tcp t6 = base;
    t6.flags = DDI_TH_ACK;
    t6.win = 32768;
    t6_ip.df = true;
    t6.opts = O_NMAP_T5;
    t6.optlen = sizeof O_NMAP_T5;
    p = mk_tcp(&t6_ip, &t6);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_T6);
    t6_ip.df = false; /* T6 sets DF */
    p = mk_tcp(&t6_ip, &t6);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    t6_ip.df = true; /* an ordinary ACK with window 32768 and a TS option */
    static const uint8_t ts_only[] = {PB_NOP, PB_NOP, PB_TS(1, 2)};
    t6.opts = ts_only;
    t6.optlen = sizeof ts_only;
    p = mk_tcp(&t6_ip, &t6);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    pb_tcp t7 = base;
    t7.flags = DDI_TH_FIN | DDI_TH_PUSH | DDI_TH_URG;
    t7.win = 65535;
    t7.opts = O_NMAP_T7;
    t7.optlen = sizeof O_NMAP_T7;
    p = mk_tcp(&ip, &t7);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_T7);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "WS 15", NULL);

    pb_tcp ecn = base;
    ecn.flags = DDI_TH_SYN | DDI_TH_ECE | DDI_TH_CWR;
    ecn.win = 3;
    ecn.urg = 0xF7F5;
    ecn.ack = 0;
    ecn.opts = O_NMAP_T5;
    ecn.optlen = sizeof O_NMAP_T5;
    p = mk_tcp(&ip, &ecn);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_ECN);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "0xf7f5", "sendTEcnProbe");

    /* IE1: echo request, code 9, DF, 120 data bytes */
    pb_ip ie = {.src = "192.0.2.10", .dst = "203.0.113.5", .id = 0x7777, .ttl = 50, .df = true};
    p = mk_icmp(&ie, 8, 9, 120);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_IE1);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "code 9", NULL);
    /* code 9 without DF: no */
    ie.df = false;
    p = mk_icmp(&ie, 8, 9, 120);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* IE2: TOS 0x04, code 0, 150 bytes */
    ie.id = 0x7778;
    ie.tos = 0x04;
    p = mk_icmp(&ie, 8, 0, 150);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_IE2);
    /* an ordinary ping */
    ie.tos = 0;
    ie.df = true;
    p = mk_icmp(&ie, 8, 0, 56);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* U1: UDP, id 0x1042, 300 bytes of 'C' (UDP length 308) */
    pb_ip u1 = {.src = "192.0.2.10", .dst = "203.0.113.5", .id = 0x1042, .ttl = 55};
    p = mk_udp(&u1, 45678, 40125, 300);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OS);
    g_assert_cmpint(m.rule, ==, DDI_TR_NMAP_U1);
    assert_evidence(DDI_TOOL_NMAP_OS, &p, "0x1042", "send_closedudp_probe");
    u1.id = 0x1043;
    p = mk_udp(&u1, 45678, 40125, 300);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

static void test_nmap_other(void)
{
    ddi_tool_match m;
    pb_ip ip = {.src = "192.0.2.11", .dst = "203.0.113.5", .id = 0x1111, .ttl = 40};
    pb_tcp s = {.sport = 63505, .dport = 80, .seq = 595583444u, .flags = 0, .win = 1024};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OTHER);
    g_assert_nonnull(strstr(m.variant, "-sN"));
    s.flags = DDI_TH_FIN | DDI_TH_PUSH | DDI_TH_URG;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OTHER);
    g_assert_nonnull(strstr(m.variant, "-sX"));
    /* -sA: seq 0, the encoded value in ack */
    s.flags = DDI_TH_ACK;
    s.seq = 0;
    s.ack = 2763710632u;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_NMAP_OTHER);
    assert_evidence(DDI_TOOL_NMAP_OTHER, &p, "seq 0", "sendIPScanProbe");
    /* an ACK with DF and window 1024 is an ordinary segment */
    ip.df = true;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);

    /* nmap draws the TTL per probe here too: FIN probes keeping TTL 40 are
     * not nmap's from the third on; with TTLs that vary they are, surely */
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    pb_ip fip = {.src = "192.0.2.12", .dst = "203.0.113.5", .id = 0x2222, .ttl = 40};
    pb_tcp fin = {.sport = 63505, .dport = 80, .seq = 1, .flags = DDI_TH_FIN, .win = 1024};
    for (unsigned i = 0; i < 5; i++) {
        fin.dport = (uint16_t)(80 + i);
        p = mk_tcp(&fip, &fin);
        ddi_tool t = ddi_tool_classify_ex(&c, &p, &m);
        g_assert_cmpint(t, ==, i + 1 < DDI_NMAP_TTL_SAME_MAX ? DDI_TOOL_NMAP_OTHER : DDI_TOOL_NONE);
    }
    memset(&c, 0, sizeof c);
    static const uint8_t ttls[] = {40, 52, 52, 38, 59};
    for (unsigned i = 0; i < G_N_ELEMENTS(ttls); i++) {
        fip.ttl = ttls[i];
        p = mk_tcp(&fip, &fin);
        g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NMAP_OTHER);
        g_assert_true(m.multi == (i > 0));
    }
}

/* ----------------------------------------------------------------- hping3 */

static void test_hping3(void)
{
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    ddi_tool_match m;
    pb_ip ip = {.src = "192.168.181.160", .dst = "203.0.113.5", .id = 0x51d2, .ttl = 64};
    pb_tcp s = {.sport = 1099, .dport = 20, .seq = 0x1c7e11aa, .ack = 1228723076u, .flags = DDI_TH_SYN,
                .win = 512};
    ddi_pkt p = mk_tcp(&ip, &s);
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
        ip.id += 77;
        p = mk_tcp(&ip, &s);
        g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_HPING3);
    }
    g_assert_true(m.multi);

    /* ack 0: the single-packet rule does not hold (a crafted SYN) */
    pb_tcp z = s;
    z.ack = 0;
    p = mk_tcp(&ip, &z);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_CRAFTED);

    /* hping3 -A: the ACK flag is set, so only the sport +1 run tells */
    ddi_tool_ctx a;
    memset(&a, 0, sizeof a);
    pb_ip ack_ip = {.src = "192.168.181.165", .dst = "203.0.113.5", .ttl = 64};
    pb_tcp ack = {.sport = 1772, .dport = 20, .seq = 1, .ack = 2, .flags = DDI_TH_ACK, .win = 512};
    ddi_tool got[4];
    for (int i = 0; i < 4; i++) {
        ack_ip.id = (uint16_t)(0x1000 + 997 * i);
        p = mk_tcp(&ack_ip, &ack);
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
        ack_ip.ttl = (uint8_t)(40 + 3 * i);
        p = mk_tcp(&ack_ip, &ack);
        got[i] = ddi_tool_classify_ex(&a, &p, &m);
        ack.sport++;
    }
    g_assert_cmpint(got[3], ==, DDI_TOOL_NONE);

    /* hping3 -2: UDP without payload, sport +1 */
    ddi_tool_ctx u;
    memset(&u, 0, sizeof u);
    ddi_tool t = DDI_TOOL_NONE;
    for (int i = 0; i < 3; i++) {
        pb_ip uip = {.src = "192.168.181.161", .dst = "203.0.113.5", .id = (uint16_t)(0x2222 + 31 * i), .ttl = 64};
        p = mk_udp(&uip, (uint16_t)(1937 + i), (uint16_t)(20 + i), 0);
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
    pb_ip ip = {.src = "192.168.181.150", .dst = "192.168.181.1", .ttl = 64, .df = true};
    pb_tcp s = {.sport = 6823, .dport = 533, .seq = 865053826u, .flags = DDI_TH_SYN, .win = 16384};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmphex(ddi_tool_unicorn_key(&p), ==, 0x302f1ee5u);
    /* second SYN of the same run: sport 62768, dport 31337, seq 1274233621 */
    s.sport = 62768;
    s.dport = 31337;
    s.seq = 1274233621u;
    p = mk_tcp(&ip, &s);
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
    pb_ip ip = {.src = "192.168.181.150", .dst = "192.168.181.1", .id = 0x9fe4, .ttl = 64, .df = true};
    pb_tcp s = {.sport = 6823, .dport = 533, .seq = 865053826u, .flags = DDI_TH_SYN, .win = 16384,
                .opts = O_UNI1, .optlen = sizeof O_UNI1};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_UNICORNSCAN);
    g_assert_cmpint(m.rule, ==, DDI_TR_UNICORN_FP1);
    g_assert_false(m.multi);
    assert_evidence(DDI_TOOL_UNICORNSCAN, &p, "MSS 1436,NOP,NOP,SACK-perm,NOP,WS 0,NOP,NOP,TS", "unicorn.conf");
    /* the same options on a FIN probe (-mTsF): no OS does that */
    pb_tcp fin = s;
    fin.flags = DDI_TH_FIN;
    p = mk_tcp(&ip, &fin);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_UNICORNSCAN);
    g_assert_cmpint(m.rule, ==, DDI_TR_UNICORN_FP1);
    /* and on the all-flags probe (-mTFSRPAU), which is not backscatter */
    fin.flags = 0x3f;
    p = mk_tcp(&ip, &fin);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_UNICORNSCAN);

    /* fingerprint 0 ("cisco": 4128, MSS only, TTL 255) alone is a real Cisco too: no label */
    pb_ip f0_ip = {.src = "198.51.100.20", .dst = "203.0.113.1", .id = 0x5555, .ttl = 250};
    pb_tcp f0 = {.sport = 5555, .dport = 23, .flags = DDI_TH_SYN, .win = 4128, .opts = O_MSS1460, .optlen = 4};
    const uint32_t K = 0xa5a5f00du;
    f0.seq = uni_seq(K, f0_ip.dst, f0.sport, f0.dport);
    p = mk_tcp(&f0_ip, &f0);
    ddi_tool_ctx c;
    memset(&c, 0, sizeof c);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_NONE);
    /* ... but with the key seen again on a second target it is unicornscan */
    f0_ip.dst = "203.0.113.2";
    f0.sport = 40001;
    f0.dport = 80;
    f0.seq = uni_seq(K, f0_ip.dst, f0.sport, f0.dport);
    p = mk_tcp(&f0_ip, &f0);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_UNICORNSCAN);
    g_assert_cmpint(m.rule, ==, DDI_TR_UNICORN_FP0);
    g_assert_true(m.multi);

    /* key alone (another -W fingerprint): unicornscan from the third target on */
    memset(&c, 0, sizeof c);
    static const char *dsts[] = {"203.0.113.10", "203.0.113.77", "198.51.100.3", "192.0.2.200"};
    static const uint8_t mss1400[] = {PB_MSS(1400), PB_NOP, PB_WS(2)};
    pb_ip k_ip = {.src = "198.51.100.21", .id = 1, .ttl = 60, .df = true};
    pb_tcp k = {.flags = DDI_TH_SYN, .win = 5840, .opts = mss1400, .optlen = sizeof mss1400};
    ddi_tool got[4];
    for (int i = 0; i < 4; i++) {
        k_ip.dst = dsts[i];
        k.sport = (uint16_t)(5000 + 1111 * i);
        k.dport = (uint16_t)(22 + 100 * i);
        k.seq = uni_seq(K, k_ip.dst, k.sport, k.dport);
        k_ip.id = (uint16_t)(k_ip.id * 31 + 7);
        p = mk_tcp(&k_ip, &k);
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
    pb_tcp stray = k;
    stray.seq ^= 0xffff0000u;
    p = mk_tcp(&k_ip, &stray);
    ddi_tool_classify_ex(&c, &p, &m);
    k_ip.dst = "192.0.2.201";
    k.seq = uni_seq(K, k_ip.dst, k.sport, k.dport);
    p = mk_tcp(&k_ip, &k);
    g_assert_cmpint(ddi_tool_classify_ex(&c, &p, &m), ==, DDI_TOOL_UNICORNSCAN);

    /* an OS retransmitting one SYN (same seq, dst, ports, so the same K) is not unicornscan */
    memset(&c, 0, sizeof c);
    pb_ip rt_ip = {.src = "198.51.100.22", .dst = "203.0.113.10", .id = 100, .ttl = 64, .df = true};
    pb_tcp rt = {.sport = 51000, .dport = 445, .seq = 0x01020304, .flags = DDI_TH_SYN, .win = 64240,
                 .opts = O_LINUX, .optlen = sizeof O_LINUX};
    for (int i = 0; i < 6; i++) {
        rt_ip.id++;
        p = mk_tcp(&rt_ip, &rt);
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
            pb_ip ip = {.src = "198.51.100.50", .dst = dst, .id = (uint16_t)(os[i].id + (os[i].id ? j : 0)),
                        .ttl = os[i].ttl, .df = true};
            pb_tcp s = {.sport = (uint16_t)(49152 + 7 * j), .dport = 445, .seq = seq, .flags = DDI_TH_SYN,
                        .win = os[i].win, .opts = os[i].opts, .optlen = os[i].optlen};
            ddi_pkt p = mk_tcp(&ip, &s);
            ddi_tool t = ddi_tool_classify(&c, &p);
            if (t != DDI_TOOL_NONE)
                g_error("%s SYN classified as %s", os[i].name, ddi_tool_name(t));
            /* also with a fresh context */
            g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
        }
    }
    /* a Linux SYN over IPv6 */
    pb_ip v6 = {.src = "2001:db8::50", .dst = "2001:db8:1::1", .ttl = 60};
    pb_tcp s6 = {.sport = 40000, .dport = 22, .seq = 7, .flags = DDI_TH_SYN, .win = 64800, .opts = O_LINUX,
                 .optlen = sizeof O_LINUX};
    ddi_pkt p = mk_tcp(&v6, &s6);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* an ECN-setup SYN from Linux */
    pb_ip e_ip = {.src = "198.51.100.51", .dst = "203.0.113.1", .id = 9, .ttl = 60, .df = true};
    pb_tcp e = {.sport = 40000, .dport = 443, .seq = 99, .flags = DDI_TH_SYN | DDI_TH_ECE | DDI_TH_CWR,
                .win = 64240, .opts = O_LINUX, .optlen = sizeof O_LINUX};
    p = mk_tcp(&e_ip, &e);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
}

/* ------------------------------------------------------ crafted / misc */

static void test_crafted_and_edges(void)
{
    ddi_tool_match m;
    /* a spoofed flood SYN: window 0, no options, no DF, TTL 242 */
    pb_ip ip = {.src = "160.161.74.108", .dst = "10.10.10.10", .id = 0x1357, .ttl = 242};
    pb_tcp s = {.sport = 1024, .dport = 25565, .seq = 0xabcd0000u, .flags = DDI_TH_SYN, .win = 0};
    ddi_pkt p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, &m), ==, DDI_TOOL_CRAFTED);
    g_assert_cmpint(m.rule, ==, DDI_TR_CRAFTED);
    assert_evidence(DDI_TOOL_CRAFTED, &p, "20-byte TCP header", "R19");
    /* crafted is for SYNs only: a bare ACK, a SYN-ACK, a RST are not */
    s.flags = DDI_TH_SYN | DDI_TH_ACK;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    s.flags = DDI_TH_RST;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    s.flags = DDI_TH_RST | DDI_TH_ACK;
    p = mk_tcp(&ip, &s);
    g_assert_cmpint(classify1(&p, NULL), ==, DDI_TOOL_NONE);
    /* the all-flags packet is not a SYN */
    s.flags = 0xff;
    p = mk_tcp(&ip, &s);
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
    pb_ip z_ip = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 54321, .ttl = 250};
    pb_tcp z = {.sport = 41974, .dport = 80, .seq = 5, .flags = DDI_TH_SYN, .win = 65535};
    p = mk_tcp(&z_ip, &z);
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

/* The rule and tool tables: complete as shipped; every missing piece of a
 * row is caught (what a new rule or tool would forget). */
static void test_tables(void)
{
    const char *why = "unset";
    g_assert_cmpint(ddi_tool_table_check(ddi_tool_rules, DDI_TR__COUNT, ddi_tools, DDI_TOOL__COUNT, &why), ==, 0);
    g_assert_null(why);
    for (int r = 0; r < DDI_TR__COUNT; r++)
        g_assert_cmpstr(ddi_tool_rule_name((ddi_tool_rule)r), ==, ddi_tool_rules[r].name);
    g_assert_true(ddi_tool_is_stateless(DDI_TOOL_MASSCAN));
    g_assert_false(ddi_tool_is_stateless(DDI_TOOL_NMAP_SYN));
    g_assert_false(ddi_tool_is_stateless(DDI_TOOL__COUNT));

    ddi_tool_rule_row rules[DDI_TR__COUNT];
    ddi_tool_row tools[DDI_TOOL__COUNT];
    static const struct {
        int piece;
        const char *why;
    } cases[] = {{0, "rule: id"},       {1, "rule: no display name"},  {2, "rule: no evidence function"},
                 {3, "rule: no source"}, {4, "rule: no tool"},          {5, "no match function and no row"},
                 {6, "no protocol"},     {7, "tool: no name"},          {8, "tool: no source"},
                 {9, "tool: id"},        {10, "default rule names another tool"}};
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        memcpy(rules, ddi_tool_rules, sizeof rules);
        memcpy(tools, ddi_tools, sizeof tools);
        ddi_tool_rule_row *r = &rules[DDI_TR_ZMAP_ICMP]; /* the last row, where a new rule would go */
        ddi_tool_row *t = &tools[DDI_TOOL_NMAP_PING];
        int want = DDI_TOOL__COUNT + DDI_TR_ZMAP_ICMP + 1;
        switch (cases[c].piece) {
        case 0: r->id = DDI_TR_MASSCAN; break;
        case 1: r->name = ""; break;
        case 2: r->evidence = NULL; break;
        case 3: r->source = NULL; break;
        case 4: r->tool = DDI_TOOL_NONE; break;
        case 5: r->match = NULL; break;
        case 6: r->protos = 0; break;
        case 7: t->name = NULL; want = DDI_TOOL_NMAP_PING + 1; break;
        case 8: t->source = ""; want = DDI_TOOL_NMAP_PING + 1; break;
        case 9: t->id = DDI_TOOL_ZMAP; want = DDI_TOOL_NMAP_PING + 1; break;
        case 10: t->explain = DDI_TR_MASSCAN; want = DDI_TOOL_NMAP_PING + 1; break;
        }
        why = NULL;
        g_assert_cmpint(ddi_tool_table_check(rules, DDI_TR__COUNT, tools, DDI_TOOL__COUNT, &why), ==, want);
        g_assert_nonnull(why);
        g_assert_nonnull(strstr(why, cases[c].why));
    }
    /* a rule reached through another row's match is complete without its own */
    memcpy(rules, ddi_tool_rules, sizeof rules);
    g_assert_null(rules[DDI_TR_NMAP_SHAPE].match);
    g_assert_cmpint(rules[DDI_TR_NMAP_SHAPE].via, ==, DDI_TR_NMAP_SYN);
    rules[DDI_TR_NMAP_SHAPE].via = DDI_TR_NMAP_SHAPE;
    g_assert_cmpint(ddi_tool_table_check(rules, DDI_TR__COUNT, ddi_tools, DDI_TOOL__COUNT, NULL), ==,
                    DDI_TOOL__COUNT + DDI_TR_NMAP_SHAPE + 1);
}

/* Every rule's evidence cites the source its row names. */
static void test_evidence_cites_row_source(void)
{
    pb_ip ip = {.src = "198.51.100.7", .dst = "203.0.113.9", .id = 1, .ttl = 50};
    pb_tcp s = {.sport = 40000, .dport = 80, .flags = DDI_TH_SYN, .win = 1024};
    ddi_pkt p = mk_tcp(&ip, &s);
    for (int r = 1; r < DDI_TR__COUNT; r++) {
        ddi_tool_match m = {ddi_tool_rules[r].tool, (ddi_tool_rule)r, false, NULL};
        char buf[1024];
        ddi_tool_match_evidence(&m, &p, buf, sizeof buf);
        if (!strstr(buf, ddi_tool_rules[r].source))
            g_error("rule %s: evidence '%s' does not cite '%s'", ddi_tool_rules[r].name, buf, ddi_tool_rules[r].source);
    }
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
    g_test_add_func("/tools/nmap/syn-ttl", test_nmap_syn_ttl);
    g_test_add_func("/tools/nmap/os", test_nmap_os);
    g_test_add_func("/tools/nmap/other", test_nmap_other);
    g_test_add_func("/tools/hping3", test_hping3);
    g_test_add_func("/tools/unicornscan/key-formula", test_unicorn_key_formula);
    g_test_add_func("/tools/unicornscan", test_unicornscan);
    g_test_add_func("/tools/real-os", test_real_os);
    g_test_add_func("/tools/crafted-edges", test_crafted_and_edges);
    g_test_add_func("/tools/tables", test_tables);
    g_test_add_func("/tools/evidence-cites-row-source", test_evidence_cites_row_source);
    return g_test_run();
}
