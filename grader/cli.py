"""The command line: a thin click layer over plain functions.

Exit codes: 0 all passed / all held, 1 something did not pass, 2 a usage error
(unknown lecture, missing folder, unavailable device), 3 a problem of the grader on this
machine, not of the learner's code (its worker cannot start; no sandbox where one is required).  Heavy imports (torch,
pytest) happen inside commands, so ``grader list`` and ``--help`` stay fast and
``grader check`` can start its worker first.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from . import __version__
from .course import CourseError, Lecture, all_lectures, load_lecture
from .workspace import State, WorkspaceError, find_workdir, resource_dir


GRADER_PROBLEM = 3  # the grader could not grade here (no sandbox where one is required, no worker)


class UsageProblem(click.ClickException):
    exit_code = 2


class GraderProblem(click.ClickException):
    """The grader cannot grade on this machine as it is set up: not the learner's doing."""
    exit_code = GRADER_PROBLEM


def _lecture(text: str) -> Lecture:
    try:
        return load_lecture(text)
    except CourseError as exc:
        raise UsageProblem(str(exc)) from None


def _workdir(path: str | None) -> Path:
    try:
        if path:
            p = Path(path).resolve()
            if not p.is_dir():
                raise UsageProblem(f"--workdir {path}: no such directory ({p})")
            return p
        return find_workdir()
    except WorkspaceError as exc:
        raise UsageProblem(str(exc)) from None


def _with_data(lecture: Lecture, name: str) -> Lecture:
    """The lecture on a full-size data set, its files prepared now: a usage error when they are missing."""
    from .data import DataUnavailable, public_files
    try:
        lec = lecture.with_data(name)
        for data_name in lec.data:
            public_files(data_name)
    except (CourseError, DataUnavailable) as exc:
        raise UsageProblem(str(exc)) from None
    return lec


def _device(choice: str) -> str:
    if choice == "cpu":
        return "cpu"
    if choice == "auto" and not (Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()):
        return "cpu"  # no NVIDIA driver: skip importing torch just to ask (it would delay the worker's start)
    import torch
    if torch.cuda.is_available():
        return "cuda"
    if choice == "cuda":
        raise UsageProblem("--device cuda: CUDA is not available on this machine (torch.cuda.is_available() is False)")
    return "cpu"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Autograder of the PyTorch practice course (PyTorch深度学习实践)."""


@main.command("list")
@click.option("--workdir", type=click.Path(file_okay=False), help="Working directory (default: nearest with exercises/).")
def list_cmd(workdir: str | None) -> None:
    """The lectures, with exercises, points and your last result."""
    try:
        state = State(_workdir(workdir))
    except UsageProblem:
        state = None
    for lec in all_lectures():
        last = state.last_result(lec.id) if state else None
        status = f"{last.score:g}/{last.max_score:g}" if last else "not checked"
        click.echo(f"{lec.id}  {lec.title} ({lec.title_zh})  {len(lec.exercises)} exercises, "
                   f"{lec.max_points:g} points  [{status}]")


@main.command()
@click.argument("lecture", required=False)
@click.option("--all", "every", is_flag=True, help="Check every lecture that has a folder in exercises/.")
@click.option("--workdir", type=click.Path(), help="Folder holding exercises/ (default: the nearest one).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the canonical JSON result here.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write a self-contained HTML report here.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Write JUnit XML here (for CI).")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False),
              help="Append a Markdown summary here (for CI: $GITHUB_STEP_SUMMARY).")
@click.option("--quiet", "-q", is_flag=True, help="Only the score line and problems.")
@click.option("--data", "data", metavar="NAME",
              help="Train and evaluate on a full-size data set where it is installed (fashion-mnist: lectures 10, 11).")
def check(lecture: str | None, every: bool, workdir: str | None, device: str, json_path: str | None,
          html_path: str | None, junit_path: str | None, summary_path: str | None, quiet: bool,
          data: str | None) -> None:
    """Check your exercises for LECTURE (lecture05, 05 or 5), or for every lecture with --all."""
    if bool(lecture) == every:
        raise UsageProblem("give one LECTURE (e.g. `grader check lecture05`) or --all, not both")
    if data and every:
        raise UsageProblem("--data goes with one LECTURE, not --all")
    wd = _workdir(workdir)
    lecs = [x for x in all_lectures() if (wd / "exercises" / x.id).is_dir()] if every else [_lecture(lecture)]
    if not lecs:
        raise UsageProblem(f"--all: no lecture folders in {wd / 'exercises'}")
    folder = wd / "exercises" / lecs[0].id
    if not folder.is_dir():
        raise UsageProblem(f"no folder for {lecs[0].id}: looked for {folder}")
    if data:
        lecs = [_with_data(lecs[0], data)]
    dev = _device(device)
    from .render import terminal
    from .runner import run_lecture
    results = []
    for lec in lecs:
        result = run_lecture(lec, wd / "exercises" / lec.id, device=dev)
        terminal.render(result, verbose=not quiet)
        results.append(result)
        try:
            State(wd).save_result(result)
        except OSError:
            pass  # a read-only working directory still gets its report
    from .cli_instructor import write_check_reports
    write_check_reports(results, every=every, json_path=json_path, html_path=html_path, junit=junit_path,
                        summary=summary_path)
    if any(r.grader_error for r in results):
        sys.exit(GRADER_PROBLEM)
    sys.exit(0 if all(r.all_passed for r in results) else 1)


@main.command()
@click.argument("lecture")
@click.argument("exercise", required=False)
@click.option("--workdir", type=click.Path(file_okay=False))
def hint(lecture: str, exercise: str | None, workdir: str | None) -> None:
    """Reveal the next hint for an exercise (the first unfinished one by default)."""
    lec = _lecture(lecture)
    state = State(_workdir(workdir))
    if exercise is None:
        last = state.last_result(lec.id)
        done = {e.name for e in last.exercises if e.status == "passed"} if last else set()
        pending = [e for e in lec.exercises if e.name not in done]
        ex = (pending or list(lec.exercises))[0]
    else:
        names = [e.name for e in lec.exercises]
        if exercise not in names:
            raise UsageProblem(f"{lec.id} has no exercise `{exercise}`; its exercises: {', '.join(names)}")
        ex = lec.exercise(exercise)
    shown = state.hints_revealed(lec.id, ex.name)
    if shown >= len(ex.hints):
        click.echo(f"{lec.id}/{ex.name}: all {len(ex.hints)} hints are shown:")
        for i, h in enumerate(ex.hints, 1):
            click.echo(f"  {i}. {h}")
        return
    n = state.reveal_hint(lec.id, ex.name)
    click.echo(f"{lec.id}/{ex.name} ({ex.title} · {ex.title_zh}), hint {n} of {len(ex.hints)}:")
    click.echo(f"  {ex.hints[n - 1]}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def init(directory: str) -> None:
    """Make a working directory with the course's stubs (and nothing hidden)."""
    dest = Path(directory).resolve()
    target = dest / "exercises"
    if target.exists():
        raise UsageProblem(f"{target} already exists: choose an empty directory")
    src = resource_dir("exercises")
    shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    click.echo(f"Copied the stubs of {len(list(target.glob('lecture*')))} lectures into {target}")
    click.echo(f"Next: cd {dest} && grader check lecture05")


