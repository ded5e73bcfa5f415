/* Every way the sender model ends a connection with a RST, checked against the detector:
 * two model endpoints play the close, every segment goes to the detector as a capture
 * between them would show it, and the cause the detector gives each RST must be the one
 * the model acted on (td_sender.rst_reason when it sent it). The model knows why; the
 * detector only sees the wire. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detector.h"
#include "sender.h"

enum { CLIENT = 0, SERVER = 1 };

#define MAX_SEGMENTS 128
#define MSS 1000
#define WINDOW 8192
#define REQUEST 300
#define RESPONSE 2500
#define CLIENT_ISS 5000u
#define SERVER_ISS 0x90000000u
#define MAX_RSTS 8

typedef struct in_flight {
    uint8_t from;
    td_tcp tcp;
} in_flight;

/* Two endpoints, a FIFO path each way, and the capture of everything sent. */
typedef struct sim {
    td_sender ep[2];
    bool silent[2];  /* the host is gone: it receives and sends nothing */
    in_flight queue[MAX_SEGMENTS];
    size_t head, tail;
    td_segment seg[MAX_SEGMENTS];
    td_rst_cause reason[MAX_SEGMENTS]; /* the model's reason, on its RSTs */
    size_t n;
    int64_t now_ns;
} sim;

static void emit_all(sim *s, uint8_t from)
{
    td_tcp out;
    while (!s->silent[from] && td_sender_output(&s->ep[from], &out)) {
        assert_true(s->n < MAX_SEGMENTS && s->tail < MAX_SEGMENTS);
        td_segment *seg = &s->seg[s->n];
        memset(seg, 0, sizeof *seg);
        s->now_ns += 1000000; /* 1 ms apart: no segment passes for a capture duplicate */
        seg->frame = (uint32_t)s->n + 1;
        seg->time_ns = s->now_ns;
        seg->endpoint = from;
        seg->ip_id = (int32_t)(0x100 * (from + 1) + s->n);
        seg->tcp = out;
        s->reason[s->n] = (out.flags & TD_RST) ? s->ep[from].rst_reason : TD_RST_CAUSE_NONE;
        s->n++;
        s->queue[s->tail++] = (in_flight){from, out};
    }
}

/* Every segment in flight arrives, one at a time, each answer behind what is in flight. */
static void deliver_all(sim *s)
{
    emit_all(s, CLIENT);
    emit_all(s, SERVER);
    while (s->head < s->tail) {
        in_flight f = s->queue[s->head++];
        uint8_t to = (uint8_t)!f.from;
        if (s->silent[to])
            continue;
        td_sender_receive(&s->ep[to], &f.tcp);
        emit_all(s, to);
    }
}

static void delack_timers(sim *s)
{
    for (uint8_t e = 0; e < 2; e++)
        td_sender_delack_timeout(&s->ep[e]);
    deliver_all(s);
}

static void start(sim *s, td_policy policy, bool server_listens)
{
    memset(s, 0, sizeof *s);
    td_sender_init(&s->ep[CLIENT], policy, CLIENT_ISS, MSS, WINDOW);
    td_sender_init(&s->ep[SERVER], policy, SERVER_ISS, MSS, WINDOW);
    if (server_listens)
        td_sender_listen(&s->ep[SERVER]);
    td_sender_connect(&s->ep[CLIENT]);
    deliver_all(s);
}

/* The handshake, a request and its response, everything acknowledged; both still open. */
static void open_and_answer(sim *s)
{
    start(s, TD_POLICY_FIXED, true);
    assert_int_equal(s->ep[SERVER].state, TD_STATE_ESTABLISHED);
    td_sender_write(&s->ep[CLIENT], REQUEST);
    deliver_all(s);
    td_sender_write(&s->ep[SERVER], RESPONSE);
    deliver_all(s);
    delack_timers(s);
}

/* The detector's cause of every RST must be the model's reason, and the model's reasons
 * must be the expected ones, in order. */
