"""The instructor's and CI's commands: verify, stubs, release, grade (a class, in batch), gradescope,
autograde.

Thin click layers over ``grader.verify``, ``grader.stubs``, ``grader.release``, ``grader.api.grade``
(batch grading) and, for Gradescope's ``results.json``, the one export path
(``grader.render.export.write``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import api
from ..course import CourseError, all_lectures
from ..workspace import WorkspaceError
from ._common import GRADER_PROBLEM, UsageProblem, _lecture, _lectures, exit_codes, command, option
from ..i18n import N_, _


@command()
@click.argument("lectures", nargs=-1)
@option("--jobs", "-j", type=click.IntRange(1, 16), default=2, show_default=True)
@option("--no-zygote", "no_zygote", is_flag=True,
        help=N_("Start every worker in a sandbox of its own, importing torch each time (slower; for comparison)."))
def verify(lectures: tuple[str, ...], jobs: int, no_zygote: bool) -> None:
    """The course proves itself: solutions pass, stubs are not attempted, mutants are caught."""
    from ..verify import verify as run_verify
    lecs = [_lecture(x) for x in lectures] if lectures else all_lectures()
    try:
        verdicts = run_verify(lecs, jobs=jobs, zygote=not no_zygote)
    except (WorkspaceError, CourseError) as exc:
        raise UsageProblem(str(exc)) from None
    for v in verdicts:
        graded = sum(f.seconds for f in v.findings)
        click.echo(click.style(f"{v.lecture}: {'ok' if v.ok else 'FAILED'}", bold=True, fg="green" if v.ok else "red")
                   + f"  ({graded:.0f} s of grading)")
        for f in v.findings:
            took = f"  ({f.seconds:.1f} s)" if f.seconds else ""
            click.echo(f"  {'✓' if f.ok else '✗'} {f.what}{took}" + (f"\n      {f.detail}" if f.detail and not f.ok else ""))
    sys.exit(0 if all(v.ok for v in verdicts) else 1)


@command()
@click.argument("lectures", nargs=-1)
@option("--check", "check_only", is_flag=True, help=N_("Only report stubs that differ; write nothing."))
@option("--force", is_flag=True, help=N_("Overwrite exercises that were edited (differ from what would be written)."))
def stubs(lectures: tuple[str, ...], check_only: bool, force: bool) -> None:
    """Regenerate exercises/ from solutions/ (instructors); edited exercises only with --force."""
    from ..stubs import stale_stubs, write_stubs
    from ..workspace import REPO_DIR, solutions_dir
    try:
        sol_root = solutions_dir()
    except WorkspaceError as exc:
        raise UsageProblem(str(exc)) from None
    ids = [_lecture(x).id for x in lectures] if lectures else sorted(p.name for p in sol_root.glob("lecture*"))
    stale_any = refused = False
    for lec_id in ids:
        dest = REPO_DIR / "exercises" / lec_id
        stale = stale_stubs(sol_root / lec_id, dest)
        if check_only:
            stale_any |= bool(stale)
            click.echo(f"{lec_id}: " + (_("stale: {files}").format(files=", ".join(stale)) if stale else _("up to date")))
            continue
        edited = [name for name in stale if _edited(dest / name)]
        if edited and not force:
            refused = True
            click.echo(_("{lec_id}: not written: {v1} differ from what `grader stubs` would write and from the "
                         "committed stubs (edited by hand, or a learner's work); --force overwrites them").format(lec_id=lec_id, v1=', '.join(edited)), err=True)
            continue
        click.echo(f"{lec_id}: wrote {', '.join(write_stubs(sol_root / lec_id, dest))}")
    sys.exit(1 if stale_any or refused else 0)


def _edited(path: Path) -> bool:
    """Whether a stub that differs from what the generator makes now was edited, rather than left as the
    generator made it before its solution changed: edited unless it is the committed version (the
    committed stubs are proven to be the generator's output).  A file that is missing was not edited."""
    if not path.is_file():
        return False
    import subprocess
    try:
        committed = subprocess.run(["git", "-C", str(path.parent), "show", f"HEAD:./{path.name}"],
                                   capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return True
    return committed.returncode != 0 or committed.stdout != path.read_bytes()


@command()
@click.argument("lectures", nargs=-1)
@option("--out", "out", required=True, type=click.Path(file_okay=False), help=N_("Folder to write the bundle to."))
@option("--force", is_flag=True, help=N_("Write into --out even when it is not empty (it is emptied first)."))
def release(lectures: tuple[str, ...], out: str, force: bool) -> None:
    """Write the student bundle: stubs, READMEs, metadata and the public checks only (never
    solutions, never checks marked `hidden = true`).  All lectures by default."""
    from ..release import ReleaseError, build_release
    lecs = _lectures(lectures) if lectures else all_lectures()
    try:
        manifest = build_release(Path(out), lecs, force=force)
    except (ReleaseError, CourseError) as exc:
        raise UsageProblem(str(exc)) from None
    click.echo(_("Released {v0} lecture(s) to {out}: {v2}; {public_checks} public checks, {hidden_checks} "
                 "hidden check(s) left out").format(v0=len(manifest['lectures']), out=out, v2=', '.join(manifest['lectures']), public_checks=manifest['public_checks'], hidden_checks=manifest['hidden_checks']))
    click.echo(_("Learners: cd {out} && python -m grader check {v1}").format(out=out, v1=manifest['lectures'][0]))


@command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path())
@option("--lecture", "lecture_texts", multiple=True, required=True, help=N_("Lecture to grade (repeatable)."))
@option("--out", required=True, type=click.Path(file_okay=False), help=N_("Folder for reports and exports."))
@option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help=N_("Submissions graded at once."))
@option("--timeout", type=click.FloatRange(1, None), default=None,
              help=N_("Seconds the learner's code may take per submission and lecture, worker start included "
                     "(default: the lecture's own limit); the grading process is stopped a minute after."))
