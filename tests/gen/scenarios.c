#include "scenarios.h"

#include <string.h>

#include "dialog.h"
#include "scenarios_framing.h"

enum { CLIENT = 0, SERVER = 1 };

/* A typical request and a response of three full segments: an odd number, so the client's
 * delayed-ACK timer is still running when the server's FIN arrives. */
enum { REQUEST = 300, RESPONSE = 3 * 1460 };

/* A client and a server on IPv4; every conversation of a capture gets its own client port. */
static gen_dialog_config base_config(uint16_t client_port, td_policy client, td_policy server)
{
    gen_dialog_config c;
    memset(&c, 0, sizeof c);
    static const uint8_t client_ip[4] = {10, 1, 0, 1}, server_ip[4] = {10, 2, 0, 2};
    memcpy(c.addr.ip[CLIENT], client_ip, 4);
    memcpy(c.addr.ip[SERVER], server_ip, 4);
    c.addr.port[CLIENT] = client_port;
    c.addr.port[SERVER] = 8080;
    c.policy[CLIENT] = client;
    c.policy[SERVER] = server;
    c.iss[CLIENT] = 0x1000000u * (client_port & 0x7f) + 0x1234;
    c.iss[SERVER] = 0x80000000u + 0x10000u * (client_port & 0xff);
    c.mss = 1460;
    return c;
}

