/* test_summary.c — the whole-source summary, tri-state verdicts and the
 * writers (plugin/core/summary.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srcfeed.h"

#define DARK "198.51.100.7"

/* a Windows SYN with TTL 113 */
static ddi_pkt syn(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint32_t isn, uint16_t id,
                   double ts)
{
    return win_syn_pkt(src, dst, sport, dport, isn, id, 113, ts);
}

static ddi_pkt tcp(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint16_t flags, double ts)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = 50, .id = 1, .df = true};
    pb_tcp t = {.sport = sport, .dport = dport, .seq = 7, .ack = 8, .flags = flags, .win = 8192};
    return pb_tcp_parsed(&ip, &t, ts);
}

static void test_fixed(void)
{
    char b[48];
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 23.2412, 1), ==, "23.2");
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 1271757604.871203, 6), ==, "1271757604.871203");
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, -0.05, 1), ==, "-0.1");
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, -0.0004, 2), ==, "0.00");
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 9.996, 2), ==, "10.00");
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 42, 0), ==, "42");
    /* a locale with a decimal comma changes nothing */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
        g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 2.5, 3), ==, "2.500");
        setlocale(LC_NUMERIC, "C");
    } else {
        g_test_message("de_DE.UTF-8 not available: locale part skipped");
    }
}

static void test_sketch(void)
{
    uint64_t sk = 0;
    bool at_least;
    g_assert_cmpuint(ddi_sketch_estimate(sk, &at_least), ==, 0);
    for (int i = 0; i < 50; i++) {
        uint8_t b[4] = {10, 0, 0, 1};
        ddi_sketch_add(&sk, b, sizeof b);
    }
    g_assert_cmpuint(ddi_sketch_estimate(sk, &at_least), ==, 1);
    g_assert_false(at_least);
    sk = 0;
    for (uint32_t i = 0; i < 20; i++) {
        uint8_t b[4] = {10, 0, (uint8_t)(i >> 8), (uint8_t)i};
        ddi_sketch_add(&sk, b, sizeof b);
    }
    uint32_t n = ddi_sketch_estimate(sk, &at_least);
    g_assert_cmpuint(n, >=, 16);
    g_assert_cmpuint(n, <=, 25);
    for (uint32_t i = 0; i < 5000; i++) {
        uint8_t b[4] = {10, 1, (uint8_t)(i >> 8), (uint8_t)i};
        ddi_sketch_add(&sk, b, sizeof b);
    }
    g_assert_cmpuint(ddi_sketch_estimate(sk, &at_least), ==, 64);
    g_assert_true(at_least);
}

/* Issue 13: a clean single-retry connection to 445 followed by a second
 * connection with three SYNs; any fitting connection makes the source
 * Conficker-style, not only the last one. */
static void test_conficker_any_connection(void)
{
    ddi_state st;
    ddi_src_summary s;
    ddi_state_init(&st, 0, 0);
    const char *src = "192.0.2.10";
    feed_frame(&st, syn(src, DARK, 3000, 445, 111, 100, 1000.0), 1);
    feed_frame(&st, syn(src, DARK, 3000, 445, 111, 101, 1003.0), 2);
    feed_frame(&st, syn(src, DARK, 3001, 445, 222, 102, 1020.0), 3);
    feed_frame(&st, syn(src, DARK, 3001, 445, 222, 103, 1023.0), 4);
    feed_frame(&st, syn(src, DARK, 3001, 445, 222, 104, 1029.0), 5);
    feed_frame(&st, tcp("203.0.113.99", DARK, 1, 2, DDI_TH_SYN, 1040.0), 6); /* the capture goes on */
    summary_of(&st, src, &s);
    g_assert_cmpint(s.conficker, ==, DDI_TRI_YES);
    g_assert_cmpstr(s.conficker_why, ==, "1 of 2 tcp/445 connections: one retry at ~3 s, then silence");
    g_assert_nonnull(strstr(s.verdict, "Conficker-style single retry"));
    g_assert_cmpuint(s.syns, ==, 5);
    g_assert_cmpuint(s.retries, ==, 3);
    g_assert_cmpint(s.sender_known, ==, DDI_TRI_YES);
    g_assert_cmpint(s.sender, ==, DDI_SENDER_STATEFUL);

    /* the scan over all connections agrees with the per-source walk */
    ddi_conf_fold *folds = ddi_summary_conficker_scan(&st);
    ddi_src_summary s2;
    ddi_addr a = pb_addr(src);
    ddi_summary_build(&st, ddi_state_source_find(&st, &a), folds, &s2);
    g_assert_cmpint(s2.conficker, ==, DDI_TRI_YES);
    free(folds);
    ddi_state_free(&st);
}

