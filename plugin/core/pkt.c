/* pkt.c — bounds-checked parsing of IPv4/IPv6 + TCP/UDP/ICMP headers.
 *
 * Every read is checked against the captured length: fuzzed and truncated
 * packets must give "less known", never a read past the buffer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pkt.h"

#include <math.h>

#include <stdio.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* `len` is the option area the data offset declares, `cap` <= len the part
 * of it that was captured.  An option that runs past `len` is malformed
 * (quirk "bad"); one that runs only past `cap` was cut by the capture, which
 * says nothing about the sender: parsing stops without "bad" and
 * opts_complete stays false (fingerprint.c relies on that distinction). */
static void parse_options(const uint8_t *opt, size_t len, size_t cap, bool syn, ddi_tcp *t, uint32_t *quirks)
{
    size_t i = 0;

    while (i < cap && t->nopt < DDI_MAX_OPTS) {
        uint8_t kind = opt[i];

        if (kind == DDI_OPT_EOL) {
            t->olayout[t->nopt++] = kind;
            /* p0f records how many bytes follow EOL and flags non-zero ones */
            t->eol_pad = (uint8_t)(len - i - 1);
            for (size_t j = i + 1; j < cap; j++)
                if (opt[j]) {
                    *quirks |= DDI_Q_OPT_EOL_NZ;
                    break;
                }
            return;
        }
        if (kind == DDI_OPT_NOP) {
            t->olayout[t->nopt++] = kind;
            i++;
            continue;
        }
        if (i + 1 >= cap) { /* kind byte without a length byte */
            if (i + 1 >= len)
                *quirks |= DDI_Q_OPT_BAD;
            return;
        }
        uint8_t olen = opt[i + 1];
        if (olen < 2 || i + olen > len) { /* length 0/1 loops forever; past end overflows */
            *quirks |= DDI_Q_OPT_BAD;
            return;
        }
        if (i + olen > cap) /* cut by the capture */
            return;
        const uint8_t *v = opt + i + 2;
        switch (kind) {
        case DDI_OPT_MSS:
            if (olen != 4) {
                *quirks |= DDI_Q_OPT_BAD;
                return;
            }
            if (!t->has_mss) { /* a duplicate MSS keeps the first value */
                t->has_mss = true;
                t->mss = rd16(v);
            }
            break;
        case DDI_OPT_WS:
            if (olen != 3) {
                *quirks |= DDI_Q_OPT_BAD;
                return;
            }
            if (!t->has_ws) {
                t->has_ws = true;
                t->ws = v[0];
                if (t->ws > 14) /* RFC 7323 §2.3: larger shifts are treated as 14 */
                    *quirks |= DDI_Q_OPT_EXWS;
            }
            break;
        case DDI_OPT_SOK:
            if (olen != 2) {
                *quirks |= DDI_Q_OPT_BAD;
                return;
            }
            t->has_sok = true;
            break;
        case DDI_OPT_TS:
            if (olen != 10) {
                *quirks |= DDI_Q_OPT_BAD;
                return;
            }
            if (!t->has_ts) {
                t->has_ts = true;
                t->tsval = rd32(v);
                t->tsecr = rd32(v + 4);
                if (!t->tsval)
                    *quirks |= DDI_Q_OPT_ZERO_TS1;
                /* p0f: a peer's echo in an initial SYN makes no sense */
                if (syn && t->tsecr)
                    *quirks |= DDI_Q_OPT_NZ_TS2;
            }
            break;
        default:
            break;
        }
        t->olayout[t->nopt++] = kind;
        i += olen;
    }
}

void ddi_tcp_parse_options(const uint8_t *opt, size_t len, bool syn, ddi_tcp *t, uint32_t *quirks)
{
    parse_options(opt, len, len, syn, t, quirks);
}

