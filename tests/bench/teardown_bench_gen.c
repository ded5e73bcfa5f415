/* teardown-bench-gen: writes the large, deterministic capture the benchmarks read. */
#define _DEFAULT_SOURCE /* the BSD types pcap.h uses, also under -std=c11 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_mix.h"

static int usage(FILE *to)
{
    fprintf(to,
            "usage: teardown-bench-gen OUTPUT.pcap [CONVERSATIONS]\n"
            "  writes CONVERSATIONS (default 100000, at most %u) interleaved TCP\n"
            "  conversations; the same arguments give the same bytes\n",
            BENCH_MAX_CONVERSATIONS);
    return to == stdout ? 0 : 2;
}

/* The capture library does not count what it writes; reading the file back counts it and
 * checks that libpcap accepts it. */
static bool count_frames(const char *path, uint64_t *frames, uint64_t *bytes)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(path, err);
    if (!in) {
        fprintf(stderr, "teardown-bench-gen: cannot read back %s: %s\n", path, err);
        return false;
    }
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc;
    *frames = *bytes = 0;
    while ((rc = pcap_next_ex(in, &hdr, &data)) == 1) {
        ++*frames;
        *bytes += hdr->caplen;
    }
    if (rc != PCAP_ERROR_BREAK)
        fprintf(stderr, "teardown-bench-gen: reading back %s: %s\n", path, pcap_geterr(in));
    pcap_close(in);
    return rc == PCAP_ERROR_BREAK;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return usage(stdout);
    if (argc < 2 || argc > 3)
        return usage(stderr);
    unsigned long conversations = 100000;
    if (argc == 3) {
        char *end;
        errno = 0;
        conversations = strtoul(argv[2], &end, 10);
        if (errno || *end || end == argv[2] || conversations == 0 ||
            conversations > BENCH_MAX_CONVERSATIONS)
            return usage(stderr);
    }

    bench_mix_counts counts;
    if (!bench_mix_write(argv[1], (uint32_t)conversations, &counts))
        return 1;
    uint64_t frames, bytes;
    if (!count_frames(argv[1], &frames, &bytes))
        return 1;

    printf("%s: %" PRIu64 " frames (%" PRIu64 " bytes of frames), %lu conversations "
           "started over %.1f s\n",
           argv[1], frames, bytes, conversations, (double)counts.last_start_us / 1e6);
    for (unsigned k = 0; k < BENCH_KIND_COUNT; k++)
        printf("  %-20s %8" PRIu64 "\n", bench_kind_name((gen_conversation_kind)k),
               counts.kind[k]);
    printf("  of which IPv6 %" PRIu64 ", VLAN-tagged %" PRIu64 "\n", counts.ipv6, counts.vlan);
    return 0;
}
