"""The harness's conversations: who the userspace endpoint is, its stack's policy, the
sizes, and what the kernel must do about it. X, the endpoint that closes first, is always
the userspace one."""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    role: str                 # the userspace endpoint: "client" or "server"
    policy: str               # its stack: "nt351" (sends the extra ACK) or "fixed"
    request: int = 300        # client to server, before the server's response
    response: int = 2000      # server to client; the client has shut down by then
    last: int = 0             # a kernel client's bytes after the response (server role)
    delack_ms: int = 200      # NT's delayed-ACK timeout
    window: int = 64240
    capture: Optional[str] = None  # recorded as captures/<capture> by --record
    min_gap_ms: Optional[float] = None  # bounds on spurious ACK - ACK of the FIN
    max_gap_ms: Optional[float] = None
    # The userspace client falls silent after its request; the kernel server's keep-alive
    # probes go unanswered until it resets.
    falls_silent: bool = False

    @property
    def expect_rst(self):
        return self.policy == "nt351" or self.falls_silent


SCENARIOS = [
    Scenario("nt351_client", "the report's client against a kernel server: the extra ACK "
             "comes a delayed-ACK timeout (200 ms) after the ACK of the FIN, the kernel resets",
             role="client", policy="nt351", capture="kernel_nt351.pcap", min_gap_ms=150),
    Scenario("fixed_client", "the same client with the fix: no extra ACK, no RST",
             role="client", policy="fixed", capture="kernel_fixed.pcap"),
    Scenario("server_closes_first", "roles swapped: the userspace server answers and closes "
             "first, the kernel client reads, sends, closes, and resets the extra ACK",
             role="server", policy="nt351", last=500,
             capture="kernel_server_closes_first.pcap"),
    Scenario("server_closes_first_fixed", "roles swapped with the fix: no RST",
             role="server", policy="fixed", last=500),
    Scenario("large_response", "a 100000-byte response through a 4288-byte window "
             "(8 kernel segments of 536 bytes), then the extra ACK and the RST",
             role="client", policy="nt351", response=100000, window=4288),
    Scenario("spurious_after_0ms", "the extra ACK right behind the ACK of the FIN (a 0 ms "
             "timer): the kernel, closed by the first, resets the second",
             role="client", policy="nt351", delack_ms=0, max_gap_ms=20),
    Scenario("keepalive_timeout", "the client sends its request and falls silent; the "
             "kernel server's keep-alive (idle 1 s, 3 probes 1 s apart) gives up with a RST",
             role="client", policy="fixed", falls_silent=True),
]


def find(name):
    for s in SCENARIOS:
        if s.name == name:
            return s
    return None
