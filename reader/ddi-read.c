/* ddi-read.c — ddi's batch reader: the plugin's analysis without Wireshark.
 *
 *   ddi-read [options] FILE...      (pcap or pcapng; "-" = standard input)
 *
 * Reads the files in order as one capture (state carries from one file to
 * the next, as for consecutive hourly files), finds the IP header each
 * frame carries (decap.c), and drives the same core as the plugin's first
 * pass: ddi_observe(), then the packet's verdict as one-pass tshark builds
 * it.  Frames it cannot analyse are counted by link type and reason on
 * standard error.
 *
 * It is for runs where tshark's own cost (~190 k instructions a packet) is
 * the bottleneck; the plugin stays the analyst's view of the same verdicts.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config-ddi.h"

#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze.h"
#include "decap.h"
#include "p0fdb.h"
#include "skips.h"
#include "statefile.h"
#include "summary.h"

/* The plugin's preference defaults (packet-ddi.c), so that a run without
 * options analyses as `tshark -z ddi,sources` does. */
#define DEFAULT_P0F_DB "/etc/p0f/p0f.fp"
#define DEFAULT_MAX_SOURCES DDI_DEFAULT_MAX_SOURCES
#define DEFAULT_MAX_CONNS DDI_DEFAULT_MAX_CONNS
#define OUT_BUFFER (1u << 20)
#define IN_BUFFER (1u << 20)

typedef enum { OUT_JSON, OUT_TEXT, OUT_VERDICTS } out_mode;

/* Frames are read and parsed (libpcap, decapsulation, ddi_pkt_parse:
 * nothing there depends on the state) into batches, analysed one by one in
 * capture order.  With --read-thread another thread reads and parses while
 * the main thread analyses; the output is the same.  It is not the default:
 * on a quiet 2-core machine it saved no wall time and cost 15 % more CPU
 * time (handing 300 kB batches from one core's cache to the other's costs
 * what the parsing it moves saves; bench/RESULTS.md).  The report's lines
 * are built by all processors unless --single-thread.  While the main
 * thread analyses a frame it starts
 * loading the table slots and records of the frames AHEAD and AHEAD / 2
 * later (ddi_observe_prefetch, stages 0 and 1): at telescope scale each
 * lookup is otherwise a cache miss. */
#define BATCH 1024
#define BATCHES 4
#define AHEAD 16
#define REPORT_THREADS_MAX 8

typedef struct pending {
    ddi_pkt pkt;
    ddi_prefetch_memo memo;
    ddi_decap d;
    int linktype;
    uint32_t frame_no;
    double ts;
    bool ok;
} pending;

typedef struct batch {
    pending f[BATCH];
    uint32_t n;
} batch;

typedef struct reader {
    ddi_state st;
    ddi_p0fdb *db;
    ddi_skips skips;
    uint64_t analysed;
    out_mode mode;
    FILE *out;
    /* what the report header says about each signature file: ddi's own, then p0f's */
    ddi_db_info dbs[2];
    char db_err[2][512];
    ddi_verdict v; /* reused: no allocation per packet */
    /* state carried from an earlier run (statefile.h) */
    const char *state_in;
    ddi_sf_info state_info;
    bool state_loaded, state_checked;
    double state_max_gap;
    double capture_end;  /* --capture-end (0 = none) */
    bool quiet;
    char state_err[1024];

    /* the reading side (the reading thread's own, until it is joined) */
    char **paths;
    int npaths;
    uint32_t frame_no;
    uint64_t frames;
    int linktype;          /* of the file being read */
    bool read_ok;
    const char *failed_input; /* the first file that could not be read whole */
    batch *filling;

    /* the batches between the two threads */
    batch *ring;
    uint32_t head, full;   /* oldest full batch, full batches */
    bool done;             /* the reading side has read everything */
    bool threaded;
    unsigned report_threads; /* threads building the report's lines */
    GMutex lock;
    GCond changed;
} reader;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ddi-read [options] FILE...   (pcap/pcapng, in order; \"-\" = standard input)\n"
            "Writes the per-source JSON of `tshark -z ddi,sources,json` (one object per line).\n"
            "  --text                 the text report of `tshark -z ddi,sources` instead\n"
            "  --verdicts             one line per frame: number, source, ddi.verdict (or why it was skipped)\n"
            "  --p0f-db PATH          p0f v3 signatures (default %s; \"\" = none)\n"
            "  --own-db PATH          ddi's own signatures (default %s)\n"
            "  --max-sources N        sources tracked (default %u; 0 = no limit)\n"
            "  --max-connections N    SYN connections tracked (default %u; 0 = no limit)\n"
            "  --capture-end EPOCH    end time of the whole capture, for a shard of it\n"
            "  --state-in FILE        start from the state an earlier run wrote (a bad file is reported and\n"
            "                         the run starts from empty state)\n"
            "  --state-out FILE       write the state at the end (atomically: temporary file + rename);\n"
            "                         not written when an input could not be read whole\n"
            "  --state-max-gap S      refuse a state that ends more than S seconds before the first packet\n"
            "                         (default %.0f; 0 = no limit)\n"
            "  --evict-idle S         leave sources idle for more than S seconds with final verdicts out of\n"
            "                         the state written (default 0 = never)\n"
            "  --evicted-out FILE     append their per-source JSON lines to FILE\n"
            "  -o FILE                write the output to FILE instead of standard output\n"
            "  -q, --quiet            no skipped-frame counts on standard error\n"
            "  --read-thread          read and parse in a thread beside the analysis (the output is the same)\n"
            "  --single-thread        no threads at all; by default the report's lines are built by every\n"
            "                         processor (the output is the same)\n",
            DEFAULT_P0F_DB, DDI_DEFAULT_OWN_DB, DEFAULT_MAX_SOURCES, DEFAULT_MAX_CONNS, DDI_STATE_MAX_GAP_DEFAULT);
}

