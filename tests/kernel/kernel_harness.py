#!/usr/bin/env python3
"""Runs the core's sender model against the Linux kernel's TCP, captures the conversation
with dumpcap, and checks from the capture itself that the kernel resets the spurious ACK
of an nt351 stack and that a fixed stack provokes no RST.

  kernel_harness.py --program PATH --scenario NAME     one conversation (exit 1 if wrong)
  kernel_harness.py --program PATH --all               every scenario
  kernel_harness.py --program PATH --record DIR        re-record the bundled captures
  kernel_harness.py --list

Needs root, /dev/net/tun, iproute2 and dumpcap; without them it fails and says which.
"""
import argparse
import os
import shutil
import sys
import tempfile

import pcap_teardown
import scenarios
from netns_lab import KERNEL_IP, TUN, USERSPACE_IP, Lab, LabError

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "kernel_peer.py")
SERVER_PORT, CLIENT_PORT = 8080, 40000
STEP_TIMEOUT_S = 20


def summary_of(child):
    """The key=value fields of teardown-kernel's summary line."""
    line = child.wait_for_line("summary ", 0)
    if line is None:
        return None
    return dict(field.split("=", 1) for field in line.split()[1:])


def await_capture(capture, prog):
    """Returns once the capture holds every segment the userspace end saw, or after
    STEP_TIMEOUT_S."""
    summary = summary_of(prog)
    if summary is not None:
        pcap_teardown.await_segments(
            capture, int(summary["segments_in"]) + int(summary["segments_out"]),
            timeout_s=STEP_TIMEOUT_S)


def program_argv(program, sc, ports=(SERVER_PORT, CLIENT_PORT)):
    server_port, client_port = ports
    argv = [program, "--tun", TUN, "--role", sc.role, "--policy", sc.policy,
            "--request", str(sc.request), "--response", str(sc.response),
            "--delack-ms", str(sc.delack_ms), "--window", str(sc.window)]
    if sc.falls_silent:
        argv.append("--fall-silent")
    if sc.role == "client":
        return argv + ["--local", "%s:%d" % (USERSPACE_IP, client_port),
                       "--peer", "%s:%d" % (KERNEL_IP, server_port)]
    return argv + ["--local", "%s:%d" % (USERSPACE_IP, server_port), "--peer", KERNEL_IP]


def peer_argv(sc, ports=(SERVER_PORT, CLIENT_PORT)):
    server_port = ports[0]
    if sc.falls_silent:
        return [sys.executable, PEER, "keepalive-server",
                "--listen", "%s:%d" % (KERNEL_IP, server_port)]
    if sc.role == "client":
        return [sys.executable, PEER, "server", "--listen", "%s:%d" % (KERNEL_IP, server_port),
                "--response", str(sc.response)]
    return [sys.executable, PEER, "client", "--connect", "%s:%d" % (USERSPACE_IP, server_port),
            "--request", str(sc.request), "--last", str(sc.last)]


def converse(lab, program, sc, ports=(SERVER_PORT, CLIENT_PORT)):
    """Runs both ends; the side that listens starts first. Returns (program, peer) once
    both have ended. ports: (server, client); a kernel client picks its own."""
    if sc.role == "client":
        peer = lab.start(peer_argv(sc, ports), "kernel peer")
        if peer.wait_for_line("ready", STEP_TIMEOUT_S) is None:
            raise LabError("the kernel-side server did not start:\n" + peer.output())
        prog = lab.start(program_argv(program, sc, ports), "teardown-kernel")
    else:
        prog = lab.start(program_argv(program, sc, ports), "teardown-kernel")
        if prog.wait_for_line("ready", STEP_TIMEOUT_S) is None:
            raise LabError("teardown-kernel did not get the TUN device ready:\n" + prog.output())
        peer = lab.start(peer_argv(sc, ports), "kernel peer")
    prog.wait(STEP_TIMEOUT_S)
    peer.wait(STEP_TIMEOUT_S)
    return prog, peer


def expected_received(sc):
    if sc.falls_silent:
        return 0
    return sc.response if sc.role == "client" else sc.request + sc.last


