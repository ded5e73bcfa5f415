#include "frame_builder.h"

#include <string.h>

enum { ETH_LEN = 14, VLAN_LEN = 4, IPV4_LEN = 20, IPV6_LEN = 40, FRAGMENT_LEN = 8, TCP_LEN = 20,
       ICMP_LEN = 8 };

static const uint8_t router_ip[4] = {192, 0, 2, 254};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Locally administered MACs, one per endpoint; the router of ICMP errors is "endpoint 2". */
static uint8_t *put_ethernet(uint8_t *p, uint8_t src, uint8_t dst, uint16_t vlan,
                             uint16_t ethertype)
{
    static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x00};
    memcpy(p, mac, 6);
    p[5] = 1 + dst;
    memcpy(p + 6, mac, 6);
    p[11] = 1 + src;
    p += 12;
    if (vlan) {
        put16(p, 0x8100);
        put16(p + 2, vlan & 0x0fff);
        p += 4;
    }
    put16(p, ethertype);
    return p + 2;
}

static void put_ipv4(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                     uint16_t ip_id, uint16_t total_len)
{
    memset(p, 0, IPV4_LEN);
    p[0] = 0x45;
    put16(p + 2, total_len);
    put16(p + 4, ip_id);
    put16(p + 6, 0x4000); /* don't fragment */
    p[8] = 64;
    p[9] = proto;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    put16(p + 10, fold(sum16(p, IPV4_LEN, 0)));
}

static void put_ipv6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16], uint8_t next,
                     uint16_t payload_len)
{
    memset(p, 0, IPV6_LEN);
    p[0] = 0x60;
    put16(p + 4, payload_len);
    p[6] = next;
    p[7] = 64;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
}

/* Offset 0, no more fragments: the whole datagram in one "fragment" (RFC 6946). */
static void put_atomic_fragment(uint8_t *p, uint32_t identification)
{
    memset(p, 0, FRAGMENT_LEN);
    p[0] = 6;
    put32(p + 4, identification);
}

size_t gen_frame_tcp(const gen_addr *addr, uint8_t dir, uint16_t ip_id, const td_tcp *tcp,
                     uint8_t *out, size_t room)
{
    size_t ip_len = addr->ipv6 ? IPV6_LEN + (addr->atomic_fragment ? FRAGMENT_LEN : 0) : IPV4_LEN;
    size_t head = ETH_LEN + (addr->vlan ? VLAN_LEN : 0) + ip_len;
    size_t seg_len = TCP_LEN + (size_t)tcp->len;
    if (tcp->len > room || head + seg_len > room)
        return 0;

    const uint8_t *src = addr->ip[dir], *dst = addr->ip[!dir];
    uint8_t *ip = put_ethernet(out, dir, !dir, addr->vlan, addr->ipv6 ? 0x86dd : 0x0800);
    uint8_t *th = ip + ip_len;
    memset(th, 0, TCP_LEN);
    put16(th, addr->port[dir]);
    put16(th + 2, addr->port[!dir]);
    put32(th + 4, tcp->seq);
    put32(th + 8, tcp->ack);
    th[12] = (TCP_LEN / 4) << 4;
    th[13] = tcp->flags;
    put16(th + 14, tcp->window);
    for (uint32_t i = 0; i < tcp->len; i++)
        th[TCP_LEN + i] = 'a' + i % 26;

    /* The pseudo-header: addresses, protocol and segment length. */
    uint32_t sum;
    if (addr->ipv6) {
        size_t ext = ip_len - IPV6_LEN;
        put_ipv6(ip, src, dst, ext ? 44 : 6, (uint16_t)(ext + seg_len));
        if (ext)
            put_atomic_fragment(ip + IPV6_LEN, 0x10000u * dir + ip_id);
        sum = sum16(src, 16, 0);
        sum = sum16(dst, 16, sum);
    } else {
        put_ipv4(ip, src, dst, 6, ip_id, (uint16_t)(IPV4_LEN + seg_len));
        sum = sum16(src, 4, 0);
        sum = sum16(dst, 4, sum);
    }
    sum += 6 + (uint32_t)seg_len;
    put16(th + 16, fold(sum16(th, seg_len, sum)));
    return head + seg_len;
}

size_t gen_frame_icmp_quote(const uint8_t *quoted, size_t quoted_len, uint8_t *out, size_t room)
{
    size_t quote = IPV4_LEN + TCP_LEN;
    size_t total = ETH_LEN + IPV4_LEN + ICMP_LEN + quote;
    if (quoted_len < ETH_LEN + quote || total > room || quoted[12] != 0x08 || quoted[13] != 0)
        return 0;

    const uint8_t *q_ip = quoted + ETH_LEN;
    uint8_t sender = quoted[11] - 1;
    uint8_t *ip = put_ethernet(out, 2, sender, 0, 0x0800);
    put_ipv4(ip, router_ip, q_ip + 12, 1, 0, (uint16_t)(IPV4_LEN + ICMP_LEN + quote));
    uint8_t *icmp = ip + IPV4_LEN;
    memset(icmp, 0, ICMP_LEN);
    icmp[0] = 3; /* destination unreachable */
    icmp[1] = 4; /* fragmentation needed */
    put16(icmp + 6, 576);
    memcpy(icmp + ICMP_LEN, q_ip, quote);
    put16(icmp + 2, fold(sum16(icmp, ICMP_LEN + quote, 0)));
    return total;
}
