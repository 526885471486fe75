"""The plain-Python entry points: what ``grader check``, ``grader hint`` and ``grader grade`` do, as
functions for scripts and notebooks; the click commands (``grader.cli``) are thin layers over them.

    from grader import api
    result = api.check("lecture05", on_check=print)   # a LectureResult, also saved in the learner's .grader/;
                                                      # on_check: each check's result as it finishes
    print(api.hint("lecture05"))             # the next hint of the first unfinished exercise
    print(api.hint("lecture05", "train"))    # ... of the exercise that asks for `train`
    api.reset("lecture05", "train")          # that exercise's code as shipped (the learner's file backed up)
    api.watch("lecture05", on_result=...)    # check again on every save, until KeyboardInterrupt
    summary = api.grade(["alice.zip", "bob/"], ["lecture05"], "out/")   # a class, in batch

A request that cannot be done as asked (an unknown lecture, a missing folder, no CUDA) raises
``UsageError`` (exit 2 on the command line); a grader that cannot grade on this machine as it is
set up (no sandbox where one is required) raises ``CannotGrade`` (exit 3).  A verdict on the
learner's code is never an exception: it is in the result.  Heavy imports (torch, pytest, the
runner) happen inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .i18n import N_, _
from .course import CourseError, Exercise, Lecture, all_lectures, lecture_ids, load_lecture
from .results import CheckResult, LectureResult, SubmissionResult
from .workspace import State, WorkspaceError, find_workdir, lecture_at, pristine_stubs


OnCheck = Callable[[CheckResult], None]  # told each check's result as soon as its verdict is final


class UsageError(ValueError):
    """What was asked cannot be done as asked (exit 2 on the command line)."""


class CannotGrade(RuntimeError):
    """The grader cannot grade on this machine as it is set up: not the learner's doing (exit 3)."""


# ---------------------------------------------------------------- what a request names

def resolve_lecture(lecture: str | Lecture) -> Lecture:
    """A lecture by its id or number (``lecture05``, ``05``, ``5``)."""
    if isinstance(lecture, Lecture):
        return lecture
    try:
        return load_lecture(lecture)
    except CourseError as exc:
        raise UsageError(str(exc)) from None


def resolve_lectures(lectures: Iterable[str | Lecture]) -> list[Lecture]:
    """Each lecture once, in the order first named."""
    out: dict[str, Lecture] = {}
    for text in lectures:
        lec = resolve_lecture(text)
        out.setdefault(lec.id, lec)
    return list(out.values())


def resolve_workdir(path: str | os.PathLike | None = None) -> Path:
    """The given working directory, or the nearest one (this directory or a parent) holding exercises/.
    A given path may also be the ``exercises/`` folder itself, or a lecture's folder in it."""
    try:
        if path:
            p = Path(path).resolve()
            if not p.is_dir():
                raise UsageError(_("--workdir {path}: no such directory ({p})").format(path=path, p=p))
            if not (p / "exercises").is_dir():
                if p.name == "exercises":
                    return p.parent
                if lecture_at(p) and p.parent.name == "exercises":
                    return p.parent.parent
            return p
        return find_workdir()
    except WorkspaceError as exc:
        raise UsageError(str(exc)) from None


def lecture_here(path: str | os.PathLike | None = None) -> Lecture | None:
    """The lecture whose folder ``exercises/lectureNN/`` holds ``path`` (default: the current directory)."""
    found = lecture_at(Path(path) if path else None)
    return resolve_lecture(found) if found else None


def resolve_exercise(lecture: Lecture, name: str) -> Exercise:
    """An exercise by its name or by a function or class it asks for (``train`` is lecture05's ``training_loop``)."""
    try:
        return lecture.exercise(name)
    except KeyError:
        pass
    ex = lecture.exercise_of_symbol(name)
    if ex:
        return ex
    known = "; ".join(f"{e.name} ({', '.join(e.symbols)})" for e in lecture.exercises)
    raise UsageError(_("{id} has no exercise `{name}`; its exercises (and what they define): {known}").format(id=lecture.id, name=name, known=known))


