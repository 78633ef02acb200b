/* test_backscatter.c — backscatter classes and victims (plugin/core/backscatter.c).
 *
 * Packets are built as raw bytes (pktbuild.h) and parsed with
 * ddi_pkt_parse(), including ICMP errors that quote the packet forged with
 * the darknet address.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _POSIX_C_SOURCE 200809L
#include <glib.h>
#include <string.h>

#include "backscatter.h"
#include "pkt.h"
#include "pktbuild.h"

#define DARK "192.0.2.77"     /* the darknet address */
#define VICTIM "203.0.113.80" /* the host under attack */
#define ROUTER "198.51.100.1"
#define DARK6 "2001:db8:dead::77"
#define VICTIM6 "2001:db8:beef::80"

/* IP header fields: IPv4 id 1234, no DF, TOS 0 */
static pb_ip ip_fields(const char *src, const char *dst, uint8_t ttl)
{
    return (pb_ip){.src = src, .dst = dst, .ttl = ttl, .id = 0x4d2};
}

/* TCP header fields (no options): seq 0x11111111, window 29200 */
static pb_tcp tcp_fields(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
    return (pb_tcp){.sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags, .win = 29200};
}

static ddi_pkt mk_tcp(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint8_t flags)
{
    pb_ip ip = ip_fields(src, dst, 50);
    pb_tcp t = tcp_fields(sport, dport, 0x11111111, flags & DDI_TH_ACK ? 0x22222222 : 0, flags);
    return pb_tcp_parsed(&ip, &t, 0);
}

/* ICMP (or ICMPv6) message of `type`/`code` from `src` to `dst`.  For errors,
 * `qproto` != 0 adds a quoted packet qsrc:qsport -> qdst:qdport of that
 * protocol, with `qlen` bytes of it after its IP header (RFC 792: 8). */
static ddi_pkt mk_icmp(const char *src, const char *dst, uint8_t type, uint8_t code, uint8_t qproto,
                       const char *qsrc, const char *qdst, uint16_t qsport, uint16_t qdport, size_t qlen)
{
    uint8_t b[PB_MAX], q[PB_MAX];
    size_t qn = 0;
    if (qproto) {
        /* the whole packet as sent (20 bytes after the IP header), then cut */
        g_assert_cmpuint(qlen, <=, 20);
        pb_ip qip = ip_fields(qsrc, qdst, 240);
        qip.proto = qproto;
        if (qproto == 6) {
            pb_tcp qt = tcp_fields(qsport, qdport, 0xc0ffee00, 0, DDI_TH_SYN);
            pb_tcp_pkt(q, &qip, &qt);
        } else if (qproto == 17) {
            pb_udp_pkt_fill(q, &qip, qsport, qdport, 12, 0);
        } else { /* an echo request */
            pb_icmp_pkt(q, &qip, pb_is6(&qip) ? 128 : 8, 0, 0x4242, 0, NULL, 12);
        }
        qn = pb_ip_hdr_len(&qip) + qlen;
    }
    pb_ip ip = ip_fields(src, dst, 60);
    size_t n = pb_icmp_pkt(b, &ip, type, code, 0, 0, q, qn);
    return pb_parse(b, n, 0);
}

static void assert_ev(const ddi_bs_result *r, const ddi_pkt *p, const char *n1, const char *n2)
{
    char buf[512];
    ddi_backscatter_evidence(r, p, buf, sizeof buf);
    if (n1 && !strstr(buf, n1))
        g_error("evidence '%s' lacks '%s'", buf, n1);
    if (n2 && !strstr(buf, n2))
        g_error("evidence '%s' lacks '%s'", buf, n2);
}

static void assert_victim(const ddi_bs_result *r, const char *addr)
{
    char a[64];
    g_assert_true(r->victim_known);
    g_assert_cmpstr(ddi_addr_str(&r->victim, a, sizeof a), ==, addr);
}

/* ----------------------------------------------------------------- names */

