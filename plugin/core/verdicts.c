#include "verdicts.h"

#include <stddef.h>

const td_verdict_info td_verdict_table[TD_VERDICT_COUNT] = {
#define TD_VERDICT_ROW(id, name, sev, summary, prefix, conv_label, seg_label) \
    { TD_V_##id, name, sev, summary, prefix, conv_label, seg_label },
    TD_VERDICT_CATALOGUE(TD_VERDICT_ROW)
#undef TD_VERDICT_ROW
};

const td_verdict_info *td_verdict_lookup(uint32_t bit)
{
    if (bit == 0 || (bit & (bit - 1)))
        return NULL;
    unsigned index = (unsigned)__builtin_ctz(bit);
    return index < TD_VERDICT_COUNT ? &td_verdict_table[index] : NULL;
}

const td_rst_cause_info td_rst_cause_table[TD_RST_CAUSE_COUNT] = {
#define TD_RST_CAUSE_ROW(id, code, name, verdict, label) \
    { TD_RST_CAUSE_##id, name, TD_V_##verdict, label },
    TD_RST_CAUSE_CATALOGUE(TD_RST_CAUSE_ROW)
#undef TD_RST_CAUSE_ROW
};

/* The table is in code order: the codes run 1, 2, 3 ... without a gap. */
#define TD_RST_CAUSE_IN_ORDER(id, code, name, verdict, label) \
    _Static_assert(TD_RST_CAUSE_##id >= 1 && TD_RST_CAUSE_##id <= TD_RST_CAUSE_COUNT, name);
TD_RST_CAUSE_CATALOGUE(TD_RST_CAUSE_IN_ORDER)
#undef TD_RST_CAUSE_IN_ORDER

const td_rst_cause_info *td_rst_cause_lookup(unsigned code)
{
    if (code < 1 || code > TD_RST_CAUSE_COUNT)
        return NULL;
    const td_rst_cause_info *info = &td_rst_cause_table[code - 1];
    return info->code == code ? info : NULL;
}
