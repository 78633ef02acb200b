/* test_decap.c — the batch reader's decapsulation (reader/decap.c) on
 * crafted frames: every link layer and tunnel it follows, the ones it must
 * not follow (ICMP quotes, fragments, non-IP), and every truncation of every
 * frame (read under AddressSanitizer with -DDDI_SANITIZE=ON: heap copies of
 * exactly the captured length).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "decap.h"
#include "pktbuild.h"

#define INNER_SRC "192.0.2.1"
#define OUTER_SRC "198.51.100.7"

typedef struct frame {
    uint8_t b[PB_MAX];
    size_t n;
} frame;

static void put(frame *f, const void *bytes, size_t n)
{
    g_assert_cmpuint(f->n + n, <=, PB_MAX);
    memcpy(f->b + f->n, bytes, n);
    f->n += n;
}
#define PUT(f, ...) put((f), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* The packet every test wants found: a SYN from INNER_SRC. */
static size_t inner_syn(uint8_t *b)
{
    pb_ip ip = {.src = INNER_SRC, .dst = "203.0.113.9", .ttl = 113, .df = true, .id = 777};
    pb_tcp t = {.sport = 4444, .dport = 445, .seq = 1, .flags = DDI_TH_SYN, .win = 65535, PB_OPTS(PB_MSS(1460))};
    return pb_tcp_pkt(b, &ip, &t);
}

static void add_inner(frame *f) { f->n += inner_syn(f->b + f->n); }

static void ether_hdr(frame *f, uint16_t type)
{
    PUT(f, 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2);
    PUT(f, (uint8_t)(type >> 8), (uint8_t)type);
}

/* decap on a heap copy of exactly f->n bytes */
static bool run(int linktype, const frame *f, ddi_decap *d, ddi_pkt *p)
{
    uint8_t *copy = f->n ? g_memdup2(f->b, f->n) : NULL;
    bool ok = ddi_decap_frame(linktype, copy, f->n, 1.5, d, p);
    g_free(copy);
    return ok;
}

static void expect_src(int linktype, const frame *f, const char *src, size_t ip_off, unsigned encaps)
{
    ddi_decap d;
    ddi_pkt p;
    g_assert_true(run(linktype, f, &d, &p));
    g_assert_cmpint(d.skip, ==, DDI_SKIP_NONE);
    char a[48];
    g_assert_cmpstr(ddi_addr_str(&p.src, a, sizeof a), ==, src);
    g_assert_cmpuint(d.ip_off, ==, ip_off);
    g_assert_cmphex(d.encaps & encaps, ==, encaps);
    g_assert_true(p.ts == 1.5);
}

/* Every prefix of the frame, and every byte flipped: never a crash, and a
 * frame either yields a parsed header inside the bytes or a reason. */
static void never_crash(int linktype, const frame *f)
{
    for (size_t n = 0; n <= f->n; n++) {
        frame g = *f;
        g.n = n;
        ddi_decap d;
        ddi_pkt p;
        if (run(linktype, &g, &d, &p))
            g_assert_cmpuint(d.ip_off, <, n);
        else
            g_assert_cmpint(d.skip, !=, DDI_SKIP_NONE);
    }
    for (size_t i = 0; i < f->n; i++) {
        for (unsigned v = 0; v < 256; v += 51) {
            frame g = *f;
            g.b[i] = (uint8_t)v;
            ddi_decap d;
            ddi_pkt p;
            if (run(linktype, &g, &d, &p))
                g_assert_cmpuint(d.ip_off, <, g.n);
        }
    }
}

static void check(int linktype, const frame *f, const char *src, size_t ip_off, unsigned encaps)
{
    expect_src(linktype, f, src, ip_off, encaps);
    never_crash(linktype, f);
}

static void test_ethernet(void)
{
    frame f = {0};
    ether_hdr(&f, 0x0800);
    add_inner(&f);
    check(DDI_LT_ETHERNET, &f, INNER_SRC, 14, 0);
}

