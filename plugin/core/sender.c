#include "sender.h"

#include <string.h>

/* Every second full-sized in-order segment is ACKed at once (RFC 1122 4.2.3.2). */
#define TD_ACK_EVERY 2

/* Linux's defaults: net.ipv4.tcp_retries2 and net.ipv4.tcp_keepalive_probes. */
#define TD_RETRIES_MAX 15
#define TD_KEEPALIVE_PROBES 9

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
    s->retries_max = TD_RETRIES_MAX;
    s->keepalive_probes = TD_KEEPALIVE_PROBES;
}

void td_sender_connect(td_sender *s)
{
    s->state = TD_STATE_SYN_SENT;
    s->syn_owed = true;
    s->opened = true;
}

void td_sender_listen(td_sender *s)
{
    s->state = TD_STATE_LISTEN;
    s->opened = true;
}

void td_sender_establish(td_sender *s, uint32_t snd_nxt, uint32_t rcv_nxt, uint32_t peer_window)
{
    s->state = TD_STATE_ESTABLISHED;
    s->opened = true;
    s->snd_una = s->snd_nxt = snd_nxt;
    s->rcv_nxt = rcv_nxt;
    s->peer_window = peer_window;
}

void td_sender_write(td_sender *s, uint32_t bytes)
{
    if (!s->app_closed)
        s->app_unsent += bytes;
}

void td_sender_shutdown(td_sender *s)
{
    s->fin_queued = true;
}

void td_sender_stop_reading(td_sender *s)
{
    s->app_stopped_reading = true;
}

/* The connection no longer exists: nothing more goes out but RSTs. */
static void connection_gone(td_sender *s)
{
    s->state = TD_STATE_CLOSED;
    s->app_unsent = 0;
    s->fin_queued = false;
    s->syn_owed = false;
    s->ack_now = s->delack_armed = false;
    s->resend_owed = s->probe_owed = false;
}

/* The states that hold a connection: its retransmission and keep-alive timers run only here. */
static bool synchronized(td_tcp_state state)
{
    switch (state) {
    case TD_STATE_ESTABLISHED:
    case TD_STATE_FIN_WAIT_1:
    case TD_STATE_FIN_WAIT_2:
    case TD_STATE_CLOSE_WAIT:
    case TD_STATE_CLOSING:
    case TD_STATE_LAST_ACK:
        return true;
    default:
        return false;
    }
}

/* A RST the endpoint decides on while it holds the connection (Linux
 * tcp_send_active_reset): RST|ACK at its next sequence number. */
static void send_active_reset(td_sender *s, td_rst_cause reason)
{
    memset(&s->rst, 0, sizeof s->rst);
    s->rst.seq = s->snd_nxt;
    s->rst.ack = s->rcv_nxt;
    s->rst.window = s->window;
    s->rst.flags = TD_RST | TD_ACK;
    s->rst_reason = reason;
    s->rst_owed = true;
    connection_gone(s);
}

void td_sender_abort(td_sender *s)
{
    /* Linux resets only from these states; in CLOSING or LAST-ACK it just lets go. */
    bool resets = s->state == TD_STATE_ESTABLISHED || s->state == TD_STATE_CLOSE_WAIT ||
                  s->state == TD_STATE_FIN_WAIT_1 || s->state == TD_STATE_FIN_WAIT_2 ||
                  s->state == TD_STATE_SYN_RECEIVED;
    s->app_closed = true;
    if (resets)
        send_active_reset(s, TD_RST_CAUSE_ABORT);
    else
        connection_gone(s);
}

void td_sender_close(td_sender *s)
{
    if (s->unread) {
        td_sender_abort(s);
        return;
    }
    s->app_closed = true;
    s->fin_queued = true;
}

/* Does this pure ACK of the FIN acknowledge nothing the endpoint is waiting for? After
 * its close completed, every transmission of its FIN already has its ACK. */
static bool answers_nothing(const td_sender *s, const td_tcp *in)
{
    return s->close_completed && td_tcp_is_pure_ack(in) && in->ack == s->fin_seq + 1 &&
           s->fin_acks_seen > s->fins_sent;
}

/* Why a closed endpoint answers with a RST: the first reason that fits. */
static td_rst_cause no_connection_reason(const td_sender *s, const td_tcp *in)
{
    if ((in->flags & (TD_SYN | TD_ACK)) == TD_SYN && !s->opened)
        return TD_RST_CAUSE_REFUSED;
    if (s->rsts_sent || s->rst_owed)
        return TD_RST_CAUSE_NO_CONNECTION;
    if (s->app_closed && !s->peer_fin_seen && in->len &&
        td_seq_after(in->seq + in->len, s->rcv_nxt))
        return TD_RST_CAUSE_DATA_AFTER_CLOSE;
    if (answers_nothing(s, in))
        return TD_RST_CAUSE_SPURIOUS_ACK;
    return TD_RST_CAUSE_NO_CONNECTION;
}

/* RFC 9293 3.10.7.1: what an endpoint without the connection answers (Linux
 * tcp_v4_send_reset: window 0). */
static void owe_rst(td_sender *s, const td_tcp *in)
{
    if (in->flags & TD_RST)
        return;
    s->rst_reason = no_connection_reason(s, in);
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
    case TD_STATE_LAST_ACK:
        s->state = TD_STATE_CLOSED;
        s->close_completed = true;
        break;
    default: break;
    }
}