static void test_names(void)
{
    g_assert_cmpstr(ddi_backscatter_name(DDI_BS_SYNACK), ==, "SYN-ACK");
    g_assert_cmpstr(ddi_backscatter_name(DDI_BS_RST), ==, "RST");
    g_assert_cmpstr(ddi_backscatter_name(DDI_BS_RSTACK), ==, "RST-ACK");
    g_assert_cmpstr(ddi_backscatter_name(DDI_BS_ICMP_UNREACH), ==, "ICMP unreachable");
    g_assert_cmpstr(ddi_backscatter_name(DDI_BS_ICMP_TIMEX), ==, "ICMP time exceeded");
    for (int k = 0; k < DDI_BS__COUNT; k++)
        g_assert_cmpstr(ddi_backscatter_name((ddi_bs_kind)k), !=, "?");
}

/* ------------------------------------------------------------------ TCP */

static void test_tcp(void)
{
    ddi_bs_result r;
    ddi_pkt p = mk_tcp(VICTIM, DARK, 80, 51234, DDI_TH_SYN | DDI_TH_ACK);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_SYNACK);
    assert_victim(&r, VICTIM);
    g_assert_true(r.has_port);
    g_assert_cmpuint(r.victim_port, ==, 80);
    g_assert_true(r.has_spoofed_port);
    g_assert_cmpuint(r.spoofed_port, ==, 51234);
    g_assert_cmpuint(r.proto, ==, 6);
    g_assert_false(r.from_quote);
    assert_ev(&r, &p, "SYN-ACK from 203.0.113.80:80 to darknet port 51234", "corsaro");

    p = mk_tcp(VICTIM, DARK, 443, 4000, DDI_TH_RST);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_RST);
    g_assert_cmpuint(r.victim_port, ==, 443);
    assert_ev(&r, &p, "refused", NULL);

    p = mk_tcp(VICTIM, DARK, 22, 4001, DDI_TH_RST | DDI_TH_ACK);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_RSTACK);

    /* PSH / URG / ECE alongside are still replies */
    p = mk_tcp(VICTIM, DARK, 80, 4002, DDI_TH_SYN | DDI_TH_ACK | DDI_TH_ECE);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_SYNACK);

    /* IPv6 SYN-ACK */
    p = mk_tcp(VICTIM6, DARK6, 443, 40000, DDI_TH_SYN | DDI_TH_ACK);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    assert_victim(&r, VICTIM6);
    assert_ev(&r, &p, "[2001:db8:beef::80]:443", NULL);
}

static void test_tcp_not_backscatter(void)
{
    ddi_bs_result r;
    static const uint8_t not_bs[] = {
        DDI_TH_SYN,                              /* a probe */
        DDI_TH_ACK,                              /* nmap -sA, T6 */
        DDI_TH_FIN,
        0,                                       /* NULL scan */
        DDI_TH_FIN | DDI_TH_PUSH | DDI_TH_URG,   /* Xmas */
        0xff,                                    /* all eight flags (tcpdump robustness capture) */
        0x3f,                                    /* unicornscan -mTFSRPAU */
        DDI_TH_SYN | DDI_TH_FIN,
        DDI_TH_SYN | DDI_TH_FIN | DDI_TH_ACK,
        DDI_TH_SYN | DDI_TH_RST,
        DDI_TH_SYN | DDI_TH_RST | DDI_TH_ACK,
        DDI_TH_RST | DDI_TH_FIN,
    };
    for (size_t i = 0; i < sizeof not_bs; i++) {
        ddi_pkt p = mk_tcp(VICTIM, DARK, 80, 5000, not_bs[i]);
        if (ddi_backscatter_classify(&p, &r))
            g_error("flags 0x%02x taken as backscatter", not_bs[i]);
        g_assert_cmpint(r.kind, ==, DDI_BS_NONE);
        g_assert_false(r.victim_known);
    }

    /* a TCP header cut after 8 bytes: no flags, no verdict */
    uint8_t b[PB_MAX];
    pb_ip ip = ip_fields(VICTIM, DARK, 50);
    pb_tcp t = {.sport = 80, .dport = 5000, .seq = 1};
    pb_tcp_pkt(b, &ip, &t);
    ddi_pkt p = pb_parse(b, pb_ip_hdr_len(&ip) + 8, 0);
    g_assert_false(ddi_backscatter_classify(&p, &r));

    /* UDP is never backscatter (not even from port 53) */
    size_t n = pb_udp_pkt(b, &ip, 53, 33333, 0);
    p = pb_parse(b, n, 0);
    g_assert_false(ddi_backscatter_classify(&p, &r));

    /* NULL input */
    g_assert_false(ddi_backscatter_classify(NULL, &r));
    g_assert_false(ddi_backscatter_classify(NULL, NULL));
}

