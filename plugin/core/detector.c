#include "detector.h"

#include <string.h>

#include "stack_policy.h"

enum {
    TD_EP_LATE_PAYLOAD    = 1u << 0, /* td_conv.late_payload_frame is this endpoint's */
    TD_EP_COPIES_LEARNED  = 1u << 1, /* the capture has shown one of its segments twice, < 1 ms apart */
    TD_EP_TRIPLES_LEARNED = 1u << 2, /* ... and one exactly three times, each < 1 ms apart */
    TD_EP_GROUP_CLOSE     = 1u << 3, /* each repeat of its previous segment came < 1 ms after the last */
    TD_EP_SENT_SYN        = 1u << 4,
    TD_EP_SENT_RST        = 1u << 5,
    TD_EP_HAS_NEXT        = 1u << 6, /* next_seq holds a sequence number */
    TD_EP_COPIES_SEEN     = 1u << 7, /* the current segment was shown twice < 1 ms apart:
                                        evidence once a different segment follows */
};

/* The plugin keeps one td_conv per TCP stream for the whole capture: it is most of the
 * memory a conversation costs. Everything in it is needed exactly (a frame, a sequence
 * number, a time to the nanosecond), so the budget is won by keeping what only one side
 * can hold at a time once, and by deriving what other fields already say. */
_Static_assert(sizeof(td_conv) <= 168, "td_conv is the plugin's per-conversation cost");
_Static_assert(TD_VERDICT_COUNT <= 13, "kinds_seen holds 13 verdict bits");

/* A copy made by the capture arrives within this of the original. */
#define TD_DUPLICATE_WINDOW_US 1000u

/* A peer that sends the same segment this often, unanswered, and then a RST has given up. */
#define TD_GIVE_UP_REPEATS 3u

void td_conv_init(td_conv *conv)
{
    memset(conv, 0, sizeof *conv);
}

uint8_t td_conv_endpoint(td_conv *conv, uint16_t src_port, uint16_t dst_port, uint32_t src_addr_key)
{
    if (!conv->has_endpoint0) {
        conv->has_endpoint0 = 1;
        conv->endpoint0_port = src_port;
        conv->endpoint0_addr = src_addr_key;
        return 0;
    }
    if (src_port != dst_port)
        return src_port == conv->endpoint0_port ? 0 : 1;
    return src_addr_key == conv->endpoint0_addr ? 0 : 1;
}

static void saturating_inc8(uint8_t *v)
{
    if (*v != UINT8_MAX)
        (*v)++;
}

static uint32_t saturating_add32(uint32_t a, uint32_t b)
{
    return a + b < a ? UINT32_MAX : a + b;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= UINT64_C(0x9e3779b97f4a7c15);
    return h ^ (h >> 32);
}

/* Both fingerprints below start with sequence and ack numbers and length: the segment's
 * head, hashed once per segment. Fingerprints stand for "identical", so they are 64-bit:
 * at 32 bits, two different segments in a row share one about once in 4 billion, and
 * that segment's verdicts are lost (any two fields that differ can be made to match). */
static uint64_t fingerprint_head(const td_tcp *t)
{
    return mix64(mix64(UINT64_C(0xcbf29ce484222325), (uint64_t)t->seq << 32 | t->ack), t->len);
}

/* Same header, length, IP ID and options give the same fingerprint; nothing else is
 * compared. */
static uint64_t segment_fingerprint(const td_segment *seg, uint64_t head)
{
    const td_tcp *t = &seg->tcp;
    uint64_t h = mix64(head, (uint64_t)(uint32_t)seg->ip_id << 32 | (uint32_t)t->window << 8 | t->flags);
    return mix64(h, seg->options_digest);
}

/* What a retransmission or a keep-alive probe repeats (its window may change). */
static uint64_t repeat_fingerprint(const td_tcp *t, uint64_t head)
{
    return mix64(head, t->flags & (uint8_t)~TD_PSH);
}

/* Is this a copy the capture made of the endpoint's previous segment? An original has one
 * copy at most (two where the capture has shown a segment three times): beyond that, an
 * identical segment is a new packet, as a repeated ACK in a capture that doubles every
 * packet is. Linux and IPv6 give a copy no ID to tell it by: only an endpoint the capture
 * has already shown twice, identically, within a millisecond, gets such copies called
 * duplicates, and then only copies within a millisecond too. */
