/* ipid.c — IP-ID classes after nmap's identify_sequence() (osscan2.cc),
 * adapted to a telescope, which sees only some of a sender's packets, and
 * the sender's packet rate estimated from the counter's advance.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "ipid.h"

#include <math.h>
#include <stdio.h>

enum {
    DDI_IPA_NONZERO_ID = 1 << 0,  /* some ID was not 0 */
    DDI_IPA_NONZERO_DIFF = 1 << 1,
    DDI_IPA_ZERO_DIFF = 1 << 2,   /* some diff was 0 */
    DDI_IPA_NOT_256 = 1 << 3,     /* some diff not a multiple of 256, or > 5120 */
    DDI_IPA_PLUS1_CONN = 1 << 4,  /* a retransmission advanced by exactly 1 */
    DDI_IPA_LARGE_DIFF = 1 << 5,  /* some diff of more than 1000 either way: nmap's "random positive increments" */
    DDI_IPA_OTHER_STEP = 1 << 6,  /* some diff that was not a same-connection +1 */
};

/* nmap osscan2.cc identify_sequence(): "RD" when any diff > 20000.  Such a
 * step is never taken as the counter's on its own: random IDs make one in
 * two steps like it, and a counter seen that rarely cannot be told from them
 * (nor, near half a turn, from a step backwards). */
#define DDI_IPID_RANDOM_DIFF 20000
/* nmap: "RI" when a diff exceeds 1000; nmap's incremental classes stay below */
#define DDI_IPID_SMALL_STEP 1000
/* nmap: byte-swapped ("broken") increments are multiples of 256 up to 5120 */
#define DDI_IPID_BI_MAX 5120
/* A telescope sees a counter only now and then, so steps above 1000 are
 * normal for a busy host.  Such a step is taken as the counter's when the
 * rate it implies is at most this factor above the rate so far (random IDs
 * imply erratic rates; a counter's traffic is bursty, hence no lower bound).
 * The factor is ddi's own choice, kept from its earlier min/max-rate test
 * (docs/references.md#caps). */
#define DDI_IPID_RATE_SPREAD 4.0
/* Class: a counter's in-sequence steps outnumber its strays this many times
 * (one stray in five steps already looks like several senders), and a
 * confirmed jump weighs as much as this many strays (the sequence restarted:
 * a per-connection counter, or another host behind the address). */
#define DDI_IPID_COUNTER_MAJORITY 4u
#define DDI_IPID_JUMP_WEIGHT 8u
/* a step of half the circle or more cannot be told from a step backwards */
#define DDI_IPID_HALF_TURN 0x8000u

/* Step counts are halved together when one would overflow: the ratios that
 * decide the class stay, and old evidence fades so a class can recover. */
static void count(ddi_ipid_acc *a, uint8_t *c)
{
    if (*c == UINT8_MAX) {
        a->n_small >>= 1;
        a->n_large >>= 1;
        a->n_stray >>= 1;
        a->n_jump >>= 1;
    }
    (*c)++;
}

static double span_s(const ddi_ipid_acc *a) { return (double)(a->last_ns - a->first_ns) / 1e9; }

static bool accept(ddi_ipid_acc *a, uint16_t id, uint16_t step, uint8_t *kind)
{
    if (a->advance != UINT32_MAX)
        a->advance = step > UINT32_MAX - 1 - a->advance ? UINT32_MAX - 1 : a->advance + step;
    a->ref = id;
    if (a->samples < UINT32_MAX)
        a->samples++;
    count(a, kind);
    return true;
}

/* Is a step of more than 1000 explained by the rate so far?  The first such
 * step has no rate to go by: it waits for the next sample (see track). */
static bool large_step_fits(const ddi_ipid_acc *a, uint16_t g, int64_t t_ns)
{
    double dt = (double)(t_ns - a->last_ns) / 1e9;
    if (g > DDI_IPID_RANDOM_DIFF || !(dt > 0) || a->samples < 2 || a->advance == UINT32_MAX)
        return false;
    double r = g / dt, span = span_s(a);
    return r <= DDI_IPID_MAX_RATE && span > 0 && a->advance > 0 && r <= DDI_IPID_RATE_SPREAD * (a->advance / span);
}

/* Two large steps in a row, from the first sample to the held one and from
 * there to this one, whose rates agree within the spread: a busy counter
 * seen rarely (random IDs give erratic rates). */
