"""Grading a class: many submissions, several at once, each in its own grading process.

``grade_submission`` grades one submission (staging, then the runner per lecture) and always
returns a result: a submission that cannot be read, a lecture whose files are missing, a
grading process that dies or hangs, all become failed checks with a message, never a gap.

``run_batch`` grades each submission in its own forked grading process (``grader.pool``, the
pool ``grader verify`` uses too), at most ``jobs`` at once.  Each result is written as soon as
it arrives (``grader.render.export.write``, ``result.json`` last, so its presence means the rest is there);
a rerun skips a submission whose ``result.json`` has the same fingerprint and lectures.  A
grading process past ``--timeout`` is stopped and its submission's checks are ``timed_out``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .course import Lecture
from .pool import Job, Pool
from .results import CheckResult, ClassResult, LectureResult, SubmissionResult, summarize_exercise
from .submissions import SubmissionError, fingerprint, stage, submission_id

STARTUP_GRACE_S = 60.0   # a grading process's own start (the worker importing torch) on a loaded machine


def closed_result(lecture: Lecture, status: str, message: str) -> LectureResult:
    """Every check of ``lecture`` with ``status`` and ``message``: a lecture that could not be graded."""
    checks = [CheckResult(name=c.name, exercise=c.exercise, status=status, points=0.0, max_points=c.points,
                          message=message, hint="", hidden=c.hidden) for c in lecture.checks]
    exercises = [summarize_exercise(e.name, e.title, e.file, checks) for e in lecture.exercises]
    return LectureResult(lecture=lecture.id, title=lecture.title, checks=checks, exercises=exercises)


def lecture_limits(lecture: Lecture, timeout: float | None):
    from .sandbox import Limits
    if not timeout:
        return None
    return Limits(call_s=min(lecture.call_s, timeout), submission_s=min(lecture.submission_s, timeout))


def grade_submission(path: Path, lectures: list[Lecture], *, device: str = "cpu", timeout: float | None = None,
                     name: str | None = None) -> SubmissionResult:
    """Grade one submission on ``lectures``; never raises for anything the submission holds."""
    from .runner import run_lecture
    started = time.monotonic()
    path = Path(path)
    result = SubmissionResult(submission=name or submission_id(path), lectures=[], source=str(path),
                              fingerprint=fingerprint(path))
    with tempfile.TemporaryDirectory(prefix="grader-submission-") as tmp:
        try:
            staged = stage(path, lectures, Path(tmp))
        except SubmissionError as exc:
            result.problems.append(str(exc))
            result.lectures = [closed_result(lec, "error", str(exc)) for lec in lectures]
            result.duration_s = round(time.monotonic() - started, 3)
            return result
        result.problems += staged.notes
        for lec in lectures:
            if lec.id in staged.problems:
                result.problems.append(staged.problems[lec.id])
                result.lectures.append(closed_result(lec, "error", staged.problems[lec.id]))
                continue
            result.lectures.append(run_lecture(lec, staged.lecture_dirs[lec.id], device=device,
                                               limits=lecture_limits(lec, timeout)))
    result.duration_s = round(time.monotonic() - started, 3)
    return result


# ---------------------------------------------------------------- outputs of one submission

def submission_dir(out: Path, sub_id: str) -> Path:
    return Path(out) / "submissions" / sub_id


def write_submission(out: Path, result: SubmissionResult) -> Path:
    """report.html, Gradescope results.json, then result.json (last: it marks the submission done)."""
    from .render.export import write
    folder = submission_dir(out, result.submission)
    write(result, {"submission-html": folder / "report.html", "gradescope": folder / "results.json",
                   "json": folder / "result.json"})
    return folder


def load_done(out: Path, sub_id: str, fp: str, lecture_ids: list[str]) -> SubmissionResult | None:
    """The saved result when it is for the same files and the same lectures, else None."""
    try:
        data = json.loads((submission_dir(out, sub_id) / "result.json").read_text(encoding="utf-8"))
        saved = SubmissionResult.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if any(r.grader_error for r in saved.lectures):
        return None  # not graded (the grader's worker could not start): grade it again
    if fp and saved.fingerprint == fp and [r.lecture for r in saved.lectures] == lecture_ids:
        return saved
    return None


def write_class(out: Path, klass: ClassResult) -> None:
    from .render.export import write
    out = Path(out)
    write(klass, {"class-html": out / "index.html", "csv": out / "grades.csv", "junit": out / "junit.xml",
                  "json": out / "class.json"})


# ---------------------------------------------------------------- one grading process per submission

# ---------------------------------------------------------------- the batch

@dataclass
class BatchSummary:
    klass: ClassResult
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def unique_ids(paths: list[Path]) -> list[str]:
    ids, seen = [], set()
    for p in paths:
        base = submission_id(p)
        sid, n = base, 2
        while sid in seen:
            sid, n = f"{base}-{n}", n + 1
        seen.add(sid)
        ids.append(sid)
    return ids


def default_timeout(lectures: list[Lecture]) -> float:
    return sum(lec.submission_s for lec in lectures) + STARTUP_GRACE_S


def _threads_per_job(jobs: int) -> None:
    """With several jobs, each worker's torch gets its share of the cores, not all of them each."""
    if jobs > 1 and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // jobs))


