/* test_readers.c — which tshark command lines leave ddi's text unread
 * (plugin/readers-ddi.c).  A wrong "fields" or "plain" answer would drop
 * output a reader wants, so every doubtful line must come out "unknown" or
 * "other".
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>

#include "readers-ddi.h"

static ddi_run_kind parse(const char *line, GPtrArray *printed)
{
    gchar **argv = g_strsplit(line, " ", -1);
    ddi_run_kind k = ddi_readers_parse((int)g_strv_length(argv), argv, printed);
    g_strfreev(argv);
    return k;
}

static void test_fields(void)
{
    GPtrArray *p = g_ptr_array_new_with_free_func(g_free);
    g_assert_cmpint(parse("/usr/bin/tshark -n -r x.pcap -T fields -e ip.src -e ddi.os", p), ==, DDI_RUN_FIELDS);
    g_assert_cmpuint(p->len, ==, 2);
    g_assert_cmpstr(p->pdata[1], ==, "ddi.os");
    g_ptr_array_set_size(p, 0);
    /* attached arguments and bundled flags, as getopt takes them */
    g_assert_cmpint(parse("tshark -nr x.pcap -Tfields -eddi.nat -2", p), ==, DDI_RUN_FIELDS);
    g_assert_cmpstr(p->pdata[0], ==, "ddi.nat");
    /* the last -T wins; -V does not change what -T fields prints */
    g_assert_cmpint(parse("tshark -r x -T pdml -T fields -e ddi.os -V", NULL), ==, DDI_RUN_FIELDS);
    g_assert_cmpint(parse("tshark -r x -T fields -T json -e ddi.os", NULL), ==, DDI_RUN_OTHER);
    g_ptr_array_free(p, TRUE);
}

static void test_plain_and_other(void)
{
    g_assert_cmpint(parse("tshark -n -r x.pcap", NULL), ==, DDI_RUN_PLAIN);
    g_assert_cmpint(parse("tshark -r x.pcap -q -o ddi.max_sources:5 --disable-protocol tcp -c 10", NULL), ==,
                    DDI_RUN_PLAIN);
    g_assert_cmpint(parse("tshark -r x.pcap -T psml", NULL), ==, DDI_RUN_PLAIN);
    /* anything that reads dissection results */
    const char *other[] = {"tshark -r x -V", "tshark -r x -2", "tshark -r x -Y ddi", "tshark -r x -R ddi -2",
                           "tshark -r x -q -z ddi,sources", "tshark -r x -T json", "tshark -r x -T ek",
                           "tshark -r x -O ddi", "tshark -r x --color", "tshark -r x --display-filter=ddi",
                           "tshark -r x -Vr y"};
    for (gsize i = 0; i < G_N_ELEMENTS(other); i++)
        g_assert_cmpint(parse(other[i], NULL), ==, DDI_RUN_OTHER);
}

static void test_unknown(void)
{
    /* not tshark, an option this parser does not know, Lua, reports */
    const char *unknown[] = {"wireshark -r x", "/usr/bin/sharkd -", "tshark -r x --new-option 3",
                             "tshark -r x -k", "tshark -r x -T fields -e ddi.os -X lua_script:a.lua",
                             "tshark -G fields", "tshark -r", ""};
    for (gsize i = 0; i < G_N_ELEMENTS(unknown); i++)
        g_assert_cmpint(parse(unknown[i], NULL), ==, DDI_RUN_UNKNOWN);
}

static gboolean whole(const char *line)
{
    gchar **argv = g_strsplit(line, " ", -1);
    gboolean w = ddi_readers_parse_whole((int)g_strv_length(argv), argv);
    g_strfreev(argv);
    return w;
}

/* Whole-source records (state.h) are dropped only where tshark's command
 * line is understood and runs none of ddi's taps. */
static void test_whole_source(void)
{
    const char *none[] = {"tshark -n -r x.pcap -T fields -e ip.src -e ddi.os", "tshark -r x -2 -V",
                          "tshark -r x -q -z io,stat,1", "tshark -r x -Y ddi.nat", "tshark -r x"};
    for (gsize i = 0; i < G_N_ELEMENTS(none); i++)
        g_assert_false(whole(none[i]));
    const char *some[] = {"tshark -r x -q -z ddi,sources", "tshark -r x -T fields -e ddi.os -z ddi,sources,json",
                          "tshark -r x -qzddi,tree", "tshark -r x -z io,stat,1 -z ddi,sources",
                          /* not understood: keep them */
                          "wireshark -r x", "tshark -r x --new-option 3", "tshark -r x -X lua_script:a.lua", ""};
    for (gsize i = 0; i < G_N_ELEMENTS(some); i++)
        g_assert_true(whole(some[i]));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/readers/fields", test_fields);
    g_test_add_func("/readers/plain_and_other", test_plain_and_other);
    g_test_add_func("/readers/unknown", test_unknown);
    g_test_add_func("/readers/whole_source", test_whole_source);
    return g_test_run();
}
