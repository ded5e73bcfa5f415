/* Reading TCP segments from raw bytes: the header parser, and the search for a segment's
 * header by its endpoints that the plugin runs on every frame. The frames are built byte by byte here rather
 * than with a packet library, so the expected values are independent of the parser.
 * Frames under test sit against an inaccessible page, so a read past either end of
 * the buffer crashes the test instead of passing unnoticed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcp_wire.h"

#define ETH_LEN 14
#define MAX_FRAME 512

/* ---- Guarded buffers --------------------------------------------------------------- */

typedef struct guarded {
    uint8_t *map;
    size_t map_len;
    uint8_t *data;
} guarded;

/* A copy of len bytes that ends (or starts) exactly at an inaccessible page. */
static void guard(guarded *g, const uint8_t *src, size_t len, bool flush_end)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    assert_true(len <= page);
    g->map_len = 3 * page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->map != MAP_FAILED);
    assert_int_equal(mprotect(g->map, page, PROT_NONE), 0);
    assert_int_equal(mprotect(g->map + 2 * page, page, PROT_NONE), 0);
    g->data = flush_end ? g->map + 2 * page - len : g->map + page;
    if (len)
        memcpy(g->data, src, len);
}

static void unguard(guarded *g)
{
    munmap(g->map, g->map_len);
}

/* ---- Building headers -------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* A TCP header with options_len (a multiple of 4) option bytes; returns its length. */
static size_t build_tcp(uint8_t *p, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window,
                        const uint8_t *options, size_t options_len)
{
    size_t hlen = 20 + options_len;
    memset(p, 0, 20);
    put16(p, 49152);
    put16(p + 2, 80);
    put32(p + 4, seq);
    put32(p + 8, ack);
    p[12] = (uint8_t)((hlen / 4) << 4);
    p[13] = flags;
    put16(p + 14, window);
    put16(p + 16, 0xbeef); /* TCP checksum: not the parser's business */
    if (options_len)
        memcpy(p + 20, options, options_len);
    return hlen;
}

static uint16_t ipv4_checksum(const uint8_t *h, size_t hlen)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < hlen; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

typedef enum { CSUM_VALID, CSUM_ZERO, CSUM_WRONG } csum;

static size_t build_ipv4(uint8_t *p, size_t ihl, uint16_t total, uint16_t id, uint8_t proto,
                         csum c)
{
    size_t hlen = ihl * 4;
    memset(p, 0, hlen);
    p[0] = (uint8_t)(0x40 | ihl);
    put16(p + 2, total);
    put16(p + 4, id);
    p[6] = 0x40; /* DF */
    p[8] = 64;
    p[9] = proto;
    put32(p + 12, 0xc0a80001);
    put32(p + 16, 0xc0a80002);
    for (size_t i = 20; i < hlen; i++)
        p[i] = 1; /* NOP options */
    uint16_t sum = ipv4_checksum(p, hlen);
    put16(p + 10, c == CSUM_VALID ? sum : c == CSUM_ZERO ? 0 : (uint16_t)(sum ^ 0x0101));
    return hlen;
}

static size_t build_ipv6(uint8_t *p, uint16_t payload, uint8_t next)
{
    memset(p, 0, 40);
    p[0] = 0x60;
    put16(p + 4, payload);
    p[6] = next;
    p[7] = 64;
    p[8] = 0x20; /* 2001:db8::1 and ::2 */
    p[9] = 0x01;
    p[10] = 0x0d;
    p[11] = 0xb8;
    p[23] = 1;
    memcpy(p + 24, p + 8, 15);
    p[39] = 2;
    return 40;
}

/* An extension header of len bytes (a multiple of 8) pointing at next. */
static size_t build_ext(uint8_t *p, uint8_t next, size_t len)
{
    memset(p, 0, len);
    p[0] = next;
    p[1] = (uint8_t)(len / 8 - 1);
    if (len > 2)
        p[2] = 1; /* PadN */
    if (len > 3)
        p[3] = (uint8_t)(len - 4);
    return len;
}

static size_t build_eth(uint8_t *p, uint16_t type)
{
    memset(p, 0x02, 12);
    put16(p + 12, type);
    return ETH_LEN;
}

#define PAYLOAD 10
#define PADDING 6 /* an Ethernet trailer, which is not part of the segment */

