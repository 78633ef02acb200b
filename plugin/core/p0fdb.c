/* p0fdb.c — reader for p0f v3 signature files (p0f.fp format).
 *
 * The file format is described in p0f 3.09b docs/README §5; the rules about
 * which line may follow which (classes before sections, sys after '!'
 * labels, …) follow p0f's readfp.c, and the field syntax of TCP signatures
 * follows tcp_register_sig() in p0f's fp_tcp.c.  Unlike p0f, which stops at
 * the first bad line, a bad line here is skipped and reported once, so one
 * typo in a local signature file does not cost the whole database.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "p0fdb.h"

#include "hash.h"

#include <glib.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SIG_BUCKETS 64 /* p0f config.h SIG_BUCKETS: buckets per direction */
#define MAX_FILE_BYTES (64u << 20) /* p0f.fp is ~40 KB; anything huge is a mistake */
#define QUOTE_MAX 40 /* longest piece of a bad line echoed in a message */

typedef struct sig_vec {
    ddi_tcp_sig *v;
    size_t n, cap;
} sig_vec;

struct ddi_p0fdb {
    GStringChunk *str;  /* every string handed out lives here */
    GPtrArray *classes; /* declared classes ("classes = win,unix,other") */
    sig_vec tcp[2][SIG_BUCKETS]; /* [0] = tcp:request, [1] = tcp:response */
    size_t ntcp;
    size_t nmtu; /* [mtu] lines checked and counted; their labels are mss.c's table */
    uint32_t generation; /* ddi_p0fdb_generation() */
};

/* One counter for every database of the process: a generation is never
 * handed out twice, so a memo that keeps one cannot take a newer database,
 * or another one at the same address, for the one it was filled from. */
static uint32_t next_generation(void)
{
    static uint32_t last;
    return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
}

uint32_t ddi_p0fdb_generation(const ddi_p0fdb *db) { return db ? db->generation : 0; }

/* ---------------------------------------------------------------------------
 * Names shared with the matcher's raw_sig printer.
 */

/* Quirk names in DDI_Q_* bit order, which is the order p0f's dump_sig()
 * prints them in (p0f fp_tcp.c). */
static const char *const quirk_names[] = {
    "df", "id+", "id-", "ecn", "0+", "flow", "seq-", "ack+", "ack-",
    "uptr+", "urgf+", "pushf+", "ts1-", "ts2+", "opt+", "exws", "bad",
};
#define N_QUIRKS (sizeof quirk_names / sizeof quirk_names[0])

const char *ddi_p0f_quirk_name(unsigned bit) { return bit < N_QUIRKS ? quirk_names[bit] : NULL; }

const char *ddi_p0f_opt_name(uint8_t kind) { return ddi_tcp_opt_p0f(kind); }

uint32_t ddi_p0f_layout_hash(const uint8_t *olayout, size_t nopt)
{
    /* good enough to spread ~100 layouts over 64 buckets */
    uint32_t h = ddi_fnv1a(DDI_FNV1A_INIT, olayout, nopt);
    return ddi_fnv1a_step(h, (uint32_t)nopt); /* "nop" and "nop,nop" must not collide by construction */
}

/* ---------------------------------------------------------------------------
 * Database object.
 */

ddi_p0fdb *ddi_p0fdb_new(void)
{
    ddi_p0fdb *db = g_new0(ddi_p0fdb, 1);
    db->str = g_string_chunk_new(4096);
    db->classes = g_ptr_array_new();
    db->generation = next_generation();
    return db;
}

void ddi_p0fdb_free(ddi_p0fdb *db)
{
    if (!db)
        return;
    for (int d = 0; d < 2; d++)
        for (int b = 0; b < SIG_BUCKETS; b++)
            g_free(db->tcp[d][b].v);
    g_ptr_array_free(db->classes, TRUE);
    g_string_chunk_free(db->str);
    g_free(db);
}

size_t ddi_p0fdb_count(const ddi_p0fdb *db) { return db ? db->ntcp : 0; }
size_t ddi_p0fdb_mtu_count(const ddi_p0fdb *db) { return db ? db->nmtu : 0; }

