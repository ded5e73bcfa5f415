/* The detector against the contract's "Cases that must be right".
 *
 * Each conversation is written as a trace in the contract's terms (X closes first,
 * Y second) and fed with X on either direction, so a test reads like the diagram
 * and says nothing about which side of the capture X happens to be on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detector.h"

enum role { X, Y };

#define MAX_STEPS 64
#define NONE ((size_t)-1)
#define WINDOW 8192
#define MSS 1000
#define GAP_NS INT64_C(10000000)   /* 10 ms: far enough apart never to look like a copy */
#define COPY_GAP_NS INT64_C(50000) /* 50 µs: how close a SPAN or "any" capture puts its copy */

/* ---- Traces: a conversation in the contract's roles -------------------------------- */

typedef struct step {
    enum role who;
    td_tcp tcp;
    bool capture_copy; /* the capture's second sight of the packet before: same IP ID */
    int64_t gap_ns;    /* since the previous frame of the capture */
} step;

typedef struct trace {
    step st[MAX_STEPS];
    size_t n;
    uint32_t next[2];   /* next sequence number of X and of Y */
    uint16_t window[2];
} trace;

/* x_next and y_next are the sequence numbers of the first payload byte after the SYNs. */
static void trace_init(trace *t, uint32_t x_next, uint32_t y_next)
{
    memset(t, 0, sizeof *t);
    t->next[X] = x_next;
    t->next[Y] = y_next;
    t->window[X] = t->window[Y] = WINDOW;
}

static size_t push(trace *t, enum role who, uint8_t flags, uint32_t seq, uint32_t len)
{
    assert_true(t->n < MAX_STEPS);
    step *s = &t->st[t->n];
    memset(s, 0, sizeof *s);
    s->who = who;
    s->tcp.seq = seq;
    s->tcp.len = len;
    s->tcp.flags = flags;
    s->tcp.window = t->window[who];
    if (flags & TD_ACK)
        s->tcp.ack = t->next[!who];
    s->gap_ns = GAP_NS;
    return t->n++;
}

static size_t syn(trace *t, enum role who, bool with_ack)
{
    return push(t, who, TD_SYN | (with_ack ? TD_ACK : 0), t->next[who] - 1, 0);
}

static size_t data(trace *t, enum role who, uint32_t len)
{
    size_t i = push(t, who, TD_ACK | TD_PSH, t->next[who], len);
    t->next[who] += len;
    return i;
}

static size_t ack(trace *t, enum role who)
{
    return push(t, who, TD_ACK, t->next[who], 0);
}

static size_t fin(trace *t, enum role who, uint32_t len)
{
    size_t i = push(t, who, TD_FIN | TD_ACK | (len ? TD_PSH : 0), t->next[who], len);
    t->next[who] += len + 1;
    return i;
}

/* A FIN sent before the peer's FIN arrived: it acknowledges only what came before it. */
static size_t fin_crossing(trace *t, enum role who, uint32_t peer_fin_step)
{
    size_t i = fin(t, who, 0);
    t->st[i].tcp.ack = t->st[peer_fin_step].tcp.seq + t->st[peer_fin_step].tcp.len;
    return i;
}

static size_t rst(trace *t, enum role who, uint8_t flags)
{
    return push(t, who, flags, t->next[who], 0);
}

/* RFC 9293 3.8.4: one below the next sequence number, so the peer must answer it; some
 * stacks add one byte of garbage. */
static size_t keepalive(trace *t, enum role who, uint32_t garbage)
{
    return push(t, who, TD_ACK, t->next[who] - 1, garbage);
}

static size_t window_update(trace *t, enum role who, uint16_t window)
{
    t->window[who] = window;
    return ack(t, who);
}

/* The endpoint sends step i again: a genuine second packet, with its own IP ID. */
static size_t resend(trace *t, size_t i)
{
    assert_true(t->n < MAX_STEPS);
    t->st[t->n] = t->st[i];
    t->st[t->n].capture_copy = false;
    t->st[t->n].gap_ns = GAP_NS;
    return t->n++;
}

/* The capture sees the packet of step i a second time. */
static size_t capture_copy(trace *t, size_t i, int64_t gap_ns)
{
    size_t j = resend(t, i);
    t->st[j].capture_copy = true;
    t->st[j].gap_ns = gap_ns;
    return j;
}

/* ---- Feeding a trace to the detector ----------------------------------------------- */

typedef enum { IDS_COUNTING, IDS_ZERO, IDS_NONE } id_mode; /* Windows, Linux, IPv6 */

typedef struct capture {
    uint32_t frame;
    int64_t now_ns;
} capture;

typedef struct script {
    td_conv conv;
    uint8_t x_dir;
    id_mode ids;
    int32_t next_id[2];
    int32_t last_id[2];
    size_t n;
    enum role who[MAX_STEPS];
    uint32_t frame[MAX_STEPS];
    int64_t time_ns[MAX_STEPS];
    td_outcome res[MAX_STEPS];
    td_view view[MAX_STEPS];
} script;

static void script_init(script *s, uint8_t x_dir, id_mode ids)
{
    memset(s, 0, sizeof *s);
    td_conv_init(&s->conv);
    s->x_dir = x_dir;
    s->ids = ids;
    s->next_id[0] = 0x1000;
    s->next_id[1] = 0x7000;
}

static uint8_t dir_of(const script *s, enum role who)
{
    return who == X ? s->x_dir : (uint8_t)!s->x_dir;
}

static int32_t ip_id_for(script *s, uint8_t dir, bool copy)
{
    if (copy)
        return s->last_id[dir];
    switch (s->ids) {
    case IDS_COUNTING: return s->next_id[dir]++;
    case IDS_ZERO: return 0;
    case IDS_NONE: return -1;
    }
    return -1;
}

static void feed(script *s, capture *cap, const trace *t, size_t i)
{
    const step *st = &t->st[i];
    uint8_t dir = dir_of(s, st->who);
    td_segment seg;

    assert_int_equal(i, s->n); /* a trace is fed in order */
    memset(&seg, 0, sizeof seg);
    seg.frame = ++cap->frame;
    cap->now_ns += st->gap_ns;
    seg.time_ns = cap->now_ns;
    seg.endpoint = dir;
    seg.ip_id = ip_id_for(s, dir, st->capture_copy);
    seg.tcp = st->tcp;
    s->last_id[dir] = seg.ip_id;

    td_conv_feed(&s->conv, &seg, &s->res[i]);
    td_conv_view(&s->conv, dir, seg.frame, seg.time_ns, &s->view[i]);
    s->who[i] = st->who;
    s->frame[i] = seg.frame;
    s->time_ns[i] = seg.time_ns;
    s->n++;
}

static void run_ids(script *s, const trace *t, uint8_t x_dir, id_mode ids)
{
    capture cap = {0, 0};
    script_init(s, x_dir, ids);
    for (size_t i = 0; i < t->n; i++)
        feed(s, &cap, t, i);
}

static void run(script *s, const trace *t, uint8_t x_dir)
{
    run_ids(s, t, x_dir, IDS_COUNTING);
}

