/* test_pkt.c — raw header parsing (plugin/core/pkt.c).
 *
 * Every packet is handed to ddi_pkt_parse() in a heap buffer of exactly its
 * captured length (pb_parse), so a read past the end shows under
 * -DDDI_SANITIZE=ON.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _POSIX_C_SOURCE 200809L
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "pkt.h"
#include "pktbuild.h"

/* V4(.id = 0) overrides the macro's default on purpose */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define parse_exact pb_parse_exact

static ddi_pkt parse_ok(const uint8_t *b, size_t n)
{
    ddi_pkt p;
    g_assert_true(parse_exact(b, n, 1.0, &p));
    return p;
}

static void assert_addr(const ddi_addr *a, const char *text)
{
    char buf[64];
    ddi_addr want = pb_addr(text);
    g_assert_cmpstr(ddi_addr_str(a, buf, sizeof buf), ==, text);
    g_assert_true(ddi_addr_eq(a, &want));
}

static void assert_layout(const ddi_tcp *t, const uint8_t *kinds, size_t n)
{
    g_assert_cmpuint(t->nopt, ==, n);
    for (size_t i = 0; i < n; i++)
        g_assert_cmpuint(t->olayout[i], ==, kinds[i]);
}
#define LAYOUT(t, ...) assert_layout((t), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* The seed SYN's options: mss,nop,ws(0),nop,nop,ts(0,0),nop,nop,sok */
#define SEED_OPTS PB_OPTS(PB_MSS(1410), PB_NOP, PB_WS(0), PB_NOP, PB_NOP, PB_TS(0, 0), PB_NOP, PB_NOP, PB_SOK)

/* ---------------------------------------------------------- whole fields */

static void test_ipv4_tcp_fields(void)
{
    uint8_t b[PB_MAX];
    pb_ip ip = {.src = "114.124.162.72", .dst = "198.51.100.23", .ttl = 113, .df = true, .id = 32569};
    pb_tcp t = {.sport = 21269, .dport = 445, .seq = 0xdeadbeef, .flags = DDI_TH_SYN, .win = 65535,
                .payload = 0, SEED_OPTS};
    size_t n = pb_tcp_pkt(b, &ip, &t);
    g_assert_cmpuint(n, ==, 64);
    ddi_pkt p;
    g_assert_true(parse_exact(b, n, 1271757600.5, &p));

    g_assert_cmpfloat(p.ts, ==, 1271757600.5);
    g_assert_cmpuint(p.ver, ==, 4);
    assert_addr(&p.src, "114.124.162.72");
    assert_addr(&p.dst, "198.51.100.23");
    g_assert_cmpuint(ddi_addr_v4(&p.src), ==, 0x727ca248u);
    g_assert_cmpuint(p.ttl, ==, 113);
    g_assert_cmpuint(p.tos, ==, 0);
    g_assert_cmpuint(p.ip_id, ==, 32569);
    g_assert_true(p.df);
    g_assert_false(p.mf);
    g_assert_false(p.rf);
    g_assert_cmpuint(p.frag_off, ==, 0);
    g_assert_cmpuint(p.ip_opt_len, ==, 0);
    g_assert_cmpuint(p.flow, ==, 0);
    g_assert_cmpuint(p.proto, ==, 6);
    g_assert_cmpuint(p.ip_len, ==, 64);
    g_assert_false(p.fragment);
    g_assert_false(p.truncated);
    g_assert_cmpint(p.l4, ==, DDI_L4_TCP);
    g_assert_true(p.l4_ports);
    g_assert_true(p.l4_complete);
    g_assert_true(ddi_pkt_is_tcp(&p));
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_false(p.has_quote);

    const ddi_tcp *tc = &p.tcp;
    g_assert_cmpuint(tc->sport, ==, 21269);
    g_assert_cmpuint(tc->dport, ==, 445);
    g_assert_cmpuint(tc->seq, ==, 0xdeadbeef);
    g_assert_cmpuint(tc->ack, ==, 0);
    g_assert_cmpuint(tc->flags, ==, DDI_TH_SYN);
    g_assert_cmpuint(tc->win, ==, 65535);
    g_assert_cmpuint(tc->urg, ==, 0);
    g_assert_cmpuint(tc->hdr_len, ==, 44);
    g_assert_cmpuint(tc->payload_len, ==, 0);
    LAYOUT(tc, DDI_OPT_MSS, DDI_OPT_NOP, DDI_OPT_WS, DDI_OPT_NOP, DDI_OPT_NOP, DDI_OPT_TS, DDI_OPT_NOP, DDI_OPT_NOP,
           DDI_OPT_SOK);
    g_assert_cmpuint(tc->eol_pad, ==, 0);
    g_assert_true(tc->has_mss);
    g_assert_cmpuint(tc->mss, ==, 1410);
    g_assert_true(tc->has_ws);
    g_assert_cmpuint(tc->ws, ==, 0);
    g_assert_true(tc->has_ts);
    g_assert_cmpuint(tc->tsval, ==, 0);
    g_assert_cmpuint(tc->tsecr, ==, 0);
    g_assert_true(tc->has_sok);
    g_assert_true(tc->opts_complete);
    /* p0f: 4:113+15:0:1410:65535,0:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0 */
    g_assert_cmphex(p.quirks, ==, DDI_Q_DF | DDI_Q_NZ_ID | DDI_Q_OPT_ZERO_TS1);
}

static void test_ipv4_payload_and_ip_options(void)
{
    uint8_t b[PB_MAX];
    static const uint8_t ipopt[] = {1, 1, 1, 0}; /* nop nop nop eol */
    pb_ip ip = {.src = "192.0.2.1", .dst = "198.51.100.2", .ttl = 64, .tos = 0x10, .id = 7,
                .ipopt = ipopt, .ipoptlen = sizeof ipopt};
    pb_tcp t = {.sport = 1, .dport = 80, .seq = 9, .ack = 77, .flags = DDI_TH_ACK | DDI_TH_PUSH, .win = 501,
                .payload = 123, PB_OPTS(PB_NOP, PB_NOP, PB_TS(1000, 2000))};
    size_t n = pb_tcp_pkt(b, &ip, &t);
    ddi_pkt p = parse_ok(b, n);
    g_assert_cmpuint(p.ip_opt_len, ==, 4);
    g_assert_cmpuint(p.tos, ==, 0x10);
    g_assert_cmpuint(p.ip_len, ==, 24 + 32 + 123);
    g_assert_true(ddi_pkt_is_tcp(&p));
    g_assert_false(ddi_pkt_is_syn(&p));
    g_assert_cmpuint(p.tcp.ack, ==, 77);
    g_assert_cmpuint(p.tcp.hdr_len, ==, 32);
    g_assert_cmpuint(p.tcp.payload_len, ==, 123);
    g_assert_cmpuint(p.tcp.tsval, ==, 1000);
    g_assert_cmpuint(p.tcp.tsecr, ==, 2000);
    g_assert_true(p.tcp.opts_complete);
    /* not a SYN: a TSecr is normal (no ts2+); PSH gives pushf+; no DF, id != 0: nothing */
    g_assert_cmphex(p.quirks, ==, DDI_Q_PUSH);
}

