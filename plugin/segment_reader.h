/* From a frame that TCP has dissected to a segment the core can judge, without asking
 * Wireshark for a single field: priming even one makes tshark build a protocol tree for
 * every frame, which costs more than this whole plugin. TCP leaves the segment's
 * addresses and ports in pinfo and its stream number in its conversation data; the
 * header is read from the bytes, found behind the IP header of those addresses. */
#ifndef TEARDOWN_SEGMENT_READER_H
#define TEARDOWN_SEGMENT_READER_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/packet.h>

#include "tcp_segment.h"

typedef struct teardown_segment {
    td_segment seg;          /* everything but dir, which the conversation decides */
    uint32_t   stream;
    uint16_t   src_port;
    uint16_t   dst_port;
    uint32_t   src_addr_hash; /* a key of the source endpoint, for telling apart two
                                 endpoints whose ports are equal */
} teardown_segment;

typedef enum segment_read_status {
    SEGMENT_READ_OK,
    SEGMENT_NOT_TCP,      /* no TCP segment in this frame */
    SEGMENT_QUOTED,       /* a TCP header inside an ICMP error: not a segment of the stream */
    SEGMENT_UNREADABLE,   /* fewer than 16 bytes of the header captured, or not where the
                             addresses say */
} segment_read_status;

/* Looks up the protocol ids it needs; call from the handoff. */
void segment_reader_init(void);

/* Forgets what it knew of the previous frame (a new file, or a redissection). */
void segment_reader_reset(void);

/* The segment of the frame's last TCP layer. Called for every frame of a first pass, in
 * order, TCP segment or not. */
segment_read_status segment_read(tvbuff_t *frame_tvb, packet_info *pinfo, bool trust_ip_id,
                                 teardown_segment *out);

#endif
