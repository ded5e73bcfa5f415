/* Turns a TCP segment of a generated conversation into the bytes of an Ethernet frame:
 * optional 802.1Q tag, IPv4 or IPv6 (optionally with an atomic fragment header), TCP, with correct checksums, so that Wireshark
 * reads it as it would read a real capture. */
#ifndef GEN_FRAME_BUILDER_H
#define GEN_FRAME_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_segment.h"

/* Where the two endpoints of one conversation are. */
typedef struct gen_addr {
    bool     ipv6;
    bool     atomic_fragment; /* IPv6: a fragment header with offset 0 and no more fragments
                                 before TCP (RFC 6946), as some stacks send after an ICMPv6
                                 Packet Too Big below 1280 */
    uint16_t vlan;         /* 802.1Q VLAN ID; 0 for an untagged frame */
    uint8_t  ip[2][16];    /* endpoint 0 and 1; IPv4 uses the first 4 bytes */
    uint16_t port[2];
} gen_addr;

/* Room for the largest frame the generator makes. */
#define GEN_FRAME_MAX 1600

/* Builds the frame endpoint dir sends: returns its length, 0 if the payload does not fit.
 * ip_id is the IPv4 identification (ignored for IPv6). Payload bytes are a fixed pattern. */
size_t gen_frame_tcp(const gen_addr *addr, uint8_t dir, uint16_t ip_id, const td_tcp *tcp,
                     uint8_t *out, size_t room);

/* An ICMPv4 "fragmentation needed" error that a router on the path sends back to the
 * sender of the quoted frame, quoting its IPv4 header and its whole TCP header. The quoted
 * frame is one gen_frame_tcp built for an untagged IPv4 conversation; 0 if it is not. */
size_t gen_frame_icmp_quote(const uint8_t *quoted, size_t quoted_len, uint8_t *out, size_t room);

#endif
