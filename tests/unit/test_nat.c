/* test_nat.c — NAT / middle-box evidence (plugin/core/nat.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "nat.h"
#include "pktbuild.h"

static ddi_pkt syn_pkt(uint16_t sport, uint8_t ttl, uint16_t win, uint16_t mss, bool ts)
{
    pb_ip ip = {.src = "114.124.162.72", .dst = "198.51.100.23", .ttl = ttl, .df = true, .id = 1};
    /* Linux and Windows option layouts (arrays at function scope: a compound
     * literal inside the if would end with its block) */
    const uint8_t with_ts[] = {PB_MSS(mss), PB_SOK, PB_TS(1, 0), PB_NOP, PB_WS(7)};
    const uint8_t no_ts[] = {PB_MSS(mss), PB_NOP, PB_NOP, PB_SOK};
    pb_tcp t = {.sport = sport, .dport = 445, .seq = 1, .flags = DDI_TH_SYN, .win = win,
                .opts = ts ? with_ts : no_ts, .optlen = ts ? sizeof with_ts : sizeof no_ts};
    return pb_tcp_parsed(&ip, &t, 1.0);
}

static ddi_os_result os_of(ddi_os_family f, ddi_win_era era, ddi_os_match m, uint8_t ittl)
{
    ddi_os_result o;
    memset(&o, 0, sizeof o);
    o.family = f;
    o.era = era;
    o.match = m;
    o.fp.kind = m == DDI_OSM_EXACT ? DDI_MATCH_EXACT : m == DDI_OSM_FUZZY ? DDI_MATCH_FUZZY : DDI_MATCH_NONE;
    o.fp.ittl = ittl;
    return o;
}

static char *reason(uint16_t bits, const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s)
{
    static char buf[512];
    ddi_nat_reason(bits, p, os, s, buf, sizeof buf);
    return buf;
}

/* ------------------------------------------------------------- source port */

typedef struct port_case {
    ddi_os_family fam;
    ddi_win_era era;
    uint16_t sport;
    bool outside;
} port_case;

static void test_port(void)
{
    /* every port here that is outside its range is unassigned by IANA (else
     * it would be a service port, test_service_port) */
    static const port_case cases[] = {
        {DDI_OS_WINDOWS, DDI_WIN_ERA_OLD, 21269, true},  {DDI_OS_WINDOWS, DDI_WIN_ERA_OLD, 1025, false},
        {DDI_OS_WINDOWS, DDI_WIN_ERA_OLD, 5000, false},  {DDI_OS_WINDOWS, DDI_WIN_ERA_OLD, 1024, true},
        {DDI_OS_WINDOWS, DDI_WIN_ERA_OLD, 5014, true},   {DDI_OS_WINDOWS, DDI_WIN_ERA_OLD, 50000, true},
        {DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, 49152, false}, {DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, 65535, false},
        {DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, 49151, true},  {DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, 3092, true},
        {DDI_OS_WINDOWS, DDI_WIN_ERA_ANY, 3092, false},  {DDI_OS_WINDOWS, DDI_WIN_ERA_ANY, 50000, false},
        {DDI_OS_WINDOWS, DDI_WIN_ERA_ANY, 21269, true},  {DDI_OS_LINUX, DDI_WIN_ERA_ANY, 40000, false},
        {DDI_OS_LINUX, DDI_WIN_ERA_ANY, 32768, false},   {DDI_OS_LINUX, DDI_WIN_ERA_ANY, 61000, false},
        {DDI_OS_LINUX, DDI_WIN_ERA_ANY, 32766, true},    {DDI_OS_LINUX, DDI_WIN_ERA_ANY, 61001, true},
        {DDI_OS_LINUX, DDI_WIN_ERA_ANY, 1024, true},     {DDI_OS_APPLE, DDI_WIN_ERA_ANY, 49151, true},
        {DDI_OS_FREEBSD, DDI_WIN_ERA_ANY, 10000, false}, {DDI_OS_FREEBSD, DDI_WIN_ERA_ANY, 9989, true},
        /* no known range: no evidence */
        {DDI_OS_OPENBSD, DDI_WIN_ERA_ANY, 1024, false},  {DDI_OS_OTHER, DDI_WIN_ERA_ANY, 1024, false},
        {DDI_OS_UNKNOWN, DDI_WIN_ERA_ANY, 1024, false},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const port_case *c = &cases[i];
        ddi_pkt p = syn_pkt(c->sport, 113, 65535, 1460, false);
        ddi_os_result os = os_of(c->fam, c->era, DDI_OSM_EXACT, 128);
        uint16_t bits = ddi_nat_packet(&p, &os);
        if ((bits == DDI_NAT_PORT) != c->outside)
            g_error("case %zu: family %d era %d sport %u: bits %#x", i, c->fam, c->era, c->sport, bits);
        os.match = DDI_OSM_GENERIC;
        g_assert_cmpint(ddi_nat_packet(&p, &os) == DDI_NAT_PORT, ==, c->outside);
        /* only a confident match is a baseline: heuristic, fuzzy and no match are not */
        os.match = DDI_OSM_HEURISTIC;
        g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, 0);
        os.match = DDI_OSM_FUZZY;
        g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, 0);
        os.match = DDI_OSM_NONE;
        g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, 0);
        /* nor a userland tool's signature, even an exact one */
        os.match = DDI_OSM_EXACT;
        os.fp.userland = true;
        g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, 0);
    }
}

