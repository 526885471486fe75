"""The course's declarative metadata: one TOML file per lecture in ``grader/lectures/``.

Loading validates strictly (unknown keys, wrong types, dangling references are
errors) so a typo in a lecture file fails loudly instead of silently dropping
a check or a hint.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .i18n import _
LECTURES_DIR = Path(__file__).with_name("lectures")
CHECKS_DIR = Path(__file__).with_name("checks")
# Hidden checks live in a file of their own, checks/hidden/lectureNN.py, which nothing given to
# learners holds (the release bundle, the wheel): a check marked `hidden = true` in the TOML must be
# defined there, every other one in checks/lectureNN.py (tests/test_course_files.py proves it).
HIDDEN_CHECKS_DIR = CHECKS_DIR / "hidden"


class CourseError(Exception):
    """A problem with the course's own files (an instructor's error, not a learner's)."""


class UnknownLecture(CourseError):
    pass


@dataclass(frozen=True)
class Exercise:
    name: str
    file: str
    symbols: tuple[str, ...]
    title: str
    title_zh: str
    hints: tuple[str, ...]

    @property
    def module(self) -> str:
        return self.file.removesuffix(".py")


@dataclass(frozen=True)
class CheckSpec:
    name: str
    exercise: str
    points: float
    hint: str
    hidden: bool = False


@dataclass(frozen=True)
class Variant:
    """The lecture on other (larger, not shipped) data: ``[variants.NAME]`` in its TOML."""
    data: tuple[str, ...]
    thresholds: dict
    call_s: float
    submission_s: float


@dataclass(frozen=True)
class Lecture:
    id: str                      # "lecture05"
    number: int
    title: str
    title_zh: str
    call_s: float
    submission_s: float
    exercises: tuple[Exercise, ...]
    checks: tuple[CheckSpec, ...]
    thresholds: dict = field(default_factory=dict)
    data: tuple[str, ...] = ()   # named data sets the worker is given (see grader.data)
    demo: str = ""               # the solution file whose __main__ runs the reference end to end (benchmark)
    variants: dict = field(default_factory=dict)  # other data a check may use: name -> Variant (``--data``)
    variant: str = ""            # the variant this Lecture was made for ("" = the default data)
    # modules the worker imports before the first request, while the grader still loads its checks:
    # torch._dynamo, which the first torch.optim optimizer imports (about 1.5 s on this machine), so that
    # no check waits for it
    warm_imports: tuple[str, ...] = ()
    # modules a multiprocessing fork server imports, started by the worker at its start: the loader
    # workers of lecture 08's spawn check fork from it (glue.spawn_epoch) instead of each importing torch
    # during the check; the server's import runs while the worker and the grader still load
    forkserver_preload: tuple[str, ...] = ()

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def modules(self) -> list[str]:
        seen: list[str] = []
        for ex in self.exercises:
            if ex.module not in seen:
                seen.append(ex.module)
        return seen

    @property
    def checks_path(self) -> Path:
        return CHECKS_DIR / f"{self.id}.py"

    @property
    def hidden_checks_path(self) -> Path:
        return HIDDEN_CHECKS_DIR / f"{self.id}.py"

    @property
    def check_modules(self) -> list[Path]:
        """The public check module, and the hidden one where this installation has it."""
        return [self.checks_path] + ([self.hidden_checks_path] if self.hidden_checks_path.is_file() else [])

    def exercise(self, name: str) -> Exercise:
        for ex in self.exercises:
            if ex.name == name:
                return ex
        raise KeyError(name)

    def check(self, name: str) -> CheckSpec:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def with_data(self, name: str) -> "Lecture":
        """This lecture graded on other data (``grader check --data NAME``): its data sets, limits and
        thresholds replaced by the variant's, measured for that data."""
        if name not in self.variants:
            known = ", ".join(sorted(self.variants)) or "none"
            raise CourseError(_("{id} cannot be checked with --data {name} (its data options: {known})").format(id=self.id, name=name, known=known))
        v = self.variants[name]
        return replace(self, data=v.data, thresholds={**self.thresholds, **v.thresholds}, call_s=v.call_s,
                       submission_s=v.submission_s, variant=name)

    def exercise_of_symbol(self, symbol: str) -> Exercise | None:
        for ex in self.exercises:
            if symbol in ex.symbols:
                return ex
        return None