def next_lecture(lecture: str | Lecture) -> Lecture | None:
    """The lecture after this one in the course; None after the last."""
    lec = resolve_lecture(lecture)
    later = [x for x in lecture_ids() if x > lec.id]
    return load_lecture(later[0]) if later else None


def resolve_device(choice: str = "auto") -> str:
    """``cpu`` or ``cuda`` for ``auto|cpu|cuda``; asking for CUDA where there is none is a usage error."""
    if choice not in ("auto", "cpu", "cuda"):
        raise UsageError(_("device {choice!r}: choose auto, cpu or cuda").format(choice=choice))
    if choice == "cpu":
        return "cpu"
    if choice == "auto" and not (Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()):
        return "cpu"  # no NVIDIA driver: skip importing torch just to ask (it would delay the worker's start)
    import torch
    if torch.cuda.is_available():
        return "cuda"
    if choice == "cuda":
        raise UsageError(_("--device cuda: CUDA is not available on this machine (torch.cuda.is_available() is "
                           "False)"))
    return "cpu"


def with_data(lecture: Lecture, name: str) -> Lecture:
    """The lecture on a full-size data set, its files prepared now: a usage error when they are missing."""
    from .data import DataUnavailable, public_files
    try:
        lec = lecture.with_data(name)
        for data_name in lec.data:
            public_files(data_name)
    except (CourseError, DataUnavailable) as exc:
        raise UsageError(str(exc)) from None
    return lec


# ---------------------------------------------------------------- a learner's own work

def _run(lecture: Lecture, workdir: Path, device: str, on_check: OnCheck | None = None) -> LectureResult:
    from .runner import run_lecture
    started = time.time()
    result = run_lecture(lecture, workdir / "exercises" / lecture.id, device=device, on_check=on_check)
    if any(note.startswith((INTERRUPTED, _(INTERRUPTED))) for note in result.notes):
        return result  # Ctrl-C mid-check (`grader watch` quits so): not the learner's last result
    try:
        State(workdir).save_result(result, started)
    except OSError:
        pass  # a read-only working directory still gets its result
    return result


INTERRUPTED = N_("the grading was interrupted")  # how grader.runner notes a run stopped by SIGINT


def notebook_for(lecture: str | Lecture, workdir: str | os.PathLike | None = None) -> tuple[Lecture, Path] | None:
    """(lecture, notebook) when ``lecture`` is a notebook's path (``path/lecture05.ipynb``), or when the folder
    ``workdir`` (default: the current directory) holds a notebook of the lecture named (``lecture05.ipynb``);
    None when there is no notebook to grade."""
    from .notebooks import find_notebook, lecture_of_notebook
    if isinstance(lecture, str) and lecture.lower().endswith(".ipynb"):
        path = Path(lecture).expanduser()
        if not path.is_absolute() and workdir and not path.exists():
            path = Path(workdir) / path
        if not path.is_file():
            raise UsageError(_("no such notebook: {path}").format(path=path))
        found = lecture_of_notebook(path)
        if found is None:
            raise UsageError(_("which lecture is {name} for? name it for its lecture (e.g. lecture05.ipynb)").format(
                name=path.name))
        return resolve_lecture(found), path.resolve()
    lec = resolve_lecture(lecture)
    folder = Path(workdir) if workdir else Path.cwd()
    if not folder.is_dir():
        return None
    path = find_notebook(lec, folder)
    return (lec, path.resolve()) if path else None


