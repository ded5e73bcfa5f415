#include "segment_reader.h"

#include <epan/address.h>
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/tvbuff.h>

#include "stream_cache.h"
#include "tcp_wire.h"

static int proto_tcp = -1;
static int proto_icmp = -1;
static int proto_icmpv6 = -1;

void segment_reader_init(void)
{
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
}

/* Where the frame's last TCP layer is: absent, inside an ICMP error (the quoted header
 * names a real stream but is not a segment of it), or a segment of its own. */
static segment_read_status last_tcp_layer(packet_info *pinfo)
{
    segment_read_status status = SEGMENT_NOT_TCP;
    bool in_icmp = false;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        int proto = GPOINTER_TO_INT(wmem_list_frame_data(f));
        if (proto == proto_icmp || proto == proto_icmpv6)
            in_icmp = true;
        else if (proto == proto_tcp)
            status = in_icmp ? SEGMENT_QUOTED : SEGMENT_READ_OK;
    }
    return status;
}

/* Where the IP header of the frame's last addresses starts, if pinfo's source address
 * points into the frame's bytes (IP sets it from its own tvb, a subset of the frame's
 * unless the datagram was reassembled or decrypted): the header is then found without
 * a search. Unrelated pointers are compared as integers. */
static size_t ip_header_hint(const address *src, const uint8_t *bytes, size_t captured)
{
    uintptr_t at = (uintptr_t)src->data, base = (uintptr_t)bytes;
    size_t to_src = src->type == AT_IPv4 ? 12 : 8;
    if (at < base + to_src || at - base >= captured)
        return TD_WIRE_NO_HINT;
    return (size_t)(at - base) - to_src;
}

/* A segment TCP reassembled from IP fragments is a data source of its own that starts
 * with the TCP header; its length is the segment's. */
static tvbuff_t *reassembled_segment(packet_info *pinfo, tvbuff_t *frame_tvb,
                                     const td_wire_endpoints *ep)
{
    for (GSList *s = pinfo->data_src; s; s = s->next) {
        tvbuff_t *tvb = get_data_source_tvb((struct data_source *)s->data);
        if (tvb == frame_tvb || tvb_captured_length(tvb) < 20)
            continue;
        if (tvb_get_ntohs(tvb, 0) == ep->src_port && tvb_get_ntohs(tvb, 2) == ep->dst_port)
            return tvb;
    }
    return NULL;
}

/* How many streams TCP had numbered when the previous frame was read, or STREAMS_UNKNOWN
 * (before a file's first frame). TCP numbers a stream when it creates it, counting up from
 * 0, so the difference to its count now is how many streams this frame created. */
#define STREAMS_UNKNOWN UINT32_MAX
static uint32_t streams_before_frame = STREAMS_UNKNOWN;

void segment_reader_reset(void)
{
    streams_before_frame = STREAMS_UNKNOWN;
}

#define NO_STREAM UINT32_MAX

/* The stream TCP created while dissecting this frame if it created exactly one, else
 * NO_STREAM. Asked once per frame, every frame of a first pass, so that nothing created in
 * a frame that the reader skips is counted for the next. */
static uint32_t stream_created_by_frame(void)
{
    uint32_t streams = get_tcp_stream_count();
    bool one = streams_before_frame != STREAMS_UNKNOWN && streams - streams_before_frame == 1;
    streams_before_frame = streams;
    return one ? streams - 1 : NO_STREAM;
}

/* TCP's own stream number for the segment: cached by address and port pair, asked of
 * Wireshark's conversation table only where TCP may have changed it. TCP starts a new
 * stream on a pair only on a SYN without ACK (a reused port with a new initial sequence
 * number); a SYN-ACK finds the stream its SYN started. So the table is asked on a SYN, on
 * a pair not cached yet, and on a pair whose last frame the reader could not read (it may
 * have been such a SYN). A pair not cached yet whose frame created exactly one stream,
 * where the segment is the frame's only TCP layer, has that stream, the newest: most
 * conversations begin so, and the table is not asked for them. */
static bool stream_of(packet_info *pinfo, uint64_t pair, uint8_t flags, bool only_tcp_layer,
                      uint32_t created_stream, uint32_t *stream)
{
    bool cached = stream_cache_find(pair, stream);
    if (cached && (flags & (TD_SYN | TD_ACK)) != TD_SYN)
        return true;
    if (!cached && only_tcp_layer && created_stream != NO_STREAM) {
        *stream = created_stream;
        stream_cache_put(pair, *stream);
        return true;
    }
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    struct tcp_analysis *tcpd = conv ? conversation_get_proto_data(conv, proto_tcp) : NULL;
    if (!tcpd)
        return false;
    *stream = tcpd->stream;
    stream_cache_put(pair, *stream);
    return true;
}