/* ---- Expectations ------------------------------------------------------------------ */

typedef struct mark {
    size_t step;
    uint32_t verdicts;
} mark;

/* The marked steps carry exactly these verdicts, and every other step none. */
static void expect_verdicts(const script *s, const mark *m, size_t n)
{
    for (size_t i = 0; i < s->n; i++) {
        uint32_t want = 0;
        for (size_t k = 0; k < n; k++)
            if (m[k].step == i)
                want = m[k].verdicts;
        if (s->res[i].verdicts != want)
            fail_msg("frame %u: verdicts %#x, expected %#x", s->frame[i], s->res[i].verdicts,
                     want);
    }
}

#define EXPECT_VERDICTS(s, ...)                                                           \
    do {                                                                                  \
        const mark m_[] = {__VA_ARGS__};                                                  \
        expect_verdicts((s), m_, sizeof m_ / sizeof m_[0]);                               \
    } while (0)

static void expect_no_verdicts(const script *s)
{
    expect_verdicts(s, NULL, 0);
}

/* Only the segment that reveals the half-close names X's FIN; NONE: no segment does. */
static void expect_half_close(const script *s, size_t revealed_by, size_t x_fin)
{
    for (size_t i = 0; i < s->n; i++) {
        uint32_t want = i == revealed_by ? s->frame[x_fin] : 0;
        if (s->res[i].half_close_frame != want)
            fail_msg("frame %u: half_close_frame %u, expected %u", s->frame[i],
                     s->res[i].half_close_frame, want);
    }
}

static void expect_fixed(const script *s, size_t i, td_fixed_sender want)
{
    if (s->res[i].fixed_sender != want)
        fail_msg("frame %u: fixed-sender verdict %d, expected %d", s->frame[i],
                 (int)s->res[i].fixed_sender, (int)want);
}

static void expect_states(const script *s, size_t i, td_tcp_state x, td_tcp_state y)
{
    const td_view *v = &s->view[i];
    td_tcp_state sender = s->who[i] == X ? x : y;
    td_tcp_state receiver = s->who[i] == X ? y : x;
    if (v->sender_state != sender || v->receiver_state != receiver)
        fail_msg("frame %u: states %s/%s, expected %s/%s", s->frame[i],
                 td_tcp_state_name(v->sender_state), td_tcp_state_name(v->receiver_state),
                 td_tcp_state_name(sender), td_tcp_state_name(receiver));
}

/* What a frame showed when it was fed is what it shows once the whole capture was: the
 * guarantee that lets a second pass render the same as a single one. */
static void expect_views_stable(const script *s)
{
    for (size_t i = 0; i < s->n; i++) {
        td_view later;
        const td_view *then = &s->view[i];
        td_conv_view(&s->conv, dir_of(s, s->who[i]), s->frame[i], s->time_ns[i], &later);
        if (later.in_teardown != then->in_teardown ||
            later.sender_state != then->sender_state ||
            later.receiver_state != then->receiver_state ||
            later.fin_ack_frame != then->fin_ack_frame ||
            later.time_since_fin_ack_ns != then->time_since_fin_ack_ns ||
            later.peer_fin_frame != then->peer_fin_frame)
            fail_msg("frame %u: the view changed after later frames were fed", s->frame[i]);
    }
}

/* ---- The Q152474 pattern, with the variations the contract lists ------------------- */

typedef struct pattern {
    bool handshake;
    uint32_t request;         /* bytes X sends before Y answers */
    bool fin_with_request;    /* the request's last segment carries X's FIN */
    unsigned response_segs;   /* full segments Y sends after X's FIN */
    uint32_t y_fin_len;       /* payload on Y's FIN */
    unsigned spurious;        /* ACKs of Y's FIN after the first */
    uint16_t spurious_window; /* 0: the window X has advertised all along */
    uint8_t rst_flags;        /* Y's answer; 0: none */
} pattern;

/* The report's pattern; KB_WITH() names only what a variation changes (a later
 * designated initializer overrides the default before it, which is the point). */
#define KB_WITH(...) {.handshake = true, .request = 100, .response_segs = 3, .spurious = 1, \
                      .rst_flags = TD_RST, __VA_ARGS__}
static const pattern KB = KB_WITH();

typedef struct landmarks {
    size_t x_fin, y_acks_x_fin, first_response, y_fin, fin_ack, rst;
    size_t spurious[4];
    uint32_t response_bytes;
} landmarks;

static void add_pattern(trace *t, const pattern *p, landmarks *l)
{
    memset(l, 0, sizeof *l);
    l->first_response = l->rst = NONE;
    if (p->handshake) {
        syn(t, X, false);
        syn(t, Y, true);
        ack(t, X);
    }
    if (p->fin_with_request) {
        l->x_fin = fin(t, X, p->request);
    } else {
        data(t, X, p->request);
        l->x_fin = fin(t, X, 0);
    }
    l->y_acks_x_fin = ack(t, Y);
    for (unsigned k = 0; k < p->response_segs; k++) {
        size_t i = data(t, Y, MSS);
        if (k == 0)
            l->first_response = i;
        if (k % 2 == 1)
            ack(t, X); /* every second segment, as delayed ACK does */
        l->response_bytes += MSS;
    }
    l->y_fin = fin(t, Y, p->y_fin_len);
    if (p->y_fin_len) {
        if (l->first_response == NONE)
            l->first_response = l->y_fin;
        l->response_bytes += p->y_fin_len;
    }
    l->fin_ack = ack(t, X);
    assert_true(p->spurious <= 4);
    if (p->spurious_window)
        t->window[X] = p->spurious_window;
    for (unsigned k = 0; k < p->spurious; k++)
        l->spurious[k] = ack(t, X);
    if (p->rst_flags)
        l->rst = rst(t, Y, p->rst_flags);
}

