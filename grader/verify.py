"""The course proves itself: ``grader verify``.

For each lecture: the committed stubs are what the generator makes; the
reference solution passes every check; the untouched stubs fail every check as
"not attempted"; and every mutant (a known-bug variant of the solution, kept in
``tests/mutants/lectureNN.toml``) fails at least one check whose message names
the mistake.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from .batch import STARTUP_GRACE_S, closed_result
from .course import CourseError, Lecture
from .pool import Job, Pool
from .results import LectureResult
from .stubs import generate, stale_stubs
from .workspace import REPO_DIR, resource_dir, solutions_dir

MUTANTS_DIR = REPO_DIR / "tests" / "mutants"


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    find: str
    replace: str
    expect: str          # a word the catching check's message must contain (case-insensitive)


@dataclass
class Finding:
    ok: bool
    what: str
    detail: str = ""
    seconds: float = 0.0  # the grading's own time, for a finding that graded something


@dataclass
class LectureVerdict:
    lecture: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)


def load_mutants(lecture_id: str) -> list[Mutant]:
    path = MUTANTS_DIR / f"{lecture_id}.toml"
    if not path.is_file():
        return []
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    mutants = []
    for i, m in enumerate(raw.get("mutants", [])):
        unknown = set(m) - {"name", "file", "find", "replace", "expect"}
        if unknown:
            raise CourseError(f"{path.name} mutants[{i}]: unknown key(s) {', '.join(sorted(unknown))}")
        mutants.append(Mutant(m["name"], m["file"], m["find"], m.get("replace", ""), m["expect"]))
    return mutants


def apply_mutant(solution_dir: Path, mutant: Mutant, dest: Path) -> Path:
    shutil.copytree(solution_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / mutant.file
    text = target.read_text(encoding="utf-8")
    if text.count(mutant.find) != 1:
        raise CourseError(f"mutant `{mutant.name}`: its `find` text occurs {text.count(mutant.find)} times in "
                          f"{mutant.file} (must be exactly once; has the solution changed?)")
    target.write_text(text.replace(mutant.find, mutant.replace), encoding="utf-8")
    return dest


# The zygotes of a run of variants (``variant_run``), one per pool slot: started in the parent before the
# pool forks, so each grading process finds them here and uses the one of its slot.
_ZYGOTES: list = []


def _grade(lecture: Lecture, folder: Path, select: list[str] | None) -> LectureResult:
    from . import pool
    from .runner import run_lecture
    slot = pool.SLOT
    zygote = _ZYGOTES[slot] if slot is not None and slot < len(_ZYGOTES) else None
    return run_lecture(lecture, folder, select=select, zygote=zygote)


def checks_seeing(lecture: Lecture, file: str) -> list[str]:
    """The checks a change to ``file`` can fail: those whose exercise uses a symbol defined there.
    A mutant is graded by these only.  That can only make verify stricter, never laxer: a mutant
    caught by a check outside them would be reported as missed, and so would a check that only
    such mutants make fail."""
    def files(exercise) -> set[str]:
        owners = (lecture.exercise_of_symbol(s) for s in exercise.symbols)
        return {exercise.file} | {o.file for o in owners if o is not None}
    return [c.name for c in lecture.checks if file in files(lecture.exercise(c.exercise))]


def _judge_solution(r: LectureResult) -> Finding:
    bad = [f"{c.name}: {c.status} ({c.message.splitlines()[0] if c.message else ''})" for c in r.checks if not c.passed]
    return Finding(not bad, f"solution passes all {len(r.checks)} checks", "; ".join(bad))


def _judge_stub(r: LectureResult) -> Finding:
    bad = [f"{c.name}: {c.status}" for c in r.checks if c.status != "not_attempted"]
    return Finding(not bad, f"untouched stubs: all {len(r.checks)} checks not attempted", "; ".join(bad))


CAUGHT = ("failed", "error", "timed_out")


def _judge_mutant(m: Mutant, r: LectureResult) -> Finding:
    caught = [c for c in r.checks if c.status in CAUGHT]
    naming = [c for c in caught if m.expect.lower() in c.message.lower()]
    if naming:
        return Finding(True, f"mutant {m.name} caught by {naming[0].name}")
    if caught:
        return Finding(False, f"mutant {m.name} caught, but no message names `{m.expect}`",
                       "; ".join(f"{c.name}: {c.message.splitlines()[0] if c.message else c.status}" for c in caught))
    return Finding(False, f"mutant {m.name} NOT caught: every check passed")


def _start_zygotes(lectures: list[Lecture], sources: Path, jobs: int) -> list:
    """One zygote per grading slot (grader.sandbox.zygote), when bubblewrap runs here and the lectures'
    data files agree; else none, and every worker starts in a sandbox of its own."""
    from .runner import worker_data_files
    from .sandbox import Limits
    from .sandbox.process import choose_sandbox
    from .sandbox.zygote import Zygote
    try:
        if choose_sandbox()[0] != "bwrap" or not sources.is_dir():
            return []
    except Exception:
        return []
    data: dict[str, Path] = {}
    for lec in lectures:
        for rel, src in worker_data_files(lec).items():
            if data.setdefault(rel, src) != src:
                return []
    warm = tuple(sorted({name for lec in lectures for name in lec.warm_imports}))  # imported once per zygote
    zygotes = []
    try:
        for _ in range(jobs):
            z = Zygote(sources=sources, limits=Limits(), data_files=data, warm_imports=warm)
            zygotes.append(z)
            z.start()
    except Exception:
        for z in zygotes:
            z.close()
        return []
    return zygotes


@contextmanager
def variant_run(prefix: str):
    """(variants, scratch) for a run of the course's own variants (verify, the mutation runs): a folder
    for the variants, readable by the zygotes' workers (nobody, as root), and the pool's scratch; the
    run graded in English whatever --lang or the locale says (the mutants' `expect` words are English)."""
    from .i18n import use_language
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, use_language("en"):
        os.chmod(tmp, 0o755)
        variants, scratch = Path(tmp) / "variants", Path(tmp) / "pool"
        variants.mkdir()
        scratch.mkdir()
        yield variants, scratch


def grade_variants(jobs_todo: list[Job], on_result: Callable[[LectureResult, Job], None], *,
                   lectures: list[Lecture], variants: Path, scratch: Path, jobs: int, zygote: bool = True) -> None:
    """Grade ``jobs_todo`` (tasks of ``_grade`` on folders in ``variants``) in the shared pool, the one
    batch grading uses; each slot's workers forked by its zygote, which imported torch once, where one
    can run."""
    from . import plugin  # noqa: F401  (imports torch and pytest once, here, before forking)
    jobs = max(1, jobs)
    timeout = max((lec.submission_s for lec in lectures), default=0) + STARTUP_GRACE_S
    _ZYGOTES[:] = _start_zygotes(lectures, variants, jobs) if zygote else []
    try:
        Pool(jobs=jobs, timeout=timeout, scratch=scratch, result_type=LectureResult).run(jobs_todo, on_result)
    finally:
        for z in _ZYGOTES:
            z.close()
        _ZYGOTES.clear()


def verify(lectures: list[Lecture], jobs: int = 2, *, zygote: bool = True) -> list[LectureVerdict]:
    sol_root = solutions_dir()
    ex_root = resource_dir("exercises")
    verdicts = [LectureVerdict(lec.id) for lec in lectures]
    seen_failing: dict[str, set[str]] = {lec.id: set() for lec in lectures}
    with variant_run("grader-verify-") as (variants, scratch):
        todo: list[tuple[Job, LectureVerdict, Callable[[LectureResult], Finding]]] = []

        def grade(lec: Lecture, v: LectureVerdict, judge, folder: Path, select=None) -> None:
            job = Job(f"{lec.id}-{len(todo)}", partial(_grade, lec, folder, select), partial(closed_result, lec))
            todo.append((job, v, judge))

        for lec, v in zip(lectures, verdicts):
            sol = sol_root / lec.id
            if not sol.is_dir():
                v.findings.append(Finding(False, f"no solution folder {sol}"))
                continue
            stale = stale_stubs(sol, ex_root / lec.id)
            v.findings.append(Finding(not stale, "committed stubs match the generator",
                                      f"regenerate with `grader stubs`: {', '.join(stale)}"))
            stub_dir = variants / lec.id / "stub"
            stub_dir.mkdir(parents=True)
            for name, text in generate(sol).items():
                (stub_dir / name).write_text(text, encoding="utf-8")
            solution = variants / lec.id / "solution"  # a copy: all a run's variants in one folder
            shutil.copytree(sol, solution, ignore=shutil.ignore_patterns("__pycache__"))
            grade(lec, v, _judge_solution, solution)
            grade(lec, v, _judge_stub, stub_dir)
            for m in load_mutants(lec.id):
                try:
                    folder = apply_mutant(sol, m, variants / lec.id / f"mutant-{m.name}")
                except CourseError as exc:
                    v.findings.append(Finding(False, f"mutant {m.name} cannot be applied", str(exc)))
                    continue
                grade(lec, v, partial(_judge_mutant, m), folder, checks_seeing(lec, m.file))

        results: dict[str, LectureResult] = {}
        grade_variants([job for job, _, _ in todo], lambda result, job: results.__setitem__(job.id, result),
                       lectures=lectures, variants=variants, scratch=scratch, jobs=jobs, zygote=zygote)
        for job, v, judge in todo:  # judged in the order listed, whatever order they finished in
            finding = judge(results[job.id])
            finding.seconds = results[job.id].duration_s
            v.findings.append(finding)
            if finding.what.startswith("mutant "):
                seen_failing[v.lecture] |= {c.name for c in results[job.id].checks if c.status in CAUGHT}
    for lec, v in zip(lectures, verdicts):
        # a check is proven by showing it fail: each must fail on at least one mutant
        never = [c.name for c in lec.checks if c.name not in seen_failing[lec.id]]
        v.findings.append(Finding(not never, "every check is seen failing on some mutant",
                                  f"never failed: {', '.join(never)}"))
    return verdicts