/* ---------------------------------------------------------------- ICMP */

static void test_icmp_error_quoting_tcp(void)
{
    ddi_bs_result r;
    /* port 443 filtered: the router answers the SYN that was forged with our address */
    ddi_pkt p = mk_icmp(ROUTER, DARK, 3, 10, 6, DARK, VICTIM, 4211, 443, 8);
    g_assert_true(p.has_quote);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_UNREACH);
    assert_victim(&r, VICTIM);
    g_assert_true(r.from_quote);
    g_assert_false(r.quote_mismatch);
    g_assert_true(r.has_port);
    g_assert_cmpuint(r.victim_port, ==, 443);
    g_assert_cmpuint(r.spoofed_port, ==, 4211);
    g_assert_cmpuint(r.proto, ==, 6);
    char a[64];
    g_assert_cmpstr(ddi_addr_str(&r.responder, a, sizeof a), ==, ROUTER);
    assert_ev(&r, &p, "quoting TCP 192.0.2.77:4211 -> 203.0.113.80:443", "victim is 203.0.113.80 port 443");
    assert_ev(&r, &p, "type 3 code 10", "process_icmp_packet");

    /* the full quoted TCP header (20 bytes) gives the same answer */
    p = mk_icmp(ROUTER, DARK, 3, 13, 6, DARK, VICTIM, 4211, 80, 20);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpuint(r.victim_port, ==, 80);

    /* time exceeded quoting UDP */
    p = mk_icmp(ROUTER, DARK, 11, 0, 17, DARK, VICTIM, 1024, 53, 8);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_TIMEX);
    assert_victim(&r, VICTIM);
    g_assert_cmpuint(r.victim_port, ==, 53);
    g_assert_cmpuint(r.proto, ==, 17);

    /* an error quoting an echo request: victim known, no port */
    p = mk_icmp(ROUTER, DARK, 3, 1, 1, DARK, VICTIM, 0, 0, 8);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    assert_victim(&r, VICTIM);
    g_assert_false(r.has_port);
    g_assert_cmpuint(r.proto, ==, 1);

    /* other ICMPv4 errors: source quench 4, redirect 5, parameter problem 12 */
    static const uint8_t other[] = {4, 5, 12};
    for (size_t i = 0; i < sizeof other; i++) {
        p = mk_icmp(ROUTER, DARK, other[i], 0, 6, DARK, VICTIM, 4000, 25, 8);
        g_assert_true(ddi_backscatter_classify(&p, &r));
        g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_OTHER_ERR);
        g_assert_cmpuint(r.victim_port, ==, 25);
    }
}

static void test_icmp_error_not_ours(void)
{
    ddi_bs_result r;
    /* the quoted packet came from another address: classify, but claim no victim */
    ddi_pkt p = mk_icmp(ROUTER, DARK, 3, 3, 6, "192.0.2.99", VICTIM, 4211, 443, 8);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_UNREACH);
    g_assert_true(r.quote_mismatch);
    g_assert_false(r.victim_known);
    g_assert_cmpint(r.victim.family, ==, 0);
    g_assert_false(r.has_port);
    g_assert_cmpuint(r.proto, ==, 6);
    char a[64];
    g_assert_cmpstr(ddi_addr_str(&r.quoted_dst, a, sizeof a), ==, VICTIM);
    assert_ev(&r, &p, "not this packet's destination 192.0.2.77", "no victim claimed");

    /* no quoted header at all (an 8-byte ICMP error) */
    p = mk_icmp(ROUTER, DARK, 11, 0, 0, NULL, NULL, 0, 0, 0);
    g_assert_false(p.has_quote);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_TIMEX);
    g_assert_true(r.no_quote);
    g_assert_false(r.victim_known);
    assert_ev(&r, &p, "without a quoted header", NULL);

    /* a quote cut inside the IP header */
    static const uint8_t cut[12] = {0x45};
    uint8_t b[PB_MAX];
    pb_ip ip = ip_fields(ROUTER, DARK, 60);
    p = pb_parse(b, pb_icmp_pkt(b, &ip, 3, 1, 0, 0, cut, sizeof cut), 0);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_true(r.no_quote);
}