static void test_ipv4_padding_after_ip_len_ignored(void)
{
    /* Ethernet pads short frames: bytes after the IP total length are not
     * part of the packet (the seed's scanner frames are padded to 60) */
    uint8_t b[PB_MAX];
    pb_ip ip = {.src = "192.0.2.1", .dst = "198.51.100.2", .ttl = 64, .id = 1};
    pb_tcp t = {.sport = 1, .dport = 2, .seq = 3, .flags = DDI_TH_SYN, .win = 1024};
    size_t n = pb_tcp_pkt(b, &ip, &t);
    memset(b + n, 0xee, 6);
    ddi_pkt p = parse_ok(b, n + 6);
    g_assert_false(p.truncated);
    g_assert_cmpuint(p.ip_len, ==, 40);
    g_assert_cmpuint(p.tcp.payload_len, ==, 0);
    g_assert_cmpuint(p.tcp.nopt, ==, 0);
    g_assert_true(p.tcp.opts_complete);
}

static void test_ipv6_tcp_fields(void)
{
    uint8_t b[PB_MAX];
    pb_ip ip = {.src = "2001:db8::1", .dst = "2001:db8:1::2", .ttl = 61, .tos = 0xb9, .flow = 0x12345};
    pb_tcp t = {.sport = 50000, .dport = 22, .seq = 42, .flags = DDI_TH_SYN, .win = 64800, .payload = 5,
                PB_OPTS(PB_MSS(1440), PB_SOK, PB_TS(77, 0), PB_NOP, PB_WS(7))};
    size_t n = pb_tcp_pkt(b, &ip, &t);
    ddi_pkt p = parse_ok(b, n);
    g_assert_cmpuint(p.ver, ==, 6);
    assert_addr(&p.src, "2001:db8::1");
    assert_addr(&p.dst, "2001:db8:1::2");
    g_assert_cmpuint(ddi_addr_v4(&p.src), ==, 0);
    g_assert_cmpuint(p.ttl, ==, 61);
    g_assert_cmpuint(p.tos, ==, 0xb9);
    g_assert_cmpuint(p.flow, ==, 0x12345);
    g_assert_cmpuint(p.ip_id, ==, 0);
    g_assert_false(p.df);
    g_assert_false(p.fragment);
    g_assert_false(p.truncated);
    g_assert_cmpuint(p.proto, ==, 6);
    g_assert_cmpuint(p.ip_len, ==, 40 + 40 + 5);
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_cmpuint(p.tcp.sport, ==, 50000);
    g_assert_cmpuint(p.tcp.payload_len, ==, 5);
    g_assert_cmpuint(p.tcp.mss, ==, 1440);
    g_assert_cmpuint(p.tcp.ws, ==, 7);
    g_assert_cmpuint(p.tcp.tsval, ==, 77);
    LAYOUT(&p.tcp, DDI_OPT_MSS, DDI_OPT_SOK, DDI_OPT_TS, DDI_OPT_NOP, DDI_OPT_WS);
    /* traffic class 0xb9 has ECN bits 01; flow label set; no IPv4 quirks */
    g_assert_cmphex(p.quirks, ==, DDI_Q_FLOW | DDI_Q_ECN);
}

static void test_udp_and_other(void)
{
    uint8_t b[PB_MAX];
    pb_ip ip = {.src = "192.0.2.1", .dst = "198.51.100.2", .ttl = 64, .id = 0};
    size_t n = pb_udp_pkt(b, &ip, 5353, 53, 12);
    ddi_pkt p = parse_ok(b, n);
    g_assert_cmpint(p.l4, ==, DDI_L4_UDP);
    g_assert_true(p.l4_ports && p.l4_complete);
    g_assert_cmpuint(p.udp_sport, ==, 5353);
    g_assert_cmpuint(p.udp_dport, ==, 53);
    g_assert_cmpuint(p.udp_len, ==, 20);
    g_assert_false(ddi_pkt_is_tcp(&p));
    g_assert_cmphex(p.quirks, ==, DDI_Q_ZERO_ID); /* id 0 without DF */

    /* UDP header cut: l4 known, ports not */
    p = parse_ok(b, 20 + 7);
    g_assert_cmpint(p.l4, ==, DDI_L4_UDP);
    g_assert_false(p.l4_ports);
    g_assert_true(p.truncated);

    /* GRE: "other" */
    pb_ip gre = {.src = "192.0.2.1", .dst = "198.51.100.2", .ttl = 64, .id = 3, .proto = 47};
    n = pb_udp_pkt(b, &gre, 1, 2, 0);
    p = parse_ok(b, n);
    g_assert_cmpuint(p.proto, ==, 47);
    g_assert_cmpint(p.l4, ==, DDI_L4_OTHER);
    g_assert_false(p.l4_complete);
}

/* ------------------------------------------------------------ quirks */

typedef struct quirk_case {
    const char *name;
    pb_ip ip;
    pb_tcp tcp;
    uint32_t want;
} quirk_case;

#define V4(...) {.src = "192.0.2.1", .dst = "198.51.100.2", .ttl = 64, .id = 1, __VA_ARGS__}
#define V6(...) {.src = "2001:db8::1", .dst = "2001:db8::2", .ttl = 64, __VA_ARGS__}
#define SYN(...) {.sport = 1000, .dport = 80, .seq = 1, .flags = DDI_TH_SYN, .win = 1024, __VA_ARGS__}

static const quirk_case quirk_cases[] = {
    {"none", V4(), SYN(), 0},
    {"df", V4(.df = true, .id = 0), SYN(), DDI_Q_DF},
    {"id+", V4(.df = true, .id = 5), SYN(), DDI_Q_DF | DDI_Q_NZ_ID},
    {"id-", V4(.id = 0), SYN(), DDI_Q_ZERO_ID},
    {"ecn-ip-ect0", V4(.tos = 2), SYN(), DDI_Q_ECN},
    {"ecn-ip-ce", V4(.tos = 3), SYN(), DDI_Q_ECN},
    {"ecn-tcp-ece", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_ECE), DDI_Q_ECN},
    {"ecn-tcp-cwr", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_CWR), DDI_Q_ECN},
    {"ecn-tcp-ns", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_NS), DDI_Q_ECN},
    {"dscp-no-ecn", V4(.tos = 0xb8), SYN(), 0},
    {"0+", V4(.rf = true), SYN(), DDI_Q_NZ_MBZ},
    {"flow", V6(.flow = 1), SYN(), DDI_Q_FLOW},
    {"v6-none", V6(), SYN(), 0},
    {"seq-", V4(), SYN(.seq = 0), DDI_Q_ZERO_SEQ},
    {"ack+", V4(), SYN(.ack = 5), DDI_Q_NZ_ACK},
    {"ack-", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_ACK), DDI_Q_ZERO_ACK},
    {"ack-ok", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_ACK, .ack = 9), 0},
    {"uptr+", V4(), SYN(.urg = 7), DDI_Q_NZ_URG},
    {"urgf+", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_URG, .urg = 7), DDI_Q_URG},
    {"urgf+-zero-ptr", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_URG), DDI_Q_URG},
    {"pushf+", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_PUSH), DDI_Q_PUSH},
    {"ts1-", V4(), SYN(PB_OPTS(PB_NOP, PB_NOP, PB_TS(0, 0))), DDI_Q_OPT_ZERO_TS1},
    {"ts2+", V4(), SYN(PB_OPTS(PB_NOP, PB_NOP, PB_TS(1, 5))), DDI_Q_OPT_NZ_TS2},
    {"ts2-synack", V4(), SYN(.flags = DDI_TH_SYN | DDI_TH_ACK, .ack = 2, PB_OPTS(PB_NOP, PB_NOP, PB_TS(1, 5))), 0},
    {"ts2-ack", V4(), SYN(.flags = DDI_TH_ACK, .ack = 2, PB_OPTS(PB_NOP, PB_NOP, PB_TS(1, 5))), 0},
    {"opt+", V4(), SYN(PB_OPTS(PB_MSS(1460), PB_EOL, 0, 7, 0)), DDI_Q_OPT_EOL_NZ},
    {"eol-zero-pad", V4(), SYN(PB_OPTS(PB_MSS(1460), PB_EOL, 0, 0, 0)), 0},
    {"exws", V4(), SYN(PB_OPTS(PB_NOP, PB_WS(15))), DDI_Q_OPT_EXWS},
    {"ws14", V4(), SYN(PB_OPTS(PB_NOP, PB_WS(14))), 0},
    {"bad", V4(), SYN(PB_OPTS(PB_MSS(1460), 30, 0, 0, 0)), DDI_Q_OPT_BAD},
    {"all-v4",
     V4(.df = true, .rf = true, .tos = 1),
     SYN(.seq = 0, .ack = 3, .urg = 4, .flags = DDI_TH_SYN | DDI_TH_PUSH | DDI_TH_ECE,
         PB_OPTS(PB_WS(15), PB_TS(0, 9), PB_EOL, 1, 1, 1, 1, 1, 1, 1, 1)),
     DDI_Q_DF | DDI_Q_NZ_ID | DDI_Q_ECN | DDI_Q_NZ_MBZ | DDI_Q_ZERO_SEQ | DDI_Q_NZ_ACK | DDI_Q_NZ_URG |
         DDI_Q_PUSH | DDI_Q_OPT_ZERO_TS1 | DDI_Q_OPT_NZ_TS2 | DDI_Q_OPT_EOL_NZ | DDI_Q_OPT_EXWS},
};

