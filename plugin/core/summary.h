/* summary.h — the whole source, from all its packets and connections.
 *
 * Two halves:
 *   - ddi_src_acc: a few counters and small sketches folded into every
 *     whole-source record (state.h, ddi_source_whole: kept only where a
 *     whole-source reader can run) during the first pass
 *     (ddi_summary_observe);
 *   - ddi_src_summary: what the per-source report and its JSON show, built
 *     from the source's two records, its connections and
 *     the capture's end (ddi_summary_build), and written by the writers
 *     below, which need nothing from Wireshark (the batch reader uses them).
 *
 * Whole-capture verdicts are tri-state: yes / no / undetermined, and an
 * undetermined one always carries its reason.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_SUMMARY_H
#define DDI_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backscatter.h"
#include "telescope.h"
#include "os.h"
#include "pkt.h"
#include "retry.h"
#include "tools.h"

/* Distinct values are counted with a 64-bit linear-counting bitmap
 * (Whang, Vander-Zanden, Taylor 1990): 8 bytes a source instead of a list;
 * exact enough below ~40 values, a lower bound of 64 once full. */
#define DDI_SKETCH_BITS 64

/* What only the report reads (ddi_src_acc.flags); what per-packet verdicts
 * read too is in the source record (state.h, DDI_SRC_*). */
enum {
    DDI_ACC_MSS_VARIES = 1 << 1, /* its SYNs carried more than one MSS */
    DDI_ACC_TTL_SEEN = 1 << 2,
    DDI_ACC_WIN_WS_TS = 1 << 3,  /* a Windows SYN with window scaling and timestamps (the published Vista reading) */
    DDI_ACC_SENT_BS = 1 << 7,    /* sent a backscatter packet (counted in ddi_src_rare) */
};

/* What an ordinary scanner's source never needs: at the end of the bench's
 * captures (bench/RESULTS.md) 0-7 % of sources had any of it.  It lives in a
 * side table (ddi_state.rares), made for a source at its first UDP or
 * backscatter packet and named by ddi_src_acc.rare (kept, like it, only
 * for whole-source readers); 24 bytes, pointer-free
 * (state files keep it after its source's record). */
typedef struct ddi_src_rare {
    uint32_t udp;          /* UDP packets */
    uint16_t bs[DDI_BS__COUNT - 1]; /* backscatter packets by kind (saturate at 65535) */
    uint16_t victim_port;  /* latest backscatter victim port */
    uint16_t pad_;
} ddi_src_rare;

/* Per-source accumulator: part of ddi_source_whole (state.h), so every byte
 * counts where it is kept. */
typedef struct ddi_src_acc {
    uint64_t dst_sketch;   /* destination addresses */
    uint64_t port_sketch;  /* service ports: TCP/UDP destination port, or a backscatter victim's port */
    uint32_t rare;         /* index + 1 of its ddi_src_rare in ddi_state.rares (0 = none yet) */
    uint16_t tools;        /* bitmap of ddi_tool seen on any packet */
    uint16_t mss;          /* MSS of the first SYN that had one (never a tool's: it typed the value) */
    uint8_t ttl_min, ttl_max;
    uint8_t os_label;      /* ddi_summary_labels id of the best OS label so far (0 = none) */
    uint8_t os_family;     /* ddi_os_family of that label */
    uint8_t flags;         /* DDI_ACC_* */
    uint8_t os_match : 4;  /* ddi_os_match of that label */
    uint8_t mss_encap : 4; /* ddi_encap_code() of the frame that gave mss (4 bits, pkt.h) */
    ddi_feat_acc feat;     /* telescope features and spoof tests (telescope.h): 32 bytes */
} ddi_src_acc;
_Static_assert(sizeof(ddi_src_acc) == 64, "ddi_src_acc is in every whole-source record (state.h)");
_Static_assert(sizeof(ddi_src_rare) == 24, "ddi_src_rare: state files keep it raw");

/* OS labels are few (one per signature or family), sources are many: a
 * source keeps a one-byte id into this table. */
#define DDI_LABELS_MAX 255
typedef struct ddi_summary_labels {
    uint8_t count;
    uint8_t slot[512];     /* hash -> id, open addressing (0 = empty) */
    char text[DDI_LABELS_MAX][96];
} ddi_summary_labels;

/* Add a label (if new) and return its id (1..255), 0 when the table is full. */
uint8_t ddi_summary_label_id(ddi_summary_labels *t, const char *label);

