/* compat.h — every difference between the Wireshark versions ddi builds
 * against (4.0 .. 4.6) lives here and nowhere else.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_COMPAT_H
#define DDI_COMPAT_H

#include <ws_version.h>

#define DDI_WS_AT_LEAST(maj, min)                                                                                 \
    (WIRESHARK_VERSION_MAJOR > (maj) || (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* 4.0 aborts at start-up unless hf/ett/expert ids start at -1 ("subtree item
 * type not -1"); 4.2+ accept 0, and -1 still works there. */
#define DDI_ID_INIT (-1)

/* BASE_UNIT_STRING fields take a unit_name_string; 4.2+ wrap it in UNS(). */
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

#endif
