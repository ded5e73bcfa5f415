#!/usr/bin/env python3
"""Makes Linux reset a connection in one of its ways, captures it with dumpcap, records
the reason the kernel itself gives for every RST it sends (tracepoint tcp:tcp_send_reset),
and checks that each reason stands for the cause the scenario expects (the table of
docs/KERNEL-REASONS.md) and that the plugin gives each RST that cause, in two passes and
in one.

  cause_harness.py --scenario NAME [--program PATH]   one scenario (exit 1 if wrong)
  cause_harness.py --record DIR --program PATH        re-record the bundled captures
  cause_harness.py --list

--program is the teardown-kernel executable, for the scenarios over the TUN device.
tshark and the plugin come from TEARDOWN_TSHARK and TEARDOWN_PLUGIN_DIR. Needs root,
iproute2 and dumpcap (and /dev/net/tun for the TUN scenarios); without them it fails and
says which. On a kernel whose tracepoint has no reason, the reason checks say so and are
skipped; the cause checks still run.
"""
import concurrent.futures
import os
import random
import shutil
import sys
import tempfile

import cause_scenarios
import kernel_harness
import kernel_trace
import pcap_teardown
import reset_reasons
import scenarios
from netns_lab import KERNEL_IP, USERSPACE_IP, Lab, LabError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tshark"))
import tshark_runner  # noqa: E402

SOCKET_CASES = os.path.join(HERE, "socket_cases.py")
LOOPBACK = "127.0.0.1"
STEP_TIMEOUT_S = 15
# How long dumpcap may take to write out the RSTs the kernel has sent.
CAPTURE_CATCH_UP_S = 10


def pick_ports():
    """(server, client): tracing is global, and another run may be on its way elsewhere
    with the same addresses; its events are told apart by these ports."""
    return random.randint(20000, 29999), random.randint(40000, 49999)


def endpoints_of(sc, ports):
    server, client = ports
    if sc.socket_case:
        return {(LOOPBACK, server), (LOOPBACK, client)}
    return {(KERNEL_IP, server), (USERSPACE_IP, client)}


def await_capture(capture, trace, endpoints):
    """Returns once the capture holds every RST the kernel has traced between endpoints
    so far, or after CAPTURE_CATCH_UP_S."""
    traced = trace.events_so_far(endpoints)
    senders = {e.sender for e in traced}
    pcap_teardown.await_segments(
        capture, len(traced), lambda s: s.has(pcap_teardown.RST) and s.sender in senders,
        CAPTURE_CATCH_UP_S)


def play(sc, program, capture, ports):
    """Runs the scenario in a fresh namespace under dumpcap and the tracepoint. Returns
    (what went wrong, the trace)."""
    wrong = []
    with Lab(tun=sc.socket_case is None) as lab:
        for name, value in sc.sysctls.items():
            lab.sysctl(name, value)
            print("namespace: %s = %d" % (name, value))
        with kernel_trace.ResetTrace() as trace:
            dumpcap = lab.start_capture(capture)
            if sc.socket_case:
                server, client = ports
                child = lab.start([sys.executable, SOCKET_CASES, sc.socket_case,
                                   "--server-port", str(server), "--client-port", str(client)],
                                  "sockets")
                status = child.wait(STEP_TIMEOUT_S)
                print(child.output())
                if status != 0 or child.wait_for_line("done", 0) is None:
                    wrong.append("the sockets did not run as the case intends (status %s)"
                                 % status)
                await_capture(capture, trace, endpoints_of(sc, ports))
                dumpcap_said = lab.stop_capture(dumpcap)
            else:
                tsc = scenarios.find(sc.tun_scenario)
                prog, peer = kernel_harness.converse(lab, program, tsc, ports)
                await_capture(capture, trace, endpoints_of(sc, ports))
                dumpcap_said = lab.stop_capture(dumpcap)
                print(prog.output())
                print(peer.output())
                teardown = pcap_teardown.Teardown(pcap_teardown.read_segments(capture))
                wrong += kernel_harness.judge(tsc, teardown, prog, peer)
    print("\n".join(l for l in dumpcap_said.splitlines() if l.startswith("Packets")))
    return wrong, trace


def kernel_addresses(sc):
    return {LOOPBACK} if sc.socket_case else {KERNEL_IP}


def answered(segments, rst):
    """The peer's last segment before the RST: the one it answers."""
    before = [s for s in segments if s.number < rst.number and s.sender != rst.sender]
    return before[-1] if before else None


def _next_seq(s):
    """The sequence number after segment s."""
    return (s.seq + s.len + (1 if s.flags & (pcap_teardown.SYN | pcap_teardown.FIN) else 0)) \
        % pcap_teardown.MOD


def wire_facts(segments, rst):
    """What the RST looks like next to the segment it answers: flags, where its sequence
    and acknowledgement numbers come from, window."""
    flags = "RST|ACK" if rst.has(pcap_teardown.ACK) else "RST"
    peer = answered(segments, rst)
    own = [s for s in segments if s.sender == rst.sender and s.number < rst.number]
    origins = []
    if own and rst.seq == _next_seq(own[-1]):
        origins.append("its next")
    if peer is not None and rst.seq == peer.ack and peer.has(pcap_teardown.ACK):
        origins.append("ack of frame %d" % peer.number)
    seq = "seq = " + " = ".join(origins) if origins else "seq %d" % rst.seq
    if rst.has(pcap_teardown.ACK):
        seq += ", ack = %s" % ("end of frame %d" % peer.number
                               if peer is not None and rst.ack == _next_seq(peer)
                               else str(rst.ack))
    return "%s, %s, window %d" % (flags, seq, rst.window)