/* Everything the contract says about the pattern, for any of its variations. */
static void expect_found(const script *s, const trace *t, const pattern *p, const landmarks *l)
{
    mark m[6];
    size_t n = 0;
    assert_true(p->spurious > 0);
    size_t last_spurious = l->spurious[p->spurious - 1];

    for (unsigned k = 0; k < p->spurious; k++)
        m[n++] = (mark){l->spurious[k], TD_V_SPURIOUS_ACK};
    if (l->rst != NONE)
        m[n++] = (mark){l->rst, TD_V_PROVOKED_RST};
    expect_verdicts(s, m, n);

    expect_fixed(s, l->fin_ack, TD_FIXED_SENDER_SENDS);
    for (unsigned k = 0; k < p->spurious; k++)
        expect_fixed(s, l->spurious[k], TD_FIXED_SENDER_WITHHOLDS);

    if (l->rst != NONE) {
        /* RFC 9293 3.10.7.1: a closed endpoint answers an ACK with seq = its ack. */
        assert_int_equal(t->st[l->rst].tcp.seq, t->st[last_spurious].tcp.ack);
        assert_int_equal(s->res[l->rst].related_frame, s->frame[last_spurious]);
        assert_int_equal(s->res[l->rst].response_bytes, l->response_bytes);
        assert_int_equal(s->res[l->rst].rst_cause, TD_RST_CAUSE_SPURIOUS_ACK);
        assert_int_equal(s->res[l->rst].rst_answers, s->frame[last_spurious]);
        expect_fixed(s, l->rst, TD_FIXED_SENDER_NOT_ASKED);
    }
    expect_half_close(s, l->first_response, l->x_fin);

    const td_view *v = &s->view[last_spurious];
    assert_true(v->in_teardown);
    assert_int_equal(v->fin_ack_frame, s->frame[l->fin_ack]);
    assert_int_equal(v->peer_fin_frame, s->frame[l->y_fin]);
    assert_true(v->time_since_fin_ack_ns > 0);
    assert_int_equal(v->time_since_fin_ack_ns, s->time_ns[last_spurious] - s->time_ns[l->fin_ack]);

    expect_states(s, l->x_fin - 1, TD_STATE_ESTABLISHED, TD_STATE_ESTABLISHED);
    expect_states(s, l->x_fin, TD_STATE_FIN_WAIT_1, TD_STATE_CLOSE_WAIT);
    expect_states(s, l->y_acks_x_fin, TD_STATE_FIN_WAIT_2, TD_STATE_CLOSE_WAIT);
    expect_states(s, l->y_fin, TD_STATE_TIME_WAIT, TD_STATE_LAST_ACK);
    expect_states(s, l->fin_ack, TD_STATE_TIME_WAIT, TD_STATE_CLOSED);
    expect_states(s, last_spurious, TD_STATE_TIME_WAIT, TD_STATE_CLOSED);
    if (l->rst != NONE)
        expect_states(s, l->rst, TD_STATE_CLOSED, TD_STATE_CLOSED);
    expect_views_stable(s);
}

static void check_pattern(const pattern *p, uint32_t x_next, uint32_t y_next, uint8_t x_dir,
                          id_mode ids)
{
    trace t;
    landmarks l;
    script s;

    trace_init(&t, x_next, y_next);
    add_pattern(&t, p, &l);
    run_ids(&s, &t, x_dir, ids);
    expect_found(&s, &t, p, &l);
}

/* ---- Found ------------------------------------------------------------------------- */

/* The pattern and the variations of it the contract lists, each a row. */
typedef struct found_case {
    const char *name;
    pattern p;
    uint8_t x_dir;
    id_mode ids;
} found_case;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

static const found_case found_cases[] = {
    {"the report's pattern", KB_WITH(), 0, IDS_COUNTING},
    {"roles swapped (the server closes first)", KB_WITH(), 1, IDS_COUNTING},
    {"X's FIN with the last request bytes", KB_WITH(.fin_with_request = true), 0, IDS_COUNTING},
    {"Y's FIN carrying data", KB_WITH(.response_segs = 1, .y_fin_len = 700), 0, IDS_COUNTING},
    /* The FIN alone is the response: it must still reveal the half-close. */
    {"Y's FIN the only response", KB_WITH(.response_segs = 0, .y_fin_len = 700), 1, IDS_COUNTING},
    /* Wireshark calls it a window update; the changed window must not excuse it. */
    {"spurious ACK with a changed window", KB_WITH(.spurious_window = 2 * WINDOW), 0, IDS_COUNTING},
    {"several spurious ACKs", KB_WITH(.spurious = 3), 0, IDS_COUNTING},
    {"RST without the ACK flag", KB_WITH(.rst_flags = TD_RST), 0, IDS_COUNTING},
    {"RST with the ACK flag", KB_WITH(.rst_flags = TD_RST | TD_ACK), 1, IDS_COUNTING},
    /* Linux sends IPv4 ID 0 and IPv6 has none: identical ACKs 10 ms apart are two packets. */
    {"IPv4 ID 0", KB_WITH(), 0, IDS_ZERO},
    {"IPv6, no ID", KB_WITH(), 1, IDS_NONE},
};
#pragma GCC diagnostic pop

static void found_pattern_and_its_variations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof found_cases / sizeof found_cases[0]; i++) {
        const found_case *c = &found_cases[i];
        print_message("  %s\n", c->name);
        check_pattern(&c->p, 1000, 5000, c->x_dir, c->ids);
    }
}

static void found_sequence_wrap_at_fin(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    /* Both FINs occupy sequence number 2^32 - 1, so both are acknowledged with 0. */
    trace_init(&t, UINT32_MAX - KB.request, UINT32_MAX - KB.response_segs * MSS);
    add_pattern(&t, &KB, &l);
    assert_int_equal(t.st[l.x_fin].tcp.seq, UINT32_MAX);
    assert_int_equal(t.st[l.y_acks_x_fin].tcp.ack, 0);
    assert_int_equal(t.st[l.y_fin].tcp.seq, UINT32_MAX);
    assert_int_equal(t.st[l.fin_ack].tcp.ack, 0);
    assert_int_equal(t.st[l.rst].tcp.seq, 0);
    run(&s, &t, 0);
    expect_found(&s, &t, &KB, &l);

    /* The wrap inside the payload of the FIN segments instead. */
    pattern p = KB;
    p.fin_with_request = true;
    p.y_fin_len = 500;
    check_pattern(&p, UINT32_MAX - 40, UINT32_MAX - 3 * MSS - 100, 1, IDS_COUNTING);
}

/* Linux sends IPv4 ID 0 and IPv6 has none: identical ACKs 10 ms apart are two packets. */
static void found_capture_starting_mid_stream(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;
    pattern p = KB;

    p.handshake = false;
    trace_init(&t, 3000000000u, 123456789u);
    data(&t, Y, MSS); /* the first frame is Y's, of an earlier exchange */
    ack(&t, X);
    add_pattern(&t, &p, &l);
    run(&s, &t, 1);
    expect_found(&s, &t, &p, &l);
}

/* Each conversation has its own td_conv; frames of the others fall between its own. */
static void found_in_interleaved_conversations(void **state)
{
    (void)state;
    enum { N = 3 };
    trace t[N];
    landmarks l[N];
    script s[N];
    pattern clean = KB;
    capture cap = {0, 0};
    const uint8_t x_dir[N] = {0, 1, 0};

    clean.spurious = 0;
    clean.rst_flags = 0;
    trace_init(&t[0], 1000, 5000);
    add_pattern(&t[0], &KB, &l[0]);
    trace_init(&t[1], 1000, 5000); /* the same numbers: only the conversation tells them apart */
    add_pattern(&t[1], &KB, &l[1]);
    trace_init(&t[2], 77777, 99999);
    add_pattern(&t[2], &clean, &l[2]);

    for (size_t c = 0; c < N; c++)
        script_init(&s[c], x_dir[c], IDS_COUNTING);
    for (size_t i = 0; i < MAX_STEPS; i++)
        for (size_t c = 0; c < N; c++)
            if (i < t[c].n)
                feed(&s[c], &cap, &t[c], i);

    expect_found(&s[0], &t[0], &KB, &l[0]);
    expect_found(&s[1], &t[1], &KB, &l[1]);
    assert_int_not_equal(s[0].res[l[0].rst].related_frame, s[1].res[l[1].rst].related_frame);
    expect_no_verdicts(&s[2]);
    expect_half_close(&s[2], l[2].first_response, l[2].x_fin);
}

