/* summary.c — the whole source: accumulation, verdicts, writers.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "summary.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "hash.h"
#include "mss.h"
#include "nat.h"
#include "sort.h"
#include "state.h"
#include "strbuf.h"

/* ------------------------------------------------------------------ numbers without the locale */

char *ddi_fmt_fixed(char *buf, size_t len, double v, int decimals)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "0");
        return buf;
    }
    if (decimals > 9)
        decimals = 9;
    double scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    double r = round(fabs(v) * scale);
    if (r > 9e18) { /* beyond int64: no fraction worth printing */
        snprintf(buf, len, "%s%.0f", v < 0 ? "-" : "", fabs(v));
        return buf;
    }
    uint64_t n = (uint64_t)r;
    /* digits from the right, two at a time, without printf: the JSON report
     * writes several numbers for each of millions of sources */
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char tmp[48];
    char *p = tmp + sizeof tmp;
    *--p = 0;
    int d = decimals > 0 ? decimals : 0;
    char *end = p;
    while (n >= 100) {
        unsigned two = (unsigned)(n % 100);
        n /= 100;
        *--p = pairs[2 * two + 1];
        *--p = pairs[2 * two];
    }
    if (n >= 10) {
        *--p = pairs[2 * n + 1];
        *--p = pairs[2 * n];
    } else {
        *--p = (char)('0' + n);
    }
    while (end - p < d + 1) /* at least one digit before the point */
        *--p = '0';
    if (d) { /* the point goes d digits from the right */
        memmove(p - 1, p, (size_t)(end - d - p));
        p--;
        end[-d - 1] = '.';
    }
    if (v < 0 && r)
        *--p = '-';
    size_t l = (size_t)(tmp + sizeof tmp - 1 - p);
    if (!len)
        return buf;
    if (l >= len)
        l = len - 1;
    memcpy(buf, p, l);
    buf[l] = 0;
    return buf;
}

/* ------------------------------------------------------------------ sketches and labels */

void ddi_sketch_add(uint64_t *sketch, const uint8_t *bytes, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a offset basis */
    for (size_t i = 0; i < n; i++)
        h = (h ^ bytes[i]) * 1099511628211ULL;
    *sketch |= 1ULL << (ddi_mix64(h) & (DDI_SKETCH_BITS - 1));
}

uint32_t ddi_sketch_estimate(uint64_t sketch, bool *at_least)
{
    int set = 0;
    for (uint64_t s = sketch; s; s &= s - 1)
        set++;
    *at_least = set == DDI_SKETCH_BITS;
    if (*at_least)
        return DDI_SKETCH_BITS;
    double est = -(double)DDI_SKETCH_BITS * log((double)(DDI_SKETCH_BITS - set) / DDI_SKETCH_BITS);
    uint32_t n = (uint32_t)lround(est);
    return n < (uint32_t)set ? (uint32_t)set : n;
}

uint8_t ddi_summary_label_id(ddi_summary_labels *t, const char *label)
{
    uint32_t h = ddi_fnv1a(DDI_FNV1A_INIT, (const uint8_t *)label, strlen(label));
    for (uint32_t i = 0; i < sizeof t->slot; i++) {
        uint32_t k = (h + i) & (sizeof t->slot - 1);
        uint8_t id = t->slot[k];
        if (!id) {
            if (t->count >= DDI_LABELS_MAX)
                return 0;
            snprintf(t->text[t->count], sizeof t->text[0], "%s", label);
            t->slot[k] = ++t->count;
            return t->count;
        }
        if (!strncmp(t->text[id - 1], label, sizeof t->text[0] - 1))
            return id;
    }
    return 0;
}

/* Better OS evidence: a named family beats "unknown", then the p0f tiers. */
static int os_rank(ddi_os_match m)
{
    switch (m) {
    case DDI_OSM_EXACT: return 4;
    case DDI_OSM_GENERIC: return 3;
    case DDI_OSM_HEURISTIC: return 2;
    case DDI_OSM_FUZZY: return 1;
    default: return 0;
    }
}

bool ddi_summary_needs_rare(const ddi_pkt *p, const ddi_bs_result *bs)
{
    return p->l4 == DDI_L4_UDP || (bs && bs->kind != DDI_BS_NONE);
}

void ddi_summary_observe(ddi_src_acc *a, ddi_src_rare *rare, const ddi_pkt *p, ddi_tool tool,
                         const ddi_os_result *os, uint8_t os_label, const ddi_bs_result *bs)
{
    ddi_feat_in fin = {.p = p, .ttl_seen = a->flags & DDI_ACC_TTL_SEEN, .ttl_min = a->ttl_min, .ttl_max = a->ttl_max,
                       .ttl_explained = ddi_ttl255_explained(tool, os)};
    ddi_sketch_add(&a->dst_sketch, p->dst.a, p->dst.family == 6 ? 16 : 4);
    if (!(a->flags & DDI_ACC_TTL_SEEN) || p->ttl < a->ttl_min)
        a->ttl_min = p->ttl;
    if (!(a->flags & DDI_ACC_TTL_SEEN) || p->ttl > a->ttl_max)
        a->ttl_max = p->ttl;
    a->flags |= DDI_ACC_TTL_SEEN;
    if (tool != DDI_TOOL_NONE && tool < 16)
        a->tools |= (uint16_t)(1u << tool);
    if (p->l4 == DDI_L4_UDP && rare)
        rare->udp++;

    /* the remote service: the port probed, or the victim's port for backscatter */
    bool has_port = false;
    uint16_t port = 0;
    if (bs && bs->kind != DDI_BS_NONE) {
        a->flags |= DDI_ACC_SENT_BS;
        if (rare && rare->bs[bs->kind - 1] < UINT16_MAX)
            rare->bs[bs->kind - 1]++;
        if (bs->victim_known && bs->has_port) {
            has_port = true;
            port = bs->victim_port;
            if (rare)
                rare->victim_port = port;
        }
    } else if (ddi_pkt_is_tcp(p)) {
        has_port = true;
        port = p->tcp.dport;
    } else if (p->l4 == DDI_L4_UDP && p->l4_ports) {
        has_port = true;
        port = p->udp_dport;
    }
    if (has_port) {
        uint8_t b[3] = {(uint8_t)(port >> 8), (uint8_t)port, (uint8_t)p->l4};
        ddi_sketch_add(&a->port_sketch, b, sizeof b);
    }
    fin.has_port = has_port;
    fin.port = port;
    ddi_feat_observe(&a->feat, &fin);

    if (ddi_pkt_is_syn(p) && p->tcp.has_mss && p->tcp.mss && tool == DDI_TOOL_NONE) {
        if (!a->mss) {
            a->mss = p->tcp.mss;
            a->mss_encap = ddi_encap_code(p->encap);
        } else if (a->mss != p->tcp.mss)
            a->flags |= DDI_ACC_MSS_VARIES;
    }
    if (os && os->family == DDI_OS_WINDOWS && p->tcp.has_ws && p->tcp.has_ts)
        a->flags |= DDI_ACC_WIN_WS_TS;
    if (os && os_label) {
        bool known = os->family != DDI_OS_UNKNOWN;
        bool had_known = a->os_label && a->os_match != DDI_OSM_NONE;
        /* a label that retry behaviour dated (os.c) corrects the signature's
         * label of the same rank: the report must not keep the contradicted one */
        if (!a->os_label || (known && !had_known) ||
            (known && os_rank(os->match) > os_rank((ddi_os_match)a->os_match)) ||
            (known && os->dated && os_label != a->os_label && os_rank(os->match) >= os_rank((ddi_os_match)a->os_match))) {
            a->os_label = os_label;
            a->os_match = (uint8_t)(known ? os->match : DDI_OSM_NONE);
            a->os_family = (uint8_t)os->family;
        }
    }
}

/* ------------------------------------------------------------------ tri-state verdicts */

const char *ddi_tri_name(ddi_tri t)
{
    return t == DDI_TRI_YES ? "yes" : t == DDI_TRI_NO ? "no" : "undetermined";
}

