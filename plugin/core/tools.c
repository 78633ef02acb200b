/* tools.c — scanner / malware packet fingerprints (docs/references.md#tools).
 *
 * Rules are rows of ddi_tool_rules[] (bottom of this file), walked in order;
 * the comment above the table says why the order is what it is.  Adding a
 * rule: a value in ddi_tool_rule (at its place in the order), a match and an
 * evidence function, a row, and a test.
 *
 * Every threshold carries a one-line comment naming where the fact comes
 * from (tool repository + file, or a section of docs/references.md).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tools.h"

#include <glib.h>
#include <string.h>

#include "hash.h"
#include "strbuf.h"

_Static_assert(sizeof(ddi_tool_ctx) <= 24, "ddi_tool_ctx lives in every source record");

/* ---------------------------------------------------------------- helpers */

#define TH_CORE (DDI_TH_FIN | DDI_TH_SYN | DDI_TH_RST | DDI_TH_ACK)

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static bool is_v4(const ddi_pkt *p) { return p->ver == 4 && p->dst.family == 4; }
static uint32_t dst4(const ddi_pkt *p) { return ddi_addr_v4(&p->dst); }
static bool no_opts(const ddi_pkt *p) { return p->tcp.hdr_len == 20; }

/* The option area was fully captured and holds exactly these kinds: a tool
 * writes its options byte for byte, a truncated area proves nothing. */
static bool layout_is(const ddi_tcp *t, const uint8_t *kinds, size_t n)
{
    return t->opts_complete && ddi_tcp_layout_is(t, kinds, n);
}

/* Exactly one option, MSS 1460: nmap's TCP_SYN_PROBE_OPTIONS (nmap.h) and
 * ZMap 3.0-4.0's set_mss_option() (src/probe_modules/packet.c). */
static bool mss1460_only(const ddi_pkt *p)
{
    static const uint8_t k[] = {DDI_OPT_MSS};
    return p->tcp.hdr_len == 24 && layout_is(&p->tcp, k, 1) && p->tcp.mss == 1460;
}

static bool mss_only(const ddi_pkt *p)
{
    static const uint8_t k[] = {DDI_OPT_MSS};
    return p->tcp.hdr_len == 24 && layout_is(&p->tcp, k, 1);
}

static bool first_opt_ws(const ddi_pkt *p, int shift)
{
    return p->tcp.nopt > 0 && p->tcp.olayout[0] == DDI_OPT_WS && p->tcp.has_ws &&
           (shift < 0 || p->tcp.ws == shift);
}

/* 16-bit digest of a target (destination address and the two ports); only
 * equality matters, collisions merely skip one count. */
static uint16_t target_digest(const ddi_pkt *p, uint16_t a, uint16_t b)
{
    uint32_t h = ddi_fnv1a(DDI_FNV1A_INIT, p->dst.a, p->dst.family == 6 ? 16 : 4);
    h = ddi_fnv1a_step(h, a);
    h = ddi_fnv1a_step(h, b);
    return (uint16_t)(h ^ (h >> 16));
}

static uint8_t sat_inc(uint8_t v, uint8_t cap) { return v < cap ? (uint8_t)(v + 1) : v; }

uint32_t ddi_tool_unicorn_key(const ddi_pkt *p)
{
    /* unicornscan src/scan_progs/tcphash.h TCPHASHTRACK(out, srcip, srcport, dstport, key):
     * out = key ^ (s_addr ^ ((rport << 16) + lport)), s_addr read as a host-order
     * u32 on a little-endian sender (= bswap32 of the address), and
     * send_packet.c passes the remote port first; makepkt.c writes htonl(seq). */
    uint32_t mix = bswap32(dst4(p)) ^ (((uint32_t)p->tcp.dport << 16) + p->tcp.sport);
    return p->tcp.seq ^ mix;
}

/* ------------------------------------------------------------ state rules */

/* The two 4-bit counters share ctx->hits. */
static uint8_t uni_hits(const ddi_tool_ctx *c) { return c->hits & 0x0f; }
static uint8_t nmap_hits(const ddi_tool_ctx *c) { return c->hits >> 4; }
static void set_uni_hits(ddi_tool_ctx *c, unsigned v) { c->hits = (uint8_t)((c->hits & 0xf0) | (v > 15 ? 15 : v)); }
static void set_nmap_hits(ddi_tool_ctx *c, unsigned v) { c->hits = (uint8_t)((c->hits & 0x0f) | ((v > 15 ? 15 : v) << 4)); }

/* unicornscan: count packets to distinct targets that give the same K.
 * A repeat to the same target (an OS retransmission has the same seq, dst and
 * ports, hence the same K) is not counted.  Returns the hit count. */
static unsigned uni_update(ddi_tool_ctx *c, const ddi_pkt *p)
{
    uint32_t k = ddi_tool_unicorn_key(p);
    uint16_t tgt = target_digest(p, p->tcp.sport, p->tcp.dport);
    unsigned h = uni_hits(c);

    if (h && k == c->uni_key) {
        if (tgt != c->uni_tgt) {
            /* cap 4: a stray packet keeps the lock (4 -> 3), and a new key after a
             * rerun (new random syn_key) takes over within a few packets */
            set_uni_hits(c, h < 4 ? h + 1 : 4);
            c->uni_tgt = tgt;
        }
        return uni_hits(c);
    }
    /* hysteresis: a locked key survives a few stray packets from the host */
    if (h > 1) {
        set_uni_hits(c, h - 1);
        return 0;
    }
    c->uni_key = k;
    c->uni_tgt = tgt;
    set_uni_hits(c, 1);
    return 1;
}

/* hping3: consecutive +1 steps of the source port, at an unchanged TTL
 * (hping3 sends every packet with src_ttl; nmap, whose retries also step the
 * source port, draws a new TTL per packet).  Returns the run length. */
static uint8_t sport_update(ddi_tool_ctx *c, uint16_t sport, uint8_t ttl)
{
    bool seen = c->last_sport || c->last_ttl || c->sport_run;
    if (seen && sport == (uint16_t)(c->last_sport + 1) && ttl == c->last_ttl)
        c->sport_run = sat_inc(c->sport_run, 7);
    else
        c->sport_run = 0;
    c->last_sport = sport;
    c->last_ttl = ttl;
    return c->sport_run;
}

static uint8_t ts_update(ddi_tool_ctx *c, const ddi_pkt *p)
{
    if (!p->tcp.has_ts)
        return 0;
    if (c->ts_hits && p->tcp.tsval == c->tsval)
        c->ts_hits = sat_inc(c->ts_hits, 3);
    else {
        c->tsval = p->tcp.tsval;
        c->ts_hits = 1;
    }
    return c->ts_hits;
}

/* nmap: every first try of a scan group shares sport = base_port + t and
 * seq = seqmask ^ ((t<<16)+t) (scan_engine_raw.cc sendIPScanProbe,
 * seq32_encode/sport_encode), so the same (sport, seq) reaches several
 * targets.  Returns how many extra targets got it. */
static unsigned nmap_update(ddi_tool_ctx *c, const ddi_pkt *p)
{
    uint16_t tgt = target_digest(p, p->tcp.dport, 0);
    unsigned h = nmap_hits(c);

    if (h || c->nmap_sport || c->nmap_seq) {
        if (p->tcp.sport == c->nmap_sport && p->tcp.seq == c->nmap_seq) {
            if (tgt != c->nmap_tgt) {
                set_nmap_hits(c, h + 1);
                c->nmap_tgt = tgt;
            }
            return nmap_hits(c);
        }
        if (h > 1) { /* a retry (new tryno) in between keeps the lock */
            set_nmap_hits(c, h - 1);
            return 0;
        }
    }
    c->nmap_sport = p->tcp.sport;
    c->nmap_seq = p->tcp.seq;
    c->nmap_tgt = tgt;
    set_nmap_hits(c, 0);
    return 0;
}

/* --------------------------------------------------------------- evidence */

