"""The learner's view in a terminal (rich), one lecture at a time: it takes a ``LectureResult``
(``grader check`` prints each lecture as it is graded), not a submission; it writes no file, so it
is not in the export registry.  Learner-controlled text (messages quoting their exceptions) is
passed as plain Text, never as markup."""

from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

from ..i18n import N_, _, status_label
from ..results import CheckResult, LectureResult

SYMBOLS = {
    "passed": ("✓", "green"),
    "failed": ("✗", "red"),
    "not_attempted": ("·", "yellow"),
    "error": ("!", "red"),
    "timed_out": ("⏱", "red"),
    "skipped": ("-", "dim"),
}


def _label(status: str) -> str:
    """``✓ passed`` / ``✓ 通过``: a status's symbol and its word in the current language."""
    return f"{SYMBOLS[status][0]} {status_label(status)}"


# Learner text must not steer the terminal or CI: escape sequences and control characters go, and a
# line that could pass for the grader's own (a status row, a score, a CI log command such as
# ``::error::`` or ``##vso[``) is marked as quoted.
_CONTROL = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORGEABLE = ("::", "##[", "##vso[", "Score:", "note:", "Stuck?", "得分", "注意", "提示")


def _forgeable() -> tuple[str, ...]:
    """The grader's own line starts, in English and in the language in use (a status row's label)."""
    from ..i18n import use_language
    with use_language("en"):
        english = tuple(_label(s) for s in SYMBOLS)
    return _FORGEABLE + english + tuple(_label(s) for s in SYMBOLS)


