#!/usr/bin/env python3
"""How fast batch grading is: N copies of a lecture05 submission graded with `grader grade`.

Prints, per submission, the cost of batch grading (wall time / N, and the mean time one
submission took inside the batch) beside `grader check` on one submission and beside the plain
run of the same reference code (`python solutions/lecture05/training.py`), and the throughput
of --jobs 1 against --jobs 2.  Targets: a submission's grading within 1.5x of the plain run;
two jobs at least 1.7x the throughput of one.

    python scripts/bench_batch.py [--copies 20] [--repeat 3] [--jobs 2]

The machine's load matters (a shared machine gives noisy figures): the load average is printed
before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LECTURE = "lecture05"


def timed(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return elapsed


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the plain run and of `grader check` (median)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    py = sys.executable
    print(f"load average before: {load()}  ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        sol = REPO / "solutions" / LECTURE
        plain = statistics.median(timed([py, "training.py"], sol) for _ in range(args.repeat))

        work = tmp / "work"
        shutil.copytree(sol, work / "exercises" / LECTURE, ignore=shutil.ignore_patterns("__pycache__"))
        check = statistics.median(timed([py, "-m", "grader", "check", LECTURE, "-q"], work) for _ in range(args.repeat))

        subs = []
        for i in range(args.copies):
            dest = tmp / "class" / f"student{i:02d}"
            shutil.copytree(sol, dest, ignore=shutil.ignore_patterns("__pycache__"))
            subs.append(str(dest))
        runs = {}
        for jobs in sorted({1, args.jobs}):
            out = tmp / f"out-j{jobs}"
            wall = timed([py, "-m", "grader", "grade", *subs, "--lecture", LECTURE, "--out", str(out), "--jobs",
                          str(jobs), "--no-progress"], tmp)
            inside = [json.loads(p.read_text())["duration_s"] for p in out.glob("submissions/*/result.json")]
            scores = {json.loads(p.read_text())["score"] for p in out.glob("submissions/*/result.json")}
            assert len(inside) == args.copies and scores == {11.0}, (len(inside), scores)
            runs[jobs] = (wall, statistics.mean(inside))

    print(f"load average after:  {load()}")
    print(f"\n{LECTURE}, {args.copies} copies of the reference submission\n")
    print(f"{'':44}{'seconds':>10}{'x plain':>10}")
    print(f"{'plain run (python training.py), median':44}{plain:10.2f}{1:10.2f}")
    print(f"{'grader check on one submission, median':44}{check:10.2f}{check / plain:10.2f}")
    for jobs, (wall, inside) in runs.items():
        print(f"{f'grade --jobs {jobs}: wall / submission':44}{wall / args.copies:10.2f}{wall / args.copies / plain:10.2f}")
        print(f"{f'grade --jobs {jobs}: one submission inside the batch':44}{inside:10.2f}{inside / plain:10.2f}")
    print()
    for jobs, (wall, _) in runs.items():
        print(f"throughput --jobs {jobs}: {args.copies / wall * 60:.1f} submissions/minute")
    if 1 in runs and args.jobs in runs and args.jobs != 1:
        ratio = runs[1][0] / runs[args.jobs][0]
        print(f"--jobs {args.jobs} / --jobs 1 throughput: {ratio:.2f}x (target >= 1.7x)")
    best = min(wall for wall, _ in runs.values()) / args.copies
    print(f"batch cost per submission / plain run: {best / plain:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