def check_notebook(notebook: str | os.PathLike, lecture: str | Lecture | None = None, device: str = "auto",
                   data: str | None = None, *, on_check: OnCheck | None = None) -> LectureResult:
    """Grade a notebook: its cells become the lecture's files by the rules of batch grading
    (``grader.submissions``), graded in the sandboxed worker like any files; what was left out of it is
    in the result's notes.  The result is saved as the last one in the notebook's folder (``.grader/``)."""
    import tempfile
    from .notebooks import lecture_of_notebook, stage
    from .runner import run_lecture
    from .submissions import SubmissionError
    path = Path(notebook).resolve()
    if lecture is None:
        found = lecture_of_notebook(path)
        if found is None:
            raise UsageError(_("which lecture is {name} for? name it for its lecture (e.g. lecture05.ipynb)").format(
                name=path.name))
        lecture = found
    lec = resolve_lecture(lecture)
    if data:
        lec = with_data(lec, data)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="grader-notebook-") as tmp:
        try:
            notes = stage(path, lec, Path(tmp) / lec.id)
        except SubmissionError as exc:
            raise UsageError(str(exc)) from None
        result = run_lecture(lec, Path(tmp) / lec.id, device=resolve_device(device), on_check=on_check)
    where = f"exercises/{lec.id}/"  # how the runner names the lecture's files: here they are the notebook's cells
    for c in result.checks:
        c.message = c.message.replace(where, f"{path.name} › ")
    saved = time.strftime("%H:%M:%S", time.localtime(path.stat().st_mtime))
    result.notes[:0] = [_("graded the notebook {name} as saved at {time}").format(name=path.name, time=saved), *notes]
    if not any(note.startswith((INTERRUPTED, _(INTERRUPTED))) for note in result.notes):
        try:
            State(path.parent).save_result(result, started)
        except OSError:
            pass
    return result


def check(lecture: str | Lecture, workdir: str | os.PathLike | None = None, device: str = "auto",
          data: str | None = None, *, on_check: OnCheck | None = None) -> LectureResult:
    """Grade ``WORKDIR/exercises/LECTURE/`` (the nearest working directory by default), on ``data``
    (a full-size data set, e.g. ``fashion-mnist``) when given; save the result as the learner's last.
    ``on_check`` is called with each check's ``CheckResult`` as its verdict comes in (live progress).
    A notebook is graded instead (``check_notebook``) when ``lecture`` is a notebook's path, or when the
    folder ``workdir`` (default: the current directory) holds the lecture's notebook (``lecture05.ipynb``)."""
    nb = notebook_for(lecture, workdir)
    if nb:
        return check_notebook(nb[1], nb[0], device, data, on_check=on_check)
    wd = resolve_workdir(workdir)
    lec = resolve_lecture(lecture)
    folder = wd / "exercises" / lec.id
    if not folder.is_dir():
        raise UsageError(_("no folder for {id}: looked for {folder}").format(id=lec.id, folder=folder))
    if data:
        lec = with_data(lec, data)
    return _run(lec, wd, resolve_device(device), on_check)


def check_all(workdir: str | os.PathLike | None = None, device: str = "auto", *,
              each: Callable[[LectureResult], None] | None = None, on_check: OnCheck | None = None,
              before: Callable[[Lecture], None] | None = None) -> SubmissionResult:
    """Grade every lecture that has a folder in ``WORKDIR/exercises/``, one after the other (``before`` is
    called with each lecture as it starts, ``on_check`` with each check's result as it comes in, ``each``
    with each lecture's result as it is done); the lot as one submission named "all lectures"."""
    wd = resolve_workdir(workdir)
    lecs = [x for x in all_lectures() if (wd / "exercises" / x.id).is_dir()]
    if not lecs:
        raise UsageError(_("--all: no lecture folders in {v0}").format(v0=wd / 'exercises'))
    dev = resolve_device(device)
    results = []
    for lec in lecs:
        if before:
            before(lec)
        results.append(_run(lec, wd, dev, on_check))
        if each:
            each(results[-1])
    return SubmissionResult.of(results, name="all lectures")


