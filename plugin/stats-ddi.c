/* stats-ddi.c — Statistics for ddi: a stats_tree (Statistics -> Darknet in
 * the GUI, `tshark -z ddi,tree`) and the per-source report
 * (`tshark -z ddi,sources`, `-z ddi,sources,json`).
 *
 * Both read only what the post-dissector queues on the "ddi" tap.  The
 * report is the core's whole-source summary (core/summary.h), built at draw
 * time from the state the tap payload points to, so it covers every packet
 * and connection of a source even in one-pass tshark.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "ddi"

#include <stdio.h>
#include <string.h>

#include <epan/packet.h>
#include <wsutil/report_message.h>
#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>
#include <wsutil/wslog.h>

#include "compat.h"
#include "ddi-tap.h"
#include "stats-ddi.h"

/* ------------------------------------------------------------------ stats_tree */

static const char *const dims[] = {"OS family", "Link type", "NAT suspected", "SYN retry pattern",
                                   "Sender type", "Scanning tool", "Backscatter", "Destination port"};
enum { DIM_OS, DIM_LINK, DIM_NAT, DIM_RETRY, DIM_SENDER, DIM_TOOL, DIM_BS, DIM_DPORT, DIM__N };

#define NODE_PKTS "ddi packets"
#define NODE_SRCS "ddi sources"
#define NODE_SKIPPED "packets not analysed (source table full)"

/* One per open tree: two `-z ddi,tree` (say, one with a filter) count apart. */
typedef struct tree_inst {
    int pkts, srcs, skipped;
    int dim_pkts[DIM__N], dim_srcs[DIM__N];
    GHashTable *seen; /* "dimension|value|source" already counted */
} tree_inst;

static GHashTable *instances; /* stats_tree * -> tree_inst * */

static void inst_free(gpointer p)
{
    tree_inst *in = p;
    g_hash_table_destroy(in->seen);
    g_free(in);
}

static void ddi_tree_init(stats_tree *st)
{
    if (!instances)
        instances = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, inst_free);
    tree_inst *in = g_new0(tree_inst, 1);
    in->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    in->pkts = stats_tree_create_node(st, NODE_PKTS, 0, STAT_DT_INT, TRUE);
    in->srcs = stats_tree_create_node(st, NODE_SRCS, 0, STAT_DT_INT, TRUE);
    in->skipped = stats_tree_create_node(st, NODE_SKIPPED, 0, STAT_DT_INT, FALSE);
    for (int d = 0; d < DIM__N; d++) {
        in->dim_pkts[d] = stats_tree_create_node(st, dims[d], in->pkts, STAT_DT_INT, TRUE);
        in->dim_srcs[d] = stats_tree_create_node(st, dims[d], in->srcs, STAT_DT_INT, TRUE);
    }
    /* Topic and Count only: the other columns (average, min, max, rate,
     * burst) are empty for counters like these */
    DDI_ST_COLUMNS(st, 7);
    g_hash_table_replace(instances, st, in);
}

static void ddi_tree_cleanup(stats_tree *st)
{
    if (instances)
        g_hash_table_remove(instances, st);
}

static const char *retry_pattern(const ddi_verdict *v)
{
    if (!v->syn)
        return NULL;
    /* the connection as a whole fits: both of its SYNs make the pattern */
    if (v->conficker == DDI_CONF_YES)
        return "one retry at ~3 s, then silence (Conficker-style)";
    if (!v->retry_count)
        return NULL; /* a first SYN is no retry pattern */
    switch (ddi_retry_rto_class(v->retry_gap1)) {
    case DDI_RTO_3S: return "retry, " DDI_RTO_3S_SHORT;
    case DDI_RTO_1S: return "retry, " DDI_RTO_1S_SHORT;
    default: return "retry, other timing";
    }
}

/* Coarse link categories; the table's label is the detail one level down. */
static const char *link_category(const ddi_link *l)
{
    if (l->pppoe)
        return "PPPoE or DSL-sized";
    if (l->mtu == 1500)
        return "Ethernet (MTU 1500)";
    if (l->mtu > 1500)
        return "larger than Ethernet";
    if (l->mtu >= 1280)
        return "tunnel, VPN or MSS clamp";
    return "small MTU (old or embedded stack, dial-up)";
}

