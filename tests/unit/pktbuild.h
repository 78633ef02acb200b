/* pktbuild.h — raw IPv4/IPv6 + TCP/UDP/ICMP packets as bytes, for unit tests.
 *
 * Tests build the bytes a capture would hold and run them through
 * ddi_pkt_parse(), so they exercise the same path as the plugin.  Fields
 * left zero in the specs get the zero value on the wire (no hidden
 * defaults), except the lengths, which are computed unless overridden.
 *
 *   uint8_t b[PB_MAX];
 *   pb_ip ip = {.src = "192.0.2.1", .dst = "198.51.100.2", .ttl = 64, .df = true, .id = 7};
 *   pb_tcp t = {.sport = 1234, .dport = 80, .seq = 1, .flags = DDI_TH_SYN, .win = 65535,
 *               PB_OPTS(PB_MSS(1460), PB_NOP, PB_WS(7))};
 *   size_t n = pb_tcp_pkt(b, &ip, &t);
 *   ddi_pkt p = pb_parse(b, n, 1.0);
 *
 * Everything is static inline; the header needs <glib.h> only for the
 * assertions in pb_parse() and the address conversions.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_TEST_PKTBUILD_H
#define DDI_TEST_PKTBUILD_H

#include <arpa/inet.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pkt.h"

#define PB_MAX 2048 /* large enough for anything the builders make */

/* TCP option byte strings: PB_OPTS(PB_MSS(1460), PB_NOP, PB_WS(7), PB_SOK) */
#define PB_OPTS(...) .opts = (const uint8_t[]){__VA_ARGS__}, .optlen = sizeof((const uint8_t[]){__VA_ARGS__})
#define PB_EOL 0
#define PB_NOP 1
#define PB_MSS(v) 2, 4, (uint8_t)((v) >> 8), (uint8_t)(v)
#define PB_WS(s) 3, 3, (uint8_t)(s)
#define PB_SOK 4, 2
#define PB_TS(a, b)                                                                                             \
    8, 10, (uint8_t)((uint32_t)(a) >> 24), (uint8_t)((uint32_t)(a) >> 16), (uint8_t)((uint32_t)(a) >> 8),       \
        (uint8_t)(a), (uint8_t)((uint32_t)(b) >> 24), (uint8_t)((uint32_t)(b) >> 16),                           \
        (uint8_t)((uint32_t)(b) >> 8), (uint8_t)(b)

/* Network layer.  IPv6 is chosen when src contains ':'. */
typedef struct pb_ip {
    const char *src, *dst;
    uint8_t ttl, tos;        /* TTL / hop limit; TOS / traffic class */
    uint16_t id;             /* IPv4 only */
    bool df, mf, rf;         /* IPv4 only */
    uint16_t frag_off;       /* IPv4 only, in bytes (multiple of 8) */
    uint32_t flow;           /* IPv6 only (20 bits) */
    int ip_len;              /* > 0: override the total (v4) / payload (v6) length field */
    int proto;               /* > 0: override the protocol / next header field */
    const uint8_t *ipopt;    /* IPv4 options, length a multiple of 4 */
    size_t ipoptlen;
    /* IPv6 extension headers as raw bytes; the first one's type goes in
     * v6ext_first and the chain's last next-header field must be the L4
     * protocol (the caller writes it) */
    const uint8_t *v6ext;
    size_t v6extlen;
    uint8_t v6ext_first;
} pb_ip;

typedef struct pb_tcp {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags;          /* DDI_TH_* (NS in bit 8) */
    uint16_t win, urg;
    const uint8_t *opts;     /* raw option bytes; zero-padded to a multiple of 4 */
    size_t optlen;
    int doff;                /* 0: computed; 1..15: data offset written as given; -1: written as 0
                              * (the option bytes are copied either way) */
    size_t payload;          /* bytes of payload after the header */
} pb_tcp;

static inline void pb_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void pb_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline bool pb_is6(const pb_ip *ip) { return ip->src && strchr(ip->src, ':'); }

