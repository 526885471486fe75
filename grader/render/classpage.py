"""The HTML pages of a batch: the class page (``index.html``) and each submission's report.

Chart geometry (a histogram of total scores, a bar per check's pass rate) is computed here
and drawn by the templates as inline SVG: no script, no external file, so the pages open
offline, and every text in them is autoescaped by jinja2.
"""

from __future__ import annotations

import statistics
from pathlib import PurePath

from ..results import ClassResult, SubmissionResult
from .html import STATUS_COLORS, environment

BINS = 10


def histogram(fractions: list[float], *, width: int = 460, height: int = 200) -> dict:
    """Bars of how many totals fall in each tenth of the maximum (the last bar includes 100 %)."""
    counts = [0] * BINS
    for f in fractions:
        counts[min(BINS - 1, max(0, int(f * BINS)))] += 1
    left, top, base = 10, 20, height - 22
    slot = (width - left - 10) / BINS
    tallest = max(counts) or 1
    bars = []
    for i, n in enumerate(counts):
        h = round((base - top) * n / tallest, 1)
        bars.append({"x": round(left + i * slot + 2, 1), "w": round(slot - 4, 1), "y": round(base - h, 1), "h": h,
                     "count": n, "label": f"{i * 10}–{(i + 1) * 10}"})
    return {"width": width, "height": height, "left": left, "base": base, "bars": bars}


def pass_rate_rows(klass: ClassResult, *, bar_w: int = 260) -> dict:
    multi = len({lec for lec, _, _ in klass.columns()}) > 1
    rows = []
    for i, (lec, name, rate) in enumerate(klass.pass_rates()):
        color = STATUS_COLORS["passed"] if rate >= 0.8 else "#bf8700" if rate >= 0.5 else STATUS_COLORS["failed"]
        rows.append({"label": f"{lec}/{name}" if multi else name, "y": 4 + i * 22, "w": round(bar_w * rate, 1),
                     "pct": round(100 * rate), "color": color})
    label_w = 60 + 7 * max((len(r["label"]) for r in rows), default=0)
    return {"rows": rows, "label_w": label_w, "bar_w": bar_w, "width": label_w + bar_w + 50,
            "height": 8 + 22 * len(rows)}


def stats(klass: ClassResult) -> dict:
    totals = [s.score for s in klass.submissions]
    top = max((s.max_score for s in klass.submissions), default=0.0)
    return {"n": len(totals), "max": top, "mean": round(statistics.fmean(totals), 2) if totals else 0.0,
            "median": statistics.median(totals) if totals else 0.0,
            "full": sum(1 for s in klass.submissions if s.max_score and s.score >= s.max_score)}


def render(klass: ClassResult | SubmissionResult) -> str:
    """The class page (``index.html``); one submission is a one-row class."""
    klass = ClassResult.of(klass)
    fractions = [s.score / s.max_score if s.max_score else 0.0 for s in klass.submissions]
    by_lecture = {s.submission: {r.lecture: r for r in s.lectures} for s in klass.submissions}
    return environment().get_template("class.html.j2").render(
        k=klass, hist=histogram(fractions), rates=pass_rate_rows(klass), stats=stats(klass), by_lecture=by_lecture)


def render_submission(result: SubmissionResult, *, back_link: str = "../../index.html") -> str:
    """A submission's report; ``back_link`` leads to the class page (empty: no link)."""
    result = SubmissionResult.of(result)
    source_name = PurePath(result.source).name if result.source else ""  # not the grading machine's paths
    return environment().get_template("submission.html.j2").render(s=result, back_link=back_link,
                                                                   source_name=source_name)