static void parse_tcp(const uint8_t *b, size_t cap, uint32_t claimed, ddi_pkt *p)
{
    ddi_tcp *t = &p->tcp;

    p->l4 = DDI_L4_TCP;
    if (cap < 8)
        return;
    p->l4_ports = true;
    t->sport = rd16(b);
    t->dport = rd16(b + 2);
    t->seq = rd32(b + 4);
    if (cap < 20)
        return;
    p->l4_complete = true;
    t->ack = rd32(b + 8);
    t->hdr_len = (uint8_t)((b[12] >> 4) * 4);
    t->flags = (uint16_t)(((b[12] & 1) << 8) | b[13]);
    t->win = rd16(b + 14);
    t->urg = rd16(b + 18);
    t->payload_len = claimed > t->hdr_len ? claimed - t->hdr_len : 0;

    uint32_t q = 0;
    if (!t->seq) q |= DDI_Q_ZERO_SEQ;
    if (t->ack && !(t->flags & DDI_TH_ACK)) q |= DDI_Q_NZ_ACK;
    if (!t->ack && (t->flags & DDI_TH_ACK)) q |= DDI_Q_ZERO_ACK;
    if (t->urg && !(t->flags & DDI_TH_URG)) q |= DDI_Q_NZ_URG;
    if (t->flags & DDI_TH_URG) q |= DDI_Q_URG;
    if (t->flags & DDI_TH_PUSH) q |= DDI_Q_PUSH;
    if (t->flags & (DDI_TH_ECE | DDI_TH_CWR | DDI_TH_NS)) q |= DDI_Q_ECN;

    if (t->hdr_len < 20) { /* data offset below the fixed header: no options to trust */
        q |= DDI_Q_OPT_BAD;
        t->opts_complete = false;
    } else {
        size_t olen = t->hdr_len - 20u;
        size_t have = cap - 20 < olen ? cap - 20 : olen;
        bool syn = (t->flags & (DDI_TH_SYN | DDI_TH_ACK)) == DDI_TH_SYN;
        parse_options(b + 20, olen, have, syn, t, &q);
        t->opts_complete = have == olen && !(q & DDI_Q_OPT_BAD);
    }
    p->quirks |= q;
}

static bool parse_ip(const uint8_t *buf, size_t caplen, double ts, ddi_pkt *p, bool allow_quote);

static void parse_icmp(const uint8_t *b, size_t cap, ddi_pkt *p, bool allow_quote)
{
    p->l4 = DDI_L4_ICMP;
    if (cap < 8)
        return;
    p->l4_complete = true;
    p->icmp_type = b[0];
    p->icmp_code = b[1];
    p->icmp_id = rd16(b + 4);
    p->icmp_seq = rd16(b + 6);
    if (!allow_quote || !ddi_pkt_is_icmp_error(p->ver, p->icmp_type) || cap <= 8)
        return;

    /* The quoted header is the packet that provoked the error: for
     * backscatter it was sent (spoofed) from the darknet address. */
    ddi_pkt in;
    if (!parse_ip(b + 8, cap - 8, p->ts, &in, false))
        return;
    ddi_quote *q = &p->quote;
    p->has_quote = true;
    q->ver = in.ver;
    q->src = in.src;
    q->dst = in.dst;
    q->proto = in.proto;
    if (in.l4_ports) { /* RFC 792 quotes at least 8 bytes: ports (+ TCP seq) */
        q->has_ports = true;
        q->sport = in.l4 == DDI_L4_TCP ? in.tcp.sport : in.udp_sport;
        q->dport = in.l4 == DDI_L4_TCP ? in.tcp.dport : in.udp_dport;
        q->has_seq = in.l4 == DDI_L4_TCP;
        q->seq = in.tcp.seq;
    } else if (in.l4 == DDI_L4_ICMP && in.l4_complete) {
        q->has_icmp = true;
        q->icmp_type = in.icmp_type;
        q->icmp_id = in.icmp_id;
        q->icmp_seq = in.icmp_seq;
    }
}

static void parse_l4(const uint8_t *b, size_t cap, uint32_t claimed, ddi_pkt *p, bool allow_quote)
{
    switch (p->proto) {
    case 6:
        parse_tcp(b, cap, claimed, p);
        break;
    case 17:
        p->l4 = DDI_L4_UDP;
        if (cap >= 8) {
            p->l4_complete = p->l4_ports = true;
            p->udp_sport = rd16(b);
            p->udp_dport = rd16(b + 2);
            p->udp_len = rd16(b + 4);
        }
        break;
    case 1:
    case 58:
        parse_icmp(b, cap, p, allow_quote);
        break;
    default:
        p->l4 = DDI_L4_OTHER;
        break;
    }
}

