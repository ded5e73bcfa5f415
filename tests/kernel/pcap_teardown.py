"""Reads a harness capture on its own terms, without Wireshark: the TCP segments of its
one conversation, and what happened at the teardown (RFC 9293, docs/VERDICTS.md's pattern):
who closed first (X), the ACK of Y's FIN, any later ACK of it that answered nothing
(spurious), and the RST Y sent after it."""
import struct
import time

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MOD = 1 << 32

# Link types of a TUN capture: raw IP (DLT_RAW under its several numbers), IPv4.
RAW_IP_LINKTYPES = {12, 14, 101, 228}
# A loopback capture: Ethernet headers of zeros.
ETHERNET = 1


class Segment:
    def __init__(self, number, time, src, dst, sport, dport, seq, ack, flags, window, length):
        self.number, self.time = number, time
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.seq, self.ack, self.flags, self.window, self.len = seq, ack, flags, window, length

    @property
    def sender(self):
        return (self.src, self.sport)

    def has(self, flag):
        return bool(self.flags & flag)

    def is_pure_ack(self):
        return self.flags & (ACK | SYN | FIN | RST) == ACK and self.len == 0

    def describe(self):
        names = [n for n, f in (("SYN", SYN), ("FIN", FIN), ("RST", RST), ("PSH", PSH),
                                ("ACK", ACK)) if self.flags & f]
        return "frame %d %s:%d > %s:%d %s seq=%d ack=%d len=%d" % (
            self.number, self.src, self.sport, self.dst, self.dport, ",".join(names),
            self.seq, self.ack, self.len)


def read_segments(path):
    """The IPv4 TCP segments of a classic pcap file of raw IP packets or Ethernet frames,
    in capture order."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: not a pcap file (too short)" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    fraction = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0fffffff
    if linktype not in RAW_IP_LINKTYPES | {ETHERNET}:
        raise ValueError("%s: link type %d is neither raw IP nor Ethernet" % (path, linktype))
    segments, at, number = [], 24, 0
    while at + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        packet = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        number += 1
        if linktype == ETHERNET:
            packet = packet[14:] if packet[12:14] == b"\x08\x00" else b""
        segment = _tcp_in(packet, number, sec + frac * fraction)
        if segment:
            segments.append(segment)
    return segments


def await_segments(path, count, wanted=lambda segment: True, timeout_s=10):
    """Returns once the capture dumpcap is writing at path holds count segments that
    wanted() accepts, or after timeout_s. dumpcap writes out what it has read every so
    often, and stopping it loses what it has not read yet: on a busy machine, the last
    segments of a run."""
    deadline = time.monotonic() + timeout_s
    while count and time.monotonic() < deadline:
        try:
            held = sum(1 for s in read_segments(path) if wanted(s))
        except (OSError, ValueError):
            held = 0  # not a whole file header yet
        if held >= count:
            return
        time.sleep(0.05)


def _tcp_in(packet, number, time):
    if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != 6:
        return None
    ihl = (packet[0] & 0x0f) * 4
    total = struct.unpack(">H", packet[2:4])[0]
    tcp = packet[ihl:total]
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack, offset, flags, window = struct.unpack(">HHIIBBH", tcp[:16])
    src = ".".join(str(b) for b in packet[12:16])
    dst = ".".join(str(b) for b in packet[16:20])
    return Segment(number, time, src, dst, sport, dport, seq, ack, flags, window,
                   len(tcp) - (offset >> 4) * 4)


class Teardown:
    """What the capture shows of the close. Attributes are None where it shows nothing."""

    def __init__(self, segments):
        self.segments = segments
        self.problems = []
        self.x = self.y = None
        self.x_fin = self.y_fin = None
        self.fin_ack = None          # X's first ACK of Y's FIN
        self.spurious_acks = []      # X's ACKs of Y's FIN that answered nothing
        self.y_rsts = []             # every RST Y sent
        self.rst_after_spurious = None  # Y's first segment after the first spurious ACK, if a RST
        self.response_bytes = 0      # Y's payload after X's FIN
        self._analyse()

    def _analyse(self):
        senders = {s.sender for s in self.segments}
        if len(senders) != 2:
            self.problems.append("expected one conversation between two endpoints, saw %d "
                                 "senders" % len(senders))
            return
        fins = [s for s in self.segments if s.has(FIN)]
        if not fins:
            self.problems.append("no FIN in the capture")
            return
        self.x_fin = fins[0]
        self.x = self.x_fin.sender
        self.y = next(iter(senders - {self.x}))
        from_y = [s for s in self.segments if s.sender == self.y]
        self.y_rsts = [s for s in from_y if s.has(RST)]
        self.response_bytes = sum(s.len for s in from_y if s.number > self.x_fin.number)
        self.y_fin = next((s for s in from_y if s.has(FIN)), None)
        if not self.y_fin:
            self.problems.append("Y (%s:%d) sent no FIN" % self.y)
            return
        self._find_spurious_acks()

    def _find_spurious_acks(self):
        # Deliberately a second, plain reading of "needs an ACK" (payload or a FIN copy;
        # the harness's scenarios send no keep-alives), independent of the core's
        # td_tcp_needs_ack: the kernel tests judge the core's model and the plugin, so
        # they must not share its code.
        fin_ack_number = (self.y_fin.seq + self.y_fin.len + 1) % MOD
        awaiting = 0  # segments of Y from its FIN on that earn X one ACK
        for s in self.segments:
            if s.number < self.y_fin.number:
                continue
            if s.sender == self.y:
                if s.has(FIN) or s.len > 0:
                    awaiting += 1
                continue
            if not (s.has(ACK) and s.ack == fin_ack_number):
                continue
            if self.fin_ack is None:
                self.fin_ack = s
            if awaiting > 0:
                awaiting -= 1
            elif s.is_pure_ack():
                self.spurious_acks.append(s)
        if self.spurious_acks:
            first = self.spurious_acks[0]
            after = [s for s in self.segments
                     if s.sender == self.y and s.number > first.number]
            if after and after[0].has(RST):
                self.rst_after_spurious = after[0]

    def report(self):
        """Lines a person reads to see what happened."""
        if self.problems:
            return ["capture: " + p for p in self.problems]
        lines = ["X (closed first) %s:%d, Y %s:%d; %d segments" % (self.x + self.y + (
            len(self.segments),)),
                 "X's FIN: " + self.x_fin.describe(),
                 "Y sent %d payload bytes after X's FIN" % self.response_bytes,
                 "Y's FIN: " + self.y_fin.describe()]
        if self.fin_ack:
            lines.append("X's ACK of Y's FIN: " + self.fin_ack.describe())
        for s in self.spurious_acks:
            lines.append("spurious ACK: %s, %.1f ms after the ACK of the FIN"
                         % (s.describe(), (s.time - self.fin_ack.time) * 1000))
        rst = self.rst_after_spurious
        if rst:
            ack = self.spurious_acks[0]
            lines.append("Y's RST: %s, %.3f ms after the spurious ACK; seq %s the spurious "
                         "ACK's ack number" % (rst.describe(), (rst.time - ack.time) * 1000,
                                                "equals" if rst.seq == ack.ack else "differs from"))
        for s in self.y_rsts:
            if s is not rst:
                lines.append("other RST from Y: " + s.describe())
        if not self.spurious_acks and not self.y_rsts:
            lines.append("no spurious ACK, no RST")
        return lines
