#include "conversation_table.h"

#include <string.h>

#include <glib.h>

#define PAGE_SIZE CONVERSATION_TABLE_PAGE_SIZE

/* Pages of PAGE_SIZE entries; a directory of page pointers that doubles as it grows.
 * Allocated with GLib and freed on reset, so redissection starts from nothing. */
static td_conv **pages;
static uint32_t page_count;

void conversation_table_reset(void)
{
    for (uint32_t i = 0; i < page_count; i++)
        g_free(pages[i]);
    g_free(pages);
    pages = NULL;
    page_count = 0;
}

td_conv *conversation_table_find(uint32_t stream)
{
    uint32_t page = stream / PAGE_SIZE;
    if (page >= page_count || !pages[page])
        return NULL;
    return &pages[page][stream & (PAGE_SIZE - 1)];
}

td_conv *conversation_table_get(uint32_t stream)
{
    uint32_t page = stream / PAGE_SIZE;
    if (page >= page_count) {
        uint32_t count = page_count ? page_count : 16;
        while (count <= page)
            count *= 2;
        td_conv **grown = g_try_renew(td_conv *, pages, count);
        if (!grown)
            return NULL;
        memset(grown + page_count, 0, (count - page_count) * sizeof *grown);
        pages = grown;
        page_count = count;
    }
    if (!pages[page]) {
        pages[page] = g_try_new0(td_conv, PAGE_SIZE);
        if (!pages[page])
            return NULL;
    }
    return &pages[page][stream & (PAGE_SIZE - 1)];
}
