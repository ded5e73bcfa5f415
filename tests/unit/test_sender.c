/* Two modelled endpoints play the Q152474 conversation, and the detector reads what
 * went over the wire. The model and the detector share only the policy rule, so each
 * checks the other: the broken stack must produce exactly the pattern the detector
 * flags, and the fixed stack nothing it would flag. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detector.h"
#include "sender.h"
#include "stack_policy.h"

enum { CLIENT = 0, SERVER = 1 };

#define MAX_SEGMENTS 128
#define MSS 1000
#define WINDOW 8192
#define REQUEST 100
#define RESPONSE 2500 /* three segments: X ACKs the second at once, the third only by timer */
#define CLIENT_ISS 1000u
#define SERVER_ISS (UINT32_MAX - 1500u) /* the response crosses 2^32 */
#define WIRE_NS INT64_C(1000000)
#define DELACK_NS INT64_C(200000000)

typedef struct in_flight {
    uint8_t from;
    td_tcp tcp;
} in_flight;

typedef struct sim {
    td_sender ep[2];
    uint8_t x; /* the endpoint that shuts down first */
    in_flight queue[MAX_SEGMENTS];
    size_t head, tail;
    td_segment seg[MAX_SEGMENTS]; /* everything sent, as a capture would show it */
    size_t n;
    int64_t now_ns;
    int32_t next_id[2];
    bool lose_first_fin_ack; /* X's first ACK of Y's FIN never reaches Y */
    bool lost;
} sim;

static size_t record(sim *s, uint8_t from, const td_tcp *tcp)
{
    assert_true(s->n < MAX_SEGMENTS);
    td_segment *seg = &s->seg[s->n];
    memset(seg, 0, sizeof *seg);
    s->now_ns += WIRE_NS;
    seg->frame = (uint32_t)s->n + 1;
    seg->time_ns = s->now_ns;
    seg->endpoint = from;
    seg->ip_id = s->next_id[from]++;
    seg->tcp = *tcp;
    return s->n++;
}

static void send_segment(sim *s, uint8_t from, const td_tcp *tcp)
{
    record(s, from, tcp);
    assert_true(s->tail < MAX_SEGMENTS);
    s->queue[s->tail++] = (in_flight){from, *tcp};
}

static void emit_all(sim *s, uint8_t from)
{
    td_tcp out;
    while (td_sender_output(&s->ep[from], &out))
        send_segment(s, from, &out);
}

static bool acks_y_fin(const sim *s, const in_flight *f)
{
    const td_sender *y = &s->ep[!s->x];
    return f->from == s->x && y->fin_sent && (f->tcp.flags & TD_ACK) &&
           f->tcp.ack == y->fin_seq + 1;
}

/* In order, one segment at a time, each answer queued behind what is already in flight. */
static void deliver_all(sim *s)
{
    while (s->head < s->tail) {
        in_flight f = s->queue[s->head++];
        if (s->lose_first_fin_ack && !s->lost && acks_y_fin(s, &f)) {
            s->lost = true;
            continue;
        }
        td_sender_receive(&s->ep[!f.from], &f.tcp);
        emit_all(s, (uint8_t)!f.from);
    }
}

static void app_step(sim *s, uint8_t who)
{
    emit_all(s, who);
    deliver_all(s);
}

static void delack_timers_fire(sim *s)
{
    s->now_ns += DELACK_NS;
    for (uint8_t e = 0; e < 2; e++) {
        td_sender_delack_timeout(&s->ep[e]);
        emit_all(s, e);
    }
    deliver_all(s);
}

typedef struct variant {
    td_policy policy;
    uint8_t x;                /* the endpoint that shuts down first */
    bool mid_stream;          /* already ESTABLISHED, no handshake */
    bool fin_with_request;    /* X's application shuts down before its stack sends */
    uint32_t response;        /* bytes Y writes after X's FIN */
    bool fin_with_response;   /* Y's application closes before its stack sends */
    bool think;               /* Y's timers fire before it answers */
    bool lose_first_fin_ack;
} variant;

