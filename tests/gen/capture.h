/* A pcap file being written: frames arrive out of time order (each conversation is played
 * on its own clock) and go to the file sorted by time. Frames are held in memory only
 * until the caller says no earlier frame can come any more, so a capture of millions of
 * frames streams out. */
#ifndef GEN_CAPTURE_H
#define GEN_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gen_capture gen_capture;

/* An Ethernet pcap file at path; NULL with a message on standard error if it cannot. */
gen_capture *gen_capture_open(const char *path);

/* Keeps at most snaplen bytes of each frame written from now on, as a capture with a snap
 * length does (the frame's length on the wire stays whole); 0 keeps every byte. */
void gen_capture_set_snaplen(gen_capture *cap, uint32_t snaplen);

/* A frame the capture saw at time_us (µs since the capture's epoch). Frames with the same
 * time keep the order they were added in. */
void gen_capture_add(gen_capture *cap, int64_t time_us, const uint8_t *frame, size_t len);

/* Writes out every frame earlier than time_us: the caller adds none earlier after this. */
void gen_capture_flush_before(gen_capture *cap, int64_t time_us);

/* Writes what is left and closes the file; false with a message if anything failed. */
bool gen_capture_close(gen_capture *cap);

#endif
