#!/usr/bin/env python3
"""What the plugin costs tshark: the same capture read with and without it.

For each mode, tshark runs without the plugin (A) and with it (B), alternating, --runs
times, after one untimed warm-up of each. Reported per mode: the median wall time, CPU
time (user + system of the tshark process) and peak resident memory of A and of B, and
the ratio of the medians (B / A).

Without the plugin, WIRESHARK_PLUGIN_DIR points at an empty folder; with it, at a copy of
the build tree's plugin folder. That variable replaces Wireshark's global plugin folder,
so neither run loads Wireshark's bundled plugins: the difference is the plugin alone.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tshark"))
from tshark_runner import Tshark  # noqa: E402  (runs tshark as nobody when root)

REPO = os.path.dirname(os.path.dirname(HERE))

# mode -> (what it measures, arguments without the plugin, arguments with it, output)
# output: "null" discards standard output, "count" counts its lines, "match" too and
# expects some (--smoke fails if either variant prints none).
#
# A protocol tree is what costs most. tshark builds one when something needs it: a filter,
# -V or -T fields, a tap registered with TL_REQUIRES_PROTO_TREE (io,stat is one), or a
# postdissector that asks for fields (set_postdissector_wanted_hfids). Unless it is printed
# the tree is invisible: items of fields nobody asked for are faked, not filled in.
MODES = {
    # The default one-line summaries (no custom columns): the only mode with no tree at
    # all, unless the plugin asks for fields, which would force one.
    "summary": ("summary lines > /dev/null: no tree at all, unless the plugin forces one",
                [], [], "null"),
    # No output per frame. io,stat's tap requires a tree, so this is the invisible tree.
    "stat": ("-q -z io,stat,0: no output per frame; an invisible tree (io,stat asks for one)",
             ["-q", "-z", "io,stat,0"], ["-q", "-z", "io,stat,0"], "null"),
    # The same in two passes, as the GUI reads a file: the plugin's second pass renders
    # from what the first stored.
    "stat2": ("-2 -q -z io,stat,0: two passes, an invisible tree in each",
              ["-2", "-q", "-z", "io,stat,0"], ["-2", "-q", "-z", "io,stat,0"], "null"),
    # What a user looking for the report's pattern types. 'teardown.spurious_ack' exists
    # only with the plugin; the baseline filter also builds a tree for every frame and
    # primes one field of the layer the plugin reads, and matches nothing, as the plugin's
    # matches few frames of any capture.
    "spurious": ("-Y teardown.spurious_ack: a display filter, tree built, few frames printed",
                 ["-Y", "tcp.stream == 4294967295"], ["-Y", "teardown.spurious_ack"],
                 "count"),
    # 'teardown' exists only with the plugin. The baseline needs a filter that also makes
    # tshark build a tree for every frame, since that tree is most of what any filter
    # costs; tcp.stream does, and primes a single field of the layer the plugin reads, so
    # the two runs differ by the plugin's analysis and its own tree items, which its
    # filter primes. They also differ in what they print: tcp.stream matches every TCP
    # frame, 'teardown' the teardown phase of each conversation (60 % of the frames of
    # the bench mix), and each line printed costs thousands of instructions, so this mode
    # understates what the plugin costs; "frames printed" below says by how much.
    "filter": ("-Y <filter> -T fields -e frame.number: a display filter, tree built",
               ["-Y", "tcp.stream", "-T", "fields", "-e", "frame.number"],
               ["-Y", "teardown", "-T", "fields", "-e", "frame.number"], "match"),
    # Every field of every frame, printed: the GUI's packet details, for the whole file.
    "verbose": ("-V > /dev/null: the full tree of every frame, printed",
                ["-V"], ["-V"], "null"),
}

# Timed runs measure these unless told otherwise; callgrind runs the first two.
DEFAULT_MODES = ("summary", "stat", "spurious", "stat2", "verbose")
DEFAULT_CALLGRIND_MODES = ("summary", "stat")

VARIANTS = ("without", "with")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--capture", required=True,
                   help="the capture to read: teardown-bench-gen writes one, but any capture"
                        " will do, and real traffic mixes its frames otherwise")
    p.add_argument("--runs", type=int, default=5, help="timed runs of each variant (default 5)")
    p.add_argument("--modes",
                   help="comma-separated, from: %s (default: %s; with --callgrind, %s)"
                        % (", ".join(MODES), ",".join(DEFAULT_MODES),
                           ",".join(DEFAULT_CALLGRIND_MODES)))
    p.add_argument("--plugin-dir", default=os.environ.get(
                       "TEARDOWN_PLUGIN_DIR", os.path.join(REPO, "build", "plugins")),
                   help="folder laid out as Wireshark's plugin folder (default: build/plugins"
                        " of this checkout, or $TEARDOWN_PLUGIN_DIR)")
    p.add_argument("--tshark", default=os.environ.get("TEARDOWN_TSHARK", "tshark"))
    only = p.add_mutually_exclusive_group()
    only.add_argument("--smoke", action="store_true",
                   help="check that every mode runs once each way; measure nothing")
    only.add_argument("--callgrind", action="store_true",
                   help="instead of timing: instructions tshark executes under valgrind's"
                        " callgrind, each way, for the capture and for its first two frames"
                        " (exact, but ~50x slower: use a short capture, e.g."
                        " editcap -r big.pcap short.pcap 1-50000)")
    args = p.parse_args()
    if args.modes is None:
        args.modes = ",".join(DEFAULT_CALLGRIND_MODES if args.callgrind
                              else MODES if args.smoke else DEFAULT_MODES)
    args.modes = [m for m in args.modes.split(",") if m]
    unknown = [m for m in args.modes if m not in MODES]
    if unknown or not args.modes:
        p.error("unknown mode(s): %s" % ", ".join(unknown or ["(none)"]))
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if not os.path.isfile(args.capture):
        p.error("no capture at %s" % args.capture)
    if not os.path.isdir(args.plugin_dir):
        p.error("no plugin folder at %s (build first, or pass --plugin-dir)" % args.plugin_dir)
    return args


def listed_plugins(runner):
    out = runner.run(["-G", "plugins"])
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def check_plugins(runners):
    """The plugin variant must load teardown from its folder, the baseline must not load
    it at all (an installed copy would make the comparison meaningless)."""
    loaded = {v: [row for row in listed_plugins(r) if row[0].strip().startswith("teardown")]
              for v, r in runners.items()}
    if not loaded["with"]:
        sys.exit("run-bench: tshark did not load the teardown plugin from %s"
                 % runners["with"].plugin_dir)
    if loaded["without"]:
        sys.exit("run-bench: tshark loads a teardown plugin even without the plugin folder: %s"
                 % loaded["without"][0][-1])
    row = loaded["with"][0]
    return "%s %s (%s)" % (row[0].strip(), row[1].strip() if len(row) > 1 else "",
                           row[-1].strip())


def run_measured(runner, capture, extra, output):
    """Runs tshark once; returns (wall s, cpu s, max RSS MiB, lines printed or None)."""
    cmd = runner.command(["-n", "-r", capture] + extra)
    with tempfile.TemporaryFile() as err:
        counted = output in ("count", "match")
        stdout = subprocess.PIPE if counted else subprocess.DEVNULL
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err, stdin=subprocess.DEVNULL)
        lines = None
        if counted:
            lines = 0
            for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):
                lines += chunk.count(b"\n")
            proc.stdout.close()
        # wait4 rather than Popen.wait: it gives the rusage of this child alone (setpriv
        # and env exec into tshark, so the pid is tshark's).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.exit("run-bench: %s failed (%d): %s" % (" ".join(cmd), proc.returncode,
                                                         err.read().decode(errors="replace")
                                                         .strip()))
    # ru_maxrss is in KiB on Linux.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, lines


def count_frames(runner, capture):
    """Frames in the capture, from io,stat's single interval."""
    for line in runner.run(["-n", "-r", capture, "-q", "-z", "io,stat,0"]).splitlines():
        cells = [c.strip() for c in line.split("|")]  # "| 0.000 <> 25.0 | 1059338 | ... |"
        if len(cells) > 3 and "<>" in cells[1]:
            return int(cells[2])
    sys.exit("run-bench: io,stat printed no frame count for %s" % capture)


