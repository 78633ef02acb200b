/* nat.h — evidence that a middle box or NAT sits in front of a source.
 * Each kind has its own bit and its own sentence: an analyst must see why.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_NAT_H
#define DDI_NAT_H

#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "pkt.h"

enum {
    DDI_NAT_PORT = 1 << 0,     /* source port outside the (exactly) fingerprinted OS's range */
    DDI_NAT_TTL = 1 << 1,      /* TTL moved back and forth for one (exact) fingerprint */
    DDI_NAT_MULTI_OS = 1 << 2, /* SYNs of different OS families from one address */
    DDI_NAT_IPID = 1 << 3,     /* interleaved IP-ID counter sequences (several hosts) */
    DDI_NAT_MSS = 1 << 4,      /* MSS clamped below what the window was sized for */
    DDI_NAT__KINDS = 5,
};

/* Per-source memory for the multi-packet kinds; zero = fresh. */
typedef struct ddi_nat_src {
    uint8_t first_family;  /* ddi_os_family of the first confidently fingerprinted SYN */
    uint8_t first_ittl;
    uint8_t last_ttl;      /* of the last SYN with the same fingerprint */
    uint8_t first_ttl;     /* of the first SYN with that fingerprint */
    uint8_t ttl_moves;     /* TTL moves of more than 2 hops for that fingerprint (saturates) */
    uint8_t seq_cnt[4];    /* times the IDs came back to each sequence after another one */
    uint16_t seq_head[4];  /* last ID of each sequence */
    uint32_t fp_hash;      /* layout/window/ittl hash of the first SYN */
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
/* Track IP-ID sequences (Bellovin, IMW 2002) for packets that are not
 * retransmissions; returns DDI_NAT_IPID once two sequences are established.
 * The caller keeps the bit only while the source's IDs are classed as a
 * counter (global or byte-swapped): per-connection, random or zero IDs form
 * "sequences" without any NAT (os-stack-facts.md §7, Bellovin's own caveat). */
uint16_t ddi_nat_source_ipid(ddi_nat_src *s, uint16_t id);

/* One sentence per bit, with the values compared. */
void ddi_nat_reason(uint16_t bits, const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, char *buf,
                    size_t len);
const char *ddi_nat_kind_name(unsigned bit);

#endif
