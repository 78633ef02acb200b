/* test_p0fdb.c — loading p0f v3 signature files: good, bad and hostile.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "mss.h"
#include "p0fdb.h"

#ifndef DDI_SOURCE_DIR
#define DDI_SOURCE_DIR "."
#endif

#define P0F_FP "/etc/p0f/p0f.fp" /* Debian package p0f */
#define DDI_FP DDI_SOURCE_DIR "/signatures/ddi.fp"
#define DATA DDI_SOURCE_DIR "/tests/data/"

/* A minimal good file: two tcp sigs and one MTU. */
#define HEADER "classes = win,unix,other\n[tcp:request]\n"
#define GOOD_LABEL "label = s:unix:Linux:3.11 and newer\n"
#define GOOD_SIG "sig = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0\n"
#define GOOD_SIG2 "sig = *:64:0:*:mss*10,7:mss,sok,ts,nop,ws:df,id+:0\n"

/* Timing limits only mean something on a plain build: valgrind (which
 * preloads its vgpreload library) or DDI_TEST_NO_TIMING turns them into
 * messages. */
static bool timing_asserts(void)
{
    const char *pre = g_getenv("LD_PRELOAD");
    return !g_getenv("DDI_TEST_NO_TIMING") && !(pre && strstr(pre, "vgpreload"));
}

static ddi_p0fdb *load(const char *text, int *n, char *err, size_t errlen)
{
    ddi_p0fdb *db = ddi_p0fdb_new();
    *n = ddi_p0fdb_load_string(db, "t.fp", text, err, errlen);
    return db;
}

/* ---- real files ---- */

static void test_load_p0f_fp(void)
{
    if (!g_file_test(P0F_FP, G_FILE_TEST_EXISTS)) {
        g_test_skip(P0F_FP " not installed (Debian package p0f)");
        return;
    }
    char err[512] = "x";
    gint64 best = G_MAXINT64;
    for (int i = 0; i < 5; i++) { /* best of 5: the first run pays for the page cache */
        ddi_p0fdb *db = ddi_p0fdb_new();
        gint64 t0 = g_get_monotonic_time();
        int n = ddi_p0fdb_load_file(db, P0F_FP, err, sizeof err);
        gint64 dt = g_get_monotonic_time() - t0;
        best = MIN(best, dt);
        g_assert_cmpstr(err, ==, "");
        g_assert_cmpint(n, >, 100);
        g_assert_cmpuint(ddi_p0fdb_count(db), >, 100);
        g_assert_cmpuint(ddi_p0fdb_mtu_count(db), ==, 25); /* p0f.fp [mtu] lists 25 values */
        g_assert_cmpuint((size_t)n, ==, ddi_p0fdb_count(db) + ddi_p0fdb_mtu_count(db));
        ddi_p0fdb_free(db);
    }
    g_test_message("loading %s took %" G_GINT64_FORMAT " us (best of 5)", P0F_FP, best);
    if (timing_asserts())
        g_assert_cmpint(best, <, 10000); /* required: well under 10 ms */
}

static void test_load_ddi_fp(void)
{
    char err[512] = "x";
    ddi_p0fdb *db = ddi_p0fdb_new();
    int n = ddi_p0fdb_load_file(db, DDI_FP, err, sizeof err);
    g_assert_cmpstr(err, ==, "");
    g_assert_cmpint(n, >, 10);
    g_assert_cmpuint((size_t)n, ==, ddi_p0fdb_count(db));
    ddi_p0fdb_free(db);
}

static void test_load_both(void)
{
    if (!g_file_test(P0F_FP, G_FILE_TEST_EXISTS)) {
        g_test_skip(P0F_FP " not installed");
        return;
    }
    char err[512];
    ddi_p0fdb *db = ddi_p0fdb_new();
    int a = ddi_p0fdb_load_file(db, P0F_FP, err, sizeof err);
    g_assert_cmpstr(err, ==, "");
    int b = ddi_p0fdb_load_file(db, DDI_FP, err, sizeof err);
    g_assert_cmpstr(err, ==, ""); /* ddi.fp's own 'classes' line is fine after p0f.fp's */
    g_assert_cmpuint(ddi_p0fdb_count(db) + ddi_p0fdb_mtu_count(db), ==, (size_t)(a + b));
    ddi_p0fdb_free(db);
}

