"""What Linux says about each RST it sends: the tcp:tcp_send_reset tracepoint (Linux 6.10
and later carry a `reason`), recorded in a tracing instance of our own so that nobody
else's tracing is disturbed and nobody else's events land in our buffer.

Tracing is global, not per network namespace: the events are kept only for the address
pairs the caller names, which the harness picks at random per run.
"""
import os
import re
import subprocess
import uuid

TRACEFS = "/sys/kernel/tracing"
EVENT = os.path.join("events", "tcp", "tcp_send_reset")

# src=127.0.0.1:20001 dest=127.0.0.1:30001 state=TCP_CLOSE reason=NO_SOCKET
_LINE = re.compile(r"tcp_send_reset: .*\bsrc=(?P<src>\S+):(?P<sport>\d+) "
                   r"dest=(?P<dst>\S+):(?P<dport>\d+) state=(?P<state>\S+)"
                   r"(?: reason=(?P<reason>\S+))?")


class Reset:
    """One tcp_send_reset event."""

    def __init__(self, src, sport, dst, dport, state, reason):
        self.src, self.sport, self.dst, self.dport = src, sport, dst, dport
        self.state, self.reason = state, reason

    @property
    def sender(self):
        return (self.src, self.sport)

    def describe(self):
        return "%s:%d > %s:%d state=%s reason=%s" % (self.src, self.sport, self.dst,
                                                      self.dport, self.state, self.reason)


def parse(text):
    """The events of a trace buffer's text, in order."""
    events = []
    for line in text.splitlines():
        m = _LINE.search(line)
        if m:
            events.append(Reset(m["src"], int(m["sport"]), m["dst"], int(m["dport"]),
                                m["state"], m["reason"]))
    return events


def _mounted():
    return os.path.isdir(os.path.join(TRACEFS, "instances"))


def _mount():
    """Mounts tracefs where the kernel expects it; a message when that fails."""
    if _mounted():
        return None
    proc = subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0 or not _mounted():
        return "tracefs could not be mounted at %s: %s" % (TRACEFS, proc.stdout.strip())
    return None


class ResetTrace:
    """with ResetTrace() as trace: ... then trace.events(pairs). When the kernel has no
    reason in the tracepoint (before 6.10) or tracing is out of reach, trace.missing says
    why and events() is empty: the caller reports the reason checks as skipped."""

    def __init__(self):
        self.instance = None
        self.missing = None
        self._text = ""

    def __enter__(self):
        self.missing = _mount()
        if self.missing:
            return self
        if not os.path.isdir(os.path.join(TRACEFS, EVENT)):
            self.missing = "the kernel has no tcp:tcp_send_reset tracepoint (Linux %s)" % (
                os.uname().release)
            return self
        with open(os.path.join(TRACEFS, EVENT, "format")) as f:
            if "reason" not in f.read():
                self.missing = ("tcp:tcp_send_reset carries no reason on Linux %s (it does "
                                "from 6.10 on)" % os.uname().release)
                return self
        path = os.path.join(TRACEFS, "instances", "teardown-%d-%s" % (os.getpid(),
                                                                      uuid.uuid4().hex[:8]))
        try:
            os.mkdir(path)
            self.instance = path
            self._write(os.path.join(EVENT, "enable"), "1")
        except OSError as e:
            self.missing = "cannot enable tcp:tcp_send_reset in %s: %s" % (path, e)
            self._remove()
        return self

    def _write(self, name, value):
        with open(os.path.join(self.instance, name), "w") as f:
            f.write(value)

    def _remove(self):
        if self.instance:
            try:
                self._write(os.path.join(EVENT, "enable"), "0")
            except OSError:
                pass
            try:
                os.rmdir(self.instance)
            except OSError:
                pass
            self.instance = None

    def stop(self):
        """Reads the buffer and removes the instance; events() works from then on."""
        if self.instance:
            with open(os.path.join(self.instance, "trace")) as f:
                self._text = f.read()
            self._remove()

    def __exit__(self, *exc):
        self.stop()
        return False

    def events(self, endpoints):
        """The events sent from one of endpoints, a set of (address, port), to another."""
        return _between(parse(self._text), endpoints)

    def events_so_far(self, endpoints):
        """events(endpoints) while tracing goes on: what the buffer holds now."""
        if not self.instance:
            return []
        with open(os.path.join(self.instance, "trace")) as f:
            return _between(parse(f.read()), endpoints)


def _between(events, endpoints):
    return [e for e in events if e.sender in endpoints and (e.dst, e.dport) in endpoints]
