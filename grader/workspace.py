"""Where things are: the learner's working directory, its saved state, and the
course files that ship with the package (templates, stubs) or only with the
repository (solutions, mutants)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

from .results import LectureResult, write_atomic
from .i18n import _

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
    raise WorkspaceError(_("the course's {name}/ folder is missing from this installation").format(name=name))


def solutions_dir() -> Path:
    """Reference solutions exist only in the course repository, never in the package."""
    path = REPO_DIR / "solutions"
    if not path.is_dir():
        raise WorkspaceError(_("the reference solutions are not here: `grader verify` runs in a clone of the course "
                               "repository"))
    return path


def pristine_stubs(lecture_id: str) -> dict[str, str]:
    """File name -> text of a lecture's stubs as the course ships them, never a learner's edited copy:
    in a course checkout, what the generator makes from ``solutions/`` (the committed stubs are proven
    to be that); in an installed wheel, the package's own copy; in a release bundle (``RELEASE.json``),
    each file as released, found by the sha256 the manifest records, in the folder or in git's history."""
    solutions = REPO_DIR / "solutions" / lecture_id
    if solutions.is_dir():
        from .stubs import generate
        return generate(solutions)
    packaged = PACKAGE_DIR / "exercises" / lecture_id
    if packaged.is_dir():
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(packaged.iterdir())
                if p.is_file() and p.suffix in (".py", ".md")}
    manifest = REPO_DIR / "RELEASE.json"
    if manifest.is_file():
        return _released_stubs(lecture_id, manifest)
    raise WorkspaceError(_("this installation holds no pristine copy of the stubs (no solutions/, no packaged "
                           "exercises/, no RELEASE.json)"))


def _released_stubs(lecture_id: str, manifest: Path) -> dict[str, str]:
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise WorkspaceError(_("{manifest} cannot be read: no pristine copy of the stubs").format(manifest=manifest)) from None
    prefix = f"exercises/{lecture_id}/"
    out: dict[str, str] = {}
    for rel, digest in files.items():
        if not rel.startswith(prefix) or "/" in rel[len(prefix):]:
            continue
        data = _released_bytes(REPO_DIR / rel, rel, digest)
        if data is None:
            raise WorkspaceError(_("{rel} was edited and this folder keeps no copy of it as released (it is no git clone of "
                                   "the release): no pristine copy; the class repository's first commit has it").format(rel=rel))
        out[rel[len(prefix):]] = data.decode("utf-8")
    if not out:
        raise WorkspaceError(_("{name} lists no stubs of {lecture_id}").format(name=manifest.name, lecture_id=lecture_id))
    return out


def _released_bytes(path: Path, rel: str, digest: str) -> bytes | None:
    """The file as released: the working copy while unchanged, else the version in git's history whose sha256
    is the manifest's."""
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == digest:
            return data
    except OSError:
        pass
    git = ["git", "-C", str(REPO_DIR)]
    try:
        commits = subprocess.run([*git, "log", "--format=%H", "--", rel], capture_output=True, timeout=30,
                                 check=True).stdout.decode().split()
        for commit in commits:
            old = subprocess.run([*git, "show", f"{commit}:{rel}"], capture_output=True, timeout=30)
            if old.returncode == 0 and hashlib.sha256(old.stdout).hexdigest() == digest:
                return old.stdout
    except (OSError, subprocess.SubprocessError):
        pass
    return None


_LECTURE_DIR = re.compile(r"lecture\d\d")


def lecture_at(path: Path | None = None) -> str | None:
    """The lecture whose folder (``exercises/lectureNN/``) holds ``path`` (default: the current directory)."""
    here = Path(path or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if _LECTURE_DIR.fullmatch(candidate.name) and candidate.parent.name == "exercises":
            return candidate.name
    return None


def find_workdir(start: Path | None = None) -> Path:
    """The given directory, or the nearest parent of the current one holding `exercises/`."""
    here = Path(start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "exercises").is_dir():
            return candidate
    raise WorkspaceError(_("no exercises/ folder in {here} or any parent: run `grader init DIR` to make a working "
                           "directory, or pass --workdir").format(here=here))


class State:
    """What the grader remembers in `WORKDIR/.grader/`: hints revealed, last results (and when each check
    started), backups of files `grader reset` replaced."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.dir = self.workdir / ".grader"

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

    def forget_hints(self, lecture: str | None = None, exercise: str | None = None) -> int:
        """Forget the hints revealed (of one exercise, one lecture, or all); returns how many were forgotten."""
        data = self._read("hints.json", {})
        prefix = f"{lecture}/{exercise}" if exercise else (f"{lecture}/" if lecture else "")
        gone = {k: v for k, v in data.items() if (k == prefix if exercise else k.startswith(prefix))}
        if gone:
            write_atomic(self.dir / "hints.json", json.dumps({k: v for k, v in data.items() if k not in gone}, indent=2))
        return sum(int(v) for v in gone.values())

    def save_result(self, result: LectureResult, started: float | None = None) -> None:
        """Save the lecture's result; ``started`` (a time.time()) is when its check began: a file changed
        after it makes the result stale."""
        result.write_json(self.dir / "results" / f"{result.lecture}.json")
        if started is not None:
            times = self._read("checked.json", {})
            times[result.lecture] = started
            write_atomic(self.dir / "checked.json", json.dumps(times, indent=2))

    def is_stale(self, lecture: str) -> bool:
        """Whether a file of ``exercises/LECTURE/`` changed after its last check began."""
        started = self._read("checked.json", {}).get(lecture)
        if started is None:
            try:
                started = (self.dir / "results" / f"{lecture}.json").stat().st_mtime
            except OSError:
                return False
        folder = self.workdir / "exercises" / lecture
        try:
            changed = max((p.stat().st_mtime for p in folder.glob("*.py")), default=0.0)
        except OSError:
            return False
        return changed > float(started)

    def backup(self, files: list[Path], lecture: str) -> Path:
        """Copy the learner's ``files`` (of exercises/LECTURE/) into a new folder
        ``.grader/backups/<time>/LECTURE/`` and return that folder."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = self.dir / "backups" / stamp
        n = 1
        while base.exists():
            n += 1
            base = self.dir / "backups" / f"{stamp}-{n}"
        dest = base / lecture
        dest.mkdir(parents=True)
        for f in files:
            shutil.copy2(f, dest / f.name)
        return dest

    def last_result(self, lecture: str) -> LectureResult | None:
        data = self._read(f"results/{lecture}.json", None)
        try:
            return LectureResult.from_dict(data) if data else None
        except (TypeError, ValueError):
            return None
