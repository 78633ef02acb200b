/* packet-ddi.c — Deep Darknet Inspection post-dissector: registration,
 * extraction of the analysed IP header, and the ddi tree.
 *
 * All inference lives in core/; this file only moves bytes in and verdicts
 * out.  State changes happen on the first pass only; every pass renders the
 * tree from the frame's stored record, so one-pass tshark, two-pass tshark and
 * GUI re-dissection agree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "ddi"

#include "config-ddi.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#ifndef _WIN32
#include <langinfo.h>
#endif
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <epan/exceptions.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/tap.h>
#include <epan/unit_strings.h>
#include <wsutil/wslog.h>

#include "compat.h"
#include "ddi-tap.h"
#include "fields-ddi.h"
#include "packet-ddi.h"
#include "readers-ddi.h"
#include "core/statefile.h"

static int proto_ddi = DDI_ID_INIT;
static int ddi_tap = DDI_ID_INIT;
static dissector_handle_t ddi_handle;

/* fields read from other dissectors: the source address sits at a fixed
 * offset in every IPv4 (12) and IPv6 (8) header, so its field_info locates
 * the raw header bytes.  (ip.version is no tree item in 4.0.) */
static int hf_ip_src = DDI_ID_INIT;
static int hf_ipv6_src = DDI_ID_INIT;
#define IPV4_SRC_OFFSET 12
#define IPV6_SRC_OFFSET 8


static int ett_ddi = DDI_ID_INIT;
static int ett_ipid = DDI_ID_INIT;
static int ett_retry = DDI_ID_INIT;
static int ett_os = DDI_ID_INIT;
static int ett_link = DDI_ID_INIT;
static int ett_nat = DDI_ID_INIT;
static int ett_tool = DDI_ID_INIT;
static int ett_bs = DDI_ID_INIT;
static int ett_clues = DDI_ID_INIT;

/* Expert items: one row each, registered and gated from these rows (the
 * NAT kinds come from the core's table, one item per kind).  Ids are set to
 * Wireshark's EI_INIT at registration. */
static expert_field ei_conficker, ei_mss, ei_ipid_rate, ei_retry, ei_tool, ei_bs, ei_twoway, ei_state_full, ei_sigdb;
static expert_field ei_statefile, ei_state_carried;
static expert_field ei_nat[DDI_NAT__KINDS];

typedef struct expert_row {
    expert_field *ei;
    const char *abbrev;
    int group, severity;
    const char *summary;
} expert_row;

/* no "malware" expert group exists in 4.0: security is the closest */
static const expert_row glue_experts[] = {
    {&ei_conficker, "ddi.expert.conficker", PI_SECURITY, PI_WARN, "Conficker-style SYN retry"},
    {&ei_mss, "ddi.expert.mss", PI_PROTOCOL, PI_CHAT, "PPPoE or clamped MSS"},
    {&ei_ipid_rate, "ddi.expert.ipid_rate", PI_SEQUENCE, PI_CHAT, "IP-ID counter gap and sender rate"},
    {&ei_retry, "ddi.expert.retry", PI_SEQUENCE, PI_NOTE, "SYN retransmission"},
    {&ei_tool, "ddi.expert.tool", PI_SECURITY, PI_NOTE, "Scanning tool fingerprint"},
    {&ei_bs, "ddi.expert.backscatter", PI_SECURITY, PI_NOTE, "Backscatter from a spoofed attack"},
    {&ei_twoway, "ddi.expert.twoway", PI_ASSUMPTION, PI_NOTE, "Two-way traffic: not a pure telescope capture"},
    {&ei_state_full, "ddi.expert.state_full", PI_DEBUG, PI_WARN, "ddi state table full"},
    {&ei_sigdb, "ddi.expert.sigdb", PI_DEBUG, PI_WARN, "Signature database problem"},
    {&ei_statefile, "ddi.expert.state_file", PI_DEBUG, PI_WARN, "State file problem: analysis from empty state"},
    {&ei_state_carried, "ddi.expert.state_carried", PI_ASSUMPTION, PI_CHAT, "State carried from an earlier capture file"},
};
#define NAT_EXPERT_GROUP PI_PROTOCOL
#define N_EXPERTS (G_N_ELEMENTS(glue_experts) + DDI_NAT__KINDS)
/* every registered expert item, for the experts gate */
static expert_field *all_experts[N_EXPERTS];

/* preferences */
static const char *pref_p0f_db = "/etc/p0f/p0f.fp";
static const char *pref_own_db = DDI_DEFAULT_OWN_DB;
static guint pref_max_sources = DDI_DEFAULT_MAX_SOURCES;
static guint pref_max_conns = DDI_DEFAULT_MAX_CONNS;
static const char *pref_horizon = "";
static const char *pref_state_in = "";
static const char *pref_state_out = "";
static guint pref_state_max_gap = (guint)DDI_STATE_MAX_GAP_DEFAULT;
static guint pref_evict_idle = 0;
static const char *pref_evicted_out = "";

/* Who reads the output of this packet?  Formatting evidence and expert
 * summaries costs more than the inference itself, so a batch run that asks
 * for a few values gets the values only (same values, no text). */
static int expert_tap_id = DDI_ID_INIT;
static int hf_ws_expert = DDI_ID_INIT;
static gboolean experts_on; /* set per packet before the tree is built */
/* In `tshark -T fields` (the tree hidden, see dissect_ddi) who references
 * what is the same for every packet of a pass: tshark primes the same
 * filters, tap filters and wanted fields before each one, and ddi marks its
 * -e fields itself.  So the answers are read from Wireshark's field records
 * once a pass there (some 60 records, each in a cache line of its own, read
 * per packet otherwise); everywhere else, such as the GUI, which
 * re-dissects with other filters, columns and panes, per packet. */
static struct {
    gboolean on;                /* the members below hold for this pass */
    gboolean visited;           /* the pass they were read on (PINFO_FD_VISITED) */
    guint8 field[DDI_F__COUNT]; /* each field's reference */
    unsigned text;              /* ddi_fields_text() */
    gboolean experts;           /* wants_experts() */
    gboolean flat;              /* flat_items(TRUE) */
} pass_reads;
#define REFERENCED(id) (pass_reads.on ? pass_reads.field[DDI_F_##id] != 0 : HFI(id)->ref_type != HF_REF_TYPE_NONE)

/* one signature database, reloaded when its paths change */
static ddi_p0fdb *sigdb;
static char *sigdb_paths;
static char sigdb_error[512];
/* what the report header says about each file: ddi's own, then p0f's */
static ddi_db_info db_info[2];
static char db_path[2][512], db_err[2][512];

/* per-file analysis state (reset by the init routine) */
static ddi_state state;
static gboolean state_ready;

/* Frame records are what later passes render a frame from (state.h): a
 * program that never dissects a frame twice (single-pass tshark) needs only
 * the current one, which saves 24 bytes a packet, and may reuse the records
 * of retired connections (state.h, DDI_SYN_RETRY_WINDOW_S).  Undecided, records are
 * kept; a mistake that drops them would leave later passes without output. */
typedef enum frames_mode { FRAMES_UNDECIDED = 0, FRAMES_KEPT, FRAMES_ONCE } frames_mode;
static frames_mode frames;
static ddi_frame_rec frame_once; /* the current frame's record in FRAMES_ONCE */

/* Decided at the first frame numbered 5 or more the plugin sees: frames 2
 * and 3 are then neither the reference frame (1) nor the previous captured
 * one, and at most one of them is the previous displayed one, so a program
 * that keeps only those (compat.h, ddi_frame_known) cannot know both. */
static void decide_frames(packet_info *pinfo)
{
    if (frames != FRAMES_UNDECIDED || pinfo->num < 5)
        return;
    if (!ddi_frame_known(pinfo->epan, 2) || !ddi_frame_known(pinfo->epan, 3)) {
        frames = FRAMES_ONCE;
        ddi_state_frames_drop(&state);
        state.recycle_conns = true; /* no later pass looks a retired connection up */
    } else {
        frames = FRAMES_KEPT;
    }
}
/* The state carried from an earlier file (statefile.h): loaded when a file
 * is opened, checked against its first packet, written when it is closed. */
static struct {
    char in[1024];         /* ddi.state_in as this file's analysis used it ("" = none) */
    ddi_sf_info info;
    gboolean loaded;       /* loaded and not (yet) refused */
    gboolean checked;      /* the first packet's time was checked */
    char error[1024];      /* the one message when it was refused */
    guint32 note_frame;    /* the first analysed frame: it carries the expert item */
    guint32 carried;       /* sources that came from the file (indices 1..carried) */
    char end_text[32];     /* the end of the time it covers, UTC */
} sf;

