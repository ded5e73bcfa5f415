"""Preference values that should not change what the plugin reports: a nonsense value for
the plugin's own preference, and TCP's sequence analysis or relative numbers turned off
(the plugin reads the raw header). Over every capture of captures/manifest.txt, single
and two-pass: the verdicts of the manifest, or tshark refusing the value with a message
that names it; never a crash."""
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tshark"))
from tshark_runner import (Tshark, expected_verdicts, read_manifest,  # noqa: E402
                           verdict_difference)

CAPTURES = os.environ.get("TEARDOWN_CAPTURES",
                          os.path.join(os.path.dirname(__file__), "..", "..", "captures"))


class PrefTshark(Tshark):
    """Passes its -o options to every run."""
    options = []

    def fields(self, capture, fields, two_pass=False, display_filter=None, extra=()):
        return super().fields(capture, fields, two_pass, display_filter,
                              list(self.options) + list(extra))


class PreferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tshark = PrefTshark()
        cls.expected = read_manifest(os.path.join(CAPTURES, "manifest.txt"))

    def refused(self, pref):
        """tshark's answer to the value alone: None if it takes it, else its message."""
        capture = self.tshark.readable(os.path.join(CAPTURES, sorted(self.expected)[0]))
        proc = subprocess.run(self.tshark.command(["-n", "-r", capture, "-o", pref, "-c", "1"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.assertGreaterEqual(proc.returncode, 0, "tshark died of %s with -o %s" % (
            signal.Signals(-proc.returncode).name if proc.returncode < 0 else "?", pref))
        if proc.returncode == 0:
            return None
        return proc.stderr.strip()

    def check_verdicts(self, pref):
        message = self.refused(pref)
        if message is not None:
            name = pref.split(":", 1)[0]
            self.assertIn(name, message, "tshark refused -o %s without naming it: %s" % (pref, message))
            return
        for capture in sorted(self.expected):
            for two_pass in (False, True):
                with self.subTest(capture=capture, two_pass=two_pass):
                    expected = expected_verdicts(self.expected[capture], two_pass)
                    self.tshark.options = ["-o", pref]
                    found = self.tshark.verdicts(os.path.join(CAPTURES, capture), two_pass)
                    difference = verdict_difference(expected, found)
                    if difference:
                        self.fail("-o %s, %s (%s):\n%s" % (
                            pref, capture, "two-pass" if two_pass else "single pass",
                            difference))

    def test_ip_id_duplicates_unknown_word(self):
        # Wireshark itself would read this as FALSE (a boolean) or ignore it (an enum),
        # silently: the plugin names it and keeps the value it had.
        capture = self.tshark.readable(os.path.join(CAPTURES, sorted(self.expected)[0]))
        for word in ("maybe", "banana", "2"):
            with self.subTest(word=word):
                proc = subprocess.run(
                    self.tshark.command(["-n", "-r", capture, "-o",
                                         "teardown.ip_id_duplicates:" + word, "-c", "1"]),
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn('teardown.ip_id_duplicates: "%s" is not TRUE or FALSE' % word,
                              proc.stderr)
        self.check_verdicts("teardown.ip_id_duplicates:maybe")

    def test_ip_id_duplicates_switch_words(self):
        # Every spelling of a switch Wireshark users type means what it says.
        capture = os.path.join(CAPTURES, "capture_duplicate.pcap")

        def verdicts_with(word):
            self.tshark.options = ["-o", "teardown.ip_id_duplicates:" + word]
            return self.tshark.verdicts(capture, two_pass=True)
        on, off = verdicts_with("TRUE"), verdicts_with("FALSE")
        self.assertNotEqual(on, off, "the preference changes nothing on %s" % capture)
        for word in ("1", "on", "yes", "true"):
            self.assertEqual(verdicts_with(word), on, word)
        for word in ("0", "off", "no", "false"):
            self.assertEqual(verdicts_with(word), off, word)

    def test_tcp_sequence_analysis_off(self):
        self.check_verdicts("tcp.analyze_sequence_numbers:FALSE")

    def test_tcp_absolute_sequence_numbers(self):
        self.check_verdicts("tcp.relative_sequence_numbers:FALSE")


if __name__ == "__main__":
    unittest.main()
