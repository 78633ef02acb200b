/* stats-ddi.c — Statistics for ddi: a stats_tree (GUI menu and
 * `tshark -z ddi,tree`) and a per-source report (`tshark -z ddi,sources`,
 * `-z ddi,sources,json` for one JSON object per source).
 *
 * Both read the verdicts the post-dissector queues on the "ddi" tap.  The
 * per-source report re-evaluates whole-capture verdicts at draw time, when
 * every packet has been seen, so it is complete even in one-pass tshark.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "ddi"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <epan/packet.h>
#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>
#include <wsutil/wslog.h>

#include "compat.h"
#include "packet-ddi.h"

/* ------------------------------------------------------------------ stats_tree */

static int st_pkts = -1, st_srcs = -1;
static GHashTable *st_seen; /* "dimension|value|source" already counted */

static const char *const dims[] = {"OS family", "Link type", "NAT suspected", "SYN retry pattern",
                                   "Sender type", "Scanning tool", "Backscatter", "Destination port"};
enum { DIM_OS, DIM_LINK, DIM_NAT, DIM_RETRY, DIM_SENDER, DIM_TOOL, DIM_BS, DIM_DPORT, DIM__N };
static int st_dim_pkts[DIM__N], st_dim_srcs[DIM__N];

static void ddi_tree_init(stats_tree *st)
{
    st_pkts = stats_tree_create_node(st, "ddi packets", 0, STAT_DT_INT, TRUE);
    st_srcs = stats_tree_create_node(st, "ddi sources", 0, STAT_DT_INT, TRUE);
    for (int d = 0; d < DIM__N; d++) {
        st_dim_pkts[d] = stats_tree_create_node(st, dims[d], st_pkts, STAT_DT_INT, TRUE);
        st_dim_srcs[d] = stats_tree_create_node(st, dims[d], st_srcs, STAT_DT_INT, TRUE);
    }
    if (st_seen)
        g_hash_table_destroy(st_seen);
    st_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static void ddi_tree_cleanup(stats_tree *st)
{
    (void)st;
    if (st_seen)
        g_hash_table_destroy(st_seen);
    st_seen = NULL;
}

static const char *retry_pattern(const ddi_verdict *v)
{
    if (!v->syn)
        return NULL;
    if (v->conficker == DDI_CONF_YES)
        return "one retry at ~3 s, then silence (Conficker-style)";
    if (!v->retry_count)
        return "first SYN";
    switch (ddi_retry_rto_class(v->retry_gap1)) {
    case DDI_RTO_3S: return "retry, 3 s initial RTO";
    case DDI_RTO_1S: return "retry, 1 s initial RTO";
    default: return "retry, other timing";
    }
}

static void tick_dim(stats_tree *st, int d, const char *value, const char *src)
{
    if (!value)
        return;
    tick_stat_node(st, dims[d], st_pkts, TRUE);
    tick_stat_node(st, value, st_dim_pkts[d], FALSE);
    /* the dimension's node under "ddi sources" counts distinct sources (a
     * source can show several values of one dimension, e.g. first SYN and
     * retry), so that its share of "ddi sources" never exceeds 100% */
    char *dkey = g_strdup_printf("dim|%d|%s", d, src);
    if (g_hash_table_add(st_seen, dkey))
        tick_stat_node(st, dims[d], st_srcs, TRUE);
    char *key = g_strdup_printf("%d|%s|%s", d, value, src);
    if (g_hash_table_add(st_seen, key))
        tick_stat_node(st, value, st_dim_srcs[d], FALSE);
}

static tap_packet_status ddi_tree_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *p,
                                         tap_flags_t flags _U_)
{
    const ddi_tap_info *ti = (const ddi_tap_info *)p;
    const ddi_verdict *v = ti->v;
    char src[48], port[16], nat[96];

    ddi_addr_str(&v->p->src, src, sizeof src);
    tick_stat_node(st, "ddi packets", 0, FALSE);
    char *skey = g_strdup_printf("src|%s", src);
    if (g_hash_table_add(st_seen, skey))
        tick_stat_node(st, "ddi sources", 0, FALSE);

    tick_dim(st, DIM_OS, v->has_os ? ddi_os_family_name(v->os.family) : NULL, src);
    tick_dim(st, DIM_LINK, v->has_mss ? v->link.label : NULL, src);
    if (v->nat_bits) {
        nat[0] = 0;
        for (unsigned bit = 1; bit < (1u << DDI_NAT__KINDS); bit <<= 1)
            if (v->nat_bits & bit)
                g_strlcat(nat, nat[0] ? ", " : "", sizeof nat), g_strlcat(nat, ddi_nat_kind_name(bit), sizeof nat);
        tick_dim(st, DIM_NAT, nat, src);
    }
    tick_dim(st, DIM_RETRY, retry_pattern(v), src);
    tick_dim(st, DIM_SENDER, v->sender == DDI_SENDER_STATEFUL    ? "stateful (retransmits SYNs)"
                             : v->sender == DDI_SENDER_STATELESS ? "stateless (never retransmits)"
                                                                 : NULL,
             src);
    tick_dim(st, DIM_TOOL, v->tool != DDI_TOOL_NONE ? ddi_tool_name(v->tool) : NULL, src);
    tick_dim(st, DIM_BS, v->has_bs ? ddi_backscatter_name(v->bs.kind) : NULL, src);
    if (ddi_pkt_is_tcp(v->p) && !v->has_bs) {
        snprintf(port, sizeof port, "tcp/%u", v->p->tcp.dport);
        tick_dim(st, DIM_DPORT, port, src);
    } else if (v->p->l4 == DDI_L4_UDP && v->p->l4_complete) {
        snprintf(port, sizeof port, "udp/%u", v->p->udp_dport);
        tick_dim(st, DIM_DPORT, port, src);
    }
    return TAP_PACKET_REDRAW;
}

