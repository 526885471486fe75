"""Turning what a learner handed in into a folder of the lecture's files.

A submission is one of:

* a **directory** holding ``exercises/lectureNN/<files>``, ``lectureNN/<files>``, or the lecture's
  files directly (a wrapper folder, as zip tools make, is looked through);
* a **.zip** of such a directory, unpacked here with guards: no absolute paths or ``..``, no
  links, at most ``MAX_ENTRIES`` entries, ``MAX_FILE_BYTES`` per file and ``MAX_TOTAL_BYTES`` in
  all, counted on the bytes actually inflated (a zip header's sizes are the attacker's word);
* a **Jupyter notebook** (``.ipynb``, read with nbformat), mapped to the lecture's files by
  ``notebook_files`` (rules below), or a directory or zip holding one;
* a single **.py** file, as if it were a folder holding it.

Staging copies only regular files (never symbolic links: a link could point at the reference
solutions on the grading machine) into a fresh folder the runner then grades.  Whatever is
wrong with a submission becomes a message in that submission's report, never an exception
that stops a batch.

Notebook rules (also in README.md):

1. a code cell starting with ``%%writefile NAME.py`` (or ``%%writefile -a NAME.py``) is that
   file's text, as the magic itself would write it when the notebook runs;
2. a code cell tagged ``file:NAME.py`` is likewise that file's text;
3. every other code cell is *shared code*: IPython magics and ``!shell`` lines are commented
   out, and of each cell only imports, functions, classes and UPPER_CASE constants are kept
   (statements that would run training or plots at import time are left out, and the report
   says how many; a notebook's own check cell, ``import grader; grader.check(...)``, is left out
   silently); the shared code becomes every lecture file that no cell of kind 1 or 2
   wrote.  A cell that is not valid Python is kept as it is, so the learner sees their own
   SyntaxError.
"""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
import stat
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .i18n import _
from .course import Lecture

MAX_ENTRIES = 2000
MAX_FILE_BYTES = 16 << 20
MAX_TOTAL_BYTES = 64 << 20
MAX_DEPTH = 12          # folders deep, in a zip: a course folder is 3 or 4
MAX_DIRS = 500          # folders in a zip, counted from its entries' paths
COPIED_SUFFIXES = {".py", ".txt", ".csv", ".json", ".md"}
SAFE_FILE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
IGNORED_PARTS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git"}


class SubmissionError(Exception):
    """The submission as a whole cannot be read; the message goes into its report."""


@dataclass
class Staged:
    """Where each lecture's files were put, and what the report should say about the submission."""
    lecture_dirs: dict[str, Path] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)   # lecture id -> why it could not be graded
    notes: list[str] = field(default_factory=list)           # shown in the report, grading goes on


# ---------------------------------------------------------------- naming and fingerprints