static void expect_causes(const sim *s, const td_rst_cause *expected, size_t count)
{
    td_conv conv;
    size_t rsts = 0;

    td_conv_init(&conv);
    for (size_t i = 0; i < s->n; i++) {
        td_outcome out;
        td_conv_feed(&conv, &s->seg[i], &out);
        if (!(s->seg[i].tcp.flags & TD_RST)) {
            assert_int_equal(out.rst_cause, TD_RST_CAUSE_NONE);
            continue;
        }
        assert_true(rsts < count);
        if (s->reason[i] != expected[rsts])
            fail_msg("frame %zu: the model sent its RST for %s, expected %s", i + 1,
                     td_rst_cause_lookup(s->reason[i]) ? td_rst_cause_lookup(s->reason[i])->name : "none",
                     td_rst_cause_lookup(expected[rsts])->name);
        if (out.rst_cause != s->reason[i])
            fail_msg("frame %zu: the model sent its RST for %s, the detector says %s", i + 1,
                     td_rst_cause_lookup(s->reason[i])->name,
                     td_rst_cause_lookup(out.rst_cause) ? td_rst_cause_lookup(out.rst_cause)->name : "none");
        rsts++;
    }
    assert_int_equal(rsts, count);
}

/* The last segment of the capture, which must be a RST from the given endpoint. */
static const td_tcp *last_rst(const sim *s, uint8_t from)
{
    assert_true(s->n > 0);
    const td_segment *seg = &s->seg[s->n - 1];
    assert_int_equal(seg->endpoint, from);
    assert_true(seg->tcp.flags & TD_RST);
    return &seg->tcp;
}

static void refused(void **state)
{
    (void)state;
    sim s;
    start(&s, TD_POLICY_FIXED, false);
    assert_int_equal(s.n, 2);
    const td_tcp *rst = last_rst(&s, SERVER);
    assert_int_equal(rst->flags, TD_RST | TD_ACK);
    assert_int_equal(rst->seq, 0);
    assert_int_equal(rst->ack, CLIENT_ISS + 1);
    assert_true(s.ep[CLIENT].reset);
    static const td_rst_cause want[] = {TD_RST_CAUSE_REFUSED};
    expect_causes(&s, want, 1);
}

static void abort_linger0(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    uint32_t snd_nxt = s.ep[CLIENT].snd_nxt, rcv_nxt = s.ep[CLIENT].rcv_nxt;
    td_sender_abort(&s.ep[CLIENT]);
    deliver_all(&s);
    const td_tcp *rst = last_rst(&s, CLIENT);
    assert_int_equal(rst->flags, TD_RST | TD_ACK);
    assert_int_equal(rst->seq, snd_nxt);
    assert_int_equal(rst->ack, rcv_nxt);
    assert_true(s.ep[SERVER].reset);
    static const td_rst_cause want[] = {TD_RST_CAUSE_ABORT};
    expect_causes(&s, want, 1);
}

/* close() with data in the receive queue the application never read: RST, not FIN. */
static void abort_unread(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    td_sender_stop_reading(&s.ep[SERVER]);
    td_sender_write(&s.ep[CLIENT], 200);
    deliver_all(&s);
    delack_timers(&s);
    assert_int_equal(s.ep[SERVER].unread, 200);
    td_sender_close(&s.ep[SERVER]);
    deliver_all(&s);
    const td_tcp *rst = last_rst(&s, SERVER);
    assert_int_equal(rst->flags, TD_RST | TD_ACK);
    assert_false(s.ep[SERVER].fin_sent);
    static const td_rst_cause want[] = {TD_RST_CAUSE_ABORT};
    expect_causes(&s, want, 1);
}

/* The server closes; the client sends `segments` segments afterwards, all at once. */
static void play_data_after_close(sim *s, unsigned segments)
{
    open_and_answer(s);
    td_sender_close(&s->ep[SERVER]);
    deliver_all(s);
    assert_int_equal(s->ep[SERVER].state, TD_STATE_FIN_WAIT_2);
    td_sender_write(&s->ep[CLIENT], segments * MSS);
    deliver_all(s);
    assert_true(s->ep[CLIENT].reset);
}

