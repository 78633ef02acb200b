/* seen.c — open-addressing set of 32-bit key fingerprints.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "seen.h"

#include "bigmem.h"
#include "hash.h"

#include <glib.h>
#include <string.h>

/* grow when count would exceed 4/5 of the slots, by half: the load stays
 * between 0.53 and 0.8 (a doubling table's 0.35-0.7 costs a third more), and
 * an absent key's probe run (linear probing: about (1 + 1/(1-0.8)^2) / 2 = 13
 * slots at the highest load, 52 bytes) stays within a cache line or two */
#define SEEN_LOAD_NUM 4
#define SEEN_LOAD_DEN 5
#define SEEN_MIN_SLOTS 1024

static uint32_t fingerprint(uint64_t key)
{
    uint32_t f = (uint32_t)(key >> 32) ^ (uint32_t)key;
    return f ? f : 1; /* 0 marks an empty slot */
}

/* the slot comes from the fingerprint alone, so the table can grow without
 * the original keys; a multiply-shift maps it onto any capacity (no power
 * of two needed), Fibonacci hashing first spreads it over all 32 bits */
static uint32_t home(uint32_t f, uint32_t cap) { return (uint32_t)(((uint64_t)(f * 0x9e3779b1u) * cap) >> 32); }
static uint32_t next(uint32_t j, uint32_t cap) { return j + 1 == cap ? 0 : j + 1; }

void ddi_seen_init(ddi_seen_set *s) { memset(s, 0, sizeof *s); }

void ddi_seen_free(ddi_seen_set *s)
{
    ddi_big_free(s->slots, (size_t)s->cap * sizeof *s->slots);
    ddi_big_free(s->old_slots, (size_t)s->old_cap * sizeof *s->old_slots);
    memset(s, 0, sizeof *s);
}

void ddi_seen_age(ddi_seen_set *s, double now)
{
    ddi_seen_settle(s);
    ddi_big_free(s->old_slots, (size_t)s->old_cap * sizeof *s->old_slots);
    s->old_slots = s->slots;
    s->old_cap = s->cap;
    s->old_count = s->count;
    s->slots = NULL;
    s->cap = s->count = 0;
    s->since = now;
}

/* Linear probing: the slot holding f, or the empty one where it goes. */
static uint32_t probe(const uint32_t *slots, uint32_t cap, uint32_t f)
{
    uint32_t j = home(f, cap);
    while (slots[j] && slots[j] != f)
        j = next(j, cap);
    return j;
}

static void put(uint32_t *slots, uint32_t cap, uint32_t f) { slots[probe(slots, cap, f)] = f; }

static void grow(ddi_seen_set *s)
{
    uint32_t cap = s->slots ? s->cap + s->cap / 2 : SEEN_MIN_SLOTS;
    uint32_t *ns = ddi_big_alloc0((size_t)cap * sizeof *ns);
    for (uint32_t i = 0; s->slots && i < s->cap; i++)
        if (s->slots[i])
            put(ns, cap, s->slots[i]);
    ddi_big_free(s->slots, (size_t)s->cap * sizeof *s->slots);
    s->slots = ns;
    s->cap = cap;
}

static bool in_table(const uint32_t *slots, uint32_t cap, uint32_t f)
{
    return slots && slots[probe(slots, cap, f)] == f;
}

static bool in_batch(const ddi_seen_set *s, uint32_t f)
{
    for (uint32_t i = 0; i < s->nbatch; i++)
        if (s->batch[i] == f)
            return true;
    return false;
}

bool ddi_seen_has(const ddi_seen_set *s, uint64_t key)
{
    uint32_t f = fingerprint(key);
    return in_table(s->slots, s->cap, f) || in_table(s->old_slots, s->old_cap, f) || in_batch(s, f);
}

/* A key of the previous generation seen again joins this one, and is not new. */
static bool add_fingerprint(ddi_seen_set *s, uint32_t f)
{
    if (!s->slots || (uint64_t)(s->count + 1) * SEEN_LOAD_DEN > (uint64_t)s->cap * SEEN_LOAD_NUM) {
        if (in_table(s->slots, s->cap, f))
            return false;
        grow(s);
    }
    /* one probe run finds f or the slot where it goes */
    uint32_t j = probe(s->slots, s->cap, f);
    if (s->slots[j] == f)
        return false;
    s->slots[j] = f;
    s->count++;
    return !in_table(s->old_slots, s->old_cap, f);
}

void ddi_seen_settle(ddi_seen_set *s)
{
    uint32_t n = s->nbatch;
    s->nbatch = 0;
    for (uint32_t i = 0; s->slots && i < n; i++)
        __builtin_prefetch(&s->slots[home(s->batch[i], s->cap)], 1);
    for (uint32_t i = 0; i < n; i++)
        add_fingerprint(s, s->batch[i]);
}

bool ddi_seen_add(ddi_seen_set *s, uint64_t key)
{
    ddi_seen_settle(s);
    return add_fingerprint(s, fingerprint(key));
}

void ddi_seen_add_later(ddi_seen_set *s, uint64_t key)
{
    s->batch[s->nbatch++] = fingerprint(key);
    if (s->nbatch == DDI_SEEN_BATCH)
        ddi_seen_settle(s);
}

bool ddi_seen_load_ok(uint32_t slots, uint32_t count)
{
    return (uint64_t)count * SEEN_LOAD_DEN <= (uint64_t)slots * SEEN_LOAD_NUM;
}

size_t ddi_seen_memory(const ddi_seen_set *s)
{
    return (s->slots ? (size_t)s->cap * sizeof *s->slots : 0) +
           (s->old_slots ? (size_t)s->old_cap * sizeof *s->old_slots : 0);
}

uint64_t ddi_seen_key(ddi_seen_kind kind, uint8_t tag, const ddi_addr *src, const ddi_addr *dst, uint16_t a,
                      uint16_t b)
{
    /* FNV-style mixing with a splitmix64 finish: every input bit reaches
     * both halves that make the fingerprint */
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)kind << 8 | tag) ^ (uint64_t)src->family << 16;
    const ddi_addr *parts[2] = {src, dst};
    size_t alen = src->family == 6 ? 16 : 4;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < alen; i += 4) {
            uint32_t w;
            memcpy(&w, parts[k]->a + i, 4);
            h = (h ^ w) * 0x100000001b3ULL;
            h ^= h >> 29;
        }
    return ddi_mix64(h ^ ((uint64_t)a << 16 | b));
}
