"""The plain-Python entry points: what ``grader check``, ``grader hint`` and ``grader grade`` do, as
functions for scripts and notebooks; the click commands (``grader.cli``) are thin layers over them.

    from grader import api
    result = api.check("lecture05")          # a LectureResult, also saved in the learner's .grader/
    print(api.hint("lecture05"))             # the next hint of the first unfinished exercise
    summary = api.grade(["alice.zip", "bob/"], ["lecture05"], "out/")   # a class, in batch

A request that cannot be done as asked (an unknown lecture, a missing folder, no CUDA) raises
``UsageError`` (exit 2 on the command line); a grader that cannot grade on this machine as it is
set up (no sandbox where one is required) raises ``CannotGrade`` (exit 3).  A verdict on the
learner's code is never an exception: it is in the result.  Heavy imports (torch, pytest, the
runner) happen inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from .course import CourseError, Lecture, all_lectures, load_lecture
from .results import LectureResult, SubmissionResult
from .workspace import State, WorkspaceError, find_workdir


class UsageError(ValueError):
    """What was asked cannot be done as asked (exit 2 on the command line)."""


class CannotGrade(RuntimeError):
    """The grader cannot grade on this machine as it is set up: not the learner's doing (exit 3)."""


# ---------------------------------------------------------------- what a request names

def resolve_lecture(lecture: str | Lecture) -> Lecture:
    """A lecture by its id or number (``lecture05``, ``05``, ``5``)."""
    if isinstance(lecture, Lecture):
        return lecture
    try:
        return load_lecture(lecture)
    except CourseError as exc:
        raise UsageError(str(exc)) from None


def resolve_lectures(lectures: Iterable[str | Lecture]) -> list[Lecture]:
    """Each lecture once, in the order first named."""
    out: dict[str, Lecture] = {}
    for text in lectures:
        lec = resolve_lecture(text)
        out.setdefault(lec.id, lec)
    return list(out.values())


def resolve_workdir(path: str | os.PathLike | None = None) -> Path:
    """The given working directory, or the nearest one (this directory or a parent) holding exercises/."""
    try:
        if path:
            p = Path(path).resolve()
            if not p.is_dir():
                raise UsageError(f"--workdir {path}: no such directory ({p})")
            return p
        return find_workdir()
    except WorkspaceError as exc:
        raise UsageError(str(exc)) from None


def resolve_device(choice: str = "auto") -> str:
    """``cpu`` or ``cuda`` for ``auto|cpu|cuda``; asking for CUDA where there is none is a usage error."""
    if choice not in ("auto", "cpu", "cuda"):
        raise UsageError(f"device {choice!r}: choose auto, cpu or cuda")
    if choice == "cpu":
        return "cpu"
    if choice == "auto" and not (Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()):
        return "cpu"  # no NVIDIA driver: skip importing torch just to ask (it would delay the worker's start)
    import torch
    if torch.cuda.is_available():
        return "cuda"
    if choice == "cuda":
        raise UsageError("--device cuda: CUDA is not available on this machine (torch.cuda.is_available() is False)")
    return "cpu"


def with_data(lecture: Lecture, name: str) -> Lecture:
    """The lecture on a full-size data set, its files prepared now: a usage error when they are missing."""
    from .data import DataUnavailable, public_files
    try:
        lec = lecture.with_data(name)
        for data_name in lec.data:
            public_files(data_name)
    except (CourseError, DataUnavailable) as exc:
        raise UsageError(str(exc)) from None
    return lec


# ---------------------------------------------------------------- a learner's own work

def _run(lecture: Lecture, workdir: Path, device: str) -> LectureResult:
    from .runner import run_lecture
    result = run_lecture(lecture, workdir / "exercises" / lecture.id, device=device)
    try:
        State(workdir).save_result(result)
    except OSError:
        pass  # a read-only working directory still gets its result
    return result