/* The KB's exposed conversation: X writes its request and shuts down sending; Y reads to
 * the end, writes a response of several segments and closes. */
static void play_variant(sim *s, const variant *v)
{
    uint8_t x = v->x, y = (uint8_t)!v->x;

    memset(s, 0, sizeof *s);
    s->x = x;
    s->lose_first_fin_ack = v->lose_first_fin_ack;
    s->next_id[CLIENT] = 0x100;
    s->next_id[SERVER] = 0x4000;
    td_sender_init(&s->ep[CLIENT], v->policy, CLIENT_ISS, MSS, WINDOW);
    td_sender_init(&s->ep[SERVER], v->policy, SERVER_ISS, MSS, WINDOW);
    if (v->mid_stream) {
        td_sender_establish(&s->ep[CLIENT], CLIENT_ISS + 1, SERVER_ISS + 1, WINDOW);
        td_sender_establish(&s->ep[SERVER], SERVER_ISS + 1, CLIENT_ISS + 1, WINDOW);
    } else {
        td_sender_listen(&s->ep[SERVER]);
        td_sender_connect(&s->ep[CLIENT]);
        app_step(s, CLIENT);
    }
    assert_int_equal(s->ep[CLIENT].state, TD_STATE_ESTABLISHED);
    assert_int_equal(s->ep[SERVER].state, TD_STATE_ESTABLISHED);

    td_sender_write(&s->ep[x], REQUEST);
    if (!v->fin_with_request)
        app_step(s, x);
    td_sender_shutdown(&s->ep[x]);
    app_step(s, x);
    if (v->think)
        delack_timers_fire(s);

    td_sender_write(&s->ep[y], v->response);
    if (!v->fin_with_response)
        app_step(s, y);
    td_sender_shutdown(&s->ep[y]);
    app_step(s, y);
    delack_timers_fire(s);
    delack_timers_fire(s);
}

static void play_from(sim *s, td_policy policy, uint8_t x, bool lose_first_fin_ack,
                      bool mid_stream)
{
    const variant v = {
        .policy = policy,
        .x = x,
        .mid_stream = mid_stream,
        .response = RESPONSE,
        .think = true,
        .lose_first_fin_ack = lose_first_fin_ack,
    };
    play_variant(s, &v);
}

static void play(sim *s, td_policy policy, uint8_t x, bool lose_first_fin_ack)
{
    play_from(s, policy, x, lose_first_fin_ack, false);
}

/* ---- Reading the wire -------------------------------------------------------------- */

typedef struct analysis {
    td_outcome res[MAX_SEGMENTS];
    unsigned count[TD_VERDICT_COUNT];
    size_t x_fin, y_fin;
    unsigned half_closes;
    uint32_t half_close_frame;
} analysis;

static size_t first_fin(const sim *s, uint8_t from)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->seg[i].endpoint == from && (s->seg[i].tcp.flags & TD_FIN))
            return i;
    fail_msg("no FIN from endpoint %u", from);
    return 0;
}

static void analyse(const sim *s, analysis *a)
{
    td_conv conv;

    memset(a, 0, sizeof *a);
    td_conv_init(&conv);
    for (size_t i = 0; i < s->n; i++) {
        td_conv_feed(&conv, &s->seg[i], &a->res[i]);
        for (unsigned b = 0; b < TD_VERDICT_COUNT; b++)
            if (a->res[i].verdicts & (1u << b))
                a->count[b]++;
        if (a->res[i].half_close_frame) {
            a->half_closes++;
            a->half_close_frame = a->res[i].half_close_frame;
        }
    }
    a->x_fin = first_fin(s, s->x);
    a->y_fin = first_fin(s, (uint8_t)!s->x);
}

static unsigned count_of(const analysis *a, uint32_t bit)
{
    for (unsigned b = 0; b < TD_VERDICT_COUNT; b++)
        if (bit == 1u << b)
            return a->count[b];
    fail_msg("not a verdict bit: %#x", bit);
    return 0;
}

