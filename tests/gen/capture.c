#include "capture.h"

#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>

/* 2024-01-01 00:00:00 UTC: a fixed epoch keeps the files byte-for-byte reproducible. */
#define GEN_EPOCH_S 1704067200

typedef struct gen_frame {
    int64_t  time_us;
    uint64_t order;
    uint32_t len;
    uint8_t *bytes;
} gen_frame;

struct gen_capture {
    char          *path;
    pcap_t        *dead;
    pcap_dumper_t *out;
    GArray        *pending;  /* gen_frame, not written yet */
    uint64_t       added;
    int64_t        flushed_to;
    bool           late;     /* a frame came in earlier than what was already written */
    uint32_t       snaplen;  /* bytes kept of each frame; 0 for all */
};

gen_capture *gen_capture_open(const char *path)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *out = dead ? pcap_dump_open(dead, path) : NULL;
    if (!out) {
        fprintf(stderr, "teardown-gen: cannot write %s: %s\n", path,
                dead ? pcap_geterr(dead) : "out of memory");
        if (dead)
            pcap_close(dead);
        return NULL;
    }
    gen_capture *cap = g_new0(gen_capture, 1);
    cap->path = g_strdup(path);
    cap->dead = dead;
    cap->out = out;
    cap->pending = g_array_new(FALSE, FALSE, sizeof(gen_frame));
    cap->flushed_to = INT64_MIN;
    return cap;
}

void gen_capture_set_snaplen(gen_capture *cap, uint32_t snaplen)
{
    cap->snaplen = snaplen;
}

void gen_capture_add(gen_capture *cap, int64_t time_us, const uint8_t *frame, size_t len)
{
    if (time_us < cap->flushed_to)
        cap->late = true;
    gen_frame f = {time_us, cap->added++, (uint32_t)len, g_memdup2(frame, len)};
    g_array_append_val(cap->pending, f);
}

static gint by_time(gconstpointer a, gconstpointer b)
{
    const gen_frame *x = a, *y = b;
    if (x->time_us != y->time_us)
        return x->time_us < y->time_us ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

void gen_capture_flush_before(gen_capture *cap, int64_t time_us)
{
    g_array_sort(cap->pending, by_time);
    guint n = 0;
    for (; n < cap->pending->len; n++) {
        gen_frame *f = &g_array_index(cap->pending, gen_frame, n);
        if (f->time_us >= time_us)
            break;
        struct pcap_pkthdr hdr = {
            .ts = {.tv_sec = GEN_EPOCH_S + f->time_us / 1000000, .tv_usec = f->time_us % 1000000},
            .caplen = cap->snaplen && cap->snaplen < f->len ? cap->snaplen : f->len,
            .len = f->len,
        };
        pcap_dump((u_char *)cap->out, &hdr, f->bytes);
        g_free(f->bytes);
    }
    g_array_remove_range(cap->pending, 0, n);
    if (time_us > cap->flushed_to)
        cap->flushed_to = time_us;
}

bool gen_capture_close(gen_capture *cap)
{
    gen_capture_flush_before(cap, INT64_MAX);
    bool ok = pcap_dump_flush(cap->out) == 0 && !ferror(pcap_dump_file(cap->out));
    pcap_dump_close(cap->out);
    pcap_close(cap->dead);
    if (!ok)
        fprintf(stderr, "teardown-gen: error writing %s\n", cap->path);
    if (cap->late) {
        fprintf(stderr, "teardown-gen: %s: a frame came after later ones were written\n",
                cap->path);
        ok = false;
    }
    g_array_free(cap->pending, TRUE);
    g_free(cap->path);
    g_free(cap);
    return ok;
}
