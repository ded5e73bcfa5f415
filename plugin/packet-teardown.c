/* TCP Teardown Analysis: a postdissector that explains resets at the end of TCP
 * connections (KB Q152474, and every other cause of a RST).
 *
 * The first pass reads each TCP segment of a frame, feeds it to the core's detector and
 * keeps what the frame shows in the frame store; every pass renders from that store and
 * the conversation's landmarks. The glue reads, feeds, stores and renders: every decision
 * is the core's. */
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/tap.h>

#include "conversation_table.h"
#include "detector.h"
#include "frame_store.h"
#include "segment_reader.h"
#include "stream_cache.h"
#include "teardown_prefs.h"
#include "teardown_tap.h"
#include "verdicts.h"
#include "ws_compat.h"

void proto_register_teardown(void);
void proto_reg_handoff_teardown(void);

static int proto_teardown = -1;
/* pinfo->current_proto while the postdissector runs: teardown's, "TEARDOWN". */
static const char *teardown_short_name;
static int teardown_tap = -1;
static int expert_tap = -1;
static dissector_handle_t teardown_handle;

static int hf_teardown_fin_ack_frame = -1;
static int hf_teardown_peer_fin_frame = -1;
static int hf_teardown_provoked_by = -1;
static int hf_teardown_provoked_rst_frame = -1;
static int hf_teardown_peer_last_frame = -1;
static int hf_teardown_time_since_fin_ack = -1;
static int hf_teardown_sender_state = -1;
static int hf_teardown_receiver_state = -1;
static int hf_teardown_fixed_stack_sends = -1;
static int hf_teardown_response_bytes = -1;
static int hf_teardown_rst_cause = -1;
static int hf_teardown_rst_answers = -1;
static int hf_teardown_lost_bytes = -1;

static gint ett_teardown = -1;

/* One expert field per verdict, in catalogue order. */
static expert_field ei_teardown[TD_VERDICT_COUNT];

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

/* Filled from the catalogue at registration; ends with the { 0, NULL } Wireshark needs. */
static value_string rst_cause_names[TD_RST_CAUSE_COUNT + 1];

static void teardown_init(void)
{
    /* Wireshark registers its expert tap after the handoffs: look it up per file. */
    expert_tap = find_tap_id("expert");
    conversation_table_reset();
    frame_store_reset();
    stream_cache_reset();
    segment_reader_reset();
}

/* Expert infos (under item, or for the expert tap alone when item is NULL) and the Info
 * column prefixes. An expert info costs about 1,300 instructions even with no tree: it is
 * built only where a tree item or the expert tap (-z expert, the GUI's dialog) shows it. */
static void mark_verdicts(packet_info *pinfo, proto_item *item, uint32_t verdicts)
{
    bool expert = item || have_tap_listener(expert_tap);
    for (unsigned i = 0; i < TD_VERDICT_COUNT; i++) {
        const td_verdict_info *v = &td_verdict_table[i];
        if (!(verdicts & v->bit))
            continue;
        if (expert)
            expert_add_info(pinfo, item, &ei_teardown[i]);
        if (v->info_prefix)
            col_prepend_fstr(pinfo->cinfo, COL_INFO, "%s", v->info_prefix);
    }
}

static void add_generated_uint(proto_tree *tree, int hf, tvbuff_t *tvb, uint32_t value)
{
    proto_item_set_generated(proto_tree_add_uint(tree, hf, tvb, 0, 0, value));
}

static void add_frame(proto_tree *tree, int hf, tvbuff_t *tvb, uint32_t frame)
{
    if (frame)
        add_generated_uint(tree, hf, tvb, frame);
}

/* Does the segment show more than the conversation's landmarks give? */
static bool entry_has_verdicts(const frame_entry *entry)
{
    return entry->verdicts || entry->rst_cause != TD_RST_CAUSE_NONE;
}