void ddi_conf_fold_add(ddi_conf_fold *f, const ddi_syn_history *h, double horizon)
{
    if (!h->port445)
        return;
    f->conns445++;
    switch (ddi_retry_conficker(h, horizon)) {
    case DDI_CONF_YES:
        f->yes++;
        break;
    case DDI_CONF_UNKNOWN:
        /* the earliest waiting candidate is the one closest to an answer */
        if (!f->waiting || h->first_ts < f->best_first) {
            f->best_first = h->first_ts;
            f->best_retry = h->last_ts;
        }
        f->waiting = true;
        break;
    default:
        /* one SYN so far, and the capture ends before its retry was due */
        if (h->count == 1 && horizon - h->first_ts < DDI_CONFICKER_GAP_MAX &&
            (!f->first_only || h->first_ts < f->first_only_ts)) {
            f->first_only = true;
            f->first_only_ts = h->first_ts;
        }
        break;
    }
}

/* The reasons are written as snprintf would write them (cut at len - 1, no
 * ellipsis), without it: the report writes two for each of possibly millions
 * of sources, and every packet's verdict one. */
typedef struct why_buf {
    char *s;
    size_t len, cap;
} why_buf;

static why_buf why_on(char *buf, size_t cap)
{
    if (cap)
        buf[0] = 0;
    return (why_buf){buf, 0, cap};
}

static void why_put(why_buf *w, const char *t)
{
    size_t n = strlen(t);
    if (!w->cap || w->len + 1 >= w->cap)
        return;
    if (n > w->cap - 1 - w->len)
        n = w->cap - 1 - w->len;
    memcpy(w->s + w->len, t, n);
    w->len += n;
    w->s[w->len] = 0;
}

static void why_uint(why_buf *w, uint64_t v)
{
    char b[24], *p = b + sizeof b;
    *--p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    why_put(w, p);
}

static void why_fixed(why_buf *w, double v, int decimals)
{
    char b[48];
    why_put(w, ddi_fmt_fixed(b, sizeof b, v, decimals));
}

ddi_tri ddi_conf_fold_verdict(const ddi_conf_fold *f, double horizon, char *why, size_t len)
{
    why_buf w = why_on(why, len);
    if (f->yes) {
        why_uint(&w, f->yes);
        why_put(&w, " of ");
        why_uint(&w, f->conns445);
        why_put(&w, " tcp/");
        why_uint(&w, DDI_CONFICKER_PORT);
        why_put(&w, " connection");
        why_put(&w, f->conns445 == 1 ? "" : "s");
        why_put(&w, ": one retry at ~3 s, then silence");
        return DDI_TRI_YES;
    }
    if (f->waiting) {
        why_put(&w, "capture ends ");
        why_fixed(&w, fmax(0, horizon - f->best_retry), 1);
        why_put(&w, " s after the retry; a Windows host would retry again ");
        why_fixed(&w, DDI_CONFICKER_QUIET_S - 1, 0);
        why_put(&w, " s after the first SYN");
        return DDI_TRI_UNDETERMINED;
    }
    if (f->first_only) {
        why_put(&w, "capture ends ");
        why_fixed(&w, fmax(0, horizon - f->first_only_ts), 1);
        why_put(&w, " s after a first SYN to tcp/");
        why_uint(&w, DDI_CONFICKER_PORT);
        why_put(&w, "; a Conficker-style retry comes ");
        why_fixed(&w, DDI_CONFICKER_GAP_MIN, 1);
        why_put(&w, "-");
        why_fixed(&w, DDI_CONFICKER_GAP_MAX, 1);
        why_put(&w, " s after it");
        return DDI_TRI_UNDETERMINED;
    }
    if (!f->conns445) {
        why_put(&w, "no SYN to tcp/");
        why_uint(&w, DDI_CONFICKER_PORT);
    } else {
        why_uint(&w, f->conns445);
        why_put(&w, " tcp/");
        why_uint(&w, DDI_CONFICKER_PORT);
        why_put(&w, " connection");
        why_put(&w, f->conns445 == 1 ? "" : "s");
        why_put(&w, ", none with exactly one retry ");
        why_fixed(&w, DDI_CONFICKER_GAP_MIN, 1);
        why_put(&w, "-");
        why_fixed(&w, DDI_CONFICKER_GAP_MAX, 1);
        why_put(&w, " s after the first SYN");
    }
    return DDI_TRI_NO;
}

ddi_tri ddi_sender_verdict(uint32_t syns, uint32_t retries, bool answered, double first_syn_ts, double horizon,
                           ddi_sender *sender, char *why, size_t len)
{
    why_buf w = why_on(why, len);
    *sender = DDI_SENDER_UNKNOWN;
    if (retries) {
        *sender = DDI_SENDER_STATEFUL;
        why_uint(&w, retries);
        why_put(&w, " of its ");
        why_uint(&w, syns);
        why_put(&w, retries == 1 ? " SYNs was a retransmission (same ports and ISN)"
                                 : " SYNs were retransmissions (same ports and ISN)");
        return DDI_TRI_YES;
    }
    if (!syns) {
        why_put(&w, "sent no SYN");
        return DDI_TRI_UNDETERMINED;
    }
    if (answered) {
        /* an answered SYN has no reason to be retransmitted */
        why_put(&w, "some of its SYNs were answered (a SYN-ACK or RST to it, or the ACK or RST it sends after "
                    "a SYN-ACK, seen): answered SYNs are not retransmitted");
        return DDI_TRI_UNDETERMINED;
    }
    if (syns < 2) {
        why_put(&w, "one SYN only");
        return DDI_TRI_UNDETERMINED;
    }
    double seen = horizon - first_syn_ts;
    if (seen < DDI_CONFICKER_QUIET_S) {
        why_put(&w, "capture ends ");
        why_fixed(&w, fmax(0, seen), 1);
        why_put(&w, " s after its first SYN; a stack would retry within 3 s, 10 s are needed");
        return DDI_TRI_UNDETERMINED;
    }
    *sender = DDI_SENDER_STATELESS;
    why_uint(&w, syns);
    why_put(&w, " SYNs, none answered and none retransmitted in ");
    why_fixed(&w, seen, 1);
    why_put(&w, " s");
    return DDI_TRI_YES;
}

/* ------------------------------------------------------------------ building */

/* Retired tcp/445 connections (state.h, ddi_state_conn_expire) were folded
 * into their source when they left: their verdicts were final. */
static void fold_retired(ddi_conf_fold *f, const ddi_source_whole *w)
{
    if (!w)
        return;
    f->conns445 += w->gone445;
    f->yes += w->gone445_yes;
}

ddi_conf_fold *ddi_summary_conficker_scan(const ddi_state *st)
{
    uint32_t n = st->sources.count;
    ddi_conf_fold *f = calloc(n ? n : 1, sizeof *f);
    if (!f)
        return NULL;
    for (uint32_t i = 1; i <= st->conns.count; i++) {
        const ddi_conn *c = ddi_state_conn(st, i);
        if (!c || !c->src || c->src > n || !c->port445 || c->gone)
            continue;
        ddi_syn_history h = ddi_conn_history(c);
        ddi_conf_fold_add(&f[c->src - 1], &h, st->horizon);
    }
    for (uint32_t i = 0; i < n; i++)
        fold_retired(&f[i], ddi_state_whole(st, i + 1));
    return f;
}

/* The rate over the source's whole span comes from the IP-ID tracker
 * (ipid.h), the same estimate the packets show, with its basis. */
static void rate_of(const ddi_source *s, ddi_ipid_class cls, ddi_rate_basis *r)
{
    memset(r, 0, sizeof *r);
    ddi_ipid_estimate e = ddi_ipid_source_rate(&s->ipid);
    r->samples = e.samples;
    r->span = e.span;
    switch (e.status) {
    case DDI_RATE_OK:
        r->has = true;
        r->pps = e.rate;
        return;
    case DDI_RATE_TOO_LITTLE:
        r->why = "fewer than 10 counted packets within 0.2 s";
        return;
    case DDI_RATE_IMPLAUSIBLE:
        r->why = "above 1 GbE line rate (1488095 packets/s): not one host's counter";
        return;
    case DDI_RATE_JUMPED:
        r->why = "the counter jumped further than its rate explains: how far it went is not known";
        return;
    case DDI_RATE_OUT_OF_SEQ:
        r->why = "no IP ID in the counter's sequence";
        return;
    case DDI_RATE_NOT_COUNTER:
    default:
        r->why = cls == DDI_IPID_PER_DEST ? "IP IDs count per connection, not per host"
                 : cls == DDI_IPID_UNKNOWN ? "not yet known whether IP IDs are a counter"
                                           : "IP IDs are not a counter";
        return;
    }
}

