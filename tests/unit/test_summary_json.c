/* test_summary_json.c — the JSON writer's string escaping and number
 * formatting (core/summary.c), which write by hand rather than with printf.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "summary.h"

static char *write_one(const ddi_src_summary *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    g_assert_nonnull(f);
    ddi_summary_write_json(f, s);
    fclose(f);
    return buf;
}

static void test_escaping(void)
{
    ddi_src_summary s;
    memset(&s, 0, sizeof s);
    s.addr.family = 4;
    memcpy(s.addr.a, (const uint8_t[]){192, 0, 2, 1}, 4);
    s.pkts = UINT32_MAX; /* the largest count */
    s.os = "quote \" backslash \\ tab \t end";
    g_strlcpy(s.verdict, "\x01\"\\", sizeof s.verdict);
    char *j = write_one(&s);
    g_assert_nonnull(strstr(j, "{\"src\":\"192.0.2.1\",\"packets\":4294967295,\"syns\":0,"));
    g_assert_nonnull(strstr(j, "\"os\":\"quote \\\" backslash \\\\ tab \\u0009 end\""));
    g_assert_nonnull(strstr(j, "\"verdict\":\"\\u0001\\\"\\\\\"}\n"));
    g_assert_nonnull(strstr(j, "\"first_seen\":0.000000,"));
    g_free(j);
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/summary_json/escaping", test_escaping);
    g_test_add_func("/summary_json/fixed", test_fixed);
    g_test_add_func("/summary_json/addr4", test_addr4);
    return g_test_run();
}
