#!/usr/bin/env python3
"""Time and peak memory of tshark over hostile captures (hostile-gen), with the plugin
and without it, at two sizes, and how they grow between them.

  hostile_scale.py --hostile-gen BUILD/tests/fuzz/hostile-gen --plugin-dir BUILD/plugins
                   [--sizes 100000,1000000] [--scenarios half_open,spurious] [--work DIR]

Not a test with a threshold: a measurement to read. Each run is
`tshark -n -r FILE -q -Y tcp`, single pass: the filter makes tshark build every frame's
protocol tree with the plugin or without it (with -q alone it builds none, and the plugin,
which reads tcp.stream from the tree, has nothing to do), so the difference is the
plugin's own cost.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tshark"))
from tshark_runner import Tshark  # noqa: E402

# How many conversations each scenario holds at n frames (see hostile_gen.c).
CONVERSATIONS = {
    "half_open": lambda n: n,
    "fin_flood": lambda n: n // 2,
    "rst_flood": lambda n: n,
    "spurious": lambda n: 1,
    "seq_wrap": lambda n: min(n, 64),
}


def measure(tshark, capture):
    """(seconds, peak RSS in MiB) of one run."""
    started = time.monotonic()
    proc = subprocess.Popen(tshark.command(["-n", "-r", capture, "-q", "-Y", "tcp"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    err = proc.stderr.read().decode(errors="replace")
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError("tshark failed (%d) on %s: %s" % (proc.returncode, capture, err))
    return elapsed, usage.ru_maxrss / 1024.0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hostile-gen", required=True)
    p.add_argument("--plugin-dir", required=True, help="the build's plugins folder")
    p.add_argument("--tshark", default="tshark")
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--scenarios", default=",".join(CONVERSATIONS))
    p.add_argument("--work", default=None, help="where the captures go (deleted afterwards)")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    scenarios = args.scenarios.split(",")

    with_plugin = Tshark(args.tshark, args.plugin_dir)
    empty = tempfile.mkdtemp(prefix="teardown-noplugin-")
    without = Tshark(args.tshark, empty)
    work = tempfile.mkdtemp(prefix="teardown-hostile-", dir=args.work)
    os.chmod(work, 0o755)
    rows = []
    try:
        for name in scenarios:
            for n in sizes:
                capture = os.path.join(work, "%s-%d.pcap" % (name, n))
                subprocess.run([args.hostile_gen, name, str(n), capture], check=True)
                os.chmod(capture, 0o644)
                t0, m0 = measure(without, capture)
                t1, m1 = measure(with_plugin, capture)
                os.remove(capture)
                rows.append((name, n, t0, m0, t1, m1))
                print("%-10s %8d frames: without %6.2f us/frame %7.1f MiB | with %6.2f us/frame "
                      "%7.1f MiB" % (name, n, t0 / n * 1e6, m0, t1 / n * 1e6, m1), flush=True)
    finally:
        shutil.rmtree(work, True)
        shutil.rmtree(empty, True)

    print("\nscenario    frames   us/frame without/with   peak MiB without/with   plugin bytes "
          "per conversation, per frame")
    for name, n, t0, m0, t1, m1 in rows:
        extra = (m1 - m0) * 1048576
        print("%-10s %8d   %8.2f %8.2f        %8.1f %8.1f        %10.0f %6.0f" % (
            name, n, t0 / n * 1e6, t1 / n * 1e6, m0, m1, extra / CONVERSATIONS[name](n), extra / n))
    if len(sizes) == 2:
        print("\nratio %d/%d frames: time and peak memory, without and with the plugin" % (sizes[1], sizes[0]))
        for name in scenarios:
            small = next(r for r in rows if r[0] == name and r[1] == sizes[0])
            big = next(r for r in rows if r[0] == name and r[1] == sizes[1])
            print("%-10s time %5.1fx / %5.1fx   memory %5.1fx / %5.1fx" % (
                name, big[2] / small[2], big[4] / small[4], big[3] / small[3], big[5] / small[5]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
