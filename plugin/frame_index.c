#include "frame_index.h"

#include <string.h>

#include <glib.h>

static GArray *entries;

void frame_index_reset(void)
{
    if (entries)
        g_array_free(entries, TRUE);
    entries = NULL;
}

/* The first position whose frame is >= frame. */
static guint lower_bound(uint32_t frame)
{
    guint lo = 0, hi = entries->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(entries, frame_index_entry, mid).frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void frame_index_add(uint32_t frame, uint32_t stream, uint8_t dir)
{
    frame_index_entry e;
    memset(&e, 0, sizeof e);
    e.frame = frame;
    e.stream = stream;
    e.dir = dir;
    if (!entries)
        entries = g_array_new(FALSE, FALSE, sizeof(frame_index_entry));
    guint len = entries->len;
    if (len == 0 || g_array_index(entries, frame_index_entry, len - 1).frame <= frame) {
        g_array_append_val(entries, e);
        return;
    }
    /* Not expected on a first pass, which goes in frame order; kept sorted regardless. */
    guint at = lower_bound(frame + 1);
    g_array_insert_val(entries, at, e);
}

const frame_index_entry *frame_index_find(uint32_t frame, size_t *count)
{
    *count = 0;
    if (!entries)
        return NULL;
    guint at = lower_bound(frame);
    guint end = at;
    while (end < entries->len && g_array_index(entries, frame_index_entry, end).frame == frame)
        end++;
    if (end == at)
        return NULL;
    *count = end - at;
    return &g_array_index(entries, frame_index_entry, at);
}
