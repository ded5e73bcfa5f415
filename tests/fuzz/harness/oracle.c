#include "oracle.h"

#include <stdlib.h>
#include <string.h>

/* The contract's words, one function each, in the order the contract defines them. Every
 * question about the past is a scan back over the trace: slow, and with no state that
 * could drift from what the trace shows. */

#define COPY_WINDOW_NS INT64_C(1000000) /* "less than 1 ms" */
#define GIVE_UP_REPEATS 3               /* "three or more times" */
#define WINDOW_LIMIT 0x40000000u        /* 2^30, the largest window (RFC 7323) */

typedef enum { TOOK_NOTHING, TOOK_FIN, TOOK_OTHER } took_kind;

/* What the oracle works out about each segment, in the order it does so. */
typedef struct facts {
    bool      same_as_prev;  /* identical to the endpoint's previous segment */
    bool      close_to_prev; /* ... and less than 1 ms after it */
    bool      eligible;      /* ... and its original may have one more copy */
    unsigned  copy_no;       /* 0: an original; k: its original's kth copy */
    bool      dup;
    /* The rest only for segments that are not capture duplicates. */
    bool      has_next;      /* the endpoint had sent something before */
    uint32_t  next_before;   /* its next sequence number before this segment */
    bool      keepalive;
    uint64_t  unique;        /* payload bytes at sequence numbers never sent before */
    bool      needs_ack;
    bool      solicited_fin; /* a copy of the sender's FIN, awaiting an ACK */
    bool      solicited_other;
    bool      answer;        /* an ACK that answers one of the peer's solicited segments */
    took_kind took;
} facts;

typedef struct conv {
    const oracle_seg *s;
    facts            *f;
    long              n;
    long              fin[2];     /* first FIN of each endpoint; -1 for none */
    uint32_t          fin_seq[2];
    long              fin_ack[2]; /* first ACK of the peer's FIN */
    long              first_rst;
    long              out_of_window; /* first segment beyond any window; n for none */
    int               closer;     /* X; -1 before any FIN */
    bool              simultaneous;
} conv;

/* a after b, modulo 2^32. */
static bool after(uint32_t a, uint32_t b)
{
    return a != b && a - b < 0x80000000u;
}

static bool pure_ack(const oracle_seg *s)
{
    return (s->flags & (ORACLE_ACK | ORACLE_SYN | ORACLE_FIN | ORACLE_RST)) == ORACLE_ACK && s->len == 0;
}

/* The endpoint's latest segment before index i; -1 for none. Capture duplicates count
 * only when asked for. */
static long latest(const conv *c, unsigned endpoint, long i, bool with_dups)
{
    for (long k = i - 1; k >= 0; k--)
        if (c->s[k].endpoint == endpoint && (with_dups || !c->f[k].dup))
            return k;
    return -1;
}

static bool seen_by(long landmark, long i)
{
    return landmark >= 0 && landmark <= i;
}

/* ---- Capture duplicates ---------------------------------------------------------------- */

static bool identical(const oracle_seg *a, const oracle_seg *b)
{
    return a->seq == b->seq && a->ack == b->ack && a->len == b->len && a->window == b->window &&
           a->flags == b->flags && a->ip_id == b->ip_id && a->options == b->options;
}

/* Has the capture shown an earlier segment of this endpoint twice, < 1 ms apart, before
 * i? Such a pair is evidence, whether or not its second half was called a copy; it is
 * about an earlier segment once a different one has followed it (a burst of identical
 * RSTs, one per segment that reached a closed socket, teaches nothing about itself). */
static bool copies_learned(const conv *c, unsigned e, long i)
{
    bool pair = false;
    for (long k = 0; k < i; k++) {
        if (c->s[k].endpoint != e)
            continue;
        if (pair && !c->f[k].same_as_prev)
            return true;
        if (c->f[k].same_as_prev && c->f[k].close_to_prev && c->f[k].eligible)
            pair = true;
    }
    return false;
}

/* Has it shown one exactly three times, each < 1 ms after the one before, and then
 * something else (so that the run is known to have ended at three)? */
