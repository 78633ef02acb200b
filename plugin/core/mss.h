/* mss.h — what a SYN's MSS says about the sender's link.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_MSS_H
#define DDI_MSS_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

typedef struct ddi_link {
    uint16_t mss;
    uint16_t mtu;        /* MSS + 40 (IPv4) or + 60 (IPv6): the implied link MTU */
    const char *label;   /* e.g. "PPPoE (RFC 2516)" */
    const char *source;  /* where the MTU value comes from */
    bool pppoe;          /* the value a PPPoE access link gives or is clamped to */
    bool reduced;        /* below a plain 1500-byte Ethernet MTU */
    const char *tunnel;  /* encapsulation in the frame that explains the reduced MTU, e.g. "VXLAN"; NULL if none */
} ddi_link;

/* Look up the MSS of a SYN.  Returns false for MSS 0 (no link can be read
 * from it); unknown values still fill mtu/reduced with a generic label. */
bool ddi_mss_link(uint8_t ipver, uint16_t mss, ddi_link *out);

/* The same, knowing the encapsulations in the frame outside the analysed
 * header (ddi_pkt.encap, DDI_ENCAP_*).  A reduced MTU is first explained by a
 * tunnel visible in the frame (VXLAN, Geneve, GRE, IPsec, WireGuard, GTP-U,
 * MPLS, L2TP, Teredo, IP-in-IP): then it is not called PPPoE.  A PPPoE
 * header in the frame confirms PPPoE. */
bool ddi_mss_link_encap(uint8_t ipver, uint16_t mss, uint16_t encap, ddi_link *out);

/* The window of a SYN is a multiple of 1460 (or 1448 with timestamps) while
 * the MSS is smaller: the window was sized for an unclamped Ethernet MSS and
 * a box on the path rewrote the MSS (p0f v2 "NAT!" heuristic). */
bool ddi_mss_clamped(uint16_t win, uint16_t mss, bool has_ts, uint16_t *orig_mss);

#endif