static void test_missing_file(void)
{
    char err[512];
    ddi_p0fdb *db = ddi_p0fdb_new();
    g_assert_cmpint(ddi_p0fdb_load_file(db, "/nonexistent/x.fp", err, sizeof err), ==, -1);
    g_assert_cmpstr(err, ==, "cannot open signature file /nonexistent/x.fp: No such file or directory");
    g_assert_cmpuint(ddi_p0fdb_count(db), ==, 0);
    /* no error buffer at all must be fine too */
    g_assert_cmpint(ddi_p0fdb_load_file(db, "/nonexistent/x.fp", NULL, 0), ==, -1);
    ddi_p0fdb_free(db);
}

static void test_directory_is_not_a_file(void)
{
    char err[512];
    ddi_p0fdb *db = ddi_p0fdb_new();
    g_assert_cmpint(ddi_p0fdb_load_file(db, DDI_SOURCE_DIR, err, sizeof err), ==, -1);
    g_assert_true(strstr(err, DDI_SOURCE_DIR) != NULL);
    ddi_p0fdb_free(db);
}

/* ---- malformed lines: one message, first line, rest still loads ---- */

static void test_bad_lines_file(void)
{
    char err[512];
    const char *path = DATA "bad_lines.fp";
    ddi_p0fdb *db = ddi_p0fdb_new();
    int n = ddi_p0fdb_load_file(db, path, err, sizeof err);
    /* good: lines 9, 13 and 23; bad: 10 (quirk), 11 (7 fields), 12 (window),
     * 15 (section) and its label and sig, 17 and 18 */
    g_assert_cmpint(n, ==, 3);
    g_assert_cmpuint(ddi_p0fdb_count(db), ==, 3);
    char *want = g_strdup_printf("%s:10: unknown quirk 'bogus' in signature (6 lines skipped)", path);
    g_assert_cmpstr(err, ==, want);
    g_free(want);
    ddi_p0fdb_free(db);
}

static void test_bad_order_file(void)
{
    char err[512];
    const char *path = DATA "bad_order.fp";
    ddi_p0fdb *db = ddi_p0fdb_new();
    int n = ddi_p0fdb_load_file(db, path, err, sizeof err);
    g_assert_cmpint(n, ==, 1);
    char *want = g_strdup_printf("%s:8: 'sig' before any 'label' in this section (1 line skipped)", path);
    g_assert_cmpstr(err, ==, want);
    g_free(want);
    ddi_p0fdb_free(db);
}

typedef struct bad_case {
    const char *what;
    const char *text;
    int loaded;
    const char *err;
} bad_case;