def judge(sc, teardown, prog, peer):
    """What is wrong with this run; empty when the kernel did what the scenario expects."""
    wrong = []
    if prog.proc.returncode != 0:
        wrong.append("teardown-kernel ended with status %s" % prog.proc.returncode)
    if peer.proc.returncode != 0:
        wrong.append("the kernel-side %s ended with status %s"
                     % ("server" if sc.role == "client" else "client", peer.proc.returncode))
    summary = summary_of(prog)
    if summary is None:
        return wrong + ["teardown-kernel printed no summary"]
    if sc.falls_silent:
        return wrong + _judge_keepalive(teardown, summary)
    if teardown.problems:
        return wrong + teardown.problems
    if teardown.x[0] != USERSPACE_IP:
        wrong.append("the kernel closed first; the scenario needs the userspace end to")
    if int(summary["received"]) != expected_received(sc):
        wrong.append("the userspace end received %s bytes, not %d"
                     % (summary["received"], expected_received(sc)))
    seen = int(summary["segments_in"]) + int(summary["segments_out"])
    if len(teardown.segments) != seen:
        wrong.append("the capture holds %d segments, the endpoint saw %d: capture incomplete"
                     % (len(teardown.segments), seen))
    if teardown.fin_ack is None:
        return wrong + ["the userspace end never acknowledged the kernel's FIN"]

    if sc.expect_rst:
        wrong += _judge_reset(sc, teardown, summary)
    else:
        if teardown.spurious_acks:
            wrong.append("the fixed stack sent a spurious ACK: " +
                         teardown.spurious_acks[0].describe())
        if teardown.y_rsts or summary["kernel_rst"] != "0":
            wrong.append("the kernel sent a RST to the fixed stack")
    return wrong


def _judge_keepalive(teardown, summary):
    """Linux's keep-alive probe is a pure ACK one below its next sequence number; after
    TCP_KEEPCNT of them go unanswered it sends RST|ACK (tcp_keepalive_timer)."""
    wrong = []
    kernel = [s for s in teardown.segments if s.src == KERNEL_IP]
    rsts = [s for s in kernel if s.has(pcap_teardown.RST)]
    if len(rsts) != 1 or kernel[-1] is not rsts[0]:
        return ["the kernel did not end with one RST: " +
                "; ".join(s.describe() for s in kernel[-5:])]
    rst = rsts[0]
    probes = [s for s in kernel if s.is_pure_ack() and (s.seq + 1) % pcap_teardown.MOD == rst.seq]
    if len(probes) < 3:
        wrong.append("the kernel sent %d keep-alive probes before its RST, not 3" % len(probes))
    if not rst.has(pcap_teardown.ACK):
        wrong.append("the keep-alive RST carries no ACK flag")
    if any(s.has(pcap_teardown.FIN) for s in teardown.segments):
        wrong.append("a FIN was sent: nobody was to close")
    if summary["kernel_rst"] != "1":
        wrong.append("the silent endpoint did not see the kernel's RST")
    return wrong


def _judge_reset(sc, teardown, summary):
    wrong = []
    if not teardown.spurious_acks:
        return ["the nt351 stack sent no spurious ACK"]
    ack = teardown.spurious_acks[0]
    rst = teardown.rst_after_spurious
    if rst is None:
        return ["the kernel did not answer the spurious ACK with a RST"]
    # RFC 9293 3.10.7.1: a segment with ACK reaching a closed port gets <SEQ=SEG.ACK><CTL=RST>.
    if rst.seq != ack.ack:
        wrong.append("the RST's seq %d is not the spurious ACK's ack %d" % (rst.seq, ack.ack))
    if rst.has(pcap_teardown.ACK):
        wrong.append("the RST carries an ACK flag")
    if summary["kernel_rst"] != "1" or int(summary.get("rst_seq", -1)) != rst.seq:
        wrong.append("the endpoint's own view of the RST differs from the capture's")
    gap_ms = (ack.time - teardown.fin_ack.time) * 1000
    if sc.min_gap_ms is not None and gap_ms < sc.min_gap_ms:
        wrong.append("the spurious ACK came %.1f ms after the ACK of the FIN, expected at "
                     "least %.0f" % (gap_ms, sc.min_gap_ms))
    if sc.max_gap_ms is not None and gap_ms > sc.max_gap_ms:
        wrong.append("the spurious ACK came %.1f ms after the ACK of the FIN, expected at "
                     "most %.0f" % (gap_ms, sc.max_gap_ms))
    return wrong


