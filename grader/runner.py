"""Running a lecture's checks: pytest, in the grader's process, against a worker.

Checks are ordinary pytest test functions in ``grader/checks/lectureNN.py``
(the docstring is the learner-facing description); their points and hints come
from the lecture's TOML.  ``grader.plugin`` supplies the ``learner`` fixture and
turns each test's outcome into exactly one status.  Anything unexpected (a check
that never reported, an error inside the grader) is an error, never a pass.

The worker is started before this module imports torch or pytest, so the two
processes' imports overlap: most of a small lecture's grading time is imports.
"""

from __future__ import annotations

import io
import os
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Callable

from . import data as datasets
from .course import Lecture
from .i18n import N_, _
from .sandbox.learner import Learner, WorkerStartFailed
from .results import CheckResult, Figure, LectureResult, summarize_exercise
from .sandbox import Limits, start_worker


def worker_data_files(lecture: Lecture) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for name in lecture.data:
        files.update(datasets.public_files(name))
    return files


def run_lecture(lecture: Lecture, lecture_dir: Path, *, device: str = "cpu", limits: Limits | None = None,
                select: list[str] | None = None,
                on_check: Callable[[CheckResult], None] | None = None, zygote=None) -> LectureResult:
    """Grade ``lecture_dir`` (a folder holding the lecture's files) and return the result model.

    ``zygote`` (``grader.sandbox.zygote``; verify only, never a learner's submission) starts the workers
    when it can serve this folder.  ``on_check`` is called with each check's ``CheckResult`` as soon as its verdict is final (from the
    pytest hook, while the other checks still run), once per check; a check that never reported (an
    interrupted run) is told at the end.  Its errors never change a verdict: the first one ends the
    calls and is noted in the result."""
    started = time.monotonic()
    lecture_dir = Path(lecture_dir).resolve()
    limits = limits or Limits(call_s=lecture.call_s, submission_s=lecture.submission_s)
    data_files = worker_data_files(lecture)
    describe = _describer(lecture)
    def fresh_worker():
        if zygote is not None and zygote.serves(lecture_dir, data_files, device):
            try:  # the course's own variants (grader verify): forked with torch already imported
                return zygote.worker(lecture_dir, lecture.modules, limits=limits, display=f"exercises/{lecture.id}",
                                     forkserver_preload=lecture.forkserver_preload)
            except Exception:
                pass  # a zygote that broke: the worker of its own sandbox, as for any submission
        return start_worker(lecture_dir, lecture.modules, limits=limits, device=device,
                            data_files=data_files, display=f"exercises/{lecture.id}",
                            warm_imports=lecture.warm_imports, forkserver_preload=lecture.forkserver_preload)

    learner = Learner(fresh_worker,
                      call_s=limits.call_s, submission_s=limits.submission_s, describe=describe,
                      module_of=_module_of(lecture))
    learner.start()  # the worker imports torch while we import pytest and the checks
    import pytest

    from .plugin import GraderPlugin  # imports torch (the checks' references)

    announced: set[str] = set()
    callback_failed: list[str] = []

    def tell(result: CheckResult) -> None:
        announced.add(result.name)
        if on_check is None or callback_failed:
            return
        try:
            on_check(result)
        except Exception as exc:  # a display that broke must not break the grading
            callback_failed.append(f"{type(exc).__name__}: {exc}")

    specs = {spec.name: spec for spec in lecture.checks if not select or spec.name in select}

    def verdict(name: str) -> None:
        if name in specs and name not in announced:
            tell(_check_result(lecture, specs[name], plugin, learner, False))

    plugin = GraderPlugin(lecture, learner, lecture_dir, device, on_verdict=verdict)
    # no:unraisableexception: its unconfigure runs gc.collect() twice over the torch-sized heap (0.28 s
    # measured per grading, for warnings that a grading never shows); no:logging: a log handler swapped in
    # and out around every phase of every check, for logs nobody reads
    args = [*(str(p) for p in lecture.check_modules), "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-p", "no:unraisableexception", "-p", "no:logging", "--noconftest",
            "--import-mode=importlib", "--rootdir", str(lecture.checks_path.parent), "-c", str(_EMPTY_INI),
            "-W", "ignore::DeprecationWarning", "-o", "python_files=lecture*.py"]
    if select:
        args += ["-k", " or ".join(f"test_{s}" for s in select)]
    sink = io.StringIO()
    try:
        with redirect_stdout(sink), redirect_stderr(sink), _no_plugin_autoload():
            exit_code = pytest.main(args, plugins=[plugin])
        if exit_code not in (0, 1, 5) and not plugin.outcomes:
            plugin.collect_errors.append(sink.getvalue()[-1500:])
    finally:
        learner.close()
    interrupted = exit_code == pytest.ExitCode.INTERRUPTED
    checks = [_check_result(lecture, spec, plugin, learner, interrupted) for spec in lecture.checks
              if not select or spec.name in select]
    for c in checks:  # a check with no verdict from its own call (interrupted, missing) is told last
        if c.name not in announced:
            tell(c)
    exercises = [summarize_exercise(e.name, _(e.title), e.file, checks) for e in lecture.exercises
                 if any(c.exercise == e.name for c in checks)]
    notes = [learner.sandbox_notice] if learner.sandbox_notice else []  # the fallback, said once
    if lecture.variant:
        notes.append(_("data: {variant} (--data), with accuracy thresholds measured on it").format(variant=lecture.variant))
    if learner.restarts:
        notes.append(_("the worker was restarted {n} time(s) after a crash or time-out").format(n=learner.restarts))
    if interrupted:
        notes.append(_("the grading was interrupted: checks that did not finish count as errors"))
    figures = _figures(lecture, learner, notes)
    if callback_failed:
        notes.append(_("the progress display failed ({error}); the results are complete").format(error=callback_failed[0]))
    return LectureResult(lecture=lecture.id, title=_(lecture.title), checks=checks, exercises=exercises, device=device,
                         duration_s=round(time.monotonic() - started, 3), notes=notes, figures=figures,
                         grader_error=str(WorkerStartFailed(learner.start_failure)) if learner.start_failure else "")


