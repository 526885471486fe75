"""The instructor's and CI's commands: release, grade (a class, in batch), gradescope, autograde.

Registered on the main group by ``grader.cli``; thin click layers over ``grader.release``,
``grader.batch`` and the renderers.  Also the CI outputs of ``grader check`` (``--junit``,
``--summary``), so that command stays a few lines longer, not a module longer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .course import CourseError, all_lectures
from .results import LectureResult, write_atomic


def _usage_problem():
    from .cli import UsageProblem
    return UsageProblem


def _lectures(texts) -> list:
    from .cli import _lecture
    lecs = [_lecture(t) for t in texts]
    seen, out = set(), []
    for lec in lecs:
        if lec.id not in seen:
            seen.add(lec.id)
            out.append(lec)
    return out


def _require_sandbox(allow_unsandboxed: bool) -> None:
    from .cli import GraderProblem
    from .sandbox import SandboxUnavailable, require_sandbox
    try:
        require_sandbox(allow_unsandboxed)
    except SandboxUnavailable as exc:
        raise GraderProblem(str(exc)) from None


def write_check_reports(results: list[LectureResult], *, every: bool, json_path: str | None, html_path: str | None,
                        junit: str | None, summary: str | None) -> None:
    """The files ``grader check`` writes.  One lecture: its LectureResult JSON and report; --all: a
    SubmissionResult of every lecture.  JUnit XML; Markdown *appended* to --summary, as GitHub's
    $GITHUB_STEP_SUMMARY expects from each step."""
    from .results import SubmissionResult
    whole = SubmissionResult(submission="all lectures", lectures=results,
                             duration_s=round(sum(r.duration_s for r in results), 3))
    if json_path:
        (whole if every else results[0]).write_json(Path(json_path))
    if html_path:
        from .render.classpage import render_submission
        from .render.html import render as render_html
        write_atomic(Path(html_path), render_submission(whole, back_link="") if every else render_html(results[0]))
    if junit:
        from .render import junit as junit_render
        write_atomic(Path(junit), junit_render.render(results))
    if summary:
        from .render import markdown
        path = Path(summary)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(markdown.render(results))


@click.command()
@click.argument("lectures", nargs=-1)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder to write the bundle to.")
@click.option("--force", is_flag=True, help="Write into --out even when it is not empty (it is emptied first).")
def release(lectures: tuple[str, ...], out: str, force: bool) -> None:
    """Write the student bundle: stubs, READMEs, metadata and the public checks only (never
    solutions, never checks marked `hidden = true`).  All lectures by default."""
    from .release import ReleaseError, build_release
    lecs = _lectures(lectures) if lectures else all_lectures()
    try:
        manifest = build_release(Path(out), lecs, force=force)
    except (ReleaseError, CourseError) as exc:
        raise _usage_problem()(str(exc)) from None
    click.echo(f"Released {len(manifest['lectures'])} lecture(s) to {out}: {', '.join(manifest['lectures'])}; "
               f"{manifest['public_checks']} public checks, {manifest['hidden_checks']} hidden check(s) left out")
    click.echo(f"Learners: cd {out} && python -m grader check {manifest['lectures'][0]}")


@click.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path())
@click.option("--lecture", "lecture_texts", multiple=True, required=True, help="Lecture to grade (repeatable).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for reports and exports.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Submissions graded at once.")
@click.option("--timeout", type=click.FloatRange(1, None), default=None,
              help="Seconds the learner's code may take per submission and lecture, worker start included "
                   "(default: the lecture's own limit); the grading process is stopped a minute after.")
@click.option("--force", is_flag=True, help="Grade again what --out already holds a result for.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--allow-unsandboxed", is_flag=True,
              help="Grade even where the bubblewrap sandbox cannot run (submissions can then read hidden checks "
                   "and interfere with each other).")
def grade(submissions: tuple[str, ...], lecture_texts: tuple[str, ...], out: str, jobs: int, timeout: float | None,
          force: bool, device: str, no_progress: bool, allow_unsandboxed: bool) -> None:
    """Grade a class: each SUBMISSION (a folder, a .zip or a .ipynb) in its own process.

    Writes OUT/submissions/<name>/{report.html,result.json,results.json} as each is graded,
    then OUT/index.html, OUT/grades.csv, OUT/junit.xml and OUT/class.json.  A rerun skips the
    submissions already graded (same files, same lectures) unless --force.
    """
    from .batch import run_batch
    from .cli import _device
    lecs = _lectures(lecture_texts)
    _require_sandbox(allow_unsandboxed)
    try:
        summary = run_batch([Path(s) for s in submissions], lecs, Path(out), jobs=jobs, timeout=timeout, force=force,
                            device=_device(device), progress=not no_progress)
    except KeyboardInterrupt:
        done = len(list((Path(out) / "submissions").glob("*/result.json")))
        click.echo(f"interrupted: {done} result(s) are kept in {out}; run the same command again to go on", err=True)
        sys.exit(130)
    k = summary.klass
    click.echo(f"{len(summary.graded)} graded, {len(summary.skipped)} already graded (skipped); "
               f"class report: {Path(out) / 'index.html'}")
    for s in k.submissions:
        click.echo(f"  {s.submission:<24} {s.score:g}/{s.max_score:g}" + (f"  ({s.problems[0]})" if s.problems else ""))


@click.command()
@click.argument("lecture")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The zip to write, e.g. autograder.zip.")
@click.option("--hidden-visibility", type=click.Choice(["hidden", "after_due_date", "after_published", "visible"]),
              default="after_due_date", show_default=True, help="When learners see the results of hidden checks.")
@click.option("--allow-unsandboxed", is_flag=True,
              help="Let the autograder grade where the bubblewrap sandbox cannot run (it refuses by default).")
def gradescope(lecture: str, out: str, hidden_visibility: str, allow_unsandboxed: bool) -> None:
    """Build a Gradescope autograder zip for LECTURE (setup.sh, run_autograder, the grader)."""
    from .release import ReleaseError, build_gradescope
    (lec,) = _lectures([lecture])
    try:
        names = build_gradescope(Path(out), lec, hidden_visibility=hidden_visibility,
                                 allow_unsandboxed=allow_unsandboxed)
    except ReleaseError as exc:
        raise _usage_problem()(str(exc)) from None
    click.echo(f"Wrote {out} ({len(names)} files): upload it as the autograder of {lec.id} on Gradescope")


@click.command(hidden=True)
@click.argument("lecture")
@click.option("--submission", required=True, type=click.Path(), help="Gradescope's /autograder/submission.")
@click.option("--results", required=True, type=click.Path(dir_okay=False), help="Where results.json goes.")
@click.option("--hidden-visibility", default="after_due_date", show_default=True)
@click.option("--allow-unsandboxed", is_flag=True, help="Grade even where the bubblewrap sandbox cannot run.")
def autograde(lecture: str, submission: str, results: str, hidden_visibility: str, allow_unsandboxed: bool) -> None:
    """Grade one submission and write Gradescope's results.json (what run_autograder calls)."""
    import json
    from .batch import closed_result, grade_submission
    from .render import gradescope as gs
    from .results import SubmissionResult
    from .sandbox import SandboxUnavailable, require_sandbox
    (lec,) = _lectures([lecture])
    code = 0
    try:
        require_sandbox(allow_unsandboxed)
        result = grade_submission(Path(submission), [lec], name="submission")
    except SandboxUnavailable as exc:  # refused: a zero and the reason, for the instructor to act on
        message = f"the autograder refused to grade: {exc}. This is not a verdict on your code"
        result = SubmissionResult("submission", [closed_result(lec, "error", message)], problems=[message])
        click.echo(message, err=True)
        code = 3
    except Exception as exc:  # fail closed: Gradescope must get a result, and a zero, not a crash
        message = f"the autograder failed ({type(exc).__name__}: {exc}); this is not a verdict on your code"
        result = SubmissionResult("submission", [closed_result(lec, "error", message)], problems=[message])
    write_atomic(Path(results), json.dumps(gs.render(result, hidden_visibility=hidden_visibility), indent=2,
                                           ensure_ascii=False))
    click.echo(f"{lec.id}: {result.score:g}/{result.max_score:g}")
    sys.exit(code)


def register(group: click.Group) -> None:
    for command in (release, grade, gradescope, autograde):
        group.add_command(command)