static bool is_capture_duplicate(td_endpoint *me, td_endpoint_wide *wide, const td_segment *seg,
                                 uint64_t head)
{
    uint64_t fingerprint = segment_fingerprint(seg, head);
    int64_t now_us = seg->time_ns / 1000;
    bool same = me->instances && wide->last_fingerprint == fingerprint;
    bool close = now_us >= wide->last_time_us && now_us - wide->last_time_us < TD_DUPLICATE_WINDOW_US;

    wide->last_time_us = now_us;
    if (!same) {
        /* One store of the flags: a byte store may alias anything, and forces reloads. */
        uint8_t flags = me->flags;
        if (me->instances == 3 && (flags & TD_EP_GROUP_CLOSE))
            flags |= TD_EP_TRIPLES_LEARNED;
        if (flags & TD_EP_COPIES_SEEN)
            flags |= TD_EP_COPIES_LEARNED;
        me->flags = (uint8_t)((flags & ~TD_EP_COPIES_SEEN) | TD_EP_GROUP_CLOSE);
        wide->last_fingerprint = fingerprint;
        me->instances = 1;
        me->copy_position = 0;
        return false;
    }
    saturating_inc8(&me->instances);
    if (!close)
        me->flags &= (uint8_t)~TD_EP_GROUP_CLOSE;

    unsigned copies_allowed = (me->flags & TD_EP_TRIPLES_LEARNED) ? 2 : 1;
    bool copy = false;
    if (me->copy_position < copies_allowed) {
        if (seg->ip_id > 0) {
            if (close)
                me->flags |= TD_EP_COPIES_LEARNED;
            copy = true;
        } else if (close) {
            /* The first close pair is evidence, not a verdict, and only for the segments
             * after it: a burst of identical RSTs, one per segment that reached a closed
             * socket, is not a capture that copies its packets. */
            copy = (me->flags & TD_EP_COPIES_LEARNED) != 0;
            me->flags |= TD_EP_COPIES_SEEN;
        }
    }
    me->copy_position = copy ? (uint8_t)(me->copy_position + 1) : 0;
    return copy;
}

/* How much of [seq, end) (end at or below next_seq) lies in the endpoint's hole; the hole
 * shrinks by it, to the larger remainder when the segment falls in its middle. Positions
 * are taken as distances below next_seq, which order them without a wrap as far as 2^31
 * back; nothing farther is counted. */
static uint32_t fill_hole(td_endpoint *me, uint32_t seq, uint32_t end)
{
    const uint32_t reach = UINT32_C(1) << 31;
    uint32_t hole_far = me->next_seq - me->hole_start, hole_near = me->next_seq - me->hole_end;
    uint32_t seg_far = me->next_seq - seq, seg_near = me->next_seq - end;

    if (hole_far > reach)
        hole_far = reach;
    if (seg_far > reach)
        seg_far = reach;
    uint32_t from = hole_far < seg_far ? hole_far : seg_far;
    uint32_t to = hole_near > seg_near ? hole_near : seg_near;
    if (from <= to)
        return 0;
    if (hole_far - from >= to - hole_near)
        me->hole_end = me->next_seq - from;
    else
        me->hole_start = me->next_seq - to;
    return from - to;
}

/* Payload bytes of this segment that the endpoint had not sent before: beyond next_seq,
 * or filling the latest hole below it (a FIN that overtook the last data). A
 * retransmission or a keep-alive's byte adds nothing. Moves next_seq on. */
static inline uint32_t unique_payload(td_endpoint *me, const td_tcp *t)
{
    uint32_t data_end = t->seq + t->len;
    uint32_t end = data_end + !!(t->flags & TD_SYN) + !!(t->flags & TD_FIN);
    uint32_t unique = t->len;

    if (me->flags & TD_EP_HAS_NEXT) {
        if (td_seq_after(t->seq, me->next_seq)) {
            me->hole_start = me->next_seq;
            me->hole_end = t->seq;
        } else if (t->len) { /* an empty segment fills no hole */
            uint32_t below = td_seq_after(data_end, me->next_seq) ? me->next_seq : data_end;
            /* Nor does one that starts at next_seq: nothing of it lies below. */
            uint32_t filled = t->seq == me->next_seq ? 0 : fill_hole(me, t->seq, below);
            unique = filled + (data_end - below);
        }
        if (!td_seq_after(end, me->next_seq))
            return unique;
    }
    me->next_seq = end;
    me->flags |= TD_EP_HAS_NEXT;
    return unique;
}