def check_reasons(sc, rsts, trace, endpoints, mapping):
    """Pairs each RST with the kernel's event, in order per sender; what is wrong, and the
    reason of each RST (None where the tracepoint is out of reach)."""
    if trace.missing:
        print("SKIPPED: the kernel's reasons are not checked: %s" % trace.missing)
        return [], [None] * len(rsts)
    events = trace.events(endpoints)
    wrong, reasons = [], []
    pending = {}
    for e in events:
        pending.setdefault(e.sender, []).append(e)
    for rst, cause in zip(rsts, sc.causes):
        queue = pending.get(rst.sender, [])
        if not queue:
            wrong.append("frame %d: the kernel traced no RST from %s:%d for it"
                         % ((rst.number,) + rst.sender))
            reasons.append(None)
            continue
        event = queue.pop(0)
        reasons.append("%s (socket state %s)" % (event.reason, event.state))
        problem = reset_reasons.disagreement(mapping, event.reason or "(none)", cause)
        if problem:
            wrong.append("frame %d: %s" % (rst.number, problem))
    for sender, left in pending.items():
        for e in left:
            wrong.append("the kernel traced a RST the capture lacks: " + e.describe())
    return wrong, reasons


def check_plugin(capture, rsts, causes):
    """Every RST's teardown.rst_cause, in two passes and in one (run side by side)."""
    wrong = []
    tshark = tshark_runner.Tshark(plugin_dir=os.environ.get("TEARDOWN_PLUGIN_DIR"))
    tshark.readable(capture)

    def rst_causes(two_pass):
        rows = tshark.fields(capture, ["frame.number", "teardown.rst_cause"], two_pass,
                             display_filter="tcp.flags.reset == 1")
        return {int(r["frame.number"]): r["teardown.rst_cause"] for r in rows}

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        passes = {two_pass: pool.submit(rst_causes, two_pass) for two_pass in (True, False)}
    for two_pass, found in passes.items():
        found = found.result()
        for rst, cause in zip(rsts, causes):
            got = found.get(rst.number, "")
            if got != str(reset_reasons.CAUSE_CODES[cause]):
                name = reset_reasons.CAUSE_NAMES.get(int(got)) if got.isdigit() else None
                wrong.append("frame %d (%s): the plugin gives rst_cause %s, not %d (%s)"
                             % (rst.number, "two passes" if two_pass else "one pass",
                                "%s (%s)" % (got, name) if got else "nothing",
                                reset_reasons.CAUSE_CODES[cause], cause))
    return wrong


def run(sc, program, mapping, keep=None):
    """Runs one scenario and prints what Linux sent; True when everything agrees."""
    print("== %s: %s" % (sc.name, sc.summary))
    if sc.tun_scenario and not program:
        print("FAIL: %s: runs over the TUN device and needs --program" % sc.name)
        return False
    ports = pick_ports()
    scratch = tempfile.mkdtemp(prefix="teardown-cause-")
    try:
        capture = os.path.join(scratch, "capture.pcap")
        wrong, trace = play(sc, program, capture, ports)
        segments = pcap_teardown.read_segments(capture)
        mine = endpoints_of(sc, ports)
        segments = [s for s in segments if s.sender in mine]
        kernel = kernel_addresses(sc)
        rsts = [s for s in segments if s.has(pcap_teardown.RST) and s.src in kernel]
        if len(rsts) != len(sc.causes):
            wrong.append("the kernel sent %d RSTs, the scenario expects %d"
                         % (len(rsts), len(sc.causes)))
        more, reasons = check_reasons(sc, rsts, trace, mine, mapping)
        wrong += more
        print("what Linux sent:")
        for rst, cause, reason in zip(rsts, sc.causes, reasons):
            print("  frame %d %s:%d: %s; kernel reason %s; cause %s"
                  % (rst.number, rst.src, rst.sport, wire_facts(segments, rst),
                     reason or "(not traced)", cause))
        wrong += check_plugin(capture, rsts, sc.causes)
        if wrong:
            print("FAIL: %s: %s" % (sc.name, "; ".join(wrong)))
            return False
        print("PASS: %s: %s" % (sc.name, ", ".join(sc.causes)))
        kernel_harness.record(capture, keep)
        return True
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    parser = kernel_harness.scenario_parser(__doc__)
    args = parser.parse_args()

    if args.list:
        for sc in cause_scenarios.SCENARIOS:
            print("%-24s %-40s %s" % (sc.name, ", ".join(sc.causes), sc.summary))
        return 0
    program = None
    if args.program:
        if not os.access(args.program, os.X_OK):
            parser.error("--program must name the built teardown-kernel executable")
        program = os.path.abspath(args.program)
    chosen = kernel_harness.choose_scenarios(parser, args, cause_scenarios)
    plugins = os.environ.get("TEARDOWN_PLUGIN_DIR")
    if not plugins or not os.path.isdir(plugins):
        parser.error("TEARDOWN_PLUGIN_DIR must name the build's plugin folder (BUILD/plugins)")
    try:
        mapping = reset_reasons.load()
    except reset_reasons.MappingError as e:
        print("FAIL: %s" % e)
        return 1

    def run_one(sc):
        keep = os.path.join(args.record, sc.capture) if args.record else None
        return run(sc, program, mapping, keep)
    return kernel_harness.run_each(chosen, run_one, (LabError, RuntimeError, ValueError))


if __name__ == "__main__":
    sys.exit(main())
