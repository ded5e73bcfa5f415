#include "frame_store.h"

#include <string.h>

#include <glib.h>

/* Both arrays are allocated with GLib and freed on reset. Entries are 16 bytes and kept
 * in frame order, so a frame is found by binary search; details exist only for the
 * segments with a verdict or a fixed-sender verdict of their own. */
static GArray *entries;
static GArray *details;
/* Where the last look-up ended: passes read frames in order, so the next frame's entries
 * start there, and most look-ups need no search. */
static guint cursor;

void frame_store_reset(void)
{
    if (entries)
        g_array_free(entries, TRUE);
    if (details)
        g_array_free(details, TRUE);
    entries = details = NULL;
    cursor = 0;
}

/* The first position whose frame is >= frame. */
static guint lower_bound(uint32_t frame)
{
    if (cursor <= entries->len &&
        (cursor == entries->len || g_array_index(entries, frame_entry, cursor).frame >= frame) &&
        (cursor == 0 || g_array_index(entries, frame_entry, cursor - 1).frame < frame))
        return cursor;
    guint lo = 0, hi = entries->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(entries, frame_entry, mid).frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

frame_entry *frame_store_add(uint32_t frame, uint32_t stream, uint8_t endpoint)
{
    frame_entry e;
    memset(&e, 0, sizeof e);
    e.frame = frame;
    e.stream = stream;
    e.endpoint = endpoint;
    if (!entries)
        entries = g_array_new(FALSE, FALSE, sizeof(frame_entry));
    guint at = entries->len;
    if (at && g_array_index(entries, frame_entry, at - 1).frame > frame) {
        at = lower_bound(frame + 1); /* not expected on a first pass; kept sorted regardless */
        g_array_insert_val(entries, at, e);
    } else {
        g_array_append_val(entries, e);
    }
    return &g_array_index(entries, frame_entry, at);
}

const frame_entry *frame_store_find(uint32_t frame, size_t *count)
{
    *count = 0;
    if (!entries)
        return NULL;
    guint at = lower_bound(frame);
    guint end = at;
    while (end < entries->len && g_array_index(entries, frame_entry, end).frame == frame)
        end++;
    cursor = end;
    if (end == at)
        return NULL;
    *count = end - at;
    return &g_array_index(entries, frame_entry, at);
}

frame_detail *frame_store_attach_detail(frame_entry *entry)
{
    if (!entry->detail) {
        frame_detail empty;
        memset(&empty, 0, sizeof empty);
        if (!details)
            details = g_array_new(FALSE, FALSE, sizeof(frame_detail));
        g_array_append_val(details, empty);
        entry->detail = details->len;
    }
    return &g_array_index(details, frame_detail, entry->detail - 1);
}

frame_detail *frame_store_detail(uint32_t frame, uint32_t stream)
{
    size_t count;
    frame_entry *e = (frame_entry *)frame_store_find(frame, &count);
    for (; count; count--, e++)
        if (e->stream == stream)
            return frame_store_attach_detail(e);
    return NULL;
}

const frame_detail *frame_store_detail_of(const frame_entry *entry)
{
    return entry->detail ? &g_array_index(details, frame_detail, entry->detail - 1) : NULL;
}
