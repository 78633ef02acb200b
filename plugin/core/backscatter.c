/* backscatter.c — backscatter classes and the victim they point at.
 *
 * Semantics of CAIDA corsaro3 (docs/references.md#backscatter), with these decisions:
 *  1. TCP: SYN+ACK is backscatter only without FIN and RST, and RST only
 *     without SYN and FIN.  corsaro3 tests `(syn && ack) || rst`, which also
 *     takes the all-flags packet and SYN+RST/SYN+FIN oddities; those are
 *     crafted (docs/references.md R20: corsaro3's own `spoofed` class),
 *     not replies.
 *  2. ICMP errors: the victim is the quoted destination and its port the
 *     quoted destination port (corsaro_dos.c process_icmp_packet()), but only
 *     when the quoted source is this packet's destination, i.e. the quoted
 *     packet was forged with the darknet address.  Otherwise the packet keeps
 *     its class (corsaro3 still counts it, as a "mismatch") and no victim is
 *     claimed: the quoted packet was not ours to begin with (a decoy, a NAT
 *     rewriting addresses, or a misdelivered error).  corsaro3 falls back to
 *     the outer source when the quote is missing; that is the router that
 *     sent the error, not the victim, so we leave the victim unclaimed too.
 *  3. ICMPv6 is handled like ICMP: errors 1-4 (RFC 4443 §3) and echo
 *     reply 129 (RFC 4443 §4.2).
 *  4. UDP is never backscatter (corsaro_is_backscatter_packet(): "don't have
 *     a way to recognise UDP backscatter right now").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "backscatter.h"

#include <string.h>

#include "strbuf.h"

static void fill_quote(const ddi_pkt *p, ddi_bs_result *r)
{
    if (!p->has_quote) {
        r->no_quote = true;
        return;
    }
    const ddi_quote *q = &p->quote;
    r->quoted_src = q->src;
    r->quoted_dst = q->dst;
    r->proto = q->proto;
    if (!ddi_addr_eq(&q->src, &p->dst)) {
        r->quote_mismatch = true;
        return;
    }
    /* corsaro_dos.c process_icmp_packet(): target = inner ip_dst, ports = first 4 bytes */
    r->from_quote = true;
    r->victim_known = true;
    r->victim = q->dst;
    if (q->has_ports && (q->proto == 6 || q->proto == 17)) {
        r->has_port = true;
        r->victim_port = q->dport;
        r->has_spoofed_port = true;
        r->spoofed_port = q->sport;
    }
}

static ddi_bs_kind icmp_kind(uint8_t proto, uint8_t type)
{
    if (proto == 1) {
        switch (type) {
        case 0: return DDI_BS_ECHO_REPLY;                          /* RFC 792 echo reply */
        case 14: case 16: case 18: return DDI_BS_ICMP_OTHER_REPLY; /* timestamp/info/mask replies */
        case 3: return DDI_BS_ICMP_UNREACH;
        case 11: return DDI_BS_ICMP_TIMEX;
        case 4: case 5: case 12: return DDI_BS_ICMP_OTHER_ERR;     /* quench, redirect, param problem */
        default: return DDI_BS_NONE;
        }
    }
    if (proto == 58) {
        switch (type) {
        case 129: return DDI_BS_ECHO_REPLY; /* RFC 4443 §4.2 */
        case 1: return DDI_BS_ICMP_UNREACH; /* RFC 4443 §3.1 */
        case 3: return DDI_BS_ICMP_TIMEX;   /* §3.3 */
        case 2: case 4: return DDI_BS_ICMP_OTHER_ERR; /* packet too big, parameter problem */
        default: return DDI_BS_NONE;
        }
    }
    return DDI_BS_NONE;
}

