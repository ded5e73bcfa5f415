/* Scenarios of the report's conversation in framings that once made the plugin lose it:
 * the segment is there, but not where or not as whole as the reader expected. */
#ifndef GEN_SCENARIOS_FRAMING_H
#define GEN_SCENARIOS_FRAMING_H

#include "capture.h"

/* Over IPv6, every packet with an atomic fragment header (RFC 6946) before TCP. */
void gen_scenario_ipv6_atomic_fragment(gen_capture *cap);

/* 802.1Q-tagged, captured with a snap length of 54 bytes: the TCP header cut to its
 * first 16 bytes, which still hold sequence, acknowledgement, flags and window. */
void gen_scenario_snaplen_16(gen_capture *cap);

#endif
