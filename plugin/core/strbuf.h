/* strbuf.h — append formatted text to a fixed buffer, truncating safely.
 * Evidence strings are built with it; they never allocate.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_STRBUF_H
#define DDI_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct ddi_sb {
    char *s;
    size_t len, cap;
    int cut; /* text was dropped: nothing more is appended */
} ddi_sb;

static inline ddi_sb ddi_sb_on(char *buf, size_t cap)
{
    if (cap)
        buf[0] = 0;
    return (ddi_sb){buf, 0, cap, 0};
}

/* Append to text already in `buf` (NUL-terminated, shorter than cap). */
static inline ddi_sb ddi_sb_resume(char *buf, size_t cap)
{
    size_t len = 0;
    while (cap && len + 1 < cap && buf[len])
        len++;
    if (cap)
        buf[len] = 0;
    return (ddi_sb){buf, len, cap, 0};
}

/* Marks text that did not fit.  ASCII, so every reader of the fields shows it. */
#define DDI_SB_ELLIPSIS "..."

/* Text that does not fit ends after the last whole word that leaves room for
 * the ellipsis (never half a word, or a number without its last digits), and
 * the buffer takes nothing more, so no later clause follows the cut. */
static inline void ddi_sb_cut(ddi_sb *b)
{
    const size_t ell = sizeof DDI_SB_ELLIPSIS - 1;
    b->cut = 1;
    if (b->cap < ell + 2)
        return;
    size_t end = b->cap - 1 - ell; /* b->s[end] exists: the text filled the buffer */
    size_t keep = end;
    while (keep > 0 && b->s[keep] != ' ')
        keep--;
    if (keep == 0) /* one word longer than the buffer: nothing whole to keep */
        keep = end;
    while (keep > 0 && (b->s[keep - 1] == ' ' || b->s[keep - 1] == ';' || b->s[keep - 1] == ',' ||
                        b->s[keep - 1] == ':' || b->s[keep - 1] == '('))
        keep--;
    for (size_t i = 0; i < ell; i++)
        b->s[keep + i] = DDI_SB_ELLIPSIS[i];
    b->len = keep + ell;
    b->s[b->len] = 0;
}

/* Append a string as ddi_sb_add(b, "%s", s) does, without vsnprintf. */
static inline void ddi_sb_put(ddi_sb *b, const char *s)
{
    if (!b->cap || b->cut)
        return;
    size_t n = strlen(s);
    if (!n)
        return;
    if (b->len + n < b->cap) {
        memcpy(b->s + b->len, s, n + 1);
        b->len += n;
        return;
    }
    memcpy(b->s + b->len, s, b->cap - 1 - b->len); /* what fits, as vsnprintf leaves it */
    b->len = b->cap - 1;
    b->s[b->len] = 0;
    ddi_sb_cut(b);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void ddi_sb_add(ddi_sb *b, const char *fmt, ...)
{
    if (!b->cap || b->cut)
        return;
    va_list ap;
    va_start(ap, fmt);
    /* "%s" and plain text (clause separators, names) without vsnprintf: the
     * per-source report builds a verdict line for each of millions of sources */
    if (fmt[0] == '%' && fmt[1] == 's' && !fmt[2]) {
        const char *s = va_arg(ap, const char *);
        va_end(ap);
        ddi_sb_put(b, s ? s : "(null)");
        return;
    }
    if (!strchr(fmt, '%')) {
        va_end(ap);
        ddi_sb_put(b, fmt);
        return;
    }
    int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    if (b->len + (size_t)n < b->cap) {
        b->len += (size_t)n;
        return;
    }
    b->len = b->cap - 1;
    ddi_sb_cut(b);
}

/* Start a new clause: "; " unless the buffer is empty. */
#define ddi_sb_clause(b, ...) (ddi_sb_add((b), "%s", (b)->len ? "; " : ""), ddi_sb_add((b), __VA_ARGS__))

#endif