bool ddi_backscatter_classify(const ddi_pkt *p, ddi_bs_result *out)
{
    ddi_bs_result r;
    memset(&r, 0, sizeof r);

    if (p && p->l4 == DDI_L4_TCP && p->l4_complete) {
        uint16_t f = p->tcp.flags;
        bool syn = f & DDI_TH_SYN, ack = f & DDI_TH_ACK, rst = f & DDI_TH_RST, fin = f & DDI_TH_FIN;
        /* corsaro3 libcorsaro_plugin.c: (syn && ack) || rst, minus SYN+FIN / SYN+RST combinations */
        if (syn && ack && !fin && !rst)
            r.kind = DDI_BS_SYNACK;
        else if (rst && !syn && !fin)
            r.kind = ack ? DDI_BS_RSTACK : DDI_BS_RST;
        if (r.kind != DDI_BS_NONE) {
            /* corsaro_dos.c: target = ip src, target port = sport, attacker port = dport */
            r.victim = p->src;
            r.victim_known = true;
            r.has_port = true;
            r.victim_port = p->tcp.sport;
            r.has_spoofed_port = true;
            r.spoofed_port = p->tcp.dport;
            r.proto = 6;
            r.responder = p->src;
        }
    } else if (p && p->l4 == DDI_L4_ICMP && p->l4_complete) {
        r.kind = icmp_kind(p->proto, p->icmp_type);
        if (r.kind != DDI_BS_NONE) {
            r.responder = p->src;
            if (r.kind == DDI_BS_ECHO_REPLY || r.kind == DDI_BS_ICMP_OTHER_REPLY) {
                /* the victim answered a request forged with our address */
                r.victim = p->src;
                r.victim_known = true;
                r.proto = p->proto;
            } else {
                fill_quote(p, &r);
            }
        }
    }
    if (out)
        *out = r;
    return r.kind != DDI_BS_NONE;
}

const char *ddi_backscatter_name(ddi_bs_kind k)
{
    switch (k) {
    case DDI_BS_NONE: return "none";
    case DDI_BS_SYNACK: return "SYN-ACK";
    case DDI_BS_RST: return "RST";
    case DDI_BS_RSTACK: return "RST-ACK";
    case DDI_BS_ICMP_UNREACH: return "ICMP unreachable";
    case DDI_BS_ICMP_TIMEX: return "ICMP time exceeded";
    case DDI_BS_ICMP_OTHER_ERR: return "ICMP error";
    case DDI_BS_ECHO_REPLY: return "echo reply";
    case DDI_BS_ICMP_OTHER_REPLY: return "ICMP reply";
    case DDI_BS__COUNT: break;
    }
    return "?";
}

/* ---------------------------------------------------------------- evidence */


static void sb_addr(ddi_sb *s, const ddi_addr *a)
{
    char tmp[64];
    ddi_addr_str(a, tmp, sizeof tmp);
    if (a->family == 6)
        ddi_sb_add(s, "[%s]", tmp);
    else
        ddi_sb_add(s, "%s", tmp);
}

static const char *proto_name(uint8_t proto)
{
    switch (proto) {
    case 1: return "ICMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 58: return "ICMPv6";
    default: return "IP";
    }
}

static const char *reply_name(uint8_t proto, uint8_t type)
{
    if (proto == 58)
        return "echo reply";
    switch (type) {
    case 0: return "echo reply";
    case 14: return "timestamp reply";
    case 16: return "information reply";
    case 18: return "address-mask reply";
    default: return "reply";
    }
}

void ddi_backscatter_evidence(const ddi_bs_result *r, const ddi_pkt *p, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = '\0';
    if (!r || !p)
        return;
    ddi_sb s = ddi_sb_on(buf, len);

    switch (r->kind) {
    case DDI_BS_NONE:
    case DDI_BS__COUNT:
        ddi_sb_add(&s, "not backscatter");
        return;
    case DDI_BS_SYNACK:
    case DDI_BS_RST:
    case DDI_BS_RSTACK:
        ddi_sb_add(&s, "%s from ", ddi_backscatter_name(r->kind));
        sb_addr(&s, &r->victim);
        ddi_sb_add(&s, ":%u to darknet port %u: the victim %s a TCP packet forged with this address as source "
                   "(corsaro3 libcorsaro_plugin.c corsaro_is_backscatter_packet; corsaro_dos.c)",
               r->victim_port, r->spoofed_port,
               r->kind == DDI_BS_SYNACK ? "accepted (open port)" : "refused");
        return;
    case DDI_BS_ECHO_REPLY:
    case DDI_BS_ICMP_OTHER_REPLY:
        ddi_sb_add(&s, "%s %s (type %u) from ", p->proto == 58 ? "ICMPv6" : "ICMP", reply_name(p->proto, p->icmp_type),
               p->icmp_type);
        sb_addr(&s, &r->victim);
        ddi_sb_add(&s, ": the victim answered a request forged with this address as source "
                   "(corsaro3 libcorsaro_plugin.c corsaro_is_backscatter_packet)");
        return;
    case DDI_BS_ICMP_UNREACH:
    case DDI_BS_ICMP_TIMEX:
    case DDI_BS_ICMP_OTHER_ERR:
        break;
    }

    ddi_sb_add(&s, "%s type %u code %u (%s) from ", p->proto == 58 ? "ICMPv6" : "ICMP", p->icmp_type, p->icmp_code,
           ddi_backscatter_name(r->kind));
    sb_addr(&s, &r->responder);
    if (r->no_quote) {
        ddi_sb_add(&s, " without a quoted header: the victim is unknown");
        return;
    }
    const ddi_quote *q = &p->quote;
    ddi_sb_add(&s, ", quoting %s ", proto_name(q->proto));
    sb_addr(&s, &q->src);
    if (q->has_ports)
        ddi_sb_add(&s, ":%u", q->sport);
    ddi_sb_add(&s, " -> ");
    sb_addr(&s, &q->dst);
    if (q->has_ports)
        ddi_sb_add(&s, ":%u", q->dport);
    if (r->quote_mismatch) {
        ddi_sb_add(&s, "; the quoted source is not this packet's destination ");
        sb_addr(&s, &p->dst);
        ddi_sb_add(&s, ", so the quoted packet was not sent from this address (decoy, NAT or misdelivery): "
                   "no victim claimed (corsaro3 corsaro_dos.c counts a mismatch)");
        return;
    }
    ddi_sb_add(&s, "; the quoted packet was forged with this address as source, so the victim is ");
    sb_addr(&s, &r->victim);
    if (r->has_port)
        ddi_sb_add(&s, " port %u", r->victim_port);
    ddi_sb_add(&s, " (corsaro3 plugins/corsaro_dos.c process_icmp_packet)");
}