static void test_conficker_undetermined(void)
{
    ddi_state st;
    ddi_src_summary s;
    ddi_state_init(&st, 0, 0);
    const char *src = "192.0.2.11";
    feed_frame(&st, syn(src, DARK, 3000, 445, 111, 100, 2000.0), 1);
    feed_frame(&st, syn(src, DARK, 3000, 445, 111, 101, 2003.0), 2); /* the capture ends here */
    summary_of(&st, src, &s);
    g_assert_cmpint(s.conficker, ==, DDI_TRI_UNDETERMINED);
    g_assert_cmpstr(s.conficker_why, ==,
                    "capture ends 0.0 s after the retry; a Windows host would retry again 9 s after the first SYN");
    g_assert_nonnull(strstr(s.verdict, "Conficker-style undetermined"));
    /* one connection, retried: stateful, known already */
    g_assert_cmpint(s.sender_known, ==, DDI_TRI_YES);

    /* a lone first SYN at the capture's end: its retry could still come */
    const char *late = "192.0.2.12";
    feed_frame(&st, syn(late, DARK, 3100, 445, 333, 500, 2002.0), 3);
    summary_of(&st, late, &s);
    g_assert_cmpint(s.conficker, ==, DDI_TRI_UNDETERMINED);
    g_assert_cmpstr(s.conficker_why, ==,
                    "capture ends 1.0 s after a first SYN to tcp/445; a Conficker-style retry comes 2.4-3.6 s after it");

    /* a later packet of anyone moves the capture's end: now it is known */
    feed_frame(&st, tcp("203.0.113.99", DARK, 1, 2, DDI_TH_SYN, 2012.0), 4);
    summary_of(&st, src, &s);
    g_assert_cmpint(s.conficker, ==, DDI_TRI_YES);
    summary_of(&st, late, &s);
    g_assert_cmpint(s.conficker, ==, DDI_TRI_NO); /* 10 s without the retry */
    ddi_state_free(&st);
}

/* An answered SYN is never retransmitted: "stateless" cannot be read from it
 * (arkime__wireshark-smb-on-windows10.pcap). */