/* Ports that applications bind on purpose never count against an OS range. */
static void test_service_port(void)
{
    const char *why = NULL;
    /* System Ports */
    g_assert_true(ddi_nat_service_port(513, 514, &why));
    g_assert_nonnull(strstr(why, "System Port"));
    g_assert_true(ddi_nat_service_port(0, 80, NULL));
    g_assert_true(ddi_nat_service_port(1023, 80, NULL));
    /* source port = destination port */
    g_assert_true(ddi_nat_service_port(21269, 21269, &why));
    g_assert_nonnull(strstr(why, "destination port"));
    /* IANA-registered TCP service ports (SIP in arkime gtp-iphone.pcap) */
    g_assert_true(ddi_nat_service_port(5060, 80, &why));
    g_assert_nonnull(strstr(why, "IANA-registered"));
    g_assert_true(ddi_nat_service_port(5061, 443, NULL));
    g_assert_true(ddi_nat_service_port(3389, 80, NULL));
    /* unassigned User Ports and every Dynamic Port are ephemeral: the seed's 21269 */
    g_assert_false(ddi_nat_service_port(21269, 445, &why));
    g_assert_null(why);
    g_assert_false(ddi_nat_service_port(1024, 80, NULL));
    g_assert_false(ddi_nat_service_port(49151, 80, NULL));
    g_assert_false(ddi_nat_service_port(49152, 80, NULL));
    g_assert_false(ddi_nat_service_port(65535, 80, NULL));

    /* and a SYN from one gets no port evidence, however confident the match */
    ddi_os_result os = os_of(DDI_OS_APPLE, DDI_WIN_ERA_ANY, DDI_OSM_EXACT, 64);
    ddi_pkt p = syn_pkt(5060, 60, 65535, 1460, false);
    g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, 0);
    p = syn_pkt(445, 60, 65535, 1460, false); /* dport is 445 too */
    g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, 0);
    p = syn_pkt(21269, 60, 65535, 1460, false);
    g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, DDI_NAT_PORT);
}

