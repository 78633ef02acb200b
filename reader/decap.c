/* decap.c — link layers and tunnels down to the IP header ddi analyses.
 *
 * Each layer follows what Wireshark 4.0's dissector for it does with the
 * same bytes (packet-eth.c, packet-vlan.c, packet-mpls.c, packet-pppoe.c,
 * packet-sll.c, packet-null.c, packet-gre.c, packet-gtp.c, packet-vxlan.c),
 * so that the reader and the plugin analyse the same header.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "decap.h"

#include <string.h>

/* Nesting bounds: a frame cannot make the loops below run away. */
#define MAX_TAGS 16     /* VLAN tags or MPLS labels in one stack */
#define MAX_TUNNELS 8   /* tunnel levels below the outermost IP header */

/* Values carried in ddi_decap.detail with DDI_SKIP_NOT_IP. */
#define DETAIL_ETHERTYPE 0x10000u
#define DETAIL_PPP 0x20000u
#define DETAIL_FAMILY 0x30000u
#define DETAIL_SLL 0x40000u

enum {
    ET_IPV4 = 0x0800,
    ET_IPV6 = 0x86dd,
    ET_VLAN = 0x8100,
    ET_QINQ = 0x88a8,
    ET_QINQ_OLD = 0x9100,
    ET_MPLS = 0x8847,
    ET_MPLS_MC = 0x8848,
    ET_PPPOE_SESSION = 0x8864,
    ET_TEB = 0x6558,       /* transparent Ethernet bridging (GRE, Geneve) */
    ET_PPP = 0x880b,       /* PPP in enhanced GRE (PPTP) */
    ET_ERSPAN2 = 0x88be,   /* ERSPAN type I/II */
    ET_ERSPAN3 = 0x22eb,
    ETHER_MAX_LEN = 1500,  /* type fields up to this are 802.3 lengths */
};
enum { PPP_IPV4 = 0x0021, PPP_IPV6 = 0x0057, PPP_MPLS = 0x0281, PPP_MPLS_MC = 0x0283 };
/* BSD address families in DLT_NULL/DLT_LOOP headers (Wireshark packet-null.c) */
enum { BSD_AF_INET = 2, BSD_AF_INET6_BSD = 24, BSD_AF_INET6_FREEBSD = 28, BSD_AF_INET6_DARWIN = 30 };
enum { ARPHRD_IPGRE = 778, ARPHRD_NETLINK = 824 };
enum { SLL_P_802_3 = 0x0001, SLL_P_802_2 = 0x0004, SLL_P_PPPHDLC = 0x0007 };
enum { IPPROTO_IPIP = 4, IPPROTO_IPV6_ENC = 41, IPPROTO_GRE_ = 47, IPPROTO_UDP_ = 17 };
enum { PORT_GTPU = 2152, PORT_VXLAN = 4789 };

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

const char *ddi_skip_name(ddi_skip why)
{
    switch (why) {
    case DDI_SKIP_NONE: return "analysed";
    case DDI_SKIP_LINKTYPE: return "link-layer type not handled";
    case DDI_SKIP_TRUNCATED: return "truncated link or tunnel header";
    case DDI_SKIP_NOT_IP: return "not IP";
    case DDI_SKIP_LLC: return "802.3 LLC frame without SNAP";
    case DDI_SKIP_MPLS_PAYLOAD: return "MPLS payload not IPv4/IPv6";
    case DDI_SKIP_BAD_IP: return "IP header unusable";
    case DDI_SKIP_FRAGMENT: return "IP fragment (not reassembled)";
    default: return "?";
    }
}

static ddi_skip found_ip(size_t off, size_t len, ddi_decap *out)
{
    if (off >= len)
        return DDI_SKIP_TRUNCATED;
    out->ip_off = off;
    return DDI_SKIP_NONE;
}

static ddi_skip not_ip(uint32_t detail, ddi_decap *out)
{
    out->detail = detail;
    return DDI_SKIP_NOT_IP;
}

static ddi_skip by_ethertype(const uint8_t *b, size_t len, size_t off, uint16_t type, ddi_decap *out, int depth);
static ddi_skip ethernet(const uint8_t *b, size_t len, size_t off, ddi_decap *out, int depth);

/* After the bottom-of-stack label Wireshark guesses the payload from its
 * first nibble; only IP is followed here. */
