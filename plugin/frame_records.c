#include "frame_records.h"

#include <epan/wmem_scopes.h>

static wmem_map_t *records; /* frame number -> teardown_record list */

void frame_records_register(void)
{
    records = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                     g_direct_equal);
}

teardown_record *frame_record_find(uint32_t frame, uint32_t stream)
{
    teardown_record *r = (teardown_record *)wmem_map_lookup(records, GUINT_TO_POINTER(frame));
    while (r && r->stream != stream)
        r = r->next;
    return r;
}

teardown_record *frame_record_get(uint32_t frame, uint32_t stream)
{
    teardown_record *head = (teardown_record *)wmem_map_lookup(records, GUINT_TO_POINTER(frame));
    for (teardown_record *r = head; r; r = r->next)
        if (r->stream == stream)
            return r;
    teardown_record *r = wmem_new0(wmem_file_scope(), teardown_record);
    r->stream = stream;
    r->next = head;
    wmem_map_insert(records, GUINT_TO_POINTER(frame), r);
    return r;
}
