"""The pytest plugin that runs one lecture's checks inside the grader's process.

It supplies the fixtures checks ask for (``learner``, ``device``, ``thresholds``,
``eval_set``) and turns each test's outcome into exactly one status.  Only the
first verdict of a check counts; a teardown can never turn a failure into a pass.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Callable

import pytest

from . import data as datasets
from .checks.api import CheckFailed
from .course import Lecture
from .diagnose import diagnose
from .i18n import N_, _
from .sandbox.learner import (Learner, LearnerError, LearnerProblem, LimitExceeded, NotAttempted, ProtocolError, TimedOut,
                      WorkerDied, WorkerStartFailed, shown)


# An error raised by a file's top-level code while it was being imported: usually a demo or a
# training run outside `if __name__ == "__main__":`, which runs at every import.
TOP_LEVEL_HINT = N_("the top level of your file ran code when it was imported, and that code failed; code outside "
                  "functions runs at every import (the grader's, and each DataLoader worker's under spawn): keep "
                  "demos and training under `if __name__ == \"__main__\":`")


class MissingFile(LearnerProblem):
    pass


DIAGNOSIS = N_("\nlikely cause: ")  # how classify ends an error's text with the mistake it diagnosed


def _diagnosis(text: str, exc: BaseException) -> str:
    """The mistake ``classify`` diagnosed behind a learner's error (the ``likely cause:`` it appends), for
    the check's hint; never a line the learner's own message or traceback wrote."""
    marker = _(DIAGNOSIS)
    if not isinstance(exc, LearnerError) or marker not in text:
        return ""
    cause = text.rsplit(marker, 1)[1].strip()
    return "" if marker.strip() + " " + cause in f"{exc.message}\n{exc.traceback}" else cause


def _first_paragraph(doc: str | None) -> str:
    return _(inspect.cleandoc(doc or "").split("\n\n")[0].replace("\n", " "))


class GraderPlugin:
    """Collects one outcome per check; fixtures are methods so they exist only in this run."""

    def __init__(self, lecture: Lecture, learner: Learner, lecture_dir: Path, device: str,
                 on_verdict: Callable[[str], None] | None = None):
        # underscored: a plain attribute named like a fixture method would shadow it
        self._lecture, self._learner, self._dir, self._device = lecture, learner, lecture_dir, device
        self._on_verdict = on_verdict  # called with a check's name once its verdict is final
        self.outcomes: dict[str, tuple[str, str, float]] = {}
        self.descriptions: dict[str, str] = {}
        self.collect_errors: list[str] = []
        self.start_failed: set[str] = set()  # checks whose worker could not start (WorkerStartFailed)
        self.setup_s: dict[str, float] = {}
        self.details: dict[str, dict] = {}   # a failed check's expected / actual / cause / help; an error's diagnosis

    # -- fixtures ------------------------------------------------------------
    @pytest.fixture
    def learner(self, request):
        name = request.node.name.removeprefix("test_")
        spec = self._lecture.check(name)
        exercise = self._lecture.exercise(spec.exercise)
        if not (self._dir / exercise.file).is_file():
            raise MissingFile(_("file not found: {path} (expected it to define {symbols})").format(
                path=self._dir / exercise.file, symbols=', '.join(exercise.symbols)))
        self._learner.check = name  # a figure drawn now is this check's (left out of reports if it is hidden)
        yield self._learner
        self._learner.check = ""
        try:
            self._learner.release()
        except LearnerProblem:
            pass  # the check already has its verdict; a dead worker is restarted by the next check

    @pytest.fixture
    def device(self) -> str:
        return self._device

    @pytest.fixture
    def lecture(self) -> Lecture:
        return self._lecture

    @pytest.fixture
    def thresholds(self) -> dict:
        return self._lecture.thresholds

    @pytest.fixture
    def image_data(self) -> datasets.ImageSet:
        """The image data set the lecture is graded on (the shipped digits, or ``--data``'s)."""
        return datasets.image_set(self._lecture.data)

    @pytest.fixture
    def eval_set(self):
        """Evaluation images and labels: loaded here, in the grader's process, only."""
        return datasets.load_eval

    # -- hooks ---------------------------------------------------------------
    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(str(report.longrepr))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        name = item.name.removeprefix("test_")
        self.descriptions.setdefault(name, _first_paragraph(getattr(item.function, "__doc__", "")))
        prev = self.outcomes.get(name)
        duration = (prev[2] if prev else 0.0) + report.duration
        if call.when == "teardown":
            if prev:
                self.outcomes[name] = (prev[0], prev[1], duration)
            return
        if prev and prev[0] != "passed":
            return  # the first verdict stands
        if call.when == "setup" and report.passed:
            # only the call phase can pass a check: one whose call never reported (the run was
            # interrupted) has no outcome, and the runner makes that an error
            self.outcomes.pop(name, None)
            self.setup_s[name] = duration
            return
        duration += self.setup_s.pop(name, 0.0)
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.outcomes[name] = ("skipped", reason.removeprefix("Skipped: "), duration)
        elif call.excinfo is not None:
            exc = call.excinfo.value
            status, text = self.classify(exc, getattr(item.module, "MISTAKES", ()))
            if isinstance(exc, WorkerStartFailed):
                self.start_failed.add(name)  # the runner's NOT_GRADED, compared in no language
            self.outcomes[name] = (status, text, duration)
            if isinstance(exc, CheckFailed):
                self.details[name] = exc.details()
            elif status in ("error", "failed") and (cause := _diagnosis(text, exc)):
                self.details[name] = {"diagnosis": cause}
        else:
            self.outcomes[name] = ("passed", "", duration)
        if self._on_verdict is not None:
            self._on_verdict(name)  # setup failed, skipped, or the call reported: nothing later changes it

    def classify(self, exc: BaseException, mistakes=()) -> tuple[str, str]:
        """(status, message) of a check that raised ``exc``; ``mistakes`` is the check module's own table
        of its lecture's typical errors (``MISTAKES``): an error it recognises is a failure that names
        the mistake, any other error gets the shared table's hint."""
        if isinstance(exc, WorkerStartFailed):
            return "error", str(exc)  # the check is in start_failed too (the text is in the learner's language)
        if isinstance(exc, NotAttempted):
            return "not_attempted", shown(exc.where)
        if isinstance(exc, CheckFailed):
            return "failed", exc.message
        if isinstance(exc, LimitExceeded):
            return "error", str(exc)
        if isinstance(exc, TimedOut):
            return "timed_out", str(exc)
        if isinstance(exc, LearnerError):
            raised = f"{exc.where} raised {exc.exc_type}: {exc.message}"  # English `where`: the same diagnosis in any language
            if exc.exited:
                text = _("your code stopped the run with {type} in {where}; graded code must return, not exit").format(
                    type=exc.exc_type, where=shown(exc.where))
            else:
                text = _("{where} raised {type}: {message}").format(where=shown(exc.where), type=exc.exc_type, message=exc.message)
            if exc.traceback:
                text += "\n" + exc.traceback
            hint, known = diagnose(raised, mistakes)
            if not hint and exc.where.startswith("importing ") and "in <module>" in exc.traceback:
                hint = _(TOP_LEVEL_HINT)
            return "failed" if known and not exc.exited else "error", text + (_(DIAGNOSIS) + hint if hint else "")
        if isinstance(exc, WorkerDied):
            text = str(exc) + _("; it may have run out of memory, crashed, or exited")
            return "error", text + (_("\nlast output:\n{output}").format(output=exc.output[-800:]) if exc.output.strip() else "")
        if isinstance(exc, (MissingFile, ProtocolError)):
            return "error", str(exc)
        if isinstance(exc, AssertionError):
            return "failed", str(exc)
        return "error", _("internal error in the grader's check ({type}: {error}); this is not your fault, please report it").format(
            type=type(exc).__name__, error=exc)
