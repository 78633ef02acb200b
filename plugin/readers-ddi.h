/* readers-ddi.h — who can read ddi's output in this process.
 *
 * Inside a dissector, `tshark -T fields -e ...` and `tshark -V` / `-T pdml`
 * / `-T json` look the same on every version ddi builds against: tshark
 * sets print_details for -T fields ("Need full tree info"), so the tree is
 * visible in both; protocol faking stays on in both; and 4.0 does not prime
 * the -e fields at all (4.2+ mark them, but that still does not say whether
 * a details printer runs too).  The only signal that tells them apart is
 * tshark's own command line, read once here.  Where it cannot be read or
 * holds anything this parser does not know, the answer is "unknown" and ddi
 * behaves as if every reader were present: slower, never wrong.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef DDI_READERS_H
#define DDI_READERS_H

#include <glib.h>

typedef enum {
    DDI_RUN_UNKNOWN, /* not tshark, or a command line not understood: assume every reader */
    DDI_RUN_PLAIN,   /* tshark printing summaries only (no -V/-T details/-e/-Y/-R/-z/-2/-X/--color) */
    DDI_RUN_FIELDS,  /* tshark -T fields: only the -e fields (and filters, taps) are read */
    DDI_RUN_OTHER,   /* tshark with a details printer, filter, tap or second pass */
} ddi_run_kind;

/* what this process's command line says (parsed on the first call) */
ddi_run_kind ddi_readers_run(void);
/* the -e arguments of a DDI_RUN_FIELDS run (empty otherwise) */
const GPtrArray *ddi_readers_printed(void);
/* Whether anything here can read whole-source results (the per-source
 * report of a `-z ddi,...` tap; the GUI's Statistics menu, which can open
 * at any time): TRUE unless the command line is tshark's, understood, and
 * names none of ddi's taps.  State files are the glue's to add. */
gboolean ddi_readers_whole_source(void);

/* The parsers themselves, for the unit of an argv (argv[0] is the program). */
ddi_run_kind ddi_readers_parse(int argc, char *const *argv, GPtrArray *printed);
gboolean ddi_readers_parse_whole(int argc, char *const *argv);

#endif