def check(lecture: str | Lecture, workdir: str | os.PathLike | None = None, device: str = "auto",
          data: str | None = None) -> LectureResult:
    """Grade ``WORKDIR/exercises/LECTURE/`` (the nearest working directory by default), on ``data``
    (a full-size data set, e.g. ``fashion-mnist``) when given; save the result as the learner's last."""
    wd = resolve_workdir(workdir)
    lec = resolve_lecture(lecture)
    folder = wd / "exercises" / lec.id
    if not folder.is_dir():
        raise UsageError(f"no folder for {lec.id}: looked for {folder}")
    if data:
        lec = with_data(lec, data)
    return _run(lec, wd, resolve_device(device))


def check_all(workdir: str | os.PathLike | None = None, device: str = "auto", *,
              each: Callable[[LectureResult], None] | None = None) -> SubmissionResult:
    """Grade every lecture that has a folder in ``WORKDIR/exercises/``, one after the other (``each`` is
    called with each result as it is done); the lot as one submission named "all lectures"."""
    wd = resolve_workdir(workdir)
    lecs = [x for x in all_lectures() if (wd / "exercises" / x.id).is_dir()]
    if not lecs:
        raise UsageError(f"--all: no lecture folders in {wd / 'exercises'}")
    dev = resolve_device(device)
    results = []
    for lec in lecs:
        results.append(_run(lec, wd, dev))
        if each:
            each(results[-1])
    return SubmissionResult.of(results, name="all lectures")


def hint(lecture: str | Lecture, exercise: str | None = None, workdir: str | os.PathLike | None = None) -> str:
    """Reveal the next hint of ``exercise`` (by default the first one not passed at the last check) and
    return what to show; once every hint is revealed, all of them."""
    lec = resolve_lecture(lecture)
    state = State(resolve_workdir(workdir))
    if exercise is None:
        last = state.last_result(lec.id)
        done = {e.name for e in last.exercises if e.status == "passed"} if last else set()
        pending = [e for e in lec.exercises if e.name not in done]
        ex = (pending or list(lec.exercises))[0]
    else:
        names = [e.name for e in lec.exercises]
        if exercise not in names:
            raise UsageError(f"{lec.id} has no exercise `{exercise}`; its exercises: {', '.join(names)}")
        ex = lec.exercise(exercise)
    shown = state.hints_revealed(lec.id, ex.name)
    if shown >= len(ex.hints):
        return "\n".join([f"{lec.id}/{ex.name}: all {len(ex.hints)} hints are shown:",
                          *(f"  {i}. {h}" for i, h in enumerate(ex.hints, 1))])
    n = state.reveal_hint(lec.id, ex.name)
    return (f"{lec.id}/{ex.name} ({ex.title} · {ex.title_zh}), hint {n} of {len(ex.hints)}:\n"
            f"  {ex.hints[n - 1]}")


# ---------------------------------------------------------------- a class

def grade(submissions: Iterable[str | os.PathLike] | str | os.PathLike, lectures: Iterable[str | Lecture] | str | Lecture,
          out: str | os.PathLike, *, jobs: int = 2, timeout: float | None = None, force: bool = False,
          device: str = "cpu", progress: bool = True, allow_unsandboxed: bool = False):
    """Grade a class: each submission (a folder, a .zip or a .ipynb) in its own process, ``jobs`` at once,
    the reports written into ``out`` as they come (see ``grader.batch``).  Returns the batch's summary
    (``.klass``: the ClassResult; ``.graded``, ``.skipped``: submission names).  Refuses to grade
    without the bubblewrap sandbox (``CannotGrade``) unless ``allow_unsandboxed``."""
    if isinstance(submissions, (str, os.PathLike)):
        submissions = [submissions]
    if isinstance(lectures, (str, Lecture)):
        lectures = [lectures]
    lecs = resolve_lectures(lectures)
    if not lecs:
        raise UsageError("no lecture to grade")
    if jobs < 1:
        raise UsageError(f"jobs must be at least 1, not {jobs}")
    from .sandbox import SandboxUnavailable, require_sandbox
    try:
        require_sandbox(allow_unsandboxed)
    except SandboxUnavailable as exc:
        raise CannotGrade(str(exc)) from None
    from .batch import run_batch
    return run_batch([Path(s) for s in submissions], lecs, Path(out), jobs=jobs, timeout=timeout, force=force,
                     device=resolve_device(device), progress=progress)