static void sb_opts(ddi_sb *s, const ddi_pkt *p)
{
    if (no_opts(p)) {
        ddi_sb_add(s, "no TCP options");
        return;
    }
    ddi_sb_add(s, "options ");
    for (unsigned i = 0; i < p->tcp.nopt; i++) {
        uint8_t k = p->tcp.olayout[i];
        const char *name = ddi_tcp_opt_name(k);
        ddi_sb_add(s, "%s%s", i ? "," : "", name ? name : "opt");
        if (k == DDI_OPT_MSS && p->tcp.has_mss)
            ddi_sb_add(s, " %u", p->tcp.mss);
        else if (k == DDI_OPT_WS && p->tcp.has_ws)
            ddi_sb_add(s, " %u", p->tcp.ws);
        else if (!name)
            ddi_sb_add(s, "%u", k);
    }
    if (!p->tcp.opts_complete)
        ddi_sb_add(s, " (incomplete)");
}

/* "DF set" / "DF clear" for IPv4; IPv6 has no DF bit, so its evidence
 * names the version instead of citing a bit it does not have. */
static const char *df_txt(const ddi_pkt *p)
{
    if (p->ver != 4)
        return "IPv6 (no DF bit)";
    return p->df ? "DF set" : "DF clear";
}

static void sb_addr(ddi_sb *s, const ddi_addr *a)
{
    char tmp[64];
    ddi_sb_add(s, "%s", ddi_addr_str(a, tmp, sizeof tmp));
}

/* ---------------------------------------------------------- single rules */

/* What a match function reads: the packet, the per-source context (NULL on a
 * stateless re-run) and the per-source observations classify_tcp/udp made. */
typedef struct rule_in {
    ddi_tool_ctx *ctx;
    const ddi_pkt *p;
    unsigned uni;     /* unicornscan: targets that gave the same key */
    uint8_t run;      /* hping3: +1 source-port steps at a constant TTL */
    uint8_t ts_hits;  /* repeats of one TSval */
    bool syn;         /* SYN without ACK/RST/FIN */
    bool pure_syn;    /* SYN alone, no ECE/CWR/PSH/URG */
} rule_in;

static void set(ddi_tool_match *m, ddi_tool t, ddi_tool_rule r, bool multi, const char *variant)
{
    m->tool = t;
    m->rule = r;
    m->multi = multi;
    m->variant = variant;
}

/* ZMap <= 4.0: make_ip_header() ip_id = htons(54321), ip_off = 0, TTL MAXTTL;
 * make_tcp_header() th_win = htons(65535), ack 0 (zmap src/probe_modules/packet.c). */
#define ZMAP_IP_ID 54321
static bool zmap_old_ip(const ddi_pkt *p) { return is_v4(p) && p->ip_id == ZMAP_IP_ID && !p->df; }

/* ZMap default source ports 32768-61000 (zmap src/zopt.ggo; docs/references.md#zmap). */
#define ZMAP_SPORT_LO 32768
#define ZMAP_SPORT_HI 61000
static bool zmap_sport(uint16_t s) { return s >= ZMAP_SPORT_LO && s <= ZMAP_SPORT_HI; }

/* R1: id 54321 && win 65535 && no DF && ack 0; the window excludes tutorial
 * raw-socket code that copies id 54321 but sends window 5840
 * (docs/references.md#zmap). */
static bool zmap_marker(const ddi_pkt *p) { return zmap_old_ip(p) && p->tcp.win == 65535 && p->tcp.ack == 0; }

static bool match_zmap_syn(const rule_in *in, ddi_tool_match *m)
{
    const ddi_pkt *p = in->p;
    if (!in->pure_syn || !zmap_marker(p))
        return false;
    if (no_opts(p)) /* v1.0.0-v2.1.1 (Debian 12 ships 2.1.1): no options */
        set(m, DDI_TOOL_ZMAP, DDI_TR_ZMAP_SYN, false, "ZMap <= 2.1.1 (no options)");
    else if (mss1460_only(p)) /* 3.0.0-beta1 - 4.0.x: MSS 1460 (zmap commit 6819c65) */
        set(m, DDI_TOOL_ZMAP, DDI_TR_ZMAP_SYN, false, "ZMap 3.0 - 4.0 (MSS 1460)");
    else
        return false;
    return true;
}

static bool match_zmap_syn_opts(const rule_in *in, ddi_tool_match *m)
{
    /* the IP/TCP marker does not depend on the options: a build or fork that
     * adds or changes options is still ZMap, never an OS stack */
    if (!in->pure_syn || !zmap_marker(in->p))
        return false;
    set(m, DDI_TOOL_ZMAP, DDI_TR_ZMAP_SYN_OPTS, false, "ZMap (IP ID 54321 marker, other options)");
    return true;
}

/* ZMap >= 4.1 set_tcp_options() layouts (zmap src/probe_modules/module_tcp_synscan.c,
 * packet.c; "--probe-args"). */
static const uint8_t ZMAP_WIN_OPTS[] = {DDI_OPT_MSS, DDI_OPT_NOP, DDI_OPT_WS, DDI_OPT_NOP, DDI_OPT_NOP, DDI_OPT_SOK};
static const uint8_t ZMAP_LINUX_OPTS[] = {DDI_OPT_MSS, DDI_OPT_SOK, DDI_OPT_TS, DDI_OPT_NOP, DDI_OPT_WS};
static const uint8_t ZMAP_BSD_OPTS[] = {DDI_OPT_MSS, DDI_OPT_NOP, DDI_OPT_WS, DDI_OPT_NOP, DDI_OPT_NOP,
                                        DDI_OPT_TS, DDI_OPT_SOK, DDI_OPT_EOL};

/* R2: SYN && win 65535 && no DF && MSS 1460 && TTL_obs <= 64.  TTL 64 is
 * IPDEFTTL since zmap 5d90505; Windows sends the same options with DF and TTL 128. */
static bool zmap_new_base(const rule_in *in)
{
    const ddi_pkt *p = in->p;
    return in->pure_syn && is_v4(p) && !p->df && p->tcp.win == 65535 && p->ttl <= DDI_IPDEFTTL && p->tcp.ack == 0 &&
           p->tcp.mss == 1460;
}

static bool match_zmap_new(const rule_in *in, ddi_tool_match *m)
{
    const ddi_pkt *p = in->p;
    if (!zmap_new_base(in) || p->tcp.hdr_len != 32 || !layout_is(&p->tcp, ZMAP_WIN_OPTS, sizeof ZMAP_WIN_OPTS) ||
        p->tcp.ws != 8)
        return false;
    set(m, DDI_TOOL_ZMAP_NEW, DDI_TR_ZMAP_NEW, false, "ZMap >= 4.1 (default 'windows' options)");
    return true;
}

static bool match_zmap_new_alt(const rule_in *in, ddi_tool_match *m)
{
    const ddi_pkt *p = in->p;
    if (!zmap_new_base(in))
        return false;
    const char *v = NULL;
    if (p->tcp.hdr_len == 40 && layout_is(&p->tcp, ZMAP_LINUX_OPTS, sizeof ZMAP_LINUX_OPTS) && p->tcp.ws == 7)
        v = "ZMap >= 4.1 --probe-args=linux";
    else if (p->tcp.hdr_len == 44 && layout_is(&p->tcp, ZMAP_BSD_OPTS, sizeof ZMAP_BSD_OPTS) && p->tcp.ws == 6)
        v = "ZMap >= 4.1 --probe-args=bsd";
    else if (mss1460_only(p) && p->ip_id != ZMAP_IP_ID) /* 54321 with MSS-only is <= 4.0, matched earlier */
        v = "ZMap >= 4.1 --probe-args=smallest-probes";
    if (!v)
        return false;
    set(m, DDI_TOOL_ZMAP_NEW, DDI_TR_ZMAP_NEW_ALT, false, v);
    return true;
}

static bool match_zmap_synack(const rule_in *in, ddi_tool_match *m)
{
    /* ZMap's module_tcp_synackscan.c SYN-ACK probes carry the same
     * make_ip_header() id 54321 and make_tcp_header() window 65535 */
    const ddi_pkt *p = in->p;
    if ((p->tcp.flags & TH_CORE) != (DDI_TH_SYN | DDI_TH_ACK) || !zmap_old_ip(p) || p->tcp.win != 65535)
        return false;
    set(m, DDI_TOOL_ZMAP, DDI_TR_ZMAP_SYNACK, false, "ZMap tcp_synackscan");
    return true;
}