/* Ethernet, IPv4 (ihl words), TCP, PAYLOAD bytes, then PADDING. */
static size_t frame_ipv4(uint8_t *f, size_t ihl, uint16_t id, uint8_t proto, csum c,
                         size_t *tcp_off)
{
    size_t off = build_eth(f, 0x0800);
    size_t total = ihl * 4 + 20 + PAYLOAD;
    off += build_ipv4(f + off, ihl, (uint16_t)total, id, proto, c);
    *tcp_off = off;
    off += build_tcp(f + off, 1, 2, 0x18, 1000, NULL, 0);
    memset(f + off, 'r', PAYLOAD + PADDING);
    return off + PAYLOAD + PADDING;
}

/* Ethernet, IPv6, ext_len bytes of hop-by-hop options (0: none), TCP, payload, padding. */
static size_t frame_ipv6(uint8_t *f, size_t ext_len, size_t *tcp_off)
{
    size_t off = build_eth(f, 0x86dd);
    off += build_ipv6(f + off, (uint16_t)(ext_len + 20 + PAYLOAD), ext_len ? 0 : 6);
    if (ext_len)
        off += build_ext(f + off, 6, ext_len);
    *tcp_off = off;
    off += build_tcp(f + off, 1, 2, 0x18, 1000, NULL, 0);
    memset(f + off, 'r', PAYLOAD + PADDING);
    return off + PAYLOAD + PADDING;
}

/* ---- Endpoints --------------------------------------------------------------------- */

static const uint8_t v4_src[4] = {0xc0, 0xa8, 0, 1}, v4_dst[4] = {0xc0, 0xa8, 0, 2};
static const uint8_t v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static td_wire_endpoints endpoints_v4(void)
{
    td_wire_endpoints ep = {v4_src, v4_dst, 4, 49152, 80};
    return ep;
}

static td_wire_endpoints endpoints_v6(void)
{
    td_wire_endpoints ep = {v6_src, v6_dst, 16, 49152, 80};
    return ep;
}

static bool find(const uint8_t *f, size_t len, const td_wire_endpoints *ep, size_t *tcp_off,
                 uint32_t *seg_len, int32_t *ip_id)
{
    guarded g;
    guard(&g, f, len, true);
    bool ok = td_wire_find_tcp(g.data, len, ep, TD_WIRE_NO_HINT, tcp_off, seg_len, ip_id);
    unguard(&g);
    return ok;
}

/* ---- The TCP header ---------------------------------------------------------------- */

static void tcp_header_fields(void **state)
{
    (void)state;
    uint8_t h[20];
    td_tcp t;
    uint32_t hlen = 0;
    uint64_t digest = 1;

    build_tcp(h, 0xdeadbeef, 0x01020304, 0x19, 0xface, NULL, 0);
    memset(&t, 0xff, sizeof t); /* len is not in the header: it must not keep garbage */
    guarded g;
    guard(&g, h, sizeof h, true);
    assert_true(td_wire_parse_tcp(g.data, sizeof h, &t, &hlen, &digest));
    unguard(&g);
    assert_int_equal(t.seq, 0xdeadbeef);
    assert_int_equal(t.ack, 0x01020304);
    assert_int_equal(t.flags, 0x19);
    assert_int_equal(t.flags, 0x10 | 0x08 | 0x01);
    assert_int_equal(t.window, 0xface);
    assert_int_equal(t.len, 0);
    assert_int_equal(hlen, 20);
    assert_int_equal(digest, 0); /* no options */
}

