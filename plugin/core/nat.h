/* nat.h — evidence that a middle box or NAT sits in front of a source.
 * Each kind has its own bit and its own sentence: an analyst must see why.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_NAT_H
#define DDI_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "pkt.h"
#include "strbuf.h"

/* One kind per row of ddi_nat_kinds[] (nat.c), in this order.  Adding a kind:
 * a value here, a row there (name, expert item, reason function), a test. */
typedef enum ddi_nat_kind {
    DDI_NAT_KIND_PORT,     /* source port outside the (exactly) fingerprinted OS's range */
    DDI_NAT_KIND_TTL,      /* TTL moved back and forth for one (exact) fingerprint */
    DDI_NAT_KIND_MULTI_OS, /* SYNs of different OS families from one address */
    DDI_NAT_KIND_IPID,     /* interleaved IP-ID counter sequences (several hosts) */
    DDI_NAT_KIND_MSS,      /* MSS clamped below what the window was sized for */
    DDI_NAT__KINDS
} ddi_nat_kind;

enum {
    DDI_NAT_PORT = 1u << DDI_NAT_KIND_PORT,
    DDI_NAT_TTL = 1u << DDI_NAT_KIND_TTL,
    DDI_NAT_MULTI_OS = 1u << DDI_NAT_KIND_MULTI_OS,
    DDI_NAT_IPID = 1u << DDI_NAT_KIND_IPID,
    DDI_NAT_MSS = 1u << DDI_NAT_KIND_MSS,
};

/* A set of kinds, one bit each: wide enough for every row, checked here
 * rather than found out when a ninth kind silently drops off a uint8_t. */
typedef uint8_t ddi_nat_set;
_Static_assert(DDI_NAT__KINDS <= 8 * sizeof(ddi_nat_set), "ddi_nat_set must hold one bit per NAT kind");
_Static_assert(DDI_NAT__KINDS <= 16, "ddi_verdict/ddi_src keep NAT kinds in a uint16_t");

/* Per-source memory for the multi-packet kinds; zero = fresh. */
typedef struct ddi_nat_src {
    uint32_t fp_hash;      /* layout/window/ittl hash of the first SYN */
    uint16_t seq_head[4];  /* last ID of each sequence */
    uint8_t seq_cnt[4];    /* times the IDs came back to each sequence after another one */
    uint8_t first_ittl;
    uint8_t last_ttl;      /* of the last SYN with the same fingerprint */
    uint8_t first_ttl;     /* of the first SYN with that fingerprint */
    uint8_t first_family : 4; /* ddi_os_family of the first confidently fingerprinted SYN */
    uint8_t ttl_moves : 4; /* TTL moves of more than 2 hops for that fingerprint (saturates at
                              DDI_NAT_TTL_MOVES_MAX: only compared with DDI_NAT_TTL_MIN_MOVES) */
} ddi_nat_src;

/* Only an exact or generic signature match of an OS stack (never fuzzy,
 * heuristic or a userland tool's signature) is a baseline that port and TTL
 * evidence may be measured against. */
bool ddi_nat_os_confident(const ddi_os_result *os);

/* A source port that applications bind on purpose, so that it says nothing
 * about the OS's ephemeral range: an IANA System Port (0-1023, RFC 6335 §6:
 * rsh/rlogin, NFS, BGP and FTP-data clients bind these), a port equal to the
 * destination port (symmetric protocols: SIP, BGP, IKE), or a User Port
 * (1024-49151) with an IANA TCP assignment (e.g. SIP 5060).  *why says which. */
bool ddi_nat_service_port(uint16_t sport, uint16_t dport, const char **why);

/* Per-packet kinds (port, MSS clamp) from a SYN and its OS verdict.  The
 * caller passes only SYNs that no tool rule claimed. */
uint16_t ddi_nat_packet(const ddi_pkt *p, const ddi_os_result *os);
/* Source-level kinds (several OS, TTL moves); updates `s` (first pass only).
 * `first_syn`: not a retransmission (a retransmitted SYN repeats its
 * connection's fingerprint and TTL, and so adds no evidence). */
uint16_t ddi_nat_source_syn(ddi_nat_src *s, const ddi_pkt *p, const ddi_os_result *os, bool first_syn);
/* The TTL kind needs this many moves of more than 2 hops for one fingerprint:
 * one move alone is what a route change does (p0f score_nat() scores one TTL
 * change as a "host change"; sharing needs several scores). */
#define DDI_NAT_TTL_MIN_MOVES 2
#define DDI_NAT_TTL_MOVES_MAX 15
/* Track IP-ID sequences (Bellovin, IMW 2002) for packets that are not
 * retransmissions; returns DDI_NAT_IPID once two sequences are established.
 * The caller keeps the bit only while the source's IDs are classed as a
 * counter (global or byte-swapped): per-connection, random or zero IDs form
 * "sequences" without any NAT (docs/references.md#nat, Bellovin's own caveat). */
uint16_t ddi_nat_source_ipid(ddi_nat_src *s, uint16_t id);

/* One sentence per bit, with the values compared. */
void ddi_nat_reason(uint16_t bits, const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, char *buf,
                    size_t len);
/* The names of the kinds in `bits`, in table order, joined by ", "
 * ("source port, MSS clamp"): the one spelling of a set of kinds for the
 * verdict, the report and the statistics. */
void ddi_nat_kinds_join(unsigned bits, char *buf, size_t len);
/* Name of one kind's bit ("source port", "TTL", ...); "?" for anything else. */
const char *ddi_nat_kind_name(unsigned bit);

/* How loudly the glue reports a kind (mapped to Wireshark's PI_CHAT/PI_NOTE/PI_WARN). */
typedef enum ddi_severity { DDI_SEV_CHAT = 1, DDI_SEV_NOTE, DDI_SEV_WARN } ddi_severity;

/* Appends the one clause of a kind (ddi_sb_clause) with the values compared.
 * `s` may be NULL (no per-source memory at hand). */
typedef void (*ddi_nat_reason_fn)(const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, ddi_sb *b);

/* Everything the glue, the report and the statistics need of a kind. */
typedef struct ddi_nat_kind_row {
    ddi_nat_kind kind;      /* = its index in ddi_nat_kinds */
    const char *name;       /* "source port": tree item, report and statistics */
    const char *expert;     /* expert item abbreviation, "ddi.expert.nat.port" */
    ddi_severity severity;
    const char *summary;    /* expert item summary, "NAT suspected: source port" */
    ddi_nat_reason_fn reason;
} ddi_nat_kind_row;

extern const ddi_nat_kind_row ddi_nat_kinds[DDI_NAT__KINDS];

static inline unsigned ddi_nat_bit(ddi_nat_kind k) { return 1u << k; }

/* 0 when every row of `rows` is complete (kind = index, every string and the
 * reason function present, distinct expert names); else the 1-based index of
 * the first incomplete row, with *why saying what it lacks.  Unit-tested on
 * the real table and on broken copies. */
int ddi_nat_table_check(const ddi_nat_kind_row *rows, size_t n, const char **why);

#endif
