/* fingerprint.h — p0f v3 style OS fingerprinting of one SYN or SYN+ACK.
 *
 * The matching rules are p0f 3.09b's (fp_tcp.c tcp_find_match): the option
 * layout, EOL padding and IP option length must be equal; quirks must be
 * equal except that, fuzzily, 'df'/'id+' may vanish and 'id-'/'ecn' may
 * appear; a TTL the signature cannot explain also makes a match fuzzy.  The
 * first specific (s:) exact match wins at once, else the first generic (g:)
 * exact match, else the first fuzzy one (never for userland '!' signatures).
 * Unlike p0f 3.09b, a TTL may make a match fuzzy only within
 * the signature's initial-TTL family (ddi_fp_same_ttl_family).
 *
 * Another deliberate difference: p0f 3.09b never compares a signature's IP
 * version field with the packet's (README §5 says it should); we do, so a
 * "4:…" signature never matches an IPv6 packet.
 *
 * ddi_fp_match() does no allocation and no string formatting: it runs for
 * every SYN of captures with millions of them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_FINGERPRINT_H
#define DDI_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p0fdb.h"
#include "pkt.h"

/* Match tiers: p0f's three, and ddi's own rules when no signature matched.
 * The one enum for signature matches and OS verdicts (os.h aliases it). */
typedef enum ddi_match_kind {
    DDI_MATCH_NONE = 0,
    DDI_MATCH_EXACT,     /* specific (s:) signature, all fields agree */
    DDI_MATCH_GENERIC,   /* generic (g:) signature, all fields agree */
    DDI_MATCH_FUZZY,     /* quirks or TTL differ in the ways p0f tolerates */
    DDI_MATCH_HEURISTIC, /* no signature: ddi's own rules (layout + TTL + behaviour, os.c) */
} ddi_match_kind;

/* "exact", "generic", "fuzzy", "heuristic", "none". */
const char *ddi_match_name(ddi_match_kind k);

/* Strings point into the database and stay valid until ddi_p0fdb_free();
 * with no match they are "" (never NULL). */
typedef struct ddi_fp_result {
    ddi_match_kind kind;
    const char *cls;    /* label class: "win", "unix", "other", "!" (userland tool) */
    const char *name;   /* e.g. "Windows", "Linux", "NMap" */
    const char *flavor; /* e.g. "7 or 8", "3.11 and newer" ("" if none) */
    bool userland;      /* class '!' */
    bool generic;       /* label was g: */
    const char *file;   /* database file the signature came from */
    unsigned line;      /* line number of the sig = line */
    const char *sig;    /* the signature text as written in the file */
    uint8_t ittl;       /* initial TTL: from the signature when it explains the
                         * observed TTL, else guessed (ddi_fp_guess_ittl) */
    int distance;       /* ittl - observed ttl (for random_ttl: an upper bound) */
    bool excess_dist;   /* the matched signature's TTL cannot explain the
                         * observed one (below it, or > 35 hops above it), so
                         * the match is fuzzy and ittl is guessed; also set,
                         * as p0f does, whenever distance > 35 */
    bool random_ttl;    /* signature's ttl had the '-' suffix */
} ddi_fp_result;

/* p0f raw_sig notation of the packet, as p0f's dump_sig() writes it, e.g.
 * "4:113+15:0:1410:65535,0:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0".
 * "" for a packet without a complete TCP header.  Always NUL-terminated;
 * a buffer of DDI_FP_RAW_SIG_MAX bytes always holds the whole text (40
 * options and every quirk included), a shorter one gets a prefix. */
#define DDI_FP_RAW_SIG_MAX 512
void ddi_fp_raw_sig(const ddi_pkt *p, char *buf, size_t len);

/* Match a SYN ([tcp:request]) or SYN+ACK ([tcp:response]) against db;
 * returns true if any tier matched.  Always fills ittl/distance (guessed as
 * p0f's guess_dist does when nothing matched).  db may be NULL.  Packets
 * that are neither SYN nor SYN+ACK, or whose TCP options were cut short by
 * the capture, never match. */
bool ddi_fp_match(const ddi_p0fdb *db, const ddi_pkt *p, ddi_fp_result *out);

/* The same, for a SYN+ACK whose SYN was seen: p0f also accepts a SYN+ACK
 * window that is a multiple of the peer's SYN MSS (or of it minus 12).
 * peer_syn_mss 0 = unknown (what ddi_fp_match uses). */
bool ddi_fp_match_ex(const ddi_p0fdb *db, const ddi_pkt *p, uint16_t peer_syn_mss,
                     ddi_fp_result *out);

/* Everything ddi_fp_match() reads from a SYN, packed (the option layout
 * zero-filled past its end): two SYNs with equal keys match the same
 * signature with the same TTL reading, so a memo keyed by it may stand in
 * for the match (os.c).  False, and no key, for a packet that is no SYN
 * or whose options were not captured in full. */
typedef struct ddi_fp_key {
    uint8_t ver, ttl, olen, nopt, eol_pad, wscale, pclass, has_ts1;
    uint16_t mss, win, tot_hdr, zero; /* zero: no byte of the key is left undefined */
    uint32_t quirks;
    uint32_t opt_hash; /* ddi_p0f_layout_hash of olayout: computed with the key anyway,
                        * so a memo hashes the fields up to here, not the layout again */
    uint8_t olayout[DDI_MAX_OPTS];
} ddi_fp_key;
bool ddi_fp_syn_key(const ddi_pkt *p, ddi_fp_key *k);

uint8_t ddi_fp_guess_ittl(uint8_t ttl); /* 32/64/128/255 buckets as p0f */

/* A signature's initial TTL can explain an observed TTL at some distance:
 * not above it, and in the same initial-TTL family (64 / 128 / 255).  A
 * fuzzy match never crosses families (ddi's rule; p0f 3.09b allows it). */
bool ddi_fp_same_ttl_family(uint8_t sig_ttl, uint8_t ttl);

#endif
