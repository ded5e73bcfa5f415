"""A private network namespace holding one TUN device, and the programs run inside it.

The kernel end of the TUN has KERNEL_IP; the userspace endpoint on the device answers for
USERSPACE_IP. IPv6 is off in the namespace so that no router solicitation or MLD report
joins the conversation on the wire. Everything is removed on exit, also on SIGTERM.

Without the TUN device (tun=False) both ends are the kernel's, on the loopback, which is
made a wire of 1500 bytes that sends every segment on its own (no segmentation offload),
so that the capture shows the segments a network would carry.
"""
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid

KERNEL_IP = "192.0.2.1"
USERSPACE_IP = "192.0.2.2"
TUN = "tdk0"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class LabError(Exception):
    """The machine cannot host the harness; the message says what is missing."""


def find_program(name, package):
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":" + SYSTEM_PATH)
    if not path:
        raise LabError("'%s' not found: install the Debian package %s" % (name, package))
    return path


def check_machine(tun=True):
    """Raises LabError naming the first thing this machine lacks."""
    if os.geteuid() != 0:
        raise LabError("not root: creating a network namespace and a TUN device, and "
                       "capturing on it, need root (CAP_NET_ADMIN, CAP_NET_RAW)")
    if tun and not os.path.exists("/dev/net/tun"):
        raise LabError("/dev/net/tun does not exist: the kernel has no TUN driver (modprobe "
                       "tun), or the container was started without the device")
    find_program("ip", "iproute2")
    find_program("dumpcap", "wireshark-common (installed with tshark)")


def _raise_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


class Child:
    """A program run in the namespace; its output lines are collected as they come."""

    def __init__(self, argv, name):
        self.name = name
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.lines = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, prefix, timeout):
        """The first output line starting with prefix; None if the program ends or the
        time runs out first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    return None
                self._changed.wait(min(left, 0.1))

    def wait(self, timeout):
        """The exit status; the program is killed if it has not ended in time."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            status = None
        self._reader.join(2)
        return status

    def stop(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def output(self):
        return "\n".join(self.lines)


class Lab:
    def __init__(self, tun=True):
        self.tun = tun
        self.ns = "tdk-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8])
        self.ip = None
        self.children = []
        self._old_sigterm = None
        self._created = False

    def _ip(self, *args, what):
        proc = subprocess.run([self.ip] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise LabError("%s: 'ip %s' said: %s" % (what, " ".join(args), proc.stdout.strip()))

    def __enter__(self):
        check_machine(self.tun)
        self.ip = find_program("ip", "iproute2")
        self._old_sigterm = signal.signal(signal.SIGTERM, _raise_on_sigterm)
        try:
            self._ip("netns", "add", self.ns, what="cannot create a network namespace")
            self._created = True
            self._disable_ipv6()
            self._ip("-n", self.ns, "link", "set", "lo", "up", what="cannot bring up lo")
            if not self.tun:
                self._ip("-n", self.ns, "link", "set", "lo", "mtu", "1500", "gso_max_segs", "1",
                         what="cannot make the loopback a 1500-byte wire")
                return self
            self._ip("-n", self.ns, "tuntap", "add", "dev", TUN, "mode", "tun",
                     what="cannot create a TUN device in the namespace")
            self._ip("-n", self.ns, "addr", "add", KERNEL_IP, "peer", USERSPACE_IP, "dev", TUN,
                     what="cannot address the TUN device")
            self._ip("-n", self.ns, "link", "set", TUN, "up", what="cannot bring up the TUN device")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _disable_ipv6(self):
        for scope in ("all", "default"):
            knob = "/proc/sys/net/ipv6/conf/%s/disable_ipv6" % scope
            subprocess.run([self.ip, "netns", "exec", self.ns, "sh", "-c",
                            "[ ! -e %s ] || echo 1 > %s" % (knob, knob)], check=False)

    def sysctl(self, name, value):
        """Sets a sysctl of the namespace (net.* ones are per namespace)."""
        knob = "/proc/sys/" + name.replace(".", "/")
        proc = subprocess.run([self.ip, "netns", "exec", self.ns, "sh", "-c",
                               "echo %d > %s" % (value, knob)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise LabError("cannot set %s in the namespace: %s" % (name, proc.stdout.strip()))

    def __exit__(self, *exc):
        for child in reversed(self.children):
            child.stop()
        if self._created:
            subprocess.run([self.ip, "netns", "del", self.ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            self._created = False
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None
        return False

    def start(self, argv, name):
        """Runs argv inside the namespace."""
        child = Child([self.ip, "netns", "exec", self.ns] + list(argv), name)
        self.children.append(child)
        return child

    def start_capture(self, path):
        """dumpcap on the TUN device (or the loopback), writing pcap; returns once it is
        capturing."""
        dumpcap = find_program("dumpcap", "wireshark-common (installed with tshark)")
        device = TUN if self.tun else "lo"
        child = self.start([dumpcap, "-i", device, "-P", "-w", path, "-q"], "dumpcap")
        if child.wait_for_line("File:", 10) is None:
            child.stop()
            raise LabError("dumpcap could not capture on %s:\n%s" % (device, child.output()))
        return child

    def stop_capture(self, child):
        """Stops dumpcap the way Ctrl-C does, so it writes out what it holds."""
        child.stop(signal.SIGINT)
        if child.proc.returncode != 0:
            raise LabError("dumpcap ended with status %s:\n%s"
                           % (child.proc.returncode, child.output()))
        return child.output()
