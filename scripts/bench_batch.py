#!/usr/bin/env python3
"""How fast batch grading is: N copies of a lecture05 submission graded with `grader grade`.

Prints, per submission, the cost of batch grading (wall time / N, and the mean time one
submission took inside the batch) beside `grader check` on one submission and beside the plain
run of the same reference code (`python solutions/lecture05/training.py`), and the throughput
of --jobs 1 against --jobs 2.  Targets: a submission's grading within 1.5x of the plain run;
two jobs at least 1.7x the throughput of one.

    python scripts/bench_batch.py [--copies 20] [--repeat 3] [--jobs 2] [--cluster]

With --cluster (needs the `dask` extra) it also starts a Dask scheduler and one worker on this
machine, grades the copies with `grader grade --cluster`, adds a second worker and grades them
again: the throughput of one and of two workers beside that of the local pool, as ratios.  Each
worker has one thread (one submission at a time) and OMP_NUM_THREADS = CPUs / 2 with two workers,
as `--jobs 2` gives the local pool; each worker's first task starts its grading helper.

The machine's load matters (a shared machine gives noisy figures): the load average is printed
before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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


class LocalCluster:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1, started and stopped by their pids."""

    def __init__(self, root: Path):
        self.root, self.procs = root, []
        self.file = root / "scheduler.json"
        self._start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(self.file)], "scheduler")
        self._wait(lambda: self.file.is_file(), "the scheduler")
        self.address = json.loads(self.file.read_text())["address"]

    def _start(self, cmd: list[str], name: str, env: dict | None = None) -> None:
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))  # this checkout's grader
        with open(self.root / f"{name}.log", "wb") as log:
            self.procs.append(subprocess.Popen(cmd, cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True,
                                               env={**os.environ, "PYTHONPATH": path, **(env or {})}))

    def _wait(self, ready, what: str) -> None:
        deadline = time.monotonic() + 120
        while not ready():
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                sys.exit(f"{what} did not start (logs in {self.root})")
            time.sleep(0.3)

    def workers(self) -> int:
        from distributed import Client
        with Client(self.address, timeout=20, set_as_default=False) as c:
            return len(c.scheduler_info(n_workers=-1)["workers"])

    def add_worker(self, threads_each: int) -> None:
        n = len(self.procs)
        self._start([sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1",
                     "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{n}"], f"w{n}",
                    {"OMP_NUM_THREADS": str(threads_each)})
        self._wait(lambda: self.workers() == n, f"worker w{n}")

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()


def graded(out: Path, copies: int) -> float:
    """The mean time one submission took inside the batch; checks every copy got full marks."""
    inside = [json.loads(p.read_text())["duration_s"] for p in out.glob("submissions/*/result.json")]
    scores = {json.loads(p.read_text())["score"] for p in out.glob("submissions/*/result.json")}
    assert len(inside) == copies and scores == {11.0}, (len(inside), scores)
    return statistics.mean(inside)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the plain run and of `grader check` (median)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cluster", action="store_true", help="also one and two local Dask workers (`grade --cluster`)")
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
            runs[jobs] = (wall, graded(out, args.copies))
        workers = {}
        if args.cluster:
            cluster = LocalCluster(tmp)
            try:
                for n in (1, 2):
                    cluster.add_worker(max(1, (os.cpu_count() or 1) // 2) if n == 2 else (os.cpu_count() or 1))
                    out = tmp / f"out-cluster{n}"
                    wall = timed([py, "-m", "grader", "grade", *subs, "--lecture", LECTURE, "--out", str(out),
                                  "--cluster", str(cluster.file), "--no-progress"], tmp)
                    workers[n] = (wall, graded(out, args.copies))
            finally:
                cluster.stop()

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
    if workers:
        print(f"\n{'':34}{'subs/min':>10}{'x local j1':>12}{'x local j' + str(args.jobs):>12}{'inside s':>10}")
        rows = [(f"local pool --jobs {j}", w, i) for j, (w, i) in runs.items()]
        rows += [(f"Dask, {n} worker{'s' if n > 1 else ''} (1 thread each)", w, i) for n, (w, i) in workers.items()]
        for label, wall, inside in rows:
            print(f"{label:34}{args.copies / wall * 60:10.1f}{runs[1][0] / wall:12.2f}"
                  f"{runs[args.jobs][0] / wall:12.2f}{inside:10.2f}")
        if 1 in workers and 2 in workers:
            print(f"two Dask workers / one: {workers[1][0] / workers[2][0]:.2f}x throughput")
    best = min(wall for wall, _ in runs.values()) / args.copies
    print(f"batch cost per submission / plain run: {best / plain:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