static bool parse_ipv4(const uint8_t *b, size_t cap, ddi_pkt *p, bool allow_quote)
{
    if (cap < 20)
        return false;
    size_t hl = (size_t)(b[0] & 0x0f) * 4;
    if (hl < 20)
        return false;
    p->ver = 4;
    p->tos = b[1];
    p->ip_len = rd16(b + 2);
    p->ip_id = rd16(b + 4);
    uint16_t ff = rd16(b + 6);
    p->rf = ff & 0x8000;
    p->df = ff & 0x4000;
    p->mf = ff & 0x2000;
    p->frag_off = (uint16_t)((ff & 0x1fff) * 8);
    p->ttl = b[8];
    p->proto = b[9];
    p->src.family = p->dst.family = 4;
    memcpy(p->src.a, b + 12, 4);
    memcpy(p->dst.a, b + 16, 4);
    p->ip_opt_len = (uint8_t)(hl - 20);
    p->fragment = p->mf || p->frag_off;

    if (p->df) p->quirks |= DDI_Q_DF;
    if (p->df && p->ip_id) p->quirks |= DDI_Q_NZ_ID;
    if (!p->df && !p->ip_id) p->quirks |= DDI_Q_ZERO_ID;
    if (p->rf) p->quirks |= DDI_Q_NZ_MBZ;
    if (p->tos & 3) p->quirks |= DDI_Q_ECN;

    if (cap < hl || p->ip_len < hl) {
        p->truncated = cap < hl;
        return true; /* addresses and ID are still good */
    }
    size_t end = p->ip_len < cap ? p->ip_len : cap;
    p->truncated = cap < p->ip_len;
    if (p->frag_off) /* not the first fragment: no L4 header here */
        return true;
    parse_l4(b + hl, end - hl, (uint32_t)(p->ip_len - hl), p, allow_quote);
    return true;
}

static bool ipv6_ext(uint8_t nh) { return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60; }

static bool parse_ipv6(const uint8_t *b, size_t cap, ddi_pkt *p, bool allow_quote)
{
    if (cap < 40)
        return false;
    p->ver = 6;
    p->tos = (uint8_t)(((b[0] & 0x0f) << 4) | (b[1] >> 4));
    p->flow = ((uint32_t)(b[1] & 0x0f) << 16) | rd16(b + 2);
    uint16_t plen = rd16(b + 4);
    p->ip_len = (uint16_t)(plen + 40u > 0xffff ? 0xffff : plen + 40u);
    uint8_t nh = b[6];
    p->ttl = b[7];
    p->src.family = p->dst.family = 6;
    memcpy(p->src.a, b + 8, 16);
    memcpy(p->dst.a, b + 24, 16);
    if (p->flow) p->quirks |= DDI_Q_FLOW;
    if (p->tos & 3) p->quirks |= DDI_Q_ECN;

    size_t end = (size_t)plen + 40 < cap ? (size_t)plen + 40 : cap;
    p->truncated = cap < (size_t)plen + 40;
    size_t off = 40;
    for (int n = 0; ipv6_ext(nh) && n < 8; n++) {
        if (off + 8 > end) {
            p->proto = nh;
            return true;
        }
        const uint8_t *e = b + off;
        if (nh == 44) {
            p->fragment = true;
            p->frag_off = (uint16_t)(rd16(e + 2) & 0xfff8);
            p->mf = e[3] & 1;
            if (p->frag_off) {
                p->proto = e[0];
                return true;
            }
            nh = e[0];
            off += 8;
            continue;
        }
        size_t len = nh == 51 ? ((size_t)e[1] + 2) * 4 : ((size_t)e[1] + 1) * 8;
        nh = e[0];
        off += len;
    }
    p->proto = nh;
    if (ipv6_ext(nh) || off > end)
        return true;
    uint32_t claimed = (size_t)plen + 40 > off ? (uint32_t)(plen + 40 - off) : 0;
    parse_l4(b + off, end - off, claimed, p, allow_quote);
    return true;
}