static bool match_masscan(const rule_in *in, ddi_tool_match *m)
{
    /* R3: masscan src/templ-pkt.c tcp_create_packet(): ip_id = ip_them ^ port_them ^ seqno,
     * low 16 bits on the wire.  Needs the real destination address (it is
     * rewritten in anonymised captures, MANIFEST "StopDDoS"). */
    const ddi_pkt *p = in->p;
    if (!in->pure_syn || !is_v4(p) || dst4(p) == 0)
        return false;
    uint32_t rel = (dst4(p) ^ p->tcp.dport ^ p->tcp.seq) & 0xffffu;
    if (p->ip_id != rel || p->df)
        return false;
    /* default_tcp_template[]: window 1024 (1.0.3 - 1.3.2); HEAD (commit c7801f1) writes 04 01 = 1025 */
    if (p->tcp.win == 1024 && no_opts(p))
        set(m, DDI_TOOL_MASSCAN, DDI_TR_MASSCAN, false, "masscan <= 1.3.2 (window 1024, no options)");
    else if (p->tcp.win == 1025 && mss_only(p))
        set(m, DDI_TOOL_MASSCAN, DDI_TR_MASSCAN, false, "masscan git HEAD >= 2023-11 (window 1025, MSS)");
    else if (p->tcp.win == 1024 || p->tcp.win == 1025)
        set(m, DDI_TOOL_MASSCAN, DDI_TR_MASSCAN, false, "masscan (unusual options)");
    else
        return false;
    return true;
}

/* Mirai get_random_ip() never produces these destinations (jgamblin/Mirai-Source-Code
 * mirai/bot/scanner.c): a hit there is a modified variant. */
static bool mirai_excluded_dst(uint32_t d)
{
    uint8_t o1 = (uint8_t)(d >> 24), o2 = (uint8_t)(d >> 16);
    static const uint8_t dod[] = {0, 3, 6, 7, 10, 11, 15, 16, 21, 22, 26, 28, 29, 30, 33, 55, 56, 127, 214, 215};
    for (size_t i = 0; i < sizeof dod; i++)
        if (o1 == dod[i])
            return true;
    return o1 >= 224 || (o1 == 192 && o2 == 168) || (o1 == 172 && o2 >= 16 && o2 < 32) ||
           (o1 == 100 && o2 >= 64 && o2 < 127) || (o1 == 169 && o2 > 254) || (o1 == 198 && o2 >= 18 && o2 < 20);
}

static bool match_mirai(const rule_in *in, ddi_tool_match *m)
{
    /* R4: Mirai scanner.c: tcph->seq = iph->daddr (same 4 bytes), doff 5. */
    const ddi_pkt *p = in->p;
    if (!in->pure_syn || !is_v4(p) || dst4(p) == 0 || p->tcp.seq != dst4(p) || !no_opts(p))
        return false;
    uint16_t dp = p->tcp.dport;
    const char *v;
    if (mirai_excluded_dst(dst4(p)))
        v = "Mirai variant (destination is in space original Mirai never scans)";
    else if (dp == 23 || dp == 2323) /* scanner.c: 2323 when i % 10 == 0, else 23 */
        v = "Mirai (telnet 23/2323 as in the 2016 source)";
    else if (dp == 80 || dp == 8080 || dp == 8081 || dp == 8181 || dp == 9000 || dp == 5555 || dp == 7547 ||
             dp == 8443 || dp == 37215) /* variant ports (docs/references.md#mirai) */
        v = "Mirai variant (known variant port)";
    else
        v = "Mirai variant (port not in the 2016 source)";
    set(m, DDI_TOOL_MIRAI, DDI_TR_MIRAI, false, v);
    return true;
}

static bool match_unicorn_key(const rule_in *in, ddi_tool_match *m)
{
    /* R9: K = seq ^ bswap32(dst) ^ ((dport<<16)+sport) constant over >= 3 targets */
    if (in->uni < 3)
        return false;
    set(m, DDI_TOOL_UNICORNSCAN, DDI_TR_UNICORN_KEY, true, "unicornscan (constant TCPHASHTRACK key)");
    return true;
}

/* nmap osscan2.cc: prbWindowSz[] = {1, 63, 4, 4, 16, 512, 3, 128, 256, 1024, 31337, 32768, 65535};
 * prbOpts[7..12] (T2-T7) all start with WScale (10, or 15 for T7). */
static uint16_t flags8(const ddi_pkt *p) { return p->tcp.flags & 0xff; }

static bool match_nmap_t5(const rule_in *in, ddi_tool_match *m)
{
    /* T5: sendT1_7Probe case 4: TH_SYN, prbWindowSz[10] = 31337, no DF, prbOpts[10] (WS 10 first) */
    const ddi_pkt *p = in->p;
    if (flags8(p) != DDI_TH_SYN || p->tcp.win != 31337 || !first_opt_ws(p, -1))
        return false;
    set(m, DDI_TOOL_NMAP_OS, DDI_TR_NMAP_T5, false, "nmap -O T5 (SYN to a closed port)");
    return true;
}

static bool match_nmap_t6(const rule_in *in, ddi_tool_match *m)
{
    /* T6: TH_ACK, prbWindowSz[11] = 32768, df = true, prbOpts[11] */
    const ddi_pkt *p = in->p;
    if (flags8(p) != DDI_TH_ACK || p->tcp.win != 32768 || !p->df || !first_opt_ws(p, -1))
        return false;
    set(m, DDI_TOOL_NMAP_OS, DDI_TR_NMAP_T6, false, "nmap -O T6 (ACK to a closed port)");
    return true;
}

static bool match_nmap_t7(const rule_in *in, ddi_tool_match *m)
{
    /* T7: TH_FIN|TH_PUSH|TH_URG, prbWindowSz[12] = 65535, prbOpts[12] starts WS 15 */
    const ddi_pkt *p = in->p;
    if (flags8(p) != (DDI_TH_FIN | DDI_TH_PUSH | DDI_TH_URG) || p->tcp.win != 65535 || !first_opt_ws(p, 15))
        return false;
    set(m, DDI_TOOL_NMAP_OS, DDI_TR_NMAP_T7, false, "nmap -O T7 (FIN/PSH/URG to a closed port)");
    return true;
}

static bool match_nmap_ecn(const rule_in *in, ddi_tool_match *m)
{
    /* ECN: sendTEcnProbe: TH_CWR|TH_ECE|TH_SYN, reserved 8, prbWindowSz[6] = 3, urp 63477 */
    const ddi_pkt *p = in->p;
    if (flags8(p) != (DDI_TH_CWR | DDI_TH_ECE | DDI_TH_SYN) || p->tcp.win != 3 || p->tcp.urg != 0xF7F5)
        return false;
    set(m, DDI_TOOL_NMAP_OS, DDI_TR_NMAP_ECN, false, "nmap -O ECN probe (open port)");
    return true;
}

static bool nmap_window(uint16_t w)
{
    /* tcpip.cc build_tcp_raw(): window 0 becomes 1024; p0f.fp NMap SYN scan also lists 2048/3072/4096 */
    return w == 1024 || w == 2048 || w == 3072 || w == 4096;
}

/* nmap's SYN-scan shape: win in {1024..4096} && exactly MSS 1460 && no DF &&
 * ack 0 && a TTL nmap can send (scan_engine_raw.cc: df false). */
static bool nmap_syn_shape(const ddi_pkt *p)
{
    return nmap_window(p->tcp.win) && mss1460_only(p) && !p->df && p->tcp.ack == 0 && p->ttl <= DDI_NMAP_TTL_MAX;
}

/* Counts nmap-shaped SYNs that keep the first one's TTL; returns the count,
 * or DDI_NMAP_TTL_VARIED once a TTL differed. */
static unsigned nmap_ttl_update(ddi_tool_ctx *c, uint8_t ttl)
{
    if (c->nmap_ttl_n == DDI_NMAP_TTL_VARIED)
        return DDI_NMAP_TTL_VARIED;
    if (!c->nmap_ttl_n) {
        c->nmap_ttl = ttl;
        c->nmap_ttl_n = 1;
    } else if (ttl != c->nmap_ttl) {
        c->nmap_ttl_n = DDI_NMAP_TTL_VARIED;
    } else if (c->nmap_ttl_n < DDI_NMAP_TTL_VARIED - 1) {
        c->nmap_ttl_n++;
    }
    return c->nmap_ttl_n;
}

