"""The zygote (grader.sandbox.zygote) that verify and the mutation runs use: its workers grade exactly
as workers of their own sandbox do, nothing of one worker reaches the next, it never runs outside
bubblewrap, and a zygote that breaks leaves the grading to the ordinary path."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SOLUTIONS
from grader.course import load_lecture
from grader.runner import run_lecture, worker_data_files
from grader.sandbox import Limits, bwrap
from grader.sandbox.learner import Learner
from grader.sandbox.process import WORKER_SCRIPT, choose_sandbox
from grader.sandbox.zygote import Zygote

pytestmark = pytest.mark.grading

# variants of lecture 05's reference, each a different way to end a check: a wrong value, an
# exception, an exit of the process, printing, a figure, and the untouched stub's "not attempted"
VARIANTS = {
    "solution": {},
    "wrong_value": {"training.py": ('nn.MSELoss(reduction="sum")', "nn.MSELoss()")},
    "raises": {"training.py": ("    losses = []\n", "    losses = []\n    raise ValueError('no training today')\n")},
    "exits": {"linear_model.py": ("        return self.linear(x)\n", "        import os; os._exit(3)\n")},
    "prints": {"training.py": ("    losses = []\n", "    losses = []\n    print('epoch 0 ' * 200)\n    1 / 0\n")},
}


def _variants(root: Path) -> dict[str, Path]:
    folders = {}
    for name, change in VARIANTS.items():
        dest = root / name
        shutil.copytree(SOLUTIONS / "lecture05", dest)
        for file, (old, new) in change.items():
            text = (dest / file).read_text()
            assert old in text, (name, old)
            (dest / file).write_text(text.replace(old, new))
        folders[name] = dest
    stub = root / "stub"
    shutil.copytree(Path(SOLUTIONS).parent / "exercises" / "lecture05", stub)
    folders["stub"] = stub
    return folders


@pytest.fixture
def zygote(tmp_path):
    if choose_sandbox()[0] != "bwrap":
        pytest.skip("the zygote runs only in bubblewrap, which cannot run here")
    root = tmp_path / "variants"
    root.mkdir()
    tmp_path.chmod(0o755)
    root.chmod(0o755)
    z = Zygote(sources=root, limits=Limits(), data_files=worker_data_files(load_lecture("lecture05")))
    z.start()
    yield z
    z.close()


def _seen(result) -> list[tuple]:
    return [(c.name, c.status, c.message.replace("exercises/lecture05/", ""), c.hint) for c in result.checks]


def test_a_zygotes_worker_grades_as_a_worker_of_its_own_sandbox(zygote):
    lecture = load_lecture("lecture05")
    used = []
    worker = zygote.worker
    zygote.worker = lambda *a, **k: used.append(1) or worker(*a, **k)
    for name, folder in _variants(zygote.sources).items():
        forked = run_lecture(lecture, folder, zygote=zygote)
        own = run_lecture(lecture, folder)
        assert _seen(forked) == _seen(own), name
        assert forked.notes == own.notes, name
        assert len(forked.figures) == len(own.figures), name
    assert len(used) >= len(VARIANTS) + 1 and not zygote.broken  # every variant was graded by a forked worker
    statuses = {c.status for c in run_lecture(lecture, zygote.sources / "exits", zygote=zygote).checks}
    assert "error" in statuses  # the variants are not all alike: the comparison above could fail


def test_nothing_of_one_worker_reaches_the_next(zygote):
    """A worker leaves files in every writable place and a detached process, and is not killed by the
    grader (as when its grading process was stopped): the next worker of the zygote sees none of it."""
    folder = _variants(zygote.sources)["solution"]
    first = zygote.worker(folder, ["linear_model", "training"])
    learner = Learner(lambda: first, call_s=30, submission_s=120)
    learner.call("os.system", "echo x > /tmp/left; echo x > /dev/shm/left; echo x > left; "
                              "(setsid sleep 300 > /dev/null 2>&1 &)")
    time.sleep(0.3)
    # the first worker is not closed: the zygote must clean up before it forks the next
    second = Learner(lambda: zygote.worker(folder, ["linear_model", "training"]), call_s=30, submission_s=120)
    try:
        assert second.call("os.listdir", "/tmp") == [] and second.call("os.listdir", "/dev/shm") == []
        assert "left" not in second.call("os.listdir", ".")
        pids = [p for p in second.call("os.listdir", "/proc") if p.isdigit()]
        assert len(pids) <= 3, pids  # bubblewrap's init, the zygote, this worker: no sleep left
    finally:
        second.close()
        first.kill()
    assert first.proc.wait(timeout=10) is not None  # reaped by the zygote, its status reported


def test_the_zygote_refuses_to_run_outside_bubblewrap(tmp_path):
    """Outside bubblewrap's pid namespace its kill of everything left over would reach other processes."""
    r = subprocess.run([sys.executable, "-I", str(WORKER_SCRIPT), "--zygote", "0", str(tmp_path)],
                       capture_output=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 71, r.stderr[-500:]


def test_a_broken_zygote_leaves_the_grading_to_the_ordinary_path(zygote):
    folder = _variants(zygote.sources)["solution"]
    os.killpg(zygote.proc.pid, signal.SIGKILL)  # its process is gone: a request finds no one
    zygote.proc.wait()
    result = run_lecture(load_lecture("lecture05"), folder, zygote=zygote)
    assert result.all_passed and not result.grader_error, [(c.name, c.message) for c in result.checks]


def test_bwrap_source_is_where_the_zygote_looks():
    from grader.sandbox import zygote
    assert zygote.SOURCES == bwrap.SOURCE and zygote.ZYGOTE_ARG == "--zygote"
