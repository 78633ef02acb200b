/* telescope.h — the per-source features telescope pipelines hand their users,
 * and a spoofed-source likelihood with its reasons.
 *
 * CAIDA's flowtuples and Merit ORION's events (docs/references.md#telescope)
 * give, per source: packets and bytes, first and last time, unique
 * destinations, the ports probed and the TTLs seen.  ddi keeps the ones it
 * did not have in 32 bytes a source (ddi_feat_acc, inside ddi_src_acc):
 *   - bytes: the sum of IP datagram lengths (header + payload as the IP
 *     header states them), 48 bits: at most 65535 per packet and 2^32
 *     packets fit;
 *   - destination /24s: a 64-bit linear-counting sketch (summary.h);
 *   - the top DDI_FEAT_TOP_PORTS destination ports with packet counts, a
 *     Space-Saving table (Metwally, Agrawal, El Abbadi 2005): exact while the
 *     source used at most that many ports and sent fewer than 65536 packets
 *     to each, an over-estimate bounded by the evicted counts after that;
 *   - distinct TTLs: the source's minimum and maximum (summary.h) and up to
 *     DDI_FEAT_TTL_MID values in between.
 *
 * Spoofed source: the kinds of test CAIDA's corsaro3 "spoofed" filter runs
 * on each packet (docs/references.md#spoofing), read as evidence, never as
 * proof.  Each reason is weak alone (an address ending in .0 may be a host of
 * a /23); two different reasons, or a packet whose source equals its
 * destination, make a source "likely" spoofed; one reason "possible"; none
 * "unlikely".  The random-source flood is a pattern of the capture, not of one
 * packet: decided when the report is built (ddi_feat_flood_scan).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_TELESCOPE_H
#define DDI_TELESCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "pkt.h"
#include "tools.h"

#define DDI_FEAT_TOP_PORTS 3
#define DDI_FEAT_TTL_MID 2

/* corsaro3's TTL test: a packet with TTL >= 200 (ICMP excepted) left a
 * sender whose initial TTL was 255, which packet-crafting tools use, and so
 * do network equipment and some stacks (docs/references.md#spoofing): ddi
 * leaves out what the capture explains (a tool or OS label that sends 255,
 * masscan's probe shape, answers of any kind) and never counts it for a
 * source seen answering. */
#define DDI_SPOOF_TTL_MIN 200

/* Service ports of UDP answers, whose TTL is the answering server's: DNS
 * (RFC 1035 section 4.2.1), DHCP server to client (RFC 2131 section 4.1). */
#define DDI_PORT_DNS 53
#define DDI_PORT_DHCP_SERVER 67
#define DDI_PORT_DHCP_CLIENT 68

/* A random-source flood, as ddi reads it: at least DDI_FLOOD_MIN_SOURCES
 * sources that each sent at most DDI_FLOOD_MAX_PKTS packets in the whole
 * capture, all to one destination address and port, with first packets
 * within DDI_FLOOD_WINDOW_S seconds of each other.  ddi's own thresholds
 * (docs/references.md#caps): a telescope address sees a few packets an hour
 * from scanners, a flood tens to thousands a second. */
#define DDI_FLOOD_MIN_SOURCES 100
#define DDI_FLOOD_MAX_PKTS 3
#define DDI_FLOOD_WINDOW_S 10.0

enum {
    DDI_FEAT_SP_TTL = 1 << 0,        /* a packet with TTL >= 200 that no tool or OS label explains */
    DDI_FEAT_SP_SELF = 1 << 1,       /* a packet whose source address is its destination */
    DDI_FEAT_SP_PORT0 = 1 << 2,      /* a TCP or UDP packet with source or destination port 0 */
    DDI_FEAT_TTL_MORE = 1 << 3,      /* more distinct TTLs than the set holds */
    DDI_FEAT_PORTS_EVICTED = 1 << 4, /* a port left the top table: counts are upper bounds */
    DDI_FEAT_TARGET = 1 << 5,        /* target holds the digest of the first destination */
    DDI_FEAT_TARGETS = 1 << 6,       /* a later packet went to another destination address */
    DDI_FEAT_PORTLESS = 1 << 7,      /* a packet without a port (ICMP, other protocols) */
};

/* 32 bytes a source: part of ddi_src_acc (summary.h), kept in state files
 * raw, so no pointers. */
typedef struct ddi_feat_acc {
    uint64_t dst24_sketch;        /* destination /24s (IPv4) or /48s (IPv6) */
    uint32_t bytes_lo;            /* sum of IP lengths, low 32 bits */
    uint16_t bytes_hi;            /* and the next 16 */
    uint16_t target;              /* 16-bit digest of the first destination address */
    uint16_t port[DDI_FEAT_TOP_PORTS];
    uint16_t port_n[DDI_FEAT_TOP_PORTS]; /* packets, in units of 2^port_shift */
    uint8_t ttl_mid[DDI_FEAT_TTL_MID];   /* distinct TTLs strictly inside (ttl_min, ttl_max); 0 = empty */
    uint8_t flags;                /* DDI_FEAT_* */
    uint8_t port_shift;           /* counts were halved this many times (a source past 65535 packets to one port) */
} ddi_feat_acc;
_Static_assert(sizeof(ddi_feat_acc) == 32, "features may add 32 bytes a source (WAVE3 budget)");

