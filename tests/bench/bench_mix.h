/* The traffic of the benchmarks: many conversations of the kinds a large capture mixes
 * (scenarios.h, gen_conversation_kind), started a few milliseconds apart so that hundreds
 * are open at once, each from its own client address and port. Deterministic: the same
 * number of conversations gives the same capture, byte for byte. */
#ifndef BENCH_MIX_H
#define BENCH_MIX_H

#include <stdbool.h>
#include <stdint.h>

#include "scenarios.h"

/* gen_conversation_kind runs from GEN_CONV_CLEAN to GEN_CONV_SIMULTANEOUS. */
#define BENCH_KIND_COUNT (GEN_CONV_SIMULTANEOUS + 1)

/* Distinct client (address, port) pairs run out beyond this. */
#define BENCH_MAX_CONVERSATIONS (1u << 24)

typedef struct bench_mix_counts {
    uint64_t kind[BENCH_KIND_COUNT];
    uint64_t ipv6;
    uint64_t vlan;
    int64_t  last_start_us;    /* when the last conversation began */
} bench_mix_counts;

/* Short name of a kind, as the reports print it. */
const char *bench_kind_name(gen_conversation_kind kind);

/* Writes the mix of `conversations` conversations to a pcap at path; false with a message
 * on standard error if it cannot. counts may be NULL. */
bool bench_mix_write(const char *path, uint32_t conversations, bench_mix_counts *counts);

#endif