/* First pass, every analysed packet of a source.  `os` is the packet's OS
 * verdict (NULL when none), `bs` its backscatter class (NULL when none);
 * `rare` is the source's side record, which the caller passes (made if
 * need be) whenever ddi_summary_needs_rare says so, and may leave NULL
 * otherwise. */
void ddi_summary_observe(ddi_src_acc *a, ddi_src_rare *rare, const ddi_pkt *p, ddi_tool tool,
                         const ddi_os_result *os, uint8_t os_label, const ddi_bs_result *bs);
bool ddi_summary_needs_rare(const ddi_pkt *p, const ddi_bs_result *bs);

/* Estimated number of distinct values in a sketch; *at_least is set when the
 * bitmap is full and the value is only a lower bound. */
uint32_t ddi_sketch_estimate(uint64_t sketch, bool *at_least);
void ddi_sketch_add(uint64_t *sketch, const uint8_t *bytes, size_t n);

/* ------------------------------------------------------------------ tri-state verdicts */

typedef enum ddi_tri { DDI_TRI_UNDETERMINED = 0, DDI_TRI_NO, DDI_TRI_YES } ddi_tri;
const char *ddi_tri_name(ddi_tri t); /* "yes", "no", "undetermined" */

/* Conficker-style over all tcp/445 connections of one source: yes when any
 * fits, undetermined when one may still fit, no otherwise.  `why` explains
 * the answer (always set). */
typedef struct ddi_conf_fold {
    uint32_t conns445;       /* tcp/445 connections seen */
    uint32_t yes;            /* connections that fit */
    double best_first;       /* earliest first SYN among the candidates still waiting */
    double best_retry;       /* its retry */
    bool waiting;            /* a candidate whose silence is not yet long enough */
    bool first_only;         /* a lone first SYN whose ~3 s retry could still come after the capture's end */
    double first_only_ts;
} ddi_conf_fold;
void ddi_conf_fold_add(ddi_conf_fold *f, const ddi_syn_history *h, double horizon);
ddi_tri ddi_conf_fold_verdict(const ddi_conf_fold *f, double horizon, char *why, size_t len);

/* Sender type, tri-state: stateful when a SYN was retransmitted; stateless
 * only when two or more SYNs went unanswered and unretried long enough;
 * undetermined otherwise, with the reason. */
ddi_tri ddi_sender_verdict(uint32_t syns, uint32_t retries, bool answered, double first_syn_ts, double horizon,
                           ddi_sender *sender, char *why, size_t len);

/* ------------------------------------------------------------------ the summary */

/* Rate of a counter source (ddi_ipid_source_rate: no rate from fewer than
 * 10 counted packets within 0.2 s, see ipid.h) over its whole span; `has` false with `why` set
 * otherwise. */
typedef struct ddi_rate_basis {
    bool has;
    double pps;
    uint32_t samples;
    double span;
    const char *why;
} ddi_rate_basis;

typedef struct ddi_src_summary {
    ddi_addr addr;
    double first_ts, last_ts;
    uint32_t pkts, syns, retries, udp, bs_pkts, other;
    uint32_t bs[DDI_BS__COUNT - 1];
    bool bs_saturated;  /* some per-kind counter saturated: bs_pkts is a lower bound */
    uint16_t victim_port;
    uint32_t dsts, ports;
    bool dsts_at_least, ports_at_least;
    bool has_ttl;
    uint8_t ttl_min, ttl_max, ittl_min, ittl_max; /* observed TTLs and their likely initial TTLs */
    int hops_min, hops_max;
    const char *os;          /* NULL when no SYN was fingerprinted */
    ddi_os_family os_family;
    ddi_os_match os_match;
    bool has_mss, mss_varies, pppoe;
    uint16_t mss, mtu;
    const char *link;
    const char *tunnel;    /* encapsulation in the frame that explains a reduced MTU (NULL if none) */
    uint16_t nat_bits;
    double nat_first;        /* time of the first NAT evidence (when nat_bits) */
    const char *nat_reason;  /* the first sentence of each NAT kind, NULL when none */
    const char *ipid_class;
    ddi_rate_basis rate;
    uint16_t tools;          /* bitmap of ddi_tool */
    ddi_tri conficker;
    char conficker_why[160];
    ddi_tri sender_known;    /* yes = the type below is known */
    ddi_sender sender;
    char sender_why[160];
    bool answered;
    bool vista_reading;      /* a Windows SYN with WS and TS: the published reading says Vista/2008 */
    /* telescope features (telescope.h) */
    uint64_t bytes;          /* sum of IP datagram lengths */
    uint32_t dst24;          /* destination /24s (IPv4) or /48s (IPv6), estimated */
    bool dst24_at_least;
    int nports_top;
    ddi_port_count ports_top[DDI_FEAT_TOP_PORTS];
    bool ports_top_exact;
    int nttls;
    uint8_t ttls[DDI_FEAT_TTL_MID + 2];
    bool ttls_complete;
    ddi_spoof_result spoof;
    char verdict[512];       /* agrees with the lines above: built from them */
} ddi_src_summary;