/* ddi_sb_add(b, "%u", v) without vsnprintf (the verdict line is built per
 * source; text pieces appended one by one cut where the whole would). */
static void sb_uint(ddi_sb *b, uint64_t v)
{
    char t[24], *p = t + sizeof t;
    *--p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ddi_sb_put(b, p);
}

void ddi_summary_build(const ddi_state *st, uint32_t idx1, const ddi_conf_fold *folds, ddi_src_summary *o)
{
    ddi_summary_build_ex(st, idx1, folds, NULL, o);
}

void ddi_summary_build_ex(const ddi_state *st, uint32_t idx1, const ddi_conf_fold *folds, const uint8_t *flood,
                          ddi_src_summary *o)
{
    const ddi_source *s = ddi_state_source(st, idx1);
    memset(o, 0, sizeof *o);
    if (!s)
        return;
    /* a state that kept no whole-source records (state.h) has no report to
     * give: the per-packet facts alone are shown, the rest as empty */
    static const ddi_source_whole no_whole;
    const ddi_source_whole *w = ddi_state_whole(st, idx1);
    if (!w)
        w = &no_whole;
    const ddi_src_acc *a = &w->sum;
    static const ddi_src_rare none;
    const ddi_src_rare *r = a->rare ? ddi_state_rare(st, a->rare) : &none;
    ddi_state_source_addr(st, s, &o->addr);
    o->first_ts = s->first_ts;
    o->last_ts = w->last_ts;
    o->pkts = w->pkts;
    o->syns = s->syns + w->syns_dup;
    o->retries = s->retries;
    o->udp = r->udp;
    for (int k = 0; k < DDI_BS__COUNT - 1; k++) {
        o->bs[k] = r->bs[k];
        o->bs_pkts += r->bs[k];
        if (r->bs[k] == UINT16_MAX)
            o->bs_saturated = true;
    }
    o->victim_port = r->victim_port;
    uint32_t known = o->syns + o->udp + o->bs_pkts;
    o->other = o->pkts > known ? o->pkts - known : 0;
    o->dsts = ddi_sketch_estimate(a->dst_sketch, &o->dsts_at_least);
    o->ports = ddi_sketch_estimate(a->port_sketch, &o->ports_at_least);
    if (a->flags & DDI_ACC_TTL_SEEN) {
        o->has_ttl = true;
        o->ttl_min = a->ttl_min;
        o->ttl_max = a->ttl_max;
        o->ittl_min = ddi_fp_guess_ittl(a->ttl_min);
        o->ittl_max = ddi_fp_guess_ittl(a->ttl_max);
        /* hop distance of each extreme against its own likely initial TTL */
        int h1 = o->ittl_min - a->ttl_min, h2 = o->ittl_max - a->ttl_max;
        o->hops_min = h1 < h2 ? h1 : h2;
        o->hops_max = h1 < h2 ? h2 : h1;
    }
    if (a->os_label && a->os_label <= st->labels.count) {
        o->os = st->labels.text[a->os_label - 1];
        o->os_match = (ddi_os_match)a->os_match;
    }
    /* the family of the label shown (nat.first_family keeps confident matches only) */
    o->os_family = (ddi_os_family)a->os_family;
    if (a->mss) {
        ddi_link l;
        o->has_mss = true;
        o->mss = a->mss;
        o->mss_varies = a->flags & DDI_ACC_MSS_VARIES;
        ddi_mss_link_encap(s->family == 6 ? 6 : 4, a->mss, ddi_encap_bit(a->mss_encap), &l);
        o->mtu = l.mtu;
        o->link = l.label;
        o->pppoe = l.pppoe;
        o->tunnel = l.tunnel;
    }
    o->nat_bits = s->nat_bits;
    o->nat_first = s->first_ts + w->nat_off;
    o->nat_reason = st->nat_text ? g_hash_table_lookup(st->nat_text, GUINT_TO_POINTER(idx1)) : NULL;
    ddi_ipid_class cls = s->family == 4 ? ddi_ipid_classify(&s->ipid) : DDI_IPID_UNKNOWN;
    o->ipid_class = s->family == 4 ? ddi_ipid_class_name(cls) : NULL;
    rate_of(s, cls, &o->rate);
    if (s->family != 4)
        o->rate.why = "IPv6 has no IP ID";
    o->tools = a->tools;
    o->bytes = ddi_feat_bytes(&a->feat);
    o->dst24 = ddi_sketch_estimate(a->feat.dst24_sketch, &o->dst24_at_least);
    o->nports_top = ddi_feat_ports_top(&a->feat, o->ports_top, &o->ports_top_exact);
    o->nttls = ddi_feat_ttls(&a->feat, o->has_ttl, a->ttl_min, a->ttl_max, o->ttls, &o->ttls_complete);
    bool in_flood = flood ? flood[idx1 - 1] : ddi_feat_flood_member(st, idx1);
    o->spoof = ddi_spoof_assess(a->feat.flags, &o->addr, a->tools, in_flood, s->flags & DDI_SRC_TWO_WAY);
    o->answered = s->flags & DDI_SRC_ANSWERED;
    o->vista_reading = a->flags & DDI_ACC_WIN_WS_TS;

    ddi_conf_fold one = {0};
    if (folds) {
        one = folds[idx1 - 1];
    } else {
        for (uint32_t i = 1; i <= st->conns.count; i++) {
            const ddi_conn *c = ddi_state_conn(st, i);
            if (c && c->src == idx1 && c->port445 && !c->gone) {
                ddi_syn_history h = ddi_conn_history(c);
                ddi_conf_fold_add(&one, &h, st->horizon);
            }
        }
        fold_retired(&one, ddi_state_whole(st, idx1));
    }
    o->conficker = ddi_conf_fold_verdict(&one, st->horizon, o->conficker_why, sizeof o->conficker_why);
    o->sender_known = ddi_sender_verdict(s->syns, s->retries, o->answered, s->first_ts + s->first_syn_off, st->horizon,
                                         &o->sender, o->sender_why, sizeof o->sender_why);

    /* the Verdict line: a digest of the lines above, never of one packet */
    ddi_sb b = ddi_sb_on(o->verdict, sizeof o->verdict);
    char n1[32], n2[32];
    for (int t = 1; t < DDI_TOOL__COUNT; t++)
        if (o->tools & (1u << t))
            ddi_sb_clause(&b, "%s", ddi_tool_name((ddi_tool)t));
    if (o->bs_pkts) {
        ddi_sb_clause(&b, "backscatter (");
        const char *sep = "";
        for (int k = 0; k < DDI_BS__COUNT - 1; k++)
            if (o->bs[k]) {
                ddi_sb_put(&b, sep);
                ddi_sb_put(&b, ddi_backscatter_name((ddi_bs_kind)(k + 1)));
                sep = ", ";
            }
        ddi_sb_add(&b, ")");
    }
    if (o->os && o->os_family != DDI_OS_UNKNOWN && o->os_match != DDI_OSM_NONE) {
        ddi_sb_clause(&b, "%s", o->os);
        if (o->os_family == DDI_OS_WINDOWS && o->vista_reading)
            ddi_sb_add(&b, " (published reading: Vista/2008)");
    }
    if (o->has_mss && o->mtu < 1500) {
        if (o->tunnel) {
            ddi_sb_clause(&b, "MTU ");
            sb_uint(&b, o->mtu);
            ddi_sb_put(&b, ", ");
            ddi_sb_put(&b, o->tunnel);
            ddi_sb_put(&b, " in its frames");
        } else {
            ddi_sb_clause(&b, "MTU ");
            sb_uint(&b, o->mtu);
            ddi_sb_put(&b, o->pppoe ? ", PPPoE-sized" : ", tunnel or clamp");
        }
    }
    if (o->nat_bits) {
        char kinds[128];
        ddi_nat_kinds_join(o->nat_bits, kinds, sizeof kinds);
        ddi_sb_clause(&b, "NAT suspected (");
        ddi_sb_put(&b, kinds);
        ddi_sb_put(&b, ")");
    }
    if (o->rate.has) {
        ddi_sb_clause(&b, "sends ~");
        ddi_sb_put(&b, ddi_fmt_fixed(n1, sizeof n1, o->rate.pps, 1));
        ddi_sb_put(&b, " packets/s in all (IP-ID, over ");
        ddi_sb_put(&b, ddi_fmt_fixed(n2, sizeof n2, o->rate.span, o->rate.span >= 1 ? 2 : 3));
        ddi_sb_put(&b, " s, ");
        sb_uint(&b, o->rate.samples);
        ddi_sb_put(&b, " samples)");
    }
    if (o->conficker == DDI_TRI_YES)
        ddi_sb_clause(&b, "Conficker-style single retry");
    else if (o->conficker == DDI_TRI_UNDETERMINED)
        ddi_sb_clause(&b, "Conficker-style undetermined");
    if (o->sender_known == DDI_TRI_YES)
        ddi_sb_clause(&b, "%s", o->sender == DDI_SENDER_STATELESS ? "stateless sender" : "retransmits SYNs");
    if (o->spoof.level == DDI_SPOOF_LIKELY)
        ddi_sb_clause(&b, "source address likely spoofed");
    if (!b.len)
        ddi_sb_add(&b, "nothing notable");
}

