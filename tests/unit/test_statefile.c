/* test_statefile.c — state files (plugin/core/statefile.c): a round trip
 * gives back every record, a capture split in two with its state carried
 * decides what the whole capture decides, every bad file is refused with one
 * message and leaves empty state, a failed write keeps the old file, and
 * eviction writes final sources out and keeps undecided ones.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "analyze.h"
#include "p0fdb.h"
#include "pktbuild.h"
#include "statefile.h"

#define T0 1271757600.0 /* the seed's first SYN (captures/make_seed.py) */
#define CONF_SRC "114.124.162.72"

static ddi_p0fdb *db;
static char *dir;

static char *path_in_dir(const char *name) { return g_build_filename(dir, name, NULL); }

static void syn(ddi_state *st, const char *src, const char *dst, uint16_t sport, uint16_t dport, uint32_t isn,
                uint16_t id, double ts)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = 113, .df = true, .id = id};
    pb_tcp t = {.sport = sport, .dport = dport, .seq = isn, .flags = DDI_TH_SYN, .win = 65535,
                PB_OPTS(PB_MSS(1410), PB_NOP, PB_NOP, PB_SOK)};
    ddi_pkt p = pb_tcp_parsed(&ip, &t, ts);
    ddi_frame_rec rec;
    ddi_observe(st, db, &p, &rec);
}

/* A reply the capture explains (two-way traffic) and a NAT-free mix of
 * sources: everything the file holds gets a value. */
static void synack(ddi_state *st, const char *src, const char *dst, uint16_t sport, uint16_t dport, uint32_t ack,
                   double ts)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = 64, .df = true, .id = 0};
    pb_tcp t = {.sport = sport, .dport = dport, .seq = 99, .ack = ack, .flags = DDI_TH_SYN | DDI_TH_ACK,
                .win = 29200, PB_OPTS(PB_MSS(1460))};
    ddi_pkt p = pb_tcp_parsed(&ip, &t, ts);
    ddi_frame_rec rec;
    ddi_observe(st, db, &p, &rec);
}

/* Hour one of a small series: a Conficker-style source whose retry comes
 * 3 s after its first SYN in the last seconds of the file, a scanner, and an
 * answered exchange. */
static void hour1(ddi_state *st)
{
    for (int i = 0; i < 20; i++)
        syn(st, "192.0.2.7", "198.51.100.9", (uint16_t)(40000 + i), (uint16_t)(22 + i), 1000u + (uint32_t)i,
            (uint16_t)(54321), T0 + i * 0.5);
    syn(st, "203.0.113.5", "198.51.100.1", 50000, 80, 777, 10, T0 + 2);
    synack(st, "198.51.100.1", "203.0.113.5", 80, 50000, 778, T0 + 2.1);
    syn(st, CONF_SRC, "198.51.100.3", 21269, 445, 0x5eed1234u, 32569, T0 + 50);
    syn(st, CONF_SRC, "198.51.100.3", 21269, 445, 0x5eed1234u, 32638, T0 + 52.968866);
    syn(st, "192.0.2.7", "198.51.100.9", 40100, 23, 5555, 54321, T0 + 54);
}

/* Hour two: the Conficker-style source stays silent; others go on. */
static void hour2(ddi_state *st)
{
    for (int i = 0; i < 10; i++)
        syn(st, "192.0.2.7", "198.51.100.9", (uint16_t)(41000 + i), (uint16_t)(1000 + i), 2000u + (uint32_t)i,
            54321, T0 + 60 + i);
    syn(st, "198.51.100.77", "198.51.100.9", 1234, 445, 42, 1, T0 + 75);
}

static ddi_tri conficker_of(const ddi_state *st, const char *src)
{
    ddi_addr a = pb_addr(src);
    uint32_t si = ddi_state_source_find(st, &a);
    g_assert_cmpuint(si, !=, 0);
    ddi_src_summary s;
    ddi_summary_build(st, si, NULL, &s);
    return s.conficker;
}

static char *json_of(const ddi_state *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ddi_capture_summary cap;
    ddi_summary_capture(st, NULL, 0, &cap);
    g_assert_true(ddi_summary_write_report(f, st, &cap, NULL, 0, true));
    fclose(f);
    /* the per-source lines: the capture line names files and frames */
    char *nl = strchr(buf, '\n');
    char *out = g_strdup(nl ? nl + 1 : "");
    free(buf);
    return out;
}