/* The digest is what tells a copy from a packet that differs only in its timestamps. */
static void tcp_header_options(void **state)
{
    (void)state;
    static const uint8_t ts1[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    static const uint8_t ts2[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 3};
    uint8_t h1[32], h2[32];
    td_tcp t;
    uint32_t hlen;
    uint64_t d1, d2, d1_again;

    build_tcp(h1, 7, 8, 0x10, 512, ts1, sizeof ts1);
    build_tcp(h2, 7, 8, 0x10, 512, ts2, sizeof ts2);
    assert_true(td_wire_parse_tcp(h1, sizeof h1, &t, &hlen, &d1));
    assert_int_equal(hlen, 32);
    assert_int_equal(t.seq, 7);
    assert_int_equal(t.ack, 8);
    assert_int_not_equal(d1, 0);
    assert_true(td_wire_parse_tcp(h2, sizeof h2, &t, &hlen, &d2));
    assert_int_not_equal(d2, 0);
    assert_int_not_equal(d1, d2);
    assert_true(td_wire_parse_tcp(h1, sizeof h1, &t, &hlen, &d1_again));
    assert_int_equal(d1, d1_again);

    /* A snap length that cuts the options: the header is still read, and only what was
     * captured of the options is read. */
    for (size_t avail = 20; avail < sizeof h1; avail++) {
        guarded g;
        uint64_t d;
        guard(&g, h1, avail, true);
        assert_true(td_wire_parse_tcp(g.data, avail, &t, &hlen, &d));
        unguard(&g);
        assert_int_equal(hlen, 32);
        assert_int_equal(t.seq, 7);
        if (avail == 20)
            assert_int_equal(d, TD_WIRE_OPTIONS_CUT);
    }
}

static void tcp_header_rejected(void **state)
{
    (void)state;
    uint8_t h[60];
    td_tcp t;
    uint32_t hlen;
    uint64_t digest;

    build_tcp(h, 1, 2, 0x10, 100, NULL, 0);
    for (size_t avail = 0; avail < TD_WIRE_TCP_MIN_CAPTURED; avail++) {
        guarded g;
        guard(&g, h, avail, true);
        assert_false(td_wire_parse_tcp(g.data, avail, &t, &hlen, &digest));
        unguard(&g);
    }
    memset(h + 20, 1, sizeof h - 20);
    for (uint8_t doff = 0; doff < 16; doff++) {
        h[12] = (uint8_t)(doff << 4);
        if (doff < 5) {
            assert_false(td_wire_parse_tcp(h, sizeof h, &t, &hlen, &digest));
        } else {
            assert_true(td_wire_parse_tcp(h, sizeof h, &t, &hlen, &digest));
            assert_int_equal(hlen, doff * 4u);
        }
    }
}

/* A header cut by the snap length: 16 bytes hold everything the detector needs. */
static void tcp_header_cut_to_16_bytes(void **state)
{
    (void)state;
    static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    uint8_t plain[20], with_options[32];
    build_tcp(plain, 0xfffffff0, 0x10, 0x11, 0x0102, NULL, 0);
    build_tcp(with_options, 0xfffffff0, 0x10, 0x11, 0x0102, ts, sizeof ts);

    for (size_t avail = TD_WIRE_TCP_MIN_CAPTURED; avail < 20; avail++) {
        const uint8_t *headers[2] = {plain, with_options};
        for (int k = 0; k < 2; k++) {
            guarded g;
            td_tcp t;
            uint32_t hlen = 0;
            uint64_t digest = 1;
            guard(&g, headers[k], avail, true);
            assert_true(td_wire_parse_tcp(g.data, avail, &t, &hlen, &digest));
            unguard(&g);
            assert_int_equal(t.seq, 0xfffffff0);
            assert_int_equal(t.ack, 0x10);
            assert_int_equal(t.flags, 0x11);
            assert_int_equal(t.window, 0x0102);
            assert_int_equal(hlen, k ? 32 : 20);
            /* No options is known for sure; options not captured are "cut", the same for
             * every copy, so a capture duplicate still looks like one. */
            assert_int_equal(digest, k ? TD_WIRE_OPTIONS_CUT : 0);
        }
    }
}

/* Options partly captured digest apart from options wholly captured and from none. */
static void tcp_options_cut_digest_apart(void **state)
{
    (void)state;
    static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    uint8_t h[32];
    td_tcp t;
    uint32_t hlen;
    uint64_t whole, cut, cut_again, none;
    build_tcp(h, 7, 8, 0x10, 512, ts, sizeof ts);
    assert_true(td_wire_parse_tcp(h, sizeof h, &t, &hlen, &whole));
    assert_true(td_wire_parse_tcp(h, 24, &t, &hlen, &cut));
    assert_true(td_wire_parse_tcp(h, 24, &t, &hlen, &cut_again));
    assert_true(td_wire_parse_tcp(h, 20, &t, &hlen, &none));
    assert_int_equal(cut, cut_again);
    assert_int_not_equal(cut, whole);
    assert_int_not_equal(cut, 0);
    assert_int_equal(none, TD_WIRE_OPTIONS_CUT);
    assert_int_not_equal(cut, none);
}

/* ---- IPv4 -------------------------------------------------------------------------- */

/* td_wire_find_tcp on a guarded copy of the frame, for the test frames' IPv4 endpoints. */
static bool find_v4(const uint8_t *f, size_t len, size_t *tcp_off, uint32_t *seg_len,
                    int32_t *ip_id)
{
    td_wire_endpoints ep = endpoints_v4();
    return find(f, len, &ep, tcp_off, seg_len, ip_id);
}

static void find_ipv4_every_header_length(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME];
    size_t expected, off;
    uint32_t seg_len;
    int32_t id;

    for (size_t ihl = 5; ihl <= 15; ihl++) {
        size_t len = frame_ipv4(f, ihl, 0x1234, 6, CSUM_VALID, &expected);
        assert_int_equal(expected, ETH_LEN + ihl * 4);
        seg_len = 0;
        id = 0;
        assert_true(find_v4(f, len, &off, &seg_len, &id));
        assert_int_equal(off, expected);
        assert_int_equal(seg_len, 20 + PAYLOAD); /* not the Ethernet padding */
        assert_int_equal(id, 0x1234);
    }
    /* Linux's ID 0 is an ID like any other here; what it means is the detector's affair. */
    size_t len = frame_ipv4(f, 5, 0, 6, CSUM_VALID, &expected);
    assert_true(find_v4(f, len, &off, &seg_len, &id));
    assert_int_equal(id, 0);
    /* Checksum offload leaves 0, or anything, in the field of the sender's own capture. */
    len = frame_ipv4(f, 5, 0xabcd, 6, CSUM_WRONG, &expected);
    assert_true(find_v4(f, len, &off, &seg_len, &id));
    assert_int_equal(id, 0xabcd);
}