static void data_after_close(void **state)
{
    (void)state;
    sim s;
    play_data_after_close(&s, 1);
    const td_tcp *rst = last_rst(&s, SERVER);
    assert_int_equal(rst->flags, TD_RST); /* as a stack without the connection answers */
    assert_int_equal(rst->seq, s.ep[SERVER].fin_seq + 1);
    assert_int_equal(rst->window, 0);
    static const td_rst_cause want[] = {TD_RST_CAUSE_DATA_AFTER_CLOSE};
    expect_causes(&s, want, 1);
}

/* One RST per segment: the first resets on the data, the later ones find no connection. */
static void data_after_close_burst(void **state)
{
    (void)state;
    sim s;
    play_data_after_close(&s, 3);
    static const td_rst_cause want[] = {TD_RST_CAUSE_DATA_AFTER_CLOSE,
                                        TD_RST_CAUSE_NO_CONNECTION, TD_RST_CAUSE_NO_CONNECTION};
    expect_causes(&s, want, 3);
}

/* FIN-WAIT-2 runs out before the peer's FIN: the late FIN finds no connection. */
static void fin_wait_2_ran_out(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    td_sender_close(&s.ep[SERVER]);
    deliver_all(&s);
    size_t before = s.n;
    td_sender_fin_wait_2_timeout(&s.ep[SERVER]);
    deliver_all(&s);
    assert_int_equal(s.n, before); /* it goes without a word */
    assert_int_equal(s.ep[SERVER].state, TD_STATE_CLOSED);
    td_sender_shutdown(&s.ep[CLIENT]);
    deliver_all(&s);
    const td_tcp *rst = last_rst(&s, SERVER);
    assert_int_equal(rst->flags, TD_RST);
    static const td_rst_cause want[] = {TD_RST_CAUSE_NO_CONNECTION};
    expect_causes(&s, want, 1);
}

/* Data after FIN-WAIT-2 ran out is still data after close (the contract says so). */
static void data_after_fin_wait_2_ran_out(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    td_sender_close(&s.ep[SERVER]);
    deliver_all(&s);
    td_sender_fin_wait_2_timeout(&s.ep[SERVER]);
    td_sender_write(&s.ep[CLIENT], REQUEST);
    deliver_all(&s);
    static const td_rst_cause want[] = {TD_RST_CAUSE_DATA_AFTER_CLOSE};
    expect_causes(&s, want, 1);
}

/* The server's host restarts and forgets the connection: the client's next request is
 * answered as by a stack that never had it. */
static void restarted_host(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    td_sender_init(&s.ep[SERVER], TD_POLICY_FIXED, SERVER_ISS, MSS, WINDOW);
    td_sender_write(&s.ep[CLIENT], REQUEST);
    deliver_all(&s);
    const td_tcp *rst = last_rst(&s, SERVER);
    assert_int_equal(rst->flags, TD_RST);
    assert_int_equal(rst->seq, s.seg[s.n - 2].tcp.ack);
    assert_true(s.ep[CLIENT].reset);
    static const td_rst_cause want[] = {TD_RST_CAUSE_NO_CONNECTION};
    expect_causes(&s, want, 1);
}

static void retransmission_timeout(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    s.silent[SERVER] = true;
    s.ep[CLIENT].retries_max = 3;
    td_sender_write(&s.ep[CLIENT], REQUEST);
    deliver_all(&s);
    size_t original = s.n - 1;
    for (int i = 0; i < 4; i++) {
        td_sender_retransmit_timeout(&s.ep[CLIENT]);
        deliver_all(&s);
    }
    assert_int_equal(s.n, original + 5); /* three copies, then the RST */
    for (size_t i = original + 1; i < original + 4; i++) {
        assert_int_equal(s.seg[i].tcp.seq, s.seg[original].tcp.seq);
        assert_int_equal(s.seg[i].tcp.len, REQUEST);
    }
    const td_tcp *rst = last_rst(&s, CLIENT);
    assert_int_equal(rst->flags, TD_RST | TD_ACK);
    assert_int_equal(rst->seq, s.ep[CLIENT].snd_nxt);
    static const td_rst_cause want[] = {TD_RST_CAUSE_RETRANSMISSION_TIMEOUT};
    expect_causes(&s, want, 1);
}

