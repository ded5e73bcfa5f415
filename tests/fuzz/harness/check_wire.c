#include "check_wire.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_wire.h"

static void fail(const char *what, size_t len, size_t off)
{
    fprintf(stderr, "wire invariant broken (frame of %zu bytes, TCP at %zu): %s\n", len, off, what);
    abort();
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void check_parse(const uint8_t *frame, size_t len, size_t off)
{
    td_tcp tcp;
    uint32_t header_len = 0;
    uint64_t digest = 0;
    if (off <= len && td_wire_parse_tcp(frame + off, len - off, &tcp, &header_len, &digest)) {
        if (len - off < TD_WIRE_TCP_MIN_CAPTURED)
            fail("parse_tcp read a header shorter than it needs", len, off);
        if (header_len < 20 || header_len > 60 || header_len % 4)
            fail("header length out of range", len, off);
        if (tcp.len != 0)
            fail("parse_tcp set a payload length", len, off);
        if (header_len == 20 && digest != 0)
            fail("options digested where there are none", len, off);
    }
}

/* What the plugin does with the frame's bytes: find the segment of given endpoints, with
 * and without a hint of where its IP header is. */
static void check_find(const uint8_t *frame, size_t len, const td_wire_endpoints *ep, size_t hint)
{
    size_t tcp_off = 0, plain_off = 0;
    uint32_t segment_len = 0, plain_len = 0;
    int32_t ip_id = -2, plain_id = -2;
    bool hinted = td_wire_find_tcp(frame, len, ep, hint, &tcp_off, &segment_len, &ip_id);
    bool plain = td_wire_find_tcp(frame, len, ep, TD_WIRE_NO_HINT, &plain_off, &plain_len,
                                  &plain_id);
    /* A hint only saves the search: it never finds what the search would not. */
    if (hinted != plain)
        fail("the hint changed whether the segment is found", len, hint);
    if (!hinted)
        return;
    if (tcp_off + TD_WIRE_TCP_MIN_CAPTURED > len)
        fail("a TCP header found that was not captured", len, tcp_off);
    if (be16(frame + tcp_off) != ep->src_port || be16(frame + tcp_off + 2) != ep->dst_port)
        fail("a TCP header found with other ports", len, tcp_off);
    if (ip_id < -1 || ip_id > 65535 || (ep->addr_len == 16) != (ip_id == -1))
        fail("IP ID out of range", len, tcp_off);
    if (segment_len > 65535 && segment_len != len - tcp_off)
        fail("segment length beyond what an IP length field can say", len, tcp_off);
    check_parse(frame, len, tcp_off);
}

/* Endpoints as an IPv4 or IPv6 header at ip would name them, ports from tcp_off: the
 * mutator then only has to keep those bytes to make a match reachable. */
static bool endpoints_at(const uint8_t *frame, size_t len, size_t ip, size_t tcp_off,
                         td_wire_endpoints *ep)
{
    if (ip >= len || tcp_off + 4 > len)
        return false;
    size_t addr_len = frame[ip] >> 4 == 6 ? 16 : 4;
    size_t src = ip + (addr_len == 16 ? 8 : 12);
    if (src + 2 * addr_len > len)
        return false;
    ep->src_addr = frame + src;
    ep->dst_addr = frame + src + addr_len;
    ep->addr_len = addr_len;
    ep->src_port = be16(frame + tcp_off);
    ep->dst_port = be16(frame + tcp_off + 2);
    return true;
}

void check_wire_input(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    size_t len = size - 2;
    size_t off = (size_t)(data[0] | data[1] << 8);
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        abort();
    memcpy(frame, data + 2, len);
    /* The header parser at the offset as given, and every one around it. */
    check_parse(frame, len, off);
    for (size_t o = 0; o <= len && o < 128; o++)
        check_parse(frame, len, o);
    if (len > 128)
        check_parse(frame, len, len);
    /* The segment search, for the endpoints of an IPv4 or IPv6 header before that offset
     * (the seeds' IP headers sit there), each hinted at the right and at a wrong place. */
    static const size_t ip_lens[] = {20, 40, 24, 48};
    for (size_t i = 0; i < sizeof ip_lens / sizeof ip_lens[0]; i++) {
        td_wire_endpoints ep;
        if (off < ip_lens[i] || !endpoints_at(frame, len, off - ip_lens[i], off, &ep))
            continue;
        check_find(frame, len, &ep, off - ip_lens[i]);
        check_find(frame, len, &ep, off);
        check_find(frame, len, &ep, TD_WIRE_NO_HINT);
    }
    free(frame);
}
