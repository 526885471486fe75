"""Speed of the grader, every figure in one run, as ratios measured side by side.

1. lectures: for each lecture, the wall time of `grader check LECTURE` on the reference solution
   beside the time of simply running the same reference code in one plain Python process
   (`python <demo>` in the solution folder, torch import included; the lecture TOML's `demo` key
   names it).  Runs alternate (plain, grader, plain, grader, ...) so that load on this noisy
   machine hits both alike; the medians and their ratio are printed.
2. limits: what a hang at import and a memory bomb at import cost before the report appears
   (lecture 05's `linear_model.py` starting with an endless loop / an endless allocation), beside
   the lecture's per-call time limit: one limit, not one per check.
3. verify: the wall time of `grader verify` on the whole course (--jobs 2), with its zygotes (workers
   forked with torch imported, grader.sandbox.zygote) beside `--no-zygote` (a torch import per worker).
4. suite: the wall time of the test suite (`pytest -q`) and of its fast tier (`-m "not grading"`).

With ``--baseline DIR`` (another checkout of this repository, e.g. ``git worktree add /tmp/old
HEAD~5``) every figure is measured for both, alternating run by run, and the ratio
this/baseline is printed beside it: before and after, side by side.

    python scripts/benchmark.py                           # everything (about half an hour)
    python scripts/benchmark.py --only lectures lecture05 -n 5
    python scripts/benchmark.py --only verify --baseline /tmp/old
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.course import all_lectures, load_lecture  # noqa: E402

PARTS = ("lectures", "limits", "verify", "suite")

HANG_AT_IMPORT = '''import signal
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, signal.SIG_IGN)
while True:
    try:
        pass
    except BaseException:
        pass
'''
MEMORY_BOMB_AT_IMPORT = '''import torch
_hoard = []
while True:
    _hoard.append(torch.ones(1 << 26))  # 256 MiB at a time, touched
'''


class Checkout:
    """A checkout of this repository whose grader a command runs (``PYTHONPATH`` points at it)."""

    def __init__(self, root: Path, label: str):
        self.root, self.label = root.resolve(), label

    def env(self) -> dict:
        return {**os.environ, "PYTHONPATH": str(self.root)}

    def grader(self) -> list[str]:
        """The command a user types, ``grader``: the console script pip writes for this checkout's entry
        point (``[project.scripts]``), run by this interpreter.  Not ``python -m grader``, whose exit
        differs (the interpreter's teardown after a grading cost ~1 s in the console script only)."""
        if not hasattr(self, "_launcher"):
            import tomllib
            entry = tomllib.loads((self.root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["grader"]
            module, func = entry.split(":")
            folder = tempfile.mkdtemp(prefix="grader-bench-bin-")
            atexit.register(shutil.rmtree, folder, True)
            self._launcher = Path(folder) / "grader"
            # pip's console-script template (pip/_internal/operations/install/wheel.py, via distlib)
            self._launcher.write_text(f"import re\nimport sys\nfrom {module} import {func}\nif __name__ == '__main__':\n"
                                      f"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                                      f"    sys.exit({func}())\n", encoding="utf-8")
        return [sys.executable, str(self._launcher)]

    def timed(self, cmd: list[str], cwd: Path, ok=(0,)) -> float:
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        took = time.perf_counter() - start
        if proc.returncode not in ok:
            tail = proc.stdout.decode(errors="replace")[-2000:]
            raise SystemExit(f"[{self.label}] `{' '.join(cmd)}` exited {proc.returncode}:\n{tail}")
        return took


def alternate(runs: list[tuple[Checkout, list[str], Path, tuple]], repeat: int) -> list[float]:
    """Each command ``repeat`` times, in turn (A B A B ...); the median of each."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for i, (co, cmd, cwd, ok) in enumerate(runs):
            times[i].append(co.timed(cmd, cwd, ok))
    return [statistics.median(t) for t in times]


def row(label: str, figures: list[float], against: float | None = None, unit: str = "s") -> str:
    text = f"{label:<34}" + "".join(f"{f:>11.2f}{unit}" for f in figures)
    if against:
        text += f"{figures[0] / against:>9.2f}x"
    if len(figures) == 2:
        text += f"   this/baseline {figures[0] / figures[1]:.2f}"
    return text


def grader_check_cmd(co: Checkout, lecture_id: str, workdir: Path) -> list[str]:
    return [*co.grader(), "check", lecture_id, "--workdir", str(workdir), "-q", "--device", "cpu"]


def bench_lectures(checkouts: list[Checkout], ids: list[str], repeat: int, tmp: Path) -> None:
    print(f"\n## lectures: `grader check` on the reference against a plain run (medians of {repeat}, seconds)")
    heads = "".join(f"{'check ' + co.label:>12}" for co in checkouts)
    print(f"{'lecture':<10}{'plain run':>12}{heads}{'ratio':>9}" + ("   this/baseline" if len(checkouts) > 1 else ""))
    worst = 0.0
    for lecture_id in ids:
        lec = load_lecture(lecture_id)
        solution = REPO / "solutions" / lec.id
        workdir = tmp / f"work-{lec.id}"
        shutil.copytree(solution, workdir / "exercises" / lec.id, ignore=shutil.ignore_patterns("__pycache__"))
        runs = [(checkouts[0], [sys.executable, lec.demo], solution, (0,))]
        runs += [(co, grader_check_cmd(co, lec.id, workdir), REPO, (0,)) for co in checkouts]
        plain, *graded = alternate(runs, repeat)
        worst = max(worst, graded[0] / plain)
        extra = f"   {graded[0] / graded[1]:.2f}" if len(graded) == 2 else ""
        print(f"{lec.id:<10}{plain:>12.2f}" + "".join(f"{g:>12.2f}" for g in graded) + f"{graded[0] / plain:>9.2f}{extra}",
              flush=True)
    print(f"worst ratio: {worst:.2f} (target <= 1.2)")


def bench_limits(checkouts: list[Checkout], repeat: int, tmp: Path) -> None:
    lec = load_lecture("lecture05")
    print(f"\n## limits: a mistake at import costs one limit (lecture05: call_s {lec.call_s:g} s; medians of {repeat})")
    for name, code in (("hang at import", HANG_AT_IMPORT), ("memory bomb at import", MEMORY_BOMB_AT_IMPORT)):
        workdir = tmp / name.replace(" ", "-")
        folder = workdir / "exercises" / lec.id
        shutil.copytree(REPO / "solutions" / lec.id, folder, ignore=shutil.ignore_patterns("__pycache__"))
        target = folder / "linear_model.py"
        target.write_text(code + target.read_text(encoding="utf-8"), encoding="utf-8")
        figures = alternate([(co, grader_check_cmd(co, lec.id, workdir), REPO, (1,)) for co in checkouts], repeat)
        print(row(f"{name} (report after)", figures, against=lec.call_s) + "  of call_s", flush=True)


def bench_verify(checkouts: list[Checkout]) -> None:
    """verify with its zygotes (torch imported once per slot) beside --no-zygote (a sandbox and a torch
    import per worker) on this checkout, alternating; and beside the baseline's verify, if given."""
    print("\n## verify: `grader verify` of the whole course, --jobs 2 (one run each, alternating)")
    cmd = ["verify", "--jobs", "2"]
    this = checkouts[0]
    runs = [(this, this.grader() + cmd, this.root, (0,)), (this, this.grader() + cmd + ["--no-zygote"], this.root, (0,))]
    runs += [(co, co.grader() + cmd, co.root, (0,)) for co in checkouts[1:]]
    zygote, own, *baseline = alternate(runs, 1)
    print(f"{'grader verify':<34}{zygote:>10.1f} s   ({zygote / 60:.1f} min; target < 8 min)", flush=True)
    print(f"{'grader verify --no-zygote':<34}{own:>10.1f} s   ({own / 60:.1f} min); "
          f"with zygotes / without: {zygote / own:.2f}", flush=True)
    if baseline:
        print(f"{'grader verify (baseline)':<34}{baseline[0]:>10.1f} s   this/baseline: {zygote / baseline[0]:.2f}",
              flush=True)


def bench_suite(checkouts: list[Checkout]) -> None:
    print("\n## suite: the tests (one run each, alternating)")
    for label, extra in (("pytest -m 'not grading'", ["-m", "not grading"]), ("pytest (everything)", [])):
        figures = alternate([(co, [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", *extra],
                              co.root, (0,)) for co in checkouts], 1)
        print(row(label, figures) + f"   ({figures[0] / 60:.1f} min)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lectures", nargs="*", help="lectures for the per-lecture table (default: every one with a demo)")
    ap.add_argument("-n", "--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), metavar="PART",
                    help=f"which figures: {', '.join(PARTS)}")
    ap.add_argument("--baseline", type=Path, help="another checkout to measure beside this one, run by run")
    args = ap.parse_args()
    checkouts = [Checkout(REPO, "this")]
    if args.baseline:
        if not (args.baseline / "grader" / "__init__.py").is_file():
            raise SystemExit(f"--baseline {args.baseline}: not a checkout of this repository")
        checkouts.append(Checkout(args.baseline, "baseline"))
    ids = [load_lecture(x).id for x in args.lectures] if args.lectures else [lec.id for lec in all_lectures() if lec.demo]
    print(f"{os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{' vs '.join(f'{co.label}={co.root}' for co in checkouts)}")
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        if "lectures" in args.only:
            bench_lectures(checkouts, ids, args.repeat, Path(tmp))
        if "limits" in args.only:
            bench_limits(checkouts, args.repeat, Path(tmp))
    if "verify" in args.only:
        bench_verify(checkouts)
    if "suite" in args.only:
        bench_suite(checkouts)
    print(f"\nload average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
