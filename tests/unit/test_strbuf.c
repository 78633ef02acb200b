/* test_strbuf.c — evidence text that does not fit is cut at a whole word.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "strbuf.h"

static void test_fits(void)
{
    char buf[32];
    ddi_sb b = ddi_sb_on(buf, sizeof buf);
    ddi_sb_add(&b, "TTL %u", 64u);
    ddi_sb_clause(&b, "MSS %u", 1460u);
    g_assert_cmpstr(buf, ==, "TTL 64; MSS 1460");
    g_assert_cmpuint(b.len, ==, strlen(buf));
    g_assert_false(b.cut);
}

static void test_exact_fit_is_not_cut(void)
{
    char buf[8];
    ddi_sb b = ddi_sb_on(buf, sizeof buf);
    ddi_sb_add(&b, "%s", "1234567");
    g_assert_cmpstr(buf, ==, "1234567");
    g_assert_false(b.cut);
}

static void test_cut_at_whole_word(void)
{
    char buf[24];
    ddi_sb b = ddi_sb_on(buf, sizeof buf);
    ddi_sb_add(&b, "source port %u lies outside", 21269u);
    g_assert_cmpstr(buf, ==, "source port 21269...");
    g_assert_true(b.cut);
    /* nothing follows the cut, not even a short clause that would fit */
    ddi_sb_clause(&b, "x");
    g_assert_cmpstr(buf, ==, "source port 21269...");
    g_assert_cmpuint(b.len, ==, strlen(buf));
}

static void test_cut_in_second_clause_drops_separator(void)
{
    char buf[20];
    ddi_sb b = ddi_sb_on(buf, sizeof buf);
    ddi_sb_add(&b, "TTL 64");
    ddi_sb_clause(&b, "window 65535 and more");
    /* "TTL 64; window 65535 and more" keeps whole words only */
    g_assert_cmpstr(buf, ==, "TTL 64; window...");
    g_assert_true(b.cut);
}

static void test_never_half_a_number(void)
{
    /* every length around the cut point: the text is a prefix of whole
     * words of the full sentence, followed by the ellipsis */
    const char *full = "IP-ID counter advanced by 12345 in 2.969 s; rate 23.2 packets/s";
    for (size_t cap = 6; cap <= strlen(full) + 1; cap++) {
        char buf[128];
        ddi_sb b = ddi_sb_on(buf, cap);
        ddi_sb_add(&b, "%s", full);
        g_assert_cmpuint(strlen(buf), <, cap);
        if (cap == strlen(full) + 1) {
            g_assert_cmpstr(buf, ==, full);
            continue;
        }
        g_assert_true(g_str_has_suffix(buf, DDI_SB_ELLIPSIS));
        size_t kept = strlen(buf) - strlen(DDI_SB_ELLIPSIS);
        g_assert_cmpmem(buf, kept, full, kept);
        /* the kept text ends a word of the full sentence */
        char next = full[kept];
        g_assert_true(kept == 0 || next == ' ' || next == ';' || next == 0 || cap < 12);
    }
}

static void test_resume(void)
{
    char buf[32] = "SYN-ACK from 192.0.2.1";
    ddi_sb b = ddi_sb_resume(buf, sizeof buf);
    g_assert_cmpuint(b.len, ==, strlen("SYN-ACK from 192.0.2.1"));
    ddi_sb_clause(&b, "but this capture is two-way");
    g_assert_cmpstr(buf, ==, "SYN-ACK from 192.0.2.1; but...");
}

static void test_zero_capacity(void)
{
    ddi_sb b = ddi_sb_on(NULL, 0);
    ddi_sb_add(&b, "anything");
    g_assert_cmpuint(b.len, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/strbuf/fits", test_fits);
    g_test_add_func("/strbuf/exact-fit", test_exact_fit_is_not_cut);
    g_test_add_func("/strbuf/cut-whole-word", test_cut_at_whole_word);
    g_test_add_func("/strbuf/cut-second-clause", test_cut_in_second_clause_drops_separator);
    g_test_add_func("/strbuf/never-half-a-number", test_never_half_a_number);
    g_test_add_func("/strbuf/resume", test_resume);
    g_test_add_func("/strbuf/zero-capacity", test_zero_capacity);
    return g_test_run();
}
