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

/* the verdict text each row's value is built from */
static const unsigned field_text[DDI_F__COUNT] = {
#define DDI_FIELD_TEXT(id, name, abbrev, type, display, strings, text, blurb) [DDI_F_##id] = text,
    DDI_FIELD_ROWS(DDI_FIELD_TEXT)
#undef DDI_FIELD_TEXT
};

void ddi_fields_register(int proto)
{
    static hf_register_info hf[] = {
#define DDI_FIELD_REG(id, name, abbrev, type, display, strings, text, blurb)                                       \
    {&ddi_hf[DDI_F_##id], {name, abbrev, type, display, strings, 0, blurb, HFILL}},
        DDI_FIELD_ROWS(DDI_FIELD_REG)
#undef DDI_FIELD_REG
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(hf) == DDI_F__COUNT);
    for (gsize i = 0; i < DDI_F__COUNT; i++)
        ddi_hf[i] = DDI_ID_INIT;
    proto_register_field_array(proto, hf, (int)G_N_ELEMENTS(hf));
}

unsigned ddi_fields_text(gboolean (*is_read)(int hf))
{
    unsigned want = 0;
    for (gsize i = 0; i < DDI_F__COUNT; i++)
        if (field_text[i] & ~want && is_read(ddi_hf[i]))
            want |= field_text[i];
    return want;
}
