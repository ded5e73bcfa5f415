/* Reading a TCP segment from raw bytes: the TCP header itself, found behind the IPv4 or
 * IPv6 header of its endpoints, whose length field says how much of what follows is the
 * segment (link-layer padding is not). Bounds-checked; never reads outside the buffer. */
#ifndef TD_TCP_WIRE_H
#define TD_TCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcp_segment.h"

/* How much of a TCP header must be captured to read it: ports, sequence and
 * acknowledgement numbers, data offset, flags and window are all in the first 16 bytes.
 * A snap length can cut the header anywhere after them (a VLAN tag and snaplen 54 leave
 * exactly 16). */
#define TD_WIRE_TCP_MIN_CAPTURED 16

/* The options digest of a header whose options were not all captured, before the option
 * bytes that were are mixed in: every copy cut at the same place digests alike, and never
 * like a header that has no options. */
#define TD_WIRE_OPTIONS_CUT UINT64_C(0x9e3779b97f4a7c15)

/* Parses the TCP header at p (avail bytes captured). Fills seq, ack, window and flags (not
 * len), the header length (from the data offset) and a digest of the option bytes: 0 for
 * none, a 64-bit FNV-1a of them when all were captured, TD_WIRE_OPTIONS_CUT and what was captured
 * of them when the snap length cut them. False if fewer than TD_WIRE_TCP_MIN_CAPTURED bytes
 * are there or the data offset is below 5. */
bool td_wire_parse_tcp(const uint8_t *p, size_t avail, td_tcp *out, uint32_t *header_len,
                       uint64_t *options_digest);

/* The two ends of a segment, as its IP and TCP headers name them. */
typedef struct td_wire_endpoints {
    const uint8_t *src_addr;
    const uint8_t *dst_addr;
    size_t         addr_len;  /* 4 for IPv4, 16 for IPv6 */
    uint16_t       src_port;
    uint16_t       dst_port;
} td_wire_endpoints;

/* A 64-bit finaliser (MurmurHash3's): every input bit affects every output bit. */
static inline uint64_t td_wire_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* A 64-bit hash of one endpoint: an address (4 or 16 bytes) and port. Inline: the plugin
 * hashes both endpoints of every frame. */
static inline uint64_t td_wire_endpoint_hash(const uint8_t *addr, size_t addr_len,
                                             uint16_t port)
{
    /* Length and port sit in bits an IPv4 address does not touch: an IPv4 endpoint is one
     * input to one mix, and no two give the same input. An IPv6 address is two 64-bit
     * halves, one mix each. */
    uint64_t h = (uint64_t)addr_len << 48 | port;
    if (addr_len == 4) {
        uint32_t word;
        memcpy(&word, addr, 4);
        return td_wire_mix64(h ^ ((uint64_t)word << 16));
    }
    for (size_t i = 0; i + 8 <= addr_len; i += 8) {
        uint64_t half;
        memcpy(&half, addr + i, 8);
        h = td_wire_mix64(h ^ half);
    }
    return h;
}

/* A 64-bit hash of the address and port pair, the same in both directions: the sum of the
 * two endpoints' hashes. */
uint64_t td_wire_pair_hash(const td_wire_endpoints *ep);

/* How far into a frame td_wire_find_tcp looks for the IP header: link layers and
 * tunnels put it well within this. */
#define TD_WIRE_SEARCH_LIMIT 512

/* No hint for td_wire_find_tcp. */
#define TD_WIRE_NO_HINT ((size_t)-1)

/* Finds, in a captured frame, the TCP header of the segment between these endpoints:
 * an unfragmented IPv4 header or an IPv6 header (extension headers walked, an atomic
 * fragment header included, RFC 6946) from src_addr to dst_addr, carrying TCP, followed
 * by at least TD_WIRE_TCP_MIN_CAPTURED bytes of a TCP header with these ports. hint is
 * where the caller believes the IP header starts (TD_WIRE_NO_HINT: nowhere in particular);
 * it is only tried first, and checked like any other place. Sets the TCP header's offset,
 * the segment length the IP header announces (0 there reads as "up to the end of data")
 * and the IPv4 ID (-1 for IPv6). False if there is none within TD_WIRE_SEARCH_LIMIT bytes. */
bool td_wire_find_tcp(const uint8_t *data, size_t len, const td_wire_endpoints *ep, size_t hint,
                      size_t *tcp_off, uint32_t *segment_len, int32_t *ip_id);

#endif
