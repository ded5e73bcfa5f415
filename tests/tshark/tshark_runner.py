"""Runs tshark with the plugin from the build tree, and reads its verdicts back.

tshark started as root ignores WIRESHARK_PLUGIN_DIR, so as root it runs as nobody;
the plugin and the captures are copied to a private folder that nobody can read,
since the build tree may sit under a folder it cannot enter.
"""
import atexit
import os
import shutil
import subprocess
import tempfile

# Every verdict, with the field that carries its related frame.
VERDICTS = {
    "spurious_ack": None,
    "spurious_ack.harmless": None,
    "provoked_rst": "teardown.provoked_by",
    "rst_after_close": "teardown.peer_last_frame",
    "fin_reack": None,
    "capture_duplicate": None,
    "half_close": None,
    "data_after_close": "teardown.rst_answers",
    "abort": "teardown.rst_answers",
    "no_connection": "teardown.rst_answers",
    "refused": "teardown.rst_answers",
    "retransmission_timeout": "teardown.rst_answers",
    "rst_unexplained": "teardown.rst_answers",
}

# Shown on an earlier frame once a later one is seen: only a second pass has them.
FORWARD_VERDICTS = {"half_close"}


class Tshark:
    def __init__(self, tshark=None, plugin_dir=None):
        self.tshark = tshark or os.environ.get("TEARDOWN_TSHARK", "tshark")
        source = plugin_dir or os.environ["TEARDOWN_PLUGIN_DIR"]
        self.root = tempfile.mkdtemp(prefix="teardown-tshark-")
        atexit.register(shutil.rmtree, self.root, True)
        self.plugin_dir = os.path.join(self.root, "plugins")
        shutil.copytree(source, self.plugin_dir)
        self.home = os.path.join(self.root, "home")
        os.mkdir(self.home)
        for folder, dirs, files in os.walk(self.root):
            os.chmod(folder, 0o777 if folder == self.home else 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        self._captures = {}

    def readable(self, capture):
        """A copy of the capture that the unprivileged user can read."""
        if capture not in self._captures:
            copy = os.path.join(self.root, "%d-%s" % (len(self._captures), os.path.basename(capture)))
            shutil.copyfile(capture, copy)
            os.chmod(copy, 0o644)
            self._captures[capture] = copy
        return self._captures[capture]

    def command(self, args):
        env = ["env", "HOME=" + self.home, "WIRESHARK_PLUGIN_DIR=" + self.plugin_dir,
               "LC_ALL=C.UTF-8"]
        cmd = env + [self.tshark] + list(args)
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
        return cmd

    def run(self, args, check=True):
        """tshark's standard output; raises with its error output if it fails."""
        proc = subprocess.run(self.command(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        if check and proc.returncode != 0:
            raise RuntimeError("tshark %s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                              proc.stderr.strip()))
        return proc.stdout

    def fields(self, capture, fields, two_pass=False, display_filter=None, extra=()):
        """One dict per frame shown: field name -> value ('' when absent)."""
        args = ["-n", "-r", self.readable(capture)] + (["-2"] if two_pass else [])
        if display_filter:
            args += ["-Y", display_filter]
        args += list(extra) + ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a"]
        for f in fields:
            args += ["-e", f]
        rows = []
        for line in self.run(args).splitlines():
            values = line.split("\t")
            values += [""] * (len(fields) - len(values))
            rows.append(dict(zip(fields, values)))
        return rows

    def verdicts(self, capture, two_pass=False):
        """The set of (frame, verdict, related frame or '-') the plugin reports."""
        names = ["teardown." + v for v in VERDICTS]
        related = sorted({f for f in VERDICTS.values() if f})
        rows = self.fields(capture, ["frame.number"] + names + related, two_pass,
                           display_filter="teardown")
        found = set()
        for row in rows:
            for verdict, related_field in VERDICTS.items():
                if row["teardown." + verdict]:
                    link = row[related_field] if related_field else ""
                    found.add((int(row["frame.number"]), verdict, link or "-"))
        return found


def expected_verdicts(entries, two_pass):
    """A capture's manifest entries as a run shows them: a single pass lacks forward marks."""
    return set(entries) if two_pass else {e for e in entries if e[1] not in FORWARD_VERDICTS}


def verdict_difference(expected, found):
    """None when the sets agree, else what is missing and what is unexpected, frame by frame."""
    if found == expected:
        return None

    def describe(entries):
        return "\n".join("  frame %d %s %s" % e for e in sorted(entries)) or "  (none)"
    return "missing:\n%s\nunexpected:\n%s" % (describe(expected - found),
                                               describe(found - expected))


def read_manifest(path):
    """capture name -> set of (frame, verdict, related); '- none -' lines give empty sets."""
    expected = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            capture, frame, verdict, related = line.split()
            entries = expected.setdefault(capture, set())
            if verdict != "none":
                entries.add((int(frame), verdict, related))
    return expected
