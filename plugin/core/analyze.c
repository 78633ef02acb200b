/* analyze.c — first-pass state updates and per-pass verdicts.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "analyze.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "strbuf.h"

/* Source-level NAT kinds stay true for the rest of the source's packets. */
#define DDI_NAT_STICKY (DDI_NAT_MULTI_OS | DDI_NAT_IPID)

static bool tool_is_crafted(ddi_tool t) { return t != DDI_TOOL_NONE; }

/* Earlier SYNs of this SYN's connection, 0 for a duplicate (a copy sooner
 * than any retransmission timer) and for packets that are no SYN. */
static unsigned frame_retries(const ddi_frame_rec *rec, const ddi_pkt *p)
{
    if (!ddi_pkt_is_syn(p) || !rec->retry_count || ddi_retry_is_duplicate(rec->retry_iv))
        return 0;
    return rec->retry_count;
}

static void os_input(const ddi_pkt *p, const ddi_p0fdb *db, ddi_os_memo *memo, const ddi_frame_rec *rec,
                     const ddi_conn *c, bool explain, ddi_os_input *in)
{
    in->explain = explain;
    in->p = p;
    in->db = db;
    in->memo = memo;
    in->retry_count = (uint8_t)frame_retries(rec, p);
    /* gap1 is fixed once the second SYN is seen, so it is the same on every pass */
    in->retry_gap1 = in->retry_count && c ? c->gap1 : 0;
    in->ipid = (ddi_ipid_class)rec->ipid_class;
    /* fixed at the third SYN, so only frames from then on may use it */
    in->backoff = in->retry_count >= 2 && c ? (ddi_backoff)c->backoff : DDI_BACKOFF_NONE;
}

/* The report shows why a source is suspected of NAT; the sentences need the
 * packet, so the first one of each kind is kept for the source. */
static void keep_nat_text(ddi_state *st, uint32_t si, const ddi_source *s, uint16_t new_bits, const ddi_pkt *p,
                          const ddi_os_result *os)
{
    char one[512];
    ddi_os_result none;
    if (!os) {
        memset(&none, 0, sizeof none);
        os = &none;
    }
    ddi_nat_reason(new_bits, p, os, &s->nat, one, sizeof one);
    if (!st->nat_text)
        st->nat_text = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    char *old = g_hash_table_lookup(st->nat_text, GUINT_TO_POINTER(si));
    char *joined = old ? g_strdup_printf("%s; %s", old, one) : g_strdup(one);
    g_hash_table_replace(st->nat_text, GUINT_TO_POINTER(si), joined);
}

static bool wants_os(const ddi_pkt *p, ddi_tool tool)
{
    return ddi_pkt_is_syn(p) && !tool_is_crafted(tool);
}

/* A SYN-ACK or RST(-ACK) answering a SYN: the SYN's sender was answered, so
 * its silence afterwards is no evidence of a stateless scanner or of
 * Conficker's give-up.  The connection is found by its ISN where the reply
 * acknowledges it (ISN + 1, RFC 793 §3.4).  scripts/shard.sh puts the reply
 * in the SYN sender's shard too, so sharded runs see the same. */
static void mark_answered(ddi_state *st, const ddi_pkt *p)
{
    ddi_source *b = ddi_state_source(st, ddi_state_source_find(st, &p->dst));
    if (!b)
        return;
    b->flags |= DDI_SRC_ANSWERED;
    if (p->tcp.flags & DDI_TH_ACK) {
        uint64_t key = ddi_conn_key_parts(p->ver, &p->dst, &p->src, p->tcp.dport, p->tcp.sport, p->tcp.ack - 1);
        ddi_conn *c = ddi_state_conn(st, ddi_state_conn_find(st, key));
        if (c && ddi_conn_live(c, p->ts))
            c->answered = true;
    }
}

/* `a` sent a TCP or UDP packet that was no backscatter (backscatter.h's gate) */
static bool sent_flow(const ddi_state *st, const ddi_addr *a)
{
    const ddi_source *s = ddi_state_source(st, ddi_state_source_find(st, a));
    return s && (s->flags & (DDI_SRC_SENT_TCP | DDI_SRC_SENT_UDP));
}

/* What earlier packets this one answers; remembers what it shows sent; notes
 * where the capture first shows two-way traffic.  `cls` is the packet's
 * backscatter class when is_cls. */
