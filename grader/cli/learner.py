"""The learner's commands: list, check, watch, hint, reset, init.

Thin click layers over ``grader.api`` (check, watch, hint, reset, init) and the renderers: the terminal
view of each lecture (its checks shown live as they finish, in a terminal), and the report files
``grader check`` writes through the one export path (``grader.render.export.write``).  Heavy imports
(torch, pytest, rich, jinja2, watchfiles) happen inside the commands, so ``--help`` and shell completion
stay fast and ``grader check`` can start its worker first.

A LECTURE may be left out inside a lecture's folder (``exercises/lecture05/``); an EXERCISE is named as
in the lecture's TOML or by a function or class it asks for (``train``).  Both complete in the shell
(click's completion: ``eval "$(_GRADER_COMPLETE=bash_source grader)"``).
"""

from __future__ import annotations

import signal
import sys

import click
from click.shell_completion import CompletionItem

from .. import api
from ..course import lecture_ids, load_lecture
from ..results import SubmissionResult
from ._common import GRADER_PROBLEM, UsageProblem, exit_codes, command, option
from ..i18n import N_, _

WHERE = N_("or run it inside a lecture's folder, exercises/lectureNN/")


# ---------------------------------------------------------------- completion and names

def _complete_lecture(ctx, param, incomplete: str) -> list[CompletionItem]:
    out = []
    for lec_id in lecture_ids():
        if lec_id.startswith(incomplete) or lec_id.removeprefix("lecture").startswith(incomplete):
            try:
                out.append(CompletionItem(lec_id, help=load_lecture(lec_id).title))
            except Exception:
                out.append(CompletionItem(lec_id))
    if ctx.command.name in ("hint", "reset"):  # inside a lecture's folder the first name may be an exercise
        out += _exercises(_here(ctx), incomplete)
    return out


def _here(ctx):
    try:
        return api.lecture_here(ctx.params.get("workdir")) or api.lecture_here()
    except Exception:
        return None


def _complete_exercise(ctx, param, incomplete: str) -> list[CompletionItem]:
    try:
        text = ctx.params.get("lecture")
        lec = api.resolve_lecture(text) if text else _here(ctx)
    except Exception:
        return []
    return _exercises(lec, incomplete)


def _exercises(lec, incomplete: str) -> list[CompletionItem]:
    """An exercise's names: its own and those of the functions and classes it asks for."""
    if lec is None:
        return []
    out, seen = [], set()
    for ex in lec.exercises:
        for name, help_text in ((ex.name, ex.title), *((s, f"in {ex.name}") for s in ex.symbols)):
            if name.startswith(incomplete) and name not in seen:
                seen.add(name)
                out.append(CompletionItem(name, help=help_text))
    return out


def _lecture_or_here(lecture: str | None, workdir: str | None, command: str):
    """The lecture named, or the one whose folder the working directory (or --workdir) is in."""
    with exit_codes():
        if lecture:
            return api.resolve_lecture(lecture)
        here = api.lecture_here(workdir) if workdir else None
        here = here or api.lecture_here()
    if here is None:
        raise UsageProblem(_("which lecture? give one, e.g. `grader {command} lecture05` (or 05, or 5), {WHERE}").format(command=command, WHERE=_(WHERE)))
    return here


def _lecture_and_exercise(lecture: str | None, exercise: str | None, workdir: str | None, command: str):
    """LECTURE [EXERCISE]; inside a lecture's folder a lone argument may be the exercise."""
    if lecture and exercise is None:
        try:
            return api.resolve_lecture(lecture), None
        except api.UsageError:
            here = api.lecture_here(workdir) if workdir else api.lecture_here()
            if here is not None:
                try:
                    return here, api.resolve_exercise(here, lecture).name
                except api.UsageError:
                    pass
            raise
    return _lecture_or_here(lecture, workdir, command), exercise


def _following(lecture) -> tuple[str, str] | None:
    after = api.next_lecture(lecture)
    return (after.id, _(after.title)) if after else None


# ---------------------------------------------------------------- the commands

@command("list")
@option("--workdir", type=click.Path(file_okay=False), help=N_("Working directory (default: nearest with exercises/)."))
def list_cmd(workdir: str | None) -> None:
    """The lectures, with exercises, points and your last result (stale: changed since), the course's total."""
    from ..render import terminal
    with exit_codes():
        rows = api.course_overview(workdir)
    pending = [lec for lec, last, _ in rows if not (last and last.all_passed)]
    terminal.render_overview(terminal.console(), rows,
                             following=(pending[0].id, pending[0].title) if pending else None)


