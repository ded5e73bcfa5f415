/* The statistics tree: conversations, how many of them and of their segments got each
 * verdict, and the RSTs by cause. Labels come from the verdict catalogue. */
#include <epan/stats_tree.h>

#include "teardown_tap.h"
#include "verdicts.h"

static const char conversations_node[] = "Conversations";
static const char segments_node[] = "Segments with a verdict";
static const char causes_node[] = "RSTs by cause";
static int conversations_id;
static int segments_id;
static int causes_id;

static void stats_init(stats_tree *st)
{
    conversations_id = stats_tree_create_node(st, conversations_node, 0, STAT_DT_INT, TRUE);
    segments_id = stats_tree_create_node(st, segments_node, 0, STAT_DT_INT, TRUE);
    causes_id = stats_tree_create_node(st, causes_node, 0, STAT_DT_INT, TRUE);
    for (unsigned i = 0; i < TD_VERDICT_COUNT; i++) {
        stats_tree_create_node(st, td_verdict_table[i].conversations_label, conversations_id,
                               STAT_DT_INT, FALSE);
        stats_tree_create_node(st, td_verdict_table[i].segments_label, segments_id, STAT_DT_INT,
                               FALSE);
    }
    for (unsigned i = 0; i < TD_RST_CAUSE_COUNT; i++)
        stats_tree_create_node(st, td_rst_cause_table[i].label, causes_id, STAT_DT_INT, FALSE);
}

static tap_packet_status stats_packet(stats_tree *st, packet_info *pinfo _U_,
                                      epan_dissect_t *edt _U_, const void *data,
                                      tap_flags_t flags _U_)
{
    const teardown_tap_info *info = (const teardown_tap_info *)data;
    if (info->first_segment)
        tick_stat_node(st, conversations_node, 0, TRUE);
    if (info->counted)
        tick_stat_node(st, segments_node, 0, TRUE);
    for (unsigned i = 0; i < TD_VERDICT_COUNT; i++) {
        const td_verdict_info *v = &td_verdict_table[i];
        if (info->first_kinds & v->bit)
            tick_stat_node(st, v->conversations_label, conversations_id, FALSE);
        if (info->counted & v->bit)
            tick_stat_node(st, v->segments_label, segments_id, FALSE);
    }
    const td_rst_cause_info *cause = td_rst_cause_lookup(info->rst_cause);
    if (cause) {
        tick_stat_node(st, causes_node, 0, TRUE);
        tick_stat_node(st, cause->label, causes_id, FALSE);
    }
    return TAP_PACKET_REDRAW;
}

void teardown_stats_register(void)
{
    stats_tree_register_plugin(TEARDOWN_TAP_NAME, "teardown", "TCP Teardown Analysis", 0,
                               stats_packet, stats_init, NULL);
}