static void test_icmp_replies(void)
{
    ddi_bs_result r;
    ddi_pkt p = mk_icmp(VICTIM, DARK, 0, 0, 0, NULL, NULL, 0, 0, 0);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ECHO_REPLY);
    assert_victim(&r, VICTIM);
    g_assert_false(r.has_port);
    g_assert_cmpuint(r.proto, ==, 1);
    assert_ev(&r, &p, "ICMP echo reply (type 0) from 203.0.113.80", NULL);

    static const uint8_t replies[] = {14, 16, 18};
    static const char *names[] = {"timestamp reply", "information reply", "address-mask reply"};
    for (size_t i = 0; i < sizeof replies; i++) {
        p = mk_icmp(VICTIM, DARK, replies[i], 0, 0, NULL, NULL, 0, 0, 0);
        g_assert_true(ddi_backscatter_classify(&p, &r));
        g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_OTHER_REPLY);
        assert_victim(&r, VICTIM);
        assert_ev(&r, &p, names[i], NULL);
    }

    /* requests and other types are not replies */
    static const uint8_t not_bs[] = {8, 13, 15, 17, 9, 10, 30};
    for (size_t i = 0; i < sizeof not_bs; i++) {
        p = mk_icmp(VICTIM, DARK, not_bs[i], 0, 0, NULL, NULL, 0, 0, 0);
        if (ddi_backscatter_classify(&p, &r))
            g_error("ICMP type %u taken as backscatter", not_bs[i]);
    }
}

static void test_icmpv6(void)
{
    ddi_bs_result r;
    /* destination unreachable (1) quoting a TCP SYN forged from our v6 address */
    ddi_pkt p = mk_icmp(VICTIM6, DARK6, 1, 4, 6, DARK6, VICTIM6, 40000, 443, 8);
    g_assert_true(p.has_quote);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_UNREACH);
    assert_victim(&r, VICTIM6);
    g_assert_cmpuint(r.victim_port, ==, 443);
    assert_ev(&r, &p, "ICMPv6 type 1 code 4", "victim is [2001:db8:beef::80] port 443");

    p = mk_icmp("2001:db8:1::1", DARK6, 3, 0, 17, DARK6, VICTIM6, 5353, 53, 8);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_TIMEX);
    g_assert_cmpuint(r.victim_port, ==, 53);

    p = mk_icmp("2001:db8:1::1", DARK6, 2, 0, 6, DARK6, VICTIM6, 5353, 80, 8);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ICMP_OTHER_ERR);

    /* quoted source differs: mismatch */
    p = mk_icmp(VICTIM6, DARK6, 1, 4, 6, "2001:db8:dead::78", VICTIM6, 40000, 443, 8);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_true(r.quote_mismatch);
    g_assert_false(r.victim_known);

    p = mk_icmp(VICTIM6, DARK6, 129, 0, 0, NULL, NULL, 0, 0, 0);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    g_assert_cmpint(r.kind, ==, DDI_BS_ECHO_REPLY);
    g_assert_cmpuint(r.proto, ==, 58);
    assert_ev(&r, &p, "ICMPv6 echo reply", NULL);

    /* echo request 128, neighbour solicitation 135, router advertisement 134: not backscatter */
    static const uint8_t not_bs[] = {128, 133, 134, 135, 136, 0};
    for (size_t i = 0; i < sizeof not_bs; i++) {
        p = mk_icmp(VICTIM6, DARK6, not_bs[i], 0, 0, NULL, NULL, 0, 0, 0);
        if (ddi_backscatter_classify(&p, &r))
            g_error("ICMPv6 type %u taken as backscatter", not_bs[i]);
    }
}

