/* hostile-gen: captures made to hurt the plugin's memory and time, at any size.
 *
 *   hostile-gen --list
 *   hostile-gen SCENARIO FRAMES OUTPUT.pcap
 *
 * Every frame is a well-formed Ethernet/IPv4/TCP frame (frame_builder.h), so tshark and
 * the plugin take the full path on each one; the hurt is in how many conversations,
 * verdicts or wrapping sequence numbers they must keep track of. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "frame_builder.h"

typedef struct hostile {
    gen_capture *cap;
    int64_t      now_us;
    uint64_t     frames;
} hostile;

static void emit(hostile *h, const gen_addr *a, uint8_t dir, const td_tcp *t)
{
    uint8_t frame[GEN_FRAME_MAX];
    size_t len = gen_frame_tcp(a, dir, (uint16_t)(h->frames * 7 + 1), t, frame, sizeof frame);
    if (!len) {
        fprintf(stderr, "hostile-gen: a frame did not fit\n");
        exit(1);
    }
    h->now_us += 10;
    gen_capture_add(h->cap, h->now_us, frame, len);
    /* Frames come in time order: write them out at once, memory stays flat. */
    if (++h->frames % 4096 == 0)
        gen_capture_flush_before(h->cap, h->now_us + 1);
}

/* Conversation n's endpoints: distinct (address, port) pairs for 2^32 conversations. */
static gen_addr conversation(uint64_t n)
{
    gen_addr a;
    memset(&a, 0, sizeof a);
    a.ip[0][0] = 10;
    a.ip[0][1] = (uint8_t)(n >> 24);
    a.ip[0][2] = (uint8_t)(n >> 16);
    a.ip[0][3] = (uint8_t)(n >> 8);
    a.ip[1][0] = 192;
    a.ip[1][1] = 0;
    a.ip[1][2] = 2;
    a.ip[1][3] = 1;
    a.port[0] = (uint16_t)(1024 + (n & 0xff));
    a.port[1] = 80;
    return a;
}

static td_tcp segment(uint32_t seq, uint32_t ack, uint8_t flags, uint32_t len)
{
    td_tcp t = {.seq = seq, .ack = ack, .len = len, .window = 65535, .flags = flags};
    return t;
}

/* A million half-open connections: one SYN each, never answered. */
static void half_open(hostile *h, uint64_t frames)
{
    for (uint64_t n = 0; n < frames; n++) {
        gen_addr a = conversation(n);
        td_tcp t = segment((uint32_t)(n * 2654435761u), 0, TD_SYN, 0);
        emit(h, &a, 0, &t);
    }
}

/* Conversations that are nothing but a close: each endpoint's FIN, crossing. */
static void fin_flood(hostile *h, uint64_t frames)
{
    for (uint64_t n = 0; n < frames / 2; n++) {
        gen_addr a = conversation(n);
        td_tcp x = segment(1000, 5000, TD_FIN | TD_ACK, 0);
        td_tcp y = segment(5000, 1001, TD_FIN | TD_ACK, 0);
        emit(h, &a, 0, &x);
        emit(h, &a, 1, &y);
    }
}

/* One RST on each of many conversations never seen before. */
static void rst_flood(hostile *h, uint64_t frames)
{
    for (uint64_t n = 0; n < frames; n++) {
        gen_addr a = conversation(n);
        td_tcp t = segment((uint32_t)(n * 2246822519u), 0, TD_RST, 0);
        emit(h, &a, (uint8_t)(n & 1), &t);
    }
}

/* One conversation closed the Q152474 way, then nothing but spurious ACKs from the
 * endpoint that closed first: every frame a warning. */
static void spurious(hostile *h, uint64_t frames)
{
    gen_addr a = conversation(0);
    td_tcp fin_x = segment(1000, 5000, TD_FIN | TD_ACK, 0);
    td_tcp ack_y = segment(5000, 1001, TD_ACK, 0);
    td_tcp fin_y = segment(5000, 1001, TD_FIN | TD_ACK, 0);
    td_tcp ack_x = segment(1001, 5001, TD_ACK, 0);
    emit(h, &a, 0, &fin_x);
    emit(h, &a, 1, &ack_y);
    emit(h, &a, 1, &fin_y);
    emit(h, &a, 0, &ack_x);
    for (uint64_t n = 4; n < frames; n++) {
        /* A changing window keeps them from being taken for capture duplicates. */
        ack_x.window = (uint16_t)(n | 1);
        emit(h, &a, 0, &ack_x);
    }
}

/* Few conversations whose sequence numbers leap about the 2^32 wrap: data, FINs,
 * ACKs and RSTs with numbers just below and above it, in and out of order. */
static void seq_wrap(hostile *h, uint64_t frames)
{
    static const uint32_t near[] = {0xffffffffu, 0u, 0xfffffff0u, 0x10u, 0x7fffffffu, 0x80000000u};
    static const uint8_t flags[] = {TD_ACK, TD_ACK | TD_PSH, TD_FIN | TD_ACK, TD_ACK, TD_RST, TD_ACK};
    uint32_t r = 0x12345678u;
    for (uint64_t n = 0; n < frames; n++) {
        r = r * 1103515245u + 12345u;
        gen_addr a = conversation(n % 64);
        uint32_t seq = near[(r >> 8) % 6] + ((r >> 16) % 64) - 32;
        uint32_t ack = near[(r >> 12) % 6] + ((r >> 20) % 64) - 32;
        uint8_t f = flags[(r >> 24) % 6];
        td_tcp t = segment(seq, ack, f, (f & TD_PSH) ? (r >> 4) % 200 : 0);
        emit(h, &a, (uint8_t)((r >> 28) & 1), &t);
    }
}

typedef struct scenario {
    const char *name;
    const char *summary;
    void (*play)(hostile *h, uint64_t frames);
} scenario;

static const scenario scenarios[] = {
    {"half_open", "one SYN per conversation, never answered", half_open},
    {"fin_flood", "conversations that are only two crossing FINs", fin_flood},
    {"rst_flood", "one RST per conversation, no handshake", rst_flood},
    {"spurious", "one conversation, then nothing but spurious ACKs", spurious},
    {"seq_wrap", "64 conversations, sequence numbers leaping about the wrap", seq_wrap},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (const scenario *s = scenarios; s->name; s++)
            printf("%-10s %s\n", s->name, s->summary);
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: hostile-gen --list\n       hostile-gen SCENARIO FRAMES OUTPUT.pcap\n");
        return 2;
    }
    const scenario *s = scenarios;
    while (s->name && strcmp(s->name, argv[1]) != 0)
        s++;
    char *end;
    unsigned long long frames = strtoull(argv[2], &end, 10);
    if (!s->name || *end || frames < 4) {
        fprintf(stderr, "hostile-gen: unknown scenario '%s' or bad frame count '%s' (4 or more)\n",
                argv[1], argv[2]);
        return 2;
    }
    hostile h = {.cap = gen_capture_open(argv[3])};
    if (!h.cap)
        return 1;
    s->play(&h, frames);
    return gen_capture_close(h.cap) ? 0 : 1;
}
