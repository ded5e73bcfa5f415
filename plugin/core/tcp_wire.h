/* Reading a TCP segment from raw bytes: the TCP header itself, and the IPv4 or IPv6
 * header right before it, whose length field says how much of what follows is the
 * segment (link-layer padding is not). Bounds-checked; never reads outside the buffer. */
#ifndef TD_TCP_WIRE_H
#define TD_TCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_segment.h"

/* Parses the fixed TCP header at p (avail bytes captured). Fills seq, ack, window and
 * flags (not len), the header length and a digest of the captured option bytes.
 * False if fewer than 20 bytes are there or the data offset is below 5. */
bool td_wire_parse_tcp(const uint8_t *p, size_t avail, td_tcp *out, uint32_t *header_len,
                       uint32_t *options_digest);

/* Finds the IPv4 or IPv6 header that carries the TCP header at data[tcp_off]: an IPv4
 * header ending there with protocol 6 and a valid checksum, or an IPv6 header whose
 * extension-header chain ends there with next header 6. Sets the length of the TCP
 * segment (header and payload) that the IP header announces, and the IPv4 ID (-1 for
 * IPv6). An IP length of 0 (segmentation offload) is read as "up to the end of data".
 * False when no such header is there. */
bool td_wire_ip_before(const uint8_t *data, size_t len, size_t tcp_off, uint32_t *segment_len,
                       int32_t *ip_id);

/* The two ends of a segment, as its IP and TCP headers name them. */
typedef struct td_wire_endpoints {
    const uint8_t *src_addr;
    const uint8_t *dst_addr;
    size_t         addr_len;  /* 4 for IPv4, 16 for IPv6 */
    uint16_t       src_port;
    uint16_t       dst_port;
} td_wire_endpoints;

/* A 64-bit hash of the address and port pair, the same in both directions. */
uint64_t td_wire_pair_hash(const td_wire_endpoints *ep);

/* How far into a frame td_wire_find_tcp looks for the IP header: link layers and
 * tunnels put it well within this. */
#define TD_WIRE_SEARCH_LIMIT 512

/* Finds, in a captured frame, the TCP header of the segment between these endpoints:
 * an unfragmented IPv4 header or an IPv6 header (extension
 * headers walked, no fragment header) from src_addr to dst_addr, carrying TCP, followed
 * by a TCP header with these ports. Sets the TCP header's offset, the segment length the
 * IP header announces (0 there reads as "up to the end of data") and the IPv4 ID (-1 for
 * IPv6). False if there is none within TD_WIRE_SEARCH_LIMIT bytes. */
bool td_wire_find_tcp(const uint8_t *data, size_t len, const td_wire_endpoints *ep,
                      size_t *tcp_off, uint32_t *segment_len, int32_t *ip_id);

#endif
