#include "check_core.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "oracle.h"
#include "records.h"
#include "verdicts.h"

typedef struct frame_log {
    unsigned      conv;
    td_segment    seg;
    td_outcome    res;
    td_view       view;
    oracle_expect want;
} frame_log;

static void fail(const frame_log *f, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "invariant broken at frame %u (conversation %u, endpoint %u, flags 0x%02x, "
                    "seq %u, ack %u, len %u, ip_id %d): ",
            f->seg.frame, f->conv, f->seg.endpoint, f->seg.tcp.flags, f->seg.tcp.seq, f->seg.tcp.ack,
            f->seg.tcp.len, f->seg.ip_id);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

#define CHECK(f, cond, ...)          \
    do {                             \
        if (!(cond))                 \
            fail((f), __VA_ARGS__);  \
    } while (0)

static const uint32_t known_verdicts = (1u << TD_VERDICT_COUNT) - 1;
static const uint32_t verdicts_with_link = TD_V_PROVOKED_RST | TD_V_RST_AFTER_CLOSE;
static const uint32_t cause_verdicts = TD_V_DATA_AFTER_CLOSE | TD_V_ABORT | TD_V_NO_CONNECTION |
                                       TD_V_REFUSED | TD_V_RETRANSMISSION_TIMEOUT |
                                       TD_V_RST_UNEXPLAINED;

/* The expert item of each cause as the contract's table names it, written here a second
 * time so that the catalogue is checked against the contract too. */
static uint32_t verdict_of_cause(unsigned cause)
{
    switch (cause) {
    case ORACLE_CAUSE_SPURIOUS_ACK: return TD_V_PROVOKED_RST;
    case ORACLE_CAUSE_DATA_AFTER_CLOSE: return TD_V_DATA_AFTER_CLOSE;
    case ORACLE_CAUSE_ABORT: return TD_V_ABORT;
    case ORACLE_CAUSE_NO_CONNECTION: return TD_V_NO_CONNECTION;
    case ORACLE_CAUSE_REFUSED: return TD_V_REFUSED;
    case ORACLE_CAUSE_RETRANSMISSION_TIMEOUT: return TD_V_RETRANSMISSION_TIMEOUT;
    case ORACLE_CAUSE_UNEXPLAINED: return TD_V_RST_UNEXPLAINED;
    }
    return 0;
}

static td_tcp_state state_of(oracle_state s)
{
    switch (s) {
    case ORACLE_ESTABLISHED: return TD_STATE_ESTABLISHED;
    case ORACLE_FIN_WAIT_1: return TD_STATE_FIN_WAIT_1;
    case ORACLE_FIN_WAIT_2: return TD_STATE_FIN_WAIT_2;
    case ORACLE_CLOSING: return TD_STATE_CLOSING;
    case ORACLE_TIME_WAIT: return TD_STATE_TIME_WAIT;
    case ORACLE_CLOSE_WAIT: return TD_STATE_CLOSE_WAIT;
    case ORACLE_LAST_ACK: return TD_STATE_LAST_ACK;
    case ORACLE_CLOSED: return TD_STATE_CLOSED;
    }
    return TD_STATE_NONE;
}

static td_fixed_sender fixed_of(oracle_fixed x)
{
    switch (x) {
    case ORACLE_NOT_ASKED: return TD_FIXED_SENDER_NOT_ASKED;
    case ORACLE_SENDS: return TD_FIXED_SENDER_SENDS;
    case ORACLE_WITHHOLDS: return TD_FIXED_SENDER_WITHHOLDS;
    }
    return (td_fixed_sender)-1;
}

static uint32_t expected_verdicts(const oracle_expect *x)
{
    if (x->duplicate)
        return TD_V_CAPTURE_DUPLICATE;
    uint32_t v = verdict_of_cause(x->cause);
    if (x->spurious_ack)
        v |= x->harmless ? TD_V_SPURIOUS_ACK_HARMLESS : TD_V_SPURIOUS_ACK;
    if (x->fin_reack)
        v |= TD_V_FIN_REACK;
    if (x->provoked_rst)
        v |= TD_V_PROVOKED_RST;
    if (x->rst_after_close)
        v |= TD_V_RST_AFTER_CLOSE;
    return v;
}

