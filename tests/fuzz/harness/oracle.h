/* A second reading of the contract (docs/VERDICTS.md, "Definitions" and "Verdicts"), written
 * apart from the detector and kept deliberately plain: unbounded counters, exact
 * comparisons, 64-bit time. The fuzzer feeds both and calls any disagreement a bug. */
#ifndef FUZZ_ORACLE_H
#define FUZZ_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "detector.h"

typedef struct oracle_side {
    uint32_t   fin_frame;         /* first FIN; 0 for none */
    uint32_t   fin_seq;
    uint32_t   fin_ack_frame;     /* first ACK of the peer's FIN */
    int64_t    fin_ack_time_ns;
    uint64_t   unanswered_fins;   /* copies of its FIN the peer has not ACKed */
    uint64_t   unanswered_other;  /* other segments after its FIN awaiting an ACK */
    bool       has_last;
    td_segment last;
    bool       duplicates_learned;
    td_fixed_sender   last_fixed;
} oracle_side;

typedef struct oracle_conv {
    oracle_side ep[2];
    bool     has_closer;
    uint8_t  closer;
    bool     simultaneous;
    uint32_t rst_frame;
    uint32_t closer_last_frame;
    uint32_t spurious_frame;      /* latest spurious ACK with nothing from Y after it */
    uint64_t response_bytes;
    bool     half_close_told;
} oracle_conv;

void oracle_init(oracle_conv *c);

/* What the detector should answer for the next segment of the conversation. */
void oracle_feed(oracle_conv *c, const td_segment *seg, td_outcome *expected);

#endif
