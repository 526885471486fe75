"""When the grader cannot run learner code safely, it says so as its own problem: a worker that
cannot start is never blamed on the learner (no learner hint, exit 3, no restart per check), the
sandbox's fallback is said once, and grading other people's code (a class, Gradescope) refuses to
run without the sandbox unless told --allow-unsandboxed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.sandbox import process as sandbox
from grader.course import load_lecture
from grader.runner import NOT_GRADED, run_lecture
from grader.sandbox import Limits
from grader.workspace import PACKAGE_DIR

from conftest import SOLUTIONS, run_grader, submission

pytestmark = pytest.mark.grading


def test_a_worker_that_cannot_start_is_the_graders_problem(workdir, tmp_path, monkeypatch):
    broken = tmp_path / "worker.py"
    broken.write_text("import sys\nsys.stderr.write('ImportError: libtorch_cpu.so: cannot open shared object\\n')\n"
                      "sys.exit(1)\n")
    monkeypatch.setattr(sandbox, "WORKER_SCRIPT", broken)
    monkeypatch.setenv("GRADER_SANDBOX", "plain")
    result = run_lecture(load_lecture("lecture05"), submission(workdir, "lecture05"),
                         limits=Limits(call_s=20, submission_s=120))
    assert result.grader_error and "libtorch_cpu.so" in result.grader_error
    assert "not of your code" in result.grader_error
    assert all(c.status == "error" and c.message == NOT_GRADED and c.hint == "" for c in result.checks)
    assert not [n for n in result.notes if "restarted" in n]  # one try, not one per check


def test_a_worker_that_cannot_start_is_the_graders_problem_in_chinese_too(workdir, tmp_path, monkeypatch):
    """The runner knows a start failure by its kind, not by its English text: the same verdict in Chinese."""
    from grader import i18n
    broken = tmp_path / "worker.py"
    broken.write_text("import sys\nsys.exit(1)\n")
    monkeypatch.setattr(sandbox, "WORKER_SCRIPT", broken)
    monkeypatch.setenv("GRADER_SANDBOX", "plain")
    with i18n.use_language("zh"):
        result = run_lecture(load_lecture("lecture05"), submission(workdir, "lecture05"),
                             limits=Limits(call_s=20, submission_s=120))
        not_graded = i18n._(NOT_GRADED)
    assert result.grader_error and not_graded != NOT_GRADED
    assert all(c.status == "error" and c.message == not_graded and c.hint == "" for c in result.checks)


def test_check_exits_3_when_the_required_sandbox_cannot_start(workdir):
    env = {**os.environ, "GRADER_SANDBOX": "bwrap", "GRADER_BWRAP": "/bin/false"}
    r = subprocess.run([sys.executable, "-m", "grader", "check", "lecture05"], cwd=workdir, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "grader problem:" in r.stdout and "GRADER_SANDBOX=bwrap" in r.stdout
    assert "hint:" not in r.stdout and "may have run out of memory" not in r.stdout


def test_the_fallback_is_said_once_and_grades(workdir):
    env = {**os.environ, "GRADER_BWRAP": "/bin/false"}
    env.pop("GRADER_SANDBOX", None)
    r = subprocess.run([sys.executable, "-m", "grader", "check", "lecture05", "--json", "out.json"], cwd=workdir,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    result = json.loads((workdir / "out.json").read_text())
    assert all(c["status"] == "not_attempted" for c in result["checks"])
    assert [n for n in result["notes"] if n.startswith("sandbox: none")] and r.stdout.count("sandbox: none") == 1


def _solved(tmp_path):
    sub = tmp_path / "alice" / "exercises" / "lecture05"
    sub.mkdir(parents=True)
    for src in (SOLUTIONS / "lecture05").glob("*.py"):
        shutil.copy(src, sub / src.name)
    return tmp_path / "alice"


def test_grade_refuses_without_the_sandbox_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "plain")
    sub = _solved(tmp_path)
    r = run_grader("grade", str(sub), "--lecture", "lecture05", "--out", str(tmp_path / "out"), "--no-progress")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "--allow-unsandboxed" in r.stderr and "poison the data cache" in r.stderr
    assert not (tmp_path / "out" / "submissions").exists()
    r = run_grader("grade", str(sub), "--lecture", "lecture05", "--out", str(tmp_path / "out"), "--no-progress",
                   "--allow-unsandboxed", "--jobs", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads((tmp_path / "out" / "submissions" / "alice" / "result.json").read_text())["score"] == 11


def test_autograde_refuses_without_the_sandbox_and_leaves_a_zero(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX", "plain")
    sub = _solved(tmp_path) / "exercises" / "lecture05"
    results = tmp_path / "results.json"
    r = run_grader("autograde", "lecture05", "--submission", str(sub), "--results", str(results))
    assert r.returncode == 3
    got = json.loads(results.read_text())
    assert got["score"] == 0 and "refused" in got["output"] and "not a verdict on your code" in got["output"]
    r = run_grader("autograde", "lecture05", "--submission", str(sub), "--results", str(results),
                   "--allow-unsandboxed")
    assert r.returncode == 0 and json.loads(results.read_text())["score"] == 11


SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists(SYSTEM_PYTHON),
                    reason="needs root (to become another user), setpriv and a system python3")
def test_the_probe_starts_the_sandbox_for_an_ordinary_user():
    """A learner is not root: bubblewrap then makes a user namespace, and the probe (the real command
    line) must start.  Run as nobody, with the system's Python and a world-readable copy of the
    package (the probe imports nothing but the standard library)."""
    top = Path(tempfile.mkdtemp(prefix="grader-nobody-"))   # pytest's own folders are root's alone
    try:
        copy = top / "course"
        shutil.copytree(PACKAGE_DIR, copy / "grader", ignore=shutil.ignore_patterns("__pycache__"))
        (copy / "pyproject.toml").write_text("")
        subprocess.run(["chmod", "-R", "a+rX", str(top)], check=True)
        code = ("import os, sys; from grader.sandbox import bwrap; r = bwrap.unusable_reason(); "
                "print(os.getuid(), 'REASON', r); sys.exit(0 if r is None else 1)")
        r = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", SYSTEM_PYTHON, "-I",
                            "-c", f"import sys; sys.path.insert(0, {str(copy)!r}); {code}"],
                           cwd=copy, env={"PATH": os.environ["PATH"], "HOME": str(top)},
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout.startswith("65534 REASON None"), r.stdout + r.stderr
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_grade_with_a_relative_out_folder(tmp_path):
    """`grader grade ... --out graded/` from the folder that holds it: the workers' scratch folders
    live under it, and the sandbox binds them whatever the current directory is."""
    _solved(tmp_path)
    r = run_grader("grade", "alice", "--lecture", "lecture05", "--out", "graded", "--no-progress", "--jobs", "1",
                   cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    result = json.loads((tmp_path / "graded" / "submissions" / "alice" / "result.json").read_text())
    assert result["score"] == 11 and not result["lectures"][0].get("grader_error"), result


@pytest.mark.parametrize("setting, probed", [("auto", True), ("bwrap", True), ("plain", False), ("", True)])
def test_the_probe_runs_on_a_thread_before_it_is_asked_for(monkeypatch, setting, probed):
    """`grader check` starts bubblewrap's probe first, on a thread (its 0.1 s overlap the command's start);
    the finding is the one later asked for, and GRADER_SANDBOX=plain asks for none.  Fast: the probe is faked."""
    import threading
    from grader.sandbox import bwrap, probe_soon
    calls: list[str] = []
    done = threading.Event()

    def probe():
        calls.append(threading.current_thread().name)
        done.set()
        return ("bubblewrap needs Linux", {})
    monkeypatch.setattr(bwrap, "_probe", probe)
    monkeypatch.setenv("GRADER_SANDBOX", setting)
    probe_soon()
    assert done.wait(10 if probed else 1) is probed
    assert calls == (["grader-sandbox-probe"] if probed else [])
    if probed:
        assert bwrap.unusable_reason() == "bubblewrap needs Linux"
