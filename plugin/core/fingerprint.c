/* fingerprint.c — p0f v3 SYN / SYN+ACK matching against a ddi_p0fdb.
 *
 * Rules reproduced from p0f 3.09b fp_tcp.c (tcp_find_match, detect_win_multi,
 * guess_dist, dump_sig); see fingerprint.h for the two deliberate changes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fingerprint.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DIST 35  /* p0f config.h MAX_DIST: farthest TTL distance for a non-fuzzy match */
#define MIN_TCP4 40  /* p0f tcp.h MIN_TCP4: IPv4 + TCP headers without options */
#define MIN_TCP6 60  /* p0f tcp.h MIN_TCP6: IPv6 + TCP headers without options */
#define SPECIAL_MSS 1331 /* p0f config.h SPECIAL_MSS: MSS of p0f-sendsyn probes */

/* The packet reduced to what signatures talk about (p0f packet_to_sig). */
typedef struct observed {
    uint8_t ver, ttl, olen;
    uint16_t mss;     /* 0 when there is no MSS option */
    uint16_t win;     /* raw window: SYNs are never scaled */
    uint8_t wscale;   /* 0 when there is no WS option */
    int8_t pclass;    /* 0 or 1 */
    uint32_t quirks;
    uint32_t ts1;     /* TSval, 0 when none */
    uint32_t tot_hdr; /* IP + TCP header bytes */
    uint8_t nopt, eol_pad;
    const uint8_t *olayout;
    uint32_t opt_hash;
} observed;

uint8_t ddi_fp_guess_ittl(uint8_t ttl)
{
    /* p0f fp_tcp.c guess_dist(): the next of 32/64/128/255 at or above ttl */
    if (ttl <= 32)
        return 32;
    if (ttl <= 64)
        return 64;
    if (ttl <= 128)
        return 128;
    return 255;
}

static void observe(const ddi_pkt *p, observed *o)
{
    const ddi_tcp *t = &p->tcp;
    o->ver = p->ver;
    o->ttl = p->ttl;
    o->olen = p->ver == 4 ? p->ip_opt_len : 0; /* p0f: always 0 for IPv6 */
    o->mss = t->has_mss ? t->mss : 0;
    o->win = t->win;
    o->wscale = t->has_ws ? t->ws : 0;
    o->pclass = t->payload_len ? 1 : 0;
    o->quirks = p->quirks;
    o->ts1 = t->has_ts ? t->tsval : 0;
    o->tot_hdr = (p->ver == 4 ? 20u + p->ip_opt_len : 40u) + t->hdr_len; /* p0f process.c tot_hdr */
    o->nopt = t->nopt;
    o->eol_pad = t->eol_pad;
    o->olayout = t->olayout;
    o->opt_hash = ddi_p0f_layout_hash(t->olayout, t->nopt);
}

bool ddi_fp_syn_key(const ddi_pkt *p, ddi_fp_key *k)
{
    if (!ddi_pkt_is_tcp(p) || !p->tcp.opts_complete ||
        (p->tcp.flags & (DDI_TH_SYN | DDI_TH_ACK | DDI_TH_RST | DDI_TH_FIN)) != DDI_TH_SYN)
        return false;
    observed o;
    observe(p, &o);
    memset(k, 0, sizeof *k);
    k->ver = o.ver;
    k->ttl = o.ttl;
    k->olen = o.olen;
    k->nopt = o.nopt;
    k->eol_pad = o.eol_pad;
    k->wscale = o.wscale;
    k->pclass = (uint8_t)o.pclass;
    k->has_ts1 = o.ts1 != 0; /* the value itself is never compared */
    k->mss = o.mss;
    k->win = o.win;
    k->tot_hdr = (uint16_t)o.tot_hdr;
    k->quirks = o.quirks;
    k->opt_hash = o.opt_hash;
    memcpy(k->olayout, o.olayout, o.nopt < DDI_MAX_OPTS ? o.nopt : DDI_MAX_OPTS);
    return true;
}

/* p0f fp_tcp.c detect_win_multi(): is the window a multiple of something the
 * stack may have derived it from?  Returns the multiplier, or -1; *use_mtu
 * tells whether it was an MTU (mtu*N) rather than an MSS (mss*N).  The order
 * of the checks matters and is p0f's. */
