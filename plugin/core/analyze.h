/* analyze.h — the two entry points the glue calls: fold a packet into the
 * state on the first pass, and build its verdict on any pass.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_ANALYZE_H
#define DDI_ANALYZE_H

#include "backscatter.h"
#include "mss.h"
#include "nat.h"
#include "os.h"
#include "state.h"
#include "tools.h"

typedef struct ddi_verdict {
    const ddi_pkt *p;
    const ddi_source *src;
    bool syn;

    /* IP ID (point-in-time) */
    bool has_gap, has_rate;    /* has_rate: rate_est.status == DDI_RATE_OK */
    uint16_t gap;              /* ID minus the source's previous counted ID */
    double dt;                 /* seconds since that packet */
    double rate;               /* = rate_est.rate when has_rate */
    ddi_ipid_estimate rate_est; /* the source's rate over its counter samples so far, with its basis */
    ddi_ipid_class ipid_class;

    /* SYN retransmission (point-in-time) and the Conficker verdict (whole capture) */
    uint8_t retry_count;      /* 0 for a duplicate */
    double retry_iv, retry_gap1;
    bool duplicate;           /* a copy of an earlier SYN sooner than any retransmission timer (retry.h) */
    double dup_iv;            /* seconds after that SYN */
    const char *backoff;
    bool conn_known;
    uint32_t conn_idx;        /* connection index + 1 (0 = none) */
    ddi_syn_history conn;
    ddi_conficker conficker;
    double observed_after;    /* capture time seen after this connection's first SYN */
    ddi_sender sender;        /* does the source retransmit SYNs? (whole capture) */
    char sender_why[160];     /* why the sender type is what it is, or undetermined */
    double horizon;           /* capture end used for the whole-capture verdicts */

    bool has_os;
    ddi_os_result os;
    bool has_mss;
    ddi_link link;

    /* The OS of a SYN-ACK's sender (a backscatter victim or a scanned
     * server): p0f's [tcp:response] signatures, from the packet alone.  Only
     * an OS stack's signature counts (no userland tool, no fuzzy tier). */
    bool has_synack_os;
    ddi_fp_result synack_fp;
    char synack_os[96];       /* "Linux 3.x" */

    uint16_t nat_bits;
    char nat_reason[512];

    ddi_tool tool;
    char tool_evidence[512];

    bool has_bs;
    ddi_bs_result bs;         /* the class; has_bs only when the capture does not explain the packet */
    ddi_bs_seen bs_seen;      /* a backscatter-class packet answering what the capture shows (not backscatter) */
    char bs_evidence[512];    /* backscatter evidence, or why bs_seen rules it out */

    /* two-way traffic (point-in-time): the capture has shown a packet
     * answering one seen earlier, at or before this frame */
    bool two_way;
    bool two_way_here;        /* this is the packet where it became evident */
    uint32_t two_way_frame;

    char summary[512];
} ddi_verdict;

/* First pass only, in capture order. */
void ddi_observe(ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, ddi_frame_rec *rec);
/* What ddi_observe() worked out that the verdict of the same packet needs
 * again: a caller that builds the verdict right after observing (the first
 * pass) passes it on instead of matching the signature twice.  The OS is
 * without texts (they are built only when asked for). */
typedef struct ddi_observed {
    bool has_os;
    ddi_os_result os;
    /* what the verdict would look up again: the source's and the
     * connection's records (0: none) and the packet's backscatter class */
    uint32_t src_idx, conn_idx;
    bool bs_cls;
    ddi_bs_result bs;
} ddi_observed;
/* ddi_observe(), also filling *out (which may be NULL). */
void ddi_observe_keep(ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, ddi_frame_rec *rec, ddi_observed *out);
/* A hint for a caller that parses packets ahead of observing them (the batch
 * reader): start loading the table slots (stage 0) and then the records
 * (stage 1, a few packets later) that ddi_observe() of `p` will touch.
 * Changes nothing; the result is the same with or without it. */
typedef struct ddi_prefetch_memo {
    uint64_t conn_key; /* stage 0 computes it, stage 1 reuses it */
} ddi_prefetch_memo;
void ddi_observe_prefetch(const ddi_state *st, const ddi_pkt *p, int stage, ddi_prefetch_memo *memo);

/* Any pass.  Everything but the whole-capture verdicts (Conficker-style
 * retry, stateless sender, and the summary clause reporting the former)
 * depends only on the frame record and the packet, so the answer is the same
 * in one-pass tshark, two-pass tshark and the GUI. */
void ddi_verdict_build(const ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, const ddi_frame_rec *rec,
                       ddi_verdict *v);
/* What text to build: the values are the same either way; text that
 * nobody reads (a batch run asking for a few fields) is skipped. */
enum {
    DDI_EXPLAIN_SUMMARY = 1 << 0,  /* the one-line summary (ddi.verdict) */
    DDI_EXPLAIN_EVIDENCE = 1 << 1, /* OS evidence, raw signature, NAT reason, tool/backscatter evidence */
    DDI_EXPLAIN_SENDER = 1 << 2,   /* the whole-capture sender type and why (sender, sender_why) */
    DDI_EXPLAIN_ALL = DDI_EXPLAIN_SUMMARY | DDI_EXPLAIN_EVIDENCE | DDI_EXPLAIN_SENDER,
};
void ddi_verdict_build_ex(const ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, const ddi_frame_rec *rec,
                          unsigned explain, ddi_verdict *v);
/* The same, reusing what ddi_observe_keep() just worked out for this packet
 * (`obs` may be NULL: everything is computed again).  Same verdict. */
void ddi_verdict_build_from(const ddi_state *st, const ddi_p0fdb *db, const ddi_pkt *p, const ddi_frame_rec *rec,
                            unsigned explain, const ddi_observed *obs, ddi_verdict *v);

#endif
