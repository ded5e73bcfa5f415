/* teardown-gen: writes the captures of the named scenarios, deterministically. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "scenarios.h"

static int usage(FILE *to)
{
    fprintf(to,
            "usage: teardown-gen --list\n"
            "       teardown-gen SCENARIO OUTPUT.pcap\n"
            "       teardown-gen --all DIRECTORY   (writes DIRECTORY/SCENARIO.pcap for each)\n");
    return to == stdout ? 0 : 2;
}

static bool write_scenario(const gen_scenario *s, const char *path)
{
    gen_capture *cap = gen_capture_open(path);
    if (!cap)
        return false;
    s->play(cap);
    return gen_capture_close(cap);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (const gen_scenario *s = gen_scenarios; s->name; s++)
            printf("%-26s %s\n", s->name, s->summary);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return usage(stdout);
    if (argc != 3)
        return usage(stderr);
    if (strcmp(argv[1], "--all") == 0) {
        bool ok = true;
        for (const gen_scenario *s = gen_scenarios; s->name; s++) {
            char *name = g_strconcat(s->name, ".pcap", NULL);
            char *path = g_build_filename(argv[2], name, NULL);
            ok = write_scenario(s, path) && ok;
            g_free(path);
            g_free(name);
        }
        return ok ? 0 : 1;
    }
    const gen_scenario *s = gen_scenario_find(argv[1]);
    if (!s) {
        fprintf(stderr, "teardown-gen: no scenario named '%s' (see --list)\n", argv[1]);
        return 2;
    }
    return write_scenario(s, argv[2]) ? 0 : 1;
}