static size_t find_verdict(const sim *s, const analysis *a, uint32_t bit)
{
    for (size_t i = 0; i < s->n; i++)
        if (a->res[i].verdicts & bit)
            return i;
    fail_msg("no segment with verdict %s", td_verdict_lookup(bit)->name);
    return 0;
}

static unsigned x_acks_of_y_fin(const sim *s, const analysis *a)
{
    uint32_t want = td_tcp_fin_seq(&s->seg[a->y_fin].tcp) + 1;
    unsigned n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->seg[i].endpoint == s->x && td_tcp_is_pure_ack(&s->seg[i].tcp) &&
            s->seg[i].tcp.ack == want)
            n++;
    return n;
}

static bool any_rst(const sim *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->seg[i].tcp.flags & TD_RST)
            return true;
    return false;
}

/* What holds whichever policy X's stack runs. */
static void expect_common(const sim *s, const analysis *a)
{
    const td_sender *y = &s->ep[!s->x];
    assert_int_equal(a->half_closes, 1);
    assert_int_equal(a->half_close_frame, s->seg[a->x_fin].frame);
    assert_int_equal(y->bytes_received, REQUEST);
    assert_int_equal(s->ep[s->x].bytes_received, RESPONSE);
    assert_int_equal(y->state, TD_STATE_CLOSED);
    assert_int_equal(count_of(a, TD_V_CAPTURE_DUPLICATE), 0);
    assert_int_equal(count_of(a, TD_V_HALF_CLOSE), 0); /* reported as half_close_frame */
}

static void check_nt351(uint8_t x, bool mid_stream)
{
    sim s;
    analysis a;

    play_from(&s, TD_POLICY_NT351, x, false, mid_stream);
    analyse(&s, &a);
    expect_common(&s, &a);

    assert_int_equal(count_of(&a, TD_V_SPURIOUS_ACK), 1);
    assert_int_equal(count_of(&a, TD_V_PROVOKED_RST), 1);
    for (unsigned b = 0; b < TD_VERDICT_COUNT; b++)
        if ((1u << b) != TD_V_SPURIOUS_ACK && (1u << b) != TD_V_PROVOKED_RST)
            assert_int_equal(a.count[b], 0);

    size_t spurious = find_verdict(&s, &a, TD_V_SPURIOUS_ACK);
    size_t r = find_verdict(&s, &a, TD_V_PROVOKED_RST);
    const td_segment *sp = &s.seg[spurious], *rs = &s.seg[r];
    assert_int_equal(sp->endpoint, x);
    assert_true(td_tcp_is_pure_ack(&sp->tcp));
    assert_int_equal(sp->tcp.ack, td_tcp_fin_seq(&s.seg[a.y_fin].tcp) + 1);
    assert_int_equal(a.res[spurious].fixed_sender, TD_FIXED_SENDER_WITHHOLDS);

    /* RFC 9293 3.10.7.1: the closed endpoint's RST takes its seq from the ACK, no ACK bit. */
    assert_int_equal(rs->endpoint, !x);
    assert_int_equal(rs->tcp.flags, TD_RST);
    assert_int_equal(rs->tcp.seq, sp->tcp.ack);
    assert_int_equal(r, spurious + 1);
    assert_int_equal(a.res[r].related_frame, sp->frame);
    assert_int_equal(a.res[r].response_bytes, RESPONSE);
    assert_int_equal(x_acks_of_y_fin(&s, &a), 2);

    /* X's application, still reading, gets the reset. */
    assert_true(s.ep[x].reset);
    assert_int_equal(s.ep[x].state, TD_STATE_CLOSED);
}