/* Numbers in text ddi writes (verdicts, evidence, labels) use a decimal
 * point whatever the user's locale: "~23.2", never "~23,2". */
#ifndef _WIN32
/* NULL where the user's locale writes a decimal point already (C, en_US):
 * switching costs two calls a packet for nothing */
static locale_t c_numeric;
#define C_NUMERIC_BEGIN()                                                                                        \
    locale_t ddi_old_locale = c_numeric ? uselocale(c_numeric) : (locale_t)0
#define C_NUMERIC_END()                                                                                          \
    do {                                                                                                         \
        if (ddi_old_locale)                                                                                      \
            uselocale(ddi_old_locale);                                                                           \
    } while (0)
#else
#define C_NUMERIC_BEGIN() (void)0
#define C_NUMERIC_END() (void)0
#endif

static void load_one(int slot, const char *path)
{
    char err[512];
    ddi_db_info *info = &db_info[slot];
    memset(info, 0, sizeof *info);
    if (!path || !*path)
        return;
    g_strlcpy(db_path[slot], path, sizeof db_path[slot]);
    info->path = db_path[slot];
    int n = ddi_p0fdb_load_file(sigdb, path, err, sizeof err);
    info->signatures = n; /* -1: the file could not be opened */
    if (err[0]) {
        /* a plugin must never abort on a bad database (p0f FATALs; we warn and go on) */
        ws_warning("signature database: %s", err);
        if (!sigdb_error[0])
            g_strlcpy(sigdb_error, err, sizeof sigdb_error);
        g_strlcpy(db_err[slot], err, sizeof db_err[slot]);
        info->error = db_err[slot];
    }
    ws_info("loaded %d signatures from %s", n, path);
}

static void load_sigdb(void)
{
    char *paths = g_strdup_printf("%s\n%s", pref_own_db ? pref_own_db : "", pref_p0f_db ? pref_p0f_db : "");
    if (sigdb && sigdb_paths && !strcmp(paths, sigdb_paths)) {
        g_free(paths);
        return;
    }
    ddi_p0fdb_free(sigdb);
    g_free(sigdb_paths);
    sigdb_paths = paths;
    sigdb_error[0] = 0;
    sigdb = ddi_p0fdb_new();
    /* ddi's own file first: it corrects stacks p0f gets wrong, and earlier
     * files win on equal matches */
    load_one(0, pref_own_db);
    load_one(1, pref_p0f_db);
}

/* Whether anything can read what ddi computes.  A plain `tshark -r X` (no
 * details, filter, -e, tap, second pass, custom column or colouring) shows
 * nothing of ddi, and the fields ddi asks for below are what makes tshark
 * build a protocol tree for every packet (about a quarter of its work on a
 * SYN capture).  Everything else that reads ddi (-z reports, -2, the GUI,
 * Lua, a state file written at the end, any command line this glue does not
 * understand) keeps the analysis. */
static gboolean nothing_reads_ddi(void)
{
    gboolean state_written = (pref_state_out && *pref_state_out) || (pref_evicted_out && *pref_evicted_out);
    return ddi_readers_run() == DDI_RUN_PLAIN && !ddi_prefs_have_custom_columns() && !state_written;
}

/* Ask for the fields ddi reads, so tshark builds them even when no filter or
 * column mentions them; in `tshark -T fields`, also ddi's fields named by -e
 * (4.0 does not prime -e fields, and ddi renders them as for an invisible
 * tree: see dissect_ddi).  Set at handoff (tshark decides whether to build
 * trees before any file opens) and again per file, as TRANSUM does. */
static void lookup_encap_ids(void);
static gboolean fields_run; /* tshark -T fields, and no protocol item among the -e fields */
/* ddi's (and the expert items') fields among the -e arguments, and their
 * protocols' records (marked per packet: see dissect_ddi) */
static header_field_info *printed_hfi[32], *printed_parent[32];
static guint n_printed;
static void want_fields(void)
{
    GArray *wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    if (!nothing_reads_ddi()) {
        if (hf_ip_src >= 0)
            g_array_append_val(wanted, hf_ip_src);
        if (hf_ipv6_src >= 0)
            g_array_append_val(wanted, hf_ipv6_src);
    }
    set_postdissector_wanted_hfids(ddi_handle, wanted);
    fields_run = ddi_readers_run() == DDI_RUN_FIELDS;
    n_printed = 0;
    const GPtrArray *printed = ddi_readers_printed();
    for (guint i = 0; i < printed->len; i++) {
        const char *name = (const char *)printed->pdata[i];
        int id = proto_registrar_get_id_byname(name);
        if (id < 0 || !(g_str_has_prefix(name, "ddi") || g_str_has_prefix(name, "_ws.expert")))
            continue;
        /* -T fields prints a protocol item (ddi, _ws.expert) by its label,
         * and labels exist only in a visible tree */
        if (!strcmp(name, "ddi") || !strcmp(name, "_ws.expert") || n_printed == G_N_ELEMENTS(printed_hfi))
            fields_run = FALSE;
        else {
            printed_hfi[n_printed] = proto_registrar_get_nth((guint)id);
            printed_parent[n_printed] = ddi_hfi_parent(printed_hfi[n_printed]);
            n_printed++;
        }
    }
}

/* Once per file: the init routine runs when a file is opened (once for both
 * passes of tshark -2; again when the GUI re-dissects, which starts the
 * analysis over from the same file). */
static void load_state_file(void)
{
    memset(&sf, 0, sizeof sf);
    if (!pref_state_in || !*pref_state_in)
        return;
    g_strlcpy(sf.in, pref_state_in, sizeof sf.in);
    sf.loaded = ddi_statefile_load(&state, sf.in, &sf.info, sf.error, sizeof sf.error) == DDI_SF_OK;
    if (sf.loaded) {
        sf.carried = ddi_state_source_count(&state);
        GDateTime *t = g_date_time_new_from_unix_utc((gint64)sf.info.last_ts);
        char *text = t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S") : NULL;
        g_strlcpy(sf.end_text, text ? text : "?", sizeof sf.end_text);
        g_free(text);
        if (t)
            g_date_time_unref(t);
    } else
        ws_warning("%s", sf.error);
}

/* Whole-source records (state.h, ddi_source_whole) are about half of what a
 * source costs, and only the per-source report (a -z ddi tap, the GUI's
 * Statistics menu) and state files read them: kept unless tshark's command
 * line rules those out.  Per-packet output is the same either way. */
static gboolean whole_source_read(void)
{
    return ddi_readers_whole_source() || (pref_state_in && *pref_state_in) || (pref_state_out && *pref_state_out) ||
           (pref_evicted_out && *pref_evicted_out);
}

/* At the first packet of the first pass: the state must precede it. */
static void check_state_time(double first_ts)
{
    sf.checked = TRUE;
    if (!sf.loaded ||
        ddi_statefile_time_ok(sf.in, &sf.info, first_ts, pref_state_max_gap, sf.error, sizeof sf.error))
        return;
    ws_warning("%s", sf.error);
    sf.loaded = FALSE;
    sf.carried = 0;
    ddi_state_free(&state);
    ddi_state_init(&state, pref_max_sources, pref_max_conns);
    ddi_state_set_whole(&state, whole_source_read());
    if (pref_horizon && *pref_horizon)
        state.horizon = g_ascii_strtod(pref_horizon, NULL);
}

/* When the file is closed (end of tshark, closing or reloading a file in the
 * GUI): the state for the next file, atomically. */
static void save_state_file(void)
{
    if (!pref_state_out || !*pref_state_out)
        return;
    /* no packet was seen since the init routine: no capture was read (an init
     * without a file), and writing would replace a good state with nothing */
    if (!sf.checked) {
        ws_info("no packet analysed: state file %s not written", pref_state_out);
        return;
    }
    ddi_sf_evict ev = {.idle = pref_evict_idle};
    if (pref_evict_idle && pref_evicted_out && *pref_evicted_out) {
        ev.out = fopen(pref_evicted_out, "a");
        if (!ev.out) {
            ws_warning("%s: %s; state file %s not written", pref_evicted_out, g_strerror(errno), pref_state_out);
            return;
        }
    }
    ddi_sf_saved saved;
    char why[1024];
    gboolean ok = ddi_statefile_save(&state, pref_state_out, &ev, &saved, why, sizeof why);
    if (ev.out && fclose(ev.out) && ok)
        ws_warning("%s: %s", pref_evicted_out, g_strerror(errno));
    if (!ok)
        ws_warning("%s", why);
    else
        ws_info("state written to %s: %u sources, %u connections, %" PRIu64 " bytes; %u evicted", pref_state_out,
                 saved.sources, saved.conns, saved.bytes, saved.evicted);
}

