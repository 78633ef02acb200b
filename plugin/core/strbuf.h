/* strbuf.h — append formatted text to a fixed buffer, truncating safely.
 * Evidence strings are built with it; they never allocate.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_STRBUF_H
#define DDI_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef struct ddi_sb {
    char *s;
    size_t len, cap;
} ddi_sb;

static inline ddi_sb ddi_sb_on(char *buf, size_t cap)
{
    if (cap)
        buf[0] = 0;
    return (ddi_sb){buf, 0, cap};
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void ddi_sb_add(ddi_sb *b, const char *fmt, ...)
{
    if (!b->cap || b->len + 1 >= b->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

/* Start a new clause: "; " unless the buffer is empty. */
#define ddi_sb_clause(b, ...) (ddi_sb_add((b), "%s", (b)->len ? "; " : ""), ddi_sb_add((b), __VA_ARGS__))

#endif
