/* test_summary_json.c — the JSON writer's string escaping and number
 * formatting (core/summary.c), which write by hand rather than with printf.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "p0fdb.h"
#include "srcfeed.h"

static void test_escaping(void)
{
    ddi_src_summary s;
    memset(&s, 0, sizeof s);
    s.addr.family = 4;
    memcpy(s.addr.a, (const uint8_t[]){192, 0, 2, 1}, 4);
    s.pkts = UINT32_MAX; /* the largest count */
    s.os = "quote \" backslash \\ tab \t end";
    g_strlcpy(s.verdict, "\x01\"\\", sizeof s.verdict);
    char *j = json_of(&s);
    g_assert_nonnull(strstr(j, "{\"src\":\"192.0.2.1\",\"packets\":4294967295,\"syns\":0,"));
    g_assert_nonnull(strstr(j, "\"os\":\"quote \\\" backslash \\\\ tab \\u0009 end\""));
    g_assert_nonnull(strstr(j, "\"verdict\":\"\\u0001\\\"\\\\\"}\n"));
    g_assert_nonnull(strstr(j, "\"first_seen\":0.000000,"));
    g_free(j);
}

/* Any character to escape, at any place of a string of any length up to
 * three 8-byte steps, is escaped (the scan looks at whole words). */
static void test_escaping_everywhere(void)
{
    const char bad[] = {'"', '\\', '\x1f', '\n'};
    for (size_t n = 1; n <= 24; n++)
        for (size_t at = 0; at < n; at++)
            for (size_t k = 0; k < sizeof bad; k++) {
                char text[32], want[64];
                memset(text, 'a', n);
                text[n] = 0;
                text[at] = bad[k];
                ddi_src_summary s;
                memset(&s, 0, sizeof s);
                s.addr.family = 4;
                g_strlcpy(s.verdict, text, sizeof s.verdict);
                char *j = json_of(&s);
                const char *esc = bad[k] == '"' ? "\\\"" : bad[k] == '\\' ? "\\\\" : bad[k] == '\n' ? "\\u000a" : "\\u001f";
                g_snprintf(want, sizeof want, "\"verdict\":\"%.*s%s%s\"}\n", (int)at, text, esc, text + at + 1);
                g_assert_nonnull(strstr(j, want));
                free(j);
            }
}

static void test_fixed(void)
{
    char b[48];
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 0.0000004, 6), ==, "0.000000");
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 1700003593.550985, 6), ==, "1700003593.550985");
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, -2.25, 1), ==, "-2.3"); /* round() rounds half away from zero */
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 0, 0), ==, "0");
    g_assert_cmpstr(ddi_fmt_fixed(b, sizeof b, 65535, 0), ==, "65535");
    /* a short buffer truncates, never overflows */
    g_assert_cmpstr(ddi_fmt_fixed(b, 4, 123456.5, 1), ==, "123");
}

/* The JSON line writes times (6 decimals), spans and rates (3) with its own
 * digits: they must be ddi_fmt_fixed's, the text report's, for any value
 * (rounding at the last decimal, whole numbers, the largest times). */
static void test_fixed_in_json(void)
{
    const double fixed_values[] = {0, 0.0000004, 0.0000005, 0.9999995, 1, 9.9999999, 0.125, 1700003593.550985,
                                   1700000000.0000005, 999999999999.9999, 123456789.1234565, 1e11 + 0.5};
    GRand *rnd = g_rand_new_with_seed(12);
    for (int i = 0; i < 20000; i++) {
        double v = i < (int)G_N_ELEMENTS(fixed_values) ? fixed_values[i]
                   : i % 3 == 0                         ? g_rand_double_range(rnd, 0, 10)
                   : i % 3 == 1                         ? g_rand_double_range(rnd, 1.6e9, 1.8e9)
                                                        : g_rand_double_range(rnd, 0, 1e12);
        ddi_src_summary s;
        memset(&s, 0, sizeof s);
        s.addr.family = 4;
        s.first_ts = v;
        s.rate.has = true;
        s.rate.pps = v;
        s.rate.samples = 2;
        s.rate.span = v;
        char *j = json_of(&s), b[48], want[96];
        g_snprintf(want, sizeof want, "\"first_seen\":%s,", ddi_fmt_fixed(b, sizeof b, v, 6));
        g_assert_nonnull(strstr(j, want));
        g_snprintf(want, sizeof want, "\"ipid_rate\":%s,", ddi_fmt_fixed(b, sizeof b, v, 3));
        g_assert_nonnull(strstr(j, want));
        g_snprintf(want, sizeof want, "\"ipid_rate_span\":%s,", ddi_fmt_fixed(b, sizeof b, v, 6));
        g_assert_nonnull(strstr(j, want));
        free(j);
    }
    g_rand_free(rnd);
}