static const bad_case bad_cases[] = {
    {"bad quirk", HEADER GOOD_LABEL "sig = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id++:0\n" GOOD_SIG2, 1,
     "t.fp:4: unknown quirk 'id++' in signature (1 line skipped)"},
    {"field count", HEADER GOOD_LABEL "sig = *:64:0:*:mss*20,7:mss\n" GOOD_SIG2, 1,
     "t.fp:4: signature has 6 fields, expected 8 (ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass) "
     "(1 line skipped)"},
    {"bad window", HEADER GOOD_LABEL "sig = *:64:0:*:abc,7:mss,sok,ts,nop,ws:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: bad window size 'abc' in signature (1 line skipped)"},
    {"window without scale", HEADER GOOD_LABEL "sig = *:64:0:*:8192:mss,sok,ts,nop,ws:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: bad window field '8192' in signature (expected wsize,scale) (1 line skipped)"},
    {"window too big", HEADER GOOD_LABEL "sig = *:64:0:*:65536,0:mss:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: bad window size '65536' in signature (1 line skipped)"},
    {"mss multiplier 0", HEADER GOOD_LABEL "sig = *:64:0:*:mss*0,0:mss:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: bad window size 'mss*0' in signature (1 line skipped)"},
    {"bad ttl", HEADER GOOD_LABEL "sig = *:0:0:*:*,*:mss:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: bad initial TTL '0' in signature (1 line skipped)"},
    {"ttl+dist overflow", HEADER GOOD_LABEL "sig = *:250+10:0:*:*,*:mss:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: bad initial TTL '250+10' in signature (1 line skipped)"},
    {"bad version", HEADER GOOD_LABEL "sig = 5:64:0:*:*,*:mss:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: bad IP version '5' in signature (expected 4, 6 or *) (1 line skipped)"},
    {"bad option", HEADER GOOD_LABEL "sig = *:64:0:*:*,*:mss,foo:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: unknown TCP option 'foo' in signature (1 line skipped)"},
    {"eol without pad", HEADER GOOD_LABEL "sig = *:64:0:*:*,*:mss,eol:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: unknown TCP option 'eol' in signature (write eol+N) (1 line skipped)"},
    {"eol not last", HEADER GOOD_LABEL "sig = *:64:0:*:*,*:eol+1,mss:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: 'eol+N' must be the last TCP option in signature (1 line skipped)"},
    {"empty option", HEADER GOOD_LABEL "sig = *:64:0:*:*,*:mss,,ws:df,id+:0\n" GOOD_SIG2, 1,
     "t.fp:4: unknown TCP option '' in signature (1 line skipped)"},
    {"df on IPv6", HEADER GOOD_LABEL "sig = 6:64:0:*:*,*:mss:df:0\n" GOOD_SIG2, 1,
     "t.fp:4: quirk 'df' is not valid in an IPv6 signature (1 line skipped)"},
    {"flow on IPv4", HEADER GOOD_LABEL "sig = 4:64:0:*:*,*:mss:flow:0\n" GOOD_SIG2, 1,
     "t.fp:4: quirk 'flow' is not valid in an IPv4 signature (1 line skipped)"},
    {"bad pclass", HEADER GOOD_LABEL "sig = *:64:0:*:*,*:mss:df:-\n" GOOD_SIG2, 1,
     "t.fp:4: bad payload class '-' in signature (expected 0, + or *) (1 line skipped)"},
    {"sig before label", HEADER GOOD_SIG GOOD_LABEL GOOD_SIG2, 1,
     "t.fp:3: 'sig' before any 'label' in this section (1 line skipped)"},
    {"sig before section", "classes = unix\n" GOOD_SIG "[tcp:request]\n" GOOD_LABEL GOOD_SIG2, 1,
     "t.fp:2: 'sig' before any [section] (1 line skipped)"},
    /* the label and sig in the unknown section are skipped too */
    {"unknown section", HEADER GOOD_LABEL GOOD_SIG "[udp:request]\n" GOOD_LABEL GOOD_SIG2
                        "[tcp:response]\n" GOOD_LABEL GOOD_SIG2, 2,
     "t.fp:5: unknown section '[udp:request]' (expected [mtu], [tcp:request], [tcp:response], "
     "[http:request] or [http:response]) (3 lines skipped)"},
    {"unknown class", HEADER "label = s:bsd:FreeBSD:\n" GOOD_SIG GOOD_LABEL GOOD_SIG2, 1,
     "t.fp:3: unknown class 'bsd' in label (declare it in 'classes = ...') (2 lines skipped)"},
    {"bad label type", HEADER "label = x:unix:Linux:\n" GOOD_SIG GOOD_LABEL GOOD_SIG2, 1,
     "t.fp:3: bad label 'x:unix:Linux:' (expected s|g:class:name:flavor) (2 lines skipped)"},
    {"label without flavor colon", HEADER "label = s:unix:Linux\n" GOOD_SIG GOOD_LABEL GOOD_SIG2, 1,
     "t.fp:3: bad label 's:unix:Linux': no ':' after the name (expected s|g:class:name:flavor) "
     "(2 lines skipped)"},
    {"userland sig without sys", HEADER "label = s:!:NMap:SYN scan\nsig = *:64-:0:1460:1024,0:mss::0\n"
                                 GOOD_LABEL GOOD_SIG2, 1,
     "t.fp:4: 'sig' before the 'sys' line that a userland ('!') label needs (1 line skipped)"},
    {"misplaced sys", HEADER GOOD_LABEL "sys = @unix\n" GOOD_SIG2, 1,
     "t.fp:4: misplaced 'sys' (it follows a label of class '!') (1 line skipped)"},
    {"misplaced classes", HEADER GOOD_LABEL GOOD_SIG "classes = bsd\n", 1,
     "t.fp:5: misplaced 'classes': it must come before the first [section] (1 line skipped)"},
    {"unknown field", HEADER GOOD_LABEL "sgi = 1\n" GOOD_SIG2, 1, "t.fp:4: unknown field 'sgi' (1 line skipped)"},
    {"not name=value", HEADER GOOD_LABEL "what is this\n" GOOD_SIG2, 1,
     "t.fp:4: expected 'name = value' or '[section]', got 'what is this' (1 line skipped)"},
    {"bad mtu", "[mtu]\nlabel = DSL\nsig = 1492\nsig = 0\nsig = 70000\nsig = 14x\n", 1,
     "t.fp:4: bad MTU value '0' (3 lines skipped)"},
    {"mtu sig before label", "[mtu]\nsig = 1492\nlabel = DSL\nsig = 1492\n", 1,
     "t.fp:2: 'sig' before any 'label' in this section (1 line skipped)"},
    {"ua_os outside http", HEADER "ua_os = Linux\n" GOOD_LABEL GOOD_SIG, 1,
     "t.fp:3: misplaced 'ua_os' (it belongs in [http:request]) (1 line skipped)"},
};