static ddi_bs_seen observe_seen(ddi_state *st, const ddi_pkt *p, ddi_source *s, bool is_cls, const ddi_bs_result *cls)
{
    ddi_bs_seen seen = DDI_BS_SEEN_NONE;
    /* replies always; other packets until two-way traffic is known, and
     * until their source is seen answering (its address is then its own:
     * telescope.h's spoofing tests) */
    bool src_two_way = s && (s->flags & DDI_SRC_TWO_WAY);
    if (is_cls || ((!st->two_way_frame || (s && !src_two_way)) && !ddi_pkt_is_syn(p))) {
        bool unknown = st->src_dropped > 0; /* a full table forgets senders: look anyway */
        ddi_bs_gate g = {
            .dst_sent = unknown || ddi_state_source_find(st, &p->dst),
            .src_sent_tcp = !s || (s->flags & DDI_SRC_SENT_TCP),
            .quoted_src_sent = p->has_quote && (unknown || ddi_state_source_find(st, &p->quote.src)),
            .quoted_dst_sent_flow = p->has_quote && (unknown || sent_flow(st, &p->quote.dst)),
        };
        seen = ddi_backscatter_seen(&st->seen, p, is_cls ? cls : NULL, &g);
    }
    if (seen == DDI_BS_SEEN_ANSWERS_SYN && is_cls && cls->proto == 6)
        mark_answered(st, p);
    if (s && ddi_backscatter_seen_two_way(seen))
        s->flags |= DDI_SRC_TWO_WAY;
    if (ddi_backscatter_seen_two_way(seen) && !st->two_way_frame) {
        st->two_way_frame = p->frame ? p->frame : (uint32_t)st->packets;
        st->two_way_ts = p->ts;
    }
    bool backscatter = is_cls && seen == DDI_BS_SEEN_NONE;
    ddi_backscatter_record(&st->seen, p, backscatter);
    if (s && ddi_pkt_is_tcp(p) && !backscatter)
        s->flags |= DDI_SRC_SENT_TCP;
    return is_cls ? seen : DDI_BS_SEEN_NONE;
}

void ddi_observe(ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, ddi_frame_rec *rec)
{
    ddi_observe_keep(st, db, p, rec, NULL);
}

/* The OS is handed on without its texts, copied up to `evidence`: so the
 * texts must be its last members. */
G_STATIC_ASSERT(offsetof(ddi_os_result, raw_sig) == offsetof(ddi_os_result, evidence) + sizeof(((ddi_os_result *)0)->evidence));
G_STATIC_ASSERT(sizeof(ddi_os_result) - offsetof(ddi_os_result, raw_sig) - sizeof(((ddi_os_result *)0)->raw_sig) <
                _Alignof(ddi_os_result));

