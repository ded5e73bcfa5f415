/* Per-file state of every TCP stream, indexed by tcp.stream. Wireshark numbers streams
 * densely from 0, so a paged array gives O(1) look-up with no per-entry overhead. */
#ifndef TEARDOWN_CONVERSATION_TABLE_H
#define TEARDOWN_CONVERSATION_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "detector.h"

typedef struct teardown_conversation {
    td_conv  core;
    uint32_t first_frame;   /* 0: the entry is unused */
    uint32_t sender0_addr;  /* hash of endpoint 0's address, told apart when the ports are equal */
    uint16_t sender0_port;  /* endpoint 0 is the sender of the first segment seen */
    uint16_t sender1_port;
    uint8_t  kinds_seen;    /* verdict kinds that already occurred in this conversation */
} teardown_conversation;

/* Forgets every conversation (a new file, or a redissection). */
void conversation_table_reset(void);

/* The entry of a stream, created empty if absent; NULL if allocation was refused. */
teardown_conversation *conversation_table_get(uint32_t stream);

/* The entry of a stream if it was created, else NULL. */
teardown_conversation *conversation_table_find(uint32_t stream);

#endif