static void test_quirk(gconstpointer data)
{
    const quirk_case *c = data;
    ddi_pkt p = pb_tcp_parsed(&c->ip, &c->tcp, 1.0);
    g_assert_true(ddi_pkt_is_tcp(&p));
    g_assert_cmphex(p.quirks, ==, c->want);
}

/* -------------------------------------------------- hostile TCP options */

static ddi_tcp opts(const uint8_t *o, size_t len, bool syn, uint32_t *q)
{
    ddi_tcp t;
    memset(&t, 0, sizeof t);
    *q = 0;
    uint8_t *copy = len ? g_memdup2(o, len) : NULL; /* exact size for ASan */
    ddi_tcp_parse_options(copy, len, syn, &t, q);
    g_free(copy);
    return t;
}
#define OPTS(syn, q, ...) opts((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), (syn), (q))

static void test_opt_len_zero_or_one(void)
{
    uint32_t q;
    /* length 0 on a known kind, on an unknown kind, and length 1: each would
     * loop forever if the parser advanced by the length */
    ddi_tcp t = OPTS(true, &q, PB_NOP, 2, 0, 5, 0xb4);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    g_assert_false(t.has_mss);
    LAYOUT(&t, DDI_OPT_NOP);

    t = OPTS(true, &q, 30, 0, 1, 1);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    g_assert_cmpuint(t.nopt, ==, 0);

    t = OPTS(true, &q, PB_MSS(1460), 30, 1, 1, 1);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    g_assert_true(t.has_mss);
    LAYOUT(&t, DDI_OPT_MSS);
}

static void test_opt_len_past_area(void)
{
    uint32_t q;
    ddi_tcp t = OPTS(true, &q, PB_NOP, PB_NOP, PB_NOP, PB_NOP, 8, 10, 0, 0);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    g_assert_false(t.has_ts);
    LAYOUT(&t, DDI_OPT_NOP, DDI_OPT_NOP, DDI_OPT_NOP, DDI_OPT_NOP);

    /* kind byte as the last byte: no length byte */
    t = OPTS(true, &q, PB_NOP, PB_NOP, PB_NOP, 2);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    LAYOUT(&t, DDI_OPT_NOP, DDI_OPT_NOP, DDI_OPT_NOP);

    /* length 255 */
    t = OPTS(true, &q, 99, 255, 0, 0);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);

    /* known options with the wrong length */
    t = OPTS(true, &q, 2, 6, 5, 0xb4, 0, 0);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    g_assert_false(t.has_mss);
    t = OPTS(true, &q, 3, 4, 7, 0);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    g_assert_false(t.has_ws);
    t = OPTS(true, &q, 4, 3, 0, 1);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    g_assert_false(t.has_sok);
    t = OPTS(true, &q, 8, 6, 0, 0, 0, 1, 1, 1);
    g_assert_cmphex(q, ==, DDI_Q_OPT_BAD);
    g_assert_false(t.has_ts);

    /* an unknown option of a valid length is stepped over and kept in the layout */
    t = OPTS(true, &q, 30, 4, 0xaa, 0xbb, PB_MSS(1400));
    g_assert_cmphex(q, ==, 0);
    LAYOUT(&t, 30, DDI_OPT_MSS);
    g_assert_cmpuint(t.mss, ==, 1400);
}

static void test_opt_duplicates(void)
{
    uint32_t q;
    ddi_tcp t = OPTS(true, &q, PB_MSS(1460), PB_MSS(536), PB_WS(2), PB_WS(9), PB_NOP, PB_TS(5, 0), PB_TS(0, 6));
    g_assert_cmphex(q, ==, 0); /* the second TS's quirks are not taken either */
    g_assert_cmpuint(t.mss, ==, 1460);
    g_assert_cmpuint(t.ws, ==, 2);
    g_assert_cmpuint(t.tsval, ==, 5);
    g_assert_cmpuint(t.tsecr, ==, 0);
    LAYOUT(&t, DDI_OPT_MSS, DDI_OPT_MSS, DDI_OPT_WS, DDI_OPT_WS, DDI_OPT_NOP, DDI_OPT_TS, DDI_OPT_TS);
}

static void test_opt_mss_zero_and_ws(void)
{
    uint32_t q;
    ddi_tcp t = OPTS(true, &q, PB_MSS(0), PB_NOP, PB_WS(14));
    g_assert_cmphex(q, ==, 0);
    g_assert_true(t.has_mss);
    g_assert_cmpuint(t.mss, ==, 0);
    g_assert_cmpuint(t.ws, ==, 14);

    t = OPTS(true, &q, PB_WS(255));
    g_assert_cmphex(q, ==, DDI_Q_OPT_EXWS);
    g_assert_cmpuint(t.ws, ==, 255);
}

static void test_opt_ts_not_syn(void)
{
    uint32_t q;
    ddi_tcp t = OPTS(false, &q, PB_TS(123, 456));
    g_assert_cmphex(q, ==, 0);
    g_assert_cmpuint(t.tsecr, ==, 456);
    t = OPTS(true, &q, PB_TS(123, 456));
    g_assert_cmphex(q, ==, DDI_Q_OPT_NZ_TS2);
    t = OPTS(false, &q, PB_TS(0, 456));
    g_assert_cmphex(q, ==, DDI_Q_OPT_ZERO_TS1);
}