static bool first_steps_agree(const ddi_ipid_acc *a, uint16_t g1, uint16_t g2, int64_t t_ns)
{
    double dt1 = (double)(a->last_ns - a->first_ns) / 1e9, dt2 = (double)(t_ns - a->last_ns) / 1e9;
    if (a->samples != 1 || g1 > DDI_IPID_RANDOM_DIFF || g2 > DDI_IPID_RANDOM_DIFF || !(dt1 > 0) || !(dt2 > 0))
        return false;
    double r1 = g1 / dt1, r2 = g2 / dt2;
    return r1 <= DDI_IPID_MAX_RATE && r2 <= DDI_IPID_MAX_RATE && r1 <= DDI_IPID_RATE_SPREAD * r2 &&
           r2 <= DDI_IPID_RATE_SPREAD * r1;
}

/* An increment of the counter: up to 1000, or while every step has been a
 * multiple of 256, up to 5120 (a byte-swapped counter's +1..+20) */
static bool small_step(const ddi_ipid_acc *a, uint16_t g)
{
    return g >= 1 && (g <= DDI_IPID_SMALL_STEP ||
                      (!(a->flags & DDI_IPA_NOT_256) && !(g & 0xff) && g <= DDI_IPID_BI_MAX));
}

/* The counter tracker (see ipid.h); returns whether `id` went into the sequence. */
static bool track(ddi_ipid_acc *a, uint16_t id, int64_t t_ns)
{
    uint16_t g = ddi_ipid_gap(a->ref, id);
    if (a->held) {
        uint16_t gh = ddi_ipid_gap(a->last, id), g1 = ddi_ipid_gap(a->ref, a->last);
        a->held = 0;
        if (small_step(a, g)) { /* continues from ref: the held ID strayed */
            count(a, &a->n_stray);
            return accept(a, id, g, &a->n_small);
        }
        uint16_t behind = ddi_ipid_gap(a->last, a->ref);
        if (behind >= 1 && behind <= DDI_IPID_SMALL_STEP) {
            /* a late packet: a counter does not restart just below itself */
            count(a, &a->n_stray);
            goto fresh;
        }
        if (small_step(a, gh)) { /* continues from the held ID: the counter moved there */
            if (a->samples <= 1) {
                /* nothing but the first ID was in sequence: start from the
                 * held one (the first strayed, or the counter went that far
                 * before it had a rate: either way no evidence of a class) */
                a->first_ns = a->last_ns;
                a->advance = 0;
            } else if (a->advance == UINT32_MAX && g1 <= DDI_IPID_RANDOM_DIFF) {
                /* after a jump there is no rate to explain a large step
                 * by; the next sample confirmed it: a large step */
                count(a, &a->n_large);
                if (a->samples < UINT32_MAX)
                    a->samples++;
            } else {
                /* how far the counter went across the jump is not known */
                count(a, &a->n_jump);
                a->advance = UINT32_MAX;
                if (a->samples < UINT32_MAX)
                    a->samples++;
            }
            a->ref = a->last;
            return accept(a, id, gh, &a->n_small);
        }
        if (first_steps_agree(a, g1, gh, t_ns)) {
            accept(a, a->last, g1, &a->n_large);
            return accept(a, id, gh, &a->n_large);
        }
        count(a, &a->n_stray); /* neither: drop the held ID, judge this one afresh */
    }
fresh:
    if (!g) {
        /* the same ID again: a retransmission that kept its ID (seen in the
         * corpus at each RTO of one TCP segment) or the same packet captured
         * twice.  Random IDs repeat once in 65536, so a repeat is no evidence
         * against a counter; all-repeats is the constant class. */
        return false;
    }
    if (small_step(a, g))
        return accept(a, id, g, &a->n_small);
    if (large_step_fits(a, g, t_ns))
        return accept(a, id, g, &a->n_large);
    a->held = 1;
    return false;
}

bool ddi_ipid_add(ddi_ipid_acc *a, uint16_t id, bool df, int64_t t_ns, bool same_conn_plus1)
{
    if (ddi_ipid_atomic_zero(df, id)) {
        if (a->df_zero < UINT8_MAX)
            a->df_zero++;
        return false;
    }
    if (df)
        a->df_nonzero = 1;
    if (id)
        a->flags |= DDI_IPA_NONZERO_ID;
    if (same_conn_plus1)
        a->flags |= DDI_IPA_PLUS1_CONN;
    if (!a->seen) {
        a->seen = 1;
        a->last = a->ref = id;
        a->first_ns = a->last_ns = t_ns;
        a->samples = 1;
        a->advance = 0;
        a->last_in_seq = 1;
        return true;
    }
    uint16_t d = ddi_ipid_gap(a->last, id);
    /* a reordered packet is a small step back, not a near-full turn */
    uint16_t mag = d < DDI_IPID_HALF_TURN ? d : (uint16_t)-d;
    a->flags |= d ? DDI_IPA_NONZERO_DIFF : DDI_IPA_ZERO_DIFF;
    if ((mag & 0xff) || mag > DDI_IPID_BI_MAX)
        a->flags |= DDI_IPA_NOT_256;
    if (mag > DDI_IPID_SMALL_STEP)
        a->flags |= DDI_IPA_LARGE_DIFF;
    if (!(same_conn_plus1 && d == 1))
        a->flags |= DDI_IPA_OTHER_STEP;
    bool in_seq = track(a, id, t_ns);
    a->last = id;
    a->last_ns = t_ns;
    a->last_in_seq = in_seq;
    return in_seq;
}

