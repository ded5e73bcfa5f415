#!/usr/bin/env python3
"""Record real TCP traffic of the Linux stack: what a web or API server sees, on loopback.

No public capture can stand for "real traffic" everywhere, and the benchmark generator's
mix is mostly teardowns. This script makes traffic with the kernel's own TCP instead:
HTTP servers (Python's http.server) and clients (plain sockets) talk over the loopback
interface of a private network namespace, so nothing leaves the machine, while dumpcap
(or tcpdump) records it to a pcap file.

The mix: HTTP/1.1 keep-alive connections with several requests each, one request per
connection with the client or the server closing first, a few early half-closes, large
downloads (some read slowly, so the window fills and opens again), about a quarter of it
over IPv6, a few connections refused, a few aborted (SO_LINGER 0), and a few idle
keep-alive connections that send TCP keep-alive probes and that the server times out.

Every client thread draws its sessions from a random generator seeded from --seed and the
thread's number, so a seed always gives the same sequence of sessions per thread. The
kernel's timing is not reproducible: ports, timestamps and where the capture ends differ
from one recording to the next.

Runs as root: it re-executes itself under `unshare -n`.
"""
import argparse
import collections
import os
import random
import re
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

EXIT_USAGE = 2

CLIENT_THREADS = 16
SERVER_IDLE_TIMEOUT = 2.0  # seconds a server keeps an idle keep-alive connection
CLIENT_SOCKET_TIMEOUT = 15.0
CLOSED_PORT = 9  # nothing listens there in the namespace: connections to it are refused
LARGEST_BODY = 8 << 20

# Session kinds and their weights (shares of sessions, not of frames: a large download
# is some 1,000 to 3,000 frames, a one-request connection about 10).
SESSION_WEIGHTS = {
    "keepalive": 34.0,
    "single_client_closes": 20.0,
    "single_server_closes": 20.0,
    "half_close": 3.0,
    "large_download": 1.2,
    "abort": 3.0,
    "refused": 1.5,
    "idle": 3.0,
}
IPV6_SHARE = 0.25


# ----------------------------------------------------------------------------- servers

