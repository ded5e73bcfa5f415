#include "stack_policy.h"

#include <string.h>

bool td_policy_sends_pure_ack(td_policy policy, bool fin_ack_sent, bool something_new)
{
    if (policy == TD_POLICY_NT351)
        return true;
    return !fin_ack_sent || something_new;
}

const char *td_policy_name(td_policy policy)
{
    switch (policy) {
    case TD_POLICY_NT351: return "nt351";
    case TD_POLICY_FIXED: return "fixed";
    }
    return NULL;
}

bool td_policy_parse(const char *name, td_policy *out)
{
    if (name && strcmp(name, "nt351") == 0) {
        *out = TD_POLICY_NT351;
        return true;
    }
    if (name && strcmp(name, "fixed") == 0) {
        *out = TD_POLICY_FIXED;
        return true;
    }
    return false;
}
