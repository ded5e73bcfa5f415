#include "stream_cache.h"

#include <glib.h>

/* 12 bytes: the pair's 64-bit key in two halves, so that slots need no 8-byte alignment. */
typedef struct slot {
    uint32_t pair_lo;
    uint32_t pair_hi; /* with pair_lo, 0: empty */
    uint32_t stream;  /* FORGOTTEN: the pair is known, its stream is not */
} slot;

/* Slots are never emptied (open addressing would lose the pairs probed past them). */
#define FORGOTTEN UINT32_MAX

static slot *slots;
/* The slot the last look-up found: most frames belong to the conversation of the frame
 * before. Forgetting and putting change slots in place; growing moves them. */
static slot *last_found;
static uint64_t mask;   /* slot count - 1; the count is a power of two */
static uint64_t used;

void stream_cache_reset(void)
{
    g_free(slots);
    slots = NULL;
    last_found = NULL;
    mask = 0;
    used = 0;
}

static uint64_t key_of(const slot *s)
{
    return (uint64_t)s->pair_hi << 32 | s->pair_lo;
}

/* The slot holding pair, or the empty slot where it would go. */
static slot *probe(slot *table, uint64_t table_mask, uint64_t pair)
{
    for (uint64_t i = pair & table_mask;; i = (i + 1) & table_mask) {
        uint64_t key = key_of(&table[i]);
        if (key == pair || key == 0)
            return &table[i];
    }
}

static uint64_t nonzero(uint64_t pair)
{
    return pair ? pair : 1;
}

bool stream_cache_find(uint64_t pair, uint32_t *stream)
{
    if (!slots)
        return false;
    pair = nonzero(pair);
    slot *s = last_found && key_of(last_found) == pair ? last_found
                                                       : probe(slots, mask, pair);
    if (!key_of(s) || s->stream == FORGOTTEN)
        return false;
    last_found = s;
    *stream = s->stream;
    return true;
}

static bool grow(void)
{
    uint64_t count = slots ? (mask + 1) * 2 : 1024;
    slot *table = g_try_new0(slot, count);
    if (!table)
        return false;
    for (uint64_t i = 0; slots && i <= mask; i++)
        if (key_of(&slots[i]))
            *probe(table, count - 1, key_of(&slots[i])) = slots[i];
    g_free(slots);
    slots = table;
    last_found = NULL;
    mask = count - 1;
    return true;
}

void stream_cache_forget(uint64_t pair)
{
    if (!slots)
        return;
    slot *s = probe(slots, mask, nonzero(pair));
    if (key_of(s))
        s->stream = FORGOTTEN;
}

void stream_cache_put(uint64_t pair, uint32_t stream)
{
    pair = nonzero(pair);
    /* Four fifths full at most: a look-up then probes three slots on average, and a pair
     * costs 15 to 30 bytes. */
    if ((!slots || (used + 1) * 5 > (mask + 1) * 4) && !grow())
        return;
    slot *s = probe(slots, mask, pair);
    if (!key_of(s)) {
        s->pair_lo = (uint32_t)pair;
        s->pair_hi = (uint32_t)(pair >> 32);
        used++;
    }
    s->stream = stream;
}