void ddi_summary_capture(const ddi_state *st, const ddi_db_info *dbs, int ndbs, ddi_capture_summary *c)
{
    memset(c, 0, sizeof *c);
    c->first_ts = st->first_ts;
    c->last_ts = st->horizon;
    c->packets = st->packets - st->src_dropped;
    c->sources = ddi_state_source_count(st);
    c->src_dropped = st->src_dropped;
    c->conn_dropped = st->conn_dropped;
    c->max_sources = st->max_sources;
    c->max_conns = st->max_conns;
    for (uint32_t i = 1; i <= st->sources.count; i++) {
        const ddi_source *s = ddi_state_source(st, i);
        if (s && (s->flags & DDI_SRC_ANSWERED))
            c->answered_sources++;
    }
    ddi_state_two_way(st, 0, &c->two_way_frame, &c->two_way_ts);
    c->two_way_before = st->two_way_before;
    c->dbs = dbs;
    c->ndbs = ndbs;
    c->state_bytes = ddi_state_memory(st);
    /* what a source costs in this run: its per-packet record, and its
     * whole-source record where one is kept (state.h) */
    c->source_bytes = sizeof(ddi_source) + (st->whole ? sizeof(ddi_source_whole) : 0);
}

/* ------------------------------------------------------------------ writers */

static void utc(double t, char *buf, size_t len)
{
    time_t secs = (time_t)floor(t);
    struct tm tm;
    char day[24];
    long us = lround((t - (double)secs) * 1e6);
    if (us >= 1000000) {
        secs++;
        us -= 1000000;
    }
    if (!gmtime_r(&secs, &tm) || !strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm)) {
        ddi_fmt_fixed(buf, len, t, 6);
        return;
    }
    snprintf(buf, len, "%.19s.%06u", day, (unsigned)us % 1000000u);
}

static const char *sender_name(const ddi_src_summary *s)
{
    return ddi_retry_sender_token(s->sender_known == DDI_TRI_YES ? s->sender : DDI_SENDER_UNKNOWN);
}

static void count_text(FILE *out, uint32_t n, bool at_least)
{
    fprintf(out, "%s%" PRIu32, at_least ? ">= " : n > 3 ? "~" : "", n);
}

void ddi_summary_write_header(FILE *out, const ddi_capture_summary *c)
{
    char a[40], b[40], d[32];
    fprintf(out, "\n===================================================================\n");
    fprintf(out, "ddi per-source report: %" PRIu32 " sources\n", c->shown);
    fprintf(out, "===================================================================\n");
    if (c->packets) {
        utc(c->first_ts, a, sizeof a);
        utc(c->last_ts, b, sizeof b);
        fprintf(out, "Capture:  %s to %s UTC (%s s), %" PRIu64 " packets analysed from %" PRIu32 " sources\n", a, b,
                ddi_fmt_fixed(d, sizeof d, c->last_ts - c->first_ts, 3), c->packets, c->sources);
    } else {
        fprintf(out, "Capture:  no packet analysed\n");
    }
    if (c->two_way_frame || c->two_way_before) {
        if (c->two_way_frame)
            fprintf(out, "Traffic:  two-way from frame %" PRIu32 " (%s s into the capture): a host answered a packet "
                         "seen earlier, so this is no telescope-only capture; backscatter there is only possible\n",
                    c->two_way_frame, ddi_fmt_fixed(d, sizeof d, c->two_way_ts - c->first_ts, 3));
        else
            fprintf(out, "Traffic:  two-way since an earlier capture file (%s s into the carried capture): a host "
                         "answered a packet seen earlier, so this is no telescope-only capture; backscatter there is "
                         "only possible\n",
                    ddi_fmt_fixed(d, sizeof d, c->two_way_ts - c->first_ts, 3));
        if (c->answered_sources)
            fprintf(out, "          %" PRIu32 " source%s got answers to %s SYNs\n", c->answered_sources,
                    c->answered_sources == 1 ? "" : "s", c->answered_sources == 1 ? "its" : "their");
    } else if (c->answered_sources) {
        fprintf(out, "Traffic:  two-way: the SYNs of %" PRIu32 " source%s were answered (each sent the ACK or RST "
                     "that follows a SYN-ACK): not telescope-only traffic\n",
                c->answered_sources, c->answered_sources == 1 ? "" : "s");
    } else {
        fprintf(out, "Traffic:  one-way: no packet in the capture answers another one seen in it\n");
    }
    if (c->src_dropped)
        fprintf(out, "Limits:   source table full (ddi.max_sources = %" PRIu32 "): %" PRIu64
                     " packets of further sources not analysed and not counted here\n",
                c->max_sources, c->src_dropped);
    if (c->conn_dropped)
        fprintf(out, "Limits:   connection table full (ddi.max_connections = %" PRIu32 "): %" PRIu64
                     " SYNs without retry tracking\n",
                c->max_conns, c->conn_dropped);
    if (!c->src_dropped && !c->conn_dropped)
        fprintf(out, "Limits:   no table limit reached\n");
    if (c->state_in && c->state_error)
        fprintf(out, "State:    NOT carried: %s\n", c->state_error);
    else if (c->state_in)
        fprintf(out, "State:    carried from %s (the capture above starts with it)\n", c->state_in);
    for (int i = 0; i < c->ndbs; i++) {
        const ddi_db_info *db = &c->dbs[i];
        if (!db->path || !*db->path)
            continue;
        if (db->signatures < 0)
            fprintf(out, "Database: %s: FAILED: %s\n", db->path, db->error ? db->error : "not loaded");
        else
            fprintf(out, "Database: %s: %d signatures%s%s\n", db->path, db->signatures, db->error ? "; problem: " : "",
                    db->error ? db->error : "");
    }
    fprintf(out, "-------------------------------------------------------------------\n");
}

/* bytes, destination prefixes, top ports, TTLs: what flowtuples and ORION
 * events give per source */