static ddi_skip mpls(const uint8_t *b, size_t len, size_t off, ddi_decap *out)
{
    out->encaps |= DDI_ENC_MPLS;
    for (int n = 0; n < MAX_TAGS; n++) {
        if (off + 4 > len)
            return DDI_SKIP_TRUNCATED;
        bool bottom = b[off + 2] & 1;
        off += 4;
        if (!bottom)
            continue;
        if (off >= len)
            return DDI_SKIP_TRUNCATED;
        unsigned nibble = b[off] >> 4;
        if (nibble == 4 || nibble == 6)
            return found_ip(off, len, out);
        return DDI_SKIP_MPLS_PAYLOAD;
    }
    return DDI_SKIP_TRUNCATED; /* no bottom of stack within MAX_TAGS labels */
}

static ddi_skip by_ppp_protocol(const uint8_t *b, size_t len, size_t off, uint16_t proto, ddi_decap *out)
{
    out->encaps |= DDI_ENC_PPP;
    switch (proto) {
    case PPP_IPV4:
    case PPP_IPV6: return found_ip(off, len, out);
    case PPP_MPLS:
    case PPP_MPLS_MC: return mpls(b, len, off, out);
    default: return not_ip(DETAIL_PPP | proto, out);
    }
}

/* PPP in HDLC-like framing or bare: optional ff 03, then a 1- or 2-byte
 * protocol (RFC 1661 §6.5: an odd first byte is a compressed protocol). */
static ddi_skip ppp(const uint8_t *b, size_t len, size_t off, ddi_decap *out)
{
    if (off + 2 <= len && b[off] == 0xff && b[off + 1] == 0x03)
        off += 2;
    if (off >= len)
        return DDI_SKIP_TRUNCATED;
    if (b[off] & 1)
        return by_ppp_protocol(b, len, off + 1, b[off], out);
    if (off + 2 > len)
        return DDI_SKIP_TRUNCATED;
    return by_ppp_protocol(b, len, off + 2, rd16(b + off), out);
}

/* PPPoE session stage (RFC 2516): 6-byte header, then PPP (whose protocol
 * field may be compressed to one byte). */
static ddi_skip pppoe_session(const uint8_t *b, size_t len, size_t off, ddi_decap *out)
{
    out->encaps |= DDI_ENC_PPPOE;
    if (off + 6 > len)
        return DDI_SKIP_TRUNCATED;
    return ppp(b, len, off + 6, out);
}

/* 802.2 LLC: only SNAP (aa aa 03 + OUI + ethertype) carries IP. */
static ddi_skip llc(const uint8_t *b, size_t len, size_t off, ddi_decap *out, int depth)
{
    if (off + 3 > len)
        return DDI_SKIP_TRUNCATED;
    if (b[off] != 0xaa || b[off + 1] != 0xaa || b[off + 2] != 0x03)
        return DDI_SKIP_LLC;
    if (off + 8 > len)
        return DDI_SKIP_TRUNCATED;
    out->encaps |= DDI_ENC_SNAP;
    return by_ethertype(b, len, off + 8, rd16(b + off + 6), out, depth + 1);
}

static ddi_skip by_ethertype(const uint8_t *b, size_t len, size_t off, uint16_t type, ddi_decap *out, int depth)
{
    for (int tags = 0; tags <= MAX_TAGS && depth <= MAX_TUNNELS; tags++) {
        switch (type) {
        case ET_IPV4:
        case ET_IPV6: return found_ip(off, len, out);
        case ET_VLAN:
        case ET_QINQ:
        case ET_QINQ_OLD:
            out->encaps |= DDI_ENC_VLAN;
            if (off + 4 > len)
                return DDI_SKIP_TRUNCATED;
            type = rd16(b + off + 2);
            off += 4;
            if (type <= ETHER_MAX_LEN) /* 802.1Q over 802.3: a length, then LLC */
                return llc(b, len, off, out, depth);
            continue;
        case ET_MPLS:
        case ET_MPLS_MC: return mpls(b, len, off, out);
        case ET_PPPOE_SESSION: return pppoe_session(b, len, off, out);
        case ET_TEB: return ethernet(b, len, off, out, depth + 1);
        default: return not_ip(DETAIL_ETHERTYPE | type, out);
        }
    }
    return DDI_SKIP_TRUNCATED;
}

static ddi_skip ethernet(const uint8_t *b, size_t len, size_t off, ddi_decap *out, int depth)
{
    if (off + 14 > len)
        return DDI_SKIP_TRUNCATED;
    uint16_t type = rd16(b + off + 12);
    if (type <= ETHER_MAX_LEN)
        return llc(b, len, off + 14, out, depth);
    return by_ethertype(b, len, off + 14, type, out, depth);
}

