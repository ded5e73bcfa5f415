/* What the dissector tells the statistics, once per segment that has something to count. */
#ifndef TEARDOWN_TAP_H
#define TEARDOWN_TAP_H

#include <stdbool.h>
#include <stdint.h>

#define TEARDOWN_TAP_NAME "teardown"

typedef struct teardown_tap_info {
    bool     first_segment; /* the conversation's first analysed segment */
    uint8_t  rst_cause;     /* td_rst_cause of a RST */
    uint32_t counted;       /* TD_V_* counted on this segment (td_outcome.counted) */
    uint32_t first_kinds;   /* of those, the kinds new to its conversation */
} teardown_tap_info;

/* Registers the statistics tree (tshark -z teardown,tree; Statistics menu). */
void teardown_stats_register(void);

#endif
