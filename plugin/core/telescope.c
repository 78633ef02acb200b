/* telescope.c — telescope per-source features and the spoofed-source likelihood.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "telescope.h"

#include <stdlib.h>
#include <string.h>

#include "backscatter.h"
#include "hash.h"
#include "sort.h"
#include "state.h"
#include "summary.h"

/* ------------------------------------------------------------------ accumulation */

static void add_bytes(ddi_feat_acc *f, uint32_t n)
{
    uint64_t b = ((uint64_t)f->bytes_hi << 32 | f->bytes_lo) + n;
    if (b >> 48) /* 2^48 bytes: more than 2^32 packets of 65535 bytes, never reached */
        b = (1ULL << 48) - 1;
    f->bytes_lo = (uint32_t)b;
    f->bytes_hi = (uint16_t)(b >> 32);
}

uint64_t ddi_feat_bytes(const ddi_feat_acc *f) { return (uint64_t)f->bytes_hi << 32 | f->bytes_lo; }

/* Space-Saving with 16-bit counters: a counter about to pass 65535 halves
 * every counter and from then on a packet counts with probability
 * 2^-port_shift, drawn from a hash of the packet (the same packet gives the
 * same draw in the plugin and in ddi-read). */
static void count_port(ddi_feat_acc *f, uint16_t port, uint64_t draw)
{
    if (f->port_shift && (draw & ((1ULL << f->port_shift) - 1)))
        return;
    int slot = -1, empty = -1, min = 0;
    for (int i = 0; i < DDI_FEAT_TOP_PORTS; i++) {
        if (!f->port_n[i]) {
            if (empty < 0)
                empty = i;
            continue;
        }
        if (f->port[i] == port) {
            slot = i;
            break;
        }
        if (f->port_n[i] < f->port_n[min] || !f->port_n[min])
            min = i;
    }
    if (slot < 0 && empty >= 0) {
        f->port[empty] = port;
        f->port_n[empty] = 1;
        return;
    }
    if (slot < 0) {
        /* the least counted port makes room; its count stays as the newcomer's
         * error bound (Space-Saving) */
        slot = min;
        f->port[slot] = port;
        f->flags |= DDI_FEAT_PORTS_EVICTED;
    }
    if (f->port_n[slot] == UINT16_MAX) {
        for (int i = 0; i < DDI_FEAT_TOP_PORTS; i++)
            if (f->port_n[i])
                f->port_n[i] = (uint16_t)((f->port_n[i] + 1) / 2); /* a counted port keeps a count */
        if (f->port_shift < 31)
            f->port_shift++;
    }
    f->port_n[slot]++;
}

/* The TTL set is {min, max} and the middle values; a value displaced from an
 * extreme by a new extreme becomes a middle value. */
static void add_ttl(ddi_feat_acc *f, const ddi_feat_in *in)
{
    uint8_t t = in->p->ttl, keep;
    if (!in->ttl_seen || t == in->ttl_min || t == in->ttl_max)
        return;
    for (int i = 0; i < DDI_FEAT_TTL_MID; i++)
        if (f->ttl_mid[i] == t && t)
            return;
    if (t < in->ttl_min)
        keep = in->ttl_min == in->ttl_max ? 0 : in->ttl_min;
    else if (t > in->ttl_max)
        keep = in->ttl_min == in->ttl_max ? 0 : in->ttl_max;
    else
        keep = t;
    if (!keep) /* TTL 0 is never an extreme left behind by a larger one; a middle 0 is impossible */
        return;
    for (int i = 0; i < DDI_FEAT_TTL_MID; i++)
        if (!f->ttl_mid[i]) {
            f->ttl_mid[i] = keep;
            return;
        }
    f->flags |= DDI_FEAT_TTL_MORE;
}

/* Multicast and limited broadcast: link-scoped protocols send there with TTL
 * 255 by design (mDNS RFC 6762 section 11, DHCP clients, RIPng), and no
 * telescope sees them. */
