/* retry.c — SYN retransmission schedules (docs/references.md#retry).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "retry.h"

#include <math.h>
#include <stddef.h>

static bool near(double v, double want)
{
    double tol = fmax(DDI_RTO_TOL_ABS, want * DDI_RTO_TOL_REL);
    return fabs(v - want) <= tol;
}

ddi_rto_class ddi_retry_rto_class(double gap1)
{
    if (!(gap1 > 0))
        return DDI_RTO_NONE;
    if (near(gap1, DDI_RTO_3S_S)) /* TcpInitialRTT 3 s (MS TechNet); Linux TCP_TIMEOUT_INIT 3*HZ before 3.1 */
        return DDI_RTO_3S;
    if (near(gap1, DDI_RTO_1S_S)) /* RFC 6298 §2; Linux 9ad7c049f0f7; XNU TCPTV_RTOBASE */
        return DDI_RTO_1S;
    return DDI_RTO_OTHER;
}

const char *ddi_retry_rto_text(ddi_rto_class c)
{
    switch (c) {
    case DDI_RTO_3S:
        return "3 s initial RTO: Windows XP to 8/2012 (TcpInitialRTT), or Linux <= 3.0";
    case DDI_RTO_1S:
        return "1 s initial RTO: Linux >= 3.1/Android, newer Windows 10/11, macOS/iOS, FreeBSD >= 13";
    case DDI_RTO_OTHER:
        return "initial RTO matches no common OS default (tuned stack, application retry, or packet loss)";
    default:
        return "no retransmission";
    }
}

const char *ddi_retry_rto_short(ddi_rto_class c)
{
    switch (c) {
    case DDI_RTO_3S: return DDI_RTO_3S_SHORT;
    case DDI_RTO_1S: return DDI_RTO_1S_SHORT;
    case DDI_RTO_OTHER: return "other initial RTO";
    default: return "no retransmission";
    }
}

ddi_backoff ddi_retry_backoff_class(double prev_gap, double gap)
{
    if (!(prev_gap > 0) || !(gap > 0))
        return DDI_BACKOFF_NONE;
    double r = gap / prev_gap;
    if (r > DDI_BACKOFF_DOUBLING_MIN && r < DDI_BACKOFF_DOUBLING_MAX)
        return DDI_BACKOFF_DOUBLING;
    if (r > DDI_BACKOFF_LINEAR_MIN && r < DDI_BACKOFF_LINEAR_MAX)
        return DDI_BACKOFF_LINEAR;
    return DDI_BACKOFF_IRREGULAR;
}

const char *ddi_retry_backoff_text(double prev_gap, double gap)
{
    switch (ddi_retry_backoff_class(prev_gap, gap)) {
    case DDI_BACKOFF_DOUBLING:
        return "doubling: exponential backoff (Windows, Linux <= 6.4)";
    case DDI_BACKOFF_LINEAR:
        /* XNU tcp_syn_backoff[] = {1,1,1,1,1,2,4,...}; Linux >= 6.5 tcp_syn_linear_timeouts */
        return "constant: linear backoff (macOS/iOS, FreeBSD >= 13, Linux >= 6.5)";
    case DDI_BACKOFF_IRREGULAR:
        return "irregular: not an OS backoff (application retries, loss, or several hosts)";
    default:
        return NULL;
    }
}

ddi_conficker ddi_retry_conficker(const ddi_syn_history *h, double horizon)
{
    if (!h->port445 || h->count != 2)
        return DDI_CONF_NA;
    /* silence after an answer is a finished handshake, not giving up */
    if (h->answered)
        return DDI_CONF_NA;
    if (ddi_retry_rto_class(h->gap1) != DDI_RTO_3S) /* DDI_CONFICKER_GAP_MIN..MAX */
        return DDI_CONF_NA;
    return horizon - h->first_ts >= DDI_CONFICKER_QUIET_S ? DDI_CONF_YES : DDI_CONF_UNKNOWN;
}

ddi_sender ddi_retry_sender(uint32_t syns, uint32_t retries, double first_syn_ts, double horizon)
{
    if (retries)
        return DDI_SENDER_STATEFUL;
    /* every OS retries within 3 s; 10 s of silence after the first of two or
     * more SYNs is the same margin the Conficker check uses */
    if (syns >= 2 && horizon - first_syn_ts >= DDI_CONFICKER_QUIET_S)
        return DDI_SENDER_STATELESS;
    return DDI_SENDER_UNKNOWN;
}

const char *ddi_retry_sender_text(ddi_sender s)
{
    switch (s) {
    case DDI_SENDER_STATEFUL:
        return "stateful: retransmits SYNs (a kernel stack's connect(), or a tool resending probes, e.g. nmap -O)";
    case DDI_SENDER_STATELESS:
        return "stateless: never retransmits a SYN (raw-socket scanner, or connect() with a short timeout)";
    default:
        return "not yet known";
    }
}

const char *ddi_retry_sender_short(ddi_sender s)
{
    switch (s) {
    case DDI_SENDER_STATEFUL: return "stateful (retransmits SYNs)";
    case DDI_SENDER_STATELESS: return "stateless (never retransmits)";
    default: return "undetermined";
    }
}

const char *ddi_retry_sender_token(ddi_sender s)
{
    switch (s) {
    case DDI_SENDER_STATEFUL: return "stateful";
    case DDI_SENDER_STATELESS: return "stateless";
    default: return "undetermined";
    }
}
