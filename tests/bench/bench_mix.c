#include "bench_mix.h"

#include <string.h>

#include "capture.h"
#include "frame_builder.h"

/* splitmix64: tiny, fast, and its output depends on nothing but the seed, so the capture
 * is the same on every machine and libc. */
typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]; the modulo bias is irrelevant at these ranges. */
static uint32_t rng_between(rng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(rng_next(r) % ((uint64_t)hi - lo + 1));
}

#define SEED 0x7464626e63680001u

/* Per mille of each kind: mostly clean closes, as on a healthy network, with enough of
 * every other kind that each verdict occurs thousands of times in a 100k capture. */
static const struct {
    gen_conversation_kind kind;
    unsigned per_mille;
    const char *name;
} kinds[BENCH_KIND_COUNT] = {
    {GEN_CONV_CLEAN, 700, "clean"},
    {GEN_CONV_Q152474, 100, "q152474"},
    {GEN_CONV_SERVER_CLOSES_FIRST, 60, "server_closes_first"},
    {GEN_CONV_FIN_REACK, 50, "fin_reack"},
    {GEN_CONV_ABORT, 50, "abort"},
    {GEN_CONV_SIMULTANEOUS, 40, "simultaneous"},
};

const char *bench_kind_name(gen_conversation_kind kind)
{
    for (unsigned i = 0; i < BENCH_KIND_COUNT; i++)
        if (kinds[i].kind == kind)
            return kinds[i].name;
    return "?";
}

static gen_conversation_kind pick_kind(rng *r)
{
    unsigned x = rng_between(r, 0, 999);
    for (unsigned i = 0; i < BENCH_KIND_COUNT; i++) {
        if (x < kinds[i].per_mille)
            return kinds[i].kind;
        x -= kinds[i].per_mille;
    }
    return GEN_CONV_CLEAN;
}

/* Small requests; responses mostly within one or two segments, a tail up to six, so the
 * file stays a few hundred megabytes while segment counts vary. */
static void pick_sizes(rng *r, uint32_t *request, uint32_t *response)
{
    *request = rng_next(r) % 4 ? rng_between(r, 40, 400) : rng_between(r, 401, 1400);
    unsigned band = rng_between(r, 0, 9);
    if (band < 5)
        *response = rng_between(r, 100, 1460);
    else if (band < 9)
        *response = rng_between(r, 1461, 2 * 1460);
    else
        *response = rng_between(r, 2 * 1460 + 1, 6 * 1460);
}

enum { CONVERSATIONS_PER_HOST = 16, PORTS_PER_SLOT = 4000, SERVERS = 32 };

/* Conversation i gets client host i / 16 and a port from a band of its own among that
 * host's 16, so no (address, port) pair repeats: Wireshark must not see port reuse. */
static void pick_addr(rng *r, uint32_t i, gen_addr *a)
{
    static const uint16_t server_ports[] = {80, 443, 8080};
    uint32_t host = i / CONVERSATIONS_PER_HOST;
    uint32_t server = rng_between(r, 1, SERVERS);

    memset(a, 0, sizeof *a);
    a->ipv6 = rng_between(r, 0, 9) == 0;
    a->vlan = rng_between(r, 0, 19) == 0 ? (uint16_t)rng_between(r, 2, 4094) : 0;
    if (a->ipv6) {
        static const uint8_t prefix[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
        memcpy(a->ip[0], prefix, 6);
        memcpy(a->ip[1], prefix, 6);
        a->ip[1][5] = 0xff;
        a->ip[0][13] = (uint8_t)(host >> 16);
        a->ip[0][14] = (uint8_t)(host >> 8);
        a->ip[0][15] = (uint8_t)host;
        a->ip[1][15] = (uint8_t)server;
    } else {
        a->ip[0][0] = 10;
        a->ip[0][1] = (uint8_t)(0x40 | (host >> 16));
        a->ip[0][2] = (uint8_t)(host >> 8);
        a->ip[0][3] = (uint8_t)host;
        a->ip[1][0] = 10;
        a->ip[1][1] = 250;
        a->ip[1][3] = (uint8_t)server;
    }
    a->port[0] = (uint16_t)(1024 + (i % CONVERSATIONS_PER_HOST) * PORTS_PER_SLOT +
                            rng_between(r, 0, PORTS_PER_SLOT - 1));
    a->port[1] = server_ports[rng_between(r, 0, 2)];
}

bool bench_mix_write(const char *path, uint32_t conversations, bench_mix_counts *counts)
{
    bench_mix_counts local;
    if (!counts)
        counts = &local;
    memset(counts, 0, sizeof *counts);
    if (conversations > BENCH_MAX_CONVERSATIONS)
        return false;

    gen_capture *cap = gen_capture_open(path);
    if (!cap)
        return false;
    rng r = {SEED};
    int64_t start_us = 0, flushed_at = 0;
    for (uint32_t i = 0; i < conversations; i++) {
        gen_addr addr;
        uint32_t request, response;
        gen_conversation_kind kind = pick_kind(&r);
        pick_addr(&r, i, &addr);
        pick_sizes(&r, &request, &response);
        gen_play_conversation(cap, kind, &addr, start_us, request, response);
        counts->kind[kind]++;
        counts->ipv6 += addr.ipv6;
        counts->vlan += addr.vlan != 0;
        counts->last_start_us = start_us;

        /* A conversation's frames span about 0.1 s (0.3 s with a delayed spurious ACK):
         * a start every 250 us on average keeps some 400 open at once. */
        start_us += rng_between(&r, 0, 500);
        /* Nothing later can come before start_us, and every conversation is over within
         * a second of its start: what is 2 s old is final. Flushing once a simulated
         * second keeps the sort of the pending frames rare. */
        if (start_us - flushed_at >= 1000000) {
            gen_capture_flush_before(cap, start_us - 2000000);
            flushed_at = start_us;
        }
    }
    return gen_capture_close(cap);
}