static void test_opt_eol(void)
{
    uint32_t q;
    ddi_tcp t = OPTS(true, &q, PB_MSS(1460), PB_EOL, 0, 0, 2, 4, 5, 0xb4);
    g_assert_cmphex(q, ==, DDI_Q_OPT_EOL_NZ);
    g_assert_cmpuint(t.eol_pad, ==, 6);
    LAYOUT(&t, DDI_OPT_MSS, DDI_OPT_EOL); /* nothing after EOL is an option */
    g_assert_true(t.has_mss);

    t = OPTS(true, &q, PB_EOL);
    g_assert_cmphex(q, ==, 0);
    g_assert_cmpuint(t.eol_pad, ==, 0);
    LAYOUT(&t, DDI_OPT_EOL);
}

static void test_opt_many(void)
{
    uint8_t o[60];
    memset(o, DDI_OPT_NOP, sizeof o);
    uint32_t q;
    ddi_tcp t = opts(o, sizeof o, true, &q);
    g_assert_cmpuint(t.nopt, ==, DDI_MAX_OPTS);
    g_assert_cmphex(q, ==, 0);

    t = opts(o, 0, true, &q);
    g_assert_cmpuint(t.nopt, ==, 0);
    g_assert_cmphex(q, ==, 0);
}

static void test_doff_below_5(void)
{
    for (int doff = 0; doff < 5; doff++) {
        pb_ip ip = V4();
        pb_tcp t = SYN(.doff = doff ? doff : -1, PB_OPTS(PB_MSS(1460), PB_NOP, PB_WS(2)));
        ddi_pkt p = pb_tcp_parsed(&ip, &t, 1.0);
        g_assert_true(ddi_pkt_is_tcp(&p));
        g_assert_cmpuint(p.tcp.hdr_len, ==, doff * 4);
        g_assert_true(p.quirks & DDI_Q_OPT_BAD);
        g_assert_false(p.tcp.opts_complete);
        g_assert_cmpuint(p.tcp.nopt, ==, 0);
        g_assert_false(p.tcp.has_mss);
        g_assert_cmpuint(p.tcp.payload_len, ==, 28 - doff * 4);
    }
}

static void test_opts_cut_by_capture(void)
{
    uint8_t b[PB_MAX];
    pb_ip ip = V4(.df = true);
    pb_tcp t = SYN(PB_OPTS(PB_MSS(1460), PB_SOK, PB_TS(100, 0), PB_NOP, PB_WS(7)));
    size_t n = pb_tcp_pkt(b, &ip, &t); /* 20 + 20 + 20 */
    g_assert_cmpuint(n, ==, 60);

    /* cut inside the TS option: what was seen is kept, but the sender did
     * nothing wrong, so no "bad" (fingerprint.c tells cut from malformed) */
    ddi_pkt p = parse_ok(b, 52);
    g_assert_true(p.truncated);
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_false(p.tcp.opts_complete);
    g_assert_false(p.quirks & DDI_Q_OPT_BAD);
    g_assert_cmpuint(p.tcp.hdr_len, ==, 40);
    LAYOUT(&p.tcp, DDI_OPT_MSS, DDI_OPT_SOK);
    g_assert_false(p.tcp.has_ts);

    /* cut between options */
    p = parse_ok(b, 46);
    g_assert_false(p.tcp.opts_complete);
    g_assert_false(p.quirks & DDI_Q_OPT_BAD);
    LAYOUT(&p.tcp, DDI_OPT_MSS, DDI_OPT_SOK);

    /* cut after a kind byte */
    p = parse_ok(b, 47);
    g_assert_false(p.tcp.opts_complete);
    g_assert_false(p.quirks & DDI_Q_OPT_BAD);
    LAYOUT(&p.tcp, DDI_OPT_MSS, DDI_OPT_SOK);

    /* no option byte captured */
    p = parse_ok(b, 40);
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_false(p.tcp.opts_complete);
    g_assert_cmpuint(p.tcp.nopt, ==, 0);

    /* the whole thing */
    p = parse_ok(b, 60);
    g_assert_true(p.tcp.opts_complete);
    g_assert_false(p.truncated);

    /* a malformed option inside the captured part is still "bad" */
    pb_tcp bad = SYN(PB_OPTS(PB_MSS(1460), 8, 40, 0, 0, 0, 0, 0, 0, 0, 0));
    n = pb_tcp_pkt(b, &ip, &bad);
    p = parse_ok(b, n - 4);
    g_assert_true(p.quirks & DDI_Q_OPT_BAD);
    g_assert_false(p.tcp.opts_complete);
}

static void test_tcp_header_cut(void)
{
    uint8_t b[PB_MAX];
    pb_ip ip = V4();
    pb_tcp t = SYN(.sport = 4321, .dport = 23, .seq = 0x01020304);
    size_t n = pb_tcp_pkt(b, &ip, &t);
    for (size_t cap = 20; cap < n; cap++) {
        ddi_pkt p = parse_ok(b, cap);
        g_assert_true(p.truncated);
        g_assert_cmpint(p.l4, ==, DDI_L4_TCP);
        g_assert_false(p.l4_complete);
        g_assert_false(ddi_pkt_is_tcp(&p));
        g_assert_false(ddi_pkt_is_syn(&p));
        g_assert_cmpint(p.l4_ports, ==, cap >= 28);
        if (cap >= 28) {
            g_assert_cmpuint(p.tcp.sport, ==, 4321);
            g_assert_cmpuint(p.tcp.dport, ==, 23);
            g_assert_cmpuint(p.tcp.seq, ==, 0x01020304);
        }
    }
}

/* ------------------------------------------------- truncated IP headers */

static void test_ipv4_truncated(void)
{
    uint8_t b[PB_MAX];
    static const uint8_t ipopt[] = {1, 1, 1, 1, 1, 1, 1, 0};
    pb_ip ip = V4(.id = 0x4242, .ipopt = ipopt, .ipoptlen = sizeof ipopt);
    pb_tcp t = SYN();
    size_t n = pb_tcp_pkt(b, &ip, &t);
    ddi_pkt p;
    for (size_t cap = 0; cap < 20; cap++)
        g_assert_false(parse_exact(b, cap, 1.0, &p));
    /* the fixed header is there, the options are not: addresses and ID are good */
    for (size_t cap = 20; cap < 28; cap++) {
        g_assert_true(parse_exact(b, cap, 1.0, &p));
        g_assert_true(p.truncated);
        g_assert_cmpuint(p.ip_id, ==, 0x4242);
        assert_addr(&p.src, "192.0.2.1");
        g_assert_cmpint(p.l4, ==, DDI_L4_NONE);
    }
    g_assert_true(parse_exact(b, n, 1.0, &p));
    g_assert_cmpuint(p.ip_opt_len, ==, 8);
    g_assert_true(ddi_pkt_is_syn(&p));

    /* IHL below 5 */
    uint8_t bad[40];
    memcpy(bad, b, 40);
    for (int ihl = 0; ihl < 5; ihl++) {
        bad[0] = (uint8_t)(0x40 | ihl);
        g_assert_false(parse_exact(bad, 40, 1.0, &p));
    }
    /* total length below the header length: header fields only */
    n = pb_tcp_pkt(b, &(pb_ip)V4(.ip_len = 10), &t);
    g_assert_true(parse_exact(b, n, 1.0, &p));
    g_assert_false(p.truncated);
    g_assert_cmpuint(p.ip_len, ==, 10);
    g_assert_cmpint(p.l4, ==, DDI_L4_NONE);
    /* total length above what was captured */
    n = pb_tcp_pkt(b, &(pb_ip)V4(.ip_len = 1500), &t);
    g_assert_true(parse_exact(b, n, 1.0, &p));
    g_assert_true(p.truncated);
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_cmpuint(p.tcp.payload_len, ==, 1500 - 40);
}