static void lookup_expert_hfi(void);
static void ddi_init(void)
{
#ifndef _WIN32
    if (strcmp(nl_langinfo(RADIXCHAR), ".") != 0) {
        if (!c_numeric)
            c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    } else if (c_numeric) {
        freelocale(c_numeric);
        c_numeric = (locale_t)0;
    }
#endif
    want_fields();
    pass_reads.on = FALSE;
    lookup_encap_ids();
    /* the expert tap is registered after the handoffs (expert_packet_init
     * runs after proto_init), so it is looked up here, once per file */
    expert_tap_id = find_tap_id("expert");
    /* so is the expert protocol (_ws.expert): -1 at handoff */
    hf_ws_expert = proto_registrar_get_id_byname("_ws.expert");
    lookup_expert_hfi();
    if (state_ready)
        ddi_state_free(&state);
    ddi_state_init(&state, pref_max_sources, pref_max_conns);
    ddi_state_set_whole(&state, whole_source_read());
    ws_info("whole-source records %s", state.whole ? "kept" : "not kept: nothing here reads them");
    frames = FRAMES_UNDECIDED;
    load_state_file();
    /* a shard of a larger capture starts with the whole capture's end time,
     * so its whole-capture verdicts match those of a single run */
    if (pref_horizon && *pref_horizon)
        state.horizon = MAX(state.horizon, g_ascii_strtod(pref_horizon, NULL));
    state_ready = TRUE;
    load_sigdb();
}

static void ddi_cleanup(void)
{
    if (state_ready)
        save_state_file();
    if (state_ready)
        ddi_state_free(&state);
    state_ready = FALSE;
}

/* ------------------------------------------------------------------ extraction */

/* Where the analysed header lives: the frame's own bytes (data source 0) or
 * a buffer a dissector added (decrypted WireGuard/ESP/802.11 payloads,
 * reassembled tunnels).  Later passes dissect without the wanted fields, so
 * the first pass records the data source's index and the offset, and every
 * pass reads the header from there. */
typedef struct ip_hdr_loc {
    tvbuff_t *ds;
    gint start;
    int ds_index;   /* position in the frame's data sources, -1 if not one of them */
} ip_hdr_loc;

/* A record keeps 16 bits for the location: a header in the frame uses them
 * all; one in another data source packs the source's index above the
 * offset (decrypted and reassembled buffers start their IP header near 0). */
#define DS_OFF_BITS 12
#define DS_OFF_MAX ((1 << DS_OFF_BITS) - 1)
#define DS_INDEX_MAX ((1 << (16 - DS_OFF_BITS)) - 1)

static int ds_index_of(packet_info *pinfo, const tvbuff_t *ds)
{
    int i = 0;
    for (GSList *l = DDI_DATA_SOURCES(pinfo); l; l = l->next, i++)
        if (ddi_data_source_tvb(l) == ds)
            return i;
    return -1;
}

static tvbuff_t *ds_at(packet_info *pinfo, int index)
{
    GSList *l = g_slist_nth(DDI_DATA_SOURCES(pinfo), (guint)index);
    return l ? ddi_data_source_tvb(l) : NULL;
}

static int collect(packet_info *pinfo, proto_tree *tree, int hf, gint src_offset, ip_hdr_loc *out, int n, int max)
{
    GPtrArray *a = proto_get_finfo_ptr_array(tree, hf);
    for (guint i = 0; a && i < a->len && n < max; i++) {
        field_info *fi = (field_info *)a->pdata[i];
        if (fi && fi->ds_tvb && fi->start >= src_offset) {
            out[n].ds = fi->ds_tvb;
            out[n].start = fi->start - src_offset;
            out[n].ds_index = ds_index_of(pinfo, fi->ds_tvb);
            n++;
        }
    }
    return n;
}

static double packet_time(const packet_info *pinfo) { return (double)pinfo->abs_ts.secs + pinfo->abs_ts.nsecs / 1e9; }
/* The capture's own timestamp, exact: intervals of microseconds survive (a
 * double epoch is only good to ~0.24 us, which made 1 us read as 2^-20 s). */
static int64_t packet_time_ns(const packet_info *pinfo)
{
    return (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
}

/* Encapsulations outside the analysed IP header: the protocols Wireshark
 * layered in the frame before its (outer_ips + 1)-th IP header.  The core
 * uses them to explain a reduced MSS by a tunnel before guessing PPPoE. */
static const struct {
    const char *proto;
    guint16 bit;
} encap_protos[] = {
    {"vxlan", DDI_ENCAP_VXLAN}, {"geneve", DDI_ENCAP_GENEVE}, {"gre", DDI_ENCAP_GRE},   {"erspan", DDI_ENCAP_GRE},
    {"esp", DDI_ENCAP_ESP},     {"wg", DDI_ENCAP_WIREGUARD},  {"gtp", DDI_ENCAP_GTP},   {"mpls", DDI_ENCAP_MPLS},
    {"l2tp", DDI_ENCAP_L2TP},   {"teredo", DDI_ENCAP_TEREDO}, {"pppoes", DDI_ENCAP_PPPOE},
};
/* their protocol ids (and IPv4's, IPv6's), looked up once: pinfo->layers
 * holds ids, and comparing names cost ~40 strcmp a packet */
static int encap_ids[G_N_ELEMENTS(encap_protos)];
static int proto_ip_id = -1, proto_ipv6_id = -1;
/* one bit per id modulo 64: most layers (frame, eth, ethertype) are told
 * apart from every tunnel by one test instead of 11 compares */
static guint64 encap_bloom;
#define ENCAP_BIT(id) ((guint64)1 << ((guint)(id) & 63))

static void lookup_encap_ids(void)
{
    encap_bloom = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(encap_protos); i++) {
        encap_ids[i] = proto_get_id_by_filter_name(encap_protos[i].proto);
        if (encap_ids[i] >= 0)
            encap_bloom |= ENCAP_BIT(encap_ids[i]);
    }
    proto_ip_id = proto_get_id_by_filter_name("ip");
    proto_ipv6_id = proto_get_id_by_filter_name("ipv6");
}

static guint16 frame_encap(const packet_info *pinfo, int outer_ips)
{
    guint16 bits = 0;
    int ips = 0;
    for (wmem_list_frame_t *f = pinfo->layers ? wmem_list_head(pinfo->layers) : NULL; f; f = wmem_list_frame_next(f)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
        if (id < 0)
            continue;
        if (id == proto_ip_id || id == proto_ipv6_id) {
            if (ips++ == outer_ips)
                break;
            continue;
        }
        if (!(encap_bloom & ENCAP_BIT(id)))
            continue;
        for (gsize i = 0; i < G_N_ELEMENTS(encap_protos); i++)
            if (id == encap_ids[i])
                bits |= encap_protos[i].bit;
    }
    /* an outer IP header with no named tunnel in between: IP-in-IP, 6in4 */
    if (outer_ips > 0 && !(bits & ~(guint16)(DDI_ENCAP_PPPOE | DDI_ENCAP_MPLS)))
        bits |= DDI_ENCAP_IPIP;
    return bits;
}

/* The data source holding a fragmented datagram's reassembled payload, if
 * this frame completed it (Wireshark adds it after the fragment's header). */
static tvbuff_t *reassembled_payload(packet_info *pinfo, const ddi_pkt *frag, int hdr_index)
{
    tvbuff_t *t = ddi_data_source_tvb_by_name(pinfo, frag->ver == 4 ? "Reassembled IPv4" : "Reassembled IPv6");
    return t && ds_index_of(pinfo, t) > hdr_index ? t : NULL;
}

/* Parse the header at `loc`.  A fragment counts only where Wireshark
 * reassembled its datagram, and then as the whole datagram: the SYN of a
 * fragmented datagram is fingerprinted once, from all its options, and a
 * part never gives a claim of its own. */
static gboolean parse_loc(packet_info *pinfo, const ip_hdr_loc *loc, ddi_pkt *pkt)
{
    gint len = tvb_captured_length_remaining(loc->ds, loc->start);
    if (len <= 0)
        return FALSE;
    const guint8 *bytes = tvb_get_ptr(loc->ds, loc->start, len);
    if (!bytes || !ddi_pkt_parse(bytes, (size_t)len, packet_time(pinfo), pkt))
        return FALSE;
    if (!pkt->fragment)
        return TRUE;
    tvbuff_t *payload = reassembled_payload(pinfo, pkt, loc->ds_index);
    if (!payload)
        return FALSE;
    gint plen = tvb_captured_length(payload);
    const guint8 *pbytes = plen > 0 ? tvb_get_ptr(payload, 0, plen) : NULL;
    return pbytes && ddi_pkt_parse_reassembled(bytes, (size_t)len, pbytes, (size_t)plen, packet_time(pinfo), pkt);
}