static void find_ipv4_wrong_protocol_rejected(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME];
    size_t tcp_off, off;
    uint32_t seg_len;
    int32_t id;

    const uint8_t not_tcp[] = {1, 17, 41, 132};
    for (size_t i = 0; i < sizeof not_tcp; i++) {
        size_t len = frame_ipv4(f, 5, 0xabcd, not_tcp[i], CSUM_VALID, &tcp_off);
        assert_false(find_v4(f, len, &off, &seg_len, &id));
    }
}

static void find_ipv4_total_length(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME];
    size_t tcp_off, off;
    uint32_t seg_len = 0;
    int32_t id;

    /* 0 (segmentation offload): everything captured after the TCP header's start. */
    size_t len = frame_ipv4(f, 5, 1, 6, CSUM_VALID, &tcp_off);
    put16(f + ETH_LEN + 2, 0);
    assert_true(find_v4(f, len, &off, &seg_len, &id));
    assert_int_equal(seg_len, len - tcp_off);

    /* Shorter than the IP header itself: not an IP header. */
    put16(f + ETH_LEN + 2, 19);
    assert_false(find_v4(f, len, &off, &seg_len, &id));

    /* Longer than the snap length: the announced length, for the caller to weigh. */
    put16(f + ETH_LEN + 2, 1500);
    assert_true(find_v4(f, len, &off, &seg_len, &id));
    assert_int_equal(seg_len, 1480);
}

/* ---- IPv6 -------------------------------------------------------------------------- */

static bool find_v6(const uint8_t *f, size_t len, size_t *tcp_off, uint32_t *seg_len,
                    int32_t *ip_id)
{
    td_wire_endpoints ep = endpoints_v6();
    return find(f, len, &ep, tcp_off, seg_len, ip_id);
}

static void find_ipv6_without_extension(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME];
    size_t tcp_off, off;
    uint32_t seg_len = 0;
    int32_t id = 0;

    size_t len = frame_ipv6(f, 0, &tcp_off);
    assert_int_equal(tcp_off, ETH_LEN + 40);
    assert_true(find_v6(f, len, &off, &seg_len, &id));
    assert_int_equal(off, tcp_off);
    assert_int_equal(seg_len, 20 + PAYLOAD);
    assert_int_equal(id, -1);

    /* Payload length 0 (jumbogram or offload): up to the end of the data. */
    put16(f + ETH_LEN + 4, 0);
    assert_true(find_v6(f, len, &off, &seg_len, &id));
    assert_int_equal(seg_len, len - tcp_off);

    /* Next header UDP: not a TCP segment. */
    put16(f + ETH_LEN + 4, 20 + PAYLOAD);
    f[ETH_LEN + 6] = 17;
    assert_false(find_v6(f, len, &off, &seg_len, &id));
}

/* Ethernet, IPv6, hop-by-hop options, destination options, a fragment header with the
 * given offset-and-flags field, TCP, payload. Returns the frame length. */