static void render(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const td_view *view,
                   const frame_entry *entry)
{
    proto_item *top = proto_tree_add_item(tree, proto_teardown, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(top);
    proto_tree *st = proto_item_add_subtree(top, ett_teardown);

    add_generated_uint(st, hf_teardown_sender_state, tvb, view->sender_state);
    add_generated_uint(st, hf_teardown_receiver_state, tvb, view->receiver_state);
    add_frame(st, hf_teardown_peer_fin_frame, tvb, view->peer_fin_frame);
    if (view->fin_ack_frame) {
        nstime_t since;
        since.secs = (time_t)(view->time_since_fin_ack_ns / 1000000000);
        since.nsecs = (int)(view->time_since_fin_ack_ns % 1000000000);
        add_frame(st, hf_teardown_fin_ack_frame, tvb, view->fin_ack_frame);
        proto_item_set_generated(
            proto_tree_add_time(st, hf_teardown_time_since_fin_ack, tvb, 0, 0, &since));
    }
    if (entry->fixed_sender != TD_FIXED_SENDER_NOT_ASKED)
        proto_item_set_generated(proto_tree_add_boolean(
            st, hf_teardown_fixed_stack_sends, tvb, 0, 0,
            entry->fixed_sender == TD_FIXED_SENDER_SENDS));
    if (entry->rst_cause != TD_RST_CAUSE_NONE)
        add_generated_uint(st, hf_teardown_rst_cause, tvb, entry->rst_cause);
    const frame_numbers *numbers = frame_store_numbers_of(entry);
    if (numbers) {
        add_frame(st, hf_teardown_rst_answers, tvb, numbers->rst_answers);
        if (entry->rst_cause == TD_RST_CAUSE_DATA_AFTER_CLOSE)
            add_generated_uint(st, hf_teardown_lost_bytes, tvb, numbers->lost_bytes);
        if (entry->verdicts & TD_V_PROVOKED_RST) {
            add_frame(st, hf_teardown_provoked_by, tvb, numbers->related_frame);
            add_generated_uint(st, hf_teardown_response_bytes, tvb, numbers->response_bytes);
        }
        if (entry->verdicts & TD_V_RST_AFTER_CLOSE)
            add_frame(st, hf_teardown_peer_last_frame, tvb, numbers->related_frame);
        add_frame(st, hf_teardown_provoked_rst_frame, tvb, numbers->provoked_rst_frame);
    }
    if (entry->verdicts)
        mark_verdicts(pinfo, top, entry->verdicts);
}

static void tap_segment(packet_info *pinfo, const frame_entry *entry)
{
    if ((!entry->first_segment && !entry->counted) || !have_tap_listener(teardown_tap))
        return;
    teardown_tap_info *info = wmem_new0(pinfo->pool, teardown_tap_info);
    info->first_segment = entry->first_segment;
    info->rst_cause = entry->rst_cause;
    info->counted = entry->counted;
    info->first_kinds = entry->first_kinds;
    tap_queue_packet(teardown_tap, pinfo, info);
}

/* Renders and taps one segment, the same on every pass. The fields are built only where
 * someone will read them: a visible tree, or a filter, column or tap that names one of
 * them. Otherwise the verdicts still reach the expert tap and the Info column. */
static void show_segment(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const frame_entry *entry)
{
    bool rendered = tree && proto_field_is_referenced(tree, proto_teardown);
    if (!rendered) {
        /* Most segments of a teardown, when nobody looks at the fields, end here. */
        if (entry->verdicts)
            mark_verdicts(pinfo, NULL, entry->verdicts);
        tap_segment(pinfo, entry);
        return;
    }
    const td_conv *conv = conversation_table_find(entry->stream);
    if (!conv)
        return;
    int64_t now_ns = (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    td_view view;
    td_conv_view(conv, entry->endpoint, pinfo->num, now_ns, &view);
    if (view.in_teardown || entry_has_verdicts(entry))
        render(tvb, pinfo, tree, &view, entry);
    tap_segment(pinfo, entry);
}

/* Keeps what the frame shows in *entry, and the marks it leaves on earlier frames.
 * Returns false when the segment shows nothing or memory was refused. */
static bool store_outcome(uint32_t frame, uint32_t stream, uint8_t endpoint, const td_conv *conv,
                          const td_outcome *out, frame_entry *entry)
{
    if (!frame_entry_of_outcome(out, td_conv_in_teardown(conv, frame), frame, stream, endpoint,
                                entry))
        return false;
    frame_numbers *n;
    if (outcome_has_numbers(out) && (n = frame_store_new_numbers(&entry->numbers))) {
        n->related_frame = out->related_frame;
        n->rst_answers = out->rst_answers;
        n->response_bytes = out->response_bytes;
        n->lost_bytes = out->lost_bytes;
    }
    if (!frame_store_add(entry))
        return false;
    frame_entry *marked;
    if (out->half_close_frame && (marked = frame_store_entry_of(out->half_close_frame, stream)))
        marked->verdicts |= TD_V_HALF_CLOSE;
    if (out->provoked_by_frame && (marked = frame_store_entry_of(out->provoked_by_frame, stream)) &&
        (n = frame_store_attach_numbers(marked)))
        n->provoked_rst_frame = frame;
    return true;
}

/* Shows the segment the first pass kept for this frame. Returns whether there was one. */
static bool show_frame(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    frame_entry entry;
    if (!frame_store_find(pinfo->num, &entry))
        return false;
    show_segment(tvb, pinfo, tree, &entry);
    return true;
}

/* Both passes return whether they showed anything. */
static bool first_pass(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    teardown_segment ts;
    if (segment_read(tvb, pinfo, teardown_prefs_trust_ip_id(), &ts) != SEGMENT_READ_OK)
        return false;
    td_conv *conv = conversation_table_get(ts.stream);
    if (!conv)
        return false;
    td_segment seg = ts.seg;
    seg.endpoint = td_conv_endpoint(conv, ts.src_port, ts.dst_port, ts.src_addr_hash);
    td_outcome out;
    td_conv_feed(conv, &seg, &out);
    frame_entry entry;
    if (!store_outcome(pinfo->num, ts.stream, seg.endpoint, conv, &out, &entry))
        return false;
    show_segment(tvb, pinfo, tree, &entry);
    return true;
}

static int dissect_teardown(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    /* Names the protocol of the expert infos (-z expert, the GUI's dialog) and of any
     * exception: Wireshark sets it only for a handle's own protocol, not a helper's. */
    pinfo->current_proto = teardown_short_name;
    bool shown = PINFO_FD_VISITED(pinfo) ? show_frame(tvb, pinfo, tree)
                                         : first_pass(tvb, pinfo, tree);
    return shown ? (int)tvb_captured_length(tvb) : 0;
}

/* The expert fields, from the catalogue: the summary is the verdict's constant text. */
static void register_expert_fields(void)
{
    static const ei_register_info template_entry = {
        NULL, { NULL, PI_SEQUENCE, PI_NOTE, NULL, EXPFILL }
    };
    static ei_register_info ei[TD_VERDICT_COUNT];
    static const int severities[] = {
        [TD_SEVERITY_CHAT] = PI_CHAT,
        [TD_SEVERITY_NOTE] = PI_NOTE,
        [TD_SEVERITY_WARN] = PI_WARN,
    };

    for (unsigned i = 0; i < TD_VERDICT_COUNT; i++) {
        const td_verdict_info *v = &td_verdict_table[i];
        ei_teardown[i] = (expert_field)EI_INIT;
        ei[i] = template_entry;
        ei[i].ids = &ei_teardown[i];
        ei[i].eiinfo.name = g_strconcat("teardown.", v->name, NULL);
        ei[i].eiinfo.severity = severities[v->severity];
        ei[i].eiinfo.summary = v->summary;
    }
    expert_register_field_array(expert_register_protocol(proto_teardown), ei, TD_VERDICT_COUNT);
}

/* The postdissector's handle names a helper protocol of teardown ("in name only") rather
 * than teardown itself. For its own protocol, Wireshark adds a layer to every frame it is
 * called on (pinfo->layers, and a count per protocol kept in a hash map), and removes it
 * where the call shows nothing: with the allocations, about 330 instructions a frame, a
 * quarter of all the plugin cost with no tree. A helper gets no layer; teardown, its
 * parent, still decides whether it runs (Enabled Protocols, --disable-protocol teardown).
 * What changes for users: frame.protocols does not list teardown; filters are as before. */
static void register_postdissector_handle(void)
{
    int helper = proto_register_protocol_in_name_only(
        "TCP Teardown Analysis (postdissector)", "TEARDOWN", "teardown.postdissector",
        proto_teardown, FT_PROTOCOL);
    teardown_short_name = proto_get_protocol_short_name(find_protocol_by_id(proto_teardown));
    teardown_handle = register_dissector("teardown", dissect_teardown, helper);
    register_postdissector(teardown_handle);
}

void proto_register_teardown(void)
{
    static hf_register_info hf[] = {
        { &hf_teardown_fin_ack_frame,
          { "ACK of peer's FIN in frame", "teardown.fin_ack_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_ACK), 0x0,
            "Where this endpoint first acknowledged the peer's FIN", HFILL } },
        { &hf_teardown_peer_fin_frame,
          { "Peer's FIN in frame", "teardown.peer_fin_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The peer's first FIN", HFILL } },
        { &hf_teardown_provoked_by,
          { "Provoked by frame", "teardown.provoked_by", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "On a RST provoked by a spurious ACK (KB Q152474): that ACK. The peer had closed "
            "and acknowledged the FIN once already; the second ACK found no connection",
            HFILL } },
        { &hf_teardown_provoked_rst_frame,
          { "Provoked RST in frame", "teardown.provoked_rst_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "On a spurious ACK: the RST it provoked (needs two passes)", HFILL } },
        { &hf_teardown_peer_last_frame,
          { "Peer's last segment in frame", "teardown.peer_last_frame", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0, "On a RST after an orderly close: the closing-first endpoint's last segment",
            HFILL } },
        { &hf_teardown_time_since_fin_ack,
          { "Time since ACK of peer's FIN", "teardown.time_since_fin_ack", FT_RELATIVE_TIME,
            BASE_NONE, NULL, 0x0, "From teardown.fin_ack_frame to this segment", HFILL } },
        { &hf_teardown_sender_state,
          { "Sender state", "teardown.sender_state", FT_UINT8, BASE_DEC, VALS(state_names), 0x0,
            "Inferred RFC 9293 state of the sender after this segment", HFILL } },
        { &hf_teardown_receiver_state,
          { "Receiver state", "teardown.receiver_state", FT_UINT8, BASE_DEC, VALS(state_names),
            0x0, "Inferred RFC 9293 state of the receiver after this segment", HFILL } },
        { &hf_teardown_fixed_stack_sends,
          { "A fixed stack sends this", "teardown.fixed_stack_sends", FT_BOOLEAN, BASE_NONE, NULL,
            0x0, "On a pure ACK from an endpoint that has acknowledged its peer's FIN: would a "
            "stack with the KB Q152474 fix have sent it (False on a spurious ACK)", HFILL } },
        { &hf_teardown_response_bytes,
          { "Response bytes at risk", "teardown.response_bytes", FT_UINT32, BASE_DEC, NULL, 0x0,
            "On a provoked RST: unique payload bytes the resetting endpoint sent after its "
            "peer's FIN; the peer's application may lose those it had not read", HFILL } },
        { &hf_teardown_rst_cause,
          { "RST cause", "teardown.rst_cause", FT_UINT8, BASE_DEC, VALS(rst_cause_names), 0x0,
            "On every RST: why it was sent (1 spurious ACK, 2 data after close, 3 abort, "
            "4 no connection, 5 refused, 6 retransmission timeout, 7 unexplained)", HFILL } },
        { &hf_teardown_rst_answers,
          { "RST answers frame", "teardown.rst_answers", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "On a RST: the peer's segment it answers (the SYN, the spurious ACK, the data "
            "after close, the segment that found no connection, else the peer's last)", HFILL } },
        { &hf_teardown_lost_bytes,
          { "Bytes lost", "teardown.lost_bytes", FT_UINT32, BASE_DEC, NULL, 0x0,
            "On a RST for data after close: unique payload bytes the peer sent after this "
            "endpoint's FIN, which its application never read", HFILL } },
    };
    static gint *ett[] = { &ett_teardown };

    for (unsigned i = 0; i < TD_RST_CAUSE_COUNT; i++) {
        rst_cause_names[i].value = td_rst_cause_table[i].code;
        rst_cause_names[i].strptr = td_rst_cause_table[i].name;
    }

    proto_teardown = proto_register_protocol("TCP Teardown Analysis", "TEARDOWN", "teardown");
    proto_register_field_array(proto_teardown, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    register_expert_fields();
    teardown_prefs_register(proto_teardown);

    register_postdissector_handle();
    register_init_routine(teardown_init);
    register_cleanup_routine(teardown_init);
    teardown_tap = register_tap(TEARDOWN_TAP_NAME);
}

void proto_reg_handoff_teardown(void)
{
    segment_reader_init();
}
