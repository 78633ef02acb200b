/* statefile.c — versioned, checksummed state files, written atomically.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "statefile.h"

#include "bigmem.h"
#include "summary.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DDI_VERSION
#define DDI_VERSION "unknown"
#endif

#define SF_MAGIC "DDISTATE"
#define SF_ENDIAN 0x01020304u
#define SF_IO_BUFFER (1u << 20)
/* a source in the file: its record, then its whole-source record (state.h;
 * a state file implies whole-source records: the next run's report needs them) */
#define SF_SOURCE_BYTES (sizeof(ddi_source) + sizeof(ddi_source_whole))

typedef struct sf_header {
    char magic[8];
    uint32_t endian;          /* SF_ENDIAN as the writer stored it */
    uint32_t format;          /* DDI_STATEFILE_FORMAT */
    uint32_t layout;          /* DDI_STATEFILE_LAYOUT */
    uint32_t header_size;     /* sizeof(sf_header) */
    char ddi_version[32];
    uint32_t size_source, size_conn, size_labels, size_seen_slot;
    uint32_t nsources, nconns, seen_slots, seen_count;
    uint32_t nat_texts, two_way_frame;
    uint32_t seen_old_slots, seen_old_count; /* the seen set's previous generation */
    double first_ts, last_ts, two_way_ts;
    double seen_since;        /* when the seen set's current generation began */
    uint64_t packets, src_dropped, conn_dropped;
    uint64_t payload_bytes, payload_sum;
    uint64_t header_sum;      /* over every byte before it */
} sf_header;
_Static_assert(sizeof(sf_header) == 184, "sf_header has no padding: its bytes are the file's");

/* ------------------------------------------------------------------ checksum */

/* A 64-bit multiply-rotate hash over 8-byte words (bytes in a carry buffer
 * between calls): detects any corruption short of deliberate forgery, at
 * memory speed. */
typedef struct sf_sum {
    uint64_t h, total;
    uint8_t carry[8];
    unsigned n;
} sf_sum;

static void sum_init(sf_sum *s)
{
    memset(s, 0, sizeof *s);
    s->h = 0x9e3779b97f4a7c15ULL;
}

static inline void sum_word(sf_sum *s, uint64_t w)
{
    s->h ^= w * 0xbf58476d1ce4e5b9ULL;
    s->h = ((s->h << 27) | (s->h >> 37)) * 0x94d049bb133111ebULL + 0x2545f4914f6cdd1dULL;
}

static void sum_add(sf_sum *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->total += n;
    while (n && s->n) {
        s->carry[s->n++] = *p++;
        n--;
        if (s->n == 8) {
            uint64_t w;
            memcpy(&w, s->carry, 8);
            sum_word(s, w);
            s->n = 0;
        }
    }
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        sum_word(s, w);
    }
    while (n--)
        s->carry[s->n++] = *p++;
}

static uint64_t sum_end(const sf_sum *s)
{
    sf_sum t = *s;
    uint64_t w = 0;
    memcpy(&w, t.carry, t.n);
    sum_word(&t, w ^ t.total);
    uint64_t h = t.h;
    h ^= h >> 31;
    return h ? h : 1;
}

uint64_t ddi_statefile_checksum(const void *data, size_t n)
{
    sf_sum s;
    sum_init(&s);
    sum_add(&s, data, n);
    return sum_end(&s);
}

_Static_assert(offsetof(sf_header, header_sum) == DDI_STATEFILE_HEADER_SUMMED, "the header sum follows the summed bytes");
static uint64_t header_sum(const sf_header *h) { return ddi_statefile_checksum(h, offsetof(sf_header, header_sum)); }

/* ------------------------------------------------------------------ messages */

static char *utc_text(double t, char *buf, size_t len)
{
    GDateTime *d = g_date_time_new_from_unix_utc((gint64)t);
    char *s = d ? g_date_time_format(d, "%Y-%m-%d %H:%M:%S") : NULL;
    g_strlcpy(buf, s ? s : "?", len);
    g_free(s);
    if (d)
        g_date_time_unref(d);
    return buf;
}

