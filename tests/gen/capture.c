#include "capture.h"

#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>

/* 2024-01-01 00:00:00 UTC: a fixed epoch keeps the files byte-for-byte reproducible. */
#define GEN_EPOCH_S 1704067200

typedef struct gen_frame {
    int64_t  time_us;
    uint32_t order;
    uint32_t len;
    uint8_t *bytes;
} gen_frame;

struct gen_capture {
    GArray *frames;
};

static void clear_frame(gpointer p)
{
    g_free(((gen_frame *)p)->bytes);
}

gen_capture *gen_capture_new(void)
{
    gen_capture *cap = g_new0(gen_capture, 1);
    cap->frames = g_array_new(FALSE, FALSE, sizeof(gen_frame));
    g_array_set_clear_func(cap->frames, clear_frame);
    return cap;
}

void gen_capture_free(gen_capture *cap)
{
    if (!cap)
        return;
    g_array_free(cap->frames, TRUE);
    g_free(cap);
}

void gen_capture_add(gen_capture *cap, int64_t time_us, const uint8_t *frame, size_t len)
{
    gen_frame f = {time_us, cap->frames->len, (uint32_t)len, g_memdup2(frame, len)};
    g_array_append_val(cap->frames, f);
}

static gint by_time(gconstpointer a, gconstpointer b)
{
    const gen_frame *x = a, *y = b;
    if (x->time_us != y->time_us)
        return x->time_us < y->time_us ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

bool gen_capture_write(gen_capture *cap, const char *path)
{
    g_array_sort(cap->frames, by_time);
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *out = dead ? pcap_dump_open(dead, path) : NULL;
    if (!out) {
        fprintf(stderr, "teardown-gen: cannot write %s: %s\n", path,
                dead ? pcap_geterr(dead) : "out of memory");
        if (dead)
            pcap_close(dead);
        return false;
    }
    for (guint i = 0; i < cap->frames->len; i++) {
        const gen_frame *f = &g_array_index(cap->frames, gen_frame, i);
        struct pcap_pkthdr hdr = {
            .ts = {.tv_sec = GEN_EPOCH_S + f->time_us / 1000000, .tv_usec = f->time_us % 1000000},
            .caplen = f->len,
            .len = f->len,
        };
        pcap_dump((u_char *)out, &hdr, f->bytes);
    }
    bool ok = pcap_dump_flush(out) == 0 && !ferror(pcap_dump_file(out));
    pcap_dump_close(out);
    pcap_close(dead);
    if (!ok)
        fprintf(stderr, "teardown-gen: error writing %s\n", path);
    return ok;
}