@command()
@click.argument("lecture", required=False, shell_complete=_complete_lecture)
@option("--all", "every", is_flag=True, help=N_("Check every lecture that has a folder in exercises/."))
@option("--workdir", type=click.Path(),
              help=N_("Folder holding exercises/, or that exercises/ folder (default: the nearest one)."))
@option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@option("--json", "json_path", type=click.Path(dir_okay=False), help=N_("Write the canonical JSON result here."))
@option("--html", "html_path", type=click.Path(dir_okay=False), help=N_("Write a self-contained HTML report here."))
@option("--junit", "junit_path", type=click.Path(dir_okay=False), help=N_("Write JUnit XML here (for CI)."))
@option("--summary", "summary_path", type=click.Path(dir_okay=False),
              help=N_("Append a Markdown summary here (for CI: $GITHUB_STEP_SUMMARY)."))
@option("--quiet", "-q", is_flag=True, help=N_("Only the score line and the problems."))
@option("--data", "data", metavar="NAME",
              help=N_("Train and evaluate on a full-size data set where it is installed (fashion-mnist: "
                     "lectures 10, 11)."))
def check(lecture: str | None, every: bool, workdir: str | None, device: str, json_path: str | None,
          html_path: str | None, junit_path: str | None, summary_path: str | None, quiet: bool,
          data: str | None) -> None:
    """Check your exercises for LECTURE (lecture05, 05 or 5; inside exercises/lectureNN/ it may be left out; a
    notebook of it here, lecture05.ipynb, is checked instead), a notebook (path/lecture05.ipynb), or every
    lecture with --all."""
    from ..sandbox import probe_soon
    probe_soon()  # the sandbox's probe overlaps finding the lecture (0.1 s of each check)
    if lecture and every:
        raise UsageProblem(_("give one LECTURE (e.g. `grader check lecture05`) or --all, not both"))
    if data and every:
        raise UsageProblem(_("--data goes with one LECTURE, not --all"))
    notebook = bool(lecture and lecture.lower().endswith(".ipynb"))  # `grader check path/lecture05.ipynb`
    if notebook:
        with exit_codes():
            lec = api.notebook_for(lecture, workdir)[0]
    elif not every:
        lec = _lecture_or_here(lecture, workdir, "check")
    from ..render import terminal
    console = terminal.console()
    live: list = []

    def start(lec) -> None:  # each check's row as it finishes, in a terminal
        if not quiet:
            live.append(terminal.LiveChecks(console, lec.id, _(lec.title), len(lec.checks)).__enter__())

    def tell(check_result) -> None:
        if live:
            live[-1](check_result)

    def show(result) -> None:
        while live:
            live.pop().__exit__(None, None, None)
        terminal.render(result, console, verbose=not quiet)

    try:
        with exit_codes():
            if every:  # one submission of every lecture: its JSON, and its page as a report
                whole = api.check_all(workdir, device, each=show, on_check=tell, before=start)
                json_format, html_format = "json", "submission-html"
            else:  # one lecture: its LectureResult JSON and its report
                start(lec)
                result = api.check(lecture if notebook else lec, workdir, device, data, on_check=tell)
                show(result)
                if not quiet:
                    terminal.render_next(console, result, _following(lec))
                whole = SubmissionResult.of(result)
                json_format, html_format = "lecture-json", "html"
    finally:
        while live:
            live.pop().__exit__(None, None, None)
    from ..render.export import write
    targets = {json_format: json_path, html_format: html_path, "junit": junit_path, "markdown": summary_path}
    write(whole, {fmt: path for fmt, path in targets.items() if path}, back_link="")
    if any(r.grader_error for r in whole.lectures):
        sys.exit(GRADER_PROBLEM)
    sys.exit(0 if all(r.all_passed for r in whole.lectures) else 1)


