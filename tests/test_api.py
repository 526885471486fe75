"""grader.api called as a script or a notebook would: check, hint and grade, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader import api
from grader.workspace import State

from conftest import submission


def test_bad_requests_are_usage_errors_before_any_grading(workdir, tmp_path_factory):
    with pytest.raises(api.UsageError, match="Did you mean `lecture05`"):
        api.check("lectre05", workdir=workdir)
    with pytest.raises(api.UsageError, match="nope"):
        api.check("lecture05", workdir=workdir / "nope")
    (workdir / "exercises" / "lecture05").rename(workdir / "moved")
    with pytest.raises(api.UsageError, match="no folder for lecture05"):
        api.check("lecture05", workdir=workdir)
    with pytest.raises(api.UsageError, match="cifar"):
        api.check("lecture10", workdir=workdir, data="cifar")
    with pytest.raises(api.UsageError, match="choose auto, cpu or cuda"):
        api.check("lecture06", workdir=workdir, device="tpu")
    with pytest.raises(api.UsageError, match="--all: no lecture folders"):
        api.check_all(_empty_workdir(tmp_path_factory))
    with pytest.raises(api.UsageError):
        api.grade([workdir], ["lecture99"], workdir / "out")
    assert not (workdir / ".grader").exists() and not (workdir / "out").exists()


def _empty_workdir(factory) -> Path:
    root = factory.mktemp("empty-course")
    (root / "exercises").mkdir()
    return root


def test_hints_one_at_a_time_then_all(workdir):
    first = api.hint("lecture05", "predict", workdir=workdir)
    second = api.hint("5", "predict", workdir=workdir)
    third = api.hint("lecture05", "predict", workdir=workdir)
    assert first.startswith("lecture05/predict (") and "hint 1 of 2:\n  " in first
    assert "hint 2 of 2" in second
    assert third.splitlines()[0] == "lecture05/predict: all 2 hints are shown:" and third.splitlines()[2].startswith("  2. ")
    assert State(workdir).hints_revealed("lecture05", "predict") == 2
    assert api.hint("lecture05", workdir=workdir).startswith("lecture05/linear_model (")  # the first unfinished
    with pytest.raises(api.UsageError, match="has no exercise `nope`"):
        api.hint("lecture05", "nope", workdir=workdir)


@pytest.mark.grading
def test_check_the_stubs_then_the_reference(workdir):
    stubs = api.check("lecture05", workdir=workdir, device="cpu")
    assert stubs.lecture == "lecture05" and (stubs.score, stubs.max_score) == (0, 11)
    assert {c.status for c in stubs.checks} == {"not_attempted"} and not stubs.grader_error
    assert State(workdir).last_result("lecture05") == stubs  # saved as `grader check` saves it

    submission(workdir, "lecture05")
    solved = api.check("5", workdir=str(workdir))
    assert solved.all_passed and solved.score == solved.max_score == 11
    assert State(workdir).last_result("lecture05") == solved
    # every exercise passed: no hint (issue 14: it used to give the first exercise's), and where to go on
    said = api.hint("lecture05", workdir=workdir)
    assert "every exercise passed" in said and "next: lecture06" in said


@pytest.mark.grading
def test_grade_a_class_of_two(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "auto")  # require_sandbox pins it for the process: undone after the test
    solved = _solved(tmp_path / "alice")
    empty = tmp_path / "bob"
    empty.mkdir()
    out = tmp_path / "out"
    try:
        summary = api.grade([solved, empty], "lecture05", out, jobs=1, progress=False)
    except api.CannotGrade as exc:
        pytest.skip(f"no bubblewrap sandbox here: {exc}")
    assert summary.graded == ["alice", "bob"] and summary.skipped == []
    scores = {s.submission: (s.score, s.max_score) for s in summary.klass.submissions}
    assert scores == {"alice": (11, 11), "bob": (0, 11)}
    assert {p.name for p in out.iterdir()} == {"index.html", "grades.csv", "junit.xml", "class.json", "submissions"}
    assert json.loads((out / "submissions" / "alice" / "result.json").read_text())["score"] == 11
    again = api.grade([solved, empty], ["lecture05"], out, jobs=1, progress=False)  # nothing new to grade
    assert again.graded == [] and again.skipped == ["alice", "bob"]


def _solved(folder: Path) -> Path:
    from conftest import SOLUTIONS
    lec = folder / "exercises" / "lecture05"
    lec.mkdir(parents=True)
    for src in (SOLUTIONS / "lecture05").glob("*.py"):
        (lec / src.name).write_text(src.read_text())
    return folder


def test_grade_refuses_without_the_sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "plain")
    with pytest.raises(api.CannotGrade, match="bubblewrap"):
        api.grade([tmp_path], ["lecture05"], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