def watch(lecture: str | Lecture, workdir: str | os.PathLike | None = None, device: str = "auto", *,
          on_result: Callable[[LectureResult, list[str]], None], on_check: OnCheck | None = None,
          before: Callable[[list[str]], None] | None = None, on_problem: Callable[[str], None] | None = None,
          stop_event=None) -> None:
    """Check ``lecture`` now, then again after every save of one of its ``.py`` files (watchfiles), until
    ``KeyboardInterrupt`` (or ``stop_event`` is set).  ``before`` is told the files changed (none the first
    time), ``on_check`` each check as it comes in, ``on_result`` the result and those files.  A grading the
    grader itself could not finish (an error in the grader, a folder gone) is told to ``on_problem`` and
    watching goes on; the learner's code, broken or not, is graded like any other."""
    from watchfiles import PythonFilter
    from watchfiles import watch as watch_files
    lec = resolve_lecture(lecture)
    wd = resolve_workdir(workdir)
    folder = wd / "exercises" / lec.id
    if not folder.is_dir():
        raise UsageError(_("no folder for {id}: looked for {folder}").format(id=lec.id, folder=folder))
    dev = resolve_device(device)

    def once(changed: list[str]) -> None:
        if before:
            before(changed)
        try:
            result = _run(lec, wd, dev, on_check)
        except Exception as exc:  # the grader's own failure: said, and the next save is checked again
            if on_problem:
                on_problem(f"{type(exc).__name__}: {exc}")
            return
        on_result(result, changed)

    once([])
    # step: a save is graded 50 ms after the last event of it; debounce: at most 400 ms of events grouped
    for changes in watch_files(folder, watch_filter=PythonFilter(), debounce=400, step=50, stop_event=stop_event,
                               raise_interrupt=True):
        once(sorted({Path(path).name for _, path in changes}))


def hint(lecture: str | Lecture, exercise: str | None = None, workdir: str | os.PathLike | None = None) -> str:
    """Reveal the next hint of ``exercise`` (a name, or a function it defines; by default the first one
    not passed at the last check) and return what to show; once every hint is revealed, all of them.
    An exercise whose checks all passed at the last check gets no hint (the text says so)."""
    lec = resolve_lecture(lecture)
    if workdir is None and notebook_for(lec) is not None:
        workdir = Path.cwd()  # a notebook's folder: its .grader/ holds the notebook's last result and hints
    state = State(resolve_workdir(workdir))
    last = state.last_result(lec.id)
    done = {e.name for e in last.exercises if e.status == "passed"} if last else set()
    if exercise is None:
        pending = [e for e in lec.exercises if e.name not in done]
        if not pending:
            after = next_lecture(lec)
            return (_("{lecture}: every exercise passed at your last check; no hint needed. ").format(lecture=lec.id)
                    + (_("next: {lecture} · {title}").format(lecture=after.id, title=_(after.title)) if after
                       else _("That was the last lecture: the course is done.")))
        ex = pending[0]
    else:
        ex = resolve_exercise(lec, exercise)
        if ex.name in done:
            return _("{lecture}/{exercise}: its checks passed at your last check; no hint needed "
                     "(`grader check {lecture}` again if you changed it since)").format(lecture=lec.id, exercise=ex.name)
    shown = state.hints_revealed(lec.id, ex.name)
    if shown >= len(ex.hints):
        return "\n".join([_("{lecture}/{exercise}: all {n} hints are shown:").format(lecture=lec.id, exercise=ex.name,
                                                                                   n=len(ex.hints)),
                          *(f"  {i}. {_(h)}" for i, h in enumerate(ex.hints, 1))])
    n = state.reveal_hint(lec.id, ex.name)
    return (_("{lecture}/{exercise} ({title} · {title_zh}), hint {n} of {total}:").format(
                lecture=lec.id, exercise=ex.name, title=ex.title, title_zh=ex.title_zh, n=n, total=len(ex.hints))
            + f"\n  {_(ex.hints[n - 1])}")


def forget_hints(lecture: str | Lecture | None = None, exercise: str | None = None,
                 workdir: str | os.PathLike | None = None) -> str:
    """Forget the hints revealed: of one exercise, of one lecture, or (no lecture) of the whole course."""
    state = State(resolve_workdir(workdir))
    if lecture is None:
        n = state.forget_hints()
        return _("forgot the {n} hint(s) revealed in the course").format(n=n) if n else _("no hints were revealed")
    lec = resolve_lecture(lecture)
    ex = resolve_exercise(lec, exercise) if exercise else None
    n = state.forget_hints(lec.id, ex.name if ex else None)
    where = f"{lec.id}/{ex.name}" if ex else lec.id
    return (_("{where}: forgot the {n} hint(s) revealed").format(where=where, n=n) if n
            else _("{where}: no hints were revealed").format(where=where))


# ---------------------------------------------------------------- the learner's files

