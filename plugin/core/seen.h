/* seen.h — a compact set of "this was sent earlier in the capture" keys.
 *
 * A reply is backscatter only when the packet it answers was forged with the
 * darknet address, i.e. never appears in the capture.  To know that, ddi
 * remembers what each host sent: one key per directed TCP connection (SYNs
 * apart from the rest), UDP flow, ICMP request (id, seq) and other protocol,
 * without sequence numbers, so every copy of a connection's packets maps to
 * one key.
 *
 * Memory: the set stores a 32-bit fingerprint of the 64-bit key, 4 bytes a
 * slot at a load between 0.53 and 0.8 (5-7.5 bytes a key; the table grows by
 * half, so its size is no power of two).  Two different
 * keys share a fingerprint with probability 2^-32 each, so a lookup among n
 * stored keys answers "seen" wrongly with probability about n / 2^32 (2e-4
 * for a million keys).  Such an error withholds a backscatter claim; it never
 * makes one.  ddi looks a reply up only when its destination has itself sent
 * packets (a darknet address never does), so a telescope capture never
 * pays for, or suffers from, such a lookup.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_SEEN_H
#define DDI_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

typedef enum ddi_seen_kind {
    DDI_SEEN_TCP_SYN = 1, /* a SYN (without ACK) src:a -> dst:b */
    DDI_SEEN_TCP,         /* any other TCP packet that is no backscatter */
    DDI_SEEN_TCP_BS,      /* a TCP packet classified as backscatter */
    DDI_SEEN_UDP,
    DDI_SEEN_ICMP_REQ,    /* an ICMP request: a = id, b = seq, tagged with the reply type it asks for */
    DDI_SEEN_PROTO,       /* another protocol: a = protocol number */
} ddi_seen_kind;

/* A packet's insertion lands on a random slot of a table of megabytes: a
 * cache miss the packet waits for.  Queued and placed 32 at a time, after
 * all 32 slots were asked for at once, the misses overlap (in `tshark -T
 * fields` on 200k SYNs the insertion's share of the profile fell from 0.37 %
 * to 0.13 %, bench/RESULTS.md).  Placed in the order they came, the table
 * is the one immediate insertion builds. */
#define DDI_SEEN_BATCH 32

typedef struct ddi_seen_set {
    uint32_t *slots;      /* fingerprints; 0 = empty */
    uint32_t cap, count;  /* slots, and keys in them */
    /* The previous generation (ddi_seen_age): looked up, never added to.
     * Only a run carried over months with eviction (statefile.h) ages the
     * set, so that flows seen long ago stop costing memory. */
    uint32_t *old_slots;
    uint32_t old_cap, old_count;
    double since;         /* when the current generation began (capture time; 0 = the capture's start) */
    /* Keys added with ddi_seen_add_later, in order, not yet in `slots`. */
    uint32_t batch[DDI_SEEN_BATCH];
    uint32_t nbatch;
} ddi_seen_set;

void ddi_seen_init(ddi_seen_set *s);
void ddi_seen_free(ddi_seen_set *s);
/* Adds the key; true when it was not there yet. */
bool ddi_seen_add(ddi_seen_set *s, uint64_t key);
/* Adds the key in the next batch (above); ddi_seen_has knows it at once. */
void ddi_seen_add_later(ddi_seen_set *s, uint64_t key);
/* Places the waiting batch: before the table is read whole (a state file). */
void ddi_seen_settle(ddi_seen_set *s);
bool ddi_seen_has(const ddi_seen_set *s, uint64_t key);
size_t ddi_seen_memory(const ddi_seen_set *s);
/* Could `count` keys in `slots` slots come from this set (a state file's
 * claim, statefile.c)?  A fuller table would make lookups run long or
 * forever. */
bool ddi_seen_load_ok(uint32_t slots, uint32_t count);
/* The current generation becomes the previous one (the previous one is
 * forgotten) and a new one begins at `now`: a key stays known for at least
 * one generation and at most two. */
void ddi_seen_age(ddi_seen_set *s, double now);

/* The key of one directed flow: kind, addresses and two 16-bit values (ports,
 * or ICMP id and seq; `tag` separates ICMP request types). */
uint64_t ddi_seen_key(ddi_seen_kind kind, uint8_t tag, const ddi_addr *src, const ddi_addr *dst, uint16_t a,
                      uint16_t b);

#endif
