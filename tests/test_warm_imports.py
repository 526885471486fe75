"""Warm imports (``warm_imports`` in a lecture's TOML, issue 16): the modules the lecture's code will import
anyway (torch._dynamo, which the first torch.optim optimizer imports, about 1.5 s here) are imported
by the worker before its first request, while the grader still loads its checks, and by a zygote once
for all its workers."""

from __future__ import annotations

import importlib.util

import pytest

from grader.course import CourseError, all_lectures, parse_lecture
from grader.sandbox import Limits
from grader.sandbox.learner import Learner
from grader.sandbox.process import choose_sandbox, start_worker

PROBE = 'import sys\n\ndef warmed(name):\n    return name in sys.modules\n'
MINIMAL = {"number": 99, "title": "t", "title_zh": "t", "limits": {"call_s": 1.0, "submission_s": 2.0},
           "exercises": [{"name": "e", "file": "e.py", "symbols": ["f"], "title": "t", "title_zh": "t", "hints": []}],
           "checks": [{"name": "c", "exercise": "e", "points": 1.0, "hint": ""}]}


def test_a_lecture_names_modules_to_warm_up():
    assert parse_lecture("lecture99", {**MINIMAL, "warm_imports": ["torch._dynamo"]}).warm_imports == ("torch._dynamo",)
    assert parse_lecture("lecture99", MINIMAL).warm_imports == ()
    for bad in (["os; rm -rf /"], ["torch..x"], [""], "torch._dynamo", [3]):
        with pytest.raises(CourseError):
            parse_lecture("lecture99", {**MINIMAL, "warm_imports": bad})


def test_every_warm_import_of_the_course_exists():
    """A torch that renamed the module would make the warm-up a silent no-op: fail here instead."""
    named = {name for lec in all_lectures() for name in lec.warm_imports}
    assert named, "no lecture warms anything up"
    for name in named:
        assert importlib.util.find_spec(name) is not None, name


@pytest.mark.grading
@pytest.mark.parametrize("warm", [("torch._dynamo",), ()])
def test_the_worker_imports_them_before_its_first_request(tmp_path, warm):
    (tmp_path / "probe.py").write_text(PROBE)
    learner = Learner(lambda: start_worker(tmp_path, ["probe"], limits=Limits(), warm_imports=warm),
                      call_s=60, submission_s=120)
    try:
        assert learner.call("probe.warmed", "torch._dynamo") is bool(warm)
    finally:
        learner.close()


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
        learner = Learner(lambda: zygote.worker(root / "a", ["probe"]), call_s=60, submission_s=120)
        try:
            assert learner.call("probe.warmed", "torch._dynamo") is True
        finally:
            learner.close()
    finally:
        zygote.close()
