#!/usr/bin/env python3
"""Capture-level fuzzing: the plugin, built with AddressSanitizer and UBSan, loaded into
tshark over hostile captures, in single and two-pass mode. Any sanitizer report, crash
(signal) or hang fails the run; tshark refusing a broken file with its own error message
is fine. Each finding is copied to the findings folder with tshark's error output; commit
it under tests/fuzz/regressions/captures/ and every later run replays it.

Always replays the committed captures and the regression captures; then, as asked:
  --captures N   editcap -E mutations of the committed captures
  --randpkt N    randpkt -t tcp files
  --truncate     a short capture (the report's teardown) cut at every length, and its
                 frames and those of ipv6.pcap and vlan.pcap cut to every snapshot length
                 up to past the headers (every --truncate-step-th only, if given)
  --hostile N    each hostile-gen scenario at N frames
"""
import argparse
import concurrent.futures
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import asan_tshark
import mutations

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
# The report's capture cut to the pattern itself: the client's FIN, the server's FIN, the
# ACK of it, the spurious ACK, the RST.
SHORT_SOURCE, SHORT_FRAMES = "q152474.pcap", (5, 11, 12, 13, 14)
# Snapshot lengths past every header of a frame (VLAN, IPv6 and TCP options included).
SNAPLEN_LIMIT = 128


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--captures", type=int, default=0, help="editcap mutations to try")
    p.add_argument("--randpkt", type=int, default=0, help="randpkt files to try")
    p.add_argument("--truncate", action="store_true", help="cut a short capture at every length")
    p.add_argument("--truncate-step", type=int, default=1,
                   help="cut at every N-th length and snapshot length only")
    p.add_argument("--hostile", type=int, default=0, help="frames of each hostile-gen scenario")
    p.add_argument("--hostile-gen", default=os.environ.get("TEARDOWN_HOSTILE_GEN", "hostile-gen"))
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a run is a hang")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--build-dir", default=os.path.join(tempfile.gettempdir(), "teardown-asan-plugin"),
                   help="build tree for the sanitized plugin")
    p.add_argument("--findings", default="fuzz-findings", help="where failing captures go")
    p.add_argument("--cc", default=os.environ.get("TEARDOWN_ASAN_CC", "gcc"))
    p.add_argument("--cmake", default=os.environ.get("TEARDOWN_CMAKE", "cmake"))
    p.add_argument("--tshark", default=os.environ.get("TEARDOWN_TSHARK", "tshark"))
    return p.parse_args(argv)


def committed_captures():
    captures = sorted(glob.glob(os.path.join(SOURCE, "captures", "*.pcap")))
    regressions = sorted(glob.glob(os.path.join(HERE, "regressions", "captures", "*.pcap*")))
    return captures, regressions


BOTH = (False, True)


def generated(args, tshark, sources, rng):
    """Every (path, description, delete afterwards, passes) to try, lazily. Cut captures
    alternate between single and two-pass: what they test is reading a broken file."""
    captures, regressions = sources
    for path in captures + regressions:
        yield tshark.readable(path), os.path.relpath(path, SOURCE), False, BOTH
    work = tshark.work
    if args.truncate:
        short = mutations.short_capture(os.path.join(SOURCE, "captures", SHORT_SOURCE),
                                        SHORT_FRAMES, os.path.join(work, "short.pcap"))
        for n, (path, what) in enumerate(mutations.truncations(short, work, args.truncate_step)):
            yield path, what, True, (BOTH[n % 2],)
        n = 0
        for source in (short, os.path.join(SOURCE, "captures", "ipv6.pcap"),
                       os.path.join(SOURCE, "captures", "vlan.pcap")):
            for path, what in mutations.snaplen_cuts(source, work, SNAPLEN_LIMIT, args.truncate_step):
                n += 1
                yield path, what, True, (BOTH[n % 2],)
    if args.hostile:
        names = subprocess.run([args.hostile_gen, "--list"], check=True, stdout=subprocess.PIPE,
                               text=True).stdout.split("\n")
        for name in (line.split()[0] for line in names if line.strip()):
            path = os.path.join(work, "hostile-%s.pcap" % name)
            subprocess.run([args.hostile_gen, name, str(args.hostile), path], check=True)
            yield path, "hostile-gen %s %d" % (name, args.hostile), True, BOTH
    for path, what in mutations.editcap_mutations(captures, work, args.captures, rng):
        yield path, what, True, BOTH
    for path, what in mutations.randpkt_files(work, args.randpkt, rng):
        yield path, what, True, BOTH


def keep(finding_dir, path, what, two_pass, outcome):
    os.makedirs(finding_dir, exist_ok=True)
    stamp = "%s-%d-%s" % (outcome.kind, int(time.time() * 1000) % 10**9, os.path.basename(path))
    dest = os.path.join(finding_dir, stamp)
    shutil.copyfile(path, dest)
    with open(dest + ".txt", "w") as f:
        f.write("%s\n%s pass, exit %s\n\n%s" % (what, "two" if two_pass else "single",
                                                outcome.returncode, outcome.stderr))
    return dest


def main(argv):
    args = parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    plugin_dir = asan_tshark.build_plugin(SOURCE, args.build_dir, args.cc, args.cmake)
    tshark = asan_tshark.AsanTshark(plugin_dir, asan_tshark.runtime_library(args.cc), args.tshark)
    sources = committed_captures()
    counts = {"ok": 0, "error": 0}
    findings = []
    started = time.time()
    tried = 0

    def run(item):
        path, _, _, passes = item
        os.chmod(path, 0o644)
        return [(two_pass, tshark.judge(path, two_pass, args.timeout)) for two_pass in passes]

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        pending = {}
        items = generated(args, tshark, sources, rng)
        while True:
            while len(pending) < 2 * args.jobs:
                item = next(items, None)
                if item is None:
                    break
                pending[pool.submit(run, item)] = item
            if not pending:
                break
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                path, what, delete, _ = pending.pop(future)
                for two_pass, outcome in future.result():
                    if outcome.is_finding:
                        dest = keep(args.findings, path, what, two_pass, outcome)
                        findings.append(dest)
                        print("FINDING %s (%s, %s pass): %s" % (outcome.kind, what,
                              "two" if two_pass else "single", dest), flush=True)
                    else:
                        counts[outcome.kind] += 1
                if delete:
                    os.remove(path)
                tried += 1
                if tried % 200 == 0:
                    print("%d captures tried, %d findings, %.0f s" % (tried, len(findings),
                          time.time() - started), flush=True)
    runs = counts["ok"] + counts["error"] + len(findings)
    print("seed %d: %d captures, %d tshark runs in %.0f s: %d clean, %d refused by tshark "
          "with an error, %d findings" % (seed, tried, runs, time.time() - started, counts["ok"],
                                          counts["error"], len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
