#include "dialog.h"

#include <glib.h>
#include <string.h>

#define NO_TIMER INT64_MAX

typedef struct in_flight {
    int64_t  arrives_us;
    uint32_t order;
    uint8_t  to;
    td_tcp   tcp;
} in_flight;

struct gen_dialog {
    gen_capture      *cap;
    gen_dialog_config cfg;
    td_sender         ep[2];
    uint16_t          next_ip_id[2];
    int64_t           now_us;
    int64_t           delack_at[2];
    GArray           *path;          /* in_flight */
    uint32_t          order;
    unsigned          sent[2];
    td_tcp            last_tcp[2];
    uint8_t           last_frame[2][GEN_FRAME_MAX];
    size_t            last_len[2];
    int64_t           last_seen_us[2];
    bool              silent[2];
};

gen_dialog *gen_dialog_open(gen_capture *cap, const gen_dialog_config *config)
{
    gen_dialog *d = g_new0(gen_dialog, 1);
    d->cap = cap;
    d->cfg = *config;
    if (!d->cfg.one_way_us)
        d->cfg.one_way_us = GEN_MS(10);
    if (!d->cfg.delack_us)
        d->cfg.delack_us = GEN_MS(200);
    if (!d->cfg.window)
        d->cfg.window = 64240;
    d->now_us = d->cfg.start_us;
    for (int dir = 0; dir < 2; dir++) {
        td_sender_init(&d->ep[dir], d->cfg.policy[dir], d->cfg.iss[dir], d->cfg.mss,
                       d->cfg.window);
        d->next_ip_id[dir] = (uint16_t)(0x1000 * (dir + 1) + (d->cfg.addr.port[0] & 0xff));
        d->delack_at[dir] = NO_TIMER;
    }
    d->path = g_array_new(FALSE, FALSE, sizeof(in_flight));
    return d;
}

void gen_dialog_close(gen_dialog *d)
{
    if (!d)
        return;
    g_array_free(d->path, TRUE);
    g_free(d);
}

static int64_t seen_at(const gen_dialog *d, uint8_t dir)
{
    return d->now_us + (dir == d->cfg.capture_near ? 0 : d->cfg.one_way_us);
}

/* One segment leaves endpoint dir: the capture records it, the path carries it. */
static void put_on_wire(gen_dialog *d, uint8_t dir, const td_tcp *tcp)
{
    uint16_t ip_id = d->cfg.ip_id_zero ? 0 : d->next_ip_id[dir]++;
    size_t len = gen_frame_tcp(&d->cfg.addr, dir, ip_id, tcp, d->last_frame[dir],
                               sizeof d->last_frame[dir]);
    g_assert(len > 0);
    d->last_len[dir] = len;
    d->last_tcp[dir] = *tcp;
    d->last_seen_us[dir] = seen_at(d, dir);
    d->sent[dir]++;
    gen_capture_add(d->cap, d->last_seen_us[dir], d->last_frame[dir], len);
    if (d->cfg.captured_twice[dir])
        gen_capture_add(d->cap, d->last_seen_us[dir] + 20, d->last_frame[dir], len);

    in_flight f = {d->now_us + d->cfg.one_way_us, d->order++, (uint8_t)!dir, *tcp};
    g_array_append_val(d->path, f);
}

/* Both endpoints send what they have to send now, and (re)arm their delayed-ACK timers. */
static void settle(gen_dialog *d)
{
    bool any = true;
    while (any) {
        any = false;
        for (uint8_t dir = 0; dir < 2; dir++) {
            td_tcp out;
            while (!d->silent[dir] && td_sender_output(&d->ep[dir], &out)) {
                if ((out.flags & TD_RST) && d->cfg.rst_with_ack[dir]) {
                    out.flags |= TD_ACK;
                    out.ack = d->ep[dir].rcv_nxt;
                }
                put_on_wire(d, dir, &out);
                any = true;
            }
        }
    }
    for (int dir = 0; dir < 2; dir++) {
        if (!d->ep[dir].delack_armed)
            d->delack_at[dir] = NO_TIMER;
        else if (d->delack_at[dir] == NO_TIMER)
            d->delack_at[dir] = d->now_us + d->cfg.delack_us;
    }
}

/* The next thing to happen: a timer (returns its endpoint, 0 or 1) or an arrival
 * (returns 2, *index set), or -1 when nothing is pending. */
