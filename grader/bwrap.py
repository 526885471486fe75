"""The bubblewrap sandbox around the worker (Linux, Debian package ``bubblewrap``).

Inside, the worker sees only what it needs to run: the Python environment and
the system's libraries read-only, the single worker script, the public data
files the lecture names, and one size-limited scratch file system (its working
directory, home and /tmp), into which it copies the submission.  It does not
see the grader package (checks, expected values), the course repository
(reference solutions), the evaluation labels, the learner's working directory
(saved results) or any other process; it has no network and no capabilities,
and it dies with the grader.  Killing bwrap kills the sandbox's pid namespace,
so nothing the learner started survives.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

SANDBOX = "/sandbox"                       # the writable scratch file system inside, the worker's cwd
SOURCE = "/run/grader/submission"          # the submission, read-only; the worker copies it to SANDBOX/code
WORKER = "/run/grader/worker.py"

# Non-secret files some libraries read (the dynamic linker's cache, user names for getpass).
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/passwd", "/etc/group",
             "/etc/nsswitch.conf", "/etc/localtime", "/etc/alternatives")


def executable() -> str | None:
    return os.environ.get("GRADER_BWRAP") or shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def unusable_reason() -> str | None:
    """None when bubblewrap can build a sandbox here, else why not (said once in the report)."""
    exe = executable()
    if exe is None or not sys.platform.startswith("linux"):
        return "bubblewrap (bwrap) is not installed" if exe is None else "bubblewrap needs Linux"
    try:
        probe = subprocess.run([exe, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                                "--", "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not be run ({exc})"
    if probe.returncode != 0:
        first = (probe.stderr.strip().splitlines() or ["no message"])[0]
        return f"bubblewrap cannot create namespaces here ({first})"
    return None


def _namespaces() -> list[str]:
    # user namespaces are optional (as root they are not needed); the rest are required
    return ["--unshare-user-try", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session"]


def _readable_roots(hidden: list[Path]) -> list[str]:
    """The Python environment: interpreter, standard library, site-packages (never the course)."""
    roots = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    roots |= {p for p in sys.path if p and os.path.isabs(p) and ("site-packages" in p or "dist-packages" in p)}
    keep = set()
    for r in roots:
        rp = Path(os.path.realpath(r))
        if rp.is_dir() and rp != Path("/") and not any(rp.is_relative_to(h) for h in hidden):
            keep.add(rp)
    return sorted(str(r) for r in keep if not any(r != o and r.is_relative_to(o) for o in keep))


def argv(*, python: str, worker_args: list[str], submission: Path, data_files: dict[str, Path],
         disk_bytes: int, device: str, hidden: list[Path], worker_script: Path) -> list[str]:
    """The bwrap command line that runs ``python -I worker.py <worker_args>`` in the sandbox."""
    args = [executable(), *_namespaces(), "--cap-drop", "ALL"]
    # the system, read-only
    bound = ["/usr"]
    args += ["--ro-bind", "/usr", "/usr"]
    for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
            bound.append(d)
    for f in ETC_FILES:
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    args += ["--proc", "/proc", "--dev", "/dev"]
    if device != "cpu":  # the GPU's device files and what the driver reads in /sys
        for node in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dri")):
            args += ["--dev-bind", node, node]
        args += ["--ro-bind", "/sys", "/sys"]
    for root in _readable_roots(hidden):
        if not any(Path(root).is_relative_to(b) for b in bound):
            args += ["--ro-bind", root, root]
            bound.append(root)
    # anything secret under a readable root (a non-editable install of the grader) is masked by an
    # empty read-only file system
    for h in hidden:
        if h.is_dir() and any(h.is_relative_to(b) for b in bound):
            args += ["--size", "4096", "--tmpfs", str(h), "--remount-ro", str(h)]
    # one size-limited writable place: cwd, HOME, TMPDIR, /tmp and /dev/shm all live in it
    size = str(disk_bytes)
    args += ["--size", size, "--tmpfs", SANDBOX, "--dir", f"{SANDBOX}/tmp", "--symlink", f"{SANDBOX}/tmp", "/tmp",
             "--size", size, "--tmpfs", "/dev/shm"]
    args += ["--ro-bind", str(submission), SOURCE, "--ro-bind", str(worker_script), WORKER]
    for rel, src in sorted(data_files.items()):
        args += ["--ro-bind", str(Path(src).resolve()), f"{SANDBOX}/{rel}"]
    args += ["--remount-ro", "/", "--chdir", SANDBOX,
             "--setenv", "HOME", SANDBOX, "--setenv", "TMPDIR", SANDBOX,
             "--", python, "-I", WORKER, *worker_args]
    return args