bool ddi_tool_nmap_refuted(const ddi_tool_ctx *ctx)
{
    return ctx && ctx->nmap_ttl_n >= DDI_NMAP_TTL_SAME_MAX && ctx->nmap_ttl_n != DDI_NMAP_TTL_VARIED &&
           !nmap_hits(ctx);
}

/* R5, with the TTL read as what it is in nmap: a value drawn per probe.  Also
 * reaches DDI_TR_NMAP_SHAPE: the same shape with a constant TTL. */
static bool match_nmap_syn(const rule_in *in, ddi_tool_match *m)
{
    const ddi_pkt *p = in->p;
    ddi_tool_ctx *c = in->ctx;
    if (!in->pure_syn || !nmap_syn_shape(p))
        return false;
    unsigned extra = c ? nmap_update(c, p) : 0;
    unsigned same = c ? nmap_ttl_update(c, p->ttl) : 1;
    if (extra)
        set(m, DDI_TOOL_NMAP_SYN, DDI_TR_NMAP_SYN, true, "nmap -sS (same sport and seq to several targets)");
    else if (same == DDI_NMAP_TTL_VARIED)
        set(m, DDI_TOOL_NMAP_SYN, DDI_TR_NMAP_SYN, true, "nmap -sS (TTL drawn anew per probe)");
    else if (same >= DDI_NMAP_TTL_SAME_MAX)
        set(m, DDI_TOOL_CRAFTED, DDI_TR_NMAP_SHAPE, true, "nmap's SYN shape, constant TTL");
    else
        set(m, DDI_TOOL_NMAP_SYN, DDI_TR_NMAP_SYN, false, "nmap -sS (TTL variation not yet seen)");
    return true;
}

static bool match_nmap_other(const rule_in *in, ddi_tool_match *m)
{
    /* nmap -sN/-sF/-sX/-sA/-sW/-sM: same build_tcp_raw() defaults as -sS (window 1024,
     * random TTL, no DF) but no options (scan_engine_raw.cc adds options only to
     * SYN).  seq32_encode() goes into ack when the probe has ACK, else into seq. */
    const ddi_pkt *p = in->p;
    uint16_t f = flags8(p);
    bool ack_probe = f == DDI_TH_ACK || f == (DDI_TH_FIN | DDI_TH_ACK);
    bool noack_probe = f == 0 || f == DDI_TH_FIN || f == (DDI_TH_FIN | DDI_TH_PUSH | DDI_TH_URG);
    if (!(ack_probe || noack_probe) || !nmap_window(p->tcp.win) || !no_opts(p) || p->df || p->ttl > DDI_NMAP_TTL_MAX)
        return false;
    if (noack_probe && p->tcp.ack != 0)
        return false;
    if (ack_probe && p->tcp.ack == 0)
        return false;
    const char *v = f == 0 ? "nmap -sN (NULL)" : f == DDI_TH_FIN ? "nmap -sF (FIN)"
                  : f == DDI_TH_ACK ? "nmap -sA/-sW (ACK)" : f == (DDI_TH_FIN | DDI_TH_ACK) ? "nmap -sM (Maimon)"
                  : "nmap -sX (Xmas)";
    /* the TTL is drawn per probe as for -sS: a constant one refutes nmap, and
     * these probes then carry no tool label (no OS stack sends them either) */
    unsigned same = in->ctx ? nmap_ttl_update(in->ctx, p->ttl) : 1;
    if (same != DDI_NMAP_TTL_VARIED && same >= DDI_NMAP_TTL_SAME_MAX)
        return false;
    set(m, DDI_TOOL_NMAP_OTHER, DDI_TR_NMAP_OTHER, same == DDI_NMAP_TTL_VARIED, v);
    return true;
}

/* unicornscan fingerprint 1 (etc/unicorn.conf.in "fingerprint: 1", init_packet.c):
 * MSS, NOP, NOP, SACK-perm, NOP, WS 0, NOP, NOP, TS — OpenBSD 3.x's SYN layout. */
static const uint8_t UNI_FP1_OPTS[] = {DDI_OPT_MSS, DDI_OPT_NOP, DDI_OPT_NOP, DDI_OPT_SOK, DDI_OPT_NOP,
                                       DDI_OPT_WS, DDI_OPT_NOP, DDI_OPT_NOP, DDI_OPT_TS};

static bool match_unicorn_fp1(const rule_in *in, ddi_tool_match *m)
{
    /* fp1: window 16384, 24 option bytes, DF, TTL 64 (init_packet.c; MANIFEST unicornscan) */
    const ddi_pkt *p = in->p;
    if (!is_v4(p) || p->tcp.win != 16384 || p->tcp.hdr_len != 44 ||
        !layout_is(&p->tcp, UNI_FP1_OPTS, sizeof UNI_FP1_OPTS) || p->tcp.ws != 0 || p->ttl > DDI_IPDEFTTL)
        return false;
    /* the same SYN options on a non-SYN probe: no OS stack does that; on a SYN it
     * is OpenBSD 3.x's fingerprint, so a second target with the same K (uni >= 2)
     * or a constant TSval (unicornscan does not advance it) is wanted */
    bool multi = in->uni >= 2 || in->ts_hits >= 3;
    set(m, DDI_TOOL_UNICORNSCAN, DDI_TR_UNICORN_FP1, multi,
        in->syn ? "unicornscan fingerprint 1 (OpenBSD-3-like SYN)" : "unicornscan fingerprint 1 on a non-SYN probe");
    return true;
}

static bool match_unicorn_fp0(const rule_in *in, ddi_tool_match *m)
{
    /* fp0 (compiled default, -W 0 "cisco"): window 4128, MSS only, TTL 255, no DF
     * (init_packet.c).  A real Cisco IOS SYN looks the same (zeek mixed-vlan-mpls.pcap:
     * telnet from a router, 4128/MSS 536/TTL 255), so fp0 needs the key seen on a
     * second target (2^-32 by chance). */
    const ddi_pkt *p = in->p;
    if (!is_v4(p) || p->tcp.win != 4128 || !mss_only(p) || p->df || p->ttl <= 128 || in->uni < 2)
        return false;
    set(m, DDI_TOOL_UNICORNSCAN, DDI_TR_UNICORN_FP0, true, "unicornscan fingerprint 0 (Cisco-like)");
    return true;
}

/* R8: hping3 main.c src_winsize 512, src_ttl 64; sendip.c no DF; doff 5 (no options). */
static bool hping3_tcp_shape(const ddi_pkt *p)
{
    return is_v4(p) && p->tcp.win == 512 && no_opts(p) && !p->df && p->ttl <= DDI_IPDEFTTL;
}

static bool match_hping3(const rule_in *in, ddi_tool_match *m)
{
    /* sendtcp.c th_ack = htonl(rand()) even without the ACK flag */
    if (in->p->l4 != DDI_L4_TCP || !hping3_tcp_shape(in->p) || !(in->p->quirks & DDI_Q_NZ_ACK))
        return false;
    set(m, DDI_TOOL_HPING3, DDI_TR_HPING3, in->run >= 2, "hping3");
    return true;
}

static bool match_hping3_sport(const rule_in *in, ddi_tool_match *m)
{
    /* sendtcp.c/sendudp.c: src_port = (sequence + initsport) % 65536, +1 per packet */
    const ddi_pkt *p = in->p;
    if (in->run < 2)
        return false;
    if (p->l4 == DDI_L4_TCP && hping3_tcp_shape(p)) {
        set(m, DDI_TOOL_HPING3, DDI_TR_HPING3_SPORT, true, "hping3 (source port +1 per packet)");
        return true;
    }
    /* hping3 -2: no payload by default (main.c data_size 0), no DF, TTL 64 */
    if (p->l4 == DDI_L4_UDP && is_v4(p) && p->udp_len == 8 && !p->df && p->ttl <= DDI_IPDEFTTL) {
        set(m, DDI_TOOL_HPING3, DDI_TR_HPING3_SPORT, true, "hping3 -2 (UDP, source port +1 per packet)");
        return true;
    }
    return false;
}

static bool match_crafted(const rule_in *in, ddi_tool_match *m)
{
    /* R19: SYN && doff 5 && no DF: real stacks send options and (IPv4) set DF
     * (docs/references.md#crafted-syn) */
    if (!in->syn || !no_opts(in->p) || in->p->df)
        return false;
    set(m, DDI_TOOL_CRAFTED, DDI_TR_CRAFTED, false, NULL);
    return true;
}