static int win_multiple(const observed *o, bool *use_mtu, uint16_t syn_mss)
{
    uint32_t win = o->win, mss = o->mss;
    *use_mtu = false;
    if (!win || mss < 100)
        return -1;

#define DIV_BY(d, mtu)                          \
    do {                                        \
        uint32_t d_ = (d);                      \
        if (d_ && win % d_ == 0) {              \
            *use_mtu = (mtu);                   \
            return (int)(win / d_);             \
        }                                       \
    } while (0)

    DIV_BY(mss, false);
    if (o->ts1) /* "some systems subtract 12 bytes when timestamps are in use" */
        DIV_BY(mss - 12, false);
    /* "MTU on the wrong interface": MSS of a 1500-byte link */
    DIV_BY(1500 - MIN_TCP4, false);
    DIV_BY(1500 - MIN_TCP4 - 12, false);
    if (o->ver == 6) {
        DIV_BY(1500 - MIN_TCP6, false);
        DIV_BY(1500 - MIN_TCP6 - 12, false);
    }
    /* "some systems use MTU instead of MSS" */
    DIV_BY(mss + MIN_TCP4, true);
    DIV_BY(mss + o->tot_hdr, true);
    if (o->ver == 6)
        DIV_BY(mss + MIN_TCP6, true);
    DIV_BY(1500, true);
    /* SYN+ACKs sized from the peer's MSS; p0f would divide by zero at 12 */
    if (syn_mss) {
        DIV_BY(syn_mss, false);
        if (syn_mss > 12)
            DIV_BY((uint32_t)syn_mss - 12, false);
    }
#undef DIV_BY
    return -1;
}

static bool window_ok(const ddi_tcp_sig *s, const observed *o, int multi, bool use_mtu)
{
    switch (s->win_kind) {
    case DDI_WIN_EXACT:
        return s->win == o->win;
    case DDI_WIN_MOD:
        return o->win % s->win == 0;
    case DDI_WIN_MSS:
        return !use_mtu && multi == s->win;
    case DDI_WIN_MTU:
        return use_mtu && multi == s->win;
    case DDI_WIN_ANY:
        break;
    }
    return true;
}

static bool ttl_explains(const ddi_tcp_sig *s, uint8_t ttl)
{
    if (s->bad_ttl) /* random TTL tools: anything up to the signature's TTL */
        return s->ttl >= ttl;
    return s->ttl >= ttl && s->ttl - ttl <= MAX_DIST;
}

/* The initial-TTL family a TTL belongs to (64, 128 or 255): stacks start at
 * one of these, and no path adds hops, so a TTL only ever falls within its
 * family.  A fuzzy match may stretch the distance within a family, never
 * across one: TTL 255 is no Linux (64) packet, TTL 60 no Windows (128) one. */
static uint8_t ttl_family(unsigned ttl) { return ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255; }

bool ddi_fp_same_ttl_family(uint8_t sig_ttl, uint8_t ttl)
{
    return sig_ttl >= ttl && ttl_family(sig_ttl) == ttl_family(ttl);
}

static void reset(ddi_fp_result *out, uint8_t ttl)
{
    memset(out, 0, sizeof *out);
    out->cls = out->name = out->flavor = out->file = out->sig = "";
    out->ittl = ddi_fp_guess_ittl(ttl);
    out->distance = out->ittl - ttl;
    out->excess_dist = out->distance > MAX_DIST;
}

static void fill(ddi_fp_result *out, const ddi_tcp_sig *s, ddi_match_kind kind, uint8_t ttl)
{
    out->kind = kind;
    out->cls = s->cls;
    out->name = s->name;
    out->flavor = s->flavor;
    out->userland = s->userland;
    out->generic = s->generic;
    out->file = s->file;
    out->line = s->line;
    out->sig = s->text;
    out->random_ttl = s->bad_ttl;
    if (ttl_explains(s, ttl)) {
        out->ittl = s->ttl;
        out->distance = s->ttl - ttl;
        out->excess_dist = out->distance > MAX_DIST; /* only for random-TTL sigs */
    } else if (ddi_fp_same_ttl_family(s->ttl, ttl)) {
        /* a fuzzy match farther than MAX_DIST within the signature's family:
         * state the signature's initial TTL, so that TTL, initial TTL and
         * distance agree with each other (p0f keeps its guess here) */
        out->ittl = s->ttl;
        out->distance = s->ttl - ttl;
        out->excess_dist = true;
    } else {
        out->excess_dist = true;
    }
}

