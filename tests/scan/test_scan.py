"""tools/teardown-scan end to end: GNU parallel, tshark and the plugin from the build tree.

Like the tshark tests, the scan runs as an unprivileged user when the suite runs as root
(tshark ignores WIRESHARK_PLUGIN_DIR as root), on copies of the tool and the captures in
a folder that user can read.
"""
import csv
import os
import re
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "tshark"))
from tshark_runner import VERDICTS, Tshark, expected_verdicts, read_manifest, verdict_difference  # noqa: E402

CAPTURES = os.environ.get("TEARDOWN_CAPTURES", os.path.join(TOP, "captures"))
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def bundled():
    return sorted(n for n in os.listdir(CAPTURES) if os.path.isfile(os.path.join(CAPTURES, n))
                  and not n.startswith("."))


class Scan:
    """A private copy of the tool and the plugin, and runs of the tool over it."""

    def __init__(self):
        self.tshark = Tshark()
        self.root = self.tshark.root
        self.tool = os.path.join(self.root, "tools", "teardown-scan")
        shutil.copytree(os.path.join(TOP, "tools"), os.path.dirname(self.tool))
        self.captures = self.folder("captures")
        for name in bundled():
            self.place(os.path.join(CAPTURES, name), os.path.join(self.captures, name))
        self.readable(os.path.dirname(self.tool))

    def folder(self, name):
        path = os.path.join(self.root, name)
        os.mkdir(path)
        os.chmod(path, 0o777)
        return path

    def place(self, source, target):
        shutil.copyfile(source, target)
        os.chmod(target, 0o644)
        return target

    @staticmethod
    def readable(folder):
        os.chmod(folder, 0o755)
        for name in os.listdir(folder):
            os.chmod(os.path.join(folder, name), 0o755)

    def run(self, args, env=(), cwd=None):
        """(exit status, stdout, stderr, report rows) of teardown-scan ARGS."""
        report = os.path.join(self.folder("run-%d" % len(os.listdir(self.root))), "report.csv")
        cmd = ["env", "HOME=" + self.tshark.home, "WIRESHARK_PLUGIN_DIR=" + self.tshark.plugin_dir,
               "TEARDOWN_TSHARK=" + shutil.which(self.tshark.tshark), "LC_ALL=C.UTF-8"]
        cmd += list(env) + ["python3", self.tool, "--output", report] + list(args)
        if os.geteuid() == 0:
            # root's PATH can lead to interpreters under root's home, closed to nobody.
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                   "env", "PATH=/usr/local/bin:/usr/bin:/bin"] + cmd
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=900, cwd=cwd)
        rows = []
        if os.path.exists(report):
            with open(report, newline="") as f:
                rows = list(csv.DictReader(f))
        return proc.returncode, proc.stdout, proc.stderr, rows


def findings(rows, path):
    """A file's rows as the manifest writes them: (frame, verdict, related or '-')."""
    found = set()
    for row in rows:
        if row["file"] == path and row["verdict"]:
            verdict = row["verdict"][len("teardown."):]
            related = row["related_frame"] if VERDICTS.get(verdict) else ""
            found.add((int(row["frame"]), verdict, related or "-"))
    return found