/* ------------------------------------------------- what the capture shows */

/* The reply type an ICMP request asks for (tags its key), or -1. */
static int icmp_reply_type(uint8_t ver, uint8_t type)
{
    if (ver == 6)
        return type == 128 ? 129 : -1; /* RFC 4443 §4.1 */
    switch (type) {
    case 8: return 0;   /* echo (RFC 792) */
    case 13: return 14; /* timestamp */
    case 15: return 16; /* information */
    case 17: return 18; /* address mask (RFC 950) */
    default: return -1;
    }
}

static bool has_tcp(const ddi_seen_set *set, const ddi_addr *src, const ddi_addr *dst, uint16_t sport,
                    uint16_t dport, bool with_bs, ddi_bs_seen *how)
{
    if (ddi_seen_has(set, ddi_seen_key(DDI_SEEN_TCP_SYN, 0, src, dst, sport, dport))) {
        *how = DDI_BS_SEEN_ANSWERS_SYN;
        return true;
    }
    if (ddi_seen_has(set, ddi_seen_key(DDI_SEEN_TCP, 0, src, dst, sport, dport)) ||
        (with_bs && ddi_seen_has(set, ddi_seen_key(DDI_SEEN_TCP_BS, 0, src, dst, sport, dport)))) {
        *how = DDI_BS_SEEN_ANSWERS_PKT;
        return true;
    }
    return false;
}

/* The quoted packet answers a flow its destination opened: the TCP or UDP
 * flow in the other direction was seen sent. */
static bool quoted_reply(const ddi_seen_set *set, const ddi_quote *q)
{
    ddi_bs_seen how;
    if (!q->has_ports)
        return false;
    if (q->proto == 6)
        return has_tcp(set, &q->dst, &q->src, q->dport, q->sport, false, &how);
    if (q->proto == 17)
        return ddi_seen_has(set, ddi_seen_key(DDI_SEEN_UDP, 0, &q->dst, &q->src, q->dport, q->sport));
    return false;
}

static ddi_bs_seen quoted_seen(const ddi_seen_set *set, const ddi_quote *q)
{
    ddi_bs_seen how;
    if (q->proto == 6 && q->has_ports)
        return has_tcp(set, &q->src, &q->dst, q->sport, q->dport, true, &how) ? DDI_BS_SEEN_QUOTES_SENT
                                                                            : DDI_BS_SEEN_NONE;
    if (q->proto == 17 && q->has_ports)
        return ddi_seen_has(set, ddi_seen_key(DDI_SEEN_UDP, 0, &q->src, &q->dst, q->sport, q->dport))
                   ? DDI_BS_SEEN_QUOTES_SENT
                   : DDI_BS_SEEN_NONE;
    if (q->has_icmp) {
        int reply = icmp_reply_type(q->ver, q->icmp_type);
        return reply >= 0 && ddi_seen_has(set, ddi_seen_key(DDI_SEEN_ICMP_REQ, (uint8_t)reply, &q->src, &q->dst,
                                                            q->icmp_id, q->icmp_seq))
                   ? DDI_BS_SEEN_QUOTES_SENT
                   : DDI_BS_SEEN_NONE;
    }
    if (q->proto != 6 && q->proto != 17 && q->proto != 1 && q->proto != 58)
        return ddi_seen_has(set, ddi_seen_key(DDI_SEEN_PROTO, 0, &q->src, &q->dst, q->proto, 0))
                   ? DDI_BS_SEEN_QUOTES_SENT
                   : DDI_BS_SEEN_NONE;
    return DDI_BS_SEEN_NONE; /* no ports quoted: nothing to match */
}

