"""Gradescope's ``results.json`` (https://gradescope-autograders.readthedocs.io/en/latest/specs/).

One test per check: ``name``, ``score``, ``max_score``, ``status`` ("passed"/"failed"),
``output`` (the message and hint the learner would see) and ``visibility``.  A check marked
``hidden`` in the lecture's TOML is shown only ``hidden_visibility`` (by default after the due
date), so its result does not teach the hidden check before the deadline.
"""

from __future__ import annotations

import json

from ..results import LectureResult, SubmissionResult

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def _output(c) -> str:
    if c.passed:
        return c.description or "passed"
    parts = [f"{c.status.replace('_', ' ')}: {c.message}" if c.message else c.status.replace("_", " ")]
    if c.hint and c.status != "not_attempted":
        parts.append(f"hint: {c.hint}")
    return "\n".join(parts)


def render(result: SubmissionResult | LectureResult, *, hidden_visibility: str = "after_due_date") -> dict:
    """The results.json of a submission (a LectureResult counts as a one-lecture submission), as a dict."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    result = SubmissionResult.of(result)
    lectures = result.lectures
    multi = len(lectures) > 1
    tests = []
    for r in lectures:
        for c in r.checks:
            tests.append({
                "name": f"{r.lecture}/{c.name}" if multi else c.name,
                "score": c.points,
                "max_score": c.max_points,
                "status": "passed" if c.passed else "failed",
                "output": _output(c),
                "visibility": hidden_visibility if c.hidden else "visible",
                "tags": [r.lecture, c.exercise],
            })
    lines = [f"{r.lecture} · {r.title}: {r.score:g}/{r.max_score:g}" for r in lectures] + result.problems
    return {
        "score": result.score,
        "execution_time": round(result.duration_s),
        "output": "\n".join(lines),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def render_json(result: SubmissionResult, *, hidden_visibility: str = "after_due_date") -> str:
    """The file Gradescope reads (``results.json``)."""
    return json.dumps(render(result, hidden_visibility=hidden_visibility), indent=2, ensure_ascii=False)