def init(directory: str | os.PathLike, *, notebooks: bool = False, lang: str | None = None) -> Path:
    """Make a working directory with every lecture's pristine stubs (never an edited working copy); returns
    its ``exercises/`` folder.  ``notebooks``: one notebook per lecture instead (``lectureNN.ipynb`` in
    ``directory``, in ``lang``, default the language in use); returns ``directory``."""
    if notebooks:
        from .notebooks import write_notebooks
        try:
            write_notebooks(directory, lang)
        except FileExistsError as exc:
            raise UsageError(str(exc)) from None
        return Path(directory).resolve()
    target = Path(directory).resolve() / "exercises"
    if target.exists():
        raise UsageError(_("{target} already exists: choose an empty directory").format(target=target))
    stubs = {lec: _pristine(lec) for lec in lecture_ids()}
    for lec, files in stubs.items():
        (target / lec).mkdir(parents=True)
        for name, text in files.items():
            (target / lec / name).write_text(text, encoding="utf-8")
    return target


def _pristine(lecture_id: str) -> dict[str, str]:
    try:
        return pristine_stubs(lecture_id)
    except WorkspaceError as exc:
        raise UsageError(str(exc)) from None


@dataclass
class Reset:
    """What ``reset`` did: the files restored, those already as shipped, and where the learner's copies went."""
    lecture: str
    restored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    backup: Path | None = None
    note: str = ""


def reset(lecture: str | Lecture, exercise: str | None = None, workdir: str | os.PathLike | None = None) -> Reset:
    """Restore the stubs of ``lecture`` (or only what ``exercise`` asks for: its functions and classes, where
    its file holds other exercises too) from the pristine originals, after copying each file it changes
    into ``.grader/backups/``."""
    lec = resolve_lecture(lecture)
    wd = resolve_workdir(workdir)
    folder = wd / "exercises" / lec.id
    pristine = _pristine(lec.id)
    out = Reset(lec.id)
    if exercise is None:
        wanted = dict(pristine)
    else:
        ex = resolve_exercise(lec, exercise)
        own = [s for s in ex.symbols if lec.exercise_of_symbol(s) == ex]  # what it asks the learner to write
        if not own:
            raise UsageError(_("{id}/{name} asks for no code of its own (it uses {v2} of other exercises): reset those, "
                               "or the whole lecture").format(id=lec.id, name=ex.name, v2=', '.join(ex.symbols)))
        if ex.file not in pristine:
            raise UsageError(_("no pristine copy of {file}").format(file=ex.file))
        current = _read_or_none(folder / ex.file)
        others = [e.name for e in lec.exercises if e != ex and e.file == ex.file
                  and any(lec.exercise_of_symbol(s) == e for s in e.symbols)]
        text = pristine[ex.file]
        if current is not None and others:
            try:  # only this exercise's functions and classes: the others in its file stay as they are
                text = replace_definitions(current, pristine[ex.file], own)
            except ValueError as exc:
                out.note = _("{file} also holds {others}: the whole file was reset, because {reason}").format(
                    file=ex.file, others=', '.join(others), reason=exc)
        wanted = {ex.file: text}
    changed = []
    for name, text in wanted.items():
        if _read_or_none(folder / name) == text:
            out.unchanged.append(name)
        else:
            changed.append(name)
    existing = [folder / n for n in changed if (folder / n).is_file()]
    if existing:
        out.backup = State(wd).backup(existing, lec.id)
    folder.mkdir(parents=True, exist_ok=True)
    for name in changed:
        (folder / name).write_text(wanted[name], encoding="utf-8")
        out.restored.append(name)
    return out