/* The frame is TCP's but not readable here: whatever TCP did with the pair's stream, the
 * next segment asks again. */
static segment_read_status unreadable(uint64_t pair)
{
    stream_cache_forget(pair);
    return SEGMENT_UNREADABLE;
}

/* An ICMP error quotes a datagram after its own IP header (20 bytes at least) and its
 * 8-byte header: a quoted TCP header starts at least 20 + 8 + 20 bytes into the frame
 * behind IPv4, 20 + 8 + 40 behind IPv6. A segment found before that is not quoted, and the
 * walk through the frame's layers that would tell is not needed: on Ethernet, 802.1Q and
 * Linux cooked captures without IP options, it never is. */
static bool may_be_quoted(size_t tcp_off, size_t addr_len)
{
    return tcp_off >= (addr_len == 16 ? 68u : 48u);
}

segment_read_status segment_read(tvbuff_t *frame_tvb, packet_info *pinfo, bool trust_ip_id,
                                 teardown_segment *out)
{
    uint32_t created_stream = stream_created_by_frame();
    if (pinfo->ptype != PT_TCP)
        return SEGMENT_NOT_TCP;
    const address *src = &pinfo->src, *dst = &pinfo->dst;
    if (src->type != dst->type || !(src->type == AT_IPv4 || src->type == AT_IPv6))
        return SEGMENT_UNREADABLE;
    td_wire_endpoints ep = {
        .src_addr = src->data, .dst_addr = dst->data, .addr_len = (size_t)src->len,
        .src_port = (uint16_t)pinfo->srcport, .dst_port = (uint16_t)pinfo->destport,
    };
    /* The pair hash is the sum of the endpoints' hashes; the source's also tells the two
     * endpoints apart where their ports are equal. */
    uint64_t src_hash = td_wire_endpoint_hash(ep.src_addr, ep.addr_len, ep.src_port);
    uint64_t pair = src_hash + td_wire_endpoint_hash(ep.dst_addr, ep.addr_len, ep.dst_port);

    tvbuff_t *tvb = frame_tvb;
    guint captured = tvb_captured_length(tvb);
    const uint8_t *bytes = tvb_get_ptr(tvb, 0, (gint)captured);
    size_t tcp_off;
    uint32_t segment_len;
    int32_t ip_id;
    bool found = td_wire_find_tcp(bytes, captured, &ep, ip_header_hint(src, bytes, captured),
                                  &tcp_off, &segment_len, &ip_id);
    /* Found this early, the last TCP layer is the only one: no other, nor an ICMP error,
     * fits before it. */
    bool only_tcp_layer = found && !may_be_quoted(tcp_off, ep.addr_len);
    if (!only_tcp_layer) {
        segment_read_status where = last_tcp_layer(pinfo);
        if (where != SEGMENT_READ_OK)
            return where;
    }
    if (!found) {
        tvb = reassembled_segment(pinfo, frame_tvb, &ep);
        if (!tvb)
            return unreadable(pair);
        captured = tvb_captured_length(tvb);
        bytes = tvb_get_ptr(tvb, 0, (gint)captured);
        tcp_off = 0;
        segment_len = tvb_reported_length(tvb);
        ip_id = -1;
    }

    td_segment *seg = &out->seg;
    const uint8_t *header = bytes + tcp_off;
    uint32_t header_len;
    if (!td_wire_parse_tcp(header, captured - tcp_off, &seg->tcp, &header_len,
                           &seg->options_digest) ||
        segment_len < header_len)
        return unreadable(pair);
    if (!stream_of(pinfo, pair, seg->tcp.flags, only_tcp_layer, created_stream, &out->stream))
        return SEGMENT_UNREADABLE;

    seg->tcp.len = segment_len - header_len;
    seg->frame = pinfo->num;
    seg->time_ns = (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    seg->ip_id = trust_ip_id ? ip_id : -1;
    seg->endpoint = 0;
    out->src_port = ep.src_port;
    out->dst_port = ep.dst_port;
    out->src_addr_hash = (uint32_t)(src_hash ^ src_hash >> 32);
    return SEGMENT_READ_OK;
}