static bool triples_learned(const conv *c, unsigned e, long i)
{
    for (long k = 0; k < i; k++) {
        if (c->s[k].endpoint != e || c->f[k].same_as_prev)
            continue;
        long third = latest(c, e, k, true);
        long second = third >= 0 ? latest(c, e, third, true) : -1;
        long first = second >= 0 ? latest(c, e, second, true) : -1;
        if (first >= 0 && c->f[third].same_as_prev && c->f[third].close_to_prev &&
            c->f[second].same_as_prev && c->f[second].close_to_prev && !c->f[first].same_as_prev)
            return true;
    }
    return false;
}

static void find_duplicates(conv *c)
{
    for (long i = 0; i < c->n; i++) {
        const oracle_seg *s = &c->s[i];
        facts *f = &c->f[i];
        long j = latest(c, s->endpoint, i, true);
        if (j < 0 || !identical(&c->s[j], s))
            continue;
        int64_t gap = s->time_ns - c->s[j].time_ns;
        f->same_as_prev = true;
        f->close_to_prev = gap >= 0 && gap < COPY_WINDOW_NS;
        unsigned allowed = triples_learned(c, s->endpoint, i) ? 2 : 1;
        f->eligible = c->f[j].copy_no < allowed;
        if (f->eligible) {
            if (s->ip_id > 0)
                f->dup = true;
            else
                f->dup = f->close_to_prev && copies_learned(c, s->endpoint, i);
        }
        f->copy_no = f->dup ? c->f[j].copy_no + 1 : 0;
    }
}

/* ---- Sequence space: next sequence number, keep-alives, unique payload ------------------ */

/* Unique payload as docs/DESIGN.md reads "bytes counted once per sequence number": a byte
 * is new when it lies beyond the highest sequence number the endpoint has used, or inside
 * the latest hole below it that nothing has filled yet (a FIN that overtook data leaves
 * one). The hole is the gap the latest jump ahead left; a segment inside it leaves the
 * larger of the two remainders. A keep-alive's byte is never new and fills nothing.
 * Positions are unwrapped onto 64 bits around the endpoint's next sequence number. */
typedef struct hole {
    uint64_t lo, hi; /* empty when equal */
} hole;

static uint64_t new_bytes_in_hole(hole *h, uint64_t lo, uint64_t hi)
{
    uint64_t from = lo > h->lo ? lo : h->lo;
    uint64_t to = hi < h->hi ? hi : h->hi;
    if (to <= from)
        return 0;
    if (from - h->lo >= h->hi - to)
        h->hi = from;
    else
        h->lo = to;
    return to - from;
}

static void walk_sequence_space(conv *c)
{
    for (unsigned e = 0; e < 2; e++) {
        bool has = false;
        uint32_t next32 = 0;
        uint64_t next64 = 0;
        hole h = {0, 0};
        for (long i = 0; i < c->n; i++) {
            const oracle_seg *s = &c->s[i];
            facts *f = &c->f[i];
            if (s->endpoint != e || f->dup)
                continue;
            uint32_t extra = !!(s->flags & ORACLE_SYN) + !!(s->flags & ORACLE_FIN);
            uint32_t end32 = s->seq + s->len + extra;
            f->has_next = has;
            f->next_before = next32;
            f->keepalive = has && s->len <= 1 && !(s->flags & (ORACLE_SYN | ORACLE_FIN | ORACLE_RST)) &&
                           s->seq + 1 == next32;
            f->needs_ack = !(s->flags & ORACLE_RST) &&
                           (s->len || extra || (has && s->seq + 1 == next32));
            if (!has) {
                if (s->len >= WINDOW_LIMIT && i < c->out_of_window)
                    c->out_of_window = i;
                f->unique = s->len;
                next64 = (UINT64_C(1) << 40) + end32;
                next32 = end32;
                has = true;
                continue;
            }
            int32_t offset = (int32_t)(s->seq - next32);
            if ((s->len >= WINDOW_LIMIT || offset >= (int32_t)WINDOW_LIMIT || offset <= -(int32_t)WINDOW_LIMIT) &&
                i < c->out_of_window)
                c->out_of_window = i;
            uint64_t lo = next64 + (uint64_t)(int64_t)offset;
            uint64_t data_hi = lo + s->len;
            if (after(s->seq, next32)) {
                f->unique = s->len;
                h = (hole){next64, lo};
            } else if (!f->keepalive) {
                uint64_t below = data_hi < next64 ? data_hi : next64;
                f->unique = new_bytes_in_hole(&h, lo, below) + (data_hi - below);
            }
            if (after(end32, next32)) {
                next64 += (uint32_t)(end32 - next32);
                next32 = end32;
            }
        }
    }
}

