"""Where things are: the learner's working directory, its saved state, and the
course files that ship with the package (templates, stubs) or only with the
repository (solutions, mutants)."""

from __future__ import annotations

import json
from pathlib import Path

from .results import LectureResult, write_atomic

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


class WorkspaceError(Exception):
    pass


def resource_dir(name: str) -> Path:
    """`templates` or `exercises`: beside the package in a checkout or an editable install,
    inside it (``grader/<name>``) in a wheel, where pyproject maps them."""
    for candidate in (REPO_DIR / name, PACKAGE_DIR / name):
        if candidate.is_dir():
            return candidate
    raise WorkspaceError(f"the course's {name}/ folder is missing from this installation")


def solutions_dir() -> Path:
    """Reference solutions exist only in the course repository, never in the package."""
    path = REPO_DIR / "solutions"
    if not path.is_dir():
        raise WorkspaceError("the reference solutions are not here: `grader verify` runs in a clone of the course repository")
    return path


def find_workdir(start: Path | None = None) -> Path:
    """The given directory, or the nearest parent of the current one holding `exercises/`."""
    here = Path(start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "exercises").is_dir():
            return candidate
    raise WorkspaceError(f"no exercises/ folder in {here} or any parent: run `grader init DIR` to make a "
                         "working directory, or pass --workdir")


class State:
    """What the grader remembers in `WORKDIR/.grader/`: hints revealed, last results."""

    def __init__(self, workdir: Path):
        self.dir = Path(workdir) / ".grader"

    def _read(self, name: str, default):
        try:
            return json.loads((self.dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return default

    def hints_revealed(self, lecture: str, exercise: str) -> int:
        return int(self._read("hints.json", {}).get(f"{lecture}/{exercise}", 0))

    def reveal_hint(self, lecture: str, exercise: str) -> int:
        data = self._read("hints.json", {})
        key = f"{lecture}/{exercise}"
        data[key] = int(data.get(key, 0)) + 1
        write_atomic(self.dir / "hints.json", json.dumps(data, indent=2))
        return data[key]

    def save_result(self, result: LectureResult) -> None:
        result.write_json(self.dir / "results" / f"{result.lecture}.json")

    def last_result(self, lecture: str) -> LectureResult | None:
        data = self._read(f"results/{lecture}.json", None)
        try:
            return LectureResult.from_dict(data) if data else None
        except (TypeError, ValueError):
            return None
