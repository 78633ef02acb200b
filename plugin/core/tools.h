/* tools.h — scanner / malware packet fingerprints.
 *
 * Each rule reads header fields of one packet (struct ddi_pkt) and, for the
 * few tools whose signature spans several packets, a small per-source
 * context.  Every rule is a row of ddi_tool_rules[] naming the tool source
 * file it comes from; docs/references.md lists the tools and their sources
 * (rules R1-R9, R19 are numbered there).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_TOOLS_H
#define DDI_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "strbuf.h"

typedef enum ddi_tool {
    DDI_TOOL_NONE = 0,
    DDI_TOOL_ZMAP,        /* ZMap <= 4.0: IP ID 54321 */
    DDI_TOOL_ZMAP_NEW,    /* ZMap >= 4.1: random IP ID, "windows" option set, TTL 64 */
    DDI_TOOL_MASSCAN,
    DDI_TOOL_MIRAI,
    DDI_TOOL_NMAP_SYN,
    DDI_TOOL_NMAP_OS,
    DDI_TOOL_UNICORNSCAN,
    DDI_TOOL_HPING3,
    DDI_TOOL_CRAFTED,     /* generic raw-socket SYN: doff 5, no DF */
    DDI_TOOL_NMAP_OTHER,  /* nmap -sN/-sF/-sX/-sA/-sW/-sM probes (not SYN) */
    DDI_TOOL_NMAP_PING,   /* nmap host discovery: payload-less ICMP echo, ICMP timestamp */
    DDI_TOOL__COUNT
} ddi_tool;
_Static_assert(DDI_TOOL__COUNT <= 16, "ddi_frame_rec keeps a tool in 4 bits");

/* Per-source context for the rules that need several packets: the
 * unicornscan key repeat, the hping3 source port +1 per packet, nmap's
 * shared (sport, seq) across targets, and a constant TCP timestamp.
 * Lives in every source record, so it stays <= 24 bytes.  Zero-initialised
 * means "nothing seen yet".  Treat the fields as private. */
typedef struct ddi_tool_ctx {
    uint32_t uni_key;    /* unicornscan K of the locked-on packet run */
    uint32_t nmap_seq;   /* seq of the last nmap-like SYN */
    uint32_t tsval;      /* last TCP TSval seen from this source */
    uint16_t uni_tgt;    /* 16-bit digest of the (dst, ports) that gave uni_key */
    uint16_t nmap_sport;
    uint16_t nmap_tgt;   /* 16-bit digest of the (dst, dport) of that SYN */
    uint16_t last_sport; /* source port of the previous TCP/UDP packet */
    uint8_t hits;        /* low nibble: packets (distinct targets) that gave uni_key;
                            high nibble: extra targets that got nmap's (sport, seq) */
    uint8_t sport_run : 3; /* consecutive +1 source-port steps at a constant TTL (hping3; saturates at 7) */
    uint8_t ts_hits : 2;   /* packets that repeated tsval (saturates at 3) */
    uint8_t nmap_ttl_n : 3; /* nmap-shaped SYNs, all with TTL nmap_ttl (saturates); DDI_NMAP_TTL_VARIED once another came */
    uint8_t nmap_ttl;    /* TTL of the first nmap-shaped SYN */
    uint8_t last_ttl;    /* TTL of the previous TCP/UDP packet */
} ddi_tool_ctx;

/* nmap draws a new TTL per probe (tcpip.cc build_ip_raw: 37 + rand % 23), so
 * a source whose nmap-shaped SYNs keep one TTL this many times is not nmap
 * ((1/23)^2 < 0.2 % for nmap itself): a tool copying nmap's shape. */
#define DDI_NMAP_TTL_SAME_MAX 3
#define DDI_NMAP_TTL_VARIED 7

/* How a verdict was reached (for the tree and the evidence text).  One row
 * each in ddi_tool_rules[] (tools.c), in match order: the enum follows the
 * table, so the order is visible in one place. */
typedef enum ddi_tool_rule {
    DDI_TR_NONE = 0,
    DDI_TR_ZMAP_SYNACK,     /* R1: ZMap tcp_synackscan module (SYN+ACK probes) */
    DDI_TR_MASSCAN,         /* R3 */
    DDI_TR_MIRAI,           /* R4 */
    DDI_TR_UNICORN_KEY,     /* R9 constant K across >= 3 packets */
    DDI_TR_NMAP_T5,         /* R6 */
    DDI_TR_NMAP_T6,
    DDI_TR_NMAP_T7,
    DDI_TR_NMAP_ECN,
    DDI_TR_ZMAP_SYN,        /* R1: SYN, id 54321, win 65535 */
    DDI_TR_ZMAP_SYN_OPTS,   /* R1 with an option layout ZMap's releases do not send */
    DDI_TR_ZMAP_NEW,        /* R2: windows option set */
    DDI_TR_ZMAP_NEW_ALT,    /* R2: linux / bsd / smallest-probes option sets */
    DDI_TR_NMAP_SYN,        /* R5 */
    DDI_TR_NMAP_SHAPE,      /* nmap's SYN shape with a constant TTL: a crafted SYN, not nmap */
    DDI_TR_UNICORN_FP1,     /* R9 shipped unicorn.conf fingerprint (OpenBSD-like) */
    DDI_TR_UNICORN_FP0,     /* R9 compiled-in fingerprint ("cisco") */
    DDI_TR_HPING3,          /* R8 single packet: ACK flag off, ack != 0 */
    DDI_TR_NMAP_U1,
    DDI_TR_HPING3_SPORT,    /* R8 across packets: sport +1 */
    DDI_TR_NMAP_OTHER,      /* -sN/-sF/-sX/-sA/-sW/-sM */
    DDI_TR_CRAFTED,         /* R19 */
    DDI_TR_NMAP_PING_TS,    /* R7: timestamp request */
    DDI_TR_NMAP_PING_ECHO,  /* R7: echo request without payload */
    DDI_TR_NMAP_IE1,
    DDI_TR_NMAP_IE2,
    DDI_TR_ZMAP_ICMP,       /* R1: ICMP echo with id 54321 */
    DDI_TR__COUNT
} ddi_tool_rule;

