"""The plugin as a user meets it in tshark, on the Q152474 capture and a clean close:
loading, display filters, fields, the Info column, expert info, the statistics tree,
and single pass against two-pass."""
import os
import re
import unittest

from tshark_runner import Tshark, read_manifest

CAPTURES = os.environ.get("TEARDOWN_CAPTURES",
                          os.path.join(os.path.dirname(__file__), "..", "..", "captures"))
Q152474 = os.path.join(CAPTURES, "q152474.pcap")
CLEAN = os.path.join(CAPTURES, "clean_close.pcap")

SPEC_FIELDS = [
    "teardown.spurious_ack", "teardown.spurious_ack.harmless", "teardown.provoked_rst",
    "teardown.rst_after_close", "teardown.fin_reack", "teardown.capture_duplicate",
    "teardown.half_close", "teardown.fin_ack_frame", "teardown.peer_fin_frame",
    "teardown.provoked_by", "teardown.provoked_rst_frame", "teardown.time_since_fin_ack",
    "teardown.sender_state", "teardown.receiver_state", "teardown.fixed_stack_sends",
    "teardown.response_bytes",
]
# Fields only a second pass can fill.
FORWARD_FIELDS = {"teardown.provoked_rst_frame", "teardown.half_close"}
TIME_WAIT, CLOSED = "5", "8"
# -T fields prints booleans as 1/0 up to 4.2 and as True/False since.
TRUE, FALSE = ("1", "True"), ("0", "False")


def frames(rows):
    return [int(r["frame.number"]) for r in rows]


class PluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tshark = Tshark()
        expected = read_manifest(os.path.join(CAPTURES, "manifest.txt"))["q152474.pcap"]
        by_verdict = {v: (frame, related) for frame, v, related in expected}
        cls.spurious = by_verdict["spurious_ack"][0]
        cls.rst, provoked_by = by_verdict["provoked_rst"]
        assert int(provoked_by) == cls.spurious, "manifest: the RST must link to the spurious ACK"

    def fields(self, capture, fields, **kw):
        return self.tshark.fields(capture, ["frame.number"] + fields, **kw)

    def test_loaded_from_the_build_tree(self):
        listing = self.tshark.run(["-G", "plugins"])
        line = [l for l in listing.splitlines() if "teardown" in l]
        self.assertEqual(len(line), 1, "plugin not loaded exactly once:\n" + listing)
        self.assertIn(self.tshark.plugin_dir, line[0])

    def test_protocol_and_spec_fields_registered(self):
        self.assertIn("TCP Teardown Analysis\tTEARDOWN\tteardown",
                      self.tshark.run(["-G", "protocols"]))
        registered = set()
        for line in self.tshark.run(["-G", "fields"]).splitlines():
            parts = line.split("\t")
            if len(parts) > 2 and parts[0] in ("F", "P"):
                registered.add(parts[2])
        self.assertEqual([f for f in SPEC_FIELDS if f not in registered], [])

    def test_display_filters_find_the_pattern(self):
        self.assertEqual(frames(self.fields(Q152474, [], display_filter="teardown.spurious_ack")),
                         [self.spurious])
        self.assertEqual(frames(self.fields(Q152474, [], display_filter="teardown.provoked_rst")),
                         [self.rst])
        self.assertEqual(frames(self.fields(CLEAN, [], display_filter=(
            "teardown.spurious_ack || teardown.provoked_rst || teardown.rst_after_close"))), [])

    def test_spurious_ack_fields(self):
        row, = self.fields(Q152474, ["teardown.fixed_stack_sends", "teardown.fin_ack_frame",
                                     "teardown.peer_fin_frame", "teardown.time_since_fin_ack",
                                     "teardown.sender_state", "teardown.receiver_state",
                                     "tcp.flags.str", "tcp.len"],
                           display_filter="frame.number == %d" % self.spurious)
        self.assertEqual(row["tcp.len"], "0")
        self.assertIn(row["teardown.fixed_stack_sends"], FALSE)
        self.assertLess(int(row["teardown.fin_ack_frame"]), self.spurious)
        self.assertLess(int(row["teardown.peer_fin_frame"]), int(row["teardown.fin_ack_frame"]))
        self.assertGreater(float(row["teardown.time_since_fin_ack"]), 0)
        self.assertEqual(row["teardown.sender_state"], TIME_WAIT)
        self.assertEqual(row["teardown.receiver_state"], CLOSED)

    def test_provoked_rst_links_back_and_counts_the_response(self):
        row, = self.fields(Q152474, ["teardown.provoked_by", "teardown.response_bytes",
                                     "tcp.flags.reset", "tcp.seq_raw"],
                           display_filter="frame.number == %d" % self.rst)
        self.assertIn(row["tcp.flags.reset"], TRUE)
        self.assertEqual(int(row["teardown.provoked_by"]), self.spurious)
        # Y's payload after X's FIN, counted independently from tshark's own fields.
        rows = self.fields(Q152474, ["tcp.srcport", "tcp.len", "tcp.flags.fin"])
        x_port = next(r["tcp.srcport"] for r in rows if r["tcp.flags.fin"] in TRUE)
        x_fin = next(int(r["frame.number"]) for r in rows if r["tcp.flags.fin"] in TRUE)
        response = sum(int(r["tcp.len"]) for r in rows
                       if int(r["frame.number"]) > x_fin and r["tcp.srcport"] != x_port)
        self.assertGreater(response, 0)
        self.assertEqual(int(row["teardown.response_bytes"]), response)

    def test_forward_link_needs_a_second_pass(self):
        query = dict(display_filter="frame.number == %d" % self.spurious)
        single, = self.fields(Q152474, ["teardown.provoked_rst_frame"], **query)
        double, = self.fields(Q152474, ["teardown.provoked_rst_frame"], two_pass=True, **query)
        self.assertEqual(single["teardown.provoked_rst_frame"], "")
        self.assertEqual(int(double["teardown.provoked_rst_frame"]), self.rst)

    def test_single_and_two_pass_agree_but_for_forward_fields(self):
        fields = [f for f in SPEC_FIELDS if f not in FORWARD_FIELDS]
        for capture in (Q152474, CLEAN):
            with self.subTest(capture=os.path.basename(capture)):
                single = self.fields(capture, fields)
                double = self.fields(capture, fields, two_pass=True)
                self.assertEqual(single, double)
                self.assertTrue(any(r["teardown.sender_state"] for r in single))

    def test_info_column_prefixes(self):
        # The summary lines, not -e _ws.col.Info: since 4.2 that field is filled before
        # postdissectors run, while the column users see still gets the prefix.
        out = self.tshark.run(["-n", "-r", self.tshark.readable(Q152474),
                               "-Y", "teardown.spurious_ack || teardown.provoked_rst",
                               "-o", 'gui.column.format:"No.","%m","Info","%i"'])
        info = {}
        for line in out.splitlines():
            number, text = line.strip().split(None, 1)
            info[int(number)] = text
        self.assertTrue(info[self.spurious].startswith("[Spurious ACK after FIN]"), info)
        self.assertTrue(info[self.rst].startswith("[RST provoked by spurious ACK]"), info)

    def test_expert_summary_groups_constant_texts(self):
        out = self.tshark.run(["-n", "-q", "-r", self.tshark.readable(Q152474), "-z", "expert"])
        warnings = out.split("Warns", 1)[1].split("\n\n", 1)[0] if "Warns" in out else ""
        lines = [l for l in warnings.splitlines() if "TEARDOWN" in l]
        self.assertEqual(len(lines), 2, out)
        self.assertTrue(any(re.match(r"\s+1\s+Sequence\s+TEARDOWN\s+Spurious ACK after FIN", l)
                            for l in lines), out)
        self.assertTrue(any(re.match(r"\s+1\s+Sequence\s+TEARDOWN\s+RST provoked by a spurious ACK", l)
                            for l in lines), out)

    def test_disabled_protocol_shows_nothing(self):
        # The postdissector's handle names a helper protocol, which teardown enables.
        out = self.tshark.run(["-n", "-r", self.tshark.readable(Q152474), "-z", "expert",
                               "--disable-protocol", "teardown"])
        self.assertIn("Sequence                TCP", out)
        self.assertNotIn("TEARDOWN", out)
        self.assertNotIn("[Spurious ACK after FIN]", out)

    def stats(self, capture, two_pass=False):
        args = ["-n", "-q", "-r", self.tshark.readable(capture), "-z", "teardown,tree"]
        out = self.tshark.run(args + (["-2"] if two_pass else []))
        counts = {}
        for line in out.splitlines():
            m = re.match(r"^(\s*\S.*?)\s{2,}(\d+)\s", line)
            if m:
                counts[m.group(1).strip()] = int(m.group(2))
        return counts

    def test_statistics_tree(self):
        for two_pass in (False, True):
            with self.subTest(two_pass=two_pass):
                q = self.stats(Q152474, two_pass)
                self.assertEqual(q["Conversations"], 1)
                self.assertEqual(q["with a spurious ACK after FIN"], 1)
                self.assertEqual(q["reset by a spurious ACK (Q152474)"], 1)
                self.assertEqual(q["Spurious ACK after FIN"], 1)
                self.assertEqual(q["RST provoked by spurious ACK"], 1)
                clean = self.stats(CLEAN, two_pass)
                self.assertEqual(clean["Conversations"], 1)
                self.assertEqual(clean["Spurious ACK after FIN"], 0)
                self.assertEqual(clean["RST provoked by spurious ACK"], 0)


if __name__ == "__main__":
    unittest.main()
