#include "frame_store.h"

#include <string.h>

#include <glib.h>

#include "verdicts.h"

_Static_assert(TD_VERDICT_COUNT <= 16, "frame entries keep verdict masks in 16 bits");
_Static_assert(sizeof(frame_entry) == 20, "a whole entry is the 20 bytes the docs tell");

/* A plain entry: everything but the frame packed in one word. */
typedef struct plain_entry {
    uint32_t frame;
    uint32_t packed; /* PLAIN_* */
} plain_entry;

enum {
    PLAIN_ENDPOINT           = 1u << 0,
    PLAIN_FIXED_SENDER_SHIFT = 1,       /* 2 bits of td_fixed_sender */
    PLAIN_FIRST_SEGMENT      = 1u << 3,
    PLAIN_REVEALS_HALF_CLOSE = 1u << 4, /* counted and first_kinds are TD_V_HALF_CLOSE */
    PLAIN_STREAM_SHIFT       = 5,
};

_Static_assert(FRAME_STORE_PLAIN_STREAM_LIMIT == UINT32_C(1) << (32 - PLAIN_STREAM_SHIFT),
               "the stream fills the rest of the word");
_Static_assert(sizeof(plain_entry) == FRAME_STORE_PLAIN_ENTRY_SIZE, "the size frame_store.h tells");

/* One array of entries in frame order, so that a frame is found by binary search.
 * Appending is done here rather than with a GArray: most frames of a teardown add an
 * entry, and a generic append cost several times the rest of the store's work. Every
 * element starts with its frame number. */
typedef struct entry_array {
    void  *items;
    guint  count;
    guint  capacity;
    /* Where the last look-up ended: passes read frames in order, so the next frame's
     * entry is there, and most look-ups need no search. */
    guint  cursor;
} entry_array;

/* All arrays are allocated with GLib and freed on reset. A frame has at most one entry,
 * in one of the two entry arrays. */
static entry_array whole;
static entry_array plain;
static frame_numbers *numbers;
static guint numbers_count;
static guint numbers_capacity;
/* Frames strictly between these two have no entry, as learnt from the last frame found in
 * neither array. Later passes ask for frames in order, and most frames, data or not TCP,
 * have none: the next such frame is answered without a search. Any add forgets it. */
static uint32_t empty_after, empty_before;

static void array_free(entry_array *a)
{
    g_free(a->items);
    a->items = NULL;
    a->count = a->capacity = a->cursor = 0;
}

void frame_store_reset(void)
{
    array_free(&whole);
    array_free(&plain);
    g_free(numbers);
    numbers = NULL;
    numbers_count = numbers_capacity = 0;
    empty_after = empty_before = 0;
}

/* The helpers below take the element size as a constant argument and are inlined, so that
 * each array gets its own search with a fixed stride: later passes look up every frame. */
static inline uint32_t frame_at(const entry_array *a, guint i, size_t size)
{
    uint32_t frame;
    memcpy(&frame, (const char *)a->items + (size_t)i * size, sizeof frame);
    return frame;
}