/* ---- Landmarks: FINs, ACKs of FINs, the first RST, the roles ----------------------------- */

static bool acks_fin_of(const conv *c, long i, unsigned peer)
{
    const oracle_seg *s = &c->s[i];
    return c->fin[peer] >= 0 && c->fin[peer] < i && (s->flags & ORACLE_ACK) &&
           s->ack == c->fin_seq[peer] + 1;
}

static void find_landmarks(conv *c)
{
    c->fin[0] = c->fin[1] = c->fin_ack[0] = c->fin_ack[1] = c->first_rst = -1;
    c->closer = -1;
    for (long i = 0; i < c->n; i++) {
        const oracle_seg *s = &c->s[i];
        unsigned e = s->endpoint;
        if (c->f[i].dup)
            continue;
        if ((s->flags & ORACLE_FIN) && c->fin[e] < 0) {
            c->fin[e] = i;
            c->fin_seq[e] = s->seq + s->len;
        }
        if ((s->flags & ORACLE_RST) && c->first_rst < 0)
            c->first_rst = i;
    }
    for (long i = 0; i < c->n; i++) {
        unsigned e = c->s[i].endpoint;
        if (!c->f[i].dup && c->fin_ack[e] < 0 && acks_fin_of(c, i, !e))
            c->fin_ack[e] = i;
    }
    if (c->fin[0] >= 0 || c->fin[1] >= 0) {
        c->closer = c->fin[1] < 0 || (c->fin[0] >= 0 && c->fin[0] < c->fin[1]) ? 0 : 1;
        long y_fin = c->fin[!c->closer];
        if (y_fin >= 0) {
            const oracle_seg *s = &c->s[y_fin];
            c->simultaneous = !((s->flags & ORACLE_ACK) && s->ack == c->fin_seq[c->closer] + 1);
        }
    }
}

/* ---- Solicited segments and their answers ----------------------------------------------- */

/* From its FIN on, what an endpoint sends that needs an ACK earns one: copies of its FIN
 * (the same FIN sequence) apart from the rest. A RST earns nothing. */
static void find_solicited(conv *c)
{
    for (long i = 0; i < c->n; i++) {
        const oracle_seg *s = &c->s[i];
        facts *f = &c->f[i];
        long fin = c->fin[s->endpoint];
        if (f->dup || fin < 0 || i < fin || (s->flags & ORACLE_RST))
            continue;
        if (!(s->flags & ORACLE_FIN))
            f->solicited_other = f->needs_ack;
        else if (s->seq + s->len == c->fin_seq[s->endpoint])
            f->solicited_fin = true;
        else
            f->solicited_other = true;
    }
}

/* A duplicate ACK below the peer's FIN sequence, sent after that FIN appeared and before
 * the sender first ACKed it, points at a hole the FIN jumped: it answers too. */
static bool duplicate_ack_below_fin(const conv *c, long i)
{
    const oracle_seg *s = &c->s[i];
    unsigned e = s->endpoint;
    if (c->fin[!e] < 0 || c->fin[!e] >= i || seen_by(c->fin_ack[e], i - 1) || !pure_ack(s))
        return false;
    long prev = latest(c, e, i, false);
    return prev >= 0 && (c->s[prev].flags & ORACLE_ACK) && c->s[prev].ack == s->ack &&
           after(c->fin_seq[!e], s->ack);
}

/* How many of the peer's solicited segments of each kind before i are still unanswered:
 * earned minus answered, counted afresh from the trace. */
