/* A model of one TCP endpoint's sending side, enough to play a connection from the
 * handshake to the teardown: it reacts to its application (write, shut down, close,
 * abort), to segments that arrive and to its timers, and emits what a stack of the chosen
 * policy would send. Every way a connection ends in a RST is played as Linux plays it, and
 * the model says why it sent each RST (rst_reason), so that the detector's cause can be
 * checked against it. The retransmission, keep-alive and FIN-WAIT-2 timers are events the
 * caller fires (the model keeps no clock); no loss of its own, no TIME-WAIT expiry. */
#ifndef TD_SENDER_H
#define TD_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "stack_policy.h"
#include "tcp_segment.h"
#include "tcp_state.h"
#include "verdicts.h"

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
    bool     rst_owed;        /* a RST is to go out: an answer, an abort, a give-up */
    td_tcp   rst;             /* that RST */
    td_rst_cause rst_reason;  /* why the latest RST was sent, in the detector's terms */
    unsigned rsts_sent;
    bool     reset;           /* a RST arrived: the application gets a connection reset */
    bool     opened;          /* it listened or connected: a SYN to it is not refused */
    bool     app_closed;      /* close(): the application reads no more either */
    bool     app_stopped_reading; /* payload that arrives stays unread */
    uint32_t unread;          /* bytes in the receive queue the application never read */
    bool     peer_fin_seen;   /* the peer's FIN arrived */
    unsigned fins_sent;       /* transmissions of its FIN, retransmissions included */
    unsigned fin_acks_seen;   /* ACKs of its FIN that arrived, the first included */
    bool     close_completed; /* it closed second and its FIN was acknowledged */
    unsigned retransmissions; /* of the oldest unacknowledged segment, in a row */
    unsigned probes_out;      /* keep-alive probes the peer has not answered */
    unsigned retries_max;     /* retransmissions before it gives up (Linux: tcp_retries2) */
    unsigned keepalive_probes;/* unanswered probes before it gives up (TCP_KEEPCNT) */
    bool     resend_owed;     /* the retransmission timer fired with data outstanding */
    bool     probe_owed;      /* the keep-alive timer fired on an idle connection */
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

/* The application closes the socket (close(2), not shutdown): a FIN follows the data, and
 * payload that arrives afterwards is answered with a RST (RFC 9293 3.6; Linux
 * TCP_ABORT_ON_DATA). With unread data in the receive queue it aborts instead. */
void td_sender_close(td_sender *s);

/* The application aborts: SO_LINGER 0, or close() with unread data. RST|ACK with
 * seq = snd_nxt and ack = rcv_nxt instead of a FIN; unsent data is thrown away. */
void td_sender_abort(td_sender *s);

/* The application stops reading: payload that arrives from now on stays unread, so that
 * a later close() aborts (Linux TCP_ABORT_ON_CLOSE). */
void td_sender_stop_reading(td_sender *s);

/* The retransmission timer fires: the oldest unacknowledged segment goes out again, and
 * after retries_max retransmissions the endpoint gives up with RST|ACK (seq = snd_nxt).
 * Linux gives up on retransmissions silently and resets on keep-alive timeout only; the
 * RST here is that of a stack that resets in both cases. */
void td_sender_retransmit_timeout(td_sender *s);

/* The keep-alive timer fires on an idle connection: a probe (seq = snd_una - 1, no
 * payload), and after keepalive_probes unanswered probes RST|ACK (seq = snd_nxt), as
 * Linux does (TCP_KEEPALIVE_TIMEOUT). */
void td_sender_keepalive_timeout(td_sender *s);

/* FIN-WAIT-2 of a closed socket runs out (Linux tcp_fin_timeout): the connection is gone
 * without a segment; whatever the peer sends later finds no connection. */
void td_sender_fin_wait_2_timeout(td_sender *s);

/* A segment arrives from the peer. */
void td_sender_receive(td_sender *s, const td_tcp *in);

/* The delayed-ACK timer fires. */
void td_sender_delack_timeout(td_sender *s);

/* Would a pure ACK sent now answer nothing: the peer's FIN has been ACKed and nothing
 * that needs an ACK arrived since? This is what the fixed policy withholds, and what a
 * capture shows as a spurious ACK. */
bool td_sender_ack_answers_nothing(const td_sender *s);

/* The next segment to put on the wire now; false when there is none. */
bool td_sender_output(td_sender *s, td_tcp *out);

#endif