/* The capture as a whole: the report's header. */
typedef struct ddi_db_info {
    const char *path;
    int signatures;          /* loaded, or -1 when the file failed */
    const char *error;       /* NULL when none */
} ddi_db_info;

typedef struct ddi_capture_summary {
    double first_ts, last_ts;
    uint64_t packets;        /* analysed packets (those past the source table's limit are not) */
    uint32_t sources;        /* tracked (analysed) sources */
    uint32_t shown;          /* sources in this report (a display filter can hide some) */
    uint64_t src_dropped;    /* packets not analysed: source table full */
    uint64_t conn_dropped;   /* SYNs without retry tracking: connection table full */
    uint32_t max_sources, max_conns;
    uint32_t answered_sources; /* sources whose SYNs were answered: the capture is two-way */
    uint32_t two_way_frame;  /* first packet answering one seen earlier (ddi_state_two_way); 0 = none */
    double two_way_ts;
    bool two_way_before;     /* two-way traffic was evident in an earlier file of a carried state */
    const char *state_in;    /* the state file asked for (statefile.h; NULL = none); set by the caller */
    const char *state_error; /* why it was not used (NULL = it was loaded); set by the caller */
    const ddi_db_info *dbs;
    int ndbs;
    size_t state_bytes;
    size_t source_bytes;     /* a source's records: per-packet, and whole-source where kept (state.h) */
} ddi_capture_summary;

struct ddi_state;

/* Build the capture header; `dbs` is copied by pointer. */
void ddi_summary_capture(const struct ddi_state *st, const ddi_db_info *dbs, int ndbs, ddi_capture_summary *out);

/* Per-source Conficker folds, indexed by source index (0-based), from one
 * walk over all connections; free with free(). */
ddi_conf_fold *ddi_summary_conficker_scan(const struct ddi_state *st);

/* Build the summary of source `idx1` (index + 1).  `folds` comes from
 * ddi_summary_conficker_scan (NULL: walk the connections for this source only). */
void ddi_summary_build(const struct ddi_state *st, uint32_t idx1, const ddi_conf_fold *folds, ddi_src_summary *out);
/* The same with the capture's flood scan (ddi_feat_flood_scan; NULL: this
 * one source is checked alone, ddi_feat_flood_member).  Callers building
 * many sources pass both scans. */
void ddi_summary_build_ex(const struct ddi_state *st, uint32_t idx1, const ddi_conf_fold *folds, const uint8_t *flood,
                          ddi_src_summary *out);

/* Writers: plain text for people, one JSON object per line for programs.
 * Numbers are written without the C library's locale (a decimal comma
 * would make invalid JSON). */
void ddi_summary_write_header(FILE *out, const ddi_capture_summary *c);
void ddi_summary_write_text(FILE *out, const ddi_src_summary *s);
void ddi_summary_write_footer(FILE *out, const ddi_capture_summary *c);
void ddi_summary_write_json_header(FILE *out, const ddi_capture_summary *c);
void ddi_summary_write_json(FILE *out, const ddi_src_summary *s);

/* The whole per-source report, as `-z ddi,sources[,json]` and ddi-read write
 * it: header, every source (most packets first, then by address), footer.
 * `shown` (NULL = all) has a byte per source index, non-zero for the sources
 * to list (the plugin's tap filter).  `cap` comes from ddi_summary_capture;
 * its `shown` is set here.  False when memory ran out (nothing written). */
bool ddi_summary_write_report(FILE *out, const struct ddi_state *st, ddi_capture_summary *cap,
                              const uint8_t *shown, uint32_t nshown, bool json);
/* The same, the JSON lines built by up to `threads` threads (the output is
 * the same: the calling thread writes them in order).  Building a line only
 * reads the state, so nothing else may change it meanwhile. */
bool ddi_summary_write_report_mt(FILE *out, const struct ddi_state *st, ddi_capture_summary *cap,
                                 const uint8_t *shown, uint32_t nshown, bool json, unsigned threads);

/* Locale-independent fixed-point formatting: "-12.345". */
char *ddi_fmt_fixed(char *buf, size_t len, double v, int decimals);

#endif
