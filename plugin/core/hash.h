/* hash.h — FNV-1a, the one hash ddi uses for small keys (option layouts,
 * fingerprints, target digests, label ids).  Cheap and well spread for short
 * inputs; never used where an attacker's choice of keys could matter.
 * Fowler/Noll/Vo, http://www.isthe.com/chongo/tech/comp/fnv/
 * (docs/references.md#fnv).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_HASH_H
#define DDI_HASH_H

#include <stddef.h>
#include <stdint.h>

#define DDI_FNV1A_INIT 2166136261u /* 32-bit offset basis */
#define DDI_FNV1A_PRIME 16777619u  /* 32-bit FNV prime */

/* One step: a value (a byte, or a whole small integer) folded in. */
static inline uint32_t ddi_fnv1a_step(uint32_t h, uint32_t v) { return (h ^ v) * DDI_FNV1A_PRIME; }

/* n bytes folded in, one step each. */
static inline uint32_t ddi_fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = ddi_fnv1a_step(h, p[i]);
    return h;
}

/* splitmix64's finaliser (Steele, Lea, Flood 2014, docs/references.md#fnv):
 * every input bit reaches every output bit, so sequential addresses and
 * nearby ports spread over a table's slots or a sketch's bits. */
static inline uint64_t ddi_mix64(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

#endif
