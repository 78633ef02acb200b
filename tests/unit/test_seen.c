/* test_seen.c — the compact set of "seen sent" keys (plugin/core/seen.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "pktbuild.h"
#include "seen.h"

static void test_add_has_grow(void)
{
    ddi_seen_set s;
    ddi_seen_init(&s);
    g_assert_false(ddi_seen_has(&s, 42));
    g_assert_cmpuint(ddi_seen_memory(&s), ==, 0);
    ddi_addr a = pb_addr("192.0.2.1"), b = pb_addr("198.51.100.2");
    /* 100000 keys: several doublings; every key stays findable.  Among n
     * keys, about n^2 / 2^33 pairs share a 32-bit fingerprint (~1.2 here):
     * the second of such a pair is "already there". */
    unsigned fresh = 0;
    for (uint32_t i = 0; i < 100000; i++)
        fresh += ddi_seen_add(&s, ddi_seen_key(DDI_SEEN_TCP_SYN, 0, &a, &b, (uint16_t)i, (uint16_t)(i >> 16)));
    g_assert_cmpuint(fresh, >=, 100000 - 8);
    g_assert_cmpuint(s.count, ==, fresh);
    for (uint32_t i = 0; i < 100000; i++)
        g_assert_true(ddi_seen_has(&s, ddi_seen_key(DDI_SEEN_TCP_SYN, 0, &a, &b, (uint16_t)i, (uint16_t)(i >> 16))));
    /* adding again changes nothing */
    g_assert_false(ddi_seen_add(&s, ddi_seen_key(DDI_SEEN_TCP_SYN, 0, &a, &b, 7, 0)));
    g_assert_cmpuint(s.count, ==, fresh);
    /* the load stays between 0.53 and 0.8: at most 7.5 bytes a key */
    g_assert_cmpuint(ddi_seen_memory(&s), <=, (uint64_t)s.count * 4 * 3 * 5 / 4 / 2 + 4);
    g_assert_cmpuint(ddi_seen_memory(&s), ==, (uint64_t)s.cap * 4);
    g_assert_cmpuint((uint64_t)s.count * 5, <=, (uint64_t)s.cap * 4);
    g_assert_true(ddi_seen_load_ok(s.cap, s.count));
    g_assert_false(ddi_seen_load_ok(s.cap, s.cap));
    /* other kinds, directions and addresses are different keys; count the
     * false "seen" answers among 100000 absent keys (expected ~100000 *
     * 100000 / 2^32 = 2.3) */
    unsigned fp = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        fp += ddi_seen_has(&s, ddi_seen_key(DDI_SEEN_TCP, 0, &a, &b, (uint16_t)i, (uint16_t)(i >> 16)));
        fp += ddi_seen_has(&s, ddi_seen_key(DDI_SEEN_TCP_SYN, 0, &b, &a, (uint16_t)i, (uint16_t)(i >> 16)));
    }
    g_assert_cmpuint(fp, <, 20);
    ddi_seen_free(&s);
    g_assert_cmpuint(ddi_seen_memory(&s), ==, 0);
}

static void test_key_parts(void)
{
    ddi_addr a = pb_addr("192.0.2.1"), b = pb_addr("198.51.100.2");
    ddi_addr a6 = pb_addr("2001:db8::1"), b6 = pb_addr("2001:db8::2");
    uint64_t k = ddi_seen_key(DDI_SEEN_UDP, 0, &a, &b, 53, 4000);
    g_assert_cmpuint(k, ==, ddi_seen_key(DDI_SEEN_UDP, 0, &a, &b, 53, 4000));
    g_assert_cmpuint(k, !=, ddi_seen_key(DDI_SEEN_UDP, 0, &b, &a, 53, 4000));
    g_assert_cmpuint(k, !=, ddi_seen_key(DDI_SEEN_UDP, 0, &a, &b, 4000, 53));
    g_assert_cmpuint(k, !=, ddi_seen_key(DDI_SEEN_TCP, 0, &a, &b, 53, 4000));
    g_assert_cmpuint(ddi_seen_key(DDI_SEEN_ICMP_REQ, 0, &a, &b, 1, 1), !=,
                     ddi_seen_key(DDI_SEEN_ICMP_REQ, 14, &a, &b, 1, 1));
    g_assert_cmpuint(ddi_seen_key(DDI_SEEN_UDP, 0, &a6, &b6, 53, 4000), !=,
                     ddi_seen_key(DDI_SEEN_UDP, 0, &b6, &a6, 53, 4000));
}

/* Batched insertion (ddi_seen_add_later) is known to lookups at once and,
 * placed, gives the very table immediate insertion gives: the same slots
 * in the same places, so state files keep their bytes. */
static void test_batch(void)
{
    ddi_seen_set now, later;
    ddi_seen_init(&now);
    ddi_seen_init(&later);
    ddi_addr a = pb_addr("192.0.2.1"), b = pb_addr("198.51.100.2");
    /* enough keys for several growths, a count that leaves a batch waiting,
     * and repeats (every fifth key comes again) */
    for (uint32_t i = 0; i < 5003; i++) {
        uint32_t k = i % 5 == 4 ? i - 3 : i;
        uint64_t key = ddi_seen_key(DDI_SEEN_TCP_SYN, 0, &a, &b, (uint16_t)k, 1);
        ddi_seen_add(&now, key);
        ddi_seen_add_later(&later, key);
        g_assert_true(ddi_seen_has(&later, key));
    }
    g_assert_cmpuint(later.nbatch, >, 0);
    g_assert_cmpuint(later.nbatch, <, DDI_SEEN_BATCH);
    ddi_seen_settle(&later);
    g_assert_cmpuint(later.nbatch, ==, 0);
    g_assert_cmpuint(later.count, ==, now.count);
    g_assert_cmpuint(later.cap, ==, now.cap);
    g_assert_cmpint(memcmp(later.slots, now.slots, (size_t)now.cap * sizeof *now.slots), ==, 0);
    /* an immediate add places the waiting batch first, as if added in order */
    uint64_t last = ddi_seen_key(DDI_SEEN_UDP, 0, &a, &b, 53, 53);
    ddi_seen_add_later(&later, ddi_seen_key(DDI_SEEN_UDP, 0, &a, &b, 1, 1));
    g_assert_true(ddi_seen_add(&later, last));
    g_assert_cmpuint(later.nbatch, ==, 0);
    g_assert_true(ddi_seen_has(&later, ddi_seen_key(DDI_SEEN_UDP, 0, &a, &b, 1, 1)));
    /* so does aging: the batch belongs to the generation it was added in */
    ddi_seen_add_later(&later, ddi_seen_key(DDI_SEEN_UDP, 0, &a, &b, 2, 2));
    ddi_seen_age(&later, 10);
    g_assert_cmpuint(later.nbatch, ==, 0);
    g_assert_cmpuint(later.count, ==, 0);
    g_assert_true(ddi_seen_has(&later, ddi_seen_key(DDI_SEEN_UDP, 0, &a, &b, 2, 2)));
    ddi_seen_free(&now);
    ddi_seen_free(&later);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/seen/add-has-grow", test_add_has_grow);
    g_test_add_func("/seen/key-parts", test_key_parts);
    g_test_add_func("/seen/batch", test_batch);
    return g_test_run();
}