static void use_ipv6(gen_dialog_config *c)
{
    static const uint8_t client_ip[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t server_ip[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x80, [15] = 2};
    c->addr.ipv6 = true;
    memcpy(c->addr.ip[CLIENT], client_ip, 16);
    memcpy(c->addr.ip[SERVER], server_ip, 16);
}

typedef struct exchange {
    uint32_t request, response;
    bool     fin_with_request;  /* the client's FIN rides on its last request bytes */
    bool     fin_with_response; /* the server's FIN rides on its last response bytes */
    bool     mid_stream;        /* the capture starts after the handshake */
} exchange;

static const exchange typical = {REQUEST, RESPONSE, false, false, false};

/* The client sends its request and shuts down sending (X); the server reads to EOF. */
static void client_requests_and_closes(gen_dialog *d, const exchange *x)
{
    if (x->mid_stream) {
        gen_dialog_establish(d);
    } else {
        gen_dialog_connect(d);
        gen_dialog_run(d, GEN_MS(50));
    }
    gen_dialog_write(d, CLIENT, x->request);
    if (!x->fin_with_request)
        gen_dialog_run(d, GEN_MS(1));
    gen_dialog_shutdown(d, CLIENT);
    gen_dialog_run(d, GEN_MS(15));
}

/* The server answers and closes (Y). */
static void server_responds_and_closes(gen_dialog *d, const exchange *x)
{
    gen_dialog_write(d, SERVER, x->response);
    if (!x->fin_with_response)
        gen_dialog_run(d, GEN_MS(1));
    gen_dialog_shutdown(d, SERVER);
}

/* The whole conversation of the report, then time for the delayed ACK and its answer. */
static void play_exchange(gen_capture *cap, const gen_dialog_config *c, const exchange *x)
{
    gen_dialog *d = gen_dialog_open(cap, c);
    client_requests_and_closes(d, x);
    server_responds_and_closes(d, x);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

static void q152474(gen_capture *cap)
{
    gen_dialog_config c = base_config(49152, TD_POLICY_NT351, TD_POLICY_NT351);
    play_exchange(cap, &c, &typical);
}

static void clean_close(gen_capture *cap)
{
    gen_dialog_config c = base_config(49153, TD_POLICY_FIXED, TD_POLICY_FIXED);
    play_exchange(cap, &c, &typical);
}

static void fin_with_request(gen_capture *cap)
{
    gen_dialog_config c = base_config(49154, TD_POLICY_NT351, TD_POLICY_NT351);
    exchange x = typical;
    x.fin_with_request = true;
    play_exchange(cap, &c, &x);
}

static void fin_with_data(gen_capture *cap)
{
    gen_dialog_config c = base_config(49155, TD_POLICY_NT351, TD_POLICY_NT351);
    exchange x = typical;
    x.fin_with_response = true;
    play_exchange(cap, &c, &x);
}

static void rst_with_ack(gen_capture *cap)
{
    gen_dialog_config c = base_config(49156, TD_POLICY_NT351, TD_POLICY_NT351);
    c.rst_with_ack[SERVER] = true;
    play_exchange(cap, &c, &typical);
}

/* Y's FIN occupies 0xffffffff: X acknowledges it with ack 0. */
static void seq_wrap(gen_capture *cap)
{
    gen_dialog_config c = base_config(49157, TD_POLICY_NT351, TD_POLICY_NT351);
    c.iss[SERVER] = 0xffffffffu - 1 - RESPONSE;
    play_exchange(cap, &c, &typical);
}

static void ipv6(gen_capture *cap)
{
    gen_dialog_config c = base_config(49158, TD_POLICY_NT351, TD_POLICY_NT351);
    use_ipv6(&c);
    play_exchange(cap, &c, &typical);
}

static void vlan(gen_capture *cap)
{
    gen_dialog_config c = base_config(49159, TD_POLICY_NT351, TD_POLICY_NT351);
    c.addr.vlan = 100;
    play_exchange(cap, &c, &typical);
}

static void mid_stream(gen_capture *cap)
{
    gen_dialog_config c = base_config(49160, TD_POLICY_NT351, TD_POLICY_NT351);
    exchange x = typical;
    x.mid_stream = true;
    play_exchange(cap, &c, &x);
}

/* A connection whose client sends its request and keeps its side open, and whose server
 * has just written the response: what happens next is the scenario's. */
static gen_dialog *open_and_answer(gen_capture *cap, const gen_dialog_config *c,
                                   const exchange *x)
{
    gen_dialog *d = gen_dialog_open(cap, c);
    gen_dialog_connect(d);
    gen_dialog_run(d, GEN_MS(50));
    gen_dialog_write(d, CLIENT, x->request);
    gen_dialog_run(d, GEN_MS(15));
    gen_dialog_write(d, SERVER, x->response);
    return d;
}

/* The server closes first (X) and the client keeps sending after the server's FIN. */
static void play_server_closes_first(gen_capture *cap, const gen_dialog_config *c,
                                     const exchange *x)
{
    gen_dialog *d = open_and_answer(cap, c, x);
    gen_dialog_shutdown(d, SERVER);
    gen_dialog_run(d, GEN_MS(15));
    gen_dialog_write(d, CLIENT, 500);
    gen_dialog_run(d, GEN_MS(1));
    gen_dialog_shutdown(d, CLIENT);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

static void server_closes_first(gen_capture *cap)
{
    gen_dialog_config c = base_config(49161, TD_POLICY_NT351, TD_POLICY_NT351);
    play_server_closes_first(cap, &c, &typical);
}

/* The client's window changes between its ACK of the FIN and the delayed ACK: Wireshark
 * calls the second one a window update; it is still spurious. */
static void window_change(gen_capture *cap)
{
    gen_dialog_config c = base_config(49162, TD_POLICY_NT351, TD_POLICY_NT351);
    gen_dialog *d = gen_dialog_open(cap, &c);
    client_requests_and_closes(d, &typical);
    server_responds_and_closes(d, &typical);
    gen_dialog_run(d, GEN_MS(50));
    gen_dialog_endpoint(d, CLIENT)->window = 32768;
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

/* A stack that lets the delayed ACK go out twice; the closed server resets each. The
 * capture sits beside the server, so each RST follows the ACK it answers. */
static void several_spurious(gen_capture *cap)
{
    gen_dialog_config c = base_config(49163, TD_POLICY_NT351, TD_POLICY_NT351);
    c.capture_near = SERVER;
    gen_dialog *d = gen_dialog_open(cap, &c);
    client_requests_and_closes(d, &typical);
    server_responds_and_closes(d, &typical);
    gen_dialog_run(d, GEN_MS(50));
    gen_dialog_run_until_sent(d, CLIENT, 1);
    gen_dialog_run(d, GEN_MS(2));
    td_tcp again = gen_dialog_last_sent(d, CLIENT);
    gen_dialog_send(d, CLIENT, &again);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

/* Several conversations at once, some with the pattern and some without. */
static void interleaved(gen_capture *cap)
{
    gen_dialog_config q = base_config(50001, TD_POLICY_NT351, TD_POLICY_NT351);
    gen_dialog_config clean = base_config(50002, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog_config swapped = base_config(50003, TD_POLICY_NT351, TD_POLICY_NT351);
    gen_dialog_config q6 = base_config(50004, TD_POLICY_NT351, TD_POLICY_NT351);
    use_ipv6(&q6);
    clean.start_us = GEN_MS(3);
    swapped.start_us = GEN_MS(7);
    q6.start_us = GEN_MS(12);
    play_exchange(cap, &q, &typical);
    play_exchange(cap, &clean, &typical);
    play_server_closes_first(cap, &swapped, &typical);
    play_exchange(cap, &q6, &typical);
}

/* Y retransmits its FIN before X's ACK reaches it; seen beside Y: FIN, FIN, ACK, ACK.
 * The second ACK answers the copy; Y, closed by the first, resets on the second. */
static void play_fin_reack_crossed(gen_capture *cap, const gen_dialog_config *c,
                                   const exchange *x)
{
    gen_dialog *d = gen_dialog_open(cap, c);
    client_requests_and_closes(d, x);
    server_responds_and_closes(d, x);
    gen_dialog_run(d, GEN_MS(5));
    td_tcp fin = gen_dialog_last_sent(d, SERVER);
    gen_dialog_send(d, SERVER, &fin);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

static void fin_reack_crossed(gen_capture *cap)
{
    gen_dialog_config c = base_config(49164, TD_POLICY_FIXED, TD_POLICY_FIXED);
    c.capture_near = SERVER;
    play_fin_reack_crossed(cap, &c, &typical);
}

/* The server (closing second) answers late: its own delayed ACK goes out in CLOSE-WAIT,
 * a duplicate ACK that harms nobody. */
static void second_closer_dup_ack(gen_capture *cap)
{
    gen_dialog_config c = base_config(49165, TD_POLICY_FIXED, TD_POLICY_NT351);
    gen_dialog *d = gen_dialog_open(cap, &c);
    client_requests_and_closes(d, &typical);
    gen_dialog_run(d, GEN_MS(300));
    server_responds_and_closes(d, &typical);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

/* The server, in CLOSE-WAIT, opens its window before it answers. */
static void close_wait_window_update(gen_capture *cap)
{
    gen_dialog_config c = base_config(49166, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = gen_dialog_open(cap, &c);
    client_requests_and_closes(d, &typical);
    td_sender *server = gen_dialog_endpoint(d, SERVER);
    td_tcp update = {.seq = server->snd_nxt, .ack = server->rcv_nxt, .window = 65535,
                     .flags = TD_ACK};
    gen_dialog_send(d, SERVER, &update);
    gen_dialog_run(d, GEN_MS(5));
    server_responds_and_closes(d, &typical);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

/* The capture sees the client's ACK of the FIN twice: same bytes, same IPv4 ID. */
static void capture_duplicate(gen_capture *cap)
{
    gen_dialog_config c = base_config(49167, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = gen_dialog_open(cap, &c);
    client_requests_and_closes(d, &typical);
    server_responds_and_closes(d, &typical);
    gen_dialog_run(d, GEN_MS(50));
    gen_dialog_capture_twice(d, CLIENT, 15);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

/* Linux sends IPv4 ID 0, and an `any` capture sees every packet of the client twice. */
static void capture_duplicate_id0(gen_capture *cap)
{
    gen_dialog_config c = base_config(49168, TD_POLICY_FIXED, TD_POLICY_FIXED);
    c.ip_id_zero = true;
    c.captured_twice[CLIENT] = true;
    play_exchange(cap, &c, &typical);
}

/* A capture that shows every packet of both ends twice (an `any` capture, a SPAN port),
 * IPv4 ID 0, and the report's stacks. The server's FIN comes 199.6 ms after its one data
 * segment, so the client's delayed ACK of that segment (200 ms) goes out 400 µs after its
 * ACK of the FIN: a spurious ACK, captured twice like everything else, and not a third
 * sight of the first ACK. */
static void every_packet_twice(gen_capture *cap)
{
    gen_dialog_config c = base_config(49192, TD_POLICY_NT351, TD_POLICY_NT351);
    c.ip_id_zero = true;
    c.captured_twice[CLIENT] = c.captured_twice[SERVER] = true;
    gen_dialog *d = gen_dialog_open(cap, &c);
    client_requests_and_closes(d, &typical);
    gen_dialog_write(d, SERVER, 1000);
    gen_dialog_run(d, 199600);
    gen_dialog_shutdown(d, SERVER);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

/* A router quotes the client's ACK of the FIN in an ICMP error: that TCP header is not
 * a segment of the conversation. */
static void icmp_quote(gen_capture *cap)
{
    gen_dialog_config c = base_config(49169, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = gen_dialog_open(cap, &c);
    client_requests_and_closes(d, &typical);
    server_responds_and_closes(d, &typical);
    gen_dialog_run(d, GEN_MS(50));
    gen_dialog_icmp_error(d, CLIENT);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

/* The same ports twice: a clean close, then a new connection with the pattern. */
static void port_reuse(gen_capture *cap)
{
    gen_dialog_config first = base_config(49170, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog_config second = base_config(49170, TD_POLICY_NT351, TD_POLICY_NT351);
    second.start_us = GEN_MS(2000);
    second.iss[CLIENT] += 0x40000000u;
    second.iss[SERVER] += 0x40000000u;
    play_exchange(cap, &first, &typical);
    play_exchange(cap, &second, &typical);
}

/* The client aborts with a RST in the middle of the response: no FIN at all. */
static void play_abortive_rst(gen_capture *cap, const gen_dialog_config *c, const exchange *x)
{
    gen_dialog *d = open_and_answer(cap, c, x);
    gen_dialog_run(d, GEN_MS(15));
    td_sender *client = gen_dialog_endpoint(d, CLIENT);
    td_tcp rst = {.seq = client->snd_nxt, .ack = client->rcv_nxt, .flags = TD_RST | TD_ACK};
    gen_dialog_send(d, CLIENT, &rst);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

static void abortive_rst(gen_capture *cap)
{
    gen_dialog_config c = base_config(49171, TD_POLICY_NT351, TD_POLICY_NT351);
    exchange x = typical;
    x.response = 20 * 1460;
    play_abortive_rst(cap, &c, &x);
}

/* Both close at once: the FINs cross, so the server is in CLOSING or TIME-WAIT when the
 * client's delayed ACK arrives, and absorbs it. */
static void play_simultaneous_close(gen_capture *cap, const gen_dialog_config *c,
                                    const exchange *x)
{
    gen_dialog *d = open_and_answer(cap, c, x);
    gen_dialog_shutdown(d, SERVER);
    gen_dialog_shutdown(d, CLIENT);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

static void simultaneous_close(gen_capture *cap)
{
    gen_dialog_config c = base_config(49172, TD_POLICY_NT351, TD_POLICY_NT351);
    play_simultaneous_close(cap, &c, &typical);
}

/* Right after its FIN the server probes with a keep-alive (one below its next sequence
 * number): the client's second ACK answers it and is not spurious. The server, closed by
 * the first ACK, resets on the second: a RST after an orderly close. */
static void keepalive_after_fin(gen_capture *cap)
{
    gen_dialog_config c = base_config(49173, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = gen_dialog_open(cap, &c);
    client_requests_and_closes(d, &typical);
    server_responds_and_closes(d, &typical);
    gen_dialog_run(d, GEN_MS(1));
    td_sender *server = gen_dialog_endpoint(d, SERVER);
    td_tcp probe = {.seq = server->snd_nxt - 1, .ack = server->rcv_nxt, .window = 64240,
                    .flags = TD_ACK};
    gen_dialog_send(d, SERVER, &probe);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

/* ---- Every way a connection ends in a RST, played as Linux plays it ---------------- */

/* A SYN to a port where nothing listens: RST|ACK, seq 0, ack = the SYN's seq + 1. */
static void rst_refused(gen_capture *cap)
{
    gen_dialog_config c = base_config(49174, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = gen_dialog_open(cap, &c);
    gen_dialog_connect_closed_port(d);
    gen_dialog_run(d, GEN_MS(100));
    gen_dialog_close(d);
}

/* The client reads the whole response, then closes with SO_LINGER 0: RST|ACK, no FIN. */
static void rst_abort_linger0(gen_capture *cap)
{
    gen_dialog_config c = base_config(49175, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = open_and_answer(cap, &c, &typical);
    gen_dialog_run(d, GEN_MS(300));
    td_sender_abort(gen_dialog_endpoint(d, CLIENT));
    gen_dialog_run(d, GEN_MS(100));
    gen_dialog_close(d);
}

/* A pipelining client sends a second request the server never reads; the server answers
 * the first and closes with that request still unread: RST|ACK instead of its FIN. */
static void rst_abort_unread(gen_capture *cap)
{
    gen_dialog_config c = base_config(49176, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = gen_dialog_open(cap, &c);
    gen_dialog_connect(d);
    gen_dialog_run(d, GEN_MS(50));
    gen_dialog_write(d, CLIENT, REQUEST);
    gen_dialog_run(d, GEN_MS(15));
    td_sender_stop_reading(gen_dialog_endpoint(d, SERVER));
    gen_dialog_write(d, CLIENT, 200);
    gen_dialog_run(d, GEN_MS(15));
    gen_dialog_write(d, SERVER, RESPONSE);
    gen_dialog_run(d, GEN_MS(300));
    td_sender_close(gen_dialog_endpoint(d, SERVER));
    gen_dialog_run(d, GEN_MS(100));
    gen_dialog_close(d);
}

/* The server answers and closes (close(2), not shutdown); the client, not reading yet,
 * sends its next request in segments of `segments` x 1460 bytes, 1 ms apart. The server
 * resets the first; each later one finds no connection and gets its own RST. Seen beside
 * the server, so that each RST follows the segment it answers. */
static void play_data_after_close(gen_capture *cap, uint16_t port, unsigned segments)
{
    gen_dialog_config c = base_config(port, TD_POLICY_FIXED, TD_POLICY_FIXED);
    c.capture_near = SERVER;
    gen_dialog *d = open_and_answer(cap, &c, &typical);
    td_sender_close(gen_dialog_endpoint(d, SERVER));
    gen_dialog_run(d, GEN_MS(300));
    for (unsigned i = 0; i < segments; i++) {
        gen_dialog_write(d, CLIENT, segments == 1 ? REQUEST : 1460);
        gen_dialog_run(d, GEN_MS(1));
    }
    gen_dialog_run(d, GEN_MS(100));
    gen_dialog_close(d);
}

static void rst_data_after_close(gen_capture *cap)
{
    play_data_after_close(cap, 49177, 1);
}

static void rst_data_after_close_burst(gen_capture *cap)
{
    play_data_after_close(cap, 49178, 3);
}

/* The server answers and closes; the client ACKs and keeps its side open past the
 * server's FIN-WAIT-2 timeout (Linux: 60 s). Its late FIN finds no connection. */
static void rst_no_connection_fin_wait_2(gen_capture *cap)
{
    gen_dialog_config c = base_config(49179, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = open_and_answer(cap, &c, &typical);
    td_sender_close(gen_dialog_endpoint(d, SERVER));
    gen_dialog_run(d, GEN_MS(60000));
    td_sender_fin_wait_2_timeout(gen_dialog_endpoint(d, SERVER));
    gen_dialog_run(d, GEN_MS(10000));
    gen_dialog_shutdown(d, CLIENT);
    gen_dialog_run(d, GEN_MS(100));
    gen_dialog_close(d);
}

/* After the response the server's host restarts; the client's next request finds no
 * connection: RST without ACK, seq = the request's ack. */
static void rst_no_connection_restart(gen_capture *cap)
{
    gen_dialog_config c = base_config(49182, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = open_and_answer(cap, &c, &typical);
    gen_dialog_run(d, GEN_MS(300));
    gen_dialog_restart(d, SERVER);
    gen_dialog_write(d, CLIENT, REQUEST);
    gen_dialog_run(d, GEN_MS(100));
    gen_dialog_close(d);
}

/* After the response the server's host vanishes. The client's next request is
 * retransmitted with exponential backoff from a 200 ms RTO; after three retransmissions
 * it gives up with RST|ACK. */
static void rst_retransmission_timeout(gen_capture *cap)
{
    gen_dialog_config c = base_config(49180, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = open_and_answer(cap, &c, &typical);
    gen_dialog_run(d, GEN_MS(300));
    gen_dialog_silence(d, SERVER);
    gen_dialog_endpoint(d, CLIENT)->retries_max = 3;
    gen_dialog_write(d, CLIENT, REQUEST);
    int64_t rto = GEN_MS(200);
    for (int i = 0; i <= 3; i++, rto *= 2) {
        gen_dialog_run(d, rto);
        td_sender_retransmit_timeout(gen_dialog_endpoint(d, CLIENT));
    }
    gen_dialog_run(d, GEN_MS(100));
    gen_dialog_close(d);
}

/* After the response the server's host vanishes. The idle client probes with keep-alives
 * (TCP_KEEPIDLE 10 s, TCP_KEEPINTVL 5 s, TCP_KEEPCNT 3) and resets when none is answered. */
static void rst_keepalive_timeout(gen_capture *cap)
{
    gen_dialog_config c = base_config(49181, TD_POLICY_FIXED, TD_POLICY_FIXED);
    gen_dialog *d = open_and_answer(cap, &c, &typical);
    gen_dialog_run(d, GEN_MS(300));
    gen_dialog_silence(d, SERVER);
    gen_dialog_endpoint(d, CLIENT)->keepalive_probes = 3;
    gen_dialog_run(d, GEN_MS(10000));
    for (int i = 0; i <= 3; i++) {
        td_sender_keepalive_timeout(gen_dialog_endpoint(d, CLIENT));
        gen_dialog_run(d, GEN_MS(5000));
    }
    gen_dialog_close(d);
}

const gen_scenario gen_scenarios[] = {
    {"q152474", "the report: client closes first, spurious delayed ACK, server resets", q152474},
    {"server_closes_first", "the same with the roles swapped", server_closes_first},
    {"fin_with_request", "the client's FIN rides on its last request bytes", fin_with_request},
    {"fin_with_data", "the server's FIN rides on its last response bytes", fin_with_data},
    {"window_change", "the spurious ACK advertises a new window", window_change},
    {"several_spurious", "two spurious ACKs, two RSTs, seen beside the server", several_spurious},
    {"rst_with_ack", "the server's RST carries the ACK flag", rst_with_ack},
    {"seq_wrap", "the server's FIN at 0xffffffff, ACKed with ack 0", seq_wrap},
    {"ipv6", "the pattern over IPv6", ipv6},
    {"vlan", "the pattern in 802.1Q-tagged frames", vlan},
    {"ipv6_atomic_fragment", "the pattern over IPv6 with atomic fragment headers", gen_scenario_ipv6_atomic_fragment},
    {"snaplen_16", "the pattern in 802.1Q frames cut to 54 bytes: 16 bytes of TCP header", gen_scenario_snaplen_16},
    {"mid_stream", "the capture starts after the handshake", mid_stream},
    {"interleaved", "four conversations at once, three with the pattern", interleaved},
    {"simultaneous_close", "the FINs cross; the spurious ACK is absorbed", simultaneous_close},
    {"clean_close", "both stacks fixed: no spurious ACK, no RST", clean_close},
    {"fin_reack_crossed", "a retransmitted FIN and its ACK cross: FIN FIN ACK ACK RST", fin_reack_crossed},
    {"second_closer_dup_ack", "a delayed ACK from the endpoint that closes second", second_closer_dup_ack},
    {"keepalive_after_fin", "a keep-alive right after the server's FIN, answered", keepalive_after_fin},
    {"close_wait_window_update", "a window update in CLOSE-WAIT", close_wait_window_update},
    {"capture_duplicate", "the ACK of the FIN captured twice, same IPv4 ID", capture_duplicate},
    {"capture_duplicate_id0", "IPv4 ID 0 and every client packet captured twice", capture_duplicate_id0},
    {"every_packet_twice", "the pattern, every packet of both ends captured twice, ID 0", every_packet_twice},
    {"icmp_quote", "an ICMP error quoting the ACK of the FIN", icmp_quote},
    {"port_reuse", "a clean close, then the pattern on the same ports", port_reuse},
    {"abortive_rst", "a RST in mid-response, no FIN exchanged", abortive_rst},
    {"rst_refused", "a SYN to a port where nothing listens", rst_refused},
    {"rst_abort_linger0", "the client closes with SO_LINGER 0", rst_abort_linger0},
    {"rst_abort_unread", "the server closes with a request unread", rst_abort_unread},
    {"rst_data_after_close", "a request after the server's close", rst_data_after_close},
    {"rst_data_after_close_burst", "three segments after the close, three RSTs", rst_data_after_close_burst},
    {"rst_no_connection_fin_wait_2", "a FIN after the peer's FIN-WAIT-2 ran out", rst_no_connection_fin_wait_2},
    {"rst_no_connection_restart", "a request to a server that restarted", rst_no_connection_restart},
    {"rst_retransmission_timeout", "a request retransmitted to a vanished host, then RST", rst_retransmission_timeout},
    {"rst_keepalive_timeout", "keep-alive probes to a vanished host, then RST", rst_keepalive_timeout},
    {NULL, NULL, NULL},
};

void gen_play_conversation(gen_capture *cap, gen_conversation_kind kind, const gen_addr *addr,
                           int64_t start_us, uint32_t request, uint32_t response)
{
    bool fixed = kind == GEN_CONV_CLEAN || kind == GEN_CONV_FIN_REACK;
    td_policy policy = fixed ? TD_POLICY_FIXED : TD_POLICY_NT351;
    gen_dialog_config c = base_config(addr->port[CLIENT], policy, policy);
    c.addr = *addr;
    c.start_us = start_us;
    exchange x = {request, response, false, false, false};
    switch (kind) {
    case GEN_CONV_CLEAN:
    case GEN_CONV_Q152474: play_exchange(cap, &c, &x); break;
    case GEN_CONV_SERVER_CLOSES_FIRST: play_server_closes_first(cap, &c, &x); break;
    case GEN_CONV_FIN_REACK:
        c.capture_near = SERVER;
        play_fin_reack_crossed(cap, &c, &x);
        break;
    case GEN_CONV_ABORT: play_abortive_rst(cap, &c, &x); break;
    case GEN_CONV_SIMULTANEOUS: play_simultaneous_close(cap, &c, &x); break;
    }
}

const gen_scenario *gen_scenario_find(const char *name)
{
    for (const gen_scenario *s = gen_scenarios; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}