static size_t frame_ipv6_fragment(uint8_t *f, uint16_t offset_flags, size_t *tcp_off,
                                  size_t *fragment)
{
    size_t off = build_eth(f, 0x86dd);
    off += build_ipv6(f + off, (uint16_t)(8 + 16 + 8 + 20 + PAYLOAD), 0);
    off += build_ext(f + off, 60, 8);
    off += build_ext(f + off, 44, 16);
    *fragment = off;
    memset(f + off, 0, 8);
    f[off] = 6;
    put16(f + off + 2, offset_flags);
    put32(f + off + 4, 0x152474);
    off += 8;
    *tcp_off = off;
    off += build_tcp(f + off, 1, 2, 0x18, 1000, NULL, 0);
    memset(f + off, 'r', PAYLOAD);
    return off + PAYLOAD;
}

static void find_ipv6_extension_chain(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME];
    size_t tcp_off, off, fragment;
    uint32_t seg_len = 0;
    int32_t id = 0;

    const size_t ext_lens[] = {8, 16, 64};
    for (size_t i = 0; i < 3; i++) {
        size_t len = frame_ipv6(f, ext_lens[i], &tcp_off);
        assert_int_equal(tcp_off, ETH_LEN + 40 + ext_lens[i]);
        assert_true(find_v6(f, len, &off, &seg_len, &id));
        assert_int_equal(off, tcp_off);
        assert_int_equal(seg_len, 20 + PAYLOAD); /* the extension is not the segment's */
        assert_int_equal(id, -1);
    }

    size_t len = frame_ipv6_fragment(f, 0, &tcp_off, &fragment);
    /* The chain ends in UDP: not ours, whatever follows. */
    f[fragment] = 17;
    assert_false(find_v6(f, len, &off, &seg_len, &id));
    f[fragment] = 6;
    assert_true(find_v6(f, len, &off, &seg_len, &id));

    /* A payload length too short for the extension headers: not an IPv6 header. */
    put16(f + ETH_LEN + 4, 16);
    assert_false(find_v6(f, len, &off, &seg_len, &id));
}

/* RFC 6946: a fragment header with offset 0 and no more fragments is the whole datagram,
 * which no one reassembles; the segment follows it. A real fragment is not read here. */
static void find_ipv6_atomic_fragment(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME];
    size_t tcp_off, off, fragment;
    uint32_t seg_len = 0;
    int32_t id = 0;

    /* The two reserved bits do not make it less atomic. */
    const uint16_t atomic[] = {0x0000, 0x0006};
    for (size_t i = 0; i < 2; i++) {
        size_t len = frame_ipv6_fragment(f, atomic[i], &tcp_off, &fragment);
        assert_true(find_v6(f, len, &off, &seg_len, &id));
        assert_int_equal(off, tcp_off);
        assert_int_equal(seg_len, 20 + PAYLOAD);
        assert_int_equal(id, -1);
    }
    /* More fragments to come, or not the first one: reassembled elsewhere, if at all. */
    const uint16_t fragments[] = {0x0001, 0x0008, 0xfff8, 0x0009};
    for (size_t i = 0; i < 4; i++) {
        size_t len = frame_ipv6_fragment(f, fragments[i], &tcp_off, &fragment);
        assert_false(find_v6(f, len, &off, &seg_len, &id));
    }
    /* Cut inside the fragment header. */
    frame_ipv6_fragment(f, 0, &tcp_off, &fragment);
    for (size_t cut = fragment; cut < fragment + 8; cut++)
        assert_false(find_v6(f, cut, &off, &seg_len, &id));
}

/* The snap length left 16 bytes of the TCP header (802.1Q, IPv4, snaplen 54): found, and
 * the segment's length is still what the IP header says. */
