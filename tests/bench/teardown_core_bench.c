/* teardown-core-bench: how fast the detector alone judges segments, and how many bytes
 * the plugin keeps per conversation and per flagged frame.
 *
 * The segments come from the benchmark mix (bench_mix.h): written to a temporary pcap,
 * read back and parsed with the core's own wire reader before any timing starts, then fed
 * in capture order, interleaved across conversations as the plugin feeds them. */
#define _DEFAULT_SOURCE /* clock_gettime, and the BSD types pcap.h uses */

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_mix.h"
#include "detector.h"
#include "tcp_wire.h"

/* The plugin's own record types; these headers include no Wireshark header. */
#include "conversation_table.h"
#include "frame_index.h"
#include "frame_records.h"

typedef struct endpoint_key {
    uint8_t ip[16];
    uint8_t port[2];
} endpoint_key;

typedef struct stream {
    td_segment *seg;      /* in capture order */
    uint32_t   *conv;     /* conversation of each segment */
    size_t      count, room;
    uint32_t    conversations;
    uint64_t    skipped;  /* frames that are not TCP over IPv4/IPv6 */
} stream;

static void stream_push(stream *s, const td_segment *seg, uint32_t conv)
{
    if (s->count == s->room) {
        s->room = s->room ? 2 * s->room : 1u << 20;
        s->seg = g_renew(td_segment, s->seg, s->room);
        s->conv = g_renew(uint32_t, s->conv, s->room);
    }
    s->seg[s->count] = *seg;
    s->conv[s->count++] = conv;
}

/* Where the TCP header starts, and the two endpoints; false if not TCP. */
static bool locate_tcp(const uint8_t *p, size_t len, size_t *tcp_off, endpoint_key *src,
                       endpoint_key *dst)
{
    size_t l3 = 14;
    if (len < 14)
        return false;
    unsigned type = (unsigned)p[12] << 8 | p[13];
    if (type == 0x8100) {
        if (len < 18)
            return false;
        type = (unsigned)p[16] << 8 | p[17];
        l3 = 18;
    }
    memset(src, 0, sizeof *src);
    memset(dst, 0, sizeof *dst);
    if (type == 0x0800 && len >= l3 + 20 && p[l3 + 9] == 6) {
        *tcp_off = l3 + (size_t)(p[l3] & 0x0f) * 4;
        memcpy(src->ip, p + l3 + 12, 4);
        memcpy(dst->ip, p + l3 + 16, 4);
    } else if (type == 0x86dd && len >= l3 + 40 && p[l3 + 6] == 6) {
        *tcp_off = l3 + 40;
        memcpy(src->ip, p + l3 + 8, 16);
        memcpy(dst->ip, p + l3 + 24, 16);
    } else {
        return false;
    }
    if (len < *tcp_off + 20)
        return false;
    memcpy(src->port, p + *tcp_off, 2);
    memcpy(dst->port, p + *tcp_off + 2, 2);
    return true;
}

/* Conversations are told apart by their endpoint pair, whichever way a segment goes;
 * endpoint 0 is the sender of the first segment, as in the plugin. */
static bool read_capture(const char *path, stream *s)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(path, err);
    if (!in) {
        fprintf(stderr, "teardown-core-bench: %s: %s\n", path, err);
        return false;
    }
    GHashTable *convs = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                              (GDestroyNotify)g_bytes_unref, NULL);
    GArray *sender0 = g_array_new(FALSE, FALSE, sizeof(endpoint_key));
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint32_t frame = 0;
    int rc;
    while ((rc = pcap_next_ex(in, &hdr, &data)) == 1) {
        frame++;
        size_t tcp_off;
        endpoint_key src, dst;
        td_segment seg;
        uint32_t header_len, segment_len;
        memset(&seg, 0, sizeof seg);
        if (!locate_tcp(data, hdr->caplen, &tcp_off, &src, &dst) ||
            !td_wire_parse_tcp(data + tcp_off, hdr->caplen - tcp_off, &seg.tcp, &header_len,
                               &seg.options_digest) ||
            !td_wire_ip_before(data, hdr->caplen, tcp_off, &segment_len, &seg.ip_id) ||
            segment_len < header_len) {
            s->skipped++;
            continue;
        }
        seg.tcp.len = segment_len - header_len;
        seg.frame = frame;
        seg.time_ns = (int64_t)hdr->ts.tv_sec * 1000000000 + (int64_t)hdr->ts.tv_usec * 1000;

        endpoint_key pair[2] = {src, dst};
        if (memcmp(&src, &dst, sizeof src) > 0) {
            pair[0] = dst;
            pair[1] = src;
        }
        GBytes *key = g_bytes_new(pair, sizeof pair);
        gpointer found = g_hash_table_lookup(convs, key);
        uint32_t conv;
        if (found) {
            conv = GPOINTER_TO_UINT(found) - 1;
            g_bytes_unref(key);
        } else {
            conv = sender0->len;
            g_array_append_val(sender0, src);
            g_hash_table_insert(convs, key, GUINT_TO_POINTER(conv + 1));
        }
        seg.dir = memcmp(&src, &g_array_index(sender0, endpoint_key, conv), sizeof src) ? 1 : 0;
        stream_push(s, &seg, conv);
    }
    if (rc != PCAP_ERROR_BREAK)
        fprintf(stderr, "teardown-core-bench: %s: %s\n", path, pcap_geterr(in));
    s->conversations = sender0->len;
    g_array_free(sender0, TRUE);
    g_hash_table_destroy(convs);
    pcap_close(in);
    return rc == PCAP_ERROR_BREAK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keeps the compiler from dropping results nobody reads. */
