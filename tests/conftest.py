"""Shared helpers: run the CLI as a user would, and make learner working directories."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"


def run_grader(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def workdir(tmp_path):
    """A learner's working directory holding the untouched stubs of every lecture."""
    shutil.copytree(EXERCISES, tmp_path / "exercises")
    return tmp_path


def submission(workdir: Path, lecture: str, files: dict[str, str] | None = None, *, from_solution: bool = True) -> Path:
    """Fill a lecture in `workdir` with the reference solution, then overwrite `files` (name -> text)."""
    folder = workdir / "exercises" / lecture
    if from_solution:
        for src in (SOLUTIONS / lecture).glob("*.py"):
            shutil.copy(src, folder / src.name)
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def pytest_collection_modifyitems(items):
    """A test that asks for a learner's working directory grades it: it belongs to the `grading`
    tier (`pytest -m "not grading"` is the inner loop, with no worker started)."""
    for item in items:
        if "workdir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.grading)
