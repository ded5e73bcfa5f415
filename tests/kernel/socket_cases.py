#!/usr/bin/env python3
"""Plain sockets that make Linux reset a connection, one case per way, both ends in this
process on the loopback of the namespace it runs in (the harness makes a private one).

  socket_cases.py CASE --server-port N --client-port N

The client binds its port so that the harness knows the whole address pair before the
first segment; it prints one line per step and 'done' when the case ran as intended.
Exit status 1, with the reason, when Linux did not do what the case relies on.
"""
import argparse
import errno
import os
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
TIMEOUT_S = 5
REQUEST, RESPONSE = 300, 2000
# Two segments on a wire of 1500 bytes: each gets a RST of its own. (Three would make
# two identical RSTs in a row less than 1 ms apart with IP ID 0, which a capture that
# duplicates packets shows too: the contract reads the third as a capture duplicate.)
BURST = 2000
# Longer than Linux's delayed ACK (40 ms at first): the client acknowledges the server's
# FIN on its own, and the server's socket is a time-wait placeholder when data comes.
ACK_OF_FIN_WAIT_S = 0.2
# The harness sets net.ipv4.tcp_fin_timeout to 1 s for the case that outlives it; Linux
# stretches a short one to 3.5 retransmission timeouts (700 ms on the loopback).
FIN_TIMEOUT_WAIT_S = 1.8


class CaseError(Exception):
    pass


def payload(size, word):
    text = (word + " ") * (size // (len(word) + 1) + 1)
    return text[:size].encode()


def step(text):
    print(text, flush=True)


def listen(port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(1)
    listener.settimeout(TIMEOUT_S)
    return listener


def client(port):
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    conn.bind((HOST, port))
    conn.settimeout(TIMEOUT_S)
    return conn


def connected(args):
    """A client and the server's end of its connection, the listener closed."""
    listener = listen(args.server_port)
    conn = client(args.client_port)
    conn.connect((HOST, args.server_port))
    server, _ = listener.accept()
    listener.close()
    server.settimeout(TIMEOUT_S)
    return conn, server


def read_exactly(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise CaseError("the peer closed after %d of %d bytes" % (len(data), size))
        data += chunk
    return data


def read_to_eof(conn):
    total = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return total
        total += len(chunk)


def wait_until_readable_bytes(conn, size):
    """Waits until size bytes sit unread in conn's receive queue, without reading them."""
    deadline = time.monotonic() + TIMEOUT_S
    while len(conn.recv(size, socket.MSG_PEEK)) < size:
        if time.monotonic() > deadline:
            raise CaseError("the request did not arrive")
        time.sleep(0.01)


def expect_reset(conn, doing):
    """The client's socket must have been reset. Once the server's FIN has been read, a
    read returns 0 whatever comes after, so the socket's pending error tells: ECONNRESET,
    or EPIPE when the RST came in CLOSE-WAIT."""
    time.sleep(0.05)
    err = conn.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err in (errno.ECONNRESET, errno.EPIPE):
        step("client: %s: reset (%s)" % (doing, os.strerror(err)))
        return
    raise CaseError("client: %s: expected a reset, the socket's error is %s"
                    % (doing, os.strerror(err) if err else "none"))


def serve_and_close(args):
    """A request, its response, and the server's close(): the client reads to EOF, so
    the server's FIN is acknowledged before the client does anything else."""
    conn, server = connected(args)
    conn.sendall(payload(REQUEST, "request"))
    read_exactly(server, REQUEST)
    server.sendall(payload(RESPONSE, "response"))
    server.close()
    got = read_to_eof(conn)
    step("client: sent %d request bytes, read %d response bytes to the server's FIN"
         % (REQUEST, got))
    return conn


def case_refused(args):
    conn = client(args.client_port)
    try:
        conn.connect((HOST, args.server_port))
    except ConnectionRefusedError:
        step("client: connect to port %d: connection refused" % args.server_port)
        return
    raise CaseError("connect to port %d succeeded: something listens there" % args.server_port)


def case_abort_unread(args):
    conn, server = connected(args)
    conn.sendall(payload(REQUEST, "request"))
    wait_until_readable_bytes(server, REQUEST)
    server.close()
    step("server: closed with %d request bytes unread" % REQUEST)
    expect_reset(conn, "reading the response")


def case_abort_linger(args):
    conn, server = connected(args)
    conn.sendall(payload(REQUEST, "request"))
    read_exactly(server, REQUEST)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()
    step("server: read the request, closed with SO_LINGER 0")
    expect_reset(conn, "reading the response")


def case_abort_linger2(args):
    conn, server = connected(args)
    conn.sendall(payload(REQUEST, "request"))
    read_exactly(server, REQUEST)
    server.setsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2, -1)
    server.sendall(payload(RESPONSE, "response"))
    server.shutdown(socket.SHUT_WR)
    got = read_to_eof(conn)
    # The client's ACK of the FIN puts the server in FIN-WAIT-2 before its close().
    time.sleep(0.1)
    server.close()
    step("server: sent %d response bytes, shut down, closed in FIN-WAIT-2 with "
         "TCP_LINGER2 -1; the client read %d bytes" % (RESPONSE, got))
    expect_reset(conn, "waiting for more")


def second_request_after_close(args, size, wait_s):
    """The server closes; wait_s later the client sends a second request of size bytes in
    one write, and must be reset."""
    conn = serve_and_close(args)
    if wait_s:
        time.sleep(wait_s)
    conn.sendall(payload(size, "second"))
    step("client: sent a second request of %d bytes in one write %.1f s after the server's FIN"
         % (size, wait_s))
    expect_reset(conn, "reading the second response")


def case_data_after_close(args):
    second_request_after_close(args, REQUEST, 0)


def case_data_after_time_wait(args):
    second_request_after_close(args, REQUEST, ACK_OF_FIN_WAIT_S)


def case_burst_after_close(args):
    second_request_after_close(args, BURST, ACK_OF_FIN_WAIT_S)


def case_data_after_fin_timeout(args):
    second_request_after_close(args, REQUEST, FIN_TIMEOUT_WAIT_S)


def case_fin_after_timeout(args):
    conn = serve_and_close(args)
    time.sleep(FIN_TIMEOUT_WAIT_S)
    conn.close()
    step("client: closed %.1f s after the server's FIN" % FIN_TIMEOUT_WAIT_S)


CASES = {
    "refused": case_refused,
    "abort_unread": case_abort_unread,
    "abort_linger": case_abort_linger,
    "abort_linger2": case_abort_linger2,
    "data_after_close": case_data_after_close,
    "data_after_time_wait": case_data_after_time_wait,
    "burst_after_close": case_burst_after_close,
    "data_after_fin_timeout": case_data_after_fin_timeout,
    "fin_after_timeout": case_fin_after_timeout,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--server-port", type=int, required=True)
    parser.add_argument("--client-port", type=int, required=True)
    args = parser.parse_args()
    try:
        CASES[args.case](args)
    except CaseError as e:
        print("FAIL: %s" % e, flush=True)
        return 1
    except OSError as e:
        print("FAIL: %s: %s" % (args.case, e), flush=True)
        return 1
    # The last RST may still be on its way when the client has seen the reset.
    time.sleep(0.2)
    step("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
