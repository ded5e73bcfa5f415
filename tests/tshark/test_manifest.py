"""Every capture in captures/manifest.txt, through tshark with the plugin, single pass
and two-pass: the verdicts must be exactly those of the manifest, none missing, none
extra. A single pass cannot show forward marks (see tshark_runner.FORWARD_VERDICTS)."""
import os
import unittest

from tshark_runner import FORWARD_VERDICTS, Tshark, read_manifest

CAPTURES = os.environ.get("TEARDOWN_CAPTURES",
                          os.path.join(os.path.dirname(__file__), "..", "..", "captures"))


def describe(entries):
    return "\n".join("  frame %d %s %s" % e for e in sorted(entries)) or "  (none)"


class ManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tshark = Tshark()
        cls.expected = read_manifest(os.path.join(CAPTURES, "manifest.txt"))

    def check(self, capture, two_pass):
        expected = self.expected[capture]
        if not two_pass:
            expected = {e for e in expected if e[1] not in FORWARD_VERDICTS}
        found = self.tshark.verdicts(os.path.join(CAPTURES, capture), two_pass)
        if found != expected:
            self.fail("%s (%s):\nmissing:\n%s\nunexpected:\n%s" % (
                capture, "two-pass" if two_pass else "single pass",
                describe(expected - found), describe(found - expected)))

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