/* Y's FIN crossed X's FIN, so Y is in CLOSING or TIME-WAIT and absorbs the extra ACK. */
static void found_harmless_spurious_ack_after_simultaneous_close(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    ack(&t, Y);
    size_t x_fin = fin(&t, X, 0);
    size_t y_fin = fin_crossing(&t, Y, x_fin);
    size_t fin_ack = ack(&t, X);
    size_t y_ack = ack(&t, Y);
    size_t extra = ack(&t, X);
    assert_int_equal(t.st[y_fin].tcp.ack, t.st[x_fin].tcp.seq);

    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        EXPECT_VERDICTS(&s, {extra, TD_V_SPURIOUS_ACK_HARMLESS});
        expect_fixed(&s, fin_ack, TD_FIXED_SENDER_SENDS);
        expect_fixed(&s, extra, TD_FIXED_SENDER_WITHHOLDS);
        expect_half_close(&s, NONE, x_fin);
        expect_states(&s, x_fin, TD_STATE_FIN_WAIT_1, TD_STATE_CLOSE_WAIT);
        expect_states(&s, y_fin, TD_STATE_CLOSING, TD_STATE_CLOSING);
        expect_states(&s, fin_ack, TD_STATE_CLOSING, TD_STATE_TIME_WAIT);
        expect_states(&s, y_ack, TD_STATE_TIME_WAIT, TD_STATE_TIME_WAIT);
        expect_states(&s, extra, TD_STATE_TIME_WAIT, TD_STATE_TIME_WAIT);
        expect_views_stable(&s);
    }
}

/* ---- Not flagged ------------------------------------------------------------------- */

/* The KB's normal sequence: the response is complete before X closes. */
static void clean_close(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    syn(&t, X, false);
    syn(&t, Y, true);
    ack(&t, X);
    data(&t, X, 100);
    ack(&t, Y);
    data(&t, Y, MSS);
    data(&t, Y, MSS);
    ack(&t, X);
    size_t x_fin = fin(&t, X, 0);
    ack(&t, Y);
    size_t y_fin = fin(&t, Y, 0);
    size_t fin_ack = ack(&t, X);

    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        expect_no_verdicts(&s);
        expect_half_close(&s, NONE, x_fin);
        expect_fixed(&s, fin_ack, TD_FIXED_SENDER_SENDS);
        expect_states(&s, y_fin, TD_STATE_TIME_WAIT, TD_STATE_LAST_ACK);
        expect_states(&s, fin_ack, TD_STATE_TIME_WAIT, TD_STATE_CLOSED);
        expect_views_stable(&s);
    }
}

/* The pattern up to X's first ACK of Y's FIN, without anything spurious. */
static void add_teardown(trace *t, landmarks *l)
{
    pattern p = KB;
    p.handshake = false;
    p.spurious = 0;
    p.rst_flags = 0;
    add_pattern(t, &p, l);
}

static void ack_of_retransmitted_fin(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    resend(&t, l.y_fin); /* X's ACK was lost on the way to Y */
    size_t reack = ack(&t, X);

    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        EXPECT_VERDICTS(&s, {reack, TD_V_FIN_REACK});
        expect_fixed(&s, l.fin_ack, TD_FIXED_SENDER_SENDS);
        expect_fixed(&s, reack, TD_FIXED_SENDER_SENDS);
        expect_states(&s, reack, TD_STATE_TIME_WAIT, TD_STATE_CLOSED);
        expect_views_stable(&s);
    }
}

/* Captured near Y, the retransmitted FIN comes before both ACKs. The RST that follows
 * answers an ACK that was legitimate, so nothing explains it but the close itself. */
static void ack_of_retransmitted_fin_crossing_then_rst(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    assert_int_equal(l.fin_ack, t.n - 1);
    t.n--; /* X's first ACK comes after the copy of the FIN here */
    resend(&t, l.y_fin);
    size_t first = ack(&t, X);
    size_t second = ack(&t, X);
    size_t r = rst(&t, Y, TD_RST);

    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        EXPECT_VERDICTS(&s, {second, TD_V_FIN_REACK},
                        {r, TD_V_RST_AFTER_CLOSE | TD_V_NO_CONNECTION});
        assert_int_equal(s.res[r].rst_cause, TD_RST_CAUSE_NO_CONNECTION);
        expect_fixed(&s, first, TD_FIXED_SENDER_SENDS);
        expect_fixed(&s, second, TD_FIXED_SENDER_SENDS);
        assert_int_equal(s.res[r].related_frame, s.frame[second]);
        assert_int_equal(s.res[r].response_bytes, 0);
        expect_states(&s, r, TD_STATE_CLOSED, TD_STATE_CLOSED);
        expect_views_stable(&s);
    }
}

/* Y repeats its ACK of X's FIN, in CLOSE-WAIT and in LAST-ACK: only X's extra ACK
 * hurts, because only Y closes the socket under it. */
static void duplicate_ack_from_second_closer(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    fin(&t, X, 0);
    size_t y_ack = ack(&t, Y);
    size_t dup_wait = resend(&t, y_ack);
    data(&t, Y, MSS);
    size_t y_fin = fin(&t, Y, 0);
    size_t dup_last = ack(&t, Y);
    size_t dup_last2 = resend(&t, dup_last);
    size_t fin_ack = ack(&t, X);

    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        expect_no_verdicts(&s);
        expect_fixed(&s, fin_ack, TD_FIXED_SENDER_SENDS);
        expect_states(&s, dup_wait, TD_STATE_FIN_WAIT_2, TD_STATE_CLOSE_WAIT);
        expect_states(&s, y_fin, TD_STATE_TIME_WAIT, TD_STATE_LAST_ACK);
        expect_states(&s, dup_last2, TD_STATE_TIME_WAIT, TD_STATE_LAST_ACK);
        expect_views_stable(&s);
    }
}

/* Data Y sends again after its FIN must be acknowledged, even once Y's FIN was. */
static void ack_after_new_data_from_y(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    resend(&t, l.first_response);
    size_t answer = ack(&t, X);

    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        expect_no_verdicts(&s);
        expect_fixed(&s, answer, TD_FIXED_SENDER_SENDS);
        expect_views_stable(&s);
    }
}

static void ack_after_keepalive_from_y(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    size_t probe = keepalive(&t, Y, 0);
    size_t answer = ack(&t, X);
    size_t probe2 = keepalive(&t, Y, 1);
    size_t answer2 = ack(&t, X);
    assert_int_equal(t.st[probe].tcp.seq, t.st[l.y_fin].tcp.seq);
    assert_int_equal(t.st[probe2].tcp.seq, t.st[l.y_fin].tcp.seq);

    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        expect_no_verdicts(&s);
        expect_fixed(&s, answer, TD_FIXED_SENDER_SENDS);
        expect_fixed(&s, answer2, TD_FIXED_SENDER_SENDS);
        expect_views_stable(&s);
    }
}