static ddi_sf_status fail(ddi_sf_status st, char *why, size_t len, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
static ddi_sf_status fail(ddi_sf_status st, char *why, size_t len, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_snprintf(why, len, "state file %s: %s; analysis starts from empty state", path, reason);
    g_free(reason);
    return st;
}

/* ------------------------------------------------------------------ load */

typedef struct sf_reader {
    FILE *f;
    sf_sum sum;
    uint64_t left;            /* payload bytes the header promises still unread */
    bool short_read;
} sf_reader;

static bool rd(sf_reader *r, void *buf, size_t n)
{
    if (n > r->left || fread(buf, 1, n, r->f) != n) {
        r->short_read = true;
        return false;
    }
    r->left -= n;
    sum_add(&r->sum, buf, n);
    return true;
}

static void reset(ddi_state *st)
{
    uint32_t ms = st->max_sources, mc = st->max_conns;
    ddi_state_free(st);
    ddi_state_init(st, ms, mc);
}

static ddi_sf_status check_header(const sf_header *h, const char *path, char *why, size_t len)
{
    if (memcmp(h->magic, SF_MAGIC, 8))
        return fail(DDI_SF_NOT_STATE, why, len, path, "not a ddi state file");
    if (h->endian != SF_ENDIAN)
        return fail(DDI_SF_VERSION, why, len, path, "written on a host of the other byte order");
    if (h->header_sum != header_sum(h))
        return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (header checksum mismatch)");
    if (h->format != DDI_STATEFILE_FORMAT || h->header_size != sizeof *h)
        return fail(DDI_SF_VERSION, why, len, path, "format version %u, this ddi reads version %u", h->format,
                    DDI_STATEFILE_FORMAT);
    char ver[sizeof h->ddi_version + 1];
    memcpy(ver, h->ddi_version, sizeof h->ddi_version);
    ver[sizeof h->ddi_version] = 0;
    if (strcmp(ver, DDI_VERSION))
        return fail(DDI_SF_VERSION, why, len, path, "written by ddi %s, this is ddi %s", ver, DDI_VERSION);
    if (h->layout != DDI_STATEFILE_LAYOUT || h->size_source != SF_SOURCE_BYTES ||
        h->size_conn != sizeof(ddi_conn) || h->size_labels != sizeof(ddi_summary_labels) ||
        h->size_seen_slot != sizeof(uint32_t))
        return fail(DDI_SF_LAYOUT, why, len, path,
                    "record layout %u (source %u, connection %u, labels %u bytes), this ddi uses layout %u (%zu, "
                    "%zu, %zu bytes)",
                    h->layout, h->size_source, h->size_conn, h->size_labels, DDI_STATEFILE_LAYOUT,
                    SF_SOURCE_BYTES, sizeof(ddi_conn), sizeof(ddi_summary_labels));
    if (!ddi_seen_load_ok(h->seen_slots, h->seen_count) || !ddi_seen_load_ok(h->seen_old_slots, h->seen_old_count))
        return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (seen-set size %u for %u entries)", h->seen_slots,
                    h->seen_count);
    uint64_t fixed = (uint64_t)h->nsources * h->size_source + (uint64_t)h->nconns * h->size_conn + h->size_labels +
                     ((uint64_t)h->seen_slots + h->seen_old_slots) * h->size_seen_slot + (uint64_t)h->nat_texts * 8;
    if (h->payload_bytes < fixed)
        return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (%" G_GUINT64_FORMAT " payload bytes, the counts need %"
                    G_GUINT64_FORMAT ")", h->payload_bytes, fixed);
    return DDI_SF_OK;
}

