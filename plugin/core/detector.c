#include "detector.h"

#include <string.h>

#include "stack_policy.h"

enum {
    TD_EP_HAS_LAST    = 1u << 0, /* last_print and last_time_us hold a segment */
    TD_EP_DUP_LEARNED = 1u << 1, /* the capture has shown one of its segments twice, < 1 ms apart */
};

enum {
    TD_CONV_HAS_CLOSER      = 1u << 0,
    TD_CONV_SIMULTANEOUS    = 1u << 1, /* Y's FIN did not acknowledge X's FIN */
    TD_CONV_HALF_CLOSE_SEEN = 1u << 2,
};

/* A copy made by the capture arrives within this of the original. */
#define TD_DUPLICATE_WINDOW_US 1000u

void td_conv_init(td_conv *conv)
{
    memset(conv, 0, sizeof *conv);
}

static void saturating_inc8(uint8_t *v)
{
    if (*v != UINT8_MAX)
        (*v)++;
}

static uint32_t mix32(uint32_t h, uint32_t v)
{
    h ^= v;
    h *= 0x9e3779b1u;
    return h ^ (h >> 15);
}

/* Same header, length and IP ID give the same print; nothing else is compared. */
static uint32_t segment_print(const td_segment *seg)
{
    const td_tcp *t = &seg->tcp;
    uint32_t h = 0x811c9dc5u;
    h = mix32(h, t->seq);
    h = mix32(h, t->ack);
    h = mix32(h, t->len);
    h = mix32(h, ((uint32_t)t->window << 8) | t->flags);
    h = mix32(h, (uint32_t)seg->ip_id);
    h = mix32(h, seg->options_digest);
    return h;
}

/* Linux and IPv6 give a copy no ID to tell it by: only an endpoint the capture has
 * already shown twice, identically, within a millisecond, gets its copies called
 * duplicates, and then only copies within a millisecond too. */
static bool is_capture_duplicate(td_endpoint *me, const td_segment *seg)
{
    uint32_t print = segment_print(seg);
    int64_t now_us = seg->time_ns / 1000;
    bool same = (me->flags & TD_EP_HAS_LAST) && me->last_print == print;
    bool close = now_us >= me->last_time_us && now_us - me->last_time_us < TD_DUPLICATE_WINDOW_US;

    me->last_print = print;
    me->last_time_us = now_us;
    me->flags |= TD_EP_HAS_LAST;
    if (!same)
        return false;
    if (seg->ip_id > 0) {
        if (close)
            me->flags |= TD_EP_DUP_LEARNED;
        return true;
    }
    if (!close)
        return false;
    if (me->flags & TD_EP_DUP_LEARNED)
        return true;
    me->flags |= TD_EP_DUP_LEARNED;
    return false;
}

/* After its FIN, does this segment need an ACK from the peer? A pure ACK at the next
 * sequence number does not (RFC 9293: an ACK is not acknowledged); data, a keep-alive
 * (one below the next sequence number) or a SYN does. */
static bool awaits_ack(const td_endpoint *me, const td_tcp *t)
{
    if (t->flags & TD_RST)
        return false;
    if (t->len || (t->flags & TD_SYN))
        return true;
    return t->seq != me->fin_seq + 1;
}

typedef enum { ANSWERED_NOTHING, ANSWERED_FIN, ANSWERED_OTHER } answered;

/* One ACK answers one awaiting segment of the peer: copies of its FIN first. */
static answered take_answer(td_endpoint *peer)
{
    if (peer->unanswered_fins) {
        peer->unanswered_fins--;
        return ANSWERED_FIN;
    }
    if (peer->unanswered_other) {
        peer->unanswered_other--;
        return ANSWERED_OTHER;
    }
    return ANSWERED_NOTHING;
}

static td_fixed fixed_verdict(bool sends)
{
    return sends ? TD_FIXED_SENDS : TD_FIXED_WITHHOLDS;
}

