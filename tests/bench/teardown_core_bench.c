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
#include "frame_store.h"

typedef struct endpoint_key {
    uint8_t ip[16];
    uint8_t port[2];
    uint8_t ipv6;
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
        src->ipv6 = dst->ipv6 = 1;
    } else {
        return false;
    }
    if (len < *tcp_off + 20)
        return false;
    memcpy(src->port, p + *tcp_off, 2);
    memcpy(dst->port, p + *tcp_off + 2, 2);
    return true;
}

/* The segment between src and dst as the plugin finds it, with the IP header's length. */
static bool find_segment(const uint8_t *p, size_t len, const endpoint_key *src,
                         const endpoint_key *dst, size_t *tcp_off, uint32_t *segment_len,
                         int32_t *ip_id)
{
    td_wire_endpoints ep = {
        .src_addr = src->ip, .dst_addr = dst->ip,
        .addr_len = src->ipv6 ? 16 : 4,
        .src_port = (uint16_t)(src->port[0] << 8 | src->port[1]),
        .dst_port = (uint16_t)(dst->port[0] << 8 | dst->port[1]),
    };
    return td_wire_find_tcp(p, len, &ep, TD_WIRE_NO_HINT, tcp_off, segment_len, ip_id);
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
            !find_segment(data, hdr->caplen, &src, &dst, &tcp_off, &segment_len, &seg.ip_id) ||
            !td_wire_parse_tcp(data + tcp_off, hdr->caplen - tcp_off, &seg.tcp, &header_len,
                               &seg.options_digest) ||
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
        seg.endpoint = memcmp(&src, &g_array_index(sender0, endpoint_key, conv), sizeof src) ? 1 : 0;
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
        td_outcome res;
        td_conv_feed(c, seg, &res);
        acc += res.verdicts;
        if (view) {
            td_view v;
            td_conv_view(c, seg->endpoint, seg->frame, seg->time_ns, &v);
            acc += v.in_teardown;
        }
    }
    double t = now_s() - t0;
    sink = acc;
    return t;
}

/* What the plugin's frame store would hold for this capture: an entry for each segment
 * that shows something, plain or whole, and numbers for those that link to other frames
 * or count bytes, forward marks included. The rules are the store's own (frame_store.h),
 * applied to the same outcomes as in the plugin's first pass. */
typedef struct plugin_tally {
    uint64_t flagged; /* frames with a verdict once the capture has been read */
    uint64_t plain;   /* entries kept plain */
    uint64_t whole;   /* entries kept whole, as frame_entry */
    uint64_t numbers; /* frame_numbers */
    uint64_t verdicts[TD_VERDICT_COUNT];
} plugin_tally;

static void tally_plugin(const stream *s, td_conv *convs, plugin_tally *t)
{
    memset(t, 0, sizeof *t);
    memset(convs, 0, (size_t)s->conversations * sizeof *convs);
    /* Frame -> verdict bits, and whether it has numbers; frames are dense from 1. */
    uint32_t frames = s->count ? s->seg[s->count - 1].frame : 0;
    uint32_t *verdicts = g_new0(uint32_t, (size_t)frames + 1);
    uint8_t *has_numbers_at = g_new0(uint8_t, (size_t)frames + 1);

    for (size_t i = 0; i < s->count; i++) {
        const td_segment *seg = &s->seg[i];
        td_conv *conv = &convs[s->conv[i]];
        td_outcome out;
        td_conv_feed(conv, seg, &out);
        frame_entry entry;
        if (frame_entry_of_outcome(&out, td_conv_in_teardown(conv, seg->frame), seg->frame,
                                   s->conv[i], seg->endpoint, &entry)) {
            entry.numbers = outcome_has_numbers(&out); /* an index in the plugin: set or not */
            if (frame_entry_is_plain(&entry))
                t->plain++;
            else
                t->whole++;
        }
        verdicts[seg->frame] |= out.verdicts;
        if (outcome_has_numbers(&out))
            has_numbers_at[seg->frame] = 1;
        if (out.half_close_frame)
            verdicts[out.half_close_frame] |= TD_V_HALF_CLOSE;
        if (out.provoked_by_frame)
            has_numbers_at[out.provoked_by_frame] = 1;
    }
    for (uint32_t f = 1; f <= frames; f++) {
        t->numbers += has_numbers_at[f];
        t->flagged += verdicts[f] != 0;
        for (unsigned b = 0; b < TD_VERDICT_COUNT; b++)
            t->verdicts[b] += (verdicts[f] >> b) & 1;
    }
    g_free(has_numbers_at);
    g_free(verdicts);
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

    printf("\nstate per conversation:\n");
    printf("  sizeof(td_conv)       %4zu bytes (the plugin's slot, in pages of %u)\n",
           sizeof(td_conv), CONVERSATION_TABLE_PAGE_SIZE);
    printf("per frame shown (the teardown, and each conversation's first frame):\n");
    printf("  plain entry           %4zu bytes (states and landmarks only; an array that "
           "doubles: up to twice that)\n", FRAME_STORE_PLAIN_ENTRY_SIZE);
    printf("  sizeof(frame_entry)   %4zu bytes (any other: a verdict, a cause, a count, a "
           "forward mark; an array that doubles too)\n", sizeof(frame_entry));
    printf("per frame that links to another or counts bytes:\n");
    printf("  sizeof(frame_numbers) %4zu bytes (an array that doubles too)\n",
           sizeof(frame_numbers));

    printf("\nwhat the plugin keeps for this capture:\n");
    printf("  flagged frames %" PRIu64 ", entries %" PRIu64 " plain and %" PRIu64
           " whole, numbers %" PRIu64 "\n", tally.flagged, tally.plain, tally.whole, tally.numbers);
    for (unsigned b = 0; b < TD_VERDICT_COUNT; b++)
        printf("    %-22s %8" PRIu64 " frames\n", td_verdict_table[b].name, tally.verdicts[b]);
    const uint32_t page = CONVERSATION_TABLE_PAGE_SIZE;
    double conv_bytes = (double)((s.conversations + page - 1) / page * page) * (double)sizeof(td_conv);
    double entry_bytes = (double)tally.plain * FRAME_STORE_PLAIN_ENTRY_SIZE +
                         (double)tally.whole * (double)sizeof(frame_entry);
    double numbers_bytes = (double)tally.numbers * (double)sizeof(frame_numbers);
    printf("  about %.1f MB: conversations %.1f MB, entries %.1f to %.1f MB, numbers %.1f to "
           "%.1f MB\n",
           (conv_bytes + entry_bytes + numbers_bytes) / 1e6, conv_bytes / 1e6, entry_bytes / 1e6,
           2 * entry_bytes / 1e6, numbers_bytes / 1e6, 2 * numbers_bytes / 1e6);
    printf("  %.0f bytes per conversation in all (%.0f with the arrays at their largest)\n",
           (conv_bytes + entry_bytes + numbers_bytes) / (double)s.conversations,
           (conv_bytes + 2 * entry_bytes + 2 * numbers_bytes) / (double)s.conversations);
    g_free(convs);
    g_free(s.seg);
    g_free(s.conv);
    return 0;
}
