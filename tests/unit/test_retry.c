/* test_retry.c — SYN retransmission schedules and the Conficker verdict
 * (plugin/core/retry.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "retry.h"

static void test_rto_class(void)
{
    /* 3 s: +-20 % = [2.4, 3.6] */
    static const double three[] = {3.0, 2.968866, 2.41, 3.59, 3.000481};
    for (size_t i = 0; i < G_N_ELEMENTS(three); i++)
        g_assert_cmpint(ddi_retry_rto_class(three[i]), ==, DDI_RTO_3S);
    /* 1 s: +-0.25 s (20 % would be narrower) = [0.75, 1.25] */
    static const double one[] = {1.0, 1.021412, 0.76, 1.24};
    for (size_t i = 0; i < G_N_ELEMENTS(one); i++)
        g_assert_cmpint(ddi_retry_rto_class(one[i]), ==, DDI_RTO_1S);
    static const double other[] = {0.74, 1.26, 1.5, 2.0, 2.39, 3.61, 6.0, 0.2, 0.001, 21.0};
    for (size_t i = 0; i < G_N_ELEMENTS(other); i++)
        g_assert_cmpint(ddi_retry_rto_class(other[i]), ==, DDI_RTO_OTHER);
    static const double none[] = {0.0, -1.0, -3.0, NAN};
    for (size_t i = 0; i < G_N_ELEMENTS(none); i++)
        g_assert_cmpint(ddi_retry_rto_class(none[i]), ==, DDI_RTO_NONE);
}

static void test_rto_text(void)
{
    g_assert_nonnull(strstr(ddi_retry_rto_text(DDI_RTO_3S), "3 s"));
    g_assert_nonnull(strstr(ddi_retry_rto_text(DDI_RTO_3S), "Windows XP"));
    g_assert_nonnull(strstr(ddi_retry_rto_text(DDI_RTO_1S), "1 s"));
    g_assert_nonnull(strstr(ddi_retry_rto_text(DDI_RTO_1S), "Linux >= 3.1"));
    g_assert_nonnull(strstr(ddi_retry_rto_text(DDI_RTO_OTHER), "no common OS"));
    g_assert_cmpstr(ddi_retry_rto_text(DDI_RTO_NONE), ==, "no retransmission");
}

static void test_backoff(void)
{
    const char *dbl = ddi_retry_backoff_text(1.0, 2.0);
    g_assert_nonnull(dbl);
    g_assert_true(g_str_has_prefix(dbl, "doubling"));
    g_assert_cmpstr(ddi_retry_backoff_text(3.0, 6.0), ==, dbl);
    g_assert_cmpstr(ddi_retry_backoff_text(1.021412, 2.036691), ==, dbl); /* the seed capture's Linux host */
    g_assert_cmpstr(ddi_retry_backoff_text(1.0, 1.61), ==, dbl);
    g_assert_cmpstr(ddi_retry_backoff_text(1.0, 2.49), ==, dbl);

    const char *cst = ddi_retry_backoff_text(1.0, 1.0);
    g_assert_nonnull(cst);
    g_assert_true(g_str_has_prefix(cst, "constant"));
    g_assert_cmpstr(ddi_retry_backoff_text(2.0, 2.2), ==, cst);
    g_assert_cmpstr(ddi_retry_backoff_text(1.0, 0.76), ==, cst);
    g_assert_cmpstr(ddi_retry_backoff_text(1.0, 1.32), ==, cst);

    const char *irr = ddi_retry_backoff_text(1.0, 3.0);
    g_assert_nonnull(irr);
    g_assert_true(g_str_has_prefix(irr, "irregular"));
    static const double irregular[][2] = {{2.0, 1.0}, {1.0, 1.5}, {1.0, 1.6}, {1.0, 2.5}, {1.0, 0.75}, {1.0, 10}};
    for (size_t i = 0; i < G_N_ELEMENTS(irregular); i++)
        g_assert_cmpstr(ddi_retry_backoff_text(irregular[i][0], irregular[i][1]), ==, irr);

    g_assert_null(ddi_retry_backoff_text(0, 2.0));
    g_assert_null(ddi_retry_backoff_text(1.0, 0));
    g_assert_null(ddi_retry_backoff_text(-1.0, 2.0));
    g_assert_null(ddi_retry_backoff_text(NAN, 2.0));
}

static ddi_syn_history hist(uint8_t count, double first, float gap1, uint16_t dport)
{
    ddi_syn_history h;
    memset(&h, 0, sizeof h);
    h.count = count;
    h.first_ts = first;
    h.last_ts = first + gap1;
    h.gap1 = gap1;
    h.port445 = dport == DDI_CONFICKER_PORT;
    return h;
}

static void test_conficker(void)
{
    double t0 = 1271757600.0;
    ddi_syn_history h = hist(2, t0, 2.97f, 445);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 10.0), ==, DDI_CONF_YES);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 35.0), ==, DDI_CONF_YES);
    /* not long enough after the first SYN to know a third will not come */
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 2.97), ==, DDI_CONF_UNKNOWN);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 9.99), ==, DDI_CONF_UNKNOWN);
    /* the gap window: "~3 s" as the RTO class reads it, [2.4, 3.6] */
    g_assert_cmpfloat(DDI_CONFICKER_GAP_MIN, ==, 3.0 * 0.8);
    g_assert_cmpfloat(DDI_CONFICKER_GAP_MAX, ==, 3.0 * 1.2);
    h = hist(2, t0, 2.4f, 445);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_YES);
    g_assert_cmpint(ddi_retry_rto_class(2.4f), ==, DDI_RTO_3S);
    h = hist(2, t0, 3.6f, 445);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_YES);
    g_assert_cmpint(ddi_retry_rto_class(3.6f), ==, DDI_RTO_3S);
    h = hist(2, t0, 2.39f, 445);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_NA);
    h = hist(2, t0, 3.61f, 445);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_NA);
    /* not applicable: a 1 s retry, a third SYN, another port, no retry */
    h = hist(2, t0, 1.0f, 445);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_NA);
    h = hist(3, t0, 2.97f, 445);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_NA);
    h = hist(2, t0, 2.97f, 80);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_NA);
    h = hist(1, t0, 0, 445);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_NA);
    h = hist(3, t0, 1.0f, 80);
    g_assert_cmpint(ddi_retry_conficker(&h, t0 + 20), ==, DDI_CONF_NA);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/retry/rto-class", test_rto_class);
    g_test_add_func("/retry/rto-text", test_rto_text);
    g_test_add_func("/retry/backoff", test_backoff);
    g_test_add_func("/retry/conficker", test_conficker);
    return g_test_run();
}
