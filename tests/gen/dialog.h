/* Two model endpoints (sender.h) playing one TCP conversation over a path with a fixed
 * one-way delay, seen by a capture on one end of the path. The scenario scripts what the
 * applications do and when; the endpoints decide what goes on the wire, delayed ACKs
 * included. Endpoint 0 is the client, endpoint 1 the server. */
#ifndef GEN_DIALOG_H
#define GEN_DIALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "frame_builder.h"
#include "sender.h"

#define GEN_MS(ms) ((int64_t)(ms) * 1000)

typedef struct gen_dialog gen_dialog;

typedef struct gen_dialog_config {
    gen_addr  addr;
    td_policy policy[2];
    uint32_t  iss[2];
    uint32_t  mss;
    uint16_t  window;
    int64_t   start_us;       /* when the first segment goes out */
    int64_t   one_way_us;     /* path delay; 10 ms when 0 */
    int64_t   delack_us;      /* delayed-ACK timeout; 200 ms when 0 */
    uint8_t   capture_near;   /* the endpoint the capture sits beside */
    bool      ip_id_zero;     /* IPv4 ID 0 on every packet, as Linux sends with DF */
    bool      rst_with_ack[2];/* this endpoint's RSTs carry ACK and its rcv_nxt */
    bool      captured_twice[2]; /* the capture sees each of this endpoint's packets twice, as
                                    an `any` capture or a SPAN port can */
} gen_dialog_config;

/* A conversation with no segment sent yet; it records into cap. */
gen_dialog *gen_dialog_open(gen_capture *cap, const gen_dialog_config *config);
void gen_dialog_close(gen_dialog *d);

/* The client connects to the listening server (three-way handshake follows on run). */
void gen_dialog_connect(gen_dialog *d);

/* The client connects to a port where nothing listens (the server never opened). */
void gen_dialog_connect_closed_port(gen_dialog *d);

/* Both endpoints already ESTABLISHED: the capture starts mid-stream. */
void gen_dialog_establish(gen_dialog *d);

/* What endpoint dir's application does now. */
void gen_dialog_write(gen_dialog *d, uint8_t dir, uint32_t bytes);
void gen_dialog_shutdown(gen_dialog *d, uint8_t dir);
/* The other closes (td_sender_close, td_sender_abort, td_sender_stop_reading) and the
 * timers a scenario fires (the model keeps no clock for them) are the model's own calls,
 * on gen_dialog_endpoint(d, dir). */

/* Endpoint dir's host is gone (crashed, unplugged): from now on it receives nothing and
 * sends nothing, and what is in flight to it is lost. */
void gen_dialog_silence(gen_dialog *d, uint8_t dir);

/* Endpoint dir's host restarts: its stack has forgotten the connection, and answers what
 * arrives as RFC 9293 3.10.7.1 says a stack without it does. */
void gen_dialog_restart(gen_dialog *d, uint8_t dir);

/* Lets time pass: segments travel, arrive, timers fire. */
void gen_dialog_run(gen_dialog *d, int64_t duration_us);

/* Runs until the capture has seen n more segments from dir (or 10 s pass). */
void gen_dialog_run_until_sent(gen_dialog *d, uint8_t dir, unsigned n);

/* Endpoint dir sends a hand-made segment now (a keep-alive, a retransmission...). */
void gen_dialog_send(gen_dialog *d, uint8_t dir, const td_tcp *tcp);

/* The capture sees dir's last segment a second time, after_us later: same bytes. */
void gen_dialog_capture_twice(gen_dialog *d, uint8_t dir, int64_t after_us);

/* A router on the path answers dir's last segment with an ICMP error quoting it. */
void gen_dialog_icmp_error(gen_dialog *d, uint8_t dir);

/* The endpoint itself, for scripts that change its window or read its sequence space. */
td_sender *gen_dialog_endpoint(gen_dialog *d, uint8_t dir);

/* The last segment dir sent. */
td_tcp gen_dialog_last_sent(const gen_dialog *d, uint8_t dir);

/* Current time on the dialog's clock. */
int64_t gen_dialog_now(const gen_dialog *d);

#endif