static void test_vlan_qinq(void)
{
    frame f = {0};
    ether_hdr(&f, 0x8100);
    PUT(&f, 0x00, 0x64, 0x08, 0x00);
    add_inner(&f);
    check(DDI_LT_ETHERNET, &f, INNER_SRC, 18, DDI_ENC_VLAN);

    frame q = {0}; /* 802.1ad outer tag, 802.1Q inner tag */
    ether_hdr(&q, 0x88a8);
    PUT(&q, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00);
    add_inner(&q);
    check(DDI_LT_ETHERNET, &q, INNER_SRC, 22, DDI_ENC_VLAN);
}

static void test_mpls(void)
{
    frame f = {0};
    ether_hdr(&f, 0x8847);
    PUT(&f, 0x00, 0x01, 0x00, 0x40, /* label 16, not bottom */
        0x00, 0x02, 0x01, 0x40);    /* label 32, bottom of stack */
    add_inner(&f);
    check(DDI_LT_ETHERNET, &f, INNER_SRC, 22, DDI_ENC_MPLS);

    /* a pseudowire control word (first nibble 0) is not followed */
    frame pw = {0};
    ether_hdr(&pw, 0x8847);
    PUT(&pw, 0x00, 0x02, 0x01, 0x40, 0x00, 0x00, 0x00, 0x00);
    ether_hdr(&pw, 0x0800);
    add_inner(&pw);
    ddi_decap d;
    ddi_pkt p;
    g_assert_false(run(DDI_LT_ETHERNET, &pw, &d, &p));
    g_assert_cmpint(d.skip, ==, DDI_SKIP_MPLS_PAYLOAD);
}

static void test_pppoe(void)
{
    frame f = {0}; /* the corpus has PPPoE over QinQ: both layers at once */
    ether_hdr(&f, 0x88a8);
    PUT(&f, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x88, 0x64);
    size_t len = inner_syn(f.b + 200) + 2;
    PUT(&f, 0x11, 0x00, 0x12, 0x34, (uint8_t)(len >> 8), (uint8_t)len, 0x00, 0x21);
    add_inner(&f);
    check(DDI_LT_ETHERNET, &f, INNER_SRC, 30, DDI_ENC_VLAN | DDI_ENC_PPPOE);

    /* protocol field compression (RFC 1661 §6.5): 0x21 alone */
    frame c = {0};
    ether_hdr(&c, 0x8864);
    PUT(&c, 0x11, 0x00, 0x12, 0x34, 0x00, 0x30, 0x21);
    add_inner(&c);
    check(DDI_LT_ETHERNET, &c, INNER_SRC, 21, DDI_ENC_PPPOE);

    /* LCP is not IP: skipped with the protocol named */
    frame l = {0};
    ether_hdr(&l, 0x8864);
    PUT(&l, 0x11, 0x00, 0x12, 0x34, 0x00, 0x06, 0xc0, 0x21, 1, 1, 0, 4);
    ddi_decap d;
    ddi_pkt p;
    g_assert_false(run(DDI_LT_ETHERNET, &l, &d, &p));
    g_assert_cmpint(d.skip, ==, DDI_SKIP_NOT_IP);
    g_assert_cmphex(d.detail & 0xffff, ==, 0xc021);
}

static void test_sll(void)
{
    frame f = {0}; /* SLL: packet type, ARPHRD_ETHER, address length, address, protocol */
    PUT(&f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00);
    add_inner(&f);
    check(DDI_LT_LINUX_SLL, &f, INNER_SRC, 16, 0);

    frame g = {0}; /* SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, type, addr len, address */
    PUT(&g, 0x08, 0x00, 0, 0, 0, 0, 0, 3, 0x00, 0x01, 0x00, 0x06, 2, 0, 0, 0, 0, 1, 0, 0);
    add_inner(&g);
    check(DDI_LT_LINUX_SLL2, &g, INNER_SRC, 20, 0);

    frame v = {0}; /* a VLAN tag left in the cooked header's protocol */
    PUT(&v, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 2, 0, 0, 0, 0, 1, 0, 0, 0x81, 0x00);
    PUT(&v, 0x00, 0x05, 0x08, 0x00);
    add_inner(&v);
    check(DDI_LT_LINUX_SLL, &v, INNER_SRC, 20, DDI_ENC_VLAN);
}

