/* Per-file state of every TCP stream, indexed by tcp.stream. Wireshark numbers streams
 * densely from 0, so a paged array gives O(1) look-up with no per-entry overhead. */
#ifndef TEARDOWN_CONVERSATION_TABLE_H
#define TEARDOWN_CONVERSATION_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "detector.h"

/* Conversations a page holds (84 KiB of them, at 168 bytes each): a page is zeroed when
 * its first stream appears, so a small capture zeroes little more than it uses. A power
 * of two. */
#define CONVERSATION_TABLE_PAGE_SIZE 512u

/* Forgets every conversation (a new file, or a redissection). */
void conversation_table_reset(void);

/* The detector state of a stream, created empty if absent; NULL if allocation was refused. */
td_conv *conversation_table_get(uint32_t stream);

/* The detector state of a stream if its page exists, else NULL. */
td_conv *conversation_table_find(uint32_t stream);

#endif
