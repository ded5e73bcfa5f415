/* The named scenarios the generator can write: one per case of the contract, each a
 * script of what the applications (and, where a case needs it, the path or the capture)
 * do. */
#ifndef GEN_SCENARIOS_H
#define GEN_SCENARIOS_H

#include <stdint.h>

#include "capture.h"
#include "frame_builder.h"

typedef struct gen_scenario {
    const char *name;
    const char *summary;
    void (*play)(gen_capture *cap);
} gen_scenario;

/* All scenarios, ending with an entry whose name is NULL. */
extern const gen_scenario gen_scenarios[];

const gen_scenario *gen_scenario_find(const char *name);

/* The kinds of conversation a large capture mixes (tests/bench). */
typedef enum gen_conversation_kind {
    GEN_CONV_CLEAN,               /* fixed stacks: nothing to flag */
    GEN_CONV_Q152474,             /* the client closes first; spurious ACK; RST */
    GEN_CONV_SERVER_CLOSES_FIRST, /* the same, roles swapped */
    GEN_CONV_FIN_REACK,           /* a retransmitted FIN crossing the ACKs; RST after close */
    GEN_CONV_ABORT,               /* a RST in mid-response, no FIN */
    GEN_CONV_SIMULTANEOUS,        /* the FINs cross; harmless spurious ACK */
} gen_conversation_kind;

/* One conversation of the given kind between addr's endpoints (0 the client), starting
 * at start_us; over within a second of it. */
void gen_play_conversation(gen_capture *cap, gen_conversation_kind kind, const gen_addr *addr,
                           int64_t start_us, uint32_t request, uint32_t response);

#endif