static void tick_value(stats_tree *st, tree_inst *in, int d, const char *value, const char *detail, const char *src)
{
    if (!value)
        return;
    tick_stat_node(st, dims[d], in->pkts, TRUE);
    int node = tick_stat_node(st, value, in->dim_pkts[d], detail != NULL);
    if (detail)
        tick_stat_node(st, detail, node, FALSE);
    /* the dimension's node under "ddi sources" counts distinct sources (a
     * source can show several values of one dimension), so that its share of
     * "ddi sources" never exceeds 100% */
    char *dkey = g_strdup_printf("dim|%d|%s", d, src);
    if (g_hash_table_add(in->seen, dkey))
        tick_stat_node(st, dims[d], in->srcs, TRUE);
    char *key = g_strdup_printf("%d|%s|%s", d, value, src);
    if (g_hash_table_add(in->seen, key)) {
        int snode = tick_stat_node(st, value, in->dim_srcs[d], detail != NULL);
        if (detail) {
            char *k2 = g_strdup_printf("%d|%s|%s|%s", d, value, detail, src);
            if (g_hash_table_add(in->seen, k2))
                tick_stat_node(st, detail, snode, FALSE);
        }
    }
}

static tap_packet_status ddi_tree_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *p,
                                         tap_flags_t flags _U_)
{
    const ddi_tap_info *ti = (const ddi_tap_info *)p;
    tree_inst *in = instances ? g_hash_table_lookup(instances, st) : NULL;
    if (!in)
        return TAP_PACKET_DONT_REDRAW;
    if (!ti->src || !ti->v) {
        /* past ddi.max_sources: not analysed, so not counted as analysed */
        increase_stat_node(st, NODE_SKIPPED, 0, FALSE, 1);
        return TAP_PACKET_REDRAW;
    }
    const ddi_verdict *v = ti->v;
    char src[16], port[16], nat[96];

    g_snprintf(src, sizeof src, "%u", ti->src);
    tick_stat_node(st, NODE_PKTS, 0, FALSE);
    char *skey = g_strdup_printf("src|%s", src);
    if (g_hash_table_add(in->seen, skey))
        tick_stat_node(st, NODE_SRCS, 0, FALSE);

    tick_value(st, in, DIM_OS, v->has_os ? ddi_os_family_name(v->os.family) : NULL, NULL, src);
    tick_value(st, in, DIM_LINK, v->has_mss ? link_category(&v->link) : NULL, v->has_mss ? v->link.label : NULL, src);
    if (v->nat_bits) {
        ddi_nat_kinds_join(v->nat_bits, nat, sizeof nat);
        tick_value(st, in, DIM_NAT, nat, NULL, src);
    }
    tick_value(st, in, DIM_RETRY, retry_pattern(v), NULL, src);
    tick_value(st, in, DIM_SENDER, v->sender != DDI_SENDER_UNKNOWN ? ddi_retry_sender_short(v->sender) : NULL, NULL,
               src);
    tick_value(st, in, DIM_TOOL, v->tool != DDI_TOOL_NONE ? ddi_tool_name(v->tool) : NULL, NULL, src);
    tick_value(st, in, DIM_BS, v->has_bs ? ddi_backscatter_name(v->bs.kind) : NULL, NULL, src);
    if (ddi_pkt_is_tcp(v->p) && !v->has_bs) {
        g_snprintf(port, sizeof port, "tcp/%u", v->p->tcp.dport);
        tick_value(st, in, DIM_DPORT, port, NULL, src);
    } else if (v->p->l4 == DDI_L4_UDP && v->p->l4_complete) {
        g_snprintf(port, sizeof port, "udp/%u", v->p->udp_dport);
        tick_value(st, in, DIM_DPORT, port, NULL, src);
    }
    return TAP_PACKET_REDRAW;
}

/* ------------------------------------------------------------------ per-source report */

typedef struct report {
    gboolean json;
    const ddi_state *st;     /* from the tap payload: valid until the next file */
    const ddi_db_info *dbs;
    int ndbs;
    const char *state_in, *state_error;
    uint32_t carried;
    GByteArray *seen;        /* one byte per source index: shown in this report */
    guint64 skipped;         /* packets past ddi.max_sources that reached this listener */
} report;

