"""The learner's view in a terminal (rich), one lecture at a time: it takes a ``LectureResult``
(``grader check`` prints each lecture as it is graded), not a submission; it writes no file, so it
is not in the export registry.  Learner-controlled text (messages quoting their exceptions) is
passed as plain Text, never as markup."""

from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

from ..results import LectureResult

SYMBOLS = {
    "passed": ("✓ passed", "green"),
    "failed": ("✗ failed", "red"),
    "not_attempted": ("· not attempted", "yellow"),
    "error": ("! error", "red"),
    "timed_out": ("⏱ timed out", "red"),
    "skipped": ("- skipped", "dim"),
}


# Learner text must not steer the terminal or CI: escape sequences and control characters go, and a
# line that could pass for the grader's own (a status row, a score, a CI log command such as
# ``::error::`` or ``##vso[``) is marked as quoted.
_CONTROL = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORGEABLE = ("::", "##[", "##vso[", "Score:", "note:", "Stuck?") + tuple(label for label, _ in SYMBOLS.values())


def learner_safe(line: str) -> str:
    line = _CONTROL.sub("", line)
    return "| " + line if line.lstrip().startswith(_FORGEABLE) else line


def _fmt(x: float) -> str:
    return f"{x:g}"


def render(result: LectureResult, console: Console | None = None, *, verbose: bool = True) -> None:
    console = console or Console(highlight=False)
    head = Text(f"{result.lecture} · {result.title}", style="bold")
    head.append(f"   device: {result.device}", style="dim")
    console.print(head)
    by_exercise: dict[str, list] = {}
    for c in result.checks:
        by_exercise.setdefault(c.exercise, []).append(c)
    titles = {e.name: e for e in result.exercises}
    for name, checks in by_exercise.items():
        ex = titles.get(name)
        line = Text(f"\n{name}", style="bold cyan")
        if ex:
            line.append(f"  {ex.title} ({ex.file})  {_fmt(ex.points)}/{_fmt(ex.max_points)}", style="cyan")
        console.print(line)
        for c in checks:
            label, style = SYMBOLS[c.status]
            row = Text("  ")
            row.append(f"{label:<16}", style=style)
            row.append(f"{c.name:<28}")
            row.append(f"{_fmt(c.points)}/{_fmt(c.max_points)}", style="dim")
            console.print(row)
            if c.description and (verbose or c.status != "passed"):
                console.print(Text(f"      {c.description}", style="dim"))
            if c.status != "passed":
                for msg_line in c.message.splitlines() or [""]:
                    if msg_line:
                        console.print(Text(f"      {learner_safe(msg_line)}"))
                if c.hint and c.status != "not_attempted":
                    console.print(Text(f"      hint: {c.hint}", style="magenta"))
    counts = result.counts()
    summary = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)
    style = "bold green" if result.all_passed else "bold"
    console.print(Text(f"\nScore: {_fmt(result.score)}/{_fmt(result.max_score)}  ({summary})  "
                       f"in {result.duration_s:.1f} s", style=style))
    for note in result.notes:
        console.print(Text(f"note: {note}", style="dim"))
    if result.grader_error:
        console.print(Text(f"grader problem: {result.grader_error}", style="bold red"))
        return
    if counts["not_attempted"] and not result.all_passed:
        console.print(Text(f"Stuck? `grader hint {result.lecture}` reveals hints one at a time.", style="dim"))