static bool match_nmap_u1(const rule_in *in, ddi_tool_match *m)
{
    /* U1: osscan2.cc send_closedudp_probe(): ip_id 0x1042, 300 bytes of 'C' -> UDP length 308 */
    const ddi_pkt *p = in->p;
    if (!is_v4(p) || p->ip_id != 0x1042 || p->udp_len != 308)
        return false;
    set(m, DDI_TOOL_NMAP_OS, DDI_TR_NMAP_U1, false, "nmap -O U1 (UDP to a closed port)");
    return true;
}

/* nmap host discovery (-sn, and before every scan as root): nmap.h
 * DEFAULT_IPV4_PING_TYPES = echo + SYN/443 + ACK/80 + timestamp; the ICMP
 * probes carry no data unless --data-length (scan_engine_raw.cc
 * sendPingProbe -> build_icmp_raw with o.extra_payload), no DF, and nmap's
 * random TTL.  OS ping tools always send data (Linux/macOS 56 bytes, Windows
 * 32); captures/netns-scanners.pcapng source 203.0.113.26 shows the probes. */
static bool nmap_ping_ip(const ddi_pkt *p) { return p->ttl <= DDI_NMAP_TTL_MAX && !p->df && p->icmp_code == 0; }

static bool match_nmap_ping_ts(const rule_in *in, ddi_tool_match *m)
{
    const ddi_pkt *p = in->p;
    if (p->icmp_type != 13 || !nmap_ping_ip(p) || p->ip_len != 20 + 20)
        return false;
    set(m, DDI_TOOL_NMAP_PING, DDI_TR_NMAP_PING_TS, false, "nmap host discovery (ICMP timestamp request)");
    return true;
}

static bool match_nmap_ping_echo(const rule_in *in, ddi_tool_match *m)
{
    const ddi_pkt *p = in->p;
    if (p->icmp_type != 8 || !nmap_ping_ip(p) || p->ip_len != 20 + 8 || p->ip_opt_len != 0)
        return false;
    set(m, DDI_TOOL_NMAP_PING, DDI_TR_NMAP_PING_ECHO, false, "nmap host discovery (echo request without data)");
    return true;
}

static bool match_nmap_ie1(const rule_in *in, ddi_tool_match *m)
{
    /* IE1: osscan2.cc sendTIcmpProbe(0): echo, df = true, code 9, 120 data bytes */
    const ddi_pkt *p = in->p;
    if (p->icmp_type != 8 || p->icmp_code != 9 || !p->df)
        return false;
    set(m, DDI_TOOL_NMAP_OS, DDI_TR_NMAP_IE1, false, "nmap -O IE1 (echo, code 9)");
    return true;
}

static bool match_nmap_ie2(const rule_in *in, ddi_tool_match *m)
{
    /* IE2: sendTIcmpProbe(1): TOS IP_TOS_RELIABILITY (0x04), code 0, no DF, 150 bytes -> IP length 178 */
    const ddi_pkt *p = in->p;
    if (p->icmp_type != 8 || p->icmp_code != 0 || p->tos != 0x04 || p->df || p->ip_len != 20 + 8 + 150 ||
        p->ip_opt_len != 0)
        return false;
    set(m, DDI_TOOL_NMAP_OS, DDI_TR_NMAP_IE2, false, "nmap -O IE2 (echo, TOS 0x04)");
    return true;
}

static bool match_zmap_icmp(const rule_in *in, ddi_tool_match *m)
{
    /* ZMap icmp_echoscan: make_ip_header() id 54321, TTL 255, no DF (zmap src/probe_modules/packet.c).
     * TTL > 128 keeps ordinary pings (Linux 64 + DF, Windows 128) out of a 2^-16 coincidence. */
    const ddi_pkt *p = in->p;
    if (p->icmp_type != 8 || p->ip_id != ZMAP_IP_ID || p->df || p->ttl <= 128)
        return false;
    set(m, DDI_TOOL_ZMAP, DDI_TR_ZMAP_ICMP, false, "ZMap icmp_echoscan");
    return true;
}

/* -------------------------------------------------------- evidence per rule */

#define EV(name) static void name(const ddi_tool_rule_row *r, const ddi_pkt *p, ddi_sb *s)

EV(ev_none)
{
    (void)r, (void)p;
    ddi_sb_add(s, "no scanner fingerprint matched");
}

EV(ev_zmap_syn)
{
    const ddi_tcp *t = &p->tcp;
    ddi_sb_add(s, "IP ID %u (fixed 54321); window %u; %s; ", p->ip_id, t->win, df_txt(p));
    sb_opts(s, p);
    ddi_sb_add(s, "; TTL %u; sport %u (%s ZMap's default %u-%u) (%s)", p->ttl, t->sport,
               zmap_sport(t->sport) ? "in" : "outside", ZMAP_SPORT_LO, ZMAP_SPORT_HI, r->source);
}

EV(ev_zmap_syn_opts)
{
    const ddi_tcp *t = &p->tcp;
    ddi_sb_add(s, "IP ID %u (fixed 54321); window %u; %s; ", p->ip_id, t->win, df_txt(p));
    sb_opts(s, p);
    ddi_sb_add(s, " (not a layout ZMap releases send; the IP ID/window marker does not depend on options); "
                  "TTL %u; sport %u (%s)",
               p->ttl, t->sport, r->source);
}

EV(ev_zmap_synack)
{
    ddi_sb_add(s, "SYN+ACK probe with IP ID %u (fixed 54321), window %u, %s, TTL %u: ZMap's SYN-ACK scan "
                  "module, not backscatter (%s)",
               p->ip_id, p->tcp.win, df_txt(p), p->ttl, r->source);
}

EV(ev_zmap_icmp)
{
    ddi_sb_add(s, "ICMP echo request with IP ID %u (fixed 54321), %s, TTL %u (%s)", p->ip_id, df_txt(p), p->ttl,
               r->source);
}

EV(ev_zmap_new)
{
    const ddi_tcp *t = &p->tcp;
    sb_opts(s, p);
    ddi_sb_add(s, "; window %u; %s; TTL %u (<= %u); IP ID %u (random since 4.1); sport %u (%s %u-%u) (%s)", t->win,
               df_txt(p), p->ttl, DDI_IPDEFTTL, p->ip_id, t->sport, zmap_sport(t->sport) ? "in" : "outside",
               ZMAP_SPORT_LO, ZMAP_SPORT_HI, r->source);
}

EV(ev_masscan)
{
    const ddi_tcp *t = &p->tcp;
    uint32_t rel = (dst4(p) ^ t->dport ^ t->seq) & 0xffffu;
    ddi_sb_add(s, "IP ID %u %s (dst ^ dport ^ seq) & 0xffff = %u; window %u; %s; ", p->ip_id,
               p->ip_id == rel ? "=" : "!=", rel, t->win, df_txt(p));
    sb_opts(s, p);
    ddi_sb_add(s, "; TTL %u (%s)", p->ttl, r->source);
}

EV(ev_mirai)
{
    const ddi_tcp *t = &p->tcp;
    ddi_sb_add(s, "TCP seq 0x%08x %s destination ", t->seq, t->seq == dst4(p) ? "=" : "!=");
    sb_addr(s, &p->dst);
    ddi_sb_add(s, " (0x%08x); ", dst4(p));
    sb_opts(s, p);
    ddi_sb_add(s, "; window %u; %s; ack %u; TTL %u; dport %u%s (%s)", t->win, df_txt(p), t->ack, p->ttl, t->dport,
               (t->dport == 23 || t->dport == 2323) ? "" : " (variant port)", r->source);
}

EV(ev_nmap_syn)
{
    const ddi_tcp *t = &p->tcp;
    ddi_sb_add(s, "window %u (nmap 1024/2048/3072/4096); ", t->win);
    sb_opts(s, p);
    ddi_sb_add(s, "; %s; ack %u; TTL %u (nmap draws %u-%u) (%s)", df_txt(p), t->ack, p->ttl, DDI_NMAP_TTL_MIN,
               DDI_NMAP_TTL_MAX, r->source);
}

