/* The verdict catalogue: the one place where a verdict's name, severity, expert summary,
 * Info column prefix and statistics labels are written, and the one place where a RST
 * cause's code, name and verdict are. Registration, the Info column, the statistics tree,
 * the tests' names and the docs' tables all come from here. Adding a verdict is one line
 * here plus its rule in the detector.
 *
 * Summaries stay under 60 characters: Wireshark's Expert Information dialog and packet
 * details cut longer ones off. The numbers and the detail go into fields. */
#ifndef TD_VERDICTS_H
#define TD_VERDICTS_H

#include <stdint.h>

typedef enum td_severity {
    TD_SEVERITY_CHAT,
    TD_SEVERITY_NOTE,
    TD_SEVERITY_WARN,
} td_severity;

/* X(ID, filter name after "teardown.", severity, expert summary, Info prefix or NULL,
 *   statistics label for conversations, statistics label for segments) */
#define TD_VERDICT_CATALOGUE(X)                                                              \
    X(SPURIOUS_ACK, "spurious_ack", TD_SEVERITY_WARN,                                        \
      "Spurious ACK after FIN (KB Q152474)", "[Spurious ACK after FIN] ",                    \
      "with a spurious ACK after FIN", "Spurious ACK after FIN")                             \
    X(SPURIOUS_ACK_HARMLESS, "spurious_ack.harmless", TD_SEVERITY_NOTE,                      \
      "Spurious ACK after a simultaneous close", NULL,                                       \
      "with a harmless spurious ACK", "Harmless spurious ACK")                               \
    X(PROVOKED_RST, "provoked_rst", TD_SEVERITY_WARN,                                        \
      "RST provoked by a spurious ACK (KB Q152474)", "[RST provoked by spurious ACK] ",      \
      "reset by a spurious ACK (Q152474)", "RST provoked by spurious ACK")                   \
    X(RST_AFTER_CLOSE, "rst_after_close", TD_SEVERITY_NOTE,                                  \
      "RST after an orderly close", NULL,                                                    \
      "with a RST after orderly close", "RST after orderly close")                           \
    X(FIN_REACK, "fin_reack", TD_SEVERITY_CHAT,                                              \
      "ACK of a retransmitted FIN", NULL,                                                    \
      "with an ACK of a retransmitted FIN", "ACK of retransmitted FIN")                      \
    X(CAPTURE_DUPLICATE, "capture_duplicate", TD_SEVERITY_CHAT,                              \
      "Same segment captured twice", NULL,                                                   \
      "with capture duplicates", "Capture duplicate")                                        \
    X(HALF_CLOSE, "half_close", TD_SEVERITY_CHAT,                                            \
      "Early half-close: the peer sent data after this FIN", NULL,                           \
      "with an early half-close", "Early half-close")                                        \
    X(DATA_AFTER_CLOSE, "data_after_close", TD_SEVERITY_WARN,                                \
      "RST: data arrived after the application closed", "[RST: data after close] ",          \
      "reset by data after close", "RST: data after close")                                  \
    X(ABORT, "abort", TD_SEVERITY_NOTE,                                                      \
      "RST: the application aborted the connection", NULL,                                   \
      "aborted by an application", "RST: abort")                                             \
    X(NO_CONNECTION, "no_connection", TD_SEVERITY_NOTE,                                      \
      "RST: the sender holds no connection for this", NULL,                                  \
      "reset by a stack without the connection", "RST: no connection")                       \
    X(REFUSED, "refused", TD_SEVERITY_CHAT,                                                  \
      "RST: connection refused, nothing listens", NULL,                                      \
      "refused", "RST: refused")                                                             \
    X(RETRANSMISSION_TIMEOUT, "retransmission_timeout", TD_SEVERITY_WARN,                    \
      "RST: the sender gave up on a silent peer", "[RST: retransmission timeout] ",          \
      "reset after the peer fell silent", "RST: retransmission timeout")                     \
    X(RST_UNEXPLAINED, "rst_unexplained", TD_SEVERITY_NOTE,                                  \
      "RST with nothing from the peer before it", NULL,                                      \
      "with an unexplained RST", "RST: unexplained")

