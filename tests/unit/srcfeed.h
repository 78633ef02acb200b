/* srcfeed.h — crafted packets through the first pass as the glue feeds them,
 * and a source's whole summary read back, for the unit tests of the per-source
 * modules (summary, telescope).  Packet bytes come from pktbuild.h.
 *
 *   ddi_state st;
 *   ddi_state_init(&st, 0, 0);
 *   feed_frame(&st, win_syn_pkt("192.0.2.1", "198.51.100.7", 50001, 445, 1000, 7, 113, 1.0), 1);
 *   ddi_src_summary s;
 *   summary_of(&st, "192.0.2.1", &s);
 *   char *j = json_of(&s);   // the -z ddi,sources,json line; free() it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_TEST_SRCFEED_H
#define DDI_TEST_SRCFEED_H

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyze.h"
#include "pktbuild.h"
#include "summary.h"

/* One packet through the first pass with frame number `frame`. */
static inline void feed_frame(ddi_state *st, ddi_pkt p, uint32_t frame)
{
    p.frame = frame;
    ddi_frame_rec *rec = ddi_state_frame(st, frame);
    ddi_observe(st, NULL, &p, rec);
}

/* A Windows SYN (XP to 10 alike): DF, window 65535, MSS 1460, NOP, NOP, SACK permitted. */
static inline ddi_pkt win_syn_pkt(const char *src, const char *dst, uint16_t sport, uint16_t dport, uint32_t isn,
                                  uint16_t id, uint8_t ttl, double ts)
{
    pb_ip ip = {.src = src, .dst = dst, .ttl = ttl, .id = id, .df = true};
    pb_tcp t = {.sport = sport, .dport = dport, .seq = isn, .flags = DDI_TH_SYN, .win = 65535,
                PB_OPTS(PB_MSS(1460), PB_NOP, PB_NOP, PB_SOK)};
    return pb_tcp_parsed(&ip, &t, ts);
}

/* The whole-source summary of `src`, which must have been seen. */
static inline void summary_of(const ddi_state *st, const char *src, ddi_src_summary *out)
{
    ddi_addr a = pb_addr(src);
    uint32_t idx = ddi_state_source_find(st, &a);
    g_assert_cmpuint(idx, !=, 0);
    ddi_summary_build(st, idx, NULL, out);
}

/* What a writer prints for one source, as a string (free() it). */
static inline char *written(void (*writer)(FILE *, const ddi_src_summary *), const ddi_src_summary *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    g_assert_nonnull(f);
    writer(f, s);
    fclose(f);
    return buf;
}

static inline char *json_of(const ddi_src_summary *s) { return written(ddi_summary_write_json, s); }
static inline char *text_of(const ddi_src_summary *s) { return written(ddi_summary_write_text, s); }

#endif