static bool dst_is_group(const ddi_addr *d)
{
    if (d->family == 6)
        return d->a[0] == 0xff;
    return (d->a[0] >= 224 && d->a[0] <= 239) || (d->a[0] == 255 && d->a[1] == 255 && d->a[2] == 255 && d->a[3] == 255);
}

/* masscan's default probe as corsaro3 spots it (libcorsaro_filtering.c,
 * the large-scale-scan filter, which its spoofed filter exempts from the TTL
 * test): a SYN with window 1024 and no TCP options */
static bool masscan_shape(const ddi_pkt *p)
{
    return ddi_pkt_is_syn(p) && p->tcp.win == 1024 && p->tcp.hdr_len == 20;
}

/* A UDP answer from a service: a DNS server's (source port 53: corsaro3
 * counts it as backscatter) or a DHCP server's to a client (67 -> 68, RFC
 * 2131 section 4.1).  Its TTL is the answering host's. */
static bool udp_service_answer(const ddi_pkt *p)
{
    return p->l4 == DDI_L4_UDP && p->l4_ports &&
           (p->udp_sport == DDI_PORT_DNS || (p->udp_sport == DDI_PORT_DHCP_SERVER && p->udp_dport == DDI_PORT_DHCP_CLIENT));
}

unsigned ddi_feat_packet_tests(const ddi_pkt *p, bool ttl_explained)
{
    unsigned sp = 0;
    if (p->src.family && ddi_addr_eq(&p->src, &p->dst))
        sp |= DDI_FEAT_SP_SELF;
    /* corsaro3 leaves ICMP out (routers answer with TTL 255) */
    if (p->l4 != DDI_L4_ICMP && p->ttl >= DDI_SPOOF_TTL_MIN && !ttl_explained && !dst_is_group(&p->dst) &&
        !masscan_shape(p) && !udp_service_answer(p))
        sp |= DDI_FEAT_SP_TTL;
    if (p->l4_ports && ((p->l4 == DDI_L4_TCP && (!p->tcp.sport || !p->tcp.dport)) ||
                        (p->l4 == DDI_L4_UDP && (!p->udp_sport || !p->udp_dport))))
        sp |= DDI_FEAT_SP_PORT0;
    /* an answer's TTL and ports are the answering host's, whose address is real */
    ddi_bs_result bs;
    if ((sp & (DDI_FEAT_SP_TTL | DDI_FEAT_SP_PORT0)) && ddi_backscatter_classify(p, &bs))
        sp &= ~(unsigned)(DDI_FEAT_SP_TTL | DDI_FEAT_SP_PORT0);
    return sp;
}

void ddi_feat_observe(ddi_feat_acc *f, const ddi_feat_in *in)
{
    const ddi_pkt *p = in->p;
    add_bytes(f, p->ip_len);
    /* destination prefix: /24 in IPv4, /48 (a site) in IPv6 */
    uint8_t pfx[7];
    size_t n = p->dst.family == 6 ? 6 : 3;
    memcpy(pfx, p->dst.a, n);
    pfx[n] = p->dst.family;
    ddi_sketch_add(&f->dst24_sketch, pfx, n + 1);

    /* the flood scan wants one-target sources only: a second target ends the question */
    if (!(f->flags & DDI_FEAT_TARGETS)) {
        uint16_t dig = (uint16_t)(ddi_mix64(ddi_fnv1a(DDI_FNV1A_INIT, p->dst.a, p->dst.family == 6 ? 16 : 4)) >> 48);
        if (!(f->flags & DDI_FEAT_TARGET)) {
            f->target = dig;
            f->flags |= DDI_FEAT_TARGET;
        } else if (f->target != dig) {
            f->flags |= DDI_FEAT_TARGETS;
        }
    }
    if (in->has_port)
        count_port(f, in->port, ddi_mix64((uint64_t)p->ts_ns ^ ((uint64_t)p->ip_id << 48) ^ in->port));
    else
        f->flags |= DDI_FEAT_PORTLESS;
    add_ttl(f, in);
    f->flags |= (uint8_t)ddi_feat_packet_tests(p, in->ttl_explained);
}