class CapturesTest(unittest.TestCase):
    """The bundled captures folder: every capture's findings are its manifest's."""

    @classmethod
    def setUpClass(cls):
        cls.scan = Scan()
        cls.status, cls.out, cls.err, cls.rows = cls.scan.run(["--jobs", "2", cls.scan.captures])

    def test_findings_are_the_manifest(self):
        expected = read_manifest(os.path.join(CAPTURES, "manifest.txt"))
        self.assertTrue(expected)
        for capture, entries in sorted(expected.items()):
            with self.subTest(capture=capture):
                path = os.path.join(self.scan.captures, capture)
                difference = verdict_difference(expected_verdicts(entries, True),
                                                findings(self.rows, path))
                if difference:
                    self.fail("%s:\n%s\nstderr: %s" % (capture, difference, self.err))

    def test_rows_are_complete(self):
        for row in self.rows:
            if row["verdict"]:
                self.assertRegex(row["time"], ISO_TIME, row)
                self.assertRegex(row["stream"], r"^\d+$", row)
                self.assertRegex(row["src"], r":\d+$", row)
                self.assertRegex(row["dst"], r":\d+$", row)
                self.assertEqual(row["error"], "", row)

    def test_files_that_are_no_capture_are_named(self):
        others = sorted(os.path.join(self.scan.captures, n) for n in bundled()
                        if not n.endswith((".pcap", ".pcapng")))
        failed = sorted(row["file"] for row in self.rows if row["error"])
        self.assertEqual(failed, others)
        self.assertEqual(self.status, 1 if others else 0, self.err)
        for path in others:
            self.assertIn(path, self.err)
        self.assertIn("files scanned: %d (%d could not be read)"
                      % (len(bundled()), len(others)), self.out)

    def test_summary_counts_findings_by_kind(self):
        kinds = {}
        for row in self.rows:
            if row["verdict"]:
                kinds[row["verdict"]] = kinds.get(row["verdict"], 0) + 1
        self.assertIn("teardown.spurious_ack", kinds)
        for kind, count in kinds.items():
            self.assertRegex(self.out, r"(?m)^  %s +%d$" % (re.escape(kind), count))


class RingBufferTest(unittest.TestCase):
    """q152474.pcap as two files of a dumpcap ring buffer, split at two places."""

    @classmethod
    def setUpClass(cls):
        cls.scan = Scan()
        source = os.path.join(CAPTURES, "q152474.pcap")
        # Frame 12 acknowledges Y's FIN, 13 is the spurious ACK, 14 the RST it provokes.
        cls.after_fin_ack = cls.ring("after_fin_ack", source, 12)
        cls.after_spurious = cls.ring("after_spurious", source, 13)
        cls.status, cls.out, cls.err, cls.rows = cls.scan.run(
            [os.path.dirname(cls.after_fin_ack[0]), os.path.dirname(cls.after_spurious[0])])

    @classmethod
    def ring(cls, name, source, last_of_first):
        folder = cls.scan.folder(name)
        files = []
        # editcap -r keeps the frames listed, without -r it drops them.
        for number, keep in ((1, ["-r"]), (2, [])):
            path = os.path.join(folder, "ring_%05d_2024010100000%d.pcapng" % (number, number))
            subprocess.run(["editcap", "-F", "pcapng"] + keep + [source, path, "1-%d" % last_of_first],
                           check=True)
            os.chmod(path, 0o644)
            files.append(path)
        return files

    def rows_of(self, path):
        return [row for row in self.rows if row["file"] == path]

    def test_scan_succeeds(self):
        self.assertEqual(self.status, 0, self.err)

    def test_split_after_the_ack_of_the_fin(self):
        first, second = self.after_fin_ack
        self.assertEqual(findings(self.rows, first), {(5, "half_close", "-")})
        self.assertEqual(findings(self.rows, second),
                         {(1, "spurious_ack", "-"), (2, "provoked_rst", "1")})
        rows = {row["verdict"]: row for row in self.rows_of(second)}
        self.assertEqual(len(rows), 2, "each finding once")
        self.assertEqual(rows["teardown.spurious_ack"]["related_frame"], "2")
        self.assertEqual(rows["teardown.provoked_rst"]["bytes"], "4380")
        # Numbered as a run over the second file alone numbers them.
        self.assertEqual({row["stream"] for row in rows.values()}, {"0"})
        self.assertEqual({row["related_file"] for row in rows.values()}, {""})

    def test_split_after_the_spurious_ack(self):
        first, second = self.after_spurious
        self.assertEqual(findings(self.rows, first),
                         {(5, "half_close", "-"), (13, "spurious_ack", "-")})
        self.assertEqual(findings(self.rows, second), {(1, "provoked_rst", "13")})
        (rst,) = self.rows_of(second)
        self.assertEqual(rst["related_file"], first, "the spurious ACK is in the first file")

    def test_without_the_tail_the_teardown_is_lost(self):
        status, _, err, rows = self.scan.run(["--tail", "0", self.after_fin_ack[1]])
        self.assertEqual(status, 0, err)
        verdicts = {verdict for _, verdict, _ in findings(rows, self.after_fin_ack[1])}
        self.assertFalse(verdicts & {"spurious_ack", "provoked_rst"}, verdicts)


