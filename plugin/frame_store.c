#include "frame_store.h"

#include <string.h>

#include <glib.h>

#include "verdicts.h"

_Static_assert(TD_VERDICT_COUNT <= 16, "frame entries keep verdict masks in 16 bits");

/* Both arrays are allocated with GLib and freed on reset. Entries are kept in frame
 * order, so a frame is found by binary search. Appending is done here rather than with a
 * GArray: most frames of a teardown add an entry, and a generic append cost several times
 * the rest of the store's work. */
static frame_entry *entries;
static guint entry_count;
static guint entry_capacity;
static frame_numbers *numbers;
static guint numbers_count;
static guint numbers_capacity;
/* Where the last look-up ended: passes read frames in order, so the next frame's entries
 * start there, and most look-ups need no search. */
static guint cursor;

void frame_store_reset(void)
{
    g_free(entries);
    g_free(numbers);
    entries = NULL;
    numbers = NULL;
    entry_count = entry_capacity = numbers_count = numbers_capacity = 0;
    cursor = 0;
}

/* The first position whose frame is >= frame. */
static guint lower_bound(uint32_t frame)
{
    if (cursor <= entry_count && (cursor == entry_count || entries[cursor].frame >= frame) &&
        (cursor == 0 || entries[cursor - 1].frame < frame))
        return cursor;
    guint lo = 0, hi = entry_count;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (entries[mid].frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The array with room for one more element of size bytes: *capacity of them, count in
 * use; doubled when full. NULL if memory was refused, the array then unchanged. */
static void *with_room_for_one(void *array, guint *capacity, guint count, size_t size)
{
    if (count < *capacity)
        return array;
    guint grown_capacity = *capacity ? *capacity * 2 : 4096;
    void *grown = grown_capacity > *capacity ? g_try_realloc_n(array, grown_capacity, size)
                                             : NULL;
    if (grown)
        *capacity = grown_capacity;
    return grown;
}

frame_entry *frame_store_add(uint32_t frame, uint32_t stream, uint8_t endpoint)
{
    frame_entry *room = with_room_for_one(entries, &entry_capacity, entry_count, sizeof *entries);
    if (!room)
        return NULL;
    entries = room;
    guint at = entry_count;
    if (at && entries[at - 1].frame > frame) {
        at = lower_bound(frame + 1); /* not expected on a first pass; kept sorted regardless */
        memmove(&entries[at + 1], &entries[at], (entry_count - at) * sizeof *entries);
    }
    entry_count++;
    frame_entry *e = &entries[at];
    memset(e, 0, sizeof *e);
    e->frame = frame;
    e->stream = stream;
    e->endpoint = endpoint;
    return e;
}

const frame_entry *frame_store_find(uint32_t frame, size_t *count)
{
    *count = 0;
    if (!entries)
        return NULL;
    guint at = lower_bound(frame);
    guint end = at;
    while (end < entry_count && entries[end].frame == frame)
        end++;
    cursor = end;
    if (end == at)
        return NULL;
    *count = end - at;
    return &entries[at];
}

frame_numbers *frame_store_attach_numbers(frame_entry *entry)
{
    if (!entry->numbers) {
        frame_numbers *room = with_room_for_one(numbers, &numbers_capacity, numbers_count,
                                                sizeof *numbers);
        if (!room)
            return NULL;
        numbers = room;
        memset(&numbers[numbers_count], 0, sizeof *numbers);
        entry->numbers = ++numbers_count;
    }
    return &numbers[entry->numbers - 1];
}

frame_entry *frame_store_entry_of(uint32_t frame, uint32_t stream)
{
    size_t count;
    frame_entry *e = (frame_entry *)frame_store_find(frame, &count);
    for (; count; count--, e++)
        if (e->stream == stream)
            return e;
    return NULL;
}

const frame_numbers *frame_store_numbers_of(const frame_entry *entry)
{
    return entry->numbers ? &numbers[entry->numbers - 1] : NULL;
}
