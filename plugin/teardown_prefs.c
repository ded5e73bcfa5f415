#include "teardown_prefs.h"

#include <string.h>

#include <epan/prefs.h>
#include <wsutil/report_message.h>

/* A string the plugin reads itself, not a Wireshark boolean or enum: every Wireshark
 * release from 4.0 to 4.6 takes any word but "TRUE" as FALSE for a boolean, and keeps
 * the old value of an enum for a word it does not know, both without a message, so a
 * typo would silently change the verdicts. Read here, a word that is not a switch gets a
 * message naming it, and the value stays as it was. */
static const char *ip_id_duplicates_text = "TRUE";
static bool trust_ip_id = true;

static const char *const true_words[] = { "TRUE", "1", "yes", "on" };
static const char *const false_words[] = { "FALSE", "0", "no", "off" };

static bool is_one_of(const char *word, const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (g_ascii_strcasecmp(word, words[i]) == 0)
            return true;
    return false;
}

static void apply_prefs(void)
{
    char *word = g_strstrip(g_strdup(ip_id_duplicates_text ? ip_id_duplicates_text : ""));

    if (is_one_of(word, true_words, G_N_ELEMENTS(true_words)))
        trust_ip_id = true;
    else if (is_one_of(word, false_words, G_N_ELEMENTS(false_words)))
        trust_ip_id = false;
    else
        report_failure("teardown.ip_id_duplicates: \"%s\" is not TRUE or FALSE (nor 1/0, yes/no, "
                       "on/off); it stays %s",
                       word, trust_ip_id ? "TRUE" : "FALSE");
    g_free(word);
}

void teardown_prefs_register(int proto)
{
    module_t *module = prefs_register_protocol(proto, apply_prefs);
    prefs_register_string_preference(
        module, "ip_id_duplicates", "Same IPv4 ID marks a capture duplicate (TRUE or FALSE)",
        "TRUE (the default): a copy of an endpoint's previous segment with the same non-zero "
        "IPv4 ID is the same packet captured twice. FALSE where a stack reuses IDs; copies "
        "are then recognised only once the capture has shown an earlier pair less than 1 ms "
        "apart. Also 1/0, yes/no, on/off; any other word is refused with a message.",
        &ip_id_duplicates_text);
}

bool teardown_prefs_trust_ip_id(void)
{
    return trust_ip_id;
}
