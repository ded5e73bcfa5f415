#include "check_core.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "oracle.h"
#include "records.h"

typedef struct frame_log {
    unsigned   conv;
    td_segment seg;
    td_outcome  res;
    td_view    view;
} frame_log;

static void fail(const frame_log *f, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "invariant broken at frame %u (conversation %u, dir %u, flags 0x%02x, "
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

static bool state_valid(td_tcp_state s)
{
    return s >= TD_STATE_ESTABLISHED && s <= TD_STATE_CLOSED;
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
        CHECK(f, r->related_frame != 0, "verdict 0x%x without its related frame", v);
    } else {
        CHECK(f, r->related_frame == 0, "related frame %u without a verdict that needs one", r->related_frame);
    }
    CHECK(f, r->related_frame < f->seg.frame, "related frame %u does not point backwards", r->related_frame);
    CHECK(f, r->half_close_frame < f->seg.frame, "half-close frame %u does not point backwards",
          r->half_close_frame);
    if (r->related_frame) {
        const frame_log *rel = &log[r->related_frame - 1];
        CHECK(f, rel->conv == f->conv && rel->seg.endpoint != f->seg.endpoint,
              "related frame %u is not the peer's segment in this conversation", r->related_frame);
        if (v & TD_V_PROVOKED_RST) {
            CHECK(f, rel->res.verdicts & (TD_V_SPURIOUS_ACK | TD_V_SPURIOUS_ACK_HARMLESS),
                  "provoked by frame %u, which is no spurious ACK", r->related_frame);
            CHECK(f, t->seq == rel->seg.tcp.ack, "RST seq is not the spurious ACK's ack number");
        }
    }
    if (!(v & TD_V_PROVOKED_RST))
        CHECK(f, r->response_bytes == 0, "response bytes on a segment that is no provoked RST");
}

static void check_view(const frame_log *f, const oracle_conv *o)
{
    const td_view *w = &f->view;
    const oracle_side *me = &o->ep[f->seg.endpoint];
    const oracle_side *peer = &o->ep[!f->seg.endpoint];
    uint32_t v = f->res.verdicts;

    CHECK(f, state_valid(w->sender_state) && state_valid(w->receiver_state),
          "state out of range (%d, %d)", (int)w->sender_state, (int)w->receiver_state);
    CHECK(f, w->fin_ack_frame == me->fin_ack_frame, "fin_ack_frame %u, expected %u",
          w->fin_ack_frame, me->fin_ack_frame);
    CHECK(f, w->peer_fin_frame == peer->fin_frame, "peer_fin_frame %u, expected %u",
          w->peer_fin_frame, peer->fin_frame);
    if (w->fin_ack_frame)
        CHECK(f, w->time_since_fin_ack_ns == f->seg.time_ns - me->fin_ack_time_ns,
              "time since the FIN's ACK is off");
    CHECK(f, w->in_teardown == (me->fin_frame || peer->fin_frame || o->rst_frame),
          "in_teardown %d disagrees with the FINs and RSTs seen", w->in_teardown);
    if (o->rst_frame)
        CHECK(f, w->sender_state == TD_STATE_CLOSED && w->receiver_state == TD_STATE_CLOSED,
              "not CLOSED after a RST");
    /* Every segment from an endpoint that has acknowledged its peer's FIN is asked. */
    if (!(v & TD_V_CAPTURE_DUPLICATE))
        CHECK(f, (f->res.fixed_sender != TD_FIXED_SENDER_NOT_ASKED) == (w->fin_ack_frame != 0),
              "fixed verdict %d, yet the FIN's ACK is in frame %u", (int)f->res.fixed_sender, w->fin_ack_frame);
    if (v & TD_V_SPURIOUS_ACK)
        CHECK(f, w->receiver_state == TD_STATE_LAST_ACK || w->receiver_state == TD_STATE_CLOSED,
              "spurious ACK, but the peer is in %d", (int)w->receiver_state);
    if (v & TD_V_SPURIOUS_ACK_HARMLESS)
        CHECK(f, w->receiver_state == TD_STATE_CLOSING || w->receiver_state == TD_STATE_TIME_WAIT ||
                     w->receiver_state == TD_STATE_CLOSED,
              "harmless spurious ACK, but the peer is in %d", (int)w->receiver_state);
    if (v & (TD_V_SPURIOUS_ACK | TD_V_SPURIOUS_ACK_HARMLESS))
        CHECK(f, o->has_closer && o->closer == f->seg.endpoint && me->fin_ack_frame < f->seg.frame &&
                     me->fin_frame < peer->fin_frame,
              "spurious ACK from an endpoint that did not close first or had not ACKed the FIN");
}

