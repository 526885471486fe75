"""What the sandbox costs per submission: `grader check LECTURE` on the reference solution, with
bubblewrap and with the plain fallback, run side by side (alternating, so both see the same load),
several times each.

    python scripts/bench_sandbox.py [--lecture lecture05] [--repeat 5]

Prints every run and the medians, and the ratio bwrap / plain.  The plain run here keeps the
pids cgroup where the machine allows one (GRADER_CGROUP unchanged), so the figure is the cost of
bubblewrap alone; pass --no-cgroup to run both without it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def one_run(mode: str, workdir: Path, lecture: str, cgroup: bool) -> tuple[float, int]:
    env = dict(os.environ, GRADER_SANDBOX=mode)
    if not cgroup:
        env["GRADER_CGROUP"] = "0"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "grader", "check", lecture, "--workdir", str(workdir), "-q",
                           "--device", "cpu"], env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{mode}: grader check failed on the reference (exit {proc.returncode}):\n{proc.stdout[-2000:]}"
                 f"{proc.stderr[-2000:]}")
    return seconds, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lecture", default="lecture05")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-cgroup", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from grader.sandbox import bwrap
    reason = bwrap.unusable_reason()
    if reason:
        sys.exit(f"cannot compare: {reason}")
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        workdir = Path(tmp)
        shutil.copytree(REPO / "exercises", workdir / "exercises")
        for src in (REPO / "solutions" / args.lecture).glob("*.py"):
            shutil.copy(src, workdir / "exercises" / args.lecture / src.name)
        times: dict[str, list[float]] = {"bwrap": [], "plain": []}
        one_run("plain", workdir, args.lecture, not args.no_cgroup)  # warm the page cache; not counted
        for i in range(args.repeat):
            order = ("bwrap", "plain") if i % 2 == 0 else ("plain", "bwrap")
            for mode in order:
                seconds, _ = one_run(mode, workdir, args.lecture, not args.no_cgroup)
                times[mode].append(seconds)
                print(f"run {i + 1}  {mode:<6} {seconds:6.2f} s", flush=True)
    med = {m: statistics.median(t) for m, t in times.items()}
    print(f"\n{args.lecture}, reference solution, {args.repeat} runs each (cpu count {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f})")
    for mode, values in times.items():
        print(f"  {mode:<6} median {med[mode]:6.2f} s   min {min(values):6.2f} s   max {max(values):6.2f} s")
    print(f"  ratio bwrap / plain (medians): {med['bwrap'] / med['plain']:.3f}")
    print(f"  difference (medians): {med['bwrap'] - med['plain']:+.2f} s per submission")


if __name__ == "__main__":
    main()
