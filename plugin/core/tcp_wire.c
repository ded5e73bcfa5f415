#include "tcp_wire.h"

#include <string.h>

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool td_wire_parse_tcp(const uint8_t *p, size_t avail, td_tcp *out, uint32_t *header_len,
                       uint64_t *options_digest)
{
    if (avail < TD_WIRE_TCP_MIN_CAPTURED)
        return false;
    uint32_t hlen = (uint32_t)(p[12] >> 4) * 4;
    if (hlen < 20)
        return false;
    out->seq = be32(p + 4);
    out->ack = be32(p + 8);
    out->flags = p[13];
    out->window = be16(p + 14);
    out->len = 0;
    *header_len = hlen;

    /* FNV-1a over the option words, then any bytes a cut left over; a cut starts from
     * another basis, so that options the capture lost never digest like options it has.
     * Multiplying by an odd number loses nothing: two headers that differ in one word
     * never digest alike. 64 bits, as the duplicate test's fingerprint: at 32, a resend
     * whose timestamps differ from its original's would look identical once in 4 billion. */
    uint64_t digest = 0;
    if (hlen > 20) {
        digest = hlen <= avail ? UINT64_C(0xcbf29ce484222325) : TD_WIRE_OPTIONS_CUT;
        size_t end = hlen < avail ? hlen : avail;
        size_t i = 20;
        for (; i + 4 <= end; i += 4)
            digest = (digest ^ be32(p + i)) * UINT64_C(0x100000001b3);
        for (; i < end; i++)
            digest = (digest ^ p[i]) * UINT64_C(0x100000001b3);
    }
    *options_digest = digest;
    return true;
}

static bool ports_at(const uint8_t *data, size_t len, size_t off, const td_wire_endpoints *ep)
{
    return off + TD_WIRE_TCP_MIN_CAPTURED <= len && be16(data + off) == ep->src_port &&
           be16(data + off + 2) == ep->dst_port;
}

static bool ipv4_at(const uint8_t *data, size_t len, size_t off, const td_wire_endpoints *ep,
                    size_t *tcp_off, uint32_t *segment_len, int32_t *ip_id)
{
    const uint8_t *h = data + off;
    size_t hlen = (size_t)(h[0] & 0x0f) * 4;
    if (h[9] != 6 || hlen < 20 || !ports_at(data, len, off + hlen, ep))
        return false;
    if (memcmp(h + 12, ep->src_addr, 4) != 0 || memcmp(h + 16, ep->dst_addr, 4) != 0)
        return false;
    /* A fragment: TCP reads the segment from the reassembled datagram, not from here. */
    if ((be16(h + 6) & 0x3fff) != 0)
        return false;
    /* No checksum test: with both addresses, both ports and the protocol matching, a
     * false match would need a forged header ahead of the real one. */
    uint32_t total = be16(h + 2);
    if (total != 0 && total < hlen)
        return false;
    *tcp_off = off + hlen;
    *segment_len = total ? total - (uint32_t)hlen : (uint32_t)(len - *tcp_off);
    *ip_id = be16(h + 4);
    return true;
}

static bool ipv6_at(const uint8_t *data, size_t len, size_t off, const td_wire_endpoints *ep,
                    size_t *tcp_off, uint32_t *segment_len, int32_t *ip_id)
{
    const uint8_t *h = data + off;
    if (off + 40 > len || memcmp(h + 8, ep->src_addr, 16) != 0 ||
        memcmp(h + 24, ep->dst_addr, 16) != 0)
        return false;
    uint8_t next = h[6];
    size_t at = off + 40;
    for (int hops = 0; next != 6; hops++) {
        if (hops == 8 || at + 2 > len)
            return false;
        switch (next) {
        case 0:   /* hop-by-hop */
        case 43:  /* routing */
        case 60:  /* destination options */
            next = data[at];
            at += ((size_t)data[at + 1] + 1) * 8;
            break;
        case 51:  /* authentication header */
            next = data[at];
            at += ((size_t)data[at + 1] + 2) * 4;
            break;
        case 44:  /* fragment */
            /* An atomic fragment (offset 0, no more fragments; RFC 6946) is the whole
             * datagram, and nothing reassembles it: the segment is right here. */
            if (at + 4 > len || (be16(data + at + 2) & 0xfff9) != 0)
                return false;
            next = data[at];
            at += 8;
            break;
        default:  /* a real fragment (reassembled elsewhere), ESP, or not TCP at all */
            return false;
        }
    }
    if (!ports_at(data, len, at, ep))
        return false;
    uint32_t payload = be16(h + 4);
    size_t ext = at - off - 40;
    if (payload != 0 && payload < ext)
        return false;
    *tcp_off = at;
    *segment_len = payload ? payload - (uint32_t)ext : (uint32_t)(len - at);
    *ip_id = -1;
    return true;
}

/* The segment's IP header at off, if one starts there. */
static bool ip_header_at(const uint8_t *data, size_t len, size_t off, uint8_t version,
                         const td_wire_endpoints *ep, size_t *tcp_off, uint32_t *segment_len,
                         int32_t *ip_id)
{
    if (data[off] >> 4 != version)
        return false;
    return version == 4 ? ipv4_at(data, len, off, ep, tcp_off, segment_len, ip_id)
                        : ipv6_at(data, len, off, ep, tcp_off, segment_len, ip_id);
}

bool td_wire_find_tcp(const uint8_t *data, size_t len, const td_wire_endpoints *ep, size_t hint,
                      size_t *tcp_off, uint32_t *segment_len, int32_t *ip_id)
{
    size_t limit = len < TD_WIRE_SEARCH_LIMIT ? len : TD_WIRE_SEARCH_LIMIT;
    uint8_t version = ep->addr_len == 4 ? 4 : ep->addr_len == 16 ? 6 : 0;
    if (!version)
        return false;
    if (hint < limit && limit - hint >= 20 &&
        ip_header_at(data, len, hint, version, ep, tcp_off, segment_len, ip_id))
        return true;
    /* Where Ethernet, 802.1Q, raw IP, Linux cooked and loopback captures put it. */
    static const size_t usual[] = {14, 18, 0, 16, 4, 20};
    for (size_t i = 0; i < sizeof usual / sizeof usual[0]; i++)
        if (usual[i] + 20 <= limit &&
            ip_header_at(data, len, usual[i], version, ep, tcp_off, segment_len, ip_id))
            return true;
    for (size_t off = 0; off + 20 <= limit; off++)
        if (ip_header_at(data, len, off, version, ep, tcp_off, segment_len, ip_id))
            return true;
    return false;
}

uint64_t td_wire_pair_hash(const td_wire_endpoints *ep)
{
    /* A sum does not depend on the order: both directions hash alike. */
    return td_wire_endpoint_hash(ep->src_addr, ep->addr_len, ep->src_port) +
           td_wire_endpoint_hash(ep->dst_addr, ep->addr_len, ep->dst_port);
}