/* DLT_NULL carries the family in the capturing host's byte order, DLT_LOOP
 * in network order; Wireshark swaps a value whose upper half is set, and a
 * value above 1500 is an ethertype. */
static ddi_skip null_loop(const uint8_t *b, size_t len, bool network_order, ddi_decap *out)
{
    if (len < 4)
        return DDI_SKIP_TRUNCATED;
    uint32_t v = rd32(b);
    if (!network_order && (v & 0xffff0000u))
        v = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24);
    if (!network_order && v > ETHER_MAX_LEN)
        return by_ethertype(b, len, 4, (uint16_t)v, out, 0);
    switch (v) {
    case BSD_AF_INET:
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN: return found_ip(4, len, out);
    default: return not_ip(DETAIL_FAMILY | (v & 0xffff), out);
    }
}

/* Linux cooked capture v1 (16-byte header, protocol last) and v2 (20 bytes,
 * protocol first). */
static ddi_skip sll(const uint8_t *b, size_t len, size_t hdr, uint16_t hatype, uint16_t proto, ddi_decap *out)
{
    if (hatype == ARPHRD_NETLINK)
        return not_ip(DETAIL_SLL | hatype, out);
    if (hatype == ARPHRD_IPGRE) /* the protocol is a GRE protocol type: the same numbers for IP */
        return by_ethertype(b, len, hdr, proto, out, 0);
    switch (proto) {
    case SLL_P_802_2: return llc(b, len, hdr, out, 0);
    case SLL_P_PPPHDLC: return ppp(b, len, hdr, out);
    default:
        if (proto <= ETHER_MAX_LEN)
            return not_ip(DETAIL_SLL | proto, out);
        return by_ethertype(b, len, hdr, proto, out, 0);
    }
}

static ddi_skip raw_ip(const uint8_t *b, size_t len, ddi_decap *out)
{
    if (!len)
        return DDI_SKIP_TRUNCATED;
    unsigned nibble = b[0] >> 4;
    if (nibble != 4 && nibble != 6)
        return not_ip(DETAIL_FAMILY | 0x100u | nibble, out);
    return found_ip(0, len, out);
}

ddi_skip ddi_decap_link(int linktype, const uint8_t *b, size_t len, ddi_decap *out)
{
    memset(out, 0, sizeof *out);
    ddi_skip r;
    switch (linktype) {
    case DDI_LT_ETHERNET: r = ethernet(b, len, 0, out, 0); break;
    case DDI_LT_NULL: r = null_loop(b, len, false, out); break;
    case DDI_LT_LOOP: r = null_loop(b, len, true, out); break;
    case DDI_LT_RAW:
    case DDI_LT_RAW_OPENBSD:
    case DDI_LT_RAW_LINKTYPE:
    case DDI_LT_IPV4:
    case DDI_LT_IPV6: r = raw_ip(b, len, out); break;
    case DDI_LT_PPP:
    case DDI_LT_PPP_HDLC:
        if (len && (b[0] == 0x0f || b[0] == 0x8f)) /* Cisco HDLC in a PPP_SERIAL file */
            r = len < 4 ? DDI_SKIP_TRUNCATED : by_ethertype(b, len, 4, rd16(b + 2), out, 0);
        else
            r = ppp(b, len, 0, out);
        break;
    case DDI_LT_PPP_ETHER: r = pppoe_session(b, len, 0, out); break;
    case DDI_LT_C_HDLC: r = len < 4 ? DDI_SKIP_TRUNCATED : by_ethertype(b, len, 4, rd16(b + 2), out, 0); break;
    case DDI_LT_LINUX_SLL: r = len < 16 ? DDI_SKIP_TRUNCATED : sll(b, len, 16, rd16(b + 2), rd16(b + 14), out); break;
    case DDI_LT_LINUX_SLL2: r = len < 20 ? DDI_SKIP_TRUNCATED : sll(b, len, 20, rd16(b + 8), rd16(b), out); break;
    default: r = DDI_SKIP_LINKTYPE; break;
    }
    out->skip = r;
    return r;
}

/* ------------------------------------------------------------------ tunnels */