/* ddi_addr from text (IPv4 or IPv6). */
static inline ddi_addr pb_addr(const char *text)
{
    ddi_addr a;
    memset(&a, 0, sizeof a);
    if (strchr(text, ':')) {
        a.family = 6;
        g_assert_cmpint(inet_pton(AF_INET6, text, a.a), ==, 1);
    } else {
        a.family = 4;
        g_assert_cmpint(inet_pton(AF_INET, text, a.a), ==, 1);
    }
    return a;
}

/* Writes the IP header (with options / extension headers) for `l4len` bytes
 * of upper-layer data; returns its length. */
static inline size_t pb_ip_hdr(uint8_t *b, const pb_ip *ip, uint8_t proto, size_t l4len)
{
    if (pb_is6(ip)) {
        memset(b, 0, 40);
        b[0] = (uint8_t)(0x60 | (ip->tos >> 4));
        b[1] = (uint8_t)((ip->tos << 4) | ((ip->flow >> 16) & 0x0f));
        pb_put16(b + 2, (uint16_t)ip->flow);
        pb_put16(b + 4, (uint16_t)(ip->ip_len > 0 ? (size_t)ip->ip_len : ip->v6extlen + l4len));
        b[6] = ip->proto > 0 ? (uint8_t)ip->proto : ip->v6extlen ? ip->v6ext_first : proto;
        b[7] = ip->ttl;
        g_assert_cmpint(inet_pton(AF_INET6, ip->src, b + 8), ==, 1);
        g_assert_cmpint(inet_pton(AF_INET6, ip->dst, b + 24), ==, 1);
        if (ip->v6extlen)
            memcpy(b + 40, ip->v6ext, ip->v6extlen);
        return 40 + ip->v6extlen;
    }
    g_assert_cmpuint(ip->ipoptlen % 4, ==, 0);
    g_assert_cmpuint(ip->ipoptlen, <=, 40);
    size_t hl = 20 + ip->ipoptlen;
    memset(b, 0, 20);
    b[0] = (uint8_t)(0x40 | (hl / 4));
    b[1] = ip->tos;
    pb_put16(b + 2, (uint16_t)(ip->ip_len > 0 ? (size_t)ip->ip_len : hl + l4len));
    pb_put16(b + 4, ip->id);
    pb_put16(b + 6, (uint16_t)((ip->rf ? 0x8000 : 0) | (ip->df ? 0x4000 : 0) | (ip->mf ? 0x2000 : 0) |
                               ((ip->frag_off / 8) & 0x1fff)));
    b[8] = ip->ttl;
    b[9] = ip->proto > 0 ? (uint8_t)ip->proto : proto;
    g_assert_cmpint(inet_pton(AF_INET, ip->src, b + 12), ==, 1);
    g_assert_cmpint(inet_pton(AF_INET, ip->dst, b + 16), ==, 1);
    if (ip->ipoptlen)
        memcpy(b + 20, ip->ipopt, ip->ipoptlen);
    return hl;
}

/* TCP header + options + payload ('P' bytes) at t; returns its length. */
static inline size_t pb_tcp_seg(uint8_t *t, const pb_tcp *s)
{
    size_t ol = (s->optlen + 3) & ~(size_t)3;
    g_assert_cmpuint(ol, <=, 40);
    size_t hl = 20 + ol;
    memset(t, 0, hl);
    pb_put16(t, s->sport);
    pb_put16(t + 2, s->dport);
    pb_put32(t + 4, s->seq);
    pb_put32(t + 8, s->ack);
    unsigned doff = s->doff > 0 ? (unsigned)s->doff : s->doff < 0 ? 0u : (unsigned)(hl / 4);
    t[12] = (uint8_t)(((doff & 0x0f) << 4) | ((s->flags >> 8) & 1));
    t[13] = (uint8_t)s->flags;
    pb_put16(t + 14, s->win);
    pb_put16(t + 18, s->urg);
    if (s->optlen)
        memcpy(t + 20, s->opts, s->optlen);
    memset(t + hl, 'P', s->payload);
    return hl + s->payload;
}

static inline size_t pb_ip_hdr_len(const pb_ip *ip) { return pb_is6(ip) ? 40 + ip->v6extlen : 20 + ip->ipoptlen; }

