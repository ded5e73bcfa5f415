/* The Q152474 detector: one conversation's segments in capture order in, each
 * segment's verdicts out. State is a fixed-size struct the caller owns; feeding a
 * segment allocates nothing and does O(1) work.
 *
 * Roles: X is the endpoint whose FIN the capture shows first, Y the other. Frame
 * numbers start at 1; 0 means "none". */
#ifndef TD_DETECTOR_H
#define TD_DETECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_segment.h"
#include "tcp_state.h"

/* Per-segment verdicts (bits), as in the contract's table. */
enum {
    TD_V_SPURIOUS_ACK         = 1u << 0, /* Warning: X ACKs Y's FIN again, unsolicited; Y is closed */
    TD_V_SPURIOUS_ACK_HARMLESS = 1u << 1, /* Note: the same after a simultaneous close */
    TD_V_PROVOKED_RST         = 1u << 2, /* Warning: Y's RST answering a spurious ACK */
    TD_V_RST_AFTER_CLOSE      = 1u << 3, /* Note: Y's RST after both FINs, no spurious ACK explains it */
    TD_V_FIN_REACK            = 1u << 4, /* Chat: X ACKs a retransmitted copy of Y's FIN */
    TD_V_CAPTURE_DUPLICATE    = 1u << 5, /* Chat: the capture saw the previous segment twice */
    TD_V_HALF_CLOSE           = 1u << 6, /* Chat: X's FIN, with Y sending payload after it */
    TD_V_COUNT_ = 7
};

/* Would a fixed stack have sent this segment? Asked of every segment from an
 * endpoint that has acknowledged its peer's FIN. */
typedef enum td_fixed {
    TD_FIXED_NOT_ASKED = 0,
    TD_FIXED_SENDS,
    TD_FIXED_WITHHOLDS,
} td_fixed;

typedef struct td_endpoint {
    int64_t  fin_ack_time_ns;  /* time of fin_ack_frame */
    int64_t  last_time_us;     /* time of last_print's segment, in µs: a 32-bit time would
                                  wrap every 71.6 minutes and make far copies look close */
    uint32_t fin_seq;          /* sequence number of this endpoint's FIN */
    uint32_t fin_frame;        /* its first FIN */
    uint32_t fin_ack_frame;    /* its first ACK of the peer's FIN */
    uint32_t last_print;       /* fingerprint of its previous segment, for the duplicate test */
    uint8_t  unanswered_fins;  /* copies of its FIN the peer has not ACKed yet */
    uint8_t  unanswered_other; /* other segments after its FIN that await an ACK */
    uint8_t  flags;            /* TD_EP_* */
    uint8_t  last_fixed;       /* td_fixed of its previous segment, inherited by a duplicate */
} td_endpoint;

/* One conversation. Zero-filled (or td_conv_init) is the empty state. */
typedef struct td_conv {
    td_endpoint ep[2];
    uint32_t rst_frame;        /* first RST, either side */
    uint32_t closer_last_frame;/* X's latest segment */
    uint32_t spurious_frame;   /* X's latest spurious ACK that Y has not sent anything after */
    uint32_t response_bytes;   /* payload Y sent after X's FIN */
    uint8_t  closer;           /* X's dir, valid with TD_CONV_HAS_CLOSER */
    uint8_t  flags;            /* TD_CONV_* */
} td_conv;

/* What feeding one segment found. */
typedef struct td_result {
    uint32_t verdicts;        /* TD_V_* */
    td_fixed fixed;           /* the fixed-sender verdict, or TD_FIXED_NOT_ASKED */
    uint32_t related_frame;   /* provoked RST: the spurious ACK; RST after close: X's last segment */
    uint32_t response_bytes;  /* provoked RST: payload Y sent after X's FIN */
    uint32_t half_close_frame;/* X's FIN, which this segment shows to be an early half-close */
} td_result;

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

/* Feeds the next segment of the conversation in capture order. */
void td_conv_feed(td_conv *conv, const td_segment *seg, td_result *out);

/* The view for a segment from dir at (frame, time_ns) that was already fed. */
void td_conv_view(const td_conv *conv, uint8_t dir, uint32_t frame, int64_t time_ns, td_view *out);

/* Is the conversation in its teardown at this frame: a FIN or RST of it at or before? */
bool td_conv_in_teardown(const td_conv *conv, uint32_t frame);

/* Short constant name of one verdict bit ("spurious_ack", ...); NULL if not one. */
const char *td_verdict_name(uint32_t verdict_bit);

#endif