EV(ev_nmap_shape)
{
    ddi_sb_add(s, "window %u, ", p->tcp.win);
    sb_opts(s, p);
    ddi_sb_add(s, ", %s: nmap's SYN-scan shape, but TTL %u on every one of this source's %u or more such SYNs, "
                  "where nmap draws a new TTL %u-%u per probe (%s): a raw-socket tool copying nmap's shape, not nmap",
               df_txt(p), p->ttl, DDI_NMAP_TTL_SAME_MAX, DDI_NMAP_TTL_MIN, DDI_NMAP_TTL_MAX, r->source);
}

EV(ev_nmap_t5)
{
    ddi_sb_add(s, "SYN with window %u (nmap T5 31337); ", p->tcp.win);
    sb_opts(s, p);
    ddi_sb_add(s, " (%s)", r->source);
}

EV(ev_nmap_t6)
{
    ddi_sb_add(s, "ACK with window %u (nmap T6 32768), %s; ", p->tcp.win, df_txt(p));
    sb_opts(s, p);
    ddi_sb_add(s, " (%s)", r->source);
}

EV(ev_nmap_t7)
{
    ddi_sb_add(s, "FIN+PSH+URG with window %u; ", p->tcp.win);
    sb_opts(s, p);
    ddi_sb_add(s, " (nmap T7 starts WS 15) (%s)", r->source);
}

EV(ev_nmap_ecn)
{
    ddi_sb_add(s, "SYN+ECE+CWR with window %u and urgent pointer 0x%04x without URG (nmap ECN probe: 3, 0xF7F5) (%s)",
               p->tcp.win, p->tcp.urg, r->source);
}

EV(ev_nmap_ie1)
{
    ddi_sb_add(s, "ICMP echo request with code %u (nmap IE1: 9), %s, IP length %u (%s)", p->icmp_code, df_txt(p),
               p->ip_len, r->source);
}

EV(ev_nmap_ie2)
{
    ddi_sb_add(s, "ICMP echo request with TOS 0x%02x, code %u, IP length %u (nmap IE2: TOS 0x04, 150 data bytes) (%s)",
               p->tos, p->icmp_code, p->ip_len, r->source);
}

EV(ev_nmap_u1)
{
    ddi_sb_add(s, "UDP with IP ID 0x%04x and UDP length %u (nmap U1: 0x1042, 8 + 300 bytes of 'C') (%s)", p->ip_id,
               p->udp_len, r->source);
}

EV(ev_nmap_other)
{
    const ddi_tcp *t = &p->tcp;
    ddi_sb_add(s, "TCP flags 0x%02x, window %u, ", t->flags & 0xff, t->win);
    sb_opts(s, p);
    ddi_sb_add(s, ", %s, TTL %u, seq %u, ack %u (%s)", df_txt(p), p->ttl, t->seq, t->ack, r->source);
}

EV(ev_nmap_ping)
{
    ddi_sb_add(s, "ICMP %s request, IP length %u (no data), %s, TTL %u (nmap sends %u-%u): nmap host discovery (%s)",
               p->icmp_type == 13 ? "timestamp" : "echo", p->ip_len, df_txt(p), p->ttl, DDI_NMAP_TTL_MIN,
               DDI_NMAP_TTL_MAX, r->source);
}

EV(ev_hping3)
{
    const ddi_tcp *t = &p->tcp;
    ddi_sb_add(s, "window %u; ", t->win);
    sb_opts(s, p);
    ddi_sb_add(s, "; %s; ACK flag off but ack number %u != 0; TTL %u; sport %u (%s)", df_txt(p), t->ack, p->ttl,
               t->sport, r->source);
}

EV(ev_hping3_sport)
{
    const ddi_tcp *t = &p->tcp;
    if (p->l4 == DDI_L4_UDP)
        ddi_sb_add(s, "UDP length %u (no payload); %s; TTL %u; sport %u = previous + 1 (%s)", p->udp_len, df_txt(p),
                   p->ttl, p->udp_sport, r->source);
    else
        ddi_sb_add(s, "window %u; %s; %s; TTL %u; sport %u = previous + 1 (%s)", t->win,
                   no_opts(p) ? "no TCP options" : "TCP options", df_txt(p), p->ttl, t->sport, r->source);
}

EV(ev_unicorn_fp0)
{
    ddi_sb_add(s, "window %u (4128); ", p->tcp.win);
    sb_opts(s, p);
    ddi_sb_add(s, "; %s; TTL %u (255 initial) (%s)", df_txt(p), p->ttl, r->source);
}

EV(ev_unicorn_fp1)
{
    ddi_sb_add(s, "window %u (16384); ", p->tcp.win);
    sb_opts(s, p);
    ddi_sb_add(s, "; %s; TTL %u; TSval %u; K 0x%08x (%s)", df_txt(p), p->ttl, p->tcp.tsval,
               is_v4(p) ? ddi_tool_unicorn_key(p) : 0, r->source);
}

EV(ev_unicorn_key)
{
    ddi_sb_add(s, "K = seq ^ bswap32(dst) ^ ((dport<<16)+sport) = 0x%08x, the same for >= 3 targets of this source (%s)",
               is_v4(p) ? ddi_tool_unicorn_key(p) : 0, r->source);
}

EV(ev_crafted)
{
    if (p->ver == 4)
        ddi_sb_add(s, "SYN with a 20-byte TCP header (no options) and DF clear; window %u; TTL %u: OS stacks send "
                      "options and set DF (%s)",
                   p->tcp.win, p->ttl, r->source);
    else
        ddi_sb_add(s, "IPv6 SYN with a 20-byte TCP header (no options); window %u; hop limit %u: OS stacks send "
                      "options (%s)",
                   p->tcp.win, p->ttl, r->source);
}

#undef EV

/* ------------------------------------------------------------------ tables */

#define TCP (1u << DDI_L4_TCP)
#define UDP (1u << DDI_L4_UDP)
#define ICMP (1u << DDI_L4_ICMP)

/* One row per rule, in match order (the enum follows it).  Why this order:
 * backscatter-shaped packets (SYN+ACK, RST) never reach the walk except
 * ZMap's SYN-ACK probes; the exact relations come first (masscan's IP ID,
 * 2^-16; Mirai's seq, 2^-32; unicornscan's key over >= 3 packets), then
 * nmap's OS probes (unusual windows), then the window/option rules, and
 * "crafted SYN" last.  A rule whose `match` is NULL is reached through the
 * row named in `via` (one match function, two verdicts). */