void ddi_observe_keep(ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, ddi_frame_rec *rec, ddi_observed *out)
{
    if (out) {
        out->has_os = false;
        out->src_idx = out->conn_idx = 0;
        out->bs_cls = false;
    }
    memset(rec, 0, sizeof *rec);
    rec->encap = ddi_encap_code(p->encap);
    if (!p->ver)
        return;
    if (!st->packets || p->ts < st->first_ts)
        st->first_ts = p->ts;
    st->packets++;
    if (p->ts > st->horizon)
        st->horizon = p->ts;

    bool created;
    uint32_t si = ddi_state_source_get(st, &p->src, &created);
    /* the packet's backscatter class, once: what it answers and what it counts need it */
    ddi_bs_result bs;
    bool is_cls = ddi_backscatter_classify(p, &bs);
    if (out) {
        out->src_idx = si;
        out->bs_cls = is_cls;
        out->bs = bs;
    }
    /* a full table forgets senders: look up anyway (s == NULL) */
    ddi_bs_seen seen = observe_seen(st, p, ddi_state_source(st, si), is_cls, &bs);
    if (!si) {
        rec->flags = DDI_FR_SRC_FULL;
        return;
    }
    ddi_frame_set_seen(rec, seen);
    ddi_source *s = ddi_state_source(st, si);
    /* what only whole-source readers read (state.h): NULL where none can run */
    ddi_source_whole *w = ddi_state_whole(st, si);
    rec->flags |= DDI_FR_ANALYSED;
    if (created) {
        s->first_ts = p->ts;
        rec->flags |= DDI_FR_FIRST;
    }
    if (w)
        w->pkts++;

    ddi_tool tool = p->l4_complete || p->l4 == DDI_L4_ICMP ? ddi_tool_classify(&s->tool_ctx, p) : DDI_TOOL_NONE;
    rec->tool = (uint8_t)tool;

    /* The ACK that completes a handshake, or the RST a raw-socket scanner's
     * kernel sends back to a SYN-ACK (both with seq = ISN + 1), shows that
     * one of this source's SYNs was answered: an answered SYN is never
     * retransmitted, so "stateless" cannot be read from it.  The source's own
     * packets say so, which keeps the verdict the same when a capture is
     * split by source (scripts/shard.sh); a SYN refused with a RST leaves no
     * such trace. */
    uint16_t fl = ddi_pkt_is_tcp(p) ? p->tcp.flags : 0;
    if ((fl & (DDI_TH_ACK | DDI_TH_RST)) && !(fl & DDI_TH_SYN) && s->syns && !(s->flags & DDI_SRC_ANSWERED)) {
        ddi_pkt q = *p;
        q.tcp.seq = p->tcp.seq - 1;
        const ddi_conn *qc = ddi_state_conn(st, ddi_state_conn_find(st, ddi_conn_key(&q)));
        if (qc && ddi_conn_live(qc, p->ts))
            s->flags |= DDI_SRC_ANSWERED;
    }

    bool syn = ddi_pkt_is_syn(p);
    bool retrans_plus1 = false, retrans = false, dup = false;
    ddi_conn *c = NULL;
    if (syn) {
        /* no duplicate comes before the SYN it copies: syns == 0 here means
         * this is the source's first SYN */
        if (!s->syns)
            s->first_syn_off = (float)(p->ts - s->first_ts);
        /* stateless scanners never retransmit (docs/references.md R10): their
         * millions of one-off SYNs need no connection records */
        if (!ddi_tool_is_stateless(tool)) {
            ddi_state_conn_expire(st, p->ts);
            uint64_t key = ddi_conn_key(p);
            uint32_t ci = ddi_state_conn_get(st, key, &created);
            c = ddi_state_conn(st, ci);
            if (c && !created && !ddi_conn_live(c, p->ts)) {
                /* too late for a retransmission: a new connection */
                ci = ddi_state_conn_renew(st, key);
                c = ddi_state_conn(st, ci);
                created = true;
            }
            if (out && c)
                out->conn_idx = ci;
            if (!c) {
                rec->flags |= DDI_FR_CONN_FULL;
            } else if (created) {
                c->src = si;
                c->first_ts = p->ts;
                c->count = 1;
                c->port445 = p->tcp.dport == DDI_CONFICKER_PORT;
                c->last_ipid = p->ip_id;
            } else {
                retrans = true;
                double since_first = p->ts - c->first_ts;
                rec->retry_count = c->count < 15 ? c->count : 15;
                rec->retry_iv = (float)(since_first - c->last_dt);
            }
            /* a copy sooner than any retransmission timer: no retry, the
             * connection's schedule stays as it was */
            if (c && !created && !ddi_retry_is_duplicate(rec->retry_iv)) {
                double since_first = p->ts - c->first_ts;
                if (c->count == 1)
                    c->gap1 = (float)since_first;
                if (c->count == 2) /* the second gap dates some stacks (os.c) */
                    c->backoff = (uint8_t)ddi_retry_backoff_class(c->gap1, since_first - c->last_dt);
                c->last_dt = (float)since_first;
                if (c->count < 255)
                    c->count++;
                retrans_plus1 = p->ver == 4 && p->ip_id == (uint16_t)(c->last_ipid + 1);
                c->last_ipid = p->ip_id;
                s->retries++;
            } else if (c && !created) {
                dup = true;
            }
            if (c)
                rec->flags |= DDI_FR_HAS_CONN;
        }
        if (!dup)
            s->syns++;
        else if (w)
            w->syns_dup++;
    }

    uint16_t nat = 0;
    if (p->ver == 4) {
        bool atomic_zero = ddi_ipid_atomic_zero(p->df, p->ip_id);
        if (s->ipid.seen && !atomic_zero) {
            rec->flags |= DDI_FR_HAS_GAP;
            rec->ipid_gap = ddi_ipid_gap(s->ipid.last, p->ip_id);
            /* from exact nanoseconds: a double epoch is only good to ~0.24 us */
            rec->ipid_dt = (float)((double)(p->ts_ns - s->ipid.last_ns) / 1e9);
        }
        /* a late or repeated packet of the same counter is no second host */
        bool late = !atomic_zero && ddi_ipid_late_or_repeat(&s->ipid, p->ip_id);
        if (ddi_ipid_add(&s->ipid, p->ip_id, p->df, p->ts_ns, retrans_plus1)) {
            rec->ipid_samples = s->ipid.samples;
            rec->ipid_advance = s->ipid.advance;
        }
        ddi_ipid_class cls = ddi_ipid_classify(&s->ipid);
        rec->ipid_class = (uint8_t)cls;
        if (!retrans && !late && !tool_is_crafted(tool) && p->ip_id && cls != DDI_IPID_CONSTANT)
            nat |= ddi_nat_source_ipid(&s->nat, p->ip_id);
        /* interleaved sequences mean several hosts only where the IDs are a
         * counter; the class can change, and the claim follows it */
        if (!ddi_ipid_is_counter(cls)) {
            nat &= ~(uint16_t)DDI_NAT_IPID;
            s->nat_bits &= ~(uint16_t)DDI_NAT_IPID;
        }
    }

    ddi_os_result os;
    bool has_os = wants_os(p, tool);
    uint8_t os_label = 0;
    if (has_os) {
        ddi_os_input in;
        if (!st->os_memo)
            st->os_memo = ddi_os_memo_new();
        os_input(p, db, st->os_memo, rec, c, false, &in);
        ddi_os_infer(&in, &os);
        nat |= ddi_nat_packet(p, &os) | ddi_nat_source_syn(&s->nat, p, &os, !retrans);
        if (w) /* the label is for the report only */
            os_label = ddi_summary_label_id(&st->labels, os.label);
        if (out) {
            out->has_os = true;
            memcpy(&out->os, &os, offsetof(ddi_os_result, evidence));
        }
    }
    if (p->l4 == DDI_L4_UDP)
        s->flags |= DDI_SRC_SENT_UDP;
    if (w) {
        bool is_bs = is_cls && seen == DDI_BS_SEEN_NONE;
        const ddi_bs_result *bsr = is_bs ? &bs : NULL;
        ddi_src_rare *rare = ddi_summary_needs_rare(p, bsr) ? ddi_state_source_rare(st, w) : NULL;
        ddi_summary_observe(&w->sum, rare, p, tool, has_os ? &os : NULL, os_label, bsr);
        /* nmap's labels on the first probes fall once its per-probe TTL is refuted */
        if (ddi_tool_nmap_refuted(&s->tool_ctx))
            w->sum.tools &= (uint16_t)~((1u << DDI_TOOL_NMAP_SYN) | (1u << DDI_TOOL_NMAP_OTHER));
        if (nat && !s->nat_bits)
            w->nat_off = (float)(p->ts - s->first_ts);
        if (nat & ~s->nat_bits)
            keep_nat_text(st, si, s, (uint16_t)(nat & ~s->nat_bits), p, has_os ? &os : NULL);
        w->last_ts = p->ts;
    }
    s->nat_bits |= nat;
    /* a tool's crafted packet says nothing about the hosts behind the address */
    rec->nat_bits = tool_is_crafted(tool) ? 0 : (ddi_nat_set)(nat | (s->nat_bits & DDI_NAT_STICKY));
}

