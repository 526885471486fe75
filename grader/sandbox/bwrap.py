"""The bubblewrap sandbox around the worker (Linux, Debian package ``bubblewrap``).

Inside, the worker sees only what it needs to run: the system's libraries and the Python
environment read-only (wherever the environment lives: inside the course folder, under /tmp,
behind symbolic links, a conda prefix), the single worker script, the public data files the
lecture names, and writable scratch file systems of bounded size (its working directory, /tmp
and /dev/shm), into which it copies the submission.  It does not see the grader package
(checks, expected values), the course repository (reference solutions), anything from which a
hidden evaluation split is derived (Debian's data-set folders, the full-size data's source
folder, the data cache), the learner's working directory (saved results) or any other process;
it has no network, no capabilities, read-only /proc/sys and /dev, and it dies with the grader.
Killing bwrap kills the sandbox's pid namespace, so nothing the learner started survives.

As root (CI containers, Gradescope) bubblewrap runs without a user namespace, so that it can open
an environment in root's own home; it keeps only CAP_SETUID and CAP_SETGID, and the worker's
first act is to become ``nobody`` (``inside/worker.py``, ``_drop_privileges``): learner code never runs
as host uid 0.  As any other user bubblewrap makes a user namespace and no drop is needed.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from ..i18n import N_, _
from .limits import Limits, Monitor, read_proc

INFRA = 2              # bwrap and its init in the pid namespace: not counted against the learner
CUTS_NETWORK = False   # bwrap's own --unshare-net does

SANDBOX = "/sandbox"                       # the writable scratch file system inside, the worker's cwd
WRITABLE = (SANDBOX, "/tmp", "/dev/shm")   # every place the learner's code may write (each size-limited)
SOURCE = "/run/grader/submission"          # the submission, read-only; the worker copies it to SANDBOX/code
INSIDE = "/run/grader/inside"              # grader/sandbox/inside/, read-only: the worker and its helpers
WORKER = f"{INSIDE}/worker.py"
UNPRIVILEGED_UID = 65534                   # nobody: whom the worker becomes when the grader is root
RUN_AS_ENV = "GRADER_WORKER_UID"           # = inside/worker.py's RUN_AS_ENV (it imports nothing of ours)

# Non-secret files some libraries read (the dynamic linker's cache, user names for getpass).
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/passwd", "/etc/group",
             "/etc/nsswitch.conf", "/etc/localtime", "/etc/alternatives")


def executable() -> str | None:
    return os.environ.get("GRADER_BWRAP") or shutil.which("bwrap")


def as_root() -> bool:
    return os.geteuid() == 0


def python_executable() -> str:
    """The interpreter to run inside: its folders resolved (the sandbox binds real paths), its own
    name kept, since a venv's ``bin/python`` is a link whose location selects the environment."""
    exe = sys.executable
    return os.path.join(os.path.realpath(os.path.dirname(exe)), os.path.basename(exe))


def unusable_reason() -> str | None:
    """None when the sandbox starts here, else why not (said once in the report), in the learner's language.

    The probe runs the real command line (same binds, same interpreter, the privilege drop) with
    ``python -I worker.py --probe``, so a sandbox that cannot start is known before grading."""
    found = _unusable()
    return None if found is None else _(found[0]).format(**found[1])


def probe_in_background() -> None:
    """Start the probe now, on a thread, for a command that will start a worker soon (``grader check``): its
    ~0.1 s then overlaps the command's own start (finding the lecture, copying the files) instead of
    preceding the worker's.  The finding is the same; ``unusable_reason`` waits for it."""
    threading.Thread(target=_unusable, name="grader-sandbox-probe", daemon=True).start()


_PROBING = threading.Lock()  # one probe per process, whichever thread asks first


def _unusable() -> tuple[str, dict] | None:
    with _PROBING:
        return _probe()


