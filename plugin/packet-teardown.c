/* TCP Teardown Analysis: a postdissector that explains KB Q152474 resets.
 *
 * For each TCP segment of a frame it feeds the core's per-conversation detector on the
 * first pass, keeps a record for the frames with something to show, and renders on
 * every pass from that record and the conversation's landmarks. */
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/tap.h>

#include "conversation_table.h"
#include "detector.h"
#include "frame_index.h"
#include "frame_records.h"
#include "segment_reader.h"
#include "stream_cache.h"
#include "teardown_tap.h"
#include "ws_compat.h"

void proto_register_teardown(void);
void proto_reg_handoff_teardown(void);

static int proto_teardown = -1;
static int teardown_tap = -1;
static dissector_handle_t teardown_handle;

static int hf_fin_ack_frame = -1;
static int hf_peer_fin_frame = -1;
static int hf_provoked_by = -1;
static int hf_provoked_rst_frame = -1;
static int hf_peer_last_frame = -1;
static int hf_time_since_fin_ack = -1;
static int hf_sender_state = -1;
static int hf_receiver_state = -1;
static int hf_fixed_stack_sends = -1;
static int hf_response_bytes = -1;

static gint ett_teardown = -1;

static expert_field ei_spurious_ack = EI_INIT;
static expert_field ei_spurious_ack_harmless = EI_INIT;
static expert_field ei_provoked_rst = EI_INIT;
static expert_field ei_rst_after_close = EI_INIT;
static expert_field ei_fin_reack = EI_INIT;
static expert_field ei_capture_duplicate = EI_INIT;
static expert_field ei_half_close = EI_INIT;

/* An enum, not a bool: Wireshark reads any bool value but "TRUE" as FALSE, so a typo
 * would silently turn the test off; an enum refuses a word it does not know, with a
 * message. */
static const enum_val_t trust_ip_id_values[] = {
    { "TRUE", "Yes", 1 },
    { "FALSE", "No", 0 },
    { NULL, NULL, 0 }
};
static gint pref_trust_ip_id = 1;

static const value_string state_names[] = {
    { TD_STATE_ESTABLISHED, "ESTABLISHED" },
    { TD_STATE_FIN_WAIT_1, "FIN-WAIT-1" },
    { TD_STATE_FIN_WAIT_2, "FIN-WAIT-2" },
    { TD_STATE_CLOSING, "CLOSING" },
    { TD_STATE_TIME_WAIT, "TIME-WAIT" },
    { TD_STATE_CLOSE_WAIT, "CLOSE-WAIT" },
    { TD_STATE_LAST_ACK, "LAST-ACK" },
    { TD_STATE_CLOSED, "CLOSED" },
    { 0, NULL }
};

/* Verdict bit, its expert field, and the Info column prefix where it has one. */
typedef struct verdict_display {
    uint32_t bit;
    expert_field *ei;
    const char *info_prefix;
} verdict_display;

static const verdict_display verdict_displays[] = {
    { TD_V_SPURIOUS_ACK, &ei_spurious_ack, "[Spurious ACK after FIN] " },
    { TD_V_SPURIOUS_ACK_HARMLESS, &ei_spurious_ack_harmless, NULL },
    { TD_V_PROVOKED_RST, &ei_provoked_rst, "[RST provoked by spurious ACK] " },
    { TD_V_RST_AFTER_CLOSE, &ei_rst_after_close, NULL },
    { TD_V_FIN_REACK, &ei_fin_reack, NULL },
    { TD_V_CAPTURE_DUPLICATE, &ei_capture_duplicate, NULL },
    { TD_V_HALF_CLOSE, &ei_half_close, NULL },
};

static void teardown_init(void)
{
    conversation_table_reset();
    frame_index_reset();
    stream_cache_reset();
}

/* The endpoint that sent the conversation's first segment is 0. Ports tell the two
 * apart unless they are equal, and then the source address does. */
static uint8_t segment_dir(teardown_conversation *conv, const teardown_segment *ts)
{
    if (ts->src_port != ts->dst_port)
        return ts->src_port == conv->sender0_port ? 0 : 1;
    return ts->src_addr_hash == conv->sender0_addr ? 0 : 1;
}