void ddi_observe_prefetch(const ddi_state *st, const ddi_pkt *p, int stage, ddi_prefetch_memo *memo)
{
    if (!p->ver)
        return;
    ddi_state_prefetch_source(st, &p->src, stage);
    /* the connection a SYN opens or retransmits (stateless tools' SYNs have
     * none, but which those are is known only in ddi_observe) */
    if (ddi_pkt_is_syn(p)) {
        if (stage == 0)
            memo->conn_key = ddi_conn_key(p);
        ddi_state_prefetch_conn(st, memo->conn_key, stage);
    }
}

/* One line per packet, short enough for a tree label (240 characters): the
 * details live in the other fields. */
static void build_summary(ddi_verdict *v)
{
    ddi_sb b = ddi_sb_on(v->summary, sizeof v->summary);

    if (v->tool != DDI_TOOL_NONE)
        ddi_sb_clause(&b, "%s", ddi_tool_name(v->tool));
    if (v->has_bs) {
        char a[48];
        ddi_sb_clause(&b, "%sbackscatter %s", v->two_way ? "possible " : "", ddi_backscatter_name(v->bs.kind));
        if (v->bs.victim_known) {
            ddi_sb_add(&b, " from %s", ddi_addr_str(&v->bs.victim, a, sizeof a));
            if (v->bs.has_port)
                ddi_sb_add(&b, " port %u", v->bs.victim_port);
        }
        if (v->two_way)
            ddi_sb_add(&b, " (two-way capture)");
    }
    if (v->has_os && v->os.family != DDI_OS_UNKNOWN) {
        ddi_sb_clause(&b, "%s", v->os.label);
        if (v->os.family == DDI_OS_WINDOWS && v->p->tcp.has_ws && v->p->tcp.has_ts)
            ddi_sb_add(&b, " (published reading: Vista/2008)");
    }
    if (v->has_mss && v->link.mtu < 1500) {
        if (v->link.tunnel)
            ddi_sb_clause(&b, "MTU %u, %s in this frame", v->link.mtu, v->link.tunnel);
        else
            ddi_sb_clause(&b, "MTU %u%s", v->link.mtu, v->link.pppoe ? ", PPPoE-sized" : ", tunnel or clamp");
    }
    if (v->nat_bits) {
        char kinds[128];
        ddi_nat_kinds_join(v->nat_bits, kinds, sizeof kinds);
        ddi_sb_clause(&b, "NAT suspected (%s)", kinds);
    }
    if (v->has_rate) {
        char r[32], s[32];
        ddi_ipid_fmt_fixed(r, sizeof r, v->rate_est.rate, 1);
        ddi_ipid_fmt_fixed(s, sizeof s, v->rate_est.span, v->rate_est.span >= 1 ? 2 : v->rate_est.span >= 0.001 ? 3 : 6);
        ddi_sb_clause(&b, "sends ~%s packets/s in all (IP-ID, over %s s, %u samples)", r, s, v->rate_est.samples);
    }
    if (v->retry_count)
        ddi_sb_clause(&b, "SYN retry #%u after %.2f s", v->retry_count, v->retry_iv);
    if (v->duplicate)
        ddi_sb_clause(&b, "duplicate SYN %.3f s after the previous (faster than any retransmission timer)", v->dup_iv);
    if (v->conficker == DDI_CONF_YES)
        ddi_sb_clause(&b, "Conficker-style single retry");
    if (!b.len)
        ddi_sb_add(&b, "nothing notable");
}