/* Offset of the upper-layer header behind the IP header at `ip`, or 0. */
static size_t l4_offset(const uint8_t *ip, size_t end, const ddi_pkt *p)
{
    if (p->ver == 4) {
        size_t hl = (size_t)(ip[0] & 0x0f) * 4;
        return hl < end ? hl : 0;
    }
    /* IPv6: the extension headers ddi_pkt_parse() walks, to the same protocol */
    size_t off = 40;
    uint8_t nh = ip[6];
    for (int n = 0; n < 8 && nh != p->proto; n++) {
        if (off + 8 > end || nh == 44)
            return 0;
        size_t hl = nh == 51 ? ((size_t)ip[off + 1] + 2) * 4 : ((size_t)ip[off + 1] + 1) * 8;
        nh = ip[off];
        off += hl;
    }
    return nh == p->proto && off < end ? off : 0;
}

static size_t inner_ip(const uint8_t *b, size_t end, size_t off)
{
    if (off >= end)
        return 0;
    unsigned nibble = b[off] >> 4;
    return nibble == 4 || nibble == 6 ? off : 0;
}

/* An Ethernet frame (or a GRE protocol type) inside a tunnel: follow it to
 * IP, or give up on this level. */
static size_t inner_link(const uint8_t *b, size_t end, size_t off, uint16_t ethertype, unsigned *encaps)
{
    ddi_decap d;
    memset(&d, 0, sizeof d);
    ddi_skip r = ethertype ? by_ethertype(b, end, off, ethertype, &d, 1) : ethernet(b, end, off, &d, 1);
    if (r != DDI_SKIP_NONE)
        return 0;
    *encaps |= d.encaps;
    return d.ip_off;
}

/* GRE (RFC 2784/2890; version 1 is PPTP's enhanced GRE, RFC 2637). */
static size_t gre(const uint8_t *b, size_t end, size_t off, unsigned *encaps)
{
    if (off + 4 > end)
        return 0;
    uint16_t flags = rd16(b + off), proto = rd16(b + off + 2);
    unsigned ver = flags & 7;
    size_t hl = 4;
    if (ver == 0) {
        if (flags & 0x4000) /* source routing (RFC 1701): not followed */
            return 0;
        if (flags & 0x8000) hl += 4; /* checksum + reserved */
        if (flags & 0x2000) hl += 4; /* key */
        if (flags & 0x1000) hl += 4; /* sequence */
    } else if (ver == 1) {
        hl += 4;                     /* payload length + call id */
        if (flags & 0x1000) hl += 4;
        if (flags & 0x0080) hl += 4; /* acknowledgment */
    } else {
        return 0;
    }
    off += hl;
    if (off >= end)
        return 0;
    *encaps |= DDI_ENC_GRE;
    switch (proto) {
    case ET_IPV4:
    case ET_IPV6: return inner_ip(b, end, off);
    case ET_PPP: {
        ddi_decap d;
        memset(&d, 0, sizeof d);
        if (ppp(b, end, off, &d) != DDI_SKIP_NONE)
            return 0;
        *encaps |= d.encaps;
        return d.ip_off;
    }
    case ET_ERSPAN2: /* type II has a sequence number (S) and an 8-byte header; type I neither */
        return inner_link(b, end, off + ((flags & 0x1000) ? 8 : 0), 0, encaps);
    case ET_ERSPAN3: /* 12 bytes, +8 with the optional platform subheader (O bit) */
        if (off + 12 > end)
            return 0;
        return inner_link(b, end, off + 12 + ((b[off + 11] & 1) ? 8 : 0), 0, encaps);
    default: return inner_link(b, end, off, proto, encaps);
    }
}

/* GTP-U (3GPP TS 29.281): a G-PDU (type 255) of GTPv1 carries the user's
 * IP packet after the 8-byte header, its optional fields and extensions. */
static size_t gtpu(const uint8_t *b, size_t end, size_t off)
{
    if (off + 8 > end)
        return 0;
    uint8_t flags = b[off];
    if ((flags >> 5) != 1 || !(flags & 0x10) || b[off + 1] != 0xff)
        return 0;
    size_t hl = 8;
    if (flags & 0x07) {
        if (off + 12 > end)
            return 0;
        hl = 12;
        uint8_t next = (flags & 0x04) ? b[off + 11] : 0;
        for (int n = 0; next && n < 16; n++) {
            if (off + hl >= end)
                return 0;
            size_t ext = (size_t)b[off + hl] * 4;
            if (!ext || off + hl + ext > end)
                return 0;
            next = b[off + hl + ext - 1];
            hl += ext;
        }
    }
    return inner_ip(b, end, off + hl);
}