/* The endpoint that has not closed yet opens its window again: a pure ACK repeating its
 * ACK of the peer's FIN, from an endpoint that is still sending. */
static void window_update_in_close_wait(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    size_t x_fin = fin(&t, X, 0);
    ack(&t, Y);
    size_t wu1 = window_update(&t, Y, 2 * WINDOW);
    size_t first_response = data(&t, Y, MSS);
    size_t wu2 = window_update(&t, Y, 4 * WINDOW);
    fin(&t, Y, 0);
    ack(&t, X);

    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        expect_no_verdicts(&s);
        expect_half_close(&s, first_response, x_fin);
        expect_states(&s, wu1, TD_STATE_FIN_WAIT_2, TD_STATE_CLOSE_WAIT);
        expect_states(&s, wu2, TD_STATE_FIN_WAIT_2, TD_STATE_CLOSE_WAIT);
        /* The fix's rule read literally withholds these; only the verdict is at stake. */
        expect_fixed(&s, wu1, TD_FIXED_SENDER_WITHHOLDS);
        expect_views_stable(&s);
    }
}

/* A nonzero IPv4 ID that repeats names the same packet, however far apart the copies. */
static void same_packet_captured_twice(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    /* With the same non-zero IPv4 ID, a copy is a copy however late it comes. */
    static const int64_t gaps[] = {COPY_GAP_NS, 5 * GAP_NS};
    for (size_t g = 0; g < 2; g++) {
        trace_init(&t, 1000, 5000);
        add_teardown(&t, &l);
        size_t copy = capture_copy(&t, l.fin_ack, gaps[g]);
        for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
            run(&s, &t, x_dir);
            EXPECT_VERDICTS(&s, {copy, TD_V_CAPTURE_DUPLICATE});
            /* A copy carries the fixed-sender verdict of the packet it copies. */
            expect_fixed(&s, copy, TD_FIXED_SENDER_SENDS);
            expect_views_stable(&s);
        }
    }
}

/* An original has one copy at most: a third identical segment is a packet of its own,
 * and here a spurious ACK. */
static void third_identical_segment_is_a_new_packet(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    size_t copy = capture_copy(&t, l.fin_ack, COPY_GAP_NS);
    size_t third = capture_copy(&t, l.fin_ack, 5 * GAP_NS);
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        EXPECT_VERDICTS(&s, {copy, TD_V_CAPTURE_DUPLICATE}, {third, TD_V_SPURIOUS_ACK});
    }
}

/* A second sight of Y's FIN is not a retransmission: it earns X no second ACK. */
static void captured_copy_of_y_fin_solicits_nothing(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    t.n--;
    size_t copy = capture_copy(&t, l.y_fin, COPY_GAP_NS);
    size_t fin_ack = ack(&t, X);
    size_t extra = ack(&t, X);
    size_t r = rst(&t, Y, TD_RST);

    run(&s, &t, 0);
    EXPECT_VERDICTS(&s, {copy, TD_V_CAPTURE_DUPLICATE}, {extra, TD_V_SPURIOUS_ACK},
                    {r, TD_V_PROVOKED_RST});
    expect_fixed(&s, fin_ack, TD_FIXED_SENDER_SENDS);
    assert_int_equal(s.res[r].related_frame, s.frame[extra]);
}

/* Without an IP ID, a copy is only believed once the capture has shown this endpoint's
 * packets doubled, less than 1 ms apart. */
static void same_packet_captured_twice_without_ip_id(void **state)
{
    (void)state;
    const id_mode modes[] = {IDS_ZERO, IDS_NONE};

    for (size_t m = 0; m < 2; m++) {
        trace t;
        script s;
        trace_init(&t, 1000, 5000);
        size_t request = data(&t, X, 100);
        size_t evidence = capture_copy(&t, request, COPY_GAP_NS);
        fin(&t, X, 0);
        ack(&t, Y);
        data(&t, Y, MSS);
        fin(&t, Y, 0);
        size_t fin_ack = ack(&t, X);
        size_t copy = capture_copy(&t, fin_ack, COPY_GAP_NS);

        for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
            run_ids(&s, &t, x_dir, modes[m]);
            /* The first doubled pair is evidence, not a verdict. */
            EXPECT_VERDICTS(&s, {copy, TD_V_CAPTURE_DUPLICATE});
            assert_int_equal(s.res[evidence].verdicts, 0);
            expect_fixed(&s, copy, TD_FIXED_SENDER_SENDS);
        }
    }
}

/* The other side of the same rule: with nothing to go on, two identical ACKs without an
 * IP ID are two packets, and the second is spurious. */
static void identical_acks_without_ip_id_or_evidence_are_two_packets(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    size_t second = capture_copy(&t, l.fin_ack, COPY_GAP_NS);
    run_ids(&s, &t, 0, IDS_ZERO);
    EXPECT_VERDICTS(&s, {second, TD_V_SPURIOUS_ACK});

    /* Evidence of doubling, but this copy is 2 ms late: a resend, as the design says. */
    trace_init(&t, 1000, 5000);
    size_t request = data(&t, X, 100);
    capture_copy(&t, request, COPY_GAP_NS);
    add_teardown(&t, &l);
    second = capture_copy(&t, l.fin_ack, 2000000);
    run_ids(&s, &t, 1, IDS_NONE);
    EXPECT_VERDICTS(&s, {second, TD_V_SPURIOUS_ACK});
}

/* A copy 2^32 µs (71.6 minutes) and 100 µs after the original is a resend, not a copy
 * 100 µs late: the detector once kept times modulo 2^32 µs (found by fuzzing). */
static void late_copy_across_the_32_bit_microsecond_wrap(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    size_t request = data(&t, X, 100);
    capture_copy(&t, request, COPY_GAP_NS);
    add_teardown(&t, &l);
    size_t second = capture_copy(&t, l.fin_ack, ((int64_t)1 << 32) * 1000 + 100000);
    run_ids(&s, &t, 1, IDS_NONE);
    EXPECT_VERDICTS(&s, {second, TD_V_SPURIOUS_ACK});
}

/* The RST follows a spurious ACK but is not its answer: its seq is not that ACK's ack,
 * or Y sent something in between. */
static void rst_not_answering_the_spurious_ack(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;
    pattern p = KB;

    p.rst_flags = 0;
    trace_init(&t, 1000, 5000);
    add_pattern(&t, &p, &l);
    size_t r = push(&t, Y, TD_RST, t.next[Y] - 1, 0);
    run(&s, &t, 0);
    EXPECT_VERDICTS(&s, {l.spurious[0], TD_V_SPURIOUS_ACK},
                    {r, TD_V_RST_AFTER_CLOSE | TD_V_NO_CONNECTION});
    assert_int_equal(s.res[r].related_frame, s.frame[l.spurious[0]]);

    trace_init(&t, 1000, 5000);
    add_pattern(&t, &p, &l);
    size_t between = keepalive(&t, Y, 0);
    r = rst(&t, Y, TD_RST);
    run(&s, &t, 1);
    EXPECT_VERDICTS(&s, {l.spurious[0], TD_V_SPURIOUS_ACK},
                    {r, TD_V_RST_AFTER_CLOSE | TD_V_NO_CONNECTION});
    assert_int_equal(s.res[r].related_frame, s.frame[l.spurious[0]]);
    assert_int_equal(s.res[r].rst_answers, s.frame[l.spurious[0]]);
    assert_int_equal(s.res[between].verdicts, 0);
}