static ddi_sf_status load_payload(ddi_state *st, sf_reader *r, const sf_header *h, const char *path, char *why,
                                  size_t len)
{
    for (uint32_t i = 0; i < h->nsources; i++) {
        ddi_source s;
        ddi_source_whole ws;
        if (!rd(r, &s, sizeof s) || !rd(r, &ws, sizeof ws))
            return DDI_SF_TRUNCATED;
        /* an IPv6 source's address follows its record (the record holds an
         * index into the writer's side table, state.h) */
        ddi_addr a = {.family = s.family};
        if (s.family == 6 ? !rd(r, a.a, 16) : (memcpy(a.a, &s.addr, 4), false))
            return DDI_SF_TRUNCATED;
        if (s.family != 4 && s.family != 6)
            return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (source %u has address family %u)", i + 1, s.family);
        ddi_src_rare rare;
        if (ws.sum.rare > 1)
            return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (source %u names side record %u)", i + 1, ws.sum.rare);
        if (ws.sum.rare && !rd(r, &rare, sizeof rare))
            return DDI_SF_TRUNCATED;
        bool created;
        uint32_t si = ddi_state_source_get(st, &a, &created);
        if (!si)
            return fail(DDI_SF_TOO_LARGE, why, len, path, "holds %u sources, more than the %u this run tracks",
                        h->nsources, st->max_sources);
        if (!created || si != i + 1)
            return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (source %u repeats an address)", i + 1);
        ddi_source *d = ddi_state_source(st, si);
        ddi_source_whole *dw = ddi_state_whole(st, si);
        s.addr = d->addr; /* this state's side-table index */
        bool has_rare = ws.sum.rare;
        ws.sum.rare = 0;
        *d = s;
        *dw = ws;
        if (has_rare)
            *ddi_state_source_rare(st, dw) = rare;
    }
    for (uint32_t i = 0; i < h->nconns; i++) {
        ddi_conn c;
        if (!rd(r, &c, sizeof c))
            return DDI_SF_TRUNCATED;
        if (c.src > h->nsources)
            return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (connection %u names source %u of %u)", i + 1, c.src,
                        h->nsources);
        bool created;
        uint32_t ci = ddi_state_conn_get(st, c.key, &created);
        if (!ci)
            return fail(DDI_SF_TOO_LARGE, why, len, path, "holds %u connections, more than the %u this run tracks",
                        h->nconns, st->max_conns);
        if (created) /* a repeated 64-bit key: keep the first, as the table would have */
            *ddi_state_conn(st, ci) = c;
    }
    if (!rd(r, &st->labels, sizeof st->labels))
        return DDI_SF_TRUNCATED;
    if (h->seen_slots) {
        st->seen.slots = ddi_big_try_alloc0((size_t)h->seen_slots * sizeof(uint32_t));
        if (!st->seen.slots)
            return fail(DDI_SF_TOO_LARGE, why, len, path, "no memory for its %u seen-set slots", h->seen_slots);
        st->seen.cap = h->seen_slots;
        st->seen.count = h->seen_count;
        if (!rd(r, st->seen.slots, (size_t)h->seen_slots * sizeof(uint32_t)))
            return DDI_SF_TRUNCATED;
    }
    if (h->seen_old_slots) {
        st->seen.old_slots = ddi_big_try_alloc0((size_t)h->seen_old_slots * sizeof(uint32_t));
        if (!st->seen.old_slots)
            return fail(DDI_SF_TOO_LARGE, why, len, path, "no memory for its %u seen-set slots", h->seen_old_slots);
        st->seen.old_cap = h->seen_old_slots;
        st->seen.old_count = h->seen_old_count;
        if (!rd(r, st->seen.old_slots, (size_t)h->seen_old_slots * sizeof(uint32_t)))
            return DDI_SF_TRUNCATED;
    }
    st->seen.since = h->seen_since;
    for (uint32_t i = 0; i < h->nat_texts; i++) {
        uint32_t hd[2];
        if (!rd(r, hd, sizeof hd))
            return DDI_SF_TRUNCATED;
        if (!hd[0] || hd[0] > h->nsources || hd[1] > r->left)
            return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (NAT sentence %u)", i + 1);
        char *text = g_malloc(hd[1] + 1);
        if (!rd(r, text, hd[1])) {
            g_free(text);
            return DDI_SF_TRUNCATED;
        }
        text[hd[1]] = 0;
        if (!st->nat_text)
            st->nat_text = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        g_hash_table_replace(st->nat_text, GUINT_TO_POINTER(hd[0]), text);
    }
    if (r->left)
        return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (%" G_GUINT64_FORMAT " bytes left after the last section)",
                    r->left);
    /* the file must end here: anything after the promised payload is not ours */
    if (fgetc(r->f) != EOF)
        return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (bytes after the end)");
    if (sum_end(&r->sum) != h->payload_sum)
        return fail(DDI_SF_CORRUPT, why, len, path, "corrupt (checksum mismatch)");

    st->first_ts = h->first_ts;
    st->horizon = h->last_ts;
    st->packets = h->packets;
    st->src_dropped = h->src_dropped;
    st->conn_dropped = h->conn_dropped;
    st->two_way_frame = h->two_way_frame;
    st->two_way_ts = h->two_way_ts;
    /* the frame it names is in an earlier file: this one reports it by time */
    st->two_way_before = h->two_way_frame != 0;
    return DDI_SF_OK;
}