static bool parse_ip(const uint8_t *buf, size_t caplen, double ts, ddi_pkt *p, bool allow_quote)
{
    memset(p, 0, sizeof *p);
    p->ts = ts;
    p->ts_ns = isfinite(ts) && fabs(ts) < 9e9 ? llround(ts * 1e9) : 0;
    if (!buf || caplen < 1)
        return false;
    switch (buf[0] >> 4) {
    case 4:
        return parse_ipv4(buf, caplen, p, allow_quote);
    case 6:
        return parse_ipv6(buf, caplen, p, allow_quote);
    default:
        return false;
    }
}

bool ddi_pkt_parse(const uint8_t *buf, size_t caplen, double ts, ddi_pkt *out)
{
    return parse_ip(buf, caplen, ts, out, true);
}

bool ddi_pkt_parse_reassembled(const uint8_t *hdr, size_t hdr_cap, const uint8_t *payload, size_t plen, double ts,
                               ddi_pkt *out)
{
    /* parse the network header only: a first fragment's own L4 bytes are a
     * part of what the reassembled payload holds in full */
    size_t cap = hdr_cap;
    if (hdr && hdr_cap >= 20 && hdr[0] >> 4 == 4)
        cap = (size_t)(hdr[0] & 0x0f) * 4;
    ddi_pkt p;
    if (!payload || !parse_ip(hdr, cap, ts, &p, false) || !p.fragment)
        return false;
    /* a first fragment ran on into its own L4 bytes: keep the network layer */
    p.l4 = DDI_L4_NONE;
    p.l4_ports = p.l4_complete = p.has_quote = false;
    memset(&p.tcp, 0, sizeof p.tcp);
    memset(&p.quote, 0, sizeof p.quote);
    p.udp_sport = p.udp_dport = p.udp_len = p.icmp_id = p.icmp_seq = 0;
    p.icmp_type = p.icmp_code = 0;
    p.quirks &= DDI_Q_DF | DDI_Q_NZ_ID | DDI_Q_ZERO_ID | DDI_Q_NZ_MBZ | DDI_Q_FLOW;
    if (p.tos & 3)
        p.quirks |= DDI_Q_ECN;
    size_t hl = p.ver == 4 ? 20u + p.ip_opt_len : 40u;
    p.ip_len = (uint16_t)(hl + plen > 0xffff ? 0xffff : hl + plen);
    p.fragment = p.mf = false;
    p.frag_off = 0;
    p.truncated = false;
    p.reassembled = true;
    parse_l4(payload, plen, (uint32_t)plen, &p, true);
    *out = p;
    return true;
}

const char *ddi_addr_str(const ddi_addr *a, char *buf, size_t len)
{
    if (a->family == 4) {
        /* by hand: reports print one address per source, millions of them */
        char t[16], *o = t;
        for (int i = 0; i < 4; i++) {
            unsigned v = a->a[i];
            if (v >= 100)
                *o++ = (char)('0' + v / 100);
            if (v >= 10)
                *o++ = (char)('0' + v / 10 % 10);
            *o++ = (char)('0' + v % 10);
            *o++ = i < 3 ? '.' : 0;
        }
        if (len) {
            size_t n = (size_t)(o - t) <= len ? (size_t)(o - t) : len; /* with the NUL */
            memcpy(buf, t, n);
            buf[n - 1] = 0;
        }
    } else if (a->family == 6) {
        /* RFC 5952 zero compression of the longest run of zero groups */
        uint16_t g[8];
        int best = -1, bestlen = 0;
        for (int i = 0; i < 8; i++)
            g[i] = rd16(a->a + 2 * i);
        for (int i = 0; i < 8;) {
            int j = i;
            while (j < 8 && !g[j])
                j++;
            if (j - i > bestlen && j - i > 1) {
                best = i;
                bestlen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        /* by hand too (the report writes one per IPv6 source), then cut as
         * snprintf would */
        static const char hex[] = "0123456789abcdef";
        char t[48], *o = t;
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                *o++ = ':';
                *o++ = ':';
                i += bestlen - 1;
                continue;
            }
            if (i && i != best + bestlen)
                *o++ = ':';
            bool lead = true;
            for (int sh = 12; sh >= 0; sh -= 4) {
                unsigned d = (g[i] >> sh) & 15;
                if (lead && d == 0 && sh)
                    continue;
                lead = false;
                *o++ = hex[d];
            }
        }
        if (len) {
            size_t n = (size_t)(o - t) < len ? (size_t)(o - t) : len - 1;
            memcpy(buf, t, n);
            buf[n] = 0;
        }
    } else {
        snprintf(buf, len, "?");
    }
    return buf;
}