/* ------------------------------------------------------------------ reading */

int ddi_feat_ports_top(const ddi_feat_acc *f, ddi_port_count out[DDI_FEAT_TOP_PORTS], bool *exact)
{
    bool evicted = f->flags & DDI_FEAT_PORTS_EVICTED;
    uint16_t least = UINT16_MAX; /* once evicted, every slot is filled */
    for (int i = 0; i < DDI_FEAT_TOP_PORTS; i++)
        if (f->port_n[i] && f->port_n[i] < least)
            least = f->port_n[i];
    int n = 0;
    for (int i = 0; i < DDI_FEAT_TOP_PORTS; i++)
        if (f->port_n[i]) {
            uint64_t c = (uint64_t)f->port_n[i] << f->port_shift;
            uint64_t lo = evicted ? (uint64_t)(f->port_n[i] - least) << f->port_shift : c;
            if (!lo)
                continue;
            out[n++] = (ddi_port_count){f->port[i], c > UINT32_MAX ? UINT32_MAX : (uint32_t)c,
                                        lo > UINT32_MAX ? UINT32_MAX : (uint32_t)lo};
        }
    /* insertion sort: most packets first, then the lower port */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            ddi_port_count a = out[j - 1], b = out[j];
            if (b.packets > a.packets || (b.packets == a.packets && b.port < a.port)) {
                out[j - 1] = b;
                out[j] = a;
            }
        }
    *exact = !(f->flags & DDI_FEAT_PORTS_EVICTED) && !f->port_shift;
    return n;
}

