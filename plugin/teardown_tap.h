/* What the dissector tells the statistics, once per segment that has something to count. */
#ifndef TEARDOWN_TAP_H
#define TEARDOWN_TAP_H

#include <stdbool.h>
#include <stdint.h>

#define TEARDOWN_TAP_NAME "teardown"

typedef struct teardown_tap_info {
    bool     first_segment; /* the conversation's first analysed segment */
    uint32_t verdicts;      /* TD_V_* on this segment */
    uint32_t first_kinds;   /* TD_V_* seen in its conversation for the first time here */
} teardown_tap_info;

/* Registers the statistics tree (tshark -z teardown,tree; Statistics menu). */
void teardown_stats_register(void);

#endif