def count_streams(runner, capture):
    """TCP conversations in the capture, as tshark numbers them (tcp.stream): what the
    plugin keeps state for. A frame with TCP inside an ICMP error lists two."""
    cmd = runner.command(["-n", "-r", capture, "-T", "fields", "-e", "tcp.stream"])
    streams = set()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          stdin=subprocess.DEVNULL, text=True) as proc:
        for line in proc.stdout:
            streams.update(v for v in line.strip().split(",") if v)
    if proc.returncode != 0:
        sys.exit("run-bench: tshark failed reading tcp.stream from %s" % capture)
    return len(streams)


# Wireshark seeds its hash maps from GLib's g_random_int in every run (wmem_map's
# multiplier, wmem_strong_hash's seeds), so where its keys collide, and what its own work
# costs, changed from one run to the next: by up to 230 instructions a frame, more than
# most changes to the plugin. Loaded ahead of GLib, this answers with one odd constant.
FIXED_SEED_SOURCE = "#include <stdint.h>\nuint32_t g_random_int(void) { return 0x9e3779b1u; }\n"


def fixed_seed_library(folder):
    """A library that fixes Wireshark's hash seeds, built in folder; None without a C
    compiler (the counts then vary from run to run, as said above)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        print("run-bench: no C compiler: hash seeds vary, and so do the counts")
        return None
    source = os.path.join(folder, "fixed-seed.c")
    library = os.path.join(folder, "fixed-seed.so")
    with open(source, "w") as f:
        f.write(FIXED_SEED_SOURCE)
    proc = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", library, source],
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print("run-bench: %s could not build the seed library (hash seeds vary, and so do"
              " the counts): %s" % (cc, proc.stderr.strip()[-500:]))
        return None
    os.chmod(library, 0o755)
    return library


def run_callgrind(runner, capture, extra, tag, preload):
    """Instructions tshark executes with these arguments, its output discarded."""
    out_file = os.path.join(runner.home, "callgrind-%s.out" % tag)
    cmd = runner.command(["-n", "-r", capture] + extra)
    if preload:
        cmd.insert(cmd.index("env") + 1, "LD_PRELOAD=" + preload)
    # setpriv and env come first: valgrind goes right before tshark. Without address
    # randomisation: Wireshark keys hash tables by pointers, and where its allocations land
    # changed the counts by up to 0.1 % from one run to the next. With both fixed, the same
    # run repeats to within a few instructions a frame.
    at = cmd.index(runner.tshark)
    cmd[at:at] = (["setarch", "-R"] if shutil.which("setarch") else []) + [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=" + out_file]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("run-bench: %s failed (%d): %s" % (" ".join(cmd), proc.returncode,
                                                     proc.stderr.strip()[-2000:]))
    with open(out_file) as f:
        totals = [int(line.split()[1]) for line in f
                  if line.startswith(("summary:", "totals:"))]
    os.unlink(out_file)
    if not totals:
        sys.exit("run-bench: no callgrind total for %s" % tag)
    return totals[0]


def report_callgrind(runners, capture, modes):
    """Start-up (plugin registration included) is measured apart, on the first two frames
    (-c 2), so that the per-frame figures do not depend on the capture's length."""
    frames = count_frames(runners["without"], capture)
    preload = fixed_seed_library(runners["with"].root)
    print("\ncallgrind: instructions executed; per frame = (whole - first 2) / (frames - 2),"
          " %d frames" % frames)
    summary = []
    for mode in modes:
        _, base_args, plugin_args, _ = MODES[mode]
        extra = {"without": base_args, "with": plugin_args}
        print("\n%s  [%s]" % (mode, MODES[mode][0]))
        print("  %-8s %15s %15s %12s" % ("", "whole capture", "first 2 frames", "per frame"))
        per_frame = {}
        for v in VARIANTS:
            total = run_callgrind(runners[v], capture, extra[v], "%s-%s" % (mode, v), preload)
            startup = run_callgrind(runners[v], capture, extra[v] + ["-c", "2"],
                                    "%s-%s-startup" % (mode, v), preload)
            per_frame[v] = (total - startup) / max(frames - 2, 1)
            print("  %-8s %15d %15d %12.0f" % (v, total, startup, per_frame[v]), flush=True)
        ratio = per_frame["with"] / per_frame["without"]
        added = per_frame["with"] - per_frame["without"]
        print("  ratio %.3f; the plugin adds %.0f instructions per frame" % (ratio, added))
        summary.append((mode, per_frame["without"], per_frame["with"], ratio, added))
    print("\ninstructions per frame, per mode")
    print("  %-9s %10s %10s %7s %8s" % ("mode", "without", "with", "ratio", "added"))
    for mode, without, with_, ratio, added in summary:
        print("  %-9s %10.0f %10.0f %7.3f %8.0f" % (mode, without, with_, ratio, added))


