/* nat.c — NAT / middle-box evidence kinds (docs/references.md#nat).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "nat.h"

#include <string.h>

#include "hash.h"
#include "iana_ports.h"
#include "mss.h"
#include "strbuf.h"

/* Bellovin 2002 counts hosts as separate linear ID sequences; a sequence
 * step above this is taken as a new sequence.  Small, so that random IDs
 * rarely extend a sequence by chance (4 * 512 / 65536 = 3 % per packet). */
#define NAT_SEQ_MAX_STEP 512
#define NAT_SEQ_MIN_MEMBERS 4

bool ddi_nat_os_confident(const ddi_os_result *os)
{
    return (os->match == DDI_OSM_EXACT || os->match == DDI_OSM_GENERIC) && !os->fp.userland &&
           os->family != DDI_OS_TOOL && os->family != DDI_OS_UNKNOWN;
}

/* RFC 6335 §6: System Ports 0-1023, User Ports 1024-49151. */
#define NAT_SYSTEM_PORT_MAX 1023
#define NAT_USER_PORT_MAX 49151

bool ddi_nat_service_port(uint16_t sport, uint16_t dport, const char **why)
{
    const char *w = NULL;
    if (sport <= NAT_SYSTEM_PORT_MAX)
        w = "an IANA System Port (0-1023), which clients bind on purpose";
    else if (sport == dport)
        w = "equal to the destination port (a symmetric protocol binds its own port)";
    else if (sport <= NAT_USER_PORT_MAX && ddi_iana_tcp_registered(sport))
        w = "an IANA-registered TCP service port, which applications bind on purpose";
    if (why)
        *why = w;
    return w != NULL;
}

static bool port_outside(const ddi_pkt *p, const ddi_os_result *os)
{
    uint16_t lo[2], hi[2];
    const char *nm[2];
    if (!ddi_nat_os_confident(os) || ddi_nat_service_port(p->tcp.sport, p->tcp.dport, NULL))
        return false;
    int n = ddi_os_port_ranges(os->family, os->era, lo, hi, nm);
    return n && ddi_port_range_index(p->tcp.sport, n, lo, hi) < 0;
}

uint16_t ddi_nat_packet(const ddi_pkt *p, const ddi_os_result *os)
{
    uint16_t bits = 0;
    if (!ddi_pkt_is_syn(p))
        return 0;
    if (port_outside(p, os))
        bits |= DDI_NAT_PORT;
    /* A TTL that the matched signature cannot explain makes p0f's match
     * fuzzy, and a fuzzy match is no baseline for NAT (ddi_nat_os_confident):
     * the per-packet TTL kind is gone.  TTL evidence is source-level only. */
    if (p->tcp.has_mss && ddi_mss_clamped(p->tcp.win, p->tcp.mss, p->tcp.has_ts, NULL))
        bits |= DDI_NAT_MSS;
    return bits;
}

static uint32_t fp_hash(const ddi_pkt *p, uint8_t ittl)
{
    uint32_t h = ddi_fnv1a(DDI_FNV1A_INIT, p->tcp.olayout, p->tcp.nopt);
    h = ddi_fnv1a_step(h, p->tcp.win);
    h = ddi_fnv1a_step(h, ittl);
    return h | 1; /* never 0: 0 means "not set" */
}

/* ddi_nat_src packs these into 4 bits each, in every source record (state.h) */
_Static_assert(DDI_OS__COUNT <= 16, "ddi_nat_src.first_family has 4 bits");
_Static_assert(DDI_NAT_TTL_MIN_MOVES <= DDI_NAT_TTL_MOVES_MAX && DDI_NAT_TTL_MOVES_MAX <= 15,
               "ddi_nat_src.ttl_moves has 4 bits");
_Static_assert(sizeof(ddi_nat_src) == 20, "ddi_nat_src is in every source record (state.h)");

