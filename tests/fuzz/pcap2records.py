#!/usr/bin/env python3
"""Turns pcap files into seed inputs for the fuzz targets (harness/records.h):

  core/NAME.bin   the capture's TCP segments as records, conversations in order of first
                  appearance (the first four; later ones are left out), sequence and
                  acknowledgement numbers relative to what each side sent before, exactly
                  as harness/records.c decodes them
  wire/NAME-N.bin frame N's bytes after the two-byte offset of its TCP header

Link layers: Ethernet (802.1Q too), raw IP, Linux cooked (v1, v2), BSD loopback.

Usage: pcap2records.py OUTDIR CAPTURE.pcap...
"""
import os
import struct
import sys

CONVS = 4
SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10
EPOCH_NS = 1704067200000000000
SEQ_NEXT, ACK_PEER_NEXT = 0, 0


# Where each link type puts the IP header: a fixed offset, or None for Ethernet's walk.
IP_OFFSET = {1: None, 101: 0, 12: 0, 14: 0, 228: 0, 229: 0, 113: 16, 276: 20, 0: 4, 108: 4}


def read_pcap(path):
    """The link type, then (time in ns, frame bytes) for each frame of a classic pcap
    file; None for another format or a link type it does not read."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0xffff
    if linktype not in IP_OFFSET:
        return None
    return linktype, list(frames_of(data, endian, nano))


def frames_of(data, endian, nano):
    at = 24
    while at + 16 <= len(data):
        secs, frac, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        at += 16
        yield secs * 1000000000 + (frac if nano else frac * 1000), data[at:at + caplen]
        at += caplen


def ip_start(frame, linktype):
    """(offset of the IP header, 0x0800 or 0x86dd), or (0, 0)."""
    off = IP_OFFSET[linktype]
    if off is not None:
        if len(frame) <= off:
            return 0, 0
        return off, {4: 0x0800, 6: 0x86dd}.get(frame[off] >> 4, 0)
    off, ethertype = 14, struct.unpack(">H", frame[12:14])[0] if len(frame) >= 14 else 0
    while ethertype in (0x8100, 0x88a8) and len(frame) >= off + 4:
        ethertype = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    return off, ethertype


def tcp_of(frame, linktype):
    """(src, dst, TCP offset, segment length, IP ID or -1) for a TCP frame, else None."""
    off, ethertype = ip_start(frame, linktype)
    if ethertype == 0x0800 and len(frame) >= off + 20 and frame[off + 9] == 6:
        ihl = (frame[off] & 15) * 4
        total, ip_id = struct.unpack(">HH", frame[off + 2:off + 6])
        return frame[off + 12:off + 16], frame[off + 16:off + 20], off + ihl, total - ihl, ip_id
    if ethertype == 0x86dd and len(frame) >= off + 40 and frame[off + 6] == 6:
        payload = struct.unpack(">H", frame[off + 4:off + 6])[0]
        return frame[off + 8:off + 24], frame[off + 24:off + 40], off + 40, payload, -1
    return None


def time_code(step_ns):
    """(scale, value) of harness/records.c's time step closest below step_ns."""
    if step_ns < 0:
        return 15, min(255, -step_ns // 1000000)
    us = step_ns // 1000
    for scale in range(15):
        if us >> (2 * scale) < 256:
            return scale, us >> (2 * scale)
    return 14, 255


class Side:
    def __init__(self, conv, d):
        self.next = 0xFFFFFFF0 if conv == 3 and d == 1 else 0x01000000 * (2 * conv + d + 1)


def records(frames, linktype):
    convs, sides, out = {}, {}, bytearray()
    # The decoder's clock starts at EPOCH_NS; the capture's at its first frame.
    clock = frames[0][0] if frames else 0
    for time_ns, frame in frames:
        found = tcp_of(frame, linktype)
        if not found:
            continue
        src, dst, off, seg_len, ip_id = found
        if len(frame) < off + 20:
            continue
        sport, dport, seq, ack = struct.unpack(">HHII", frame[off:off + 12])
        hlen = (frame[off + 12] >> 4) * 4
        flags, window = frame[off + 13], struct.unpack(">H", frame[off + 14:off + 16])[0]
        key = tuple(sorted([(src, sport), (dst, dport)]))
        if key not in convs:
            if len(convs) == CONVS:
                continue
            convs[key] = (len(convs), (src, sport))
        conv, first = convs[key]
        d = 0 if (src, sport) == first else 1
        me = sides.setdefault((conv, d), Side(conv, d))
        peer = sides.setdefault((conv, 1 - d), Side(conv, 1 - d))
        length = max(0, seg_len - hlen)
        scale, value = time_code(time_ns - clock)
        clock += (value << (2 * scale)) * 1000 if scale < 15 else -value * 1000000
        ip_kind = 1 if ip_id < 0 else (2 if ip_id == 0 else 0)
        options = 1 if hlen > 20 else 0
        out += bytes([conv | d << 2 | scale << 4, flags, SEQ_NEXT])
        out += struct.pack("<i", (seq - me.next + 2**31) % 2**32 - 2**31)
        out += bytes([ACK_PEER_NEXT])
        out += struct.pack("<i", (ack - peer.next + 2**31) % 2**32 - 2**31)
        out += struct.pack("<H", min(length, 65535))
        out += bytes([ip_kind << 4 | options << 6])
        out += struct.pack("<HH", window, max(ip_id, 0))
        out += bytes([value])
        me.next = (seq + length + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)) % 2**32
    return bytes(out)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    for sub in ("core", "wire"):
        os.makedirs(os.path.join(outdir, sub), exist_ok=True)
    for path in argv[2:]:
        name = os.path.splitext(os.path.basename(path))[0]
        capture = read_pcap(path)
        if capture is None:
            sys.stderr.write("%s: not a classic pcap file of a known link type, left out\n" % path)
            continue
        linktype, frames = capture
        with open(os.path.join(outdir, "core", name + ".bin"), "wb") as f:
            f.write(records(frames, linktype))
        for n, (_, frame) in enumerate(frames, 1):
            found = tcp_of(frame, linktype)
            off = found[2] if found else 0
            with open(os.path.join(outdir, "wire", "%s-%d.bin" % (name, n)), "wb") as f:
                f.write(struct.pack("<H", off) + frame)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
