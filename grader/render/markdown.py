"""A Markdown summary for a CI job page (``$GITHUB_STEP_SUMMARY``): a table per lecture and the
messages of what did not pass.  GitHub renders HTML inside Markdown, so every text that could
come from learner code is HTML-escaped (and ``|`` too, inside table cells)."""

from __future__ import annotations

import html

from ..results import LectureResult, SubmissionResult

ICONS = {"passed": "✅", "failed": "❌", "not_attempted": "⬜", "error": "💥", "timed_out": "⏱️", "skipped": "➖"}


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "&#124;").replace("\n", " ")


def render(result: SubmissionResult | list[LectureResult]) -> str:
    """The summary of a submission's lectures (a list of LectureResults is read as one submission)."""
    results = SubmissionResult.of(result).lectures
    total = sum(r.score for r in results)
    top = sum(r.max_score for r in results)
    out = [f"## grader: {total:g}/{top:g} points\n"]
    for r in results:
        mark = "✅" if r.all_passed else "❌"
        out.append(f"### {mark} {_cell(r.lecture)} · {_cell(r.title)}: {r.score:g}/{r.max_score:g}\n")
        out.append("| | check | exercise | points |")
        out.append("|---|---|---|---:|")
        for c in r.checks:
            out.append(f"| {ICONS[c.status]} | `{_cell(c.name)}` | {_cell(c.exercise)} | {c.points:g}/{c.max_points:g} |")
        out.append("")
        for c in r.checks:
            if c.passed or not (c.message or c.hint):
                continue
            body = html.escape(c.message)
            if c.hint and c.status != "not_attempted":
                body += "\n\nhint: " + html.escape(c.hint)
            out.append(f"<details><summary>{ICONS[c.status]} {_cell(c.name)}: {c.status.replace('_', ' ')}</summary>"
                       f"\n\n<pre>{body}</pre>\n</details>\n")
    return "\n".join(out) + "\n"
