"""The gradebook: one row per submission, one column per check (its points), the total.

Cells a spreadsheet would run as a formula (a submission named ``=HYPERLINK(...)``) are
prefixed with an apostrophe, the usual defence against CSV injection.
"""

from __future__ import annotations

import csv
import io

from ..results import ClassResult, SubmissionResult

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render(klass: ClassResult | SubmissionResult) -> str:
    """The gradebook of a class (one submission is a one-row class)."""
    klass = ClassResult.of(klass)
    columns = klass.columns()
    multi = len({lec for lec, _, _ in columns}) > 1
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["submission", *[f"{lec}/{name}" if multi else name for lec, name, _ in columns],
                "total", "max_total", "problems"])
    w.writerow(["(max points)", *[_cell(float(p)) for _, _, p in columns],
                _cell(float(sum(p for _, _, p in columns))), "", ""])
    for s in klass.submissions:
        points = {(r.lecture, c.name): c.points for r in s.lectures for c in r.checks}
        w.writerow([_cell(s.submission), *[_cell(float(points.get((lec, name), 0.0))) for lec, name, _ in columns],
                    _cell(float(s.score)), _cell(float(s.max_score)), _cell(" | ".join(s.problems))])
    return buf.getvalue()
