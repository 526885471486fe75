"""Warm imports (``warm_imports`` in a lecture's TOML, issue 16): the modules the lecture's code will import
anyway (torch._dynamo, which the first torch.optim optimizer imports, about 1.5 s here) are imported
by the worker before its first request, while the grader still loads its checks, and by a zygote once
for all its workers.  The grader itself never needs them: its reference runs use no torch.optim
(``HandAdam``), so its own imports do not compete with the worker's start on this 2-core machine.

A lecture's ``forkserver_preload`` (lecture 08: torch) has the worker start multiprocessing's fork server at
once, importing those modules while the worker and the grader load: the spawn check's loader workers fork
from it (glue.spawn_epoch) instead of each importing torch during the check."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from grader.checks.api import HandAdam

from grader.course import CourseError, all_lectures, load_lecture, parse_lecture
from grader.sandbox import Limits
from grader.sandbox.learner import Learner
from grader.sandbox.process import choose_sandbox, start_worker

PROBE = 'import sys\n\ndef warmed(name):\n    return name in sys.modules\n'
# the worker's fork server: None (none started), or whether torch's library is mapped in it within wait_s
SERVER_PROBE = """import time
from multiprocessing import forkserver

def server_has_torch(wait_s):
    pid = forkserver._forkserver._forkserver_pid
    if pid is None:
        return None
    deadline = time.monotonic() + wait_s
    while True:
        with open(f"/proc/{pid}/maps") as f:
            if "libtorch" in f.read():
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
"""
MINIMAL = {"number": 99, "title": "t", "title_zh": "t", "limits": {"call_s": 1.0, "submission_s": 2.0},
           "exercises": [{"name": "e", "file": "e.py", "symbols": ["f"], "title": "t", "title_zh": "t", "hints": []}],
           "checks": [{"name": "c", "exercise": "e", "points": 1.0, "hint": ""}]}


def test_a_lecture_names_modules_to_warm_up():
    assert parse_lecture("lecture99", {**MINIMAL, "warm_imports": ["torch._dynamo"]}).warm_imports == ("torch._dynamo",)
    assert parse_lecture("lecture99", MINIMAL).warm_imports == ()
    for bad in (["os; rm -rf /"], ["torch..x"], [""], "torch._dynamo", [3]):
        with pytest.raises(CourseError):
            parse_lecture("lecture99", {**MINIMAL, "warm_imports": bad})


def test_a_lecture_names_what_its_fork_server_imports():
    assert parse_lecture("lecture99", {**MINIMAL, "forkserver_preload": ["torch"]}).forkserver_preload == ("torch",)
    assert parse_lecture("lecture99", MINIMAL).forkserver_preload == ()
    for bad in (["torch; x"], "torch", [1]):
        with pytest.raises(CourseError):
            parse_lecture("lecture99", {**MINIMAL, "forkserver_preload": bad})
    assert load_lecture("lecture08").forkserver_preload == ("torch",)


def test_every_warm_import_of_the_course_exists():
    """A torch that renamed the module would make the warm-up a silent no-op: fail here instead."""
    named = {name for lec in all_lectures() for name in lec.warm_imports}
    assert named, "no lecture warms anything up"
    for name in named:
        assert importlib.util.find_spec(name) is not None, name


def probe_call(start, function: str, *args):
    """``probe.function(*args)`` in a worker that ``start()`` gives, then the worker closed."""
    learner = Learner(start, call_s=60, submission_s=120)
    try:
        return learner.call(f"probe.{function}", *args)
    finally:
        learner.close()


@pytest.mark.grading
@pytest.mark.parametrize("warm", [("torch._dynamo",), ()])
def test_the_worker_imports_them_before_its_first_request(tmp_path, warm):
    (tmp_path / "probe.py").write_text(PROBE)
    start = lambda: start_worker(tmp_path, ["probe"], limits=Limits(), warm_imports=warm)  # noqa: E731
    assert probe_call(start, "warmed", "torch._dynamo") is bool(warm)


@pytest.mark.grading
@pytest.mark.parametrize("preload", [("torch",), ()])
def test_the_worker_starts_its_fork_server_at_once(tmp_path, preload):
    (tmp_path / "probe.py").write_text(SERVER_PROBE)
    start = lambda: start_worker(tmp_path, ["probe"], limits=Limits(), forkserver_preload=preload)  # noqa: E731
    assert probe_call(start, "server_has_torch", 30) is (True if preload else None)


@pytest.mark.grading
def test_a_zygote_imports_them_once_for_its_workers(tmp_path):
    if choose_sandbox()[0] != "bwrap":
        pytest.skip("the zygote runs only in bubblewrap, which cannot run here")
    from grader.sandbox.zygote import Zygote
    root = tmp_path / "variants"
    (root / "a").mkdir(parents=True)
    for p in (tmp_path, root, root / "a"):
        p.chmod(0o755)
    (root / "a" / "probe.py").write_text(PROBE)
    (root / "a" / "probe.py").chmod(0o644)
    zygote = Zygote(sources=root, limits=Limits(), data_files={}, warm_imports=("torch._dynamo",))
    zygote.start()
    try:
        assert probe_call(lambda: zygote.worker(root / "a", ["probe"]), "warmed", "torch._dynamo") is True
        (root / "a" / "probe.py").write_text(SERVER_PROBE)
        for preload, expected in ((("torch",), True), ((), None)):  # each worker its own server, not the zygote's
            start = lambda: zygote.worker(root / "a", ["probe"], forkserver_preload=preload)  # noqa: E731
            assert probe_call(start, "server_has_torch", 30) is expected
    finally:
        zygote.close()


def test_hand_adam_is_torch_adam():
    """The grader's Adam (lecture 12's reference loss history) steps exactly as torch.optim.Adam does."""
    def run(make):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
        x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
        opt, losses = make(model.parameters()), []
        for _unused in range(15):
            loss = torch.nn.functional.cross_entropy(model(x), y)
            losses.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        return torch.tensor(losses), [p.detach().clone() for p in model.parameters()]
    ours, theirs = run(lambda p: HandAdam(p, lr=0.05)), run(lambda p: torch.optim.Adam(p, lr=0.05))
    torch.testing.assert_close(ours[0], theirs[0], rtol=1e-6, atol=1e-7)
    for mine, torchs in zip(ours[1], theirs[1]):
        torch.testing.assert_close(mine, torchs, rtol=1e-5, atol=1e-6)
    plain_sgd_like = run(lambda p: HandAdam(p, lr=0.05, betas=(0.5, 0.9)))  # the betas are used, not ignored
    assert not torch.allclose(plain_sgd_like[0], theirs[0])


@pytest.mark.grading
def test_the_grader_never_imports_them_itself():
    """Grading lecture 12 (the only lecture whose checks trained a reference with torch.optim) leaves the
    grader's process without torch._dynamo: its import would run beside the worker's on the other core."""
    repo = Path(__file__).resolve().parents[1]
    code = ("import sys\nfrom grader.course import load_lecture\nfrom grader.workspace import solutions_dir\n"
            "from grader.runner import run_lecture\n"
            "result = run_lecture(load_lecture('lecture12'), solutions_dir() / 'lecture12')\n"
            "print(sum(c.status == 'passed' for c in result.checks), len(result.checks), 'torch._dynamo' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(repo)})
    assert done.returncode == 0, done.stderr[-2000:]
    passed, total, dynamo = done.stdout.split()
    assert passed == total and dynamo == "False", done.stdout
