/* The named scenarios the generator can write: one per case of the contract, each a
 * script of what the applications (and, where a case needs it, the path or the capture)
 * do. */
#ifndef GEN_SCENARIOS_H
#define GEN_SCENARIOS_H

#include "capture.h"

typedef struct gen_scenario {
    const char *name;
    const char *summary;
    void (*play)(gen_capture *cap);
} gen_scenario;

/* All scenarios, ending with an entry whose name is NULL. */
extern const gen_scenario gen_scenarios[];

const gen_scenario *gen_scenario_find(const char *name);

#endif