static void test_sender_answered(void)
{
    ddi_state st;
    ddi_src_summary s;
    ddi_state_init(&st, 0, 0);
    const char *cli = "192.0.2.20", *srv = "192.0.2.21", *scan = "192.0.2.22";
    /* (the server's SYN-ACKs are not in this capture: only the client's
     * own handshake ACK can show the answer) */
    feed_frame(&st, syn(cli, srv, 50000, 445, 1, 10, 100.0), 1);
    feed_frame(&st, syn(cli, srv, 50001, 445, 2, 11, 101.0), 3);
    /* an ACK that does not follow one of its SYNs proves nothing */
    pb_ip ip = {.src = cli, .dst = srv, .ttl = 64, .id = 12, .df = true};
    pb_tcp other = {.sport = 50002, .dport = 445, .seq = 99, .ack = 1, .flags = DDI_TH_ACK, .win = 8192};
    feed_frame(&st, pb_tcp_parsed(&ip, &other, 101.002), 8);
    summary_of(&st, cli, &s);
    g_assert_false(s.answered);
    /* a scanner's kernel resets the SYN-ACK: seq = ISN + 1 */
    const char *rs = "192.0.2.24";
    feed_frame(&st, syn(rs, srv, 40000, 80, 77, 1, 100.0), 20);
    pb_ip rip = {.src = rs, .dst = srv, .ttl = 64, .id = 2};
    pb_tcp rst = {.sport = 40000, .dport = 80, .seq = 78, .flags = DDI_TH_RST, .win = 0};
    feed_frame(&st, pb_tcp_parsed(&rip, &rst, 100.01), 21);
    summary_of(&st, rs, &s);
    g_assert_true(s.answered);
    /* the handshake's third packet: seq = ISN + 1 */
    pb_tcp ack = {.sport = 50001, .dport = 445, .seq = 3, .ack = 8, .flags = DDI_TH_ACK, .win = 8192};
    feed_frame(&st, pb_tcp_parsed(&ip, &ack, 101.003), 9);
    feed_frame(&st, syn(scan, DARK, 40000, 23, 5, 7, 100.0), 5);
    feed_frame(&st, syn(scan, DARK, 40000, 80, 6, 8, 100.5), 6);
    feed_frame(&st, tcp("203.0.113.99", DARK, 1, 2, DDI_TH_SYN, 130.0), 7);
    summary_of(&st, cli, &s);
    g_assert_true(s.answered);
    g_assert_cmpint(s.sender_known, ==, DDI_TRI_UNDETERMINED);
    g_assert_nonnull(strstr(s.sender_why, "answered"));
    g_assert_null(strstr(s.verdict, "stateless"));
    summary_of(&st, scan, &s);
    g_assert_cmpint(s.sender_known, ==, DDI_TRI_YES);
    g_assert_cmpint(s.sender, ==, DDI_SENDER_STATELESS);
    g_assert_cmpuint(s.ports, ==, 2);

    /* a peer's SYN-ACK to one of its SYNs shows the answer too */
    const char *cli2 = "192.0.2.23";
    feed_frame(&st, syn(cli2, srv, 50100, 443, 21, 30, 131.0), 10);
    feed_frame(&st, syn(cli2, srv, 50101, 443, 22, 31, 132.0), 11);
    pb_ip sip = {.src = srv, .dst = cli2, .ttl = 64, .id = 40, .df = true};
    pb_tcp sa = {.sport = 443, .dport = 50101, .seq = 500, .ack = 23, .flags = DDI_TH_SYN | DDI_TH_ACK, .win = 8192};
    feed_frame(&st, pb_tcp_parsed(&sip, &sa, 132.001), 12);
    feed_frame(&st, tcp("203.0.113.99", DARK, 1, 2, DDI_TH_SYN, 160.0), 13);
    summary_of(&st, cli2, &s);
    g_assert_true(s.answered);
    g_assert_cmpint(s.sender_known, ==, DDI_TRI_UNDETERMINED);

    ddi_capture_summary c;
    ddi_summary_capture(&st, NULL, 0, &c);
    g_assert_cmpuint(c.answered_sources, ==, 3); /* the two clients and the scanner that reset a SYN-ACK */
    g_assert_cmpuint(c.two_way_frame, ==, 12); /* the SYN-ACK answers a SYN seen earlier */
    ddi_state_free(&st);
}

/* All backscatter kinds of a source, with counts and victim ports, and a
 * Verdict that says so. */
static void test_backscatter_all_kinds(void)
{
    ddi_state st;
    ddi_src_summary s;
    ddi_state_init(&st, 0, 0);
    const char *victim = "192.0.2.30";
    feed_frame(&st, tcp(victim, DARK, 80, 40001, DDI_TH_SYN | DDI_TH_ACK, 10.0), 1);
    feed_frame(&st, tcp(victim, DARK, 80, 40002, DDI_TH_SYN | DDI_TH_ACK, 10.1), 2);
    feed_frame(&st, tcp(victim, DARK, 443, 40003, DDI_TH_RST | DDI_TH_ACK, 10.2), 3);
    summary_of(&st, victim, &s);
    g_assert_cmpuint(s.bs_pkts, ==, 3);
    g_assert_cmpuint(s.bs[DDI_BS_SYNACK - 1], ==, 2);
    g_assert_cmpuint(s.bs[DDI_BS_RSTACK - 1], ==, 1);
    g_assert_cmpuint(s.ports, ==, 2); /* victim ports 80 and 443 */
    g_assert_cmpuint(s.victim_port, ==, 443);
    g_assert_nonnull(strstr(s.verdict, "backscatter (SYN-ACK, RST-ACK)"));
    ddi_state_free(&st);
}

