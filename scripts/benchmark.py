"""Speed of grading, as ratios measured side by side.

For each lecture: the wall time of `grader check LECTURE` on the reference solution, beside the
time of simply running the same reference code in one plain Python process (`python <demo>`
in the solution folder, importing torch included; the lecture TOML's `demo` key names it).
Runs alternate (plain, grader, plain, grader, ...) so that load on this noisy machine hits both
alike; the medians and their ratio are printed.

    python scripts/benchmark.py                  # every lecture with a demo
    python scripts/benchmark.py lecture05 -n 5
"""

from __future__ import annotations

import argparse
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


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, proc.returncode


def bench(lecture_id: str, repeat: int) -> dict:
    lec = load_lecture(lecture_id)
    solution = REPO / "solutions" / lec.id
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        workdir = Path(tmp)
        shutil.copytree(solution, workdir / "exercises" / lec.id)
        plain_cmd = [sys.executable, lec.demo]
        grader_cmd = [sys.executable, "-m", "grader", "check", lec.id, "--workdir", str(workdir), "-q", "--device", "cpu"]
        plain, graded = [], []
        for _ in range(repeat):
            t, code = timed(plain_cmd, solution)
            if code != 0:
                raise SystemExit(f"{lec.id}: the plain run `python {lec.demo}` failed (exit {code})")
            plain.append(t)
            t, code = timed(grader_cmd, REPO)
            if code != 0:
                raise SystemExit(f"{lec.id}: `grader check` on the reference did not pass (exit {code})")
            graded.append(t)
    p, g = statistics.median(plain), statistics.median(graded)
    return {"lecture": lec.id, "plain_s": p, "grader_s": g, "ratio": g / p}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lectures", nargs="*")
    ap.add_argument("-n", "--repeat", type=int, default=3)
    args = ap.parse_args()
    ids = [load_lecture(x).id for x in args.lectures] if args.lectures else [lec.id for lec in all_lectures() if lec.demo]
    print(f"{'lecture':<10} {'plain run':>10} {'grader check':>13} {'ratio':>6}   (medians of {args.repeat}, seconds)")
    for lecture_id in ids:
        r = bench(lecture_id, args.repeat)
        print(f"{r['lecture']:<10} {r['plain_s']:>10.2f} {r['grader_s']:>13.2f} {r['ratio']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
