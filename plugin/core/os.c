/* os.c — OS verdict: signature match first, ddi's rules where it has none,
 * and every piece of behavioural evidence that agrees or disagrees.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "os.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "hash.h"
#include "strbuf.h"

const char *ddi_os_family_name(ddi_os_family f)
{
    static const char *const n[DDI_OS__COUNT] = {
        [DDI_OS_UNKNOWN] = "unknown", [DDI_OS_WINDOWS] = "Windows", [DDI_OS_LINUX] = "Linux",
        [DDI_OS_APPLE] = "macOS/iOS", [DDI_OS_FREEBSD] = "FreeBSD", [DDI_OS_OPENBSD] = "OpenBSD",
        [DDI_OS_SOLARIS] = "Solaris", [DDI_OS_OTHER] = "other", [DDI_OS_TOOL] = "userland tool",
    };
    return (unsigned)f < DDI_OS__COUNT ? n[f] : "?";
}

ddi_os_family ddi_os_family_of_label(const char *cls, const char *name)
{
    if (cls && !strcmp(cls, "!"))
        return DDI_OS_TOOL;
    if (!name)
        return DDI_OS_UNKNOWN;
    /* the names most SYNs match, without the searches below (same answers) */
    if (!strcmp(name, "Linux"))
        return DDI_OS_LINUX;
    if (!strcmp(name, "Windows"))
        return DDI_OS_WINDOWS;
    if (strstr(name, "Windows"))
        return DDI_OS_WINDOWS;
    if (strstr(name, "Linux") || strstr(name, "Android"))
        return DDI_OS_LINUX;
    if (strstr(name, "Mac OS") || strstr(name, "MacOS") || strstr(name, "macOS") || strstr(name, "iOS"))
        return DDI_OS_APPLE;
    if (strstr(name, "FreeBSD"))
        return DDI_OS_FREEBSD;
    if (strstr(name, "OpenBSD"))
        return DDI_OS_OPENBSD;
    if (strstr(name, "Solaris"))
        return DDI_OS_SOLARIS;
    return DDI_OS_OTHER;
}

int ddi_os_port_ranges(ddi_os_family f, ddi_win_era era, uint16_t lo[2], uint16_t hi[2], const char *name[2])
{
    int n = 0;
#define RANGE(l, h, s) (lo[n] = (l), hi[n] = (h), name[n] = (s), n++)
    switch (f) {
    case DDI_OS_WINDOWS:
        /* MS KB 929851: 1025-5000 before Vista/2008, 49152-65535 since */
        if (era != DDI_WIN_ERA_NEW)
            RANGE(1025, 5000, "Windows XP/2003");
        if (era != DDI_WIN_ERA_OLD)
            RANGE(49152, 65535, "Windows Vista+");
        break;
    case DDI_OS_LINUX:
        /* ip-sysctl.rst ip_local_port_range default 32768 60999 (61000 before 4.x) */
        RANGE(32768, 61000, "Linux");
        break;
    case DDI_OS_APPLE:
        RANGE(49152, 65535, "macOS/iOS"); /* XNU in_pcb.c IPPORT_HIFIRSTAUTO */
        break;
    case DDI_OS_FREEBSD:
        RANGE(10000, 65535, "FreeBSD"); /* sys/netinet/in.h IPPORT_EPHEMERALFIRST */
        break;
    default:
        break;
    }
#undef RANGE
    return n;
}

int ddi_port_range_index(uint16_t port, int n, const uint16_t lo[], const uint16_t hi[])
{
    for (int i = 0; i < n; i++)
        if (port >= lo[i] && port <= hi[i])
            return i;
    return -1;
}

#define LAYOUT(t, ...) ddi_tcp_layout_is((t), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
enum { M = DDI_OPT_MSS, N = DDI_OPT_NOP, W = DDI_OPT_WS, S = DDI_OPT_SOK, T = DDI_OPT_TS, E = DDI_OPT_EOL };

/* ddi's rules for SYNs no signature covers: option order + initial TTL
 * (docs/references.md#os-layouts).  The Unix orders are distinctive
 * enough to name the family even when the TTL is unusual (iOS on cellular
 * uses hop limit 255 in arkime gtp-iphone.pcap); the Windows orders are
 * shared with embedded stacks, so there the TTL must fit too. */