static void check_fixed(uint8_t x)
{
    sim s;
    analysis a;

    play(&s, TD_POLICY_FIXED, x, false);
    analyse(&s, &a);
    expect_common(&s, &a);

    for (unsigned b = 0; b < TD_VERDICT_COUNT; b++)
        assert_int_equal(a.count[b], 0);
    assert_false(any_rst(&s));
    assert_int_equal(x_acks_of_y_fin(&s, &a), 1);
    assert_false(s.ep[x].reset);
    assert_int_equal(s.ep[x].state, TD_STATE_TIME_WAIT);
}

static void nt351_client_closes_first(void **state)
{
    (void)state;
    check_nt351(CLIENT, false);
}

static void nt351_server_closes_first(void **state)
{
    (void)state;
    check_nt351(SERVER, false);
}

/* Endpoints already talking when the capture starts, without a handshake. */
static void nt351_mid_stream(void **state)
{
    (void)state;
    check_nt351(CLIENT, true);
    check_nt351(SERVER, true);
}

static void fixed_client_closes_first(void **state)
{
    (void)state;
    check_fixed(CLIENT);
}

static void fixed_server_closes_first(void **state)
{
    (void)state;
    check_fixed(SERVER);
}

/* The fix withholds only what answers nothing: when X's ACK is lost and Y sends its FIN
 * again, the fixed stack must still acknowledge it (RFC 9293, TIME-WAIT). */
static void fixed_still_acks_retransmitted_fin(void **state)
{
    (void)state;
    for (uint8_t x = 0; x < 2; x++) {
        sim s;
        analysis a;

        play(&s, TD_POLICY_FIXED, x, true);
        uint8_t y = (uint8_t)!x;
        assert_true(s.lost);
        assert_int_equal(s.ep[y].state, TD_STATE_LAST_ACK);

        /* The model has no retransmission timer: Y's FIN is sent again by hand. */
        size_t y_fin = first_fin(&s, y);
        td_tcp again = s.seg[y_fin].tcp;
        send_segment(&s, y, &again);
        deliver_all(&s);
        delack_timers_fire(&s);

        analyse(&s, &a);
        expect_common(&s, &a);
        assert_int_equal(count_of(&a, TD_V_FIN_REACK), 1);
        for (unsigned b = 0; b < TD_VERDICT_COUNT; b++)
            if ((1u << b) != TD_V_FIN_REACK)
                assert_int_equal(a.count[b], 0);
        size_t reack = find_verdict(&s, &a, TD_V_FIN_REACK);
        assert_int_equal(s.seg[reack].endpoint, x);
        assert_true(reack > y_fin);
        assert_int_equal(a.res[reack].fixed_sender, TD_FIXED_SENDER_SENDS);
        assert_int_equal(x_acks_of_y_fin(&s, &a), 2);
        assert_false(any_rst(&s));
        assert_false(s.ep[x].reset);
    }
}

/* When the FINs cross, Y is in CLOSING or TIME-WAIT and absorbs the unpatched stack's
 * extra ACK: no RST, and the detector calls it harmless. */
static void nt351_simultaneous_close_extra_ack_is_harmless(void **state)
{
    (void)state;
    sim s;
    analysis a;

    memset(&s, 0, sizeof s);
    s.x = CLIENT;
    s.next_id[CLIENT] = 0x100;
    s.next_id[SERVER] = 0x4000;
    td_sender_init(&s.ep[CLIENT], TD_POLICY_NT351, CLIENT_ISS, MSS, WINDOW);
    td_sender_init(&s.ep[SERVER], TD_POLICY_NT351, SERVER_ISS, MSS, WINDOW);
    td_sender_listen(&s.ep[SERVER]);
    td_sender_connect(&s.ep[CLIENT]);
    app_step(&s, CLIENT);

    /* The server's last bytes ride on its FIN, which leaves the client's timer armed. */
    td_sender_shutdown(&s.ep[CLIENT]);
    td_sender_write(&s.ep[SERVER], REQUEST);
    td_sender_shutdown(&s.ep[SERVER]);
    emit_all(&s, CLIENT);
    emit_all(&s, SERVER);
    deliver_all(&s);
    delack_timers_fire(&s);

    analyse(&s, &a);
    assert_int_equal(count_of(&a, TD_V_SPURIOUS_ACK_HARMLESS), 1);
    for (unsigned b = 0; b < TD_VERDICT_COUNT; b++)
        if ((1u << b) != TD_V_SPURIOUS_ACK_HARMLESS)
            assert_int_equal(a.count[b], 0);
    size_t extra = find_verdict(&s, &a, TD_V_SPURIOUS_ACK_HARMLESS);
    assert_int_equal(s.seg[extra].endpoint, CLIENT);
    assert_int_equal(a.res[extra].fixed_sender, TD_FIXED_SENDER_WITHHOLDS);
    assert_false(any_rst(&s));
    assert_int_equal(s.ep[CLIENT].state, TD_STATE_TIME_WAIT);
    assert_int_equal(s.ep[SERVER].state, TD_STATE_TIME_WAIT);
    assert_int_equal(s.ep[CLIENT].bytes_received, REQUEST);
}

