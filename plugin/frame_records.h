/* What the first pass found on a segment, kept for the frames that have something to
 * show beyond what the conversation's landmarks give (see detector.h, td_view), so
 * that later passes render without analysing again. */
#ifndef TEARDOWN_FRAME_RECORDS_H
#define TEARDOWN_FRAME_RECORDS_H

#include <stdint.h>

typedef struct teardown_record {
    struct teardown_record *next; /* another TCP layer of the same frame */
    uint32_t stream;
    uint32_t verdicts;            /* TD_V_* shown on this segment */
    uint32_t related_frame;       /* provoked_by, or the closer's last segment */
    uint32_t provoked_rst_frame;  /* forward link, filled when the RST is seen */
    uint32_t response_bytes;
    uint8_t  fixed;               /* td_fixed */
    uint8_t  first_kinds;         /* verdict kinds first seen in the conversation here */
} teardown_record;

/* Creates the per-file store; call once at registration. */
void frame_records_register(void);

teardown_record *frame_record_find(uint32_t frame, uint32_t stream);

/* Finds or creates the record of (frame, stream). */
teardown_record *frame_record_get(uint32_t frame, uint32_t stream);

#endif