@functools.lru_cache(maxsize=None)
def _probe() -> tuple[str, dict] | None:
    """The probe's finding, once per process: (the English text, its fields), translated when said."""
    exe = executable()
    if exe is None or not sys.platform.startswith("linux"):
        return (N_("bubblewrap (bwrap) is not installed"), {}) if exe is None else (N_("bubblewrap needs Linux"), {})
    worker = Path(__file__).parent / "inside" / "worker.py"
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as empty:
        os.chmod(empty, 0o755)  # as a submission's copy is (grader.sandbox._readable_by_all)
        args = argv(python=python_executable(), worker_args=["--probe", SANDBOX, SOURCE], submission=Path(empty),
                    data_files={}, disk_bytes=1 << 20, device="cpu", hidden=hidden_paths(), worker_script=worker)
        try:
            probe = subprocess.run(args, capture_output=True, text=True, timeout=60, env=probe_env(),
                                   stdin=subprocess.DEVNULL, cwd=empty)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return N_("bubblewrap could not be run ({error})"), {"error": str(exc)}
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or [f"exit status {probe.returncode}"])[-1]  # a traceback's error
        return N_("bubblewrap could not start Python in the sandbox ({error})"), {"error": last[:300]}
    return None


def hidden_paths() -> list[Path]:
    """What the worker must never see: the package (checks, the shipped data's evaluation splits),
    the course repository (reference solutions), and every source of a hidden split: Debian's
    data-set folders, the folder a full-size data set is read from, the data cache."""
    from ..data import fullsize
    from ..workspace import PACKAGE_DIR, REPO_DIR
    repo = [REPO_DIR] if (REPO_DIR / "solutions").is_dir() or (REPO_DIR / "pyproject.toml").is_file() else []
    data = [Path("/usr/share/datasets"), fullsize.cache_root(),
            *(fullsize.source_dir(spec) for spec in fullsize.FULL_SIZE.values())]
    return [PACKAGE_DIR, *repo, *data]  # in a wheel, REPO_DIR is site-packages itself: not hidden


def probe_env() -> dict:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


def _namespaces() -> list[str]:
    common = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
              "--die-with-parent", "--new-session"]
    if as_root():
        # no user namespace: inside one, uid 0 would still be host root to the kernel's permission
        # checks; the worker drops to an unprivileged uid instead, with these two capabilities
        return common + ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return ["--unshare-user"] + common + ["--cap-drop", "ALL"]


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(path))


def environment_roots() -> list[str]:
    """The Python environment: interpreter, standard library, site-packages, at their real paths.
    An environment inside the course folder (the README's ``.venv``) is bound on its own; the course
    folder around it stays out of sight."""
    roots = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
             os.path.dirname(python_executable()), os.path.dirname(os.path.realpath(sys.executable))}
    roots |= {p for p in sys.path if p and os.path.isabs(p) and ("site-packages" in p or "dist-packages" in p)}
    keep = {rp for r in roots if (rp := _real(r)).is_dir() and rp != Path("/")}
    return sorted(str(r) for r in keep if not any(r != o and r.is_relative_to(o) for o in keep))


