"""Keeping the hidden course text out of reports.

Everything that comes back from the worker (exception messages, tracebacks,
printed output, returned strings, type names) is learner-controlled.  Under
bubblewrap the worker cannot read the checks or the reference solutions at all;
without it (the fallback) it can, so every such text is searched for the lines
of the check modules and the reference solutions and those are cut out.
A line the learner's own files hold is theirs to see (their traceback quotes
it), and so is any line of the public stubs.  This stops a submission that
prints or raises what it read; it cannot stop one that encodes it first, which
is why the sandbox, not this filter, is the boundary.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..workspace import PACKAGE_DIR, REPO_DIR

MIN_LEN = 20  # shorter lines are too common (``return x``) to be a leak, or to withhold
REMOVED = "[hidden course text withheld]"


def _lines(paths) -> set[str]:
    out = set()
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out.update(s for line in text.splitlines() if len(s := line.strip()) >= MIN_LEN)
    return out


@functools.lru_cache(maxsize=1)
def _hidden() -> frozenset[str]:
    files = list((PACKAGE_DIR / "checks").glob("*.py")) + list((REPO_DIR / "solutions").glob("**/*.py"))
    return frozenset(_lines(files))


@functools.lru_cache(maxsize=1)
def _public() -> frozenset[str]:
    return frozenset(_lines((REPO_DIR / "exercises").glob("**/*.py")) | _lines((PACKAGE_DIR / "exercises").glob("**/*.py")))


class Redactor:
    """Built from the submission as it was copied, before any learner code ran."""

    def __init__(self, submission: Path):
        own = _lines(p for p in Path(submission).rglob("*") if p.is_file() and p.stat().st_size < 1 << 20)
        # longest first, so a line that contains a shorter hidden line is removed whole
        self.secret = sorted(_hidden() - _public() - own, key=len, reverse=True)

    def text(self, s: str) -> str:
        if len(s) < MIN_LEN:
            return s
        for line in self.secret:
            if line in s:
                s = s.replace(line, REMOVED)
        return s

    def value(self, v):
        """Every string inside a decoded reply (plain data: lists, tuples, dicts, scalars, tensors)."""
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, tuple):
            return tuple(self.value(x) for x in v)
        if isinstance(v, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(x) for k, x in v.items()}
        return v
