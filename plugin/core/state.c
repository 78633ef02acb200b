/* state.c — chunked record arrays and open-addressing index tables.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "state.h"

#include "bigmem.h"
#include "hash.h"

#include <glib.h>
#include <string.h>

/* A chunk holds a power of two of records, about CHUNK_BYTES of them: the
 * last chunk is mostly unused, and an allocator that hands out reused memory
 * clears all of it (resident), so a chunk of 16,384 224-byte source records
 * (3.7 MB) cost up to 70 bytes a source at 50,000 sources.  256 KB chunks
 * waste at most that per array, and are still few (a pointer each); chunks
 * come from bigmem.h, whose pages are resident only once written. */
#define CHUNK_BYTES (256u * 1024u)

/* Side records that few sources have (ddi_src_rare) come in smaller chunks:
 * their last chunk is as likely to be cleared whole. */
#define RARE_CHUNK_BYTES (16u * 1024u)

static void vec_init(ddi_vec *v, size_t elem, size_t chunk_bytes)
{
    memset(v, 0, sizeof *v);
    v->elem = elem;
    v->bits = 0;
    while (((size_t)2 << v->bits) * elem <= chunk_bytes)
        v->bits++;
}

static size_t vec_chunk_bytes(const ddi_vec *v) { return ddi_vec_chunk_len(v) * v->elem; }
static size_t vec_bytes(const ddi_vec *v) { return v->nchunks * vec_chunk_bytes(v); }

static void vec_free(ddi_vec *v)
{
    for (uint32_t i = 0; i < v->nchunks; i++)
        ddi_big_free(v->chunks[i], vec_chunk_bytes(v));
    g_free(v->chunks);
    v->chunks = NULL;
    v->nchunks = v->count = 0;
}

/* Make index i addressable (zero-filled); chunks are never moved. */
static void vec_reserve(ddi_vec *v, uint32_t i)
{
    uint32_t need = (i >> v->bits) + 1;
    if (need > v->nchunks) {
        v->chunks = g_renew(void *, v->chunks, need);
        for (uint32_t c = v->nchunks; c < need; c++)
            v->chunks[c] = ddi_big_alloc0(vec_chunk_bytes(v));
        v->nchunks = need;
    }
    if (i >= v->count)
        v->count = i + 1;
}

static uint32_t mix32(uint64_t h) { return (uint32_t)ddi_mix64(h); }

static uint32_t addr_hash(const ddi_addr *a)
{
    uint64_t x, y = 0;
    if (a->family == 6) {
        memcpy(&x, a->a, 8);
        memcpy(&y, a->a + 8, 8);
    } else {
        /* only a[0..3]: masking an 8-byte load kept a[4..7] (always 0) on
         * big-endian hosts, so every IPv4 source hashed alike there */
        uint32_t w;
        memcpy(&w, a->a, 4);
        x = w;
    }
    return mix32(x ^ (y * 0x9e3779b97f4a7c15ULL) ^ a->family);
}

void ddi_state_init(ddi_state *st, uint32_t max_sources, uint32_t max_conns)
{
    memset(st, 0, sizeof *st);
    vec_init(&st->sources, sizeof(ddi_source), CHUNK_BYTES);
    vec_init(&st->wholes, sizeof(ddi_source_whole), CHUNK_BYTES);
    st->whole = true;
    vec_init(&st->conns, sizeof(ddi_conn), CHUNK_BYTES);
    vec_init(&st->frames, sizeof(ddi_frame_rec), CHUNK_BYTES);
    vec_init(&st->addrs6, 16, CHUNK_BYTES);
    vec_init(&st->rares, sizeof(ddi_src_rare), RARE_CHUNK_BYTES);
    ddi_seen_init(&st->seen);
    st->max_sources = max_sources;
    st->max_conns = max_conns;
}