/* ddi_addr_str() writes IPv4 by hand: it must equal inet_ntop for every
 * octet value in every position, and truncate like snprintf. */
static void test_addr4(void)
{
    for (unsigned pos = 0; pos < 4; pos++)
        for (unsigned v = 0; v < 256; v++) {
            ddi_addr a = {.family = 4, .a = {1, 22, 133, 4}};
            a.a[pos] = (uint8_t)v;
            char want[INET_ADDRSTRLEN], got[48];
            g_assert_nonnull(inet_ntop(AF_INET, a.a, want, sizeof want));
            g_assert_cmpstr(ddi_addr_str(&a, got, sizeof got), ==, want);
        }
    ddi_addr a = {.family = 4, .a = {192, 168, 100, 255}};
    char small[8];
    g_assert_cmpstr(ddi_addr_str(&a, small, sizeof small), ==, "192.168");
}

static char *report_of(const ddi_state *st, unsigned threads)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    g_assert_nonnull(f);
    ddi_capture_summary cap;
    ddi_summary_capture(st, NULL, 0, &cap);
    g_assert_true(ddi_summary_write_report_mt(f, st, &cap, NULL, 0, true, threads));
    fclose(f);
    return buf;
}

/* The report's lines built by several threads (ddi-read) are the lines one
 * thread writes, in the same order: 5,000 sources (several chunks of rows,
 * more than the threads keep in memory at once) of SYNs, UDP and IPv6 with
 * different packet counts. */
static void test_report_threads(void)
{
    ddi_p0fdb *db = ddi_p0fdb_new();
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    uint8_t b[256];
    for (uint32_t i = 0; i < 5000; i++) {
        char src[64], dst[64];
        bool v6 = i % 7 == 3;
        if (v6) {
            g_snprintf(src, sizeof src, "2001:db8:%x::%x", i >> 8, i & 255);
            g_snprintf(dst, sizeof dst, "2001:db8:ffff::%x", i % 97);
        } else {
            g_snprintf(src, sizeof src, "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
            g_snprintf(dst, sizeof dst, "198.51.100.%u", i % 251);
        }
        for (uint32_t k = 0; k <= i % 5; k++) {
            pb_ip ip = {.src = src, .dst = dst, .ttl = (uint8_t)(40 + i % 200), .id = (uint16_t)(i * 7 + k)};
            double ts = 1700000000.0 + i * 0.01 + k * 0.5;
            if (i % 11 == 5) {
                size_t n = pb_udp_pkt(b, &ip, (uint16_t)(1024 + i), (uint16_t)(53 + k), 12);
                ddi_pkt p = pb_parse(b, n, ts);
                ddi_frame_rec rec;
                ddi_observe(&st, db, &p, &rec);
            } else {
                pb_tcp t = {.sport = (uint16_t)(30000 + i % 2000), .dport = (uint16_t)(22 + (i + k) % 40),
                            .seq = i * 2654435761u + k, .flags = DDI_TH_SYN, .win = (uint16_t)(1024 + i % 4096),
                            PB_OPTS(PB_MSS(1460))};
                ddi_pkt p = pb_tcp_parsed(&ip, &t, ts);
                ddi_frame_rec rec;
                ddi_observe(&st, db, &p, &rec);
            }
        }
    }
    g_assert_cmpuint(ddi_state_source_count(&st), ==, 5000);
    char *one = report_of(&st, 1);
    unsigned lines = 0;
    for (const char *c = one; *c; c++)
        lines += *c == '\n';
    g_assert_cmpuint(lines, ==, 5001);
    for (unsigned threads = 2; threads <= 4; threads++) {
        char *many = report_of(&st, threads);
        g_assert_cmpstr(many, ==, one);
        free(many);
    }
    free(one);
    ddi_state_free(&st);
    ddi_p0fdb_free(db);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/summary_json/escaping", test_escaping);
    g_test_add_func("/summary_json/escaping_everywhere", test_escaping_everywhere);
    g_test_add_func("/summary_json/fixed", test_fixed);
    g_test_add_func("/summary_json/fixed_in_json", test_fixed_in_json);
    g_test_add_func("/summary_json/addr4", test_addr4);
    g_test_add_func("/summary_json/report_threads", test_report_threads);
    return g_test_run();
}