@command()
@click.argument("lecture", required=False, shell_complete=_complete_lecture)
@option("--workdir", type=click.Path(), help=N_("Folder holding exercises/, or that exercises/ folder."))
@option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
def watch(lecture: str | None, workdir: str | None, device: str) -> None:
    """Check LECTURE again on every save of one of its files, the first unfinished exercise first; Ctrl-C quits."""
    from ..sandbox import probe_soon
    probe_soon()
    lec = _lecture_or_here(lecture, workdir, "watch")
    from ..render import terminal
    console = terminal.console()
    following = _following(lec)
    stopping: list[bool] = []
    live: list = []

    def interrupted(signum, frame):  # pytest turns the KeyboardInterrupt into an interrupted run: remember it
        stopping.append(True)
        raise KeyboardInterrupt

    def before(changed: list[str]) -> None:
        if console.is_terminal:
            console.clear()
        elif changed:
            console.print(_("\n--- {files} changed: checking {lecture} again ---").format(files=', '.join(changed), lecture=lec.id))
        live.append(terminal.LiveChecks(console, lec.id, _(lec.title), len(lec.checks)).__enter__())

    def tell(check_result) -> None:
        if live:
            live[-1](check_result)

    def done() -> None:
        while live:
            live.pop().__exit__(None, None, None)
        if stopping:
            raise KeyboardInterrupt

    def after(result, changed: list[str]) -> None:
        done()
        terminal.render_focus(result, console, following=following, changed=changed)
        console.print(_("watching exercises/{id}/ for changes · Ctrl-C quits").format(id=lec.id), style="dim")

    def problem(text: str) -> None:
        done()
        console.print(_("grader problem: {text}; watching on").format(text=text), style="bold red")

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        with exit_codes():
            api.watch(lec, workdir, device, on_result=after, on_check=tell, before=before, on_problem=problem)
    except KeyboardInterrupt:
        while live:
            live.pop().__exit__(None, None, None)
        console.print(_("\nstopped watching."), style="dim")
    finally:
        signal.signal(signal.SIGINT, previous)
    sys.exit(0)


@command()
@click.argument("lecture", required=False, shell_complete=_complete_lecture)
@click.argument("exercise", required=False, shell_complete=_complete_exercise)
@option("--reset", "forget", is_flag=True,
              help=N_("Forget the hints revealed (of EXERCISE, of LECTURE, or of the whole course)."))
@option("--workdir", type=click.Path(file_okay=False))
def hint(lecture: str | None, exercise: str | None, forget: bool, workdir: str | None) -> None:
    """Reveal the next hint of an exercise (the first unfinished one by default), one at a time."""
    with exit_codes():
        if forget:  # without a LECTURE, outside a lecture's folder: every hint of the course
            here = lecture or (api.lecture_here(workdir) if workdir else None) or api.lecture_here()
            lec, ex = _lecture_and_exercise(lecture, exercise, workdir, "hint") if here else (None, None)
            click.echo(api.forget_hints(lec, ex, workdir))
            return
        lec, ex = _lecture_and_exercise(lecture, exercise, workdir, "hint")
        click.echo(api.hint(lec, ex, workdir))


@command()
@click.argument("lecture", required=False, shell_complete=_complete_lecture)
@click.argument("exercise", required=False, shell_complete=_complete_exercise)
@option("--workdir", type=click.Path(file_okay=False))
def reset(lecture: str | None, exercise: str | None, workdir: str | None) -> None:
    """Restore LECTURE's stubs (or only EXERCISE's part) as the course ships them; your files are backed up first."""
    with exit_codes():
        lec, ex = _lecture_and_exercise(lecture, exercise, workdir, "reset")
        done = api.reset(lec, ex, workdir)
    what = f"{done.lecture}/{ex}" if ex else done.lecture
    if done.restored:
        click.echo(_("{what}: restored {v1} as shipped").format(what=what, v1=', '.join(done.restored)))
    if done.unchanged:
        click.echo(_("{what}: already as shipped: {v1}").format(what=what, v1=', '.join(done.unchanged)))
    if done.note:
        click.echo(_("note: {note}").format(note=done.note))
    if done.backup:
        click.echo(_("your version is kept in {backup}").format(backup=done.backup))


@command()
@click.argument("directory", type=click.Path(file_okay=False))
@option("--notebooks", is_flag=True,
              help=N_("One Jupyter notebook per lecture instead (tasks, stubs, and a last cell that checks it)."))
def init(directory: str, notebooks: bool) -> None:
    """Make a working directory with the course's stubs as shipped (and nothing hidden)."""
    with exit_codes():
        target = api.init(directory, notebooks=notebooks)
    if notebooks:
        click.echo(_("Wrote one notebook per lecture into {target}").format(target=target))
        click.echo(_("Next: cd {target} && jupyter lab lecture01.ipynb (or `grader check lecture01.ipynb`)").format(
            target=target))
        return
    click.echo(_("Copied the stubs of {v0} lectures into {target}").format(v0=len(list(target.glob('lecture*'))), target=target))
    click.echo(_("Next: cd {parent} && grader check lecture01 (or `grader watch lecture01`)").format(parent=target.parent))


COMMANDS = (list_cmd, check, watch, hint, reset, init)