static tap_packet_status report_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
                                       tap_flags_t flags _U_)
{
    report *rp = tapdata;
    const ddi_tap_info *ti = data;
    rp->st = ti->st;
    rp->dbs = ti->dbs;
    rp->ndbs = ti->ndbs;
    rp->state_in = ti->state_in;
    rp->state_error = ti->state_error;
    rp->carried = ti->carried;
    if (!ti->src) {
        rp->skipped++;
        return TAP_PACKET_DONT_REDRAW;
    }
    if (ti->src > rp->seen->len) {
        guint old = rp->seen->len;
        g_byte_array_set_size(rp->seen, MAX(ti->src, old * 2));
        memset(rp->seen->data + old, 0, rp->seen->len - old);
    }
    rp->seen->data[ti->src - 1] = 1;
    return TAP_PACKET_REDRAW;
}

static void report_draw(void *tapdata)
{
    report *rp = tapdata;
    ddi_capture_summary cap;
    memset(&cap, 0, sizeof cap);
    if (rp->st) {
        ddi_summary_capture(rp->st, rp->dbs, rp->ndbs, &cap);
        cap.state_in = rp->state_in;
        cap.state_error = rp->state_error;
        /* sources carried from earlier files are part of the capture, packets here or not */
        if (rp->carried > rp->seen->len) {
            guint old = rp->seen->len;
            g_byte_array_set_size(rp->seen, rp->carried);
            memset(rp->seen->data + old, 0, rp->seen->len - old);
        }
        memset(rp->seen->data, 1, rp->carried);
    }
    /* only the sources the tap's filter let through */
    if (!ddi_summary_write_report(stdout, rp->st, &cap, rp->seen->data, rp->seen->len, rp->json))
        ws_warning("ddi: out of memory for the per-source report");
    fflush(stdout);
}

static void report_reset(void *tapdata)
{
    report *rp = tapdata;
    g_byte_array_set_size(rp->seen, 0);
    rp->skipped = 0;
    rp->st = NULL;
    rp->state_in = rp->state_error = NULL;
    rp->carried = 0;
}

static void report_finish(void *tapdata)
{
    report *rp = tapdata;
    g_byte_array_free(rp->seen, TRUE);
    g_free(rp);
}

/* `ddi,sources` or `ddi,sources,json`: anything else is refused, not
 * silently read as the text report. */
static gboolean parse_report_args(const char *opt_arg, gboolean *json)
{
    static const char prefix[] = "ddi,sources";
    *json = FALSE;
    if (!opt_arg || strncmp(opt_arg, prefix, sizeof prefix - 1))
        return FALSE;
    const char *rest = opt_arg + sizeof prefix - 1;
    if (!*rest || !strcmp(rest, ",text"))
        return TRUE;
    if (!strcmp(rest, ",json")) {
        *json = TRUE;
        return TRUE;
    }
    return FALSE;
}

static DDI_TAP_INIT_RESULT report_init(const char *opt_arg, void *userdata)
{
    (void)userdata;
    gboolean json;
    if (!parse_report_args(opt_arg, &json)) {
        report_failure("ddi: unknown option in \"-z %s\": use -z ddi,sources (text) or -z ddi,sources,json",
                       opt_arg ? opt_arg : "");
        DDI_TAP_INIT_RETURN(false);
    }
    report *rp = g_new0(report, 1);
    rp->json = json;
    rp->seen = g_byte_array_new();
    GString *err = register_tap_listener("ddi", rp, NULL, TL_REQUIRES_NOTHING, report_reset, report_packet, report_draw,
                                         report_finish);
    if (err) {
        report_failure("ddi,sources: %s", err->str);
        g_string_free(err, TRUE);
        report_finish(rp);
        DDI_TAP_INIT_RETURN(false);
    }
    DDI_TAP_INIT_RETURN(true);
}

static stat_tap_ui report_ui = {
    REGISTER_STAT_GROUP_GENERIC, "ddi per-source report", "ddi,sources", report_init, 0, NULL,
};

void ddi_stats_register(void)
{
    stats_tree_register_plugin("ddi", "ddi", "Darknet (ddi)", DDI_ST_SORT_BY_COUNT, ddi_tree_packet, ddi_tree_init,
                               ddi_tree_cleanup);
    register_stat_tap_ui(&report_ui, NULL);
}
