/* test_strbuf_fast.c — ddi_sb_add()'s "%s" and plain-text shortcuts give
 * exactly what vsnprintf gives, including the cut at a whole word with the
 * ellipsis when the buffer fills (strbuf.h).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "strbuf.h"

static const char *const pieces[] = {"", "a", "; ", "Windows XP", "NAT suspected (source port", ")",
                                     "sends ~23.2 packets/s in all", "x", "one-very-long-word-without-spaces",
                                     ", ", "backscatter SYN-ACK from 192.0.2.1 port 80"};

static void check_same(const ddi_sb *fast, const ddi_sb *slow)
{
    g_assert_cmpstr(fast->s, ==, slow->s);
    g_assert_cmpuint(fast->len, ==, slow->len);
    g_assert_cmpint(fast->cut, ==, slow->cut);
}

static void test_same_as_vsnprintf(void)
{
    const size_t np = G_N_ELEMENTS(pieces);
    for (size_t cap = 1; cap <= 64; cap++)
        for (size_t start = 0; start < np; start++) {
            char fb[64], sb[64];
            ddi_sb f = ddi_sb_on(fb, cap), s = ddi_sb_on(sb, cap);
            for (size_t step = 0; step < 3 * np; step++) {
                const char *p = pieces[(start + step * 7) % np];
                if (step % 2)
                    ddi_sb_add(&f, "%s", p); /* the shortcut */
                else
                    ddi_sb_clause(&f, "%s", p);
                if (step % 2)
                    ddi_sb_add(&s, "%s%s", p, ""); /* vsnprintf */
                else
                    ddi_sb_add(&s, "%s%s", s.len ? "; " : "", ""), ddi_sb_add(&s, "%s%s", p, "");
                check_same(&f, &s);
            }
            /* plain text with no conversion takes the shortcut too */
            ddi_sb_add(&f, "then silence");
            ddi_sb_add(&s, "%s%s", "then silence", "");
            check_same(&f, &s);
        }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/strbuf_fast/same_as_vsnprintf", test_same_as_vsnprintf);
    return g_test_run();
}
