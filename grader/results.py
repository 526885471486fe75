"""The one result model (check -> exercise -> lecture -> submission -> class), serialisable to JSON.

JSON is the canonical form.  Every file renderer (``grader.render``) takes a ``SubmissionResult``
or a ``ClassResult``: one lecture is a one-lecture submission (``SubmissionResult.of``), one
submission a one-row class (``ClassResult.of``).  The terminal view takes one ``LectureResult``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATUSES = ("passed", "failed", "not_attempted", "error", "timed_out", "skipped")
SCHEMA_VERSION = 1


@dataclass
class CheckResult:
    name: str
    exercise: str
    status: str
    points: float
    max_points: float
    message: str = ""
    hint: str = ""
    duration_s: float = 0.0
    description: str = ""
    hidden: bool = False
    expected: str = ""   # a failure's parts, where the check names them (see grader.checks.api.CheckFailed)
    actual: str = ""
    cause: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class ExerciseSummary:
    name: str
    title: str
    file: str
    points: float
    max_points: float
    status: str  # passed when all its checks pass, not_attempted when all are, else failed


class _Scored:
    """Score, maximum, pass and status counts, over ``all_checks()``: one lecture's or a submission's."""

    def all_checks(self) -> list[CheckResult]:
        raise NotImplementedError

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.all_checks()), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.all_checks()), 6)

    @property
    def all_passed(self) -> bool:
        checks = self.all_checks()
        return bool(checks) and all(c.passed for c in checks)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for c in self.all_checks():
            out[c.status] += 1
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def write_json(self, path: Path) -> None:
        write_atomic(Path(path), self.to_json())


def _without_scores(d: dict) -> dict:
    """A result's dict without the totals to_dict adds (they are derived, never stored)."""
    return {k: v for k, v in d.items() if k not in ("score", "max_score")}


@dataclass
class Figure:
    """A figure the learner's code drew, kept for the HTML report (grader.sandbox.figures checked it)."""
    check: str    # the check that was running ("" while importing the files)
    where: str    # the learner's function that drew it, as the learner knows it: "train (training.py)"
    png: str      # the PNG, base64
    times: int = 1  # how often that place drew (each check that calls it draws again): the first is kept


@dataclass
class LectureResult(_Scored):
    lecture: str
    title: str
    checks: list[CheckResult]
    exercises: list[ExerciseSummary] = field(default_factory=list)
    device: str = "cpu"
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    # set when the grader itself could not grade (its worker would not start): not a verdict on the code
    grader_error: str = ""
    figures: list[Figure] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def all_checks(self) -> list[CheckResult]:
        return self.checks

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"], d["max_score"] = self.score, self.max_score
        if not self.grader_error:
            del d["grader_error"]  # present only when set: the canonical form of a graded lecture is unchanged
        if not self.figures:
            del d["figures"]  # likewise: most lectures draw nothing
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LectureResult":
        d = _without_scores(d)
        d["checks"] = [CheckResult(**c) for c in d.get("checks", [])]
        d["exercises"] = [ExerciseSummary(**e) for e in d.get("exercises", [])]
        d["figures"] = [Figure(**f) for f in d.get("figures", [])]
        return cls(**d)



