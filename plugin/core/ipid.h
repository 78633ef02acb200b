/* ipid.h — the IPv4 identification field as a counter: gaps, rates, classes.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_IPID_H
#define DDI_IPID_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ddi_ipid_class {
    DDI_IPID_UNKNOWN = 0,  /* one packet, or one large step: counter or random, not yet known */
    DDI_IPID_GLOBAL,       /* one counter for everything the host sends */
    DDI_IPID_BYTESWAPPED,  /* counter written in host (little-endian) order: +256 steps */
    DDI_IPID_PER_DEST,     /* +1 within a connection, unrelated across destinations (Linux) */
    DDI_IPID_RANDOM,
    DDI_IPID_ZERO,
    DDI_IPID_CONSTANT,     /* the same non-zero value every time (e.g. ZMap 54321) */
    DDI_IPID__COUNT
} ddi_ipid_class;

/* Per-source accumulator of consecutive IP-ID differences (mod 2^16).
 * Small on purpose: one lives in every source record. */
typedef struct ddi_ipid_acc {
    uint16_t last;
    uint16_t ndiffs;       /* saturates */
    uint8_t seen;          /* at least one ID recorded */
    uint8_t flags;         /* DDI_IPA_* (ipid.c) */
    uint8_t df_zero;       /* DF packets with ID 0 (saturates) */
    uint8_t df_nonzero;    /* some DF packet had a non-zero ID */
    float min_rate, max_rate; /* of steps above DDI_IPID_SMALL_STEP, per second */
} ddi_ipid_acc;

/* Forward difference modulo 2^16: wrap-around from 65535 to 0 is a step of 1. */
static inline uint16_t ddi_ipid_gap(uint16_t prev, uint16_t cur) { return (uint16_t)(cur - prev); }
static inline uint16_t ddi_bswap16(uint16_t v) { return (uint16_t)((v << 8) | (v >> 8)); }

/* RFC 6864 §4.1: the ID of an atomic datagram (DF set) has no meaning, and
 * macOS/iOS, FreeBSD >= 12 and Linux (for socket-less packets) send 0 there.
 * Such packets are counted apart and never enter the counter sequence. */
static inline bool ddi_ipid_atomic_zero(bool df, uint16_t id) { return df && !id; }

/* Add the next ID of a source, `dt` seconds after its previous counted
 * packet; `same_conn_plus1` is true when this packet retransmits a SYN whose
 * previous copy had ID id-1 (the per-socket +1 of Linux). */
void ddi_ipid_add(ddi_ipid_acc *a, uint16_t id, bool df, double dt, bool same_conn_plus1);
ddi_ipid_class ddi_ipid_classify(const ddi_ipid_acc *a);

/* Packets per second the sender emitted between two IDs of a counter
 * (gap / dt).  Returns false when dt <= 0 or the class is not a counter. */
bool ddi_ipid_rate(ddi_ipid_class c, uint16_t prev, uint16_t cur, double dt, double *rate, uint16_t *gap_used);

const char *ddi_ipid_class_name(ddi_ipid_class c);
bool ddi_ipid_is_counter(ddi_ipid_class c);

#endif