static void note_fin(td_conv *conv, uint8_t dir, const td_segment *seg)
{
    td_endpoint *me = &conv->ep[dir];
    const td_endpoint *peer = &conv->ep[!dir];
    const td_tcp *t = &seg->tcp;
    uint32_t fin_seq = td_tcp_fin_seq(t);

    if (me->fin_frame) {
        if (fin_seq == me->fin_seq)
            saturating_inc8(&me->unanswered_fins);
        else
            saturating_inc8(&me->unanswered_other);
        return;
    }
    me->fin_frame = seg->frame;
    me->fin_seq = fin_seq;
    me->unanswered_fins = 1;
    if (!(conv->flags & TD_CONV_HAS_CLOSER)) {
        conv->closer = dir;
        conv->flags |= TD_CONV_HAS_CLOSER;
    } else if (!((t->flags & TD_ACK) && t->ack == peer->fin_seq + 1)) {
        conv->flags |= TD_CONV_SIMULTANEOUS;
    }
}

/* A segment from an endpoint that has acknowledged its peer's FIN. */
static void judge_after_fin_ack(td_conv *conv, uint8_t dir, const td_segment *seg,
                                bool acks_peer_fin, td_result *out)
{
    td_endpoint *peer = &conv->ep[!dir];
    const td_tcp *t = &seg->tcp;

    if (!td_tcp_is_pure_ack(t)) {
        /* Data, FIN and RST are not what the fix withholds. */
        if (acks_peer_fin)
            take_answer(peer);
        out->fixed = TD_FIXED_SENDS;
        return;
    }
    if (!acks_peer_fin) {
        bool pending = peer->unanswered_fins || peer->unanswered_other;
        out->fixed = fixed_verdict(td_policy_sends_pure_ack(TD_POLICY_FIXED, true, pending));
        return;
    }
    answered what = take_answer(peer);
    out->fixed = fixed_verdict(td_policy_sends_pure_ack(TD_POLICY_FIXED, true, what != ANSWERED_NOTHING));
    if (what == ANSWERED_FIN) {
        out->verdicts |= TD_V_FIN_REACK;
    } else if (what == ANSWERED_NOTHING && conv->closer == dir) {
        out->verdicts |= (conv->flags & TD_CONV_SIMULTANEOUS) ? TD_V_SPURIOUS_ACK_HARMLESS
                                                               : TD_V_SPURIOUS_ACK;
        conv->spurious_frame = seg->frame;
    }
}

static void judge_rst_from_y(td_conv *conv, uint8_t dir, const td_segment *seg, td_result *out)
{
    const td_endpoint *me = &conv->ep[dir];

    if (!me->fin_frame)
        return; /* an abortive close, no orderly teardown to speak of */
    if (conv->spurious_frame && seg->tcp.seq == me->fin_seq + 1) {
        out->verdicts |= TD_V_PROVOKED_RST;
        out->related_frame = conv->spurious_frame;
        out->response_bytes = conv->response_bytes;
    } else {
        out->verdicts |= TD_V_RST_AFTER_CLOSE;
        out->related_frame = conv->closer_last_frame;
    }
}

void td_conv_feed(td_conv *conv, const td_segment *seg, td_result *out)
{
    uint8_t dir = seg->dir & 1;
    td_endpoint *me = &conv->ep[dir];
    td_endpoint *peer = &conv->ep[!dir];
    const td_tcp *t = &seg->tcp;
    bool x_known = conv->flags & TD_CONV_HAS_CLOSER;
    bool from_y = x_known && conv->closer != dir;

    memset(out, 0, sizeof *out);
    if (is_capture_duplicate(me, seg)) {
        out->verdicts = TD_V_CAPTURE_DUPLICATE;
        out->fixed = (td_fixed)me->last_fixed;
        return;
    }

    if (from_y) {
        if (t->flags & TD_RST)
            judge_rst_from_y(conv, dir, seg, out);
        conv->spurious_frame = 0;
        if (t->len) {
            conv->response_bytes = conv->response_bytes + t->len < conv->response_bytes
                                       ? UINT32_MAX
                                       : conv->response_bytes + t->len;
            if (!(conv->flags & TD_CONV_HALF_CLOSE_SEEN)) {
                conv->flags |= TD_CONV_HALF_CLOSE_SEEN;
                out->half_close_frame = conv->ep[conv->closer].fin_frame;
            }
        }
    }
    if ((t->flags & TD_RST) && !conv->rst_frame)
        conv->rst_frame = seg->frame;

    if (t->flags & TD_FIN)
        note_fin(conv, dir, seg);
    else if (me->fin_frame && awaits_ack(me, t))
        saturating_inc8(&me->unanswered_other);

    bool acks_peer_fin = peer->fin_frame && (t->flags & TD_ACK) && t->ack == peer->fin_seq + 1;
    if (me->fin_ack_frame) {
        judge_after_fin_ack(conv, dir, seg, acks_peer_fin, out);
    } else if (acks_peer_fin) {
        me->fin_ack_frame = seg->frame;
        me->fin_ack_time_ns = seg->time_ns;
        take_answer(peer);
        out->fixed = fixed_verdict(
            !td_tcp_is_pure_ack(t) || td_policy_sends_pure_ack(TD_POLICY_FIXED, false, false));
    }

    if ((conv->flags & TD_CONV_HAS_CLOSER) && conv->closer == dir)
        conv->closer_last_frame = seg->frame;
    me->last_fixed = (uint8_t)out->fixed;
}

