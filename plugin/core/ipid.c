/* ipid.c — IP-ID classes after nmap's identify_sequence() (osscan2.cc),
 * adapted to a telescope, which sees only some of a sender's packets.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "ipid.h"

enum {
    DDI_IPA_NONZERO_ID = 1 << 0,  /* some ID was not 0 */
    DDI_IPA_NONZERO_DIFF = 1 << 1,
    DDI_IPA_BIG_DIFF = 1 << 2,    /* some diff > 20000: nmap's "random" test */
    DDI_IPA_NOT_256 = 1 << 3,     /* some diff not a multiple of 256, or > 5120 */
    DDI_IPA_PLUS1_CONN = 1 << 4,  /* a retransmission advanced by exactly 1 */
    DDI_IPA_ZERO_DIFF = 1 << 5,   /* some diff was 0 */
    DDI_IPA_LARGE_DIFF = 1 << 6,  /* some diff > 1000: nmap's "random positive increments" test */
    DDI_IPA_OTHER_STEP = 1 << 7,  /* some diff that was not a same-connection +1 */
};

/* nmap osscan2.cc identify_sequence(): "RD" when any diff > 20000 */
#define DDI_IPID_RANDOM_DIFF 20000
/* nmap: "RI" when a diff exceeds 1000; nmap's incremental classes stay below */
#define DDI_IPID_SMALL_STEP 1000
/* nmap: byte-swapped ("broken") increments are multiples of 256 up to 5120 */
#define DDI_IPID_BI_MAX 5120
/* a telescope sees a counter only now and then, so steps above 1000 are
 * normal for a busy host; they are accepted as a counter when the rates
 * they imply agree within this factor (random IDs imply erratic rates) */
#define DDI_IPID_RATE_SPREAD 4.0f

void ddi_ipid_add(ddi_ipid_acc *a, uint16_t id, bool df, double dt, bool same_conn_plus1)
{
    if (ddi_ipid_atomic_zero(df, id)) {
        if (a->df_zero < UINT8_MAX)
            a->df_zero++;
        return;
    }
    if (df)
        a->df_nonzero = 1;
    if (id)
        a->flags |= DDI_IPA_NONZERO_ID;
    if (a->seen) {
        uint16_t d = ddi_ipid_gap(a->last, id);
        a->flags |= d ? DDI_IPA_NONZERO_DIFF : DDI_IPA_ZERO_DIFF;
        if (d > DDI_IPID_RANDOM_DIFF)
            a->flags |= DDI_IPA_BIG_DIFF;
        if ((d & 0xff) || d > DDI_IPID_BI_MAX)
            a->flags |= DDI_IPA_NOT_256;
        if (d > DDI_IPID_SMALL_STEP) {
            a->flags |= DDI_IPA_LARGE_DIFF;
            float r = dt > 0 ? (float)(d / dt) : 1e9f;
            if (!a->min_rate || r < a->min_rate)
                a->min_rate = r;
            if (r > a->max_rate)
                a->max_rate = r;
        }
        if (!(same_conn_plus1 && d == 1))
            a->flags |= DDI_IPA_OTHER_STEP;
        if (a->ndiffs < UINT16_MAX)
            a->ndiffs++;
    }
    if (same_conn_plus1)
        a->flags |= DDI_IPA_PLUS1_CONN;
    a->last = id;
    a->seen = 1;
}

ddi_ipid_class ddi_ipid_classify(const ddi_ipid_acc *a)
{
    /* every DF packet carried ID 0 and such packets are most of what the
     * source sent (an iPhone: TCP all zero, a few random non-DF UDP IDs);
     * a few zero-ID kernel RSTs of a crafting host (hping3) are not */
    if (a->df_zero >= 2 && !a->df_nonzero && a->df_zero > a->ndiffs + 1u)
        return DDI_IPID_ZERO;
    if (!a->seen || !a->ndiffs)
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
    if ((a->flags & DDI_IPA_PLUS1_CONN) && (a->flags & (DDI_IPA_BIG_DIFF | DDI_IPA_LARGE_DIFF)))
        return DDI_IPID_PER_DEST;
    if (a->flags & DDI_IPA_BIG_DIFF)
        return DDI_IPID_RANDOM;
    if (a->flags & DDI_IPA_ZERO_DIFF)
        /* a counter never repeats between two packets; repeats mixed with
         * jumps are something else (several hosts, or crafted) */
        return DDI_IPID_RANDOM;
    if (!(a->flags & DDI_IPA_NOT_256))
        return DDI_IPID_BYTESWAPPED;
    if (a->flags & DDI_IPA_LARGE_DIFF) {
        if (a->ndiffs < 3) /* two random steps agree within 4x too often */
            return DDI_IPID_UNKNOWN;
        return a->max_rate <= a->min_rate * DDI_IPID_RATE_SPREAD ? DDI_IPID_GLOBAL : DDI_IPID_RANDOM;
    }
    return DDI_IPID_GLOBAL;
}

bool ddi_ipid_is_counter(ddi_ipid_class c) { return c == DDI_IPID_GLOBAL || c == DDI_IPID_BYTESWAPPED; }

bool ddi_ipid_rate(ddi_ipid_class c, uint16_t prev, uint16_t cur, double dt, double *rate, uint16_t *gap_used)
{
    if (!ddi_ipid_is_counter(c) || !(dt > 0))
        return false;
    /* nmap idle_scan.cc: a byte-swapped counter is read after swapping back */
    uint16_t g = c == DDI_IPID_BYTESWAPPED ? ddi_ipid_gap(ddi_bswap16(prev), ddi_bswap16(cur))
                                           : ddi_ipid_gap(prev, cur);
    *rate = g / dt;
    if (gap_used)
        *gap_used = g;
    return true;
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
