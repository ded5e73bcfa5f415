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

static uint32_t address_hash(const address *a)
{
    uint32_t h = 0x811c9dc5u;
    const uint8_t *p = (const uint8_t *)a->data;
    for (int i = 0; p && i < a->len; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
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

/* TCP's own stream number for the segment: cached by address and port pair, asked of
 * Wireshark's conversation table on a miss and on every SYN (where TCP may have started
 * a new stream on a reused pair). */
static bool stream_of(packet_info *pinfo, const td_wire_endpoints *ep, uint8_t flags,
                      uint32_t *stream)
{
    uint64_t pair = td_wire_pair_hash(ep);
    if (!(flags & TD_SYN) && stream_cache_find(pair, stream))
        return true;
    conversation_t *conv = find_conversation_pinfo(pinfo, 0);
    struct tcp_analysis *tcpd = conv ? conversation_get_proto_data(conv, proto_tcp) : NULL;
    if (!tcpd)
        return false;
    *stream = tcpd->stream;
    stream_cache_put(pair, *stream);
    return true;
}

segment_read_status segment_read(tvbuff_t *frame_tvb, packet_info *pinfo, bool trust_ip_id,
                                 teardown_segment *out)
{
    if (pinfo->ptype != PT_TCP)
        return SEGMENT_NOT_TCP;
    segment_read_status where = last_tcp_layer(pinfo);
    if (where != SEGMENT_READ_OK)
        return where;

    const address *src = &pinfo->src, *dst = &pinfo->dst;
    if (src->type != dst->type || !(src->type == AT_IPv4 || src->type == AT_IPv6))
        return SEGMENT_UNREADABLE;
    td_wire_endpoints ep = {
        .src_addr = src->data, .dst_addr = dst->data, .addr_len = (size_t)src->len,
        .src_port = (uint16_t)pinfo->srcport, .dst_port = (uint16_t)pinfo->destport,
    };
    tvbuff_t *tvb = frame_tvb;
    size_t tcp_off;
    uint32_t segment_len;
    int32_t ip_id;
    guint captured = tvb_captured_length(tvb);
    const uint8_t *bytes = tvb_get_ptr(tvb, 0, (gint)captured);
    if (!td_wire_find_tcp(bytes, captured, &ep, &tcp_off, &segment_len, &ip_id)) {
        tvb = reassembled_segment(pinfo, frame_tvb, &ep);
        if (!tvb)
            return SEGMENT_UNREADABLE;
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
        return SEGMENT_UNREADABLE;
    if (!stream_of(pinfo, &ep, seg->tcp.flags, &out->stream))
        return SEGMENT_UNREADABLE;

    seg->tcp.len = segment_len - header_len;
    seg->frame = pinfo->num;
    seg->time_ns = (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    seg->ip_id = trust_ip_id ? ip_id : -1;
    seg->endpoint = 0;
    out->src_port = ep.src_port;
    out->dst_port = ep.dst_port;
    out->src_addr_hash = address_hash(src);
    return SEGMENT_READ_OK;
}
