/* The TCP facts of one segment, as a stack emits it and as a capture shows it. */
#ifndef TD_TCP_SEGMENT_H
#define TD_TCP_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

/* TCP header flag bits, as in the header's flags byte. */
enum {
    TD_FIN = 0x01,
    TD_SYN = 0x02,
    TD_RST = 0x04,
    TD_PSH = 0x08,
    TD_ACK = 0x10,
    TD_URG = 0x20,
};

/* What is on the wire: the part of a segment that the sender model produces and
 * the detector judges. */
typedef struct td_tcp {
    uint32_t seq;
    uint32_t ack;
    uint32_t len;     /* payload bytes */
    uint16_t window;  /* as in the header, unscaled */
    uint8_t  flags;   /* TD_* bits */
} td_tcp;

/* Where and when a capture saw a segment. */
typedef struct td_segment {
    uint32_t frame;           /* capture frame number, from 1 */
    int64_t  time_ns;         /* capture time */
    uint8_t  endpoint;        /* which endpoint sent it: 0 or 1 */
    int32_t  ip_id;           /* IPv4 identification, or -1 where there is none (IPv6) */
    uint64_t options_digest;  /* digest of the TCP option bytes; 0 for none */
    td_tcp   tcp;
} td_segment;

/* Pure ACK: ACK set; SYN, FIN and RST clear; no payload. */
static inline bool td_tcp_is_pure_ack(const td_tcp *t)
{
    return (t->flags & (TD_ACK | TD_SYN | TD_FIN | TD_RST)) == TD_ACK && t->len == 0;
}

/* Does the receiver owe an acknowledgement for this segment? sender_next is the sequence
 * number the segment's sender would use next, as the receiver knows it (its rcv_nxt).
 * Payload, SYN and FIN need one; so does a keep-alive, a pure ACK one below the next
 * sequence number (RFC 9293 3.8.4; a Windows keep-alive also carries one byte, which
 * makes it payload). An ACK is not acknowledged, and neither is a RST. The sender model
 * and the detector both ask this: there is no second copy of the rule. */
static inline bool td_tcp_needs_ack(const td_tcp *t, uint32_t sender_next)
{
    if (t->flags & TD_RST)
        return false;
    if (t->len || (t->flags & (TD_SYN | TD_FIN)))
        return true;
    return t->seq + 1 == sender_next;
}

/* Is a after b, modulo 2^32? */
static inline bool td_seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

/* The sequence number a FIN occupies: right after the segment's payload. */
static inline uint32_t td_tcp_fin_seq(const td_tcp *t)
{
    return t->seq + t->len;
}

#endif