static uint32_t clamp32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static bool state_valid(td_tcp_state s)
{
    return s >= TD_STATE_ESTABLISHED && s <= TD_STATE_CLOSED;
}

/* A frame this one links to: earlier, in the same conversation, from the peer, no copy. */
static void check_peer_link(const frame_log *f, const frame_log *log, uint32_t frame, const char *what)
{
    CHECK(f, frame && frame < f->seg.frame, "%s %u does not point backwards", what, frame);
    const frame_log *rel = &log[frame - 1];
    CHECK(f, rel->conv == f->conv && rel->seg.endpoint != f->seg.endpoint,
          "%s %u is not the peer's segment in this conversation", what, frame);
    CHECK(f, !(rel->res.verdicts & TD_V_CAPTURE_DUPLICATE), "%s %u is a capture duplicate", what, frame);
}

static bool peer_spoke_before(const frame_log *f, const frame_log *log)
{
    for (const frame_log *k = log; k < f; k++)
        if (k->conv == f->conv && k->seg.endpoint != f->seg.endpoint &&
            !(k->res.verdicts & TD_V_CAPTURE_DUPLICATE))
            return true;
    return false;
}

/* The cause of a RST, and what goes with it. */
static void check_cause(const frame_log *f, const frame_log *log)
{
    const td_outcome *r = &f->res;
    uint32_t v = r->verdicts;
    bool dup = v & TD_V_CAPTURE_DUPLICATE;

    if (!(f->seg.tcp.flags & TD_RST) || dup) {
        CHECK(f, r->rst_cause == TD_RST_CAUSE_NONE, "cause %d on a segment that is no RST (or a copy)",
              (int)r->rst_cause);
        CHECK(f, r->rst_answers == 0, "rst_answers %u on a segment that is no RST (or a copy)", r->rst_answers);
    } else {
        CHECK(f, r->rst_cause >= 1 && r->rst_cause <= 7, "a RST with cause %d", (int)r->rst_cause);
        const td_rst_cause_info *info = td_rst_cause_lookup(r->rst_cause);
        CHECK(f, info && (unsigned)info->code == (unsigned)r->rst_cause &&
                     info->verdict == verdict_of_cause(r->rst_cause),
              "the catalogue's entry of cause %d is not the contract's", (int)r->rst_cause);
        /* Only a RST with nothing from P before it answers nothing: unexplained, or a
         * second RST or a give-up after repeats of R's own, which come first. */
        if (r->rst_cause == TD_RST_CAUSE_UNEXPLAINED)
            CHECK(f, r->rst_answers == 0, "an unexplained RST answers frame %u", r->rst_answers);
        if (r->rst_answers)
            check_peer_link(f, log, r->rst_answers, "rst_answers");
        else
            CHECK(f, !peer_spoke_before(f, log), "cause %d answers nothing, yet the peer sent before it",
                  (int)r->rst_cause);
        if (r->rst_cause == TD_RST_CAUSE_SPURIOUS_ACK)
            CHECK(f, r->rst_answers == r->related_frame, "a provoked RST answers %u, provoked by %u",
                  r->rst_answers, r->related_frame);
    }
    uint32_t want_bits = r->rst_cause == TD_RST_CAUSE_SPURIOUS_ACK ? 0 : verdict_of_cause(r->rst_cause);
    CHECK(f, (v & cause_verdicts) == want_bits, "cause %d with cause verdicts 0x%x",
          (int)r->rst_cause, v & cause_verdicts);
    if (r->rst_cause == TD_RST_CAUSE_SPURIOUS_ACK)
        CHECK(f, v & TD_V_PROVOKED_RST, "cause spurious_ack without provoked_rst");
    if (v & TD_V_PROVOKED_RST)
        CHECK(f, r->rst_cause == TD_RST_CAUSE_SPURIOUS_ACK || r->rst_cause == TD_RST_CAUSE_REFUSED,
              "provoked_rst with cause %d: only refused comes before spurious_ack", (int)r->rst_cause);
    if (r->rst_cause != TD_RST_CAUSE_DATA_AFTER_CLOSE)
        CHECK(f, r->lost_bytes == 0, "lost bytes %u on cause %d", r->lost_bytes, (int)r->rst_cause);
}

