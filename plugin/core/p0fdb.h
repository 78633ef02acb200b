/* p0fdb.h — a p0f v3 signature database (p0f.fp format) held in memory.
 *
 * Reads the TCP ([tcp:request], [tcp:response]) and [mtu] sections of one or
 * more p0f.fp-format files; [http:*] sections are skipped without complaint.
 * The format is p0f v3's (docs/README §5 of p0f 3.09b); this is our own
 * parser, written from that description and from p0f's readfp.c/fp_tcp.c.
 *
 * Signatures are kept in buckets keyed by a hash of their TCP option layout,
 * the way p0f does it, so a lookup only walks the few signatures that share
 * the packet's layout.  Everything a match result points to (labels, file
 * names, signature text) lives as long as the database.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_P0FDB_H
#define DDI_P0FDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h" /* DDI_MAX_OPTS */

typedef struct ddi_p0fdb ddi_p0fdb;

ddi_p0fdb *ddi_p0fdb_new(void);
void ddi_p0fdb_free(ddi_p0fdb *db);

/* Load signatures from a p0f v3 format file into db (several files may be
 * loaded into one db; earlier files take precedence on equal matches).
 * Returns the number of signatures ([tcp:*] plus [mtu]) loaded from this
 * file, or -1 if the file cannot be opened.  Malformed lines are skipped
 * (the rest still loads); *err receives ONE message naming the file, the
 * first bad line number and what is wrong, plus how many lines were skipped:
 *   "/etc/p0f/p0f.fp:123: bad window size 'abc' in signature (2 lines skipped)"
 * For an unopenable file:
 *   "cannot open signature file /x/y.fp: No such file or directory"
 * err is "" when all is fine.  err may be NULL (or errlen 0) if not wanted. */
int ddi_p0fdb_load_file(ddi_p0fdb *db, const char *path, char *err, size_t errlen);

/* The same for text already in memory; `name` stands for the file name in
 * messages and in match results (NULL: "<string>"). */
int ddi_p0fdb_load_string(ddi_p0fdb *db, const char *name, const char *text, char *err,
                          size_t errlen);

size_t ddi_p0fdb_count(const ddi_p0fdb *db);     /* tcp signatures loaded */
/* [mtu] entries read.  They are checked (a malformed line is reported like
 * any other) and counted, not kept: ddi's one MSS/link table is mss.c's,
 * which carries p0f's [mtu] labels row by row with ddi's additions (PPPoE
 * flags, tunnels, sources) that a p0f file has no place for. */
size_t ddi_p0fdb_mtu_count(const ddi_p0fdb *db);

/* Changes whenever a signature is added, and differs between databases:
 * what a memo of matches keeps to know it still speaks of this one (never
 * 0; 0 for NULL). */
uint32_t ddi_p0fdb_generation(const ddi_p0fdb *db);

/* ---- The parsed signature, for the matcher (fingerprint.c) ---- */

/* How a signature's window field is to be compared (p0f WIN_TYPE_*). */
typedef enum ddi_win_kind {
    DDI_WIN_ANY = 0, /* '*' */
    DDI_WIN_EXACT,   /* a number: the raw, unscaled window must equal it */
    DDI_WIN_MOD,     /* '%N': window is a multiple of N */
    DDI_WIN_MSS,     /* 'mss*N': window = N × (some MSS, see fingerprint.c) */
    DDI_WIN_MTU,     /* 'mtu*N': window = N × (some MTU) */
} ddi_win_kind;

typedef struct ddi_tcp_sig {
    /* the label this sig belongs to */
    const char *cls;    /* class as declared in 'classes' ("win", "unix", …) or "!" */
    const char *name;   /* "Linux" */
    const char *flavor; /* "3.11 and newer"; "" if none */
    bool generic;       /* label type g: */
    bool userland;      /* class '!' */

    /* where it came from */
    const char *file;
    unsigned line;
    const char *text; /* the signature as written (value of 'sig =') */

    /* the fields; -1 means '*' where a field may be a wildcard */
    int8_t ver;        /* 4, 6 or -1 */
    uint8_t ttl;       /* initial TTL ("nn+d" already summed) */
    bool bad_ttl;      /* "nn-": random TTL up to nn */
    uint8_t olen;      /* IPv4 option bytes */
    int32_t mss;       /* -1 or 0..65535 */
    ddi_win_kind win_kind;
    uint16_t win;      /* value, modulus or multiplier, per win_kind */
    int16_t wscale;    /* -1 or 0..255 */
    int8_t pclass;     /* -1 any, 0 no payload, 1 payload */
    uint32_t quirks;   /* DDI_Q_* */
    uint8_t eol_pad;   /* N of eol+N */
    uint8_t nopt;
    uint8_t olayout[DDI_MAX_OPTS];
    uint32_t opt_hash; /* ddi_p0f_layout_hash(olayout, nopt) */
} ddi_tcp_sig;

/* p0f's name of quirk bit `DDI_Q_*` number `bit` (0 = df … 16 = bad), in the
 * order p0f prints them; NULL past the last. */
const char *ddi_p0f_quirk_name(unsigned bit);

/* p0f's olayout name of a TCP option kind ("mss", "nop", …); NULL for kinds
 * written as "?N" and for EOL (written "eol+N"). */
const char *ddi_p0f_opt_name(uint8_t kind);

/* Hash of an option layout (kinds in order); equal layouts hash equal. */
uint32_t ddi_p0f_layout_hash(const uint8_t *olayout, size_t nopt);

/* The signatures of one direction (false: [tcp:request] = SYN, true:
 * [tcp:response] = SYN+ACK) whose layout shares `hash`'s bucket, in load
 * order.  Callers still compare opt_hash and the layout itself. */
const ddi_tcp_sig *ddi_p0fdb_bucket(const ddi_p0fdb *db, bool response, uint32_t hash,
                                    size_t *n);

#endif
