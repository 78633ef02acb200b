/* gen_darknet.c — reproducible generator of a large darknet-like capture.
 *
 * Writes a classic pcap (LINKTYPE_ETHERNET, microsecond timestamps) of
 * unsolicited traffic towards a network telescope: TCP SYNs from
 * Windows/Linux/macOS-like stacks and from ZMap/masscan/Mirai/nmap-like
 * scanners, backscatter (SYN-ACK, RST-ACK, ICMP unreachable quoting a
 * TCP SYN) and IPv6 SYNs.  See bench/README.md for the mix.
 *
 *   gen_darknet OUT.pcap [--packets N] [--sources S] [--seed X] [--hours H [--hourly]]
 *
 * --hours H spreads the traffic over H hours instead of one (a telescope's
 * day is H = 24); --hourly then writes one file per hour, OUT-00.pcap ...,
 * cut at exact hour boundaries from the series start, as a telescope's
 * hourly files are.  With H > 1 some sources pause for hours between two
 * bursts, and one Conficker-style host sends its only tcp/445 connection
 * (first SYN, one retry 3 s later) in the last 5 s before the middle hour
 * boundary, so its retry is in one file and its silence in the next.
 * Deterministic: the same arguments give a byte-identical file (own PRNG,
 * integer time arithmetic, fixed epoch, no floating point in anything that
 * reaches the file, a total order for the sort).  Plain C11, libc only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* constants                                                           */

#define EPOCH_S 1700000000u              /* 2023-11-14 22:13:20 UTC */
#define HOUR_US 3600000000ull
#define TAIL_US 15000000ull              /* first packets fall in [0, hours x 3600 s - 15 s) */
/* The boundary Conficker-style host: first SYN this long before the hour
 * boundary, so its retry (+3 s) comes before it and the 10 s of silence the
 * verdict needs end after it. */
#define BOUNDARY_LEAD_US 4500000ull
/* Share (per mille) of the sources that pause for hours between two bursts
 * when the series spans several hours. */
#define PAUSE_PM 150
#define DARKNET4 0xC6336400u             /* 198.51.100.0/24 */
/* IPv6 darknet: 2001:db8:da4c::/48 ("dark"), inside the 2001:db8::/32
 * documentation prefix.  Hosts are 2001:db8:da4c:SSSS::HHHH. */
static const uint8_t DARKNET6[6] = {0x20, 0x01, 0x0d, 0xb8, 0xda, 0x4c};

static const uint8_t MAC_DST[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01}; /* telescope */
static const uint8_t MAC_SRC[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0xfe}; /* upstream */

/* Behaviours and their share of the sources, per mille. */
enum {
    B_WIN, B_LINUX, B_MAC, B_ZMAP, B_MASSCAN, B_MIRAI, B_NMAP, B_BACKSCATTER, B_V6,
    B_COUNT
};
static unsigned share_pm[B_COUNT] = {350, 200, 100, 100, 50, 50, 30, 70, 50};
static const char *const bname[B_COUNT] = {
    "windows", "linux", "macos", "zmap", "masscan", "mirai", "nmap", "backscatter", "ipv6"};

/* Packet kinds and TCP option layouts. */
enum { K_TCP4, K_TCP6, K_ICMP4 };
enum { O_NONE, O_MSS, O_WIN, O_XP, O_LINUX, O_MAC, O_SYNACK };
enum { TH_SYN = 0x02, TH_RST = 0x04, TH_ACK = 0x10 };

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64 (Steele, Lea, Flood 2014)                          */

typedef struct { uint64_t s; } rng_t;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rnd64(rng_t *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return mix64(r->s);
}

static uint32_t rnd32(rng_t *r) { return (uint32_t)(rnd64(r) >> 32); }

/* uniform in [0, n), n < 2^32 (Lemire's multiply-shift, bias < 2^-32) */
static uint32_t rndn(rng_t *r, uint32_t n) { return (uint32_t)(((uint64_t)rnd32(r) * n) >> 32); }

/* uniform in [0, n) for 64-bit n; 0 when n == 0 */
static uint64_t rndn64(rng_t *r, uint64_t n) { return n ? rnd64(r) % n : 0; }

static rng_t rng_for(uint64_t seed, uint64_t stream, uint64_t idx)
{
    rng_t r = {mix64(seed ^ mix64(stream * 0x9e3779b97f4a7c15ull + idx + 1))};
    return r;
}

/* invertible 32-bit mixer (lowbias32); a bijection on uint32_t */
static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* ------------------------------------------------------------------ */
/* packet descriptors                                                  */

typedef struct {
    uint64_t ts;        /* microseconds since EPOCH_S */
    uint32_t src;       /* source index */
    uint32_t dst;       /* IPv4 address, or IPv6 (subnet << 16 | host) */
    uint32_t seq, ack;  /* ICMP: inner TCP seq; ack = inner IP-ID */
    uint32_t tsval;
    uint32_t aux;       /* ICMP: quoted victim address; IPv6: flow label */
    uint16_t sport, dport; /* ICMP: the quoted SYN's ports */
    uint16_t ipid, win, mss;
    uint8_t kind, ttl, tflags, opts, ws, df, code, inttl;
} pkt_t;

typedef struct {
    uint8_t beh;
    uint8_t v6;
    uint8_t a6[16];
    uint32_t a4;
} src_t;