/* Pick the IP header to analyse: the innermost one of a tunnel, but never
 * the header quoted inside an ICMP error (that one belongs to the error). */
static gboolean extract(packet_info *pinfo, proto_tree *tree, ddi_pkt *pkt, ip_hdr_loc *chosen)
{
    ip_hdr_loc loc[8];
    int n = collect(pinfo, tree, hf_ip_src, IPV4_SRC_OFFSET, loc, 0, 8);
    n = collect(pinfo, tree, hf_ipv6_src, IPV6_SRC_OFFSET, loc, n, 8);
    /* order outer to inner: data sources in the order dissectors added them
     * (the frame first, then what was decrypted or reassembled from it),
     * then by offset */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            const ip_hdr_loc *a = &loc[j - 1], *b = &loc[j];
            gboolean swap = b->ds_index < a->ds_index || (b->ds_index == a->ds_index && b->start < a->start);
            if (!swap)
                break;
            ip_hdr_loc t = loc[j];
            loc[j] = loc[j - 1];
            loc[j - 1] = t;
        }

    gboolean have = FALSE;
    int outer_ips = 0;
    for (int i = 0; i < n; i++) {
        ddi_pkt cand;
        if (loc[i].ds_index < 0 || !parse_loc(pinfo, &loc[i], &cand))
            continue;
        *pkt = cand;
        *chosen = loc[i];
        outer_ips = i;
        have = TRUE;
        if (cand.l4 == DDI_L4_ICMP && ddi_pkt_is_icmp_error(cand.ver, cand.icmp_type))
            break;
    }
    pkt->frame = pinfo->num;
    /* only the first explanation is kept, as later passes restore it from the frame record */
    if (have)
        pkt->encap = ddi_encap_bit(ddi_encap_code(frame_encap(pinfo, outer_ips)));
    pkt->ts_ns = packet_time_ns(pinfo);
    return have;
}

/* The record's 16-bit location, or FALSE if it does not fit (the frame is
 * then not analysed at all, so that every pass agrees). */
static gboolean encode_loc(const ip_hdr_loc *loc, ddi_frame_rec *r)
{
    if (loc->ds_index == 0 && loc->start <= G_MAXUINT16) {
        r->ip_off = (guint16)loc->start;
        return TRUE;
    }
    if (loc->ds_index < 1 || loc->ds_index > DS_INDEX_MAX || loc->start > DS_OFF_MAX)
        return FALSE;
    r->ip_off = (guint16)((loc->ds_index << DS_OFF_BITS) | loc->start);
    r->flags |= DDI_FR_NOT_IN_FRAME;
    return TRUE;
}

static gboolean decode_loc(packet_info *pinfo, const ddi_frame_rec *r, ip_hdr_loc *loc)
{
    loc->ds_index = (r->flags & DDI_FR_NOT_IN_FRAME) ? r->ip_off >> DS_OFF_BITS : 0;
    loc->start = (r->flags & DDI_FR_NOT_IN_FRAME) ? (r->ip_off & DS_OFF_MAX) : r->ip_off;
    loc->ds = ds_at(pinfo, loc->ds_index);
    return loc->ds != NULL;
}

/* ------------------------------------------------------------------ tree */

#define GEN(item) proto_item_set_generated(item)

/* Intervals are kept as 32-bit floats per frame; show them at microsecond
 * resolution, and rates to 0.001 packets/s, not float noise. */
static double usec(double s) { return round(s * 1e6) / 1e6; }
static double milli(double v) { return round(v * 1e3) / 1e3; }
#define DDI_EXPERT(pinfo, item, ei, ...)                                                                         \
    do {                                                                                                         \
        if (experts_on)                                                                                          \
            expert_add_info_format(pinfo, item, ei, __VA_ARGS__);                                                \
    } while (0)

/* Wireshark formats a double's label when it prints it, in the user's
 * locale ("2,968866" under de_DE); formatting it here, inside
 * C_NUMERIC_BEGIN/END, keeps the decimal point. */
static proto_item *add_double(proto_tree *t, int hf, tvbuff_t *tvb, gint start, gint len, double v)
{
    return proto_tree_add_double_format_value(t, hf, tvb, start, len, v, "%.15g", v);
}

static gboolean tree_visible(proto_tree *tree) { return ddi_tree_visible(tree); }

/* A filter, column or -e names this field of ddi's (a visible tree shows
 * them all).  (proto_field_is_referenced() also says yes for every
 * FT_PROTOCOL field, such as _ws.expert, whenever tshark turns protocol
 * faking off, which -T fields does: the record's ref_type is what counts.) */
#define WANTED(tree, id) (tree_visible(tree) || REFERENCED(id))
/* Whether to add an item at all.  In an invisible tree Wireshark fakes every
 * item nothing references (it returns the parent), so skipping the call
 * changes no output and saves the call and its value; with experts on, the
 * items stay, as the expert items hang below them. */
#define ITEM(tree, id) (experts_on || WANTED(tree, id))
/* the item the call adds, or NULL without calling it */
#define ADD(tree, id, call) (ITEM(tree, id) ? (call) : NULL)

/* Subtrees only help a reader of the details pane; in a batch run each one
 * costs a formatted label for nothing, so the fields go straight under ddi. */
G_GNUC_PRINTF(5, 6)
static proto_tree *subtree_add(proto_tree *t, tvbuff_t *tvb, int ett, proto_item **ti, const char *fmt, ...)
{
    char label[ITEM_LABEL_LENGTH];
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(label, sizeof label, fmt, ap);
    va_end(ap);
    return proto_tree_add_subtree(t, tvb, 0, 0, ett, ti, label);
}
/* checked here, not in the function: the label's arguments are not even
 * computed for a hidden tree, and a batch run makes no call */
#define subtree(t, tvb, ett, ti, ...) (tree_visible(t) ? subtree_add(t, tvb, ett, ti, __VA_ARGS__) : (*(ti) = NULL, (t)))

/* Evidence strings join clauses with "; ".  Tree labels stop at 240
 * characters, so each clause also gets its own item under the full string. */
static void add_clues(proto_item *parent, tvbuff_t *tvb, const char *text)
{
    if (!WANTED(proto_item_get_parent(parent), CLUE))
        return;
    proto_tree *t = proto_item_add_subtree(parent, ett_clues);
    const char *p = text;
    while (p && *p) {
        const char *e = strstr(p, "; ");
        gsize n = e ? (gsize)(e - p) : strlen(p);
        char *clause = g_strndup(p, n);
        GEN(proto_tree_add_string(t, HF(CLUE), tvb, 0, 0, clause));
        g_free(clause);
        p = e ? e + 2 : NULL;
    }
}

static void add_ipid(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_verdict *v)
{
    if (!v->p || v->p->ver != 4)
        return;
    proto_item *ti;
    proto_tree *t = subtree(tree, tvb, ett_ipid, &ti, "IP ID %u: %s", v->p->ip_id,
                                                  ddi_ipid_class_name(v->ipid_class));
    GEN(ti);
    if (ITEM(t, IPID_CLASS))
        GEN(proto_tree_add_string(t, HF(IPID_CLASS), tvb, 0, 0, ddi_ipid_class_name(v->ipid_class)));
    if (!v->has_gap) {
        if (!ti) /* no subtree (a hidden tree): no label to set */
            return;
        if (ddi_ipid_atomic_zero(v->p->df, v->p->ip_id))
            proto_item_set_text(ti, "IP ID 0 with DF: carries no counter value (RFC 6864)");
        else
            proto_item_set_text(ti, "IP ID %u: first packet of this source", v->p->ip_id);
        return;
    }
    if (ITEM(t, IPID_GAP))
        GEN(proto_tree_add_uint(t, HF(IPID_GAP), tvb, 0, 0, v->gap));
    if (ITEM(t, IPID_DT))
        GEN(add_double(t, HF(IPID_DT), tvb, 0, 0, usec(v->dt)));
    const ddi_ipid_estimate *e = &v->rate_est;
    if (e->status == DDI_RATE_OK || e->status == DDI_RATE_TOO_LITTLE || e->status == DDI_RATE_IMPLAUSIBLE) {
        if (ITEM(t, IPID_SAMPLES))
            GEN(proto_tree_add_uint(t, HF(IPID_SAMPLES), tvb, 0, 0, e->samples));
        if (ITEM(t, IPID_SPAN))
            GEN(add_double(t, HF(IPID_SPAN), tvb, 0, 0, usec(e->span)));
    }
    char text[256];
    if (v->has_rate) {
        proto_item *ri = ITEM(t, IPID_RATE) ? add_double(t, HF(IPID_RATE), tvb, 0, 0, milli(v->rate)) : NULL;
        GEN(ri);
        if (experts_on) {
            ddi_ipid_estimate_text(e, text, sizeof text);
            expert_add_info_format(pinfo, ri, &ei_ipid_rate, "IP-ID counter advanced by %u since the source's "
                                   "first sample: the sender emits %s in all", e->advance, text);
        }
    } else if (WANTED(t, IPID_NORATE)) {
        ddi_ipid_estimate_text(e, text, sizeof text);
        GEN(proto_tree_add_string(t, HF(IPID_NORATE), tvb, 0, 0, text));
    }
}