@option("--force", is_flag=True, help=N_("Grade again what --out already holds a result for."))
@option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@option("--no-progress", is_flag=True, help=N_("No progress bar."))
@option("--allow-unsandboxed", is_flag=True,
              help=N_("Grade even where the bubblewrap sandbox cannot run (submissions can then read hidden "
                     "checks and interfere with each other)."))
@option("--cluster", metavar="ADDRESS",
              help=N_("Grade on a Dask cluster: its scheduler (tcp://host:8786) or scheduler file; needs the `dask` "
                     "extra. --jobs is then the workers' own; --device cuda asks for workers with the GPU resource."))
def grade(submissions: tuple[str, ...], lecture_texts: tuple[str, ...], out: str, jobs: int, timeout: float | None,
          force: bool, device: str, no_progress: bool, allow_unsandboxed: bool, cluster: str | None) -> None:
    """Grade a class: each SUBMISSION (a folder, a .zip or a .ipynb) in its own process.

    Writes OUT/submissions/<name>/{report.html,result.json,results.json} as each is graded,
    then OUT/index.html, OUT/grades.csv, OUT/junit.xml and OUT/class.json.  A rerun skips the
    submissions already graded (same files, same lectures) unless --force.  With --cluster, each
    submission is graded on a Dask worker (same sandbox and checks; a worker with another version
    of the course refuses) and the outputs are written here; exit 3 if some could not be graded.
    """
    try:
        with exit_codes():
            summary = api.grade(submissions, lecture_texts, out, jobs=jobs, timeout=timeout, force=force,
                                device=device, progress=not no_progress, allow_unsandboxed=allow_unsandboxed,
                                cluster=cluster)
    except KeyboardInterrupt:
        done = len(list((Path(out) / "submissions").glob("*/result.json")))
        click.echo(_("interrupted: {done} result(s) are kept in {out}; run the same command again to go on").format(done=done, out=out), err=True)
        sys.exit(130)
    k = summary.klass
    click.echo(_("{v0} graded, {v1} already graded (skipped); class report: {v2}").format(v0=len(summary.graded), v1=len(summary.skipped), v2=Path(out) / 'index.html'))
    for s in k.submissions:
        click.echo(f"  {s.submission:<24} {s.score:g}/{s.max_score:g}" + (f"  ({s.problems[0]})" if s.problems else ""))
    if cluster:
        ungraded = [s for s in k.submissions if any(r.grader_error for r in s.lectures)]
        if ungraded:
            first = ungraded[0]
            why = first.problems[0] if first.problems else _("see its report")
            click.echo(_("grader problem: {n} submission(s) could not be graded on the cluster ({submission}: {why}); "
                         "run the same command again to grade them").format(n=len(ungraded), submission=first.submission,
                                                                           why=why), err=True)
            sys.exit(GRADER_PROBLEM)