def learner_safe(line: str) -> str:
    line = _CONTROL.sub("", line)
    return "| " + line if line.lstrip().startswith(_forgeable()) else line


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells (a Chinese character takes two)."""
    from rich.cells import cell_len
    return text + " " * max(0, width - cell_len(text))


def _fmt(x: float) -> str:
    return f"{x:g}"


def console() -> Console:
    """The learner's console, bound to the real stdout now (the runner captures sys.stdout while checks
    run, and the live rows are drawn from inside that).  Colour and live rows only in a terminal."""
    import sys
    return Console(file=sys.stdout, highlight=False)


def _row(c: CheckResult, name: str | None = None) -> Text:
    label, style = _label(c.status), SYMBOLS[c.status][1]
    row = Text("  ")
    row.append(_pad(label, 16), style=style)
    name = name or c.name
    row.append(f"{name:<28}" if len(name) < 28 else f"{name}  ")
    row.append(f"{_fmt(c.points)}/{_fmt(c.max_points)}", style="dim")
    return row


def _problem(console: Console, c: CheckResult, indent: str = "      ") -> None:
    """A check that did not pass: its message (learner text made safe) and the diagnosed hint, if any
    that the message does not already say."""
    for msg_line in c.message.splitlines() or [""]:
        if msg_line:
            console.print(Text(f"{indent}{learner_safe(msg_line)}"))
    if c.hint and c.status != "not_attempted" and c.hint not in c.message:
        console.print(Text(indent + _("hint: {hint}").format(hint=c.hint), style="magenta"))


def _score_line(result: LectureResult, *, lecture: bool = False) -> Text:
    counts = result.counts()
    summary = _(", ").join(f"{n} {status_label(s)}" for s, n in counts.items() if n)
    where = f"  {result.lecture}" if lecture else ""
    return Text(_("Score: {v0}/{v1}{where}  ({summary})  in {duration_s:.1f} s").format(v0=_fmt(result.score), v1=_fmt(result.max_score), where=where, summary=summary, duration_s=result.duration_s),
                style="bold green" if result.all_passed else "bold")


def render(result: LectureResult, console: Console | None = None, *, verbose: bool = True) -> None:
    """The report of one lecture; ``verbose=False`` (``grader check -q``): only the problems (each check
    that did not pass, with its message and hint) and the score line."""
    console = console or Console(highlight=False)
    if not verbose:
        for c in result.checks:
            if c.status not in ("passed", "skipped"):
                console.print(_row(c, f"{c.exercise}/{c.name}"))
                _problem(console, c, "      ")
        console.print(_score_line(result, lecture=True), soft_wrap=True)
        if result.grader_error:
            console.print(Text(_("grader problem: {grader_error}").format(grader_error=result.grader_error), style="bold red"))
        return
    head = Text(f"{result.lecture} · {result.title}", style="bold")
    head.append(_("   device: {device}").format(device=result.device), style="dim")
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
            console.print(_row(c))
            if c.description:
                console.print(Text(f"      {c.description}", style="dim"))
            if c.status != "passed":
                _problem(console, c)
    counts = result.counts()
    console.print(Text("\n") + _score_line(result), soft_wrap=True)
    for note in result.notes:
        console.print(Text(_("note: {note}").format(note=note), style="dim"))
    if result.figures:
        console.print(Text(_("your code drew {n} figure(s): they are in the HTML report "
                             "(`grader check {lecture} --html report.html`)").format(n=len(result.figures), lecture=result.lecture),
                           style="dim"))
    if result.grader_error:
        console.print(Text(_("grader problem: {grader_error}").format(grader_error=result.grader_error), style="bold red"))
        return
    if counts["not_attempted"] and not result.all_passed:
        console.print(Text(_("Stuck? `grader hint {lecture}` reveals hints one at a time.").format(lecture=result.lecture), style="dim"))


def render_next(console: Console, result: LectureResult, following: tuple[str, str] | None) -> None:
    """After a lecture whose every check passed: the lecture to go on with (id, title), or the end."""
    if not result.all_passed or result.grader_error:
        return
    if following:
        console.print(Text(_("next: {lecture} · {title}").format(lecture=following[0], title=following[1]), style="bold green"))
    else:
        console.print(Text(_("{lecture} was the last lecture: the course is done. 恭喜，课程完成！").format(lecture=result.lecture),
                           style="bold green"))


class LiveChecks:
    """Each check's row as its verdict comes in, under a spinner (rich's Live display, cleared when the
    lecture is done, before its report).  Where the output is not a terminal it shows nothing, so what
    is printed there stays plain and the same from run to run."""

    def __init__(self, console: Console, lecture: str, title: str, total: int):
        self.console, self.rows, self.total = console, [], total
        self.head = _("checking {lecture} · {title}").format(lecture=lecture, title=title)
        self.live = None
        if console.is_terminal:
            from rich.live import Live
            self.live = Live(self._view(), console=console, transient=True, refresh_per_second=10,
                             redirect_stdout=False, redirect_stderr=False)

    def _view(self):
        from rich.console import Group
        from rich.spinner import Spinner
        spinner = Spinner("dots", text=Text(f"{self.head}   {len(self.rows)}/{self.total}", style="bold"))
        return Group(*self.rows, spinner)

    def __call__(self, check: CheckResult) -> None:
        self.rows.append(_row(check, f"{check.exercise}/{check.name}"))
        if self.live is not None:
            self.live.update(self._view())

    def __enter__(self) -> "LiveChecks":
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.stop()


def first_unfinished(result: LectureResult):
    """The first exercise (in the lecture's order) not passed, or None when all passed."""
    return next((e for e in result.exercises if e.status != "passed"), None)


def render_focus(result: LectureResult, console: Console, *, following: tuple[str, str] | None = None,
                 changed: list[str] | None = None) -> None:
    """``grader watch``'s screen: the first unfinished exercise first, with its problems in full; the
    others one line each; the score; what to do next."""
    head = Text(f"{result.lecture} · {result.title}", style="bold")
    head.append(_("   {score}/{max_score} points").format(score=_fmt(result.score), max_score=_fmt(result.max_score)), style="bold")
    if changed:
        head.append(_("   (after a change to {v0})").format(v0=', '.join(changed)), style="dim")
    console.print(head)
    if result.grader_error:
        console.print(Text(_("grader problem: {grader_error}").format(grader_error=result.grader_error), style="bold red"))
        return
    focus = first_unfinished(result)
    if focus is None:
        console.print(Text(_("\n✓ every check of {lecture} passes").format(lecture=result.lecture), style="bold green"))
        render_next(console, result, following)
    else:
        line = Text(_("\nnow: "), style="bold")
        line.append(f"{focus.name}", style="bold cyan")
        line.append(f"  {focus.title} (exercises/{result.lecture}/{focus.file})  "
                    f"{_fmt(focus.points)}/{_fmt(focus.max_points)}", style="cyan")
        console.print(line)
        for c in result.checks:
            if c.exercise == focus.name:
                console.print(_row(c))
                if c.status != "passed":
                    if c.description:
                        console.print(Text(f"      {c.description}", style="dim"))
                    _problem(console, c)
        others = [e for e in result.exercises if e is not focus]
        if others:
            console.print(Text(_("\nthe other exercises:"), style="bold"))
        for e in others:
            status = e.status if e.status in SYMBOLS else "failed"
            label, style = _label(status), SYMBOLS[status][1]
            row = Text("  ")
            row.append(_pad(label, 16), style=style)
            row.append(f"{e.name:<28}")
            row.append(f"{_fmt(e.points)}/{_fmt(e.max_points)}", style="dim")
            console.print(row)
    console.print(Text("\n") + _score_line(result), soft_wrap=True)


def render_overview(console: Console, rows: list, *, following: tuple[str, str] | None) -> None:
    """``grader list``: one aligned row per lecture (``rows``: (Lecture, its last LectureResult or None,
    stale)), the course's total and the lecture to go on with.  A result is *stale* when a file of
    its lecture changed after that check began."""
    from rich.cells import cell_len

    def pad(text: str, width: int) -> str:
        return text + " " * max(0, width - cell_len(text))

    titles = [f"{lec.title} · {lec.title_zh}" for lec, _, _ in rows]
    title_w = max(cell_len(t) for t in titles) if titles else 10
    lecture, title, exercises, points = _("lecture"), _("title"), _("exercises"), _("points")
    def right(text: str, width: int) -> str:
        return " " * max(0, width - cell_len(text)) + text

    head = Text(f"{pad(lecture, 11)}{pad(title, title_w)}  {right(exercises, 9)}  {right(points, 6)}  " + _("last check"),
                style="bold")
    console.print(head, soft_wrap=True)
    score = max_score = 0.0
    passed = 0
    for (lec, last, stale), title in zip(rows, titles):
        line = Text(f"{lec.id:<11}{pad(title, title_w)}  {len(lec.exercises):>9}  {_fmt(lec.max_points):>6}  ")
        max_score += lec.max_points
        if last is None:
            line.append(_("not checked"), style="dim")
        else:
            score += last.score
            done = last.all_passed
            passed += done
            line.append(f"{_fmt(last.score)}/{_fmt(last.max_score)}", style="green" if done else "yellow")
            if done:
                line.append(" ✓", style="green")
            if stale:
                line.append(_("  stale: files changed since"), style="magenta")
        console.print(line, soft_wrap=True)
    console.print(Text(_("\ncourse: {v0}/{v1} points, {passed} of {n_rows} lectures passed").format(v0=_fmt(score), v1=_fmt(max_score), passed=passed, n_rows=len(rows)),
                       style="bold"), soft_wrap=True)
    if following:
        console.print(Text(_("next: {lecture} · {title}").format(lecture=following[0], title=following[1]), style="bold green"), soft_wrap=True)
    else:
        console.print(Text(_("every lecture passed: the course is done. 恭喜，课程完成！"), style="bold green"), soft_wrap=True)