static void check_against_oracle(const frame_log *f, const td_outcome *want)
{
    const td_outcome *got = &f->res;
    CHECK(f, got->verdicts == want->verdicts, "verdicts 0x%x, contract says 0x%x",
          got->verdicts, want->verdicts);
    CHECK(f, got->fixed_sender == want->fixed_sender, "fixed verdict %d, contract says %d",
          (int)got->fixed_sender, (int)want->fixed_sender);
    CHECK(f, got->related_frame == want->related_frame, "related frame %u, contract says %u",
          got->related_frame, want->related_frame);
    CHECK(f, got->response_bytes == want->response_bytes, "response bytes %u, contract says %u",
          got->response_bytes, want->response_bytes);
    CHECK(f, got->half_close_frame == want->half_close_frame, "half-close frame %u, contract says %u",
          got->half_close_frame, want->half_close_frame);
}

static bool view_equal(const td_view *a, const td_view *b)
{
    return a->in_teardown == b->in_teardown && a->sender_state == b->sender_state &&
           a->receiver_state == b->receiver_state && a->fin_ack_frame == b->fin_ack_frame &&
           a->time_since_fin_ack_ns == b->time_since_fin_ack_ns &&
           a->peer_fin_frame == b->peer_fin_frame;
}

/* The view of a frame must not change as later frames are fed: what the second pass
 * renders is what the first showed. */
static void check_views_stable(const frame_log *log, size_t n, const td_conv *convs)
{
    for (size_t i = 0; i < n; i++) {
        const frame_log *f = &log[i];
        td_view again;
        td_conv_view(&convs[f->conv], f->seg.endpoint, f->seg.frame, f->seg.time_ns, &again);
        CHECK(f, view_equal(&again, &f->view),
              "the view changed once later frames were fed (states %d/%d, now %d/%d)",
              (int)f->view.sender_state, (int)f->view.receiver_state,
              (int)again.sender_state, (int)again.receiver_state);
    }
}

/* TEARDOWN_FUZZ_TRACE=1 lists every segment and its verdicts, to read a failing input. */
static void trace(const frame_log *f)
{
    static int on = -1;
    if (on < 0)
        on = getenv("TEARDOWN_FUZZ_TRACE") != NULL;
    if (on)
        fprintf(stderr, "frame %u conv %u dir %u flags 0x%02x seq %u ack %u len %u id %d "
                        "t %lld us: verdicts 0x%x fixed %d related %u half_close %u\n",
                f->seg.frame, f->conv, f->seg.endpoint, f->seg.tcp.flags, f->seg.tcp.seq,
                f->seg.tcp.ack, f->seg.tcp.len, f->seg.ip_id, (long long)(f->seg.time_ns / 1000),
                f->res.verdicts, (int)f->res.fixed_sender, f->res.related_frame, f->res.half_close_frame);
}

void check_core_input(const uint8_t *data, size_t size)
{
    size_t n = size / TD_REC_SIZE;
    if (n == 0)
        return;
    frame_log *log = calloc(n, sizeof *log);
    td_conv convs[TD_REC_CONVS];
    oracle_conv oracles[TD_REC_CONVS];
    rec_decoder dec;

    if (!log)
        abort();
    rec_decoder_init(&dec);
    for (unsigned c = 0; c < TD_REC_CONVS; c++) {
        td_conv_init(&convs[c]);
        oracle_init(&oracles[c]);
    }
    for (size_t i = 0; i < n; i++) {
        frame_log *f = &log[i];
        td_outcome want;
        rec_decode(&dec, data + i * TD_REC_SIZE, &f->seg, &f->conv);
        td_conv_feed(&convs[f->conv], &f->seg, &f->res);
        td_conv_view(&convs[f->conv], f->seg.endpoint, f->seg.frame, f->seg.time_ns, &f->view);
        oracle_feed(&oracles[f->conv], &f->seg, &want);
        trace(f);
        check_shape(f, log);
        check_view(f, &oracles[f->conv]);
        check_against_oracle(f, &want);
    }
    check_views_stable(log, n, convs);
    free(log);
}
