/* One IPv4 TCP conversation as raw packets on a TUN device: which packets belong to it,
 * what TCP segment they carry, and the packets that carry the local endpoint's segments. */
#ifndef KERNEL_IP_FLOW_H
#define KERNEL_IP_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_segment.h"

typedef struct ip_flow {
    uint8_t  local_ip[4], peer_ip[4];
    uint16_t local_port;
    uint16_t peer_port;   /* 0 until the peer's SYN names it (a listening endpoint) */
    uint16_t next_ip_id;  /* never 0: an ID of 0 would hide a capture duplicate */
} ip_flow;

/* Parses "a.b.c.d:port" (port optional when port may be NULL). */
bool ip_flow_parse_endpoint(const char *text, uint8_t ip[4], uint16_t *port);

/* The TCP segment that packet carries from the peer to the local endpoint, with its
 * payload length; false for any other packet. A listening flow learns the peer's port
 * from its SYN. */
bool ip_flow_receive(ip_flow *f, const uint8_t *packet, size_t len, td_tcp *out);

/* The IPv4 packet (no link-layer header) carrying the local endpoint's segment; returns
 * its length, 0 if it does not fit in room. */
size_t ip_flow_send(ip_flow *f, const td_tcp *tcp, uint8_t *out, size_t room);

#endif