static void test_null_loop_raw(void)
{
    frame le = {0}; /* DLT_NULL from a little-endian host: AF_INET = 2 */
    PUT(&le, 2, 0, 0, 0);
    add_inner(&le);
    check(DDI_LT_NULL, &le, INNER_SRC, 4, 0);

    frame be = {0}; /* big-endian host, IPv6 (FreeBSD's AF_INET6 = 28) */
    PUT(&be, 0, 0, 0, 28);
    pb_ip ip6 = {.src = "2001:db8::1", .dst = "2001:db8::2", .ttl = 64};
    pb_tcp t = {.sport = 1, .dport = 80, .seq = 9, .flags = DDI_TH_SYN, .win = 1024};
    be.n += pb_tcp_pkt(be.b + be.n, &ip6, &t);
    check(DDI_LT_NULL, &be, "2001:db8::1", 4, 0);

    frame lo = {0}; /* DLT_LOOP: network byte order */
    PUT(&lo, 0, 0, 0, 2);
    add_inner(&lo);
    check(DDI_LT_LOOP, &lo, INNER_SRC, 4, 0);

    frame raw = {0};
    add_inner(&raw);
    check(DDI_LT_RAW, &raw, INNER_SRC, 0, 0);
    check(DDI_LT_IPV4, &raw, INNER_SRC, 0, 0);
    check(DDI_LT_RAW_LINKTYPE, &raw, INNER_SRC, 0, 0);
    frame raw6 = {0};
    raw6.n = pb_tcp_pkt(raw6.b, &ip6, &t);
    check(DDI_LT_IPV6, &raw6, "2001:db8::1", 0, 0);

    frame ppp = {0}; /* DLT_PPP with address/control */
    PUT(&ppp, 0xff, 0x03, 0x00, 0x21);
    add_inner(&ppp);
    check(DDI_LT_PPP, &ppp, INNER_SRC, 4, DDI_ENC_PPP);
}

/* outer IPv4 (or IPv6) header carrying `proto` around whatever follows */
static void outer_ip(frame *f, const char *src, uint8_t proto, size_t payload)
{
    pb_ip o = {.src = src, .dst = strchr(src, ':') ? "2001:db8::99" : "203.0.113.99", .ttl = 60, .id = 5};
    f->n += pb_ip_hdr(f->b + f->n, &o, proto, payload);
}