/* Options cut short by the capture (not by the sender) give a layout that
 * says nothing about the sender. */
static bool options_truncated(const ddi_pkt *p)
{
    return !p->tcp.opts_complete && !(p->quirks & DDI_Q_OPT_BAD);
}

const char *ddi_match_name(ddi_match_kind k)
{
    switch (k) {
    case DDI_MATCH_EXACT: return "exact";
    case DDI_MATCH_GENERIC: return "generic";
    case DDI_MATCH_FUZZY: return "fuzzy";
    case DDI_MATCH_HEURISTIC: return "heuristic";
    default: return "none";
    }
}

bool ddi_fp_match_ex(const ddi_p0fdb *db, const ddi_pkt *p, uint16_t peer_syn_mss, ddi_fp_result *out)
{
    reset(out, p->ttl);
    if (!db || !ddi_pkt_is_tcp(p) || options_truncated(p))
        return false;

    uint16_t f = p->tcp.flags & (DDI_TH_SYN | DDI_TH_ACK | DDI_TH_RST | DDI_TH_FIN);
    bool response;
    if (f == DDI_TH_SYN)
        response = false;
    else if (f == (DDI_TH_SYN | DDI_TH_ACK))
        response = true;
    else
        return false;

    observed o;
    observe(p, &o);
    bool use_mtu;
    int multi = win_multiple(&o, &use_mtu, response ? peer_syn_mss : 0);

    size_t n;
    const ddi_tcp_sig *v = ddi_p0fdb_bucket(db, response, o.opt_hash, &n);
    const ddi_tcp_sig *gmatch = NULL, *fmatch = NULL;

    for (size_t i = 0; i < n; i++) {
        const ddi_tcp_sig *s = &v[i];
        bool fuzzy = false;

        if (s->opt_hash != o.opt_hash || s->nopt != o.nopt ||
            memcmp(s->olayout, o.olayout, o.nopt) != 0)
            continue;
        if (s->ver != -1 && s->ver != o.ver) /* see fingerprint.h: p0f skips this */
            continue;

        /* p0f: a version-neutral sig loses the quirks the packet's IP
         * version cannot have */
        uint32_t sq = s->quirks;
        if (s->ver == -1)
            sq &= o.ver == 4 ? ~(uint32_t)DDI_Q_FLOW
                             : ~(uint32_t)(DDI_Q_DF | DDI_Q_NZ_ID | DDI_Q_ZERO_ID);
        if (sq != o.quirks) {
            uint32_t gone = (sq ^ o.quirks) & sq, added = (sq ^ o.quirks) & o.quirks;
            /* p0f: only df/id+ may vanish and id-/ecn appear; and once a fuzzy
             * candidate exists, quirk-fuzzy ones are not even considered */
            if (fmatch || (gone & ~(uint32_t)(DDI_Q_DF | DDI_Q_NZ_ID)) ||
                (added & ~(uint32_t)(DDI_Q_ZERO_ID | DDI_Q_ECN)))
                continue;
            fuzzy = true;
        }

        if (s->eol_pad != o.eol_pad || s->olen != o.olen)
            continue;

        if (s->bad_ttl) {
            if (s->ttl < o.ttl)
                continue;
        } else if (!ttl_explains(s, o.ttl)) {
            if (!ddi_fp_same_ttl_family(s->ttl, o.ttl))
                continue; /* never fuzzy across initial-TTL families (ttl_family) */
            fuzzy = true;
        }

        if (s->mss != -1 && s->mss != o.mss)
            continue;
        if (s->wscale != -1 && s->wscale != o.wscale)
            continue;
        if (s->pclass != -1 && s->pclass != o.pclass)
            continue;
        if (!window_ok(s, &o, multi, use_mtu))
            continue;

        if (!fuzzy) {
            if (!s->generic) {
                fill(out, s, DDI_MATCH_EXACT, o.ttl);
                return true;
            }
            if (!gmatch)
                gmatch = s;
        } else if (!fmatch) {
            fmatch = s;
        }
    }

    if (gmatch) {
        fill(out, gmatch, DDI_MATCH_GENERIC, o.ttl);
        return true;
    }
    if (fmatch && !fmatch->userland) { /* p0f: no fuzzy matching for userland tools */
        fill(out, fmatch, DDI_MATCH_FUZZY, o.ttl);
        return true;
    }
    return false;
}