size_t ddi_decap_tunnel(const uint8_t *ip, size_t len, const ddi_pkt *p, unsigned *encaps)
{
    /* a fragment's payload is dissected only once reassembled (not here) */
    if (p->fragment || p->l4 == DDI_L4_TCP || p->l4 == DDI_L4_ICMP)
        return 0;
    size_t end = p->ip_len < len ? p->ip_len : len;
    if (end < 20 || (p->ver == 6 && end < 40))
        return 0;
    size_t off = l4_offset(ip, end, p);
    if (!off)
        return 0;
    switch (p->proto) {
    case IPPROTO_IPIP:
    case IPPROTO_IPV6_ENC: {
        size_t in = inner_ip(ip, end, off);
        if (in)
            *encaps |= DDI_ENC_IPIP;
        return in;
    }
    case IPPROTO_GRE_: return gre(ip, end, off, encaps);
    case IPPROTO_UDP_: {
        if (!p->l4_complete)
            return 0;
        size_t in = 0;
        if (p->udp_sport == PORT_GTPU || p->udp_dport == PORT_GTPU) {
            in = gtpu(ip, end, off + 8);
            if (in)
                *encaps |= DDI_ENC_GTPU;
        } else if (p->udp_sport == PORT_VXLAN || p->udp_dport == PORT_VXLAN) {
            if (off + 16 <= end && (ip[off + 8] & 0x08)) {
                in = inner_link(ip, end, off + 16, 0, encaps);
                if (in)
                    *encaps |= DDI_ENC_VXLAN;
            }
        }
        return in;
    }
    default: return 0;
    }
}

/* Wireshark's IPv4 dissector stops before the addresses when the total
 * length is below the header length (0 is TSO's "unknown" and accepted). */
static bool header_accepted(const uint8_t *ip, size_t len)
{
    if (len < 4 || ip[0] >> 4 != 4)
        return true;
    uint16_t total = rd16(ip + 2);
    return !total || total >= (size_t)(ip[0] & 0x0f) * 4;
}

bool ddi_decap_frame(int linktype, const uint8_t *frame, size_t caplen, double ts, ddi_decap *out, ddi_pkt *pkt)
{
    if (ddi_decap_link(linktype, frame, caplen, out) != DDI_SKIP_NONE)
        return false;
    if (!header_accepted(frame + out->ip_off, caplen - out->ip_off) ||
        !ddi_pkt_parse(frame + out->ip_off, caplen - out->ip_off, ts, pkt)) {
        out->skip = DDI_SKIP_BAD_IP;
        out->detail = DETAIL_FAMILY | 0x100u | (frame[out->ip_off] >> 4);
        return false;
    }
    /* Down to the innermost header that parses; an ICMP error's quoted
     * header is the error's evidence, not the packet to analyse. */
    for (int level = 0; level < MAX_TUNNELS; level++) {
        if (pkt->l4 == DDI_L4_ICMP && ddi_pkt_is_icmp_error(pkt->ver, pkt->icmp_type))
            break;
        size_t in = ddi_decap_tunnel(frame + out->ip_off, caplen - out->ip_off, pkt, &out->encaps);
        if (!in)
            break;
        ddi_pkt inner;
        if (!header_accepted(frame + out->ip_off + in, caplen - out->ip_off - in) ||
            !ddi_pkt_parse(frame + out->ip_off + in, caplen - out->ip_off - in, ts, &inner))
            break;
        *pkt = inner;
        out->ip_off += in;
    }
    pkt->encap = ddi_decap_core_encap(out->encaps);
    return true;
}

uint16_t ddi_decap_core_encap(unsigned encaps)
{
    /* the same first explanation of a reduced MSS as the plugin's glue
     * (packet-ddi.c frame_encap) derives from Wireshark's layers */
    static const struct {
        unsigned reader;
        uint16_t core;
    } map[] = {
        {DDI_ENC_VXLAN, DDI_ENCAP_VXLAN}, {DDI_ENC_GTPU, DDI_ENCAP_GTP},     {DDI_ENC_GRE, DDI_ENCAP_GRE},
        {DDI_ENC_IPIP, DDI_ENCAP_IPIP},   {DDI_ENC_MPLS, DDI_ENCAP_MPLS},    {DDI_ENC_PPPOE, DDI_ENCAP_PPPOE},
    };
    uint16_t bits = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (encaps & map[i].reader)
            bits |= map[i].core;
    return ddi_encap_bit(ddi_encap_code(bits));
}
