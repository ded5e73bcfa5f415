/* The one rule that tells a Q152474 stack from a fixed one. The sender model obeys it
 * when it is about to emit a pure ACK, and the detector asks it whether a fixed stack
 * would have sent a captured one: there is no second copy of the rule. */
#ifndef TD_STACK_POLICY_H
#define TD_STACK_POLICY_H

#include <stdbool.h>

typedef enum td_policy {
    TD_POLICY_NT351, /* Windows NT 3.51 before the fix: the delayed ACK goes out regardless */
    TD_POLICY_FIXED, /* after the fix: no ACK once the peer's FIN was ACKed, unless something new arrived */
} td_policy;

/* Would a stack of this policy send a pure ACK now?
 * fin_ack_sent: it has already sent an ACK of the peer's FIN.
 * something_new: a segment arrived since then that must be acknowledged
 * (a retransmitted FIN, data, a keep-alive). */
bool td_policy_sends_pure_ack(td_policy policy, bool fin_ack_sent, bool something_new);

/* "nt351" or "fixed"; NULL for a value out of range. */
const char *td_policy_name(td_policy policy);

/* Parses a name as td_policy_name() spells it; false if it is not one. */
bool td_policy_parse(const char *name, td_policy *out);

#endif