const ddi_tcp_sig *ddi_p0fdb_bucket(const ddi_p0fdb *db, bool response, uint32_t hash, size_t *n)
{
    const sig_vec *b = &db->tcp[response ? 1 : 0][hash % SIG_BUCKETS];
    *n = b->n;
    return b->v;
}

static void add_tcp_sig(ddi_p0fdb *db, bool response, const ddi_tcp_sig *s)
{
    sig_vec *b = &db->tcp[response ? 1 : 0][s->opt_hash % SIG_BUCKETS];
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->v = g_renew(ddi_tcp_sig, b->v, b->cap);
    }
    b->v[b->n++] = *s; /* appended: earlier files and lines keep precedence */
    db->ntcp++;
    db->generation = next_generation();
}

/* ---------------------------------------------------------------------------
 * Spans: pieces of the (read-only) input, so long lines need no copies.
 */

typedef struct span {
    const char *p;
    size_t n;
} span;

static span sp(const char *p, size_t n) { return (span){p, n}; }

static bool sp_eq(span s, const char *lit)
{
    size_t l = strlen(lit);
    return s.n == l && memcmp(s.p, lit, l) == 0;
}

static bool sp_starts(span s, const char *lit)
{
    size_t l = strlen(lit);
    return s.n >= l && memcmp(s.p, lit, l) == 0;
}

static span sp_from(span s, size_t off) { return off >= s.n ? sp(s.p + s.n, 0) : sp(s.p + off, s.n - off); }

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static span sp_trim(span s)
{
    while (s.n && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && (is_blank(s.p[s.n - 1]) || s.p[s.n - 1] == '\r' || s.p[s.n - 1] == '\v' ||
                   s.p[s.n - 1] == '\f'))
        s.n--;
    return s;
}

/* Digits only, at least one, value <= max. */
static bool sp_uint(span s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (s.n == 0 || s.n > 9)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s.p[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Split off the piece up to the next `sep` (or the end) from *rest. */
static span sp_take(span *rest, char sep)
{
    const char *e = memchr(rest->p, sep, rest->n);
    size_t n = e ? (size_t)(e - rest->p) : rest->n;
    span tok = sp(rest->p, n);
    *rest = e ? sp(e + 1, rest->n - n - 1) : sp(rest->p + n, 0);
    return tok;
}

static size_t sp_count(span s, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++)
        k += s.p[i] == c;
    return k;
}

/* A piece of input for an error message: at most QUOTE_MAX bytes, with
 * control bytes replaced so a hostile file cannot mess up a terminal. */
static const char *quote(span s, char *buf, size_t len)
{
    size_t n = s.n > QUOTE_MAX ? QUOTE_MAX : s.n;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < len; i++)
        buf[o++] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? s.p[i] : '?';
    if (n < s.n && o + 3 < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o < len ? o : len - 1] = '\0';
    return buf;
}

/* ---------------------------------------------------------------------------
 * Parser state for one file (p0f readfp.c CF_NEED_* states).
 */

typedef enum section {
    SEC_NONE,    /* before the first [section] */
    SEC_MTU,
    SEC_TCP,
    SEC_HTTP,    /* [http:*]: read past, we do not fingerprint HTTP */
    SEC_UNKNOWN, /* a bad [section]: its lines are skipped */
} section;

typedef enum need {
    NEED_LABEL, /* section seen, no label yet */
    NEED_SYS,   /* a userland ('!') label wants its 'sys =' line first */
    NEED_SIG,   /* label in force: sigs welcome */
} need;

typedef enum outcome {
    LINE_OK,
    LINE_BAD,  /* wrong in itself: reported */
    LINE_SKIP, /* fine maybe, but belongs to a rejected label or section */
} outcome;

typedef struct parser {
    ddi_p0fdb *db;
    const char *file; /* interned */
    unsigned line;
    section sec;
    bool response; /* [tcp:response] */
    bool http_request;
    need need;
    bool label_bad;

    /* the label in force */
    const char *cls, *name, *flavor;
    bool generic, userland;

    /* results */
    int loaded;
    unsigned skipped;
    unsigned bad_line; /* first reported line, 0 = none */
    char bad_msg[192];
} parser;

