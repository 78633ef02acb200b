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
    DDI_NAT_PORT = 1 << 0,     /* source port outside the fingerprinted OS's range */
    DDI_NAT_TTL = 1 << 1,      /* TTL does not fit the fingerprint, or changed for one fingerprint */
    DDI_NAT_MULTI_OS = 1 << 2, /* SYNs of different OS families from one address */
    DDI_NAT_IPID = 1 << 3,     /* interleaved IP-ID counter sequences (several hosts) */
    DDI_NAT_MSS = 1 << 4,      /* MSS clamped below what the window was sized for */
    DDI_NAT__KINDS = 5,
};

/* Per-source memory for the multi-packet kinds; zero = fresh. */
typedef struct ddi_nat_src {
    uint8_t first_family;  /* ddi_os_family of the first fingerprinted SYN */
    uint8_t first_ittl;
    uint8_t last_ttl;      /* of the last SYN with the same fingerprint */
    uint8_t seq_cnt[4];    /* times the IDs came back to each sequence after another one */
    uint16_t seq_head[4];  /* last ID of each sequence */
    uint32_t fp_hash;      /* layout/window/ittl hash of the first SYN */
} ddi_nat_src;

/* Per-packet kinds (port, TTL vs signature, MSS clamp) from a SYN and its OS verdict. */
uint16_t ddi_nat_packet(const ddi_pkt *p, const ddi_os_result *os);
/* Source-level kinds; updates `s` (first pass only). */
uint16_t ddi_nat_source_syn(ddi_nat_src *s, const ddi_pkt *p, const ddi_os_result *os);
/* Track IP-ID sequences (Bellovin, IMW 2002) for packets that are not
 * retransmissions; returns DDI_NAT_IPID once two sequences are established. */
uint16_t ddi_nat_source_ipid(ddi_nat_src *s, uint16_t id);

/* One sentence per bit, with the values compared. */
void ddi_nat_reason(uint16_t bits, const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, char *buf,
                    size_t len);
const char *ddi_nat_kind_name(unsigned bit);

#endif
