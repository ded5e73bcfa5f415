/* Which tcp.stream a segment belongs to, by its addresses and ports, without asking
 * Wireshark's conversation table on every frame: that look-up alone costs more than the
 * rest of the plugin. TCP starts a new stream for an address and port pair only on a SYN,
 * so the caller asks Wireshark on a SYN and on a miss (unless the frame itself created
 * the stream), and caches the answer here for the pair's other segments. 12 bytes an
 * entry, at most four fifths of the slots in use. */
#ifndef TEARDOWN_STREAM_CACHE_H
#define TEARDOWN_STREAM_CACHE_H

#include <stdbool.h>
#include <stdint.h>

/* Forgets everything (a new file, or a redissection). */
void stream_cache_reset(void);

/* The stream last recorded for a pair (see td_wire_pair_hash). */
bool stream_cache_find(uint64_t pair, uint32_t *stream);

/* Makes the next look-up of the pair miss (the caller could not follow what TCP did). */
void stream_cache_forget(uint64_t pair);

/* Records the pair's current stream; silently keeps nothing if memory is refused, which
 * only makes later look-ups ask Wireshark again. */
void stream_cache_put(uint64_t pair, uint32_t stream);

#endif