static void abortive_rst_without_fin_exchange(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    ack(&t, Y);
    size_t r1 = rst(&t, Y, TD_RST | TD_ACK);
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        EXPECT_VERDICTS(&s, {r1, TD_V_ABORT});
        assert_int_equal(s.res[r1].rst_cause, TD_RST_CAUSE_ABORT);
        assert_int_equal(s.res[r1].related_frame, 0);
        assert_true(s.view[r1].in_teardown);
        expect_states(&s, r1, TD_STATE_CLOSED, TD_STATE_CLOSED);
        expect_views_stable(&s);
    }

    /* Only X had closed: Y aborts instead of closing, no orderly close to speak of. */
    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    fin(&t, X, 0);
    ack(&t, Y);
    size_t r2 = rst(&t, Y, TD_RST | TD_ACK);
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        EXPECT_VERDICTS(&s, {r2, TD_V_ABORT});
        assert_int_equal(s.res[r2].related_frame, 0);
        expect_states(&s, r2, TD_STATE_CLOSED, TD_STATE_CLOSED);
    }
}


/* ---- Rules of issue-driven readings: solicited ACKs, unique payload, copies --------- */

/* Y's FIN overtakes its last data: X's duplicate ACK points at the hole and answers the
 * FIN; the late data earns the first ACK of the FIN; the ACK after them is spurious. */
static void fin_overtaking_last_data_answered_by_duplicate_ack(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    size_t x_fin = fin(&t, X, 0);
    ack(&t, Y);
    size_t response = data(&t, Y, MSS);
    ack(&t, X);
    uint32_t hole = t.next[Y];
    t.next[Y] += 500;
    size_t y_fin = fin(&t, Y, 0);
    size_t dup = ack(&t, X);
    t.st[dup].tcp.ack = hole;
    size_t late = push(&t, Y, TD_ACK | TD_PSH, hole, 500);
    size_t fin_ack = ack(&t, X);
    size_t spurious = ack(&t, X);
    size_t r = rst(&t, Y, TD_RST);
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        EXPECT_VERDICTS(&s, {spurious, TD_V_SPURIOUS_ACK}, {r, TD_V_PROVOKED_RST});
        assert_int_equal(s.res[r].response_bytes, MSS + 500);
        assert_int_equal(s.view[fin_ack].fin_ack_frame, s.frame[fin_ack]);
        expect_half_close(&s, response, x_fin);
    }
    (void)y_fin;
    (void)late;

    /* A pure ACK at Y's FIN sequence itself was sent before the FIN arrived: no answer. */
    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    fin(&t, X, 0);
    ack(&t, Y);
    data(&t, Y, MSS);
    size_t before = ack(&t, X);
    y_fin = fin(&t, Y, 0);
    size_t again = ack(&t, X);
    t.st[again].tcp.ack = t.st[before].tcp.ack; /* == Y's FIN sequence */
    fin_ack = ack(&t, X);
    spurious = ack(&t, X);
    run(&s, &t, 0);
    EXPECT_VERDICTS(&s, {spurious, TD_V_SPURIOUS_ACK});
}

/* Only what needs an ACK earns one: Y's pure ACK at its next sequence number does not. */
static void pure_ack_from_y_earns_no_answer(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    size_t y_ack = ack(&t, Y);
    size_t extra = ack(&t, X);
    run(&s, &t, 0);
    EXPECT_VERDICTS(&s, {extra, TD_V_SPURIOUS_ACK});
    assert_int_equal(s.res[y_ack].verdicts, 0);
}

/* response_bytes counts each sequence number once: a retransmission and a keep-alive's
 * byte add nothing, and a keep-alive alone reveals no half-close. */
static void response_bytes_count_unique_payload(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;
    pattern p = KB;

    p.response_segs = 1;
    p.rst_flags = 0;
    p.spurious = 0;
    trace_init(&t, 1000, 5000);
    add_pattern(&t, &p, &l);
    t.n = l.y_fin; /* Y's FIN and what follows come again below */
    t.next[Y] -= 1;
    resend(&t, l.first_response);            /* 1000 bytes again */
    keepalive(&t, Y, 1);                      /* Windows: one byte below the next */
    size_t more = data(&t, Y, 500);
    fin(&t, Y, 0);
    ack(&t, X);
    size_t spurious = ack(&t, X);
    size_t r = rst(&t, Y, TD_RST);
    run(&s, &t, 0);
    EXPECT_VERDICTS(&s, {spurious, TD_V_SPURIOUS_ACK}, {r, TD_V_PROVOKED_RST});
    assert_int_equal(s.res[r].response_bytes, MSS + 500);
    (void)more;

    /* Only a Windows keep-alive from Y after X's FIN: no response, no half-close. */
    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    fin(&t, X, 0);
    ack(&t, Y);
    size_t probe = keepalive(&t, Y, 1);
    ack(&t, X);
    fin(&t, Y, 0);
    ack(&t, X);
    run(&s, &t, 0);
    expect_half_close(&s, NONE, 0);
    expect_no_verdicts(&s);
    (void)probe;
}

/* A capture that shows every packet twice: X's ACK of the FIN, its copy, the spurious ACK
 * 400 µs later and its copy. The spurious ACK is an original with a copy, not a third
 * sight of the first ACK. */
static void every_packet_captured_twice(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    t.n = l.x_fin + 1;
    capture_copy(&t, l.x_fin, COPY_GAP_NS); /* evidence: the capture doubles X's packets */
    size_t y_ack = ack(&t, Y);
    size_t y_fin = fin(&t, Y, 0);
    (void)y_ack;
    (void)y_fin;
    size_t fin_ack = ack(&t, X);
    size_t fin_ack_copy = capture_copy(&t, fin_ack, COPY_GAP_NS);
    size_t spurious = resend(&t, fin_ack);
    t.st[spurious].gap_ns = 400000;
    size_t spurious_copy = capture_copy(&t, spurious, COPY_GAP_NS);
    size_t r = rst(&t, Y, TD_RST);
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run_ids(&s, &t, x_dir, IDS_ZERO);
        EXPECT_VERDICTS(&s, {fin_ack_copy, TD_V_CAPTURE_DUPLICATE},
                        {spurious, TD_V_SPURIOUS_ACK},
                        {spurious_copy, TD_V_CAPTURE_DUPLICATE}, {r, TD_V_PROVOKED_RST});
    }
}

/* ---- Every reset gets a cause --------------------------------------------------------- */

