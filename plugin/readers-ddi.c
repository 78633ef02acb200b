/* readers-ddi.c — who can read ddi's output: tshark's command line.
 * See readers-ddi.h for why the command line is the signal.  GLib only (no
 * Wireshark headers), so the parser is unit-tested on its own.
 *
 * tshark's options (4.0 .. 4.6 `tshark -h`): the short ones below; the long
 * ones ddi knows are listed with whether they take a separate argument.
 * Anything else makes the answer DDI_RUN_UNKNOWN.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "readers-ddi.h"

#include <stdio.h>
#include <string.h>

/* short options that take an argument (attached "-Tfields" or the next word) */
static const char SHORT_WITH_ARG[] = "aAbBcCdeEfFGHijJKMNoOrRsStTuUwWXyYz";
/* short options without one */
static const char SHORT_FLAGS[] = "2DghIlLnpPqQvVx";

typedef enum { L_ARG, L_FLAG, L_FILTER_ARG, L_READER } long_kind;
static const struct {
    const char *name;
    long_kind kind;
} LONG_OPTS[] = {
    {"capture-comment", L_ARG},  {"disable-protocol", L_ARG},      {"enable-protocol", L_ARG},
    {"disable-heuristic", L_ARG}, {"enable-heuristic", L_ARG},     {"only-protocols", L_ARG},
    {"log-level", L_ARG},        {"log-fatal", L_ARG},             {"log-domains", L_ARG},
    {"log-debug", L_ARG},        {"log-noisy", L_ARG},             {"log-fatal-domains", L_ARG},
    {"log-file", L_ARG},         {"temp-dir", L_ARG},              {"compress", L_ARG},
    {"time-stamp-type", L_ARG},  {"update-interval", L_ARG},       {"read-file", L_ARG},
    {"interface", L_ARG},        {"snapshot-length", L_ARG},       {"buffer-size", L_ARG},
    {"autostop", L_ARG},         {"ring-buffer", L_ARG},           {"linktype", L_ARG},
    {"disable-all-protocols", L_FLAG}, {"no-promiscuous-mode", L_FLAG}, {"monitor-mode", L_FLAG},
    {"print-timers", L_FLAG},    {"no-duplicate-keys", L_FLAG},
    /* these read dissection results: never a plain run */
    {"display-filter", L_FILTER_ARG}, {"read-filter", L_FILTER_ARG}, {"export-objects", L_FILTER_ARG},
    {"elastic-mapping-filter", L_FILTER_ARG}, {"hexdump", L_FILTER_ARG}, {"selected-frame", L_FILTER_ARG},
    {"color", L_READER},
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
#ifdef _WIN32
    const char *b = strrchr(path, '\\');
    if (b && (!s || b > s))
        s = b;
#endif
    return s ? s + 1 : path;
}

/* The parser; *tap_ddi (may be NULL) is set when a -z argument names one of
 * ddi's taps. */
static ddi_run_kind parse_args(int argc, char *const *argv, GPtrArray *printed, gboolean *tap_ddi)
{
    if (argc < 1 || !argv[0] || strncmp(base_name(argv[0]), "tshark", 6) != 0)
        return DDI_RUN_UNKNOWN;
    gboolean fields = FALSE, reader = FALSE, lua = FALSE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0)
            continue; /* a capture filter word */
        if (!strcmp(a, "--"))
            break;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            gsize k;
            for (k = 0; k < G_N_ELEMENTS(LONG_OPTS); k++)
                if (strlen(LONG_OPTS[k].name) == n && !strncmp(LONG_OPTS[k].name, name, n))
                    break;
            if (k == G_N_ELEMENTS(LONG_OPTS))
                return DDI_RUN_UNKNOWN;
            if (LONG_OPTS[k].kind == L_FILTER_ARG || LONG_OPTS[k].kind == L_READER)
                reader = TRUE;
            if ((LONG_OPTS[k].kind == L_ARG || LONG_OPTS[k].kind == L_FILTER_ARG) && !eq && ++i >= argc)
                return DDI_RUN_UNKNOWN;
            continue;
        }
        for (const char *p = a + 1; *p; p++) {
            char c = *p;
            if (strchr(SHORT_FLAGS, c)) {
                if (c == '2' || c == 'V') /* a second pass, or a details printer */
                    reader = TRUE;
                continue;
            }
            if (!strchr(SHORT_WITH_ARG, c))
                return DDI_RUN_UNKNOWN;
            const char *arg = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!arg)
                return DDI_RUN_UNKNOWN;
            switch (c) {
            case 'T':
                /* the last -T wins, as in tshark */
                fields = !strcmp(arg, "fields");
                if (strcmp(arg, "text") && strcmp(arg, "ps") && strcmp(arg, "psml"))
                    reader = TRUE;
                break;
            case 'e':
                if (printed)
                    g_ptr_array_add(printed, g_strdup(arg));
                reader = TRUE;
                break;
            case 'X':
                lua = TRUE; /* a Lua script can read any field of any tree */
                break;
            case 'G': /* reports, no dissection */
                return DDI_RUN_UNKNOWN;
            case 'z':
                if (tap_ddi && !strncmp(arg, "ddi", 3))
                    *tap_ddi = TRUE;
                reader = TRUE;
                break;
            case 'O': case 'Y': case 'R': case 'j': case 'J':
                reader = TRUE;
                break;
            default:
                break;
            }
            break; /* the rest of the word was the argument */
        }
    }
    if (lua)
        return DDI_RUN_UNKNOWN;
    if (fields)
        return DDI_RUN_FIELDS;
    return reader ? DDI_RUN_OTHER : DDI_RUN_PLAIN;
}

ddi_run_kind ddi_readers_parse(int argc, char *const *argv, GPtrArray *printed)
{
    return parse_args(argc, argv, printed, NULL);
}

gboolean ddi_readers_parse_whole(int argc, char *const *argv)
{
    gboolean tap_ddi = FALSE;
    return parse_args(argc, argv, NULL, &tap_ddi) == DDI_RUN_UNKNOWN || tap_ddi;
}

static ddi_run_kind run_kind;
static gboolean run_whole = TRUE;
static GPtrArray *run_printed;

static void parse_own_command_line(void)
{
    run_printed = g_ptr_array_new_with_free_func(g_free);
    run_kind = DDI_RUN_UNKNOWN;
#ifdef __linux__
    gchar *buf = NULL;
    gsize len = 0;
    if (!g_file_get_contents("/proc/self/cmdline", &buf, &len, NULL) || len == 0) {
        g_free(buf);
        return;
    }
    GPtrArray *argv = g_ptr_array_new();
    for (gsize at = 0; at < len; at += strlen(buf + at) + 1)
        g_ptr_array_add(argv, buf + at);
    gboolean tap_ddi = FALSE;
    run_kind = parse_args((int)argv->len, (char *const *)argv->pdata, run_printed, &tap_ddi);
    run_whole = run_kind == DDI_RUN_UNKNOWN || tap_ddi;
    if (run_kind != DDI_RUN_FIELDS)
        g_ptr_array_set_size(run_printed, 0);
    g_ptr_array_free(argv, TRUE);
    g_free(buf);
#endif
}

ddi_run_kind ddi_readers_run(void)
{
    if (!run_printed)
        parse_own_command_line();
    return run_kind;
}

gboolean ddi_readers_whole_source(void)
{
    if (!run_printed)
        parse_own_command_line();
    return run_whole;
}

const GPtrArray *ddi_readers_printed(void)
{
    if (!run_printed)
        parse_own_command_line();
    return run_printed;
}
