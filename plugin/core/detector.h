/* The detector: one conversation's segments in capture order in, each segment's whole
 * outcome out: its verdicts, the cause of a RST, the frames it relates to, the verdicts
 * it reveals on earlier frames, and what the statistics count. State is a fixed-size
 * struct the caller owns; feeding a segment allocates nothing and does O(1) work.
 *
 * Roles: X is the endpoint whose FIN the capture shows first, Y the other. For a RST, R
 * is its sender and P the peer. Frame numbers start at 1; 0 means "none". Verdict names,
 * severities and summaries are in verdicts.h. */
#ifndef TD_DETECTOR_H
#define TD_DETECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_segment.h"
#include "tcp_state.h"
#include "verdicts.h"

/* Would a stack with the Q152474 fix have sent this segment? Asked of every pure ACK from
 * an endpoint that has acknowledged its peer's FIN: data, FIN and RST are sent by both. */
typedef enum td_fixed_sender {
    TD_FIXED_SENDER_NOT_ASKED = 0,
    TD_FIXED_SENDER_SENDS,
    TD_FIXED_SENDER_WITHHOLDS,
} td_fixed_sender;

typedef struct td_endpoint {
    uint32_t fin_seq;          /* sequence number of this endpoint's FIN */
    uint32_t fin_frame;        /* its first FIN */
    uint32_t fin_ack_frame;    /* its first ACK of the peer's FIN */
    uint32_t last_frame;       /* its latest segment (capture duplicates aside) */
    uint32_t last_ack;         /* ack number of its latest segment, for duplicate ACKs */
    uint32_t next_seq;         /* highest sequence number it has used, plus one */
    uint32_t hole_start;       /* the latest gap below next_seq the capture has not filled, */
    uint32_t hole_end;         /* [hole_start, hole_end); empty when equal */
    uint32_t bytes_after_peer_fin; /* unique payload sent after the peer's FIN */
    uint8_t  repeats;          /* how often in a row it sent td_conv.repeat_fingerprint,
                                  nothing from the peer between (so one side at most) */
    uint8_t  instances;        /* how often in a row the capture showed its previous
                                  segment; 0 before its first */
    uint8_t  copy_position;    /* 0: the previous segment was an original; n: its nth copy */
    uint8_t  last_tcp_flags;   /* TCP flags of its latest segment */
    uint8_t  unanswered_fins;  /* copies of its FIN the peer has not ACKed yet */
    uint8_t  unanswered_other; /* other segments after its FIN that await an ACK */
    uint8_t  flags;            /* TD_EP_* (detector.c) */
    uint8_t  last_fixed;       /* td_fixed_sender of its previous segment, for a duplicate */
} td_endpoint;

/* An endpoint's 8-byte fields, kept apart so that td_endpoint packs in 4-byte words. */
typedef struct td_endpoint_wide {
    int64_t  fin_ack_time_ns;  /* time of td_endpoint.fin_ack_frame */
    int64_t  last_time_us;     /* time of the previous segment, in µs: a 32-bit time would
                                  wrap every 71.6 minutes and make far copies look close */
    uint64_t last_fingerprint; /* of its previous segment, for the duplicate test */
} td_endpoint_wide;

/* One conversation. Zero-filled (or td_conv_init) is the empty state. What only one side
 * can hold at a time is kept once, here, with the side that holds it marked. */
typedef struct td_conv {
    td_endpoint ep[2];
    td_endpoint_wide wide[2];
    uint64_t repeat_fingerprint; /* seq, ack, length and flags of the latest segment of the
                                    side whose repeats are counted */
    uint32_t rst_frame;        /* first RST, either side */
    uint32_t spurious_frame;   /* X's latest spurious ACK that Y has not sent anything after */
    uint32_t late_payload_frame; /* the first payload one side sent after the peer's FIN,
                                    while it had no FIN of its own, since the peer's latest
                                    segment; whose: TD_EP_LATE_PAYLOAD (detector.c) */
    uint32_t endpoint0_addr;   /* endpoint 0 sent the first segment seen (td_conv_endpoint) */
    uint16_t endpoint0_port;
    uint16_t kinds_seen : 13;  /* TD_V_* that occurred in this conversation */
    uint16_t closer : 1;       /* X's endpoint index, valid once either side sent a FIN */
    uint16_t simultaneous : 1; /* Y's FIN did not acknowledge X's FIN */
    uint16_t has_endpoint0 : 1; /* endpoint0_port and endpoint0_addr are set */
} td_conv;

/* Everything feeding one segment found. */
typedef struct td_outcome {
    uint32_t        verdicts;      /* TD_V_* shown on this segment */
    uint32_t        counted;       /* TD_V_* the statistics count on this segment: its
                                      verdicts, and a half-close where it became known,
                                      so that one pass and two count the same */
    uint32_t        first_kinds;   /* of counted, those new to the conversation */
    bool            first_segment; /* the conversation's first segment */
    td_fixed_sender fixed_sender;
    td_rst_cause    rst_cause;     /* on a RST; TD_RST_CAUSE_NONE otherwise */
    uint32_t        related_frame; /* provoked RST: the spurious ACK; RST after close: X's
                                      latest segment */
    uint32_t        rst_answers;   /* on a RST: P's segment it answers; 0 for none */
    uint32_t        response_bytes;/* provoked RST: unique payload Y sent after X's FIN */
    uint32_t        lost_bytes;    /* data_after_close: unique payload P sent after R's FIN */
    bool            markable;      /* a later segment may mark this one: X's first FIN
                                      (the half-close) or a spurious ACK (its RST) */
    /* Forward marks: what this segment reveals about earlier frames. */
    uint32_t        half_close_frame;  /* X's FIN: an early half-close */
    uint32_t        provoked_by_frame; /* the spurious ACK whose RST this is */
} td_outcome;

/* What is known of a conversation as of one frame: everything here is derived from
 * first-occurrence landmarks, so asking after the whole capture was fed gives the same
 * answer as asking right after feeding that frame. */
typedef struct td_view {
    bool         in_teardown;     /* a FIN or RST of this conversation is at or before the frame */
    td_tcp_state sender_state;    /* after this segment */
    td_tcp_state receiver_state;
    uint32_t     fin_ack_frame;   /* the sender's first ACK of the peer's FIN, if at or before */
    int64_t      time_since_fin_ack_ns;
    uint32_t     peer_fin_frame;  /* the peer's first FIN, if at or before */
} td_view;

void td_conv_init(td_conv *conv);

/* Which endpoint (0 or 1) sent a segment: endpoint 0 is the sender of the first segment
 * asked about. Ports tell the two apart unless they are equal, and then the source
 * address (any stable key of it) does. */
uint8_t td_conv_endpoint(td_conv *conv, uint16_t src_port, uint16_t dst_port, uint32_t src_addr_key);

/* Feeds the next segment of the conversation in capture order. */
void td_conv_feed(td_conv *conv, const td_segment *seg, td_outcome *out);

/* The view for a segment from endpoint at (frame, time_ns) that was already fed. */
void td_conv_view(const td_conv *conv, uint8_t endpoint, uint32_t frame, int64_t time_ns,
                  td_view *out);

/* Is the conversation in its teardown at this frame: a FIN or RST of it at or before? */
bool td_conv_in_teardown(const td_conv *conv, uint32_t frame);

#endif