/* In a two-way capture a reply may answer a packet sent before the capture
 * began, or one the capture missed: backscatter is then a candidate only. */
static void two_way_caveat(ddi_verdict *v)
{
    ddi_sb b = ddi_sb_resume(v->bs_evidence, sizeof v->bs_evidence);
    if (!v->two_way_frame) /* evident in an earlier file of a carried state */
        ddi_sb_clause(&b, "but this capture is two-way (since an earlier capture file), so the packet may also "
                          "answer one sent before the capture began or not captured");
    else
        ddi_sb_clause(&b, "but this capture is two-way (since frame %u), so the packet may also answer one sent "
                          "before the capture began or not captured",
                      v->two_way_frame);
}

void ddi_verdict_build(const ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, const ddi_frame_rec *rec,
                       ddi_verdict *v)
{
    ddi_verdict_build_ex(st, db, p, rec, DDI_EXPLAIN_ALL, v);
}

/* A SYN-ACK matched against p0f's [tcp:response] signatures.  The window
 * rule that needs the peer's SYN MSS is not used (the SYN is usually not in
 * the capture: backscatter answers spoofed SYNs). */
static void synack_os(const ddi_p0fdb *db, const ddi_pkt *p, ddi_verdict *v)
{
    if (!ddi_pkt_is_tcp(p) || (p->tcp.flags & (DDI_TH_SYN | DDI_TH_ACK | DDI_TH_RST | DDI_TH_FIN)) !=
                                  (DDI_TH_SYN | DDI_TH_ACK))
        return;
    ddi_fp_result r;
    if (!ddi_fp_match(db, p, &r) || r.userland || (r.kind != DDI_MATCH_EXACT && r.kind != DDI_MATCH_GENERIC))
        return;
    v->has_synack_os = true;
    v->synack_fp = r;
    snprintf(v->synack_os, sizeof v->synack_os, "%s%s%s", r.name, *r.flavor ? " " : "", r.flavor);
}