static void add_retry(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_verdict *v)
{
    if (!v->syn || !v->conn_known)
        return;
    proto_item *ti;
    proto_tree *t;
    if (v->duplicate) {
        t = subtree(tree, tvb, ett_retry, &ti, "SYN duplicate, %.3f s after the previous SYN of its connection",
                    v->dup_iv);
        GEN(ti);
        proto_item *di = ADD(t, RETRY_DUPLICATE, proto_tree_add_boolean(t, HF(RETRY_DUPLICATE), tvb, 0, 0, TRUE));
        GEN(di);
        GEN(ADD(t, RETRY_INTERVAL, proto_tree_add_double(t, HF(RETRY_INTERVAL), tvb, 0, 0, usec(v->dup_iv))));
        return;
    }
    if (!v->retry_count) {
        t = subtree(tree, tvb, ett_retry, &ti, "SYN: first of its connection");
        GEN(ti);
        if (ITEM(t, RETRY_COUNT))
            GEN(proto_tree_add_uint(t, HF(RETRY_COUNT), tvb, 0, 0, 0));
    } else {
        t = subtree(tree, tvb, ett_retry, &ti, "SYN retransmission #%u, %.3f s after the previous SYN",
                                          v->retry_count, v->retry_iv);
        GEN(ti);
        proto_item *ci = ADD(t, RETRY_COUNT, proto_tree_add_uint(t, HF(RETRY_COUNT), tvb, 0, 0, v->retry_count));
        GEN(ci);
        DDI_EXPERT(pinfo, ci, &ei_retry, "SYN retransmission #%u after %.3f s (same addresses, ports and ISN)",
                               v->retry_count, v->retry_iv);
        GEN(ADD(t, RETRY_INTERVAL, add_double(t, HF(RETRY_INTERVAL), tvb, 0, 0, usec(v->retry_iv))));
        GEN(ADD(t, RETRY_FIRST_GAP, add_double(t, HF(RETRY_FIRST_GAP), tvb, 0, 0, usec(v->retry_gap1))));
        GEN(ADD(t, RETRY_RTO, proto_tree_add_string(t, HF(RETRY_RTO), tvb, 0, 0,
                                                    ddi_retry_rto_text(ddi_retry_rto_class(v->retry_gap1)))));
        if (v->backoff)
            GEN(ADD(t, RETRY_BACKOFF, proto_tree_add_string(t, HF(RETRY_BACKOFF), tvb, 0, 0, v->backoff)));
    }
    if (!v->conn.port445)
        return;
    /* whole-capture verdict: only claimed once the silence has been observed */
    switch (v->conficker) {
    case DDI_CONF_YES: {
        proto_item *ci = ADD(t, CONFICKER, proto_tree_add_boolean(t, HF(CONFICKER), tvb, 0, 0, TRUE));
        GEN(ci);
        DDI_EXPERT(pinfo, ci, &ei_conficker,
                               "Conficker-style SYN retry: exactly one retransmission %.2f s after the first SYN to "
                               "tcp/%u, then silence for %.0f s (Windows would retry again at 9 s)",
                               v->conn.gap1, DDI_CONFICKER_PORT, v->observed_after);
        GEN(ADD(t, CONFICKER_OBSERVED, add_double(t, HF(CONFICKER_OBSERVED), tvb, 0, 0, usec(v->observed_after))));
        GEN(ADD(t, CONFICKER_STATUS, proto_tree_add_string(t, HF(CONFICKER_STATUS), tvb, 0, 0,
                                                           "yes: one retry at ~3 s, then silence")));
        break;
    }
    case DDI_CONF_UNKNOWN: {
        GEN(ADD(t, CONFICKER_OBSERVED, add_double(t, HF(CONFICKER_OBSERVED), tvb, 0, 0, usec(v->observed_after))));
        if (!ITEM(t, CONFICKER_STATUS))
            break;
        /* the same words as the report: undetermined, and why */
        char why[160];
        ddi_conf_fold f = {0};
        ddi_conf_fold_add(&f, &v->conn, v->horizon);
        ddi_conf_fold_verdict(&f, v->horizon, why, sizeof why);
        GEN(ADD(t, CONFICKER_STATUS, proto_tree_add_string_format_value(t, HF(CONFICKER_STATUS), tvb, 0, 0,
                                                                        "undetermined", "undetermined: %s", why)));
        break;
    }
    default:
        if (v->conn.count > 2)
            GEN(ADD(t, CONFICKER_STATUS, proto_tree_add_string_format_value(t, HF(CONFICKER_STATUS), tvb, 0, 0, "no",
                                                   "no: %u SYNs (an OS retry schedule)", v->conn.count)));
        else if (v->conn.answered && v->retry_count)
            GEN(ADD(t, CONFICKER_STATUS, proto_tree_add_string_format_value(t, HF(CONFICKER_STATUS), tvb, 0, 0, "no",
                                                   "no: the connection was answered (a SYN-ACK or RST to it is in "
                                                   "the capture), so the silence after its retry is no give-up")));
        break;
    }
}

static void add_os(proto_tree *tree, tvbuff_t *tvb, const ddi_verdict *v)
{
    if (!v->has_os)
        return;
    const ddi_os_result *o = &v->os;
    proto_item *ti;
    proto_tree *t = subtree(tree, tvb, ett_os, &ti, "Probable OS: %s (%s)", o->label,
                                                  ddi_os_match_name(o->match));
    GEN(ti);
    if (ITEM(t, OS))
        GEN(proto_tree_add_string(t, HF(OS), tvb, 0, 0, o->label));
    if (ITEM(t, OS_FAMILY))
        GEN(proto_tree_add_string(t, HF(OS_FAMILY), tvb, 0, 0, ddi_os_family_name(o->family)));
    if (ITEM(t, OS_MATCH))
        GEN(proto_tree_add_string(t, HF(OS_MATCH), tvb, 0, 0, ddi_os_match_name(o->match)));
    if (ITEM(t, OS_SIG))
        GEN(proto_tree_add_string(t, HF(OS_SIG), tvb, 0, 0, o->raw_sig));
    if (ITEM(t, TTL_INITIAL))
        GEN(proto_tree_add_uint(t, HF(TTL_INITIAL), tvb, 0, 0, o->fp.ittl));
    if (ITEM(t, TTL_DISTANCE))
        GEN(proto_tree_add_int(t, HF(TTL_DISTANCE), tvb, 0, 0, o->fp.distance));
    if (!ITEM(t, OS_EVIDENCE) && !WANTED(t, CLUE))
        return;
    proto_item *ev = proto_tree_add_string(t, HF(OS_EVIDENCE), tvb, 0, 0, o->evidence);
    GEN(ev);
    add_clues(ev, tvb, o->evidence);
}

static void add_link(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_verdict *v)
{
    if (!v->has_mss)
        return;
    proto_item *ti;
    proto_tree *t = subtree(tree, tvb, ett_link, &ti, "Link: MSS %u -> MTU %u: %s",
                                                  v->link.mss, v->link.mtu, v->link.label);
    GEN(ti);
    if (ITEM(t, MSS))
        GEN(proto_tree_add_uint(t, HF(MSS), tvb, 0, 0, v->link.mss));
    if (ITEM(t, MSS_MTU))
        GEN(proto_tree_add_uint(t, HF(MSS_MTU), tvb, 0, 0, v->link.mtu));
    if (ITEM(t, MSS_LINK))
        GEN(proto_tree_add_string_format_value(t, HF(MSS_LINK), tvb, 0, 0, v->link.label, "%s [source: %s]",
                                               v->link.label, v->link.source));
    if (v->link.pppoe) {
        proto_item *pi = ADD(t, MSS_PPPOE, proto_tree_add_boolean(t, HF(MSS_PPPOE), tvb, 0, 0, TRUE));
        GEN(pi);
        DDI_EXPERT(pinfo, pi, &ei_mss, "MSS %u implies link MTU %u: %s", v->link.mss, v->link.mtu,
                               v->link.label);
    }
}