/* The first position whose frame is >= frame. */
static inline __attribute__((always_inline)) guint lower_bound(const entry_array *a, uint32_t frame,
                                                               size_t size)
{
    guint c = a->cursor;
    if (c <= a->count && (c == a->count || frame_at(a, c, size) >= frame) &&
        (c == 0 || frame_at(a, c - 1, size) < frame))
        return c;
    guint lo = 0, hi = a->count;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (frame_at(a, mid, size) < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The element of frame, or NULL; the cursor moves past it. A frame has one element at
 * most, so finding it at the cursor is enough. */
static inline __attribute__((always_inline)) void *array_find(entry_array *a, uint32_t frame,
                                                              size_t size)
{
    guint c = a->cursor;
    if (!(c < a->count && frame_at(a, c, size) == frame)) {
        c = lower_bound(a, frame, size);
        if (c == a->count || frame_at(a, c, size) != frame) {
            a->cursor = c;
            return NULL;
        }
    }
    a->cursor = c + 1;
    return (char *)a->items + (size_t)c * size;
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

/* Room for the element of frame, in frame order; NULL if memory was refused. */
static inline __attribute__((always_inline)) void *array_insert(entry_array *a, uint32_t frame,
                                                                size_t size)
{
    void *room = with_room_for_one(a->items, &a->capacity, a->count, size);
    if (!room)
        return NULL;
    a->items = room;
    guint at = a->count;
    char *base = a->items;
    if (at && frame_at(a, at - 1, size) > frame) {
        at = lower_bound(a, frame + 1, size); /* not expected on a first pass; kept sorted regardless */
        memmove(base + (size_t)(at + 1) * size, base + (size_t)at * size,
                (size_t)(a->count - at) * size);
    }
    a->count++;
    return base + (size_t)at * size;
}

bool frame_store_add(const frame_entry *entry)
{
    empty_after = empty_before = 0;
    if (frame_entry_is_plain(entry)) {
        plain_entry *p = array_insert(&plain, entry->frame, sizeof *p);
        if (!p)
            return false;
        p->frame = entry->frame;
        p->packed = entry->stream << PLAIN_STREAM_SHIFT |
                    (uint32_t)entry->fixed_sender << PLAIN_FIXED_SENDER_SHIFT |
                    (entry->endpoint ? PLAIN_ENDPOINT : 0) |
                    (entry->first_segment ? PLAIN_FIRST_SEGMENT : 0) |
                    (entry->counted ? PLAIN_REVEALS_HALF_CLOSE : 0);
        return true;
    }
    frame_entry *e = array_insert(&whole, entry->frame, sizeof *e);
    if (!e)
        return false;
    *e = *entry;
    return true;
}

/* The first frame after the cursor's in an array, or UINT32_MAX. */
static inline __attribute__((always_inline)) uint32_t next_frame(const entry_array *a, size_t size)
{
    return a->cursor < a->count ? frame_at(a, a->cursor, size) : UINT32_MAX;
}

bool frame_store_find(uint32_t frame, frame_entry *out)
{
    if (frame > empty_after && frame < empty_before)
        return false;
    /* Plain first: most entries are. */
    const plain_entry *p = plain.items ? array_find(&plain, frame, sizeof *p) : NULL;
    if (p) {
        memset(out, 0, sizeof *out);
        out->frame = p->frame;
        out->stream = p->packed >> PLAIN_STREAM_SHIFT;
        out->fixed_sender = (p->packed >> PLAIN_FIXED_SENDER_SHIFT) & 3;
        out->endpoint = (p->packed & PLAIN_ENDPOINT) != 0;
        out->first_segment = (p->packed & PLAIN_FIRST_SEGMENT) != 0;
        if (p->packed & PLAIN_REVEALS_HALF_CLOSE)
            out->counted = out->first_kinds = TD_V_HALF_CLOSE;
        return true;
    }
    const frame_entry *e = whole.items ? array_find(&whole, frame, sizeof *e) : NULL;
    if (!e) {
        /* Both cursors now stand at the first entry after the frame. */
        uint32_t next_plain = next_frame(&plain, sizeof(plain_entry));
        uint32_t next_whole = next_frame(&whole, sizeof(frame_entry));
        empty_after = frame;
        empty_before = next_plain < next_whole ? next_plain : next_whole;
        return false;
    }
    *out = *e;
    return true;
}

frame_numbers *frame_store_new_numbers(uint32_t *index)
{
    frame_numbers *room = with_room_for_one(numbers, &numbers_capacity, numbers_count,
                                            sizeof *numbers);
    if (!room)
        return NULL;
    numbers = room;
    memset(&numbers[numbers_count], 0, sizeof *numbers);
    *index = ++numbers_count;
    return &numbers[numbers_count - 1];
}

frame_numbers *frame_store_attach_numbers(frame_entry *entry)
{
    if (!entry->numbers) {
        uint32_t index;
        if (!frame_store_new_numbers(&index))
            return NULL;
        entry->numbers = index;
    }
    return &numbers[entry->numbers - 1];
}

frame_entry *frame_store_entry_of(uint32_t frame, uint32_t stream)
{
    frame_entry *e = whole.items ? array_find(&whole, frame, sizeof *e) : NULL;
    return e && e->stream == stream ? e : NULL;
}

const frame_numbers *frame_store_numbers_of(const frame_entry *entry)
{
    return entry->numbers ? &numbers[entry->numbers - 1] : NULL;
}