static void save_ok(ddi_state *st, const char *path)
{
    ddi_sf_saved saved;
    char why[1024];
    gboolean ok = ddi_statefile_save(st, path, NULL, &saved, why, sizeof why);
    if (!ok)
        g_printerr("%s\n", why);
    g_assert_true(ok);
    g_assert_cmpuint(saved.sources, ==, ddi_state_source_count(st));
}

static void test_round_trip(void)
{
    ddi_state a, b;
    ddi_state_init(&a, 0, 0);
    hour1(&a);
    /* IPv6 sources keep their address in a side table (state.h) */
    syn(&a, "2001:db8:7::5", "2001:db8:da4c::1", 50001, 80, 4242, 0, T0 + 55);
    /* a SYN-ACK answering nothing seen: backscatter, counted in the source's
     * side record (summary.h, ddi_src_rare), which follows its record */
    synack(&a, "198.51.100.50", "203.0.113.99", 443, 61000, 9999, T0 + 56);
    ddi_addr victim = pb_addr("198.51.100.50");
    const ddi_source_whole *vs = ddi_state_whole(&a, ddi_state_source_find(&a, &victim));
    g_assert_nonnull(vs);
    g_assert_cmpuint(vs->sum.rare, ==, 1);
    g_assert_cmpuint(ddi_state_rare(&a, 1)->bs[DDI_BS_SYNACK - 1], ==, 1);
    g_assert_cmpuint(ddi_state_rare(&a, 1)->victim_port, ==, 443);
    g_assert_cmpuint(a.two_way_frame, !=, 0);
    char *path = path_in_dir("round.state");
    save_ok(&a, path);

    ddi_state_init(&b, 0, 0);
    ddi_sf_info info;
    char why[1024];
    g_assert_cmpint(ddi_statefile_load(&b, path, &info, why, sizeof why), ==, DDI_SF_OK);
    g_assert_cmpstr(why, ==, "");
    g_assert_cmpuint(info.sources, ==, ddi_state_source_count(&a));
    g_assert_cmpfloat(info.first_ts, ==, a.first_ts);
    g_assert_cmpfloat(info.last_ts, ==, a.horizon);
    g_assert_cmpuint(ddi_state_source_count(&b), ==, ddi_state_source_count(&a));
    g_assert_cmpuint(b.conns.count, ==, a.conns.count);
    for (uint32_t i = 1; i <= a.sources.count; i++)
        g_assert_cmpmem(ddi_state_source(&a, i), sizeof(ddi_source), ddi_state_source(&b, i), sizeof(ddi_source));
    for (uint32_t i = 1; i <= a.sources.count; i++)
        g_assert_cmpmem(ddi_state_whole(&a, i), sizeof(ddi_source_whole), ddi_state_whole(&b, i),
                        sizeof(ddi_source_whole));
    g_assert_cmpuint(b.rares.count, ==, 1);
    g_assert_cmpmem(ddi_state_rare(&a, 1), sizeof(ddi_src_rare), ddi_state_rare(&b, 1), sizeof(ddi_src_rare));
    for (uint32_t i = 1; i <= a.conns.count; i++)
        g_assert_cmpmem(ddi_state_conn(&a, i), sizeof(ddi_conn), ddi_state_conn(&b, i), sizeof(ddi_conn));
    g_assert_cmpmem(&a.labels, sizeof a.labels, &b.labels, sizeof b.labels);
    g_assert_cmpuint(b.seen.count, ==, a.seen.count);
    g_assert_cmpuint(b.seen.cap, ==, a.seen.cap);
    g_assert_cmpmem(a.seen.slots, a.seen.cap * 4, b.seen.slots, b.seen.cap * 4);
    g_assert_cmpuint(b.packets, ==, a.packets);
    g_assert_cmpfloat(b.horizon, ==, a.horizon);
    g_assert_cmpfloat(b.two_way_ts, ==, a.two_way_ts);
    /* the frame is in the earlier file: two-way from the first frame on, by time */
    g_assert_true(b.two_way_before);
    uint32_t fr = 99;
    g_assert_true(ddi_state_two_way(&b, 1, &fr, NULL));
    g_assert_cmpuint(fr, ==, 0);
    /* finding records works after the load (the index tables were rebuilt) */
    ddi_addr c = pb_addr(CONF_SRC), c6 = pb_addr("2001:db8:7::5");
    g_assert_cmpuint(ddi_state_source_find(&b, &c), ==, ddi_state_source_find(&a, &c));
    g_assert_cmpuint(ddi_state_source_find(&b, &c6), !=, 0);
    g_assert_cmpuint(ddi_state_source_find(&b, &c6), ==, ddi_state_source_find(&a, &c6));
    char *ja = json_of(&a), *jb = json_of(&b);
    g_assert_cmpstr(ja, ==, jb);
    g_free(ja);
    g_free(jb);
    ddi_state_free(&a);
    ddi_state_free(&b);
    g_free(path);
}