/* Index of each verdict in the catalogue, and its bit. */
enum {
#define TD_VERDICT_INDEX(id, name, sev, summary, prefix, conv_label, seg_label) TD_VI_##id,
    TD_VERDICT_CATALOGUE(TD_VERDICT_INDEX)
#undef TD_VERDICT_INDEX
    TD_VERDICT_COUNT
};

enum {
#define TD_VERDICT_BIT(id, name, sev, summary, prefix, conv_label, seg_label) \
    TD_V_##id = 1u << TD_VI_##id,
    TD_VERDICT_CATALOGUE(TD_VERDICT_BIT)
#undef TD_VERDICT_BIT
};

_Static_assert(TD_VERDICT_COUNT <= 32, "verdicts are bits of a uint32_t");

typedef struct td_verdict_info {
    uint32_t    bit;
    const char *name;        /* filter name after "teardown." */
    td_severity severity;
    const char *summary;     /* the expert summary: constant, so that -z expert groups it */
    const char *info_prefix; /* prepended to the Info column; NULL for none */
    const char *conversations_label;
    const char *segments_label;
} td_verdict_info;

/* The catalogue as a table, in catalogue order; TD_VERDICT_COUNT entries. */
extern const td_verdict_info td_verdict_table[TD_VERDICT_COUNT];

/* The entry of one verdict bit; NULL if the value is not exactly one known bit. */
const td_verdict_info *td_verdict_lookup(uint32_t bit);

/* Why a RST was sent. The codes are part of the contract (teardown.rst_cause) and never
 * change. X(ID, code, name, verdict ID that carries it as an expert item, label) */
#define TD_RST_CAUSE_CATALOGUE(X)                                                            \
    X(SPURIOUS_ACK, 1, "spurious_ack", PROVOKED_RST, "Spurious ACK after FIN (Q152474)")     \
    X(DATA_AFTER_CLOSE, 2, "data_after_close", DATA_AFTER_CLOSE, "Data after close")         \
    X(ABORT, 3, "abort", ABORT, "Abort (unread data, SO_LINGER 0)")                          \
    X(NO_CONNECTION, 4, "no_connection", NO_CONNECTION, "No connection")                     \
    X(REFUSED, 5, "refused", REFUSED, "Refused (nothing listens)")                           \
    X(RETRANSMISSION_TIMEOUT, 6, "retransmission_timeout", RETRANSMISSION_TIMEOUT,           \
      "Retransmission timeout")                                                              \
    X(UNEXPLAINED, 7, "unexplained", RST_UNEXPLAINED, "Unexplained")

typedef enum td_rst_cause {
    TD_RST_CAUSE_NONE = 0, /* not a RST, or a capture duplicate of one */
#define TD_RST_CAUSE_ENUM(id, code, name, verdict, label) TD_RST_CAUSE_##id = code,
    TD_RST_CAUSE_CATALOGUE(TD_RST_CAUSE_ENUM)
#undef TD_RST_CAUSE_ENUM
    TD_RST_CAUSE_LIMIT
} td_rst_cause;

typedef struct td_rst_cause_info {
    td_rst_cause code;
    const char  *name;
    uint32_t     verdict; /* TD_V_* bit of its expert item */
    const char  *label;   /* in the statistics tree */
} td_rst_cause_info;

#define TD_RST_CAUSE_COUNT (TD_RST_CAUSE_LIMIT - 1)

/* The causes in code order (code 1 first). */
extern const td_rst_cause_info td_rst_cause_table[TD_RST_CAUSE_COUNT];

/* The entry of one code; NULL for TD_RST_CAUSE_NONE or a value out of range. */
const td_rst_cause_info *td_rst_cause_lookup(unsigned code);

#endif
