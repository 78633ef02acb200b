/* ipid.h — the IPv4 identification field as a counter: gaps, classes, and
 * the sender's packet rate estimated from the counter's advance.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_IPID_H
#define DDI_IPID_H

#include <stdbool.h>
#include <stddef.h>
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

/* A rate needs the counter's advance over at least this long a span or this
 * many samples: two packets milliseconds apart say how fast one burst went,
 * not how fast the host sends (issue 13: 9 in 10 rates from fewer samples in
 * less time were more than 3x off the source's own whole-span average). */
#define DDI_IPID_MIN_SPAN_NS 200000000LL /* 0.2 s */
#define DDI_IPID_MIN_SAMPLES 10u
/* Plausibility bound: 1 Gb/s Ethernet carries at most 10^9 / ((64 + 20) * 8)
 * = 1,488,095 frames/s (minimum frame plus preamble and inter-frame gap).  A
 * counter that seems to advance faster is not one host's counter, or the
 * capture's timestamps are coarser than its packets. */
#define DDI_IPID_MAX_RATE 1488095.0

/* Per-source state: the class evidence and the counter tracker.  One lives
 * in every source record (state.h), so it is kept to 36 bytes.
 *
 * The tracker follows the counter's position `ref`: a sample a small step
 * ahead of it is in sequence; a sample that jumps away (behind the counter,
 * or further ahead than the rate so far explains) is held back until the
 * next sample says whether the counter really went there (the next one
 * continues from it) or it was a stray (reordered, duplicated, or another
 * sender's packet: the next one continues from `ref`). */
/* A 64-bit time aligned to 4 bytes (GCC and Clang lower a typedef's
 * alignment on request): the tracker is 36 bytes, not 40 with tail padding,
 * in every source record (state.h). */
typedef int64_t ddi_ns_a4 __attribute__((aligned(4)));

typedef struct ddi_ipid_acc {
    ddi_ns_a4 first_ns;    /* time of the first sample in sequence (fixed once a second one is) */
    ddi_ns_a4 last_ns;     /* time of the latest sample (in sequence or held) */
    uint32_t samples;      /* samples in sequence: the basis of the rate */
    uint32_t advance;      /* counter advance from the first sample to `ref` (saturates) */
    uint16_t last;         /* latest ID (in sequence or held) */
    uint16_t ref;          /* the counter's position: latest ID in sequence */
    /* step counts, halved together when one saturates, so the class follows
     * what the source does now and can recover from a stray */
    uint8_t n_small;       /* in-sequence steps of 1..1000 */
    uint8_t n_large;       /* in-sequence steps above 1000 (the rate explains them) */
    uint8_t n_stray;       /* held IDs the next sample did not confirm */
    uint8_t n_jump;        /* confirmed jumps: the sequence restarted elsewhere */
    uint8_t seen : 1;      /* at least one ID recorded */
    uint8_t held : 1;      /* `last` is held back, not in sequence */
    uint8_t last_in_seq : 1; /* the latest sample went into the sequence */
    uint8_t flags;         /* DDI_IPA_* (ipid.c) */
    uint8_t df_zero;       /* DF packets with ID 0 (saturates) */
    uint8_t df_nonzero;    /* some DF packet had a non-zero ID */
} ddi_ipid_acc;
_Static_assert(sizeof(ddi_ipid_acc) == 36, "ddi_ipid_acc is in every source record (state.h)");

/* Forward difference modulo 2^16: wrap-around from 65535 to 0 is a step of 1. */
static inline uint16_t ddi_ipid_gap(uint16_t prev, uint16_t cur) { return (uint16_t)(cur - prev); }
static inline uint16_t ddi_bswap16(uint16_t v) { return (uint16_t)((v << 8) | (v >> 8)); }

/* RFC 6864 §4.1: the ID of an atomic datagram (DF set) has no meaning, and
 * macOS/iOS, FreeBSD >= 12 and Linux (for socket-less packets) send 0 there.
 * Such packets are counted apart and never enter the counter sequence. */
static inline bool ddi_ipid_atomic_zero(bool df, uint16_t id) { return df && !id; }

/* Add the next ID of a source at `t_ns` (nanoseconds, any fixed origin, never
 * decreasing); `same_conn_plus1` is true when this packet retransmits a SYN
 * whose previous copy had ID id-1 (the per-socket +1 of Linux).  Returns
 * true when the ID went into the counter sequence (the rate basis grew). */
bool ddi_ipid_add(ddi_ipid_acc *a, uint16_t id, bool df, int64_t t_ns, bool same_conn_plus1);
ddi_ipid_class ddi_ipid_classify(const ddi_ipid_acc *a);
/* Before adding `id`: is it the counter's current ID again, or at most 1000
 * below it (a retransmission that kept its ID, or a reordered packet)? */
bool ddi_ipid_late_or_repeat(const ddi_ipid_acc *a, uint16_t id);

typedef enum ddi_rate_status {
    DDI_RATE_OK = 0,
    DDI_RATE_NOT_COUNTER,   /* the class is not a counter */
    DDI_RATE_OUT_OF_SEQ,    /* this ID did not go into the counter sequence */
    DDI_RATE_JUMPED,        /* the counter jumped by an unknown amount earlier */
    DDI_RATE_TOO_LITTLE,    /* fewer than 10 samples within less than 0.2 s */
    DDI_RATE_IMPLAUSIBLE,   /* above DDI_IPID_MAX_RATE */
} ddi_rate_status;

/* A rate and what it rests on. */
typedef struct ddi_ipid_estimate {
    ddi_rate_status status;
    ddi_ipid_class cls;
    double rate;           /* packets per second (valid when status is OK or IMPLAUSIBLE) */
    double span;           /* seconds from the first sample to the latest in sequence */
    uint32_t samples;      /* samples in sequence behind it */
    uint32_t advance;      /* counter advance over the span (host order for byte-swapped) */
} ddi_ipid_estimate;

/* The estimate from a basis: `advance` is the raw (wire-order) advance;
 * `span_ns` the time from the first sample to the latest in sequence. */
ddi_ipid_estimate ddi_ipid_estimate_of(ddi_ipid_class c, uint32_t samples, uint32_t advance, int64_t span_ns);

/* A source's current rate estimate over the whole span of its counter
 * samples so far, with its basis (for per-source reports). */
ddi_ipid_estimate ddi_ipid_source_rate(const ddi_ipid_acc *a);

/* "~23.2 packets/s over 2.97 s, 2 samples" (status OK), or why there is no
 * rate.  Locale-independent.  Returns the length written (as snprintf). */
int ddi_ipid_estimate_text(const ddi_ipid_estimate *e, char *buf, size_t n);

/* Fixed-point decimal without the C library's locale (the decimal point is
 * always '.'); returns the length written, as snprintf. */
int ddi_ipid_fmt_fixed(char *buf, size_t n, double v, unsigned decimals);

const char *ddi_ipid_class_name(ddi_ipid_class c);
bool ddi_ipid_is_counter(ddi_ipid_class c);

#endif
