/* fields-ddi.h — ddi's output fields: one row each.
 *
 * A row is X(ID, name, abbreviation, type, display, strings, text, blurb):
 * the field's Wireshark registration, plus which of the verdict's texts its
 * value is built from (DDI_TEXT_*: formatted only when a reader of such a
 * field exists: a filter, a column, -e, the details view; see
 * ddi_fields_text()).  Registration, the ids (HF(ID)) and the text gate are
 * generated from these rows, so adding a field is one row here plus the
 * line in packet-ddi.c that puts it in the tree; a row that lacks a piece
 * does not compile.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_FIELDS_H
#define DDI_FIELDS_H

#include <glib.h>

#include <epan/proto.h>

#include "core/analyze.h"

/* which verdict text a field's value needs (analyze.h's DDI_EXPLAIN_*) */
#define DDI_TEXT_NONE 0u
#define DDI_TEXT_SUMMARY ((unsigned)DDI_EXPLAIN_SUMMARY)
#define DDI_TEXT_EVIDENCE ((unsigned)DDI_EXPLAIN_EVIDENCE)
#define DDI_TEXT_SENDER ((unsigned)DDI_EXPLAIN_SENDER) /* not text alone: the whole-capture verdict */

/* clang-format off */
#define DDI_FIELD_ROWS(X) \
    X(VERDICT, "Verdict", "ddi.verdict", FT_STRING, BASE_NONE, NULL, DDI_TEXT_SUMMARY, \
      "One line: what ddi concluded about this packet's source") \
    X(IPID_GAP, "IP ID gap", "ddi.ipid.gap", FT_UINT16, BASE_DEC, NULL, DDI_TEXT_NONE, \
      "IP ID minus the previous IP ID of the same source, modulo 65536") \
    X(IPID_DT, "IP ID time delta", "ddi.ipid.dt", FT_DOUBLE, BASE_NONE | BASE_UNIT_STRING, DDI_UNITS(&units_seconds), DDI_TEXT_NONE, \
      "Seconds since the previous packet of the same source") \
    X(IPID_RATE, "Sender packet rate", "ddi.ipid.rate", FT_DOUBLE, BASE_NONE | BASE_UNIT_STRING, DDI_UNITS(&units_pkts_per_sec), DDI_TEXT_NONE, \
      "Counter advance / time from the source's first IP-ID sample to this packet: packets per second the " \
      "source sent in all (counter classes only; needs >= 0.2 s or >= 10 samples)") \
    X(IPID_SAMPLES, "IP ID samples", "ddi.ipid.samples", FT_UINT32, BASE_DEC, NULL, DDI_TEXT_NONE, \
      "The source's IP IDs in its counter sequence so far: the rate's basis") \
    X(IPID_SPAN, "IP ID span", "ddi.ipid.span", FT_DOUBLE, BASE_NONE | BASE_UNIT_STRING, DDI_UNITS(&units_seconds), DDI_TEXT_NONE, \
      "Seconds from the source's first IP-ID sample to this packet: the rate's basis") \
    X(IPID_CLASS, "IP ID class", "ddi.ipid.class", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "How the source sets IP IDs so far: global counter, byte-swapped counter, per-destination, random, " \
      "zero, constant") \
    X(IPID_NORATE, "No rate because", "ddi.ipid.norate", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "Why no packet rate is derived from the IP ID") \
    X(RETRY_BACKOFF, "Retry backoff", "ddi.retry.backoff", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "How the gaps between retransmissions grow") \
    X(CONFICKER_STATUS, "Conficker-style check", "ddi.conficker.status", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "yes / no / undetermined, with the reason (whole-capture verdict)") \
    X(SENDER, "Sender type", "ddi.sender", FT_STRING, BASE_NONE, NULL, DDI_TEXT_SENDER, \
      "Whether this source retransmits its SYNs: stateful (a kernel stack) or stateless (a raw-socket " \
      "scanner); whole-capture verdict") \
    X(RETRY_COUNT, "SYN retransmission count", "ddi.retry.count", FT_UINT8, BASE_DEC, NULL, DDI_TEXT_NONE, \
      "Earlier SYNs with the same addresses, ports and sequence number") \
    X(RETRY_INTERVAL, "SYN retransmission interval", "ddi.retry.interval", FT_DOUBLE, BASE_NONE | BASE_UNIT_STRING, DDI_UNITS(&units_seconds), DDI_TEXT_NONE, \
      "Seconds since the previous SYN of this connection") \
    X(RETRY_FIRST_GAP, "First retransmission gap", "ddi.retry.first_gap", FT_DOUBLE, BASE_NONE | BASE_UNIT_STRING, DDI_UNITS(&units_seconds), DDI_TEXT_NONE, \
      "Seconds from the first SYN to the second: the initial RTO") \
    X(RETRY_RTO, "Retry schedule", "ddi.retry.schedule", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "What the retransmission timing says about the stack") \
    X(CONFICKER, "Conficker-style retry", "ddi.conficker", FT_BOOLEAN, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "Exactly one SYN retransmission ~3 s after the first SYN to tcp/" G_STRINGIFY(DDI_CONFICKER_PORT) \
      ", then silence (whole-capture verdict: GUI and tshark -2 only)") \
    X(CONFICKER_OBSERVED, "Observed after first SYN", "ddi.conficker.observed", FT_DOUBLE, BASE_NONE | BASE_UNIT_STRING, DDI_UNITS(&units_seconds), DDI_TEXT_NONE, \
      "Capture time available after this connection's first SYN") \
    X(OS, "Probable OS", "ddi.os", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "Best OS label for the sender of this SYN") \
    X(OS_FAMILY, "OS family", "ddi.os.family", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      NULL) \
    X(OS_MATCH, "OS match quality", "ddi.os.match", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "exact / generic / fuzzy (p0f tiers) or heuristic (ddi rules)") \
    X(OS_SIG, "p0f raw signature", "ddi.os.sig", FT_STRING, BASE_NONE, NULL, DDI_TEXT_EVIDENCE, \
      "This SYN in p0f v3 raw_sig notation (paste into a .fp file to add a signature)") \
    X(OS_EVIDENCE, "OS evidence", "ddi.os.evidence", FT_STRING, BASE_NONE, NULL, DDI_TEXT_EVIDENCE, \
      "The facts that led to the OS label, and the ones that point elsewhere") \
    X(CLUE, "Clue", "ddi.clue", FT_STRING, BASE_NONE, NULL, DDI_TEXT_EVIDENCE, \
      "One piece of evidence, as a separate item (tree labels are cut at 240 characters)") \
    X(TTL_INITIAL, "Initial TTL", "ddi.ttl.initial", FT_UINT8, BASE_DEC, NULL, DDI_TEXT_NONE, \
      NULL) \
    X(TTL_DISTANCE, "Hop distance", "ddi.ttl.distance", FT_INT32, BASE_DEC, NULL, DDI_TEXT_NONE, \
      "Initial TTL minus observed TTL") \
    X(MSS, "MSS", "ddi.mss", FT_UINT16, BASE_DEC, NULL, DDI_TEXT_NONE, \
      NULL) \
    X(MSS_MTU, "Implied link MTU", "ddi.mss.mtu", FT_UINT16, BASE_DEC, NULL, DDI_TEXT_NONE, \
      "MSS + 40 (IPv4) or + 60 (IPv6)") \
    X(MSS_LINK, "Link type", "ddi.mss.link", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      NULL) \
    X(MSS_PPPOE, "PPPoE-sized MSS", "ddi.mss.pppoe", FT_BOOLEAN, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "The MSS is what a PPPoE access link gives or is clamped to") \
    X(NAT, "NAT / middle box suspected", "ddi.nat", FT_BOOLEAN, BASE_NONE, NULL, DDI_TEXT_NONE, \
      NULL) \
    X(NAT_REASON, "NAT reason", "ddi.nat.reason", FT_STRING, BASE_NONE, NULL, DDI_TEXT_EVIDENCE, \
      NULL) \
    X(NAT_KIND, "NAT evidence kind", "ddi.nat.kind", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "One item per kind of evidence: source port, TTL, several OS, IP-ID sequences, MSS clamp") \
    X(TOOL, "Scanning tool", "ddi.tool", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "Scanner or malware whose packet fingerprint this packet matches") \
    X(TOOL_EVIDENCE, "Tool evidence", "ddi.tool.evidence", FT_STRING, BASE_NONE, NULL, DDI_TEXT_EVIDENCE, \
      NULL) \
    X(BS, "Backscatter", "ddi.backscatter", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "A reply to traffic spoofed from the darknet address") \
    X(BS_VICTIM, "Victim", "ddi.backscatter.victim", FT_IPv4, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "Host under attack (the replier, or the quoted destination of an ICMP error)") \
    X(BS_VICTIM6, "Victim (IPv6)", "ddi.backscatter.victim6", FT_IPv6, BASE_NONE, NULL, DDI_TEXT_NONE, \
      NULL) \
    X(BS_PORT, "Victim port", "ddi.backscatter.port", FT_UINT16, BASE_DEC, NULL, DDI_TEXT_NONE, \
      NULL) \
    X(BS_EVIDENCE, "Backscatter evidence", "ddi.backscatter.evidence", FT_STRING, BASE_NONE, NULL, DDI_TEXT_EVIDENCE, \
      NULL) \
    X(EXCHANGE, "Answers a captured packet", "ddi.exchange", FT_STRING, BASE_NONE, NULL, DDI_TEXT_EVIDENCE, \
      "A reply of a backscatter class (SYN-ACK, RST, ICMP error or reply) that answers a packet seen " \
      "earlier in this capture: an observed exchange, not backscatter") \
    X(TWOWAY, "Two-way traffic", "ddi.twoway", FT_BOOLEAN, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "Set on the packet where the capture first shows a host answering a packet seen earlier: the capture " \
      "is no pure telescope, and telescope-only claims are qualified from here on") \
    X(SYNACK_OS, "SYN-ACK sender OS", "ddi.synack.os", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "OS of the host that sent this SYN-ACK (a backscatter victim or a scanned server), from p0f's " \
      "[tcp:response] signatures: exact or generic matches of an OS stack only") \
    X(SYNACK_OS_MATCH, "SYN-ACK OS match quality", "ddi.synack.os.match", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "exact / generic (p0f tiers)") \
    X(SPOOF, "Spoofed source", "ddi.spoof", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "Likelihood that this packet's source address is forged, from this packet alone: \"possible\" " \
      "(one of corsaro3's kinds of test matched), \"likely\" (two, or source = destination); never " \
      "certain. The per-source report also weighs the capture's random-source flood pattern") \
    X(SPOOF_REASON, "Spoofing reason", "ddi.spoof.reason", FT_STRING, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "A test that matched: TTL >= 200 no scanner or OS label explains, source ending in .0 or " \
      ".255, source = destination, TCP/UDP port 0") \
    X(RETRY_DUPLICATE, "SYN duplicate", "ddi.retry.duplicate", FT_BOOLEAN, BASE_NONE, NULL, DDI_TEXT_NONE, \
      "A copy of an earlier SYN (same addresses, ports, ISN) less than 0.2 s later: faster than any stack's" \
      " retransmission timer (RFC 6298 1 s initial RTO; Linux TCP_RTO_MIN 200 ms), so no retry")
