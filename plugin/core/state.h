/* state.h — per-source and per-connection memory, and the compact per-frame
 * record that lets any later pass rebuild exactly what the first pass saw.
 *
 * Memory is the constraint at telescope scale (millions of sources): records
 * live in chunked arrays of about 256 KB each (no realloc copies, stable
 * indices), the hash tables hold 32-bit indices (sources at a load of at most
 * 0.8), and a frame costs 24 bytes where a program dissects
 * frames again (tshark -2, the GUI; the glue decides, packet-ddi.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_STATE_H
#define DDI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipid.h"
#include "nat.h"
#include "pkt.h"
#include "retry.h"
#include "seen.h"
#include "summary.h"
#include "tools.h"

/* A double aligned to 4 bytes (as ipid.h's ddi_ns_a4): no padding in
 * ddi_source. */
typedef double ddi_f64_a4 __attribute__((aligned(4)));

/* What the capture showed a source doing, for per-packet verdicts
 * (ddi_source.flags). */
enum {
    DDI_SRC_ANSWERED = 1 << 0,   /* some SYN of this source got a SYN-ACK or RST back (the sender verdict) */
    DDI_SRC_SENT_TCP = 1 << 1,   /* sent a SYN or a TCP packet that was no backscatter (backscatter.h's gate) */
    DDI_SRC_SENT_UDP = 1 << 2,   /* sent a UDP packet (backscatter.h's gate) */
    DDI_SRC_TWO_WAY = 1 << 3,    /* one of its packets answered one sent to it earlier in the capture
                                    (ddi_backscatter_seen_two_way): the address is its sender's own */
};

/* A source as every packet needs it: what any per-packet field, expert item
 * or per-packet verdict (the whole-capture sender type included) reads, and
 * nothing else.  What only the per-source report, its JSON, state files and
 * evicted lines read is in ddi_source_whole, kept only where something can
 * read it (ddi_state.whole).  108 bytes (a static assertion in state.c holds
 * it there; bench/RESULTS.md has what each part costs).  The address is 4
 * bytes in place for IPv4 and an index into the state's IPv6 side table
 * otherwise (ddi_state_source_addr).  No padding (the 64-bit members are
 * 4-byte aligned), and the members most packets touch come first: records
 * are not line-aligned (108 bytes span two or three 64-byte lines), so the
 * last 16 bytes, which a source's later packets seldom touch (first_ts and
 * first_syn_off: its first SYN; retries: retransmissions), are the ones that
 * spill into a third line.  The times stay exact (doubles and the IP-ID
 * tracker's nanoseconds): every output is what it was with one record. */
typedef struct ddi_source {
    uint32_t addr;         /* IPv4: the address bytes as on the wire; IPv6: index into ddi_state.addrs6 */
    uint8_t family;        /* 4 or 6 */
    uint8_t flags;         /* DDI_SRC_* */
    uint16_t nat_bits;     /* every NAT kind seen so far (sticky kinds reach later packets) */
    uint32_t syns;         /* SYNs but duplicates (retry.h: a duplicate says nothing about
                              retransmitting); the first SYN is never one */
    ddi_ipid_acc ipid;
    ddi_nat_src nat;
    ddi_tool_ctx tool_ctx;
    float first_syn_off;   /* first SYN, seconds after first_ts (valid when syns > 0) */
    uint32_t retries;
    ddi_f64_a4 first_ts;
} ddi_source;


/* A source as only whole-source readers need it (the per-source report, its
 * JSON, state files, evicted lines): a parallel array with the same index as
 * the sources, kept only where one of them can run (ddi_state.whole), and
 * then folded by every packet.  88 bytes. */
typedef struct ddi_source_whole {
    double last_ts;
    uint32_t pkts;
    uint32_t syns_dup;     /* duplicate SYNs (not in ddi_source.syns) */
    float nat_off;         /* first NAT evidence, seconds after first_ts (a time, not a frame
                              number: it survives splitting a capture into shards) */
    /* tcp/445 connections retired from the connection table (ddi_state_conn_expire),
     * and of those, Conficker-style ones: their verdicts were final (saturate) */
    uint16_t gone445, gone445_yes;
    ddi_src_acc sum;       /* whole-source counters for the report (summary.h) */
} ddi_source_whole;