ddi_sf_status ddi_statefile_load(ddi_state *st, const char *path, ddi_sf_info *info, char *why, size_t len)
{
    memset(info, 0, sizeof *info);
    why[0] = 0;
    FILE *f = g_fopen(path, "rb");
    if (!f)
        return fail(errno == ENOENT ? DDI_SF_MISSING : DDI_SF_UNREADABLE, why, len, path, "%s",
                    errno == ENOENT ? "no such file" : g_strerror(errno));
    setvbuf(f, NULL, _IOFBF, SF_IO_BUFFER);
    sf_header h;
    size_t got = fread(&h, 1, sizeof h, f);
    ddi_sf_status rc;
    if (got < sizeof h) {
        rc = ferror(f) ? fail(DDI_SF_UNREADABLE, why, len, path, "%s", g_strerror(errno))
             : got == 0 ? fail(DDI_SF_TRUNCATED, why, len, path, "empty")
             : got >= 8 && memcmp(h.magic, SF_MAGIC, 8)
                 ? fail(DDI_SF_NOT_STATE, why, len, path, "not a ddi state file")
                 : fail(DDI_SF_TRUNCATED, why, len, path, "truncated (%zu bytes, the header alone has %zu)", got,
                        sizeof h);
        fclose(f);
        return rc;
    }
    rc = check_header(&h, path, why, len);
    if (rc == DDI_SF_OK) {
        memcpy(info->ddi_version, h.ddi_version, sizeof info->ddi_version);
        info->ddi_version[sizeof info->ddi_version - 1] = 0;
        info->first_ts = h.first_ts;
        info->last_ts = h.last_ts;
        info->packets = h.packets;
        info->sources = h.nsources;
        info->conns = h.nconns;
        sf_reader r = {.f = f, .left = h.payload_bytes};
        sum_init(&r.sum);
        ddi_state_set_whole(st, true); /* the file carries whole-source records */
        rc = load_payload(st, &r, &h, path, why, len);
        if (rc == DDI_SF_TRUNCATED && r.short_read)
            rc = ferror(f) ? fail(DDI_SF_UNREADABLE, why, len, path, "%s", g_strerror(errno))
                           : fail(DDI_SF_TRUNCATED, why, len, path,
                                  "truncated (%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " payload bytes)",
                                  h.payload_bytes - r.left, h.payload_bytes);
    }
    fclose(f);
    if (rc != DDI_SF_OK)
        reset(st);
    return rc;
}

