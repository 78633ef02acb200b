/* compat_check.c — compiled, never run: every compat.h name in use the way
 * glue code would use it, so the compiler checks each of them against the
 * Wireshark it builds with (4.0, 4.4 and 4.6 in CI), including the ones
 * the glue does not use yet.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>

#include "compat.h"

void ddi_compat_check(module_t *m, wmem_allocator_t *scope);

static int check_hf = DDI_ID_INIT;
static expert_field check_ei = EI_INIT;
static ddi_pref_bool check_flag;
static const value_string check_names[] = {{1, "one"}, {0, NULL}};

static DDI_TAP_INIT_RESULT check_tap_init(const char *arg, void *userdata)
{
    (void)userdata;
    DDI_TAP_INIT_RETURN(arg != NULL);
}

static stat_tap_ui check_ui = {REGISTER_STAT_GROUP_GENERIC, "ddi compat check", "ddi_compat_check", check_tap_init, 0,
                               NULL};

static void check_tree_init(stats_tree *st) { DDI_ST_COLUMNS(st, 7); }

static tap_packet_status check_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt, const void *p,
                                           tap_flags_t flags)
{
    (void)st, (void)pinfo, (void)edt, (void)p, (void)flags;
    return TAP_PACKET_DONT_REDRAW;
}

static ddi_heur_result check_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)tvb, (void)pinfo, (void)tree, (void)data;
    return false;
}

void ddi_compat_check(module_t *m, wmem_allocator_t *scope)
{
    heur_dissector_t heur = check_heur;
    (void)heur;
    prefs_register_bool_preference(m, "compat_check", "compat check", "compat check", &check_flag);
    ddi_stats_tree_register_plugin("ddi", "ddi_compat_check", "Darknet" DDI_STATS_MENU_SEP "compat check", DDI_ST_SORT_BY_COUNT,
                                   check_tree_packet, check_tree_init, NULL, REGISTER_STAT_GROUP_GENERIC);
    register_stat_tap_ui(&check_ui, NULL);
    (void)ddi_val_to_str(scope, 1, check_names, "unknown (%u)");
    (void)check_hf, (void)check_ei;
    (void)DDI_UNITS(NULL);
    (void)ddi_prefs_have_custom_columns();
    (void)ddi_tree_visible(NULL);
    if (check_hf > 0) {
        ddi_tree_set_visible(NULL, false);
        header_field_info *hfi = proto_registrar_get_nth((guint)check_hf);
        ddi_hfi_set_referenced(hfi, ddi_hfi_parent(hfi));
    }
}