/* ------------------------------------------------------------------ per-source report */

typedef struct src_row {
    char addr[48];
    ddi_addr key;
    guint64 pkts, syns, retries;
    double first, last;
    char os[96], os_family[24], os_match[12];
    char link[96];
    guint mtu;
    gboolean pppoe, has_mss;
    guint16 nat_bits;
    char *nat_reason;
    char ipid_class[40];
    gboolean has_rate;
    double rate;
    double gap1;
    guint8 max_retry;
    uint32_t conf_conn;  /* a tcp/445 connection with a retry: re-checked at draw */
    char tool[32], bs[24];
    char *verdict;
} src_row;

typedef struct report {
    GHashTable *rows;
    gboolean json;
} report;

static void row_free(gpointer p)
{
    src_row *r = p;
    g_free(r->nat_reason);
    g_free(r->verdict);
    g_free(r);
}

static void set_str(char **dst, const char *s)
{
    if (*dst && !strcmp(*dst, s))
        return;
    g_free(*dst);
    *dst = g_strdup(s);
}

static tap_packet_status report_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
                                       tap_flags_t flags _U_)
{
    report *rp = tapdata;
    const ddi_tap_info *ti = data;
    const ddi_verdict *v = ti->v;
    char addr[48];
    ddi_addr_str(&v->p->src, addr, sizeof addr);
    src_row *r = g_hash_table_lookup(rp->rows, addr);
    if (!r) {
        r = g_new0(src_row, 1);
        g_strlcpy(r->addr, addr, sizeof r->addr);
        r->key = v->p->src;
        r->first = v->p->ts;
        g_hash_table_insert(rp->rows, r->addr, r);
    }
    r->pkts++;
    r->last = v->p->ts;
    if (v->syn) {
        r->syns++;
        if (v->retry_count) {
            r->retries++;
            if (!r->gap1)
                r->gap1 = v->retry_gap1;
        }
        if (v->retry_count > r->max_retry)
            r->max_retry = v->retry_count;
    }
    if (v->has_os && (v->os.family != DDI_OS_UNKNOWN || !r->os[0])) {
        g_strlcpy(r->os, v->os.label, sizeof r->os);
        g_strlcpy(r->os_family, ddi_os_family_name(v->os.family), sizeof r->os_family);
        g_strlcpy(r->os_match, ddi_os_match_name(v->os.match), sizeof r->os_match);
    }
    if (v->has_mss) {
        r->has_mss = TRUE;
        g_strlcpy(r->link, v->link.label ? v->link.label : "", sizeof r->link);
        r->mtu = v->link.mtu;
        r->pppoe = v->link.pppoe;
    }
    if (v->nat_bits & ~r->nat_bits) {
        r->nat_bits |= v->nat_bits;
        char *joined = g_strdup_printf("%s%s%s", r->nat_reason ? r->nat_reason : "", r->nat_reason ? "; " : "",
                                       v->nat_reason);
        g_free(r->nat_reason);
        r->nat_reason = joined;
    }
    g_strlcpy(r->ipid_class, ddi_ipid_class_name(v->ipid_class), sizeof r->ipid_class);
    if (v->has_rate) {
        r->has_rate = TRUE;
        r->rate = v->rate;
    }
    if (v->syn && v->retry_count && v->conn.dport == 445)
        r->conf_conn = ti->conn;
    if (v->tool != DDI_TOOL_NONE)
        g_strlcpy(r->tool, ddi_tool_name(v->tool), sizeof r->tool);
    if (v->has_bs)
        g_strlcpy(r->bs, ddi_backscatter_name(v->bs.kind), sizeof r->bs);
    if (v->syn || !r->verdict)
        set_str(&r->verdict, v->summary);
    return TAP_PACKET_REDRAW;
}