/* Hour one then hour two with the state carried = the two hours as one
 * capture; the Conficker-style source (retry in hour one, silence in hour
 * two) is decided only with the state. */
static void test_split_equals_merged(void)
{
    ddi_state merged, h1, h2, alone;
    ddi_state_init(&merged, 0, 0);
    hour1(&merged);
    hour2(&merged);

    ddi_state_init(&h1, 0, 0);
    hour1(&h1);
    g_assert_cmpint(conficker_of(&h1, CONF_SRC), ==, DDI_TRI_UNDETERMINED);
    char *path = path_in_dir("h1.state");
    save_ok(&h1, path);

    ddi_state_init(&h2, 0, 0);
    ddi_sf_info info;
    char why[1024];
    g_assert_cmpint(ddi_statefile_load(&h2, path, &info, why, sizeof why), ==, DDI_SF_OK);
    g_assert_true(ddi_statefile_time_ok(path, &info, T0 + 60, DDI_STATE_MAX_GAP_DEFAULT, why, sizeof why));
    hour2(&h2);
    g_assert_cmpint(conficker_of(&h2, CONF_SRC), ==, DDI_TRI_YES);
    g_assert_cmpint(conficker_of(&merged, CONF_SRC), ==, DDI_TRI_YES);
    char *jm = json_of(&merged), *j2 = json_of(&h2);
    g_assert_cmpstr(jm, ==, j2);

    /* without the state, hour two knows nothing of the source */
    ddi_state_init(&alone, 0, 0);
    hour2(&alone);
    ddi_addr c = pb_addr(CONF_SRC);
    g_assert_cmpuint(ddi_state_source_find(&alone, &c), ==, 0);

    g_free(jm);
    g_free(j2);
    ddi_state_free(&merged);
    ddi_state_free(&h1);
    ddi_state_free(&h2);
    ddi_state_free(&alone);
    g_free(path);
}

/* ------------------------------------------------------------ bad files */

static char *good_file(void)
{
    ddi_state a;
    ddi_state_init(&a, 0, 0);
    hour1(&a);
    char *path = path_in_dir("good.state");
    save_ok(&a, path);
    ddi_state_free(&a);
    return path;
}

static char *variant(const char *name, const char *data, gsize len)
{
    char *p = path_in_dir(name);
    g_assert_true(g_file_set_contents(p, data, (gssize)len, NULL));
    return p;
}

/* Load a bad file: the status, one message naming the file and the reason,
 * and empty state after it. */
static void refused(const char *path, ddi_sf_status want, const char *reason)
{
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    ddi_sf_info info;
    char why[1024];
    g_assert_cmpint(ddi_statefile_load(&st, path, &info, why, sizeof why), ==, want);
    g_assert_nonnull(strstr(why, path));
    if (!strstr(why, reason))
        g_error("\"%s\" does not say \"%s\"", why, reason);
    g_assert_nonnull(strstr(why, "analysis starts from empty state"));
    g_assert_cmpuint(ddi_state_source_count(&st), ==, 0);
    g_assert_cmpuint(st.conns.count, ==, 0);
    g_assert_cmpuint(st.packets, ==, 0);
    g_assert_cmpuint(st.seen.count, ==, 0);
    g_assert_null(st.nat_text);
    ddi_state_free(&st);
}

static void put_u32(char *data, size_t off, uint32_t v) { memcpy(data + off, &v, 4); }

static void reseal(char *data)
{
    uint64_t s = ddi_statefile_checksum(data, DDI_STATEFILE_HEADER_SUMMED);
    memcpy(data + DDI_STATEFILE_HEADER_SUMMED, &s, 8);
}