void ddi_state_free(ddi_state *st)
{
    vec_free(&st->sources);
    vec_free(&st->wholes);
    vec_free(&st->conns);
    vec_free(&st->frames);
    vec_free(&st->addrs6);
    vec_free(&st->rares);
    ddi_seen_free(&st->seen);
    ddi_big_free(st->src_slots, ((size_t)st->src_mask + 1) * sizeof *st->src_slots);
    ddi_big_free(st->conn_slots, ((size_t)st->conn_mask + 1) * sizeof *st->conn_slots);
    ddi_big_free(st->conn_fifo, (size_t)st->fifo_cap * sizeof *st->conn_fifo);
    if (st->nat_text)
        g_hash_table_destroy(st->nat_text);
    g_free(st->os_memo);
    memset(st, 0, sizeof *st);
}

void ddi_state_set_whole(ddi_state *st, bool keep)
{
    if (!st->sources.count)
        st->whole = keep;
}

uint32_t ddi_state_source_count(const ddi_state *st) { return st->sources.count; }

/* An index table slot holds the record's index + 1 in its low bits and the
 * rest of the record's hash above them: the index needs no more bits than
 * the slot number (the load stays below 1), and the hash bits the slot
 * number does not already say make most probes of a wrong slot fail without
 * reading its record, which at telescope scale is a cache miss each time.
 * 0 = empty. */
static inline uint32_t slot_make(uint32_t idx1, uint32_t hash, uint32_t mask) { return idx1 | (hash & ~mask); }
static inline uint32_t slot_idx(uint32_t v, uint32_t mask) { return v & mask; }
static inline bool slot_may_be(uint32_t v, uint32_t hash, uint32_t mask) { return (v & ~mask) == (hash & ~mask); }

/* The highest load of an index table, as num/den.  Sources: 4/5, because a
 * slot costs 4 bytes per source for the whole run and the hash bits in the
 * slot keep the longer probe runs (about 3 slots for a known source, 13 for
 * a new one, at 0.8) from reading records.  Connections: 1/2, because
 * nearly every SYN of a scan is a new connection (a miss, the long run) and
 * a program that reuses records keeps the table small anyway. */
#define SRC_LOAD_NUM 4
#define SRC_LOAD_DEN 5
#define CONN_LOAD_NUM 1
#define CONN_LOAD_DEN 2

/* Whether one more entry would push an index table's load over num/den:
 * asked per packet, so inline; the growing itself is rare. */
static inline bool table_full(const uint32_t *slots, uint32_t mask, uint32_t count, uint32_t num, uint32_t den)
{
    return !slots || (uint64_t)(count + 1) * den > ((uint64_t)mask + 1) * num;
}

/* Grow an index table (doubling) to keep its load at most num/den. */
static void table_grow(uint32_t **slots, uint32_t *mask, uint32_t (*hash_of)(const ddi_state *, uint32_t),
                       const ddi_state *st)
{
    uint32_t cap = *slots ? (*mask + 1) * 2 : 1024;
    uint32_t *ns = ddi_big_alloc0((size_t)cap * sizeof *ns);
    if (*slots) {
        for (uint32_t i = 0; i <= *mask; i++) {
            uint32_t v = (*slots)[i];
            if (!v)
                continue;
            uint32_t idx1 = slot_idx(v, *mask), h = hash_of(st, idx1);
            uint32_t j = h & (cap - 1);
            while (ns[j])
                j = (j + 1) & (cap - 1);
            ns[j] = slot_make(idx1, h, cap - 1);
        }
        ddi_big_free(*slots, ((size_t)*mask + 1) * sizeof **slots);
    }
    *slots = ns;
    *mask = cap - 1;
}

/* Every byte is paid once per source, so growth must be a decision, not an
 * accident (bench/RESULTS.md has what each part costs).  The whole-source
 * record (the 32 bytes of per-source features of issue 12 included) is paid
 * only where a whole-source reader can run. */
