"""The learner's commands: list, check, hint, init.

Thin click layers over ``grader.api`` (check, hint) and the renderers: the terminal view of each
lecture as it is graded, and the report files ``grader check`` writes through the one export path
(``grader.render.export.write``).  Heavy imports (torch, pytest, rich, jinja2) happen inside the
commands, so ``grader list`` and ``--help`` stay fast and ``grader check`` can start its worker first.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from .. import api
from ..course import all_lectures
from ..results import SubmissionResult
from ..workspace import State, resource_dir
from ._common import GRADER_PROBLEM, UsageProblem, _workdir, exit_codes


@click.command("list")
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


@click.command()
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

    def show(result) -> None:
        from ..render import terminal
        terminal.render(result, verbose=not quiet)

    with exit_codes():
        if every:  # one submission of every lecture: its JSON, and its page as a report
            whole = api.check_all(workdir, device, each=show)
            json_format, html_format = "json", "submission-html"
        else:  # one lecture: its LectureResult JSON and its report
            result = api.check(lecture, workdir, device, data)
            show(result)
            whole = SubmissionResult.of(result)
            json_format, html_format = "lecture-json", "html"
    from ..render.export import write
    targets = {json_format: json_path, html_format: html_path, "junit": junit_path, "markdown": summary_path}
    write(whole, {fmt: path for fmt, path in targets.items() if path}, back_link="")
    if any(r.grader_error for r in whole.lectures):
        sys.exit(GRADER_PROBLEM)
    sys.exit(0 if all(r.all_passed for r in whole.lectures) else 1)


@click.command()
@click.argument("lecture")
@click.argument("exercise", required=False)
@click.option("--workdir", type=click.Path(file_okay=False))
def hint(lecture: str, exercise: str | None, workdir: str | None) -> None:
    """Reveal the next hint for an exercise (the first unfinished one by default)."""
    with exit_codes():
        click.echo(api.hint(lecture, exercise, workdir))


@click.command()
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


COMMANDS = (list_cmd, check, hint, init)
