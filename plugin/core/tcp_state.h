/* RFC 9293 connection states, as the sender model runs them and the detector infers them. */
#ifndef TD_TCP_STATE_H
#define TD_TCP_STATE_H

typedef enum td_tcp_state {
    TD_STATE_NONE = 0,       /* not known */
    TD_STATE_ESTABLISHED,
    TD_STATE_FIN_WAIT_1,
    TD_STATE_FIN_WAIT_2,
    TD_STATE_CLOSING,
    TD_STATE_TIME_WAIT,
    TD_STATE_CLOSE_WAIT,
    TD_STATE_LAST_ACK,
    TD_STATE_CLOSED,
    /* Opening states: only the sender model goes through them. */
    TD_STATE_LISTEN,
    TD_STATE_SYN_SENT,
    TD_STATE_SYN_RECEIVED,
    TD_STATE_COUNT
} td_tcp_state;

/* RFC 9293 spelling, e.g. "FIN-WAIT-1"; "?" for a value out of range. */
const char *td_tcp_state_name(td_tcp_state state);

#endif