static void test_bad_version_and_null(void)
{
    uint8_t b[PB_MAX];
    pb_tcp t = SYN();
    size_t n = pb_tcp_pkt(b, &(pb_ip)V4(), &t);
    ddi_pkt p;
    for (int v = 0; v < 16; v++) {
        if (v == 4 || v == 6)
            continue;
        b[0] = (uint8_t)((v << 4) | 5);
        memset(&p, 0xa5, sizeof p);
        g_assert_false(parse_exact(b, n, 2.5, &p));
        g_assert_cmpuint(p.ver, ==, 0); /* cleared, not left over */
        g_assert_cmpfloat(p.ts, ==, 2.5);
    }
    g_assert_false(ddi_pkt_parse(NULL, 40, 1.0, &p));
    g_assert_false(ddi_pkt_parse(b, 0, 1.0, &p));
}

static void test_ipv6_truncated(void)
{
    uint8_t b[PB_MAX];
    pb_ip ip = V6(.flow = 7);
    pb_tcp t = SYN(PB_OPTS(PB_MSS(1220)));
    size_t n = pb_tcp_pkt(b, &ip, &t);
    ddi_pkt p;
    for (size_t cap = 1; cap < 40; cap++)
        g_assert_false(parse_exact(b, cap, 1.0, &p));
    g_assert_true(parse_exact(b, 40, 1.0, &p));
    g_assert_true(p.truncated);
    g_assert_cmpuint(p.proto, ==, 6);
    g_assert_cmpuint(p.flow, ==, 7);
    g_assert_cmpint(p.l4, ==, DDI_L4_TCP);
    g_assert_false(p.l4_ports);
    g_assert_true(parse_exact(b, n, 1.0, &p));
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_cmpuint(p.tcp.mss, ==, 1220);
}

/* ---------------------------------------------------------- fragments */

static void test_ipv4_fragments(void)
{
    uint8_t b[PB_MAX];
    pb_tcp t = SYN(.sport = 777, .payload = 100, PB_OPTS(PB_MSS(1460)));
    size_t n = pb_tcp_pkt(b, &(pb_ip)V4(.mf = true, .id = 99), &t);
    ddi_pkt p = parse_ok(b, n);
    g_assert_true(p.fragment);
    g_assert_true(p.mf);
    g_assert_cmpuint(p.frag_off, ==, 0);
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_cmpuint(p.tcp.sport, ==, 777);
    g_assert_cmpuint(p.tcp.mss, ==, 1460);

    /* a later fragment: its first bytes are payload, not a TCP header */
    n = pb_tcp_pkt(b, &(pb_ip)V4(.mf = true, .frag_off = 1480, .id = 99), &t);
    p = parse_ok(b, n);
    g_assert_true(p.fragment);
    g_assert_cmpuint(p.frag_off, ==, 1480);
    g_assert_cmpuint(p.proto, ==, 6);
    g_assert_cmpint(p.l4, ==, DDI_L4_NONE);
    g_assert_false(p.l4_ports);
    g_assert_cmpuint(p.tcp.sport, ==, 0);
    g_assert_cmpuint(p.ip_id, ==, 99);

    /* the last fragment (MF clear, offset set) */
    n = pb_tcp_pkt(b, &(pb_ip)V4(.frag_off = 8), &t);
    p = parse_ok(b, n);
    g_assert_true(p.fragment);
    g_assert_false(p.mf);
    g_assert_cmpuint(p.frag_off, ==, 8);
    g_assert_cmpint(p.l4, ==, DDI_L4_NONE);

    /* a tiny first fragment carrying 8 bytes of TCP (RFC 1858) */
    n = pb_tcp_pkt(b, &(pb_ip)V4(.mf = true, .ip_len = 28), &t);
    p = parse_ok(b, n);
    g_assert_true(p.fragment);
    g_assert_false(p.truncated);
    g_assert_true(p.l4_ports);
    g_assert_false(p.l4_complete);
    g_assert_cmpuint(p.tcp.sport, ==, 777);
}

/* A datagram Wireshark reassembled: one fragment's header plus the whole
 * upper-layer bytes give the SYN with all its options, once. */
static void test_ipv4_reassembled(void)
{
    uint8_t whole[PB_MAX], hdr[PB_MAX], first[PB_MAX];
    pb_tcp t = SYN(.sport = 40123, PB_OPTS(PB_MSS(1460), PB_SOK, PB_TS(7, 0), PB_NOP, PB_WS(7)));
    size_t n = pb_tcp_pkt(whole, &(pb_ip)V4(.id = 4242, .ttl = 52), &t);
    ddi_pkt p;

    /* the last fragment's header (offset 24, MF clear) */
    pb_tcp_pkt(hdr, &(pb_ip)V4(.id = 4242, .ttl = 52, .frag_off = 24), &t);
    g_assert_true(ddi_pkt_parse_reassembled(hdr, 20, whole + 20, n - 20, 2.0, &p));
    g_assert_true(p.reassembled);
    g_assert_false(p.fragment);
    g_assert_cmpuint(p.frag_off, ==, 0);
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_true(p.tcp.opts_complete);
    g_assert_cmpuint(p.tcp.mss, ==, 1460);
    g_assert_cmpuint(p.tcp.ws, ==, 7);
    g_assert_cmpuint(p.tcp.sport, ==, 40123);
    g_assert_cmpuint(p.ip_id, ==, 4242);
    g_assert_cmpuint(p.ttl, ==, 52);
    g_assert_cmpuint(p.ip_len, ==, n);
    g_assert_cmpfloat(p.ts, ==, 2.0);

    /* a first fragment's header with its own cut TCP bytes: L4 comes from the payload only */
    pb_tcp_pkt(first, &(pb_ip)V4(.id = 4242, .ttl = 52, .mf = true, .ip_len = 44), &t);
    g_assert_true(ddi_pkt_parse_reassembled(first, 44, whole + 20, n - 20, 2.0, &p));
    g_assert_true(p.tcp.opts_complete);
    g_assert_cmpuint(p.tcp.ws, ==, 7);
    g_assert_false(p.quirks & DDI_Q_OPT_BAD);

    /* not a fragment, or no payload, or no header: nothing to combine */
    g_assert_false(ddi_pkt_parse_reassembled(whole, n, whole + 20, n - 20, 2.0, &p));
    g_assert_false(ddi_pkt_parse_reassembled(hdr, 20, NULL, 0, 2.0, &p));
    g_assert_false(ddi_pkt_parse_reassembled(hdr, 10, whole + 20, n - 20, 2.0, &p));
}

