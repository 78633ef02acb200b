/* compat.h — every difference between the Wireshark versions ddi builds
 * against lives here and nowhere else.  Built and tested: 4.0 (Debian 12),
 * 4.4 (Debian 13), 4.6 (Debian testing).  4.2 is neither built nor tested
 * here: where a switch below says 4.4, 4.2 may already be on either side.
 * Glue code uses the DDI_ / ddi_ names below instead of the raw API whenever
 * a signature, a type or a behaviour differs between those versions.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_COMPAT_H
#define DDI_COMPAT_H

#include <stdbool.h>
#include <stdint.h>

#include <ws_version.h>

#define DDI_WS_AT_LEAST(maj, min)                                                                                 \
    (WIRESHARK_VERSION_MAJOR > (maj) || (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* 4.0 aborts at start-up unless hf/ett/expert ids start at -1 ("subtree item
 * type not -1"); 4.2+ accept 0, and -1 still works there.  Expert fields use
 * Wireshark's own EI_INIT ({-1,-1} before 4.6, {0,0} from 4.6 on): never
 * compare ei.hf/ei.ei against a literal, only after registration. */
#define DDI_ID_INIT (-1)

/* BASE_UNIT_STRING fields take a unit_name_string; 4.2+ wrap it in UNS().
 * 4.4+ also print the unit in resolved custom columns ("23.241 pkts/s"). */
#if DDI_WS_AT_LEAST(4, 2)
#define DDI_UNITS(u) UNS(u)
#else
#define DDI_UNITS(u) ((const void *)(u))
#endif

/* 4.2 added plugin_describe() and the WS_PLUGIN_DESC_* flags. */
#if DDI_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
#define DDI_HAVE_PLUGIN_DESCRIBE 1
#endif

/* stats_tree: which columns a tree shows and how it sorts.  num_columns
 * lives in the private header in every version ddi builds against (4.0 ..
 * 4.6); sorting by count, largest first, is a registration flag. */
#include <epan/stats_tree_priv.h>
#define DDI_ST_COLUMNS(st, n) ((st)->num_columns = (n))
#define DDI_ST_SORT_BY_COUNT ((ST_SORT_COL_COUNT << ST_FLG_SRTCOL_SHIFT) | ST_FLG_SORT_DESC)

/* stat_tap_ui.tap_init_cb: void before 4.6; bool from 4.6 on, where false
 * makes tshark refuse the -z argument.  Write an init callback as
 *     static DDI_TAP_INIT_RESULT my_init(const char *arg, void *ud)
 *     { ...; DDI_TAP_INIT_RETURN(ok); }                                   */
#if DDI_WS_AT_LEAST(4, 6)
#define DDI_TAP_INIT_RESULT bool
#define DDI_TAP_INIT_RETURN(ok) return (ok)
#else
#define DDI_TAP_INIT_RESULT void
#define DDI_TAP_INIT_RETURN(ok)                                                                                   \
    do {                                                                                                          \
        (void)(ok);                                                                                               \
        return;                                                                                                   \
    } while (0)
#endif

/* stats_tree menu paths: components separated by "/" in 4.0 and by "//"
 * from 4.4 on (so a single "/" can appear in a name).  Build nested paths
 * as "Darknet" DDI_STATS_MENU_SEP "Sources". */
#if DDI_WS_AT_LEAST(4, 4)
#define DDI_STATS_MENU_SEP "//"
#else
#define DDI_STATS_MENU_SEP "/"
#endif

/* stats_tree_register_plugin() returns void in 4.0 and the new
 * stats_tree_cfg * from 4.4 on; stats_tree_register_with_group() is gone
 * there, replaced by stats_tree_set_group() on that cfg (the issue report
 * placed both in 4.6; 4.4's headers already have them).  One call for all:
 * registers the tree under GROUP (a register_stat_group_t). */
#if DDI_WS_AT_LEAST(4, 4)
#define ddi_stats_tree_register_plugin(abbr, name, path, flags, packet, init, cleanup, group)                      \
    stats_tree_set_group(stats_tree_register_plugin(abbr, name, path, flags, packet, init, cleanup), group)
#else
#define ddi_stats_tree_register_plugin(abbr, name, path, flags, packet, init, cleanup, group)                      \
    stats_tree_register_with_group(abbr, name, path, flags, packet, init, cleanup, group)
#endif

/* Preference and heuristic-dissector signatures take C99 types from 4.4 on
 * (bool * for boolean preferences, bool for a heuristic's result) where 4.0
 * had GLib's gboolean (an int).  Unsigned preferences are `unsigned` (guint)
 * on all versions.  Declare such variables and functions with these types. */
#if DDI_WS_AT_LEAST(4, 4)
typedef bool ddi_pref_bool;
typedef bool ddi_heur_result;
#else
typedef gboolean ddi_pref_bool;
typedef gboolean ddi_heur_result;
#endif

/* value_string moved to wsutil/ in 4.6, and val_to_str() took an allocator
 * argument there; val_to_str_wmem() is the same call before 4.6. */
