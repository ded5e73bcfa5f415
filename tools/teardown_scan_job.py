"""One capture of a teardown-scan: tshark with the plugin over it, the findings as one JSON line.

GNU parallel runs this wherever it sends a job. The driver hands this source to
`python3 -c`, so a remote host needs python3 and Wireshark's command-line tools with the
plugin, and nothing of this project.

    python3 teardown_scan_job.py CONFIG CAPTURE

CONFIG, in base64, is the JSON {"tail": seconds, "fields": [...], "experts": [...], "related": {...},
"bytes": {...}} as the driver builds it from `tshark -G fields`. The line printed:
{"file": CAPTURE, "host": sshlogin, "tail_from": file or null, "rows": [...],
"errors": [...]}; the exit status is 1 when errors is not empty.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# dumpcap names the files of a ring buffer PREFIX_NNNNN_YYYYMMDDhhmmss.EXT.
RING_NAME = re.compile(r"^(?P<prefix>.+)_(?P<number>\d{5,})_\d{14}(?P<ext>\..*)?$")

# Fields every row needs besides the plugin's own.
BASE_FIELDS = ["frame.number", "frame.time_epoch", "frame.protocols", "tcp.stream",
               "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport"]


def tool(name):
    """A Wireshark tool beside the tshark in use, so an override picks the matching set."""
    tshark = os.environ.get("TEARDOWN_TSHARK", "tshark")
    if os.sep in tshark:
        beside = os.path.join(os.path.dirname(tshark), name)
        if os.access(beside, os.X_OK):
            return beside
    return name if name != "tshark" else tshark


def run(args):
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, errors="replace")
    return proc.returncode, proc.stdout, proc.stderr


def predecessor(path):
    """The file before this one in its dumpcap ring-buffer set, when it is on disk."""
    folder, name = os.path.split(path)
    match = RING_NAME.match(name)
    if not match or int(match.group("number")) == 0:
        return None
    wanted = re.compile(re.escape(match.group("prefix")) + "_0*%d_\\d{14}%s$" % (
        int(match.group("number")) - 1, re.escape(match.group("ext") or "")))
    try:
        names = [n for n in os.listdir(folder or ".") if wanted.match(n)]
    except OSError:
        return None
    return os.path.join(folder, names[0]) if len(names) == 1 else None


def capture_info(path):
    """(frame count, end time, in time order) from capinfos, or None if it cannot read it."""
    rc, out, _ = run([tool("capinfos"), "-T", "-r", "-M", "-c", "-S", "-e", "-o", path])
    fields = out.rstrip("\n").rsplit("\t", 3)
    if rc != 0 or len(fields) != 4:
        return None
    try:
        return int(fields[1]), float(fields[2]), fields[3].strip() == "True"
    except ValueError:
        return None


def with_tail(path, prev, seconds, folder):
    """A file holding the last seconds of prev, then all of path, and how it was made.

    None when there is nothing to prepend: the scan then reads path alone."""
    info = capture_info(prev)
    if not info or info[0] == 0:
        return None
    count, end, ordered = info
    tail = os.path.join(folder, "tail.pcapng")
    merged = os.path.join(folder, "merged.pcapng")
    if run([tool("editcap"), "-A", "%.9f" % (end - seconds), prev, tail])[0] != 0:
        return None
    tail_info = capture_info(tail)
    if not tail_info or tail_info[0] == 0:
        return None
    # A broken path is left to tshark, which names what is wrong with it.
    if run([tool("mergecap"), "-a", "-w", merged, tail, path])[0] != 0:
        return None
    return {"merged": merged, "tail_frames": tail_info[0], "prev": prev,
            "prev_frames": count, "prev_ordered": ordered}


def iso_time(epoch):
    seconds, _, fraction = epoch.partition(".")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(seconds)))
    return stamp + ("." + fraction if fraction else "") + "Z"


def endpoint(row, direction):
    """address:port of the innermost IP header that carries the TCP segment."""
    layers = row["frame.protocols"].split(":")
    tcp = len(layers) - 1 - layers[::-1].index("tcp") if "tcp" in layers else len(layers)
    ip_layers = [layer for layer in layers[:tcp] if layer in ("ip", "ipv6")]
    family = ip_layers[-1] if ip_layers else "ip"
    address = row["%s.%s" % (family, direction)].split(",")[-1]
    port = row["tcp.%sport" % direction].split(",")[-1]
    if family == "ipv6" and address:
        address = "[%s]" % address
    return "%s:%s" % (address, port) if address and port else address


def first_value(row, names):
    for name in names:
        value = row.get(name, "").split(",")[0]
        if value:
            return name, value
    return None, ""


def scan(path, config, result):
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        result["errors"].append("empty file, not a capture")
        return
    folder = tempfile.mkdtemp(prefix="teardown-scan-")
    try:
        prev = predecessor(path) if config["tail"] > 0 else None
        tail = with_tail(path, prev, config["tail"], folder) if prev else None
        scan_file(path, tail, config, result)
    finally:
        shutil.rmtree(folder, True)


def scan_file(path, tail, config, result):
    fields = BASE_FIELDS + config["fields"]
    args = [tool("tshark"), "-n", "-2", "-r", tail["merged"] if tail else path]
    # Every frame of a merged run is needed to number its streams as a run over the
    # file alone would; without a tail, tshark can drop the rest itself.
    if not tail:
        args += ["-Y", "teardown"]
    args += ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "quote=n"]
    for name in fields:
        args += ["-e", name]
    skip = tail["tail_frames"] if tail else 0
    if tail:
        result["tail_from"] = tail["prev"]
    # A merged run prints every frame: read them as they come, errors go to a file.
    with tempfile.TemporaryFile("w+", errors="replace") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err,
                                universal_newlines=True, errors="replace")
        read_rows(proc.stdout, fields, skip, tail, config, result)
        rc = proc.wait()
        err.seek(0)
        message = " ".join(line.strip() for line in err if line.strip())
    if rc != 0:
        result["errors"].append(message or "tshark exited with status %d" % rc)


def read_rows(lines, fields, skip, tail, config, result):
    streams = {}
    for line in lines:
        values = line.rstrip("\n").split("\t")
        row = dict(zip(fields, values + [""] * (len(fields) - len(values))))
        try:
            frame = int(row["frame.number"])
        except ValueError:
            continue
        if frame <= skip:
            continue  # the previous file's tail: its own scan reports it
        stream = row["tcp.stream"].split(",")[-1]
        if stream:
            stream = streams.setdefault(stream, str(len(streams))) if tail else stream
        for expert in config["experts"]:
            if row.get(expert):
                result["rows"].append(finding(row, frame - skip, stream, expert, tail,
                                              config))


def finding(row, frame, stream, expert, tail, config):
    # The link and byte fields that belong to this kind of finding; a kind the driver
    # does not know takes whichever is present.
    related_names = config["related"].get(expert) or config["related"]["*"]
    bytes_names = config["bytes"].get(expert, [])
    _, related = first_value(row, related_names)
    _, byte_count = first_value(row, bytes_names)
    related_file = ""
    if related and tail:
        number = int(related)
        if number > tail["tail_frames"]:
            related = str(number - tail["tail_frames"])
        else:
            related_file = tail["prev"]
            # Only a file in time order has its tail as its last frames.
            related = (str(tail["prev_frames"] - tail["tail_frames"] + number)
                       if tail["prev_ordered"] else "")
    return {"frame": frame, "time": iso_time(row["frame.time_epoch"]), "stream": stream,
            "src": endpoint(row, "src"), "dst": endpoint(row, "dst"), "verdict": expert,
            "related_file": related_file, "related_frame": related, "bytes": byte_count}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: teardown_scan_job.py CONFIG CAPTURE (CONFIG: JSON in base64)")
    config = json.loads(base64.b64decode(sys.argv[1]))
    path = sys.argv[2]
    result = {"file": path, "host": os.environ.get("PARALLEL_SSHLOGIN", ":"),
              "tail_from": None, "rows": [], "errors": []}
    try:
        scan(path, config, result)
    except OSError as e:
        result["errors"].append(str(e))
    print(json.dumps(result))
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