static void unanswered(const conv *c, long i, unsigned peer, uint64_t *fins, uint64_t *others)
{
    uint64_t earned_fin = 0, earned_other = 0, took_fin = 0, took_other = 0;
    for (long k = 0; k < i; k++) {
        const facts *f = &c->f[k];
        if (c->s[k].endpoint == peer) {
            earned_fin += f->solicited_fin;
            earned_other += f->solicited_other;
        } else if (f->answer) {
            took_fin += f->took == TOOK_FIN;
            took_other += f->took == TOOK_OTHER;
        }
    }
    *fins = earned_fin - took_fin;
    *others = earned_other - took_other;
}

/* Each answer takes one unanswered segment, copies of the FIN first (docs/DESIGN.md). */
static void find_answers(conv *c)
{
    for (long i = 0; i < c->n; i++) {
        facts *f = &c->f[i];
        unsigned e = c->s[i].endpoint;
        if (f->dup || !(acks_fin_of(c, i, !e) || duplicate_ack_below_fin(c, i)))
            continue;
        uint64_t fins, others;
        unanswered(c, i, !e, &fins, &others);
        f->answer = true;
        f->took = fins ? TOOK_FIN : others ? TOOK_OTHER : TOOK_NOTHING;
    }
}

/* ---- Verdicts on pure ACKs ------------------------------------------------------------- */

/* A pure ACK from an endpoint that has ACKed its peer's FIN: would a fixed stack send it?
 * Its first ACK of the FIN, yes; later ones only for something that awaits an answer. */
static oracle_fixed fixed_sender(const conv *c, long i)
{
    const oracle_seg *s = &c->s[i];
    unsigned e = s->endpoint;
    if (!pure_ack(s) || !seen_by(c->fin_ack[e], i))
        return ORACLE_NOT_ASKED;
    if (c->fin_ack[e] == i)
        return ORACLE_SENDS;
    if (c->f[i].answer)
        return c->f[i].took != TOOK_NOTHING ? ORACLE_SENDS : ORACLE_WITHHOLDS;
    uint64_t fins, others;
    unanswered(c, i, !e, &fins, &others);
    return fins + others ? ORACLE_SENDS : ORACLE_WITHHOLDS;
}

/* X ACKs Y's FIN again, and nothing awaited that ACK. */
static bool is_spurious(const conv *c, long i)
{
    const oracle_seg *s = &c->s[i];
    unsigned e = s->endpoint;
    return !c->f[i].dup && c->closer == (int)e && pure_ack(s) && acks_fin_of(c, i, !e) &&
           c->fin_ack[e] < i && c->f[i].took == TOOK_NOTHING;
}

static bool is_fin_reack(const conv *c, long i)
{
    const oracle_seg *s = &c->s[i];
    unsigned e = s->endpoint;
    return !c->f[i].dup && pure_ack(s) && acks_fin_of(c, i, !e) && c->fin_ack[e] < i &&
           c->f[i].took == TOOK_FIN;
}

/* ---- Resets ---------------------------------------------------------------------------- */

static uint64_t unique_between(const conv *c, unsigned e, long from, long to)
{
    uint64_t sum = 0;
    for (long k = from + 1; k < to; k++)
        if (c->s[k].endpoint == e && !c->f[k].dup)
            sum += c->f[k].unique;
    return sum;
}

/* The spurious ACK a RST from Y at i answers: X's latest one with nothing from Y since. */
static long spurious_before(const conv *c, long i)
{
    unsigned y = c->s[i].endpoint;
    for (long k = i - 1; k >= 0; k--) {
        if (c->f[k].dup)
            continue;
        if (c->s[k].endpoint == y)
            return -1;
        if (is_spurious(c, k))
            return k;
    }
    return -1;
}

/* How many times in a row R sent the same segment that needed an answer, right before
 * i, with nothing from P in between. The same segment: sequence number, acknowledgement,
 * length and flags (PSH aside: a retransmission may set it differently). */
