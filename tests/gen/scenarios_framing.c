#include "scenarios_framing.h"

#include <string.h>

#include "dialog.h"

enum { CLIENT = 0, SERVER = 1 };

/* The report's conversation (as the q152474 scenario plays it) between addr's endpoints:
 * the client sends its request and shuts down sending, the server answers with three full
 * segments and closes; both stacks unfixed. */
static void play_q152474(gen_capture *cap, const gen_addr *addr)
{
    gen_dialog_config c;
    memset(&c, 0, sizeof c);
    c.addr = *addr;
    c.policy[CLIENT] = TD_POLICY_NT351;
    c.policy[SERVER] = TD_POLICY_NT351;
    c.iss[CLIENT] = 0x1000000u * (addr->port[CLIENT] & 0x7f) + 0x1234;
    c.iss[SERVER] = 0x80000000u + 0x10000u * (addr->port[CLIENT] & 0xff);
    c.mss = 1460;

    gen_dialog *d = gen_dialog_open(cap, &c);
    gen_dialog_connect(d);
    gen_dialog_run(d, GEN_MS(50));
    gen_dialog_write(d, CLIENT, 300);
    gen_dialog_run(d, GEN_MS(1));
    gen_dialog_shutdown(d, CLIENT);
    gen_dialog_run(d, GEN_MS(15));
    gen_dialog_write(d, SERVER, 3 * 1460);
    gen_dialog_run(d, GEN_MS(1));
    gen_dialog_shutdown(d, SERVER);
    gen_dialog_run(d, GEN_MS(500));
    gen_dialog_close(d);
}

void gen_scenario_ipv6_atomic_fragment(gen_capture *cap)
{
    gen_addr a;
    memset(&a, 0, sizeof a);
    static const uint8_t client_ip[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t server_ip[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x80, [15] = 2};
    a.ipv6 = true;
    a.atomic_fragment = true;
    memcpy(a.ip[CLIENT], client_ip, 16);
    memcpy(a.ip[SERVER], server_ip, 16);
    a.port[CLIENT] = 49190;
    a.port[SERVER] = 8080;
    play_q152474(cap, &a);
}

void gen_scenario_snaplen_16(gen_capture *cap)
{
    gen_addr a;
    memset(&a, 0, sizeof a);
    static const uint8_t client_ip[4] = {10, 1, 0, 1}, server_ip[4] = {10, 2, 0, 2};
    a.vlan = 100;
    memcpy(a.ip[CLIENT], client_ip, 4);
    memcpy(a.ip[SERVER], server_ip, 4);
    a.port[CLIENT] = 49191;
    a.port[SERVER] = 8080;
    /* Ethernet 14, 802.1Q 4, IPv4 20 and 16 bytes of TCP. */
    gen_capture_set_snaplen(cap, 14 + 4 + 20 + 16);
    play_q152474(cap, &a);
}