/* What must hold of one answer whatever the history. */
static void check_shape(const frame_log *f, const frame_log *log)
{
    const td_outcome *r = &f->res;
    const td_tcp *t = &f->seg.tcp;
    uint32_t v = r->verdicts;

    CHECK(f, (v & ~known_verdicts) == 0, "unknown verdict bits 0x%x", v);
    CHECK(f, !(v & TD_V_HALF_CLOSE), "half_close is a forward mark, not a verdict of this segment");
    CHECK(f, r->fixed_sender == TD_FIXED_SENDER_NOT_ASKED || r->fixed_sender == TD_FIXED_SENDER_SENDS ||
                 r->fixed_sender == TD_FIXED_SENDER_WITHHOLDS, "fixed verdict %d out of range", (int)r->fixed_sender);
    CHECK(f, r->fixed_sender == TD_FIXED_SENDER_NOT_ASKED || td_tcp_is_pure_ack(t),
          "fixed verdict %d on a segment that is no pure ACK", (int)r->fixed_sender);
    CHECK(f, !((v & TD_V_CAPTURE_DUPLICATE) && (v & ~TD_V_CAPTURE_DUPLICATE)),
          "a capture duplicate with another verdict (0x%x)", v);
    CHECK(f, __builtin_popcount(v & (TD_V_SPURIOUS_ACK | TD_V_SPURIOUS_ACK_HARMLESS |
                                     TD_V_FIN_REACK | TD_V_PROVOKED_RST | TD_V_RST_AFTER_CLOSE)) <= 1,
          "contradictory verdicts 0x%x", v);
    if (v & (TD_V_SPURIOUS_ACK | TD_V_SPURIOUS_ACK_HARMLESS | TD_V_FIN_REACK))
        CHECK(f, td_tcp_is_pure_ack(t), "verdict 0x%x on a segment that is not a pure ACK", v);
    if (v & (TD_V_SPURIOUS_ACK | TD_V_SPURIOUS_ACK_HARMLESS))
        CHECK(f, r->fixed_sender == TD_FIXED_SENDER_WITHHOLDS, "a fixed stack would send this spurious ACK");
    if (v & TD_V_FIN_REACK)
        CHECK(f, r->fixed_sender == TD_FIXED_SENDER_SENDS, "a fixed stack would withhold an ACK of a retransmitted FIN");
    if (v & verdicts_with_link) {
        CHECK(f, t->flags & TD_RST, "RST verdict 0x%x on a segment without RST", v);
        check_peer_link(f, log, r->related_frame, "related frame");
    } else {
        CHECK(f, r->related_frame == 0, "related frame %u without a verdict that needs one", r->related_frame);
    }
    if (v & TD_V_PROVOKED_RST) {
        const frame_log *rel = &log[r->related_frame - 1];
        CHECK(f, rel->res.verdicts & (TD_V_SPURIOUS_ACK | TD_V_SPURIOUS_ACK_HARMLESS),
              "provoked by frame %u, which is no spurious ACK", r->related_frame);
        CHECK(f, t->seq == rel->seg.tcp.ack, "RST seq is not the spurious ACK's ack number");
        /* The plugin keeps only markable frames whole, where the RST's link can land. */
        CHECK(f, rel->res.markable, "provoked by frame %u, which was not markable", r->related_frame);
    }
    CHECK(f, r->provoked_by_frame == ((v & TD_V_PROVOKED_RST) ? r->related_frame : 0),
          "provoked_by_frame %u, related frame %u", r->provoked_by_frame, r->related_frame);
    if (r->half_close_frame) {
        CHECK(f, r->half_close_frame < f->seg.frame, "half-close frame %u does not point backwards",
              r->half_close_frame);
        const frame_log *fin = &log[r->half_close_frame - 1];
        CHECK(f, fin->conv == f->conv && fin->seg.endpoint != f->seg.endpoint && (fin->seg.tcp.flags & TD_FIN),
              "half-close frame %u is not the peer's FIN", r->half_close_frame);
        CHECK(f, fin->res.markable, "half-close frame %u was not markable", r->half_close_frame);
    }
    if (!(v & TD_V_PROVOKED_RST))
        CHECK(f, r->response_bytes == 0, "response bytes on a segment that is no provoked RST");
    CHECK(f, r->counted == (v | (r->half_close_frame ? TD_V_HALF_CLOSE : 0)),
          "counted 0x%x, verdicts 0x%x, half-close frame %u", r->counted, v, r->half_close_frame);
    check_cause(f, log);
}