static void test_port_reason(void)
{
    ddi_pkt p = syn_pkt(21269, 113, 65535, 1410, false);
    ddi_os_result os = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_ANY, DDI_OSM_EXACT, 128);
    g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, DDI_NAT_PORT);
    const char *r = reason(DDI_NAT_PORT, &p, &os, NULL);
    g_assert_nonnull(strstr(r, "source port 21269"));
    g_assert_nonnull(strstr(r, "1025-5000"));
    g_assert_nonnull(strstr(r, "49152-65535"));

    os.era = DDI_WIN_ERA_OLD;
    r = reason(DDI_NAT_PORT, &p, &os, NULL);
    g_assert_nonnull(strstr(r, "Windows XP/2003 range 1025-5000"));
    g_assert_null(strstr(r, "49152"));

    os = os_of(DDI_OS_LINUX, DDI_WIN_ERA_ANY, DDI_OSM_EXACT, 64);
    p = syn_pkt(1024, 50, 29200, 1460, true);
    r = reason(ddi_nat_packet(&p, &os), &p, &os, NULL);
    g_assert_nonnull(strstr(r, "source port 1024 lies outside the Linux range 32768-61000"));
}

static void test_not_syn(void)
{
    pb_ip ip = {.src = "192.0.2.1", .dst = "198.51.100.2", .ttl = 64, .id = 1};
    pb_tcp t = {.sport = 1, .dport = 445, .seq = 1, .ack = 1, .flags = DDI_TH_SYN | DDI_TH_ACK, .win = 64240,
                PB_OPTS(PB_MSS(1452))};
    ddi_pkt p = pb_tcp_parsed(&ip, &t, 1.0);
    ddi_os_result os = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, DDI_OSM_EXACT, 128);
    os.fp.excess_dist = true;
    g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, 0);
    ddi_nat_src s;
    memset(&s, 0, sizeof s);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &p, &os, true), ==, 0);
    g_assert_cmpuint(s.first_family, ==, 0);
}

/* ---------------------------------------------------------- TTL excess */

/* A TTL the signature cannot explain makes the match fuzzy, and a fuzzy
 * match is no baseline: no per-packet TTL kind, whatever the distance (the
 * old sentence "TTL 255 is 0 hops below ... (more than 35)" came from here). */
static void test_ttl_excess_is_no_evidence(void)
{
    ddi_pkt p = syn_pkt(50000, 40, 65535, 1460, false);
    ddi_os_result os = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, DDI_OSM_FUZZY, 128);
    os.fp.distance = 88;
    os.fp.excess_dist = true;
    g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, 0);
    os.match = DDI_OSM_EXACT;
    g_assert_cmpuint(ddi_nat_packet(&p, &os) & DDI_NAT_TTL, ==, 0);
}

/* -------------------------------------------------------------- MSS */

static void test_mss_clamp(void)
{
    ddi_pkt p = syn_pkt(50000, 120, 64240, 1452, false);
    ddi_os_result os = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, DDI_OSM_EXACT, 128);
    g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, DDI_NAT_MSS);
    const char *r = reason(DDI_NAT_MSS, &p, &os, NULL);
    g_assert_nonnull(strstr(r, "window 64240 = 44 x 1460 but MSS is 1452"));
    g_assert_nonnull(strstr(r, "sized for MSS 1460"));

    p = syn_pkt(50000, 50, 29200, 1380, true);
    os = os_of(DDI_OS_LINUX, DDI_WIN_ERA_ANY, DDI_OSM_EXACT, 64);
    g_assert_cmpuint(ddi_nat_packet(&p, &os), ==, DDI_NAT_MSS); /* port 50000 is inside the Linux range */
    r = reason(DDI_NAT_MSS, &p, &os, NULL);
    g_assert_nonnull(strstr(r, "window 29200 = 20 x 1460 but MSS is 1380"));

    /* no clamp: the seed's 65535 with MSS 1410 */
    p = syn_pkt(21269, 113, 65535, 1410, true);
    g_assert_cmpuint(ddi_nat_packet(&p, &os) & DDI_NAT_MSS, ==, 0);
}

/* ------------------------------------------------------- source level */