static void find_tcp_header_cut_to_16_bytes(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME], tagged[MAX_FRAME];
    size_t tcp_off, off;
    uint32_t seg_len;
    int32_t id;
    size_t len = frame_ipv4(f, 5, 0x4242, 6, CSUM_VALID, &tcp_off);
    memcpy(tagged, f, 12);
    put16(tagged + 12, 0x8100);
    put16(tagged + 14, 100);
    memcpy(tagged + 16, f + 12, len - 12);
    tcp_off += 4;
    assert_int_equal(tcp_off + TD_WIRE_TCP_MIN_CAPTURED, 54);

    for (size_t cut = tcp_off + TD_WIRE_TCP_MIN_CAPTURED; cut <= tcp_off + 20; cut++) {
        seg_len = 0;
        assert_true(find_v4(tagged, cut, &off, &seg_len, &id));
        assert_int_equal(off, tcp_off);
        assert_int_equal(seg_len, 20 + PAYLOAD);
        assert_int_equal(id, 0x4242);
    }
    assert_false(find_v4(tagged, tcp_off + TD_WIRE_TCP_MIN_CAPTURED - 1, &off, &seg_len, &id));

    /* The same over IPv6. */
    len = frame_ipv6(f, 0, &tcp_off);
    assert_true(find_v6(f, tcp_off + TD_WIRE_TCP_MIN_CAPTURED, &off, &seg_len, &id));
    assert_int_equal(seg_len, 20 + PAYLOAD);
    assert_false(find_v6(f, tcp_off + TD_WIRE_TCP_MIN_CAPTURED - 1, &off, &seg_len, &id));
}

/* ---- Finding the segment in a frame ---------------------------------------------- */

static void find_ipv4_behind_ethernet_and_vlan(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME], tagged[MAX_FRAME];
    size_t expected, off;
    uint32_t seg_len;
    int32_t id;
    td_wire_endpoints ep = endpoints_v4();
    size_t len = frame_ipv4(f, 6, 0x1234, 6, CSUM_VALID, &expected);

    assert_true(find(f, len, &ep, &off, &seg_len, &id));
    assert_int_equal(off, expected);
    assert_int_equal(seg_len, 20 + PAYLOAD); /* the trailer is not counted */
    assert_int_equal(id, 0x1234);

    /* The same behind an 802.1Q tag: four bytes further. */
    memcpy(tagged, f, 12);
    put16(tagged + 12, 0x8100);
    put16(tagged + 14, 100);
    memcpy(tagged + 16, f + 12, len - 12);
    assert_true(find(tagged, len + 4, &ep, &off, &seg_len, &id));
    assert_int_equal(off, expected + 4);
}

static void find_in_a_tunnel(void **state)
{
    (void)state;
    /* An outer IPv4 header (protocol 4, other addresses) before the real one. */
    uint8_t inner[MAX_FRAME], f[MAX_FRAME];
    size_t inner_off, off;
    uint32_t seg_len;
    int32_t id;
    td_wire_endpoints ep = endpoints_v4();
    size_t inner_len = frame_ipv4(inner, 5, 7, 6, CSUM_VALID, &inner_off);
    size_t at = build_eth(f, 0x0800);
    at += build_ipv4(f + at, 5, (uint16_t)(inner_len - ETH_LEN + 20), 1, 4, CSUM_VALID);
    put32(f + ETH_LEN + 12, 0x0a000001);
    put32(f + ETH_LEN + 16, 0x0a000002);
    memcpy(f + at, inner + ETH_LEN, inner_len - ETH_LEN);
    size_t len = at + inner_len - ETH_LEN;

    assert_true(find(f, len, &ep, &off, &seg_len, &id));
    assert_int_equal(off, inner_off + 20);
    assert_int_equal(id, 7);
}

static void find_rejects_other_segments(void **state)
{
    (void)state;
    uint8_t f[MAX_FRAME];
    size_t tcp_off, off;
    uint32_t seg_len;
    int32_t id;
    td_wire_endpoints ep = endpoints_v4();
    size_t len = frame_ipv4(f, 5, 9, 6, CSUM_VALID, &tcp_off);

    td_wire_endpoints reversed = {v4_dst, v4_src, 4, 80, 49152};
    assert_false(find(f, len, &reversed, &off, &seg_len, &id));
    td_wire_endpoints other_port = ep;
    other_port.dst_port = 443;
    assert_false(find(f, len, &other_port, &off, &seg_len, &id));
    td_wire_endpoints v6 = endpoints_v6();
    assert_false(find(f, len, &v6, &off, &seg_len, &id));

    /* A fragment: TCP reads such a segment from the reassembled datagram instead. */
    put16(f + ETH_LEN + 6, 0x2000); /* more fragments */
    assert_false(find(f, len, &ep, &off, &seg_len, &id));

    /* Cut inside the ports. */
    frame_ipv4(f, 5, 9, 6, CSUM_VALID, &tcp_off);
    assert_false(find(f, tcp_off + 3, &ep, &off, &seg_len, &id));
    assert_true(find(f, tcp_off + 20, &ep, &off, &seg_len, &id));
}