static void test_ipv6_ext_headers(void)
{
    uint8_t b[PB_MAX];
    /* hop-by-hop (8 bytes: PadN) then fragment header (offset 0, M=1) then TCP */
    static const uint8_t ext[] = {
        44, 0, 1, 4, 0, 0, 0, 0,         /* HBH: next = fragment, len 0, PadN(4) */
        6, 0, 0x00, 0x01, 0, 0, 0x12, 0x34, /* Frag: next = TCP, offset 0, M = 1, id 0x1234 */
    };
    pb_ip ip = V6(.v6ext = ext, .v6extlen = sizeof ext, .v6ext_first = 0);
    pb_tcp t = SYN(.sport = 4444, PB_OPTS(PB_MSS(1440), PB_NOP, PB_WS(8)));
    size_t n = pb_tcp_pkt(b, &ip, &t);
    ddi_pkt p = parse_ok(b, n);
    g_assert_cmpuint(p.proto, ==, 6);
    g_assert_true(p.fragment);
    g_assert_true(p.mf);
    g_assert_cmpuint(p.frag_off, ==, 0);
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_cmpuint(p.tcp.sport, ==, 4444);
    g_assert_cmpuint(p.tcp.ws, ==, 8);
    g_assert_cmpuint(p.tcp.payload_len, ==, 0);
    g_assert_cmpuint(p.ip_len, ==, 40 + 16 + 28);

    /* a later fragment (offset 1448) */
    uint8_t ext2[sizeof ext];
    memcpy(ext2, ext, sizeof ext);
    pb_put16(ext2 + 10, (uint16_t)(1448 | 1));
    ip.v6ext = ext2;
    n = pb_tcp_pkt(b, &ip, &t);
    p = parse_ok(b, n);
    g_assert_true(p.fragment);
    g_assert_cmpuint(p.frag_off, ==, 1448);
    g_assert_cmpuint(p.proto, ==, 6);
    g_assert_cmpint(p.l4, ==, DDI_L4_NONE);

    /* destination options (16 bytes) + AH (24 bytes: len field 4) then TCP */
    static const uint8_t ext3[] = {
        51, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,            /* dstopts, len 1 = 16 bytes */
        6, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* AH: (4+2)*4 = 24 */
    };
    ip = (pb_ip)V6(.v6ext = ext3, .v6extlen = sizeof ext3, .v6ext_first = 60);
    n = pb_tcp_pkt(b, &ip, &t);
    p = parse_ok(b, n);
    g_assert_false(p.fragment);
    g_assert_true(ddi_pkt_is_syn(&p));
    g_assert_cmpuint(p.tcp.sport, ==, 4444);

    /* the chain cut by the capture: header fields only */
    p = parse_ok(b, 40 + 12);
    g_assert_true(p.truncated);
    g_assert_cmpint(p.l4, ==, DDI_L4_NONE);
    p = parse_ok(b, 40 + 16 + 10);
    g_assert_cmpint(p.l4, ==, DDI_L4_NONE);

    /* a header whose length runs past the packet */
    static const uint8_t ext4[] = {6, 200, 0, 0, 0, 0, 0, 0};
    ip = (pb_ip)V6(.v6ext = ext4, .v6extlen = sizeof ext4, .v6ext_first = 0);
    n = pb_tcp_pkt(b, &ip, &t);
    p = parse_ok(b, n);
    g_assert_cmpuint(p.proto, ==, 6);
    g_assert_cmpint(p.l4, ==, DDI_L4_NONE);

    /* nine hop-by-hop headers in a row: the walk stops, nothing is read past the end */
    uint8_t chain[9 * 8];
    memset(chain, 0, sizeof chain);
    for (int i = 0; i < 9; i++)
        chain[i * 8] = i < 8 ? 0 : 6;
    ip = (pb_ip)V6(.v6ext = chain, .v6extlen = sizeof chain, .v6ext_first = 0);
    n = pb_tcp_pkt(b, &ip, &t);
    p = parse_ok(b, n);
    g_assert_cmpint(p.l4, ==, DDI_L4_NONE);
}

/* ------------------------------------------------------ ICMP quotes */

static void test_icmp_quote_udp(void)
{
    uint8_t inner[PB_MAX], b[PB_MAX];
    pb_ip iip = {.src = "198.51.100.2", .dst = "192.0.2.9", .ttl = 50, .id = 1};
    size_t in = pb_udp_pkt(inner, &iip, 53, 33000, 40);
    pb_ip oip = {.src = "203.0.113.1", .dst = "198.51.100.2", .ttl = 250, .id = 5};
    size_t n = pb_icmp_pkt(b, &oip, 3, 3, 0, 0, inner, 28); /* RFC 792: IP header + 8 bytes */
    (void)in;
    ddi_pkt p = parse_ok(b, n);
    g_assert_cmpint(p.l4, ==, DDI_L4_ICMP);
    g_assert_true(p.l4_complete);
    g_assert_cmpuint(p.icmp_type, ==, 3);
    g_assert_cmpuint(p.icmp_code, ==, 3);
    g_assert_true(ddi_pkt_is_icmp_error(4, p.icmp_type));
    g_assert_true(p.has_quote);
    g_assert_cmpuint(p.quote.ver, ==, 4);
    assert_addr(&p.quote.src, "198.51.100.2");
    assert_addr(&p.quote.dst, "192.0.2.9");
    g_assert_cmpuint(p.quote.proto, ==, 17);
    g_assert_true(p.quote.has_ports);
    g_assert_cmpuint(p.quote.sport, ==, 53);
    g_assert_cmpuint(p.quote.dport, ==, 33000);
    g_assert_false(p.quote.has_seq);
}

static void test_icmp_quote_tcp(void)
{
    uint8_t inner[PB_MAX], b[PB_MAX];
    pb_ip iip = {.src = "198.51.100.7", .dst = "192.0.2.80", .ttl = 1, .id = 1, .df = true};
    pb_tcp it = {.sport = 443, .dport = 51000, .seq = 0xcafef00d, .ack = 1, .flags = DDI_TH_SYN | DDI_TH_ACK,
                 .win = 29200, PB_OPTS(PB_MSS(1460))};
    size_t in = pb_tcp_pkt(inner, &iip, &it);
    pb_ip oip = {.src = "203.0.113.1", .dst = "198.51.100.7", .ttl = 250, .id = 5};

    /* time exceeded quoting the whole TCP header */
    size_t n = pb_icmp_pkt(b, &oip, 11, 0, 0, 0, inner, in);
    ddi_pkt p = parse_ok(b, n);
    g_assert_true(p.has_quote);
    g_assert_cmpuint(p.quote.proto, ==, 6);
    g_assert_true(p.quote.has_ports);
    g_assert_cmpuint(p.quote.sport, ==, 443);
    g_assert_cmpuint(p.quote.dport, ==, 51000);
    g_assert_true(p.quote.has_seq);
    g_assert_cmpuint(p.quote.seq, ==, 0xcafef00d);

    /* RFC 792: only 8 bytes of the TCP header are quoted: ports and seq still known */
    n = pb_icmp_pkt(b, &oip, 3, 1, 0, 0, inner, 20 + 8);
    p = parse_ok(b, n);
    g_assert_true(p.has_quote);
    g_assert_true(p.quote.has_ports);
    g_assert_true(p.quote.has_seq);
    g_assert_cmpuint(p.quote.sport, ==, 443);
    g_assert_cmpuint(p.quote.seq, ==, 0xcafef00d);

    /* 4 bytes of L4: addresses only */
    n = pb_icmp_pkt(b, &oip, 3, 1, 0, 0, inner, 20 + 4);
    p = parse_ok(b, n);
    g_assert_true(p.has_quote);
    assert_addr(&p.quote.src, "198.51.100.7");
    g_assert_false(p.quote.has_ports);
    g_assert_false(p.quote.has_seq);

    /* less than a quoted IP header: no quote, but the ICMP header is fine */
    n = pb_icmp_pkt(b, &oip, 3, 1, 0, 0, inner, 12);
    p = parse_ok(b, n);
    g_assert_true(p.l4_complete);
    g_assert_false(p.has_quote);

    /* the ICMP header itself cut */
    n = pb_icmp_pkt(b, &oip, 3, 1, 0, 0, inner, in);
    p = parse_ok(b, 20 + 7);
    g_assert_cmpint(p.l4, ==, DDI_L4_ICMP);
    g_assert_false(p.l4_complete);
    g_assert_false(p.has_quote);
}