typedef struct {
    uint64_t seed;
    pkt_t *pk;
    uint32_t n, cap;
    src_t *src;
    uint32_t nsrc;
    /* Windows global IP-ID counters, advanced in time order when rendering */
    uint16_t *id_cur, *id_step;
    uint64_t per_beh_pkts[B_COUNT];
    uint32_t per_beh_srcs[B_COUNT];
    uint32_t hours;        /* the series spans this many hours */
    uint64_t span_max;     /* first transmissions fall in [0, span_max) us */
    uint32_t boundary_src; /* the Conficker host at the middle hour boundary; UINT32_MAX = none */
    uint32_t paused;       /* sources with hours of silence between two bursts */
} gen_t;

static pkt_t *emit(gen_t *g, uint32_t src, uint64_t ts, uint8_t kind)
{
    if (g->n >= g->cap) {
        fprintf(stderr, "gen_darknet: internal error: packet budget exceeded\n");
        exit(3);
    }
    pkt_t *p = &g->pk[g->n++];
    memset(p, 0, sizeof *p);
    p->src = src;
    p->ts = ts;
    p->kind = kind;
    g->per_beh_pkts[g->src[src].beh]++;
    return p;
}

/* Timeline of one source: `budget` packets whose first transmissions are
 * spread over [start, start + span), in order. */
typedef struct {
    uint64_t start, span;
    uint32_t budget, done;
    uint32_t pause_at;  /* transmissions from this one on come pause_us later */
    uint64_t pause_us;
} tl_t;

static tl_t tl_make(gen_t *g, rng_t *r, uint32_t budget)
{
    /* mean gap between a source's packets: from scanners at tens of packets
     * per second down to a slow bot */
    static const uint32_t gap_ms[] = {20, 50, 200, 1000, 3000, 10000, 30000, 60000};
    uint64_t gap = (uint64_t)gap_ms[rndn(r, 8)] * 1000;
    tl_t t;
    t.budget = budget;
    t.done = 0;
    t.span = budget > 1 ? (uint64_t)budget * gap : 0;
    if (t.span > g->span_max)
        t.span = g->span_max;
    t.pause_at = budget, t.pause_us = 0;
    /* Over several hours, some sources go quiet for hours and come back
     * (drawn only then, so one-hour files stay byte-identical). */
    if (g->hours > 1 && budget > 1 && rndn(r, 1000) < PAUSE_PM) {
        uint64_t pause = (2 + rndn64(r, g->hours / 2)) * HOUR_US + rndn64(r, HOUR_US);
        if (t.span + pause < g->span_max) {
            t.pause_at = 1 + rndn(r, budget - 1);
            t.pause_us = pause;
            g->paused++;
        }
    }
    t.start = rndn64(r, g->span_max - t.span - t.pause_us + 1);
    return t;
}

static uint64_t tl_next(tl_t *t, rng_t *r)
{
    return t->start + (t->done >= t->pause_at ? t->pause_us : 0) +
           (t->span * t->done + rndn64(r, t->span)) / t->budget;
}

static int v4_excluded(uint32_t a)
{
    uint32_t o = a >> 24;
    return o == 0 || o == 127 || o >= 224 || (a & 0xffffff00u) == DARKNET4;
}

static uint32_t dark4(rng_t *r) { return DARKNET4 | rndn(r, 256); }

static uint32_t dark6(rng_t *r)
{
    uint32_t subnet = rndn(r, 100) < 70 ? 0 : rndn(r, 16);
    uint32_t host = rndn(r, 100) < 60 ? 1 + rndn(r, 255) : 1 + rndn(r, 65535);
    return subnet << 16 | host;
}

static uint16_t pick_mss_windows(rng_t *r)
{
    uint32_t x = rndn(r, 100);
    return x < 80 ? 1460 : x < 90 ? 1452 : x < 95 ? 1410 : 1400;
}