const ddi_tool_rule_row ddi_tool_rules[DDI_TR__COUNT] = {
    {DDI_TR_NONE, "none", DDI_TOOL_NONE, 0, NULL, DDI_TR_NONE, ev_none, "-"},
    {DDI_TR_ZMAP_SYNACK, "ZMap SYN-ACK scan (IP ID 54321)", DDI_TOOL_ZMAP, TCP, match_zmap_synack, DDI_TR_NONE,
     ev_zmap_synack, "zmap src/probe_modules/module_tcp_synackscan.c"},
    {DDI_TR_MASSCAN, "masscan IP ID relation", DDI_TOOL_MASSCAN, TCP, match_masscan, DDI_TR_NONE, ev_masscan,
     "masscan src/templ-pkt.c"},
    {DDI_TR_MIRAI, "Mirai seq = destination", DDI_TOOL_MIRAI, TCP, match_mirai, DDI_TR_NONE, ev_mirai,
     "Mirai mirai/bot/scanner.c"},
    {DDI_TR_UNICORN_KEY, "unicornscan key", DDI_TOOL_UNICORNSCAN, TCP, match_unicorn_key, DDI_TR_NONE,
     ev_unicorn_key, "unicornscan src/scan_progs/tcphash.h TCPHASHTRACK"},
    {DDI_TR_NMAP_T5, "nmap OS T5", DDI_TOOL_NMAP_OS, TCP, match_nmap_t5, DDI_TR_NONE, ev_nmap_t5,
     "nmap osscan2.cc prbWindowSz[10], prbOpts[10]"},
    {DDI_TR_NMAP_T6, "nmap OS T6", DDI_TOOL_NMAP_OS, TCP, match_nmap_t6, DDI_TR_NONE, ev_nmap_t6,
     "nmap osscan2.cc sendT1_7Probe, prbWindowSz[11]"},
    {DDI_TR_NMAP_T7, "nmap OS T7", DDI_TOOL_NMAP_OS, TCP, match_nmap_t7, DDI_TR_NONE, ev_nmap_t7,
     "nmap osscan2.cc sendT1_7Probe, prbOpts[12]"},
    {DDI_TR_NMAP_ECN, "nmap OS ECN", DDI_TOOL_NMAP_OS, TCP, match_nmap_ecn, DDI_TR_NONE, ev_nmap_ecn,
     "nmap osscan2.cc sendTEcnProbe"},
    {DDI_TR_ZMAP_SYN, "ZMap SYN (IP ID 54321)", DDI_TOOL_ZMAP, TCP, match_zmap_syn, DDI_TR_NONE, ev_zmap_syn,
     "zmap src/probe_modules/packet.c make_ip_header/make_tcp_header"},
    {DDI_TR_ZMAP_SYN_OPTS, "ZMap SYN (IP ID 54321), other options", DDI_TOOL_ZMAP, TCP, match_zmap_syn_opts,
     DDI_TR_NONE, ev_zmap_syn_opts, "zmap src/probe_modules/packet.c make_ip_header/make_tcp_header"},
    {DDI_TR_ZMAP_NEW, "ZMap >= 4.1 option set", DDI_TOOL_ZMAP_NEW, TCP, match_zmap_new, DDI_TR_NONE, ev_zmap_new,
     "zmap src/probe_modules/module_tcp_synscan.c set_tcp_options; src/send.c"},
    {DDI_TR_ZMAP_NEW_ALT, "ZMap >= 4.1 alternative option set", DDI_TOOL_ZMAP_NEW, TCP, match_zmap_new_alt,
     DDI_TR_NONE, ev_zmap_new, "zmap src/probe_modules/module_tcp_synscan.c set_tcp_options; src/send.c"},
    {DDI_TR_NMAP_SYN, "nmap SYN probe", DDI_TOOL_NMAP_SYN, TCP, match_nmap_syn, DDI_TR_NONE, ev_nmap_syn,
     "nmap tcpip.cc build_tcp_raw, scan_engine_raw.cc; p0f.fp 's:!:NMap:SYN scan'"},
    {DDI_TR_NMAP_SHAPE, "nmap's SYN shape with a constant TTL", DDI_TOOL_CRAFTED, TCP, NULL, DDI_TR_NMAP_SYN,
     ev_nmap_shape, "nmap tcpip.cc build_ip_raw"},
    {DDI_TR_UNICORN_FP1, "unicornscan fingerprint 1", DDI_TOOL_UNICORNSCAN, TCP, match_unicorn_fp1, DDI_TR_NONE,
     ev_unicorn_fp1, "unicornscan etc/unicorn.conf.in fingerprint 1, src/scan_progs/init_packet.c"},
    {DDI_TR_UNICORN_FP0, "unicornscan fingerprint 0", DDI_TOOL_UNICORNSCAN, TCP, match_unicorn_fp0, DDI_TR_NONE,
     ev_unicorn_fp0, "unicornscan src/scan_progs/init_packet.c fingerprint 0"},
    {DDI_TR_HPING3, "hping3 ack without ACK flag", DDI_TOOL_HPING3, TCP, match_hping3, DDI_TR_NONE, ev_hping3,
     "hping3 main.c, sendtcp.c"},
    {DDI_TR_NMAP_U1, "nmap OS U1", DDI_TOOL_NMAP_OS, UDP, match_nmap_u1, DDI_TR_NONE, ev_nmap_u1,
     "nmap osscan2.cc send_closedudp_probe"},
    {DDI_TR_HPING3_SPORT, "hping3 source port +1", DDI_TOOL_HPING3, TCP | UDP, match_hping3_sport, DDI_TR_NONE,
     ev_hping3_sport, "hping3 sendtcp.c, sendudp.c: src_port = sequence + initsport"},
    {DDI_TR_NMAP_OTHER, "nmap non-SYN scan probe", DDI_TOOL_NMAP_OTHER, TCP, match_nmap_other, DDI_TR_NONE,
     ev_nmap_other, "nmap scan_engine_raw.cc sendIPScanProbe, tcpip.cc build_tcp_raw"},
    {DDI_TR_CRAFTED, "crafted SYN (no options, no DF)", DDI_TOOL_CRAFTED, TCP, match_crafted, DDI_TR_NONE,
     ev_crafted, "docs/references.md R19; NETSCOUT 'Decoding TCP SYN'"},
    {DDI_TR_NMAP_PING_TS, "nmap ping: timestamp request", DDI_TOOL_NMAP_PING, ICMP, match_nmap_ping_ts,
     DDI_TR_NONE, ev_nmap_ping, "nmap.h DEFAULT_IPV4_PING_TYPES; scan_engine_raw.cc sendPingProbe; tcpip.cc build_ip_raw"},
    {DDI_TR_NMAP_PING_ECHO, "nmap ping: echo without data", DDI_TOOL_NMAP_PING, ICMP, match_nmap_ping_echo,
     DDI_TR_NONE, ev_nmap_ping, "nmap.h DEFAULT_IPV4_PING_TYPES; scan_engine_raw.cc sendPingProbe; tcpip.cc build_ip_raw"},
    {DDI_TR_NMAP_IE1, "nmap OS IE1", DDI_TOOL_NMAP_OS, ICMP, match_nmap_ie1, DDI_TR_NONE, ev_nmap_ie1,
     "nmap osscan2.cc sendTIcmpProbe"},
    {DDI_TR_NMAP_IE2, "nmap OS IE2", DDI_TOOL_NMAP_OS, ICMP, match_nmap_ie2, DDI_TR_NONE, ev_nmap_ie2,
     "nmap osscan2.cc sendTIcmpProbe"},
    {DDI_TR_ZMAP_ICMP, "ZMap ICMP echo (IP ID 54321)", DDI_TOOL_ZMAP, ICMP, match_zmap_icmp, DDI_TR_NONE,
     ev_zmap_icmp, "zmap src/probe_modules/packet.c make_ip_header, module_icmp_echo.c"},
};

#undef TCP
#undef UDP
#undef ICMP

/* One row per tool.  `stateless`: a raw-socket tool that never retransmits a
 * probe, so a repeat from it is a new probe, not a retry. */
const ddi_tool_row ddi_tools[DDI_TOOL__COUNT] = {
    {DDI_TOOL_NONE, "none", false, DDI_TR_NONE, "-"},
    {DDI_TOOL_ZMAP, "ZMap", true, DDI_TR_ZMAP_SYN, "--probes default 1 (zmap src/zopt.ggo)"},
    {DDI_TOOL_ZMAP_NEW, "ZMap >= 4.1", true, DDI_TR_ZMAP_NEW, "--probes default 1 (zmap src/zopt.ggo)"},
    {DDI_TOOL_MASSCAN, "masscan", true, DDI_TR_MASSCAN, "--retries default 0 (masscan src/main.c)"},
    {DDI_TOOL_MIRAI, "Mirai", true, DDI_TR_MIRAI, "every SYN to a new random address (mirai/bot/scanner.c)"},
    {DDI_TOOL_NMAP_SYN, "nmap SYN scan", false, DDI_TR_NMAP_SYN,
     "retransmits unanswered probes (nmap scan_engine.cc MAX_RETRANSMISSIONS)"},
    {DDI_TOOL_NMAP_OS, "nmap OS probe", false, DDI_TR_NMAP_T5, "resends OS probes (nmap osscan2.cc)"},
    {DDI_TOOL_UNICORNSCAN, "unicornscan", true, DDI_TR_UNICORN_KEY,
     "one send per target unless -R (unicornscan send_packet.c)"},
    {DDI_TOOL_HPING3, "hping3", true, DDI_TR_HPING3_SPORT, "each packet a new source port (hping3 sendtcp.c)"},
    {DDI_TOOL_CRAFTED, "crafted SYN", false, DDI_TR_CRAFTED, "unknown tool: retransmission behaviour unknown"},
    {DDI_TOOL_NMAP_OTHER, "nmap FIN/NULL/Xmas/ACK scan", false, DDI_TR_NMAP_OTHER,
     "retransmits unanswered probes (nmap scan_engine.cc MAX_RETRANSMISSIONS)"},
    {DDI_TOOL_NMAP_PING, "nmap host discovery", false, DDI_TR_NONE,
     "retransmits unanswered probes (nmap scan_engine.cc MAX_RETRANSMISSIONS)"},
};

