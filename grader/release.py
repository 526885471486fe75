"""What leaves the course repository: the student bundle and the Gradescope autograder.

**The student bundle** (``grader release --out DIR``) is a folder a class repository is made
from: ``exercises/`` (the stubs and the lecture READMEs), the ``grader`` package with the
metadata and the *public* checks of the released lectures, ``templates/``, ``pyproject.toml``,
a README, a GitHub Actions workflow (``.github/workflows/grader.yml``) and ``RELEASE.json``.
Learners run ``python -m grader check lectureNN`` inside it (no install needed) or install it.

How hidden checks stay out: they are defined in a file of their own,
``grader/checks/hidden/lectureNN.py``, which no release copies; at release time each lecture's
TOML loses its ``[[checks]]`` tables marked ``hidden = true`` (re-parsed and validated with the
course's own loader), and the release is refused if the public module defines a hidden check.  Solutions never enter: nothing is copied
from ``solutions/`` and stubs are proven to be what the generator makes from them.  The
evaluation split of a data set ships only if a public check of a released lecture asks for
``eval_set`` (a learner could read its labels); otherwise it is left out.

**The Gradescope autograder** (``grader gradescope LECTURE --out autograder.zip``) holds
``setup.sh`` (a virtual environment with pinned dependencies), ``run_autograder`` (grades
``/autograder/submission`` and writes ``/autograder/results/results.json``; the root moves
with ``GRADER_AUTOGRADER_ROOT``) and the grader with *all* the lecture's checks: it runs on
Gradescope's machines, never on a learner's.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import stat
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

from . import __version__
from . import data as datasets
from .course import CHECKS_DIR, HIDDEN_CHECKS_DIR, LECTURES_DIR, CourseError, Lecture, lecture_ids, parse_lecture
from .stubs import stale_stubs
from .workspace import PACKAGE_DIR, REPO_DIR, WorkspaceError, resource_dir, solutions_dir

WORKFLOW = REPO_DIR / "docs" / "github-actions" / "grader.yml"
_HEADER = re.compile(r"^\[\[?[A-Za-z0-9_.\-\" ]+\]\]?\s*(#.*)?$")


class ReleaseError(Exception):
    pass


# ---------------------------------------------------------------- hiding checks

def filter_lecture_toml(text: str, lecture_id: str) -> tuple[str, list[str]]:
    """The TOML without its ``hidden = true`` checks, validated; and the hidden checks' names."""
    lines = text.splitlines(keepends=True)
    starts = [0] + [i for i, line in enumerate(lines) if i and _HEADER.match(line)]
    sections = ["".join(lines[a:b]) for a, b in zip(starts, starts[1:] + [len(lines)])]
    kept, hidden = [], []
    for section in sections:
        if section.lstrip().startswith("[[checks]]"):
            try:
                (entry,) = tomllib.loads(section)["checks"]
            except (tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
                raise ReleaseError(f"{lecture_id}.toml: cannot read a [[checks]] table on its own ({exc})") from None
            if entry.get("hidden") is True:
                hidden.append(entry["name"])
                continue
        kept.append(section)
    out = "".join(kept)
    try:
        original = parse_lecture(lecture_id, tomllib.loads(text))
        public = parse_lecture(lecture_id, tomllib.loads(out))
    except (tomllib.TOMLDecodeError, CourseError) as exc:
        raise ReleaseError(f"{lecture_id}.toml without its hidden checks is not valid: {exc}") from None
    want = [c.name for c in original.checks if not c.hidden]
    if [c.name for c in public.checks] != want or any(c.hidden for c in public.checks):
        raise ReleaseError(f"{lecture_id}.toml: filtering hidden checks went wrong (kept {[c.name for c in public.checks]}, "
                           f"expected {want})")
    return out, hidden


def public_check_sources(lecture: Lecture) -> tuple[str, str, list[str]]:
    """(TOML text, check module text, hidden check names) as the release ships them: the TOML
    without its hidden checks, and the public check module, which must define none of them (they
    live in checks/hidden/, which no release holds)."""
    toml_text, hidden = filter_lecture_toml((LECTURES_DIR / f"{lecture.id}.toml").read_text(encoding="utf-8"),
                                            lecture.id)
    module = lecture.checks_path.read_text(encoding="utf-8")
    defined = {n.name for n in ast.parse(module).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    misplaced = sorted(defined & {f"test_{name}" for name in hidden})
    if misplaced:
        raise ReleaseError(f"{lecture.checks_path.name} defines hidden check(s) {', '.join(misplaced)}: move them to "
                           f"grader/checks/hidden/{lecture.id}.py")
    return toml_text, module, hidden


def _uses_eval_set(module_text: str) -> bool:
    tree = ast.parse(module_text)
    return any(isinstance(n, ast.FunctionDef) and n.name.startswith("test_") and
               any(a.arg == "eval_set" for a in n.args.args) for n in tree.body)


# ---------------------------------------------------------------- copying

def _copy_package(dest: Path, lectures: list[Lecture], *, exclude: set[Path]) -> None:
    """The grader package without caches, other lectures' checks and metadata, and ``exclude``."""
    released = {lec.id for lec in lectures}
    other = {CHECKS_DIR / f"{i}.py" for i in lecture_ids() if i not in released}
    other |= {LECTURES_DIR / f"{i}.toml" for i in lecture_ids() if i not in released}
    other |= {p for p in CHECKS_DIR.glob("lecture*.py") if p.stem not in released}
    other.add(HIDDEN_CHECKS_DIR)  # never in a learner's hands

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = set()
        for name in names:
            p = Path(folder) / name
            if name == "__pycache__" or name.endswith((".pyc", ".tmp")) or p in other or p in exclude:
                skip.add(name)
        return skip

    shutil.copytree(PACKAGE_DIR, dest, ignore=ignore)


def _release_catalog(pkg: Path, hidden: set[str]) -> None:
    """The bundle's translations without what a learner must not read.  The .pot (a build artefact)
    and any compiled .mo go (the .po is compiled in memory at first use); the .po loses every
    message extracted from a hidden check (its description, in both languages) and every source
    reference and extraction comment (they name checks and files the bundle does not hold)."""
    from babel.messages.pofile import read_po, write_po
    locale = pkg / "locale"
    for artefact in [*locale.glob("*.pot"), *locale.glob("*/LC_MESSAGES/*.mo")]:
        artefact.unlink()
    prefix = "description of check "
    for po in locale.glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as f:
            catalog = read_po(f)
        for message in list(catalog):
            if not message.id:
                continue  # the header
            of_hidden = any(c.startswith(prefix) and c[len(prefix):] in hidden for c in message.auto_comments)
            in_hidden = any(Path(where).parts[:3] == ("grader", "checks", "hidden") for where, _line in message.locations)
            if of_hidden or in_hidden:
                catalog.delete(message.id, message.context)
            else:
                message.auto_comments, message.locations = [], []
        with po.open("wb") as f:
            write_po(f, catalog, no_location=True)


def _data_left_out(lectures: list[Lecture], eval_needed: set[str]) -> set[Path]:
    """Data sets no released lecture uses (their whole folder), and evaluation splits no public check reads."""
    used = {name for lec in lectures for name in lec.data}
    out: set[Path] = set()
    for name, (public, eval_folder) in datasets.DATASETS.items():
        if name not in used:
            tops = {datasets.DATA_DIR / Path(p).relative_to(datasets.DATA_DIR).parts[0]
                    for p in [*public.values(), eval_folder]}
            out |= tops if len(tops) == 1 else {Path(p) for p in [*public.values(), eval_folder]}
        elif name not in eval_needed:
            out.add(Path(eval_folder))
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_stubs(lectures: list[Lecture]) -> None:
    try:
        sol_root = solutions_dir()
    except WorkspaceError:
        return  # an installed grader without solutions: its stubs are what shipped
    for lec in lectures:
        stale = stale_stubs(sol_root / lec.id, resource_dir("exercises") / lec.id)
        if stale:
            raise ReleaseError(f"{lec.id}: the stubs in exercises/ are not what solutions/ makes ({', '.join(stale)}); "
                               "run `grader stubs` first")


def _student_readme(lectures: list[Lecture]) -> str:
    rows = "\n".join(f"| `{lec.id}` | {lec.title} | {lec.title_zh} | {lec.max_points:g} |" for lec in lectures)
    return f"""# PyTorch深度学习实践 · exercises

Fill in the files in `exercises/lectureNN/` (each folder's README states the tasks, in English and
Chinese); every place to fill in raises `NotImplementedError` until you do.

Check your work (Python 3.10+ with torch installed; nothing else to install):

```bash
python -m grader check lecture05        # one lecture
python -m grader check --all            # every lecture
python -m grader hint lecture05         # the next hint
```

or install it once (`pip install -e .`) and type `grader check lecture05`.

| lecture | title | 标题 | points |
| --- | --- | --- | ---: |
{rows}

The checks here are the public ones; your instructor may grade with more.
"""


def build_release(out: Path, lectures: list[Lecture], *, force: bool = False) -> dict:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise ReleaseError(f"{out} is not empty: choose a new folder (or --force to replace an earlier release)")
        if not (out / "RELEASE.json").is_file():
            raise ReleaseError(f"{out} is not empty and holds no RELEASE.json: --force only replaces an earlier release")
        shutil.rmtree(out)
    if not lectures:
        raise ReleaseError("no lectures to release")
    _check_stubs(lectures)
    sources = {lec.id: public_check_sources(lec) for lec in lectures}
    out.mkdir(parents=True, exist_ok=True)
    eval_needed = {name for lec in lectures if _uses_eval_set(sources[lec.id][1]) for name in lec.data}
    _copy_package(out / "grader", lectures, exclude=_data_left_out(lectures, eval_needed))
    for lec in lectures:
        toml_text, module, _ = sources[lec.id]
        (out / "grader" / "lectures" / f"{lec.id}.toml").write_text(toml_text, encoding="utf-8")
        (out / "grader" / "checks" / f"{lec.id}.py").write_text(module, encoding="utf-8")
        shutil.copytree(resource_dir("exercises") / lec.id, out / "exercises" / lec.id,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _release_catalog(out / "grader", {name for lec in lectures for name in sources[lec.id][2]})
    shutil.copytree(resource_dir("templates"), out / "templates")
    if (REPO_DIR / "pyproject.toml").is_file():
        shutil.copyfile(REPO_DIR / "pyproject.toml", out / "pyproject.toml")
    if WORKFLOW.is_file():
        (out / ".github" / "workflows").mkdir(parents=True)
        shutil.copyfile(WORKFLOW, out / ".github" / "workflows" / "grader.yml")
    (out / "README.md").write_text(_student_readme(lectures), encoding="utf-8")
    (out / ".gitignore").write_text(".grader/\n__pycache__/\n*.pyc\nreports/\n", encoding="utf-8")
    leaked = [p for p in out.rglob("*") if "solutions" in p.relative_to(out).parts]
    if leaked:
        raise ReleaseError(f"solutions in the bundle: {leaked}")
    files = {p.relative_to(out).as_posix(): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
    manifest = {
        "grader_version": __version__,
        "lectures": [lec.id for lec in lectures],
        "public_checks": sum(len(lec.checks) - len(sources[lec.id][2]) for lec in lectures),
        "hidden_checks": sum(len(sources[lec.id][2]) for lec in lectures),
        "evaluation_data_shipped": sorted(eval_needed),
        "files": files,
    }
    (out / "RELEASE.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


# ---------------------------------------------------------------- Gradescope

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# A virtual environment with the versions the course was verified with (torch from the CPU index).
set -euo pipefail
apt-get install -y python3 python3-venv python3-pip >/dev/null 2>&1 || true
# the sandbox learner code runs in; without it the autograder refuses to grade (unless built with
# --allow-unsandboxed)
apt-get install -y bubblewrap >/dev/null 2>&1 || true
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu {torch}
/autograder/venv/bin/pip install {rest}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, from /autograder: it grades /autograder/submission
# and writes /autograder/results/results.json.  GRADER_AUTOGRADER_ROOT moves the root (tests use a
# temporary folder laid out the same way); GRADER_PYTHON picks the interpreter.
set -u
root="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
py="${{GRADER_PYTHON:-}}"
if [ -z "$py" ]; then
  if [ -x "$root/venv/bin/python" ]; then py="$root/venv/bin/python"; else py=python3; fi
fi
mkdir -p "$root/results"
rm -f "$root/results/results.json"
cd "$root/source" || exit 0
PYTHONPATH="$root/source" "$py" -m grader autograde {lecture} --submission "$root/submission" \\
  --results "$root/results/results.json" --hidden-visibility {visibility}{unsandboxed}
if [ ! -s "$root/results/results.json" ]; then
  # fail closed: the learner gets a zero and a reason, never a silent pass
  printf '%s\\n' '{{"score": 0, "output": "The autograder stopped before it could grade this submission; this is not a verdict on your code: please tell your instructor.", "tests": []}}' \\
    > "$root/results/results.json"
fi
exit 0
"""


def _pinned(names: list[str]) -> list[str]:
    out = []
    for name in names:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(name)
    return out


def _dependencies() -> list[str]:
    try:
        deps = tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        deps = ["torch", "torchvision", "click", "jinja2", "nbformat", "pytest", "rich"]
    return [re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0] for d in deps]


def build_gradescope(out_zip: Path, lecture: Lecture, *, hidden_visibility: str = "after_due_date",
                     allow_unsandboxed: bool = False) -> list[str]:
    """Write the autograder zip; returns the names inside it."""
    deps = _dependencies()
    torch_deps = [d for d in deps if d in ("torch", "torchvision")]
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": (SETUP_SH.format(torch=" ".join(_pinned(torch_deps)),
                                     rest=" ".join(_pinned([d for d in deps if d not in torch_deps]))).encode(), 0o755),
        "run_autograder": (RUN_AUTOGRADER.format(lecture=lecture.id, visibility=hidden_visibility,
                                                 unsandboxed=" --allow-unsandboxed" if allow_unsandboxed else "")
                           .encode(), 0o755),
    }
    released = {lecture.id}
    skip = {CHECKS_DIR / f"{i}.py" for i in lecture_ids() if i not in released}
    skip |= {LECTURES_DIR / f"{i}.toml" for i in lecture_ids() if i not in released}
    skip |= {p for p in CHECKS_DIR.glob("lecture*.py") if p.stem not in released}
    skip |= {p for p in HIDDEN_CHECKS_DIR.glob("lecture*.py") if p.stem not in released}  # the lecture's own are in
    for root, prefix in ((PACKAGE_DIR, "grader"), (resource_dir("templates"), "templates")):
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if p.is_file() and p not in skip and "__pycache__" not in rel.parts and p.suffix not in (".pyc", ".tmp"):
                entries[f"{prefix}/{rel.as_posix()}"] = (p.read_bytes(), 0o644)
    if (REPO_DIR / "pyproject.toml").is_file():
        entries["pyproject.toml"] = ((REPO_DIR / "pyproject.toml").read_bytes(), 0o644)
    if any("solutions" in Path(name).parts for name in entries):
        raise ReleaseError("solutions would enter the autograder zip")
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_zip.with_name(f".{out_zip.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, (data, mode) in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    tmp.replace(out_zip)
    return sorted(entries)