bool ddi_ipid_late_or_repeat(const ddi_ipid_acc *a, uint16_t id)
{
    return a->seen && ddi_ipid_gap(id, a->ref) <= DDI_IPID_SMALL_STEP;
}

ddi_ipid_class ddi_ipid_classify(const ddi_ipid_acc *a)
{
    /* every DF packet carried ID 0 and such packets are most of what the
     * source sent (an iPhone: TCP all zero, a few random non-DF UDP IDs);
     * a few zero-ID kernel RSTs of a crafting host (hping3) are not */
    uint32_t others = a->samples + a->n_stray + a->n_jump + a->held;
    if (a->df_zero >= 2 && !a->df_nonzero && a->df_zero > others)
        return DDI_IPID_ZERO;
    if (!a->seen || !(a->flags & (DDI_IPA_NONZERO_DIFF | DDI_IPA_ZERO_DIFF)))
        return DDI_IPID_UNKNOWN;
    if (!(a->flags & DDI_IPA_NONZERO_ID))
        return DDI_IPID_ZERO;
    if (!(a->flags & DDI_IPA_NONZERO_DIFF))
        return DDI_IPID_CONSTANT;
    /* Linux: a retransmission is +1 on its socket, a new connection starts
     * at a random value (tcp_v4_connect get_random_u16) */
    if (!(a->flags & DDI_IPA_OTHER_STEP))
        return DDI_IPID_PER_DEST;
    /* +1 on a retransmission but a jump between connections: one counter per
     * connection, however small the jump happened to be (a random start is
     * below 20000 a third of the time) */
    if ((a->flags & DDI_IPA_PLUS1_CONN) && (a->flags & DDI_IPA_LARGE_DIFF))
        return DDI_IPID_PER_DEST;
    /* mostly in-sequence steps: a counter, whatever a reordered packet or a
     * stray ID did in between (nmap calls any diff > 20000 random, which
     * one reordered packet would make for good) */
    uint32_t in_seq = (uint32_t)a->n_small + a->n_large;
    uint32_t odd = (uint32_t)a->n_stray + DDI_IPID_JUMP_WEIGHT * a->n_jump;
    if (in_seq < DDI_IPID_COUNTER_MAJORITY * odd)
        return DDI_IPID_RANDOM;
    if (!in_seq)
        return DDI_IPID_UNKNOWN; /* one ID held back, nothing in sequence yet */
    if (!(a->flags & DDI_IPA_NOT_256))
        return DDI_IPID_BYTESWAPPED;
    if (a->n_large && in_seq < 3) /* two random steps agree within 4x too often */
        return DDI_IPID_UNKNOWN;
    return DDI_IPID_GLOBAL;
}

bool ddi_ipid_is_counter(ddi_ipid_class c) { return c == DDI_IPID_GLOBAL || c == DDI_IPID_BYTESWAPPED; }

/* Why a whole-span average: the counter counts every packet the host sends,
 * so its advance from the first sample to the latest over the time between
 * them is the host's average rate, however bursty the host and whatever else
 * it talked to in between.  A last-pair or windowed rate reports the burst
 * the telescope happened to see (issue 13: 717,607,284 packets/s from a gap
 * of 5646 in 8 us); a robust line fit would need every sample kept, and
 * strays are already kept out of the advance by the tracker. */
ddi_ipid_estimate ddi_ipid_estimate_of(ddi_ipid_class c, uint32_t samples, uint32_t advance, int64_t span_ns)
{
    ddi_ipid_estimate e = {.cls = c, .samples = samples, .span = span_ns > 0 ? (double)span_ns / 1e9 : 0};
    /* while a counter is byte-swapped every step on the wire is k * 256
     * (nmap idle_scan.cc reads it after swapping back): k packets */
    e.advance = c == DDI_IPID_BYTESWAPPED && advance != UINT32_MAX ? advance / 256 : advance;
    if (!ddi_ipid_is_counter(c))
        e.status = DDI_RATE_NOT_COUNTER;
    else if (!samples)
        e.status = DDI_RATE_OUT_OF_SEQ;
    else if (advance == UINT32_MAX)
        e.status = DDI_RATE_JUMPED;
    else if (span_ns <= 0 || (samples < DDI_IPID_MIN_SAMPLES && span_ns < DDI_IPID_MIN_SPAN_NS))
        e.status = DDI_RATE_TOO_LITTLE;
    else {
        e.rate = e.advance / e.span;
        e.status = e.rate > DDI_IPID_MAX_RATE ? DDI_RATE_IMPLAUSIBLE : DDI_RATE_OK;
    }
    return e;
}