/* clang-format on */

typedef enum {
#define DDI_FIELD_ENUM(id, ...) DDI_F_##id,
    DDI_FIELD_ROWS(DDI_FIELD_ENUM)
#undef DDI_FIELD_ENUM
    DDI_F__COUNT
} ddi_field;

/* registered ids, by row; HF(OS) is the id of ddi.os */
extern int ddi_hf[DDI_F__COUNT];
#define HF(id) (ddi_hf[DDI_F_##id])
/* their registration records (stable after registration): whether a filter,
 * column or -e references a field is one load, where
 * proto_registrar_get_nth() is a call with checks, and the glue asks this
 * for every item of every packet */
extern header_field_info *ddi_hfi[DDI_F__COUNT];
#define HFI(id) (ddi_hfi[DDI_F_##id])

/* register every row's field under the protocol */
void ddi_fields_register(int proto);

/* The verdict texts some field referenced in this packet (a filter, a
 * column, -e) needs; the rows without text are not looked at. */
unsigned ddi_fields_text(void);

/* Whether each row's field is referenced now, one byte a row, and the
 * texts such a snapshot needs: for a caller that knows the answers hold for
 * many packets (packet-ddi.c, pass_reads) and reads them once. */
void ddi_fields_referenced(guint8 ref[DDI_F__COUNT]);
unsigned ddi_fields_text_of(const guint8 ref[DDI_F__COUNT]);

#endif
