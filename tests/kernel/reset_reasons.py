"""Which causes of the plugin each reason of Linux's tcp:tcp_send_reset may stand for.

The mapping is written once, as the table under "Reason to cause" in
docs/KERNEL-REASONS.md; this module reads it from there, so the document is what the
kernel tests check against.
"""
import os
import re

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                   "KERNEL-REASONS.md")
SECTION = "## Reason to cause"

# teardown.rst_cause, as the contract numbers the causes.
CAUSE_CODES = {
    "spurious_ack": 1,
    "data_after_close": 2,
    "abort": 3,
    "no_connection": 4,
    "refused": 5,
    "retransmission_timeout": 6,
    "unexplained": 7,
}
CAUSE_NAMES = {code: name for name, code in CAUSE_CODES.items()}

_ROW = re.compile(r"^\|\s*`(?P<reason>[A-Z0-9_]+)`\s*\|(?P<causes>[^|]*)\|")


class MappingError(Exception):
    pass


def load(path=DOC):
    """kernel reason -> the set of cause names it may stand for."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise MappingError("cannot read the reason-to-cause table: %s" % e)
    mapping, inside = {}, False
    for line in lines:
        if line.startswith("## "):
            inside = line.strip() == SECTION
            continue
        m = _ROW.match(line) if inside else None
        if not m:
            continue
        causes = set(re.findall(r"`([a-z_]+)`", m["causes"]))
        unknown = causes - set(CAUSE_CODES)
        if unknown or not causes:
            raise MappingError("%s: the row of %s names no cause or unknown ones: %s"
                               % (path, m["reason"], ", ".join(sorted(unknown)) or "none"))
        mapping[m["reason"]] = causes
    if not mapping:
        raise MappingError("%s has no table under '%s'" % (path, SECTION))
    return mapping


def disagreement(mapping, reason, cause):
    """None when the kernel's reason may stand for cause, else what is wrong."""
    if reason not in mapping:
        return "the kernel's reason %s is not in the reason-to-cause table" % reason
    if cause not in mapping[reason]:
        return "the kernel's reason %s stands for %s, not %s" % (
            reason, ", ".join(sorted(mapping[reason])), cause)
    return None