static unsigned repeats_before(const conv *c, long i)
{
    unsigned r = c->s[i].endpoint, count = 0;
    const oracle_seg *model = NULL;
    for (long k = i - 1; k >= 0; k--) {
        const oracle_seg *s = &c->s[k];
        if (c->f[k].dup)
            continue;
        if (s->endpoint != r || !c->f[k].needs_ack)
            break;
        if (model && !(s->seq == model->seq && s->ack == model->ack && s->len == model->len &&
                       (s->flags & ~ORACLE_PSH) == (model->flags & ~ORACLE_PSH)))
            break;
        model = s;
        count++;
    }
    return count;
}

static bool sent_flag_before(const conv *c, unsigned e, long i, uint8_t flag)
{
    for (long k = 0; k < i; k++)
        if (c->s[k].endpoint == e && !c->f[k].dup && (c->s[k].flags & flag))
            return true;
    return false;
}

/* P's first payload after R's FIN, sent while P had no FIN, since R's previous segment. */
static long late_payload_since(const conv *c, long i)
{
    unsigned r = c->s[i].endpoint, p = !r;
    long r_fin = c->fin[r], r_prev = latest(c, r, i, false);
    if (r_fin < 0 || r_fin >= i)
        return -1;
    for (long k = r_prev + 1; k < i; k++) {
        const oracle_seg *s = &c->s[k];
        if (s->endpoint != p || c->f[k].dup || k <= r_fin)
            continue;
        if (s->len && !c->f[k].keepalive && !(c->fin[p] >= 0 && c->fin[p] < k))
            return k;
    }
    return -1;
}

/* R holds no connection for what its RST at i answers. */
static bool holds_no_connection(const conv *c, long i)
{
    const oracle_seg *s = &c->s[i];
    unsigned r = s->endpoint, p = !r;
    long p_last = latest(c, p, i, false), r_last = latest(c, r, i, false);
    bool r_fin_acked = c->fin_ack[p] >= 0 && c->fin_ack[p] < i;

    if (r_fin_acked && c->fin_ack[r] >= 0 && c->fin_ack[r] < i)
        return true;
    if (r_fin_acked && p_last >= 0 && (c->s[p_last].flags & ORACLE_FIN))
        return true;
    return !(s->flags & ORACLE_ACK) && p_last > r_last && (c->s[p_last].flags & ORACLE_ACK) &&
           s->seq == c->s[p_last].ack;
}

static void judge_rst(const conv *c, long i, oracle_expect *x)
{
    const oracle_seg *s = &c->s[i];
    unsigned r = s->endpoint, p = !r;
    long p_last = latest(c, p, i, false), r_last = latest(c, r, i, false);
    bool from_y = c->closer >= 0 && c->fin[c->closer] < i && (int)r != c->closer;
    long spurious = -1;

    if (from_y && c->fin[r] >= 0 && c->fin[r] < i) {
        spurious = spurious_before(c, i);
        if (spurious >= 0 && s->seq == c->s[spurious].ack) {
            x->provoked_rst = true;
            x->related_frame = x->provoked_by_frame = c->s[spurious].frame;
            x->response_bytes = unique_between(c, r, c->fin[c->closer], i);
        } else {
            x->rst_after_close = true;
            x->related_frame = c->s[latest(c, (unsigned)c->closer, i, false)].frame;
        }
    }

    long payload;
    x->rst_answers = p_last >= 0 ? c->s[p_last].frame : 0;
    if (p_last > r_last && (c->s[p_last].flags & (ORACLE_SYN | ORACLE_ACK)) == ORACLE_SYN &&
        !sent_flag_before(c, r, i, ORACLE_SYN)) {
        x->cause = ORACLE_CAUSE_REFUSED;
    } else if (x->provoked_rst) {
        x->cause = ORACLE_CAUSE_SPURIOUS_ACK;
        x->rst_answers = c->s[spurious].frame;
    } else if (sent_flag_before(c, r, i, ORACLE_RST)) {
        x->cause = ORACLE_CAUSE_NO_CONNECTION;
    } else if (repeats_before(c, i) >= GIVE_UP_REPEATS) {
        x->cause = ORACLE_CAUSE_RETRANSMISSION_TIMEOUT;
    } else if ((payload = late_payload_since(c, i)) >= 0) {
        x->cause = ORACLE_CAUSE_DATA_AFTER_CLOSE;
        x->rst_answers = c->s[payload].frame;
        x->lost_bytes = unique_between(c, p, c->fin[r], i);
    } else if (holds_no_connection(c, i)) {
        x->cause = ORACLE_CAUSE_NO_CONNECTION;
    } else if (p_last >= 0) {
        x->cause = ORACLE_CAUSE_ABORT;
    } else {
        x->cause = ORACLE_CAUSE_UNEXPLAINED;
    }
}