static void peer_fin_arrived(td_sender *s)
{
    s->peer_fin_seen = true;
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
        if (td_tcp_needs_ack(in, s->rcv_nxt)) {
            s->ack_now = true;
            if (s->peer_fin_acked)
                s->unanswered++;
        }
        return;
    }
    if (in->len && peer_can_send(s->state)) {
        s->rcv_nxt += in->len;
        s->bytes_received += in->len;
        if (s->app_stopped_reading)
            s->unread += in->len;
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
    bool acks_our_fin = s->fin_sent && (in->flags & TD_ACK) && in->ack == s->fin_seq + 1;

    if (acks_our_fin)
        s->fin_acks_seen++;
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
        if ((in->flags & (TD_RST | TD_ACK)) == (TD_RST | TD_ACK) && in->ack == s->iss + 1) {
            s->reset = true; /* refused */
            connection_gone(s);
            return;
        }
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
        s->resend_owed = s->probe_owed = false;
        return;
    }
    s->probes_out = 0; /* the peer is alive */
    if (in->flags & TD_ACK) {
        if ((int32_t)(in->ack - s->snd_una) > 0 && (int32_t)(in->ack - s->snd_nxt) <= 0) {
            s->snd_una = in->ack;
            s->retransmissions = 0;
            s->resend_owed = false;
        }
        s->peer_window = in->window;
        if (s->state == TD_STATE_SYN_RECEIVED && in->ack == s->iss + 1)
            s->state = TD_STATE_ESTABLISHED;
        if (acks_our_fin)
            our_fin_acked(s);
    }
    /* New payload after close(): the application will never read it (Linux
     * TCP_ABORT_ON_DATA answers it as a stack without the connection would). */
    if (s->app_closed && (s->state == TD_STATE_FIN_WAIT_1 || s->state == TD_STATE_FIN_WAIT_2) &&
        in->len && td_seq_after(in->seq + in->len, s->rcv_nxt)) {
        owe_rst(s, in);
        connection_gone(s);
        return;
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
        s->fins_sent++;
        s->fin_sent = true;
        s->fin_seq = s->snd_nxt;
        s->snd_nxt++;
        s->state = s->state == TD_STATE_CLOSE_WAIT ? TD_STATE_LAST_ACK : TD_STATE_FIN_WAIT_1;
    }
    return true;
}

/* The oldest unacknowledged segment again: data from snd_una, and the FIN if it fits. */
static void emit_retransmission(td_sender *s, td_tcp *out)
{
    bool fin_out = s->fin_sent && !td_seq_after(s->snd_una, s->fin_seq);
    uint32_t data_out = s->snd_nxt - s->snd_una - (fin_out ? 1 : 0);
    uint32_t len = data_out < s->mss ? data_out : s->mss;

    memset(out, 0, sizeof *out);
    out->seq = s->snd_una;
    out->len = len;
    out->flags = TD_ACK | (len ? TD_PSH : 0);
    if (fin_out && len == data_out) {
        out->flags |= TD_FIN;
        s->fins_sent++;
    }
    fill_ack_fields(s, out);
}

/* A keep-alive probe: one below the next sequence number, nothing new (RFC 9293 3.8.4). */
static void emit_probe(td_sender *s, td_tcp *out)
{
    memset(out, 0, sizeof *out);
    out->seq = s->snd_una - 1;
    out->flags = TD_ACK;
    fill_ack_fields(s, out);
}

bool td_sender_ack_answers_nothing(const td_sender *s)
{
    return !td_policy_sends_pure_ack(TD_POLICY_FIXED, s->peer_fin_acked, s->unanswered > 0);
}

bool td_sender_output(td_sender *s, td_tcp *out)
{
    if (s->rst_owed) {
        *out = s->rst;
        s->rst_owed = false;
        s->rsts_sent++;
        return true;
    }
    if (s->resend_owed || s->probe_owed) {
        if (s->resend_owed)
            emit_retransmission(s, out);
        else
            emit_probe(s, out);
        s->resend_owed = s->probe_owed = false;
        note_ack_sent(s, false);
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

void td_sender_retransmit_timeout(td_sender *s)
{
    if (!synchronized(s->state) || s->snd_una == s->snd_nxt)
        return;
    if (s->retransmissions >= s->retries_max) {
        send_active_reset(s, TD_RST_CAUSE_RETRANSMISSION_TIMEOUT);
        return;
    }
    s->retransmissions++;
    s->resend_owed = true;
}

void td_sender_keepalive_timeout(td_sender *s)
{
    /* Linux probes only a connection with nothing in flight and nothing queued. */
    if (!synchronized(s->state) || s->snd_una != s->snd_nxt || s->app_unsent)
        return;
    if (s->probes_out >= s->keepalive_probes) {
        send_active_reset(s, TD_RST_CAUSE_RETRANSMISSION_TIMEOUT);
        return;
    }
    s->probes_out++;
    s->probe_owed = true;
}

void td_sender_fin_wait_2_timeout(td_sender *s)
{
    if (s->state == TD_STATE_FIN_WAIT_2 && s->app_closed)
        connection_gone(s);
}
