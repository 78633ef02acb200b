/* fuzz_core.c — libFuzzer harness for ddi's inference core (no Wireshark).
 *
 * The tshark-level fuzzer (fuzz.py) cannot see a read a few bytes past a
 * packet: Wireshark keeps frames in larger reusable buffers, so such a read
 * stays inside an allocation and AddressSanitizer is silent.  Here every
 * packet is copied into a heap block of exactly its captured length, so any
 * read past the captured bytes is reported.
 *
 * Input: a sequence of records  [len_hi len_lo] [dt] [len bytes of IP header
 * and what follows].  The first byte of the input picks small or large state
 * tables (the "table full" paths).  Every packet goes through
 * ddi_pkt_parse -> ddi_observe -> ddi_verdict_build_ex (all text) ->
 * ddi_fp_raw_sig, then a second pass re-parses and rebuilds every verdict
 * from the frame records, as two-pass tshark does.
 *
 * Built by tests/fuzz/fuzz.py --core-seconds N with
 *   clang -fsanitize=fuzzer,address,undefined -Iplugin/core plugin/core/ *.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "fingerprint.h"
#include "p0fdb.h"
#include "pkt.h"
#include "state.h"

static ddi_p0fdb *db;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    db = ddi_p0fdb_new();
    const char *own = getenv("DDI_OWN_DB");
    if (own)
        ddi_p0fdb_load_file(db, own, err, sizeof err);
    ddi_p0fdb_load_file(db, "/etc/p0f/p0f.fp", err, sizeof err);
    return 0;
}

#define MAX_PKTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ddi_state st;
    int small = data[0] & 1;
    ddi_state_init(&st, small ? 4 : 0, small ? 4 : 0);
    size_t off = 1;
    double ts = 1700000000.0;
    uint8_t *pkts[MAX_PKTS];
    size_t lens[MAX_PKTS];
    double tss[MAX_PKTS];
    unsigned n = 0;
    ddi_verdict *v = malloc(sizeof *v);

    while (off + 3 <= size && n < MAX_PKTS) {
        size_t len = ((size_t)data[off] << 8 | data[off + 1]) % 1600;
        ts += data[off + 2] * 0.05;
        off += 3;
        if (len > size - off)
            len = size - off;
        uint8_t *b = malloc(len ? len : 1); /* exactly the captured bytes */
        memcpy(b, data + off, len);
        off += len;
        pkts[n] = b;
        lens[n] = len;
        tss[n] = ts;
        n++;

        ddi_pkt p;
        if (!ddi_pkt_parse(b, len, ts, &p))
            continue;
        p.frame = n;
        ddi_frame_rec *r = ddi_state_frame(&st, n);
        if (!r)
            continue;
        ddi_observe(&st, db, &p, r);
        ddi_verdict_build_ex(&st, db, &p, r, DDI_EXPLAIN_ALL, v);
        char raw[512];
        ddi_fp_raw_sig(&p, raw, sizeof raw);
    }
    /* the second pass: verdicts from the stored records */
    for (unsigned i = 0; i < n; i++) {
        const ddi_frame_rec *r = ddi_state_frame_peek(&st, i + 1);
        ddi_pkt p;
        if (r && ddi_pkt_parse(pkts[i], lens[i], tss[i], &p)) {
            p.frame = i + 1;
            ddi_verdict_build_ex(&st, db, &p, r, DDI_EXPLAIN_ALL, v);
        }
        free(pkts[i]);
    }
    free(v);
    ddi_state_free(&st);
    return 0;
}