def submission_id(path: Path) -> str:
    """A file-system-safe name for a submission: the file or folder name without its suffix."""
    name = Path(path).name
    for suffix in (".zip", ".ipynb", ".py"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"
    return safe[:80]


def fingerprint(path: Path) -> str:
    """sha256 over the submission's regular files (names and contents); '' when unreadable."""
    path = Path(path)
    h = hashlib.sha256()
    try:
        if path.is_file():
            h.update(path.read_bytes())
        elif path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and not p.is_symlink() and not IGNORED_PARTS & set(p.relative_to(path).parts):
                    h.update(p.relative_to(path).as_posix().encode() + b"\0")
                    h.update(hashlib.sha256(p.read_bytes()).digest())
        else:
            return ""
    except OSError:
        return ""
    return h.hexdigest()


# ---------------------------------------------------------------- zip archives

def extract_zip(archive: Path, dest: Path) -> Path:
    """Unpack ``archive`` into ``dest`` with the guards described above; returns ``dest``."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(_("{name} is not a readable zip archive ({exc})").format(name=archive.name, exc=exc)) from None
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    total = 0
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise SubmissionError(_("{name} holds {n_infos} entries (at most {MAX_ENTRIES} are accepted)").format(name=archive.name, n_infos=len(infos), MAX_ENTRIES=MAX_ENTRIES))
        folders: set[PurePosixPath] = set()
        for info in infos:
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if len(path.parts) > MAX_DEPTH:
                raise SubmissionError(_("{name}: entry `{v1}` is {v2} folders deep (at most {MAX_DEPTH} are accepted); the "
                                        "archive was refused").format(name=archive.name, v1=info.filename[:200], v2=len(path.parts), MAX_DEPTH=MAX_DEPTH))
            folders.update(path.parents)
            if info.is_dir():
                folders.add(path)
            if len(folders) > MAX_DIRS:
                raise SubmissionError(_("{name} holds more than {MAX_DIRS} folders; the archive was refused").format(name=archive.name, MAX_DIRS=MAX_DIRS))
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise SubmissionError(_("{name}: entry `{filename}` points outside the archive (absolute path or `..`); the "
                                        "archive was refused").format(name=archive.name, filename=info.filename))
            if info.is_dir() or not parts or IGNORED_PARTS & set(parts) or parts[-1] == ".DS_Store":
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                continue  # links are never followed (they could point at files of the grading machine)
            target = (root / Path(*parts)).resolve()
            if root not in target.parents:
                raise SubmissionError(_("{name}: entry `{filename}` points outside the archive").format(name=archive.name, filename=info.filename))
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 16):
                        written += len(chunk)
                        total += len(chunk)
                        if written > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
                            raise SubmissionError(
                                _("{name} inflates to more than {v1} MiB in one file or {v2} MiB in all (a zip bomb?); the "
                                  "archive was refused").format(name=archive.name, v1=MAX_FILE_BYTES >> 20, v2=MAX_TOTAL_BYTES >> 20))
                        out.write(chunk)
            except SubmissionError:
                raise
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as exc:
                raise SubmissionError(_("{name}: cannot unpack `{filename}` ({exc})").format(name=archive.name, filename=info.filename, exc=exc)) from None
    return dest


# ---------------------------------------------------------------- notebooks

_WRITEFILE = re.compile(r"^%%writefile\s+(-a\s+)?(\S+)\s*$")
_MAGIC_LINE = re.compile(r"^\s*[%!]")


def read_notebook(path: Path):
    import nbformat
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids and the like: harmless, not the learner's problem
            nb = nbformat.read(str(path), as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # nbformat raises NotJSONError, ValidationError, TypeError, KeyError, ...
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise SubmissionError(_("the notebook {name} cannot be read: {first} (save it again from Jupyter, or hand in the "
                                ".py files)").format(name=path.name, first=first)) from None
    return nb


def _is_grader_itself(node: ast.stmt) -> bool:
    """``import grader``, ``from grader import ...`` or ``grader.check(...)``: the grader's own cell."""
    if isinstance(node, ast.Import):
        return all(a.name == "grader" or a.name.startswith("grader.") for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "grader"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        while isinstance(func, ast.Attribute):
            func = func.value
        return isinstance(func, ast.Name) and func.id == "grader"
    return False


def _kept_statements(source: str) -> tuple[str, int]:
    """Imports, functions, classes and UPPER_CASE constants of a cell; the number of statements left out."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    kept, dropped = [], 0
    for node in tree.body:
        if _is_grader_itself(node):
            continue  # a notebook's check cell (`import grader; grader.check(...)`): not the learner's code
        keep = isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            keep = all(isinstance(t, ast.Name) and t.id.isupper() for t in targets)
        if keep:
            start = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
            kept.append("".join(lines[start - 1:node.end_lineno]))
        else:
            dropped += 1
    return "".join(k if k.endswith("\n") else k + "\n" for k in kept), dropped


def notebook_files(path: Path, lecture: Lecture) -> tuple[dict[str, str], list[str]]:
    """File name -> text for a lecture, from a notebook (rules in the module docstring); and notes."""
    nb = read_notebook(path)
    claimed: dict[str, list[str]] = {}
    shared: list[str] = []
    notes: list[str] = []
    dropped_total, code_cells = 0, 0
    for number, cell in enumerate(nb.cells, 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if not source.strip():
            continue
        code_cells += 1
        first, _sep, rest = source.partition("\n")
        m = _WRITEFILE.match(first.strip())
        tags = cell.get("metadata", {}).get("tags", []) or []
        tagged = [t.split(":", 1)[1].strip() for t in tags if isinstance(t, str) and t.startswith("file:")]
        if m or tagged:
            name = Path(m.group(2) if m else tagged[0]).name
            if not SAFE_FILE.match(name):
                notes.append(_("{name} cell {number} writes `{name2}`, which is not a plain .py file name: ignored").format(name=path.name, number=number, name2=name))
                continue
            text = rest if m else source
            if m and not m.group(1):
                claimed[name] = []  # %%writefile without -a replaces what an earlier cell wrote, as Jupyter does
            claimed.setdefault(name, []).append(f"# --- {path.name}, cell {number} ---\n{text}\n")
            continue
        if source.lstrip().startswith("%%"):
            notes.append(_("{name} cell {number} is a `{v2}` cell: left out").format(name=path.name, number=number, v2=first.strip().split()[0]))
            continue
        code = "".join(("# " + line) if _MAGIC_LINE.match(line) else line for line in source.splitlines(True))
        try:
            kept, dropped = _kept_statements(code)
        except SyntaxError as exc:
            notes.append(_("{name} cell {number} is not valid Python ({msg}, line {lineno}): kept as it is").format(name=path.name, number=number, msg=exc.msg, lineno=exc.lineno))
            kept, dropped = code, 0
        dropped_total += dropped
        if kept.strip():
            shared.append(f"# --- {path.name}, cell {number} ---\n{kept}\n")
    if not code_cells:
        raise SubmissionError(_("the notebook {name} has no code cells: nothing to grade").format(name=path.name))
    if dropped_total and (shared and any(name not in claimed for name in _lecture_files(lecture))):
        # only where the shared cells became a file: a notebook of %%writefile cells is graded as written
        notes.append(_("{name}: {dropped_total} top-level statement(s) of shared cells were left out (they "
                       "would run when your code is imported); only imports, functions, classes and UPPER_CASE "
                       "constants are graded. Put a whole file in one `%%writefile NAME.py` cell to keep it as "
                       "it is.").format(name=path.name, dropped_total=dropped_total))
    files = {name: f"# generated from {path.name} by grader\n" + "".join(parts) for name, parts in claimed.items()}
    header = f"# generated from {path.name} by grader: the notebook's shared cells\n"
    for ex_file in dict.fromkeys(e.file for e in lecture.exercises):
        if ex_file not in files and shared:
            files[ex_file] = header + "".join(shared)
    return files, notes


# ---------------------------------------------------------------- finding a lecture's files

def _lecture_files(lecture: Lecture) -> list[str]:
    return list(dict.fromkeys(e.file for e in lecture.exercises))


def _look_through_wrappers(root: Path) -> Path:
    """A zip of a folder holds one folder: look inside (twice at most, e.g. alice/course/)."""
    for _unused in range(2):
        entries = [p for p in root.iterdir() if p.name not in IGNORED_PARTS and not p.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
            root = entries[0]
        else:
            break
    return root


def _through_link(root: Path, path: Path) -> bool:
    """Whether ``path`` (inside ``root``) or a folder between them is a symbolic link."""
    while path != root and root in path.parents:
        if path.is_symlink():
            return True
        path = path.parent
    return False


def _find_lecture_dir(root: Path, lecture: Lecture) -> Path | None:
    files = _lecture_files(lecture)
    for candidate in (root / "exercises" / lecture.id, root / lecture.id, root):
        if candidate.is_dir() and any((candidate / f).is_file() for f in files):
            if _through_link(root, candidate):
                # a link could point at the reference solutions on the grading machine
                raise SubmissionError(_("`{v0}` is reached through a symbolic link: links are not graded, hand in the folder "
                                        "itself").format(v0=candidate.relative_to(root).as_posix()))
            return candidate
    return None


def _find_notebook(root: Path, lecture: Lecture) -> Path | None:
    notebooks = [p for p in sorted(root.rglob("*.ipynb")) if p.is_file() and not p.is_symlink()
                 and not IGNORED_PARTS & set(p.relative_to(root).parts)]
    number = f"{lecture.number:02d}"
    named = [p for p in notebooks if lecture.id in p.stem.lower() or re.search(rf"(?<!\d){number}(?!\d)", p.stem)]
    if named:
        return named[0]
    return notebooks[0] if len(notebooks) == 1 else None


def _copy_regular_files(src: Path, dest: Path, notes: list[str]) -> list[str]:
    dest.mkdir(parents=True, exist_ok=True)
    copied, total = [], 0
    for p in sorted(src.iterdir()):
        if p.is_symlink():
            notes.append(_("`{name}` is a symbolic link: links are not graded, hand in the file itself").format(name=p.name))
            continue
        if not p.is_file() or p.suffix not in COPIED_SUFFIXES:
            continue
        total += p.stat().st_size
        if total > MAX_TOTAL_BYTES:
            notes.append(_("files after `{name}` were left out: more than {v1} MiB in all").format(name=p.name, v1=MAX_TOTAL_BYTES >> 20))
            break
        shutil.copyfile(p, dest / p.name)
        copied.append(p.name)
    return copied


def _write_files(files: dict[str, str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (dest / name).write_text(text, encoding="utf-8")


def stage(path: Path, lectures: list[Lecture], dest: Path) -> Staged:
    """Put each lecture's files of the submission at ``dest/<lecture id>/``.

    Raises SubmissionError when the submission as a whole is unreadable (it does not exist,
    an unsupported kind of file, a refused zip, a malformed notebook handed in alone).
    """
    path = Path(path)
    staged = Staged()
    if not path.exists():
        raise SubmissionError(_("{path} does not exist").format(path=path))
    if path.is_symlink():
        raise SubmissionError(_("{path} is a symbolic link: hand in the folder or file itself").format(path=path))
    suffix = path.suffix.lower()
    if path.is_file() and suffix == ".ipynb":
        for lec in lectures:
            files, notes = notebook_files(path, lec)
            staged.notes += [n for n in notes if n not in staged.notes]
            if not files:
                staged.problems[lec.id] = f"the notebook {path.name} has no code for {lec.id}"
                continue
            _write_files(files, dest / lec.id)
            staged.lecture_dirs[lec.id] = dest / lec.id
        return staged
    if path.is_file() and suffix == ".zip":
        root = extract_zip(path, dest / ".unpacked")
    elif path.is_file() and suffix == ".py":
        root = dest / ".single"
        root.mkdir(parents=True)
        shutil.copyfile(path, root / path.name)
    elif path.is_dir():
        root = path
    else:
        raise SubmissionError(_("{name}: cannot grade this kind of file (hand in a folder, a .zip, a .ipynb notebook or "
                                ".py files)").format(name=path.name))
    root = _look_through_wrappers(root)
    if not any(p.is_file() for p in root.rglob("*")):
        raise SubmissionError(_("the submission {name} is empty: it holds no files").format(name=path.name))
    for lec in lectures:
        try:
            folder = _find_lecture_dir(root, lec)
        except SubmissionError as exc:
            staged.problems[lec.id] = str(exc)
            continue
        if folder is not None:
            copied = _copy_regular_files(folder, dest / lec.id, staged.notes)
            missing = [f for f in _lecture_files(lec) if f not in copied]
            if missing:
                staged.notes.append(_("{id}: {v1} missing from the submission (looked in {v2})").format(id=lec.id, v1=', '.join(missing), v2=folder.relative_to(root).as_posix() or 'its top folder'))
            staged.lecture_dirs[lec.id] = dest / lec.id
            continue
        notebook = _find_notebook(root, lec)
        if notebook is not None:
            try:
                files, notes = notebook_files(notebook, lec)
            except SubmissionError as exc:
                staged.problems[lec.id] = str(exc)
                continue
            staged.notes += [n for n in notes if n not in staged.notes]
            _write_files(files, dest / lec.id)
            staged.lecture_dirs[lec.id] = dest / lec.id
            continue
        staged.problems[lec.id] = (f"none of {lec.id}'s files ({', '.join(_lecture_files(lec))}) is in the "
                                   f"submission: looked in exercises/{lec.id}/, {lec.id}/ and its top folder, "
                                   "and for a notebook")
    return staged