static volatile uint32_t sink;

/* One pass over the stream from empty state; returns the seconds it took. With view, also
 * asks for the view of every segment, as the plugin's first pass does to render it. */
static double run_once(const stream *s, td_conv *convs, bool view)
{
    memset(convs, 0, (size_t)s->conversations * sizeof *convs);
    uint32_t acc = 0;
    double t0 = now_s();
    for (size_t i = 0; i < s->count; i++) {
        const td_segment *seg = &s->seg[i];
        td_conv *c = &convs[s->conv[i]];
        td_result res;
        td_conv_feed(c, seg, &res);
        acc += res.verdicts;
        if (view) {
            td_view v;
            td_conv_view(c, seg->dir, seg->frame, seg->time_ns, &v);
            acc += v.in_teardown;
        }
    }
    double t = now_s() - t0;
    sink = acc;
    return t;
}

/* What the plugin would keep for this capture: mirrors analyse() and show_segment() in
 * plugin/packet-teardown.c (which frames get a teardown_record, which go into the frame
 * index). Update both together. */
typedef struct plugin_tally {
    uint64_t flagged;   /* frames with a verdict once the capture has been read */
    uint64_t records;   /* teardown_record entries */
    uint64_t indexed;   /* frame_index entries */
    uint64_t verdicts[TD_V_COUNT_];
} plugin_tally;

static void tally_plugin(const stream *s, td_conv *convs, plugin_tally *t)
{
    memset(t, 0, sizeof *t);
    memset(convs, 0, (size_t)s->conversations * sizeof *convs);
    uint8_t *kinds_seen = g_new0(uint8_t, s->conversations);
    uint8_t *first_seen = g_new0(uint8_t, s->conversations);
    /* Frame -> verdict bits, and whether it has a record; frames are dense from 1. */
    uint32_t frames = s->count ? s->seg[s->count - 1].frame : 0;
    uint32_t *verdicts = g_new0(uint32_t, (size_t)frames + 1);
    uint8_t *has_record = g_new0(uint8_t, (size_t)frames + 1);

    for (size_t i = 0; i < s->count; i++) {
        const td_segment *seg = &s->seg[i];
        uint32_t conv = s->conv[i];
        td_result res;
        td_conv_feed(&convs[conv], seg, &res);

        uint32_t first_kinds = res.verdicts & ~(uint32_t)kinds_seen[conv];
        if (res.half_close_frame)
            first_kinds |= TD_V_HALF_CLOSE;
        kinds_seen[conv] |= (uint8_t)first_kinds;
        if (res.verdicts || res.fixed == TD_FIXED_WITHHOLDS || first_kinds) {
            has_record[seg->frame] = 1;
            verdicts[seg->frame] |= res.verdicts;
        }
        if (res.half_close_frame) {
            has_record[res.half_close_frame] = 1;
            verdicts[res.half_close_frame] |= TD_V_HALF_CLOSE;
        }
        if ((res.verdicts & TD_V_PROVOKED_RST) && res.related_frame)
            has_record[res.related_frame] = 1;

        td_view v;
        td_conv_view(&convs[conv], seg->dir, seg->frame, seg->time_ns, &v);
        bool first = !first_seen[conv];
        first_seen[conv] = 1;
        if (v.in_teardown || has_record[seg->frame] || first)
            t->indexed++;
    }
    for (uint32_t f = 1; f <= frames; f++) {
        t->records += has_record[f];
        t->flagged += verdicts[f] != 0;
        for (unsigned b = 0; b < TD_V_COUNT_; b++)
            t->verdicts[b] += (verdicts[f] >> b) & 1;
    }
    g_free(has_record);
    g_free(verdicts);
    g_free(first_seen);
    g_free(kinds_seen);
}

/* Wireshark 4.0's wmem (epan/wmem/wmem_allocator_block.c, wmem_map.c), which the plugin's
 * records live in: the file scope's block allocator puts a 16-byte chunk header before
 * every allocation and rounds sizes up to 16; a map entry is three pointers, and the
 * bucket table holds between one and two pointers per entry (it doubles when full). */
enum { WMEM_CHUNK_HEADER = 16, WMEM_ALIGN = 16, WMEM_MAP_ITEM = 3 * sizeof(void *) };

static size_t wmem_chunk(size_t size)
{
    return WMEM_CHUNK_HEADER + (size + WMEM_ALIGN - 1) / WMEM_ALIGN * WMEM_ALIGN;
}