/* Like the plugin: a bad database is reported and the rest keeps working. */
static void load_db(reader *r, int slot, const char *path)
{
    ddi_db_info *info = &r->dbs[slot];
    char *err = r->db_err[slot];
    memset(info, 0, sizeof *info);
    if (!path || !*path)
        return;
    info->path = path;
    info->signatures = ddi_p0fdb_load_file(r->db, path, err, sizeof r->db_err[slot]);
    if (err[0]) {
        fprintf(stderr, "ddi-read: signature database: %s\n", err);
        info->error = err;
    }
}

static bool parse_uint(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static void emit_verdict(reader *r, const ddi_pkt *p)
{
    char src[48];
    fprintf(r->out, "%u\t%s\t%s\n", p->frame, ddi_addr_str(&p->src, src, sizeof src), r->v.summary);
}

/* In the per-frame listing a skipped frame says why, so that every
 * difference from the plugin can be traced to a frame. */
static void emit_skip(reader *r, uint32_t frame_no, int linktype, const ddi_decap *d)
{
    char detail[48];
    ddi_skip_detail_str(d->detail, detail, sizeof detail);
    fprintf(r->out, "%u\t\tskipped: link type %d: %s%s%s%s\n", frame_no, linktype, ddi_skip_name(d->skip),
            detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
}

/* The carried state must precede this capture: known at its first frame. */
static void check_state_time(reader *r, double first_ts)
{
    r->state_checked = true;
    if (!r->state_loaded ||
        ddi_statefile_time_ok(r->state_in, &r->state_info, first_ts, r->state_max_gap, r->state_err,
                              sizeof r->state_err))
        return;
    fprintf(stderr, "ddi-read: %s\n", r->state_err);
    r->state_loaded = false;
    uint32_t ms = r->st.max_sources, mc = r->st.max_conns;
    double end = r->capture_end;
    ddi_state_free(&r->st);
    ddi_state_init(&r->st, ms, mc);
    r->st.horizon = end;
}

/* Decapsulate and parse a frame (ddi_decap_frame only reads the frame). */
static void parse_frame(reader *r, pending *q, const struct pcap_pkthdr *h, const uint8_t *bytes)
{
    q->frame_no = ++r->frame_no;
    q->linktype = r->linktype;
    r->frames++;
    /* the plugin's packet time: seconds + nanoseconds / 1e9 (files are opened
     * with nanosecond precision, so tv_usec holds nanoseconds) */
    double ts = (double)h->ts.tv_sec + h->ts.tv_usec / 1e9;
    q->ts = ts;
    q->ok = ddi_decap_frame(r->linktype, bytes, h->caplen, ts, &q->d, &q->pkt);
    if (q->ok && q->pkt.fragment) { /* a part never yields a claim (as in the plugin) */
        q->d.skip = DDI_SKIP_FRAGMENT;
        q->d.detail = 0;
        q->ok = false;
    }
    if (!q->ok)
        return;
    q->pkt.frame = q->frame_no;
    q->pkt.ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec; /* exact, as the plugin's */
}

/* Analyse one parsed frame, in capture order. */
static void analyse_frame(reader *r, pending *q)
{
    ddi_frame_rec rec;
    if (!r->state_checked) /* here: it may replace the state */
        check_state_time(r, q->ts);
    if (!q->ok) {
        ddi_skips_add(&r->skips, q->linktype, q->d.skip, q->d.detail);
        if (r->mode == OUT_VERDICTS)
            emit_skip(r, q->frame_no, q->linktype, &q->d);
        return;
    }
    ddi_observe(&r->st, r->db, &q->pkt, &rec);
    /* as dissect_ddi: a source past the table limit still gets its verdict */
    if (!(rec.flags & (DDI_FR_ANALYSED | DDI_FR_SRC_FULL)))
        return;
    r->analysed++;
    /* the per-source report needs nothing more per packet: ddi_observe()
     * folded it into the source record */
    if (r->mode == OUT_VERDICTS) {
        ddi_verdict_build_ex(&r->st, r->db, &q->pkt, &rec, DDI_EXPLAIN_SUMMARY, &r->v);
        emit_verdict(r, &q->pkt);
    }
}

static void analyse_batch(reader *r, batch *b)
{
    for (uint32_t i = 0; i < b->n && i < AHEAD; i++)
        if (b->f[i].ok)
            ddi_observe_prefetch(&r->st, &b->f[i].pkt, 0, &b->f[i].memo);
    for (uint32_t i = 0; i < b->n; i++) {
        if (i + AHEAD < b->n && b->f[i + AHEAD].ok)
            ddi_observe_prefetch(&r->st, &b->f[i + AHEAD].pkt, 0, &b->f[i + AHEAD].memo);
        if (i + AHEAD / 2 < b->n && b->f[i + AHEAD / 2].ok)
            ddi_observe_prefetch(&r->st, &b->f[i + AHEAD / 2].pkt, 1, &b->f[i + AHEAD / 2].memo);
        analyse_frame(r, &b->f[i]);
    }
}

/* Reading side: hand a full batch over (or, in one thread, analyse it). */
static void batch_done(reader *r)
{
    if (!r->threaded) {
        analyse_batch(r, r->filling);
        r->filling->n = 0;
        return;
    }
    g_mutex_lock(&r->lock);
    r->full++;
    g_cond_signal(&r->changed);
    while (r->full == BATCHES)
        g_cond_wait(&r->changed, &r->lock);
    r->filling = &r->ring[(r->head + r->full) % BATCHES];
    g_mutex_unlock(&r->lock);
    r->filling->n = 0;
}

static void one_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    reader *r = (reader *)user;
    parse_frame(r, &r->filling->f[r->filling->n++], h, bytes);
    if (r->filling->n == BATCH)
        batch_done(r);
}

static bool read_file(reader *r, const char *path);

/* The reading side: every file in order, then what is left in the last batch. */
static gpointer read_all(gpointer data)
{
    reader *r = data;
    r->read_ok = true;
    for (int i = 0; i < r->npaths; i++)
        if (!read_file(r, r->paths[i]) && r->read_ok) {
            r->read_ok = false;
            r->failed_input = r->paths[i];
        }
    if (r->filling->n)
        batch_done(r);
    if (r->threaded) {
        g_mutex_lock(&r->lock);
        r->done = true;
        g_cond_signal(&r->changed);
        g_mutex_unlock(&r->lock);
    }
    return NULL;
}

/* Read and analyse everything; false when a file could not be read whole. */
static bool read_and_analyse(reader *r, bool threaded)
{
    r->ring = g_new0(batch, BATCHES);
    r->filling = &r->ring[0];
    r->threaded = threaded;
    GThread *t = NULL;
    if (threaded) {
        g_mutex_init(&r->lock);
        g_cond_init(&r->changed);
        t = g_thread_try_new("ddi-read", read_all, r, NULL);
        r->threaded = t != NULL; /* no thread: read in this one */
    }
    if (!r->threaded) {
        read_all(r);
    } else {
        g_mutex_lock(&r->lock);
        for (;;) {
            while (!r->full && !r->done)
                g_cond_wait(&r->changed, &r->lock);
            if (!r->full)
                break;
            batch *b = &r->ring[r->head];
            g_mutex_unlock(&r->lock);
            analyse_batch(r, b);
            g_mutex_lock(&r->lock);
            r->head = (r->head + 1) % BATCHES;
            r->full--;
            g_cond_signal(&r->changed);
        }
        g_mutex_unlock(&r->lock);
        g_thread_join(t);
    }
    if (threaded) {
        g_mutex_clear(&r->lock);
        g_cond_clear(&r->changed);
    }
    g_free(r->ring);
    return r->read_ok;
}

/* The per-source report, written by the core as the plugin's
 * `-z ddi,sources[,json]` writes it. */
static bool write_report(reader *r)
{
    ddi_capture_summary cap;
    ddi_summary_capture(&r->st, r->dbs, (int)(sizeof r->dbs / sizeof r->dbs[0]), &cap);
    cap.state_in = r->state_in;
    cap.state_error = r->state_in && r->state_err[0] ? r->state_err : NULL;
    if (!ddi_summary_write_report_mt(r->out, &r->st, &cap, NULL, 0, r->mode == OUT_JSON, r->report_threads)) {
        fprintf(stderr, "ddi-read: out of memory for the report of %u sources\n", ddi_state_source_count(&r->st));
        return false;
    }
    return true;
}

static bool read_file(reader *r, const char *path)
{
    char err[PCAP_ERRBUF_SIZE];
    bool is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ddi-read: %s: %s\n", path, strerror(errno));
        return false;
    }
    /* large reads, and no stream lock per packet (libpcap reads each record
     * with two freads) */
    setvbuf(f, NULL, _IOFBF, IN_BUFFER);
    __fsetlocking(f, FSETLOCKING_BYCALLER);
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pc) {
        fprintf(stderr, "ddi-read: %s: %s\n", path, err);
        if (!is_stdin)
            fclose(f);
        return false;
    }
    r->linktype = pcap_datalink(pc);
    /* every record of the file through one callback (pcap_next_ex costs a
     * call and a header copy more per frame) */
    int rc = pcap_loop(pc, -1, one_frame, (u_char *)r);
    bool ok = rc == 0;
    if (!ok)
        fprintf(stderr, "ddi-read: %s: %s (stopped after frame %u)\n", path, pcap_geterr(pc), r->frame_no);
    pcap_close(pc);
    return ok;
}

