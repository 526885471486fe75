"""The sandbox starts wherever the learner's Python lives, as the README's first command makes it:
a venv inside the course folder, a course and venv under /tmp, a venv reached through a symbolic
link.  Each layout gets a copy of the course and a cheap venv (no pip; a .pth file lends it this
environment's packages and puts the copy's own `grader` first), runs `grader check lecture05` as a
learner would, and must give the untouched stubs "not attempted" everywhere and the reference full
marks, under bubblewrap where bubblewrap runs here."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from grader.sandbox import bwrap

from conftest import REPO, SOLUTIONS

pytestmark = pytest.mark.grading

COURSE_PARTS = ("grader", "templates", "exercises", "solutions", "pyproject.toml")


def _course_copy(dest: Path) -> Path:
    """The course folder as a clone has it (what the worker must not see: solutions, checks)."""
    dest.mkdir(parents=True)
    for part in COURSE_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(src, dest / part)
    return dest


def _cheap_venv(where: Path, course: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    lib = next((where / "lib").glob("python3*")) / "site-packages"
    # the copy's own grader first, then this environment's packages (torch, pytest, ...)
    (lib / "course.pth").write_text("\n".join([str(course), *site.getsitepackages()]) + "\n")


def _check(python: Path, course: Path) -> dict:
    out = course / "result.json"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "GRADER_SANDBOX")}
    r = subprocess.run([str(python), "-m", "grader", "check", "lecture05", "--json", str(out)], cwd=course, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    result = json.loads(out.read_text())
    result["stdout"] = r.stdout
    return result


def _layout(kind: str, tmp_path: Path) -> tuple[Path, Path, Path | None]:
    """(course folder, the python a learner runs, a folder to remove afterwards)."""
    if kind == "venv in the course folder":
        # not under /tmp: a course cloned into the home folder, as the README's command makes it
        home = Path.home() / ".cache"
        home.mkdir(parents=True, exist_ok=True)
        top = Path(tempfile.mkdtemp(prefix="grader-layout-", dir=home))
        course = _course_copy(top / "course")
        _cheap_venv(course / ".venv", course)
        return course, course / ".venv" / "bin" / "python", top
    if kind == "course and venv under /tmp":
        course = _course_copy(tmp_path / f"course-{uuid.uuid4().hex[:6]}")
        _cheap_venv(course / ".venv", course)
        return course, course / ".venv" / "bin" / "python", None
    if kind == "venv behind a symbolic link":
        course = _course_copy(tmp_path / "course")
        _cheap_venv(tmp_path / "real" / "env", course)
        (course / ".venv").symlink_to(tmp_path / "real" / "env")
        return course, course / ".venv" / "bin" / "python", None
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["venv in the course folder", "course and venv under /tmp",
                                  "venv behind a symbolic link"])
def test_the_readme_layouts_grade_under_the_sandbox(kind, tmp_path):
    course, python, cleanup = _layout(kind, tmp_path)
    try:
        stubs = _check(python, course)
        assert stubs["checks"] and all(c["status"] == "not_attempted" for c in stubs["checks"]), stubs["stdout"]
        for src in (SOLUTIONS / "lecture05").glob("*.py"):
            shutil.copy(src, course / "exercises" / "lecture05" / src.name)
        solved = _check(python, course)
        assert solved["score"] == solved["max_score"] > 0, solved["stdout"]
        if bwrap.unusable_reason() is None:  # bubblewrap runs here: it must run for the learner too
            assert not [n for n in stubs["notes"] + solved["notes"] if n.startswith("sandbox:")], solved["notes"]
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
