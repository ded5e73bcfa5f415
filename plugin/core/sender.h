/* A model of one TCP endpoint's sending side, enough to play a connection from the
 * handshake to the teardown: it reacts to its application (write, shut down), to
 * segments that arrive and to its delayed-ACK timer, and emits what a stack of the
 * chosen policy would send. No loss, no retransmission timer, no TIME-WAIT expiry. */
#ifndef TD_SENDER_H
#define TD_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "stack_policy.h"
#include "tcp_segment.h"
#include "tcp_state.h"

typedef struct td_sender {
    td_policy    policy;
    td_tcp_state state;
    uint32_t iss;
    uint32_t snd_una, snd_nxt, rcv_nxt;
    uint32_t peer_window;     /* the last window the peer advertised */
    uint32_t mss;
    uint16_t window;          /* the window this endpoint advertises */
    uint32_t app_unsent;      /* written by the application, not sent yet */
    bool     fin_queued;      /* the application shut down sending */
    bool     fin_sent;
    uint32_t fin_seq;
    bool     syn_owed;        /* SYN or SYN-ACK to send */
    bool     ack_now;         /* an immediate ACK is owed */
    bool     delack_armed;    /* the delayed-ACK timer is running */
    unsigned segs_unacked;    /* in-order data segments since the last ACK sent */
    bool     peer_fin_acked;  /* an ACK of the peer's FIN has gone out */
    unsigned unanswered;      /* segments that arrived after that ACK and must be ACKed */
    bool     rst_owed;        /* a segment reached a closed endpoint */
    td_tcp   rst;             /* the RST that answers it */
    bool     reset;           /* a RST arrived: the application gets a connection reset */
    uint64_t bytes_received;  /* in-order payload delivered to the application */
    unsigned pure_acks_sent;
} td_sender;

/* A fresh endpoint, CLOSED, with initial sequence number iss. */
void td_sender_init(td_sender *s, td_policy policy, uint32_t iss, uint32_t mss, uint16_t window);

/* Active and passive open. */
void td_sender_connect(td_sender *s);
void td_sender_listen(td_sender *s);

/* A connection already ESTABLISHED, for captures that start mid-stream. */
void td_sender_establish(td_sender *s, uint32_t snd_nxt, uint32_t rcv_nxt, uint32_t peer_window);

/* The application writes bytes, and shuts down sending (the FIN follows the data). */
void td_sender_write(td_sender *s, uint32_t bytes);
void td_sender_shutdown(td_sender *s);

/* A segment arrives from the peer. */
void td_sender_receive(td_sender *s, const td_tcp *in);

/* The delayed-ACK timer fires. */
void td_sender_delack_timeout(td_sender *s);

/* The next segment to put on the wire now; false when there is none. */
bool td_sender_output(td_sender *s, td_tcp *out);

#endif