static bool parse_seconds(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end); /* C locale: a '.' decimal point */
    if (end == s || *end || !(v >= 0))
        return false;
    *out = v;
    return true;
}

/* The state for the next file; evicted sources go to their JSON lines file
 * (appended: one file can collect a whole series). */
static bool save_state(reader *r, const char *path, double evict_idle, const char *evicted_out)
{
    ddi_sf_evict ev = {.idle = evict_idle};
    if (evict_idle > 0 && evicted_out) {
        ev.out = fopen(evicted_out, "a");
        if (!ev.out) {
            fprintf(stderr, "ddi-read: %s: %s; state file %s not written\n", evicted_out, strerror(errno), path);
            return false;
        }
    }
    ddi_sf_saved saved;
    char why[1024];
    bool ok = ddi_statefile_save(&r->st, path, &ev, &saved, why, sizeof why);
    if (ev.out && fclose(ev.out) && ok) {
        fprintf(stderr, "ddi-read: %s: %s\n", evicted_out, strerror(errno));
        ok = false;
    }
    if (!ok)
        fprintf(stderr, "ddi-read: %s\n", why);
    else if (!r->quiet)
        fprintf(stderr, "ddi-read: state written to %s: %u sources, %u connections, %llu bytes; %u sources evicted\n",
                path, saved.sources, saved.conns, (unsigned long long)saved.bytes, saved.evicted);
    return ok;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"verdicts", no_argument, NULL, 'V'},
        {"text", no_argument, NULL, 'T'},
        {"p0f-db", required_argument, NULL, 'p'},
        {"own-db", required_argument, NULL, 'w'},
        {"max-sources", required_argument, NULL, 's'},
        {"max-connections", required_argument, NULL, 'c'},
        {"capture-end", required_argument, NULL, 'e'},
        {"quiet", no_argument, NULL, 'q'},
        {"single-thread", no_argument, NULL, '1'},
        {"read-thread", no_argument, NULL, 'R'},
        {"state-in", required_argument, NULL, 'I'},
        {"state-out", required_argument, NULL, 'O'},
        {"state-max-gap", required_argument, NULL, 'G'},
        {"evict-idle", required_argument, NULL, 'E'},
        {"evicted-out", required_argument, NULL, 'X'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *p0f_db = DEFAULT_P0F_DB, *own_db = DDI_DEFAULT_OWN_DB, *out_path = NULL, *capture_end = NULL;
    uint32_t max_sources = DEFAULT_MAX_SOURCES, max_conns = DEFAULT_MAX_CONNS;
    bool quiet = false, single_thread = false, read_thread = false;
    const char *state_out = NULL, *evicted_out = NULL;
    double evict_idle = 0;
    static reader r; /* large (the verdict buffer): not on the stack */
    r.mode = OUT_JSON;
    r.state_max_gap = DDI_STATE_MAX_GAP_DEFAULT;

    int c;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'V': r.mode = OUT_VERDICTS; break;
        case 'T': r.mode = OUT_TEXT; break;
        case 'p': p0f_db = optarg; break;
        case 'w': own_db = optarg; break;
        case 's':
        case 'c':
            if (!parse_uint(optarg, c == 's' ? &max_sources : &max_conns)) {
                fprintf(stderr, "ddi-read: %s needs a number, not \"%s\"\n",
                        c == 's' ? "--max-sources" : "--max-connections", optarg);
                return 2;
            }
            break;
        case 'e': capture_end = optarg; break;
        case 'o': out_path = optarg; break;
        case 'q': quiet = true; break;
        case '1': single_thread = true; break;
        case 'R': read_thread = true; break;
        case 'I': r.state_in = *optarg ? optarg : NULL; break;
        case 'O': state_out = *optarg ? optarg : NULL; break;
        case 'X': evicted_out = *optarg ? optarg : NULL; break;
        case 'G':
        case 'E':
            if (!parse_seconds(optarg, c == 'G' ? &r.state_max_gap : &evict_idle)) {
                fprintf(stderr, "ddi-read: %s needs seconds (>= 0), not \"%s\"\n",
                        c == 'G' ? "--state-max-gap" : "--evict-idle", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    r.quiet = quiet;
    /* each thread keeps two chunks of lines (~1.2 MB each) in memory */
    r.report_threads = single_thread ? 1 : MIN(g_get_num_processors(), REPORT_THREADS_MAX);
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }

    r.out = out_path ? fopen(out_path, "w") : stdout;
    if (!r.out) {
        fprintf(stderr, "ddi-read: %s: %s\n", out_path, strerror(errno));
        return 2;
    }
    setvbuf(r.out, NULL, _IOFBF, OUT_BUFFER);
    /* one thread writes: stdio need not lock the stream for every character */
    __fsetlocking(r.out, FSETLOCKING_BYCALLER);

    r.db = ddi_p0fdb_new();
    /* ddi's own file first: earlier files win on equal matches (as the plugin) */
    load_db(&r, 0, own_db);
    load_db(&r, 1, p0f_db);
    ddi_state_init(&r.st, max_sources, max_conns);
    r.st.recycle_conns = true; /* no frame is read twice: retired connections are reused (state.h) */
    if (capture_end && *capture_end) {
        char *end;
        r.capture_end = strtod(capture_end, &end); /* C locale: a '.' decimal point */
        if (*end) {
            fprintf(stderr, "ddi-read: --capture-end needs epoch seconds, not \"%s\"\n", capture_end);
            return 2;
        }
    }
    if (r.state_in) {
        /* a bad file is one message; the run goes on from empty state */
        r.state_loaded = ddi_statefile_load(&r.st, r.state_in, &r.state_info, r.state_err, sizeof r.state_err) ==
                         DDI_SF_OK;
        if (!r.state_loaded)
            fprintf(stderr, "ddi-read: %s\n", r.state_err);
    }
    if (r.capture_end > r.st.horizon)
        r.st.horizon = r.capture_end;

    int status = 0;
    clock_t t0 = clock();
    r.paths = argv + optind;
    r.npaths = argc - optind;
    bool inputs_ok = read_and_analyse(&r, read_thread && !single_thread);
    if (!inputs_ok)
        status = 1;
    clock_t t1 = clock();
    if (r.mode != OUT_VERDICTS && !write_report(&r))
        status = 1;
    clock_t t2 = clock();
    /* a state that misses part of the input would be carried into the next
     * hour as if complete: write none, and leave an older file in place */
    if (state_out && !inputs_ok) {
        fprintf(stderr, "ddi-read: state file %s not written: %s could not be read whole\n", state_out,
                r.failed_input);
    } else if (state_out && !save_state(&r, state_out, evict_idle, evicted_out)) {
        status = 1;
    }

    if (fflush(r.out) || (out_path && fclose(r.out))) {
        fprintf(stderr, "ddi-read: writing %s: %s\n", out_path ? out_path : "standard output", strerror(errno));
        status = 1;
    }
    if (!quiet) {
        fprintf(stderr, "ddi-read: %llu frames, %llu analysed, %llu skipped\n", (unsigned long long)r.frames,
                (unsigned long long)r.analysed, (unsigned long long)r.skips.total);
        fprintf(stderr, "ddi-read: CPU time: %.2f s reading and analysing, %.2f s writing %u sources\n",
                (double)(t1 - t0) / CLOCKS_PER_SEC, (double)(t2 - t1) / CLOCKS_PER_SEC,
                ddi_state_source_count(&r.st));
        ddi_skips_print(&r.skips, stderr);
    }
    ddi_state_free(&r.st);
    ddi_p0fdb_free(r.db);
    return status;
}