/* Every way the applications can time their writes and shutdowns: the fixed stack never
 * provokes a RST, and each of the unpatched stack's spurious ACKs provokes exactly one,
 * which the detector links back to it. Whether a spurious ACK happens at all depends
 * on the timer, so the count is read off the model, not assumed. */
static void every_variant_model_and_detector_agree(void **state)
{
    (void)state;
    unsigned exposed = 0;
    for (unsigned bits = 0; bits < 32; bits++) {
        for (uint32_t response = 0; response <= 5 * MSS; response += MSS / 2) {
            variant v = {
                .policy = bits & 1 ? TD_POLICY_FIXED : TD_POLICY_NT351,
                .x = bits & 2 ? SERVER : CLIENT,
                .fin_with_request = bits & 4,
                .fin_with_response = bits & 8,
                .think = bits & 16,
                .response = response,
            };
            sim s;
            analysis a;
            play_variant(&s, &v);
            analyse(&s, &a);

            unsigned rsts = 0, spurious = 0, provoked = 0;
            for (size_t i = 0; i < s.n; i++) {
                rsts += (s.seg[i].tcp.flags & TD_RST) != 0;
                if (a.res[i].verdicts & TD_V_SPURIOUS_ACK) {
                    spurious++;
                    assert_int_equal(s.seg[i].endpoint, v.x);
                }
                if (a.res[i].verdicts & TD_V_PROVOKED_RST) {
                    provoked++;
                    assert_true(i > 0);
                    assert_int_equal(a.res[i].related_frame, s.seg[i - 1].frame);
                    assert_true(a.res[i - 1].verdicts & TD_V_SPURIOUS_ACK);
                    assert_int_equal(a.res[i].response_bytes, response);
                }
            }
            assert_int_equal(count_of(&a, TD_V_SPURIOUS_ACK_HARMLESS), 0);
            assert_int_equal(count_of(&a, TD_V_RST_AFTER_CLOSE), 0);
            assert_int_equal(count_of(&a, TD_V_FIN_REACK), 0);
            assert_int_equal(count_of(&a, TD_V_CAPTURE_DUPLICATE), 0);
            assert_int_equal(a.half_closes, response > 0);
            assert_int_equal(s.ep[s.x].bytes_received, response);
            if (v.policy == TD_POLICY_FIXED) {
                assert_int_equal(rsts + spurious, 0);
                assert_false(s.ep[v.x].reset);
            } else {
                assert_int_equal(spurious, provoked);
                assert_int_equal(rsts, provoked);
                assert_int_equal(s.ep[v.x].reset, provoked > 0);
                exposed += provoked;
            }
        }
    }
    assert_true(exposed > 0);
}