/* What the statistics rely on: each kind is new to a conversation once. */
static void check_firsts(const frame_log *log, size_t n)
{
    uint32_t kinds[TD_REC_CONVS] = {0};
    bool started[TD_REC_CONVS] = {false};
    for (size_t i = 0; i < n; i++) {
        const frame_log *f = &log[i];
        CHECK(f, f->res.first_segment == !started[f->conv], "first_segment %d", f->res.first_segment);
        CHECK(f, f->res.first_kinds == (f->res.counted & ~kinds[f->conv]),
              "first kinds 0x%x, counted 0x%x, already seen 0x%x", f->res.first_kinds, f->res.counted,
              kinds[f->conv]);
        started[f->conv] = true;
        kinds[f->conv] |= f->res.counted;
    }
}

static void check_view(const frame_log *f)
{
    const td_view *w = &f->view;
    const oracle_expect *x = &f->want;
    uint32_t v = f->res.verdicts;

    CHECK(f, state_valid(w->sender_state) && state_valid(w->receiver_state),
          "state out of range (%d, %d)", (int)w->sender_state, (int)w->receiver_state);
    CHECK(f, w->sender_state == state_of(x->sender_state) && w->receiver_state == state_of(x->receiver_state),
          "states %s/%s, the contract says %s/%s", td_tcp_state_name(w->sender_state),
          td_tcp_state_name(w->receiver_state), td_tcp_state_name(state_of(x->sender_state)),
          td_tcp_state_name(state_of(x->receiver_state)));
    CHECK(f, w->fin_ack_frame == x->fin_ack_frame, "fin_ack_frame %u, expected %u",
          w->fin_ack_frame, x->fin_ack_frame);
    CHECK(f, w->peer_fin_frame == x->peer_fin_frame, "peer_fin_frame %u, expected %u",
          w->peer_fin_frame, x->peer_fin_frame);
    CHECK(f, w->time_since_fin_ack_ns == x->time_since_fin_ack_ns, "time since the FIN's ACK is off");
    CHECK(f, w->in_teardown == x->in_teardown, "in_teardown %d, expected %d", w->in_teardown, x->in_teardown);
    if (v & TD_V_SPURIOUS_ACK)
        CHECK(f, w->receiver_state == TD_STATE_LAST_ACK || w->receiver_state == TD_STATE_CLOSED,
              "spurious ACK, but the peer is in %s", td_tcp_state_name(w->receiver_state));
    if (v & TD_V_SPURIOUS_ACK_HARMLESS)
        CHECK(f, w->receiver_state == TD_STATE_CLOSING || w->receiver_state == TD_STATE_TIME_WAIT ||
                     w->receiver_state == TD_STATE_CLOSED,
              "harmless spurious ACK, but the peer is in %s", td_tcp_state_name(w->receiver_state));
}