static void test_ip_in_ip(void)
{
    uint8_t in[PB_MAX];
    size_t n = inner_syn(in);

    frame f = {0}; /* 4in4 */
    ether_hdr(&f, 0x0800);
    outer_ip(&f, OUTER_SRC, 4, n);
    put(&f, in, n);
    check(DDI_LT_ETHERNET, &f, INNER_SRC, 34, DDI_ENC_IPIP);

    frame g = {0}; /* 4in6 */
    ether_hdr(&g, 0x86dd);
    outer_ip(&g, "2001:db8::7", 4, n);
    put(&g, in, n);
    check(DDI_LT_ETHERNET, &g, INNER_SRC, 54, DDI_ENC_IPIP);

    frame h = {0}; /* 6in4 (protocol 41) */
    pb_ip ip6 = {.src = "2001:db8::1", .dst = "2001:db8::2", .ttl = 64};
    pb_tcp t = {.sport = 1, .dport = 80, .seq = 9, .flags = DDI_TH_SYN, .win = 1024};
    uint8_t in6[PB_MAX];
    size_t n6 = pb_tcp_pkt(in6, &ip6, &t);
    ether_hdr(&h, 0x0800);
    outer_ip(&h, OUTER_SRC, 41, n6);
    put(&h, in6, n6);
    check(DDI_LT_ETHERNET, &h, "2001:db8::1", 34, DDI_ENC_IPIP);

    /* a fragment's payload is not dissected: the outer header is analysed */
    frame fr = {0};
    pb_ip o = {.src = OUTER_SRC, .dst = "203.0.113.99", .ttl = 60, .mf = true};
    ether_hdr(&fr, 0x0800);
    fr.n += pb_ip_hdr(fr.b + fr.n, &o, 4, n);
    put(&fr, in, n);
    expect_src(DDI_LT_ETHERNET, &fr, OUTER_SRC, 14, 0);

    /* an inner header that does not parse leaves the outer one */
    frame bad = {0};
    ether_hdr(&bad, 0x0800);
    outer_ip(&bad, OUTER_SRC, 4, 10);
    PUT(&bad, 0x45, 0, 0, 10, 0, 0, 0, 0, 64, 6);
    expect_src(DDI_LT_ETHERNET, &bad, OUTER_SRC, 14, 0);
}

static void test_icmp_quote_not_followed(void)
{
    uint8_t in[PB_MAX];
    inner_syn(in);
    frame f = {0};
    ether_hdr(&f, 0x0800);
    pb_ip o = {.src = OUTER_SRC, .dst = INNER_SRC, .ttl = 250};
    f.n += pb_icmp_pkt(f.b + f.n, &o, 3, 3, 0, 0, in, 28);
    expect_src(DDI_LT_ETHERNET, &f, OUTER_SRC, 14, 0);

    /* IPIP carrying an ICMP error: the tunnelled error is analysed, not its quote */
    uint8_t icmp[PB_MAX];
    size_t m = pb_icmp_pkt(icmp, &(pb_ip){.src = "203.0.113.5", .dst = INNER_SRC, .ttl = 250}, 11, 0, 0, 0, in, 28);
    frame g = {0};
    ether_hdr(&g, 0x0800);
    outer_ip(&g, OUTER_SRC, 4, m);
    put(&g, icmp, m);
    expect_src(DDI_LT_ETHERNET, &g, "203.0.113.5", 34, DDI_ENC_IPIP);
}

static void test_gre(void)
{
    uint8_t in[PB_MAX];
    size_t n = inner_syn(in);

    frame f = {0}; /* GRE with key and sequence number */
    ether_hdr(&f, 0x0800);
    outer_ip(&f, OUTER_SRC, 47, 12 + n);
    PUT(&f, 0x30, 0x00, 0x08, 0x00, 0, 0, 0, 1, 0, 0, 0, 2);
    put(&f, in, n);
    check(DDI_LT_ETHERNET, &f, INNER_SRC, 46, DDI_ENC_GRE);

    frame e = {0}; /* transparent Ethernet bridging, then a VLAN tag */
    ether_hdr(&e, 0x0800);
    outer_ip(&e, OUTER_SRC, 47, 4 + 18 + n);
    PUT(&e, 0x00, 0x00, 0x65, 0x58);
    ether_hdr(&e, 0x8100);
    PUT(&e, 0x00, 0x07, 0x08, 0x00);
    put(&e, in, n);
    check(DDI_LT_ETHERNET, &e, INNER_SRC, 56, DDI_ENC_GRE | DDI_ENC_VLAN);
}

