/* test_mss.c — MSS/MTU table and the MSS-clamp heuristic (plugin/core/mss.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "mss.h"

static ddi_link link_of(uint8_t ver, uint16_t mss, bool want_ok)
{
    ddi_link l;
    memset(&l, 0xa5, sizeof l); /* every field must be written */
    g_assert_cmpint(ddi_mss_link(ver, mss, &l), ==, want_ok);
    g_assert_cmpuint(l.mss, ==, mss);
    return l;
}

static void test_table(void)
{
    ddi_link l = link_of(4, 1460, true);
    g_assert_cmpuint(l.mtu, ==, 1500);
    g_assert_cmpstr(l.label, ==, "Ethernet");
    g_assert_nonnull(l.source);
    g_assert_false(l.pppoe);
    g_assert_false(l.reduced);

    l = link_of(4, 1452, true);
    g_assert_cmpuint(l.mtu, ==, 1492);
    g_assert_nonnull(strstr(l.label, "PPPoE"));
    g_assert_nonnull(strstr(l.source, "RFC 2516"));
    g_assert_true(l.pppoe);
    g_assert_true(l.reduced);

    /* the seed: MSS 1410, MTU 1450 */
    l = link_of(4, 1410, true);
    g_assert_cmpuint(l.mtu, ==, 1450);
    g_assert_true(l.pppoe);
    g_assert_true(l.reduced);
    g_assert_nonnull(strstr(l.label, "PPPoE"));

    l = link_of(4, 1400, true);
    g_assert_cmpuint(l.mtu, ==, 1440);
    g_assert_false(l.pppoe);
    g_assert_true(l.reduced);
    g_assert_nonnull(strstr(l.label, "WireGuard"));

    /* IPv6: 60 bytes of headers */
    l = link_of(6, 1240, true);
    g_assert_cmpuint(l.mtu, ==, 1300);
    g_assert_cmpstr(l.label, ==, "generic tunnel or VPN");
    l = link_of(6, 1440, true);
    g_assert_cmpuint(l.mtu, ==, 1500);
    g_assert_cmpstr(l.label, ==, "Ethernet");
    g_assert_false(l.reduced);
    l = link_of(4, 1240, true); /* the same MSS over IPv4 */
    g_assert_cmpuint(l.mtu, ==, 1280);
    g_assert_nonnull(strstr(l.label, "IPv6 minimum"));

    l = link_of(4, 1412, true); /* 1452: the PPPoE DSL row */
    g_assert_true(l.pppoe);
    l = link_of(4, 1454, true); /* 1494 */
    g_assert_true(l.pppoe);
    l = link_of(4, 536, true); /* 576 */
    g_assert_cmpuint(l.mtu, ==, 576);
    g_assert_false(l.pppoe);
    l = link_of(4, 8960, true);
    g_assert_nonnull(strstr(l.label, "jumbo"));
    g_assert_false(l.reduced);
}

static void test_not_in_table(void)
{
    ddi_link l = link_of(4, 1000, true);
    g_assert_cmpuint(l.mtu, ==, 1040);
    g_assert_true(l.reduced);
    g_assert_false(l.pppoe);
    g_assert_nonnull(strstr(l.label, "not in table"));
    g_assert_nonnull(strstr(l.source, "MSS + IP/TCP"));

    l = link_of(4, 4000, true);
    g_assert_false(l.reduced);
    g_assert_nonnull(strstr(l.label, "larger than Ethernet"));

    /* 65535 + 40 does not fit 16 bits: clamped, not wrapped to 39 */
    l = link_of(4, 65535, true);
    g_assert_cmpuint(l.mtu, ==, 65535);
    g_assert_false(l.reduced);
    l = link_of(6, 65500, true);
    g_assert_cmpuint(l.mtu, ==, 65535);
    g_assert_false(l.reduced);
}

static void test_zero(void)
{
    ddi_link l = link_of(4, 0, false);
    g_assert_cmpuint(l.mtu, ==, 0);
    g_assert_null(l.label);
    g_assert_null(l.source);
    g_assert_false(l.pppoe);
    g_assert_false(l.reduced);
    link_of(6, 0, false);
}

static void test_clamped(void)
{
    uint16_t orig = 0;
    /* Windows 10 window 64240 = 44 x 1460 behind a PPPoE router that clamps to 1452 */
    g_assert_true(ddi_mss_clamped(64240, 1452, false, &orig));
    g_assert_cmpuint(orig, ==, 1460);
    orig = 0;
    /* Linux 29200 = 20 x 1460, MSS clamped to 1380 */
    g_assert_true(ddi_mss_clamped(29200, 1380, true, &orig));
    g_assert_cmpuint(orig, ==, 1460);
    /* 4 x 1460 and 10 x 1460 */
    g_assert_true(ddi_mss_clamped(5840, 1400, false, NULL));
    g_assert_true(ddi_mss_clamped(14600, 1400, false, NULL));
    /* 1448 (1460 minus timestamps) only with timestamps: 28960 = 20 x 1448 */
    orig = 0;
    g_assert_true(ddi_mss_clamped(28960, 1380, true, &orig));
    g_assert_cmpuint(orig, ==, 1448);
    g_assert_false(ddi_mss_clamped(28960, 1380, false, NULL));

    orig = 4242;
    g_assert_false(ddi_mss_clamped(65535, 1410, true, &orig)); /* the seed: no evidence */
    g_assert_cmpuint(orig, ==, 4242);                          /* untouched */
    g_assert_false(ddi_mss_clamped(64240, 1460, false, NULL)); /* not below 1460 */
    g_assert_false(ddi_mss_clamped(64240, 1500, false, NULL));
    /* 64240 is also 55 x 1168 and 88 x 730: sized for its own MSS */
    g_assert_false(ddi_mss_clamped(64240, 1168, false, NULL));
    g_assert_false(ddi_mss_clamped(64240, 730, false, NULL));
    /* a multiple of 1460 that real stacks do not use */
    g_assert_false(ddi_mss_clamped(43800, 1400, false, NULL));
    g_assert_false(ddi_mss_clamped(0, 1400, false, NULL));
    g_assert_false(ddi_mss_clamped(64240, 0, false, NULL));
    g_assert_false(ddi_mss_clamped(64241, 1452, false, NULL));
}