static void check_against_oracle(const frame_log *f)
{
    const td_outcome *got = &f->res;
    const oracle_expect *x = &f->want;
    CHECK(f, got->verdicts == expected_verdicts(x), "verdicts 0x%x, the contract says 0x%x",
          got->verdicts, expected_verdicts(x));
    CHECK(f, got->fixed_sender == fixed_of(x->fixed), "fixed verdict %d, the contract says %d",
          (int)got->fixed_sender, (int)fixed_of(x->fixed));
    CHECK(f, (unsigned)got->rst_cause == (unsigned)x->cause, "cause %d, the contract says %d",
          (int)got->rst_cause, (int)x->cause);
    CHECK(f, got->rst_answers == x->rst_answers, "rst_answers %u, the contract says %u",
          got->rst_answers, x->rst_answers);
    CHECK(f, got->related_frame == x->related_frame, "related frame %u, the contract says %u",
          got->related_frame, x->related_frame);
    CHECK(f, got->provoked_by_frame == x->provoked_by_frame, "provoked_by frame %u, the contract says %u",
          got->provoked_by_frame, x->provoked_by_frame);
    if (x->bytes_undefined)
        return;
    CHECK(f, got->response_bytes == clamp32(x->response_bytes), "response bytes %u, the contract says %llu",
          got->response_bytes, (unsigned long long)x->response_bytes);
    CHECK(f, got->lost_bytes == clamp32(x->lost_bytes), "lost bytes %u, the contract says %llu",
          got->lost_bytes, (unsigned long long)x->lost_bytes);
    CHECK(f, got->half_close_frame == x->half_close_frame, "half-close frame %u, the contract says %u",
          got->half_close_frame, x->half_close_frame);
}

static bool outcome_equal(const td_outcome *a, const td_outcome *b)
{
    return a->verdicts == b->verdicts && a->counted == b->counted && a->first_kinds == b->first_kinds &&
           a->first_segment == b->first_segment && a->fixed_sender == b->fixed_sender &&
           a->rst_cause == b->rst_cause && a->related_frame == b->related_frame &&
           a->rst_answers == b->rst_answers && a->response_bytes == b->response_bytes &&
           a->lost_bytes == b->lost_bytes && a->half_close_frame == b->half_close_frame &&
           a->provoked_by_frame == b->provoked_by_frame && a->markable == b->markable;
}

static bool view_equal(const td_view *a, const td_view *b)
{
    return a->in_teardown == b->in_teardown && a->sender_state == b->sender_state &&
           a->receiver_state == b->receiver_state && a->fin_ack_frame == b->fin_ack_frame &&
           a->time_since_fin_ack_ns == b->time_since_fin_ack_ns &&
           a->peer_fin_frame == b->peer_fin_frame;
}

/* A second pass feeds the same segments to fresh state and must hear the same answers;
 * and the view of a frame, asked after the whole capture, must be the one it had (what a
 * second pass renders is what the first showed). */
static void check_passes(const frame_log *log, size_t n, const td_conv *convs)
{
    td_conv again[TD_REC_CONVS];
    for (unsigned c = 0; c < TD_REC_CONVS; c++)
        td_conv_init(&again[c]);
    for (size_t i = 0; i < n; i++) {
        const frame_log *f = &log[i];
        td_outcome second;
        td_view later;
        td_conv_feed(&again[f->conv], &f->seg, &second);
        CHECK(f, outcome_equal(&second, &f->res), "a second pass gives another outcome (cause %d, now %d)",
              (int)f->res.rst_cause, (int)second.rst_cause);
        td_conv_view(&convs[f->conv], f->seg.endpoint, f->seg.frame, f->seg.time_ns, &later);
        CHECK(f, view_equal(&later, &f->view),
              "the view changed once later frames were fed (states %d/%d, now %d/%d)",
              (int)f->view.sender_state, (int)f->view.receiver_state,
              (int)later.sender_state, (int)later.receiver_state);
    }
}

