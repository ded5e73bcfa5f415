"""The kernel's side of a harness conversation: an ordinary socket application, run
inside the harness's network namespace, so that Linux's own TCP answers the model.

server: accepts one connection, reads the request to EOF, answers and closes.
client: connects, sends its request, reads the response to EOF, sends a last message
        and closes.
keepalive-server: accepts one connection with short keep-alive settings, reads the
        request and waits for more; a peer that falls silent is given up with a RST, and
        the read fails with ETIMEDOUT, the outcome this role expects.

Each reads to EOF before close(): Linux resets instead of sending a FIN when unread data
is left. The last write is corked so the FIN rides on the last data segment; the model's
delayed-ACK timer is then still pending when the FIN arrives, the condition of Q152474.
"""
import argparse
import errno
import socket
import sys

TIMEOUT_S = 10
# Idle 1 s, then 3 probes 1 s apart: Linux resets about 4 s after the last segment.
KEEPALIVE = ((socket.TCP_KEEPIDLE, 1), (socket.TCP_KEEPINTVL, 1), (socket.TCP_KEEPCNT, 3))


def payload(size, word):
    text = (word + " ") * (size // (len(word) + 1) + 1)
    return text[:size].encode()


def read_to_eof(conn):
    total = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return total
        total += len(chunk)


def send_and_close(conn, data):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    conn.sendall(data)
    conn.close()


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def accept_one(args):
    """Listens on args.listen, says it is ready, and takes one connection."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(endpoint(args.listen))
    listener.listen(1)
    listener.settimeout(TIMEOUT_S)
    print("ready", flush=True)
    conn, peer = listener.accept()
    listener.close()
    return conn, peer


def serve(args):
    conn, peer = accept_one(args)
    conn.settimeout(TIMEOUT_S)
    received = read_to_eof(conn)
    send_and_close(conn, payload(args.response, "response"))
    print("peer: server read %d request bytes from %s:%d, sent %d response bytes and closed"
          % (received, peer[0], peer[1], args.response), flush=True)


def serve_keepalive(args):
    conn, peer = accept_one(args)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in KEEPALIVE:
        conn.setsockopt(socket.IPPROTO_TCP, option, value)
    conn.settimeout(TIMEOUT_S)
    received = 0
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                raise OSError("the client closed; it was to fall silent")
            received += len(chunk)
    except OSError as e:
        if e.errno != errno.ETIMEDOUT:
            raise
        outcome = e.strerror
    print("peer: server read %d request bytes from %s:%d, then its keep-alive probes went "
          "unanswered: %s" % (received, peer[0], peer[1], outcome), flush=True)


def connect(args):
    conn = socket.create_connection(endpoint(args.connect), timeout=TIMEOUT_S)
    if args.request:
        conn.sendall(payload(args.request, "request"))
    received = read_to_eof(conn)
    send_and_close(conn, payload(args.last, "goodbye"))
    print("peer: client sent %d request bytes, read %d response bytes, sent %d more and closed"
          % (args.request, received, args.last), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="role", required=True)
    server = sub.add_parser("server")
    server.add_argument("--listen", required=True, help="ADDR:PORT")
    server.add_argument("--response", type=int, required=True)
    keepalive = sub.add_parser("keepalive-server")
    keepalive.add_argument("--listen", required=True, help="ADDR:PORT")
    client = sub.add_parser("client")
    client.add_argument("--connect", required=True, help="ADDR:PORT")
    client.add_argument("--request", type=int, required=True)
    client.add_argument("--last", type=int, required=True,
                        help="bytes sent after reading the response")
    args = parser.parse_args()
    try:
        {"server": serve, "keepalive-server": serve_keepalive, "client": connect}[args.role](args)
    except OSError as e:
        print("peer: %s failed: %s" % (args.role, e), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