def pass_text(sc):
    if sc.falls_silent:
        return "the kernel's keep-alive gave up with a RST"
    return "the kernel reset the spurious ACK" if sc.expect_rst else "no spurious ACK, no RST"


def run(program, sc, keep=None):
    """Runs one scenario and prints what happened; True when the kernel behaved as expected.
    keep: where to copy the capture of a good run."""
    print("== %s: %s" % (sc.name, sc.summary))
    scratch = tempfile.mkdtemp(prefix="teardown-kernel-")
    try:
        capture = os.path.join(scratch, "capture.pcap")
        with Lab() as lab:
            dumpcap = lab.start_capture(capture)
            prog, peer = converse(lab, program, sc)
            await_capture(capture, prog)
            dumpcap_said = lab.stop_capture(dumpcap)
        print(prog.output())
        print(peer.output())
        print("\n".join(l for l in dumpcap_said.splitlines() if l.startswith("Packets")))
        teardown = pcap_teardown.Teardown(pcap_teardown.read_segments(capture))
        print("capture, read independently of the endpoint:")
        print("\n".join("  " + line for line in teardown.report()))
        wrong = judge(sc, teardown, prog, peer)
        if wrong:
            print("FAIL: %s: %s" % (sc.name, "; ".join(wrong)))
            return False
        print("PASS: %s: %s" % (sc.name, pass_text(sc)))
        record(capture, keep)
        return True
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def record(capture, keep):
    """Copies a scenario's capture to keep (--record, --keep-capture), readable by all."""
    if keep:
        shutil.copyfile(capture, keep)
        os.chmod(keep, 0o644)
        print("recorded %s" % keep)


def scenario_parser(doc):
    """The command line both harnesses share: which scenarios, and the program."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--program", help="the teardown-kernel executable")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--scenario", action="append", help="run this scenario (repeatable)")
    what.add_argument("--all", action="store_true", help="run every scenario")
    what.add_argument("--record", metavar="DIR",
                      help="run the scenarios that have a capture and write DIR/kernel_*.pcap")
    what.add_argument("--list", action="store_true", help="list the scenarios")
    return parser


def choose_scenarios(parser, args, catalogue):
    """The scenarios of catalogue (a module with SCENARIOS and find) the arguments name."""
    if args.record:
        return [sc for sc in catalogue.SCENARIOS if sc.capture]
    if args.all:
        return list(catalogue.SCENARIOS)
    chosen = []
    for name in args.scenario:
        sc = catalogue.find(name)
        if sc is None:
            parser.error("no scenario named %s (see --list)" % name)
        chosen.append(sc)
    return chosen


def run_each(chosen, run_one, errors):
    """Runs run_one(sc) for each scenario; an exception of errors fails that scenario
    alone. Returns the exit status."""
    failed = []
    for sc in chosen:
        try:
            ok = run_one(sc)
        except errors as e:
            print("FAIL: %s: %s" % (sc.name, e))
            ok = False
        if not ok:
            failed.append(sc.name)
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    return 0


def main():
    parser = scenario_parser(__doc__)
    parser.add_argument("--keep-capture", metavar="PCAP",
                        help="with one --scenario: copy its capture there")
    args = parser.parse_args()

    if args.list:
        for sc in scenarios.SCENARIOS:
            print("%-26s %s" % (sc.name, sc.summary))
        return 0
    if not args.program or not os.access(args.program, os.X_OK):
        parser.error("--program must name the built teardown-kernel executable")
    program = os.path.abspath(args.program)
    chosen = choose_scenarios(parser, args, scenarios)
    if args.keep_capture and len(chosen) != 1:
        parser.error("--keep-capture takes exactly one --scenario")

    def run_one(sc):
        keep = os.path.join(args.record, sc.capture) if args.record else args.keep_capture
        return run(program, sc, keep)
    return run_each(chosen, run_one, LabError)


if __name__ == "__main__":
    sys.exit(main())
