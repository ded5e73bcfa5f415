#include "segment_reader.h"

#include <epan/address.h>
#include <epan/tvbuff.h>

#include "tcp_wire.h"
#include "ws_compat.h"

static int proto_tcp = -1;
static int proto_icmp = -1;
static int proto_icmpv6 = -1;

void segment_reader_init(void)
{
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
}

/* Is the n-th TCP layer of this frame inside an ICMP error? The quoted header carries
 * the real tcp.stream but is not a segment of it. */
static bool tcp_layer_is_quoted(packet_info *pinfo, int tcp_layer)
{
    bool in_icmp = false;
    int seen = 0;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
        int proto = GPOINTER_TO_INT(wmem_list_frame_data(f));
        if (proto == proto_icmp || proto == proto_icmpv6)
            in_icmp = true;
        else if (proto == proto_tcp && ++seen == tcp_layer)
            return in_icmp;
    }
    return in_icmp;
}

static uint32_t address_hash(const address *a)
{
    uint32_t h = 0x811c9dc5u;
    const uint8_t *p = (const uint8_t *)a->data;
    for (int i = 0; p && i < a->len; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

segment_read_status segment_read(packet_info *pinfo, field_info *stream_field,
                                 bool trust_ip_id, teardown_segment *out)
{
    if (tcp_layer_is_quoted(pinfo, stream_field->proto_layer_num))
        return SEGMENT_QUOTED;

    tvbuff_t *ds = stream_field->ds_tvb;
    int tcp_off = stream_field->start;
    if (!ds || tcp_off < 0)
        return SEGMENT_UNREADABLE;
    guint captured = tvb_captured_length(ds);
    if ((guint)tcp_off > captured)
        return SEGMENT_UNREADABLE;
    const uint8_t *bytes = tvb_get_ptr(ds, 0, (gint)captured);

    td_segment *seg = &out->seg;
    uint32_t header_len;
    if (!td_wire_parse_tcp(bytes + tcp_off, captured - (guint)tcp_off, &seg->tcp, &header_len,
                           &seg->options_digest))
        return SEGMENT_UNREADABLE;

    uint32_t segment_len;
    int32_t ip_id;
    if (!td_wire_ip_before(bytes, captured, (size_t)tcp_off, &segment_len, &ip_id)) {
        /* A reassembled IP datagram is a data source of its own that starts with TCP. */
        if (tcp_off != 0)
            return SEGMENT_UNREADABLE;
        segment_len = tvb_reported_length(ds);
        ip_id = -1;
    }
    if (segment_len < header_len)
        return SEGMENT_UNREADABLE;

    seg->tcp.len = segment_len - header_len;
    seg->frame = pinfo->num;
    seg->time_ns = (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    seg->ip_id = trust_ip_id ? ip_id : -1;
    seg->dir = 0;
    out->stream = teardown_field_uint(stream_field);
    out->src_port = (uint16_t)(bytes[tcp_off] << 8 | bytes[tcp_off + 1]);
    out->dst_port = (uint16_t)(bytes[tcp_off + 2] << 8 | bytes[tcp_off + 3]);
    out->src_addr_hash = address_hash(&pinfo->src);
    return SEGMENT_READ_OK;
}
