/* What each frame shows, kept by the first pass for every pass: the entry of the segment
 * of a teardown the frame carries, with its stream, endpoint and verdicts, and numbers for
 * the few segments that link to other frames or count bytes. Later passes (tshark -2, the
 * GUI) render from here without reading the frame again, and the forward marks of later
 * frames (the half-close, the provoked RST) are written here. One reset forgets it all. */
#ifndef TEARDOWN_FRAME_STORE_H
#define TEARDOWN_FRAME_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "detector.h"

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
    uint8_t  markable : 1;      /* a later frame may leave a forward mark here */
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

/* Most segments of a teardown show only their conversation's states and landmarks: their
 * entry needs the frame, stream, endpoint and fixed-sender answer alone, and whether the
 * statistics count it as the conversation's first segment, or as the one that revealed
 * the half-close (always the first of its kind: a conversation has one). The store keeps
 * such an entry in 8 bytes instead of sizeof(frame_entry); streams from the limit on are
 * kept whole. */
#define FRAME_STORE_PLAIN_STREAM_LIMIT (UINT32_C(1) << 27)
#define FRAME_STORE_PLAIN_ENTRY_SIZE ((size_t)8)

static inline bool frame_entry_is_plain(const frame_entry *e)
{
    bool counts_nothing_else = (!e->counted && !e->first_kinds) ||
                               (e->counted == TD_V_HALF_CLOSE && e->first_kinds == TD_V_HALF_CLOSE);
    return counts_nothing_else && !e->verdicts && !e->rst_cause && !e->markable && !e->numbers &&
           e->stream < FRAME_STORE_PLAIN_STREAM_LIMIT;
}

/* The entry of a segment from what feeding it found, numbers aside. False when the segment
 * shows nothing: it comes before the conversation's teardown, and it is not the first. */
static inline bool frame_entry_of_outcome(const td_outcome *out, bool in_teardown, uint32_t frame,
                                          uint32_t stream, uint8_t endpoint, frame_entry *entry)
{
    if (!(out->verdicts || out->counted || out->rst_answers || out->first_segment || in_teardown))
        return false;
    memset(entry, 0, sizeof *entry);
    entry->frame = frame;
    entry->stream = stream;
    entry->endpoint = endpoint & 1;
    entry->fixed_sender = out->fixed_sender & 3;
    entry->rst_cause = out->rst_cause & 7;
    entry->first_segment = out->first_segment;
    entry->markable = out->markable;
    entry->verdicts = (uint16_t)out->verdicts;
    entry->counted = (uint16_t)out->counted;
    entry->first_kinds = (uint16_t)out->first_kinds;
    return true;
}

/* Does the segment link to other frames or count bytes? Then its entry has numbers. */
static inline bool outcome_has_numbers(const td_outcome *out)
{
    return out->related_frame || out->rst_answers || out->response_bytes || out->lost_bytes;
}

/* Forgets every frame (a new file, or a redissection). */
void frame_store_reset(void);

/* Keeps the entry of a frame's segment, plain or whole; frames come in increasing order on
 * the first pass. False if memory was refused. */
bool frame_store_add(const frame_entry *entry);

/* The entry of a frame, copied to *out; false if the frame has none. */
bool frame_store_find(uint32_t frame, frame_entry *out);

/* A new numbers record, zero, for an entry that is not kept yet: *index goes into its
 * numbers field. NULL if memory was refused. Valid until the next numbers are made. */
frame_numbers *frame_store_new_numbers(uint32_t *index);

/* The numbers of a whole entry, created zero if absent; NULL if memory was refused. Valid
 * until the next numbers are made. */
frame_numbers *frame_store_attach_numbers(frame_entry *entry);

/* The whole entry of (frame, stream), where a later frame leaves a forward mark: only
 * markable entries are asked for, and they are kept whole. NULL if there is none. Valid
 * until the next add. */
frame_entry *frame_store_entry_of(uint32_t frame, uint32_t stream);

/* The numbers of an entry, or NULL. */
const frame_numbers *frame_store_numbers_of(const frame_entry *entry);

#endif
