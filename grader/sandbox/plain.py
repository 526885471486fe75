"""The plain fallback: the worker as an ordinary child process in its own session.

It has the same limits as under bubblewrap (set between fork and exec, and watched from the
grader's side), the network cut where the grader may unshare it (root), and nothing else: the
learner's code can read every file the grader can, and as root it runs as root.  So the report
says so once, and grading other people's code refuses it (``process.require_sandbox``).

A backend is a module with ``command``, ``disk_usage``, ``INFRA`` and ``CUTS_NETWORK``; the other
one is ``grader.sandbox.bwrap``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .limits import Limits, Monitor, become_subreaper

INFRA = 0              # processes of the sandbox itself, not counted against the learner
CUTS_NETWORK = True    # the child unshares its network namespace before exec, where it may


def command(*, scratch: Path, code_dir: Path, modules: list[str], fds: tuple[int, int], data_files: dict[str, Path],
            limits: Limits, device: str, worker: Path) -> tuple[list[str], str]:
    """(argv, HOME) of the worker; the public data files are copied into the scratch folder."""
    become_subreaper()  # a double-forked daemon comes back to us, not to init
    for rel, src in data_files.items():
        # copies, never links: through a link the learner's code could rewrite the shared data
        dest = scratch / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    return [sys.executable, "-I", str(worker), str(fds[0]), str(fds[1]), str(code_dir), ",".join(modules)], str(scratch)


def disk_usage(monitor: Monitor, scratch: Path, limit_entries: int = 20000) -> int:
    """Bytes under the scratch folder; a tree too large to walk counts as full."""
    total, seen = 0, 0
    for dirpath, dirnames, filenames in os.walk(scratch):
        for name in filenames:
            seen += 1
            if seen > limit_entries:
                return 1 << 62
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                pass
    return total