static void test_bad_case(gconstpointer data)
{
    const bad_case *c = data;
    char err[512];
    int n;
    ddi_p0fdb *db = load(c->text, &n, err, sizeof err);
    g_assert_cmpint(n, ==, c->loaded);
    g_assert_cmpstr(err, ==, c->err);
    ddi_p0fdb_free(db);
}

/* ---- things that are fine ---- */

static void test_http_sections_ignored(void)
{
    const char *text = HEADER GOOD_LABEL GOOD_SIG
        "[http:request]\n"
        "ua_os = Linux,Windows,iOS=[iPad],iOS=[iPhone],Mac OS X\n"
        "label = s:!:Firefox:2.x\n"
        "sys   = Windows,@unix\n"
        "sig   = *:Host,User-Agent,Accept=[,*/*;q=],?Accept-Language:Keep-Alive:Firefox/\n"
        "[http:response]\n"
        "label = s:!:Apache:2.x\n"
        "sys   = @unix,Windows\n"
        "sig   = 1:Date,Server,?Last-Modified::Apache\n"
        "[tcp:response]\n" GOOD_LABEL "sig = *:64:0:*:mss*10,0:mss:df:0\n";
    char err[512];
    int n;
    ddi_p0fdb *db = load(text, &n, err, sizeof err);
    g_assert_cmpstr(err, ==, "");
    g_assert_cmpint(n, ==, 2);
    g_assert_cmpuint(ddi_p0fdb_count(db), ==, 2);
    ddi_p0fdb_free(db);
}