bool ddi_statefile_time_ok(const char *path, const ddi_sf_info *info, double first_ts, double max_gap, char *why,
                           size_t len)
{
    char a[32], b[32];
    if (info->last_ts > first_ts) {
        fail(DDI_SF_TIME, why, len, path,
             "it ends at %s UTC, after this capture's first packet at %s UTC (it was written for a later capture, or "
             "for this one)",
             utc_text(info->last_ts, a, sizeof a), utc_text(first_ts, b, sizeof b));
        return false;
    }
    if (max_gap > 0 && first_ts - info->last_ts > max_gap) {
        char g[32], m[32];
        fail(DDI_SF_TIME, why, len, path,
             "it ends at %s UTC, %s s before this capture's first packet at %s UTC, more than the state_max_gap of "
             "%s s",
             utc_text(info->last_ts, a, sizeof a), ddi_fmt_fixed(g, sizeof g, first_ts - info->last_ts, 3),
             utc_text(first_ts, b, sizeof b), ddi_fmt_fixed(m, sizeof m, max_gap, 3));
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ eviction */

/* Whole-source verdicts depend on the capture's end only through the
 * silence after a source's SYNs: a verdict that is the same at the real end
 * and at an end far later can no longer change (short of new packets). */
#define SF_FAR_FUTURE 1e9

static bool verdicts_equal(const ddi_src_summary *a, const ddi_src_summary *b)
{
    return a->conficker == b->conficker && a->sender_known == b->sender_known && a->sender == b->sender;
}

bool ddi_statefile_source_final(const ddi_state *st, uint32_t idx1)
{
    ddi_state later = *st; /* shares every table; only read */
    later.horizon = st->horizon + SF_FAR_FUTURE;
    ddi_src_summary *now = g_new(ddi_src_summary, 2);
    ddi_summary_build(st, idx1, NULL, &now[0]);
    ddi_summary_build(&later, idx1, NULL, &now[1]);
    bool same = verdicts_equal(&now[0], &now[1]);
    g_free(now);
    return same;
}

/* Which sources leave: keep[i] = new index + 1 of source i + 1, 0 = evicted
 * (its JSON line written to the evict file). */
static bool plan_eviction(const ddi_state *st, const ddi_sf_evict *ev, uint32_t *keep, uint32_t *kept,
                          uint32_t *evicted, char *why, size_t len, const char *path)
{
    uint32_t n = st->sources.count;
    *kept = *evicted = 0;
    if (!ev || ev->idle <= 0) {
        for (uint32_t i = 0; i < n; i++)
            keep[i] = i + 1;
        *kept = n;
        return true;
    }
    ddi_state later = *st;
    later.horizon = st->horizon + SF_FAR_FUTURE;
    /* whole-capture scans once, not once a source (the report does the same) */
    ddi_conf_fold *f_now = ddi_summary_conficker_scan(st);
    ddi_conf_fold *f_later = ddi_summary_conficker_scan(&later);
    uint8_t *flood = ddi_feat_flood_scan(st);
    ddi_src_summary *sum = g_new(ddi_src_summary, 2);
    bool ok = f_now && f_later && flood;
    if (!ok)
        g_snprintf(why, len, "state file %s: no memory to plan eviction; the old file is kept", path);
    for (uint32_t i = 0; ok && i < n; i++) {
        const ddi_source_whole *sw = ddi_state_whole(st, i + 1);
        bool go = sw && st->horizon - sw->last_ts > ev->idle;
        if (go) {
            ddi_summary_build_ex(st, i + 1, f_now, flood, &sum[0]);
            ddi_summary_build_ex(&later, i + 1, f_later, flood, &sum[1]);
            go = verdicts_equal(&sum[0], &sum[1]);
        }
        if (go && ev->out) {
            ddi_summary_write_json(ev->out, &sum[0]);
            if (ferror(ev->out)) {
                g_snprintf(why, len, "state file %s: writing evicted sources failed (%s); the old file is kept", path,
                           g_strerror(errno));
                ok = false;
            }
        }
        keep[i] = go ? 0 : ++*kept;
        *evicted += go;
    }
    if (ok && ev->out && fflush(ev->out)) {
        g_snprintf(why, len, "state file %s: writing evicted sources failed (%s); the old file is kept", path,
                   g_strerror(errno));
        ok = false;
    }
    g_free(sum);
    free(f_now);
    free(f_later);
    free(flood);
    return ok;
}

/* ------------------------------------------------------------------ save */

typedef struct sf_writer {
    FILE *f;
    sf_sum sum;
    uint64_t bytes;
    bool failed;
} sf_writer;

static void wr(sf_writer *w, const void *buf, size_t n)
{
    if (w->failed)
        return;
    if (fwrite(buf, 1, n, w->f) != n) {
        w->failed = true;
        return;
    }
    sum_add(&w->sum, buf, n);
    w->bytes += n;
}

static bool sync_dir(const char *path)
{
    char *dir = g_path_get_dirname(path);
    int fd = g_open(dir, O_RDONLY, 0);
    g_free(dir);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

/* The staged evicted lines to their file, flushed to disk (best effort for
 * what is no regular file). */
static bool append_staged(FILE *from, FILE *to)
{
    char buf[1 << 16];
    size_t n;
    if (fflush(from) || fseek(from, 0, SEEK_SET))
        return false;
    while ((n = fread(buf, 1, sizeof buf, from)) > 0)
        if (fwrite(buf, 1, n, to) != n)
            return false;
    if (ferror(from) || fflush(to))
        return false;
    int fd = fileno(to);
    if (fd >= 0)
        fsync(fd);
    return true;
}

bool ddi_statefile_save(ddi_state *st, const char *path, const ddi_sf_evict *evict, ddi_sf_saved *saved,
                        char *why, size_t len)
{
    ddi_seen_settle(&st->seen);
    memset(saved, 0, sizeof *saved);
    why[0] = 0;
    uint32_t n = st->sources.count;
    uint32_t *keep = g_try_new(uint32_t, n ? n : 1);
    if (!keep) {
        g_snprintf(why, len, "state file %s: no memory to write %u sources; the old file is kept", path, n);
        return false;
    }
    /* The evicted sources' lines wait in a temporary file until the state
     * that leaves them out is in place: written first, they would be written
     * again by a rerun after a failed or interrupted save (the old state still
     * holds those sources), and appear twice. */
    ddi_sf_evict staged = evict ? *evict : (ddi_sf_evict){0};
    bool staging = evict && evict->idle > 0 && evict->out;
    if (staging) {
        staged.out = tmpfile();
        if (!staged.out) {
            g_snprintf(why, len, "state file %s: cannot create a temporary file for the evicted sources (%s); the old "
                       "file is kept", path, g_strerror(errno));
            g_free(keep);
            return false;
        }
    }
    uint32_t kept, evicted;
    if (!plan_eviction(st, evict ? &staged : NULL, keep, &kept, &evicted, why, len, path)) {
        if (staging)
            fclose(staged.out);
        g_free(keep);
        return false;
    }

    /* the temporary file is in the same folder: rename() is atomic only
     * within one file system */
    char *tmp = g_strdup_printf("%s.XXXXXX", path);
    int fd = g_mkstemp(tmp);
    if (fd < 0) {
        g_snprintf(why, len, "state file %s: cannot create a temporary file beside it (%s); the old file is kept",
                   path, g_strerror(errno));
        if (staging)
            fclose(staged.out);
        g_free(tmp);
        g_free(keep);
        return false;
    }
    sf_writer w = {.f = fdopen(fd, "wb")};
    if (!w.f) {
        close(fd);
        w.failed = true;
    } else {
        setvbuf(w.f, NULL, _IOFBF, SF_IO_BUFFER);
    }

    sf_header h;
    memset(&h, 0, sizeof h);
    wr(&w, &h, sizeof h); /* a placeholder until the counts and sums are known */
    w.bytes = 0;
    sum_init(&w.sum);

    for (uint32_t i = 0; i < n; i++)
        if (keep[i]) {
            const ddi_source *s = ddi_state_source(st, i + 1);
            /* a state without whole-source records (state.h) writes empty
             * ones: the glue keeps them wherever a state file is written */
            static const ddi_source_whole no_whole;
            const ddi_source_whole *sw = ddi_state_whole(st, i + 1);
            if (!sw)
                sw = &no_whole;
            /* the side record's index is this state's: the file says only
             * that one follows (1), so the same facts give the same bytes */
            ddi_source_whole c = *sw;
            c.sum.rare = sw->sum.rare ? 1 : 0;
            wr(&w, s, sizeof *s);
            wr(&w, &c, sizeof c);
            if (s->family == 6) {
                ddi_addr a;
                ddi_state_source_addr(st, s, &a);
                wr(&w, a.a, 16);
            }
            if (sw->sum.rare)
                wr(&w, ddi_state_rare(st, sw->sum.rare), sizeof(ddi_src_rare));
        }
    /* live connections in the order they were made (state.h, conn_fifo), so
     * the next run retires them oldest first; retired ones were folded into
     * their sources already */
    uint32_t nconns = 0, dropped_conns = 0;
    for (uint32_t k = 0; k < st->fifo_len; k++) {
        ddi_conn c = *ddi_state_conn(st, st->conn_fifo[(st->fifo_head + k) & (st->fifo_cap - 1)]);
        if (c.gone)
            continue;
        if (c.src && c.src <= n) {
            if (!keep[c.src - 1]) {
                dropped_conns++;
                continue;
            }
            c.src = keep[c.src - 1];
        }
        wr(&w, &c, sizeof c);
        nconns++;
    }
    wr(&w, &st->labels, sizeof st->labels);
    /* With eviction, the seen set forgets too: once its current generation
     * is older than the idle time it becomes the previous one, and the one
     * before is dropped (seen.h), so a flow is remembered for at least the
     * idle time and at most twice that. */
    ddi_seen_set seen = st->seen;
    if (!seen.since)
        seen.since = st->first_ts;
    if (evict && evict->idle > 0 && st->horizon - seen.since > evict->idle) {
        seen.old_slots = seen.slots;
        seen.old_cap = seen.cap;
        seen.old_count = seen.count;
        seen.slots = NULL;
        seen.cap = seen.count = 0;
        seen.since = st->horizon;
    }
    uint32_t seen_slots = seen.slots ? seen.cap : 0, seen_old_slots = seen.old_slots ? seen.old_cap : 0;
    if (seen_slots)
        wr(&w, seen.slots, (size_t)seen_slots * sizeof(uint32_t));
    if (seen_old_slots)
        wr(&w, seen.old_slots, (size_t)seen_old_slots * sizeof(uint32_t));
    uint32_t nat_texts = 0;
    /* in source order, not the hash table's: the same state gives the same bytes */
    for (uint32_t si = 1; st->nat_text && si <= n; si++) {
        const char *v = keep[si - 1] ? g_hash_table_lookup(st->nat_text, GUINT_TO_POINTER(si)) : NULL;
        if (!v)
            continue;
        uint32_t hd[2] = {keep[si - 1], (uint32_t)strlen(v)};
        wr(&w, hd, sizeof hd);
        wr(&w, v, hd[1]);
        nat_texts++;
    }

    memcpy(h.magic, SF_MAGIC, 8);
    h.endian = SF_ENDIAN;
    h.format = DDI_STATEFILE_FORMAT;
    h.layout = DDI_STATEFILE_LAYOUT;
    h.header_size = sizeof h;
    g_strlcpy(h.ddi_version, DDI_VERSION, sizeof h.ddi_version);
    h.size_source = SF_SOURCE_BYTES;
    h.size_conn = sizeof(ddi_conn);
    h.size_labels = sizeof(ddi_summary_labels);
    h.size_seen_slot = sizeof(uint32_t);
    h.nsources = kept;
    h.nconns = nconns;
    h.seen_slots = seen_slots;
    h.seen_count = seen.count;
    h.seen_old_slots = seen_old_slots;
    h.seen_old_count = seen.old_count;
    h.seen_since = seen.since;
    h.nat_texts = nat_texts;
    h.two_way_frame = st->two_way_frame;
    h.first_ts = st->first_ts;
    h.last_ts = st->horizon;
    h.two_way_ts = st->two_way_ts;
    h.packets = st->packets;
    h.src_dropped = st->src_dropped;
    h.conn_dropped = st->conn_dropped;
    h.payload_bytes = w.bytes;
    h.payload_sum = sum_end(&w.sum);
    h.header_sum = header_sum(&h);

    int err = 0;
    if (!w.failed && (fflush(w.f) || fseek(w.f, 0, SEEK_SET) || fwrite(&h, 1, sizeof h, w.f) != sizeof h ||
                      fflush(w.f) || fsync(fileno(w.f))))
        w.failed = true;
    if (w.failed)
        err = errno;
    if (w.f && fclose(w.f) && !w.failed) {
        w.failed = true;
        err = errno;
    }
    if (!w.failed && g_rename(tmp, path)) {
        w.failed = true;
        err = errno;
    }
    if (w.failed) {
        g_unlink(tmp);
        g_snprintf(why, len, "state file %s: writing failed (%s); the old file is kept", path,
                   err ? g_strerror(err) : "unknown error");
    } else {
        sync_dir(path); /* the rename itself reaches the disk (best effort) */
        saved->sources = kept;
        saved->conns = nconns;
        saved->evicted = evicted;
        saved->evicted_conns = dropped_conns;
        saved->bytes = sizeof h + w.bytes;
    }
    bool ok = !w.failed;
    if (staging) {
        if (ok && !append_staged(staged.out, evict->out)) {
            g_snprintf(why, len, "state file %s written, but appending the lines of its %u evicted sources failed "
                       "(%s): they are in neither file", path, evicted, g_strerror(errno));
            ok = false;
        }
        fclose(staged.out);
    }
    g_free(tmp);
    g_free(keep);
    return ok;
}