_Static_assert(sizeof(ddi_source) == 108, "ddi_source changed size (state.h, bench/RESULTS.md)");
_Static_assert(sizeof(ddi_source_whole) == 88, "ddi_source_whole changed size (state.h, bench/RESULTS.md)");
_Static_assert(sizeof(ddi_conn) == 32, "ddi_conn grew (state.h)");
_Static_assert(sizeof(ddi_frame_rec) == 24, "ddi_frame_rec grew (state.h)");

void ddi_state_source_addr(const ddi_state *st, const ddi_source *s, ddi_addr *out)
{
    memset(out, 0, sizeof *out);
    out->family = s->family;
    if (s->family == 6)
        memcpy(out->a, ddi_vec_at(&st->addrs6, s->addr), 16);
    else
        memcpy(out->a, &s->addr, 4);
}

ddi_src_rare *ddi_state_rare(const ddi_state *st, uint32_t idx1)
{
    return ddi_vec_at1(&st->rares, idx1);
}

ddi_src_rare *ddi_state_source_rare(ddi_state *st, ddi_source_whole *w)
{
    if (!w->sum.rare) {
        vec_reserve(&st->rares, st->rares.count);
        w->sum.rare = st->rares.count;
    }
    return ddi_state_rare(st, w->sum.rare);
}

static bool source_is(const ddi_state *st, const ddi_source *s, const ddi_addr *a)
{
    if (s->family != a->family)
        return false;
    if (a->family == 6)
        return !memcmp(ddi_vec_at(&st->addrs6, s->addr), a->a, 16);
    return !memcmp(&s->addr, a->a, 4);
}

static uint32_t src_hash_of(const ddi_state *st, uint32_t idx1)
{
    ddi_addr a;
    ddi_state_source_addr(st, ddi_state_source(st, idx1), &a);
    return addr_hash(&a);
}
static uint32_t conn_hash_of(const ddi_state *st, uint32_t idx1) { return mix32(ddi_state_conn(st, idx1)->key); }

/* Linear probing: the slot holding `a`, or the empty slot where it would go;
 * returns the index + 1 found there (0 = empty). */
static uint32_t src_probe(const ddi_state *st, const ddi_addr *a, uint32_t hash, uint32_t *slot)
{
    for (uint32_t j = hash & st->src_mask;; j = (j + 1) & st->src_mask) {
        uint32_t v = st->src_slots[j];
        if (!v) {
            *slot = j;
            return 0;
        }
        if (slot_may_be(v, hash, st->src_mask) &&
            source_is(st, ddi_state_source(st, slot_idx(v, st->src_mask)), a)) {
            *slot = j;
            return slot_idx(v, st->src_mask);
        }
    }
}

static uint32_t conn_probe(const ddi_state *st, uint64_t key, uint32_t hash, uint32_t *slot)
{
    for (uint32_t j = hash & st->conn_mask;; j = (j + 1) & st->conn_mask) {
        uint32_t v = st->conn_slots[j];
        if (!v) {
            *slot = j;
            return 0;
        }
        if (slot_may_be(v, hash, st->conn_mask) && ddi_state_conn(st, slot_idx(v, st->conn_mask))->key == key) {
            *slot = j;
            return slot_idx(v, st->conn_mask);
        }
    }
}

/* every cache line of a record (records are not line-aligned) */
static void prefetch_record(const ddi_vec *v, uint32_t idx1)
{
    const char *r = ddi_vec_at1(v, idx1);
    if (!r)
        return;
    for (size_t off = 0; off < v->elem; off += 64)
        __builtin_prefetch(r + off, 1);
    __builtin_prefetch(r + v->elem - 1, 1);
}

void ddi_state_prefetch_source(const ddi_state *st, const ddi_addr *a, int stage)
{
    if (!st->src_slots)
        return;
    uint32_t h = addr_hash(a);
    const uint32_t *slot = &st->src_slots[h & st->src_mask];
    if (stage == 0)
        __builtin_prefetch(slot, 0);
    else if (slot_may_be(*slot, h, st->src_mask)) /* the first probe: usually the one */
        prefetch_record(&st->sources, slot_idx(*slot, st->src_mask));
}