static void add_nat(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_verdict *v)
{
    if (!v->nat_bits)
        return;
    proto_item *ti;
    proto_tree *t = subtree(tree, tvb, ett_nat, &ti, "NAT / middle box suspected");
    GEN(ti);
    proto_item *ni = ADD(t, NAT, proto_tree_add_boolean(t, HF(NAT), tvb, 0, 0, TRUE));
    GEN(ni);
    /* the clues hang below the reason */
    proto_item *ri = ITEM(t, NAT_REASON) || WANTED(t, CLUE)
                         ? proto_tree_add_string(t, HF(NAT_REASON), tvb, 0, 0, v->nat_reason)
                         : NULL;
    GEN(ri);
    add_clues(ri, tvb, v->nat_reason);
    for (unsigned k = 0; k < DDI_NAT__KINDS; k++)
        if (v->nat_bits & ddi_nat_bit((ddi_nat_kind)k))
            GEN(ADD(t, NAT_KIND, proto_tree_add_string(t, HF(NAT_KIND), tvb, 0, 0, ddi_nat_kinds[k].name)));
    for (unsigned k = 0; experts_on && k < DDI_NAT__KINDS; k++)
        if (v->nat_bits & ddi_nat_bit((ddi_nat_kind)k)) {
            char one[512];
            ddi_nat_reason((uint16_t)ddi_nat_bit((ddi_nat_kind)k), v->p, &v->os, v->src ? &v->src->nat : NULL, one,
                           sizeof one);
            DDI_EXPERT(pinfo, ni, &ei_nat[k], "NAT/middle box suspected (%s): %s", ddi_nat_kinds[k].name, one);
        }
}

static void add_tool(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_verdict *v)
{
    if (v->tool == DDI_TOOL_NONE)
        return;
    proto_item *ti;
    proto_tree *t = subtree(tree, tvb, ett_tool, &ti, "Scanning tool: %s", ddi_tool_name(v->tool));
    GEN(ti);
    proto_item *ni = ADD(t, TOOL, proto_tree_add_string(t, HF(TOOL), tvb, 0, 0, ddi_tool_name(v->tool)));
    GEN(ni);
    GEN(ADD(t, TOOL_EVIDENCE, proto_tree_add_string(t, HF(TOOL_EVIDENCE), tvb, 0, 0, v->tool_evidence)));
    DDI_EXPERT(pinfo, ni, &ei_tool, "Packet crafted by %s: %s", ddi_tool_name(v->tool), v->tool_evidence);
}

static void add_bs(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_verdict *v)
{
    if (!v->has_bs)
        return;
    char a[48] = "an unknown host";
    if (v->bs.victim_known)
        ddi_addr_str(&v->bs.victim, a, sizeof a);
    proto_item *ti;
    proto_tree *t = subtree(tree, tvb, ett_bs, &ti, "Backscatter: %s from %s",
                                                  ddi_backscatter_name(v->bs.kind), a);
    GEN(ti);
    proto_item *ni = ADD(t, BS, proto_tree_add_string(t, HF(BS), tvb, 0, 0, ddi_backscatter_name(v->bs.kind)));
    GEN(ni);
    /* an ICMP error whose quote is missing or was not sent from this address
     * names no victim: the outer source is only a router */
    if (v->bs.victim_known && v->bs.victim.family == 4) {
        guint32 v4;
        memcpy(&v4, v->bs.victim.a, 4); /* FT_IPv4 takes network order */
        GEN(ADD(t, BS_VICTIM, proto_tree_add_ipv4(t, HF(BS_VICTIM), tvb, 0, 0, v4)));
    } else if (v->bs.victim_known && v->bs.victim.family == 6) {
        ws_in6_addr v6;
        memcpy(v6.bytes, v->bs.victim.a, 16);
        GEN(ADD(t, BS_VICTIM6, proto_tree_add_ipv6(t, HF(BS_VICTIM6), tvb, 0, 0, &v6)));
    }
    if (v->bs.victim_known && v->bs.has_port)
        GEN(ADD(t, BS_PORT, proto_tree_add_uint(t, HF(BS_PORT), tvb, 0, 0, v->bs.victim_port)));
    GEN(ADD(t, BS_EVIDENCE, proto_tree_add_string(t, HF(BS_EVIDENCE), tvb, 0, 0, v->bs_evidence)));
    if (v->two_way)
        DDI_EXPERT(pinfo, ni, &ei_bs, "Possible backscatter (%s) in a two-way capture: %s may be answering spoofed "
                                      "traffic, or traffic the capture does not show; %s",
                   ddi_backscatter_name(v->bs.kind), a, v->bs_evidence);
    else
        DDI_EXPERT(pinfo, ni, &ei_bs, "Backscatter (%s): %s is answering spoofed traffic; %s",
                   ddi_backscatter_name(v->bs.kind), a, v->bs_evidence);
}

/* A reply the capture explains: say why it is no backscatter. */
static void add_exchange(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_verdict *v)
{
    if (v->bs_seen != DDI_BS_SEEN_NONE)
        GEN(ADD(tree, EXCHANGE,
                proto_tree_add_string_format_value(tree, HF(EXCHANGE), tvb, 0, 0, ddi_backscatter_seen_name(v->bs_seen),
                                                   "%s", v->bs_evidence[0] ? v->bs_evidence
                                                                           : ddi_backscatter_seen_name(v->bs_seen))));
    if (v->two_way_here) {
        proto_item *ti = ADD(tree, TWOWAY, proto_tree_add_boolean(tree, HF(TWOWAY), tvb, 0, 0, TRUE));
        GEN(ti);
        DDI_EXPERT(pinfo, ti, &ei_twoway,
                   "Two-way traffic: this packet answers one sent earlier in the capture, so the capture is no "
                   "pure telescope; from here on backscatter is only possible and answered SYNs are no sign of a "
                   "stateless sender or of giving up");
    }
}

/* The OS of the host that sent this SYN-ACK (p0f [tcp:response]). */
static void add_synack_os(proto_tree *tree, tvbuff_t *tvb, const ddi_verdict *v)
{
    if (!v->has_synack_os)
        return;
    GEN(ADD(tree, SYNACK_OS, proto_tree_add_string(tree, HF(SYNACK_OS), tvb, 0, 0, v->synack_os)));
    GEN(ADD(tree, SYNACK_OS_MATCH,
            proto_tree_add_string(tree, HF(SYNACK_OS_MATCH), tvb, 0, 0, ddi_match_name(v->synack_fp.kind))));
}

/* Spoofed source, from this packet alone (the per-source report adds the
 * capture's random-source flood): shown only when some test matched. */
static void add_spoof(proto_tree *tree, tvbuff_t *tvb, const ddi_verdict *v)
{
    if (!WANTED(tree, SPOOF) && !WANTED(tree, SPOOF_REASON))
        return;
    ddi_spoof_result r = ddi_spoof_packet(v->p, v->tool, v->has_os ? &v->os : NULL);
    if (r.level == DDI_SPOOF_UNLIKELY)
        return;
    GEN(proto_tree_add_string(tree, HF(SPOOF), tvb, 0, 0, ddi_spoof_name(r.level)));
    for (int k = 0; k < DDI_SR__COUNT; k++)
        if (r.reasons & (1u << k))
            GEN(proto_tree_add_string(tree, HF(SPOOF_REASON), tvb, 0, 0, ddi_spoof_reason_text((ddi_spoof_reason)k)));
}

static void add_sender(proto_tree *t, tvbuff_t *tvb, const ddi_verdict *v)
{
    if (v->sender != DDI_SENDER_UNKNOWN)
        GEN(proto_tree_add_string(t, HF(SENDER), tvb, 0, 0, ddi_retry_sender_text(v->sender)));
    else if (v->src && v->src->syns)
        GEN(proto_tree_add_string_format_value(t, HF(SENDER), tvb, 0, 0, "undetermined", "undetermined: %s",
                                               v->sender_why));
}

/* In a `tshark -T fields` run, where ddi hides the tree (dissect_ddi), only
 * referenced items are added (ITEM) and they are read by their field, never
 * by their place; the protocol item costs as much as two fields there, so
 * they go straight into the tree, unless something reads the protocol item:
 * a filter or column naming `ddi` (DIRECT; the -e fields make it only
 * INDIRECT), the expert items (they hang below it), or a tap that walks the
 * tree (TL_REQUIRES_PROTO_TREE, e.g. -z io,phs counting protocols). */