static void write_features_text(FILE *out, const ddi_src_summary *s)
{
    fprintf(out, "    Features: %" PRIu64 " bytes, ", s->bytes);
    count_text(out, s->dst24, s->dst24_at_least);
    fprintf(out, " destination /%d%s", s->addr.family == 6 ? 48 : 24, s->dst24 == 1 && !s->dst24_at_least ? "" : "s");
    if (s->nports_top) {
        fprintf(out, "; top ports");
        for (int i = 0; i < s->nports_top; i++) {
            const ddi_port_count *e = &s->ports_top[i];
            if (e->packets_min != e->packets)
                fprintf(out, "%s %u x%" PRIu32 "-%" PRIu32, i ? "," : "", e->port, e->packets_min, e->packets);
            else
                fprintf(out, "%s %u x%" PRIu32, i ? "," : "", e->port, e->packets);
        }
        if (!s->ports_top_exact)
            fprintf(out, " (approximate: more ports than kept; ports that may be rare are left out)");
    }
    if (s->nttls) {
        fprintf(out, "; TTLs");
        for (int i = 0; i < s->nttls; i++)
            fprintf(out, "%s%u", i ? "," : " ", s->ttls[i]);
        if (!s->ttls_complete)
            fprintf(out, " and more");
    }
    fprintf(out, "\n");
}

void ddi_summary_write_text(FILE *out, const ddi_src_summary *s)
{
    char addr[48], a[40], b[40], n1[32], n2[32];
    ddi_addr_str(&s->addr, addr, sizeof addr);
    utc(s->first_ts, a, sizeof a);
    utc(s->last_ts, b, sizeof b);
    fprintf(out, "%s  packets %" PRIu32 "  first %s  last %s\n", addr, s->pkts, a, b);
    /* a saturated per-kind counter makes the total a lower bound */
    fprintf(out, "    Packets:  %" PRIu32 " SYN, %s%" PRIu32 " backscatter, %" PRIu32 " UDP, %" PRIu32 " other\n", s->syns,
            s->bs_saturated ? ">= " : "", s->bs_pkts, s->udp, s->other);
    fprintf(out, "    Targets:  ");
    count_text(out, s->dsts, s->dsts_at_least);
    fprintf(out, " destination%s, ", s->dsts == 1 && !s->dsts_at_least ? "" : "s");
    count_text(out, s->ports, s->ports_at_least);
    fprintf(out, " port%s\n", s->ports == 1 && !s->ports_at_least ? "" : "s");
    write_features_text(out, s);
    if (s->has_ttl) {
        if (s->ttl_min == s->ttl_max)
            fprintf(out, "    TTL:      %u (initial %u, %d hop%s)\n", s->ttl_min, s->ittl_min, s->hops_min,
                    s->hops_min == 1 ? "" : "s");
        else
            fprintf(out, "    TTL:      %u-%u (initial %u-%u, %d-%d hops)\n", s->ttl_min, s->ttl_max, s->ittl_min,
                    s->ittl_max, s->hops_min, s->hops_max);
    }
    fprintf(out, "    OS:       %s", s->os ? s->os : "-");
    if (s->os)
        fprintf(out, " (%s)", s->os_match != DDI_OSM_NONE ? ddi_os_match_name(s->os_match) : "no match");
    fprintf(out, "\n");
    if (s->has_mss)
        fprintf(out, "    Link:     MTU %u, %s%s%s\n", s->mtu, s->link ? s->link : "", s->pppoe ? " [PPPoE-sized]" : "",
                s->mss_varies ? " (first SYN; later SYNs differ)" : "");
    if (s->nat_bits) {
        char kinds[128];
        ddi_nat_kinds_join(s->nat_bits, kinds, sizeof kinds);
        utc(s->nat_first, a, sizeof a);
        fprintf(out, "    NAT:      %s (first at %s): %s\n", kinds, a, s->nat_reason ? s->nat_reason : "-");
    } else {
        fprintf(out, "    NAT:      no evidence\n");
    }
    if (s->ipid_class) {
        fprintf(out, "    IP ID:    %s", s->ipid_class);
        if (s->rate.has)
            fprintf(out, ", ~%s packets/s in all over %s s, %" PRIu32 " samples\n",
                    ddi_fmt_fixed(n1, sizeof n1, s->rate.pps, 1), ddi_fmt_fixed(n2, sizeof n2, s->rate.span, 2),
                    s->rate.samples);
        else
            fprintf(out, "; no rate: %s\n", s->rate.why ? s->rate.why : "-");
    }
    if (s->syns) {
        fprintf(out, "    SYNs:     %" PRIu32 " SYN%s, %" PRIu32 " of them retransmission%s\n", s->syns,
                s->syns == 1 ? "" : "s", s->retries, s->retries == 1 ? "" : "s");
    }
    fprintf(out, "    Conficker-style: %s (%s)\n", ddi_tri_name(s->conficker), s->conficker_why);
    fprintf(out, "    Sender:   %s (%s)\n", sender_name(s), s->sender_why);
    if (s->tools) {
        fprintf(out, "    Tool:     ");
        const char *sep = "";
        for (int t = 1; t < DDI_TOOL__COUNT; t++)
            if (s->tools & (1u << t)) {
                fprintf(out, "%s%s", sep, ddi_tool_name((ddi_tool)t));
                sep = ", ";
            }
        fprintf(out, "\n");
    }
    if (s->bs_pkts) {
        fprintf(out, "    Backscat: ");
        const char *sep = "";
        for (int k = 0; k < DDI_BS__COUNT - 1; k++)
            if (s->bs[k]) {
                fprintf(out, "%s%s x%" PRIu32 "%s", sep, ddi_backscatter_name((ddi_bs_kind)(k + 1)), s->bs[k],
                        s->bs[k] == UINT16_MAX ? "+" : "");
                sep = ", ";
            }
        if (s->victim_port && s->bs_pkts == s->pkts) {
            /* the port sketch holds victim ports only when every packet was backscatter */
            fprintf(out, "; victim ports ");
            count_text(out, s->ports, s->ports_at_least);
            fprintf(out, " (latest %u)", s->victim_port);
        } else if (s->victim_port) {
            fprintf(out, "; latest victim port %u", s->victim_port);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "    Spoofed:  %s (", ddi_spoof_name(s->spoof.level));
    const char *sep = "";
    for (int r = 0; r < DDI_SR__COUNT; r++)
        if (s->spoof.reasons & (1u << r)) {
            fprintf(out, "%s%s", sep, ddi_spoof_reason_text((ddi_spoof_reason)r));
            sep = "; ";
        }
    fprintf(out, "%s)\n", *sep ? "" : "no spoofing test matched");
    fprintf(out, "    Verdict:  %s\n", s->verdict);
}

void ddi_summary_write_footer(FILE *out, const ddi_capture_summary *c)
{
    char mb[32];
    fprintf(out, "ddi state: %" PRIu32 " sources, %s MB, %zu bytes per source record\n", c->sources,
            ddi_fmt_fixed(mb, sizeof mb, c->state_bytes / 1048576.0, 1), c->source_bytes);
    fprintf(out, "===================================================================\n");
}

/* --- JSON: every key always present; unknown values are null */

/* The JSON primitives avoid printf and stdio per value: a source's line is
 * assembled in a buffer and written with one fwrite (the report writes ~50
 * values for each of possibly millions of sources; bench/RESULTS.md, batch
 * reader). */
typedef struct js_mem {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory: the rows are written again, straight to the file */
} js_mem;

typedef struct js_out {
    FILE *file;
    js_mem *mem; /* non-NULL: into memory instead (the report's threads) */
    size_t len;
    char buf[4096];
} js_out;

/* The primitives are inlined where they are called (a key's length is then
 * a constant) and copy whole runs of characters: ~50 values a source line. */
#if defined(__GNUC__)
#define JS_INLINE static inline __attribute__((always_inline))
#else
#define JS_INLINE static inline
#endif

static void js_sink(js_out *o, const char *s, size_t n)
{
    js_mem *m = o->mem;
    if (!m) {
        fwrite(s, 1, n, o->file);
        return;
    }
    if (m->failed)
        return;
    if (n > m->cap - m->len) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap - m->len < n)
            cap *= 2;
        char *d = realloc(m->data, cap);
        if (!d) {
            m->failed = true;
            return;
        }
        m->data = d;
        m->cap = cap;
    }
    memcpy(m->data + m->len, s, n);
    m->len += n;
}