static void expect_cause(const script *s, size_t r, td_rst_cause cause, size_t answers)
{
    const td_outcome *o = &s->res[r];
    if (o->rst_cause != cause)
        fail_msg("frame %u: cause %d, expected %d", s->frame[r], (int)o->rst_cause, (int)cause);
    uint32_t want = answers == NONE ? 0 : s->frame[answers];
    if (o->rst_answers != want)
        fail_msg("frame %u: answers %u, expected %u", s->frame[r], o->rst_answers, want);
    assert_true(o->verdicts & td_rst_cause_lookup(cause)->verdict);
}

static void cause_refused(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    size_t s1 = syn(&t, X, false);
    size_t r = push(&t, Y, TD_RST | TD_ACK, 0, 0);
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        expect_cause(&s, r, TD_RST_CAUSE_REFUSED, s1);
        assert_int_equal(s.res[r].verdicts, TD_V_REFUSED);
    }

    /* A listener that answered the SYN and then resets a retransmitted SYN refuses nothing. */
    trace_init(&t, 1000, 5000);
    syn(&t, X, false);
    syn(&t, Y, true);
    size_t again = syn(&t, X, false);
    r = push(&t, Y, TD_RST | TD_ACK, t.next[Y], 0);
    run(&s, &t, 0);
    expect_cause(&s, r, TD_RST_CAUSE_ABORT, again);
}

/* The server closes while the client sends its next request: the data after its close is
 * answered with a RST, and a second segment in flight with another, which finds no
 * connection. */
static void cause_data_after_close(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    data(&t, Y, 100);                 /* Y, the client, asks */
    data(&t, X, 2000);                /* X, the server, answers and closes */
    fin(&t, X, 0);
    ack(&t, Y);
    size_t request = data(&t, Y, 300);
    size_t in_flight = data(&t, Y, 200);
    size_t r1 = rst(&t, X, TD_RST);
    t.st[r1].tcp.seq = t.st[request].tcp.ack;
    size_t r2 = rst(&t, X, TD_RST);
    t.st[r2].tcp.seq = t.st[in_flight].tcp.ack;
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        /* R's first segment after the data is this RST: in flight or not, the data was lost. */
        expect_cause(&s, r1, TD_RST_CAUSE_DATA_AFTER_CLOSE, request);
        assert_int_equal(s.res[r1].lost_bytes, 500);
        expect_cause(&s, r2, TD_RST_CAUSE_NO_CONNECTION, in_flight);
        assert_int_equal(s.res[r2].lost_bytes, 0);
    }

    /* The same with the client's FIN on its request: still data after close. */
    trace_init(&t, 1000, 5000);
    data(&t, Y, 100);
    data(&t, X, 2000);
    fin(&t, X, 0);
    ack(&t, Y);
    request = fin(&t, Y, 300);
    r1 = rst(&t, X, TD_RST);
    run(&s, &t, 0);
    expect_cause(&s, r1, TD_RST_CAUSE_DATA_AFTER_CLOSE, request);
    assert_int_equal(s.res[r1].lost_bytes, 300);

    /* Without a FIN of its own before, R aborts: it closed with the data unread. */
    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    request = data(&t, Y, 300);
    r1 = rst(&t, X, TD_RST | TD_ACK);
    run(&s, &t, 1);
    expect_cause(&s, r1, TD_RST_CAUSE_ABORT, request);
    assert_int_equal(s.res[r1].lost_bytes, 0);

    /* R acknowledged the data first: the RST is not its answer to it. */
    trace_init(&t, 1000, 5000);
    fin(&t, X, 0);
    ack(&t, Y);
    data(&t, Y, 300);
    ack(&t, X);
    r1 = rst(&t, X, TD_RST | TD_ACK);
    run(&s, &t, 0);
    assert_int_not_equal(s.res[r1].rst_cause, TD_RST_CAUSE_DATA_AFTER_CLOSE);
}

/* Linux answers each segment of a burst after close with a RST of its own: identical
 * (the same ack in every segment), ID 0, less than 1 ms apart. They are three packets, not
 * a capture's copies: the evidence of copying must come from an earlier segment. */
static void burst_of_identical_rsts_after_close(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    data(&t, Y, 100);
    data(&t, X, 2000);
    fin(&t, X, 0);
    ack(&t, Y);
    size_t first = data(&t, Y, 300);
    size_t second = data(&t, Y, 300);
    size_t third = data(&t, Y, 300);
    size_t r1 = rst(&t, X, TD_RST);
    t.st[r1].tcp.seq = t.st[first].tcp.ack;
    size_t r2 = resend(&t, r1);
    size_t r3 = resend(&t, r1);
    t.st[r2].gap_ns = t.st[r3].gap_ns = COPY_GAP_NS;
    run_ids(&s, &t, 0, IDS_ZERO);
    expect_cause(&s, r1, TD_RST_CAUSE_DATA_AFTER_CLOSE, first);
    expect_cause(&s, r2, TD_RST_CAUSE_NO_CONNECTION, third);
    expect_cause(&s, r3, TD_RST_CAUSE_NO_CONNECTION, third);
    (void)second;
}

/* R sends the same unanswered segment three times, then gives up. */
static void cause_retransmission_timeout(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    size_t request = data(&t, Y, 100);
    size_t lost = data(&t, X, 500);
    resend(&t, lost);
    resend(&t, lost);
    size_t r = rst(&t, X, TD_RST | TD_ACK);
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        expect_cause(&s, r, TD_RST_CAUSE_RETRANSMISSION_TIMEOUT, request);
        assert_int_equal(s.res[r].verdicts, TD_V_RETRANSMISSION_TIMEOUT);
    }

    /* Keep-alive probes, as Linux sends them: no payload, one below the next. */
    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    size_t peer_ack = ack(&t, Y);
    keepalive(&t, X, 0);
    keepalive(&t, X, 0);
    keepalive(&t, X, 0);
    r = rst(&t, X, TD_RST | TD_ACK);
    run(&s, &t, 0);
    expect_cause(&s, r, TD_RST_CAUSE_RETRANSMISSION_TIMEOUT, peer_ack);

    /* Twice is not giving up; and an answer between the copies resets the count. */
    trace_init(&t, 1000, 5000);
    data(&t, Y, 100);
    lost = data(&t, X, 500);
    resend(&t, lost);
    size_t answer = ack(&t, Y);
    t.st[answer].tcp.ack = t.st[lost].tcp.seq;
    resend(&t, lost);
    r = rst(&t, X, TD_RST | TD_ACK);
    run(&s, &t, 0);
    expect_cause(&s, r, TD_RST_CAUSE_ABORT, answer);

    /* Pure ACKs at the next sequence number await nothing: repeated, they are no probe. */
    trace_init(&t, 1000, 5000);
    size_t last = data(&t, Y, 100);
    ack(&t, X);
    window_update(&t, X, 1000);
    window_update(&t, X, 2000);
    r = rst(&t, X, TD_RST | TD_ACK);
    run(&s, &t, 0);
    expect_cause(&s, r, TD_RST_CAUSE_ABORT, last);
}