/* Feeds the segment to the core; returns its record, if it has anything to keep. */
static const teardown_record *analyse(packet_info *pinfo, teardown_conversation *conv,
                                      const teardown_segment *ts, uint8_t dir)
{
    teardown_record *rec = NULL;
    td_segment seg = ts->seg;
    td_result res;

    seg.dir = dir;
    td_conv_feed(&conv->core, &seg, &res);

    uint32_t first_kinds = res.verdicts & ~(uint32_t)conv->kinds_seen;
    if (res.half_close_frame)
        first_kinds |= TD_V_HALF_CLOSE;
    conv->kinds_seen |= (uint8_t)first_kinds;

    if (res.verdicts || res.fixed == TD_FIXED_WITHHOLDS || first_kinds) {
        rec = frame_record_get(pinfo->num, ts->stream);
        rec->verdicts |= res.verdicts;
        rec->fixed = (uint8_t)res.fixed;
        rec->related_frame = res.related_frame;
        rec->response_bytes = res.response_bytes;
        rec->first_kinds = (uint8_t)first_kinds;
    }
    /* Forward marks on earlier frames: shown when those frames are rendered again. */
    if (res.half_close_frame)
        frame_record_get(res.half_close_frame, ts->stream)->verdicts |= TD_V_HALF_CLOSE;
    if ((res.verdicts & TD_V_PROVOKED_RST) && res.related_frame)
        frame_record_get(res.related_frame, ts->stream)->provoked_rst_frame = pinfo->num;
    return rec;
}

/* Expert infos (under item, or for the expert tap alone when item is NULL) and the Info
 * column prefixes. */
static void mark_verdicts(packet_info *pinfo, proto_item *item, const teardown_record *rec)
{
    for (size_t i = 0; i < G_N_ELEMENTS(verdict_displays); i++) {
        const verdict_display *d = &verdict_displays[i];
        if (!(rec->verdicts & d->bit))
            continue;
        expert_add_info(pinfo, item, d->ei);
        if (d->info_prefix)
            col_prepend_fstr(pinfo->cinfo, COL_INFO, "%s", d->info_prefix);
    }
}

static void add_frame(proto_tree *tree, int hf, tvbuff_t *tvb, uint32_t frame)
{
    if (frame)
        proto_item_set_generated(proto_tree_add_uint(tree, hf, tvb, 0, 0, frame));
}