static void test_bad_files(void)
{
    char *good = good_file();
    char *data;
    gsize len;
    g_assert_true(g_file_get_contents(good, &data, &len, NULL));
    g_assert_cmpuint(len, >, 184 + sizeof(ddi_summary_labels));

    char *missing = path_in_dir("no-such.state");
    refused(missing, DDI_SF_MISSING, "no such file");
    char *p;
    p = variant("empty.state", "", 0);
    refused(p, DDI_SF_TRUNCATED, "empty");
    g_free(p);
    p = variant("text.state", "{\"capture\":{}}\n", 15);
    refused(p, DDI_SF_NOT_STATE, "not a ddi state file");
    g_free(p);
    p = variant("short-header.state", data, 100);
    refused(p, DDI_SF_TRUNCATED, "truncated");
    g_free(p);
    p = variant("short-payload.state", data, len - 1000);
    refused(p, DDI_SF_TRUNCATED, "truncated");
    g_free(p);
    char *longer = g_malloc(len + 1);
    memcpy(longer, data, len);
    longer[len] = 'x';
    p = variant("longer.state", longer, len + 1);
    refused(p, DDI_SF_CORRUPT, "bytes after the end");
    g_free(p);
    g_free(longer);

    char *copy = g_memdup2(data, len);
    copy[len - 3] ^= 0x10; /* a bit in the payload */
    p = variant("payload-bit.state", copy, len);
    refused(p, DDI_SF_CORRUPT, "checksum mismatch");
    g_free(p);
    memcpy(copy, data, len);
    copy[70] ^= 0x01; /* a count in the header */
    p = variant("header-bit.state", copy, len);
    refused(p, DDI_SF_CORRUPT, "header checksum mismatch");
    g_free(p);

    /* other versions and layouts, with a valid header checksum */
    memcpy(copy, data, len);
    put_u32(copy, 12, DDI_STATEFILE_FORMAT + 1);
    reseal(copy);
    p = variant("format.state", copy, len);
    refused(p, DDI_SF_VERSION, "format version");
    g_free(p);
    memcpy(copy, data, len);
    put_u32(copy, 16, DDI_STATEFILE_LAYOUT + 1);
    reseal(copy);
    p = variant("layout.state", copy, len);
    refused(p, DDI_SF_LAYOUT, "record layout");
    g_free(p);
    memcpy(copy, data, len);
    put_u32(copy, 56, (uint32_t)sizeof(ddi_source) - 8); /* a smaller source record */
    reseal(copy);
    p = variant("record-size.state", copy, len);
    refused(p, DDI_SF_LAYOUT, "record layout");
    g_free(p);
    memcpy(copy, data, len);
    memcpy(copy + 24, "0.0.1-old", 10);
    reseal(copy);
    p = variant("ddi-version.state", copy, len);
    refused(p, DDI_SF_VERSION, "written by ddi 0.0.1-old");
    g_free(p);
    memcpy(copy, data, len);
    put_u32(copy, 8, 0x04030201);
    p = variant("endian.state", copy, len);
    refused(p, DDI_SF_VERSION, "other byte order");
    g_free(p);

    /* more sources than this run may track */
    ddi_state small;
    ddi_state_init(&small, 2, 0);
    ddi_sf_info info;
    char why[1024];
    g_assert_cmpint(ddi_statefile_load(&small, good, &info, why, sizeof why), ==, DDI_SF_TOO_LARGE);
    g_assert_cmpuint(ddi_state_source_count(&small), ==, 0);
    g_assert_cmpuint(small.max_sources, ==, 2); /* the caps survive the reset */
    ddi_state_free(&small);

    g_free(copy);
    g_free(data);
    g_free(missing);
    g_free(good);
}

static void test_time_checks(void)
{
    ddi_sf_info info = {.first_ts = T0, .last_ts = T0 + 3600};
    char why[1024];
    g_assert_true(ddi_statefile_time_ok("s", &info, T0 + 3600, 3600, why, sizeof why));
    g_assert_true(ddi_statefile_time_ok("s", &info, T0 + 7200, 3600, why, sizeof why));
    g_assert_false(ddi_statefile_time_ok("s", &info, T0 + 3599.5, 3600, why, sizeof why));
    g_assert_nonnull(strstr(why, "after this capture's first packet"));
    g_assert_nonnull(strstr(why, "2010-04-20 11:00:00"));
    g_assert_false(ddi_statefile_time_ok("s", &info, T0 + 7201, 3600, why, sizeof why));
    g_assert_nonnull(strstr(why, "3601.000 s before this capture's first packet"));
    g_assert_nonnull(strstr(why, "state_max_gap of 3600.000 s"));
    g_assert_true(ddi_statefile_time_ok("s", &info, T0 + 1e6, 0, why, sizeof why)); /* 0 = no limit */
}