static ddi_os_family heuristic_family(const ddi_pkt *p, uint8_t ittl, const char **why, uint8_t *want_ittl)
{
    const ddi_tcp *t = &p->tcp;
    *want_ittl = 64;
    if (LAYOUT(t, M, N, N, S) || LAYOUT(t, M, N, W, N, N, S) || LAYOUT(t, M, N, W, S, T) ||
        LAYOUT(t, M, N, W, N, N, T, N, N, S)) {
        *why = "Windows option order";
        *want_ittl = 128;
        return ittl == 128 ? DDI_OS_WINDOWS : DDI_OS_UNKNOWN;
    }
    if (LAYOUT(t, M, S, T, N, W) || LAYOUT(t, M, N, N, S, N, W)) {
        *why = "Linux option order (mss,sok,ts,nop,ws / mss,nop,nop,sok,nop,ws)";
        return DDI_OS_LINUX;
    }
    if (LAYOUT(t, M, N, W, N, N, T, S)) {
        *why = "Apple option order (mss,nop,ws,nop,nop,ts,sok,eol)";
        return DDI_OS_APPLE;
    }
    if (LAYOUT(t, M, N, W, S, T)) {
        *why = "FreeBSD option order (mss,nop,ws,sok,ts)";
        return DDI_OS_FREEBSD;
    }
    if (LAYOUT(t, M, N, N, S, N, W, N, N, T)) {
        *why = "OpenBSD option order";
        return DDI_OS_OPENBSD;
    }
    *why = "option order matches no known stack";
    *want_ittl = 0;
    return DDI_OS_UNKNOWN;
}

static ddi_win_era era_of_flavor(const char *fl)
{
    if (!fl || !*fl)
        return DDI_WIN_ERA_ANY;
    if (strstr(fl, "XP") || strstr(fl, "2000") || strstr(fl, "2003") || strstr(fl, "5.x"))
        return DDI_WIN_ERA_OLD;
    if (strstr(fl, "Vista") || strstr(fl, "7") || strstr(fl, "8") || strstr(fl, "10") || strstr(fl, "11") ||
        strstr(fl, "6.x"))
        return DDI_WIN_ERA_NEW;
    return DDI_WIN_ERA_ANY;
}

static void add_windows_version_notes(const ddi_pkt *p, ddi_os_result *o, ddi_sb *ev)
{
    const ddi_tcp *t = &p->tcp;
    if (!(t->has_ws && t->has_ts))
        return;
    /* The published analysis: WS and TS "are not typically seen from Windows
     * clients except for more recent versions such as Vista or 2008". */
    ddi_sb_add(ev, "; window scale + timestamps in a Windows SYN: absent from default XP SYNs, so the published "
               "reading is Vista/2008");
    if (t->tsval == 0) {
        /* p0f v2 generic sig *:128:1:64:M*,N,W0,N,N,T0,N,N,S "XP/2000 (RFC1323+, w, tstamp+)";
         * Vista+ send a running TSval (nmap-os-db TS=7/A) in order mss,nop,ws,sok,ts */
        ddi_sb_add(ev, "; against it: TSval 0 (p0f quirk ts1-) is what Windows 2000/XP/2003 send with RFC 1323 "
                   "enabled (Tcp1323Opts), while Vista+ send a running TSval");
        o->era = DDI_WIN_ERA_ANY;
    }
}

