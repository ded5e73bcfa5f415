/* The plugin's preferences (Preferences › Protocols › TEARDOWN, or tshark -o). */
#ifndef TEARDOWN_PREFS_H
#define TEARDOWN_PREFS_H

#include <stdbool.h>

void teardown_prefs_register(int proto);

/* teardown.ip_id_duplicates: is a copy of an endpoint's previous segment with the same
 * non-zero IPv4 ID the same packet captured twice? */
bool teardown_prefs_trust_ip_id(void);

#endif