/* Details of one verdict.  All strings are static. */
typedef struct ddi_tool_match {
    ddi_tool tool;
    ddi_tool_rule rule;
    bool multi;          /* confirmed by several packets of the same source */
    const char *variant; /* version / variant note, or NULL */
} ddi_tool_match;

/* nmap draws the TTL of every raw probe as 37 + rand() % 23 (tcpip.cc
 * build_ip_raw, docs/references.md#nmap): an observed TTL above 59 was not
 * sent by nmap with its default TTL.  One bound for the SYN, non-SYN and
 * ping rules. */
#define DDI_NMAP_TTL_MIN 37
#define DDI_NMAP_TTL_MAX 59
/* IPDEFTTL (64): the initial TTL of ZMap >= 4.1, hping3 and unicornscan's
 * fingerprint 1 (docs/references.md#ttl). */
#define DDI_IPDEFTTL 64

struct rule_in;
typedef struct ddi_tool_rule_row ddi_tool_rule_row;

/* One row per rule.  `match` runs on packets of the protocols in `protos`
 * (bits 1 << DDI_L4_*) and fills the verdict; NULL for a rule reached only
 * through the match of row `via`.  `evidence` writes the values compared and
 * cites `source` (the tool's file or the article the fact comes from). */
struct ddi_tool_rule_row {
    ddi_tool_rule id;
    const char *name;
    ddi_tool tool;
    unsigned protos;
    bool (*match)(const struct rule_in *in, ddi_tool_match *m);
    ddi_tool_rule via;
    void (*evidence)(const ddi_tool_rule_row *r, const ddi_pkt *p, ddi_sb *s);
    const char *source;
};

/* One row per tool. */
typedef struct ddi_tool_row {
    ddi_tool id;
    const char *name;        /* "ZMap", "masscan", ... */
    bool stateless;          /* never retransmits a probe: a repeat is a new probe */
    ddi_tool_rule explain;   /* rule explained when only the tool is known (multi-packet rule, else main rule) */
    const char *source;      /* where the retransmission behaviour comes from */
} ddi_tool_row;

extern const ddi_tool_rule_row ddi_tool_rules[DDI_TR__COUNT];
extern const ddi_tool_row ddi_tools[DDI_TOOL__COUNT];

/* 0 when every row of both tables is complete (id = index, names, evidence
 * function, source, tool, and a match function or a row that reaches it);
 * else a 1-based position (tools first, then rules) and *why.  The unit
 * test runs it on the real tables and on broken copies. */
int ddi_tool_table_check(const ddi_tool_rule_row *rules, size_t nrules, const ddi_tool_row *tools, size_t ntools,
                         const char **why);

/* Classify one packet (first pass, in capture order); updates ctx if
 * non-NULL.  Cheap: no allocation, no strings. */
ddi_tool ddi_tool_classify(ddi_tool_ctx *ctx, const ddi_pkt *p);
/* The same, with the details; `m` may be NULL. */
ddi_tool ddi_tool_classify_ex(ddi_tool_ctx *ctx, const ddi_pkt *p, ddi_tool_match *m);

/* "ZMap", "masscan", "Mirai", "nmap SYN scan", "nmap OS probe",
 * "unicornscan", "hping3", "crafted SYN", ... */
const char *ddi_tool_name(ddi_tool t);
/* Short name of a rule, e.g. "nmap OS T7" (for a tree item). */
const char *ddi_tool_rule_name(ddi_tool_rule r);

/* Human-readable evidence for a verdict already reached: the values
 * compared and the rule's source, e.g.
 * "IP ID 9148 = (dst ^ dport ^ seq) & 0xffff = 9148; window 1024; TTL 243
 *  (masscan src/templ-pkt.c)".  Always NUL-terminates when len > 0. */
void ddi_tool_evidence(ddi_tool t, const ddi_pkt *p, char *buf, size_t len);
/* Evidence for a detailed verdict (names the multi-packet rule and variant). */
void ddi_tool_match_evidence(const ddi_tool_match *m, const ddi_pkt *p, char *buf, size_t len);

/* The source's nmap-shaped probes kept one TTL DDI_NMAP_TTL_SAME_MAX times
 * or more, where nmap draws one per probe: its earlier nmap labels were
 * refuted (the whole-source view drops them). */
bool ddi_tool_nmap_refuted(const ddi_tool_ctx *ctx);

/* Raw-socket tools that never retransmit a probe (ZMap, masscan, Mirai,
 * unicornscan, hping3): a repeat from them is a new probe, not a retry. */
bool ddi_tool_is_stateless(ddi_tool t);

/* unicornscan's per-scan key recovered from one TCP probe (IPv4):
 * K = seq ^ bswap32(dst) ^ ((dport << 16) + sport).  Exposed for tests. */
uint32_t ddi_tool_unicorn_key(const ddi_pkt *p);

#endif