static void test_multi_os(void)
{
    ddi_nat_src s;
    memset(&s, 0, sizeof s);
    ddi_pkt win = syn_pkt(50000, 118, 64240, 1460, false);
    ddi_pkt lin = syn_pkt(40000, 52, 64240, 1460, true);
    ddi_os_result ow = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, DDI_OSM_EXACT, 128);
    ddi_os_result ol = os_of(DDI_OS_LINUX, DDI_WIN_ERA_ANY, DDI_OSM_EXACT, 64);
    ddi_os_result ou = os_of(DDI_OS_UNKNOWN, DDI_WIN_ERA_ANY, DDI_OSM_NONE, 64);
    ddi_os_result ot = os_of(DDI_OS_TOOL, DDI_WIN_ERA_ANY, DDI_OSM_EXACT, 64);
    ddi_os_result of = os_of(DDI_OS_LINUX, DDI_WIN_ERA_ANY, DDI_OSM_FUZZY, 64);
    ddi_os_result oh = os_of(DDI_OS_LINUX, DDI_WIN_ERA_ANY, DDI_OSM_HEURISTIC, 64);

    /* unknown, tool, fuzzy and heuristic verdicts do not set the first family */
    g_assert_cmpuint(ddi_nat_source_syn(&s, &lin, &ou, true), ==, 0);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &lin, &ot, true), ==, 0);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &lin, &of, true), ==, 0);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &lin, &oh, true), ==, 0);
    g_assert_cmpuint(s.first_family, ==, 0);

    g_assert_cmpuint(ddi_nat_source_syn(&s, &win, &ow, true), ==, 0);
    g_assert_cmpuint(s.first_family, ==, DDI_OS_WINDOWS);
    g_assert_cmpuint(s.first_ittl, ==, 128);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &win, &ow, true), ==, 0);
    /* nor do they contradict it */
    g_assert_cmpuint(ddi_nat_source_syn(&s, &lin, &of, true), ==, 0);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &lin, &oh, true), ==, 0);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &lin, &ol, true), ==, DDI_NAT_MULTI_OS);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &lin, &ou, true), ==, 0);
    const char *r = reason(DDI_NAT_MULTI_OS, &lin, &ol, &s);
    g_assert_nonnull(strstr(r, "also sent Windows SYNs (initial TTL 128)"));
    g_assert_cmpuint(s.first_family, ==, DDI_OS_WINDOWS); /* the first stays */
}

static void test_ttl_change(void)
{
    ddi_nat_src s;
    memset(&s, 0, sizeof s);
    ddi_os_result ow = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, DDI_OSM_EXACT, 128);
    ddi_pkt a = syn_pkt(50000, 118, 64240, 1460, false);
    ddi_pkt b = syn_pkt(50001, 120, 64240, 1460, false); /* +2: routing noise */
    ddi_pkt c = syn_pkt(50002, 110, 64240, 1460, false); /* -10: one move, a route change? */
    ddi_pkt d = syn_pkt(50003, 100, 8192, 1460, false);  /* another fingerprint: not compared */
    ddi_pkt e = syn_pkt(50004, 119, 64240, 1460, false); /* back: the second move */
    g_assert_cmpuint(ddi_nat_source_syn(&s, &a, &ow, true), ==, 0);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &b, &ow, true), ==, 0);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &c, &ow, true), ==, 0);
    g_assert_cmpuint(s.ttl_moves, ==, 1);
    g_assert_cmpuint(s.last_ttl, ==, 110);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &d, &ow, true), ==, 0);
    g_assert_cmpuint(s.last_ttl, ==, 110);
    /* a retransmission adds nothing */
    g_assert_cmpuint(ddi_nat_source_syn(&s, &e, &ow, false), ==, 0);
    g_assert_cmpuint(s.ttl_moves, ==, 1);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &e, &ow, true), ==, DDI_NAT_TTL);
    g_assert_cmpuint(s.ttl_moves, ==, 2);
    const char *r = reason(DDI_NAT_TTL, &e, &ow, &s);
    g_assert_nonnull(strstr(r, "TTL 119, against 118 on the first SYN with the same Windows fingerprint (initial TTL 128)"));
    g_assert_nonnull(strstr(r, "at least 2 times"));
    g_assert_nonnull(strstr(r, "one move alone can be a route change"));
    /* a fuzzy match never counts, even with the same fingerprint */
    ddi_os_result of = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, DDI_OSM_FUZZY, 128);
    g_assert_cmpuint(ddi_nat_source_syn(&s, &c, &of, true), ==, 0);
    g_assert_cmpuint(s.ttl_moves, ==, 2);
}

