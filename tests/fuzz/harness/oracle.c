#include "oracle.h"

#include <string.h>

#include "stack_policy.h"

void oracle_init(oracle_conv *c)
{
    memset(c, 0, sizeof *c);
}

static bool same_packet(const td_segment *a, const td_segment *b)
{
    return a->tcp.seq == b->tcp.seq && a->tcp.ack == b->tcp.ack && a->tcp.len == b->tcp.len &&
           a->tcp.window == b->tcp.window && a->tcp.flags == b->tcp.flags &&
           a->ip_id == b->ip_id && a->options_digest == b->options_digest;
}

/* "capture duplicate" in the contract's table. */
static bool is_duplicate(oracle_side *me, const td_segment *seg)
{
    bool same = me->has_last && same_packet(&me->last, seg);
    int64_t apart_us = seg->time_ns / 1000 - me->last.time_ns / 1000;
    bool close = apart_us >= 0 && apart_us < 1000;

    me->last = *seg;
    me->has_last = true;
    if (!same)
        return false;
    if (seg->ip_id > 0) {
        if (close)
            me->duplicates_learned = true;
        return true;
    }
    if (!close)
        return false;
    if (me->duplicates_learned)
        return true;
    me->duplicates_learned = true;
    return false;
}

/* After its FIN, does this segment of the endpoint earn it an ACK? An ACK at the next
 * sequence number does not, nor does a RST. */
static bool earns_ack(const oracle_side *me, const td_tcp *t)
{
    if (t->flags & TD_RST)
        return false;
    if (t->len || (t->flags & TD_SYN))
        return true;
    return t->seq != me->fin_seq + 1;
}

typedef enum { NOTHING, A_FIN_COPY, SOMETHING_ELSE } answer;

static answer answer_one(oracle_side *peer)
{
    if (peer->unanswered_fins) {
        peer->unanswered_fins--;
        return A_FIN_COPY;
    }
    if (peer->unanswered_other) {
        peer->unanswered_other--;
        return SOMETHING_ELSE;
    }
    return NOTHING;
}

static td_fixed_sender fixed_of(bool sends)
{
    return sends ? TD_FIXED_SENDER_SENDS : TD_FIXED_SENDER_WITHHOLDS;
}

static void from_y(oracle_conv *c, uint8_t dir, const td_segment *seg, td_outcome *out)
{
    const oracle_side *y = &c->ep[dir];
    const td_tcp *t = &seg->tcp;

    if ((t->flags & TD_RST) && y->fin_frame) {
        if (c->spurious_frame && t->seq == y->fin_seq + 1) {
            out->verdicts |= TD_V_PROVOKED_RST;
            out->related_frame = c->spurious_frame;
            out->response_bytes = (uint32_t)c->response_bytes;
        } else {
            out->verdicts |= TD_V_RST_AFTER_CLOSE;
            out->related_frame = c->closer_last_frame;
        }
    }
    c->spurious_frame = 0;
    if (t->len) {
        c->response_bytes += t->len;
        if (c->response_bytes > UINT32_MAX)
            c->response_bytes = UINT32_MAX;
        if (!c->half_close_told) {
            c->half_close_told = true;
            out->half_close_frame = c->ep[c->closer].fin_frame;
        }
    }
}

static void count_own(oracle_conv *c, uint8_t dir, const td_segment *seg)
{
    oracle_side *me = &c->ep[dir];
    const td_tcp *t = &seg->tcp;

    if (!(t->flags & TD_FIN)) {
        if (me->fin_frame && earns_ack(me, t))
            me->unanswered_other++;
        return;
    }
    if (me->fin_frame) {
        if (td_tcp_fin_seq(t) == me->fin_seq)
            me->unanswered_fins++;
        else
            me->unanswered_other++;
        return;
    }
    me->fin_frame = seg->frame;
    me->fin_seq = td_tcp_fin_seq(t);
    me->unanswered_fins = 1;
    if (!c->has_closer) {
        c->has_closer = true;
        c->closer = dir;
    } else {
        const oracle_side *x = &c->ep[!dir];
        c->simultaneous = !((t->flags & TD_ACK) && t->ack == x->fin_seq + 1);
    }
}

/* The fixed-sender verdict, from stack_policy's rule, and what the ACK answered. */
static void judge_acks(oracle_conv *c, uint8_t dir, const td_segment *seg, td_outcome *out)
{
    oracle_side *me = &c->ep[dir];
    oracle_side *peer = &c->ep[!dir];
    const td_tcp *t = &seg->tcp;
    bool acks_fin = peer->fin_frame && (t->flags & TD_ACK) && t->ack == peer->fin_seq + 1;

    if (!me->fin_ack_frame) {
        if (!acks_fin)
            return;
        me->fin_ack_frame = seg->frame;
        me->fin_ack_time_ns = seg->time_ns;
        answer_one(peer);
        out->fixed_sender = fixed_of(!td_tcp_is_pure_ack(t) ||
                              td_policy_sends_pure_ack(TD_POLICY_FIXED, false, false));
        return;
    }
    if (!td_tcp_is_pure_ack(t)) {
        if (acks_fin)
            answer_one(peer);
        out->fixed_sender = TD_FIXED_SENDER_SENDS;
        return;
    }
    if (!acks_fin) {
        bool owed = peer->unanswered_fins || peer->unanswered_other;
        out->fixed_sender = fixed_of(td_policy_sends_pure_ack(TD_POLICY_FIXED, true, owed));
        return;
    }
    answer what = answer_one(peer);
    out->fixed_sender = fixed_of(td_policy_sends_pure_ack(TD_POLICY_FIXED, true, what != NOTHING));
    if (what == A_FIN_COPY) {
        out->verdicts |= TD_V_FIN_REACK;
    } else if (what == NOTHING && c->closer == dir) {
        out->verdicts |= c->simultaneous ? TD_V_SPURIOUS_ACK_HARMLESS : TD_V_SPURIOUS_ACK;
        c->spurious_frame = seg->frame;
    }
}

void oracle_feed(oracle_conv *c, const td_segment *seg, td_outcome *out)
{
    uint8_t dir = seg->endpoint & 1;
    oracle_side *me = &c->ep[dir];

    memset(out, 0, sizeof *out);
    if (is_duplicate(me, seg)) {
        out->verdicts = TD_V_CAPTURE_DUPLICATE;
        out->fixed_sender = me->last_fixed;
        return;
    }
    if (c->has_closer && c->closer != dir)
        from_y(c, dir, seg, out);
    if ((seg->tcp.flags & TD_RST) && !c->rst_frame)
        c->rst_frame = seg->frame;
    count_own(c, dir, seg);
    judge_acks(c, dir, seg, out);
    if (c->has_closer && c->closer == dir)
        c->closer_last_frame = seg->frame;
    me->last_fixed = out->fixed_sender;
}
