/* statefile.h — the analysis state carried from one capture file to the next.
 *
 * Telescopes write one file an hour; a source whose first SYN falls in the
 * last seconds of one hour and whose retry or silence falls in the next can
 * be decided only if the second run starts where the first ended.  A state
 * file holds exactly what the next run needs for that (sources, pending
 * connections, the seen-flow set, the OS label table, the NAT sentences, the
 * capture's first and latest time, counters), so that hour N analysed with
 * hour N-1's state gives what the two hours merged into one capture give.
 * Frame records are not kept: frame numbers start again in every file.
 *
 * Format (native byte order; a file from a host of the other order is
 * refused by its byte-order mark): a fixed header naming the format version,
 * the record layout (the size of every record type and DDI_STATEFILE_LAYOUT),
 * the ddi version, the time range, the counters and section sizes, with a
 * checksum of its own; then the sections, raw, with one checksum over all:
 *   sources (ddi_source and ddi_source_whole, then a source's IPv6 address
 *   and its ddi_src_rare where it has them), connections (ddi_conn), OS labels
 *   (ddi_summary_labels), seen-set slots (uint32; the current generation,
 *   then the previous one), NAT sentences
 *   (uint32 source index + 1, uint32 length, bytes).
 * Records are stored as they are in memory, so a record whose layout changes
 * makes old files unreadable: its size is in the header, and a change that
 * keeps the size must raise DDI_STATEFILE_LAYOUT.  Records must stay
 * pointer-free.
 *
 * Every failure gives one message naming the file and why, and the caller
 * continues from empty state; a write goes to a temporary file in the same
 * folder, is flushed to disk and renamed over the old file, so a crash or a
 * full disk never leaves a partial file in place of a good one.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_STATEFILE_H
#define DDI_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "state.h"

#define DDI_STATEFILE_FORMAT 5 /* header fields and section order (2: the seen set's two generations;
                                  3: an IPv6 source's address after its record; 4: a source's
                                  ddi_src_rare after its record and address; 5: a source's
                                  whole-source record after its record, size_source their sum) */
/* Raise when ddi_source, ddi_source_whole, ddi_src_rare, ddi_conn, ddi_summary_labels or what their fields
 * mean changes without changing their size (a size change is caught anyway). */
#define DDI_STATEFILE_LAYOUT 4 /* 3: the seen set over any capacity (multiply-shift), 200-byte sources;
                                  4: sources split into a per-packet and a whole-source record,
                                  ddi_nat_src's family and TTL moves 4 bits each */

/* Default ddi.state_max_gap / --state-max-gap: a state file that ends more
 * than this before the new capture's first packet was written for another
 * series, or a file of the series is missing (one hourly file's worth: a
 * ddi choice for hourly telescope files, not a published figure). */
#define DDI_STATE_MAX_GAP_DEFAULT 3600.0

typedef enum ddi_sf_status {
    DDI_SF_OK = 0,
    DDI_SF_MISSING,     /* no such file */
    DDI_SF_UNREADABLE,  /* could not be opened or read */
    DDI_SF_NOT_STATE,   /* not a ddi state file (magic) */
    DDI_SF_TRUNCATED,
    DDI_SF_CORRUPT,     /* a checksum or a count does not match */
    DDI_SF_VERSION,     /* another format version, ddi version or byte order */
    DDI_SF_LAYOUT,      /* other record sizes or layout version */
    DDI_SF_TIME,        /* does not precede the capture (or too long before it) */
    DDI_SF_TOO_LARGE,   /* more sources/connections than this run may track */
} ddi_sf_status;

/* What the header says, for messages and the report. */
typedef struct ddi_sf_info {
    char ddi_version[32];
    double first_ts, last_ts;   /* the time range the state covers (last = the capture end it was written at) */
    uint64_t packets;
    uint32_t sources, conns;
} ddi_sf_info;

/* Load `path` into `st`, which must be freshly initialised and empty.  On
 * failure `st` is left empty (re-initialised with its caps), `why` holds one
 * message naming the file and the reason, and the status says which. */
ddi_sf_status ddi_statefile_load(ddi_state *st, const char *path, ddi_sf_info *info, char *why, size_t len);

/* Call at the new capture's first packet (its time is known only then): the
 * state must end no later than `first_ts`, and no more than `max_gap`
 * seconds before it (max_gap <= 0: no limit).  False with `why` set when not. */
bool ddi_statefile_time_ok(const char *path, const ddi_sf_info *info, double first_ts, double max_gap, char *why,
                           size_t len);

/* Eviction at save time: sources idle for more than `idle` seconds at the
 * state's end (idle <= 0: never) whose whole-source verdicts can no longer
 * change are written as JSON lines (the per-source line of
 * `-z ddi,sources,json`) to `out` and left out of the file, with their
 * connections and NAT sentences.  The seen-flow set stores fingerprints
 * without their sources; it forgets by age instead: its current generation,
 * once older than `idle`, becomes the previous one and the one before is
 * dropped, so a flow is remembered for at least `idle` seconds and at most
 * twice that (a reply later than that to a packet of an earlier file is
 * taken as unanswered: backscatter, where a merged run would say answered). */
typedef struct ddi_sf_evict {
    double idle;
    FILE *out;                  /* NULL: evicted sources are dropped silently.  The lines are staged in a
                                   temporary file and reach `out` only once the state that leaves those
                                   sources out has replaced the old one: a save that fails, or a process
                                   that dies before the rename, writes none, so a rerun from the old state
                                   writes them once.  (A process that dies after the rename but before the
                                   append ends loses them instead: the window is the copy of the lines.) */
} ddi_sf_evict;

typedef struct ddi_sf_saved {
    uint32_t sources, conns;    /* written */
    uint32_t evicted, evicted_conns;
    uint64_t bytes;             /* file size */
} ddi_sf_saved;

/* Write `st` to `path` atomically.  False with `why` set on any failure; the
 * file at `path` is then what it was before, and no evicted line was written
 * (except when only appending the evicted lines failed after the state was
 * written: `why` says so).  The one change to `st`: the seen set's waiting
 * batch is placed (seen.h), which changes no answer. */
bool ddi_statefile_save(ddi_state *st, const char *path, const ddi_sf_evict *evict, ddi_sf_saved *saved,
                        char *why, size_t len);

/* The checksum of the header (over its first DDI_STATEFILE_HEADER_SUMMED
 * bytes, stored right after them) and of the payload: for tools and tests
 * that inspect or patch a file. */
#define DDI_STATEFILE_HEADER_SUMMED 176
uint64_t ddi_statefile_checksum(const void *data, size_t n);

/* A source's whole-source verdicts (Conficker-style, sender type) are final:
 * no later capture end changes them. */
bool ddi_statefile_source_final(const ddi_state *st, uint32_t idx1);

#endif