/* Tools are collected over all packets, and a source with a tool is never
 * "nothing notable". */
static void test_tools_and_verdict(void)
{
    ddi_state st;
    ddi_src_summary s;
    ddi_state_init(&st, 0, 0);
    const char *src = "192.0.2.40";
    for (int i = 0; i < 3; i++) {
        pb_ip ip = {.src = src, .dst = DARK, .ttl = 64, .id = 54321};
        pb_tcp t = {.sport = (uint16_t)(40000 + i), .dport = 80, .seq = (uint32_t)(1000 + i), .flags = DDI_TH_SYN,
                    .win = 65535, PB_OPTS(PB_MSS(1460))};
        feed_frame(&st, pb_tcp_parsed(&ip, &t, 5.0 + i), (uint32_t)(1 + i));
    }
    summary_of(&st, src, &s);
    g_assert_cmpuint(s.tools, !=, 0);
    g_assert_cmpstr(s.verdict, !=, "nothing notable");
    g_assert_true(s.tools & (1u << DDI_TOOL_ZMAP));
    g_assert_true(g_str_has_prefix(s.verdict, "ZMap"));
    ddi_state_free(&st);
}

/* A saturated backscatter counter is reported as a lower bound. */
static void test_text_backscatter_saturated(void)
{
    ddi_src_summary s;
    memset(&s, 0, sizeof s);
    s.addr.family = 4;
    s.bs[0] = UINT16_MAX;
    s.bs_pkts = s.pkts = UINT16_MAX;
    for (int sat = 0; sat < 2; sat++) {
        s.bs_saturated = sat;
        char *buf = text_of(&s);
        g_assert_nonnull(strstr(buf, sat ? "0 SYN, >= 65535 backscatter" : "0 SYN, 65535 backscatter"));
        free(buf);
    }
}

static void test_json_writer(void)
{
    ddi_state st;
    ddi_src_summary s;
    ddi_state_init(&st, 0, 0);
    const char *src = "192.0.2.50";
    feed_frame(&st, syn(src, DARK, 3000, 445, 111, 100, 1271757600.0), 1);
    feed_frame(&st, syn(src, DARK, 3000, 445, 111, 169, 1271757602.968866), 2);
    summary_of(&st, src, &s);
    bool de = setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
    char *j = json_of(&s);
    if (de)
        setlocale(LC_NUMERIC, "C");
    g_assert_nonnull(strstr(j, "\"first_seen\":1271757600.000000,"));
    g_assert_nonnull(strstr(j, "\"conficker\":\"undetermined\""));
    g_assert_nonnull(strstr(j, "\"ipid_rate\":23.241,"));
    g_assert_nonnull(strstr(j, "\"ipid_norate\":null"));
    g_assert_nonnull(strstr(j, "\"tools\":[]"));
    g_assert_nonnull(strstr(j, "\"nat_reason\":null"));
    g_assert_true(j[strlen(j) - 1] == '\n');
    free(j);
    ddi_state_free(&st);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/summary/fixed", test_fixed);
    g_test_add_func("/summary/sketch", test_sketch);
    g_test_add_func("/summary/conficker-any-connection", test_conficker_any_connection);
    g_test_add_func("/summary/conficker-undetermined", test_conficker_undetermined);
    g_test_add_func("/summary/sender-answered", test_sender_answered);
    g_test_add_func("/summary/backscatter-all-kinds", test_backscatter_all_kinds);
    g_test_add_func("/summary/tools-and-verdict", test_tools_and_verdict);
    g_test_add_func("/summary/json-writer", test_json_writer);
    g_test_add_func("/summary/text-backscatter-saturated", test_text_backscatter_saturated);
    return g_test_run();
}