ddi_bs_seen ddi_backscatter_seen(const ddi_seen_set *set, const ddi_pkt *p, const ddi_bs_result *cls,
                                 const ddi_bs_gate *gate)
{
    if (!set || !p || !gate)
        return DDI_BS_SEEN_NONE;
    ddi_bs_seen how = DDI_BS_SEEN_NONE;
    if (ddi_pkt_is_tcp(p)) {
        if (ddi_pkt_is_syn(p))
            return DDI_BS_SEEN_NONE; /* a SYN opens; it answers nothing */
        const ddi_tcp *t = &p->tcp;
        /* the other side sent in this connection first: the reply answers it */
        if (gate->dst_sent && has_tcp(set, &p->dst, &p->src, t->dport, t->sport, true, &how))
            return how;
        /* an RST closing a connection its sender took part in (a client's
         * abort, a scanner host's kernel answering a SYN-ACK to its raw SYN):
         * its earlier packets there were no backscatter themselves */
        if (cls && (cls->kind == DDI_BS_RST || cls->kind == DDI_BS_RSTACK) && gate->src_sent_tcp &&
            has_tcp(set, &p->src, &p->dst, t->sport, t->dport, false, &how))
            return DDI_BS_SEEN_OWN_CONN;
        return DDI_BS_SEEN_NONE;
    }
    if (p->l4 == DDI_L4_UDP && p->l4_complete)
        return gate->dst_sent && ddi_seen_has(set, ddi_seen_key(DDI_SEEN_UDP, 0, &p->dst, &p->src, p->udp_dport,
                                                                p->udp_sport))
                   ? DDI_BS_SEEN_ANSWERS_PKT
                   : DDI_BS_SEEN_NONE;
    if (p->l4 != DDI_L4_ICMP || !p->l4_complete || !cls)
        return DDI_BS_SEEN_NONE;
    switch (cls->kind) {
    case DDI_BS_ECHO_REPLY:
    case DDI_BS_ICMP_OTHER_REPLY:
        return gate->dst_sent && ddi_seen_has(set, ddi_seen_key(DDI_SEEN_ICMP_REQ, p->icmp_type, &p->dst, &p->src,
                                                                p->icmp_id, p->icmp_seq))
                   ? DDI_BS_SEEN_ANSWERS_REQ
                   : DDI_BS_SEEN_NONE;
    case DDI_BS_ICMP_UNREACH:
    case DDI_BS_ICMP_TIMEX:
    case DDI_BS_ICMP_OTHER_ERR:
        if (!p->has_quote)
            return DDI_BS_SEEN_NONE;
        how = gate->quoted_src_sent ? quoted_seen(set, &p->quote) : DDI_BS_SEEN_NONE;
        if (how == DDI_BS_SEEN_NONE && gate->quoted_dst_sent_flow && quoted_reply(set, &p->quote))
            how = DDI_BS_SEEN_QUOTES_REPLY;
        return how;
    default:
        return DDI_BS_SEEN_NONE;
    }
}

/* The key ddi_backscatter_record() stores for a packet; false when it
 * stores none. */
static bool record_key(const ddi_pkt *p, bool backscatter, uint64_t *key)
{
    if (ddi_pkt_is_tcp(p)) {
        ddi_seen_kind k = ddi_pkt_is_syn(p) ? DDI_SEEN_TCP_SYN : backscatter ? DDI_SEEN_TCP_BS : DDI_SEEN_TCP;
        *key = ddi_seen_key(k, 0, &p->src, &p->dst, p->tcp.sport, p->tcp.dport);
    } else if (p->l4 == DDI_L4_UDP && p->l4_complete) {
        *key = ddi_seen_key(DDI_SEEN_UDP, 0, &p->src, &p->dst, p->udp_sport, p->udp_dport);
    } else if (p->l4 == DDI_L4_ICMP && p->l4_complete) {
        int reply = icmp_reply_type(p->ver, p->icmp_type);
        if (reply < 0)
            return false;
        *key = ddi_seen_key(DDI_SEEN_ICMP_REQ, (uint8_t)reply, &p->src, &p->dst, p->icmp_id, p->icmp_seq);
    } else if (p->l4 == DDI_L4_OTHER && !p->fragment) {
        *key = ddi_seen_key(DDI_SEEN_PROTO, 0, &p->src, &p->dst, p->proto, 0);
    } else {
        return false;
    }
    return true;
}

