#include "records.h"

#include <string.h>

/* Where each side starts: apart, and one of them right below the wrap. */
static uint32_t initial_seq(unsigned conv, unsigned dir)
{
    return conv == 3 && dir == 1 ? 0xfffffff0u : 0x01000000u * (2 * conv + dir + 1);
}

/* The capture's first frame: 2024-01-01, so that time never goes below zero. */
#define REC_EPOCH_NS INT64_C(1704067200000000000)

void rec_decoder_init(rec_decoder *d)
{
    memset(d, 0, sizeof *d);
    for (unsigned c = 0; c < TD_REC_CONVS; c++) {
        for (unsigned dir = 0; dir < 2; dir++) {
            rec_side *s = &d->side[c][dir];
            s->next = s->seq = s->fin_seq = initial_seq(c, dir);
        }
    }
    d->time_ns = REC_EPOCH_NS;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int64_t time_step_ns(uint8_t scale, uint8_t value)
{
    if (scale == 15)
        return -(int64_t)value * 1000000;
    return ((int64_t)value << (2 * scale)) * 1000;
}

static uint32_t pick_seq(const rec_side *me, const rec_side *peer, uint8_t mode, uint32_t arg,
                         uint32_t len)
{
    switch (mode % REC_SEQ_MODES) {
    case REC_SEQ_NEXT: return me->next + arg;
    case REC_SEQ_FIN: return me->fin_seq - len + arg;
    case REC_SEQ_PEER_ACK: return peer->ack + arg;
    case REC_SEQ_PREVIOUS: return me->seq + arg;
    case REC_SEQ_ABSOLUTE: return arg;
    default: return me->next - 1 + arg;
    }
}

static uint32_t pick_ack(const rec_side *me, const rec_side *peer, uint8_t mode, uint32_t arg)
{
    switch (mode % REC_ACK_MODES) {
    case REC_ACK_PEER_NEXT: return peer->next + arg;
    case REC_ACK_PEER_FIN: return peer->fin_seq + 1 + arg;
    case REC_ACK_PREVIOUS: return me->ack + arg;
    default: return arg;
    }
}

static int32_t pick_ip_id(uint8_t kind, uint16_t id)
{
    switch (kind) {
    case 1: return -1;
    case 2: return 0;
    default: return id;
    }
}

void rec_decode(rec_decoder *d, const uint8_t *p, td_segment *seg, unsigned *conv)
{
    unsigned c = p[0] & 3, dir = (p[0] >> 2) & 1;
    rec_side *me = &d->side[c][dir];
    const rec_side *peer = &d->side[c][!dir];

    d->frame++;
    d->time_ns += time_step_ns(p[0] >> 4, p[19]);
    if ((p[0] & 8) && me->has_last) {
        *seg = me->last;
    } else {
        memset(seg, 0, sizeof *seg);
        uint32_t len = (uint32_t)le16(p + 12) << (p[14] & 15);
        seg->tcp.flags = p[1];
        seg->tcp.len = len;
        seg->tcp.seq = pick_seq(me, peer, p[2], le32(p + 3), len);
        seg->tcp.ack = pick_ack(me, peer, p[7], le32(p + 8));
        seg->tcp.window = le16(p + 15);
        seg->ip_id = pick_ip_id((p[14] >> 4) & 3, le16(p + 17));
        /* Options matter only as "same or not": a few distinct digests do. */
        seg->options_digest = (uint32_t)(p[14] >> 6) * 0x9e3779b1u;
    }
    seg->frame = d->frame;
    seg->time_ns = d->time_ns;
    seg->endpoint = (uint8_t)dir;
    *conv = c;

    const td_tcp *t = &seg->tcp;
    me->seq = t->seq;
    me->ack = t->ack;
    me->next = t->seq + t->len + !!(t->flags & TD_SYN) + !!(t->flags & TD_FIN);
    if ((t->flags & TD_FIN) && !me->has_fin) {
        me->has_fin = 1;
        me->fin_seq = td_tcp_fin_seq(t);
    }
    me->last = *seg;
    me->has_last = 1;
}
