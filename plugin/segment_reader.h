/* From the one primed field, tcp.stream, to a segment the core can judge: the field
 * gives the stream and where the TCP header starts; the header and the IP header
 * before it are read from the bytes. */
#ifndef TEARDOWN_SEGMENT_READER_H
#define TEARDOWN_SEGMENT_READER_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/packet.h>
#include <epan/proto.h>

#include "tcp_segment.h"

typedef struct teardown_segment {
    td_segment seg;          /* everything but dir, which the conversation decides */
    uint32_t   stream;
    uint16_t   src_port;
    uint16_t   dst_port;
    uint32_t   src_addr_hash;
} teardown_segment;

typedef enum segment_read_status {
    SEGMENT_READ_OK,
    SEGMENT_QUOTED,       /* a TCP header inside an ICMP error: not a segment of the stream */
    SEGMENT_UNREADABLE,   /* header truncated, or no IP header to size the segment by */
} segment_read_status;

/* Looks up the protocol ids it needs; call from the handoff. */
void segment_reader_init(void);

segment_read_status segment_read(packet_info *pinfo, field_info *stream_field,
                                 bool trust_ip_id, teardown_segment *out);

#endif