void ddi_state_prefetch_conn(const ddi_state *st, uint64_t key, int stage)
{
    if (!st->conn_slots)
        return;
    uint32_t h = mix32(key);
    const uint32_t *slot = &st->conn_slots[h & st->conn_mask];
    if (stage == 0)
        __builtin_prefetch(slot, 1);
    else if (slot_may_be(*slot, h, st->conn_mask))
        prefetch_record(&st->conns, slot_idx(*slot, st->conn_mask));
}

uint32_t ddi_state_source_find(const ddi_state *st, const ddi_addr *a)
{
    uint32_t j;
    return st->src_slots ? src_probe(st, a, addr_hash(a), &j) : 0;
}

uint32_t ddi_state_conn_find(const ddi_state *st, uint64_t key)
{
    uint32_t j;
    return st->conn_slots ? conn_probe(st, key, mix32(key), &j) : 0;
}

uint32_t ddi_state_source_get(ddi_state *st, const ddi_addr *a, bool *created)
{
    uint32_t j;
    *created = false;
    if (table_full(st->src_slots, st->src_mask, st->sources.count, SRC_LOAD_NUM, SRC_LOAD_DEN))
        table_grow(&st->src_slots, &st->src_mask, src_hash_of, st);
    uint32_t h = addr_hash(a);
    uint32_t v = src_probe(st, a, h, &j);
    if (v)
        return v;
    if (st->max_sources && st->sources.count >= st->max_sources) {
        st->src_dropped++;
        return 0;
    }
    uint32_t idx = st->sources.count;
    vec_reserve(&st->sources, idx);
    if (st->whole)
        vec_reserve(&st->wholes, idx);
    ddi_source *s = ddi_vec_at(&st->sources, idx);
    s->family = a->family;
    if (a->family == 6) {
        s->addr = st->addrs6.count;
        vec_reserve(&st->addrs6, s->addr);
        memcpy(ddi_vec_at(&st->addrs6, s->addr), a->a, 16);
    } else {
        memcpy(&s->addr, a->a, 4);
    }
    st->src_slots[j] = slot_make(idx + 1, h, st->src_mask);
    *created = true;
    return idx + 1;
}

static void fifo_push(ddi_state *st, uint32_t idx1)
{
    if (st->fifo_len == st->fifo_cap) {
        uint32_t cap = st->fifo_cap ? st->fifo_cap * 2 : 1024;
        uint32_t *n = ddi_big_alloc0((size_t)cap * sizeof *n);
        for (uint32_t i = 0; i < st->fifo_len; i++)
            n[i] = st->conn_fifo[(st->fifo_head + i) & (st->fifo_cap - 1)];
        ddi_big_free(st->conn_fifo, (size_t)st->fifo_cap * sizeof *st->conn_fifo);
        st->conn_fifo = n;
        st->fifo_cap = cap;
        st->fifo_head = 0;
    }
    st->conn_fifo[(st->fifo_head + st->fifo_len++) & (st->fifo_cap - 1)] = idx1;
}

/* A zeroed record for `key` (index + 1), from the free list or the end of
 * the array; 0 when the table is full.  The caller puts it in the index. */
static uint32_t conn_new(ddi_state *st, uint64_t key)
{
    uint32_t idx1 = st->conn_free;
    ddi_conn *c;
    if (idx1) {
        c = ddi_state_conn(st, idx1);
        st->conn_free = c->src;
        memset(c, 0, sizeof *c);
    } else {
        if (st->max_conns && st->conns.count >= st->max_conns) {
            st->conn_dropped++;
            return 0;
        }
        idx1 = st->conns.count + 1;
        vec_reserve(&st->conns, idx1 - 1);
        c = ddi_state_conn(st, idx1);
    }
    c->key = key;
    fifo_push(st, idx1);
    return idx1;
}