uint16_t ddi_nat_source_syn(ddi_nat_src *s, const ddi_pkt *p, const ddi_os_result *os, bool first_syn)
{
    uint16_t bits = 0;
    if (!ddi_pkt_is_syn(p) || !first_syn || !ddi_nat_os_confident(os))
        return 0;
    uint32_t h = fp_hash(p, os->fp.ittl);
    if (!s->first_family) {
        s->first_family = (uint8_t)os->family;
        s->first_ittl = os->fp.ittl;
        s->fp_hash = h;
        s->last_ttl = s->first_ttl = p->ttl;
        return 0;
    }
    /* p0f score_nat(): a different OS behind one address scores highest (+8) */
    if (s->first_family != os->family)
        bits |= DDI_NAT_MULTI_OS;
    if (h == s->fp_hash) {
        /* p0f score_nat(): same fingerprint, TTL moved by more than 2 hops */
        int d = (int)p->ttl - (int)s->last_ttl;
        if ((d > 2 || d < -2) && s->ttl_moves < DDI_NAT_TTL_MOVES_MAX)
            s->ttl_moves++;
        s->last_ttl = p->ttl;
        if (s->ttl_moves >= DDI_NAT_TTL_MIN_MOVES && p->ttl != s->first_ttl)
            bits |= DDI_NAT_TTL;
    }
    return bits;
}

/* Slot 0 always holds the sequence of the previous packet (move to front).
 * A sequence's count grows only when the counter is RETURNED to after
 * another sequence had a packet: interleaving is what tells several hosts
 * from one.  Counting plain members instead flagged one host whose counter
 * sometimes jumps by more than NAT_SEQ_MAX_STEP (each jump starts a new run,
 * and two runs of 4 members looked like two hosts: 100 % of sources with
 * steps of 1..1000), and random IDs (chance extensions piled up in slots
 * that were never evicted: ~90 % of 500-packet random-ID sources).  An ID
 * that fits no sequence while all slots are in use counts against all of
 * them (Misra-Gries): chance sequences fade, real ones keep growing. */
uint16_t ddi_nat_source_ipid(ddi_nat_src *s, uint16_t id)
{
    int best = -1, empty = -1;
    uint16_t best_step = 0;
    for (int i = 0; i < 4; i++) {
        if (!s->seq_cnt[i]) {
            if (empty < 0)
                empty = i;
            continue;
        }
        uint16_t step = (uint16_t)(id - s->seq_head[i]);
        if (step && step <= NAT_SEQ_MAX_STEP && (best < 0 || step < best_step)) {
            best = i;
            best_step = step;
        }
    }
    int slot = -1;
    if (best >= 0) {
        slot = best;
        if (slot != 0 && s->seq_cnt[slot] < 255) /* a return after another sequence */
            s->seq_cnt[slot]++;
    } else if (empty >= 0) {
        slot = empty;
        s->seq_cnt[slot] = 1;
    } else {
        for (int i = 0; i < 4; i++)
            s->seq_cnt[i]--; /* all non-zero here */
        for (int i = 0; i < 4 && slot < 0; i++)
            if (!s->seq_cnt[i])
                slot = i;
        if (slot >= 0)
            s->seq_cnt[slot] = 1;
    }
    if (slot >= 0) {
        s->seq_head[slot] = id;
        if (slot) {
            uint8_t c = s->seq_cnt[slot];
            s->seq_cnt[slot] = s->seq_cnt[0];
            s->seq_head[slot] = s->seq_head[0];
            s->seq_cnt[0] = c;
            s->seq_head[0] = id;
        }
    }
    int established = 0;
    for (int i = 0; i < 4; i++)
        established += s->seq_cnt[i] >= NAT_SEQ_MIN_MEMBERS;
    return established >= 2 ? DDI_NAT_IPID : 0;
}

/* ------------------------------------------------------ one row per kind */

static void reason_port(const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, ddi_sb *b)
{
    (void)s;
    uint16_t lo[2], hi[2];
    const char *nm[2];
    int n = ddi_os_port_ranges(os->family, os->era, lo, hi, nm);
    if (n == 2)
        ddi_sb_clause(b, "source port %u lies outside both the %s range %u-%u and the %s range %u-%u of the "
                         "fingerprinted OS",
                      p->tcp.sport, nm[0], lo[0], hi[0], nm[1], lo[1], hi[1]);
    else if (n == 1)
        ddi_sb_clause(b, "source port %u lies outside the %s range %u-%u of the fingerprinted OS", p->tcp.sport,
                      nm[0], lo[0], hi[0]);
}

static void reason_ttl(const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, ddi_sb *b)
{
    ddi_sb_clause(b, "TTL %u, against %u on the first SYN with the same %s fingerprint (initial TTL %u): the TTL "
                     "moved by more than 2 hops at least %u times (one move alone can be a route change)",
                  p->ttl, s ? s->first_ttl : 0, ddi_os_family_name(os->family), os->fp.ittl, DDI_NAT_TTL_MIN_MOVES);
}

