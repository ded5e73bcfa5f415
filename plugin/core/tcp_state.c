#include "tcp_state.h"

const char *td_tcp_state_name(td_tcp_state state)
{
    static const char *const names[TD_STATE_COUNT] = {
        [TD_STATE_NONE] = "unknown",
        [TD_STATE_ESTABLISHED] = "ESTABLISHED",
        [TD_STATE_FIN_WAIT_1] = "FIN-WAIT-1",
        [TD_STATE_FIN_WAIT_2] = "FIN-WAIT-2",
        [TD_STATE_CLOSING] = "CLOSING",
        [TD_STATE_TIME_WAIT] = "TIME-WAIT",
        [TD_STATE_CLOSE_WAIT] = "CLOSE-WAIT",
        [TD_STATE_LAST_ACK] = "LAST-ACK",
        [TD_STATE_CLOSED] = "CLOSED",
        [TD_STATE_LISTEN] = "LISTEN",
        [TD_STATE_SYN_SENT] = "SYN-SENT",
        [TD_STATE_SYN_RECEIVED] = "SYN-RECEIVED",
    };
    if ((unsigned)state >= TD_STATE_COUNT)
        return "?";
    return names[state];
}