/* A write that fails half-way (the file size limit: EFBIG) leaves the old
 * file as it was and no temporary file behind. */
static void test_failed_write_keeps_old(void)
{
    char *good = good_file();
    char *before;
    gsize blen;
    g_assert_true(g_file_get_contents(good, &before, &blen, NULL));

    ddi_state big;
    ddi_state_init(&big, 0, 0);
    hour1(&big);
    hour2(&big);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
    ddi_sf_saved saved;
    char why[1024];
    gboolean ok = ddi_statefile_save(&big, good, NULL, &saved, why, sizeof why);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    g_assert_false(ok);
    g_assert_nonnull(strstr(why, "writing failed"));
    g_assert_nonnull(strstr(why, "the old file is kept"));

    char *after;
    gsize alen;
    g_assert_true(g_file_get_contents(good, &after, &alen, NULL));
    g_assert_cmpmem(before, blen, after, alen);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name(d)))
        g_assert_false(g_str_has_prefix(name, "good.state."));
    g_dir_close(d);

    /* a folder that does not exist: nothing to replace, a clear failure */
    char *nowhere = g_build_filename(dir, "no-such-dir", "x.state", NULL);
    g_assert_false(ddi_statefile_save(&big, nowhere, NULL, &saved, why, sizeof why));
    g_assert_nonnull(strstr(why, "cannot create a temporary file"));
    g_free(nowhere);
    ddi_state_free(&big);
    g_free(before);
    g_free(after);
    g_free(good);
}

static int count_lines(const char *buf, size_t len)
{
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    return lines;
}

/* Eviction: a source idle long enough whose verdicts are final leaves the
 * file (its JSON line is written); a source whose verdict still waits for
 * the capture's end stays. */
static void test_eviction(void)
{
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    hour1(&st);
    /* a lone first SYN to 445 at the very end: Conficker-style undetermined */
    syn(&st, "198.51.100.200", "198.51.100.3", 3333, 445, 4242, 7, T0 + 54.5);
    /* the end of the file, ~1000 s later */
    syn(&st, "192.0.2.99", "198.51.100.9", 1, 80, 1, 1, T0 + 1054);
    ddi_addr conf = pb_addr(CONF_SRC);
    g_assert_true(ddi_statefile_source_final(&st, ddi_state_source_find(&st, &conf)));

    char *path = path_in_dir("evict.state");
    char *buf = NULL;
    size_t blen = 0;
    FILE *ev = open_memstream(&buf, &blen);
    ddi_sf_evict opt = {.idle = 600, .out = ev};
    ddi_sf_saved saved;
    char why[1024];
    g_assert_true(ddi_statefile_save(&st, path, &opt, &saved, why, sizeof why));
    fclose(ev);
    /* idle > 600 s: 192.0.2.7, 203.0.113.5, 198.51.100.1, the Conficker
     * source (decided yes), 198.51.100.200 (its lone SYN is long unanswered) */
    g_assert_cmpuint(saved.evicted + saved.sources, ==, ddi_state_source_count(&st));
    g_assert_cmpuint(saved.sources, ==, 1); /* 192.0.2.99 was seen at the end */
    g_assert_cmpuint(saved.evicted, ==, 5);
    g_assert_nonnull(strstr(buf, "\"src\":\"" CONF_SRC "\""));
    g_assert_nonnull(strstr(buf, "\"conficker\":\"yes\""));
    g_assert_null(strstr(buf, "\"src\":\"192.0.2.99\""));
    g_assert_cmpint(count_lines(buf, blen), ==, 5);

    ddi_state back;
    ddi_state_init(&back, 0, 0);
    ddi_sf_info info;
    g_assert_cmpint(ddi_statefile_load(&back, path, &info, why, sizeof why), ==, DDI_SF_OK);
    g_assert_cmpuint(ddi_state_source_count(&back), ==, 1);
    g_assert_cmpuint(back.conns.count, ==, saved.conns);
    ddi_addr kept = pb_addr("192.0.2.99");
    uint32_t ki = ddi_state_source_find(&back, &kept);
    g_assert_cmpuint(ki, ==, 1);
    /* its connection still points at it */
    for (uint32_t i = 1; i <= back.conns.count; i++)
        g_assert_cmpuint(ddi_state_conn(&back, i)->src, ==, 1);
    free(buf);
    ddi_state_free(&back);

    /* an undecided source is kept however idle it is: a lone first SYN at the
     * end whose retry may still come */
    ddi_state_free(&st);
    ddi_state_init(&st, 0, 0);
    syn(&st, "198.51.100.200", "198.51.100.3", 3333, 445, 4242, 7, T0);
    syn(&st, "192.0.2.99", "198.51.100.9", 1, 80, 1, 1, T0 + 1.0);
    ddi_addr lone = pb_addr("198.51.100.200");
    g_assert_cmpint(conficker_of(&st, "198.51.100.200"), ==, DDI_TRI_UNDETERMINED);
    g_assert_false(ddi_statefile_source_final(&st, ddi_state_source_find(&st, &lone)));
    opt.idle = 0.5;
    opt.out = NULL;
    g_assert_true(ddi_statefile_save(&st, path, &opt, &saved, why, sizeof why));
    g_assert_cmpuint(saved.evicted, ==, 0);
    g_assert_cmpuint(saved.sources, ==, 2);
    ddi_state_free(&st);
    g_free(path);
}