static void test_icmp_not_error(void)
{
    uint8_t inner[PB_MAX], b[PB_MAX];
    pb_ip iip = {.src = "198.51.100.7", .dst = "192.0.2.80", .ttl = 1, .id = 1};
    size_t in = pb_udp_pkt(inner, &iip, 1, 2, 0);
    pb_ip oip = {.src = "203.0.113.1", .dst = "198.51.100.7", .ttl = 250, .id = 5};
    /* an echo request whose data looks like an IP packet is not a quote */
    size_t n = pb_icmp_pkt(b, &oip, 8, 0, 0x1234, 7, inner, in);
    ddi_pkt p = parse_ok(b, n);
    g_assert_false(p.has_quote);
    g_assert_cmpuint(p.icmp_id, ==, 0x1234);
    g_assert_cmpuint(p.icmp_seq, ==, 7);
    g_assert_false(ddi_pkt_is_icmp_error(4, 8));
    g_assert_false(ddi_pkt_is_icmp_error(4, 0));
    g_assert_true(ddi_pkt_is_icmp_error(4, 11));
    g_assert_false(ddi_pkt_is_icmp_error(6, 128));
    g_assert_true(ddi_pkt_is_icmp_error(6, 2));

    /* an error quoting an error: the inner one's quote is not followed */
    size_t e1 = pb_icmp_pkt(inner, &iip, 3, 3, 0, 0, b, 28);
    n = pb_icmp_pkt(b, &oip, 11, 0, 0, 0, inner, e1);
    p = parse_ok(b, n);
    g_assert_true(p.has_quote);
    g_assert_cmpuint(p.quote.proto, ==, 1);
    g_assert_false(p.quote.has_ports);
}

static void test_icmpv6_error(void)
{
    uint8_t inner[PB_MAX], b[PB_MAX];
    pb_ip iip = {.src = "2001:db8:dead::7", .dst = "2001:db8:beef::80", .ttl = 1};
    pb_tcp it = {.sport = 80, .dport = 40001, .seq = 77, .flags = DDI_TH_RST};
    size_t in = pb_tcp_pkt(inner, &iip, &it);
    pb_ip oip = {.src = "2001:db8:ffff::1", .dst = "2001:db8:dead::7", .ttl = 64};
    size_t n = pb_icmp_pkt(b, &oip, 1, 4, 0, 0, inner, in);
    ddi_pkt p = parse_ok(b, n);
    g_assert_cmpuint(p.ver, ==, 6);
    g_assert_cmpuint(p.proto, ==, 58);
    g_assert_cmpint(p.l4, ==, DDI_L4_ICMP);
    g_assert_cmpuint(p.icmp_type, ==, 1);
    g_assert_cmpuint(p.icmp_code, ==, 4);
    g_assert_true(p.has_quote);
    g_assert_cmpuint(p.quote.ver, ==, 6);
    assert_addr(&p.quote.src, "2001:db8:dead::7");
    assert_addr(&p.quote.dst, "2001:db8:beef::80");
    g_assert_true(p.quote.has_ports);
    g_assert_cmpuint(p.quote.sport, ==, 80);
    g_assert_cmpuint(p.quote.dport, ==, 40001);
    g_assert_cmpuint(p.quote.seq, ==, 77);

    /* echo request (128): no quote */
    n = pb_icmp_pkt(b, &oip, 128, 0, 1, 2, inner, in);
    p = parse_ok(b, n);
    g_assert_false(p.has_quote);
    g_assert_cmpuint(p.icmp_id, ==, 1);
}

/* ----------------------------------------------------------- addresses */

/* RFC 5952 text as ddi_addr_str wrote it with snprintf before it wrote the
 * digits by hand: the reference for the random addresses below. */
static void addr6_reference(const uint8_t a[16], char *buf, size_t len)
{
    uint16_t g[8];
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && !g[j])
            j++;
        if (j - i > bestlen && j - i > 1) {
            best = i;
            bestlen = j - i;
        }
        i = j == i ? i + 1 : j;
    }
    size_t o = 0;
    for (int i = 0; i < 8 && o < len; i++) {
        if (i == best) {
            o += (size_t)snprintf(buf + o, len - o, "::");
            i += bestlen - 1;
            continue;
        }
        o += (size_t)snprintf(buf + o, len - o, "%s%x", (i && i != best + bestlen) ? ":" : "", g[i]);
    }
}

static void test_addr6_random(void)
{
    GRand *r = g_rand_new_with_seed(6);
    for (int n = 0; n < 100000; n++) {
        ddi_addr a = {.family = 6};
        for (int i = 0; i < 8; i++) {
            /* zero groups often (runs to compress), short and long values */
            uint32_t kind = (uint32_t)g_rand_int_range(r, 0, 4);
            uint16_t v = kind == 0 ? 0 : kind == 1 ? (uint16_t)g_rand_int_range(r, 1, 16) : (uint16_t)g_rand_int(r);
            a.a[2 * i] = (uint8_t)(v >> 8);
            a.a[2 * i + 1] = (uint8_t)v;
        }
        size_t len = n % 5 ? 48 : (size_t)g_rand_int_range(r, 1, 42);
        char want[48], got[48];
        addr6_reference(a.a, want, len);
        ddi_addr_str(&a, got, len);
        g_assert_cmpstr(got, ==, want);
    }
    g_rand_free(r);
}

static void test_addr_text(void)
{
    static const char *const v6[] = {
        "::", "::1", "1::", "2001:db8::1", "2001:db8:0:1:1:1:1:1", "2001:0:0:1::1", "fe80::1:0:0:2",
        "1:2:3:4:5:6:7:8", "2001:db8::", "::ffff:c000:201", "1::2:0:0:3:4" /* first of equal runs */,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(v6); i++) {
        ddi_addr a = pb_addr(v6[i]);
        char buf[64];
        g_assert_cmpstr(ddi_addr_str(&a, buf, sizeof buf), ==, v6[i]);
    }
    ddi_addr a = pb_addr("10.0.0.255");
    char buf[64];
    g_assert_cmpstr(ddi_addr_str(&a, buf, sizeof buf), ==, "10.0.0.255");
    g_assert_cmpuint(ddi_addr_v4(&a), ==, 0x0a0000ffu);
    ddi_addr z;
    memset(&z, 0, sizeof z);
    g_assert_cmpstr(ddi_addr_str(&z, buf, sizeof buf), ==, "?");

    /* small buffers: cut, terminated, nothing written past len */
    ddi_addr l = pb_addr("1234:5678:9abc:def0:1234:5678:9abc:def0");
    for (size_t len = 1; len < 40; len++) {
        char *small = g_malloc(len);
        ddi_addr_str(&l, small, len);
        g_assert_cmpuint(strlen(small), <, len);
        g_assert_true(g_str_has_prefix("1234:5678:9abc:def0:1234:5678:9abc:def0", small));
        g_free(small);
    }

    ddi_addr b4 = pb_addr("10.0.0.255"), b6 = pb_addr("::a00:ff");
    g_assert_true(ddi_addr_eq(&a, &b4));
    g_assert_false(ddi_addr_eq(&a, &b6)); /* same low bytes, other family */
    ddi_addr c4 = pb_addr("10.0.0.254");
    g_assert_false(ddi_addr_eq(&a, &c4));
}

