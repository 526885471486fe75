"""JUnit XML (the format CI systems and test-report viewers read), built with ElementTree so
every learner-controlled text is escaped by the library.

One ``testsuite`` per lecture of a submission (per submission and lecture for a class), one
``testcase`` per check: ``classname`` is ``lecture.exercise`` (prefixed by the submission in a class);
failed and not-attempted checks are ``failure``s, errors and time-outs ``error``s, skipped
checks ``skipped``.  Points travel as properties.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..results import ClassResult, LectureResult, SubmissionResult

FAILURE = {"failed", "not_attempted"}
# characters XML 1.0 cannot hold at all (a learner's message may carry terminal escapes or NULs)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
ERROR = {"error", "timed_out"}


def _suite(r: LectureResult, prefix: str = "") -> ET.Element:
    counts = r.counts()
    suite = ET.Element("testsuite", {
        "name": _x(f"{prefix}{r.lecture}"), "tests": str(len(r.checks)),
        "failures": str(sum(counts[s] for s in FAILURE)), "errors": str(sum(counts[s] for s in ERROR)),
        "skipped": str(counts["skipped"]), "time": f"{r.duration_s:.3f}"})
    props = ET.SubElement(suite, "properties")
    for name, value in (("score", r.score), ("max_score", r.max_score), ("device", r.device)):
        ET.SubElement(props, "property", {"name": name, "value": f"{value:g}" if isinstance(value, float) else str(value)})
    for c in r.checks:
        case = ET.SubElement(suite, "testcase", {"classname": _x(f"{prefix}{r.lecture}.{c.exercise}"), "name": c.name,
                                                 "time": f"{c.duration_s:.3f}"})
        cprops = ET.SubElement(case, "properties")
        ET.SubElement(cprops, "property", {"name": "points", "value": f"{c.points:g}"})
        ET.SubElement(cprops, "property", {"name": "max_points", "value": f"{c.max_points:g}"})
        text = _x(c.message + (f"\nhint: {c.hint}" if c.hint and c.status != "not_attempted" else ""))
        first = _x((c.message.splitlines() or [c.status.replace("_", " ")])[0][:200])
        if c.status in FAILURE:
            ET.SubElement(case, "failure", {"type": c.status, "message": first}).text = text
        elif c.status in ERROR:
            ET.SubElement(case, "error", {"type": c.status, "message": first}).text = text
        elif c.status == "skipped":
            ET.SubElement(case, "skipped", {"message": first})
    return suite


def _document(suites: list[ET.Element], name: str) -> str:
    root = ET.Element("testsuites", {"name": name})
    root.extend(suites)
    for attr in ("tests", "failures", "errors", "skipped"):
        root.set(attr, str(sum(int(s.get(attr)) for s in suites)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(result: SubmissionResult | ClassResult | list[LectureResult]) -> str:
    """A submission's lectures (``grader check``: a document named "grader"), or a class ("class", each
    suite named ``submission.lecture``).  A list of LectureResults is read as one submission."""
    if isinstance(result, ClassResult):
        return _document([_suite(r, f"{s.submission}.") for s in result.submissions for r in s.lectures], "class")
    return _document([_suite(r) for r in SubmissionResult.of(result).lectures], "grader")


render_class = render  # the name batch grading used for a class
