/* backscatter.h — replies from victims of spoofed-source attacks.
 *
 * A host attacked with packets whose source addresses were forged answers
 * the forged addresses; the answers that land in the darknet are
 * backscatter (Moore, Voelker, Savage 2001).  The classes and the victim
 * rules follow CAIDA corsaro3 (docs/references.md#backscatter):
 *   - corsaro_is_backscatter_packet() (libcorsaro/libcorsaro_plugin.c):
 *     TCP SYN+ACK or RST; ICMP types 0, 3, 4, 5, 11, 12, 14, 16, 18; UDP never;
 *   - the dos plugin (plugins/corsaro_dos.c process_icmp_packet()): the
 *     victim is the outer source, or the quoted destination of an ICMP error,
 *     with the first 4 bytes after the quoted IP header as ports.
 * Deviations (documented in backscatter.c): TCP packets that combine SYN
 * with FIN or RST (e.g. all flags set) are not backscatter; ICMPv6 is
 * handled (errors 1-4, echo reply 129); an ICMP error whose quoted packet
 * was not sent from this packet's destination (or has no quote) still
 * gets its class, but no victim is claimed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_BACKSCATTER_H
#define DDI_BACKSCATTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "seen.h"

typedef enum ddi_bs_kind {
    DDI_BS_NONE = 0,
    DDI_BS_SYNACK,
    DDI_BS_RST,
    DDI_BS_RSTACK,
    DDI_BS_ICMP_UNREACH,     /* v4 type 3, v6 type 1 */
    DDI_BS_ICMP_TIMEX,       /* v4 type 11, v6 type 3 */
    DDI_BS_ICMP_OTHER_ERR,   /* v4 4 (source quench), 5 (redirect), 12 (parameter problem); v6 2, 4 */
    DDI_BS_ECHO_REPLY,       /* v4 type 0, v6 type 129 */
    DDI_BS_ICMP_OTHER_REPLY, /* v4 timestamp (14), information (16), address-mask (18) replies */
    DDI_BS__COUNT
} ddi_bs_kind;

typedef struct ddi_bs_result {
    ddi_bs_kind kind;
    ddi_addr victim;       /* host under attack: outer src, or the quoted dst for ICMP errors;
                              family 0 when not claimed (see victim_known) */
    bool has_port;
    uint16_t victim_port;  /* TCP/UDP service port of the victim */
    uint8_t proto;         /* protocol of the attack traffic (6, 17, 1, 58; 0 if unknown) */

    /* additions */
    bool victim_known;     /* victim is set */
    ddi_addr responder;    /* who sent this packet (outer src): the victim itself, or for an
                              ICMP error possibly a router on the way to it */
    bool has_spoofed_port;
    uint16_t spoofed_port; /* our (forged) port the attack used: TCP dport, or quoted sport */
    bool from_quote;       /* victim and ports come from the ICMP-quoted header */
    bool no_quote;         /* ICMP error without a usable quoted header */
    bool quote_mismatch;   /* quoted source != this packet's destination: the quoted packet
                              was not sent from this darknet address (corsaro3 counts these as
                              "mismatches"); the victim is not claimed */
    ddi_addr quoted_src, quoted_dst; /* the quoted addresses, when a quote was parsed */
} ddi_bs_result;

/* True when the packet is backscatter (any kind); *out is always filled
 * (kind DDI_BS_NONE when false).  Cheap: no allocation, no strings. */
bool ddi_backscatter_classify(const ddi_pkt *p, ddi_bs_result *out);

/* "SYN-ACK", "RST", "RST-ACK", "ICMP unreachable", "ICMP time exceeded",
 * "ICMP error", "echo reply", "ICMP reply" */
const char *ddi_backscatter_name(ddi_bs_kind k);

/* e.g. "SYN-ACK from 203.0.113.5:80 to darknet port 51234: the victim
 * answered a SYN forged with this address (corsaro3 libcorsaro_plugin.c)" */
void ddi_backscatter_evidence(const ddi_bs_result *r, const ddi_pkt *p, char *buf, size_t len);

/* ------------------------------------------------ what the capture shows
 *
 * The classes above describe a telescope, where the darknet address never
 * sends: any reply arriving there answers a packet forged with it.  When the
 * capture shows the packet being answered, the reply is part of an observed
 * exchange instead (a client capture, a scanner's own capture, a traceroute),
 * and claiming backscatter would contradict the capture. */
typedef enum ddi_bs_seen {
    DDI_BS_SEEN_NONE = 0,    /* nothing earlier in the capture explains the packet */
    DDI_BS_SEEN_ANSWERS_SYN, /* answers a SYN its destination sent earlier (same addresses and ports) */
    DDI_BS_SEEN_ANSWERS_PKT, /* answers another packet its destination sent earlier in that flow */
    DDI_BS_SEEN_OWN_CONN,    /* an RST in a connection its sender had sent packets of earlier */
    DDI_BS_SEEN_QUOTES_SENT, /* an ICMP error quoting a packet seen sent earlier */
    DDI_BS_SEEN_ANSWERS_REQ, /* an ICMP reply to a request seen sent earlier */
    DDI_BS_SEEN_QUOTES_REPLY, /* an ICMP error quoting the reply to a packet seen sent earlier (e.g. a
                                 client's port unreachable for a late DNS or NetBIOS answer) */
    DDI_BS_SEEN__COUNT
} ddi_bs_seen;

/* Which lookups are worth making: a key can only be there if its sender has
 * sent packets before (a darknet address never has). */
typedef struct ddi_bs_gate {
    bool dst_sent;        /* the packet's destination has sent packets earlier */
    bool src_sent_tcp;    /* the packet's source has sent a SYN, or a TCP packet that was no backscatter,
                             earlier: the only keys the RST check looks up.  A telescope's backscatter
                             victims send nothing else, so their RSTs are never looked up (a lookup
                             among n keys errs with probability n / 2^32, seen.h) */
    bool quoted_src_sent; /* the source of an ICMP error's quoted packet has sent packets earlier */
    bool quoted_dst_sent_flow; /* its destination has sent a SYN, a TCP packet that was no backscatter, or
                                  UDP earlier: the only keys the "quoted reply" check looks up (a victim
                                  answering forged probes with ICMP errors sends nothing else) */
} ddi_bs_gate;

/* What earlier packets of the capture this packet answers (for any packet,
 * backscatter class or not: a UDP or TCP answer shows two-way traffic too).
 * `cls` is the packet's backscatter class from ddi_backscatter_classify(). */
ddi_bs_seen ddi_backscatter_seen(const ddi_seen_set *set, const ddi_pkt *p, const ddi_bs_result *cls,
                                 const ddi_bs_gate *gate);

/* Remember what this packet shows its source sending; `backscatter` is the
 * final verdict for it (class and nothing seen).  Batched (seen.h). */
void ddi_backscatter_record(ddi_seen_set *set, const ddi_pkt *p, bool backscatter);

/* True for the reasons that show the other side talking back (all but
 * DDI_BS_SEEN_OWN_CONN, which a one-way flood of SYN-then-RST also shows). */
bool ddi_backscatter_seen_two_way(ddi_bs_seen s);

/* "answers a SYN seen earlier", ... */
const char *ddi_backscatter_seen_name(ddi_bs_seen s);

/* e.g. "SYN-ACK from 17.253.5.1:443 answers the SYN 10.0.0.2:50212 sent
 * earlier in this capture: an observed exchange, not backscatter" */
void ddi_backscatter_seen_evidence(ddi_bs_seen s, const ddi_bs_result *cls, const ddi_pkt *p, char *buf,
                                   size_t len);

#endif