static void add_behaviour(const ddi_os_input *in, ddi_os_result *o, ddi_sb *ev)
{
    const ddi_pkt *p = in->p;
    ddi_rto_class rto = ddi_retry_rto_class(in->retry_gap1);

    if (rto != DDI_RTO_NONE) {
        ddi_sb_add(ev, "; retry after %.2f s: %s", in->retry_gap1, ddi_retry_rto_text(rto));
        if (o->family == DDI_OS_WINDOWS && rto == DDI_RTO_1S)
            ddi_sb_add(ev, " (for Windows: a later Windows 10/11 build)");
        if (o->family == DDI_OS_LINUX && rto == DDI_RTO_3S)
            ddi_sb_add(ev, " (for Linux: kernel <= 3.0)");
    }
    uint16_t lo[2], hi[2];
    const char *rn[2];
    int n = ddi_os_port_ranges(o->family, o->era, lo, hi, rn);
    int i = ddi_port_range_index(p->tcp.sport, n, lo, hi);
    if (i >= 0) {
        ddi_sb_add(ev, "; source port %u inside the %s range %u-%u", p->tcp.sport, rn[i], lo[i], hi[i]);
        if (o->family == DDI_OS_WINDOWS && o->era == DDI_WIN_ERA_ANY)
            o->era = lo[i] == 49152 ? DDI_WIN_ERA_NEW : DDI_WIN_ERA_OLD;
    }
    switch (in->ipid) {
    case DDI_IPID_GLOBAL:
        ddi_sb_add(ev, "; IP ID behaves as a global counter (Windows, older BSD)");
        break;
    case DDI_IPID_PER_DEST:
        ddi_sb_add(ev, "; IP ID per connection (+1 on retransmission): Linux-like");
        break;
    case DDI_IPID_ZERO:
        if (p->df)
            ddi_sb_add(ev, "; IP ID 0 with DF (macOS/iOS, FreeBSD >= 12, RFC 6864)");
        break;
    default:
        break;
    }
}

/* ------------------------------------------------- behaviour that dates a stack
 *
 * Kernel versions as major * 1000 + minor; DDI_KVER_OPEN is "and newer".
 * Retransmission behaviour that only some kernels show (docs/references.md#retry)
 * bounds the version; a signature's label whose range does not meet that
 * bound would contradict what the same tree shows beside it, so the label
 * follows the behaviour and the evidence says why. */
#define DDI_KVER(maj, min) ((maj) * 1000u + (min))
#define DDI_KVER_OPEN 0xffffffffu

typedef struct kver_range {
    uint32_t lo, hi;
} kver_range;

/* One "A.B", "A.x", "A.B.x" token; minor 'x' is 0 for a lower bound and
 * 999 for an upper one.  Returns the characters read, 0 if none. */
static int parse_kver(const char *s, bool upper, uint32_t *v)
{
    const char *p = s;
    unsigned maj = 0, min = 0;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        maj = maj * 10 + (unsigned)(*p++ - '0');
    if (*p != '.')
        return 0;
    p++;
    if (*p == 'x') {
        min = upper ? 999 : 0;
        p++;
    } else if (*p >= '0' && *p <= '9') {
        while (*p >= '0' && *p <= '9')
            min = min * 10 + (unsigned)(*p++ - '0');
        if (p[0] == '.' && p[1] == 'x') /* "2.2.x": the 2.2 series */
            p += 2;
    } else {
        return 0;
    }
    *v = DDI_KVER(maj, min > 999 ? 999 : min);
    return (int)(p - s);
}

/* The Linux versions a p0f flavor names: "2.2.x-3.x", "3.11 and newer",
 * "2.4-2.6", "2.6.x", "3.x".  False when it names none ("(Android)"). */
static bool linux_flavor_range(const char *fl, kver_range *r)
{
    if (!fl)
        return false;
    const char *p = fl;
    while (*p && !(*p >= '0' && *p <= '9'))
        p++;
    uint32_t lo, hi;
    int n = parse_kver(p, false, &lo);
    if (!n)
        return false;
    parse_kver(p, true, &hi);
    p += n;
    if (*p == '-') {
        uint32_t h2;
        if (parse_kver(p + 1, true, &h2))
            hi = h2;
    } else if (strstr(p, "and newer")) {
        hi = DDI_KVER_OPEN;
    }
    r->lo = lo;
    r->hi = hi;
    return true;
}