ddi_ipid_estimate ddi_ipid_source_rate(const ddi_ipid_acc *a)
{
    /* up to the latest sample: when that one strayed, the counter's last
     * known position is a little older, so this errs low, never high */
    return ddi_ipid_estimate_of(ddi_ipid_classify(a), a->seen ? a->samples : 0, a->advance,
                                a->samples > 1 ? a->last_ns - a->first_ns : 0);
}

int ddi_ipid_fmt_fixed(char *buf, size_t n, double v, unsigned decimals)
{
    static const double pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (decimals > 6)
        decimals = 6;
    if (!isfinite(v) || fabs(v) >= 9e15 / pow10[decimals])
        return snprintf(buf, n, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
    long long q = llround(fabs(v) * pow10[decimals]);
    long long scale = (long long)pow10[decimals];
    const char *sign = v < 0 && q ? "-" : "";
    if (!decimals)
        return snprintf(buf, n, "%s%lld", sign, q);
    return snprintf(buf, n, "%s%lld.%0*lld", sign, q / scale, (int)decimals, q % scale);
}

static unsigned span_decimals(double s) { return s >= 1 ? 2 : s >= 0.001 ? 3 : 6; }

int ddi_ipid_estimate_text(const ddi_ipid_estimate *e, char *buf, size_t n)
{
    char r[32], s[32];
    ddi_ipid_fmt_fixed(r, sizeof r, e->rate, 1);
    ddi_ipid_fmt_fixed(s, sizeof s, e->span, span_decimals(e->span));
    const char *pl = e->samples == 1 ? "" : "s";
    switch (e->status) {
    case DDI_RATE_OK:
        return snprintf(buf, n, "~%s packets/s over %s s, %u sample%s", r, s, e->samples, pl);
    case DDI_RATE_TOO_LITTLE:
        if (e->samples >= DDI_IPID_MIN_SAMPLES)
            return snprintf(buf, n, "%u samples with one timestamp: no time to estimate a rate over", e->samples);
        return snprintf(buf, n, "%u sample%s over %s s: too little to estimate a rate (needs >= 0.2 s or >= %u samples)",
                        e->samples, pl, s, DDI_IPID_MIN_SAMPLES);
    case DDI_RATE_IMPLAUSIBLE:
        return snprintf(buf, n, "~%s packets/s over %s s, %u samples is above 1 GbE line rate (1488095 packets/s): "
                                "not one host's counter, or timestamps coarser than the packets",
                        r, s, e->samples);
    case DDI_RATE_JUMPED:
        return snprintf(buf, n, "the counter jumped further than its rate explains (a restart, or another sender): "
                                "how far it went is not known");
    case DDI_RATE_OUT_OF_SEQ:
        return snprintf(buf, n, "this ID is out of the counter's sequence (reordered, repeated, or another "
                                "sender's): not counted");
    case DDI_RATE_NOT_COUNTER:
    default:
        break;
    }
    switch (e->cls) {
    case DDI_IPID_PER_DEST:
        return snprintf(buf, n, "IDs count per connection (or the host is idle), not per host");
    case DDI_IPID_RANDOM:
        return snprintf(buf, n, "IDs are random");
    case DDI_IPID_ZERO:
        return snprintf(buf, n, "IDs are zero");
    case DDI_IPID_CONSTANT:
        return snprintf(buf, n, "IDs are constant (crafted packets)");
    default:
        return snprintf(buf, n, "not yet known whether IDs are a counter");
    }
}

const char *ddi_ipid_class_name(ddi_ipid_class c)
{
    static const char *const names[DDI_IPID__COUNT] = {
        [DDI_IPID_UNKNOWN] = "not yet known",
        [DDI_IPID_GLOBAL] = "global counter",
        [DDI_IPID_BYTESWAPPED] = "byte-swapped counter (+256 steps)",
        [DDI_IPID_PER_DEST] = "per-destination counter",
        [DDI_IPID_RANDOM] = "random",
        [DDI_IPID_ZERO] = "zero",
        [DDI_IPID_CONSTANT] = "constant",
    };
    return (unsigned)c < DDI_IPID__COUNT ? names[c] : "?";
}