def _parents(path: Path, made: set[Path]) -> list[str]:
    """Folders above a bind, made readable by all: bubblewrap would make them 0700 and root's, which
    the worker (nobody, when the grader is root) could not enter."""
    args = []
    for parent in reversed(path.parents):
        if parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def argv(*, python: str, worker_args: list[str], submission: Path, data_files: dict[str, Path],
         disk_bytes: int, device: str, hidden: list[Path], worker_script: Path) -> list[str]:
    """The bwrap command line that runs ``python -I worker.py <worker_args>`` in the sandbox."""
    args = [executable(), *_namespaces()]
    # the system, read-only
    bound = [Path("/usr")]
    args += ["--ro-bind", "/usr", "/usr"]
    for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
            bound.append(Path(d))
    for f in ETC_FILES:
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    # /proc with its kernel settings read-only; /dev read-only but for its own size-limited /dev/shm
    args += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev"]
    if device != "cpu":  # the GPU's device files and what the driver reads in /sys
        for node in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dri")):
            args += ["--dev-bind", node, node]
        args += ["--ro-bind", "/sys", "/sys"]
    size = str(disk_bytes)
    args += ["--perms", "1777", "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    # the writable places, before the environment: an environment under /tmp is bound onto this /tmp
    args += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp",
             "--perms", "1777", "--size", size, "--tmpfs", SANDBOX]
    env = [Path(r) for r in environment_roots()]
    made: set[Path] = {Path("/"), Path("/tmp"), Path(SANDBOX)}
    for root in env:
        if not any(root.is_relative_to(b) for b in bound):
            args += _parents(root, made) + ["--ro-bind", str(root), str(root)]
            bound.append(root)
    # anything secret under a bound folder (a non-editable install of the grader in site-packages,
    # Debian's data sets under /usr/share) is covered by an empty read-only file system ...
    masks = [h for h in sorted({_real(h) for h in hidden}) if h.is_dir() and any(h.is_relative_to(b) for b in bound)]
    masks = [h for h in masks if not any(h != m and h.is_relative_to(m) for m in masks)]  # the outermost only
    # ... with an environment inside such a folder (a course cloned under /usr/local) bound again on top
    for h in masks:
        args += ["--size", "4096", "--tmpfs", str(h)]
        for root in env:
            if root.is_relative_to(h) and root != h:
                args += ["--ro-bind", str(root), str(root)]
        args += ["--remount-ro", str(h)]
    args += _parents(Path(SOURCE), made) + ["--ro-bind", str(submission), SOURCE, "--ro-bind", str(Path(worker_script).parent), INSIDE]
    for rel, src in sorted(data_files.items()):
        dest = Path(SANDBOX) / rel
        args += _parents(dest, made) + ["--ro-bind", str(_real(src)), str(dest)]
    args += ["--remount-ro", "/", "--chdir", SANDBOX,
             "--setenv", "HOME", SANDBOX, "--setenv", "TMPDIR", "/tmp"]
    if as_root():
        args += ["--setenv", RUN_AS_ENV, str(UNPRIVILEGED_UID)]
    args += ["--", python, "-I", WORKER, *worker_args]
    return args


# ---------------------------------------------------------------- the backend (see grader.sandbox.plain)

def command(*, scratch: Path, code_dir: Path, modules: list[str], fds: tuple[int, int], data_files: dict[str, Path],
            limits: Limits, device: str, worker: Path) -> tuple[list[str], str]:
    """(argv, HOME) of the worker under bubblewrap."""
    _readable_by_all(scratch, code_dir)  # the worker runs as another user (nobody, as root)
    args = argv(python=python_executable(), submission=code_dir, data_files=data_files, disk_bytes=limits.disk_bytes,
                device=device, hidden=hidden_paths(), worker_script=worker,
                worker_args=[str(fds[0]), str(fds[1]), f"{SANDBOX}/code", ",".join(modules), SOURCE])
    return args, SANDBOX


def disk_usage(monitor: Monitor, scratch: Path) -> int | None:
    """Bytes used in the sandbox's writable file systems together (its scratch folder, /tmp and
    /dev/shm), seen through a sandboxed process's root (bwrap itself, the root pid, is outside)."""
    seen = monitor.disk_seen_through  # (pid, start) of the process looked through last time
    if seen is not None:
        p = read_proc(seen[0])
        if p is not None and p.start == seen[1] and (used := usage_seen_by(seen[0], monitor.limits)) is not None:
            return used  # three statvfs calls, no process scan: cheap enough to look after every reply
    for p in monitor.processes():
        if p.pid != monitor.root_pid and (used := usage_seen_by(p.pid, monitor.limits)) is not None:
            monitor.disk_seen_through = (p.pid, p.start)
            return used
    return None


def usage_seen_by(pid: int, limits: Limits) -> int | None:
    """The writable places' bytes used, through the root of ``pid`` (a process inside the sandbox);
    the limit itself when one is full (the learner's writes are failing); None if it cannot be seen."""
    used = 0
    try:
        for place in WRITABLE:
            st = os.statvfs(f"/proc/{pid}/root{place}")
            if st.f_bavail * st.f_frsize < 65536:
                return limits.disk_bytes
            used += (st.f_blocks - st.f_bfree) * st.f_frsize
    except OSError:
        return None
    return used


def _readable_by_all(*folders: Path) -> None:
    """The submission's copy and the folder above it, readable (not writable) by any user."""
    for top in folders:
        os.chmod(top, 0o755)
    for dirpath, dirnames, filenames in os.walk(folders[-1]):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755, follow_symlinks=False)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)