/* A whole IP+TCP packet into b (PB_MAX bytes); returns its length. */
static inline size_t pb_tcp_pkt(uint8_t *b, const pb_ip *ip, const pb_tcp *s)
{
    size_t h = pb_ip_hdr_len(ip);
    g_assert_cmpuint(h + 60 + s->payload, <=, PB_MAX);
    size_t sl = pb_tcp_seg(b + h, s);
    g_assert_cmpuint(pb_ip_hdr(b, ip, 6, sl), ==, h);
    return h + sl;
}

/* IP+UDP (checksum 0) with `payload` bytes of `fill` after the header. */
static inline size_t pb_udp_pkt_fill(uint8_t *b, const pb_ip *ip, uint16_t sport, uint16_t dport, size_t payload,
                                     uint8_t fill)
{
    size_t h = pb_ip_hdr_len(ip);
    g_assert_cmpuint(h + 8 + payload, <=, PB_MAX);
    g_assert_cmpuint(pb_ip_hdr(b, ip, 17, 8 + payload), ==, h);
    pb_put16(b + h, sport);
    pb_put16(b + h + 2, dport);
    pb_put16(b + h + 4, (uint16_t)(8 + payload));
    pb_put16(b + h + 6, 0);
    memset(b + h + 8, fill, payload);
    return h + 8 + payload;
}

/* The same with 'U' bytes of payload. */
static inline size_t pb_udp_pkt(uint8_t *b, const pb_ip *ip, uint16_t sport, uint16_t dport, size_t payload)
{
    return pb_udp_pkt_fill(b, ip, sport, dport, payload, 'U');
}

/* ICMP (IPv4) or ICMPv6 (IPv6 src): 8-byte header with id/seq (or the
 * unused/MTU word of an error) and `body` after it, e.g. a quoted packet
 * built with pb_tcp_pkt() and cut to the length the router quoted.  A NULL
 * `body` gives `bodylen` zero bytes (an echo's data). */
static inline size_t pb_icmp_pkt(uint8_t *b, const pb_ip *ip, uint8_t type, uint8_t code, uint16_t id,
                                 uint16_t seq, const uint8_t *body, size_t bodylen)
{
    size_t h = pb_ip_hdr(b, ip, pb_is6(ip) ? 58 : 1, 8 + bodylen);
    /* g_error() does not return, so GCC 14+ see the bound (with
     * g_assert_cmpuint GCC 16 warns -Warray-bounds on the memset) */
    if (h + 8 + bodylen > PB_MAX)
        g_error("pb_icmp_pkt: %zu bytes exceed PB_MAX", h + 8 + bodylen);
    memset(b + h, 0, 8);
    b[h] = type;
    b[h + 1] = code;
    pb_put16(b + h + 4, id);
    pb_put16(b + h + 6, seq);
    if (body && bodylen)
        memcpy(b + h + 8, body, bodylen);
    else
        memset(b + h + 8, 0, bodylen);
    return h + 8 + bodylen;
}

/* ddi_pkt_parse() on a heap copy of exactly n bytes, so that a read past
 * the captured length shows under AddressSanitizer (-DDDI_SANITIZE=ON). */
static inline bool pb_parse_exact(const uint8_t *b, size_t n, double ts, ddi_pkt *p)
{
    uint8_t *copy = n ? (uint8_t *)g_memdup2(b, n) : NULL;
    bool ok = ddi_pkt_parse(copy, n, ts, p);
    g_free(copy);
    return ok;
}

/* Parse and insist that the network header was usable. */
static inline ddi_pkt pb_parse(const uint8_t *b, size_t len, double ts)
{
    ddi_pkt p;
    g_assert_true(pb_parse_exact(b, len, ts, &p));
    return p;
}

/* Build and parse a TCP packet in one go. */
static inline ddi_pkt pb_tcp_parsed(const pb_ip *ip, const pb_tcp *s, double ts)
{
    uint8_t b[PB_MAX];
    size_t n = pb_tcp_pkt(b, ip, s);
    return pb_parse(b, n, ts);
}

#endif