@command()
@click.argument("lecture")
@option("--out", required=True, type=click.Path(dir_okay=False), help=N_("The zip to write, e.g. autograder.zip."))
@option("--hidden-visibility", type=click.Choice(["hidden", "after_due_date", "after_published", "visible"]),
              default="after_due_date", show_default=True, help=N_("When learners see the results of hidden checks."))
@option("--allow-unsandboxed", is_flag=True,
              help=N_("Let the autograder grade where the bubblewrap sandbox cannot run (it refuses by "
                     "default)."))
def gradescope(lecture: str, out: str, hidden_visibility: str, allow_unsandboxed: bool) -> None:
    """Build a Gradescope autograder zip for LECTURE (setup.sh, run_autograder, the grader)."""
    from ..release import ReleaseError, build_gradescope
    (lec,) = _lectures([lecture])
    try:
        names = build_gradescope(Path(out), lec, hidden_visibility=hidden_visibility,
                                 allow_unsandboxed=allow_unsandboxed)
    except ReleaseError as exc:
        raise UsageProblem(str(exc)) from None
    click.echo(_("Wrote {out} ({n_names} files): upload it as the autograder of {id} on Gradescope").format(out=out, n_names=len(names), id=lec.id))


@command(hidden=True)
@click.argument("lecture")
@option("--submission", required=True, type=click.Path(), help=N_("Gradescope's /autograder/submission."))
@option("--results", required=True, type=click.Path(dir_okay=False), help=N_("Where results.json goes."))
@option("--hidden-visibility", default="after_due_date", show_default=True)
@option("--allow-unsandboxed", is_flag=True, help=N_("Grade even where the bubblewrap sandbox cannot run."))
def autograde(lecture: str, submission: str, results: str, hidden_visibility: str, allow_unsandboxed: bool) -> None:
    """Grade one submission and write Gradescope's results.json (what run_autograder calls)."""
    from ..batch import closed_result, grade_submission
    from ..render.export import write
    from ..results import SubmissionResult
    from ..sandbox import SandboxUnavailable, require_sandbox
    (lec,) = _lectures([lecture])
    code = 0
    try:
        require_sandbox(allow_unsandboxed)
        result = grade_submission(Path(submission), [lec], name="submission")
    except SandboxUnavailable as exc:  # refused: a zero and the reason, for the instructor to act on
        message = _("the autograder refused to grade: {error}. This is not a verdict on your code").format(error=exc)
        result = SubmissionResult("submission", [closed_result(lec, "error", message)], problems=[message])
        click.echo(message, err=True)
        code = GRADER_PROBLEM
    except Exception as exc:  # fail closed: Gradescope must get a result, and a zero, not a crash
        message = _("the autograder failed ({type}: {error}); this is not a verdict on your code").format(
            type=type(exc).__name__, error=exc)
        result = SubmissionResult("submission", [closed_result(lec, "error", message)], problems=[message])
    write(result, {"gradescope": results}, hidden_visibility=hidden_visibility)
    click.echo(f"{lec.id}: {result.score:g}/{result.max_score:g}")
    sys.exit(code)


COMMANDS = (verify, stubs, release, grade, gradescope, autograde)