/* ------------------------------------------------------ IP-ID sequences */

static int first_flag(const uint16_t *ids, size_t n)
{
    ddi_nat_src s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < n; i++) {
        uint16_t b = ddi_nat_source_ipid(&s, ids[i]);
        g_assert_true(b == 0 || b == DDI_NAT_IPID);
        if (b)
            return (int)i + 1;
    }
    return 0;
}

static void test_ipid_two_hosts(void)
{
    /* two Windows hosts behind one address, counters near 1000 and 30000 */
    uint16_t ids[40];
    uint16_t a = 1000, b = 30000;
    for (int i = 0; i < 40; i++)
        ids[i] = i % 2 ? (b += (uint16_t)(1 + i % 7)) : (a += (uint16_t)(2 + i % 5));
    int at = first_flag(ids, G_N_ELEMENTS(ids));
    g_assert_cmpint(at, >, 4);  /* not from a handful of packets */
    g_assert_cmpint(at, <=, 12);

    /* once established, it stays while both sequences go on */
    ddi_nat_src s;
    memset(&s, 0, sizeof s);
    uint16_t last = 0;
    for (int i = 0; i < 40; i++)
        last = ddi_nat_source_ipid(&s, ids[i]);
    g_assert_cmpuint(last, ==, DDI_NAT_IPID);
    g_assert_cmpstr(reason(DDI_NAT_IPID, NULL, NULL, &s), !=, "");

    /* bursts: A A A B B B ... still two interleaved sequences */
    uint16_t burst[60];
    a = 1000, b = 30000;
    for (int i = 0; i < 60; i++)
        burst[i] = (i / 3) % 2 ? (b += 3) : (a += 5);
    g_assert_cmpint(first_flag(burst, G_N_ELEMENTS(burst)), >, 0);

    /* three hosts, one of them wrapping */
    uint16_t three[60];
    uint16_t c = 65500;
    a = 1000, b = 30000;
    for (int i = 0; i < 60; i++)
        three[i] = i % 3 == 0 ? (a += 4) : i % 3 == 1 ? (b += 9) : (c += 7);
    g_assert_cmpint(first_flag(three, G_N_ELEMENTS(three)), >, 0);
}

static void test_ipid_single_counter(void)
{
    /* one counter with small steps, wrapping several times */
    GRand *r = g_rand_new_with_seed(1);
    uint16_t *ids = g_new(uint16_t, 5000);
    uint16_t c = 100;
    for (int i = 0; i < 5000; i++)
        ids[i] = (c += (uint16_t)g_rand_int_range(r, 1, 51));
    g_assert_cmpint(first_flag(ids, 5000), ==, 0);

    /* a busy host seen now and then: steps up to 1000, so some exceed the
     * 512 a sequence may advance; the runs between them are one host, not several */
    for (int i = 0; i < 5000; i++)
        ids[i] = (c += (uint16_t)g_rand_int_range(r, 1, 1001));
    g_assert_cmpint(first_flag(ids, 5000), ==, 0);
    for (int i = 0; i < 5000; i++)
        ids[i] = (c += (uint16_t)g_rand_int_range(r, 300, 700));
    g_assert_cmpint(first_flag(ids, 5000), ==, 0);
    g_free(ids);
    g_rand_free(r);
}

