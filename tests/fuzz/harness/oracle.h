/* A second reading of the contract, written apart from the detector: it shares no header,
 * no type and no rule with plugin/core. The detector keeps a few counters and sees one
 * segment at a time; the oracle is handed a conversation's whole trace and answers for
 * each segment by looking back over what precedes it (scans, 64-bit counts and sequence
 * positions, exact times). Where the contract leaves room it follows docs/DESIGN.md.
 * check_core.c translates between the two and calls any disagreement a bug of one side or
 * the other. */
#ifndef FUZZ_ORACLE_H
#define FUZZ_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP flag bits as in the header: a fact of the wire, not of the detector. */
enum {
    ORACLE_FIN = 0x01,
    ORACLE_SYN = 0x02,
    ORACLE_RST = 0x04,
    ORACLE_PSH = 0x08,
    ORACLE_ACK = 0x10,
};

/* One captured segment of the conversation, in capture order. */
typedef struct oracle_seg {
    uint32_t frame;
    int64_t  time_ns;
    unsigned endpoint;       /* 0 or 1 */
    int64_t  ip_id;          /* IPv4 ID; -1 for none (IPv6) */
    uint64_t options;        /* any digest of the option bytes */
    uint32_t seq, ack, len;
    uint16_t window;
    uint8_t  flags;
} oracle_seg;

typedef enum oracle_fixed {
    ORACLE_NOT_ASKED,
    ORACLE_SENDS,
    ORACLE_WITHHOLDS,
} oracle_fixed;

/* The contract's cause codes (teardown.rst_cause). */
typedef enum oracle_cause {
    ORACLE_CAUSE_NONE = 0,
    ORACLE_CAUSE_SPURIOUS_ACK = 1,
    ORACLE_CAUSE_DATA_AFTER_CLOSE = 2,
    ORACLE_CAUSE_ABORT = 3,
    ORACLE_CAUSE_NO_CONNECTION = 4,
    ORACLE_CAUSE_REFUSED = 5,
    ORACLE_CAUSE_RETRANSMISSION_TIMEOUT = 6,
    ORACLE_CAUSE_UNEXPLAINED = 7,
} oracle_cause;

typedef enum oracle_state {
    ORACLE_ESTABLISHED,
    ORACLE_FIN_WAIT_1,
    ORACLE_FIN_WAIT_2,
    ORACLE_CLOSING,
    ORACLE_TIME_WAIT,
    ORACLE_CLOSE_WAIT,
    ORACLE_LAST_ACK,
    ORACLE_CLOSED,
} oracle_state;

/* What the contract says of one segment. Frames are 0 for none. */
typedef struct oracle_expect {
    bool         duplicate;        /* a capture duplicate: nothing else is said of it */
    bool         spurious_ack;
    bool         harmless;         /* the spurious ACK follows a simultaneous close */
    bool         fin_reack;
    bool         provoked_rst;
    bool         rst_after_close;
    oracle_fixed fixed;
    oracle_cause cause;
    uint32_t     related_frame;    /* provoked RST: the spurious ACK; RST after close: X's latest */
    uint32_t     rst_answers;
    uint32_t     provoked_by_frame;
    uint32_t     half_close_frame; /* on Y's segment that reveals X's early half-close */
    uint64_t     response_bytes;
    uint64_t     lost_bytes;
    /* Byte counts, and so the half-close mark, mean nothing from the first segment that
     * lies 2^30 or more from its sender's next sequence number, or is that long: no window
     * (RFC 7323) reaches that far, and near 2^31 "modulo 2^32" no longer orders anything. */
    bool         bytes_undefined;
    /* What is known as of this segment, itself included. */
    bool         in_teardown;
    oracle_state sender_state, receiver_state;
    uint32_t     fin_ack_frame;    /* the sender's first ACK of the peer's FIN */
    int64_t      time_since_fin_ack_ns;
    uint32_t     peer_fin_frame;
} oracle_expect;

/* Judges a whole conversation: n segments in capture order in, n answers out. False only
 * when memory runs out. */
bool oracle_judge(const oracle_seg *trace, size_t n, oracle_expect *out);

#endif