/* The evicted lines reach their file only with the state that leaves those
 * sources out: a save that fails writes none, so the rerun that follows
 * (from the old state, which still holds them) writes each line once. */
static void test_failed_save_writes_no_evicted_line(void)
{
    ddi_state st;
    ddi_state_init(&st, 0, 0);
    hour1(&st);
    syn(&st, "192.0.2.99", "198.51.100.9", 1, 80, 1, 1, T0 + 1054);
    char *buf = NULL;
    size_t blen = 0;
    FILE *ev = open_memstream(&buf, &blen);
    ddi_sf_evict opt = {.idle = 600, .out = ev};
    ddi_sf_saved saved;
    char why[1024];

    /* the state cannot be written (no such folder): nothing evicted is written either */
    char *nowhere = g_build_filename(dir, "no-such-dir", "x.state", NULL);
    g_assert_false(ddi_statefile_save(&st, nowhere, &opt, &saved, why, sizeof why));
    g_assert_nonnull(strstr(why, "the old file is kept"));
    fflush(ev);
    g_assert_cmpuint(blen, ==, 0);
    g_free(nowhere);

    /* the file size limit stops the state write half-way, after the 5
     * evicted lines (~6 kB) were staged: the same (the state is ~30 kB) */
    ddi_state big;
    ddi_state_init(&big, 0, 0);
    hour1(&big);
    hour2(&big);
    syn(&big, "192.0.2.99", "198.51.100.9", 1, 80, 1, 1, T0 + 5000);
    char *limited = path_in_dir("limited.state");
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 16384;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
    gboolean ok = ddi_statefile_save(&big, limited, &opt, &saved, why, sizeof why);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    g_assert_false(ok);
    g_assert_nonnull(strstr(why, "writing failed"));
    fflush(ev);
    g_assert_cmpuint(blen, ==, 0);
    g_assert_false(g_file_test(limited, G_FILE_TEST_EXISTS));
    g_free(limited);
    ddi_state_free(&big);

    /* the rerun that succeeds writes each evicted source once */
    char *path = path_in_dir("evict-once.state");
    g_assert_true(ddi_statefile_save(&st, path, &opt, &saved, why, sizeof why));
    fflush(ev);
    g_assert_cmpuint(saved.evicted, >, 0);
    g_assert_cmpint(count_lines(buf, blen), ==, (int)saved.evicted);
    fclose(ev);
    free(buf);
    g_free(path);
    ddi_state_free(&st);
}

static void load_ok(ddi_state *st, const char *path)
{
    ddi_sf_info info;
    char why[1024];
    ddi_state_init(st, 0, 0);
    ddi_sf_status rc = ddi_statefile_load(st, path, &info, why, sizeof why);
    if (rc != DDI_SF_OK)
        g_printerr("%s\n", why);
    g_assert_cmpint(rc, ==, DDI_SF_OK);
}

/* With eviction the seen-flow set forgets by age: a flow stays known for
 * at least the idle time (one generation) and at most twice that. */