/* Bytes with the right addresses and versions at random places, hinted at random. */
static void find_never_reads_outside_the_buffer(void **state)
{
    (void)state;
    td_wire_endpoints eps[2] = {endpoints_v4(), endpoints_v6()};
    srand(9293);
    for (int round = 0; round < 4000; round++) {
        uint8_t junk[600];
        size_t len = (size_t)rand() % sizeof junk;
        const td_wire_endpoints *ep = &eps[round % 2];
        for (size_t i = 0; i < len; i++) {
            /* Headers with the right addresses and versions, at random places. */
            if (rand() % 40 == 0 && i + 40 <= len) {
                junk[i] = ep->addr_len == 4 ? 0x45 : 0x60;
                memcpy(junk + i + (ep->addr_len == 4 ? 12 : 8), ep->src_addr, ep->addr_len);
                memcpy(junk + i + (ep->addr_len == 4 ? 16 : 24), ep->dst_addr, ep->addr_len);
            }
            if (rand() % 2)
                junk[i] = (uint8_t)rand();
        }
        size_t off;
        uint32_t seg_len;
        int32_t id;
        guarded g;
        guard(&g, junk, len, round % 2);
        size_t hint = round % 3 ? (size_t)rand() % (len + 2) : TD_WIRE_NO_HINT;
        if (td_wire_find_tcp(g.data, len, ep, hint, &off, &seg_len, &id))
            assert_true(off + TD_WIRE_TCP_MIN_CAPTURED <= len);
        unguard(&g);
    }
}

static void pair_hash_is_the_same_both_ways(void **state)
{
    (void)state;
    td_wire_endpoints a = endpoints_v4(), b = {v4_dst, v4_src, 4, 80, 49152};
    assert_true(td_wire_pair_hash(&a) == td_wire_pair_hash(&b));
    td_wire_endpoints a6 = endpoints_v6(), b6 = {v6_dst, v6_src, 16, 80, 49152};
    assert_true(td_wire_pair_hash(&a6) == td_wire_pair_hash(&b6));

    /* Any change of address or port is another pair. */
    td_wire_endpoints c = a;
    c.src_port = 49153;
    assert_true(td_wire_pair_hash(&a) != td_wire_pair_hash(&c));
    td_wire_endpoints d = {v4_src, v4_src, 4, 49152, 80};
    assert_true(td_wire_pair_hash(&a) != td_wire_pair_hash(&d));
    /* Swapping only the ports is not the reverse direction. */
    td_wire_endpoints e = {v4_src, v4_dst, 4, 80, 49152};
    assert_true(td_wire_pair_hash(&a) != td_wire_pair_hash(&e));
}

/* A hint saves the search and nothing else: right, wrong or absurd, the same segment. */
static void find_with_any_hint(void **state)
{
    (void)state;
    uint8_t frames[4][MAX_FRAME];
    size_t lens[4], tcp_offs[4], fragment;
    lens[0] = frame_ipv4(frames[0], 6, 0x1234, 6, CSUM_VALID, &tcp_offs[0]);
    memcpy(frames[1], frames[0], 12);
    put16(frames[1] + 12, 0x8100);
    put16(frames[1] + 14, 100);
    memcpy(frames[1] + 16, frames[0] + 12, lens[0] - 12);
    lens[1] = lens[0] + 4;
    tcp_offs[1] = tcp_offs[0] + 4;
    lens[2] = frame_ipv6(frames[2], 16, &tcp_offs[2]);
    lens[3] = frame_ipv6_fragment(frames[3], 0, &tcp_offs[3], &fragment);

    for (size_t k = 0; k < 4; k++) {
        td_wire_endpoints ep = k < 2 ? endpoints_v4() : endpoints_v6();
        guarded g;
        guard(&g, frames[k], lens[k], true);
        for (size_t hint = 0; hint <= lens[k] + 2 || hint == TD_WIRE_NO_HINT;
             hint = hint == lens[k] + 2 ? TD_WIRE_NO_HINT : hint + 1) {
            size_t off = 0;
            uint32_t seg_len = 0;
            int32_t id = -2;
            assert_true(td_wire_find_tcp(g.data, lens[k], &ep, hint, &off, &seg_len, &id));
            assert_int_equal(off, tcp_offs[k]);
            assert_int_equal(seg_len, 20 + PAYLOAD);
            assert_int_equal(id, k < 2 ? 0x1234 : -1);
            if (hint == TD_WIRE_NO_HINT)
                break;
        }
        unguard(&g);
    }
}