/* A tunnel in the frame explains a reduced MSS before PPPoE is guessed. */
static void test_encap(void)
{
    ddi_link l;
    /* the seed's MSS 1410 (MTU 1450) on plain Ethernet: the published PPPoE reading */
    g_assert_true(ddi_mss_link_encap(4, 1410, 0, &l));
    g_assert_true(l.pppoe);
    g_assert_null(l.tunnel);
    /* the same inside VXLAN: exactly VXLAN's 50 bytes, no PPPoE */
    g_assert_true(ddi_mss_link_encap(4, 1410, DDI_ENCAP_VXLAN, &l));
    g_assert_false(l.pppoe);
    g_assert_cmpstr(l.tunnel, ==, "VXLAN");
    g_assert_nonnull(strstr(l.label, "VXLAN header in this frame"));
    g_assert_nonnull(strstr(l.source, "RFC 7348"));
    g_assert_cmpuint(l.mtu, ==, 1450);
    /* the first in priority order wins, whatever else the frame holds */
    g_assert_true(ddi_mss_link_encap(4, 1410, DDI_ENCAP_MPLS | DDI_ENCAP_GTP | DDI_ENCAP_PPPOE, &l));
    g_assert_cmpstr(l.tunnel, ==, "GTP-U");
    /* each kind, at an MTU it can explain */
    static const struct {
        uint16_t bit, mss;
        const char *name;
    } k[] = {{DDI_ENCAP_GENEVE, 1410, "Geneve"},  {DDI_ENCAP_GRE, 1436, "GRE"},        {DDI_ENCAP_ESP, 1400, "IPsec ESP"},
             {DDI_ENCAP_WIREGUARD, 1380, "WireGuard"}, {DDI_ENCAP_L2TP, 1420, "L2TP"},  {DDI_ENCAP_TEREDO, 1220, "Teredo"},
             {DDI_ENCAP_IPIP, 1440, "IP-in-IP"},  {DDI_ENCAP_MPLS, 1456, "MPLS"}};
    for (size_t i = 0; i < G_N_ELEMENTS(k); i++) {
        g_assert_true(ddi_mss_link_encap(k[i].bit == DDI_ENCAP_TEREDO ? 6 : 4, k[i].mss, k[i].bit, &l));
        g_assert_cmpstr(l.tunnel, ==, k[i].name);
        g_assert_false(l.pppoe);
    }
    /* a tunnel cannot explain what it does not take away: MPLS's 4 bytes
     * are no 1450, and MSS 536 (576, no PMTU information: the Cisco router
     * behind MPLS in zeek mixed-vlan-mpls.pcap) is below any tunnel */
    g_assert_true(ddi_mss_link_encap(4, 1410, DDI_ENCAP_GRE, &l));
    g_assert_cmpstr(l.tunnel, ==, "GRE"); /* 1450 <= 1476 */
    g_assert_true(ddi_mss_link_encap(4, 1450, DDI_ENCAP_VXLAN, &l)); /* 1490 > 1450 */
    g_assert_null(l.tunnel);
    g_assert_true(ddi_mss_link_encap(4, 536, DDI_ENCAP_MPLS, &l));
    g_assert_null(l.tunnel);
    g_assert_cmpuint(l.mtu, ==, 576);
    g_assert_nonnull(strstr(l.label, "minimum IPv4 datagram"));
    /* full-size MSS: nothing to explain */
    g_assert_true(ddi_mss_link_encap(4, 1460, DDI_ENCAP_VXLAN, &l));
    g_assert_null(l.tunnel);
    g_assert_cmpstr(l.label, ==, "Ethernet");
    /* a PPPoE header in the frame confirms PPPoE */
    g_assert_true(ddi_mss_link_encap(4, 1452, DDI_ENCAP_PPPOE, &l));
    g_assert_true(l.pppoe);
    g_assert_cmpstr(l.tunnel, ==, "PPPoE");
    g_assert_nonnull(strstr(l.label, "PPPoE session header in this frame"));

    /* the 4-bit code of the frame record keeps the first explanation */
    g_assert_cmpuint(ddi_encap_code(0), ==, 0);
    g_assert_cmpuint(ddi_encap_bit(0), ==, 0);
    g_assert_cmpuint(ddi_encap_bit(15), ==, 0);
    for (unsigned b = 0; b < DDI_ENCAP__BITS; b++) {
        uint8_t c = ddi_encap_code((uint16_t)(1u << b));
        g_assert_cmpuint(c, >, 0);
        g_assert_cmpuint(c, <, 16);
        g_assert_cmpuint(ddi_encap_bit(c), ==, 1u << b);
    }
    g_assert_cmpuint(ddi_encap_bit(ddi_encap_code(DDI_ENCAP_MPLS | DDI_ENCAP_VXLAN)), ==, DDI_ENCAP_VXLAN);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mss/table", test_table);
    g_test_add_func("/mss/not-in-table", test_not_in_table);
    g_test_add_func("/mss/zero", test_zero);
    g_test_add_func("/mss/clamped", test_clamped);
    g_test_add_func("/mss/encap", test_encap);
    return g_test_run();
}