/* What ddi_summary_observe knows about the packet besides the packet. */
typedef struct ddi_feat_in {
    const ddi_pkt *p;
    bool has_port;        /* the remote service port: TCP/UDP destination, or a backscatter victim's */
    uint16_t port;
    bool ttl_seen;        /* the source had packets before this one */
    uint8_t ttl_min, ttl_max; /* their TTL extremes (before this packet) */
    bool ttl_explained;   /* a scanner or OS label explains a TTL of 255 initial on this packet */
} ddi_feat_in;

void ddi_feat_observe(ddi_feat_acc *f, const ddi_feat_in *in);

/* Per-packet spoof tests (DDI_FEAT_SP_* bits) of one packet alone.  A
 * backscatter-class packet (SYN-ACK, RST, ICMP) answers something: its TTL
 * and ports are the answering host's, whose address is real. */
unsigned ddi_feat_packet_tests(const ddi_pkt *p, bool ttl_explained);

/* Tools whose probes leave with TTL 255 (ZMap <= 4.0, masscan, unicornscan's
 * compiled-in fingerprint): their high TTL is explained. */
bool ddi_tool_sends_ttl255(ddi_tool t);
/* A TTL of 255 initial is what the packet's tool sends, or what the stack its
 * signature matched starts from (an exact or generic match of a named family,
 * never a fuzzy one).  `os` may be NULL. */
bool ddi_ttl255_explained(ddi_tool tool, const ddi_os_result *os);
/* The same for a bitmap of ddi_tool (summary.h's tools). */
bool ddi_tools_send_ttl255(uint16_t tools);

uint64_t ddi_feat_bytes(const ddi_feat_acc *f);

typedef struct ddi_port_count {
    uint16_t port;
    uint32_t packets;     /* the count kept: exact, or an upper bound once a port was evicted */
    uint32_t packets_min; /* a lower bound: the count minus the table's smallest count once a port was
                             evicted (Space-Saving: no entry's error exceeds it); = packets otherwise */
} ddi_port_count;
/* The top ports, most packets first (ties: lower port first); returns how
 * many.  *exact false when a port was evicted or counts were scaled.  Once a
 * port was evicted, an entry whose lower bound is 0 may be one of the ports
 * seen least and is left out: listing it as a "top" port could be refuted by
 * the capture (a port that took its slot late can outnumber it). */
int ddi_feat_ports_top(const ddi_feat_acc *f, ddi_port_count out[DDI_FEAT_TOP_PORTS], bool *exact);

/* Distinct TTLs ascending from the source's extremes and the middle values;
 * returns how many (at most DDI_FEAT_TTL_MID + 2). *complete false when more
 * were seen than kept. */
int ddi_feat_ttls(const ddi_feat_acc *f, bool ttl_seen, uint8_t ttl_min, uint8_t ttl_max,
                  uint8_t out[DDI_FEAT_TTL_MID + 2], bool *complete);

/* ------------------------------------------------------------------ spoofed source */

typedef enum ddi_spoof {
    DDI_SPOOF_UNLIKELY = 0,
    DDI_SPOOF_POSSIBLE,
    DDI_SPOOF_LIKELY,
} ddi_spoof;
const char *ddi_spoof_name(ddi_spoof s); /* "unlikely", "possible", "likely" */

typedef enum ddi_spoof_reason {
    DDI_SR_TTL = 0,      /* TTL >= 200 unexplained */
    DDI_SR_EDGE_ADDR,    /* IPv4 source ending in .0 or .255 */
    DDI_SR_SELF,         /* source == destination */
    DDI_SR_PORT0,        /* port 0 */
    DDI_SR_FLOOD,        /* one of many one-off sources of a flood on one target */
    DDI_SR__COUNT
} ddi_spoof_reason;

typedef struct ddi_spoof_result {
    ddi_spoof level;
    unsigned reasons;        /* 1 << ddi_spoof_reason */
} ddi_spoof_result;

/* Short token of a reason for JSON ("ttl>=200", "src-last-octet-0-or-255",
 * "src==dst", "port-0", "random-source-flood") and its sentence for people. */
const char *ddi_spoof_reason_token(ddi_spoof_reason r);
const char *ddi_spoof_reason_text(ddi_spoof_reason r);

/* The source's likelihood from its per-packet bits (DDI_FEAT_SP_*), its
 * address, its tools (bitmap) and whether the capture's flood scan counted
 * it.  IPv6 sources have no .0/.255 test: no broadcast address, and the
 * all-zero interface identifier is a valid (anycast) address.  `two_way`: the
 * source answered packets sent to it (DDI_SRC_TWO_WAY: it completed a
 * handshake, answered a query, ...), which a forged source cannot: unlikely,
 * with no reason, whatever the tests say. */
ddi_spoof_result ddi_spoof_assess(unsigned sp_bits, const ddi_addr *src, uint16_t tools, bool flood, bool two_way);

/* One packet alone (the ddi.spoof field): its own tests and its source
 * address, without the flood pattern and without the two-way refutation,
 * which need the rest of the capture (the per-source report has both). */
ddi_spoof_result ddi_spoof_packet(const ddi_pkt *p, ddi_tool tool, const ddi_os_result *os);

/* ------------------------------------------------------------------ the flood pattern */

struct ddi_state;
/* One byte per source index (0-based): 1 when the source is one of a
 * random-source flood's (see DDI_FLOOD_*).  NULL when memory ran out; free
 * with free(). */
uint8_t *ddi_feat_flood_scan(const struct ddi_state *st);
/* The same for one source (index + 1), without allocating: cheap for the
 * many sources that sent to more than one target, one walk of the sources
 * otherwise.  A report over many sources uses ddi_feat_flood_scan. */
bool ddi_feat_flood_member(const struct ddi_state *st, uint32_t idx1);

#endif