static oracle_seg oracle_seg_of(const td_segment *s)
{
    return (oracle_seg){
        .frame = s->frame, .time_ns = s->time_ns, .endpoint = s->endpoint, .ip_id = s->ip_id,
        .options = s->options_digest, .seq = s->tcp.seq, .ack = s->tcp.ack, .len = s->tcp.len,
        .window = s->tcp.window, .flags = s->tcp.flags,
    };
}

/* The oracle judges each conversation once it has all of it. */
static void ask_oracle(frame_log *log, size_t n)
{
    oracle_seg *trace = calloc(n, sizeof *trace);
    oracle_expect *want = calloc(n, sizeof *want);
    size_t *where = calloc(n, sizeof *where);
    if (!trace || !want || !where)
        abort();
    for (unsigned c = 0; c < TD_REC_CONVS; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (log[i].conv == c) {
                where[m] = i;
                trace[m++] = oracle_seg_of(&log[i].seg);
            }
        }
        if (!oracle_judge(trace, m, want))
            abort();
        for (size_t k = 0; k < m; k++)
            log[where[k]].want = want[k];
    }
    free(where);
    free(want);
    free(trace);
}

/* TEARDOWN_FUZZ_TRACE=1 lists every segment with the detector's and the oracle's answers. */
static void trace(const frame_log *f)
{
    static int on = -1;
    if (on < 0)
        on = getenv("TEARDOWN_FUZZ_TRACE") != NULL;
    if (!on)
        return;
    const td_outcome *r = &f->res;
    const oracle_expect *x = &f->want;
    fprintf(stderr, "frame %u conv %u ep %u flags 0x%02x seq %u ack %u len %u win %u id %d t %lld us: "
                    "verdicts 0x%x fixed %d cause %d answers %u related %u half_close %u bytes %u/%u"
                    " | oracle 0x%x %d %d %u %u %u %llu/%llu\n",
            f->seg.frame, f->conv, f->seg.endpoint, f->seg.tcp.flags, f->seg.tcp.seq, f->seg.tcp.ack,
            f->seg.tcp.len, f->seg.tcp.window, f->seg.ip_id, (long long)(f->seg.time_ns / 1000),
            r->verdicts, (int)r->fixed_sender, (int)r->rst_cause, r->rst_answers, r->related_frame,
            r->half_close_frame, r->response_bytes, r->lost_bytes, expected_verdicts(x),
            (int)fixed_of(x->fixed), (int)x->cause, x->rst_answers, x->related_frame,
            x->half_close_frame, (unsigned long long)x->response_bytes, (unsigned long long)x->lost_bytes);
}

void check_core_input(const uint8_t *data, size_t size)
{
    size_t n = size / TD_REC_SIZE;
    if (n == 0)
        return;
    frame_log *log = calloc(n, sizeof *log);
    td_conv convs[TD_REC_CONVS];
    rec_decoder dec;

    if (!log)
        abort();
    rec_decoder_init(&dec);
    for (unsigned c = 0; c < TD_REC_CONVS; c++)
        td_conv_init(&convs[c]);
    for (size_t i = 0; i < n; i++) {
        frame_log *f = &log[i];
        rec_decode(&dec, data + i * TD_REC_SIZE, &f->seg, &f->conv);
        td_conv_feed(&convs[f->conv], &f->seg, &f->res);
        td_conv_view(&convs[f->conv], f->seg.endpoint, f->seg.frame, f->seg.time_ns, &f->view);
    }
    ask_oracle(log, n);
    for (size_t i = 0; i < n; i++)
        trace(&log[i]);
    for (size_t i = 0; i < n; i++) {
        check_shape(&log[i], log);
        check_view(&log[i]);
        check_against_oracle(&log[i]);
    }
    check_firsts(log, n);
    check_passes(log, n, convs);
    free(log);
}
