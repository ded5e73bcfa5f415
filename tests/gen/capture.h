/* The frames one generated capture holds, written out in time order as a pcap file. */
#ifndef GEN_CAPTURE_H
#define GEN_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gen_capture gen_capture;

gen_capture *gen_capture_new(void);
void gen_capture_free(gen_capture *cap);

/* A frame the capture saw at time_us (µs since the capture's epoch). Frames with the same
 * time keep the order they were added in. */
void gen_capture_add(gen_capture *cap, int64_t time_us, const uint8_t *frame, size_t len);

/* Writes the frames sorted by time as an Ethernet pcap file; false with a message on
 * standard error if it cannot. */
bool gen_capture_write(gen_capture *cap, const char *path);

#endif