static header_field_info *proto_ddi_hfi;
static gboolean flat_items(gboolean hide)
{
    if (pass_reads.on)
        return pass_reads.flat;
    return hide && !experts_on && proto_ddi_hfi->ref_type != HF_REF_TYPE_DIRECT &&
           !(union_of_tap_listener_flags() & TL_REQUIRES_PROTO_TREE);
}

static void render(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_frame_rec *rec, const ddi_verdict *v,
                   gboolean flat)
{
    proto_item *top = flat ? NULL : proto_tree_add_item(tree, proto_ddi, tvb, 0, 0, ENC_NA);
    GEN(top);
    proto_tree *t = flat ? tree : proto_item_add_subtree(top, ett_ddi);
    if (rec->flags & DDI_FR_SRC_FULL) {
        proto_item *e =
            ADD(t, VERDICT, proto_tree_add_string(t, HF(VERDICT), tvb, 0, 0, "not analysed: source table full"));
        GEN(e);
        DDI_EXPERT(pinfo, e, &ei_state_full, "ddi source table full (%u sources): raise ddi.max_sources",
                               pref_max_sources);
        return;
    }
    proto_item_append_text(top, ": %s", v->summary);
    if (ITEM(t, VERDICT))
        GEN(proto_tree_add_string(t, HF(VERDICT), tvb, 0, 0, v->summary));
    /* the GUI user sees what became of the state file on the first analysed packet */
    if (pinfo->num == sf.note_frame && sf.in[0]) {
        if (!sf.loaded)
            DDI_EXPERT(pinfo, top, &ei_statefile, "%s", sf.error);
        else
            DDI_EXPERT(pinfo, top, &ei_state_carried, "ddi state carried from %s (%u sources, %" PRIu64
                                                      " packets up to %s UTC)", sf.in, sf.info.sources, sf.info.packets,
                       sf.end_text);
    }
    if (sigdb_error[0] && v->has_os)
        DDI_EXPERT(pinfo, top, &ei_sigdb, "Signature database problem (OS matching uses what loaded): %s",
                               sigdb_error);
    if (rec->flags & DDI_FR_CONN_FULL)
        DDI_EXPERT(pinfo, top, &ei_state_full,
                               "ddi connection table full (%u): SYN retries of new connections are not tracked",
                               pref_max_conns);
    /* whole capture: known once retries or enough unanswered silence were seen */
    if (ITEM(t, SENDER))
        add_sender(t, tvb, v);
    add_tool(t, tvb, pinfo, v);
    add_exchange(t, tvb, pinfo, v);
    add_bs(t, tvb, pinfo, v);
    add_synack_os(t, tvb, v);
    add_spoof(t, tvb, v);
    add_os(t, tvb, v);
    add_link(t, tvb, pinfo, v);
    add_nat(t, tvb, pinfo, v);
    add_retry(t, tvb, pinfo, v);
    add_ipid(t, tvb, pinfo, v);
}

/* Text is built only when a field that quotes it is read (fields-ddi.h),
 * or a tap listener (the per-source report) or an expert reads it. */
static unsigned wanted_text(proto_tree *tree, gboolean tapped)
{
    /* expert summaries quote the evidence */
    if (tapped || experts_on || tree_visible(tree))
        return DDI_EXPLAIN_ALL;
    return pass_reads.on ? pass_reads.text : ddi_fields_text();
}

/* the expert items' fields (_ws.expert, then ddi.expert.*), looked up per
 * file in ddi_init: the gate below runs per packet */
static header_field_info *expert_hfi[N_EXPERTS + 1];
static gsize n_expert_hfi;

static void lookup_expert_hfi(void)
{
    n_expert_hfi = 0;
    if (hf_ws_expert >= 0)
        expert_hfi[n_expert_hfi++] = proto_registrar_get_nth((guint)hf_ws_expert);
    for (gsize i = 0; i < N_EXPERTS; i++)
        if (all_experts[i]->hf >= 0)
            expert_hfi[n_expert_hfi++] = proto_registrar_get_nth((guint)all_experts[i]->hf);
}

static gboolean wants_experts(proto_tree *tree)
{
    if (pass_reads.on)
        return pass_reads.experts;
    if (expert_tap_id >= 0 && have_tap_listener(expert_tap_id))
        return TRUE;
    if (tree_visible(tree))
        return TRUE;
    for (gsize i = 0; i < n_expert_hfi; i++)
        if (expert_hfi[i]->ref_type != HF_REF_TYPE_NONE)
            return TRUE;
    return FALSE;
}

/* once a pass in `tshark -T fields`, with the tree hidden and ddi's -e
 * fields marked (dissect_ddi) */
static void read_pass(proto_tree *tree, gboolean visited)
{
    pass_reads.on = FALSE;
    ddi_fields_referenced(pass_reads.field);
    pass_reads.text = ddi_fields_text_of(pass_reads.field);
    pass_reads.experts = experts_on = wants_experts(tree);
    pass_reads.flat = flat_items(TRUE);
    pass_reads.visited = visited;
    pass_reads.on = TRUE;
}

/* The verdict and its items, in a function of their own: TRY is a setjmp,
 * which puts the caller's locals at risk (gcc -Wclobbered).  A tree hidden
 * for a -T fields run is shown again whatever happens: it is shared with
 * every other dissector. */
static void verdict_and_tree(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const ddi_pkt *pkt,
                             const ddi_frame_rec *rec, const ddi_observed *known, gboolean hide, gboolean tapped,
                             ddi_verdict *v)
{
    TRY {
        ddi_verdict_build_from(&state, sigdb, pkt, rec, wanted_text(tree, tapped), known, v);
        if (tree || experts_on)
            render(tree, tvb, pinfo, rec, v, flat_items(hide));
    }
    FINALLY {
        if (hide)
            ddi_tree_set_visible(tree, true);
    }
    ENDTRY;
}

static int dissect_ddi(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    ddi_pkt pkt;
    const ddi_frame_rec *rec;
    ddi_observed obs; /* what the first pass worked out, for the verdict below */
    const ddi_observed *const known = PINFO_FD_VISITED(pinfo) ? NULL : &obs;
    if (!state_ready)
        return 0;
    ip_hdr_loc loc;
    if (!PINFO_FD_VISITED(pinfo) && !sf.checked)
        check_state_time(packet_time(pinfo));
    if (!PINFO_FD_VISITED(pinfo)) {
        decide_frames(pinfo);
        /* the wanted fields exist only on the first pass (tshark and the GUI
         * prime them then), so this is where the header is located */
        if (!tree || !extract(pinfo, tree, &pkt, &loc))
            return 0;
        /* (No ddi_observe_prefetch here, unlike ddi-read: a packet's records
         * are wanted right after its header is parsed, so a hint overlaps
         * nothing, and its code cost ~340 instructions and ~20
         * instruction-cache misses a packet, callgrind, bench/RESULTS.md.) */
        /* the location must fit the record before any state changes */
        ddi_frame_rec where = {0};
        if (!encode_loc(&loc, &where))
            return 0;
        ddi_frame_rec *r = frames == FRAMES_ONCE ? &frame_once : ddi_state_frame(&state, pinfo->num);
        if (!r)
            return 0;
        ddi_observe_keep(&state, sigdb, &pkt, r, &obs);
        r->ip_off = where.ip_off;
        r->flags |= where.flags;
        rec = r;
        if (!(r->flags & (DDI_FR_ANALYSED | DDI_FR_SRC_FULL)))
            return 0;
        if (!sf.note_frame)
            sf.note_frame = pinfo->num;
    } else {
        /* later passes re-read the header where the first pass found it */
        rec = ddi_state_frame_peek(&state, pinfo->num);
        if (!rec || !(rec->flags & (DDI_FR_ANALYSED | DDI_FR_SRC_FULL)) || !decode_loc(pinfo, rec, &loc) ||
            !parse_loc(pinfo, &loc, &pkt))
            return 0;
        pkt.frame = pinfo->num;
        pkt.encap = ddi_encap_bit(rec->encap);
        pkt.ts_ns = packet_time_ns(pinfo);
    }
    /* `tshark -T fields` prints the -e fields only, but its tree is visible
     * (readers-ddi.h): render as for an invisible tree, where Wireshark fakes
     * every item nothing references and ddi formats only referenced text.
     * The tree is shared with every other dissector: restore it whatever
     * happens. */
    gboolean hide = tree_visible(tree) && fields_run;
    if (hide) {
        ddi_tree_set_visible(tree, false);
        /* Referenced, so neither faked nor left without text.  4.0 primes no
         * -e field, nor the wanted fields on the second pass of -2; priming
         * lasts one packet (Wireshark resets ref_type with the tree), so
         * this is done per packet, except where nothing needs it: ddi reads
         * its own answers from pass_reads, and Wireshark never fakes an item
         * of the root tree (proto.c, TRY_TO_FAKE_THIS_ITEM: not where
         * PTREE_FINFO(tree) is NULL, 4.0 .. 4.6), where flat items go, all
         * but the clues, which hang below the text they split (add_clues).
         * A marked item costs Wireshark a hash table entry and an array per
         * packet (interesting_hfids), about 900 instructions. */
        gboolean new_pass = !pass_reads.on || pass_reads.visited != (gboolean)PINFO_FD_VISITED(pinfo);
        for (guint i = 0; i < n_printed; i++)
            if (new_pass || !pass_reads.flat || printed_hfi[i] == HFI(CLUE))
                ddi_hfi_set_referenced(printed_hfi[i], printed_parent[i]);
        if (new_pass)
            read_pass(tree, PINFO_FD_VISITED(pinfo));
    } else {
        pass_reads.on = FALSE;
    }
    /* Readers: a tree, the per-source report, or the expert tap.  Two-pass
     * tshark (-2 -z expert) and the GUI's Expert Information dialog (a retap
     * with TL_REQUIRES_COLUMNS) dissect without a tree: expert items need no
     * tree item, so render() runs on a NULL tree for them. */
    experts_on = wants_experts(tree);
    gboolean tapped = have_tap_listener(ddi_tap);
    if (!tree && !experts_on && !tapped)
        return 0;

    /* The tap reads the verdict after the packet (it lives in the packet's
     * pool then); otherwise the items copied what they need, and one
     * buffer, warm from the previous packet, serves every packet. */
    static ddi_verdict verdict_once;
    ddi_verdict *v = tapped ? wmem_new(pinfo->pool, ddi_verdict) : &verdict_once;
    /* outside the function with TRY, whose setjmp would put the saved locale at risk */
    C_NUMERIC_BEGIN();
    verdict_and_tree(tree, tvb, pinfo, &pkt, rec, known, hide, tapped, v);
    C_NUMERIC_END();
    if (tapped) {
        ddi_tap_info *ti = wmem_new0(pinfo->pool, ddi_tap_info);
        ti->frame = pinfo->num;
        ti->st = &state;
        ti->dbs = db_info;
        ti->ndbs = (int)G_N_ELEMENTS(db_info);
        ti->state_in = sf.in[0] ? sf.in : NULL;
        ti->state_error = sf.in[0] && !sf.loaded ? sf.error : NULL;
        ti->carried = sf.carried;
        if (!(rec->flags & DDI_FR_SRC_FULL)) {
            ti->src = ddi_state_source_find(&state, &pkt.src);
            ti->v = v;
        }
        tap_queue_packet(ddi_tap, pinfo, ti);
    }
    return tvb_captured_length(tvb);
}