static void test_seen_set_ages_with_eviction(void)
{
    const uint64_t early = 0x0123456789abcdefULL, late = 0x1122334455667799ULL;
    ddi_state a, b, c;
    ddi_state_init(&a, 0, 0);
    hour1(&a); /* T0 .. T0 + 54 */
    g_assert_true(ddi_seen_add(&a.seen, early));
    char *path = path_in_dir("aged.state");
    ddi_sf_evict ev = {.idle = 10};
    ddi_sf_saved saved;
    char why[1024];
    g_assert_true(ddi_statefile_save(&a, path, &ev, &saved, why, sizeof why));

    load_ok(&b, path); /* the generation began at T0: older than 10 s, so it aged */
    g_assert_null(b.seen.slots);
    g_assert_nonnull(b.seen.old_slots);
    g_assert_cmpuint(b.seen.old_count, ==, a.seen.count);
    g_assert_cmpfloat(b.seen.since, ==, a.horizon);
    g_assert_true(ddi_seen_has(&b.seen, early));
    g_assert_false(ddi_seen_add(&b.seen, early)); /* known: it joins the current generation */
    g_assert_true(ddi_seen_add(&b.seen, late));
    /* 5 s later: the current generation is younger than the idle time */
    syn(&b, "192.0.2.7", "198.51.100.9", 47000, 80, 77, 54321, T0 + 59);
    g_assert_cmpuint(b.seen.nbatch, >, 0); /* the SYN waits in the set's batch (seen.h): saving places it */
    g_assert_true(ddi_statefile_save(&b, path, &ev, &saved, why, sizeof why));
    g_assert_cmpuint(b.seen.nbatch, ==, 0);
    load_ok(&c, path);
    g_assert_true(ddi_seen_has(&c.seen, early) && ddi_seen_has(&c.seen, late));
    ddi_addr s7 = pb_addr("192.0.2.7"), d9 = pb_addr("198.51.100.9");
    g_assert_true(ddi_seen_has(&c.seen, ddi_seen_key(DDI_SEEN_TCP_SYN, 0, &s7, &d9, 47000, 80)));
    ddi_state_free(&c);

    /* after another idle time: the generation before b's is dropped; what b
     * saw (again) stays */
    ddi_addr s5 = pb_addr("203.0.113.5"), d1 = pb_addr("198.51.100.1");
    uint64_t k = ddi_seen_key(DDI_SEEN_TCP_SYN, 0, &s5, &d1, 50000, 80); /* hour 1's answered SYN */
    g_assert_true(ddi_seen_has(&a.seen, k));
    g_assert_true(ddi_seen_has(&b.seen, k)); /* through the previous generation only */
    syn(&b, "192.0.2.7", "198.51.100.9", 47001, 80, 78, 54321, T0 + 70);
    g_assert_true(ddi_statefile_save(&b, path, &ev, &saved, why, sizeof why));
    load_ok(&c, path);
    g_assert_cmpuint(c.seen.count, ==, 0);
    g_assert_cmpuint(c.seen.old_count, ==, b.seen.count);
    g_assert_true(ddi_seen_has(&c.seen, early));
    g_assert_true(ddi_seen_has(&c.seen, late));
    g_assert_false(ddi_seen_has(&c.seen, k));
    ddi_state_free(&a);
    ddi_state_free(&b);
    ddi_state_free(&c);
    g_free(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    db = ddi_p0fdb_new();
    char err[512];
    ddi_p0fdb_load_file(db, DDI_SOURCE_DIR "/signatures/ddi.fp", err, sizeof err);
    dir = g_dir_make_tmp("ddi-statefile-XXXXXX", NULL);
    g_test_add_func("/statefile/round_trip", test_round_trip);
    g_test_add_func("/statefile/split_equals_merged", test_split_equals_merged);
    g_test_add_func("/statefile/bad_files", test_bad_files);
    g_test_add_func("/statefile/time_checks", test_time_checks);
    g_test_add_func("/statefile/failed_write_keeps_old", test_failed_write_keeps_old);
    g_test_add_func("/statefile/eviction", test_eviction);
    g_test_add_func("/statefile/failed_save_writes_no_evicted_line", test_failed_save_writes_no_evicted_line);
    g_test_add_func("/statefile/seen_set_ages_with_eviction", test_seen_set_ages_with_eviction);
    int rc = g_test_run();
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *p = path_in_dir(name);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
    g_free(dir);
    ddi_p0fdb_free(db);
    return rc;
}
