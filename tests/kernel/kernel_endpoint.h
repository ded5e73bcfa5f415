/* The core's sender model as a live TCP endpoint on a TUN device: segments from the
 * kernel go into the model, the model's segments go onto the wire, and its delayed-ACK
 * timer runs in real time. A small application script drives it: as a client it sends a
 * request and shuts down at once (the early half-close of Q152474); as a server it reads
 * the request, sends the response and shuts down; or, falling silent, it neither shuts
 * down nor answers anything after its write. */
#ifndef KERNEL_ENDPOINT_H
#define KERNEL_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "ip_flow.h"
#include "sender.h"

typedef struct endpoint_config {
    bool      server;
    td_policy policy;
    uint32_t  request;      /* bytes the client sends */
    uint32_t  response;     /* bytes the server sends (server role only) */
    uint32_t  iss, mss;
    uint16_t  window;       /* advertised, unscaled: the kernel gets no window scale */
    int       delack_ms;
    int       linger_ms;    /* quiet time after the close, for a late RST to show */
    int       timeout_ms;
    bool      fall_silent;  /* after its write the endpoint answers nothing more, as a
                               host that vanished: the kernel's keep-alive gives up */
} endpoint_config;

typedef struct endpoint_result {
    bool         finished;      /* closed and quiet before the timeout */
    td_tcp_state state;
    bool         reset;         /* the application saw a connection reset */
    uint64_t     bytes_received;
    unsigned     segments_in, segments_out;
    unsigned     spurious_acks; /* pure ACKs sent after the ACK of the peer's FIN that
                                   answered nothing */
    uint32_t     spurious_ack_ack;
    bool         rst_in;        /* the kernel sent a RST */
    td_tcp       rst;
    double       rst_after_ms;  /* from the first spurious ACK to that RST */
} endpoint_result;

/* Plays the conversation to its end; segments go to stdout as they pass. */
void endpoint_run(int tun, ip_flow *flow, const endpoint_config *cfg, endpoint_result *res);

/* "SYN,ACK"-style names of the flags set. */
const char *endpoint_flag_names(uint8_t flags, char *buf, unsigned size);

#endif
