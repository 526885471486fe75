"""One mistake costs once: a file that does not import fails only the checks that use it (its
traceback shown once, with the learner's own path), a call that ran out of time is not run again
by later checks, and an import that hangs costs one time limit, not one per check."""

from __future__ import annotations

import pytest

from grader.course import load_lecture
from grader.runner import run_lecture
from grader.sandbox import Limits

from conftest import SOLUTIONS, submission

pytestmark = pytest.mark.grading


def test_a_syntax_error_fails_only_the_checks_of_its_file(workdir):
    # the stubs of lecture 06, with bce.py broken mid-edit
    folder = submission(workdir, "lecture06", from_solution=False)
    bce = folder / "bce.py"
    bce.write_text(bce.read_text().replace("import torch", "import torch\n\ndef oops(:\n    pass", 1))
    lecture = load_lecture("lecture06")
    result = run_lecture(lecture, folder, limits=Limits(call_s=20, submission_s=200))
    uses_bce = {c.name for c in lecture.checks if lecture.exercise(c.exercise).file == "bce.py"}
    assert uses_bce
    for c in result.checks:
        if c.name in uses_bce:
            assert c.status == "error" and "SyntaxError" in c.message, (c.name, c.message)
        else:
            assert c.status == "not_attempted", (c.name, c.status, c.message)
    tracebacks = [c for c in result.checks if "exercises/lecture06/bce.py" in c.message]
    assert len(tracebacks) == 1, [c.message for c in result.checks if c.name in uses_bce]
    assert "/sandbox" not in " ".join(c.message for c in result.checks)
    assert sum("same error as above" in c.message for c in result.checks) == len(uses_bce) - 1


def test_a_call_that_timed_out_is_not_run_again(workdir):
    training = (SOLUTIONS / "lecture05" / "training.py").read_text().replace(
        '    return nn.MSELoss(reduction="sum")', "    while True:\n        pass")
    folder = submission(workdir, "lecture05", {"training.py": training})
    lecture = load_lecture("lecture05")
    callers = [c.name for c in lecture.checks]
    result = run_lecture(lecture, folder, limits=Limits(call_s=4, submission_s=200))
    timed = [c for c in result.checks if c.status == "timed_out"]
    assert len(timed) >= 2, [(c.name, c.status) for c in result.checks]   # criterion_sum and the training run
    assert sum("not run again" in c.message for c in timed) == len(timed) - 1
    assert all("make_criterion" in c.message for c in timed)
    assert result.checks[callers.index("output_shape")].status == "passed"


def test_an_import_that_hangs_costs_one_limit(workdir):
    linear = "while True:\n    pass\n" + (SOLUTIONS / "lecture05" / "linear_model.py").read_text()
    folder = submission(workdir, "lecture05", {"linear_model.py": linear})
    result = run_lecture(load_lecture("lecture05"), folder, limits=Limits(call_s=4, submission_s=200))
    assert all(c.status == "timed_out" for c in result.checks), [(c.name, c.status) for c in result.checks]
    assert sum("not run again" in c.message for c in result.checks) == len(result.checks) - 1
    assert not [n for n in result.notes if "restarted" in n], result.notes   # one worker, one time limit


def test_the_lectures_time_used_up_is_the_learners_not_a_start_failure(workdir):
    """A hang that uses up the whole lecture's time: the checks after it are timed out (the
    learner's), never "the grader could not start" (which a batch would grade again)."""
    training = (SOLUTIONS / "lecture05" / "training.py").read_text().replace(
        "    losses = []\n    for _ in range(epochs):", "    losses = []\n    while True:\n        pass\n    for _ in range(epochs):")
    folder = submission(workdir, "lecture05", {"training.py": training})
    result = run_lecture(load_lecture("lecture05"), folder, limits=Limits(call_s=20, submission_s=8))
    assert not result.grader_error, result.grader_error
    by = {c.name: c for c in result.checks}
    assert by["loss_history"].status == "timed_out"
    assert all(c.status in ("passed", "timed_out") for c in result.checks), [(c.name, c.status) for c in result.checks]
