"""The learner's loop while grading: each check told as it finishes, hints that teach (a diagnosis, never the
check's answer), `grader check` from inside a lecture's folder with -q, and `grader watch` for real: started
on a working directory, a file saved, the new result on screen, a syntax error mid-edit, Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from grader import api
from grader.course import load_lecture

from conftest import SOLUTIONS, run_grader, submission

pytestmark = pytest.mark.grading


def _mistakes(workdir):
    """lecture05 with two mistakes: a Linear layer of the wrong size (an error PyTorch explains) and the
    mean instead of the sum (a wrong answer)."""
    model = (SOLUTIONS / "lecture05" / "linear_model.py").read_text().replace("nn.Linear(1, 1)", "nn.Linear(2, 1)")
    training = (SOLUTIONS / "lecture05" / "training.py").read_text().replace('nn.MSELoss(reduction="sum")', "nn.MSELoss()")
    assert "nn.Linear(2, 1)" in model and "nn.MSELoss()" in training
    return submission(workdir, "lecture05", {"linear_model.py": model, "training.py": training})


def test_each_check_is_told_as_it_finishes_and_hints_only_diagnose(workdir):
    _mistakes(workdir)
    told, at = [], []

    def on_check(c):
        told.append(c)
        at.append(time.monotonic())

    result = api.check("lecture05", workdir=workdir, device="cpu", on_check=on_check)
    returned = time.monotonic()
    final = {c.name: c for c in result.checks}
    assert sorted(c.name for c in told) == sorted(final)  # each check once
    for c in told:  # told with its final verdict, message and hint
        assert (c.status, c.message, c.hint) == (final[c.name].status, final[c.name].message, final[c.name].hint)
    assert at[0] < at[-1] < returned
    lecture = load_lecture("lecture05")
    for c in result.checks:  # the check's TOML hint (its answer) is never the hint
        assert lecture.check(c.name).hint not in c.hint + c.message, c.name
    assert final["criterion_sum"].status == "failed" and final["criterion_sum"].hint == ""
    assert final["parameter_count"].status == "failed" and final["parameter_count"].hint == ""
    shapes = final["converges_to_slide_values"]  # its training run calls the model: PyTorch's own error
    assert shapes.status == "error" and "mat1 and mat2" in shapes.message
    assert "in_features" in shapes.hint and f"likely cause: {shapes.hint}" in shapes.message  # the diagnosis


def test_check_inside_a_lecture_folder_quietly(workdir):
    folder = _mistakes(workdir)
    r = run_grader("check", "-q", cwd=folder)  # no LECTURE: the folder's
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.rstrip("\n").splitlines()
    assert lines[-1].startswith("Score: 6/11  lecture05"), r.stdout
    assert "linear_model/parameter_count" in r.stdout and "loss_and_optimizer/criterion_sum" in r.stdout
    assert "✓ passed" not in r.stdout and "lecture05 · " not in r.stdout and "note:" not in r.stdout
    assert "reduction='sum'" in r.stdout  # the problem is said ...
    assert load_lecture("lecture05").check("criterion_sum").hint not in r.stdout  # ... its answer is not
    assert "\x1b[" not in r.stdout


class Screen:
    """What a process prints, line by line, read on a thread so a test can wait for a line with a deadline."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # the process closed its output: no line will come

    def wait_for(self, prefix: str, timeout: float = 120) -> tuple[float, list[str]]:
        """Wait for a line starting with `prefix`; return when it came and the lines since the last wait."""
        since: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line starting {prefix!r} in {timeout} s; last lines:\n" +
                                     "\n".join((self.seen + since)[-30:])) from None
            if line is None:
                raise AssertionError(f"the output ended before a line starting {prefix!r}; last lines:\n" +
                                     "\n".join((self.seen + since)[-30:]))
            since.append(line)
            if line.startswith(prefix):
                self.seen += since
                return time.monotonic(), since


def test_watch_rechecks_on_save_survives_a_syntax_error_and_quits_on_ctrl_c(workdir):
    folder = workdir / "exercises" / "lecture05"
    proc = subprocess.Popen([sys.executable, "-m", "grader", "watch", "lecture05"], cwd=workdir, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        screen = Screen(proc)
        _, first = screen.wait_for("Score: 0/11")
        assert any(line.startswith("now: linear_model") for line in first), first
        screen.wait_for("watching exercises/lecture05/")
        time.sleep(0.5)

        saved = time.monotonic()
        (folder / "linear_model.py").write_text((SOLUTIONS / "lecture05" / "linear_model.py").read_text())
        noticed, _ = screen.wait_for("--- linear_model.py changed")
        shown, second = screen.wait_for("Score: 2/11")
        cycle = shown - saved
        assert any(line.startswith("now: loss_and_optimizer") for line in second), second  # leads with the next one
        screen.wait_for("watching exercises/lecture05/")

        broken = (SOLUTIONS / "lecture05" / "training.py").read_text().replace("def make_criterion()", "def make_criterion(:")
        (folder / "training.py").write_text(broken)  # mid-edit
        _, third = screen.wait_for("Score: 2/11")
        assert any("SyntaxError" in line for line in third), third
        screen.wait_for("watching exercises/lecture05/")
        assert proc.poll() is None  # still watching

        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal signals the whole foreground group
        assert proc.wait(timeout=60) == 0
        err = proc.stderr.read()
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        screen.wait_for("stopped watching", timeout=10)
        print(f"\nwatch cycle: save -> new score on screen {cycle:.2f} s (save -> change noticed "
              f"{noticed - saved:.2f} s)")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
