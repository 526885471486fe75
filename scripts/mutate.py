"""Mutation testing of the course: grade every one-change variant of the solution regions.

A benchmark, not a test: each mutant is one real grading (a sandboxed worker, 3-8 s), so a
lecture takes minutes.  See docs/mutation.md and grader/mutation.py.

    python scripts/mutate.py lecture02 --list             # the mutants, without grading
    python scripts/mutate.py lecture02 lecture01 --jobs 1 --json /tmp/mutation.json
    python scripts/mutate.py lecture05 --limit 20 --seed 1 # a sample of 20
    python scripts/mutate.py lecture02 --only :31:        # the mutants whose id contains ":31:"
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.course import all_lectures, load_lecture  # noqa: E402
from grader.mutation import (lecture_mutants, load_equivalent, run_mutants, select, survivors,  # noqa: E402
                             table)
from grader.workspace import solutions_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lectures", nargs="*", help="lecture ids (default: all)")
    ap.add_argument("--jobs", type=int, default=1, help="gradings at once (default 1)")
    ap.add_argument("--limit", type=int, help="grade only this many mutants per lecture, drawn with --seed")
    ap.add_argument("--seed", type=int, default=0, help="the draw of --limit (default 0)")
    ap.add_argument("--only", action="append", default=[], help="only mutants whose id contains this (repeatable)")
    ap.add_argument("--list", action="store_true", help="print the mutants and their count; grade nothing")
    ap.add_argument("--recheck-equivalent", action="store_true", help="grade the listed equivalent mutants too")
    ap.add_argument("--json", type=Path, help="write the outcomes of every mutant to this file")
    ap.add_argument("-q", "--quiet", action="store_true", help="no line per graded mutant")
    args = ap.parse_args(argv)

    lectures = [load_lecture(x) for x in args.lectures] if args.lectures else all_lectures()
    equivalent = load_equivalent()
    chosen = {lec.id: select(lecture_mutants(lec.id, solutions_dir() / lec.id), only=args.only, limit=args.limit,
                             seed=args.seed) for lec in lectures}
    if args.list:
        for lec in lectures:
            for m in chosen[lec.id]:
                mark = "  [equivalent]" if m.id in equivalent else ""
                print(f"{m.id}{mark}\n    - {m.original}\n    + {m.mutated}")
        for lec in lectures:
            n = len(chosen[lec.id])
            print(f"{lec.id}: {n} mutants ({sum(m.id in equivalent for m in chosen[lec.id])} listed equivalent)")
        return 0

    reports = []
    for lec in lectures:
        started = time.monotonic()
        total = len(chosen[lec.id])
        seen = []

        def progress(o, lec=lec, seen=seen, total=total):
            seen.append(o)
            if not args.quiet:
                what = o.status + (" (named)" if o.named else "") if o.status == "killed" else o.status
                print(f"[{lec.id} {len(seen)}/{total}] {what:16} {o.id}  {o.message[:100]}", flush=True)

        reports.append(run_mutants(lec, chosen[lec.id], equivalent=equivalent, jobs=args.jobs,
                                   recheck_equivalent=args.recheck_equivalent, on_outcome=progress))
        if not args.quiet:
            print(f"[{lec.id}] {time.monotonic() - started:.0f} s", flush=True)
    print()
    print(table(reports))
    left = survivors(reports)
    if left:
        print("\nsurvivors:\n" + left)
    if args.json:
        args.json.write_text(json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