bool ddi_fp_match(const ddi_p0fdb *db, const ddi_pkt *p, ddi_fp_result *out)
{
    return ddi_fp_match_ex(db, p, 0, out);
}

/* ---------------------------------------------------------------------------
 * raw_sig text (p0f fp_tcp.c dump_sig)
 */

typedef struct outbuf {
    char *b;
    size_t len, pos;
} outbuf;

/* Plain appenders: the raw signature is built for every SYN shown, and a
 * vsnprintf per piece cost more than the matching itself. */
static void put_s(outbuf *ob, const char *s)
{
    while (*s && ob->pos + 1 < ob->len)
        ob->b[ob->pos++] = *s++;
    ob->b[ob->pos] = '\0';
}

static void put_u(outbuf *ob, unsigned v)
{
    char d[10];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < 10);
    while (n && ob->pos + 1 < ob->len)
        ob->b[ob->pos++] = d[--n];
    ob->b[ob->pos] = '\0';
}

void ddi_fp_raw_sig(const ddi_pkt *p, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = '\0';
    if (!ddi_pkt_is_tcp(p))
        return;

    outbuf ob = {buf, len, 0};
    observed o;
    observe(p, &o);
    unsigned dist = (unsigned)(ddi_fp_guess_ittl(o.ttl) - o.ttl);

    put_u(&ob, o.ver);
    put_s(&ob, ":");
    put_u(&ob, o.ttl);
    put_s(&ob, "+");
    if (dist > MAX_DIST)
        put_s(&ob, "?");
    else
        put_u(&ob, dist);
    put_s(&ob, ":");
    put_u(&ob, o.olen);
    put_s(&ob, ":");

    /* p0f suggests a wildcard when a SYN+ACK echoes p0f-sendsyn's MSS */
    bool synack = (p->tcp.flags & (DDI_TH_SYN | DDI_TH_ACK)) == (DDI_TH_SYN | DDI_TH_ACK);
    if (synack && o.mss == SPECIAL_MSS)
        put_s(&ob, "*");
    else
        put_u(&ob, o.mss);
    put_s(&ob, ":");

    bool use_mtu;
    int m = win_multiple(&o, &use_mtu, 0);
    if (m > 0) {
        put_s(&ob, use_mtu ? "mtu*" : "mss*");
        put_u(&ob, (unsigned)m);
    } else {
        put_u(&ob, o.win);
    }
    put_s(&ob, ",");
    put_u(&ob, o.wscale);
    put_s(&ob, ":");

    for (unsigned i = 0; i < o.nopt; i++) {
        uint8_t k = o.olayout[i];
        const char *name = ddi_p0f_opt_name(k);
        if (i)
            put_s(&ob, ",");
        if (k == DDI_OPT_EOL) {
            put_s(&ob, "eol+");
            put_u(&ob, o.eol_pad);
        } else if (name) {
            put_s(&ob, name);
        } else {
            put_s(&ob, "?");
            put_u(&ob, k);
        }
    }
    put_s(&ob, ":");

    bool first = true;
    for (unsigned b = 0; ddi_p0f_quirk_name(b); b++) {
        if (o.quirks & (1u << b)) {
            if (!first)
                put_s(&ob, ",");
            put_s(&ob, ddi_p0f_quirk_name(b));
            first = false;
        }
    }
    put_s(&ob, ":");
    put_s(&ob, o.pclass ? "+" : "0");
}