int ddi_feat_ttls(const ddi_feat_acc *f, bool ttl_seen, uint8_t ttl_min, uint8_t ttl_max,
                  uint8_t out[DDI_FEAT_TTL_MID + 2], bool *complete)
{
    *complete = !(f->flags & DDI_FEAT_TTL_MORE);
    if (!ttl_seen)
        return 0;
    int n = 0;
    out[n++] = ttl_min;
    for (int i = 0; i < DDI_FEAT_TTL_MID; i++)
        if (f->ttl_mid[i] && f->ttl_mid[i] > ttl_min && f->ttl_mid[i] < ttl_max)
            out[n++] = f->ttl_mid[i];
    if (ttl_max != ttl_min)
        out[n++] = ttl_max;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j] < out[j - 1]; j--) {
            uint8_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

/* ------------------------------------------------------------------ spoofed source */

/* ZMap <= 4.0 make_ip_header() (TTL MAXTTL), masscan templ-pkt.c (TTL 255
 * in every template), unicornscan's compiled-in "cisco" fingerprint
 * (docs/references.md R1, R3, R9). */
bool ddi_tool_sends_ttl255(ddi_tool t) { return t == DDI_TOOL_ZMAP || t == DDI_TOOL_MASSCAN || t == DDI_TOOL_UNICORNSCAN; }

bool ddi_ttl255_explained(ddi_tool tool, const ddi_os_result *os)
{
    if (ddi_tool_sends_ttl255(tool))
        return true;
    return os && os->family != DDI_OS_UNKNOWN && (os->match == DDI_OSM_EXACT || os->match == DDI_OSM_GENERIC);
}

bool ddi_tools_send_ttl255(uint16_t tools)
{
    for (int t = 1; t < DDI_TOOL__COUNT; t++)
        if ((tools & (1u << t)) && ddi_tool_sends_ttl255((ddi_tool)t))
            return true;
    return false;
}

const char *ddi_spoof_name(ddi_spoof s)
{
    return s == DDI_SPOOF_LIKELY ? "likely" : s == DDI_SPOOF_POSSIBLE ? "possible" : "unlikely";
}

static const struct {
    const char *token, *text;
} reasons[DDI_SR__COUNT] = {
    [DDI_SR_TTL] = {"ttl>=200", "TTL >= 200 (initial 255: packet-crafting tools, but also network equipment and some "
                                "stacks) that no scanner, OS label or answer in the capture explains"},
    [DDI_SR_EDGE_ADDR] = {"src-last-octet-0-or-255",
                          "source address ends in .0 or .255 (still a host address in a /23 or shorter prefix, "
                          "or on a /31 or /32)"},
    [DDI_SR_SELF] = {"src==dst", "source address equals the destination"},
    [DDI_SR_PORT0] = {"port-0", "TCP or UDP port 0"},
    [DDI_SR_FLOOD] = {"random-source-flood",
                      "one of >= 100 sources that each sent <= 3 packets to one destination and port within 10 s of "
                      "each other"},
};

const char *ddi_spoof_reason_token(ddi_spoof_reason r) { return r < DDI_SR__COUNT ? reasons[r].token : "?"; }
const char *ddi_spoof_reason_text(ddi_spoof_reason r) { return r < DDI_SR__COUNT ? reasons[r].text : "?"; }

ddi_spoof_result ddi_spoof_assess(unsigned sp_bits, const ddi_addr *src, uint16_t tools, bool flood, bool two_way)
{
    ddi_spoof_result r = {DDI_SPOOF_UNLIKELY, 0};
    /* it answered packets sent to its address, so it received them there:
     * the capture refutes a forged source, whatever its TTL or address */
    if (two_way)
        return r;
    if ((sp_bits & DDI_FEAT_SP_TTL) && !ddi_tools_send_ttl255(tools))
        r.reasons |= 1u << DDI_SR_TTL;
    /* 0.0.0.0 is "this host" (RFC 1122 section 3.2.1.3), a DHCP client's
     * source before it has an address: not an address ending in .0 */
    bool unspecified = src && src->family == 4 && !(src->a[0] | src->a[1] | src->a[2] | src->a[3]);
    if (src && src->family == 4 && !unspecified && (src->a[3] == 0 || src->a[3] == 255))
        r.reasons |= 1u << DDI_SR_EDGE_ADDR;
    if (sp_bits & DDI_FEAT_SP_SELF)
        r.reasons |= 1u << DDI_SR_SELF;
    if (sp_bits & DDI_FEAT_SP_PORT0)
        r.reasons |= 1u << DDI_SR_PORT0;
    if (flood)
        r.reasons |= 1u << DDI_SR_FLOOD;
    int n = 0;
    for (unsigned b = r.reasons; b; b &= b - 1)
        n++;
    /* no host sends to its own address over a wire: that one is enough */
    if (n >= 2 || (r.reasons & (1u << DDI_SR_SELF)))
        r.level = DDI_SPOOF_LIKELY;
    else if (n == 1)
        r.level = DDI_SPOOF_POSSIBLE;
    return r;
}

ddi_spoof_result ddi_spoof_packet(const ddi_pkt *p, ddi_tool tool, const ddi_os_result *os)
{
    unsigned sp = ddi_feat_packet_tests(p, ddi_ttl255_explained(tool, os));
    uint16_t tools = tool != DDI_TOOL_NONE && tool < 16 ? (uint16_t)(1u << tool) : 0;
    return ddi_spoof_assess(sp, &p->src, tools, false, false);
}

/* ------------------------------------------------------------------ the flood pattern */

/* The target of a one-target source: the destination digest, the one port
 * (or none), and the sketches, which hash the same destination differently
 * (28 bits of the address in all, plus the protocol through the port sketch). */
static bool one_target(const ddi_state *st, uint32_t idx1, uint64_t *key)
{
    const ddi_source *s = ddi_state_source(st, idx1);
    const ddi_source_whole *w = ddi_state_whole(st, idx1);
    if (!s || !w) /* no whole-source record kept: no features (state.h) */
        return false;
    const ddi_feat_acc *f = &w->sum.feat;
    if (w->pkts > DDI_FLOOD_MAX_PKTS || !(f->flags & DDI_FEAT_TARGET) || (f->flags & DDI_FEAT_TARGETS))
        return false;
    /* backscatter answers a flood: its senders (reflectors, victims) are real hosts */
    if (w->sum.flags & DDI_ACC_SENT_BS)
        return false;
    int ports = 0;
    uint16_t port = 0;
    for (int i = 0; i < DDI_FEAT_TOP_PORTS; i++)
        if (f->port_n[i]) {
            ports++;
            port = f->port[i];
        }
    if (ports > 1 || (ports == 1 && (f->flags & DDI_FEAT_PORTLESS)))
        return false;
    uint64_t k = ddi_mix64(w->sum.dst_sketch ^ ddi_mix64(f->dst24_sketch ^ ddi_mix64(w->sum.port_sketch)));
    *key = k ^ ((uint64_t)f->target << 32 | (uint64_t)port << 16 | (uint64_t)(ports ? 1 : 2) | (uint64_t)s->family << 2);
    return true;
}

bool ddi_feat_flood_member(const ddi_state *st, uint32_t idx1)
{
    const ddi_source *me = ddi_state_source(st, idx1);
    uint64_t key, k;
    if (!me || !one_target(st, idx1, &key))
        return false;
    uint32_t near = 0;
    for (uint32_t i = 1; i <= st->sources.count && near < DDI_FLOOD_MIN_SOURCES; i++) {
        const ddi_source *s = ddi_state_source(st, i);
        if (s && s->first_ts >= me->first_ts - DDI_FLOOD_WINDOW_S && s->first_ts <= me->first_ts + DDI_FLOOD_WINDOW_S &&
            one_target(st, i, &k) && k == key)
            near++;
    }
    return near >= DDI_FLOOD_MIN_SOURCES;
}

uint8_t *ddi_feat_flood_scan(const ddi_state *st)
{
    uint32_t n = st->sources.count;
    uint8_t *flood = calloc(n ? n : 1, 1);
    ddi_sort_row *rows = malloc(((size_t)n + 1) * sizeof *rows);
    double *first = malloc(((size_t)n + 1) * sizeof *first); /* by source index */
    if (!flood || !rows || !first) {
        free(flood);
        free(rows);
        free(first);
        return NULL;
    }
    uint32_t m = 0;
    for (uint32_t i = 1; i <= n; i++) {
        const ddi_source *s = ddi_state_source(st, i);
        uint64_t key;
        first[i - 1] = s ? s->first_ts : 0;
        if (s && one_target(st, i, &key))
            rows[m++] = (ddi_sort_row){{key, ddi_sort_key_double(s->first_ts), i}, i};
    }
    /* by target, then first packet time (then index: one order in every run) */
    if (!ddi_sort_rows(rows, m)) {
        free(flood);
        free(rows);
        free(first);
        return NULL;
    }
    /* per target, each source counts the targets' one-off sources whose first
     * packet is within the window of its own (itself included) */
    for (uint32_t g = 0; g < m;) {
        uint32_t e = g;
        while (e < m && rows[e].k[0] == rows[g].k[0])
            e++;
        if (e - g >= DDI_FLOOD_MIN_SOURCES) {
            uint32_t lo = g, hi = g;
            for (uint32_t i = g; i < e; i++) {
                double ts = first[rows[i].idx - 1];
                while (first[rows[lo].idx - 1] < ts - DDI_FLOOD_WINDOW_S)
                    lo++;
                while (hi < e && first[rows[hi].idx - 1] <= ts + DDI_FLOOD_WINDOW_S)
                    hi++;
                if (hi - lo >= DDI_FLOOD_MIN_SOURCES)
                    flood[rows[i].idx - 1] = 1;
            }
        }
        g = e;
    }
    free(rows);
    free(first);
    return flood;
}