typedef struct ddi_conn {
    uint64_t key;          /* hash of (src, dst, sport, dport, ISN) */
    double first_ts;
    float last_dt;         /* latest SYN, seconds after the first */
    float gap1;            /* first retransmission gap */
    uint32_t src;          /* source index + 1: whole-source verdicts walk connections;
                              a free record: the next free record's index + 1 */
    uint16_t last_ipid;
    uint8_t count;         /* SYNs seen (saturates at 255), duplicates not counted */
    uint8_t answered : 1;  /* a SYN-ACK or RST answering this connection was seen */
    uint8_t backoff : 2;   /* ddi_backoff of the first two gaps, set at the third SYN */
    uint8_t port445 : 1;   /* to DDI_CONFICKER_PORT: the only port any verdict asks about */
    uint8_t gone : 1;      /* retired: folded into its source, no more SYNs join it */
} ddi_conn;

/* No stack retransmits a SYN this long after the first one with its default
 * settings: Linux, the most persistent (tcp_syn_retries = 6), sends its last
 * retry 63 s after the first SYN and gives up at 127 s
 * (docs/references.md#retry).  A copy of a SYN later than this starts a new
 * connection, and the record of the old one is retired: its Conficker-style
 * verdict is final by then (DDI_CONFICKER_QUIET_S), so it is folded into the
 * source, and a program that never dissects a frame twice reuses the record. */
#define DDI_SYN_RETRY_WINDOW_S 180.0
static inline bool ddi_conn_live(const ddi_conn *c, double ts)
{
    return !c->gone && ts - c->first_ts <= DDI_SYN_RETRY_WINDOW_S;
}

enum {
    DDI_FR_ANALYSED = 1 << 0,   /* the first pass analysed this frame */
    DDI_FR_HAS_GAP = 1 << 1,
    DDI_FR_FIRST = 1 << 2,      /* first packet of its source */
    DDI_FR_SRC_FULL = 1 << 3,   /* source table full: not tracked */
    DDI_FR_CONN_FULL = 1 << 4,  /* connection table full: retries not tracked */
    DDI_FR_NOT_IN_FRAME = 1 << 5, /* the analysed header is not in the frame's own bytes (glue) */
    DDI_FR_HAS_CONN = 1 << 6,   /* a SYN with a connection record */
};

/* 24 bytes a frame: everything a later pass cannot get back from the packet
 * itself.  The source and connection records are found again by looking up
 * the packet's address and connection key. */
typedef struct ddi_frame_rec {
    float ipid_dt;         /* seconds since the source's previous counted packet */
    float retry_iv;        /* seconds since the previous SYN of this connection */
    /* the IP-ID rate's basis as of this frame (the span is this frame's time
     * minus the source's first sample, which no later packet changes) */
    uint32_t ipid_samples; /* samples in sequence; 0 = this ID was not in sequence */
    uint32_t ipid_advance; /* counter advance since the first sample (UINT32_MAX: unknown) */
    uint16_t ipid_gap;
    uint16_t ip_off;       /* offset of the analysed IP header in the frame (set by the glue) */
    ddi_nat_set nat_bits;  /* NAT kinds evidenced as of this frame */
    uint8_t tool : 4;      /* ddi_tool as of this frame */
    uint8_t encap : 4;     /* ddi_encap_code() of the packet: the glue restores it on later passes */
    uint8_t flags;         /* DDI_FR_* */
    uint8_t retry_count : 4; /* SYNs: SYNs of this connection before this one (saturates at 15);
                                other packets: what they answer (ddi_bs_seen), see ddi_frame_seen() */
    uint8_t ipid_class : 4;  /* class of the source as of this frame */
} ddi_frame_rec;

typedef struct ddi_vec {
    void **chunks;
    uint32_t nchunks, count;
    size_t elem;
    unsigned bits;         /* 2^bits records a chunk (state.c, CHUNK_BYTES) */
} ddi_vec;