# ---------------------------------------------------------------- validation

def _take(table: dict, key: str, kind, where: str, default=...):
    if key not in table:
        if default is ...:
            raise CourseError(_("{where}: missing key `{key}`").format(where=where, key=key))
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise CourseError(_("{where}: `{key}` must be {v2}, got {value!r}").format(where=where, key=key, v2=getattr(kind, '__name__', kind), value=value))
    return value


def _no_unknown(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise CourseError(_("{where}: unknown key(s) {v1} (allowed: {v2})").format(where=where, v1=', '.join(unknown), v2=', '.join(sorted(allowed))))


def _str_list(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = _take(table, key, list, where)
    if not all(isinstance(v, str) and v for v in value):
        raise CourseError(_("{where}: `{key}` must be a list of non-empty strings").format(where=where, key=key))
    return tuple(value)


def parse_lecture(lecture_id: str, raw: dict) -> Lecture:
    where = f"{lecture_id}.toml"
    _no_unknown(raw, {"number", "title", "title_zh", "limits", "thresholds", "exercises", "checks", "data", "demo",
                     "variants", "warm_imports", "forkserver_preload"}, where)
    limits = _take(raw, "limits", dict, where)
    _no_unknown(limits, {"call_s", "submission_s"}, f"{where} [limits]")
    exercises = []
    for i, ex in enumerate(_take(raw, "exercises", list, where)):
        w = f"{where} exercises[{i}]"
        _no_unknown(ex, {"name", "file", "symbols", "title", "title_zh", "hints"}, w)
        exercises.append(Exercise(
            name=_take(ex, "name", str, w), file=_take(ex, "file", str, w), symbols=_str_list(ex, "symbols", w),
            title=_take(ex, "title", str, w), title_zh=_take(ex, "title_zh", str, w), hints=_str_list(ex, "hints", w)))
        if not exercises[-1].file.endswith(".py") or "/" in exercises[-1].file:
            raise CourseError(_("{w}: `file` must be a plain .py file name").format(w=w))
    checks = []
    for i, c in enumerate(_take(raw, "checks", list, where)):
        w = f"{where} checks[{i}]"
        _no_unknown(c, {"name", "exercise", "points", "hint", "hidden"}, w)
        checks.append(CheckSpec(name=_take(c, "name", str, w), exercise=_take(c, "exercise", str, w),
                                points=_take(c, "points", float, w), hint=_take(c, "hint", str, w),
                                hidden=_take(c, "hidden", bool, w, False)))
    names = [e.name for e in exercises]
    for c in checks:
        if c.exercise not in names:
            raise CourseError(_("{where}: check `{name}` names unknown exercise `{exercise}`").format(where=where, name=c.name, exercise=c.exercise))
        if c.points < 0:
            raise CourseError(_("{where}: check `{name}` has negative points").format(where=where, name=c.name))
    for kind, items in (("exercise", names), ("check", [c.name for c in checks])):
        dupes = sorted({n for n in items if items.count(n) > 1})
        if dupes:
            raise CourseError(f"{where}: duplicate {kind} name(s) {', '.join(dupes)}")
    for ex in exercises:
        if not any(c.exercise == ex.name for c in checks):
            raise CourseError(_("{where}: exercise `{name}` has no checks").format(where=where, name=ex.name))
    number = _take(raw, "number", int, where)
    if lecture_id != f"lecture{number:02d}":
        raise CourseError(_("{where}: number {number} does not match the file name").format(where=where, number=number))
    variants = {}
    for vname, v in _take(raw, "variants", dict, where, {}).items():
        w = f"{where} [variants.{vname}]"
        if not isinstance(v, dict):
            raise CourseError(_("{w}: must be a table").format(w=w))
        _no_unknown(v, {"data", "thresholds", "limits"}, w)
        vlimits = _take(v, "limits", dict, w)
        _no_unknown(vlimits, {"call_s", "submission_s"}, f"{w} limits")
        variants[vname] = Variant(data=_str_list(v, "data", w), thresholds=dict(_take(v, "thresholds", dict, w)),
                                  call_s=_take(vlimits, "call_s", float, f"{w} limits"),
                                  submission_s=_take(vlimits, "submission_s", float, f"{w} limits"))
    return Lecture(
        id=lecture_id, number=number, title=_take(raw, "title", str, where),
        title_zh=_take(raw, "title_zh", str, where),
        call_s=_take(limits, "call_s", float, f"{where} [limits]"),
        submission_s=_take(limits, "submission_s", float, f"{where} [limits]"),
        exercises=tuple(exercises), checks=tuple(checks),
        thresholds=dict(_take(raw, "thresholds", dict, where, {})),
        data=tuple(_take(raw, "data", list, where, [])), demo=_take(raw, "demo", str, where, ""),
        variants=variants, warm_imports=_module_names(raw, "warm_imports", where),
        forkserver_preload=_module_names(raw, "forkserver_preload", where))


def _module_names(raw: dict, key: str, where: str) -> tuple[str, ...]:
    names = _str_list(raw, key, where) if key in raw else ()
    for name in names:
        if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", name):
            raise CourseError(_("{where}: `{key}` holds `{name}`, which is not a module name").format(where=where, key=key, name=name))
    return names


# ---------------------------------------------------------------- lookup

def lecture_ids() -> list[str]:
    return sorted(p.stem for p in LECTURES_DIR.glob("lecture[0-9][0-9].toml"))


def normalize_id(text: str) -> str:
    """`lecture05`, `lecture5`, `05` and `5` all name lecture05."""
    m = re.fullmatch(r"(?:lecture)?0*(\d{1,2})", text.strip().lower())
    return f"lecture{int(m.group(1)):02d}" if m else text


def load_lecture(text: str) -> Lecture:
    lecture_id = normalize_id(text)
    known = lecture_ids()
    if lecture_id not in known:
        close = difflib.get_close_matches(lecture_id, known, n=1, cutoff=0.6)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        raise UnknownLecture(_("unknown lecture `{text}`.{hint} Known: {v2}").format(text=text, hint=hint, v2=', '.join(known)))
    path = LECTURES_DIR / f"{lecture_id}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path.name}: {exc}") from None
    return parse_lecture(lecture_id, raw)


def all_lectures() -> list[Lecture]:
    return [load_lecture(i) for i in lecture_ids()]


# ---------------------------------------------------------------- the course's fingerprint

_PACKAGE = Path(__file__).resolve().parent
# What decides a grade besides the learner's code: the checks (public and hidden), the lectures'
# metadata (points, thresholds, limits), the data the lectures use (public splits and hidden eval
# splits) and the code that runs in the worker beside the learner's.  Relative to grader/.
FINGERPRINTED = ("checks", "lectures", "data", "sandbox/inside")
_course_fingerprint: str | None = None


def course_fingerprint() -> str:
    """sha256 over every file of the course (``FINGERPRINTED``: names and contents; caches skipped).

    Two machines with the same fingerprint grade a submission with the same checks on the same
    data: a Dask worker (``grader.cluster``) refuses a task whose fingerprint is not its own.
    Computed once per process (the files are a few MB)."""
    global _course_fingerprint
    if _course_fingerprint is None:
        import hashlib
        h = hashlib.sha256()
        for top in FINGERPRINTED:
            for p in sorted((_PACKAGE / top).rglob("*")):
                rel = p.relative_to(_PACKAGE)
                if "__pycache__" in rel.parts or p.suffix == ".pyc" or not p.is_file():
                    continue
                h.update(rel.as_posix().encode() + b"\0")
                h.update(hashlib.sha256(p.read_bytes()).digest())
        _course_fingerprint = h.hexdigest()
    return _course_fingerprint