static void render(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const td_view *view,
                   const teardown_record *rec)
{
    proto_item *top = proto_tree_add_item(tree, proto_teardown, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(top);
    proto_tree *st = proto_item_add_subtree(top, ett_teardown);

    proto_item_set_generated(proto_tree_add_uint(st, hf_sender_state, tvb, 0, 0, view->sender_state));
    proto_item_set_generated(
        proto_tree_add_uint(st, hf_receiver_state, tvb, 0, 0, view->receiver_state));
    add_frame(st, hf_peer_fin_frame, tvb, view->peer_fin_frame);
    if (view->fin_ack_frame) {
        nstime_t since;
        since.secs = (time_t)(view->time_since_fin_ack_ns / 1000000000);
        since.nsecs = (int)(view->time_since_fin_ack_ns % 1000000000);
        add_frame(st, hf_fin_ack_frame, tvb, view->fin_ack_frame);
        proto_item_set_generated(proto_tree_add_time(st, hf_time_since_fin_ack, tvb, 0, 0, &since));
        gboolean sends = !(rec && rec->fixed == TD_FIXED_WITHHOLDS);
        proto_item_set_generated(proto_tree_add_boolean(st, hf_fixed_stack_sends, tvb, 0, 0, sends));
    }
    if (!rec)
        return;
    if (rec->verdicts & TD_V_PROVOKED_RST) {
        add_frame(st, hf_provoked_by, tvb, rec->related_frame);
        proto_item_set_generated(
            proto_tree_add_uint(st, hf_response_bytes, tvb, 0, 0, rec->response_bytes));
    }
    if (rec->verdicts & TD_V_RST_AFTER_CLOSE)
        add_frame(st, hf_peer_last_frame, tvb, rec->related_frame);
    add_frame(st, hf_provoked_rst_frame, tvb, rec->provoked_rst_frame);

    mark_verdicts(pinfo, top, rec);
}

static void tap_segment(packet_info *pinfo, const teardown_conversation *conv,
                        const teardown_record *rec)
{
    bool first = conv->first_frame == pinfo->num;
    if (!first && !rec)
        return;
    teardown_tap_info *info = wmem_new0(pinfo->pool, teardown_tap_info);
    info->first_segment = first;
    if (rec) {
        info->verdicts = rec->verdicts;
        info->first_kinds = rec->first_kinds;
    }
    tap_queue_packet(teardown_tap, pinfo, info);
}

/* Renders and taps one segment, the same on every pass. The fields are built only where
 * someone will read them: a visible tree, or a filter, column or tap that names one of
 * them. Otherwise the verdicts still reach the expert tap and the Info column. */
static void show_segment(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                         const teardown_conversation *conv, uint8_t dir,
                         const teardown_record *rec)
{
    if (tree && proto_field_is_referenced(tree, proto_teardown)) {
        int64_t now_ns = (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
        td_view view;
        td_conv_view(&conv->core, dir, pinfo->num, now_ns, &view);
        if (view.in_teardown || rec)
            render(tvb, pinfo, tree, &view, rec);
    } else if (rec) {
        mark_verdicts(pinfo, NULL, rec);
    }
    tap_segment(pinfo, conv, rec);
}

/* Both passes return whether they showed anything: a postdissector that returns 0 is not
 * listed among the frame's protocols (frame.protocols), which tshark then builds with one
 * layer less. */
static bool first_pass(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    teardown_segment ts;
    if (segment_read(tvb, pinfo, pref_trust_ip_id != 0, &ts) != SEGMENT_READ_OK)
        return false;
    teardown_conversation *conv = conversation_table_get(ts.stream);
    if (!conv)
        return false;
    if (!conv->first_frame) {
        conv->first_frame = pinfo->num;
        conv->sender0_port = ts.src_port;
        conv->sender1_port = ts.dst_port;
        conv->sender0_addr = ts.src_addr_hash;
    }
    uint8_t dir = segment_dir(conv, &ts);
    const teardown_record *rec = analyse(pinfo, conv, &ts, dir);
    /* Segments before the teardown show nothing and are not indexed, except the first,
     * which the statistics count. */
    if (!(rec || conv->first_frame == pinfo->num || td_conv_in_teardown(&conv->core, pinfo->num)))
        return false;
    show_segment(tvb, pinfo, tree, conv, dir, rec);
    frame_index_add(pinfo->num, ts.stream, dir);
    return true;
}

/* Later passes (tshark -2, the GUI) look nothing up again: the index says which
 * segments the first pass found in this frame. */
static bool later_pass(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    size_t count = 0;
    const frame_index_entry *entries = frame_index_find(pinfo->num, &count);
    for (size_t i = 0; i < count; i++) {
        const teardown_conversation *conv = conversation_table_find(entries[i].stream);
        if (conv)
            show_segment(tvb, pinfo, tree, conv, entries[i].dir,
                         frame_record_find(pinfo->num, entries[i].stream));
    }
    return count > 0;
}

static int dissect_teardown(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    bool shown = PINFO_FD_VISITED(pinfo) ? later_pass(tvb, pinfo, tree)
                                         : first_pass(tvb, pinfo, tree);
    return shown ? (int)tvb_captured_length(tvb) : 0;
}

void proto_register_teardown(void)
{
    static hf_register_info hf[] = {
        { &hf_fin_ack_frame,
          { "ACK of peer's FIN in frame", "teardown.fin_ack_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_ACK), 0x0,
            "Where this endpoint first acknowledged the peer's FIN", HFILL } },
        { &hf_peer_fin_frame,
          { "Peer's FIN in frame", "teardown.peer_fin_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The peer's first FIN", HFILL } },
        { &hf_provoked_by,
          { "Provoked by frame", "teardown.provoked_by", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "On a RST: the spurious ACK that provoked it", HFILL } },
        { &hf_provoked_rst_frame,
          { "Provoked RST in frame", "teardown.provoked_rst_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "On a spurious ACK: the RST it provoked (needs two passes)", HFILL } },
        { &hf_peer_last_frame,
          { "Peer's last segment in frame", "teardown.peer_last_frame", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0, "On a RST after an orderly close: the closing-first endpoint's last segment",
            HFILL } },
        { &hf_time_since_fin_ack,
          { "Time since ACK of peer's FIN", "teardown.time_since_fin_ack", FT_RELATIVE_TIME,
            BASE_NONE, NULL, 0x0, "From teardown.fin_ack_frame to this segment", HFILL } },
        { &hf_sender_state,
          { "Sender state", "teardown.sender_state", FT_UINT8, BASE_DEC, VALS(state_names), 0x0,
            "Inferred RFC 9293 state of the sender after this segment", HFILL } },
        { &hf_receiver_state,
          { "Receiver state", "teardown.receiver_state", FT_UINT8, BASE_DEC, VALS(state_names),
            0x0, "Inferred RFC 9293 state of the receiver after this segment", HFILL } },
        { &hf_fixed_stack_sends,
          { "A fixed stack sends this", "teardown.fixed_stack_sends", FT_BOOLEAN, BASE_NONE, NULL,
            0x0, "Would a stack with the Q152474 fix have sent this segment", HFILL } },
        { &hf_response_bytes,
          { "Response bytes at risk", "teardown.response_bytes", FT_UINT32, BASE_DEC, NULL, 0x0,
            "On a provoked RST: payload bytes the peer sent after the first FIN", HFILL } },
    };
    static gint *ett[] = { &ett_teardown };
    static ei_register_info ei[] = {
        { &ei_spurious_ack,
          { "teardown.spurious_ack", PI_SEQUENCE, PI_WARN,
            "Spurious ACK after FIN: the peer has closed and will answer with RST (KB Q152474)",
            EXPFILL } },
        { &ei_spurious_ack_harmless,
          { "teardown.spurious_ack.harmless", PI_SEQUENCE, PI_NOTE,
            "Spurious ACK after a simultaneous close: the peer is in CLOSING or TIME-WAIT and absorbs it",
            EXPFILL } },
        { &ei_provoked_rst,
          { "teardown.provoked_rst", PI_SEQUENCE, PI_WARN,
            "RST provoked by a spurious ACK after FIN (KB Q152474): the peer's application may lose unread data",
            EXPFILL } },
        { &ei_rst_after_close,
          { "teardown.rst_after_close", PI_SEQUENCE, PI_NOTE,
            "RST after an orderly close, not explained by a spurious ACK", EXPFILL } },
        { &ei_fin_reack,
          { "teardown.fin_reack", PI_SEQUENCE, PI_CHAT,
            "ACK of a retransmitted FIN (legitimate)", EXPFILL } },
        { &ei_capture_duplicate,
          { "teardown.capture_duplicate", PI_SEQUENCE, PI_CHAT,
            "The capture saw this segment twice; not a segment of its own", EXPFILL } },
        { &ei_half_close,
          { "teardown.half_close", PI_SEQUENCE, PI_CHAT,
            "Early half-close: the peer kept sending after this FIN", EXPFILL } },
    };

    proto_teardown = proto_register_protocol("TCP Teardown Analysis", "TEARDOWN", "teardown");
    proto_register_field_array(proto_teardown, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert_register_protocol(proto_teardown), ei, array_length(ei));

    module_t *module = prefs_register_protocol(proto_teardown, NULL);
    prefs_register_enum_preference(
        module, "ip_id_duplicates", "Same IPv4 ID marks a capture duplicate",
        "A copy of an endpoint's previous segment with the same non-zero IPv4 ID is the same "
        "packet captured twice (TRUE). Set FALSE where a stack reuses IDs; copies are then "
        "recognised only once the capture has shown an earlier pair less than 1 ms apart.",
        &pref_trust_ip_id, trust_ip_id_values, FALSE);

    teardown_handle = register_dissector("teardown", dissect_teardown, proto_teardown);
    register_postdissector(teardown_handle);
    register_init_routine(teardown_init);
    register_cleanup_routine(teardown_init);
    frame_records_register();
    teardown_tap = register_tap(TEARDOWN_TAP_NAME);
}

void proto_reg_handoff_teardown(void)
{
    segment_reader_init();
}