/* What the retransmissions say about a Linux kernel. */
static bool linux_behaviour_range(const ddi_os_input *in, kver_range *r, const char **label, const char **why)
{
    if (in->backoff == DDI_BACKOFF_LINEAR && ddi_retry_rto_class(in->retry_gap1) == DDI_RTO_1S) {
        /* "tcp: make the first N SYN RTO backoffs linear" (net-next, May 2023) */
        *r = (kver_range){DDI_KVER(6, 5), DDI_KVER_OPEN};
        *label = "Linux >= 6.5";
        *why = "1 s SYN RTO with constant gaps: tcp_syn_linear_timeouts, Linux >= 6.5";
        return true;
    }
    switch (ddi_retry_rto_class(in->retry_gap1)) {
    case DDI_RTO_3S: /* TCP_TIMEOUT_INIT 3*HZ until 3.0 */
        *r = (kver_range){0, DDI_KVER(3, 0)};
        *label = "Linux <= 3.0";
        *why = "3 s initial SYN RTO: Linux <= 3.0";
        return true;
    case DDI_RTO_1S: /* LNX 9ad7c049f0f7 "tcp: RFC2988bis" (3.1) */
        if (in->backoff == DDI_BACKOFF_DOUBLING) {
            *r = (kver_range){DDI_KVER(3, 1), DDI_KVER(6, 4)};
            *label = "Linux 3.1-6.4";
            *why = "1 s SYN RTO, doubling: Linux 3.1-6.4";
        } else {
            *r = (kver_range){DDI_KVER(3, 1), DDI_KVER_OPEN};
            *label = "Linux >= 3.1";
            *why = "1 s initial SYN RTO: Linux >= 3.1";
        }
        return true;
    default:
        return false;
    }
}

static void reconcile_with_behaviour(const ddi_os_input *in, ddi_os_result *o, ddi_sb *ev)
{
    kver_range sig, beh;
    const char *label, *why;
    if (o->family == DDI_OS_WINDOWS && in->backoff == DDI_BACKOFF_LINEAR) {
        /* Windows doubles its SYN RTO (docs/references.md#retry) */
        ddi_sb_add(ev, "; against it: constant SYN gaps, where Windows doubles them");
        return;
    }
    if (o->family != DDI_OS_LINUX || !linux_behaviour_range(in, &beh, &label, &why))
        return;
    /* a label without versions ("Linux", "(Android)") contradicts nothing */
    if (o->match == DDI_OSM_HEURISTIC || !o->fp.flavor || !linux_flavor_range(o->fp.flavor, &sig))
        return;
    if (sig.lo <= beh.hi && beh.lo <= sig.hi)
        return; /* the signature's versions include what the behaviour allows */
    ddi_sb_add(ev, "; the signature says %s, but %s: the label follows the behaviour", o->label, why);
    snprintf(o->label, sizeof o->label, "%s", label);
    o->dated = true;
}

/* snprintf(buf, len, "%s%s%s", a, b, c) without printf: every SYN gets its
 * label (~300 instructions a SYN through snprintf) */
static void label_join(char *buf, size_t len, const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    size_t n = 0;
    if (!len)
        return;
    for (int i = 0; i < 3; i++)
        for (const char *t = parts[i]; *t && n + 1 < len; t++)
            buf[n++] = *t;
    buf[n] = 0;
}

/* ------------------------------------------------- memo of fingerprint verdicts */

#define OS_MEMO_SLOTS 256 /* direct-mapped: a power of two */
/* what fingerprint_verdict() writes: the result up to its texts */
#define OS_HEAD offsetof(ddi_os_result, evidence)

typedef struct memo_slot {
    uint32_t generation; /* of the database it was filled from (ddi_p0fdb_generation); 0 = empty */
    ddi_fp_key key;
    unsigned char head[OS_HEAD];
} memo_slot;

struct ddi_os_memo {
    memo_slot slot[OS_MEMO_SLOTS];
    uint64_t hits;
};

ddi_os_memo *ddi_os_memo_new(void) { return g_new0(ddi_os_memo, 1); }
uint64_t ddi_os_memo_hits(const ddi_os_memo *m) { return m ? m->hits : 0; }

static memo_slot *memo_slot_of(ddi_os_memo *m, const ddi_fp_key *k)
{
    /* the layout is in the key's opt_hash (fingerprint.h) */
    uint32_t h = ddi_fnv1a(DDI_FNV1A_INIT, (const uint8_t *)k, offsetof(ddi_fp_key, olayout));
    return &m->slot[h & (OS_MEMO_SLOTS - 1)];
}

/* ------------------------------------------------- the verdict */

/* What the SYN's fingerprint alone says: the signature it matches, or
 * ddi's rules where none does.  Its inputs are the fingerprint's
 * (ddi_fp_syn_key) and the database, nothing else. */