static void test_syntax_variants(void)
{
    /* CRLF endings, blanks around '=', indented lines and comments, a
     * trailing line without newline, ttl+dist and ttl- notations, %N,
     * mtu*N, ?N options, every quirk, wildcards, payload classes */
    const char *text =
        "classes = win , unix,other\r\n"
        "  ; indented comment\r\n"
        "[tcp:request]\r\n"
        "label=s:unix:Linux:3.11 and newer\r\n"
        "sig=*:54+10:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0\r\n"
        "\tsig   =   *:64-:0:1460:%8192,*:?30,nop,eol+3:ecn,0+,seq-,ack+,ack-,uptr+,urgf+,pushf+,ts1-,ts2+,opt+,exws,bad:*\r\n"
        "label = g:other:Thing:with: colons: in flavor\n"
        "sig = 4:255:4:0:mtu*4,14::id-:+\n"
        "sig = 6:64:0:*:*,*:sack:flow:0";
    char err[512];
    int n;
    ddi_p0fdb *db = load(text, &n, err, sizeof err);
    g_assert_cmpstr(err, ==, "");
    g_assert_cmpint(n, ==, 4);

    /* the fields landed where they belong */
    uint8_t lay[] = {DDI_OPT_MSS, DDI_OPT_SOK, DDI_OPT_TS, DDI_OPT_NOP, DDI_OPT_WS};
    size_t k;
    const ddi_tcp_sig *v = ddi_p0fdb_bucket(db, false, ddi_p0f_layout_hash(lay, 5), &k);
    const ddi_tcp_sig *s = NULL;
    for (size_t i = 0; i < k; i++)
        if (v[i].nopt == 5 && !memcmp(v[i].olayout, lay, 5))
            s = &v[i];
    g_assert_nonnull(s);
    g_assert_cmpuint(s->ttl, ==, 64);
    g_assert_false(s->bad_ttl);
    g_assert_cmpint(s->win_kind, ==, DDI_WIN_MSS);
    g_assert_cmpuint(s->win, ==, 20);
    g_assert_cmpint(s->wscale, ==, 7);
    g_assert_cmpint(s->mss, ==, -1);
    g_assert_cmpuint(s->quirks, ==, DDI_Q_DF | DDI_Q_NZ_ID);
    g_assert_cmpuint(s->line, ==, 5);
    g_assert_cmpstr(s->text, ==, "*:54+10:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0");
    g_assert_cmpstr(s->file, ==, "t.fp");
    g_assert_cmpstr(s->cls, ==, "unix");
    g_assert_cmpstr(s->name, ==, "Linux");
    g_assert_cmpstr(s->flavor, ==, "3.11 and newer");

    uint8_t lay2[] = {30, DDI_OPT_NOP, DDI_OPT_EOL};
    v = ddi_p0fdb_bucket(db, false, ddi_p0f_layout_hash(lay2, 3), &k);
    s = NULL;
    for (size_t i = 0; i < k; i++)
        if (v[i].nopt == 3 && !memcmp(v[i].olayout, lay2, 3))
            s = &v[i];
    g_assert_nonnull(s);
    g_assert_true(s->bad_ttl);
    g_assert_cmpuint(s->ttl, ==, 64);
    g_assert_cmpint(s->mss, ==, 1460);
    g_assert_cmpint(s->win_kind, ==, DDI_WIN_MOD);
    g_assert_cmpuint(s->win, ==, 8192);
    g_assert_cmpint(s->wscale, ==, -1);
    g_assert_cmpuint(s->eol_pad, ==, 3);
    g_assert_cmpuint(s->quirks, ==, 0x1ffffu & ~(uint32_t)(DDI_Q_DF | DDI_Q_NZ_ID | DDI_Q_ZERO_ID | DDI_Q_FLOW));
    g_assert_cmpint(s->pclass, ==, -1);

    v = ddi_p0fdb_bucket(db, false, ddi_p0f_layout_hash(NULL, 0), &k);
    s = NULL;
    for (size_t i = 0; i < k; i++)
        if (v[i].nopt == 0)
            s = &v[i];
    g_assert_nonnull(s);
    g_assert_cmpstr(s->cls, ==, "other");
    g_assert_cmpstr(s->name, ==, "Thing");
    g_assert_cmpstr(s->flavor, ==, "with: colons: in flavor");
    g_assert_true(s->generic);
    g_assert_cmpint(s->ver, ==, 4);
    g_assert_cmpuint(s->olen, ==, 4);
    g_assert_cmpint(s->mss, ==, 0);
    g_assert_cmpint(s->win_kind, ==, DDI_WIN_MTU);
    g_assert_cmpuint(s->win, ==, 4);
    g_assert_cmpint(s->wscale, ==, 14);
    g_assert_cmpuint(s->quirks, ==, DDI_Q_ZERO_ID);
    g_assert_cmpint(s->pclass, ==, 1);
    ddi_p0fdb_free(db);
}

/* ddi's one MSS/link table (mss.c) has a row for every MTU in p0f.fp's
 * [mtu] section, citing it: the section itself is only counted. */