def _read_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def replace_definitions(current: str, pristine: str, symbols: Iterable[str]) -> str:
    """``current`` with the top-level definitions of ``symbols`` (decorators and all) replaced by
    ``pristine``'s; ValueError when either does not parse or lacks one of them."""
    import ast

    def spans(text: str, what: str) -> dict[str, tuple[int, int]]:
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            raise ValueError(_("{what} does not parse (line {line}: {msg})").format(what=what, line=exc.lineno, msg=exc.msg)) from None
        lines = text.splitlines()
        found = {}
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                end = j = node.end_lineno
                while j < len(lines):  # comments still indented into the body (`# END SOLUTION`) belong to it
                    line = lines[j]
                    if line.strip() and not (line.lstrip().startswith("#")
                                             and len(line) - len(line.lstrip()) > node.col_offset):
                        break
                    j += 1
                    end = j if line.strip() else end
                found[node.name] = (start - 1, end)
        return found

    have, ship = spans(current, "your file"), spans(pristine, "the stub")
    lines, stub_lines = current.splitlines(keepends=True), pristine.splitlines(keepends=True)
    for symbol in symbols:
        if symbol not in have:
            raise ValueError(_("your file defines no `{symbol}`").format(symbol=symbol))
        if symbol not in ship:
            raise ValueError(_("the stub defines no `{symbol}`").format(symbol=symbol))
    # from the bottom up, so the line numbers above stay right
    for symbol in sorted(symbols, key=lambda s: have[s][0], reverse=True):
        a, b = have[symbol]
        c, d = ship[symbol]
        lines[a:b] = stub_lines[c:d]
    return "".join(lines)


def course_overview(workdir: str | os.PathLike | None = None) -> list[tuple[Lecture, LectureResult | None, bool]]:
    """Each lecture of the course with the learner's last result (None: never checked) and whether it is
    stale (a file of the lecture changed after that check began)."""
    state = State(resolve_workdir(workdir))
    rows = []
    for lec in all_lectures():
        last = state.last_result(lec.id)
        rows.append((lec, last, bool(last) and state.is_stale(lec.id)))
    return rows


# ---------------------------------------------------------------- a class

def grade(submissions: Iterable[str | os.PathLike] | str | os.PathLike, lectures: Iterable[str | Lecture] | str | Lecture,
          out: str | os.PathLike, *, jobs: int = 2, timeout: float | None = None, force: bool = False,
          device: str = "cpu", progress: bool = True, allow_unsandboxed: bool = False, cluster: str | None = None):
    """Grade a class: each submission (a folder, a .zip or a .ipynb) in its own process, ``jobs`` at once,
    the reports written into ``out`` as they come (see ``grader.batch``).  Returns the batch's summary
    (``.klass``: the ClassResult; ``.graded``, ``.skipped``: submission names).  Refuses to grade
    without the bubblewrap sandbox (``CannotGrade``) unless ``allow_unsandboxed``.

    With ``cluster`` (a Dask scheduler's address or scheduler file) each submission is graded on a
    worker of that cluster instead (``grader.cluster``; ``jobs`` is then the workers' threads): the
    sandbox is required there, and the device is the worker's.  A scheduler that cannot be reached
    raises ``CannotGrade``."""
    if isinstance(submissions, (str, os.PathLike)):
        submissions = [submissions]
    if isinstance(lectures, (str, Lecture)):
        lectures = [lectures]
    lecs = resolve_lectures(lectures)
    if not lecs:
        raise UsageError(_("no lecture to grade"))
    if jobs < 1:
        raise UsageError(_("jobs must be at least 1, not {jobs}").format(jobs=jobs))
    if cluster:
        from .cluster import ClusterUnavailable, run_cluster_batch
        if device not in ("auto", "cpu", "cuda"):
            raise UsageError(_("device {device!r}: choose auto, cpu or cuda").format(device=device))
        try:
            return run_cluster_batch([Path(s) for s in submissions], lecs, Path(out), address=str(cluster),
                                     timeout=timeout, force=force, device=device, progress=progress,
                                     allow_unsandboxed=allow_unsandboxed)
        except ClusterUnavailable as exc:
            raise CannotGrade(str(exc)) from None
    from .sandbox import SandboxUnavailable, require_sandbox
    try:
        require_sandbox(allow_unsandboxed)
    except SandboxUnavailable as exc:
        raise CannotGrade(str(exc)) from None
    from .batch import run_batch
    return run_batch([Path(s) for s in submissions], lecs, Path(out), jobs=jobs, timeout=timeout, force=force,
                     device=resolve_device(device), progress=progress)
