#include "sender.h"

#include <string.h>

/* Every second full-sized in-order segment is ACKed at once (RFC 1122 4.2.3.2). */
#define TD_ACK_EVERY 2

void td_sender_init(td_sender *s, td_policy policy, uint32_t iss, uint32_t mss, uint16_t window)
{
    memset(s, 0, sizeof *s);
    s->policy = policy;
    s->state = TD_STATE_CLOSED;
    s->iss = iss;
    s->snd_una = s->snd_nxt = iss;
    s->mss = mss ? mss : 1460;
    s->window = window;
    s->peer_window = window;
}

void td_sender_connect(td_sender *s)
{
    s->state = TD_STATE_SYN_SENT;
    s->syn_owed = true;
}

void td_sender_listen(td_sender *s)
{
    s->state = TD_STATE_LISTEN;
}

void td_sender_establish(td_sender *s, uint32_t snd_nxt, uint32_t rcv_nxt, uint32_t peer_window)
{
    s->state = TD_STATE_ESTABLISHED;
    s->snd_una = s->snd_nxt = snd_nxt;
    s->rcv_nxt = rcv_nxt;
    s->peer_window = peer_window;
}

void td_sender_write(td_sender *s, uint32_t bytes)
{
    s->app_unsent += bytes;
}

void td_sender_shutdown(td_sender *s)
{
    s->fin_queued = true;
}

/* RFC 9293 3.10.7.1: what a closed endpoint answers. */
static void owe_rst(td_sender *s, const td_tcp *in)
{
    if (in->flags & TD_RST)
        return;
    memset(&s->rst, 0, sizeof s->rst);
    if (in->flags & TD_ACK) {
        s->rst.seq = in->ack;
        s->rst.flags = TD_RST;
    } else {
        s->rst.ack = in->seq + in->len + !!(in->flags & TD_SYN) + !!(in->flags & TD_FIN);
        s->rst.flags = TD_RST | TD_ACK;
    }
    s->rst_owed = true;
}

static void our_fin_acked(td_sender *s)
{
    switch (s->state) {
    case TD_STATE_FIN_WAIT_1: s->state = TD_STATE_FIN_WAIT_2; break;
    case TD_STATE_CLOSING: s->state = TD_STATE_TIME_WAIT; break;
    case TD_STATE_LAST_ACK: s->state = TD_STATE_CLOSED; break;
    default: break;
    }
}

static void peer_fin_arrived(td_sender *s)
{
    switch (s->state) {
    case TD_STATE_ESTABLISHED: s->state = TD_STATE_CLOSE_WAIT; break;
    case TD_STATE_FIN_WAIT_1: s->state = TD_STATE_CLOSING; break;
    case TD_STATE_FIN_WAIT_2: s->state = TD_STATE_TIME_WAIT; break;
    default: break;
    }
}

static bool peer_can_send(td_tcp_state state)
{
    return state == TD_STATE_ESTABLISHED || state == TD_STATE_FIN_WAIT_1 ||
           state == TD_STATE_FIN_WAIT_2;
}

static void receive_in_window(td_sender *s, const td_tcp *in)
{
    bool fin = in->flags & TD_FIN;

    if (in->seq != s->rcv_nxt) {
        /* Old or out of order: a retransmitted FIN, a keep-alive, a gap. Say where we are. */
        if (in->len || fin || in->seq + 1 == s->rcv_nxt) {
            s->ack_now = true;
            if (s->peer_fin_acked)
                s->unanswered++;
        }
        return;
    }
    if (in->len && peer_can_send(s->state)) {
        s->rcv_nxt += in->len;
        s->bytes_received += in->len;
        if (s->peer_fin_acked)
            s->unanswered++;
        if (++s->segs_unacked >= TD_ACK_EVERY)
            s->ack_now = true;
        else
            s->delack_armed = true;
    }
    if (fin) {
        s->rcv_nxt++;
        peer_fin_arrived(s);
        s->ack_now = true; /* a FIN is ACKed at once, on its own path: the timer stays as it is */
    }
}

void td_sender_receive(td_sender *s, const td_tcp *in)
{
    switch (s->state) {
    case TD_STATE_CLOSED:
        owe_rst(s, in);
        return;
    case TD_STATE_LISTEN:
        if ((in->flags & (TD_SYN | TD_ACK | TD_RST)) == TD_SYN) {
            s->rcv_nxt = in->seq + 1;
            s->peer_window = in->window;
            s->state = TD_STATE_SYN_RECEIVED;
            s->syn_owed = true;
        }
        return;
    case TD_STATE_SYN_SENT:
        if ((in->flags & (TD_SYN | TD_ACK)) == (TD_SYN | TD_ACK) && in->ack == s->iss + 1) {
            s->rcv_nxt = in->seq + 1;
            s->snd_una = in->ack;
            s->peer_window = in->window;
            s->state = TD_STATE_ESTABLISHED;
            s->ack_now = true;
        }
        return;
    default:
        break;
    }
    if (in->flags & TD_RST) {
        s->state = TD_STATE_CLOSED;
        s->reset = true;
        s->app_unsent = 0;
        s->ack_now = s->delack_armed = false;
        return;
    }
    if (in->flags & TD_ACK) {
        if ((int32_t)(in->ack - s->snd_una) > 0 && (int32_t)(in->ack - s->snd_nxt) <= 0)
            s->snd_una = in->ack;
        s->peer_window = in->window;
        if (s->state == TD_STATE_SYN_RECEIVED && in->ack == s->iss + 1)
            s->state = TD_STATE_ESTABLISHED;
        if (s->fin_sent && in->ack == s->fin_seq + 1)
            our_fin_acked(s);
    }
    if (s->state != TD_STATE_CLOSED)
        receive_in_window(s, in);
}