/* Clear a verdict for building.  Its texts are 3.5 kB of its 4.4 kB, and
 * every writer NUL-terminates what it writes, so they need only their first
 * byte: a whole memset cost ~550 instructions a packet.  Everything between
 * the texts is cleared, so a member added anywhere but after `summary` is
 * cleared too (the assertion below stops one added after it). */
#define END_OF(member) (offsetof(ddi_verdict, member) + sizeof(((ddi_verdict *)0)->member))
#define BEFORE(a, b) G_STATIC_ASSERT(END_OF(a) <= offsetof(ddi_verdict, b))
static void verdict_clear(ddi_verdict *v)
{
    G_STATIC_ASSERT(sizeof(ddi_verdict) - END_OF(summary) < _Alignof(ddi_verdict)); /* padding only */
    /* the texts in the order the memsets below take them (a reordered
     * member would make a length negative) */
    BEFORE(sender_why, os.evidence);
    G_STATIC_ASSERT(END_OF(os.evidence) == offsetof(ddi_verdict, os.raw_sig));
    BEFORE(os.raw_sig, synack_os);
    BEFORE(synack_os, nat_reason);
    BEFORE(nat_reason, tool_evidence);
    BEFORE(tool_evidence, bs_evidence);
    BEFORE(bs_evidence, summary);
    memset(v, 0, offsetof(ddi_verdict, sender_why));
    v->sender_why[0] = 0;
    memset((char *)v + END_OF(sender_why), 0, offsetof(ddi_verdict, os.evidence) - END_OF(sender_why));
    v->os.evidence[0] = 0;
    v->os.raw_sig[0] = 0;
    memset((char *)v + END_OF(os.raw_sig), 0, offsetof(ddi_verdict, synack_os) - END_OF(os.raw_sig));
    v->synack_os[0] = 0;
    memset((char *)v + END_OF(synack_os), 0, offsetof(ddi_verdict, nat_reason) - END_OF(synack_os));
    v->nat_reason[0] = 0;
    memset((char *)v + END_OF(nat_reason), 0, offsetof(ddi_verdict, tool_evidence) - END_OF(nat_reason));
    v->tool_evidence[0] = 0;
    memset((char *)v + END_OF(tool_evidence), 0, offsetof(ddi_verdict, bs_evidence) - END_OF(tool_evidence));
    v->bs_evidence[0] = 0;
    memset((char *)v + END_OF(bs_evidence), 0, offsetof(ddi_verdict, summary) - END_OF(bs_evidence));
    v->summary[0] = 0;
}
#undef BEFORE
#undef END_OF

void ddi_verdict_build_ex(const ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, const ddi_frame_rec *rec,
                          unsigned explain, ddi_verdict *v)
{
    ddi_verdict_build_from(st, db, p, rec, explain, NULL, v);
}

