/* os.h — probable OS of a SYN's sender: the p0f-format match plus what a
 * darknet adds (retry schedule, source port range, IP-ID behaviour).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_OS_H
#define DDI_OS_H

#include "fingerprint.h"
#include "ipid.h"
#include "pkt.h"
#include "retry.h"

typedef enum ddi_os_family {
    DDI_OS_UNKNOWN = 0,
    DDI_OS_WINDOWS,
    DDI_OS_LINUX,
    DDI_OS_APPLE,     /* macOS / iOS */
    DDI_OS_FREEBSD,
    DDI_OS_OPENBSD,
    DDI_OS_SOLARIS,
    DDI_OS_OTHER,     /* a label outside the families above */
    DDI_OS_TOOL,      /* a userland tool signature (p0f class '!') */
    DDI_OS__COUNT
} ddi_os_family;

/* Which Windows generation the evidence points to: it decides the
 * ephemeral port range (1025-5000 before Vista, 49152-65535 after). */
typedef enum ddi_win_era { DDI_WIN_ERA_ANY = 0, DDI_WIN_ERA_OLD, DDI_WIN_ERA_NEW } ddi_win_era;

/* How an OS verdict was reached: the signature match tiers of
 * fingerprint.h, one enum under the names the OS code has always used. */
typedef ddi_match_kind ddi_os_match;
#define DDI_OSM_NONE DDI_MATCH_NONE
#define DDI_OSM_EXACT DDI_MATCH_EXACT
#define DDI_OSM_GENERIC DDI_MATCH_GENERIC
#define DDI_OSM_FUZZY DDI_MATCH_FUZZY
#define DDI_OSM_HEURISTIC DDI_MATCH_HEURISTIC

/* The fingerprint part of past verdicts, by fingerprint (ddi_fp_syn_key):
 * a darknet's SYNs come from a few hundred stacks and tools, and the
 * signature search is most of a verdict's work.  A plain block: g_free()
 * frees it.  One per state (it is written as it is read). */
typedef struct ddi_os_memo ddi_os_memo;
ddi_os_memo *ddi_os_memo_new(void);
uint64_t ddi_os_memo_hits(const ddi_os_memo *m); /* verdicts it served (tests) */

typedef struct ddi_os_input {
    const ddi_pkt *p;          /* a SYN (or SYN-ACK) */
    const ddi_p0fdb *db;       /* may be NULL */
    ddi_os_memo *memo;         /* may be NULL; used only where nothing is explained */
    uint8_t retry_count;       /* SYNs of this connection before this one */
    double retry_gap1;         /* first retransmission gap, 0 if none */
    ddi_backoff backoff;       /* first two gaps' backoff, once a third SYN was seen */
    ddi_ipid_class ipid;       /* class of the source so far */
    bool explain;              /* build the evidence text and raw signature */
} ddi_os_input;

typedef struct ddi_os_result {
    ddi_os_family family;
    ddi_win_era era;
    ddi_os_match match;
    ddi_fp_result fp;          /* the signature match (kind NONE if none) */
    bool dated;                /* the label follows retry behaviour that dates the stack, not the signature */
    char label[96];
    char evidence[640];
    char raw_sig[DDI_FP_RAW_SIG_MAX];
} ddi_os_result;

void ddi_os_infer(const ddi_os_input *in, ddi_os_result *out);

const char *ddi_os_family_name(ddi_os_family f);
static inline const char *ddi_os_match_name(ddi_os_match m) { return ddi_match_name(m); }
ddi_os_family ddi_os_family_of_label(const char *cls, const char *name);

/* Default ephemeral port range(s) of a family; returns how many ranges
 * (0 = none known).  Windows with era ANY gives both of its ranges. */
int ddi_os_port_ranges(ddi_os_family f, ddi_win_era era, uint16_t lo[2], uint16_t hi[2], const char *name[2]);
/* Which of the n ranges holds `port`: its index, or -1 when none does. */
int ddi_port_range_index(uint16_t port, int n, const uint16_t lo[], const uint16_t hi[]);

#endif