static uint16_t pick_mss_linux(rng_t *r)
{
    uint32_t x = rndn(r, 100);
    return x < 85 ? 1460 : x < 93 ? 1452 : 1400;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const uint16_t ports_win[] = {445, 445, 445, 445, 3389, 3389, 139, 135, 1433, 80, 8080, 23, 5900};
static const uint16_t ports_linux[] = {22, 22, 23, 80, 443, 8080, 8443, 6379, 2375, 5555,
                                       9200, 3306, 5432, 7547, 81, 8888};
static const uint16_t ports_mac[] = {80, 443, 22, 5900, 8080, 3283};
static const uint16_t ports_scan[] = {80, 443, 22, 23, 8080, 3389, 5900, 6379, 7547, 8443,
                                      21, 25, 53, 110, 445, 1433, 3306, 5060, 9200, 27017};
static const uint16_t ports_nmap[] = {21, 22, 23, 25, 53, 80, 110, 111, 135, 139,
                                      143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080};

#define PICK(r, arr) ((arr)[rndn((r), (uint32_t)NELEM(arr))])

/* retransmission offsets in microseconds (cumulative, first SYN at 0) */
static const uint64_t rto_win[] = {0, 3000000, 9000000};
static const uint64_t rto_linux[] = {0, 1000000, 3000000, 7000000};
static const uint64_t rto_mac[] = {0, 1000000, 2000000, 3000000, 4000000, 5000000};

/* ------------------------------------------------------------------ */
/* behaviours                                                          */

static void gen_windows(gen_t *g, uint32_t si, rng_t *r, uint32_t budget, uint8_t hops)
{
    uint32_t v = rndn(r, 100);
    uint8_t opts = O_WIN, ws = 8;
    uint16_t win = 64240, sport;
    if (v < 50) { /* Windows 10/11 */
        win = 64240, ws = 8;
    } else if (v < 80) { /* Windows 7 */
        win = 8192, ws = 2;
    } else { /* Windows XP: no window scaling */
        opts = O_XP, ws = 0;
        win = rndn(r, 2) ? 65535 : 64240;
    }
    sport = opts == O_XP ? (uint16_t)(1025 + rndn(r, 3976)) : (uint16_t)(49152 + rndn(r, 16384));
    uint16_t mss = pick_mss_windows(r);
    int conficker = rndn(r, 100) < 30;
    uint8_t ttl = (uint8_t)(128 - hops);

    g->id_cur[si] = (uint16_t)rnd32(r);
    g->id_step[si] = (uint16_t)(1 + rndn(r, 400)); /* other traffic of the host */

    tl_t t = tl_make(g, r, budget);
    if (si == g->boundary_src) { /* one connection: SYN and retry before the boundary, silence after */
        conficker = 1;
        t.start = (uint64_t)(g->hours / 2) * HOUR_US - BOUNDARY_LEAD_US;
        t.span = 0, t.pause_at = budget, t.pause_us = 0;
    }
    while (t.done < budget) {
        uint32_t k = conficker ? 2 : (rndn(r, 2) ? 2 : 3);
        uint16_t dport = conficker ? 445 : PICK(r, ports_win);
        if (!conficker && dport == 445)
            k = 3; /* keep the exactly-once-at-3s pattern for Conficker-like hosts */
        if (k > budget - t.done)
            k = budget - t.done;
        uint64_t t0 = tl_next(&t, r);
        uint32_t dst = dark4(r), seq = rnd32(r);
        for (uint32_t j = 0; j < k; j++) {
            pkt_t *p = emit(g, si, t0 + rto_win[j] + (j ? rndn(r, 16000) : 0), K_TCP4);
            p->dst = dst, p->seq = seq, p->sport = sport, p->dport = dport;
            p->win = win, p->mss = mss, p->ws = ws, p->opts = opts;
            p->ttl = ttl, p->df = 1, p->tflags = TH_SYN;
            /* ipid: from the global counter, at render time */
        }
        t.done += k;
        sport++;
        if (opts == O_XP ? sport > 5000 : sport == 0)
            sport = opts == O_XP ? 1025 : 49152;
    }
}

static void gen_linux(gen_t *g, uint32_t si, rng_t *r, uint32_t budget, uint8_t hops)
{
    uint16_t win = rndn(r, 100) < 60 ? 64240 : 29200;
    uint16_t mss = pick_mss_linux(r);
    uint8_t ttl = (uint8_t)(64 - hops);
    tl_t t = tl_make(g, r, budget);
    while (t.done < budget) {
        uint32_t x = rndn(r, 100), k = x < 20 ? 1 : x < 30 ? 2 : x < 40 ? 3 : 4;
        if (k > budget - t.done)
            k = budget - t.done;
        uint64_t t0 = tl_next(&t, r);
        uint32_t dst = dark4(r), seq = rnd32(r), tsbase = rnd32(r);
        uint16_t sport = (uint16_t)(32768 + rndn(r, 28232)), dport = PICK(r, ports_linux);
        uint16_t id = (uint16_t)rnd32(r);
        for (uint32_t j = 0; j < k; j++) {
            uint64_t off = rto_linux[j] + (j ? rndn(r, 5000) : 0);
            pkt_t *p = emit(g, si, t0 + off, K_TCP4);
            p->dst = dst, p->seq = seq, p->sport = sport, p->dport = dport;
            p->win = win, p->mss = mss, p->ws = 7, p->opts = O_LINUX;
            p->tsval = tsbase + (uint32_t)(off / 1000);
            p->ttl = ttl, p->df = 1, p->tflags = TH_SYN;
            p->ipid = (uint16_t)(id + j);
        }
        t.done += k;
    }
}

static void gen_mac(gen_t *g, uint32_t si, rng_t *r, uint32_t budget, uint8_t hops)
{
    uint8_t ttl = (uint8_t)(64 - hops);
    tl_t t = tl_make(g, r, budget);
    while (t.done < budget) {
        uint32_t k = 1 + rndn(r, (uint32_t)NELEM(rto_mac));
        if (k > budget - t.done)
            k = budget - t.done;
        uint64_t t0 = tl_next(&t, r);
        uint32_t dst = dark4(r), seq = rnd32(r), tsbase = rnd32(r);
        uint16_t sport = (uint16_t)(49152 + rndn(r, 16384)), dport = PICK(r, ports_mac);
        for (uint32_t j = 0; j < k; j++) {
            uint64_t off = rto_mac[j] + (j ? rndn(r, 5000) : 0);
            pkt_t *p = emit(g, si, t0 + off, K_TCP4);
            p->dst = dst, p->seq = seq, p->sport = sport, p->dport = dport;
            p->win = 65535, p->mss = 1460, p->ws = 6, p->opts = O_MAC;
            p->tsval = tsbase + (uint32_t)(off / 1000);
            p->ttl = ttl, p->df = 1, p->tflags = TH_SYN, p->ipid = 0;
        }
        t.done += k;
    }
}

static void gen_scanner(gen_t *g, uint32_t si, rng_t *r, uint32_t budget, uint8_t hops, int beh)
{
    uint8_t opts = O_NONE;
    uint16_t fixed_sport = (uint16_t)(32768 + rndn(r, 32768));
    uint16_t fixed_dport = PICK(r, ports_scan);
    uint16_t mirai_win = (uint16_t)(1 + rndn(r, 65535));
    if (beh == B_ZMAP)
        opts = rndn(r, 100) < 60 ? O_MSS : O_NONE;
    if (beh == B_MIRAI)
        fixed_dport = rndn(r, 10) ? 23 : 2323;
    tl_t t = tl_make(g, r, budget);
    for (; t.done < budget; t.done++) {
        pkt_t *p = emit(g, si, tl_next(&t, r), K_TCP4);
        p->dst = dark4(r);
        p->tflags = TH_SYN;
        p->df = 0;
        switch (beh) {
        case B_ZMAP:
            p->seq = rnd32(r);
            p->sport = (uint16_t)(32768 + rndn(r, 28233));
            p->dport = fixed_dport;
            p->ipid = 54321, p->win = 65535, p->ttl = (uint8_t)(255 - hops);
            p->opts = opts, p->mss = 1460;
            break;
        case B_MASSCAN:
            p->seq = rnd32(r);
            p->sport = fixed_sport;
            p->dport = PICK(r, ports_scan);
            p->ipid = (uint16_t)((p->dst ^ p->dport ^ p->seq) & 0xffff);
            p->win = 1024, p->ttl = (uint8_t)(255 - hops), p->opts = O_NONE;
            break;
        case B_MIRAI:
            p->seq = p->dst;
            p->sport = fixed_sport;
            p->dport = fixed_dport;
            p->ipid = (uint16_t)rnd32(r);
            p->win = mirai_win, p->ttl = (uint8_t)(64 - hops), p->opts = O_NONE;
            break;
        default: /* B_NMAP */
            p->seq = rnd32(r);
            p->sport = fixed_sport;
            p->dport = PICK(r, ports_nmap);
            p->ipid = (uint16_t)rnd32(r);
            p->win = 1024, p->opts = O_MSS, p->mss = 1460;
            p->ttl = (uint8_t)(37 + rndn(r, 23) - hops / 2);
            break;
        }
    }
}

static void gen_backscatter(gen_t *g, uint32_t si, rng_t *r, uint32_t budget, uint8_t hops)
{
    uint32_t type = rndn(r, 100); /* <50 SYN-ACK, <80 RST-ACK, else ICMP */
    uint16_t service = rndn(r, 2) ? 443 : 80;
    uint8_t ttl = (uint8_t)((rndn(r, 4) ? 64 : 128) - hops);
    uint16_t win = rndn(r, 2) ? 65535 : 64240;
    uint8_t code = 1;
    uint32_t victim_net;
    do
        victim_net = rnd32(r) & 0xffffff00u;
    while (v4_excluded(victim_net));
    if (type >= 80) {
        uint32_t c = rndn(r, 100);
        code = c < 45 ? 1 : c < 65 ? 13 : c < 80 ? 10 : 3;
        ttl = (uint8_t)((rndn(r, 2) ? 255 : 64) - hops);
    }
    tl_t t = tl_make(g, r, budget);
    while (t.done < budget) {
        uint64_t t0 = tl_next(&t, r);
        if (type < 50) { /* SYN-ACK to a spoofed SYN, with the server's retries */
            uint32_t k = 1 + rndn(r, 4);
            if (k > budget - t.done)
                k = budget - t.done;
            uint32_t dst = dark4(r), seq = rnd32(r), ack = rnd32(r);
            uint16_t dport = (uint16_t)(1024 + rndn(r, 64512));
            for (uint32_t j = 0; j < k; j++) {
                pkt_t *p = emit(g, si, t0 + rto_linux[j] + (j ? rndn(r, 5000) : 0), K_TCP4);
                p->dst = dst, p->seq = seq, p->ack = ack;
                p->sport = service, p->dport = dport;
                p->win = win, p->mss = 1460, p->ws = 7, p->opts = O_SYNACK;
                p->ttl = ttl, p->df = 1, p->ipid = 0, p->tflags = TH_SYN | TH_ACK;
            }
            t.done += k;
        } else if (type < 80) { /* RST-ACK from a closed port */
            pkt_t *p = emit(g, si, t0, K_TCP4);
            p->dst = dark4(r), p->seq = 0, p->ack = rnd32(r);
            p->sport = service, p->dport = (uint16_t)(1024 + rndn(r, 64512));
            p->win = 0, p->opts = O_NONE;
            p->ttl = ttl, p->df = 1, p->ipid = 0, p->tflags = TH_RST | TH_ACK;
            t.done++;
        } else { /* ICMP destination unreachable quoting darknet -> victim SYN */
            pkt_t *p = emit(g, si, t0, K_ICMP4);
            p->dst = dark4(r);
            p->code = code;
            p->aux = code == 3 ? g->src[si].a4 : victim_net | (1 + rndn(r, 254));
            p->sport = (uint16_t)(1024 + rndn(r, 64512)), p->dport = service;
            p->seq = rnd32(r), p->ack = rnd32(r) & 0xffff;
            p->win = (uint16_t)(1 + rndn(r, 65535));
            p->inttl = (uint8_t)(30 + rndn(r, 220));
            p->ttl = ttl, p->df = 0, p->ipid = (uint16_t)rnd32(r);
            t.done++;
        }
    }
}

static void gen_v6(gen_t *g, uint32_t si, rng_t *r, uint32_t budget, uint8_t hops)
{
    int linux = rndn(r, 100) < 60;
    uint8_t hl = (uint8_t)((linux ? 64 : 128) - hops);
    uint16_t sport = (uint16_t)(49152 + rndn(r, 16384));
    tl_t t = tl_make(g, r, budget);
    while (t.done < budget) {
        uint32_t k = linux ? 1 + rndn(r, 4) : 2 + rndn(r, 2);
        if (k > budget - t.done)
            k = budget - t.done;
        uint64_t t0 = tl_next(&t, r);
        uint32_t dst = dark6(r), seq = rnd32(r), tsbase = rnd32(r);
        uint32_t flow = linux ? 1 + rndn(r, 0xfffff) : 0;
        uint16_t dport = linux ? PICK(r, ports_linux) : PICK(r, ports_win);
        uint16_t sp = linux ? (uint16_t)(32768 + rndn(r, 28232)) : sport++;
        if (sport == 0)
            sport = 49152;
        for (uint32_t j = 0; j < k; j++) {
            uint64_t off = linux ? rto_linux[j] + (j ? rndn(r, 5000) : 0)
                                 : rto_win[j] + (j ? rndn(r, 16000) : 0);
            pkt_t *p = emit(g, si, t0 + off, K_TCP6);
            p->dst = dst, p->seq = seq, p->sport = sp, p->dport = dport;
            p->mss = 1440, p->win = 64800, p->aux = flow;
            p->opts = linux ? O_LINUX : O_WIN, p->ws = linux ? 7 : 8;
            p->tsval = tsbase + (uint32_t)(off / 1000);
            p->ttl = hl, p->tflags = TH_SYN;
        }
        t.done += k;
    }
}

/* ------------------------------------------------------------------ */
/* sources: behaviours, addresses, packet budgets                      */

static void make_sources(gen_t *g, uint32_t S)
{
    rng_t r = rng_for(g->seed, 1, 0);
    /* exact per-behaviour counts, remainder to Windows, then shuffled */
    uint32_t c[B_COUNT], tot = 0;
    for (int b = 0; b < B_COUNT; b++)
        tot += c[b] = (uint32_t)((uint64_t)S * share_pm[b] / 1000);
    c[B_WIN] += S - tot;
    uint32_t i = 0;
    for (int b = 0; b < B_COUNT; b++)
        for (uint32_t j = 0; j < c[b]; j++)
            g->src[i++].beh = (uint8_t)b;
    for (i = S - 1; i > 0; i--) {
        uint32_t j = rndn(&r, i + 1);
        uint8_t tmp = g->src[i].beh;
        g->src[i].beh = g->src[j].beh;
        g->src[j].beh = tmp;
    }
    /* distinct addresses: a bijection of a counter spreads IPv4 sources over
     * the whole space; IPv6 sources get a bijective 64-bit interface ID */
    uint32_t key = rnd32(&r), ctr = 0;
    uint64_t key6 = rnd64(&r);
    for (i = 0; i < S; i++) {
        src_t *s = &g->src[i];
        g->per_beh_srcs[s->beh]++;
        if (s->beh == B_V6) {
            s->v6 = 1;
            uint16_t h0 = (uint16_t)(0x2001 + rndn(&r, 0x0a00)); /* 2001::/16 .. 2a00::/16 */
            uint16_t h1 = (uint16_t)rnd32(&r);
            if (h0 == 0x2001 && h1 == 0x0db8)
                h1 = 0x0db9;
            uint64_t pfx = (uint64_t)h0 << 48 | (uint64_t)h1 << 32 | (rnd32(&r) & 0xffff0000u);
            uint64_t iid = mix64(i ^ key6);
            for (int k = 0; k < 8; k++) {
                s->a6[k] = (uint8_t)(pfx >> (56 - 8 * k));
                s->a6[8 + k] = (uint8_t)(iid >> (56 - 8 * k));
            }
        } else {
            uint32_t a;
            do
                a = mix32(ctr++ ^ key);
            while (v4_excluded(a));
            s->a4 = a;
        }
    }
}

/* Heavy-tailed packet budgets, summing exactly to N, each >= 1.  Weights
 * use only exactly-rounded IEEE division and integer arithmetic, so they are
 * the same on every conforming platform. */
static double unit(rng_t *r) /* uniform in (0, 1] */
{
    return ((double)(rnd64(r) >> 11) + 1.0) / 9007199254740992.0;
}

static void make_budgets(gen_t *g, uint32_t S, uint64_t N, uint32_t *cnt)
{
    rng_t r = rng_for(g->seed, 2, 0);
    uint64_t *w = malloc((size_t)S * sizeof *w), W = 0, R = N - S, sum = 0;
    if (!w) {
        fprintf(stderr, "gen_darknet: out of memory\n");
        exit(2);
    }
    for (uint32_t i = 0; i < S; i++) {
        double x, cap;
        switch (g->src[i].beh) {
        case B_ZMAP: case B_MASSCAN: case B_MIRAI: case B_NMAP:
            x = 1.0 / unit(&r), cap = 4000.0; /* Pareto alpha 1 */
            break;
        case B_BACKSCATTER:
            x = 1.0 / unit(&r), cap = 400.0;
            break;
        default: { /* min of two Pareto(1) draws is Pareto alpha 2 */
            double a = 1.0 / unit(&r), b = 1.0 / unit(&r);
            x = a < b ? a : b, cap = 200.0;
            break;
        }
        }
        if (x > cap)
            x = cap;
        w[i] = (uint64_t)((x - 1.0) * 256.0) + 1; /* Lomax: many sources get no extra packet */
        W += w[i];
    }
    for (uint32_t i = 0; i < S; i++) {
        cnt[i] = 1 + (uint32_t)(R * w[i] / W);
        sum += cnt[i];
    }
    /* floors leave fewer than S packets over: one more each to consecutive
     * sources from a random start (behaviours are already shuffled) */
    uint32_t at = rndn(&r, S);
    for (; sum < N; sum++, at = at + 1 == S ? 0 : at + 1)
        cnt[at]++;
    free(w);
}

/* ------------------------------------------------------------------ */
/* sort: stable LSD radix sort of packet indices by time                */

/* Sorts idx (packet indices in generation order) by time, ties in
 * generation order: three stable 16-bit passes cover 2^48 us (8.9 years). */
static void radix_sort(const pkt_t *pk, uint32_t *idx, uint32_t *tmp, size_t n)
{
    static size_t count[1 << 16];
    for (int pass = 0; pass < 3; pass++) {
        int sh = pass * 16;
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(pk[idx[i]].ts >> sh) & 0xffff]++;
        if (count[(pk[idx[0]].ts >> sh) & 0xffff] == n)
            continue; /* all equal in this digit */
        size_t pos = 0;
        for (size_t d = 0; d < (1u << 16); d++) {
            size_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(pk[idx[i]].ts >> sh) & 0xffff]++] = idx[i];
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

/* ------------------------------------------------------------------ */
/* rendering                                                           */

static void be16(uint8_t *b, uint32_t v) { b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v; }
static void be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}
static void le32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v, b[1] = (uint8_t)(v >> 8), b[2] = (uint8_t)(v >> 16), b[3] = (uint8_t)(v >> 24);
}
static void le16(uint8_t *b, uint32_t v) { b[0] = (uint8_t)v, b[1] = (uint8_t)(v >> 8); }