/* -------------------------------------------------------------- fuzzing */

static void check_invariants(bool ok, const ddi_pkt *p)
{
    if (!ok)
        return;
    g_assert_true(p->ver == 4 || p->ver == 6);
    g_assert_cmpuint(p->tcp.nopt, <=, DDI_MAX_OPTS);
    if (p->l4_complete)
        g_assert_true(p->l4_ports || p->l4 == DDI_L4_ICMP);
    if (p->l4 == DDI_L4_NONE)
        g_assert_false(p->l4_complete);
    if (p->tcp.opts_complete)
        g_assert_cmpuint(p->tcp.hdr_len, >=, 20);
    if (p->has_quote)
        g_assert_true(p->l4 == DDI_L4_ICMP && p->l4_complete);
}

static void test_fuzz_random(void)
{
    GRand *r = g_rand_new_with_seed(20240613);
    unsigned parsed = 0, tcp = 0, quotes = 0;
    uint8_t buf[120];
    for (int k = 0; k < 20000; k++) {
        size_t n = (size_t)g_rand_int_range(r, 0, 121);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)g_rand_int(r);
        /* steer most buffers past the version check so the deeper code runs */
        int mode = g_rand_int_range(r, 0, 4);
        if (n && mode) {
            static const uint8_t protos[] = {6, 17, 1, 0, 44, 60};
            uint8_t pr = protos[g_rand_int_range(r, 0, G_N_ELEMENTS(protos))];
            size_t l4;
            if (mode != 2) { /* IPv4, first fragment */
                size_t hl = (size_t)g_rand_int_range(r, 5, 8);
                buf[0] = (uint8_t)(0x40 | hl);
                l4 = hl * 4;
                if (n > 9)
                    buf[9] = pr;
                if (n > 7) {
                    buf[6] &= 0xa0;
                    buf[7] = 0;
                }
            } else {
                buf[0] = (uint8_t)(0x60 | (buf[0] & 0x0f));
                l4 = 40;
                if (pr == 1)
                    pr = 58;
                if (n > 6)
                    buf[6] = pr;
            }
            /* ICMP errors with something like an IP header inside */
            if ((pr == 1 || pr == 58) && mode >= 2 && n > l4 + 8) {
                buf[l4] = pr == 1 ? 3 : 1;
                buf[l4 + 8] = g_rand_boolean(r) ? 0x45 : 0x60;
            }
        }
        ddi_pkt p;
        bool ok = parse_exact(buf, n, 1.0, &p);
        check_invariants(ok, &p);
        parsed += ok;
        tcp += ddi_pkt_is_tcp(&p);
        quotes += p.has_quote;
    }
    g_rand_free(r);
    /* the loop reached the inner parsers, not only the version check */
    g_assert_cmpuint(parsed, >, 5000);
    g_assert_cmpuint(tcp, >, 500);
    g_assert_cmpuint(quotes, >, 20);
}

static void test_fuzz_mutations(void)
{
    /* flip bytes of valid packets and cut them anywhere */
    uint8_t seeds[4][PB_MAX];
    size_t lens[4];
    pb_tcp t = SYN(SEED_OPTS);
    lens[0] = pb_tcp_pkt(seeds[0], &(pb_ip)V4(.df = true), &t);
    lens[1] = pb_tcp_pkt(seeds[1], &(pb_ip)V6(), &t);
    lens[2] = pb_icmp_pkt(seeds[2], &(pb_ip)V4(), 3, 3, 0, 0, seeds[0], lens[0]);
    lens[3] = pb_icmp_pkt(seeds[3], &(pb_ip)V6(), 1, 0, 0, 0, seeds[1], lens[1]);
    GRand *r = g_rand_new_with_seed(7);
    uint8_t buf[PB_MAX];
    for (int k = 0; k < 20000; k++) {
        int s = g_rand_int_range(r, 0, 4);
        size_t n = lens[s];
        memcpy(buf, seeds[s], n);
        int flips = g_rand_int_range(r, 1, 5);
        for (int f = 0; f < flips; f++)
            buf[g_rand_int_range(r, 0, (gint32)n)] = (uint8_t)g_rand_int(r);
        n = (size_t)g_rand_int_range(r, 0, (gint32)n + 1);
        ddi_pkt p;
        check_invariants(parse_exact(buf, n, 1.0, &p), &p);
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pkt/ipv4-tcp-fields", test_ipv4_tcp_fields);
    g_test_add_func("/pkt/ipv4-payload-ip-options", test_ipv4_payload_and_ip_options);
    g_test_add_func("/pkt/ipv4-ethernet-padding", test_ipv4_padding_after_ip_len_ignored);
    g_test_add_func("/pkt/ipv6-tcp-fields", test_ipv6_tcp_fields);
    g_test_add_func("/pkt/udp-and-other", test_udp_and_other);
    for (size_t i = 0; i < G_N_ELEMENTS(quirk_cases); i++) {
        char *name = g_strdup_printf("/pkt/quirk/%s", quirk_cases[i].name);
        g_test_add_data_func(name, &quirk_cases[i], test_quirk);
        g_free(name);
    }
    g_test_add_func("/pkt/opt/len-zero-or-one", test_opt_len_zero_or_one);
    g_test_add_func("/pkt/opt/len-past-area", test_opt_len_past_area);
    g_test_add_func("/pkt/opt/duplicates-first-wins", test_opt_duplicates);
    g_test_add_func("/pkt/opt/mss-zero-ws", test_opt_mss_zero_and_ws);
    g_test_add_func("/pkt/opt/ts-not-syn", test_opt_ts_not_syn);
    g_test_add_func("/pkt/opt/eol", test_opt_eol);
    g_test_add_func("/pkt/opt/many", test_opt_many);
    g_test_add_func("/pkt/tcp/doff-below-5", test_doff_below_5);
    g_test_add_func("/pkt/tcp/opts-cut-by-capture", test_opts_cut_by_capture);
    g_test_add_func("/pkt/tcp/header-cut", test_tcp_header_cut);
    g_test_add_func("/pkt/ipv4/truncated", test_ipv4_truncated);
    g_test_add_func("/pkt/bad-version-null", test_bad_version_and_null);
    g_test_add_func("/pkt/ipv6/truncated", test_ipv6_truncated);
    g_test_add_func("/pkt/ipv4/fragments", test_ipv4_fragments);
    g_test_add_func("/pkt/ipv4/reassembled", test_ipv4_reassembled);
    g_test_add_func("/pkt/ipv6/ext-headers", test_ipv6_ext_headers);
    g_test_add_func("/pkt/icmp/quote-udp", test_icmp_quote_udp);
    g_test_add_func("/pkt/icmp/quote-tcp", test_icmp_quote_tcp);
    g_test_add_func("/pkt/icmp/not-error", test_icmp_not_error);
    g_test_add_func("/pkt/icmp/v6-error", test_icmpv6_error);
    g_test_add_func("/pkt/addr-text", test_addr_text);
    g_test_add_func("/pkt/addr6-random", test_addr6_random);
    g_test_add_func("/pkt/fuzz/random", test_fuzz_random);
    g_test_add_func("/pkt/fuzz/mutations", test_fuzz_mutations);
    return g_test_run();
}