static bool seen(uint32_t landmark, uint32_t frame)
{
    return landmark && landmark <= frame;
}

/* The state an endpoint is in after a frame, from the landmarks at or before it. */
static td_tcp_state state_at(const td_conv *conv, uint8_t dir, uint32_t frame)
{
    const td_endpoint *me = &conv->ep[dir];
    const td_endpoint *peer = &conv->ep[!dir];
    bool my_fin = seen(me->fin_frame, frame);
    bool peer_fin = seen(peer->fin_frame, frame);
    bool my_fin_acked = seen(peer->fin_ack_frame, frame);

    if (seen(conv->rst_frame, frame))
        return TD_STATE_CLOSED;
    if (!my_fin)
        return peer_fin ? TD_STATE_CLOSE_WAIT : TD_STATE_ESTABLISHED;
    if (!peer_fin)
        return my_fin_acked ? TD_STATE_FIN_WAIT_2 : TD_STATE_FIN_WAIT_1;
    if (conv->flags & TD_CONV_SIMULTANEOUS)
        return my_fin_acked ? TD_STATE_TIME_WAIT : TD_STATE_CLOSING;
    if (conv->closer == dir)
        return TD_STATE_TIME_WAIT;
    return my_fin_acked ? TD_STATE_CLOSED : TD_STATE_LAST_ACK;
}

bool td_conv_in_teardown(const td_conv *conv, uint32_t frame)
{
    return seen(conv->ep[0].fin_frame, frame) || seen(conv->ep[1].fin_frame, frame) ||
           seen(conv->rst_frame, frame);
}

void td_conv_view(const td_conv *conv, uint8_t dir, uint32_t frame, int64_t time_ns, td_view *out)
{
    const td_endpoint *me = &conv->ep[dir & 1];
    const td_endpoint *peer = &conv->ep[!(dir & 1)];

    memset(out, 0, sizeof *out);
    out->in_teardown = td_conv_in_teardown(conv, frame);
    out->sender_state = state_at(conv, dir & 1, frame);
    out->receiver_state = state_at(conv, !(dir & 1), frame);
    if (seen(me->fin_ack_frame, frame)) {
        out->fin_ack_frame = me->fin_ack_frame;
        out->time_since_fin_ack_ns = time_ns - me->fin_ack_time_ns;
    }
    if (seen(peer->fin_frame, frame))
        out->peer_fin_frame = peer->fin_frame;
}

const char *td_verdict_name(uint32_t verdict_bit)
{
    switch (verdict_bit) {
    case TD_V_SPURIOUS_ACK: return "spurious_ack";
    case TD_V_SPURIOUS_ACK_HARMLESS: return "spurious_ack.harmless";
    case TD_V_PROVOKED_RST: return "provoked_rst";
    case TD_V_RST_AFTER_CLOSE: return "rst_after_close";
    case TD_V_FIN_REACK: return "fin_reack";
    case TD_V_CAPTURE_DUPLICATE: return "capture_duplicate";
    case TD_V_HALF_CLOSE: return "half_close";
    }
    return NULL;
}
