"""Every capture in captures/manifest.txt, through tshark with the plugin, single pass
and two-pass: the verdicts must be exactly those of the manifest, none missing, none
extra. A single pass cannot show forward marks (see tshark_runner.FORWARD_VERDICTS)."""
import os
import unittest

from tshark_runner import Tshark, expected_verdicts, read_manifest, verdict_difference

CAPTURES = os.environ.get("TEARDOWN_CAPTURES",
                          os.path.join(os.path.dirname(__file__), "..", "..", "captures"))


class ManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tshark = Tshark()
        cls.expected = read_manifest(os.path.join(CAPTURES, "manifest.txt"))

    def check(self, capture, two_pass):
        expected = expected_verdicts(self.expected[capture], two_pass)
        found = self.tshark.verdicts(os.path.join(CAPTURES, capture), two_pass)
        difference = verdict_difference(expected, found)
        if difference:
            self.fail("%s (%s):\n%s" % (capture, "two-pass" if two_pass else "single pass",
                                         difference))

    def test_manifest_lists_captures(self):
        self.assertTrue(self.expected, "captures/manifest.txt lists no capture")
        for capture in self.expected:
            self.assertTrue(os.path.exists(os.path.join(CAPTURES, capture)), capture)

    def test_single_pass(self):
        for capture in sorted(self.expected):
            with self.subTest(capture=capture):
                self.check(capture, two_pass=False)

    def test_two_pass(self):
        for capture in sorted(self.expected):
            with self.subTest(capture=capture):
                self.check(capture, two_pass=True)


if __name__ == "__main__":
    unittest.main()
