/* decap.h — find the IP header ddi analyses in a captured frame, without
 * Wireshark: the link layers telescopes and the corpus use, then tunnels
 * down to the innermost IP header (never into an ICMP error's quote).
 *
 * The choice mirrors what the plugin gets from Wireshark's dissectors: the
 * innermost IPv4/IPv6 header that ddi_pkt_parse() accepts, stopping at an
 * ICMP error.  Frames whose link layer or encapsulation is not handled are
 * reported with a reason, never guessed at.
 *
 * Pure functions over the frame's bytes: no allocation, every read bounded by
 * the captured length.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_READ_DECAP_H
#define DDI_READ_DECAP_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

/* Link-layer header types (tcpdump.org/linktypes.html).  LINKTYPE_RAW (101)
 * reaches applications as DLT_RAW (12, 14 on OpenBSD): libpcap maps it. */
enum {
    DDI_LT_NULL = 0,
    DDI_LT_ETHERNET = 1,
    DDI_LT_PPP = 9,
    DDI_LT_RAW = 12,
    DDI_LT_RAW_OPENBSD = 14,
    DDI_LT_PPP_HDLC = 50,
    DDI_LT_PPP_ETHER = 51,
    DDI_LT_RAW_LINKTYPE = 101,
    DDI_LT_C_HDLC = 104,
    DDI_LT_LOOP = 108,
    DDI_LT_LINUX_SLL = 113,
    DDI_LT_IPV4 = 228,
    DDI_LT_IPV6 = 229,
    DDI_LT_LINUX_SLL2 = 276,
};

/* Why a frame gives ddi nothing to analyse. */
typedef enum ddi_skip {
    DDI_SKIP_NONE = 0,
    DDI_SKIP_LINKTYPE,      /* link-layer type not handled */
    DDI_SKIP_TRUNCATED,     /* the capture ends inside a link/tunnel header */
    DDI_SKIP_NOT_IP,        /* a protocol other than IP (detail: ethertype / PPP protocol / family) */
    DDI_SKIP_LLC,           /* 802.3 frame with a non-SNAP LLC header */
    DDI_SKIP_MPLS_PAYLOAD,  /* MPLS payload that is not IPv4/IPv6 (pseudowire) */
    DDI_SKIP_BAD_IP,        /* an IP version nibble, but ddi_pkt_parse() refused the header */
    DDI_SKIP_FRAGMENT,      /* an IP fragment: the plugin analyses a datagram once, where Wireshark
                               reassembles it; the reader does not reassemble */
    DDI_SKIP__N
} ddi_skip;

const char *ddi_skip_name(ddi_skip why);

/* Encapsulations crossed on the way to the analysed header (bit set). */
enum {
    DDI_ENC_VLAN = 1u << 0,
    DDI_ENC_MPLS = 1u << 1,
    DDI_ENC_PPPOE = 1u << 2,
    DDI_ENC_IPIP = 1u << 3,  /* IPv4/IPv6 directly in IPv4/IPv6 (4in4, 6in4, 4in6, 6in6) */
    DDI_ENC_GRE = 1u << 4,
    DDI_ENC_GTPU = 1u << 5,
    DDI_ENC_VXLAN = 1u << 6,
    DDI_ENC_SNAP = 1u << 7,
    DDI_ENC_PPP = 1u << 8,
};

typedef struct ddi_decap {
    size_t ip_off;    /* offset of the analysed IP header in the frame */
    ddi_skip skip;    /* DDI_SKIP_NONE when pkt is valid */
    uint32_t detail;  /* with DDI_SKIP_NOT_IP: the protocol number met */
    unsigned encaps;  /* DDI_ENC_* crossed */
} ddi_decap;

/* The encapsulations crossed, as the core's ddi_pkt.encap (DDI_ENCAP_*,
 * reduced to the first explanation of a reduced MSS). */
uint16_t ddi_decap_core_encap(unsigned encaps);

/* Link layer only: the offset of the first (outermost) IP header.  Returns
 * DDI_SKIP_NONE and sets out->ip_off, or the reason. */
ddi_skip ddi_decap_link(int linktype, const uint8_t *frame, size_t caplen, ddi_decap *out);

/* The whole choice: link layer, then tunnels to the innermost IP header that
 * parses; `pkt` is that header parsed with time `ts`.  Returns true when pkt
 * is valid; otherwise out->skip says why. */
bool ddi_decap_frame(int linktype, const uint8_t *frame, size_t caplen, double ts, ddi_decap *out, ddi_pkt *pkt);

/* The next IP header carried by the parsed packet `p` whose header starts at
 * `ip` (`len` captured bytes from there): IP-in-IP, GRE, GTP-U, VXLAN.
 * Returns its offset from `ip`, or 0 when there is none.  Exposed for tests. */
size_t ddi_decap_tunnel(const uint8_t *ip, size_t len, const ddi_pkt *p, unsigned *encaps);

#endif