static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t len)
{
    size_t i;
    for (i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)b[i] << 8 | b[i + 1];
    if (len & 1)
        sum += (uint32_t)b[len - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* TCP header + options; checksum left 0.  Returns the header length. */
static size_t put_tcp(uint8_t *b, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                      uint8_t flags, uint16_t win, uint8_t opts, uint16_t mss, uint8_t ws,
                      uint32_t tsval)
{
    uint8_t *o = b + 20;
    size_t ol = 0;
#define MSS() (o[ol] = 2, o[ol + 1] = 4, be16(o + ol + 2, mss), ol += 4)
#define NOP() (o[ol++] = 1)
#define EOL() (o[ol++] = 0)
#define WS() (o[ol] = 3, o[ol + 1] = 3, o[ol + 2] = ws, ol += 3)
#define SOK() (o[ol] = 4, o[ol + 1] = 2, ol += 2)
#define TS() (o[ol] = 8, o[ol + 1] = 10, be32(o + ol + 2, tsval), be32(o + ol + 6, 0), ol += 10)
    switch (opts) {
    case O_MSS: MSS(); break;
    case O_WIN: MSS(), NOP(), WS(), NOP(), NOP(), SOK(); break;
    case O_XP: MSS(), NOP(), NOP(), SOK(); break;
    case O_LINUX: MSS(), SOK(), TS(), NOP(), WS(); break;
    case O_MAC: MSS(), NOP(), WS(), NOP(), NOP(), TS(), SOK(), EOL(), EOL(); break;
    case O_SYNACK: MSS(), NOP(), NOP(), SOK(), NOP(), WS(); break;
    default: break;
    }
#undef MSS
#undef NOP
#undef EOL
#undef WS
#undef SOK
#undef TS
    size_t hl = 20 + ol; /* every layout above is a multiple of 4 */
    be16(b, sport);
    be16(b + 2, dport);
    be32(b + 4, seq);
    be32(b + 8, ack);
    b[12] = (uint8_t)(hl / 4 << 4);
    b[13] = flags;
    be16(b + 14, win);
    be16(b + 16, 0);
    be16(b + 18, 0);
    return hl;
}

static void put_ip4(uint8_t *b, uint16_t totlen, uint16_t id, int df, uint8_t ttl, uint8_t proto,
                    uint32_t src, uint32_t dst)
{
    b[0] = 0x45, b[1] = 0;
    be16(b + 2, totlen);
    be16(b + 4, id);
    be16(b + 6, df ? 0x4000 : 0);
    b[8] = ttl, b[9] = proto;
    be16(b + 10, 0);
    be32(b + 12, src);
    be32(b + 16, dst);
    be16(b + 10, csum_fold(csum_add(0, b, 20)));
}

static uint16_t tcp4_csum(uint32_t src, uint32_t dst, const uint8_t *tcp, size_t len)
{
    uint32_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + (uint32_t)len;
    return csum_fold(csum_add(s, tcp, len));
}

/* Renders one frame (Ethernet onwards) into b; returns its length. */
static size_t render(const gen_t *g, const pkt_t *p, uint16_t ipid, uint8_t *b)
{
    const src_t *s = &g->src[p->src];
    memcpy(b, MAC_DST, 6);
    memcpy(b + 6, MAC_SRC, 6);
    if (p->kind == K_TCP6) {
        uint8_t *ip = b + 14, *tcp = ip + 40;
        be16(b + 12, 0x86dd);
        size_t tl = put_tcp(tcp, p->sport, p->dport, p->seq, p->ack, p->tflags, p->win, p->opts,
                            p->mss, p->ws, p->tsval);
        be32(ip, 6u << 28 | (p->aux & 0xfffff));
        be16(ip + 4, (uint16_t)tl);
        ip[6] = 6, ip[7] = p->ttl;
        memcpy(ip + 8, s->a6, 16);
        memcpy(ip + 24, DARKNET6, 6);
        memset(ip + 30, 0, 10);
        be16(ip + 30, p->dst >> 16);
        be16(ip + 38, p->dst & 0xffff);
        uint32_t sum = csum_add(0, ip + 8, 32) + (uint32_t)tl + 6;
        be16(tcp + 16, csum_fold(csum_add(sum, tcp, tl)));
        return 14 + 40 + tl;
    }
    be16(b + 12, 0x0800);
    uint8_t *ip = b + 14;
    if (p->kind == K_ICMP4) {
        uint8_t *icmp = ip + 20, *in = icmp + 8, *itcp = in + 20;
        size_t itl = put_tcp(itcp, p->sport, p->dport, p->seq, 0, TH_SYN, p->win, O_NONE, 0, 0, 0);
        uint32_t victim = p->aux;
        put_ip4(in, (uint16_t)(20 + itl), (uint16_t)p->ack, 0, p->inttl, 6, p->dst, victim);
        be16(itcp + 16, tcp4_csum(p->dst, victim, itcp, itl));
        size_t il = 8 + 20 + itl;
        icmp[0] = 3, icmp[1] = p->code;
        memset(icmp + 2, 0, 6);
        be16(icmp + 2, csum_fold(csum_add(0, icmp, il)));
        put_ip4(ip, (uint16_t)(20 + il), ipid, p->df, p->ttl, 1, s->a4, p->dst);
        return 14 + 20 + il;
    }
    uint8_t *tcp = ip + 20;
    size_t tl = put_tcp(tcp, p->sport, p->dport, p->seq, p->ack, p->tflags, p->win, p->opts, p->mss,
                        p->ws, p->tsval);
    be16(tcp + 16, tcp4_csum(s->a4, p->dst, tcp, tl));
    put_ip4(ip, (uint16_t)(20 + tl), ipid, p->df, p->ttl, 6, s->a4, p->dst);
    return 14 + 20 + tl;
}

/* ------------------------------------------------------------------ */
/* main                                                                */

static void usage(FILE *f)
{
    fprintf(f, "usage: gen_darknet OUT.pcap [--packets N] [--sources S] [--seed X] [--syn-only] [--hours H [--hourly]]"
               " [--quiet]\n"
               "  defaults: N=1000000 packets, S=100000 distinct sources, X=1, H=1\n"
               "  --syn-only: SYN senders only (no backscatter)\n"
               "  --hourly: write OUT-00.pcap, OUT-01.pcap, ... (one file per hour) instead of OUT.pcap\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return 0;
    *v = strtoull(s, &end, 0);
    return errno == 0 && *end == 0;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    uint64_t N = 1000000, S = 100000, seed = 1, H = 1;
    int quiet = 0, hourly = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t *dst = NULL;
        if (!strcmp(a, "--packets") || !strcmp(a, "-n"))
            dst = &N;
        else if (!strcmp(a, "--sources") || !strcmp(a, "-s"))
            dst = &S;
        else if (!strcmp(a, "--seed"))
            dst = &seed;
        else if (!strcmp(a, "--hours"))
            dst = &H;
        else if (!strcmp(a, "--hourly")) {
            hourly = 1;
            continue;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
            continue;
        } else if (!strcmp(a, "--syn-only")) {
            /* SYN senders only (no backscatter): the issue-11 benchmark's
             * SYN-heavy capture; the backscatter share goes to Windows */
            share_pm[B_BACKSCATTER] = 0;
            continue;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "gen_darknet: unknown option %s\n", a);
            usage(stderr);
            return 1;
        } else if (!out) {
            out = a;
            continue;
        } else {
            usage(stderr);
            return 1;
        }
        if (i + 1 >= argc || !parse_u64(argv[i + 1], dst)) {
            fprintf(stderr, "gen_darknet: %s needs a non-negative integer\n", a);
            return 1;
        }
        i++;
    }
    if (!out) {
        usage(stderr);
        return 1;
    }
    if (S < 1 || S > 200000000u || N < S || N > 0xffffffffu) {
        fprintf(stderr, "gen_darknet: need 1 <= sources <= 2e8 and sources <= packets < 2^32\n");
        return 1;
    }
    if (H < 1 || H > 1000) { /* EPOCH_S + 1000 h still fits the 32-bit pcap seconds */
        fprintf(stderr, "gen_darknet: need 1 <= hours <= 1000\n");
        return 1;
    }

    clock_t c0 = clock();
    gen_t g;
    memset(&g, 0, sizeof g);
    g.seed = seed;
    g.cap = (uint32_t)N;
    g.nsrc = (uint32_t)S;
    g.hours = (uint32_t)H;
    g.span_max = H * HOUR_US - TAIL_US;
    g.boundary_src = UINT32_MAX;
    g.pk = malloc((size_t)N * sizeof *g.pk);
    g.src = calloc((size_t)S, sizeof *g.src);
    g.id_cur = calloc((size_t)S, sizeof *g.id_cur);
    g.id_step = calloc((size_t)S, sizeof *g.id_step);
    uint32_t *cnt = malloc((size_t)S * sizeof *cnt);
    if (!g.pk || !g.src || !g.id_cur || !g.id_step || !cnt) {
        fprintf(stderr, "gen_darknet: out of memory\n");
        return 2;
    }

    make_sources(&g, g.nsrc);
    make_budgets(&g, g.nsrc, N, cnt);
    /* the boundary Conficker host: the first Windows-like source with a
     * budget of exactly one connection (first SYN + one retry) */
    for (uint32_t i = 0; H > 1 && i < g.nsrc && g.boundary_src == UINT32_MAX; i++)
        if (g.src[i].beh == B_WIN && cnt[i] == 2)
            g.boundary_src = i;

    uint32_t maxcnt = 0, hist[5] = {0}; /* 1, 2-10, 11-100, 101-1000, >1000 */
    for (uint32_t i = 0; i < g.nsrc; i++) {
        rng_t r = rng_for(seed, 3, i);
        uint8_t hops = (uint8_t)(3 + rndn(&r, 22));
        uint32_t b = cnt[i];
        if (b > maxcnt)
            maxcnt = b;
        hist[b <= 1 ? 0 : b <= 10 ? 1 : b <= 100 ? 2 : b <= 1000 ? 3 : 4]++;
        switch (g.src[i].beh) {
        case B_WIN: gen_windows(&g, i, &r, b, hops); break;
        case B_LINUX: gen_linux(&g, i, &r, b, hops); break;
        case B_MAC: gen_mac(&g, i, &r, b, hops); break;
        case B_BACKSCATTER: gen_backscatter(&g, i, &r, b, hops); break;
        case B_V6: gen_v6(&g, i, &r, b, hops); break;
        default: gen_scanner(&g, i, &r, b, hops, g.src[i].beh); break;
        }
    }
    free(cnt);
    if (g.n != N) {
        fprintf(stderr, "gen_darknet: internal error: %" PRIu32 " packets, want %" PRIu64 "\n", g.n, N);
        return 3;
    }

    uint32_t *order = malloc((size_t)N * sizeof *order), *tmp = malloc((size_t)N * sizeof *tmp);
    if (!order || !tmp) {
        fprintf(stderr, "gen_darknet: out of memory\n");
        return 2;
    }
    for (uint32_t i = 0; i < g.n; i++)
        order[i] = i;
    radix_sort(g.pk, order, tmp, g.n);
    free(tmp);

    size_t bufsz = 1u << 22, used = 0;
    uint8_t *buf = malloc(bufsz);
    if (!buf) {
        fprintf(stderr, "gen_darknet: out of memory\n");
        return 2;
    }
    /* hourly files: OUT without its .pcap suffix, then -HH.pcap */
    size_t stem = strlen(out);
    if (stem > 5 && !strcmp(out + stem - 5, ".pcap"))
        stem -= 5;
    char *path = malloc(stem + 32);
    if (!path) {
        fprintf(stderr, "gen_darknet: out of memory\n");
        return 2;
    }
    uint64_t bytes = 0;
    int err = 0;
    FILE *f = NULL;
    uint32_t files = hourly ? (uint32_t)H : 1;
    for (uint32_t file = 0, k = 0; file < files; file++) {
        uint64_t until = hourly && file + 1 < files ? (uint64_t)(file + 1) * HOUR_US : UINT64_MAX;
        if (hourly)
            snprintf(path, stem + 32, "%.*s-%02" PRIu32 ".pcap", (int)stem, out, file);
        else
            snprintf(path, stem + 32, "%s", out);
        f = fopen(path, "wb");
        if (!f) {
            fprintf(stderr, "gen_darknet: %s: %s\n", path, strerror(errno));
            return 1;
        }
        /* pcap global header, little-endian, microsecond magic */
        le32(buf, 0xa1b2c3d4u);
        le16(buf + 4, 2);
        le16(buf + 6, 4);
        le32(buf + 8, 0);
        le32(buf + 12, 0);
        le32(buf + 16, 262144);
        le32(buf + 20, 1); /* LINKTYPE_ETHERNET */
        used = 24;
        for (; k < g.n && g.pk[order[k]].ts < until; k++) {
            uint32_t i = order[k];
            const pkt_t *p = &g.pk[i];
            uint16_t ipid = p->ipid;
            if (g.src[p->src].beh == B_WIN) { /* global IP-ID counter of the host */
                rng_t r = rng_for(seed, 4, p->ts << 32 | i);
                ipid = g.id_cur[p->src] = (uint16_t)(g.id_cur[p->src] + 1 + rndn(&r, g.id_step[p->src]));
            }
            if (bufsz - used < 256) {
                err |= fwrite(buf, 1, used, f) != used;
                bytes += used;
                used = 0;
            }
            uint8_t *rec = buf + used;
            size_t len = render(&g, p, ipid, rec + 16);
            uint64_t t = p->ts;
            le32(rec, EPOCH_S + (uint32_t)(t / 1000000));
            le32(rec + 4, (uint32_t)(t % 1000000));
            le32(rec + 8, (uint32_t)len);
            le32(rec + 12, (uint32_t)len);
            used += 16 + len;
        }
        err |= fwrite(buf, 1, used, f) != used;
        bytes += used;
        err |= fclose(f) != 0;
        if (err) {
            fprintf(stderr, "gen_darknet: %s: write error\n", path);
            return 1;
        }
    }
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (!quiet) {
        fprintf(stderr, "gen_darknet: %s%s: %" PRIu32 " packets, %" PRIu32 " sources, %" PRIu64
                        " bytes, seed %" PRIu64 ", %.2f s CPU\n",
                out, hourly ? " (hourly files)" : "", g.n, g.nsrc, bytes, seed, secs);
        if (H > 1) {
            char a[64] = "none (no Windows-like source with 2 packets)";
            if (g.boundary_src != UINT32_MAX) {
                uint32_t x = g.src[g.boundary_src].a4;
                snprintf(a, sizeof a, "%u.%u.%u.%u", x >> 24, x >> 16 & 255, x >> 8 & 255, x & 255);
            }
            fprintf(stderr, "  %" PRIu64 " hours; %" PRIu32 " sources pause for hours; Conficker host across the "
                            "hour %" PRIu64 " boundary: %s\n", H, g.paused, H / 2, a);
        }
        fprintf(stderr,
                "  packets/source: 1: %" PRIu32 ", 2-10: %" PRIu32 ", 11-100: %" PRIu32
                ", 101-1000: %" PRIu32 ", >1000: %" PRIu32 " sources; max %" PRIu32 "\n",
                hist[0], hist[1], hist[2], hist[3], hist[4], maxcnt);
        for (int b = 0; b < B_COUNT; b++)
            fprintf(stderr, "  %-12s %8" PRIu32 " sources %10" PRIu64 " packets\n", bname[b],
                    g.per_beh_srcs[b], g.per_beh_pkts[b]);
    }
    free(buf);
    free(path);
    free(order);
    free(g.pk);
    free(g.src);
    free(g.id_cur);
    free(g.id_step);
    return 0;
}
