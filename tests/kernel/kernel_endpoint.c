#define _POSIX_C_SOURCE 200809L
#include "kernel_endpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NO_TIMER INT64_MAX

typedef struct endpoint {
    const endpoint_config *cfg;
    endpoint_result       *res;
    int       tun;
    ip_flow  *flow;
    td_sender model;
    int64_t   start_us, now_us, last_activity_us, delack_at_us, spurious_at_us;
    bool      app_done;
    bool      silent;     /* segments are read and logged, the model hears none of them */
} endpoint;

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *endpoint_flag_names(uint8_t flags, char *buf, unsigned size)
{
    static const struct { uint8_t bit; const char *name; } names[] = {
        {TD_SYN, "SYN"}, {TD_FIN, "FIN"}, {TD_RST, "RST"},
        {TD_PSH, "PSH"}, {TD_ACK, "ACK"}, {TD_URG, "URG"},
    };
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(flags & names[i].bit))
            continue;
        if (buf[0])
            strncat(buf, ",", size - strlen(buf) - 1);
        strncat(buf, names[i].name, size - strlen(buf) - 1);
    }
    return buf;
}

static void log_segment(const endpoint *e, const char *dir, const td_tcp *t, const char *note)
{
    char flags[32];
    printf("%10.3f ms  %-3s %-15s seq=%" PRIu32 " ack=%" PRIu32 " len=%" PRIu32 " win=%u%s\n",
           (e->now_us - e->start_us) / 1000.0, dir,
           endpoint_flag_names(t->flags, flags, sizeof flags), t->seq, t->ack, t->len,
           (unsigned)t->window, note);
}

static void put_on_wire(endpoint *e, const td_tcp *t)
{
    uint8_t packet[2048];
    size_t len = ip_flow_send(e->flow, t, packet, sizeof packet);
    if (len == 0 || write(e->tun, packet, len) != (ssize_t)len)
        fprintf(stderr, "teardown-kernel: could not send a segment: %s\n",
                len ? strerror(errno) : "too large");
    e->res->segments_out++;
    e->last_activity_us = e->now_us;
}

/* Sends what the model has to send now, then (re)arms or stops the delayed-ACK timer. */
static void settle(endpoint *e)
{
    td_tcp out;
    if (e->silent) {
        e->delack_at_us = NO_TIMER;
        return;
    }
    for (;;) {
        /* The model's own reading of a pure ACK it is about to send. */
        bool answers_nothing = td_sender_ack_answers_nothing(&e->model);
        if (!td_sender_output(&e->model, &out))
            break;
        bool spurious = answers_nothing && td_tcp_is_pure_ack(&out);
        if (spurious && e->res->spurious_acks++ == 0) {
            e->res->spurious_ack_ack = out.ack;
            e->spurious_at_us = e->now_us;
        }
        log_segment(e, "out", &out, spurious ? "  <- spurious ACK" : "");
        put_on_wire(e, &out);
    }
    if (!e->model.delack_armed)
        e->delack_at_us = NO_TIMER;
    else if (e->delack_at_us == NO_TIMER)
        e->delack_at_us = e->now_us + (int64_t)e->cfg->delack_ms * 1000;
}

/* The application: writes are flushed before the shutdown, so the FIN goes on its own. */
static void run_application(endpoint *e)
{
    td_sender *s = &e->model;
    if (e->app_done || s->state != TD_STATE_ESTABLISHED)
        return;
    if (e->cfg->server && s->bytes_received < e->cfg->request)
        return;
    td_sender_write(s, e->cfg->server ? e->cfg->response : e->cfg->request);
    settle(e);
    if (e->cfg->fall_silent) {
        e->silent = true;
        e->app_done = true;
        settle(e);
        return;
    }
    td_sender_shutdown(s);
    settle(e);
    e->app_done = true;
}

static void receive_packet(endpoint *e)
{
    uint8_t packet[65536];
    ssize_t n = read(e->tun, packet, sizeof packet);
    if (n < 0) {
        if (errno != EINTR && errno != EAGAIN)
            fprintf(stderr, "teardown-kernel: reading the TUN device: %s\n", strerror(errno));
        return;
    }
    td_tcp in;
    if (!ip_flow_receive(e->flow, packet, (size_t)n, &in))
        return;
    e->res->segments_in++;
    e->last_activity_us = e->now_us;
    if ((in.flags & TD_RST) && !e->res->rst_in) {
        e->res->rst_in = true;
        e->res->rst = in;
        if (e->res->spurious_acks)
            e->res->rst_after_ms = (e->now_us - e->spurious_at_us) / 1000.0;
    }
    log_segment(e, "in", &in, e->silent ? "  (unanswered)" : "");
    if (!e->silent)
        td_sender_receive(&e->model, &in);
}

static bool closed_and_quiet(const endpoint *e)
{
    if (e->silent)
        return e->res->rst_in &&
               e->now_us - e->last_activity_us >= (int64_t)e->cfg->linger_ms * 1000;
    td_tcp_state st = e->model.state;
    return (st == TD_STATE_TIME_WAIT || st == TD_STATE_CLOSED) && e->delack_at_us == NO_TIMER &&
           e->now_us - e->last_activity_us >= (int64_t)e->cfg->linger_ms * 1000;
}

void endpoint_run(int tun, ip_flow *flow, const endpoint_config *cfg, endpoint_result *res)
{
    endpoint e = {.cfg = cfg, .res = res, .tun = tun, .flow = flow};
    memset(res, 0, sizeof *res);
    e.start_us = e.now_us = e.last_activity_us = monotonic_us();
    e.delack_at_us = e.spurious_at_us = NO_TIMER;
    int64_t deadline = e.start_us + (int64_t)cfg->timeout_ms * 1000;

    td_sender_init(&e.model, cfg->policy, cfg->iss, cfg->mss, cfg->window);
    if (cfg->server)
        td_sender_listen(&e.model);
    else
        td_sender_connect(&e.model);
    settle(&e);

    while (!closed_and_quiet(&e) && e.now_us < deadline) {
        int64_t wake = deadline;
        if (e.delack_at_us < wake)
            wake = e.delack_at_us;
        int64_t quiet_at = e.last_activity_us + (int64_t)cfg->linger_ms * 1000;
        if (quiet_at < wake)
            wake = quiet_at;
        int64_t wait_us = wake > e.now_us ? wake - e.now_us : 0;

        struct pollfd p = {.fd = tun, .events = POLLIN};
        int ready = poll(&p, 1, (int)((wait_us + 999) / 1000));
        e.now_us = monotonic_us();
        if (ready < 0 && errno != EINTR)
            fprintf(stderr, "teardown-kernel: poll: %s\n", strerror(errno));
        /* A timer that ran out before the packet was read fires first: a packet queued
         * behind a 0 ms timer must not swallow the ACK the timer owes. */
        if (e.delack_at_us <= e.now_us) {
            e.delack_at_us = NO_TIMER;
            td_sender_delack_timeout(&e.model);
            settle(&e);
        }
        if (ready > 0 && (p.revents & POLLIN))
            receive_packet(&e);
        settle(&e);
        run_application(&e);
    }
    res->finished = closed_and_quiet(&e);
    res->state = e.model.state;
    res->reset = e.model.reset;
    res->bytes_received = e.model.bytes_received;
}