@main.command()
@click.argument("lectures", nargs=-1)
@click.option("--jobs", "-j", type=click.IntRange(1, 16), default=2, show_default=True)
def verify(lectures: tuple[str, ...], jobs: int) -> None:
    """The course proves itself: solutions pass, stubs are not attempted, mutants are caught."""
    from .verify import verify as run_verify
    from .workspace import WorkspaceError as WE
    lecs = [_lecture(x) for x in lectures] if lectures else all_lectures()
    try:
        verdicts = run_verify(lecs, jobs=jobs)
    except (WE, CourseError) as exc:
        raise UsageProblem(str(exc)) from None
    for v in verdicts:
        click.echo(click.style(f"{v.lecture}: {'ok' if v.ok else 'FAILED'}", bold=True, fg="green" if v.ok else "red"))
        for f in v.findings:
            click.echo(f"  {'✓' if f.ok else '✗'} {f.what}" + (f"\n      {f.detail}" if f.detail and not f.ok else ""))
    sys.exit(0 if all(v.ok for v in verdicts) else 1)


@main.command()
@click.argument("lectures", nargs=-1)
@click.option("--check", "check_only", is_flag=True, help="Only report stubs that differ; write nothing.")
def stubs(lectures: tuple[str, ...], check_only: bool) -> None:
    """Regenerate exercises/ from solutions/ (instructors)."""
    from .stubs import stale_stubs, write_stubs
    from .workspace import REPO_DIR, solutions_dir
    try:
        sol_root = solutions_dir()
    except WorkspaceError as exc:
        raise UsageProblem(str(exc)) from None
    ids = [_lecture(x).id for x in lectures] if lectures else sorted(p.name for p in sol_root.glob("lecture*"))
    stale_any = False
    for lec_id in ids:
        dest = REPO_DIR / "exercises" / lec_id
        if check_only:
            stale = stale_stubs(sol_root / lec_id, dest)
            stale_any |= bool(stale)
            click.echo(f"{lec_id}: {'stale: ' + ', '.join(stale) if stale else 'up to date'}")
        else:
            click.echo(f"{lec_id}: wrote {', '.join(write_stubs(sol_root / lec_id, dest))}")
    sys.exit(1 if stale_any else 0)


from .cli_instructor import register as _register_instructor_commands  # noqa: E402

_register_instructor_commands(main)  # release, grade, gradescope: see grader/cli_instructor.py