void ddi_verdict_build_from(const ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, const ddi_frame_rec *rec,
                            unsigned explain, const ddi_observed *obs, ddi_verdict *v)
{
    bool evidence = explain & DDI_EXPLAIN_EVIDENCE;
    verdict_clear(v);
    v->p = p;
    /* right after ddi_observe(), the records it used are the ones a lookup finds */
    v->src = ddi_state_source(st, obs ? obs->src_idx : ddi_state_source_find(st, &p->src));
    v->syn = ddi_pkt_is_syn(p);
    v->tool = (ddi_tool)rec->tool;
    const ddi_conn *c = NULL;
    if (rec->flags & DDI_FR_HAS_CONN) {
        v->conn_idx = obs ? obs->conn_idx : ddi_state_conn_find_at(st, ddi_conn_key(p), p->ts);
        c = ddi_state_conn(st, v->conn_idx);
    }

    v->ipid_class = (ddi_ipid_class)rec->ipid_class;
    if (rec->flags & DDI_FR_HAS_GAP) {
        v->has_gap = true;
        v->gap = rec->ipid_gap;
        v->dt = rec->ipid_dt;
        /* the span ends at this frame and starts at the source's first
         * sample, which is fixed once a second one is in sequence */
        int64_t span_ns = rec->ipid_samples > 1 && v->src ? p->ts_ns - v->src->ipid.first_ns : 0;
        v->rate_est = ddi_ipid_estimate_of(v->ipid_class, rec->ipid_samples, rec->ipid_advance, span_ns);
        v->has_rate = v->rate_est.status == DDI_RATE_OK;
        if (v->has_rate)
            v->rate = v->rate_est.rate;
    } else {
        v->rate_est = ddi_ipid_estimate_of(v->ipid_class, rec->ipid_samples, rec->ipid_advance, 0);
    }

    v->retry_count = (uint8_t)frame_retries(rec, p);
    if (v->retry_count)
        v->retry_iv = rec->retry_iv;
    v->duplicate = v->syn && rec->retry_count && !v->retry_count;
    if (v->duplicate)
        v->dup_iv = rec->retry_iv;
    if (c) {
        v->conn_known = true;
        v->conn = ddi_conn_history(c);
        v->retry_gap1 = v->retry_count ? c->gap1 : 0;
        if (v->retry_count == 2)
            v->backoff = ddi_retry_backoff_text(c->gap1, rec->retry_iv);
        v->conficker = ddi_retry_conficker(&v->conn, st->horizon);
        v->observed_after = st->horizon - c->first_ts;
    }

    v->horizon = st->horizon;
    if ((explain & DDI_EXPLAIN_SENDER) && v->src && v->src->syns)
        /* duplicates say nothing about retransmitting (retry.h) */
        ddi_sender_verdict(v->src->syns, v->src->retries, v->src->flags & DDI_SRC_ANSWERED,
                           v->src->first_ts + v->src->first_syn_off, st->horizon, &v->sender, v->sender_why,
                           sizeof v->sender_why);
    v->two_way = ddi_state_two_way(st, p->frame, &v->two_way_frame, NULL);
    v->two_way_here = v->two_way && v->two_way_frame == p->frame;

    if (wants_os(p, v->tool) && obs && obs->has_os && !evidence) {
        /* the same inputs (this frame's record, its connection as it is
         * now) right after ddi_observe(): the same result; the texts stay
         * empty as after the memset above */
        memcpy(&v->os, &obs->os, offsetof(ddi_os_result, evidence));
        v->has_os = true;
    } else if (wants_os(p, v->tool)) {
        ddi_os_input in;
        os_input(p, db, NULL, rec, c, evidence, &in);
        ddi_os_infer(&in, &v->os);
        v->has_os = true;
    }
    /* every tool ddi knows writes a fixed MSS (nmap 1460 and its OS probes'
     * 265/640/1400, unicornscan, ZMap, masscan): a value typed into the tool,
     * not read from a link */
    if (ddi_pkt_is_tcp(p) && (p->tcp.flags & DDI_TH_SYN) && p->tcp.has_mss && v->tool == DDI_TOOL_NONE)
        v->has_mss = ddi_mss_link_encap(p->ver, p->tcp.mss, p->encap, &v->link);

    synack_os(db, p, v);

    v->nat_bits = rec->nat_bits;
    if (v->nat_bits && evidence)
        ddi_nat_reason(v->nat_bits, p, &v->os, v->src ? &v->src->nat : NULL, v->nat_reason, sizeof v->nat_reason);

    if (v->tool != DDI_TOOL_NONE && evidence)
        ddi_tool_evidence(v->tool, p, v->tool_evidence, sizeof v->tool_evidence);
    bool cls;
    if (obs) {
        cls = obs->bs_cls;
        v->bs = obs->bs;
    } else {
        cls = ddi_backscatter_classify(p, &v->bs);
    }
    v->bs_seen = cls ? (ddi_bs_seen)ddi_frame_seen(rec, p) : DDI_BS_SEEN_NONE;
    v->has_bs = cls && v->bs_seen == DDI_BS_SEEN_NONE;
    if (v->has_bs && evidence) {
        ddi_backscatter_evidence(&v->bs, p, v->bs_evidence, sizeof v->bs_evidence);
        if (v->two_way)
            two_way_caveat(v);
    } else if (v->bs_seen && evidence) {
        ddi_backscatter_seen_evidence(v->bs_seen, &v->bs, p, v->bs_evidence, sizeof v->bs_evidence);
    }
    if (explain & DDI_EXPLAIN_SUMMARY)
        build_summary(v);
}
