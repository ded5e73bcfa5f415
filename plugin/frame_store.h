/* What each frame shows, kept by the first pass for every pass: one entry for each
 * segment of a teardown the frame carries (a frame may hold several TCP layers), with its
 * stream and endpoint, and a detail for the segments that have more to show than the
 * conversation's landmarks give (see td_view). Later passes (tshark -2, the GUI) render
 * from here without reading the frame again, and the forward marks of later frames (the
 * half-close, the provoked RST) are written here. One reset forgets it all. */
#ifndef TEARDOWN_FRAME_STORE_H
#define TEARDOWN_FRAME_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct frame_entry {
    uint32_t frame;
    uint32_t stream;
    uint8_t  endpoint;
    uint8_t  fixed_sender;  /* td_fixed_sender */
    uint8_t  rst_cause;     /* td_rst_cause */
    uint8_t  first_segment; /* the conversation's first segment: the statistics count it */
    uint32_t detail;        /* 1 + the detail's index; 0 for none */
} frame_entry;

typedef struct frame_detail {
    uint32_t verdicts;           /* TD_V_* shown, forward marks included */
    uint32_t counted;            /* TD_V_* the statistics count on this segment */
    uint32_t first_kinds;        /* of counted, those new to the conversation */
    uint32_t related_frame;      /* provoked_by, or the closer's latest segment */
    uint32_t rst_answers;
    uint32_t response_bytes;
    uint32_t lost_bytes;
    uint32_t provoked_rst_frame; /* forward link, written when the RST is seen */
} frame_detail;

/* Forgets every frame (a new file, or a redissection). */
void frame_store_reset(void);

/* Adds the entry of a segment; frames come in increasing order on the first pass. The
 * pointer is valid until the next add. NULL if memory was refused. */
frame_entry *frame_store_add(uint32_t frame, uint32_t stream, uint8_t endpoint);

/* The entries of one frame: *count of them from the returned pointer, or NULL. */
const frame_entry *frame_store_find(uint32_t frame, size_t *count);

/* The detail of an entry, created empty if absent; NULL if memory was refused. Valid until
 * the next call that creates one. */
frame_detail *frame_store_attach_detail(frame_entry *entry);

/* The same for the segment of (frame, stream): a forward mark on an earlier frame. NULL if
 * the frame has no entry for that stream, or memory was refused. */
frame_detail *frame_store_detail(uint32_t frame, uint32_t stream);

/* The detail of an entry, or NULL. */
const frame_detail *frame_store_detail_of(const frame_entry *entry);

#endif