static void cause_no_connection(void **state)
{
    (void)state;
    trace t;
    script s;

    /* R's FIN-WAIT-2 ran out before P's late FIN arrived: the FIN finds no connection. */
    trace_init(&t, 1000, 5000);
    data(&t, X, 100);
    fin(&t, X, 0);
    ack(&t, Y);
    size_t late_fin = fin(&t, Y, 0);
    size_t r = rst(&t, X, TD_RST);
    t.st[r].tcp.seq = t.st[late_fin].tcp.ack;
    for (uint8_t x_dir = 0; x_dir < 2; x_dir++) {
        run(&s, &t, x_dir);
        expect_cause(&s, r, TD_RST_CAUSE_NO_CONNECTION, late_fin);
    }

    /* Mid-stream, a RST without ACK whose sequence number is the segment's ack: a stack
     * that has no such connection (a restart, a NAT); with the ACK flag, an abort. */
    trace_init(&t, 1000, 5000);
    size_t segment = data(&t, X, 100);
    r = push(&t, Y, TD_RST, t.next[Y], 0);
    run(&s, &t, 0);
    expect_cause(&s, r, TD_RST_CAUSE_NO_CONNECTION, segment);
    t.st[r].tcp.flags = TD_RST | TD_ACK;
    t.st[r].tcp.ack = t.next[X];
    run(&s, &t, 0);
    expect_cause(&s, r, TD_RST_CAUSE_ABORT, segment);

    /* The same RST when R had sent something since: R knew the connection, an abort. */
    trace_init(&t, 1000, 5000);
    segment = data(&t, X, 100);
    ack(&t, Y);
    r = push(&t, Y, TD_RST, t.next[Y], 0);
    run(&s, &t, 0);
    expect_cause(&s, r, TD_RST_CAUSE_ABORT, segment);
}

static void cause_unexplained(void **state)
{
    (void)state;
    trace t;
    script s;

    trace_init(&t, 1000, 5000);
    size_t r = rst(&t, Y, TD_RST);
    run(&s, &t, 0);
    expect_cause(&s, r, TD_RST_CAUSE_UNEXPLAINED, NONE);
    assert_int_equal(s.res[r].verdicts, TD_V_RST_UNEXPLAINED);

    /* Only R's own segments before: still nothing of P's to answer. */
    trace_init(&t, 1000, 5000);
    data(&t, Y, 100);
    r = rst(&t, Y, TD_RST | TD_ACK);
    run(&s, &t, 1);
    expect_cause(&s, r, TD_RST_CAUSE_UNEXPLAINED, NONE);
}

/* A capture duplicate of a RST is no RST of its own: no cause. */
static void duplicate_rst_has_no_cause(void **state)
{
    (void)state;
    trace t;
    landmarks l;
    script s;

    trace_init(&t, 1000, 5000);
    add_teardown(&t, &l);
    size_t r = rst(&t, Y, TD_RST);
    size_t copy = capture_copy(&t, r, COPY_GAP_NS);
    run(&s, &t, 0);
    assert_int_equal(s.res[copy].verdicts, TD_V_CAPTURE_DUPLICATE);
    assert_int_equal(s.res[copy].rst_cause, TD_RST_CAUSE_NONE);
    assert_int_equal(s.res[r].rst_cause, TD_RST_CAUSE_NO_CONNECTION);
}

/* The names are the filter names' suffixes in the contract. */
static void verdict_names_match_filter_names(void **state)
{
    (void)state;
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {TD_V_SPURIOUS_ACK, "spurious_ack"},
        {TD_V_SPURIOUS_ACK_HARMLESS, "spurious_ack.harmless"},
        {TD_V_PROVOKED_RST, "provoked_rst"},
        {TD_V_RST_AFTER_CLOSE, "rst_after_close"},
        {TD_V_FIN_REACK, "fin_reack"},
        {TD_V_CAPTURE_DUPLICATE, "capture_duplicate"},
        {TD_V_HALF_CLOSE, "half_close"},
    };
    assert_int_equal(sizeof names / sizeof names[0], 7);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_string_equal(td_verdict_lookup(names[i].bit)->name, names[i].name);
    for (unsigned i = 0; i < TD_VERDICT_COUNT; i++) {
        const td_verdict_info *v = &td_verdict_table[i];
        assert_ptr_equal(td_verdict_lookup(v->bit), v);
        /* Wireshark's Expert Information dialog cuts longer summaries off. */
        assert_true(strlen(v->summary) <= 60);
    }
    assert_null(td_verdict_lookup(0));
    assert_null(td_verdict_lookup(TD_V_SPURIOUS_ACK | TD_V_PROVOKED_RST));
    for (unsigned code = 1; code <= TD_RST_CAUSE_COUNT; code++)
        assert_int_equal(td_rst_cause_lookup(code)->code, code);
    assert_null(td_rst_cause_lookup(TD_RST_CAUSE_NONE));
    assert_null(td_rst_cause_lookup(TD_RST_CAUSE_COUNT + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(found_pattern_and_its_variations),
        cmocka_unit_test(found_sequence_wrap_at_fin),
        cmocka_unit_test(found_capture_starting_mid_stream),
        cmocka_unit_test(found_in_interleaved_conversations),
        cmocka_unit_test(found_harmless_spurious_ack_after_simultaneous_close),
        cmocka_unit_test(clean_close),
        cmocka_unit_test(ack_of_retransmitted_fin),
        cmocka_unit_test(ack_of_retransmitted_fin_crossing_then_rst),
        cmocka_unit_test(duplicate_ack_from_second_closer),
        cmocka_unit_test(ack_after_new_data_from_y),
        cmocka_unit_test(ack_after_keepalive_from_y),
        cmocka_unit_test(window_update_in_close_wait),
        cmocka_unit_test(same_packet_captured_twice),
        cmocka_unit_test(third_identical_segment_is_a_new_packet),
        cmocka_unit_test(captured_copy_of_y_fin_solicits_nothing),
        cmocka_unit_test(same_packet_captured_twice_without_ip_id),
        cmocka_unit_test(identical_acks_without_ip_id_or_evidence_are_two_packets),
        cmocka_unit_test(late_copy_across_the_32_bit_microsecond_wrap),
        cmocka_unit_test(rst_not_answering_the_spurious_ack),
        cmocka_unit_test(abortive_rst_without_fin_exchange),
        cmocka_unit_test(fin_overtaking_last_data_answered_by_duplicate_ack),
        cmocka_unit_test(pure_ack_from_y_earns_no_answer),
        cmocka_unit_test(response_bytes_count_unique_payload),
        cmocka_unit_test(every_packet_captured_twice),
        cmocka_unit_test(cause_refused),
        cmocka_unit_test(cause_data_after_close),
        cmocka_unit_test(burst_of_identical_rsts_after_close),
        cmocka_unit_test(cause_retransmission_timeout),
        cmocka_unit_test(cause_no_connection),
        cmocka_unit_test(cause_unexplained),
        cmocka_unit_test(duplicate_rst_has_no_cause),
        cmocka_unit_test(verdict_names_match_filter_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