static void fingerprint_verdict(const ddi_os_input *in, bool matched, ddi_os_result *o, ddi_sb *ev)
{
    uint8_t ittl = o->fp.ittl;
    if (matched) {
        o->family = ddi_os_family_of_label(o->fp.cls, o->fp.name);
        o->match = o->fp.kind; /* exact, generic or fuzzy: one tier enum */
        if (o->family == DDI_OS_WINDOWS)
            o->era = era_of_flavor(o->fp.flavor);
        label_join(o->label, sizeof o->label, o->fp.name ? o->fp.name : "?", o->fp.flavor && *o->fp.flavor ? " " : "",
                   o->fp.flavor ? o->fp.flavor : "");
        ddi_sb_add(ev, "; signature %s:%u (%s%s) %s", o->fp.file ? o->fp.file : "?", o->fp.line,
               ddi_os_match_name(o->match), o->fp.excess_dist ? ", TTL farther than 35 hops" : "",
               o->fp.sig ? o->fp.sig : "");
    } else {
        const char *why = "";
        uint8_t want = 0;
        o->family = heuristic_family(in->p, ittl, &why, &want);
        o->match = o->family == DDI_OS_UNKNOWN ? DDI_OSM_NONE : DDI_OSM_HEURISTIC;
        snprintf(o->label, sizeof o->label, "%s", o->family == DDI_OS_UNKNOWN ? "unknown" : ddi_os_family_name(o->family));
        ddi_sb_add(ev, "; no signature matched; %s", why);
        if (want && want != ittl)
            ddi_sb_add(ev, "; initial TTL %u, not the %u this order comes with%s", ittl, want,
                       o->family == DDI_OS_UNKNOWN ? ": not named" : "");
    }
}

void ddi_os_infer(const ddi_os_input *in, ddi_os_result *o)
{
    const ddi_pkt *p = in->p;
    /* the texts are 1.2 kB of the result and are NUL-terminated wherever they
     * are written (only when explained): every SYN of a first pass or batch
     * run would clear them for nothing */
    memset(o, 0, OS_HEAD);
    o->evidence[0] = 0;
    o->raw_sig[0] = 0;
    /* a zero-capacity buffer turns every clause below into a no-op: the
     * first pass and batch runs that read no text skip the formatting */
    ddi_sb ev = ddi_sb_on(o->evidence, in->explain ? sizeof o->evidence : 0);
    if (in->explain)
        ddi_fp_raw_sig(p, o->raw_sig, sizeof o->raw_sig);
    /* the memo holds no texts: it serves only where none is written */
    ddi_fp_key key;
    memo_slot *slot =
        in->memo && in->db && !in->explain && ddi_fp_syn_key(p, &key) ? memo_slot_of(in->memo, &key) : NULL;
    uint32_t generation = ddi_p0fdb_generation(in->db);
    if (slot && slot->generation == generation && !memcmp(&slot->key, &key, sizeof key)) {
        memcpy(o, slot->head, OS_HEAD);
        in->memo->hits++;
    } else {
        bool matched = ddi_fp_match(in->db, p, &o->fp);
        ddi_sb_add(&ev, "TTL %u -> initial %u, %d hop%s", p->ttl, o->fp.ittl, o->fp.distance,
                   o->fp.distance == 1 ? "" : "s");
        if (!p->tcp.opts_complete) {
            /* snaplen or a fragment cut the options: a layout we did not see
             * entirely must not be matched (zeek truncated-header trace) */
            ddi_sb_add(&ev, "; TCP options not captured in full: no fingerprint");
            o->match = DDI_OSM_NONE;
            snprintf(o->label, sizeof o->label, "unknown (options not captured)");
            add_behaviour(in, o, &ev);
            return;
        }
        fingerprint_verdict(in, matched, o, &ev);
        if (slot) {
            slot->generation = generation;
            slot->key = key;
            memcpy(slot->head, o, OS_HEAD);
        }
    }
    if (o->family == DDI_OS_WINDOWS)
        add_windows_version_notes(p, o, &ev);
    add_behaviour(in, o, &ev);
    reconcile_with_behaviour(in, o, &ev);
}
