/* retry.h — SYN retransmissions: schedules per OS and the Conficker-style
 * "one retry at ~3 s, then silence" verdict.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_RETRY_H
#define DDI_RETRY_H

#include <stdbool.h>
#include <stdint.h>

/* What the SYNs of one connection (same addresses, ports, ISN) look like. */
typedef struct ddi_syn_history {
    uint8_t count;     /* SYNs seen so far, the first one included */
    double first_ts;
    double last_ts;
    float gap1;        /* time from the first to the second SYN (0 if none) */
    bool port445;      /* to DDI_CONFICKER_PORT */
    bool answered;     /* a SYN-ACK or RST answered it: silence afterwards says nothing */
} ddi_syn_history;

/* A copy of a SYN (same addresses, ports, ISN) sooner than any stack's
 * retransmission timer is a duplicate, not a retry: network duplication, or a
 * tool sending each probe more than once.  RFC 6298 §2 sets a SYN's initial
 * RTO to 1 s (RFC 1122: 3 s) and rounds any computed RTO up to 1 s; Linux, the
 * most aggressive common stack, never arms a retransmission timer below
 * TCP_RTO_MIN = HZ/5 = 200 ms (include/net/tcp.h). */
#define DDI_DUPLICATE_MAX_S 0.2
static inline bool ddi_retry_is_duplicate(double since_prev)
{
    return since_prev >= 0 && since_prev < DDI_DUPLICATE_MAX_S;
}

typedef enum ddi_rto_class {
    DDI_RTO_NONE = 0,   /* no retransmission */
    DDI_RTO_3S,         /* initial RTO 3 s: Windows XP..8/2012, Linux <= 3.0 */
    DDI_RTO_1S,         /* initial RTO 1 s (RFC 6298): Linux >= 3.1, Windows 10+ later builds, macOS, FreeBSD 13+ */
    DDI_RTO_OTHER,
} ddi_rto_class;

/* "About N seconds" for a retransmission gap: within 20 % of N or 0.25 s,
 * whichever is wider (timer granularity and scheduling jitter;
 * docs/references.md#retry).  "~3 s" is therefore 2.4-3.6 s everywhere: the
 * RTO class, the Conficker-style check and their texts. */
#define DDI_RTO_TOL_REL 0.2
#define DDI_RTO_TOL_ABS 0.25
#define DDI_RTO_3S_S 3.0 /* Windows TcpInitialRTT; Linux TCP_TIMEOUT_INIT before 3.1 */
#define DDI_RTO_1S_S 1.0 /* RFC 6298 §2 */
/* Class of the first retransmission gap. */
ddi_rto_class ddi_retry_rto_class(double gap1);
/* One sentence ("3 s initial RTO: Windows XP to 8/2012 ...") and its short
 * form for statistics rows ("3 s initial RTO"). */
const char *ddi_retry_rto_text(ddi_rto_class c);
const char *ddi_retry_rto_short(ddi_rto_class c);
#define DDI_RTO_3S_SHORT "3 s initial RTO"
#define DDI_RTO_1S_SHORT "1 s initial RTO"

/* Describe the backoff between the latest two gaps, e.g. "doubling
 * (exponential backoff)" or "constant (linear backoff: macOS, FreeBSD >= 13,
 * Linux >= 6.5)"; NULL when fewer than three SYNs. */
const char *ddi_retry_backoff_text(double prev_gap, double gap);

typedef enum ddi_backoff {
    DDI_BACKOFF_NONE = 0,  /* fewer than three SYNs */
    DDI_BACKOFF_DOUBLING,  /* exponential: Windows, Linux <= 6.4 */
    DDI_BACKOFF_LINEAR,    /* constant: macOS/iOS, FreeBSD >= 13, Linux >= 6.5 */
    DDI_BACKOFF_IRREGULAR,
} ddi_backoff;
/* The class behind ddi_retry_backoff_text(). */
ddi_backoff ddi_retry_backoff_class(double prev_gap, double gap);
/* Bands for the ratio of two successive gaps: 2 for exponential backoff
 * (RFC 6298 §5.5), 1 for the constant steps of XNU's tcp_syn_backoff[] and
 * Linux >= 6.5's tcp_syn_linear_timeouts.  Each band is about the RTO
 * tolerance (+-20 %) applied to a ratio of two gaps, and the two never meet
 * (docs/references.md#retry). */
#define DDI_BACKOFF_DOUBLING_MIN 1.6
#define DDI_BACKOFF_DOUBLING_MAX 2.5
#define DDI_BACKOFF_LINEAR_MIN 0.75
#define DDI_BACKOFF_LINEAR_MAX 1.33

typedef enum ddi_conficker {
    DDI_CONF_NA = 0,       /* not a candidate: no retry, other port, a 3rd SYN came, or answered */
    DDI_CONF_UNKNOWN,      /* one retry at ~3 s so far, not enough time observed after it */
    DDI_CONF_YES,          /* exactly one retry at ~3 s, then silence long enough to know */
} ddi_conficker;

/* Conficker spreads over SMB, tcp/445 (MS08-067; docs/references.md#conficker). */
#define DDI_CONFICKER_PORT 445
/* Windows would send its second retry 9 s after the first SYN (3 s + 6 s);
 * allow one more second for jitter before calling the silence real. */
#define DDI_CONFICKER_QUIET_S 10.0
/* The one retry is Windows' 3 s initial RTO: the same "~3 s" as the RTO class. */
#define DDI_CONFICKER_GAP_MIN (DDI_RTO_3S_S * (1 - DDI_RTO_TOL_REL))
#define DDI_CONFICKER_GAP_MAX (DDI_RTO_3S_S * (1 + DDI_RTO_TOL_REL))

/* `horizon` is the latest packet time seen in the capture so far. */
ddi_conficker ddi_retry_conficker(const ddi_syn_history *h, double horizon);

/* Does the sender retransmit its SYNs?  Raw-socket scanners send each probe
 * once (docs/references.md R10); kernel stacks retry on their RTO schedule. */
typedef enum ddi_sender {
    DDI_SENDER_UNKNOWN = 0, /* fewer than 2 SYNs, or too little time observed */
    DDI_SENDER_STATEFUL,    /* some SYN was retransmitted */
    DDI_SENDER_STATELESS,   /* >= 2 SYNs, none retransmitted, >= 10 s after the first */
} ddi_sender;

ddi_sender ddi_retry_sender(uint32_t syns, uint32_t retries, double first_syn_ts, double horizon);
/* One sentence, and the short form for statistics rows and reports
 * ("stateful (retransmits SYNs)"). */
const char *ddi_retry_sender_text(ddi_sender s);
const char *ddi_retry_sender_short(ddi_sender s);
/* One word for machine-read output: "stateful", "stateless", "undetermined". */
const char *ddi_retry_sender_token(ddi_sender s);

#endif