static void js_flush(js_out *o)
{
    js_sink(o, o->buf, o->len);
    o->len = 0;
}

static void js_raw_slow(js_out *o, const char *s, size_t n)
{
    js_flush(o);
    if (n > sizeof o->buf) {
        js_sink(o, s, n);
        return;
    }
    memcpy(o->buf, s, n);
    o->len = n;
}

JS_INLINE void js_raw(js_out *o, const char *s, size_t n)
{
    if (n > sizeof o->buf - o->len) {
        js_raw_slow(o, s, n);
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

JS_INLINE void js_c(js_out *o, char c)
{
    if (o->len == sizeof o->buf)
        js_flush(o);
    o->buf[o->len++] = c;
}

JS_INLINE void js_s(js_out *o, const char *s) { js_raw(o, s, strlen(s)); }

static const char js_pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                               "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                               "8081828384858687888990919293949596979899";

/* The digits of v end at `end` (two at a time, from the right); returns
 * where they begin.  `width` digits at least (zeros in front). */
static inline char *js_digits(char *end, uint64_t v, int width)
{
    char *p = end;
    while (v >= 100) {
        unsigned two = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, js_pairs + 2 * two, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, js_pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    while (end - p < width)
        *--p = '0';
    return p;
}

static void js_uint(js_out *o, uint64_t v)
{
    char b[24], *p = js_digits(b + sizeof b, v, 1);
    js_raw(o, p, (size_t)(b + sizeof b - p));
}

/* ,"key": (the comma unless first) */
JS_INLINE void js_key(js_out *out, bool *first, const char *k)
{
    size_t n = strlen(k);
    char *d;
    if (n + 4 <= sizeof out->buf - out->len) {
        d = out->buf + out->len;
        if (!*first)
            *d++ = ',';
        *d++ = '"';
        memcpy(d, k, n);
        d += n;
        *d++ = '"';
        *d++ = ':';
        out->len = (size_t)(d - out->buf);
    } else {
        if (!*first)
            js_c(out, ',');
        js_c(out, '"');
        js_raw(out, k, n);
        js_raw(out, "\":", 2);
    }
    *first = false;
}

static bool js_plain(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; }

/* Length of the leading run of s[0..n) that needs no escape, eight bytes a
 * step: a byte equal to '"' or '\\', or below 0x20, sets the high bit of
 * its lane in one of the three terms (Anderson's "bit twiddling hacks",
 * haszero / hasless); the bytes of the last step are checked one by one. */
static size_t js_plain_run(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;
        memcpy(&x, s + i, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & highs)
            break;
    }
    while (i < n && js_plain(s[i]))
        i++;
    return i;
}

/* Whether s[0..n) needs no escape: eight bytes a step as js_plain_run,
 * the last step on the last eight bytes (overlapping the one before). */
static inline bool js_all_plain(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            if (!js_plain(s[i]))
                return false;
        return true;
    }
    uint64_t bad = 0, x, q, b;
    for (size_t i = 0;; i += 8) {
        if (i + 8 > n)
            i = n - 8;
        memcpy(&x, s + i, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        bad |= ((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x);
        if (i + 8 == n)
            break;
    }
    return !(bad & highs);
}

/* a JSON string: runs without escapes copied whole */
static void js_text(js_out *out, const char *s)
{
    const unsigned char *c = (const unsigned char *)s;
    size_t n = strlen(s);
    /* the common case: nothing to escape, room in the buffer */
    if (n + 2 <= sizeof out->buf - out->len && js_all_plain(c, n)) {
        char *d = out->buf + out->len;
        *d = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        out->len += n + 2;
        return;
    }
    js_c(out, '"');
    for (;;) {
        size_t run = js_plain_run(c, n);
        js_raw(out, (const char *)c, run);
        c += run;
        n -= run;
        if (!n)
            break;
        if (*c == '"' || *c == '\\') {
            js_c(out, '\\');
            js_c(out, (char)*c);
        } else {
            static const char hex[] = "0123456789abcdef";
            char u[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15]};
            js_raw(out, u, sizeof u);
        }
        c++;
        n--;
    }
    js_c(out, '"');
}

JS_INLINE void js_str(js_out *out, bool *first, const char *k, const char *s)
{
    js_key(out, first, k);
    if (!s)
        js_raw(out, "null", 4);
    else
        js_text(out, s);
}

JS_INLINE void js_u64(js_out *out, bool *first, const char *k, uint64_t v)
{
    js_key(out, first, k);
    js_uint(out, v);
}

static void js_fixed(js_out *out, bool has, double v, int decimals)
{
    char b[48];
    if (has && decimals == 0 && v >= 0 && v < 1e15 && v == (double)(uint64_t)v) {
        js_uint(out, (uint64_t)v); /* counts, ports, TTLs: what ddi_fmt_fixed writes for them */
        return;
    }
    if (has && decimals > 0 && decimals <= 9 && v >= 0 && v < 1e12) {
        /* times and rates: what ddi_fmt_fixed writes (the same rounding of
         * the same double), without its copies */
        static const double scale[10] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
        static const uint64_t pow10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                                           1000000000};
        double r = round(v * scale[decimals]);
        if (r > 9e18)
            goto slow;
        uint64_t n = (uint64_t)r;
        char *end = b + sizeof b;
        char *p = js_digits(end, n % pow10[decimals], decimals);
        *--p = '.';
        p = js_digits(p, n / pow10[decimals], 1);
        js_raw(out, p, (size_t)(end - p));
        return;
    }
slow:
    js_s(out, has ? ddi_fmt_fixed(b, sizeof b, v, decimals) : "null");
}

JS_INLINE void js_num(js_out *out, bool *first, const char *k, bool has, double v, int decimals)
{
    js_key(out, first, k);
    js_fixed(out, has, v, decimals);
}

JS_INLINE void js_bool(js_out *out, bool *first, const char *k, int v /* -1 = null */)
{
    js_key(out, first, k);
    if (v < 0)
        js_raw(out, "null", 4);
    else if (v)
        js_raw(out, "true", 4);
    else
        js_raw(out, "false", 5);
}

/* "sep"name"" for the lists of names */
static void js_name(js_out *out, const char *sep, const char *name)
{
    js_s(out, sep);
    js_c(out, '"');
    js_s(out, name);
    js_c(out, '"');
}

void ddi_summary_write_json_header(FILE *file, const ddi_capture_summary *c)
{
    js_out o, *out = &o;
    o.file = file;
    o.mem = NULL;
    o.len = 0;
    bool f = true;
    js_s(out, "{\"capture\":{");
    js_num(out, &f, "first_seen", c->packets > 0, c->first_ts, 6);
    js_num(out, &f, "last_seen", c->packets > 0, c->last_ts, 6);
    js_u64(out, &f, "packets", c->packets);
    js_u64(out, &f, "sources", c->sources);
    js_u64(out, &f, "sources_shown", c->shown);
    js_bool(out, &f, "two_way", c->two_way_frame || c->two_way_before || c->answered_sources > 0);
    js_key(out, &f, "two_way_frame");
    if (c->two_way_frame)
        js_uint(out, c->two_way_frame);
    else
        js_s(out, "null");
    js_num(out, &f, "two_way_since", c->two_way_frame > 0 || c->two_way_before, c->two_way_ts, 6);
    js_u64(out, &f, "answered_sources", c->answered_sources);
    js_u64(out, &f, "packets_not_analysed", c->src_dropped);
    js_u64(out, &f, "syns_not_tracked", c->conn_dropped);
    js_bool(out, &f, "limit_hit", c->src_dropped || c->conn_dropped);
    js_str(out, &f, "state_in", c->state_in);
    js_str(out, &f, "state_error", c->state_error);
    js_key(out, &f, "databases");
    js_c(out, '[');
    bool fd = true;
    for (int i = 0; i < c->ndbs; i++) {
        const ddi_db_info *db = &c->dbs[i];
        if (!db->path || !*db->path)
            continue;
        js_s(out, fd ? "{" : ",{");
        fd = false;
        bool g = true;
        js_str(out, &g, "path", db->path);
        js_key(out, &g, "signatures");
        if (db->signatures < 0)
            js_s(out, "null");
        else
            js_uint(out, (uint64_t)db->signatures);
        js_bool(out, &g, "loaded", db->signatures >= 0);
        js_str(out, &g, "error", db->error);
        js_c(out, '}');
    }
    js_s(out, "]}}\n");
    js_flush(out);
}

/* One source's line, into `out` (flushed at its end). */
static void write_json_line(js_out *out, const ddi_src_summary *s)
{
    char addr[48];
    bool f = true;
    ddi_addr_str(&s->addr, addr, sizeof addr);
    js_c(out, '{');
    js_str(out, &f, "src", addr);
    js_u64(out, &f, "packets", s->pkts);
    js_u64(out, &f, "syns", s->syns);
    js_u64(out, &f, "retransmissions", s->retries);
    js_u64(out, &f, "udp", s->udp);
    js_u64(out, &f, "other", s->other);
    js_num(out, &f, "first_seen", true, s->first_ts, 6);
    js_num(out, &f, "last_seen", true, s->last_ts, 6);
    js_u64(out, &f, "bytes", s->bytes);
    js_u64(out, &f, "destinations", s->dsts);
    js_bool(out, &f, "destinations_at_least", s->dsts_at_least);
    bool v6 = s->addr.family == 6;
    js_num(out, &f, "dst_prefixes24", !v6, s->dst24, 0);
    js_bool(out, &f, "dst_prefixes24_at_least", v6 ? -1 : s->dst24_at_least);
    js_num(out, &f, "dst_prefixes48", v6, s->dst24, 0);
    js_bool(out, &f, "dst_prefixes48_at_least", v6 ? s->dst24_at_least : -1);
    js_u64(out, &f, "ports", s->ports);
    js_bool(out, &f, "ports_at_least", s->ports_at_least);
    js_key(out, &f, "ports_top");
    js_c(out, '[');
    for (int i = 0; i < s->nports_top; i++) {
        js_s(out, i ? ",{\"port\":" : "{\"port\":");
        js_uint(out, s->ports_top[i].port);
        const ddi_port_count *e = &s->ports_top[i];
        if (e->packets_min != e->packets) {
            js_s(out, ",\"packets_min\":");
            js_uint(out, e->packets_min);
            js_s(out, ",\"packets_max\":");
        } else {
            js_s(out, ",\"packets\":");
        }
        js_uint(out, e->packets);
        js_c(out, '}');
    }
    js_c(out, ']');
    js_bool(out, &f, "ports_top_exact", s->ports_top_exact);
    js_num(out, &f, "ttl_min", s->has_ttl, s->ttl_min, 0);
    js_num(out, &f, "ttl_max", s->has_ttl, s->ttl_max, 0);
    js_num(out, &f, "hops_min", s->has_ttl, s->hops_min, 0);
    js_num(out, &f, "hops_max", s->has_ttl, s->hops_max, 0);
    js_key(out, &f, "ttls");
    js_c(out, '[');
    for (int i = 0; i < s->nttls; i++) {
        if (i)
            js_c(out, ',');
        js_uint(out, s->ttls[i]);
    }
    js_c(out, ']');
    js_bool(out, &f, "ttls_complete", s->ttls_complete);
    js_str(out, &f, "os", s->os);
    js_str(out, &f, "os_family", s->os ? ddi_os_family_name(s->os_family) : NULL);
    js_str(out, &f, "os_match", s->os ? ddi_os_match_name(s->os_match) : NULL);
    js_num(out, &f, "mss", s->has_mss, s->mss, 0);
    js_num(out, &f, "mtu", s->has_mss, s->mtu, 0);
    js_str(out, &f, "link", s->has_mss ? s->link : NULL);
    js_bool(out, &f, "pppoe", s->has_mss ? s->pppoe : -1);
    js_bool(out, &f, "nat", s->nat_bits != 0);
    js_key(out, &f, "nat_kinds");
    js_c(out, '[');
    const char *sep = "";
    for (unsigned k = 0; k < DDI_NAT__KINDS; k++)
        if (s->nat_bits & ddi_nat_bit((ddi_nat_kind)k)) {
            js_name(out, sep, ddi_nat_kinds[k].name);
            sep = ",";
        }
    js_c(out, ']');
    js_num(out, &f, "nat_first_seen", s->nat_bits != 0, s->nat_first, 6);
    js_str(out, &f, "nat_reason", s->nat_reason);
    js_str(out, &f, "ipid_class", s->ipid_class);
    js_num(out, &f, "ipid_rate", s->rate.has, s->rate.pps, 3);
    js_u64(out, &f, "ipid_rate_samples", s->rate.samples);
    js_num(out, &f, "ipid_rate_span", s->rate.samples > 0, s->rate.span, 6);
    js_str(out, &f, "ipid_norate", s->rate.has ? NULL : s->rate.why);
    js_str(out, &f, "conficker", ddi_tri_name(s->conficker));
    js_str(out, &f, "conficker_reason", s->conficker_why);
    js_str(out, &f, "sender", sender_name(s));
    js_str(out, &f, "sender_reason", s->sender_why);
    js_bool(out, &f, "answered", s->answered);
    js_key(out, &f, "tools");
    js_c(out, '[');
    sep = "";
    for (int t = 1; t < DDI_TOOL__COUNT; t++)
        if (s->tools & (1u << t)) {
            js_name(out, sep, ddi_tool_name((ddi_tool)t));
            sep = ",";
        }
    js_c(out, ']');
    js_u64(out, &f, "backscatter_packets", s->bs_pkts);
    js_key(out, &f, "backscatter");
    js_c(out, '{');
    sep = "";
    for (int k = 0; k < DDI_BS__COUNT - 1; k++)
        if (s->bs[k]) {
            js_name(out, sep, ddi_backscatter_name((ddi_bs_kind)(k + 1)));
            js_c(out, ':');
            js_uint(out, s->bs[k]);
            sep = ",";
        }
    js_c(out, '}');
    js_num(out, &f, "victim_port", s->victim_port != 0, s->victim_port, 0);
    js_str(out, &f, "spoof", ddi_spoof_name(s->spoof.level));
    js_key(out, &f, "spoof_reasons");
    js_c(out, '[');
    sep = "";
    for (int r = 0; r < DDI_SR__COUNT; r++)
        if (s->spoof.reasons & (1u << r)) {
            js_name(out, sep, ddi_spoof_reason_token((ddi_spoof_reason)r));
            sep = ",";
        }
    js_c(out, ']');
    js_str(out, &f, "verdict", s->verdict);
    js_raw(out, "}\n", 2);
    js_flush(out);
}

void ddi_summary_write_json(FILE *file, const ddi_src_summary *s)
{
    js_out o;
    o.file = file;
    o.mem = NULL;
    o.len = 0;
    write_json_line(&o, s);
}

/* ------------------------------------------------------------------ the report */

/* The report's order, most packets first, then by address (family, then
 * bytes as memcmp compares them), as one 192-bit key (sort.h). */
static uint64_t be64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

static ddi_sort_row row_of(const ddi_state *st, uint32_t idx1, const ddi_source *s)
{
    ddi_addr a;
    ddi_state_source_addr(st, s, &a);
    const ddi_source_whole *w = ddi_state_whole(st, idx1);
    uint32_t pkts = w ? w->pkts : 0;
    ddi_sort_row r = {{(uint64_t)(UINT32_MAX - pkts) << 8 | a.family, be64(a.a), be64(a.a + 8)}, idx1};
    return r;
}

#define REPORT_AHEAD 8

/* The lines of rows [from, to): JSON into `o` (a file or memory), or text
 * to `file`. */
static void format_rows(const ddi_state *st, const ddi_sort_row *rows, uint32_t from, uint32_t to,
                        const ddi_conf_fold *folds, const uint8_t *flood, ddi_src_summary *sum, bool json, FILE *file,
                        js_out *o)
{
    for (uint32_t i = from; i < to; i++) {
        /* the rows visit the sources in no memory order: start loading a
         * later row's records (a cache miss each at telescope scale) */
        if (i + REPORT_AHEAD < to) {
            const char *rec = (const char *)ddi_state_source(st, rows[i + REPORT_AHEAD].idx);
            for (size_t off = 0; off < sizeof(ddi_source); off += 64)
                __builtin_prefetch(rec + off);
            __builtin_prefetch(rec + sizeof(ddi_source) - 1);
            const char *whole = (const char *)ddi_state_whole(st, rows[i + REPORT_AHEAD].idx);
            if (whole) {
                for (size_t off = 0; off < sizeof(ddi_source_whole); off += 64)
                    __builtin_prefetch(whole + off);
                __builtin_prefetch(whole + sizeof(ddi_source_whole) - 1);
            }
            __builtin_prefetch(&folds[rows[i + REPORT_AHEAD].idx - 1]);
        }
        ddi_summary_build_ex(st, rows[i].idx, folds, flood, sum);
        if (json)
            write_json_line(o, sum);
        else
            ddi_summary_write_text(file, sum);
    }
}

/* JSON lines built by several threads, written in order by the caller's:
 * building a source's line reads the state only (ddi_summary_build_ex), so
 * the rows are cut into chunks that any thread formats into memory, at
 * most `window` chunks ahead of the one being written. */
#define REPORT_CHUNK 1024

typedef struct report_job {
    const ddi_state *st;
    const ddi_sort_row *rows;
    const ddi_conf_fold *folds;
    const uint8_t *flood;
    uint32_t count, nchunks;
    uint32_t next, written, window; /* chunk to take next, chunks written, chunks in memory at most */
    js_mem *slot;                   /* chunk c is built in slot[c % window] (buffers reused) */
    bool *done;                     /* per slot: its chunk is built */
    GMutex lock;
    GCond changed;
} report_job;

/* The JSON lines of chunk c, into o. */
static void format_chunk(const report_job *j, uint32_t c, ddi_src_summary *sum, js_out *o)
{
    uint32_t from = c * REPORT_CHUNK, to = from + REPORT_CHUNK < j->count ? from + REPORT_CHUNK : j->count;
    format_rows(j->st, j->rows, from, to, j->folds, j->flood, sum, true, NULL, o);
}

static void report_build_chunk(report_job *j, uint32_t c, ddi_src_summary *sum)
{
    js_out *o = malloc(sizeof *o);
    js_mem *m = &j->slot[c % j->window];
    m->len = 0;
    m->failed = !o;
    if (o) {
        o->file = NULL;
        o->mem = m;
        o->len = 0;
        format_chunk(j, c, sum, o);
    }
    free(o);
}

/* Take and build chunks until none is left to take (lock held on entry and
 * exit).  The writer (`out` non-NULL) writes each chunk as soon as it is
 * the next in order; the other threads wait while the window is full. */
static void report_work(report_job *j, ddi_src_summary *sum, FILE *out)
{
    for (;;) {
        uint32_t w = j->written;
        if (out && w < j->nchunks && j->done[w % j->window]) {
            js_mem *m = &j->slot[w % j->window];
            g_mutex_unlock(&j->lock);
            if (m->failed) { /* no memory for it: the same rows, straight to the file */
                js_out o = {.file = out};
                format_chunk(j, w, sum, &o);
            } else {
                fwrite(m->data, 1, m->len, out);
            }
            g_mutex_lock(&j->lock);
            j->done[w % j->window] = false;
            j->written++;
            g_cond_broadcast(&j->changed);
            continue;
        }
        if (out ? w == j->nchunks : j->next == j->nchunks)
            return;
        if (j->next < j->nchunks && j->next < w + j->window) {
            uint32_t c = j->next++;
            g_mutex_unlock(&j->lock);
            report_build_chunk(j, c, sum);
            g_mutex_lock(&j->lock);
            j->done[c % j->window] = true;
            g_cond_broadcast(&j->changed);
            continue;
        }
        g_cond_wait(&j->changed, &j->lock);
    }
}

typedef struct report_helper {
    report_job *job;
    ddi_src_summary sum;
} report_helper;

static gpointer report_helper_run(gpointer data)
{
    report_helper *h = data;
    g_mutex_lock(&h->job->lock);
    report_work(h->job, &h->sum, NULL);
    g_mutex_unlock(&h->job->lock);
    return NULL;
}

/* False when the threads or their memory could not be had (nothing written). */
static bool report_parallel(FILE *out, const ddi_state *st, const ddi_sort_row *rows, uint32_t count,
                            const ddi_conf_fold *folds, const uint8_t *flood, ddi_src_summary *sum, unsigned threads)
{
    report_job j = {.st = st, .rows = rows, .folds = folds, .flood = flood, .count = count};
    j.nchunks = (count + REPORT_CHUNK - 1) / REPORT_CHUNK;
    j.window = 2 * threads;
    j.slot = calloc(j.window, sizeof *j.slot);
    j.done = calloc(j.window, sizeof *j.done);
    unsigned nh = threads - 1;
    report_helper *helpers = calloc(nh, sizeof *helpers);
    GThread **t = calloc(nh, sizeof *t);
    if (!j.slot || !j.done || !helpers || !t) {
        free(j.slot);
        free(j.done);
        free(helpers);
        free(t);
        return false;
    }
    g_mutex_init(&j.lock);
    g_cond_init(&j.changed);
    /* a helper that cannot start leaves its share to the others and this thread */
    for (unsigned i = 0; i < nh; i++) {
        helpers[i].job = &j;
        t[i] = g_thread_try_new("ddi-report", report_helper_run, &helpers[i], NULL);
    }
    g_mutex_lock(&j.lock);
    report_work(&j, sum, out);
    g_mutex_unlock(&j.lock);
    for (unsigned i = 0; i < nh; i++)
        if (t[i])
            g_thread_join(t[i]);
    g_mutex_clear(&j.lock);
    g_cond_clear(&j.changed);
    for (uint32_t i = 0; i < j.window; i++)
        free(j.slot[i].data);
    free(j.slot);
    free(j.done);
    free(helpers);
    free(t);
    return true;
}

bool ddi_summary_write_report(FILE *out, const struct ddi_state *st, ddi_capture_summary *cap,
                              const uint8_t *shown, uint32_t nshown, bool json)
{
    return ddi_summary_write_report_mt(out, st, cap, shown, nshown, json, 1);
}

bool ddi_summary_write_report_mt(FILE *out, const struct ddi_state *st, ddi_capture_summary *cap,
                                 const uint8_t *shown, uint32_t nshown, bool json, unsigned threads)
{
    uint32_t n = st ? ddi_state_source_count(st) : 0, count = 0;
    ddi_sort_row *rows = malloc(((size_t)n + 1) * sizeof *rows);
    ddi_src_summary *sum = malloc(sizeof *sum);
    ddi_conf_fold *folds = st ? ddi_summary_conficker_scan(st) : NULL;
    uint8_t *flood = st ? ddi_feat_flood_scan(st) : NULL;
    if (!rows || !sum || (st && n && (!folds || !flood))) {
        free(rows);
        free(sum);
        free(folds);
        free(flood);
        return false;
    }
    for (uint32_t i = 1; i <= n; i++) {
        const ddi_source *s = ddi_state_source(st, i);
        if (s && (!shown || (i <= nshown && shown[i - 1])))
            rows[count++] = row_of(st, i, s);
    }
    if (!ddi_sort_rows(rows, count)) {
        free(rows);
        free(sum);
        free(folds);
        free(flood);
        return false;
    }
    cap->shown = count;
    if (json)
        ddi_summary_write_json_header(out, cap);
    else
        ddi_summary_write_header(out, cap);
    /* threads pay only when there is more than one chunk to share */
    if (!json || threads < 2 || count <= REPORT_CHUNK || !report_parallel(out, st, rows, count, folds, flood, sum, threads)) {
        js_out o = {.file = out};
        format_rows(st, rows, 0, count, folds, flood, sum, json, out, &o);
    }
    if (!json)
        ddi_summary_write_footer(out, cap);
    free(folds);
    free(flood);
    free(sum);
    free(rows);
    return true;
}