def body_bytes(size):
    """Response bodies: printable, and not all one byte, as real payload is not."""
    pattern = b'{"id":12345,"name":"item","tags":["a","b"],"price":19.99},\n'
    return (pattern * (size // len(pattern) + 1))[:size]


BODY = body_bytes(LARGEST_BODY)


class Handler(BaseHTTPRequestHandler):
    """GET /<anything>?size=N answers N bytes; POST reads the body and answers small JSON.

    HTTP/1.1, so connections stay open unless the client sends `Connection: close` (then
    the server closes first) or stays idle longer than the server's timeout.
    """
    protocol_version = "HTTP/1.1"
    timeout = SERVER_IDLE_TIMEOUT
    # Buffered, so headers and a small body leave in one segment, as real servers send them.
    wbufsize = 64 * 1024

    def setup(self):
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self.answer(requested_size(self.path))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length:
            self.rfile.read(length)
        self.answer(requested_size(self.path))

    def answer(self, size):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        for start in range(0, size, 64 * 1024):
            self.wfile.write(BODY[start:min(size, start + 64 * 1024)])

    def log_message(self, format, *args):
        pass


def requested_size(path):
    match = re.search(r"[?&]size=(\d+)", path)
    return min(int(match.group(1)), LARGEST_BODY) if match else 512


class QuietServer(socketserver.ThreadingMixIn, HTTPServer):
    """A threaded HTTP server that binds without name look-ups (the namespace has no DNS),
    stays quiet when a client resets, and waits for its connections when closed."""
    daemon_threads = False
    block_on_close = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        pass


class QuietServer6(QuietServer):
    address_family = socket.AF_INET6


def start_servers():
    """One server per address family on an ephemeral port; returns {family: (server, port)}."""
    servers = {}
    for family, host, cls in ((socket.AF_INET, "127.0.0.1", QuietServer),
                              (socket.AF_INET6, "::1", QuietServer6)):
        server = cls((host, 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()
        servers[family] = (server, host, server.server_address[1])
    return servers


def stop_servers(servers):
    for server, _, _ in servers.values():
        server.shutdown()
        server.server_close()


# ----------------------------------------------------------------------------- clients

class HttpClient:
    """A minimal HTTP/1.1 client on a plain socket, so the script decides who closes, when
    and how (FIN, half-close or RST)."""

    def __init__(self, family, host, port, receive_buffer=None):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if receive_buffer:
            # Set before connect, so the window the client offers is small from the start.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(CLIENT_SOCKET_TIMEOUT)
        self.sock.connect((host, port))
        self.pending = b""

    def send_request(self, method, path, body=b"", close=False, version="HTTP/1.1"):
        lines = [f"{method} {path} {version}", "Host: localhost",
                 "User-Agent: record-traffic/1", "Accept: */*"]
        if body:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        if close:
            lines.append("Connection: close")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def read_headers(self):
        while b"\r\n\r\n" not in self.pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed before its response")
            self.pending += chunk
        head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        return int(match.group(1)) if match else None

    def read_response(self, pause_per_read=0.0, stop_after=None):
        """Reads one response's body, counting it rather than keeping it; pausing after
        every read makes a slow reader, whose window fills and opens again."""
        length = self.read_headers()
        received = len(self.pending)
        self.pending = b""
        while length is None or received < length:
            if stop_after is not None and received >= stop_after:
                return received
            chunk = self.sock.recv(16384 if pause_per_read else 65536)
            if not chunk:
                break
            received += len(chunk)
            if pause_per_read:
                time.sleep(pause_per_read)
        return received

    def read_until_closed(self):
        while self.sock.recv(65536):
            pass

    def enable_keepalive_probes(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)

    def close(self):
        self.sock.close()

    def abort(self):
        """close() with SO_LINGER 0: the kernel sends a RST instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def small_size(rng):
    return int(rng.lognormvariate(6.5, 1.0)) + 40       # API answers: ~700 bytes typical


def static_size(rng):
    return int(rng.lognormvariate(9.5, 1.0)) + 500      # assets: ~13 KB typical


def large_size(rng):
    return int(200_000 * (15 ** rng.random()))           # 200 KB to 3 MB, log-uniform


def one_request(rng, client, close=False):
    """One request of a page or API client: mostly small GETs, some assets, some POSTs."""
    draw = rng.random()
    if draw < 0.60:
        client.send_request("GET", f"/api/items?size={small_size(rng)}", close=close)
    elif draw < 0.85:
        client.send_request("GET", f"/static/app.js?size={static_size(rng)}", close=close)
    else:
        body = body_bytes(int(rng.lognormvariate(7.0, 1.0)) + 20)
        client.send_request("POST", f"/api/submit?size={small_size(rng) // 4}", body,
                            close=close)
    client.read_response()


def session_keepalive(rng, target, stop):
    client = HttpClient(*target)
    requests = rng.randint(2, 12)
    server_closes = rng.random() < 0.4
    for index in range(requests):
        last = index == requests - 1 or stop.is_set()
        one_request(rng, client, close=last and server_closes)
        if last:
            break
        time.sleep(min(rng.expovariate(1 / 0.03), 1.0))  # the client's think time
    if server_closes:
        client.read_until_closed()
    client.close()


def session_single(rng, target, server_closes):
    client = HttpClient(*target)
    one_request(rng, client, close=server_closes)
    if server_closes:
        client.read_until_closed()
    client.close()


def session_half_close(rng, target, stop):
    """An HTTP/1.0 client that shuts its sending side once the request is out and reads
    the response to the end: the early half-close of the plugin's pattern."""
    client = HttpClient(*target)
    client.send_request("GET", f"/api/items?size={small_size(rng)}", version="HTTP/1.0")
    client.sock.shutdown(socket.SHUT_WR)
    client.read_until_closed()
    client.close()


def session_large_download(rng, target, stop):
    slow = rng.random() < 0.5
    client = HttpClient(*target, receive_buffer=65536 if slow else None)
    client.send_request("GET", f"/download/data.bin?size={large_size(rng)}")
    client.read_response(pause_per_read=0.002 if slow else 0.0)
    client.close()


def session_abort(rng, target, stop):
    """Three ways clients reset: giving up during a download, resetting instead of closing
    after an answer, and resetting before the answer came."""
    client = HttpClient(*target)
    draw = rng.random()
    if draw < 0.4:
        size = large_size(rng)
        client.send_request("GET", f"/download/data.bin?size={size}")
        client.read_response(stop_after=int(size * rng.uniform(0.1, 0.6)))
    elif draw < 0.8:
        one_request(rng, client)
    else:
        client.send_request("GET", f"/api/slow?size={static_size(rng)}")
    client.abort()


def session_refused(rng, target, stop):
    family, host, _ = target
    try:
        HttpClient(family, host, CLOSED_PORT).close()
    except ConnectionRefusedError:
        return


def session_idle(rng, target, stop):
    """A keep-alive connection left idle, sending TCP keep-alive probes: closed by the
    client before the server's timeout, or by the server; then the client either notices
    or sends its next request into the closed connection, which the server resets."""
    client = HttpClient(*target)
    client.enable_keepalive_probes()
    one_request(rng, client)
    if rng.random() < 0.5:
        stop.wait(rng.uniform(0.3, SERVER_IDLE_TIMEOUT - 0.3))
        client.close()
        return
    stop.wait(rng.uniform(SERVER_IDLE_TIMEOUT + 0.3, SERVER_IDLE_TIMEOUT + 1.5))
    if rng.random() < 0.5:
        try:
            client.send_request("GET", f"/api/items?size={small_size(rng)}")
            client.read_response()
        except (ConnectionError, OSError):
            pass
    else:
        client.read_until_closed()
    client.close()


SESSIONS = {
    "keepalive": session_keepalive,
    "single_client_closes": lambda rng, target, stop: session_single(rng, target, False),
    "single_server_closes": lambda rng, target, stop: session_single(rng, target, True),
    "half_close": session_half_close,
    "large_download": session_large_download,
    "abort": session_abort,
    "refused": session_refused,
    "idle": session_idle,
}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = collections.Counter()
        self.errors = collections.Counter()

    def add(self, kind, error=None):
        with self.lock:
            self.sessions[kind] += 1
            if error is not None:
                self.errors[f"{kind}: {type(error).__name__}"] += 1


def client_thread(number, seed, servers, stop, tally):
    rng = random.Random(f"{seed}:{number}")
    kinds, weights = zip(*SESSION_WEIGHTS.items())
    while not stop.is_set():
        kind = rng.choices(kinds, weights)[0]
        family = socket.AF_INET6 if rng.random() < IPV6_SHARE else socket.AF_INET
        _, host, port = servers[family]
        try:
            SESSIONS[kind](rng, (family, host, port), stop)
            tally.add(kind)
        except OSError as error:
            tally.add(kind, error)
        time.sleep(rng.uniform(0, 0.02))  # gap before this client's next session


# ----------------------------------------------------------------------------- capture

def loopback_frames():
    """Frames received on lo, from /proc/net/dev: that file follows the reader's network
    namespace (unlike /sys/class/net, which shows the namespace sysfs was mounted in), and
    every loopback frame is received once, as the capture records it once."""
    with open("/proc/net/dev") as stats:
        for line in stats:
            name, _, counters = line.partition(":")
            if name.strip() == "lo":
                return int(counters.split()[1])
    raise RuntimeError("no lo in /proc/net/dev")


def capture_command(output):
    if shutil.which("dumpcap"):
        # -P: pcap, not pcapng (dumpcap 4.0 has no -F); a large buffer so bulk bursts
        # are not dropped.
        return ["dumpcap", "-q", "-i", "lo", "-P", "-B", "64", "-w", output], "Capturing on"
    # tcpdump writes pcap; -Z root keeps it from dropping to a user that cannot write there.
    return ["tcpdump", "-i", "lo", "-n", "-B", "65536", "-Z", "root", "-w", output], \
        "listening on"


class Capture:
    def __init__(self, output):
        command, self.ready_text = capture_command(output)
        self.output = output
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self.messages = []
        self.ready = threading.Event()
        threading.Thread(target=self.read_messages, daemon=True).start()
        if not self.ready.wait(10) or self.process.poll() is not None:
            self.process.kill()
            sys.exit("capture did not start:\n" + "".join(self.messages))
        time.sleep(0.2)

    def read_messages(self):
        for line in self.process.stderr:
            self.messages.append(line)
            if self.ready_text in line:
                self.ready.set()
        self.ready.set()  # it exited: no need to wait any longer to say so

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        self.process.wait(30)
        time.sleep(0.1)
        messages = "".join(self.messages)
        if self.process.returncode != 0 or not os.path.exists(self.output):
            sys.exit(f"the capture failed (exit {self.process.returncode}):\n{messages}")
        return messages


def prepare_loopback():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # Loopback's MTU is 65536 and it offloads segmentation, so its TCP segments would be
    # up to 64 KB. An MTU of 1500 and one segment per GSO packet make them the size they
    # have on Ethernet.
    subprocess.run(["ip", "link", "set", "lo", "mtu", "1500", "gso_max_segs", "1"], check=True)
    addresses = subprocess.run(["ip", "-6", "addr", "show", "dev", "lo"],
                               capture_output=True, text=True).stdout
    if "::1/128" not in addresses:
        subprocess.run(["ip", "-6", "addr", "add", "::1/128", "dev", "lo"], check=True)


# ----------------------------------------------------------------------------- summary

def read_pcap(path):
    """Counts frames, bytes, IPv6 frames and TCP conversations (address and port pairs)."""
    summary = collections.Counter()
    conversations = set()
    with open(path, "rb") as capture:
        header = capture.read(24)
        endian = "<" if header[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        while True:
            record = capture.read(16)
            if len(record) < 16:
                break
            _, _, captured, original = struct.unpack(endian + "IIII", record)
            frame = capture.read(captured)
            summary["frames"] += 1
            summary["bytes"] += original
            key = tcp_conversation(frame)
            if key:
                summary["ipv6"] += key[0] == 6
                conversations.add(key)
    summary["conversations"] = len(conversations)
    summary["ipv6_conversations"] = sum(1 for key in conversations if key[0] == 6)
    return summary


def tcp_conversation(frame):
    """(IP version, sorted endpoints) of a TCP frame in Ethernet framing, else None."""
    ethertype = frame[12:14]
    if ethertype == b"\x08\x00" and frame[23] == 6:
        header_length = (frame[14] & 0x0F) * 4
        addresses, ports_at, version = (frame[26:30], frame[30:34]), 14 + header_length, 4
    elif ethertype == b"\x86\xdd" and frame[20] == 6:
        addresses, ports_at, version = (frame[22:38], frame[38:54]), 54, 6
    else:
        return None
    source_port, destination_port = struct.unpack("!HH", frame[ports_at:ports_at + 4])
    ends = sorted([(addresses[0], source_port), (addresses[1], destination_port)])
    return version, tuple(ends)


# ----------------------------------------------------------------------------- main

def record(args):
    prepare_loopback()
    servers = start_servers()
    stop, tally = threading.Event(), Tally()
    capture = Capture(args.output)
    started, before = time.monotonic(), loopback_frames()
    # Stop opening sessions a little early: the ones in progress finish, cleanly.
    stop_at = before + max(1, int(args.frames * 0.97))
    clients = [threading.Thread(target=client_thread,
                                args=(number, args.seed, servers, stop, tally))
               for number in range(CLIENT_THREADS)]
    for thread in clients:
        thread.start()
    while loopback_frames() < stop_at and any(thread.is_alive() for thread in clients):
        time.sleep(0.05)
    stop.set()
    for thread in clients:
        thread.join()
    stop_servers(servers)
    time.sleep(0.3)  # the last ACKs
    messages = capture.stop()
    elapsed = time.monotonic() - started
    os.chmod(args.output, 0o644)
    report(args.output, elapsed, tally, messages)
    return 0


def report(output, elapsed, tally, messages):
    summary = read_pcap(output)
    print(f"{output}: {summary['frames']} frames, {summary['conversations']} TCP "
          f"conversations, {summary['bytes']} bytes, recorded in {elapsed:.1f} s")
    print(f"IPv6: {percent(summary['ipv6_conversations'], summary['conversations'])} of "
          f"conversations, {percent(summary['ipv6'], summary['frames'])} of frames")
    print("sessions: " + ", ".join(f"{kind} {count}"
                                   for kind, count in sorted(tally.sessions.items())))
    if tally.errors:
        print("client errors: " + ", ".join(f"{kind} {count}"
                                            for kind, count in sorted(tally.errors.items())))
    dropped = re.search(r"received/dropped on interface .*?: (\d+)/(\d+)", messages)
    if dropped and int(dropped.group(2)):
        print(f"warning: the capture dropped {dropped.group(2)} frames", file=sys.stderr)


def percent(part, whole):
    return f"{100.0 * part / max(1, whole):.1f} %"


def missing_requirements():
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (it needs a private network namespace)")
    for tool in ("unshare", "ip"):
        if not shutil.which(tool):
            problems.append(f"'{tool}' not found (util-linux, iproute2)")
    if not shutil.which("dumpcap") and not shutil.which("tcpdump"):
        problems.append("neither dumpcap nor tcpdump found")
    return problems


def current_namespace():
    return str(os.stat("/proc/self/ns/net").st_ino)


def parse_args():
    parser = argparse.ArgumentParser(
        description="Record real-looking web and API traffic of the Linux TCP stack on the "
                    "loopback interface of a private network namespace, to a pcap file.")
    parser.add_argument("--output", default="real-traffic.pcap",
                        help="pcap file to write (default: real-traffic.pcap)")
    parser.add_argument("--frames", type=int, default=50000,
                        help="stop when about this many frames were captured (default 50000)")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the clients' random choices (default 1)")
    # Set by the script when it re-executes itself in the new namespace: the namespace it
    # came from, to check it did change.
    parser.add_argument("--from-namespace", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.frames < 100:
        parser.error("--frames must be at least 100")
    args.output = os.path.abspath(args.output)
    if not os.path.isdir(os.path.dirname(args.output)):
        parser.error(f"no folder {os.path.dirname(args.output)} for --output")
    return args


def main():
    args = parse_args()
    problems = missing_requirements()
    if problems:
        for problem in problems:
            print(f"record-traffic: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.from_namespace is None:
        command = ["unshare", "-n", "--", sys.executable, os.path.abspath(__file__),
                   "--output", args.output, "--frames", str(args.frames),
                   "--seed", str(args.seed), "--from-namespace", current_namespace()]
        return subprocess.run(command).returncode
    if args.from_namespace == current_namespace():
        print("record-traffic: unshare -n did not give a new network namespace",
              file=sys.stderr)
        return EXIT_USAGE
    return record(args)


if __name__ == "__main__":
    sys.exit(main())
