"""tshark with the plugin built with AddressSanitizer and UBSan, and a verdict on each run.

tshark itself is not instrumented, so the sanitizer runtime is preloaded; the plugin is
built in a build tree of its own with the sanitizer flags on the command line, so the
project's CMake files need no option for it.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tshark"))
from tshark_runner import Tshark  # noqa: E402

SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# Sanitizer reports get exit codes of their own, apart from tshark's (0 to 9).
ASAN_EXIT, UBSAN_EXIT = 86, 87
SANITIZER_TEXT = ("ERROR: AddressSanitizer", "runtime error:", "AddressSanitizer:DEADLYSIGNAL",
                  "ERROR: UndefinedBehaviorSanitizer")


def build_plugin(source, build_dir, cc="gcc", cmake="cmake"):
    """Configures and builds the plugin with sanitizers; returns its plugins folder."""
    subprocess.run([cmake, "-S", source, "-B", build_dir, "-DBUILD_TESTING=OFF",
                    "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DCMAKE_C_COMPILER=" + cc,
                    "-DCMAKE_C_FLAGS=" + SANITIZE], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([cmake, "--build", build_dir, "--target", "teardown", "-j2"], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "plugins")


def runtime_library(cc="gcc"):
    """The compiler's shared ASan runtime, to preload into tshark."""
    path = subprocess.run([cc, "-print-file-name=libasan.so"], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    if not os.path.isabs(path) or not os.path.exists(path):
        raise RuntimeError("%s has no shared AddressSanitizer runtime (libasan.so)" % cc)
    return os.path.realpath(path)


class Outcome:
    """What one run did: 'ok', 'error' (tshark refused the file cleanly), or a finding:
    'sanitizer', 'crash' (a signal) or 'hang'."""

    def __init__(self, kind, returncode, stderr):
        self.kind, self.returncode, self.stderr = kind, returncode, stderr

    @property
    def is_finding(self):
        return self.kind in ("sanitizer", "crash", "hang")


class AsanTshark(Tshark):
    def __init__(self, plugin_dir, libasan, tshark=None):
        super().__init__(tshark=tshark, plugin_dir=plugin_dir)
        self.libasan = libasan
        self.work = os.path.join(self.root, "work")
        os.mkdir(self.work)
        os.chmod(self.work, 0o755)

    def command(self, args):
        cmd = super().command(args)
        at = cmd.index("env") + 1
        cmd[at:at] = [
            "LD_PRELOAD=" + self.libasan,
            # tshark's own allocations are not ours to judge; its exit is not a leak report.
            "ASAN_OPTIONS=detect_leaks=0:exitcode=%d:allocator_may_return_null=1" % ASAN_EXIT,
            "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=%d" % UBSAN_EXIT,
        ]
        return cmd

    def judge(self, capture, two_pass, timeout):
        """Dissects the capture in full (-V), in two passes with the plugin's statistics
        too, and says how it went."""
        args = ["-n", "-r", capture] + (["-2", "-z", "teardown,tree"] if two_pass else []) + ["-V"]
        try:
            proc = subprocess.run(self.command(args), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            return Outcome("hang", None, (e.stderr or b"").decode(errors="replace"))
        err = proc.stderr.decode(errors="replace")
        if any(t in err for t in SANITIZER_TEXT) or proc.returncode in (ASAN_EXIT, UBSAN_EXIT):
            return Outcome("sanitizer", proc.returncode, err)
        if proc.returncode < 0 or proc.returncode >= 64:
            return Outcome("crash", proc.returncode, err)
        return Outcome("ok" if proc.returncode == 0 else "error", proc.returncode, err)