static void test_evidence_edges(void)
{
    ddi_bs_result r;
    ddi_pkt p = mk_tcp(VICTIM, DARK, 80, 51234, DDI_TH_SYN | DDI_TH_ACK);
    g_assert_true(ddi_backscatter_classify(&p, &r));
    char tiny[6];
    ddi_backscatter_evidence(&r, &p, tiny, sizeof tiny);
    g_assert_cmpuint(strlen(tiny), ==, sizeof tiny - 1);
    ddi_backscatter_evidence(&r, &p, NULL, 0);
    ddi_backscatter_evidence(NULL, &p, tiny, sizeof tiny);
    g_assert_cmpstr(tiny, ==, "");
    p = mk_tcp(VICTIM, DARK, 80, 51234, DDI_TH_SYN);
    g_assert_false(ddi_backscatter_classify(&p, &r));
    char buf[64];
    ddi_backscatter_evidence(&r, &p, buf, sizeof buf);
    g_assert_cmpstr(buf, ==, "not backscatter");
}


/* ------------------------------------------------ what the capture shows */

static ddi_bs_seen seen_of(const ddi_seen_set *set, const ddi_pkt *p, bool dst_sent, bool src_sent, bool qsrc,
                           bool qdst)
{
    ddi_bs_result r;
    bool cls = ddi_backscatter_classify(p, &r);
    ddi_bs_gate g = {.dst_sent = dst_sent, .src_sent_tcp = src_sent, .quoted_src_sent = qsrc, .quoted_dst_sent_flow = qdst};
    return ddi_backscatter_seen(set, p, cls ? &r : NULL, &g);
}

static void test_seen_tcp(void)
{
    ddi_seen_set set;
    ddi_seen_init(&set);
    ddi_pkt syn = mk_tcp(DARK, VICTIM, 51234, 80, DDI_TH_SYN);
    ddi_pkt synack = mk_tcp(VICTIM, DARK, 80, 51234, DDI_TH_SYN | DDI_TH_ACK);
    ddi_pkt other = mk_tcp(VICTIM, DARK, 80, 51235, DDI_TH_SYN | DDI_TH_ACK);
    g_assert_cmpint(seen_of(&set, &synack, true, true, false, false), ==, DDI_BS_SEEN_NONE);
    ddi_backscatter_record(&set, &syn, false);
    g_assert_cmpint(seen_of(&set, &synack, true, true, false, false), ==, DDI_BS_SEEN_ANSWERS_SYN);
    /* the gate: a destination that never sent is not looked up */
    g_assert_cmpint(seen_of(&set, &synack, false, true, false, false), ==, DDI_BS_SEEN_NONE);
    g_assert_cmpint(seen_of(&set, &other, true, true, false, false), ==, DDI_BS_SEEN_NONE);
    /* a SYN answers nothing, whatever came before */
    ddi_pkt back = mk_tcp(VICTIM, DARK, 80, 51234, DDI_TH_SYN);
    g_assert_cmpint(seen_of(&set, &back, true, true, false, false), ==, DDI_BS_SEEN_NONE);
    /* an ACK probe answered by RST */
    ddi_pkt ackp = mk_tcp(DARK, VICTIM, 40000, 22, DDI_TH_ACK);
    ddi_pkt rst = mk_tcp(VICTIM, DARK, 22, 40000, DDI_TH_RST);
    ddi_backscatter_record(&set, &ackp, false);
    g_assert_cmpint(seen_of(&set, &rst, true, true, false, false), ==, DDI_BS_SEEN_ANSWERS_PKT);
    /* own connection: only packets that were no backscatter count */
    ddi_pkt vsa = mk_tcp(VICTIM, DARK, 443, 7000, DDI_TH_SYN | DDI_TH_ACK);
    ddi_pkt vrst = mk_tcp(VICTIM, DARK, 443, 7000, DDI_TH_RST);
    ddi_backscatter_record(&set, &vsa, true);
    g_assert_cmpint(seen_of(&set, &vrst, false, true, false, false), ==, DDI_BS_SEEN_NONE);
    ddi_pkt cack = mk_tcp(VICTIM, DARK, 443, 7001, DDI_TH_ACK);
    ddi_pkt crst = mk_tcp(VICTIM, DARK, 443, 7001, DDI_TH_RST | DDI_TH_ACK);
    ddi_backscatter_record(&set, &cack, false);
    g_assert_cmpint(seen_of(&set, &crst, false, true, false, false), ==, DDI_BS_SEEN_OWN_CONN);
    g_assert_cmpint(seen_of(&set, &crst, false, false, false, false), ==, DDI_BS_SEEN_NONE);
    /* the darknet host's RST answering backscatter it received is its own answer */
    ddi_pkt drst = mk_tcp(DARK, VICTIM, 7000, 443, DDI_TH_RST);
    g_assert_cmpint(seen_of(&set, &drst, true, true, false, false), ==, DDI_BS_SEEN_ANSWERS_PKT);
    g_assert_true(ddi_backscatter_seen_two_way(DDI_BS_SEEN_ANSWERS_PKT));
    g_assert_false(ddi_backscatter_seen_two_way(DDI_BS_SEEN_OWN_CONN));
    g_assert_false(ddi_backscatter_seen_two_way(DDI_BS_SEEN_NONE));
    ddi_seen_free(&set);
}

