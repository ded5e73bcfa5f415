"""Hostile captures made from good ones, written into a folder: each generator yields
(path, description) and leaves the file for the caller to run and delete."""
import os
import struct
import subprocess


def editcap_mutations(sources, out_dir, count, rng, editcap="editcap", mergecap="mergecap"):
    """editcap -E: bytes changed at random. The link layer, or also the IP header, is
    spared on some, so that the changes reach TCP and the plugin rather than stopping at
    Ethernet; some start from two captures merged, for interleaved conversations."""
    for n in range(count):
        source = rng.choice(sources)
        merged = None
        name = os.path.basename(source)
        if len(sources) > 1 and rng.random() < 0.25:
            # pcapng: the two may be of different link types.
            merged = os.path.join(out_dir, "merged-%d.pcapng" % n)
            other = rng.choice(sources)
            subprocess.run([mergecap, "-F", "pcapng", "-w", merged, source, other], check=True)
            name = "mergecap %s %s" % (name, os.path.basename(other))
            source = merged
        probability = rng.choice(["0.02", "0.02", "0.005", "0.1"])
        offset = rng.choice([0, 14, 34, 34])
        seed = rng.randrange(1 << 31)
        out = os.path.join(out_dir, "mutated-%d%s" % (n, os.path.splitext(source)[1]))
        subprocess.run([editcap, "-E", probability, "-o", str(offset), "--seed", str(seed),
                        source, out], check=True, stdout=subprocess.DEVNULL)
        if merged:
            os.remove(merged)
        yield out, "editcap -E %s -o %d --seed %d, of %s" % (probability, offset, seed, name)


def pcap_frames(path):
    """Byte ranges (start, end) of each record of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at, frames = 24, []
    while at + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        frames.append((at, at + 16 + caplen))
        at += 16 + caplen
    return data, frames


def short_capture(source, numbers, out):
    """The frames of a pcap file with these numbers (from 1), header kept: a capture
    small enough to cut at every length."""
    data, frames = pcap_frames(source)
    with open(out, "wb") as f:
        f.write(data[:24])
        for n in numbers:
            start, end = frames[n - 1]
            f.write(data[start:end])
    return out


def truncations(source, out_dir, step=1):
    """The file cut at every step-th length, as a capture interrupted mid-write is."""
    with open(source, "rb") as f:
        data = f.read()
    for n in range(0, len(data), step):
        out = os.path.join(out_dir, "truncated-%d.pcap" % n)
        with open(out, "wb") as f:
            f.write(data[:n])
        yield out, "%s cut to %d bytes" % (os.path.basename(source), n)


def snaplen_cuts(source, out_dir, limit, step=1, editcap="editcap"):
    """Every frame cut to a snapshot length, for each length up to limit (past the
    headers): headers end mid-field while the IP length still announces the whole
    segment."""
    _, frames = pcap_frames(source)
    longest = max(end - start - 16 for start, end in frames)
    for snaplen in range(1, min(longest, limit) + 1, step):
        out = os.path.join(out_dir, "snaplen-%d.pcap" % snaplen)
        subprocess.run([editcap, "-s", str(snaplen), source, out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield out, "%s, editcap -s %d" % (os.path.basename(source), snaplen)


def randpkt_files(out_dir, count, rng, randpkt="randpkt"):
    """randpkt -t tcp: Ethernet, IPv4 and TCP headers of its own followed by random bytes
    (it has no seed option; a finding keeps the file itself)."""
    for n in range(count):
        out = os.path.join(out_dir, "randpkt-%d.pcap" % n)
        packets = rng.choice([50, 200, 1000])
        subprocess.run([randpkt, "-b", "1500", "-c", str(packets), "-t", "tcp", out],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield out, "randpkt -b 1500 -c %d -t tcp" % packets