typedef struct ddi_state {
    ddi_vec sources, conns, frames;
    ddi_vec wholes;        /* ddi_source_whole, by source index, when `whole` */
    /* Keep whole-source records (ddi_source_whole, the NAT sentences, the OS
     * labels, the side records): true unless the caller knows before the
     * first packet that nothing will read them (ddi_state_set_whole).  Every
     * per-packet output is the same either way. */
    bool whole;
    ddi_vec addrs6;        /* IPv6 source addresses, 16 bytes each, in the order the sources came */
    ddi_vec rares;         /* ddi_src_rare, for the few sources that need one (summary.h) */
    uint32_t *src_slots, src_mask;
    uint32_t *conn_slots, conn_mask;
    uint32_t max_sources, max_conns; /* 0 = unlimited */
    /* Connections in the order they were created (a ring of index + 1), so the
     * oldest are retired first; with recycle_conns (set by a program that
     * never dissects a frame twice) retired records leave the index and are
     * reused through the free list. */
    uint32_t *conn_fifo, fifo_head, fifo_len, fifo_cap;
    /* the oldest connection's record and time, as ddi_state_conn_expire()
     * last read them: reading the record is a cache miss on nearly every
     * SYN, and most SYNs retire nothing (0 = not known) */
    uint32_t fifo_head_idx;
    double fifo_head_ts;
    uint32_t conn_free;    /* first free record, index + 1 (0 = none) */
    bool recycle_conns;
    double horizon;        /* latest packet time seen */
    double first_ts;
    ddi_seen_set seen;     /* what hosts were seen sending (backscatter.h) */
    uint32_t two_way_frame; /* first packet answering one seen earlier (0 = none so far) */
    double two_way_ts;
    bool two_way_before;   /* two_way_frame is in an earlier capture file (statefile.h): reported by time */
    uint64_t packets, src_dropped, conn_dropped;
    ddi_summary_labels labels; /* OS labels the source records point to */
    /* source index + 1 -> char *: the NAT sentences of its first evidence of
     * each kind; only sources with NAT evidence (a minority) have one */
    struct _GHashTable *nat_text;
    struct ddi_os_memo *os_memo; /* os.h; made by the first SYN that wants an OS */
} ddi_state;

/* Default caps on tracked sources and SYN connections (preferences
 * ddi.max_sources / ddi.max_connections, ddi-read's defaults): a memory
 * bound chosen by ddi, not a published figure (docs/references.md#caps). */
#define DDI_DEFAULT_MAX_SOURCES 20000000u
#define DDI_DEFAULT_MAX_CONNS 50000000u
void ddi_state_init(ddi_state *st, uint32_t max_sources, uint32_t max_conns);
void ddi_state_free(ddi_state *st);

/* Whether to keep whole-source records: only while the state holds no
 * source (a state file's load keeps them: it carries them). */
void ddi_state_set_whole(ddi_state *st, bool keep);

/* Records a chunk of a vector holds. */
static inline size_t ddi_vec_chunk_len(const ddi_vec *v) { return (size_t)1 << v->bits; }
/* Record i of a vector (which must hold it).  Inline with the accessors
 * below: a packet asks for a record some ten times. */
static inline void *ddi_vec_at(const ddi_vec *v, uint32_t i)
{
    return (char *)v->chunks[i >> v->bits] + (size_t)(i & (ddi_vec_chunk_len(v) - 1)) * v->elem;
}
/* Record idx1 - 1 (the tables store index + 1); NULL for 0 or past the end. */
static inline void *ddi_vec_at1(const ddi_vec *v, uint32_t idx1)
{
    return idx1 && idx1 <= v->count ? ddi_vec_at(v, idx1 - 1) : NULL;
}