/* Every prefix of real frames, every hint up to and past the end, the buffer against a
 * guard page on either side: nothing outside the buffer is read, and the segment is found
 * exactly when its IP header and 16 bytes of its TCP header were captured. */
static void find_never_reads_outside_real_frames(void **state)
{
    (void)state;
    uint8_t frames[4][MAX_FRAME];
    size_t lens[4], tcp_offs[4], fragment;
    lens[0] = frame_ipv4(frames[0], 7, 0x4242, 6, CSUM_VALID, &tcp_offs[0]);
    lens[1] = frame_ipv6(frames[1], 0, &tcp_offs[1]);
    lens[2] = frame_ipv6(frames[2], 24, &tcp_offs[2]);
    lens[3] = frame_ipv6_fragment(frames[3], 0, &tcp_offs[3], &fragment);

    for (size_t k = 0; k < 4; k++) {
        td_wire_endpoints ep = k == 0 ? endpoints_v4() : endpoints_v6();
        for (size_t len = 0; len <= lens[k]; len++) {
            for (int flush_end = 0; flush_end < 2; flush_end++) {
                guarded g;
                guard(&g, frames[k], len, flush_end);
                for (size_t hint = 0; hint <= len + 8; hint++) {
                    size_t off;
                    uint32_t seg_len;
                    int32_t id;
                    bool ok = td_wire_find_tcp(g.data, len, &ep, hint, &off, &seg_len, &id);
                    assert_true(ok == (len >= tcp_offs[k] + TD_WIRE_TCP_MIN_CAPTURED));
                    if (hint <= len) {
                        td_tcp t;
                        uint32_t hlen;
    uint64_t digest;
                        bool tcp_ok = td_wire_parse_tcp(g.data + hint, len - hint, &t, &hlen,
                                                        &digest);
                        if (len - hint < TD_WIRE_TCP_MIN_CAPTURED)
                            assert_false(tcp_ok);
                    }
                }
                unguard(&g);
            }
        }
    }
}

/* The pair hash is the sum of the endpoints' hashes; an endpoint's own hash is what tells
 * two endpoints with equal ports apart. */
static void endpoint_hash_parts_of_the_pair(void **state)
{
    (void)state;
    td_wire_endpoints a = endpoints_v4();
    assert_true(td_wire_pair_hash(&a) == td_wire_endpoint_hash(v4_src, 4, 49152) +
                                             td_wire_endpoint_hash(v4_dst, 4, 80));
    assert_true(td_wire_endpoint_hash(v4_src, 4, 80) != td_wire_endpoint_hash(v4_dst, 4, 80));
    assert_true(td_wire_endpoint_hash(v6_src, 16, 80) != td_wire_endpoint_hash(v6_dst, 16, 80));
    /* The address length is part of it: an IPv4 address is not a prefix of an IPv6 one. */
    assert_true(td_wire_endpoint_hash(v6_src, 4, 80) != td_wire_endpoint_hash(v6_src, 16, 80));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_header_fields),
        cmocka_unit_test(tcp_header_options),
        cmocka_unit_test(tcp_header_rejected),
        cmocka_unit_test(tcp_header_cut_to_16_bytes),
        cmocka_unit_test(tcp_options_cut_digest_apart),
        cmocka_unit_test(find_ipv4_every_header_length),
        cmocka_unit_test(find_ipv4_wrong_protocol_rejected),
        cmocka_unit_test(find_ipv4_total_length),
        cmocka_unit_test(find_ipv6_without_extension),
        cmocka_unit_test(find_ipv6_extension_chain),
        cmocka_unit_test(find_ipv6_atomic_fragment),
        cmocka_unit_test(find_tcp_header_cut_to_16_bytes),
        cmocka_unit_test(find_ipv4_behind_ethernet_and_vlan),
        cmocka_unit_test(find_in_a_tunnel),
        cmocka_unit_test(find_rejects_other_segments),
        cmocka_unit_test(find_with_any_hint),
        cmocka_unit_test(find_never_reads_outside_real_frames),
        cmocka_unit_test(find_never_reads_outside_the_buffer),
        cmocka_unit_test(pair_hash_is_the_same_both_ways),
        cmocka_unit_test(endpoint_hash_parts_of_the_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