static void test_mtu_table_covers_p0f(void)
{
    if (!g_file_test(P0F_FP, G_FILE_TEST_EXISTS)) {
        g_test_skip(P0F_FP " not installed");
        return;
    }
    char *text = NULL;
    g_assert_true(g_file_get_contents(P0F_FP, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    bool in_mtu = false;
    unsigned seen = 0;
    for (char **l = lines; *l; l++) {
        char *t = g_strstrip(*l);
        if (t[0] == '[')
            in_mtu = !strcmp(t, "[mtu]");
        else if (in_mtu && g_str_has_prefix(t, "sig")) {
            unsigned mtu = (unsigned)atoi(strchr(t, '=') + 1);
            ddi_link link;
            g_assert_true(ddi_mss_link(4, (uint16_t)(mtu - 40), &link));
            if (!strstr(link.source, "p0f.fp [mtu]"))
                g_error("MTU %u of p0f.fp [mtu] has no row in mss.c (got '%s')", mtu, link.source);
            seen++;
        }
    }
    g_strfreev(lines);
    g_free(text);
    char err[512];
    ddi_p0fdb *db = ddi_p0fdb_new();
    ddi_p0fdb_load_file(db, P0F_FP, err, sizeof err);
    g_assert_cmpuint(ddi_p0fdb_mtu_count(db), ==, seen);
    ddi_p0fdb_free(db);
}

static void test_mtu_counted(void)
{
    char err[256];
    ddi_p0fdb *db = ddi_p0fdb_new();
    g_assert_cmpint(ddi_p0fdb_load_string(db, "a", "[mtu]\nlabel = first\nsig = 1400\n", err, sizeof err), ==, 1);
    g_assert_cmpint(ddi_p0fdb_load_string(db, "b", "[mtu]\nlabel = second\nsig = 1400\nsig = 0\n", err, sizeof err),
                    ==, 1);
    g_assert_nonnull(strstr(err, "bad MTU value '0'"));
    g_assert_cmpuint(ddi_p0fdb_mtu_count(db), ==, 2);
    ddi_p0fdb_free(db);
}

/* ---- hostile input ---- */

static void test_empty_and_comments(void)
{
    char err[64] = "x";
    int n;
    ddi_p0fdb *db = load("", &n, err, sizeof err);
    g_assert_cmpint(n, ==, 0);
    g_assert_cmpstr(err, ==, "");
    ddi_p0fdb_free(db);

    db = load("; only\n;comments\n\n   \n\t; and blanks\n", &n, err, sizeof err);
    g_assert_cmpint(n, ==, 0);
    g_assert_cmpstr(err, ==, "");
    g_assert_cmpuint(ddi_p0fdb_count(db), ==, 0);
    ddi_p0fdb_free(db);

    /* an empty file on disk */
    char *path = NULL;
    int fd = g_file_open_tmp("ddi-empty-XXXXXX.fp", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_close(fd, NULL);
    db = ddi_p0fdb_new();
    g_assert_cmpint(ddi_p0fdb_load_file(db, path, err, sizeof err), ==, 0);
    g_assert_cmpstr(err, ==, "");
    ddi_p0fdb_free(db);
    g_unlink(path);
    g_free(path);
}

static void test_long_lines(void)
{
    /* a 2000-char signature line: its option list is far too long */
    GString *s = g_string_new(HEADER GOOD_LABEL "sig = *:64:0:*:*,*:");
    while (s->len < 2000)
        g_string_append(s, "nop,");
    g_string_append(s, "nop:df:0\n" GOOD_SIG2);
    char err[512];
    int n;
    ddi_p0fdb *db = load(s->str, &n, err, sizeof err);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpstr(err, ==, "t.fp:4: too many TCP options in signature (more than 40) (1 line skipped)");
    ddi_p0fdb_free(db);
    g_string_free(s, TRUE);

    /* a 2000-char window value: quoted, but only the first 40 chars */
    s = g_string_new(HEADER GOOD_LABEL "sig = *:64:0:*:");
    for (int i = 0; i < 2000; i++)
        g_string_append_c(s, '9');
    g_string_append(s, ",0:mss:df:0\n");
    db = load(s->str, &n, err, sizeof err);
    g_assert_cmpint(n, ==, 0);
    g_assert_cmpstr(err, ==, "t.fp:4: bad window size '9999999999999999999999999999999999999999...' in "
                             "signature (1 line skipped)");
    ddi_p0fdb_free(db);
    g_string_free(s, TRUE);

    /* a 2000-char flavor is just a long flavor */
    s = g_string_new(HEADER "label = s:unix:Linux:");
    for (int i = 0; i < 2000; i++)
        g_string_append_c(s, 'x');
    g_string_append(s, "\n" GOOD_SIG);
    db = load(s->str, &n, err, sizeof err);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpstr(err, ==, "");
    ddi_p0fdb_free(db);
    g_string_free(s, TRUE);
}

static void test_many_options(void)
{
    char err[512];
    int n;
    /* 50 options: rejected */
    GString *s = g_string_new(HEADER GOOD_LABEL "sig = *:64:0:*:*,*:mss");
    for (int i = 1; i < 50; i++)
        g_string_append(s, ",nop");
    g_string_append(s, ":df:0\n");
    ddi_p0fdb *db = load(s->str, &n, err, sizeof err);
    g_assert_cmpint(n, ==, 0);
    g_assert_cmpstr(err, ==, "t.fp:4: too many TCP options in signature (more than 40) (1 line skipped)");
    ddi_p0fdb_free(db);
    g_string_free(s, TRUE);

    /* 40 (a full option area of NOPs): accepted */
    s = g_string_new(HEADER GOOD_LABEL "sig = *:64:0:*:*,*:mss");
    for (int i = 1; i < 40; i++)
        g_string_append(s, ",nop");
    g_string_append(s, ":df:0\n");
    db = load(s->str, &n, err, sizeof err);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpstr(err, ==, "");
    ddi_p0fdb_free(db);
    g_string_free(s, TRUE);
}

static void test_nul_and_binary(void)
{
    /* NUL bytes and junk in a file on disk */
    static const char junk[] = "classes = unix\n[tcp:request]\nlabel = s:unix:A:\nsig = *:64:0:*:*,*:mss::0\x00junk\n"
                               "\x01\x02\xff\xfe = \x80\n"
                               "sig = *:64:0:*:*,*:mss,nop::0\n";
    char *path = NULL;
    GError *ge = NULL;
    int fd = g_file_open_tmp("ddi-junk-XXXXXX.fp", &path, &ge);
    g_assert_no_error(ge);
    g_close(fd, NULL);
    g_assert_true(g_file_set_contents(path, junk, sizeof junk - 1, NULL));
    char err[512];
    ddi_p0fdb *db = ddi_p0fdb_new();
    int n = ddi_p0fdb_load_file(db, path, err, sizeof err);
    g_assert_cmpint(n, ==, 1);
    char *want = g_strdup_printf("%s:4: NUL byte in line (2 lines skipped)", path);
    g_assert_cmpstr(err, ==, want);
    g_free(want);
    ddi_p0fdb_free(db);
    g_unlink(path);
    g_free(path);
}

static void test_small_error_buffer(void)
{
    char err[16];
    memset(err, 'x', sizeof err);
    int n;
    ddi_p0fdb *db = load(HEADER GOOD_LABEL "sig = bogus\n", &n, err, sizeof err);
    g_assert_cmpint(n, ==, 0);
    g_assert_cmpuint(strlen(err), ==, sizeof err - 1); /* truncated, terminated */
    g_assert_true(g_str_has_prefix("t.fp:4: signature has", err));
    ddi_p0fdb_free(db);

    db = load(HEADER GOOD_LABEL "sig = bogus\n", &n, NULL, 0);
    g_assert_cmpint(n, ==, 0);
    ddi_p0fdb_free(db);
}

static void test_null_safety(void)
{
    char err[256];
    ddi_p0fdb_free(NULL);
    g_assert_cmpuint(ddi_p0fdb_count(NULL), ==, 0);
    ddi_p0fdb *db = ddi_p0fdb_new();
    g_assert_cmpint(ddi_p0fdb_load_string(db, NULL, NULL, err, sizeof err), ==, 0);
    g_assert_cmpint(ddi_p0fdb_load_string(db, NULL, HEADER "sig = x\n", err, sizeof err), ==, 0);
    g_assert_cmpstr(err, ==, "<string>:3: 'sig' before any 'label' in this section (1 line skipped)");
    ddi_p0fdb_free(db);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/p0fdb/load/p0f.fp", test_load_p0f_fp);
    g_test_add_func("/p0fdb/load/ddi.fp", test_load_ddi_fp);
    g_test_add_func("/p0fdb/load/both", test_load_both);
    g_test_add_func("/p0fdb/load/missing", test_missing_file);
    g_test_add_func("/p0fdb/load/directory", test_directory_is_not_a_file);
    g_test_add_func("/p0fdb/bad/lines-file", test_bad_lines_file);
    g_test_add_func("/p0fdb/bad/order-file", test_bad_order_file);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        char *name = g_strdup_printf("/p0fdb/bad/%s", bad_cases[i].what);
        g_test_add_data_func(name, &bad_cases[i], test_bad_case);
        g_free(name);
    }
    g_test_add_func("/p0fdb/ok/http-ignored", test_http_sections_ignored);
    g_test_add_func("/p0fdb/ok/syntax-variants", test_syntax_variants);
    g_test_add_func("/p0fdb/mtu/table-covers-p0f", test_mtu_table_covers_p0f);
    g_test_add_func("/p0fdb/mtu/counted", test_mtu_counted);
    g_test_add_func("/p0fdb/hostile/empty-and-comments", test_empty_and_comments);
    g_test_add_func("/p0fdb/hostile/long-lines", test_long_lines);
    g_test_add_func("/p0fdb/hostile/50-options", test_many_options);
    g_test_add_func("/p0fdb/hostile/nul-and-binary", test_nul_and_binary);
    g_test_add_func("/p0fdb/hostile/small-error-buffer", test_small_error_buffer);
    g_test_add_func("/p0fdb/hostile/null", test_null_safety);
    return g_test_run();
}