static void test_ipid_random(void)
{
    /* random IDs (one host with a random-ID stack, or a scanner): several
     * fixed seeds, 500 packets each as in the brief, and a long run */
    static const guint32 seeds[] = {1, 2, 3, 42, 4242, 20240613};
    uint16_t *ids = g_new(uint16_t, 20000);
    for (size_t k = 0; k < G_N_ELEMENTS(seeds); k++) {
        GRand *r = g_rand_new_with_seed(seeds[k]);
        for (int i = 0; i < 500; i++)
            ids[i] = (uint16_t)g_rand_int_range(r, 1, 65536);
        g_assert_cmpint(first_flag(ids, 500), ==, 0);
        g_rand_free(r);
    }
    GRand *r = g_rand_new_with_seed(77);
    for (int i = 0; i < 20000; i++)
        ids[i] = (uint16_t)g_rand_int_range(r, 1, 65536);
    g_assert_cmpint(first_flag(ids, 20000), ==, 0);
    g_rand_free(r);
    g_free(ids);
}

static void test_ipid_hosts_with_noise(void)
{
    /* two counters plus a third host with random IDs (30 % of packets) */
    GRand *r = g_rand_new_with_seed(5);
    uint16_t ids[300];
    uint16_t a = 1000, b = 30000;
    for (int i = 0; i < 300; i++) {
        if (g_rand_double(r) < 0.3)
            ids[i] = (uint16_t)g_rand_int_range(r, 1, 65536);
        else
            ids[i] = g_rand_boolean(r) ? (a += 3) : (b += 5);
    }
    g_rand_free(r);
    int at = first_flag(ids, G_N_ELEMENTS(ids));
    g_assert_cmpint(at, >, 0);
    g_assert_cmpint(at, <, 100);
}

static void test_kind_names(void)
{
    g_assert_cmpstr(ddi_nat_kind_name(DDI_NAT_PORT), ==, "source port");
    g_assert_cmpstr(ddi_nat_kind_name(DDI_NAT_TTL), ==, "TTL");
    g_assert_cmpstr(ddi_nat_kind_name(DDI_NAT_MULTI_OS), ==, "several OS");
    g_assert_cmpstr(ddi_nat_kind_name(DDI_NAT_IPID), ==, "IP-ID sequences");
    g_assert_cmpstr(ddi_nat_kind_name(DDI_NAT_MSS), ==, "MSS clamp");
    g_assert_cmpstr(ddi_nat_kind_name(1u << DDI_NAT__KINDS), ==, "?");
    g_assert_cmpstr(ddi_nat_kind_name(0), ==, "?");
    /* kinds fit the 8-bit nat_bits of the frame record */
    g_assert_cmpint(DDI_NAT__KINDS, <=, 8);
}

static void test_reason_all_and_small(void)
{
    ddi_pkt p = syn_pkt(21269, 40, 64240, 1452, false);
    ddi_os_result os = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_ANY, DDI_OSM_EXACT, 128);
    os.fp.excess_dist = true;
    os.fp.distance = 88;
    ddi_nat_src s;
    memset(&s, 0, sizeof s);
    s.first_family = DDI_OS_LINUX;
    s.first_ittl = 64;
    s.first_ttl = 45;
    uint16_t all = DDI_NAT_PORT | DDI_NAT_TTL | DDI_NAT_MULTI_OS | DDI_NAT_IPID | DDI_NAT_MSS;
    char big[1024];
    ddi_nat_reason(all, &p, &os, &s, big, sizeof big);
    g_assert_nonnull(strstr(big, "21269"));
    g_assert_nonnull(strstr(big, "the TTL moved by more than 2 hops"));
    g_assert_nonnull(strstr(big, "Linux SYNs (initial TTL 64)"));
    g_assert_nonnull(strstr(big, "Bellovin"));
    g_assert_nonnull(strstr(big, "1452"));
    /* a short buffer is cut and terminated, nothing written past it */
    for (size_t len = 1; len < 64; len += 7) {
        char *small = g_malloc(len);
        ddi_nat_reason(all, &p, &os, &s, small, len);
        g_assert_cmpuint(strlen(small), <, len);
        g_free(small);
    }
    ddi_nat_reason(0, &p, &os, &s, big, sizeof big);
    g_assert_cmpstr(big, ==, "");
}

