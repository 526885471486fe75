"""Golden files: the terminal view and the HTML report of one hand-made LectureResult (every status,
a multi-line message with a hint, notes), compared with tests/golden/ byte for byte.  Fast: no worker.

After an intended change of a renderer or a template, rewrite the files and read the diff:

    GRADER_UPDATE_GOLDEN=1 python -m pytest tests/test_render_golden.py && git diff tests/golden/
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

from grader.render import terminal
from grader.render.export import render
from grader.results import CheckResult, LectureResult, SubmissionResult, summarize_exercise

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GRADER_UPDATE_GOLDEN") == "1"


def model() -> LectureResult:
    """One of each status, over three exercises; text that must be escaped in HTML and in a terminal."""
    def check(name, exercise, status, points, max_points, message="", hint="", description=""):
        return CheckResult(name=name, exercise=exercise, status=status, points=points, max_points=max_points,
                           message=message, hint=hint, description=description, duration_s=0.5)
    checks = [
        check("output_shape", "linear_model", "passed", 1, 1, description="LinearModel maps (N, 1) to (N, 1)."),
        check("parameter_count", "linear_model", "failed", 0, 1,
              message="expected 2 trainable numbers, found 3:\n  linear.weight (1, 1)\n  extra <b>bias</b> (1,)",
              hint="keep only self.linear = nn.Linear(1, 1)", description="Exactly two trainable numbers."),
        check("criterion_sum", "loss", "not_attempted", 0, 2,
              message="not attempted: fill in `make_criterion` in exercises/lecture05/training.py",
              hint="this hint is not shown for a check not attempted", description="The summed squared error."),
        check("optimizer_sgd", "loss", "error", 0, 1,
              message="RuntimeError: mat1 and mat2 shapes cannot be multiplied (5x2 and 1x1)",
              hint="the input has one feature: x.view(-1, 1)"),
        check("loss_history", "training", "timed_out", 0, 2, message="your code ran for more than 30 s in train"),
        check("predict_value", "training", "skipped", 0, 1, message="skipped: needs CUDA"),
    ]
    exercises = [summarize_exercise(n, t, f, checks) for n, t, f in
                 (("linear_model", "A linear model", "linear_model.py"), ("loss", "Loss & optimizer", "training.py"),
                  ("training", "The training cycle", "training.py"))]
    return LectureResult(lecture="lecture05", title="Linear regression with PyTorch", checks=checks,
                         exercises=exercises, device="cpu", duration_s=4.25,
                         notes=["sandbox: bubblewrap", "trained on the shipped digits <small>"])


def terminal_text(verbose: bool) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=100, color_system=None, force_terminal=False, highlight=False,
                      legacy_windows=False)
    terminal.render(model(), console, verbose=verbose)
    return buf.getvalue()


def compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run with GRADER_UPDATE_GOLDEN=1 to write it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (f"{name} differs from tests/golden/{name}; if the change is intended, rewrite it with "
                              "GRADER_UPDATE_GOLDEN=1 and read the diff")


def test_terminal_view_matches_golden():
    compare("terminal.txt", terminal_text(verbose=True))


def test_terminal_quiet_view_matches_golden():
    compare("terminal-quiet.txt", terminal_text(verbose=False))


def test_html_report_matches_golden():
    compare("report.html", render(SubmissionResult.of(model()), "html"))


def test_submission_page_matches_golden():
    sub = SubmissionResult("alice", [model()], source="/home/grader/in/alice.zip", problems=["notebook cell 3 <skipped>"],
                           duration_s=5.0)
    compare("submission.html", render(sub, "submission-html"))


def test_golden_model_holds_every_status():
    assert {c.status for c in model().checks} == {"passed", "failed", "not_attempted", "error", "timed_out",
                                                  "skipped"}
    text = terminal_text(verbose=True)
    assert "hint: keep only self.linear" in text and "this hint is not shown" not in text
    assert "note: sandbox: bubblewrap" in text


@pytest.mark.skipif(UPDATE, reason="rewriting the golden files")
def test_golden_files_are_all_used():
    assert sorted(p.name for p in GOLDEN.iterdir()) == ["report.html", "submission.html", "terminal-quiet.txt",
                                                        "terminal.txt"]
