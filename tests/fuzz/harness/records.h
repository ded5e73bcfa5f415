/* The core fuzzer's input format: a stream of fixed-size records, each one TCP segment
 * of one of a few interleaved conversations. Sequence and acknowledgement numbers are
 * given relative to what each side has sent so far, so that a mutation of a real
 * conversation stays a plausible one and the teardown paths stay reachable; absolute
 * values are one mode among others. pcap2records.py writes this format: keep the two in
 * step.
 *
 * Record layout (TD_REC_SIZE bytes, little-endian):
 *   0      conversation (bits 0-1), direction (bit 2), repeat the endpoint's previous
 *          segment verbatim (bit 3), time scale (bits 4-7)
 *   1      TCP flags byte, as on the wire
 *   2      sequence mode (see rec_seq_mode), 3-6 its signed argument
 *   7      acknowledgement mode (see rec_ack_mode), 8-11 its signed argument
 *   12-13  payload length, 14 bits 0-3 its left shift
 *   14     bits 4-5 IP kind (0, 3: IPv4 ID below; 1: IPv6; 2: IPv4 ID 0), bits 6-7 options
 *   15-16  window
 *   17-18  IPv4 ID
 *   19     time step: value << (2 * scale) microseconds; scale 15 steps back value ms */
#ifndef FUZZ_RECORDS_H
#define FUZZ_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_segment.h"

#define TD_REC_SIZE 20
#define TD_REC_CONVS 4

enum rec_seq_mode {
    REC_SEQ_NEXT,      /* right after this side's previous segment */
    REC_SEQ_FIN,       /* so that seq + len is this side's first FIN sequence */
    REC_SEQ_PEER_ACK,  /* the peer's latest acknowledgement number (a RST answers with it) */
    REC_SEQ_PREVIOUS,  /* this side's previous sequence number */
    REC_SEQ_ABSOLUTE,  /* the argument itself */
    REC_SEQ_KEEPALIVE, /* one below the next */
    REC_SEQ_MODES
};

enum rec_ack_mode {
    REC_ACK_PEER_NEXT, /* everything the peer has sent */
    REC_ACK_PEER_FIN,  /* the peer's first FIN, plus one */
    REC_ACK_PREVIOUS,  /* this side's previous acknowledgement number */
    REC_ACK_ABSOLUTE,
    REC_ACK_MODES
};

/* What one side of one conversation has sent, for the relative modes. */
typedef struct rec_side {
    uint32_t next;
    uint32_t seq;
    uint32_t ack;
    uint32_t fin_seq;
    int      has_fin;
    int      has_last;
    td_segment last;
} rec_side;

typedef struct rec_decoder {
    rec_side side[TD_REC_CONVS][2];
    uint32_t frame;
    int64_t  time_ns;
} rec_decoder;

void rec_decoder_init(rec_decoder *d);

/* Decodes the record at p (TD_REC_SIZE bytes) into the next segment, numbered as the
 * next frame, and its conversation index. */
void rec_decode(rec_decoder *d, const uint8_t *p, td_segment *seg, unsigned *conv);

#endif