uint32_t ddi_state_conn_get(ddi_state *st, uint64_t key, bool *created)
{
    uint32_t j;
    *created = false;
    if (table_full(st->conn_slots, st->conn_mask, st->conns.count, CONN_LOAD_NUM, CONN_LOAD_DEN))
        table_grow(&st->conn_slots, &st->conn_mask, conn_hash_of, st);
    uint32_t h = mix32(key);
    uint32_t v = conn_probe(st, key, h, &j);
    if (v)
        return v;
    v = conn_new(st, key);
    if (v) {
        st->conn_slots[j] = slot_make(v, h, st->conn_mask);
        *created = true;
    }
    return v;
}

/* Fold a connection into its source and mark it retired (once). */
static void conn_retire(ddi_state *st, ddi_conn *c, double now)
{
    if (c->gone)
        return;
    c->gone = 1;
    /* only the report reads what retired connections were */
    ddi_source_whole *w = ddi_state_whole(st, c->src);
    if (!w || !c->port445)
        return;
    ddi_syn_history h = ddi_conn_history(c);
    if (w->gone445 < UINT16_MAX)
        w->gone445++;
    if (ddi_retry_conficker(&h, now) == DDI_CONF_YES && w->gone445_yes < UINT16_MAX)
        w->gone445_yes++;
}

uint32_t ddi_state_conn_renew(ddi_state *st, uint64_t key)
{
    uint32_t j, h = mix32(key);
    uint32_t old = st->conn_slots ? conn_probe(st, key, h, &j) : 0;
    if (!old) {
        bool created;
        return ddi_state_conn_get(st, key, &created);
    }
    ddi_conn *c = ddi_state_conn(st, old);
    conn_retire(st, c, c->first_ts + DDI_SYN_RETRY_WINDOW_S);
    uint32_t v = conn_new(st, key);
    if (v)
        st->conn_slots[j] = slot_make(v, h, st->conn_mask); /* the old record stays in the array for later passes */
    return v;
}

/* Linear-probing deletion by backward shift: later members of the probe run
 * move up so that no lookup stops early at the hole. */
static void conn_unindex(ddi_state *st, uint32_t idx1)
{
    uint32_t m = st->conn_mask, i = mix32(ddi_state_conn(st, idx1)->key) & m;
    while (slot_idx(st->conn_slots[i], m) != idx1) {
        if (!st->conn_slots[i])
            return; /* renewed: the index holds a newer record of the key */
        i = (i + 1) & m;
    }
    for (uint32_t j = i;;) {
        j = (j + 1) & m;
        uint32_t v = st->conn_slots[j];
        if (!v)
            break;
        uint32_t home = conn_hash_of(st, slot_idx(v, m)) & m;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        st->conn_slots[i] = v;
        i = j;
    }
    st->conn_slots[i] = 0;
}

void ddi_state_conn_expire(ddi_state *st, double now)
{
    /* the same comparison with the same time as the loop below would make
     * (a record's time is set when it is created, before the next call) */
    if (st->fifo_len && st->fifo_head_idx == st->conn_fifo[st->fifo_head] &&
        now - st->fifo_head_ts <= DDI_SYN_RETRY_WINDOW_S)
        return;
    while (st->fifo_len) {
        uint32_t idx1 = st->conn_fifo[st->fifo_head];
        ddi_conn *c = ddi_state_conn(st, idx1);
        if (now - c->first_ts <= DDI_SYN_RETRY_WINDOW_S) {
            st->fifo_head_idx = idx1;
            st->fifo_head_ts = c->first_ts;
            break;
        }
        st->fifo_head = (st->fifo_head + 1) & (st->fifo_cap - 1);
        st->fifo_len--;
        st->fifo_head_idx = 0; /* its record may be reused, under the same index */
        conn_retire(st, c, now);
        if (st->recycle_conns) {
            conn_unindex(st, idx1);
            memset(c, 0, sizeof *c);
            c->gone = 1;
            c->src = st->conn_free;
            st->conn_free = idx1;
        }
    }
}

