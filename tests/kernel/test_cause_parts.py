"""The parts of the cause harness that need no root: reading the tracepoint's text, and
reading the reason-to-cause table of docs/KERNEL-REASONS.md."""
import os
import tempfile
import unittest

import cause_scenarios
import kernel_trace
import reset_reasons

# Lines as the kernel writes them into a tracing instance's trace file.
TRACE = """\
# tracer: nop
#
         python3-10353   [000] ..s1.  5565.223119: tcp_send_reset: skbaddr=00000000f480aab3 skaddr=0000000000000000 src=127.0.0.1:20001 dest=127.0.0.1:40001 state=UNKNOWN reason=NO_SOCKET
          <idle>-0       [001] ..s2.  5566.000001: tcp_send_reset: skbaddr=0000000000000000 skaddr=0000000079ce69e0 src=127.0.0.1:20002 dest=127.0.0.1:40002 state=TCP_CLOSE reason=TCP_ABORT_ON_CLOSE
          <idle>-0       [001] ..s2.  5567.000001: tcp_send_reset: skbaddr=0000000000000000 skaddr=0000000079ce69e0 src=192.0.2.1:20001 dest=192.0.2.2:40001 state=TCP_ESTABLISHED reason=TCP_KEEPALIVE_TIMEOUT
          <idle>-0       [001] ..s2.  5568.000001: tcp_send_reset: skbaddr=0000000000000000 skaddr=0000000079ce69e0 src=127.0.0.1:40001 dest=127.0.0.1:20001 state=TCP_CLOSE reason=TCP_STATE
"""


class TraceText(unittest.TestCase):
    def test_fields_of_each_event(self):
        events = kernel_trace.parse(TRACE)
        self.assertEqual([(e.src, e.sport, e.dst, e.dport, e.state, e.reason) for e in events], [
            ("127.0.0.1", 20001, "127.0.0.1", 40001, "UNKNOWN", "NO_SOCKET"),
            ("127.0.0.1", 20002, "127.0.0.1", 40002, "TCP_CLOSE", "TCP_ABORT_ON_CLOSE"),
            ("192.0.2.1", 20001, "192.0.2.2", 40001, "TCP_ESTABLISHED", "TCP_KEEPALIVE_TIMEOUT"),
            ("127.0.0.1", 40001, "127.0.0.1", 20001, "TCP_CLOSE", "TCP_STATE"),
        ])

    def test_only_the_runs_own_address_pair(self):
        trace = kernel_trace.ResetTrace()
        trace._text = TRACE
        mine = {("127.0.0.1", 20001), ("127.0.0.1", 40001)}
        self.assertEqual([e.reason for e in trace.events(mine)], ["NO_SOCKET", "TCP_STATE"])

    def test_an_event_without_a_reason(self):
        old = "x: tcp_send_reset: skbaddr=1 skaddr=2 src=10.0.0.1:1 dest=10.0.0.2:2 state=TCP_CLOSE\n"
        (event,) = kernel_trace.parse(old)
        self.assertIsNone(event.reason)


class ReasonTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mapping = reset_reasons.load()

    def test_every_expected_cause_has_a_reason(self):
        covered = set().union(*self.mapping.values())
        for sc in cause_scenarios.SCENARIOS:
            for cause in sc.causes:
                self.assertIn(cause, covered, sc.name)

    def test_agreement_and_disagreement(self):
        self.assertIsNone(reset_reasons.disagreement(self.mapping, "TCP_ABORT_ON_CLOSE", "abort"))
        self.assertIn("stands for abort, not refused",
                      reset_reasons.disagreement(self.mapping, "TCP_ABORT_ON_CLOSE", "refused"))
        self.assertIn("not in the reason-to-cause table",
                      reset_reasons.disagreement(self.mapping, "TCP_ABORT_ON_MEMORY", "abort"))

    def _load(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return reset_reasons.load(f.name)

    def test_a_table_naming_an_unknown_cause_is_refused(self):
        with self.assertRaises(reset_reasons.MappingError):
            self._load("## Reason to cause\n\n| `NO_SOCKET` | `nothing_listens` | x |\n")

    def test_a_document_without_the_table_is_refused(self):
        with self.assertRaises(reset_reasons.MappingError):
            self._load("## Something else\n\n| `NO_SOCKET` | `refused` | x |\n")


if __name__ == "__main__":
    unittest.main()
