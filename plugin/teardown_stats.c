/* The statistics tree: conversations, and how many of them and of their segments got
 * each verdict. */
#include <epan/stats_tree.h>

#include "detector.h"
#include "teardown_tap.h"

typedef struct verdict_labels {
    uint32_t bit;
    const char *conversations; /* label under "Conversations" */
    const char *segments;      /* label under "Segments" */
} verdict_labels;

static const verdict_labels labels[] = {
    { TD_V_SPURIOUS_ACK, "with a spurious ACK after FIN", "Spurious ACK after FIN" },
    { TD_V_PROVOKED_RST, "reset by a spurious ACK (Q152474)", "RST provoked by spurious ACK" },
    { TD_V_SPURIOUS_ACK_HARMLESS, "with a harmless spurious ACK", "Harmless spurious ACK" },
    { TD_V_RST_AFTER_CLOSE, "with a RST after orderly close", "RST after orderly close" },
    { TD_V_FIN_REACK, "with an ACK of a retransmitted FIN", "ACK of retransmitted FIN" },
    { TD_V_HALF_CLOSE, "with an early half-close", "Early half-close" },
    { TD_V_CAPTURE_DUPLICATE, "with capture duplicates", "Capture duplicate" },
};

static const char conversations_node[] = "Conversations";
static const char segments_node[] = "Segments with a verdict";
static int conversations_id;
static int segments_id;

static void stats_init(stats_tree *st)
{
    conversations_id = stats_tree_create_node(st, conversations_node, 0, STAT_DT_INT, TRUE);
    segments_id = stats_tree_create_node(st, segments_node, 0, STAT_DT_INT, TRUE);
    for (size_t i = 0; i < G_N_ELEMENTS(labels); i++) {
        stats_tree_create_node(st, labels[i].conversations, conversations_id, STAT_DT_INT, FALSE);
        stats_tree_create_node(st, labels[i].segments, segments_id, STAT_DT_INT, FALSE);
    }
}

static tap_packet_status stats_packet(stats_tree *st, packet_info *pinfo _U_,
                                      epan_dissect_t *edt _U_, const void *data,
                                      tap_flags_t flags _U_)
{
    const teardown_tap_info *info = (const teardown_tap_info *)data;
    if (info->first_segment)
        tick_stat_node(st, conversations_node, 0, TRUE);
    /* The half-close is counted where it became known, so that one pass and two agree. */
    uint32_t segment_verdicts =
        (info->verdicts & ~(uint32_t)TD_V_HALF_CLOSE) | (info->first_kinds & TD_V_HALF_CLOSE);
    if (segment_verdicts)
        tick_stat_node(st, segments_node, 0, TRUE);
    for (size_t i = 0; i < G_N_ELEMENTS(labels); i++) {
        if (info->first_kinds & labels[i].bit)
            tick_stat_node(st, labels[i].conversations, conversations_id, FALSE);
        if (segment_verdicts & labels[i].bit)
            tick_stat_node(st, labels[i].segments, segments_id, FALSE);
    }
    return TAP_PACKET_REDRAW;
}

void teardown_stats_register(void)
{
    stats_tree_register_plugin(TEARDOWN_TAP_NAME, "teardown", "TCP Teardown Analysis", 0,
                               stats_packet, stats_init, NULL);
}