static void reason_multi_os(const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, ddi_sb *b)
{
    (void)p, (void)os;
    ddi_sb_clause(b, "this address also sent %s SYNs (initial TTL %u): several hosts share it",
                  ddi_os_family_name((ddi_os_family)(s ? s->first_family : 0)), s ? s->first_ittl : 0);
}

static void reason_ipid(const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, ddi_sb *b)
{
    (void)p, (void)os, (void)s;
    ddi_sb_clause(b, "IP IDs from this address, classed as a counter, form at least two interleaved counter "
                     "sequences (Bellovin 2002): several hosts");
}

static void reason_mss(const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, ddi_sb *b)
{
    (void)os, (void)s;
    uint16_t orig = 0;
    ddi_mss_clamped(p->tcp.win, p->tcp.mss, p->tcp.has_ts, &orig);
    ddi_sb_clause(b, "window %u = %u x %u but MSS is %u: the MSS was rewritten on the path (window sized for MSS %u)",
                  p->tcp.win, orig ? p->tcp.win / orig : 0, orig, p->tcp.mss, orig);
}

const ddi_nat_kind_row ddi_nat_kinds[DDI_NAT__KINDS] = {
    {DDI_NAT_KIND_PORT, "source port", "ddi.expert.nat.port", DDI_SEV_NOTE, "NAT suspected: source port",
     reason_port},
    {DDI_NAT_KIND_TTL, "TTL", "ddi.expert.nat.ttl", DDI_SEV_NOTE, "NAT suspected: TTL", reason_ttl},
    {DDI_NAT_KIND_MULTI_OS, "several OS", "ddi.expert.nat.multi_os", DDI_SEV_NOTE, "NAT suspected: several OS",
     reason_multi_os},
    {DDI_NAT_KIND_IPID, "IP-ID sequences", "ddi.expert.nat.ipid", DDI_SEV_NOTE, "NAT suspected: IP-ID sequences",
     reason_ipid},
    {DDI_NAT_KIND_MSS, "MSS clamp", "ddi.expert.nat.mss", DDI_SEV_NOTE, "NAT suspected: MSS clamp", reason_mss},
};

int ddi_nat_table_check(const ddi_nat_kind_row *rows, size_t n, const char **why)
{
    const char *w = NULL;
    size_t i;
    for (i = 0; i < n && !w; i++) {
        const ddi_nat_kind_row *r = &rows[i];
        if ((size_t)r->kind != i)
            w = "kind is not the row's index";
        else if (!r->name || !*r->name)
            w = "no name";
        else if (!r->expert || strncmp(r->expert, "ddi.expert.", 11) || !r->expert[11])
            w = "no expert abbreviation under ddi.expert.";
        else if (r->severity < DDI_SEV_CHAT || r->severity > DDI_SEV_WARN)
            w = "no severity";
        else if (!r->summary || !*r->summary)
            w = "no expert summary";
        else if (!r->reason)
            w = "no reason function";
        for (size_t j = 0; j < i && !w; j++)
            if (!strcmp(rows[j].expert, r->expert) || !strcmp(rows[j].name, r->name))
                w = "name or expert abbreviation repeats an earlier row";
    }
    if (why)
        *why = w;
    return w ? (int)i : 0;
}

const char *ddi_nat_kind_name(unsigned bit)
{
    for (unsigned k = 0; k < DDI_NAT__KINDS; k++)
        if (bit == ddi_nat_bit((ddi_nat_kind)k))
            return ddi_nat_kinds[k].name;
    return "?";
}

void ddi_nat_kinds_join(unsigned bits, char *buf, size_t len)
{
    ddi_sb b = ddi_sb_on(buf, len);
    for (unsigned k = 0; k < DDI_NAT__KINDS; k++)
        if (bits & ddi_nat_bit((ddi_nat_kind)k))
            ddi_sb_add(&b, "%s%s", b.len ? ", " : "", ddi_nat_kinds[k].name);
}

void ddi_nat_reason(uint16_t bits, const ddi_pkt *p, const ddi_os_result *os, const ddi_nat_src *s, char *buf,
                    size_t len)
{
    ddi_sb b = ddi_sb_on(buf, len);
    for (unsigned k = 0; k < DDI_NAT__KINDS; k++)
        if (bits & ddi_nat_bit((ddi_nat_kind)k))
            ddi_nat_kinds[k].reason(p, os, s, &b);
}