@contextmanager
def _no_plugin_autoload():
    """pytest without the plugins that packages of this environment register (a learner's conda env may
    hold pytest-randomly, -xdist, -timeout, anyio's...): none of them may change how checks run, and
    finding and importing them cost 0.3 to 1 s of every grading (measured on lecture 01's checks)."""
    key = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
    before = os.environ.get(key)
    os.environ[key] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def _figures(lecture: Lecture, learner: Learner, notes: list[str]) -> list[Figure]:
    """The figures the learner's code drew, for the report; what was left out is said in ``notes``."""
    from .sandbox.figures import MAX_BYTES, MAX_KEPT, as_base64
    hidden = {spec.name for spec in lecture.checks if spec.hidden}
    kept = [Figure(check, where, as_base64(png), times) for check, where, png, times in learner.figures if check not in hidden]
    if len(kept) < len(learner.figures):
        notes.append(_("figures drawn during hidden checks are not shown"))
    if learner.figures_left_out:
        notes.append(_("{n} figure(s) your code drew are not shown: a report keeps at most {kept}, each a PNG of at "
                       "most {kb} KB").format(n=learner.figures_left_out, kept=MAX_KEPT, kb=MAX_BYTES // 1000))
    if learner.figures_unsandboxed:
        notes.append(_("the figures your code drew are shown only when it runs in the sandbox (bubblewrap)"))
    return kept


def _check_result(lecture: Lecture, spec, plugin, learner: Learner, interrupted: bool) -> CheckResult:
    """One check's result from what the plugin recorded: its verdict final, or (no verdict) an error."""
    status, message, duration = plugin.outcomes.get(spec.name, ("error", "", 0.0))
    if spec.name not in plugin.outcomes:
        # no verdict from the check's own call is never a pass (fail closed)
        if interrupted:
            message = _("the grading was interrupted (SIGINT) before this check finished")
        else:
            detail = "; ".join(plugin.collect_errors)[-1500:] or _("the check is missing from the check module")
            message = _("internal error: the check did not run ({detail})").format(detail=detail)
    exercise = lecture.exercise(spec.exercise)
    if status == "not_attempted":
        message = _("not attempted: fill in {where} (exercise `{exercise}`)").format(
            where=_where_to_fill(lecture, exercise), exercise=exercise.name)
    details = plugin.details.get(spec.name, {})
    # The hint teaches, it does not give the answer: only a diagnosed cause (a failure's help, an
    # error's likely cause), never the check's own TOML hint (the lecture's hints are `grader hint`'s).
    hint = "" if status == "passed" else (details.get("help") or details.get("diagnosis") or "")
    if learner.start_failure and status == "error" and spec.name in plugin.start_failed:  # not the text: it is translated
        message, hint = _(NOT_GRADED), ""  # the whole reason is said once, as the grader's problem
    return CheckResult(
        name=spec.name, exercise=spec.exercise, status=status,
        points=spec.points if status == "passed" else 0.0, max_points=spec.points,
        message=message, hint=hint, duration_s=round(duration, 3),
        description=plugin.descriptions.get(spec.name, ""), hidden=spec.hidden,
        expected=details.get("expected", ""), actual=details.get("actual", ""), cause=details.get("cause", ""))


def _where_to_fill(lecture: Lecture, exercise) -> str:
    """`LinearModel` in exercises/lecture05/linear_model.py; an exercise that uses symbols of other
    exercises (a training run of the learner's Net) names each one's own file."""
    by_file: dict[str, list[str]] = {}
    for symbol in exercise.symbols:
        owner = lecture.exercise_of_symbol(symbol)
        by_file.setdefault(owner.file if owner else exercise.file, []).append(f"`{symbol}`")
    return "; ".join(_("{symbols} in exercises/{lecture}/{file}").format(symbols=', '.join(symbols), lecture=lecture.id, file=file) for file, symbols in by_file.items())


def _module_of(lecture: Lecture):
    def module_of(name: str) -> str | None:
        ex = lecture.exercise_of_symbol(name)
        return ex.module if ex else None
    return module_of


def _describer(lecture: Lecture):
    def describe(name: str) -> str:
        ex = lecture.exercise_of_symbol(name)
        return f"{name} ({ex.file})" if ex else name
    return describe


NOT_GRADED = N_("not graded: the grader could not start the process that runs your code (see the grader problem below)")

_EMPTY_INI = Path(__file__).with_name("checks") / "pytest.ini"