static void keepalive_timeout(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    s.silent[SERVER] = true;
    s.ep[CLIENT].keepalive_probes = 3;
    uint32_t snd_nxt = s.ep[CLIENT].snd_nxt;
    size_t first = s.n;
    for (int i = 0; i < 4; i++) {
        td_sender_keepalive_timeout(&s.ep[CLIENT]);
        deliver_all(&s);
    }
    assert_int_equal(s.n, first + 4);
    for (size_t i = first; i < first + 3; i++) {
        assert_int_equal(s.seg[i].tcp.seq, snd_nxt - 1);
        assert_int_equal(s.seg[i].tcp.len, 0);
    }
    const td_tcp *rst = last_rst(&s, CLIENT);
    assert_int_equal(rst->flags, TD_RST | TD_ACK);
    assert_int_equal(rst->seq, snd_nxt);
    static const td_rst_cause want[] = {TD_RST_CAUSE_RETRANSMISSION_TIMEOUT};
    expect_causes(&s, want, 1);
}

/* An answered probe keeps the connection: no RST however often the timer fires. */
static void keepalive_answered(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    s.ep[CLIENT].keepalive_probes = 3;
    size_t first = s.n;
    for (int i = 0; i < 6; i++) {
        td_sender_keepalive_timeout(&s.ep[CLIENT]);
        deliver_all(&s);
    }
    assert_int_equal(s.n, first + 12); /* probe and answer, six times */
    assert_int_equal(s.ep[CLIENT].state, TD_STATE_ESTABLISHED);
    expect_causes(&s, NULL, 0);
}

/* The server's FIN is retransmitted before the client's ACK reaches it (FIN, FIN, ACK,
 * ACK): the second ACK answers the copy, so the RST that meets it is not provoked by a
 * spurious ACK; the server, closed by the first, holds no connection for it. */
static void fin_copy_crosses_acks(void **state)
{
    (void)state;
    sim s;
    open_and_answer(&s);
    td_sender_shutdown(&s.ep[CLIENT]);
    deliver_all(&s);
    td_sender_close(&s.ep[SERVER]);
    emit_all(&s, SERVER);
    td_sender_retransmit_timeout(&s.ep[SERVER]);
    emit_all(&s, SERVER);
    assert_int_equal(s.seg[s.n - 1].tcp.flags, TD_FIN | TD_ACK);
    assert_int_equal(s.seg[s.n - 2].tcp.flags, TD_FIN | TD_ACK);
    assert_int_equal(s.ep[SERVER].fins_sent, 2);
    deliver_all(&s);
    last_rst(&s, SERVER);
    static const td_rst_cause want[] = {TD_RST_CAUSE_NO_CONNECTION};
    expect_causes(&s, want, 1);
}

/* The report's own RST: the closed server answers the client's spurious delayed ACK. */
static void spurious_ack(void **state)
{
    (void)state;
    sim s;
    start(&s, TD_POLICY_NT351, true);
    td_sender_write(&s.ep[CLIENT], REQUEST);
    td_sender_shutdown(&s.ep[CLIENT]);
    deliver_all(&s);
    td_sender_write(&s.ep[SERVER], RESPONSE);
    td_sender_close(&s.ep[SERVER]);
    deliver_all(&s);
    delack_timers(&s);
    last_rst(&s, SERVER);
    static const td_rst_cause want[] = {TD_RST_CAUSE_SPURIOUS_ACK};
    expect_causes(&s, want, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused),
        cmocka_unit_test(abort_linger0),
        cmocka_unit_test(abort_unread),
        cmocka_unit_test(data_after_close),
        cmocka_unit_test(data_after_close_burst),
        cmocka_unit_test(fin_wait_2_ran_out),
        cmocka_unit_test(data_after_fin_wait_2_ran_out),
        cmocka_unit_test(restarted_host),
        cmocka_unit_test(retransmission_timeout),
        cmocka_unit_test(keepalive_timeout),
        cmocka_unit_test(keepalive_answered),
        cmocka_unit_test(spurious_ack),
        cmocka_unit_test(fin_copy_crosses_acks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
