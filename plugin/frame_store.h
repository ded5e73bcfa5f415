/* What each frame shows, kept by the first pass for every pass: one entry for each
 * segment of a teardown the frame carries (a frame may hold several TCP layers), with its
 * stream, endpoint and verdicts, and numbers for the few segments that link to other
 * frames or count bytes. Later passes (tshark -2, the GUI) render from here without
 * reading the frame again, and the forward marks of later frames (the half-close, the
 * provoked RST) are written here. One reset forgets it all. */
#ifndef TEARDOWN_FRAME_STORE_H
#define TEARDOWN_FRAME_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Verdict masks are TD_V_* bits kept in 16 (frame_store.c checks that the catalogue fits),
 * so that verdicts live in the entry and need no record of their own. */
typedef struct frame_entry {
    uint32_t frame;
    uint32_t stream;
    uint16_t verdicts;          /* TD_V_* shown, forward marks included */
    uint16_t counted;           /* TD_V_* the statistics count on this segment */
    uint16_t first_kinds;       /* of counted, those new to the conversation */
    uint8_t  endpoint : 1;
    uint8_t  fixed_sender : 2;  /* td_fixed_sender */
    uint8_t  rst_cause : 3;     /* td_rst_cause */
    uint8_t  first_segment : 1; /* the conversation's first segment: the statistics count it */
    uint32_t numbers;           /* 1 + the index of its frame_numbers; 0 for none */
} frame_entry;

/* The frames and byte counts a segment shows: only RSTs and spurious ACKs have them. */
typedef struct frame_numbers {
    uint32_t related_frame;      /* provoked_by, or the closer's latest segment */
    uint32_t rst_answers;
    uint32_t response_bytes;
    uint32_t lost_bytes;
    uint32_t provoked_rst_frame; /* forward link, written when the RST is seen */
} frame_numbers;

/* Forgets every frame (a new file, or a redissection). */
void frame_store_reset(void);

/* Adds the entry of a segment; frames come in increasing order on the first pass. The
 * pointer is valid until the next add. NULL if memory was refused. */
frame_entry *frame_store_add(uint32_t frame, uint32_t stream, uint8_t endpoint);

/* The entries of one frame: *count of them from the returned pointer, or NULL. */
const frame_entry *frame_store_find(uint32_t frame, size_t *count);

/* The numbers of an entry, created zero if absent; NULL if memory was refused. Valid until
 * the next call that creates one. */
frame_numbers *frame_store_attach_numbers(frame_entry *entry);

/* The entry of the segment of (frame, stream): where a later frame leaves a forward mark.
 * NULL if the frame has none for that stream. Valid until the next add. */
frame_entry *frame_store_entry_of(uint32_t frame, uint32_t stream);

/* The numbers of an entry, or NULL. */
const frame_numbers *frame_store_numbers_of(const frame_entry *entry);

#endif