def fmt_row(name, unit, a, b):
    ma, mb = statistics.median(a), statistics.median(b)
    ratio = mb / ma if ma else float("nan")
    return "  %-12s %10.2f %10.2f   %6.3f   %s" % (name + " " + unit, ma, mb, ratio,
                                                   "/".join("%.2f" % x for x in b))


def main():
    args = parse_args()
    scratch = tempfile.mkdtemp(prefix="teardown-bench-")
    try:
        empty = os.path.join(scratch, "no-plugins")
        os.mkdir(empty)
        runners = {"with": Tshark(args.tshark, args.plugin_dir),
                   "without": Tshark(args.tshark, empty)}
        plugin = check_plugins(runners)
        # One copy of the capture, readable by whoever tshark runs as, for both variants:
        # the same file in the same page cache.
        capture = runners["with"].readable(args.capture)
        print("plugin: %s" % plugin)
        print("capture: %s (%.1f MB)" % (args.capture, os.path.getsize(args.capture) / 1e6))
        sys.stdout.flush()

        if args.callgrind:
            report_callgrind(runners, capture, args.modes)
            return

        if args.smoke:
            for mode in args.modes:
                _, base_args, plugin_args, output = MODES[mode]
                for variant, extra in (("without", base_args), ("with", plugin_args)):
                    lines = run_measured(runners[variant], capture, extra, output)[3]
                    if output == "match" and not lines:
                        sys.exit("run-bench: %s %s printed no frame" % (mode, variant))
                    print("%s %s: ok%s" % (mode, variant,
                                           "" if lines is None else ", %d frames" % lines))
            return

        results = {}
        for mode in args.modes:
            _, base_args, plugin_args, output = MODES[mode]
            extra = {"without": base_args, "with": plugin_args}
            samples = {v: [] for v in VARIANTS}
            lines = {}
            for v in VARIANTS:  # warm-up: page cache, dynamic loader; not counted
                lines[v] = run_measured(runners[v], capture, extra[v], output)[3]
            for i in range(args.runs):
                # ABBA order, so that a slow drift of the machine weighs on both alike.
                order = VARIANTS if i % 2 == 0 else VARIANTS[::-1]
                for v in order:
                    samples[v].append(run_measured(runners[v], capture, extra[v], output))
                    w, c, r, _ = samples[v][-1]
                    print("  %s run %d %-7s wall %7.2f s  cpu %7.2f s  rss %7.1f MiB"
                          % (mode, i + 1, v, w, c, r), file=sys.stderr, flush=True)
            results[mode] = (samples, lines)

        conversations = count_streams(runners["without"], capture)
        print("\nmedians of %d runs; ratio = with / without; last column: each run with the "
              "plugin" % args.runs)
        summary = []
        for mode in args.modes:
            samples, lines = results[mode]
            print("\n%s  [%s]" % (mode, MODES[mode][0]))
            print("  %-12s %10s %10s   %6s" % ("", "without", "with", "ratio"))
            for k, (name, unit) in enumerate((("wall", "s"), ("cpu", "s"), ("rss", "MiB"))):
                print(fmt_row(name, unit, [s[k] for s in samples["without"]],
                              [s[k] for s in samples["with"]]))
            if lines["with"] is not None:
                print("  frames printed: without %d, with %d" % (lines["without"], lines["with"]))
            median = {v: [statistics.median(x[k] for x in samples[v]) for k in range(3)]
                      for v in VARIANTS}
            extra_bytes = (median["with"][2] - median["without"][2]) * 1024 * 1024
            per_conv = extra_bytes / conversations if conversations else float("nan")
            print("  extra peak memory: %.0f bytes per conversation (%d tcp.stream)"
                  % (per_conv, conversations))
            summary.append((mode, median["with"][1] / median["without"][1],
                            median["with"][0] / median["without"][0], per_conv))
        print("\nper mode: cpu and wall ratio (with / without), extra peak memory per "
              "conversation")
        print("  %-9s %7s %7s %12s" % ("mode", "cpu", "wall", "bytes/conv"))
        for mode, cpu, wall, per_conv in summary:
            print("  %-9s %7.3f %7.3f %12.0f" % (mode, cpu, wall, per_conv))
    finally:
        shutil.rmtree(scratch, True)


if __name__ == "__main__":
    main()