/* ------------------------------------------------------------------ registration */

/* Registration rows for every expert item: the glue's own, then one per
 * NAT kind of the core's table.  Each starts from Wireshark's EXPFILL
 * template, so the registration routine finds what it expects. */
static void register_experts(void)
{
    static const expert_field ei_init = EI_INIT;
    static const ei_register_info tmpl = {NULL, {NULL, 0, 0, NULL, EXPFILL}};
    static ei_register_info ei[N_EXPERTS];
    static const int sev[] = {[DDI_SEV_CHAT] = PI_CHAT, [DDI_SEV_NOTE] = PI_NOTE, [DDI_SEV_WARN] = PI_WARN};
    const char *why = NULL;
    if (ddi_nat_table_check(ddi_nat_kinds, DDI_NAT__KINDS, &why))
        ws_error("ddi NAT kind table: %s", why); /* a programming error, caught by the unit tests first */
    gsize n = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(glue_experts); i++, n++) {
        const expert_row *r = &glue_experts[i];
        ei[n] = tmpl;
        *r->ei = ei_init;
        ei[n].ids = r->ei;
        ei[n].eiinfo.name = r->abbrev;
        ei[n].eiinfo.group = r->group;
        ei[n].eiinfo.severity = r->severity;
        ei[n].eiinfo.summary = r->summary;
    }
    for (gsize k = 0; k < DDI_NAT__KINDS; k++, n++) {
        const ddi_nat_kind_row *r = &ddi_nat_kinds[k];
        ei[n] = tmpl;
        ei_nat[k] = ei_init;
        ei[n].ids = &ei_nat[k];
        ei[n].eiinfo.name = r->expert;
        ei[n].eiinfo.group = NAT_EXPERT_GROUP;
        ei[n].eiinfo.severity = sev[r->severity];
        ei[n].eiinfo.summary = r->summary;
    }
    for (gsize i = 0; i < N_EXPERTS; i++)
        all_experts[i] = ei[i].ids;
    expert_module_t *em = expert_register_protocol(proto_ddi);
    expert_register_field_array(em, ei, (int)N_EXPERTS);
}

void proto_register_ddi(void)
{
    static gint *ett[] = {&ett_ddi, &ett_ipid, &ett_retry, &ett_os, &ett_link, &ett_nat, &ett_tool, &ett_bs, &ett_clues};
    proto_ddi = proto_register_protocol("Deep Darknet Inspection", "DDI", "ddi");
    proto_ddi_hfi = proto_registrar_get_nth((guint)proto_ddi);
    ddi_fields_register(proto_ddi);
    proto_register_subtree_array(ett, array_length(ett));
    register_experts();

    module_t *m = prefs_register_protocol(proto_ddi, load_sigdb);
    prefs_register_filename_preference(m, "p0f_db", "p0f signature database",
                                       "p0f v3 format file (Debian package p0f: /etc/p0f/p0f.fp). Loaded after ddi's own "
                                       "file. A missing or malformed file is reported and the rest keeps working.",
                                       &pref_p0f_db, FALSE);
    prefs_register_filename_preference(m, "own_db", "ddi signature database",
                                       "ddi's own signatures in p0f v3 format (stacks p0f lacks or gets wrong); "
                                       "matched before the p0f database.",
                                       &pref_own_db, FALSE);
    prefs_register_uint_preference(m, "max_sources", "Maximum tracked sources",
                                   "Sources beyond this many are not analysed (memory bound; 0 = no limit)", 10,
                                   &pref_max_sources);
    prefs_register_uint_preference(m, "max_connections", "Maximum tracked SYN connections",
                                   "Connections beyond this many get no retry tracking (memory bound; 0 = no limit)", 10,
                                   &pref_max_conns);
    prefs_register_filename_preference(m, "state_in", "State file to start from",
                                       "State written by an earlier run (ddi.state_out) over the preceding capture "
                                       "file: the analysis continues from it. A missing, damaged, other-version or "
                                       "time-inconsistent file is reported and the analysis starts from empty state.",
                                       &pref_state_in, FALSE);
    prefs_register_filename_preference(m, "state_out", "State file to write",
                                       "Written when the capture file is closed (temporary file + rename), for the "
                                       "next file's ddi.state_in. Empty = none.",
                                       &pref_state_out, TRUE);
    prefs_register_uint_preference(m, "state_max_gap", "Maximum gap before a state file (s)",
                                   "A state file ending more than this many seconds before the capture's first "
                                   "packet is refused (0 = no limit)",
                                   10, &pref_state_max_gap);
    prefs_register_uint_preference(m, "evict_idle", "Evict sources idle for (s)",
                                   "Sources idle longer than this whose whole-source verdicts are final are left out "
                                   "of the state written (0 = never)",
                                   10, &pref_evict_idle);
    prefs_register_filename_preference(m, "evicted_out", "Evicted sources (JSON lines)",
                                       "Evicted sources are appended here, one -z ddi,sources,json line each",
                                       &pref_evicted_out, TRUE);
    prefs_register_string_preference(m, "capture_end", "Capture end time (epoch seconds)",
                                     "For whole-capture verdicts on a shard of a larger capture: the end time of the whole "
                                     "capture. Empty = the last packet seen.",
                                     &pref_horizon);

    register_init_routine(ddi_init);
    register_cleanup_routine(ddi_cleanup);
    ddi_handle = create_dissector_handle(dissect_ddi, proto_ddi);
    ddi_tap = register_tap("ddi");
}

void proto_reg_handoff_ddi(void)
{
    hf_ip_src = proto_registrar_get_id_byname("ip.src");
    hf_ipv6_src = proto_registrar_get_id_byname("ipv6.src");
    if (hf_ip_src < 0 || hf_ipv6_src < 0)
        ws_warning("ip.src/ipv6.src not registered: ddi will analyse nothing");
    register_postdissector(ddi_handle);
    want_fields();
}