uint32_t ddi_state_conn_find_at(const ddi_state *st, uint64_t key, double ts)
{
    uint32_t v = ddi_state_conn_find(st, key);
    const ddi_conn *c = ddi_state_conn(st, v);
    if (!c || ts >= c->first_ts)
        return v;
    /* renewed since: the older record is still in the array (only a program
     * that keeps records for later passes renews without reusing) */
    for (uint32_t i = st->conns.count; i >= 1; i--) {
        c = ddi_state_conn(st, i);
        if (c->key == key && c->first_ts <= ts && i != v)
            return i;
    }
    return 0;
}

ddi_frame_rec *ddi_state_frame(ddi_state *st, uint32_t num)
{
    if (!num)
        return NULL;
    vec_reserve(&st->frames, num - 1);
    return ddi_vec_at(&st->frames, num - 1);
}

const ddi_frame_rec *ddi_state_frame_peek(const ddi_state *st, uint32_t num)
{
    const ddi_frame_rec *r = ddi_vec_at1(&st->frames, num);
    return r && r->flags ? r : NULL;
}

void ddi_state_frames_drop(ddi_state *st) { vec_free(&st->frames); }

uint64_t ddi_conn_key(const ddi_pkt *p)
{
    return ddi_conn_key_parts(p->ver, &p->src, &p->dst, p->tcp.sport, p->tcp.dport, p->tcp.seq);
}

uint64_t ddi_conn_key_parts(uint8_t ver, const ddi_addr *src, const ddi_addr *dst, uint16_t sport, uint16_t dport,
                            uint32_t isn)
{
    /* 64-bit hash of the connection identity; a false match needs a 64-bit
     * collision (~1e-7 for ten million connections) */
    uint64_t h = 0x243f6a8885a308d3ULL ^ ver;
    const uint8_t *parts[2] = {src->a, dst->a};
    size_t alen = ver == 4 ? 4 : 16;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < alen; i += 4) {
            uint32_t w;
            memcpy(&w, parts[k] + i, 4);
            h = (h ^ w) * 0x100000001b3ULL;
            h ^= h >> 29;
        }
    h = (h ^ ((uint64_t)sport << 16 | dport)) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 31;
    h = (h ^ isn) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    return h;
}

ddi_syn_history ddi_conn_history(const ddi_conn *c)
{
    ddi_syn_history h = {
        .count = c->count,
        .first_ts = c->first_ts,
        .last_ts = c->first_ts + c->last_dt,
        .gap1 = c->gap1,
        .port445 = c->port445,
        .answered = c->answered,
    };
    return h;
}

bool ddi_state_two_way(const ddi_state *st, uint32_t frame, uint32_t *first_frame, double *first_ts)
{
    bool yes = st->two_way_before || (st->two_way_frame && (!frame || st->two_way_frame <= frame));
    if (first_frame)
        *first_frame = yes && !st->two_way_before ? st->two_way_frame : 0;
    if (first_ts)
        *first_ts = yes ? st->two_way_ts : 0;
    return yes;
}

size_t ddi_state_memory(const ddi_state *st)
{
    size_t m = 0;
    m += vec_bytes(&st->sources) + vec_bytes(&st->wholes) + vec_bytes(&st->conns) + vec_bytes(&st->frames) +
         vec_bytes(&st->addrs6) + vec_bytes(&st->rares);
    m += (size_t)st->fifo_cap * 4;
    m += st->src_slots ? ((size_t)st->src_mask + 1) * 4 : 0;
    m += st->conn_slots ? ((size_t)st->conn_mask + 1) * 4 : 0;
    m += ddi_seen_memory(&st->seen);
    return m;
}