static void test_gtpu_vxlan(void)
{
    uint8_t in[PB_MAX];
    size_t n = inner_syn(in);

    frame f = {0}; /* GTP-U G-PDU with the sequence flag (12-byte header) */
    ether_hdr(&f, 0x0800);
    pb_ip o = {.src = OUTER_SRC, .dst = "203.0.113.99", .ttl = 60};
    size_t h = f.n;
    f.n += pb_udp_pkt(f.b + f.n, &o, 2152, 2152, 12 + n) - (12 + n);
    PUT(&f, 0x32, 0xff, (uint8_t)((n + 4) >> 8), (uint8_t)(n + 4), 0, 0, 0, 9, 0, 1, 0, 0);
    put(&f, in, n);
    check(DDI_LT_ETHERNET, &f, INNER_SRC, h + 28 + 12, DDI_ENC_GTPU);

    /* GTP-C on the same port carries no user packet */
    frame c = f;
    c.b[h + 28 + 1] = 0x10;
    expect_src(DDI_LT_ETHERNET, &c, OUTER_SRC, 14, 0);

    frame v = {0}; /* VXLAN: 8-byte header, then Ethernet */
    ether_hdr(&v, 0x0800);
    v.n += pb_udp_pkt(v.b + v.n, &o, 51000, 4789, 8 + 14 + n) - (8 + 14 + n);
    PUT(&v, 0x08, 0, 0, 0, 0, 0, 0x2a, 0);
    ether_hdr(&v, 0x0800);
    put(&v, in, n);
    check(DDI_LT_ETHERNET, &v, INNER_SRC, 14 + 28 + 8 + 14, DDI_ENC_VXLAN);
}

static void test_skips(void)
{
    ddi_decap d;
    ddi_pkt p;
    frame arp = {0};
    ether_hdr(&arp, 0x0806);
    PUT(&arp, 0, 1, 8, 0, 6, 4, 0, 1);
    g_assert_false(run(DDI_LT_ETHERNET, &arp, &d, &p));
    g_assert_cmpint(d.skip, ==, DDI_SKIP_NOT_IP);
    g_assert_cmphex(d.detail & 0xffff, ==, 0x0806);

    frame any = {0};
    add_inner(&any);
    g_assert_false(run(127 /* 802.11 radiotap */, &any, &d, &p));
    g_assert_cmpint(d.skip, ==, DDI_SKIP_LINKTYPE);

    /* total length below the header length: Wireshark shows no addresses */
    frame bogus = {0};
    ether_hdr(&bogus, 0x0800);
    add_inner(&bogus);
    bogus.b[14] = 0x4f; /* 60-byte header, total length 44 */
    g_assert_false(run(DDI_LT_ETHERNET, &bogus, &d, &p));
    g_assert_cmpint(d.skip, ==, DDI_SKIP_BAD_IP);

    frame stp = {0}; /* 802.3 + LLC (spanning tree): no IP */
    ether_hdr(&stp, 0x0026);
    PUT(&stp, 0x42, 0x42, 0x03, 0, 0, 0);
    g_assert_false(run(DDI_LT_ETHERNET, &stp, &d, &p));
    g_assert_cmpint(d.skip, ==, DDI_SKIP_LLC);

    frame snap = {0}; /* 802.3 + SNAP carrying IPv4 */
    ether_hdr(&snap, 0x0040);
    PUT(&snap, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00);
    add_inner(&snap);
    check(DDI_LT_ETHERNET, &snap, INNER_SRC, 22, DDI_ENC_SNAP);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/decap/ethernet", test_ethernet);
    g_test_add_func("/decap/vlan_qinq", test_vlan_qinq);
    g_test_add_func("/decap/mpls", test_mpls);
    g_test_add_func("/decap/pppoe", test_pppoe);
    g_test_add_func("/decap/sll", test_sll);
    g_test_add_func("/decap/null_loop_raw", test_null_loop_raw);
    g_test_add_func("/decap/ip_in_ip", test_ip_in_ip);
    g_test_add_func("/decap/icmp_quote", test_icmp_quote_not_followed);
    g_test_add_func("/decap/gre", test_gre);
    g_test_add_func("/decap/gtpu_vxlan", test_gtpu_vxlan);
    g_test_add_func("/decap/skips", test_skips);
    return g_test_run();
}
