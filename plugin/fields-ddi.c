/* fields-ddi.c — registration and the text gate, generated from the rows
 * of fields-ddi.h.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config-ddi.h"

#include <epan/packet.h>
#include <epan/unit_strings.h>

#include "compat.h"
#include "fields-ddi.h"

int ddi_hf[DDI_F__COUNT];
header_field_info *ddi_hfi[DDI_F__COUNT];

/* the verdict text each row's value is built from */
static const unsigned field_text[DDI_F__COUNT] = {
#define DDI_FIELD_TEXT(id, name, abbrev, type, display, strings, text, blurb) [DDI_F_##id] = text,
    DDI_FIELD_ROWS(DDI_FIELD_TEXT)
#undef DDI_FIELD_TEXT
};

/* the rows that quote a text, listed at registration: the gate runs per packet */
static guint8 text_rows[DDI_F__COUNT];
static gsize n_text_rows;

void ddi_fields_register(int proto)
{
    static hf_register_info hf[] = {
#define DDI_FIELD_REG(id, name, abbrev, type, display, strings, text, blurb)                                       \
    {&ddi_hf[DDI_F_##id], {name, abbrev, type, display, strings, 0, blurb, HFILL}},
        DDI_FIELD_ROWS(DDI_FIELD_REG)
#undef DDI_FIELD_REG
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(hf) == DDI_F__COUNT);
    G_STATIC_ASSERT(DDI_F__COUNT <= 256); /* text_rows holds row numbers in a byte */
    for (gsize i = 0; i < DDI_F__COUNT; i++)
        ddi_hf[i] = DDI_ID_INIT;
    proto_register_field_array(proto, hf, (int)G_N_ELEMENTS(hf));
    for (gsize i = 0; i < DDI_F__COUNT; i++) {
        ddi_hfi[i] = proto_registrar_get_nth((guint)ddi_hf[i]);
        if (field_text[i])
            text_rows[n_text_rows++] = (guint8)i;
    }
}

unsigned ddi_fields_text(void)
{
    unsigned want = 0;
    for (gsize k = 0; k < n_text_rows; k++)
        if (ddi_hfi[text_rows[k]]->ref_type != HF_REF_TYPE_NONE)
            want |= field_text[text_rows[k]];
    return want;
}

void ddi_fields_referenced(guint8 ref[DDI_F__COUNT])
{
    for (gsize i = 0; i < DDI_F__COUNT; i++)
        ref[i] = ddi_hfi[i]->ref_type != HF_REF_TYPE_NONE;
}

unsigned ddi_fields_text_of(const guint8 ref[DDI_F__COUNT])
{
    unsigned want = 0;
    for (gsize k = 0; k < n_text_rows; k++)
        if (ref[text_rows[k]])
            want |= field_text[text_rows[k]];
    return want;
}