static outcome bad(parser *ps, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static outcome bad(parser *ps, const char *fmt, ...)
{
    if (!ps->bad_line) { /* only the first problem is worth a message */
        va_list ap;
        va_start(ap, fmt);
        g_vsnprintf(ps->bad_msg, sizeof ps->bad_msg, fmt, ap);
        va_end(ap);
        ps->bad_line = ps->line;
    }
    return LINE_BAD;
}

static char *intern(parser *ps, span s)
{
    char *tmp = g_strndup(s.p, s.n);
    char *r = g_string_chunk_insert_const(ps->db->str, tmp);
    g_free(tmp);
    return r;
}

static const char *find_class(const ddi_p0fdb *db, span s)
{
    for (guint i = 0; i < db->classes->len; i++) {
        const char *c = g_ptr_array_index(db->classes, i);
        if (strlen(c) == s.n && g_ascii_strncasecmp(c, s.p, s.n) == 0)
            return c;
    }
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Line kinds.
 */

static outcome parse_section(parser *ps, span s)
{
    char q[QUOTE_MAX + 4];
    ps->need = NEED_LABEL;
    ps->label_bad = false;
    ps->http_request = false;
    if (sp_eq(s, "[mtu]")) {
        ps->sec = SEC_MTU;
    } else if (sp_eq(s, "[tcp:request]") || sp_eq(s, "[tcp:response]")) {
        ps->sec = SEC_TCP;
        ps->response = sp_eq(s, "[tcp:response]");
    } else if (sp_eq(s, "[http:request]") || sp_eq(s, "[http:response]")) {
        ps->sec = SEC_HTTP;
        ps->http_request = sp_eq(s, "[http:request]");
    } else {
        ps->sec = SEC_UNKNOWN;
        return bad(ps, "unknown section '%s' (expected [mtu], [tcp:request], [tcp:response], "
                       "[http:request] or [http:response])",
                   quote(s, q, sizeof q));
    }
    return LINE_OK;
}

/* classes = win,unix,other  (p0f readfp.c config_parse_classes) */
static outcome parse_classes(parser *ps, span v)
{
    char q[QUOTE_MAX + 4];
    if (ps->sec != SEC_NONE)
        return bad(ps, "misplaced 'classes': it must come before the first [section]");
    /* Validate everything first, so a bad line adds nothing. */
    span rest = v;
    size_t good = 0;
    while (rest.n) {
        span c = sp_trim(sp_take(&rest, ','));
        if (!c.n)
            continue; /* p0f skips stray commas and blanks */
        for (size_t i = 0; i < c.n; i++)
            if (!g_ascii_isalnum(c.p[i]))
                return bad(ps, "bad class name '%s' (letters and digits only)", quote(c, q, sizeof q));
        good++;
    }
    if (!good)
        return bad(ps, "empty 'classes' list");
    rest = v;
    while (rest.n) {
        span c = sp_trim(sp_take(&rest, ','));
        if (c.n && !find_class(ps->db, c))
            g_ptr_array_add(ps->db->classes, intern(ps, c));
    }
    return LINE_OK;
}

static bool name_char(char c)
{
    /* p0f config.h NAME_CHARS, plus alphanumerics */
    return g_ascii_isalnum(c) || (c && strchr(" ./-_!?()", c));
}

/* label = s|g:class:name:flavor  (p0f readfp.c config_parse_label) */
static outcome parse_label(parser *ps, span v)
{
    char q[QUOTE_MAX + 4];

    if (ps->sec == SEC_MTU) { /* [mtu] labels are plain text */
        if (!v.n)
            return bad(ps, "empty MTU label");
        ps->name = intern(ps, v);
        return LINE_OK;
    }
    if (v.n < 2 || (v.p[0] != 's' && v.p[0] != 'g') || v.p[1] != ':')
        return bad(ps, "bad label '%s' (expected s|g:class:name:flavor)", quote(v, q, sizeof q));
    bool generic = v.p[0] == 'g';
    span rest = sp_from(v, 2);
    if (!memchr(rest.p, ':', rest.n))
        return bad(ps, "bad label '%s' (expected s|g:class:name:flavor)", quote(v, q, sizeof q));
    span cls = sp_take(&rest, ':');
    if (!memchr(rest.p, ':', rest.n))
        return bad(ps, "bad label '%s': no ':' after the name (expected s|g:class:name:flavor)",
                   quote(v, q, sizeof q));
    span name = sp_take(&rest, ':');
    span flavor = rest; /* the rest of the line, colons and all */

    const char *c;
    bool userland = sp_eq(cls, "!");
    if (userland) {
        c = "!";
    } else if (!cls.n) {
        return bad(ps, "empty class in label '%s'", quote(v, q, sizeof q));
    } else if (!(c = find_class(ps->db, cls))) {
        return bad(ps, "unknown class '%s' in label (declare it in 'classes = ...')",
                   quote(cls, q, sizeof q));
    }
    if (!name.n)
        return bad(ps, "empty name in label '%s'", quote(v, q, sizeof q));
    for (size_t i = 0; i < name.n; i++)
        if (!name_char(name.p[i]))
            return bad(ps, "bad character in name '%s' (letters, digits and \" ./-_!?()\" only)",
                       quote(name, q, sizeof q));

    ps->generic = generic;
    ps->userland = userland;
    ps->cls = c;
    ps->name = intern(ps, name);
    ps->flavor = intern(ps, flavor);
    return LINE_OK;
}

/* sys = Linux,@unix  (p0f readfp.c config_parse_sys); checked, not kept:
 * ddi does not second-guess tools against the OS that runs them. */
static outcome parse_sys(parser *ps, span v)
{
    char q[QUOTE_MAX + 4];
    span rest = v;
    size_t good = 0;
    while (rest.n) {
        span t = sp_trim(sp_take(&rest, ','));
        if (!t.n)
            continue;
        bool cls = t.p[0] == '@';
        span nm = cls ? sp_from(t, 1) : t;
        if (!nm.n)
            return bad(ps, "empty entry in 'sys'");
        for (size_t i = 0; i < nm.n; i++)
            if (!name_char(nm.p[i]))
                return bad(ps, "bad name '%s' in 'sys'", quote(t, q, sizeof q));
        if (cls && !find_class(ps->db, nm))
            return bad(ps, "unknown class '%s' in 'sys'", quote(t, q, sizeof q));
        good++;
    }
    if (!good)
        return bad(ps, "empty 'sys' list");
    return LINE_OK;
}

/* One quirk name → DDI_Q_* bit; the IP-version checks follow p0f fp_tcp.c. */
static outcome parse_quirk(parser *ps, span t, int ver, uint32_t *quirks)
{
    char q[QUOTE_MAX + 4];
    for (unsigned i = 0; i < N_QUIRKS; i++) {
        if (!sp_eq(t, quirk_names[i]))
            continue;
        uint32_t bit = 1u << i;
        if (ver == 6 && (bit & (DDI_Q_DF | DDI_Q_NZ_ID | DDI_Q_ZERO_ID | DDI_Q_NZ_MBZ)))
            return bad(ps, "quirk '%s' is not valid in an IPv6 signature", quirk_names[i]);
        if (ver == 4 && bit == DDI_Q_FLOW)
            return bad(ps, "quirk 'flow' is not valid in an IPv4 signature");
        *quirks |= bit;
        return LINE_OK;
    }
    return bad(ps, "unknown quirk '%s' in signature", quote(t, q, sizeof q));
}

/* sig = ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass  (p0f README §5) */
static outcome parse_tcp_sig(parser *ps, span v, ddi_tcp_sig *t)
{
    char q[QUOTE_MAX + 4];
    unsigned long u, add;

    size_t nf = sp_count(v, ':') + 1;
    if (nf != 8)
        return bad(ps, "signature has %zu fields, expected 8 "
                       "(ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass)", nf);
    span f[8], rest = v;
    for (int i = 0; i < 8; i++)
        f[i] = sp_take(&rest, ':');

    /* ver */
    if (sp_eq(f[0], "4"))
        t->ver = 4;
    else if (sp_eq(f[0], "6"))
        t->ver = 6;
    else if (sp_eq(f[0], "*"))
        t->ver = -1;
    else
        return bad(ps, "bad IP version '%s' in signature (expected 4, 6 or *)", quote(f[0], q, sizeof q));

    /* ittl: "64", "64-" (random TTL up to 64), or "54+10" (observed+distance) */
    span tt = f[1];
    add = 0;
    if (tt.n && tt.p[tt.n - 1] == '-') {
        t->bad_ttl = true;
        tt.n--;
    } else if (memchr(tt.p, '+', tt.n)) {
        span r = tt;
        tt = sp_take(&r, '+');
        if (!sp_uint(r, 255, &add))
            return bad(ps, "bad initial TTL '%s' in signature", quote(f[1], q, sizeof q));
    }
    if (!sp_uint(tt, 255, &u) || u < 1 || u + add > 255)
        return bad(ps, "bad initial TTL '%s' in signature", quote(f[1], q, sizeof q));
    t->ttl = (uint8_t)(u + add);

    /* olen */
    if (!sp_uint(f[2], 255, &u))
        return bad(ps, "bad IP option length '%s' in signature", quote(f[2], q, sizeof q));
    t->olen = (uint8_t)u;

    /* mss */
    if (sp_eq(f[3], "*"))
        t->mss = -1;
    else if (sp_uint(f[3], 65535, &u))
        t->mss = (int32_t)u;
    else
        return bad(ps, "bad MSS '%s' in signature", quote(f[3], q, sizeof q));

    /* wsize,scale */
    if (sp_count(f[4], ',') != 1)
        return bad(ps, "bad window field '%s' in signature (expected wsize,scale)", quote(f[4], q, sizeof q));
    span wr = f[4];
    span ws = sp_take(&wr, ','), sc = wr;
    if (sp_eq(ws, "*")) {
        t->win_kind = DDI_WIN_ANY;
    } else if (sp_starts(ws, "%")) {
        if (!sp_uint(sp_from(ws, 1), 65535, &u) || u < 2) /* p0f: 2..65535 */
            return bad(ps, "bad window size '%s' in signature", quote(ws, q, sizeof q));
        t->win_kind = DDI_WIN_MOD;
        t->win = (uint16_t)u;
    } else if (sp_starts(ws, "mss*") || sp_starts(ws, "mtu*")) {
        if (!sp_uint(sp_from(ws, 4), 1000, &u) || u < 1) /* p0f: 1..1000 */
            return bad(ps, "bad window size '%s' in signature", quote(ws, q, sizeof q));
        t->win_kind = ws.p[1] == 's' ? DDI_WIN_MSS : DDI_WIN_MTU;
        t->win = (uint16_t)u;
    } else if (sp_uint(ws, 65535, &u)) {
        t->win_kind = DDI_WIN_EXACT;
        t->win = (uint16_t)u;
    } else {
        return bad(ps, "bad window size '%s' in signature", quote(ws, q, sizeof q));
    }
    if (sp_eq(sc, "*"))
        t->wscale = -1;
    else if (sp_uint(sc, 255, &u))
        t->wscale = (int16_t)u;
    else
        return bad(ps, "bad window scale '%s' in signature", quote(sc, q, sizeof q));

    /* olayout: empty means no options at all */
    rest = f[5];
    while (f[5].n) {
        bool last = !memchr(rest.p, ',', rest.n);
        span o = sp_take(&rest, ',');
        uint8_t kind;
        if (t->nopt >= DDI_MAX_OPTS)
            return bad(ps, "too many TCP options in signature (more than %d)", DDI_MAX_OPTS);
        if (sp_starts(o, "eol+")) {
            if (!sp_uint(sp_from(o, 4), 255, &u))
                return bad(ps, "bad EOL padding '%s' in signature", quote(o, q, sizeof q));
            if (!last) /* p0f: nothing can follow EOL */
                return bad(ps, "'eol+N' must be the last TCP option in signature");
            t->eol_pad = (uint8_t)u;
            kind = DDI_OPT_EOL;
        } else if (sp_starts(o, "?")) {
            if (!sp_uint(sp_from(o, 1), 255, &u))
                return bad(ps, "bad option number '%s' in signature", quote(o, q, sizeof q));
            kind = (uint8_t)u;
        } else if (ddi_tcp_opt_from_p0f(o.p, o.n, &kind)) {
            /* one of the named kinds (pkt.c's option table) */
        } else {
            return bad(ps, "unknown TCP option '%s' in signature%s", quote(o, q, sizeof q),
                       sp_eq(o, "eol") ? " (write eol+N)" : "");
        }
        t->olayout[t->nopt++] = kind;
        if (last)
            break;
    }
    t->opt_hash = ddi_p0f_layout_hash(t->olayout, t->nopt);

    /* quirks: empty means none */
    rest = f[6];
    if (f[6].n) {
        for (;;) {
            bool last = !memchr(rest.p, ',', rest.n);
            span k = sp_take(&rest, ',');
            if (parse_quirk(ps, k, t->ver, &t->quirks) != LINE_OK)
                return LINE_BAD;
            if (last)
                break;
        }
    }

    /* pclass */
    if (sp_eq(f[7], "*"))
        t->pclass = -1;
    else if (sp_eq(f[7], "0"))
        t->pclass = 0;
    else if (sp_eq(f[7], "+"))
        t->pclass = 1;
    else
        return bad(ps, "bad payload class '%s' in signature (expected 0, + or *)", quote(f[7], q, sizeof q));

    return LINE_OK;
}

static outcome parse_sig(parser *ps, span v)
{
    char q[QUOTE_MAX + 4];
    if (ps->sec == SEC_MTU) {
        unsigned long u;
        if (!sp_uint(v, 65535, &u) || u == 0) /* p0f fp_mtu.c: 1..65535 */
            return bad(ps, "bad MTU value '%s'", quote(v, q, sizeof q));
        ps->db->nmtu++; /* the link label comes from mss.c, which cites this section row by row */
        ps->loaded++;
        return LINE_OK;
    }
    ddi_tcp_sig t;
    memset(&t, 0, sizeof t);
    if (parse_tcp_sig(ps, v, &t) != LINE_OK)
        return LINE_BAD;
    t.cls = ps->cls;
    t.name = ps->name;
    t.flavor = ps->flavor;
    t.generic = ps->generic;
    t.userland = ps->userland;
    t.file = ps->file;
    t.line = ps->line;
    t.text = intern(ps, v);
    add_tcp_sig(ps->db, ps->response, &t);
    ps->loaded++;
    return LINE_OK;
}

/* One non-empty, non-comment line, already trimmed. */
static outcome parse_line(parser *ps, span s)
{
    char q[QUOTE_MAX + 4];

    if (memchr(s.p, '\0', s.n))
        return bad(ps, "NUL byte in line");
    if (s.p[0] == '[')
        return parse_section(ps, s);

    /* name = value  (p0f readfp.c: name is letters and '_') */
    size_t i = 0;
    while (i < s.n && (g_ascii_isalpha(s.p[i]) || s.p[i] == '_'))
        i++;
    span key = sp(s.p, i);
    while (i < s.n && is_blank(s.p[i]))
        i++;
    if (!key.n || i >= s.n || s.p[i] != '=')
        return bad(ps, "expected 'name = value' or '[section]', got '%s'", quote(s, q, sizeof q));
    span v = sp_trim(sp_from(s, i + 1));

    if (sp_eq(key, "classes"))
        return parse_classes(ps, v);

    bool is_label = sp_eq(key, "label"), is_sys = sp_eq(key, "sys"), is_sig = sp_eq(key, "sig");
    bool is_ua = sp_eq(key, "ua_os");
    if (!is_label && !is_sys && !is_sig && !is_ua)
        return bad(ps, "unknown field '%s'", quote(key, q, sizeof q));

    if (ps->sec == SEC_NONE)
        return bad(ps, "'%s' before any [section]", quote(key, q, sizeof q));
    if (ps->sec == SEC_UNKNOWN)
        return LINE_SKIP; /* already reported at the section line */
    if (is_ua) {
        /* p0f readfp.c: only at the top of [http:request]; the value is HTTP-only */
        if (ps->sec != SEC_HTTP || !ps->http_request)
            return bad(ps, "misplaced 'ua_os' (it belongs in [http:request])");
        return LINE_OK;
    }
    if (ps->sec == SEC_HTTP)
        return LINE_OK; /* HTTP signatures are not ours to read */

    if (is_label) {
        outcome o = parse_label(ps, v);
        ps->label_bad = o != LINE_OK;
        /* p0f readfp.c: '!' (userland) TCP labels must name their OSes in 'sys' */
        ps->need = (o == LINE_OK && ps->sec == SEC_TCP && ps->userland) ? NEED_SYS : NEED_SIG;
        return o;
    }
    if (ps->label_bad)
        return LINE_SKIP; /* belongs to a label already reported */
    if (is_sys) {
        if (ps->need != NEED_SYS)
            return bad(ps, "misplaced 'sys' (it follows a label of class '!')");
        outcome o = parse_sys(ps, v);
        if (o == LINE_OK)
            ps->need = NEED_SIG;
        return o;
    }
    /* sig */
    if (ps->need == NEED_LABEL)
        return bad(ps, "'sig' before any 'label' in this section");
    if (ps->need == NEED_SYS)
        return bad(ps, "'sig' before the 'sys' line that a userland ('!') label needs");
    return parse_sig(ps, v);
}

/* ---------------------------------------------------------------------------
 * Loading.
 */

static void set_err(char *err, size_t errlen, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int load_buf(ddi_p0fdb *db, const char *name, const char *text, size_t len, char *err,
                    size_t errlen)
{
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.db = db;
    ps.file = g_string_chunk_insert_const(db->str, name ? name : "<string>");
    ps.sec = SEC_NONE;
    ps.need = NEED_LABEL;

    size_t pos = 0;
    while (pos < len) {
        const char *eol = memchr(text + pos, '\n', len - pos);
        size_t n = eol ? (size_t)(eol - (text + pos)) : len - pos;
        span s = sp_trim(sp(text + pos, n));
        ps.line++;
        pos += n + 1;
        if (!s.n || s.p[0] == ';') /* p0f: ';' starts a comment line */
            continue;
        if (parse_line(&ps, s) != LINE_OK)
            ps.skipped++;
    }

    if (ps.bad_line)
        set_err(err, errlen, "%s:%u: %s (%u line%s skipped)", ps.file, ps.bad_line, ps.bad_msg,
                ps.skipped, ps.skipped == 1 ? "" : "s");
    else
        set_err(err, errlen, "%s", "");
    return ps.loaded;
}

int ddi_p0fdb_load_string(ddi_p0fdb *db, const char *name, const char *text, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!db || !text)
        return 0;
    return load_buf(db, name, text, strlen(text), err, errlen);
}

int ddi_p0fdb_load_file(ddi_p0fdb *db, const char *path, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!db || !path)
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "cannot open signature file %s: %s", path, g_strerror(errno));
        return -1;
    }
    GByteArray *buf = g_byte_array_new();
    guint8 chunk[16384];
    size_t got;
    bool too_big = false;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf->len + got > MAX_FILE_BYTES) {
            too_big = true;
            break;
        }
        g_byte_array_append(buf, chunk, (guint)got);
    }
    int read_errno = ferror(f) ? errno : 0;
    bool read_failed = ferror(f) != 0;
    fclose(f);
    if (read_failed || too_big) {
        if (too_big)
            set_err(err, errlen, "cannot read signature file %s: larger than %u MiB", path,
                    MAX_FILE_BYTES >> 20);
        else
            set_err(err, errlen, "cannot read signature file %s: %s", path,
                    g_strerror(read_errno ? read_errno : EIO));
        g_byte_array_free(buf, TRUE);
        return -1;
    }
    int n = load_buf(db, path, (const char *)buf->data, buf->len, err, errlen);
    g_byte_array_free(buf, TRUE);
    return n;
}
