/* teardown-kernel: one TCP conversation between the core's sender model, on a TUN
 * device, and the Linux kernel's TCP on the other side of it. The kernel is the real
 * peer of Q152474: it tells whether the model's extra ACK is answered with a RST. */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ip_flow.h"
#include "kernel_endpoint.h"
#include "tun_device.h"

static int usage(FILE *to)
{
    fprintf(to,
        "usage: teardown-kernel --tun NAME --role client|server --policy nt351|fixed\n"
        "                       --local ADDR:PORT --peer ADDR[:PORT] [options]\n"
        "  --request BYTES     the client's request (default 300)\n"
        "  --response BYTES    the server's response, server role (default 2000)\n"
        "  --delack-ms N       delayed-ACK timeout (default 200, as NT's)\n"
        "  --window BYTES      advertised window, unscaled (default 64240)\n"
        "  --mss BYTES         largest segment sent (default 1460)\n"
        "  --iss N             initial sequence number (default 1000000)\n"
        "  --linger-ms N       quiet time after the close (default 500)\n"
        "  --timeout-ms N      give up after this long (default 10000)\n"
        "  --fall-silent       after its write, answer nothing more (no FIN either);\n"
        "                      the conversation ends with the kernel's RST\n"
        "A client connects to --peer ADDR:PORT; a server listens on --local and accepts\n"
        "the peer's SYN from any port. Prints each segment, then one 'summary' line.\n"
        "Exit status: 0 the conversation ran to its end, 2 usage, 3 setup failed,\n"
        "4 the conversation did not end in time.\n");
    return to == stdout ? 0 : 2;
}

static bool parse_u32(const char *text, uint32_t max, uint32_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 0);
    if (!*text || *end || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

static void print_summary(const endpoint_config *cfg, const endpoint_result *r)
{
    char flags[32];
    printf("summary role=%s policy=%s finished=%d state=%s reset=%d received=%" PRIu64
           " segments_in=%u segments_out=%u spurious_acks=%u",
           cfg->server ? "server" : "client", td_policy_name(cfg->policy), r->finished,
           td_tcp_state_name(r->state), r->reset, r->bytes_received, r->segments_in,
           r->segments_out, r->spurious_acks);
    if (r->spurious_acks)
        printf(" spurious_ack_ack=%" PRIu32, r->spurious_ack_ack);
    printf(" kernel_rst=%d", r->rst_in);
    if (r->rst_in) {
        printf(" rst_seq=%" PRIu32 " rst_flags=%s", r->rst.seq,
               endpoint_flag_names(r->rst.flags, flags, sizeof flags));
        if (r->spurious_acks)
            printf(" rst_after_ms=%.3f", r->rst_after_ms);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    enum { REQUEST = 256, RESPONSE, DELACK, WINDOW, MSS, ISS, LINGER, TIMEOUT, SILENT, HELP };
    static const struct option options[] = {
        {"tun", required_argument, NULL, 't'},      {"role", required_argument, NULL, 'r'},
        {"policy", required_argument, NULL, 'p'},   {"local", required_argument, NULL, 'l'},
        {"peer", required_argument, NULL, 'P'},     {"request", required_argument, NULL, REQUEST},
        {"response", required_argument, NULL, RESPONSE},
        {"delack-ms", required_argument, NULL, DELACK},
        {"window", required_argument, NULL, WINDOW}, {"mss", required_argument, NULL, MSS},
        {"iss", required_argument, NULL, ISS},     {"linger-ms", required_argument, NULL, LINGER},
        {"timeout-ms", required_argument, NULL, TIMEOUT},
        {"fall-silent", no_argument, NULL, SILENT}, {"help", no_argument, NULL, HELP},
        {NULL, 0, NULL, 0},
    };
    endpoint_config cfg = {.request = 300, .response = 2000, .iss = 1000000, .mss = 1460,
                           .window = 64240, .delack_ms = 200, .linger_ms = 500,
                           .timeout_ms = 10000};
    ip_flow flow = {.next_ip_id = 1};
    const char *tun = NULL, *role = NULL, *local = NULL, *peer = NULL, *policy = NULL;
    uint32_t v;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        bool ok = true;
        switch (opt) {
        case 't': tun = optarg; break;
        case 'r': role = optarg; break;
        case 'p': policy = optarg; break;
        case 'l': local = optarg; break;
        case 'P': peer = optarg; break;
        case REQUEST: ok = parse_u32(optarg, UINT32_MAX, &cfg.request); break;
        case RESPONSE: ok = parse_u32(optarg, UINT32_MAX, &cfg.response); break;
        case ISS: ok = parse_u32(optarg, UINT32_MAX, &cfg.iss); break;
        case MSS: ok = parse_u32(optarg, 1460, &cfg.mss) && cfg.mss >= 64; break;
        case WINDOW: ok = parse_u32(optarg, 65535, &v) && v > 0; cfg.window = (uint16_t)v; break;
        case DELACK: ok = parse_u32(optarg, 60000, &v); cfg.delack_ms = (int)v; break;
        case LINGER: ok = parse_u32(optarg, 60000, &v); cfg.linger_ms = (int)v; break;
        case TIMEOUT: ok = parse_u32(optarg, 600000, &v); cfg.timeout_ms = (int)v; break;
        case SILENT: cfg.fall_silent = true; break;
        case HELP: return usage(stdout);
        default: return usage(stderr);
        }
        if (!ok) {
            fprintf(stderr, "teardown-kernel: bad value for %s: %s\n", argv[optind - 1], optarg);
            return 2;
        }
    }
    if (optind != argc || !tun || !role || !local || !peer || !policy)
        return usage(stderr);
    if (strcmp(role, "client") != 0 && strcmp(role, "server") != 0) {
        fprintf(stderr, "teardown-kernel: --role is client or server, not %s\n", role);
        return 2;
    }
    cfg.server = strcmp(role, "server") == 0;
    if (!td_policy_parse(policy, &cfg.policy)) {
        fprintf(stderr, "teardown-kernel: --policy is nt351 or fixed, not %s\n", policy);
        return 2;
    }
    if (!ip_flow_parse_endpoint(local, flow.local_ip, &flow.local_port) ||
        !ip_flow_parse_endpoint(peer, flow.peer_ip, cfg.server ? NULL : &flow.peer_port)) {
        fprintf(stderr, "teardown-kernel: --local is ADDR:PORT, --peer ADDR:PORT "
                        "(a server takes ADDR alone)\n");
        return 2;
    }

    setvbuf(stdout, NULL, _IOLBF, 0);
    int fd = tun_attach(tun);
    if (fd < 0)
        return 3;
    if (!tun_wait_running(tun, 5000)) {
        close(fd);
        return 3;
    }
    /* The kernel-side client connects once it reads this. */
    printf("ready\n");

    endpoint_result result;
    endpoint_run(fd, &flow, &cfg, &result);
    close(fd);
    print_summary(&cfg, &result);
    if (!result.finished) {
        fprintf(stderr, "teardown-kernel: the conversation did not end within %d ms "
                        "(model state %s)\n", cfg.timeout_ms, td_tcp_state_name(result.state));
        return 4;
    }
    return 0;
}