@dataclass
class SubmissionResult(_Scored):
    """One learner's submission graded on one or more lectures (batch grading, Gradescope, ``check --all``).

    ``problems`` are submission-level messages (a malformed notebook, missing files, an empty
    submission); the lectures they stop from being graded still list every check, failed closed.
    ``fingerprint`` is a digest of the submission's files: a rerun skips what is already graded.
    """
    submission: str
    lectures: list[LectureResult]
    source: str = ""
    problems: list[str] = field(default_factory=list)
    fingerprint: str = ""
    duration_s: float = 0.0
    schema_version: int = SCHEMA_VERSION

    def all_checks(self) -> list[CheckResult]:
        return [c for r in self.lectures for c in r.checks]

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if k != "lectures"}
        d["lectures"] = [r.to_dict() for r in self.lectures]
        d["score"], d["max_score"] = self.score, self.max_score
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SubmissionResult":
        d = _without_scores(d)
        d["lectures"] = [LectureResult.from_dict(r) for r in d.get("lectures", [])]
        return cls(**d)


    @classmethod
    def of(cls, result: "SubmissionResult | LectureResult | list[LectureResult]",
           name: str | None = None) -> "SubmissionResult":
        """``result`` as a submission: itself; one lecture as a one-lecture submission named after it; a list
        of lectures (``grader check --all``) as one submission, its time their sum."""
        if isinstance(result, SubmissionResult):
            return result
        if isinstance(result, LectureResult):
            return cls(submission=name or result.lecture, lectures=[result], duration_s=result.duration_s)
        lectures = list(result)
        if not all(isinstance(r, LectureResult) for r in lectures):
            raise TypeError(f"not a result: {type(result).__name__}")
        return cls(submission=name or ", ".join(r.lecture for r in lectures), lectures=lectures,
                   duration_s=round(sum(r.duration_s for r in lectures), 3))

    def only_lecture(self) -> LectureResult:
        """The lecture of a one-lecture submission (the learner's view of ``grader check LECTURE``)."""
        if len(self.lectures) != 1:
            raise ValueError(f"{self.submission}: {len(self.lectures)} lectures where one was expected")
        return self.lectures[0]


@dataclass
class ClassResult:
    """A class: every submission of a batch.  Columns (lecture, check) come from the submissions themselves."""
    submissions: list[SubmissionResult]
    lectures: list[str] = field(default_factory=list)
    title: str = ""
    schema_version: int = SCHEMA_VERSION

    def columns(self) -> list[tuple[str, str, float]]:
        """(lecture, check, max_points) in the order first seen."""
        seen: dict[tuple[str, str], float] = {}
        for s in self.submissions:
            for r in s.lectures:
                for c in r.checks:
                    seen.setdefault((r.lecture, c.name), c.max_points)
        return [(lec, name, pts) for (lec, name), pts in seen.items()]

    def pass_rates(self) -> list[tuple[str, str, float]]:
        """(lecture, check, fraction of submissions that passed it)."""
        n = len(self.submissions)
        out = []
        for lec, name, _ in self.columns():
            passed = sum(1 for s in self.submissions for r in s.lectures if r.lecture == lec
                         for c in r.checks if c.name == name and c.passed)
            out.append((lec, name, passed / n if n else 0.0))
        return out

    def to_dict(self) -> dict:
        return {"title": self.title, "lectures": list(self.lectures), "schema_version": self.schema_version,
                "submissions": [s.to_dict() for s in self.submissions]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def of(cls, result: "ClassResult | SubmissionResult | LectureResult | list[LectureResult]") -> "ClassResult":
        """``result`` as a class: itself, or one submission (see ``SubmissionResult.of``) as a one-row class."""
        if isinstance(result, ClassResult):
            return result
        sub = SubmissionResult.of(result)
        return cls(submissions=[sub], lectures=[r.lecture for r in sub.lectures])

    @classmethod
    def from_dict(cls, d: dict) -> "ClassResult":
        return cls(submissions=[SubmissionResult.from_dict(s) for s in d.get("submissions", [])],
                   lectures=list(d.get("lectures", [])), title=d.get("title", ""),
                   schema_version=d.get("schema_version", SCHEMA_VERSION))


def summarize_exercise(name: str, title: str, file: str, checks: list[CheckResult]) -> ExerciseSummary:
    mine = [c for c in checks if c.exercise == name]
    if mine and all(c.status == "passed" for c in mine):
        status = "passed"
    elif mine and all(c.status == "not_attempted" for c in mine):
        status = "not_attempted"
    else:
        status = "failed"
    return ExerciseSummary(name=name, title=title, file=file, points=round(sum(c.points for c in mine), 6),
                           max_points=round(sum(c.max_points for c in mine), 6), status=status)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
