"""The ways Linux ends a connection with a RST, one scenario each, with the cause the
plugin must give every RST the kernel sends, in capture order."""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple


@dataclass(frozen=True)
class CauseScenario:
    name: str
    summary: str
    causes: Tuple[str, ...]            # of the kernel's RSTs, in capture order
    socket_case: Optional[str] = None  # a case of socket_cases.py, on the loopback
    tun_scenario: Optional[str] = None  # a scenario of scenarios.py, over the TUN device
    sysctls: Dict[str, int] = field(default_factory=dict)  # set in the namespace first
    capture: Optional[str] = None      # recorded as captures/<capture> by --record


# Linux stretches a FIN-WAIT-2 timeout this short to 3.5 retransmission timeouts (700 ms
# on the loopback); socket_cases.py waits longer than that.
SHORT_FIN_TIMEOUT = {"net.ipv4.tcp_fin_timeout": 1}

SCENARIOS = [
    CauseScenario("refused", "connect() to a port where nothing listens",
                  ("refused",), socket_case="refused", capture="kernel_refused.pcap"),
    CauseScenario("abort_unread", "the server closes with the request unread",
                  ("abort",), socket_case="abort_unread", capture="kernel_abort.pcap"),
    CauseScenario("abort_linger", "the server reads the request and closes with SO_LINGER 0",
                  ("abort",), socket_case="abort_linger"),
    CauseScenario("abort_linger2", "the server shuts down, and closes in FIN-WAIT-2 with "
                  "TCP_LINGER2 -1", ("abort",), socket_case="abort_linger2"),
    CauseScenario("data_after_close", "the server answers and closes; the client's second "
                  "request, right behind its reading of the FIN, finds the orphaned socket",
                  ("data_after_close",), socket_case="data_after_close",
                  capture="kernel_data_after_close.pcap"),
    CauseScenario("data_after_time_wait", "the same, once the client has acknowledged the "
                  "FIN and the server's socket is a time-wait placeholder",
                  ("data_after_close",), socket_case="data_after_time_wait"),
    CauseScenario("burst_after_close", "a second request of two segments to the "
                  "placeholder: one RST each, the second from no socket at all",
                  ("data_after_close", "no_connection"), socket_case="burst_after_close"),
    CauseScenario("data_after_fin_timeout", "the second request comes after the server's "
                  "FIN-WAIT-2 timer (tcp_fin_timeout 1 s) has run out",
                  ("data_after_close",), socket_case="data_after_fin_timeout",
                  sysctls=SHORT_FIN_TIMEOUT),
    CauseScenario("fin_after_timeout", "the client's FIN comes after the server's "
                  "FIN-WAIT-2 timer (tcp_fin_timeout 1 s) has run out",
                  ("no_connection",), socket_case="fin_after_timeout",
                  sysctls=SHORT_FIN_TIMEOUT, capture="kernel_no_connection.pcap"),
    CauseScenario("retransmission_timeout", "the userspace client falls silent; the kernel "
                  "server's keep-alive probes go unanswered", ("retransmission_timeout",),
                  tun_scenario="keepalive_timeout",
                  capture="kernel_retransmission_timeout.pcap"),
    CauseScenario("spurious_ack", "Q152474: the userspace client's spurious ACK reaches the "
                  "kernel server after its close", ("spurious_ack",),
                  tun_scenario="nt351_client", capture="kernel_spurious_ack.pcap"),
]


def find(name):
    for s in SCENARIOS:
        if s.name == name:
            return s
    return None