void ddi_backscatter_record(ddi_seen_set *set, const ddi_pkt *p, bool backscatter)
{
    uint64_t key;
    if (set && p && p->ver && record_key(p, backscatter, &key))
        ddi_seen_add_later(set, key);
}

bool ddi_backscatter_seen_two_way(ddi_bs_seen s)
{
    return s != DDI_BS_SEEN_NONE && s != DDI_BS_SEEN_OWN_CONN && s < DDI_BS_SEEN__COUNT;
}

const char *ddi_backscatter_seen_name(ddi_bs_seen s)
{
    switch (s) {
    case DDI_BS_SEEN_ANSWERS_SYN: return "answers a SYN seen earlier";
    case DDI_BS_SEEN_ANSWERS_PKT: return "answers a packet seen earlier";
    case DDI_BS_SEEN_OWN_CONN: return "RST in its sender's own connection";
    case DDI_BS_SEEN_QUOTES_SENT: return "ICMP error about a packet seen sent";
    case DDI_BS_SEEN_ANSWERS_REQ: return "reply to a request seen earlier";
    case DDI_BS_SEEN_QUOTES_REPLY: return "ICMP error about a reply to a packet seen sent";
    default: return "nothing seen";
    }
}

void ddi_backscatter_seen_evidence(ddi_bs_seen s, const ddi_bs_result *cls, const ddi_pkt *p, char *buf,
                                   size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = '\0';
    if (!cls || !p || s == DDI_BS_SEEN_NONE || s >= DDI_BS_SEEN__COUNT)
        return;
    ddi_sb b = ddi_sb_on(buf, len);
    const char *what = cls->kind != DDI_BS_NONE ? ddi_backscatter_name(cls->kind) : "packet";
    ddi_sb_add(&b, "%s from ", what);
    sb_addr(&b, &p->src);
    if (ddi_pkt_is_tcp(p))
        ddi_sb_add(&b, ":%u", p->tcp.sport);
    else if (p->l4 == DDI_L4_UDP)
        ddi_sb_add(&b, ":%u", p->udp_sport);
    switch (s) {
    case DDI_BS_SEEN_ANSWERS_SYN:
    case DDI_BS_SEEN_ANSWERS_PKT:
        ddi_sb_add(&b, " answers the %s ", s == DDI_BS_SEEN_ANSWERS_SYN ? "SYN" : "packets");
        sb_addr(&b, &p->dst);
        if (ddi_pkt_is_tcp(p))
            ddi_sb_add(&b, ":%u", p->tcp.dport);
        else if (p->l4 == DDI_L4_UDP)
            ddi_sb_add(&b, ":%u", p->udp_dport);
        ddi_sb_add(&b, " sent to it earlier in this capture");
        break;
    case DDI_BS_SEEN_OWN_CONN:
        ddi_sb_add(&b, " closes a connection in which it sent packets earlier in this capture (a client's abort, "
                       "or a scanner host's kernel refusing an answer to a raw-socket SYN)");
        break;
    case DDI_BS_SEEN_QUOTES_SENT:
        ddi_sb_add(&b, " is about a packet seen sent earlier in this capture (");
        sb_addr(&b, &p->quote.src);
        ddi_sb_add(&b, " -> ");
        sb_addr(&b, &p->quote.dst);
        ddi_sb_add(&b, "): the sender of the error, not the quoted destination, answered the capture's own traffic "
                       "(e.g. a router answering traceroute)");
        break;
    case DDI_BS_SEEN_QUOTES_REPLY:
        ddi_sb_add(&b, " is about a packet (");
        sb_addr(&b, &p->quote.src);
        ddi_sb_add(&b, ":%u -> ", p->quote.sport);
        sb_addr(&b, &p->quote.dst);
        ddi_sb_add(&b, ":%u) that answers one seen sent the other way earlier in this capture (e.g. a late answer "
                       "to a closed socket)",
                   p->quote.dport);
        break;
    case DDI_BS_SEEN_ANSWERS_REQ:
        ddi_sb_add(&b, " answers the request ");
        sb_addr(&b, &p->dst);
        ddi_sb_add(&b, " sent earlier in this capture (id %u, seq %u)", p->icmp_id, p->icmp_seq);
        break;
    default:
        break;
    }
    ddi_sb_add(&b, ": an observed exchange, not backscatter");
}