static int usage(FILE *to)
{
    fprintf(to, "usage: teardown-core-bench [CONVERSATIONS [RUNS]]\n"
                "  CONVERSATIONS of the benchmark mix (default 100000), RUNS timed passes\n"
                "  (default 7), the best reported\n");
    return to == stdout ? 0 : 2;
}

static bool parse_count(const char *text, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    *out = strtoul(text, &end, 10);
    return !errno && *end == '\0' && end != text && *out > 0 && *out <= max;
}

int main(int argc, char **argv)
{
    unsigned long conversations = 100000, runs = 7;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return usage(stdout);
    if (argc > 3 || (argc >= 2 && !parse_count(argv[1], BENCH_MAX_CONVERSATIONS, &conversations)) ||
        (argc == 3 && !parse_count(argv[2], 1000, &runs)))
        return usage(stderr);

    GError *error = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("teardown-core-bench-XXXXXX.pcap", &path, &error);
    if (fd < 0) {
        fprintf(stderr, "teardown-core-bench: %s\n", error->message);
        return 1;
    }
    close(fd);
    stream s;
    memset(&s, 0, sizeof s);
    bool ok = bench_mix_write(path, (uint32_t)conversations, NULL) && read_capture(path, &s);
    g_unlink(path);
    g_free(path);
    if (!ok || s.count == 0)
        return 1;

    td_conv *convs = g_new(td_conv, s.conversations);
    double best_feed = 1e300, best_view = 1e300;
    for (unsigned long r = 0; r < runs; r++) {
        double t = run_once(&s, convs, false);
        best_feed = t < best_feed ? t : best_feed;
        t = run_once(&s, convs, true);
        best_view = t < best_view ? t : best_view;
    }

    plugin_tally tally;
    tally_plugin(&s, convs, &tally);

    printf("segments: %zu in %" PRIu32 " conversations (%" PRIu64 " frames skipped), "
           "best of %lu runs\n", s.count, s.conversations, s.skipped, runs);
    printf("td_conv_feed:                 %8.2f M segments/s  (%.1f ns/segment)\n",
           (double)s.count / best_feed / 1e6, best_feed / (double)s.count * 1e9);
    printf("td_conv_feed + td_conv_view:  %8.2f M segments/s  (%.1f ns/segment)\n",
           (double)s.count / best_view / 1e6, best_view / (double)s.count * 1e9);

    size_t record_cost = wmem_chunk(sizeof(teardown_record)) + wmem_chunk(WMEM_MAP_ITEM);
    printf("\nstate per conversation:\n");
    printf("  sizeof(td_conv)                %4zu bytes (core)\n", sizeof(td_conv));
    printf("  sizeof(teardown_conversation)  %4zu bytes (plugin's slot, pages of 4096)\n",
           sizeof(teardown_conversation));
    printf("per flagged frame:\n");
    printf("  sizeof(teardown_record)        %4zu bytes; with wmem overhead %zu to %zu\n",
           sizeof(teardown_record), record_cost + sizeof(void *),
           record_cost + 2 * sizeof(void *));
    printf("per rendered frame (teardown phase and each conversation's first frame):\n");
    printf("  sizeof(frame_index_entry)      %4zu bytes (GArray: up to twice that while it "
           "grows)\n", sizeof(frame_index_entry));

    printf("\nwhat the plugin keeps for this capture (mirroring packet-teardown.c):\n");
    printf("  flagged frames %" PRIu64 ", records %" PRIu64 ", frame index entries %" PRIu64
           "\n", tally.flagged, tally.records, tally.indexed);
    for (unsigned b = 0; b < TD_V_COUNT_; b++)
        printf("    %-22s %8" PRIu64 " frames\n", td_verdict_name(1u << b), tally.verdicts[b]);
    double conv_bytes = (double)((s.conversations + 4095) / 4096 * 4096) *
                        (double)sizeof(teardown_conversation);
    double record_bytes = (double)tally.records * (double)(record_cost + 2 * sizeof(void *));
    double index_bytes = (double)tally.indexed * (double)sizeof(frame_index_entry);
    printf("  about %.1f MB: conversations %.1f MB, records %.1f MB, index %.1f to %.1f MB\n",
           (conv_bytes + record_bytes + index_bytes) / 1e6, conv_bytes / 1e6,
           record_bytes / 1e6, index_bytes / 1e6, 2 * index_bytes / 1e6);
    /* Records outnumber flagged frames: some carry only a first-of-its-kind mark for the
     * statistics tap, or a forward link. */
    if (tally.flagged)
        printf("  records per flagged frame %.2f: %.0f bytes of records per flagged frame\n",
               (double)tally.records / (double)tally.flagged,
               record_bytes / (double)tally.flagged);
    printf("  %.0f bytes per conversation in all\n",
           (conv_bytes + record_bytes + index_bytes) / (double)s.conversations);
    g_free(convs);
    g_free(s.seg);
    g_free(s.conv);
    return 0;
}
