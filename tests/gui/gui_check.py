#!/usr/bin/env python3
"""Opens a capture in the Wireshark GUI under Xvfb with the plugin from the build tree and
checks, from inside the GUI process, that the plugin's verdicts are shown; can save
screenshots of the packet list, the packet details and the Expert Information dialog.

Wireshark started as root ignores WIRESHARK_PLUGIN_DIR and the personal configuration, so
as root it runs as nobody, on copies of everything in a scratch folder nobody can read.
"""
import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SCREEN = (1240, 760)
# The packet list's height in pixels, and where it ends on screen: menu, toolbars and
# the list's header sit above it at this window size.
UPPER_PANE = 290
LIST_BOTTOM = 92 + UPPER_PANE


class Failure(Exception):
    pass


def rule_name(path):
    """The name of the first coloring rule in a colorfilters-format file."""
    with open(path) as f:
        for line in f:
            if line.startswith("@"):
                return line.split("@")[1]
    raise Failure("no coloring rule in %s" % path)


def global_colorfilters():
    """Wireshark's default rules, which a personal colorfilters file replaces."""
    out = subprocess.run(["tshark", "-G", "folders"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, timeout=60).stdout
    for line in out.splitlines():
        if line.startswith("Global configuration:"):
            path = os.path.join(line.split(":", 1)[1].strip(), "colorfilters")
            if os.path.exists(path):
                with open(path) as f:
                    return f.read()
    return ""


class GuiSession:
    def __init__(self, args):
        self.args = args
        self.root = tempfile.mkdtemp(prefix="teardown-gui-")
        self.procs = []
        self.display = None
        self.wireshark = None
        self.report = os.path.join(self.root, "home", "report.txt")
        self.log = os.path.join(self.root, "home", "wireshark.log")

    # --- setup -------------------------------------------------------------------------

    def lay_out(self):
        a = self.args
        shutil.copytree(a.plugin_dir, os.path.join(self.root, "plugins"))
        self.capture = os.path.join(self.root, os.path.basename(a.capture))
        shutil.copy(a.capture, self.capture)
        shutil.copy(a.lua, os.path.join(self.root, "teardown_seen.lua"))
        conf = os.path.join(self.root, "home", ".config", "wireshark")
        os.makedirs(conf)
        with open(a.coloring_rule) as f:
            rule = f.read()
        files = {
            # Our rule first: the first matching rule wins over Bad TCP and TCP RST.
            "colorfilters": rule + global_colorfilters(),
            "recent": "gui.byte_view_show: FALSE\n"
                      "gui.geometry_main_upper_pane: %d\n"
                      "column.width: %%m, 48, %%t, 80, %%s, 80, %%d, 80, %%p, 64, %%L, 56, %%i, 820\n"
                      % UPPER_PANE,
            "recent_common": "gui.geometry_main_x: 0\ngui.geometry_main_y: 0\n"
                             "gui.geometry_main_width: %d\ngui.geometry_main_height: %d\n"
                             "gui.geometry_main_maximized: FALSE\n"
                             "gui.geom.ExpertInfoDialog.x: 0\ngui.geom.ExpertInfoDialog.y: 0\n"
                             "gui.geom.ExpertInfoDialog.width: 1000\n"
                             "gui.geom.ExpertInfoDialog.height: 330\n"
                             "privs.warn_if_elevated: FALSE\nsys.warn_if_no_capture: FALSE\n"
                             % SCREEN,
        }
        for name, text in files.items():
            with open(os.path.join(conf, name), "w") as f:
                f.write(text)
        home = os.path.join(self.root, "home")
        for folder, _, names in os.walk(self.root):
            writable = folder.startswith(home)
            os.chmod(folder, 0o777 if writable else 0o755)
            for name in names:
                os.chmod(os.path.join(folder, name), 0o666 if writable else 0o644)

    def start_xvfb(self):
        read_end, write_end = os.pipe()
        with open(os.path.join(self.root, "xvfb.log"), "w") as log:
            proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "%dx%dx24" % SCREEN,
                 "-nolisten", "tcp", "-noreset"],
                pass_fds=[write_end], stdout=subprocess.DEVNULL, stderr=log)
        self.procs.append(proc)
        os.close(write_end)
        # Xvfb dies if the pipe closes before it has written the whole line.
        text, deadline = b"", time.monotonic() + 30
        while not text.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([read_end], [], [], max(0, deadline - time.monotonic()))
            chunk = os.read(read_end, 32) if ready else b""
            if not chunk:
                break
            text += chunk
        os.close(read_end)
        number = text.decode().strip() if text.endswith(b"\n") else ""
        if not number:
            raise Failure("Xvfb did not start (no display number within 30 s)")
        self.display = ":" + number

    def start_wireshark(self):
        env = ["env", "HOME=" + os.path.join(self.root, "home"),
               "WIRESHARK_PLUGIN_DIR=" + os.path.join(self.root, "plugins"),
               "TEARDOWN_GUI_REPORT=" + self.report, "DISPLAY=" + self.display,
               "LC_ALL=C.UTF-8", "NO_AT_BRIDGE=1", "QT_QPA_PLATFORM=xcb"]
        cmd = env + [self.args.wireshark, "-r", self.capture,
                     "-X", "lua_script:" + os.path.join(self.root, "teardown_seen.lua")]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
        # Its own session, so that killing it also ends the dumpcap it starts.
        with open(self.log, "w") as log:
            self.wireshark = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                              stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(self.wireshark)

    def close(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    if proc is self.wireshark:
                        os.killpg(proc.pid, signal.SIGTERM)
                    else:
                        proc.terminate()
                    proc.wait(10)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    proc.kill()
                    proc.wait(10)
        if not self.args.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    # --- looking at the GUI --------------------------------------------------------------

    def lines(self):
        try:
            with open(self.report) as f:
                return [line.rstrip("\n").split("\t") for line in f]
        except FileNotFoundError:
            return []

    def log_tail(self):
        with open(self.log, errors="replace") as f:
            return "".join(f.readlines()[-15:]) or "(empty)"

    def wait(self, what, found, timeout):
        """Polls found() until it returns something; fails if the GUI exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = found()
            if result:
                return result
            if self.wireshark.poll() is not None:
                raise Failure("the Wireshark GUI exited (status %s) while waiting for %s; "
                              "its output:\n%s" % (self.wireshark.returncode, what, self.log_tail()))
            time.sleep(0.2)
        raise Failure("timed out after %d s waiting for %s; Wireshark's output:\n%s"
                      % (timeout, what, self.log_tail()))

    def xdotool(self, *args):
        return subprocess.run(["xdotool"] + list(args), env=dict(os.environ, DISPLAY=self.display),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              timeout=20).stdout.split()

    def window(self, title):
        found = self.xdotool("search", "--onlyvisible", "--name", title)
        return found[0] if found else None

    def keys(self, *keys):
        for key in keys:
            self.xdotool("key", key)
            time.sleep(0.3)
        time.sleep(0.7)

    def screenshot(self, name, window="root", crop=None):
        """Saves a PNG of a window, or of a part of the screen, to the screenshots folder."""
        if not self.args.screenshots:
            return
        os.makedirs(self.args.screenshots, exist_ok=True)
        path = os.path.join(self.args.screenshots, name)
        xwd = ["xwd", "-silent", "-display", self.display]
        xwd += ["-root"] if window == "root" else ["-id", window]
        steps = [xwd, ["xwdtopnm"]]
        if crop:
            left, top, width, height = crop
            steps.append(["pamcut", "-left", str(left), "-top", str(top),
                          "-width", str(width), "-height", str(height)])
        # Few colours keep a screenshot of text small without visible loss.
        steps += [["pnmquant", "64"], ["pnmtopng", "-compression", "9"]]
        with open(path, "wb") as out:
            upstream = None
            chain = []
            for i, step in enumerate(steps):
                last = i == len(steps) - 1
                p = subprocess.Popen(step, stdin=upstream, stdout=out if last else subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
                if upstream:
                    upstream.close()
                upstream = p.stdout
                chain.append(p)
            for p in chain:
                p.wait(60)
        if any(p.returncode for p in chain) or os.path.getsize(path) == 0:
            raise Failure("could not save screenshot %s" % path)
        print("screenshot %s (%d bytes)" % (path, os.path.getsize(path)))

    # --- the check -------------------------------------------------------------------------

    def frame_line(self, frame, pred=lambda line: True):
        for line in self.lines():
            if line[:2] == ["frame", str(frame)] and len(line) >= 7 and pred(line):
                return line
        return None

    def run(self):
        a = self.args
        rule = rule_name(a.coloring_rule)
        self.lay_out()
        self.start_xvfb()
        self.start_wireshark()

        state = self.wait("the Lua check script to start inside the GUI (GUI did not start, "
                          "or it runs Lua scripts not at all)",
                          lambda: self.lines() and self.lines()[0], 90)
        if state[0] == "missing-field":
            raise Failure("the GUI has no field %s: the plugin was not loaded from %s;\n%s"
                          % (state[1], a.plugin_dir, self.log_tail()))
        # The Lua tap is drawn once the GUI has read the whole capture.
        self.wait("the GUI to read the capture", lambda: ["draw"] in self.lines(), 90)
        for frame, verdict, cause in ((a.spurious_frame, "spurious_ack", "-"),
                                      (a.rst_frame, "provoked_rst", "1")):
            line = self.frame_line(frame)
            if not line or line[2] != verdict:
                raise Failure("the GUI read the capture but frame %d lacks teardown.%s: %s"
                              % (frame, verdict, line or "no teardown tree on it"))
            # The RST's cause, as the GUI's own dissection holds it: 1, a spurious ACK.
            if line[6] != cause:
                raise Failure("frame %d: teardown.rst_cause is %s in the GUI, expected %s"
                              % (frame, line[6], cause))
        main = self.wait("the main window", lambda: self.window(os.path.basename(self.capture)), 60)
        print("GUI: plugin loaded; teardown.spurious_ack on frame %d, teardown.provoked_rst "
              "with rst_cause 1 on frame %d" % (a.spurious_frame, a.rst_frame))

        self.xdotool("windowfocus", "--sync", main)
        self.xdotool("mousemove", "300", "200")
        time.sleep(1)
        self.screenshot("gui-packet-list.png", crop=(0, 0, SCREEN[0], LIST_BOTTOM))

        # Last packet, then one up: the spurious ACK (the RST follows it in this capture).
        self.keys("ctrl+End", *["ctrl+Up"] * (a.rst_frame - a.spurious_frame))
        # Into the details pane; its last item is the postdissector's subtree. A click on
        # its empty part leaves no current item, and the first key only makes one.
        self.xdotool("mousemove", str(SCREEN[0] // 2), str(SCREEN[1] - 60), "click", "1")
        time.sleep(0.5)
        self.keys("Home", "End", "shift+Right")
        self.screenshot("gui-packet-details.png",
                        crop=(0, LIST_BOTTOM + 4, 900, SCREEN[1] - LIST_BOTTOM - 4))

        # Alt+A opens Analyze; Up from its top wraps to its last item, Expert Information.
        self.xdotool("windowfocus", "--sync", main)
        self.keys("alt+a", "Up", "Return")
        dialog = self.wait("the Expert Information dialog",
                           lambda: self.window("Expert Information"), 30)
        # Opening it retaps every packet with columns, on frames coloured by now.
        for frame, prefix, link in ((a.spurious_frame, "[Spurious ACK after FIN]", "-"),
                                    (a.rst_frame, "[RST provoked by spurious ACK]",
                                     str(a.spurious_frame))):
            line = self.wait("the Expert Information retap of frame %d" % frame,
                             lambda: self.frame_line(frame, lambda l: l[5] != "(info)"), 30)
            if not line[5].startswith(prefix):
                raise Failure("frame %d's Info column in the GUI lacks %r: %r"
                              % (frame, prefix, line[5]))
            if line[3] != link:
                raise Failure("frame %d: teardown.provoked_by is %s, expected %s"
                              % (frame, line[3], link))
            if line[4] != rule:
                raise Failure("frame %d is coloured by rule %r, not by %r from %s: the GUI did "
                              "not accept the coloring rule" % (frame, line[4], rule,
                                                                a.coloring_rule))
        print("GUI: Info column prefixes, coloring rule %r, Expert Information dialog: ok" % rule)

        # Open both of the plugin's groups, the first and third Warning rows.
        self.xdotool("windowfocus", "--sync", dialog)
        self.xdotool("mousemove", "500", "250", "click", "1")
        time.sleep(0.5)
        self.keys("Home", "Right", "Down", "Down", "Down", "Right", "Home")
        self.screenshot("gui-expert-info.png", window=dialog)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--plugin-dir", required=True,
                   help="folder laid out as <dir>/4.0/epan/teardown.so")
    p.add_argument("--capture", required=True)
    p.add_argument("--coloring-rule", required=True, help="colorfilters-format file")
    p.add_argument("--spurious-frame", type=int, default=13)
    p.add_argument("--rst-frame", type=int, default=14)
    p.add_argument("--lua", default=os.path.join(here, "teardown_seen.lua"))
    p.add_argument("--wireshark", default="wireshark")
    p.add_argument("--screenshots", help="folder to save gui-*.png in")
    p.add_argument("--timeout", type=int, default=240, help="seconds for the whole check")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = p.parse_args()
    for tool, package in ((args.wireshark, "wireshark-qt"), ("Xvfb", "xvfb"),
                          ("xdotool", "xdotool"), ("xwd", "x11-apps"), ("pnmtopng", "netpbm"),
                          ("setpriv", "util-linux"), ("tshark", "tshark")):
        if not shutil.which(tool):
            print("FAIL: %s is not installed (Debian package %s)" % (tool, package),
                  file=sys.stderr)
            return 1

    def stop(signum, frame):
        raise Failure("stopped by signal %d (after %d s at most)" % (signum, args.timeout))
    # Both end in the finally below, so neither Xvfb nor the GUI outlives the check.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(args.timeout)
    session = GuiSession(args)
    try:
        session.run()
    except Failure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    finally:
        session.close()
    print("GUI check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