static bool is_keepalive(const td_endpoint *me, const td_tcp *t)
{
    return (me->flags & TD_EP_HAS_NEXT) && t->len <= 1 && !(t->flags & (TD_SYN | TD_FIN | TD_RST)) &&
           t->seq + 1 == me->next_seq;
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

static td_fixed_sender fixed_sender_verdict(bool sends)
{
    return sends ? TD_FIXED_SENDER_SENDS : TD_FIXED_SENDER_WITHHOLDS;
}

static void note_fin(td_conv *conv, uint8_t me_index, const td_segment *seg, td_outcome *out)
{
    td_endpoint *me = &conv->ep[me_index];
    const td_endpoint *peer = &conv->ep[!me_index];
    const td_tcp *t = &seg->tcp;
    uint32_t fin_seq = td_tcp_fin_seq(t);
    bool earns_ack = td_tcp_needs_ack(t, me->next_seq); /* not with RST set */

    if (me->fin_frame) {
        if (!earns_ack)
            return;
        if (fin_seq == me->fin_seq)
            saturating_inc8(&me->unanswered_fins);
        else
            saturating_inc8(&me->unanswered_other);
        return;
    }
    me->fin_frame = seg->frame;
    me->fin_seq = fin_seq;
    me->unanswered_fins = earns_ack;
    if (!peer->fin_frame) {
        conv->closer = me_index;
        out->markable = true;
    } else if (!((t->flags & TD_ACK) && t->ack == peer->fin_seq + 1)) {
        conv->simultaneous = 1;
    }
}

/* A duplicate ACK below the peer's FIN, sent after that FIN appeared, points at a hole: it
 * answers a segment that arrived out of order, such as a FIN that overtook the last data.
 * One whose ack is the FIN sequence itself was sent before the FIN arrived. */
static bool is_duplicate_ack_below_peer_fin(const td_endpoint *me, const td_endpoint *peer,
                                            const td_tcp *t)
{
    return peer->fin_frame && td_tcp_is_pure_ack(t) && (me->last_tcp_flags & TD_ACK) &&
           t->ack == me->last_ack && td_seq_after(peer->fin_seq, t->ack);
}

/* A pure ACK from an endpoint that has acknowledged its peer's FIN: the fixed-sender
 * verdict, and the spurious ACK. */
static void judge_pure_ack_after_fin_ack(td_conv *conv, uint8_t me_index, const td_segment *seg,
                                         bool acks_peer_fin, td_outcome *out)
{
    td_endpoint *peer = &conv->ep[!me_index];

    if (!acks_peer_fin) {
        bool pending = peer->unanswered_fins || peer->unanswered_other;
        out->fixed_sender = fixed_sender_verdict(td_policy_sends_pure_ack(TD_POLICY_FIXED, true, pending));
        return;
    }
    answered what = take_answer(peer);
    out->fixed_sender = fixed_sender_verdict(
        td_policy_sends_pure_ack(TD_POLICY_FIXED, true, what != ANSWERED_NOTHING));
    if (what == ANSWERED_FIN) {
        out->verdicts |= TD_V_FIN_REACK;
    } else if (what == ANSWERED_NOTHING && conv->closer == me_index) {
        out->verdicts |= conv->simultaneous ? TD_V_SPURIOUS_ACK_HARMLESS
                                                               : TD_V_SPURIOUS_ACK;
        conv->spurious_frame = seg->frame;
        out->markable = true;
    }
}

/* The verdicts of Y's RST after its own FIN: provoked by a spurious ACK, or after an
 * orderly close. */
static void judge_rst_from_y(td_conv *conv, uint8_t me_index, const td_segment *seg, td_outcome *out)
{
    const td_endpoint *me = &conv->ep[me_index];

    if (!me->fin_frame)
        return;
    if (conv->spurious_frame && seg->tcp.seq == me->fin_seq + 1) {
        out->verdicts |= TD_V_PROVOKED_RST;
        out->related_frame = conv->spurious_frame;
        out->provoked_by_frame = conv->spurious_frame;
        out->response_bytes = me->bytes_after_peer_fin;
    } else {
        out->verdicts |= TD_V_RST_AFTER_CLOSE;
        out->related_frame = conv->ep[conv->closer].last_frame;
    }
}

/* X is known once either side has sent a FIN. */
static bool has_closer(const td_conv *conv)
{
    return conv->ep[0].fin_frame || conv->ep[1].fin_frame;
}

/* The endpoint's first payload after the peer's FIN since the peer's latest segment; 0 for none. */
static uint32_t late_payload_frame(const td_conv *conv, uint8_t index)
{
    return (conv->ep[index].flags & TD_EP_LATE_PAYLOAD) ? conv->late_payload_frame : 0;
}

/* Does R hold no connection for what it answers? (The contract's second no_connection row.) */
static bool holds_no_connection(const td_endpoint *r, const td_endpoint *p, const td_tcp *t)
{
    bool r_fin_acked = r->fin_frame && p->fin_ack_frame;
    if (r_fin_acked && r->fin_ack_frame)
        return true; /* R had completed its close */
    if (r_fin_acked && (p->last_tcp_flags & TD_FIN))
        return true; /* the peer's late FIN found R's FIN-WAIT-2 gone */
    return !(t->flags & TD_ACK) && p->last_frame > r->last_frame && (p->last_tcp_flags & TD_ACK) &&
           t->seq == p->last_ack; /* the answer of a stack with no such connection */
}

/* Why R sent this RST: the contract's rules, the first that fits deciding. */
static void decide_rst_cause(const td_conv *conv, uint8_t r_index, const td_tcp *t, td_outcome *out)
{
    const td_endpoint *r = &conv->ep[r_index];
    const td_endpoint *p = &conv->ep[!r_index];
    td_rst_cause cause;

    out->rst_answers = p->last_frame;
    if ((p->last_tcp_flags & (TD_SYN | TD_ACK)) == TD_SYN && p->last_frame > r->last_frame &&
        !(r->flags & TD_EP_SENT_SYN)) {
        cause = TD_RST_CAUSE_REFUSED;
    } else if (out->verdicts & TD_V_PROVOKED_RST) {
        cause = TD_RST_CAUSE_SPURIOUS_ACK;
        out->rst_answers = out->provoked_by_frame;
    } else if (r->flags & TD_EP_SENT_RST) {
        cause = TD_RST_CAUSE_NO_CONNECTION;
    } else if (r->repeats >= TD_GIVE_UP_REPEATS) {
        cause = TD_RST_CAUSE_RETRANSMISSION_TIMEOUT;
    } else if (r->fin_frame && late_payload_frame(conv, !r_index)) {
        cause = TD_RST_CAUSE_DATA_AFTER_CLOSE;
        out->rst_answers = late_payload_frame(conv, !r_index);
        out->lost_bytes = p->bytes_after_peer_fin;
    } else if (holds_no_connection(r, p, t)) {
        cause = TD_RST_CAUSE_NO_CONNECTION;
    } else if (p->last_frame) {
        cause = TD_RST_CAUSE_ABORT;
    } else {
        cause = TD_RST_CAUSE_UNEXPLAINED;
    }
    out->rst_cause = cause;
    out->verdicts |= td_rst_cause_lookup(cause)->verdict;
}

/* What the endpoint's segment leaves behind for the rules that look back: its latest
 * segment, its repeats, and its data after the peer's close. */
static inline void remember_segment(td_conv *conv, uint8_t me_index, const td_segment *seg,
                                    uint64_t head, bool needs_ack, bool late_payload)
{
    td_endpoint *me = &conv->ep[me_index];
    td_endpoint *peer = &conv->ep[!me_index];
    const td_tcp *t = &seg->tcp;

    /* Only a segment that needs an answer can go unanswered. */
    if (!needs_ack) {
        me->repeats = 0;
    } else {
        uint64_t fingerprint = repeat_fingerprint(t, head);
        if (me->repeats && conv->repeat_fingerprint == fingerprint) {
            saturating_inc8(&me->repeats);
        } else {
            conv->repeat_fingerprint = fingerprint;
            me->repeats = 1;
        }
    }
    peer->repeats = 0;
    peer->flags &= (uint8_t)~TD_EP_LATE_PAYLOAD;
    if (late_payload && !late_payload_frame(conv, me_index)) {
        conv->late_payload_frame = seg->frame;
        me->flags |= TD_EP_LATE_PAYLOAD;
    }
    me->last_frame = seg->frame;
    me->last_ack = t->ack;
    me->last_tcp_flags = t->flags;
    if (t->flags & TD_SYN)
        me->flags |= TD_EP_SENT_SYN;
    if (t->flags & TD_RST)
        me->flags |= TD_EP_SENT_RST;
}

/* The verdicts of one segment that is not a capture duplicate. */
static void judge(td_conv *conv, const td_segment *seg, uint64_t head, td_outcome *out)
{
    uint8_t me_index = seg->endpoint & 1;
    td_endpoint *me = &conv->ep[me_index];
    td_endpoint *peer = &conv->ep[!me_index];
    const td_tcp *t = &seg->tcp;
    bool from_y = has_closer(conv) && conv->closer != me_index;
    bool needs_ack = td_tcp_needs_ack(t, me->next_seq);
    bool keepalive = is_keepalive(me, t);
    /* Payload after the peer's FIN, sent before this endpoint's own FIN (or with it). */
    bool late_payload = t->len && !keepalive && peer->fin_frame && !me->fin_frame;
    uint32_t unique = keepalive ? 0 : unique_payload(me, t);

    if (t->flags & TD_RST) {
        if (from_y)
            judge_rst_from_y(conv, me_index, seg, out);
        decide_rst_cause(conv, me_index, t, out);
        if (!conv->rst_frame)
            conv->rst_frame = seg->frame;
    }
    if (peer->fin_frame)
        me->bytes_after_peer_fin = saturating_add32(me->bytes_after_peer_fin, unique);
    if (from_y) {
        conv->spurious_frame = 0;
        /* td_conv_feed counts the half-close into kinds_seen. */
        if (unique && !(conv->kinds_seen & TD_V_HALF_CLOSE))
            out->half_close_frame = conv->ep[conv->closer].fin_frame;
    }

    if (t->flags & TD_FIN)
        note_fin(conv, me_index, seg, out);
    else if (me->fin_frame && needs_ack)
        saturating_inc8(&me->unanswered_other);

    bool acks_peer_fin = peer->fin_frame && (t->flags & TD_ACK) && t->ack == peer->fin_seq + 1;
    bool pure_ack = td_tcp_is_pure_ack(t);
    if (!me->fin_ack_frame && !acks_peer_fin && is_duplicate_ack_below_peer_fin(me, peer, t)) {
        take_answer(peer);
    } else if (me->fin_ack_frame) {
        if (pure_ack)
            judge_pure_ack_after_fin_ack(conv, me_index, seg, acks_peer_fin, out);
        else if (acks_peer_fin)
            take_answer(peer);
    } else if (acks_peer_fin) {
        me->fin_ack_frame = seg->frame;
        conv->wide[me_index].fin_ack_time_ns = seg->time_ns;
        take_answer(peer);
        if (pure_ack)
            out->fixed_sender =
                fixed_sender_verdict(td_policy_sends_pure_ack(TD_POLICY_FIXED, false, false));
    }
    remember_segment(conv, me_index, seg, head, needs_ack, late_payload);
}

/* Most segments come before either side's FIN and are neither FIN nor RST. Of judge(),
 * such a segment needs only what it leaves for later rules: no verdict, cause, forward
 * mark or fixed-sender question applies to it, and nothing of the teardown changes (no
 * FIN to ACK, answer or send data after, no RST to explain). */
static bool is_before_teardown(const td_conv *conv, const td_tcp *t)
{
    return !(t->flags & (TD_FIN | TD_RST)) && !conv->ep[0].fin_frame && !conv->ep[1].fin_frame;
}

static void judge_before_teardown(td_conv *conv, const td_segment *seg, uint64_t head)
{
    uint8_t me_index = seg->endpoint & 1;
    td_endpoint *me = &conv->ep[me_index];
    const td_tcp *t = &seg->tcp;
    bool needs_ack = td_tcp_needs_ack(t, me->next_seq);

    if (!is_keepalive(me, t))
        unique_payload(me, t);
    remember_segment(conv, me_index, seg, head, needs_ack, false);
    me->last_fixed = TD_FIXED_SENDER_NOT_ASKED;
}

void td_conv_feed(td_conv *conv, const td_segment *seg, td_outcome *out)
{
    td_endpoint *me = &conv->ep[seg->endpoint & 1];
    uint64_t head = fingerprint_head(&seg->tcp);

    memset(out, 0, sizeof *out);
    /* Each segment fed counts an instance of its endpoint's latest one. */
    out->first_segment = !conv->ep[0].instances && !conv->ep[1].instances;
    if (is_capture_duplicate(me, &conv->wide[seg->endpoint & 1], seg, head)) {
        out->verdicts = TD_V_CAPTURE_DUPLICATE;
        out->fixed_sender = (td_fixed_sender)me->last_fixed;
    } else if (is_before_teardown(conv, &seg->tcp)) {
        judge_before_teardown(conv, seg, head);
        return; /* no verdict: nothing to count */
    } else {
        judge(conv, seg, head, out);
        me->last_fixed = (uint8_t)out->fixed_sender;
    }
    out->counted = out->verdicts | (out->half_close_frame ? TD_V_HALF_CLOSE : 0);
    out->first_kinds = out->counted & ~conv->kinds_seen;
    conv->kinds_seen |= out->counted;
}

static bool seen(uint32_t landmark, uint32_t frame)
{
    return landmark && landmark <= frame;
}

/* The state an endpoint is in after a frame, from the landmarks at or before it. */
static td_tcp_state state_at(const td_conv *conv, uint8_t me_index, uint32_t frame)
{
    const td_endpoint *me = &conv->ep[me_index];
    const td_endpoint *peer = &conv->ep[!me_index];
    bool my_fin = seen(me->fin_frame, frame);
    bool peer_fin = seen(peer->fin_frame, frame);
    bool my_fin_acked = seen(peer->fin_ack_frame, frame);

    if (seen(conv->rst_frame, frame))
        return TD_STATE_CLOSED;
    if (!my_fin)
        return peer_fin ? TD_STATE_CLOSE_WAIT : TD_STATE_ESTABLISHED;
    if (!peer_fin)
        return my_fin_acked ? TD_STATE_FIN_WAIT_2 : TD_STATE_FIN_WAIT_1;
    if (conv->simultaneous)
        return my_fin_acked ? TD_STATE_TIME_WAIT : TD_STATE_CLOSING;
    if (conv->closer == me_index)
        return TD_STATE_TIME_WAIT;
    return my_fin_acked ? TD_STATE_CLOSED : TD_STATE_LAST_ACK;
}

bool td_conv_in_teardown(const td_conv *conv, uint32_t frame)
{
    return seen(conv->ep[0].fin_frame, frame) || seen(conv->ep[1].fin_frame, frame) ||
           seen(conv->rst_frame, frame);
}

void td_conv_view(const td_conv *conv, uint8_t endpoint, uint32_t frame, int64_t time_ns,
                  td_view *out)
{
    uint8_t me_index = endpoint & 1;
    const td_endpoint *me = &conv->ep[me_index];
    const td_endpoint *peer = &conv->ep[!me_index];

    memset(out, 0, sizeof *out);
    out->in_teardown = td_conv_in_teardown(conv, frame);
    out->sender_state = state_at(conv, me_index, frame);
    out->receiver_state = state_at(conv, !me_index, frame);
    if (seen(me->fin_ack_frame, frame)) {
        out->fin_ack_frame = me->fin_ack_frame;
        out->time_since_fin_ack_ns = time_ns - conv->wide[me_index].fin_ack_time_ns;
    }
    if (seen(peer->fin_frame, frame))
        out->peer_fin_frame = peer->fin_frame;
}
