/* bigmem.c — large arrays from the system (mmap), small ones from malloc.
 * The size alone says which: a failed mapping is no memory, never a quiet
 * fall back to malloc that ddi_big_free would then unmap.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "bigmem.h"

#include <glib.h>
#include <stdbool.h>

#if defined(G_OS_UNIX)
#include <sys/mman.h>
static bool mapped(size_t n) { return n >= DDI_BIG_MIN; }
#else
static bool mapped(size_t n) { (void)n; return false; }
#endif

void *ddi_big_try_alloc0(size_t n)
{
#if defined(G_OS_UNIX)
    if (mapped(n)) {
        void *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return m == MAP_FAILED ? NULL : m; /* fresh pages read as zero */
    }
#endif
    return g_try_malloc0(n);
}

void *ddi_big_alloc0(size_t n)
{
    void *p = ddi_big_try_alloc0(n);
    if (!p)
        g_error("ddi: out of memory (%" G_GSIZE_FORMAT " bytes)", n);
    return p;
}

void ddi_big_free(void *p, size_t n)
{
    if (!p)
        return;
#if defined(G_OS_UNIX)
    if (mapped(n)) {
        munmap(p, n);
        return;
    }
#endif
    g_free(p);
}