/* The table the glue registers expert items from: complete as shipped, and
 * every missing piece of a row is caught before Wireshark ever sees it. */
static void test_kind_table(void)
{
    const char *why = "unset";
    g_assert_cmpint(ddi_nat_table_check(ddi_nat_kinds, DDI_NAT__KINDS, &why), ==, 0);
    g_assert_null(why);
    for (unsigned k = 0; k < DDI_NAT__KINDS; k++) {
        g_assert_cmpstr(ddi_nat_kind_name(ddi_nat_bit((ddi_nat_kind)k)), ==, ddi_nat_kinds[k].name);
        /* each row's reason function writes its own clause */
        ddi_pkt p = syn_pkt(40000, 60, 65535, 1460, false);
        ddi_os_result os = os_of(DDI_OS_WINDOWS, DDI_WIN_ERA_NEW, DDI_OSM_EXACT, 128);
        ddi_nat_src s = {.first_family = DDI_OS_LINUX, .first_ittl = 64, .first_ttl = 50};
        char one[512];
        ddi_nat_reason((uint16_t)ddi_nat_bit((ddi_nat_kind)k), &p, &os, &s, one, sizeof one);
        g_assert_cmpuint(strlen(one), >, 10);
    }
    ddi_nat_kind_row broken[DDI_NAT__KINDS];
    static const struct {
        int field;
        const char *why;
    } cases[] = {{0, "kind is not the row's index"}, {1, "no name"},           {2, "no expert abbreviation"},
                 {3, "no severity"},                 {4, "no expert summary"}, {5, "no reason function"},
                 {6, "repeats an earlier row"}};
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        memcpy(broken, ddi_nat_kinds, sizeof broken);
        ddi_nat_kind_row *r = &broken[DDI_NAT__KINDS - 1]; /* the row a new kind would add */
        switch (cases[c].field) {
        case 0: r->kind = DDI_NAT_KIND_PORT; break;
        case 1: r->name = NULL; break;
        case 2: r->expert = "nat.mss"; break;
        case 3: r->severity = 0; break;
        case 4: r->summary = ""; break;
        case 5: r->reason = NULL; break;
        case 6: r->expert = broken[0].expert; break;
        }
        g_assert_cmpint(ddi_nat_table_check(broken, DDI_NAT__KINDS, &why), ==, DDI_NAT__KINDS);
        g_assert_nonnull(why);
        g_assert_nonnull(strstr(why, cases[c].why));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nat/port", test_port);
    g_test_add_func("/nat/service-port", test_service_port);
    g_test_add_func("/nat/port-reason", test_port_reason);
    g_test_add_func("/nat/not-syn", test_not_syn);
    g_test_add_func("/nat/ttl-excess-is-no-evidence", test_ttl_excess_is_no_evidence);
    g_test_add_func("/nat/mss-clamp", test_mss_clamp);
    g_test_add_func("/nat/multi-os", test_multi_os);
    g_test_add_func("/nat/ttl-change", test_ttl_change);
    g_test_add_func("/nat/ipid/two-hosts", test_ipid_two_hosts);
    g_test_add_func("/nat/ipid/single-counter", test_ipid_single_counter);
    g_test_add_func("/nat/ipid/random", test_ipid_random);
    g_test_add_func("/nat/ipid/hosts-with-noise", test_ipid_hosts_with_noise);
    g_test_add_func("/nat/kind-names", test_kind_names);
    g_test_add_func("/nat/kind-table", test_kind_table);
    g_test_add_func("/nat/reason-all-and-small", test_reason_all_and_small);
    return g_test_run();
}