static gint by_pkts(gconstpointer a, gconstpointer b)
{
    const src_row *x = *(src_row *const *)a, *y = *(src_row *const *)b;
    if (x->pkts != y->pkts)
        return x->pkts > y->pkts ? -1 : 1;
    return strcmp(x->addr, y->addr);
}

static void json_str(GString *o, const char *k, const char *s)
{
    g_string_append_printf(o, "\"%s\":\"", k);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_printf(o, "\\%c", *c);
        else if (*c < 0x20)
            g_string_append_printf(o, "\\u%04x", *c);
        else
            g_string_append_c(o, (char)*c);
    }
    g_string_append(o, "\",");
}

static const char *retry_text(const src_row *r, char *buf, size_t len)
{
    if (!r->retries) {
        snprintf(buf, len, "%s", r->syns ? "no SYN retransmission" : "-");
        return buf;
    }
    snprintf(buf, len, "%" G_GUINT64_FORMAT " retr., up to #%u; first gap %.2f s (%s)", r->retries, r->max_retry, r->gap1,
             ddi_retry_rto_class(r->gap1) == DDI_RTO_3S   ? "3 s RTO"
             : ddi_retry_rto_class(r->gap1) == DDI_RTO_1S ? "1 s RTO"
                                                          : "other");
    return buf;
}

/* Human-readable UTC with microseconds; the JSON export keeps epoch numbers. */
static void utc(double t, char *buf, size_t len)
{
    time_t secs = (time_t)t;
    struct tm tm;
    char day[24];
    if (!gmtime_r(&secs, &tm) || !strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm)) {
        snprintf(buf, len, "%.6f", t);
        return;
    }
    snprintf(buf, len, "%s.%06d", day, (int)((t - (double)secs) * 1e6 + 0.5) % 1000000);
}