static int next_event(const gen_dialog *d, int64_t *when, guint *index)
{
    int what = -1;
    *when = NO_TIMER;
    for (int dir = 0; dir < 2; dir++) {
        if (d->delack_at[dir] < *when) {
            *when = d->delack_at[dir];
            what = dir;
        }
    }
    uint32_t best_order = UINT32_MAX;
    for (guint i = 0; i < d->path->len; i++) {
        const in_flight *f = &g_array_index(d->path, in_flight, i);
        if (f->arrives_us < *when || (f->arrives_us == *when && what == 2 && f->order < best_order)) {
            *when = f->arrives_us;
            best_order = f->order;
            *index = i;
            what = 2;
        }
    }
    return what;
}

static bool step(gen_dialog *d, int64_t end_us)
{
    int64_t when;
    guint index = 0;
    int what = next_event(d, &when, &index);
    if (what < 0 || when > end_us)
        return false;
    d->now_us = when;
    if (what < 2) {
        d->delack_at[what] = NO_TIMER;
        td_sender_delack_timeout(&d->ep[what]);
    } else {
        in_flight f = g_array_index(d->path, in_flight, index);
        g_array_remove_index(d->path, index);
        if (!d->silent[f.to])
            td_sender_receive(&d->ep[f.to], &f.tcp);
    }
    settle(d);
    return true;
}

void gen_dialog_run(gen_dialog *d, int64_t duration_us)
{
    int64_t end = d->now_us + duration_us;
    settle(d);
    while (step(d, end))
        ;
    d->now_us = end;
}

void gen_dialog_run_until_sent(gen_dialog *d, uint8_t dir, unsigned n)
{
    unsigned target = d->sent[dir] + n;
    int64_t end = d->now_us + GEN_MS(10000);
    settle(d);
    while (d->sent[dir] < target && step(d, end))
        ;
}

void gen_dialog_connect(gen_dialog *d)
{
    td_sender_listen(&d->ep[1]);
    td_sender_connect(&d->ep[0]);
}

void gen_dialog_connect_closed_port(gen_dialog *d)
{
    td_sender_connect(&d->ep[0]);
}

void gen_dialog_establish(gen_dialog *d)
{
    td_sender *c = &d->ep[0], *s = &d->ep[1];
    td_sender_establish(c, c->iss, s->iss, s->window);
    td_sender_establish(s, s->iss, c->iss, c->window);
}

void gen_dialog_write(gen_dialog *d, uint8_t dir, uint32_t bytes)
{
    td_sender_write(&d->ep[dir], bytes);
}

void gen_dialog_shutdown(gen_dialog *d, uint8_t dir)
{
    td_sender_shutdown(&d->ep[dir]);
}

void gen_dialog_silence(gen_dialog *d, uint8_t dir)
{
    d->silent[dir] = true;
}

void gen_dialog_restart(gen_dialog *d, uint8_t dir)
{
    td_sender_init(&d->ep[dir], d->cfg.policy[dir], d->cfg.iss[dir], d->cfg.mss, d->cfg.window);
    d->delack_at[dir] = NO_TIMER;
}

void gen_dialog_send(gen_dialog *d, uint8_t dir, const td_tcp *tcp)
{
    put_on_wire(d, dir, tcp);
}

void gen_dialog_capture_twice(gen_dialog *d, uint8_t dir, int64_t after_us)
{
    g_assert(d->last_len[dir] > 0);
    gen_capture_add(d->cap, d->last_seen_us[dir] + after_us, d->last_frame[dir],
                    d->last_len[dir]);
}

void gen_dialog_icmp_error(gen_dialog *d, uint8_t dir)
{
    uint8_t frame[GEN_FRAME_MAX];
    size_t len = gen_frame_icmp_quote(d->last_frame[dir], d->last_len[dir], frame, sizeof frame);
    g_assert(len > 0);
    /* The router answers at once; the capture sees its error right after the segment. */
    gen_capture_add(d->cap, d->last_seen_us[dir] + 100, frame, len);
}

td_sender *gen_dialog_endpoint(gen_dialog *d, uint8_t dir)
{
    return &d->ep[dir];
}

td_tcp gen_dialog_last_sent(const gen_dialog *d, uint8_t dir)
{
    return d->last_tcp[dir];
}

int64_t gen_dialog_now(const gen_dialog *d)
{
    return d->now_us;
}