def batch_limits(lectures: list[Lecture], timeout: float | None) -> tuple[float, float]:
    """(seconds a submission's learner code may take, seconds its grading process may take)."""
    limit = float(timeout) if timeout else default_timeout(lectures)
    return limit, (limit * len(lectures) + STARTUP_GRACE_S if timeout else limit)


def submission_job(path: Path, sid: str, fp: str, lectures: list[Lecture], *, device: str, timeout: float | None,
                   grade: Callable[..., SubmissionResult] = grade_submission) -> Job:
    """The pool's job that grades one submission (here, and on a Dask worker: ``grader.cluster``)."""
    limit, _ = batch_limits(lectures, timeout)

    def task():
        return grade(path, lectures, device=device, timeout=limit if timeout else None, name=sid)

    def on_fail(status, message):
        return SubmissionResult(submission=sid, source=str(path), fingerprint=fp, problems=[message],
                                lectures=[closed_result(lec, status, message) for lec in lectures])
    return Job(sid, task, on_fail)


def split_done(paths: list[Path], out: Path, lecture_ids: list[str], force: bool
               ) -> tuple[BatchSummary, dict[str, SubmissionResult], list[tuple[Path, str, str]]]:
    """A class's submissions split into those already graded in ``out`` (unchanged since: skipped,
    their saved results kept) and those to grade, as (path, id, fingerprint); for the local pool
    and the cluster alike."""
    results: dict[str, SubmissionResult] = {}
    summary = BatchSummary(klass=ClassResult(submissions=[], lectures=lecture_ids))
    pending: list[tuple[Path, str, str]] = []
    for path, sid in zip(paths, unique_ids(paths)):
        fp = fingerprint(path)
        done = None if force else load_done(out, sid, fp, lecture_ids)
        if done is not None:
            results[sid] = done
            summary.skipped.append(sid)
        else:
            pending.append((Path(path), sid, fp))
    return summary, results, pending


def run_batch(paths: list[Path], lectures: list[Lecture], out: Path, *, jobs: int = 2, timeout: float | None = None,
              force: bool = False, device: str = "cpu", progress: bool = True,
              grade: Callable[..., SubmissionResult] = grade_submission) -> BatchSummary:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lecture_ids = [lec.id for lec in lectures]
    _, outer = batch_limits(lectures, timeout)
    summary, results, pending = split_done(paths, out, lecture_ids, force)
    todo: list[Job] = [submission_job(path, sid, fp, lectures, device=device, timeout=timeout, grade=grade)
                       for path, sid, fp in pending]

    if todo:
        _threads_per_job(jobs)  # before torch is imported: it reads the variable once
        from . import plugin  # noqa: F401  (torch, pytest and the grader, imported once before forking)
        bar = _progress(progress, len(paths), len(summary.skipped))

        def on_result(result: SubmissionResult, job: Job) -> None:
            write_submission(out, result)
            results[job.id] = result
            summary.graded.append(job.id)
            bar.advance(f"{job.id}: {result.score:g}/{result.max_score:g}")

        with tempfile.TemporaryDirectory(prefix=".grader-batch-", dir=out) as scratch, bar:
            Pool(jobs=max(1, jobs), timeout=outer, scratch=Path(scratch), result_type=SubmissionResult).run(
                todo, on_result)
    summary.klass.submissions = class_results(out, lecture_ids, results)
    write_class(out, summary.klass)
    return summary


def class_results(out: Path, lecture_ids: list[str], fresh: dict[str, SubmissionResult]) -> list[SubmissionResult]:
    """The class is OUT: every submission graded into it on the same lectures (earlier runs too), by name."""
    found = dict(fresh)
    for path in sorted((Path(out) / "submissions").glob("*/result.json")):
        if path.parent.name in found:
            continue
        try:
            saved = SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            continue
        if [r.lecture for r in saved.lectures] == lecture_ids:
            found[path.parent.name] = saved
    return [found[k] for k in sorted(found)]


class _progress:
    """A rich progress bar on stderr (plain lines when it is not a terminal); a no-op when off."""

    def __init__(self, enabled: bool, total: int, done: int):
        self.enabled, self.total, self.done = enabled, total, done
        self._bar = self._task = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            self._bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.description}"), console=Console(stderr=True))
            self._bar.__enter__()
            self._task = self._bar.add_task("", total=self.total, completed=self.done)
        return self

    def advance(self, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=text)
            if not self._bar.console.is_terminal:
                self._bar.console.print(f"graded {text}", highlight=False)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