static void test_seen_icmp(void)
{
    ddi_seen_set set;
    ddi_seen_init(&set);
    /* an error quoting a UDP probe: matched only once the probe was seen */
    ddi_pkt err = mk_icmp(ROUTER, DARK, 11, 0, 17, DARK, VICTIM, 33000, 33434, 8);
    g_assert_cmpint(seen_of(&set, &err, true, true, true, true), ==, DDI_BS_SEEN_NONE);
    uint8_t b[PB_MAX];
    pb_ip ip = ip_fields(DARK, VICTIM, 1);
    ddi_pkt probe = pb_parse(b, pb_udp_pkt(b, &ip, 33000, 33434, 12), 0);
    ddi_backscatter_record(&set, &probe, false);
    g_assert_cmpint(seen_of(&set, &err, true, true, true, true), ==, DDI_BS_SEEN_QUOTES_SENT);
    g_assert_cmpint(seen_of(&set, &err, true, true, false, false), ==, DDI_BS_SEEN_NONE); /* gate */
    char buf[512];
    ddi_bs_result r;
    ddi_backscatter_classify(&err, &r);
    ddi_backscatter_seen_evidence(DDI_BS_SEEN_QUOTES_SENT, &r, &err, buf, sizeof buf);
    g_assert_nonnull(strstr(buf, "from 198.51.100.1 is about a packet seen sent"));
    g_assert_nonnull(strstr(buf, "not backscatter"));
    /* an error quoting a TCP SYN that was seen */
    ddi_pkt terr = mk_icmp(ROUTER, DARK, 3, 1, 6, DARK, VICTIM, 5000, 443, 8);
    ddi_pkt tsyn = mk_tcp(DARK, VICTIM, 5000, 443, DDI_TH_SYN);
    g_assert_cmpint(seen_of(&set, &terr, true, true, true, true), ==, DDI_BS_SEEN_NONE);
    ddi_backscatter_record(&set, &tsyn, false);
    g_assert_cmpint(seen_of(&set, &terr, true, true, true, true), ==, DDI_BS_SEEN_QUOTES_SENT);
    /* an error about the reply to a flow its sender opened */
    ddi_pkt late = mk_icmp(DARK, VICTIM, 3, 3, 17, VICTIM, DARK, 53, 5353, 8);
    g_assert_cmpint(seen_of(&set, &late, true, true, true, true), ==, DDI_BS_SEEN_NONE);
    pb_ip qip = ip_fields(DARK, VICTIM, 64);
    ddi_pkt query = pb_parse(b, pb_udp_pkt(b, &qip, 5353, 53, 30), 0);
    ddi_backscatter_record(&set, &query, false);
    g_assert_cmpint(seen_of(&set, &late, true, true, true, true), ==, DDI_BS_SEEN_QUOTES_REPLY);
    g_assert_cmpint(seen_of(&set, &late, true, true, true, false), ==, DDI_BS_SEEN_NONE);
    /* echo: request id 0x4242 seq 0 (mk_icmp's quoted request) and replies */
    uint8_t e[PB_MAX];
    static const uint8_t data[12] = {0};
    pb_ip eip = ip_fields(DARK, VICTIM, 64);
    ddi_pkt req = pb_parse(e, pb_icmp_pkt(e, &eip, 8, 0, 0x4242, 0, data, sizeof data), 0);
    pb_ip rip = ip_fields(VICTIM, DARK, 64);
    ddi_pkt rep = pb_parse(e, pb_icmp_pkt(e, &rip, 0, 0, 0x4242, 0, data, sizeof data), 0);
    ddi_pkt rep1 = pb_parse(e, pb_icmp_pkt(e, &rip, 0, 0, 0x4242, 1, data, sizeof data), 0);
    ddi_pkt tsrep = pb_parse(e, pb_icmp_pkt(e, &rip, 14, 0, 0x4242, 0, data, sizeof data), 0);
    ddi_pkt qerr = mk_icmp(ROUTER, DARK, 11, 0, 1, DARK, VICTIM, 0, 0, 8);
    g_assert_cmpint(seen_of(&set, &rep, true, true, false, false), ==, DDI_BS_SEEN_NONE);
    g_assert_cmpint(seen_of(&set, &qerr, true, true, true, true), ==, DDI_BS_SEEN_NONE);
    ddi_backscatter_record(&set, &req, false);
    g_assert_cmpint(seen_of(&set, &rep, true, true, false, false), ==, DDI_BS_SEEN_ANSWERS_REQ);
    g_assert_cmpint(seen_of(&set, &rep1, true, true, false, false), ==, DDI_BS_SEEN_NONE);
    g_assert_cmpint(seen_of(&set, &tsrep, true, true, false, false), ==, DDI_BS_SEEN_NONE); /* asked for an echo */
    g_assert_cmpint(seen_of(&set, &qerr, true, true, true, true), ==, DDI_BS_SEEN_QUOTES_SENT);
    /* UDP answers show two-way traffic (no backscatter class) */
    pb_ip aip = ip_fields(VICTIM, DARK, 60);
    ddi_pkt ans = pb_parse(b, pb_udp_pkt(b, &aip, 53, 5353, 40), 0);
    g_assert_cmpint(seen_of(&set, &ans, true, true, false, false), ==, DDI_BS_SEEN_ANSWERS_PKT);
    for (int k = 0; k < DDI_BS_SEEN__COUNT; k++)
        g_assert_nonnull(ddi_backscatter_seen_name((ddi_bs_seen)k));
    ddi_seen_free(&set);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/backscatter/names", test_names);
    g_test_add_func("/backscatter/tcp", test_tcp);
    g_test_add_func("/backscatter/tcp-not", test_tcp_not_backscatter);
    g_test_add_func("/backscatter/icmp/error-quoting-tcp", test_icmp_error_quoting_tcp);
    g_test_add_func("/backscatter/icmp/error-not-ours", test_icmp_error_not_ours);
    g_test_add_func("/backscatter/icmp/replies", test_icmp_replies);
    g_test_add_func("/backscatter/icmpv6", test_icmpv6);
    g_test_add_func("/backscatter/evidence", test_evidence_edges);
    g_test_add_func("/backscatter/seen/tcp", test_seen_tcp);
    g_test_add_func("/backscatter/seen/icmp", test_seen_icmp);
    return g_test_run();
}