class BadInputTest(unittest.TestCase):
    """A folder with a good capture and four that are not: all named, the rest scanned."""

    @classmethod
    def setUpClass(cls):
        cls.scan = Scan()
        folder = cls.scan.folder("incident")
        source = os.path.join(CAPTURES, "q152474.pcap")
        cls.good = cls.scan.place(source, os.path.join(folder, "good.pcap"))
        cls.truncated = os.path.join(folder, "truncated.pcap")
        with open(source, "rb") as f, open(cls.truncated, "wb") as out:
            out.write(f.read()[:1000])
        cls.text = os.path.join(folder, "notes.pcap")
        with open(cls.text, "w") as f:
            f.write("Ticket 4711: resets after the nightly batch.\n" * 20)
        cls.empty = os.path.join(folder, "empty.pcapng")
        open(cls.empty, "w").close()
        cls.unreadable = cls.scan.place(source, os.path.join(folder, "unreadable.pcap"))
        for path in (cls.truncated, cls.text, cls.empty):
            os.chmod(path, 0o644)
        os.chmod(cls.unreadable, 0)
        cls.missing = os.path.join(folder, "missing.pcap")
        cls.bad = [cls.truncated, cls.text, cls.empty, cls.unreadable, cls.missing]
        cls.status, cls.out, cls.err, cls.rows = cls.scan.run(
            ["--jobs", "2", folder, cls.missing])

    def test_exit_status_says_something_failed(self):
        self.assertEqual(self.status, 1, self.err)

    def test_each_bad_file_is_named_on_stderr_and_in_the_report(self):
        failed = {row["file"] for row in self.rows if row["error"]}
        self.assertEqual(failed, set(self.bad))
        for path in self.bad:
            self.assertRegex(self.err, r"(?m)^teardown-scan: %s: \S" % re.escape(path))

    def test_the_good_capture_is_scanned(self):
        self.assertEqual(findings(self.rows, self.good),
                         {(5, "half_close", "-"), (13, "spurious_ack", "-"),
                          (14, "provoked_rst", "13")})
        self.assertIn("files scanned: 6 (5 could not be read)", self.out)


class SshloginTest(unittest.TestCase):
    """--sshlogin over two logins and this machine. ssh is tests/scan/fake-ssh, so no
    login happens, but each job crosses a remote shell with nothing of the caller's
    environment or working folder: it must get the plugin folder through parallel's
    --env and the captures by absolute path, as on a real remote machine."""

    CAPTURES = ["q152474.pcap", "ipv6.pcap", "vlan.pcap", "interleaved.pcap",
                "several_spurious.pcap", "abortive_rst.pcap"]

    @classmethod
    def setUpClass(cls):
        cls.scan = Scan()
        ssh = cls.scan.place(os.path.join(HERE, "fake-ssh"), os.path.join(cls.scan.root, "fake-ssh"))
        os.chmod(ssh, 0o755)
        env = ["PARALLEL_SSH=" + ssh, "FAKE_SSH_HOME=" + cls.scan.folder("remote-home")]
        # Relative to the tool's working folder, which the jobs do not share.
        cls.paths = {c: os.path.join("captures", c) for c in cls.CAPTURES}
        cls.status, cls.out, cls.err, cls.rows = cls.scan.run(
            ["--sshlogin", "1/:,1/host-a,1/host-b"] + list(cls.paths.values()), env,
            cwd=cls.scan.root)
        cls.expected = read_manifest(os.path.join(CAPTURES, "manifest.txt"))

    def test_findings_are_the_manifest(self):
        self.assertEqual(self.status, 0, self.err)
        for capture in self.CAPTURES:
            with self.subTest(capture=capture):
                self.assertEqual(findings(self.rows, self.paths[capture]),
                                 expected_verdicts(self.expected[capture], True))

    def test_every_login_ran_jobs(self):
        line = re.search(r"(?m)^scanned on: (.*)$", self.out)
        self.assertTrue(line, self.out)
        counts = dict(part.rsplit(" ", 1) for part in line.group(1).split(", "))
        self.assertEqual(set(counts), {":", "host-a", "host-b"})
        self.assertEqual(sum(int(n) for n in counts.values()), len(self.CAPTURES))


if __name__ == "__main__":
    unittest.main()