static void policy_rule(void **state)
{
    (void)state;
    /* The unpatched stack sends whatever its timer asks for. */
    assert_true(td_policy_sends_pure_ack(TD_POLICY_NT351, true, false));
    assert_true(td_policy_sends_pure_ack(TD_POLICY_NT351, false, false));
    /* The fix: nothing after the FIN's ACK unless something new must be answered. */
    assert_false(td_policy_sends_pure_ack(TD_POLICY_FIXED, true, false));
    assert_true(td_policy_sends_pure_ack(TD_POLICY_FIXED, true, true));
    assert_true(td_policy_sends_pure_ack(TD_POLICY_FIXED, false, false));

    const td_policy all[] = {TD_POLICY_NT351, TD_POLICY_FIXED};
    for (size_t i = 0; i < 2; i++) {
        td_policy back;
        assert_true(td_policy_parse(td_policy_name(all[i]), &back));
        assert_int_equal(back, all[i]);
    }
    td_policy unchanged = TD_POLICY_FIXED;
    assert_false(td_policy_parse("NT351", &unchanged));
    assert_false(td_policy_parse(NULL, &unchanged));
    assert_int_equal(unchanged, TD_POLICY_FIXED);
}

/* Timers and closes only act where a stack would: no probe with data in flight, no
 * retransmission with nothing in flight, no RST from LAST-ACK, nothing written after close. */
static void close_actions_only_where_a_stack_acts(void **state)
{
    (void)state;
    td_sender e;
    td_tcp out;

    td_sender_init(&e, TD_POLICY_FIXED, 100, MSS, WINDOW);
    td_sender_establish(&e, 101, 501, WINDOW);
    td_sender_retransmit_timeout(&e);
    assert_false(td_sender_output(&e, &out));

    td_sender_write(&e, 10);
    assert_true(td_sender_output(&e, &out));
    td_sender_keepalive_timeout(&e);
    assert_false(td_sender_output(&e, &out));
    assert_int_equal(e.probes_out, 0);

    const td_tcp fin = {.seq = 501, .ack = 111, .window = WINDOW, .flags = TD_FIN | TD_ACK};
    td_sender_receive(&e, &fin);
    assert_true(td_sender_output(&e, &out)); /* the ACK of the FIN */
    td_sender_close(&e);
    assert_true(td_sender_output(&e, &out));
    assert_int_equal(out.flags, TD_FIN | TD_ACK);
    assert_int_equal(e.state, TD_STATE_LAST_ACK);
    td_sender_write(&e, 10);
    assert_int_equal(e.app_unsent, 0);
    td_sender_abort(&e);
    assert_false(td_sender_output(&e, &out));
    assert_int_equal(e.state, TD_STATE_CLOSED);
}

/* A refused connect ends the client's attempt; a RST for another SYN does not. */
static void refusal_reaches_the_client(void **state)
{
    (void)state;
    td_sender c;
    td_tcp syn;

    td_sender_init(&c, TD_POLICY_FIXED, 7000, MSS, WINDOW);
    td_sender_connect(&c);
    assert_true(td_sender_output(&c, &syn));
    const td_tcp stray = {.ack = 1234, .flags = TD_RST | TD_ACK};
    td_sender_receive(&c, &stray);
    assert_int_equal(c.state, TD_STATE_SYN_SENT);
    const td_tcp rst = {.ack = syn.seq + 1, .flags = TD_RST | TD_ACK};
    td_sender_receive(&c, &rst);
    assert_true(c.reset);
    assert_int_equal(c.state, TD_STATE_CLOSED);
    assert_false(td_sender_output(&c, &syn));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nt351_client_closes_first),
        cmocka_unit_test(nt351_server_closes_first),
        cmocka_unit_test(nt351_mid_stream),
        cmocka_unit_test(fixed_client_closes_first),
        cmocka_unit_test(fixed_server_closes_first),
        cmocka_unit_test(fixed_still_acks_retransmitted_fin),
        cmocka_unit_test(nt351_simultaneous_close_extra_ack_is_harmless),
        cmocka_unit_test(every_variant_model_and_detector_agree),
        cmocka_unit_test(policy_rule),
        cmocka_unit_test(close_actions_only_where_a_stack_acts),
        cmocka_unit_test(refusal_reaches_the_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