static void fill_ack_fields(td_sender *s, td_tcp *out)
{
    out->ack = s->rcv_nxt;
    out->window = s->window;
}

/* The one place a pure ACK is decided: the policy has the last word. */
static bool emit_pure_ack(td_sender *s, td_tcp *out)
{
    if (!td_policy_sends_pure_ack(s->policy, s->peer_fin_acked, s->unanswered > 0))
        return false;
    memset(out, 0, sizeof *out);
    out->seq = s->snd_nxt;
    out->flags = TD_ACK;
    fill_ack_fields(s, out);
    s->pure_acks_sent++;
    if (s->unanswered)
        s->unanswered--;
    return true;
}

/* Anything that carries an ACK: record what it acknowledged. The immediate ACK of a
 * FIN does not stop the delayed-ACK timer; any other ACK does. */
static void note_ack_sent(td_sender *s, bool acks_fin_only)
{
    bool peer_fin_in = s->state == TD_STATE_CLOSE_WAIT || s->state == TD_STATE_LAST_ACK ||
                       s->state == TD_STATE_CLOSING || s->state == TD_STATE_TIME_WAIT ||
                       (s->state == TD_STATE_CLOSED && !s->reset);
    if (peer_fin_in)
        s->peer_fin_acked = true;
    s->ack_now = false;
    s->segs_unacked = 0;
    if (!acks_fin_only)
        s->delack_armed = false;
}

static bool emit_data_or_fin(td_sender *s, td_tcp *out)
{
    uint32_t in_flight = s->snd_nxt - s->snd_una;
    uint32_t room = s->peer_window > in_flight ? s->peer_window - in_flight : 0;
    uint32_t len = s->app_unsent < s->mss ? s->app_unsent : s->mss;
    bool fin_after = s->fin_queued && !s->fin_sent && len == s->app_unsent;

    if (len > room)
        len = room, fin_after = false;
    if (len == 0 && !fin_after)
        return false;
    memset(out, 0, sizeof *out);
    out->seq = s->snd_nxt;
    out->len = len;
    out->flags = TD_ACK | (len ? TD_PSH : 0);
    fill_ack_fields(s, out);
    s->snd_nxt += len;
    s->app_unsent -= len;
    if (fin_after) {
        out->flags |= TD_FIN;
        s->fin_sent = true;
        s->fin_seq = s->snd_nxt;
        s->snd_nxt++;
        s->state = s->state == TD_STATE_CLOSE_WAIT ? TD_STATE_LAST_ACK : TD_STATE_FIN_WAIT_1;
    }
    return true;
}

bool td_sender_output(td_sender *s, td_tcp *out)
{
    if (s->rst_owed) {
        *out = s->rst;
        s->rst_owed = false;
        return true;
    }
    if (s->syn_owed) {
        memset(out, 0, sizeof *out);
        out->seq = s->iss;
        out->window = s->window;
        out->flags = TD_SYN;
        if (s->state == TD_STATE_SYN_RECEIVED) {
            out->flags |= TD_ACK;
            out->ack = s->rcv_nxt;
        }
        s->snd_nxt = s->iss + 1;
        s->syn_owed = false;
        return true;
    }
    switch (s->state) {
    case TD_STATE_ESTABLISHED:
    case TD_STATE_CLOSE_WAIT:
        if (emit_data_or_fin(s, out)) {
            note_ack_sent(s, false);
            return true;
        }
        break;
    case TD_STATE_LISTEN:
    case TD_STATE_SYN_SENT:
    case TD_STATE_SYN_RECEIVED:
        return false;
    case TD_STATE_CLOSED:
        if (s->reset)
            return false;
        break;
    default:
        break;
    }
    if (!s->ack_now)
        return false;
    bool fin_only = s->peer_fin_acked == false &&
                    (s->state == TD_STATE_CLOSE_WAIT || s->state == TD_STATE_CLOSING ||
                     s->state == TD_STATE_TIME_WAIT || s->state == TD_STATE_LAST_ACK);
    s->ack_now = false;
    if (!emit_pure_ack(s, out))
        return false;
    note_ack_sent(s, fin_only);
    return true;
}

void td_sender_delack_timeout(td_sender *s)
{
    if (!s->delack_armed)
        return;
    s->delack_armed = false;
    s->ack_now = true;
}