bool ddi_addr_eq(const ddi_addr *a, const ddi_addr *b)
{
    return a->family == b->family && !memcmp(a->a, b->a, a->family == 4 ? 4 : 16);
}

uint32_t ddi_addr_v4(const ddi_addr *a) { return a->family == 4 ? rd32(a->a) : 0; }

/* Priority order: the overlay a host sits in (VXLAN, Geneve, WireGuard,
 * IPsec, GTP-U, L2TP) before transport tunnels and label stacks. */
static const uint16_t encap_order[] = {
    DDI_ENCAP_VXLAN, DDI_ENCAP_GENEVE, DDI_ENCAP_WIREGUARD, DDI_ENCAP_ESP, DDI_ENCAP_GTP,  DDI_ENCAP_L2TP,
    DDI_ENCAP_GRE,   DDI_ENCAP_TEREDO, DDI_ENCAP_IPIP,      DDI_ENCAP_MPLS, DDI_ENCAP_PPPOE,
};
_Static_assert(sizeof encap_order / sizeof encap_order[0] == DDI_ENCAP__BITS, "every encapsulation has a place");
_Static_assert(DDI_ENCAP__BITS < 16, "the code fits 4 bits");

uint8_t ddi_encap_code(uint16_t encap)
{
    if (!encap) /* most frames: no walk through the table */
        return 0;
    for (size_t i = 0; i < sizeof encap_order / sizeof encap_order[0]; i++)
        if (encap & encap_order[i])
            return (uint8_t)(i + 1);
    return 0;
}

uint16_t ddi_encap_bit(uint8_t code)
{
    return code && code <= sizeof encap_order / sizeof encap_order[0] ? encap_order[code - 1] : 0;
}

/* ------------------------------------------------------------ TCP options */

static const struct {
    uint8_t kind;
    const char *p0f; /* p0f README §5 "olayout" */
    const char *text;
} tcp_opts[] = {
    {DDI_OPT_EOL, NULL, "EOL"}, {DDI_OPT_NOP, "nop", "NOP"},        {DDI_OPT_MSS, "mss", "MSS"},
    {DDI_OPT_WS, "ws", "WS"},   {DDI_OPT_SOK, "sok", "SACK-perm"}, {DDI_OPT_SACK, "sack", "SACK"},
    {DDI_OPT_TS, "ts", "TS"},
};

const char *ddi_tcp_opt_name(uint8_t kind)
{
    for (size_t i = 0; i < sizeof tcp_opts / sizeof tcp_opts[0]; i++)
        if (tcp_opts[i].kind == kind)
            return tcp_opts[i].text;
    return NULL;
}

const char *ddi_tcp_opt_p0f(uint8_t kind)
{
    for (size_t i = 0; i < sizeof tcp_opts / sizeof tcp_opts[0]; i++)
        if (tcp_opts[i].kind == kind)
            return tcp_opts[i].p0f;
    return NULL;
}

bool ddi_tcp_opt_from_p0f(const char *s, size_t n, uint8_t *kind)
{
    for (size_t i = 0; i < sizeof tcp_opts / sizeof tcp_opts[0]; i++) {
        const char *w = tcp_opts[i].p0f;
        if (w && strlen(w) == n && !memcmp(w, s, n)) {
            *kind = tcp_opts[i].kind;
            return true;
        }
    }
    return false;
}

bool ddi_tcp_layout_is(const ddi_tcp *t, const uint8_t *kinds, size_t n)
{
    size_t m = t->nopt;
    while (m && t->olayout[m - 1] == DDI_OPT_EOL)
        m--;
    while (n && kinds[n - 1] == DDI_OPT_EOL)
        n--;
    return m == n && !memcmp(t->olayout, kinds, n);
}