#if DDI_WS_AT_LEAST(4, 6)
#define ddi_val_to_str(scope, val, vs, fmt) val_to_str(scope, val, vs, fmt)
#else
#define ddi_val_to_str(scope, val, vs, fmt) val_to_str_wmem(scope, val, vs, fmt)
#endif

/* set_postdissector_wanted_hfids(): the fields it asks for are guaranteed in
 * the tree on the first pass only from 4.6 on (Wireshark issue 19804); on
 * 4.0 they were there on every pass.  The glue therefore reads wanted fields
 * on the first pass only, records where the header was, and later passes
 * re-read the bytes at that offset (packet-ddi.c, dissect_ddi).  The same
 * rule holds on every version, so there is nothing to switch on here. */
#define DDI_WANTED_FIELDS_FIRST_PASS_ONLY 1

/* Custom columns configured (preferences, profile, -o gui.column.format):
 * tshark then builds a tree and reads fields for them.  prefs.col_list holds
 * fmt_data records (epan/column.h) in 4.0 .. 4.6. */
#include <epan/column.h>
#include <epan/prefs.h>
static inline bool ddi_prefs_have_custom_columns(void)
{
    for (GList *l = prefs.col_list; l; l = l->next) {
        const fmt_data *c = (const fmt_data *)l->data;
        if (c && c->fmt == COL_CUSTOM)
            return true;
    }
    return false;
}

/* The protocol tree's shared data (proto.h's tree_data_t, public in 4.0 ..
 * 4.6): `visible` says whether labels are built and unreferenced items
 * kept.  ddi hides a visible tree while it renders in `tshark -T fields`
 * (packet-ddi.c) and marks the fields -e prints as referenced, as priming
 * does (proto.c: the field DIRECT, its protocol at least INDIRECT; 4.2+
 * also have HF_REF_TYPE_PRINT, which tshark sets for -e fields itself). */
#include <epan/proto.h>
static inline bool ddi_tree_visible(proto_tree *tree) { return tree && PTREE_DATA(tree)->visible; }
static inline void ddi_tree_set_visible(proto_tree *tree, bool visible) { PTREE_DATA(tree)->visible = visible; }
/* `parent` is the record of hfi->parent (NULL if it has none): callers
 * that mark fields per packet look both records up once. */
static inline void ddi_hfi_set_referenced(header_field_info *hfi, header_field_info *parent)
{
    hfi->ref_type = HF_REF_TYPE_DIRECT;
    if (parent && parent->ref_type == HF_REF_TYPE_NONE)
        parent->ref_type = HF_REF_TYPE_INDIRECT;
}
static inline header_field_info *ddi_hfi_parent(const header_field_info *hfi)
{
    return hfi->parent >= 0 ? proto_registrar_get_nth((guint)hfi->parent) : NULL;
}

/* A frame's data sources (the frame, then buffers dissectors added:
 * decrypted or reassembled data), in the order they were added: a GSList
 * of opaque struct data_source in 4.0 .. 4.6. */
#include <epan/packet.h>
#define DDI_DATA_SOURCES(pinfo) ((pinfo)->data_src)
static inline tvbuff_t *ddi_data_source_tvb(const GSList *l)
{
    return get_data_source_tvb((const struct data_source *)l->data);
}
/* the first data source added under this name (e.g. "Reassembled IPv4"),
 * or NULL: 4.6 replaced get_data_source_tvb_by_name() by
 * get_data_source_by_name(), which returns the data source */
static inline tvbuff_t *ddi_data_source_tvb_by_name(packet_info *pinfo, const char *name)
{
#if DDI_WS_AT_LEAST(4, 6)
    struct data_source *src = get_data_source_by_name(pinfo, name);
    return src ? get_data_source_tvb(src) : NULL;
#else
    return get_data_source_tvb_by_name(pinfo, name);
#endif
}

/* Does the program keep the frames it has read, so that it may dissect them
 * again (tshark -2's second pass, the GUI, sharkd)?  Single-pass tshark keeps
 * only the reference frame (the first) and the previous captured and
 * displayed ones; its packet provider answers "no time" for any other
 * earlier frame (tshark.c tshark_get_frame_ts(): the frame_data_sequence is
 * allocated only for two-pass analysis; the GUI's cf_read() adds every frame
 * to its sequence before dissecting it).  epan_get_frame_ts() is not exported
 * in 4.0 .. 4.6, so the call goes through the session's provider functions:
 * struct epan_session is { prov; funcs } in epan/epan.c from 2.6 through 4.6
 * (the only private layout ddi relies on; packet_provider_funcs itself is
 * public in epan/epan.h).  Returns 1 when frame `num` is known, 0 when it is
 * not, -1 when the session cannot say (no get_frame_ts). */
#include <epan/epan.h>
struct ddi_epan_session_layout {
    struct packet_provider_data *prov;
    struct packet_provider_funcs funcs;
};
static inline int ddi_frame_known(const epan_t *epan, uint32_t num)
{
    const struct ddi_epan_session_layout *s = (const struct ddi_epan_session_layout *)(const void *)epan;
    if (!s || !s->funcs.get_frame_ts)
        return -1;
    return s->funcs.get_frame_ts(s->prov, num) != NULL;
}

#endif
