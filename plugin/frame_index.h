/* Which frames the first pass rendered, and for which stream and sender. Later passes
 * (tshark -2, the GUI) do not prime tcp.stream for postdissectors, so they find their
 * segments here instead. Frames are added in increasing order on the first pass; a
 * frame with several TCP layers has one entry each. 12 bytes an entry. */
#ifndef TEARDOWN_FRAME_INDEX_H
#define TEARDOWN_FRAME_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct frame_index_entry {
    uint32_t frame;
    uint32_t stream;
    uint8_t  dir;
} frame_index_entry;

/* Forgets everything (a new file, or a redissection). */
void frame_index_reset(void);

void frame_index_add(uint32_t frame, uint32_t stream, uint8_t dir);

/* The entries of one frame: *count of them from the returned pointer, or NULL. The
 * pointer is valid until the next frame_index_add(). */
const frame_index_entry *frame_index_find(uint32_t frame, size_t *count);

#endif