/* idx1 = index + 1, as in ddi_vec_at1 */
static inline ddi_source *ddi_state_source(const ddi_state *st, uint32_t idx1) { return ddi_vec_at1(&st->sources, idx1); }
/* The whole-source record of source idx1; NULL when none is kept. */
static inline ddi_source_whole *ddi_state_whole(const ddi_state *st, uint32_t idx1)
{
    return ddi_vec_at1(&st->wholes, idx1);
}
static inline ddi_conn *ddi_state_conn(const ddi_state *st, uint32_t idx1) { return ddi_vec_at1(&st->conns, idx1); }
/* Find only; index + 1, or 0 when unknown. */
uint32_t ddi_state_source_find(const ddi_state *st, const ddi_addr *a);
uint32_t ddi_state_conn_find(const ddi_state *st, uint64_t key);
/* Find or create; returns index + 1, or 0 when the table is full. */
uint32_t ddi_state_source_get(ddi_state *st, const ddi_addr *a, bool *created);
uint32_t ddi_state_conn_get(ddi_state *st, uint64_t key, bool *created);
/* A new connection record for `key` in place of the one the index holds
 * (retired first if it is not yet): index + 1, or 0 when the table is full. */
uint32_t ddi_state_conn_renew(ddi_state *st, uint64_t key);
/* Retire the connections whose first SYN is more than DDI_SYN_RETRY_WINDOW_S
 * before `now` (oldest first); call before looking up a SYN's connection. */
void ddi_state_conn_expire(ddi_state *st, double now);
/* The record of `key` that was live at `ts` (later passes: a key may have
 * been renewed since); index + 1 or 0. */
uint32_t ddi_state_conn_find_at(const ddi_state *st, uint64_t key, double ts);
uint32_t ddi_state_source_count(const ddi_state *st);
/* The source's address (the record keeps IPv6 addresses in a side table). */
void ddi_state_source_addr(const ddi_state *st, const ddi_source *s, ddi_addr *out);
/* The source's side record (summary.h, ddi_src_rare), made zeroed on first
 * use; and a side record by its index + 1 (NULL when there is none). */
ddi_src_rare *ddi_state_source_rare(ddi_state *st, ddi_source_whole *w);
ddi_src_rare *ddi_state_rare(const ddi_state *st, uint32_t idx1);

/* Hints, for a caller that knows its next packets (the batch reader): start
 * loading what a lookup of this address or connection key will touch, so
 * that the lookup finds it in cache.  Stage 0 loads the table slot; stage 1,
 * some packets later, reads that slot and loads the record it names.  At
 * telescope scale each lookup is otherwise a cache miss (one random record
 * among millions).  They change nothing. */
void ddi_state_prefetch_source(const ddi_state *st, const ddi_addr *a, int stage);
void ddi_state_prefetch_conn(const ddi_state *st, uint64_t key, int stage);

/* The record of frame `num` (1-based), growing the array on demand. */
ddi_frame_rec *ddi_state_frame(ddi_state *st, uint32_t num);
const ddi_frame_rec *ddi_state_frame_peek(const ddi_state *st, uint32_t num);
/* Forget every frame record: for a program that never dissects a frame
 * twice (single-pass tshark), whose glue keeps only the current one. */
void ddi_state_frames_drop(ddi_state *st);

uint64_t ddi_conn_key(const ddi_pkt *p);
/* The same key from its parts (e.g. the SYN a SYN-ACK answers: ISN = ack - 1). */
uint64_t ddi_conn_key_parts(uint8_t ver, const ddi_addr *src, const ddi_addr *dst, uint16_t sport, uint16_t dport,
                            uint32_t isn);

/* A packet that is no SYN keeps in the retry field what it answers
 * (ddi_bs_seen, backscatter.h); a 24-byte frame has no other room. */
static inline void ddi_frame_set_seen(ddi_frame_rec *r, unsigned seen) { r->retry_count = seen & 15u; }
static inline unsigned ddi_frame_seen(const ddi_frame_rec *r, const ddi_pkt *p)
{
    return ddi_pkt_is_syn(p) ? 0 : r->retry_count;
}

/* Two-way traffic: some packet answered one seen earlier in the capture (the
 * "darknet" side talks back).  True as of frame `frame` (1-based; 0 = the
 * whole capture so far); *first_frame / *first_ts say where it became evident
 * (*first_frame = 0 when that was in an earlier file of a carried state). */
bool ddi_state_two_way(const ddi_state *st, uint32_t frame, uint32_t *first_frame, double *first_ts);
ddi_syn_history ddi_conn_history(const ddi_conn *c);
size_t ddi_state_memory(const ddi_state *st);

#endif