/* ---- The early half-close -------------------------------------------------------------- */

/* Y's first segment with new payload after X's FIN; -1 for none. */
static long half_close_revealed(const conv *c)
{
    if (c->closer < 0)
        return -1;
    for (long k = c->fin[c->closer] + 1; k < c->n; k++)
        if (!c->f[k].dup && (int)c->s[k].endpoint != c->closer && c->f[k].unique)
            return k;
    return -1;
}

/* ---- States (docs/DESIGN.md, "States") ------------------------------------------------- */

static oracle_state state_after(const conv *c, unsigned me, long i)
{
    bool my_fin = seen_by(c->fin[me], i), peer_fin = seen_by(c->fin[!me], i);
    bool my_fin_acked = seen_by(c->fin_ack[!me], i);

    if (seen_by(c->first_rst, i))
        return ORACLE_CLOSED;
    if (!my_fin)
        return peer_fin ? ORACLE_CLOSE_WAIT : ORACLE_ESTABLISHED;
    if (!peer_fin)
        return my_fin_acked ? ORACLE_FIN_WAIT_2 : ORACLE_FIN_WAIT_1;
    if (c->simultaneous)
        return my_fin_acked ? ORACLE_TIME_WAIT : ORACLE_CLOSING;
    if (c->closer == (int)me)
        return ORACLE_TIME_WAIT;
    return my_fin_acked ? ORACLE_CLOSED : ORACLE_LAST_ACK;
}

static void describe_view(const conv *c, long i, oracle_expect *x)
{
    unsigned e = c->s[i].endpoint;
    x->in_teardown = seen_by(c->fin[0], i) || seen_by(c->fin[1], i) || seen_by(c->first_rst, i);
    x->sender_state = state_after(c, e, i);
    x->receiver_state = state_after(c, !e, i);
    if (seen_by(c->fin_ack[e], i)) {
        x->fin_ack_frame = c->s[c->fin_ack[e]].frame;
        x->time_since_fin_ack_ns = c->s[i].time_ns - c->s[c->fin_ack[e]].time_ns;
    }
    if (seen_by(c->fin[!e], i))
        x->peer_fin_frame = c->s[c->fin[!e]].frame;
}

/* ---- The whole conversation ------------------------------------------------------------ */

bool oracle_judge(const oracle_seg *trace, size_t n, oracle_expect *out)
{
    conv c = {.s = trace, .n = (long)n, .out_of_window = (long)n};
    c.f = calloc(n ? n : 1, sizeof *c.f);
    if (!c.f)
        return false;
    find_duplicates(&c);
    walk_sequence_space(&c);
    find_landmarks(&c);
    find_solicited(&c);
    find_answers(&c);
    long half_close = half_close_revealed(&c);

    for (long i = 0; i < c.n; i++) {
        oracle_expect *x = &out[i];
        const oracle_seg *s = &trace[i];
        memset(x, 0, sizeof *x);
        describe_view(&c, i, x);
        x->bytes_undefined = i >= c.out_of_window;
        if (c.f[i].dup) {
            long original = latest(&c, s->endpoint, i, false);
            x->duplicate = true;
            x->fixed = fixed_sender(&c, original);
            continue;
        }
        x->fixed = fixed_sender(&c, i);
        x->spurious_ack = is_spurious(&c, i);
        x->harmless = x->spurious_ack && c.simultaneous;
        x->fin_reack = is_fin_reack(&c, i);
        if (s->flags & ORACLE_RST)
            judge_rst(&c, i, x);
        if (i == half_close)
            x->half_close_frame = trace[c.fin[c.closer]].frame;
    }
    free(c.f);
    return true;
}
