#include "check_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_wire.h"

static void fail(const char *what, size_t len, size_t off)
{
    fprintf(stderr, "wire invariant broken (frame of %zu bytes, TCP at %zu): %s\n", len, off, what);
    abort();
}

static void check_at(const uint8_t *frame, size_t len, size_t off)
{
    td_tcp tcp;
    uint32_t header_len = 0, digest = 0;
    if (off <= len && td_wire_parse_tcp(frame + off, len - off, &tcp, &header_len, &digest)) {
        if (header_len < 20 || header_len > 60 || header_len % 4)
            fail("header length out of range", len, off);
        if (tcp.len != 0)
            fail("parse_tcp set a payload length", len, off);
    }

    uint32_t segment_len = 0;
    int32_t ip_id = -2;
    if (td_wire_ip_before(frame, len, off, &segment_len, &ip_id)) {
        if (off > len)
            fail("an IP header found for TCP beyond the frame", len, off);
        if (ip_id < -1 || ip_id > 65535)
            fail("IP ID out of range", len, off);
        if (segment_len > 65535 && segment_len != len - off)
            fail("segment length beyond what an IP length field can say", len, off);
    }
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
    /* The offset as given, and every one around it, the end of the frame included. */
    check_at(frame, len, off);
    for (size_t o = 0; o <= len && o < 128; o++)
        check_at(frame, len, o);
    if (len > 128)
        check_at(frame, len, len);
    free(frame);
}