int ddi_tool_table_check(const ddi_tool_rule_row *rules, size_t nrules, const ddi_tool_row *tools, size_t ntools,
                         const char **why)
{
    const char *w = NULL;
    size_t i;
    for (i = 0; i < ntools && !w; i++) {
        const ddi_tool_row *t = &tools[i];
        if ((size_t)t->id != i)
            w = "tool: id is not the row's index";
        else if (!t->name || !*t->name)
            w = "tool: no name";
        else if (!t->source || !*t->source)
            w = "tool: no source for its retransmission behaviour";
        else if ((size_t)t->explain >= nrules || (i && t->explain && rules[t->explain].tool != t->id &&
                                                   rules[t->explain].via == DDI_TR_NONE))
            w = "tool: its default rule names another tool";
    }
    if (w) {
        if (why)
            *why = w;
        return (int)i;
    }
    for (i = 0; i < nrules && !w; i++) {
        const ddi_tool_rule_row *r = &rules[i];
        if ((size_t)r->id != i)
            w = "rule: id is not the row's index (rows are in match order)";
        else if (!r->name || !*r->name)
            w = "rule: no display name";
        else if (!r->evidence)
            w = "rule: no evidence function";
        else if (!r->source || !*r->source)
            w = "rule: no source of the fact";
        else if (i && ((size_t)r->tool == 0 || (size_t)r->tool >= ntools))
            w = "rule: no tool";
        else if (i && !r->match && (r->via == DDI_TR_NONE || (size_t)r->via >= nrules || !rules[r->via].match))
            w = "rule: no match function and no row that reaches it";
        else if (i && r->match && !r->protos)
            w = "rule: no protocol to run on";
    }
    if (why)
        *why = w;
    return w ? (int)(ntools + i) : 0;
}

/* ------------------------------------------------------------- per proto */

/* The match functions of each protocol's rules, in the table's order,
 * derived from ddi_tool_rules once: a packet reads one small array, not
 * every 56-byte row (the walk's data-cache misses went from 13 a packet to
 * 4, callgrind, bench/RESULTS.md). */
typedef bool (*rule_match_fn)(const rule_in *in, ddi_tool_match *m);
static struct {
    rule_match_fn fn[DDI_TR__COUNT];
    size_t n;
} rules_of[DDI_L4_OTHER + 1];

static void index_rules(void)
{
    static gsize done;
    if (!g_once_init_enter(&done))
        return;
    for (unsigned l4 = 0; l4 < G_N_ELEMENTS(rules_of); l4++)
        for (size_t i = 1; i < DDI_TR__COUNT; i++)
            if (ddi_tool_rules[i].match && (ddi_tool_rules[i].protos & (1u << l4)))
                rules_of[l4].fn[rules_of[l4].n++] = ddi_tool_rules[i].match;
    g_once_init_leave(&done, 1);
}

static void walk(const rule_in *in, ddi_tool_match *m)
{
    index_rules();
    unsigned l4 = in->p->l4;
    for (size_t i = 0; l4 < G_N_ELEMENTS(rules_of) && i < rules_of[l4].n; i++)
        if (rules_of[l4].fn[i](in, m))
            return;
}

static void classify_tcp(ddi_tool_ctx *c, const ddi_pkt *p, ddi_tool_match *m)
{
    uint16_t core = p->tcp.flags & TH_CORE;
    rule_in in = {.ctx = c, .p = p, .syn = core == DDI_TH_SYN};
    /* The SYN scanners set TH_SYN alone (zmap packet.c make_tcp_header, masscan
     * templ-pkt.c template byte 0x02, Mirai scanner.c tcph->syn, nmap -sS TH_SYN);
     * ECE/CWR/PSH/URG in a SYN rule them out (e.g. SYN+ECE+CWR floods). */
    in.pure_syn = (p->tcp.flags & 0x1ff) == DDI_TH_SYN;

    /* Backscatter shapes (corsaro3 libcorsaro_plugin.c: SYN+ACK or RST): never a
     * scanner, except ZMap's SYN-ACK scan module. */
    if (core == (DDI_TH_SYN | DDI_TH_ACK)) {
        match_zmap_synack(&in, m);
        return;
    }
    if ((core & DDI_TH_RST) && !(core & (DDI_TH_SYN | DDI_TH_FIN)))
        return;

    /* per-source observations, in capture order */
    if (c) {
        if (is_v4(p))
            in.uni = uni_update(c, p);
        in.run = sport_update(c, p->tcp.sport, p->ttl);
        in.ts_hits = ts_update(c, p);
    }
    walk(&in, m);
}

static void classify_udp(ddi_tool_ctx *c, const ddi_pkt *p, ddi_tool_match *m)
{
    if (!p->l4_ports)
        return;
    rule_in in = {.ctx = c, .p = p};
    if (c)
        in.run = sport_update(c, p->udp_sport, p->ttl);
    walk(&in, m);
}

static void classify_icmp(const ddi_pkt *p, ddi_tool_match *m)
{
    if (!is_v4(p))
        return;
    rule_in in = {.p = p};
    walk(&in, m);
}

ddi_tool ddi_tool_classify_ex(ddi_tool_ctx *ctx, const ddi_pkt *p, ddi_tool_match *out)
{
    ddi_tool_match m = {DDI_TOOL_NONE, DDI_TR_NONE, false, NULL};

    if (p && !p->fragment) {
        if (p->l4 == DDI_L4_TCP && p->l4_complete)
            classify_tcp(ctx, p, &m);
        else if (p->l4 == DDI_L4_UDP)
            classify_udp(ctx, p, &m);
        else if (p->l4 == DDI_L4_ICMP && p->l4_complete)
            classify_icmp(p, &m);
    }
    if (out)
        *out = m;
    return m.tool;
}

ddi_tool ddi_tool_classify(ddi_tool_ctx *ctx, const ddi_pkt *p)
{
    return ddi_tool_classify_ex(ctx, p, NULL);
}

/* ------------------------------------------------------------------ names */

const char *ddi_tool_name(ddi_tool t)
{
    return (unsigned)t < DDI_TOOL__COUNT ? ddi_tools[t].name : "?";
}

const char *ddi_tool_rule_name(ddi_tool_rule r)
{
    return (unsigned)r < DDI_TR__COUNT ? ddi_tool_rules[r].name : "?";
}

bool ddi_tool_is_stateless(ddi_tool t)
{
    return (unsigned)t < DDI_TOOL__COUNT && ddi_tools[t].stateless;
}

/* --------------------------------------------------------------- evidence */

static void evidence_rule(ddi_tool_rule r, const ddi_pkt *p, ddi_sb *s)
{
    const ddi_tool_rule_row *row = &ddi_tool_rules[(unsigned)r < DDI_TR__COUNT ? r : DDI_TR_NONE];
    row->evidence(row, p, s);
}

void ddi_tool_evidence(ddi_tool t, const ddi_pkt *p, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = '\0';
    if (!p)
        return;
    /* re-run the stateless rules: they find the rule (and variant) again for
     * every verdict except the multi-packet ones */
    ddi_tool_match m;
    ddi_tool_classify_ex(NULL, p, &m);
    if (m.tool == t && t != DDI_TOOL_NONE) {
        ddi_tool_match_evidence(&m, p, buf, len);
        return;
    }
    ddi_sb s = ddi_sb_on(buf, len);
    /* the one multi-packet verdict that turns a shape into another tool */
    if (t == DDI_TOOL_CRAFTED && nmap_syn_shape(p)) {
        evidence_rule(DDI_TR_NMAP_SHAPE, p, &s);
        return;
    }
    /* the tool's multi-packet rule, else its main rule */
    evidence_rule((unsigned)t < DDI_TOOL__COUNT ? ddi_tools[t].explain : DDI_TR_NONE, p, &s);
}

void ddi_tool_match_evidence(const ddi_tool_match *m, const ddi_pkt *p, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = '\0';
    if (!m || !p)
        return;
    ddi_sb s = ddi_sb_on(buf, len);
    if (m->variant)
        ddi_sb_add(&s, "%s: ", m->variant);
    evidence_rule(m->rule, p, &s);
    if (m->multi && m->rule != DDI_TR_UNICORN_KEY && m->rule != DDI_TR_HPING3_SPORT)
        ddi_sb_add(&s, "; confirmed by earlier packets of this source");
}
