/* bigmem.h — memory for ddi's large arrays: the record chunks (state.c) and
 * the tables that grow by replacement (the seen set, the source and
 * connection indexes, the connection FIFO).
 *
 * From malloc, two things cost resident memory that holds nothing.  A
 * table that grows frees its old generation, which stays in the process as
 * a hole: glibc gives memory back to the system only from the top of its
 * heap, and inside tshark all of ddi's large allocations land in that heap
 * (/proc/PID/smaps at the end of a run; glibc's mmap threshold has grown past
 * them once tshark frees a large block of its own).  And a zeroed chunk
 * carved from reused heap memory is cleared whole, so the unused tail of the
 * last chunk of each array is resident.  Straight from the system (mmap),
 * freed memory goes back, and pages never written are never resident.
 * bench/RESULTS.md has what this saves.
 *
 * Arrays of DDI_BIG_MIN bytes or more are mapped where the system can; smaller
 * ones are malloc'd (a mapping is at least a page, and small holes are what
 * malloc reuses well).  The memory is zero-filled; free it with ddi_big_free
 * and the size it was allocated with.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_BIGMEM_H
#define DDI_BIGMEM_H

#include <stddef.h>

#define DDI_BIG_MIN (64u * 1024u)

/* n zero bytes (n > 0); aborts when there is no memory, as g_malloc0 does. */
void *ddi_big_alloc0(size_t n);
/* n zero bytes (n > 0), or NULL when there is no memory. */
void *ddi_big_try_alloc0(size_t n);
/* Frees p (NULL is ignored), allocated above with the same n. */
void ddi_big_free(void *p, size_t n);

#endif