static void report_draw(void *tapdata)
{
    report *rp = tapdata;
    GPtrArray *rows = g_ptr_array_new();
    GHashTableIter it;
    gpointer k, val;
    g_hash_table_iter_init(&it, rp->rows);
    while (g_hash_table_iter_next(&it, &k, &val))
        g_ptr_array_add(rows, val);
    g_ptr_array_sort(rows, by_pkts);

    if (!rp->json) {
        printf("\n===================================================================\n");
        printf("ddi per-source report: %u sources\n", rows->len);
        printf("===================================================================\n");
    }
    GString *o = g_string_new(NULL);
    char rt[128];
    for (guint i = 0; i < rows->len; i++) {
        src_row *r = rows->pdata[i];
        retry_text(r, rt, sizeof rt);
        /* every packet has been seen now: the whole-capture verdict is final */
        const ddi_conn *c = ddi_state_conn(ddi_glue_state(), r->conf_conn);
        ddi_syn_history h;
        gboolean conficker = FALSE;
        if (c) {
            h = ddi_conn_history(c);
            conficker = ddi_retry_conficker(&h, ddi_glue_horizon()) == DDI_CONF_YES;
        }
        const ddi_source *src = ddi_state_source(ddi_glue_state(), ddi_state_source_find(ddi_glue_state(), &r->key));
        ddi_sender sender = src && src->syns ? ddi_retry_sender(src->syns, src->retries,
                                                                src->first_ts + src->first_syn_off, ddi_glue_horizon())
                                             : DDI_SENDER_UNKNOWN;
        if (conficker && (!r->verdict || !strstr(r->verdict, "Conficker"))) {
            char *s2 = g_strdup_printf("%s; Conficker-style single retry",
                                       r->verdict ? r->verdict : "");
            g_free(r->verdict);
            r->verdict = s2;
        }
        if (rp->json) {
            g_string_truncate(o, 0);
            g_string_append_c(o, '{');
            json_str(o, "src", r->addr);
            g_string_append_printf(o, "\"packets\":%" G_GUINT64_FORMAT ",\"syns\":%" G_GUINT64_FORMAT
                                      ",\"retransmissions\":%" G_GUINT64_FORMAT ",",
                                   r->pkts, r->syns, r->retries);
            g_string_append_printf(o, "\"first_seen\":%.6f,\"last_seen\":%.6f,", r->first, r->last);
            json_str(o, "os", r->os[0] ? r->os : NULL);
            json_str(o, "os_family", r->os_family);
            json_str(o, "os_match", r->os_match);
            if (r->has_mss)
                g_string_append_printf(o, "\"mtu\":%u,", r->mtu);
            json_str(o, "link", r->link);
            g_string_append_printf(o, "\"pppoe\":%s,\"nat\":%s,", r->pppoe ? "true" : "false",
                                   r->nat_bits ? "true" : "false");
            json_str(o, "nat_reason", r->nat_reason);
            json_str(o, "ipid_class", r->ipid_class);
            if (r->has_rate)
                g_string_append_printf(o, "\"ipid_rate\":%.3f,", r->rate);
            json_str(o, "retry", rt);
            g_string_append_printf(o, "\"conficker\":%s,", conficker ? "true" : "false");
            json_str(o, "sender", sender == DDI_SENDER_STATEFUL    ? "stateful"
                                  : sender == DDI_SENDER_STATELESS ? "stateless"
                                                                   : "");
            json_str(o, "tool", r->tool);
            json_str(o, "backscatter", r->bs);
            json_str(o, "verdict", r->verdict);
            g_string_truncate(o, o->len - 1);
            g_string_append_c(o, '}');
            printf("%s\n", o->str);
        } else {
            char first[40], last[40];
            utc(r->first, first, sizeof first);
            utc(r->last, last, sizeof last);
            printf("%s  packets %" G_GUINT64_FORMAT "  first %s  last %s\n", r->addr, r->pkts, first, last);
            printf("    OS:       %s%s%s%s\n", r->os[0] ? r->os : "-", r->os[0] ? " (" : "", r->os[0] ? r->os_match : "",
                   r->os[0] ? ")" : "");
            if (r->has_mss)
                printf("    Link:     MTU %u, %s%s\n", r->mtu, r->link, r->pppoe ? " [PPPoE-sized]" : "");
            printf("    NAT:      %s\n", r->nat_bits ? r->nat_reason : "no evidence");
            printf("    IP ID:    %s%s", r->ipid_class, r->has_rate ? "" : "\n");
            if (r->has_rate)
                printf(", ~%.1f packets/s in all\n", r->rate);
            printf("    Retries:  %s%s\n", rt, conficker ? "; Conficker-style single retry, then silence" : "");
            if (sender != DDI_SENDER_UNKNOWN)
                printf("    Sender:   %s\n", ddi_retry_sender_text(sender));
            if (r->tool[0])
                printf("    Tool:     %s\n", r->tool);
            if (r->bs[0])
                printf("    Backscat: %s\n", r->bs);
            printf("    Verdict:  %s\n", r->verdict ? r->verdict : "-");
        }
    }
    if (!rp->json) {
        const ddi_state *st = ddi_glue_state();
        printf("ddi state: %u sources, %u SYN connections, %u frame records, %.1f MB\n",
               ddi_state_source_count(st), st->conns.count, st->frames.count, ddi_state_memory(st) / 1048576.0);
        printf("===================================================================\n");
    }
    g_string_free(o, TRUE);
    g_ptr_array_free(rows, TRUE);
}

static void report_reset(void *tapdata)
{
    report *rp = tapdata;
    g_hash_table_remove_all(rp->rows);
}

static void report_finish(void *tapdata)
{
    report *rp = tapdata;
    g_hash_table_destroy(rp->rows);
    g_free(rp);
}

static void report_init(const char *opt_arg, void *userdata)
{
    (void)userdata;
    report *rp = g_new0(report, 1);
    rp->rows = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, row_free);
    rp->json = opt_arg && strstr(opt_arg, ",json") != NULL;
    GString *err = register_tap_listener("ddi", rp, NULL, TL_REQUIRES_NOTHING, report_reset, report_packet, report_draw,
                                         report_finish);
    if (err) {
        ws_warning("ddi,sources: %s", err->str);
        g_string_free(err, TRUE);
        report_finish(rp);
    }
}

static stat_tap_ui report_ui = {
    REGISTER_STAT_GROUP_GENERIC, "ddi per-source report", "ddi,sources", report_init, 0, NULL,
};

void ddi_stats_register(void)
{
    stats_tree_register_plugin("ddi", "ddi", "Darknet (ddi)", 0, ddi_tree_packet, ddi_tree_init, ddi_tree_cleanup);
    register_stat_tap_ui(&report_ui, NULL);
}
