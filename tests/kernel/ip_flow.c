#include "ip_flow.h"

#include <stdio.h>
#include <string.h>

#include "frame_builder.h"
#include "tcp_wire.h"

enum { ETHERNET_LEN = 14 };

bool ip_flow_parse_endpoint(const char *text, uint8_t ip[4], uint16_t *port)
{
    unsigned a, b, c, d, p = 0;
    char tail;
    int n = sscanf(text, "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &p, &tail);
    if (n != 5 && !(n == 4 && port == NULL))
        return false;
    if (a > 255 || b > 255 || c > 255 || d > 255 || p > 65535 || (port && p == 0))
        return false;
    ip[0] = (uint8_t)a, ip[1] = (uint8_t)b, ip[2] = (uint8_t)c, ip[3] = (uint8_t)d;
    if (port)
        *port = (uint16_t)p;
    return true;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The kernel fills in every checksum: a wrong one means these bytes are not its packet. */
static bool ipv4_checksum_ok(const uint8_t *h, size_t hlen)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < hlen; i += 2)
        sum += be16(h + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

/* The TCP segment's offset and length in an unfragmented IPv4 packet as a TUN device hands
 * it over (no link-layer header, nothing after the datagram). */
static bool ipv4_tcp(const uint8_t *packet, size_t len, size_t *tcp_off, uint32_t *segment_len)
{
    if (len < 20 || packet[0] >> 4 != 4 || packet[9] != 6)
        return false;
    size_t hlen = (size_t)(packet[0] & 0x0f) * 4;
    size_t total = be16(packet + 2);
    if (hlen < 20 || hlen > len || total < hlen || total > len ||
        (be16(packet + 6) & 0x3fff) != 0 || !ipv4_checksum_ok(packet, hlen))
        return false;
    *tcp_off = hlen;
    *segment_len = (uint32_t)(total - hlen);
    return true;
}

bool ip_flow_receive(ip_flow *f, const uint8_t *packet, size_t len, td_tcp *out)
{
    size_t tcp_off;
    uint32_t segment_len;
    if (!ipv4_tcp(packet, len, &tcp_off, &segment_len))
        return false;
    if (memcmp(packet + 12, f->peer_ip, 4) != 0 || memcmp(packet + 16, f->local_ip, 4) != 0)
        return false;
    const uint8_t *th = packet + tcp_off;
    uint32_t header_len;
    uint64_t digest;
    if (!td_wire_parse_tcp(th, segment_len, out, &header_len, &digest) ||
        header_len > segment_len || be16(th + 2) != f->local_port)
        return false;
    if (f->peer_port == 0 && (out->flags & (TD_SYN | TD_ACK)) == TD_SYN)
        f->peer_port = be16(th);
    if (be16(th) != f->peer_port)
        return false;
    out->len = segment_len - header_len;
    return true;
}

size_t ip_flow_send(ip_flow *f, const td_tcp *tcp, uint8_t *out, size_t room)
{
    gen_addr addr;
    memset(&addr, 0, sizeof addr);
    memcpy(addr.ip[0], f->local_ip, 4);
    memcpy(addr.ip[1], f->peer_ip, 4);
    addr.port[0] = f->local_port;
    addr.port[1] = f->peer_port;

    uint8_t frame[GEN_FRAME_MAX];
    size_t len = gen_frame_tcp(&addr, 0, f->next_ip_id, tcp, frame, sizeof frame);
    if (len <= ETHERNET_LEN || len - ETHERNET_LEN > room)
        return 0;
    if (++f->next_ip_id == 0)
        f->next_ip_id = 1;
    memcpy(out, frame + ETHERNET_LEN, len - ETHERNET_LEN);
    return len - ETHERNET_LEN;
}
