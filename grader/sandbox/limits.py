"""The limits on learner code, and the watchdog that enforces them from outside the worker.

Resource limits of the kernel (``RLIMIT_AS``, ``RLIMIT_FSIZE``) stop one process;
they cannot bound what a *group* of processes does, and as root ``RLIMIT_NPROC``
is ignored.  So the grader also watches the worker from its own process: every
few tenths of a second while it waits on the worker it counts the submission's
processes, their memory, the bytes they printed and the files they wrote, and
at a limit kills them all and says which limit was hit, in the learner's words.

Which processes are the submission's:

* ``pids`` and ``memory`` cgroups when the grader may make them (root with a writable cgroup
  file system): the kernel refuses the fork past the limit and lists every
  member, detached or not;
* otherwise the descendants of the worker (under bubblewrap: everything in the
  sandbox's pid namespace, whose init is bwrap's child), the members of its
  session, the grader's own adopted orphans (it is made a child subreaper in
  the fallback, so a double-forked daemon is reparented to it, not to init),
  and every process seen before that is still alive.

Killing stops everything first (SIGSTOP, repeated until no new process appears)
and then kills it (SIGKILL), so a fork bomb cannot outrun the kill.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..i18n import _

POLL_S = 0.1  # how often the grader looks while it waits on the worker


@dataclass(frozen=True)
class Limits:
    call_s: float = 30.0           # wall time of one call into learner code
    submission_s: float = 300.0    # wall time of a whole lecture's checks
    memory_bytes: int = 8 << 30    # address space of each process (CPU), resident memory of all together
    file_bytes: int = 256 << 20    # largest file the worker may write
    open_files: int = 256
    processes: int = 32            # processes at once, the worker included
    output_bytes: int = 10 ** 7    # what the learner's code may print (stdout and stderr together)
    disk_bytes: int = 512 << 20    # all the files written in the scratch folder together


def human(n: int) -> str:
    """8 GiB, 512 MiB, 10 MB: the unit the limit was set in."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("GB", 10 ** 9), ("MB", 10 ** 6), ("KiB", 1 << 10),
                       ("kB", 10 ** 3)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


# what the learner reads after "your code ... in <where>", in the learner's language (said, never compared)
def memory_text(limits: Limits) -> str:
    return _("used more than {size} of memory").format(size=human(limits.memory_bytes))


def processes_text(limits: Limits) -> str:
    return _("ran more than {n} processes at once").format(n=limits.processes)


def tasks_text(cap: int) -> str:
    return _("started more than {n} processes and threads at once").format(n=cap)


def output_text(limits: Limits) -> str:
    return _("printed more than {size}").format(size=human(limits.output_bytes))


def disk_text(limits: Limits) -> str:
    return _("wrote more than {size} of files").format(size=human(limits.disk_bytes))


def file_text(limits: Limits) -> str:
    return _("wrote a file larger than {size}").format(size=human(limits.file_bytes))


def limit_from_error(exc_type: str, message: str, limits: Limits) -> str | None:
    """An exception the learner's code got *because* of a limit, as that limit's text."""
    if exc_type == "MemoryError" or "can't allocate memory" in message or "Cannot allocate memory" in message:
        return memory_text(limits)
    if "[Errno 27]" in message:   # EFBIG: RLIMIT_FSIZE (Python ignores SIGXFSZ)
        return file_text(limits)
    if "[Errno 28]" in message:   # ENOSPC: the sandbox's size-limited scratch file system
        return disk_text(limits)
    return None


# ---------------------------------------------------------------- processes

@dataclass(frozen=True)
class Proc:
    pid: int
    state: str
    ppid: int
    session: int
    start: int     # start time in clock ticks: with the pid, a process's identity (pids are reused)
    rss_pages: int


def read_proc(pid: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    f = data[data.rfind(b")") + 2:].split()  # the name may hold spaces and parentheses
    return Proc(pid, f[0].decode(), int(f[1]), int(f[3]), int(f[19]), int(f[21]))


def process_table() -> dict[int, Proc]:
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (p := read_proc(int(name))) is not None:
            table[p.pid] = p
    return table


def become_subreaper() -> bool:
    """Orphans of our descendants come to us instead of init (Linux only), so they stay traceable."""
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


class WorkerCgroup:
    """Control groups of one worker's own: a hard cap on forks (``pids``), a hard cap on memory that
    also counts what no process's resident size shows (tmpfs and memfd pages, the page cache of its
    writes), and the complete list of its processes.  cgroup v1 (one folder per controller) or v2
    (one folder with both), where the grader may make them (root, or a delegated v2 subtree).
    The kernel counts threads as well as processes in ``pids``, and torch starts a thread per core,
    so that cap is on tasks (``tasks_for``); the process limit itself is the monitor's."""

    def __init__(self, folders: dict[str, Path], cap: int, memory_bytes: int | None):
        self.folders, self.cap, self.memory_bytes = folders, cap, memory_bytes

    @property
    def path(self) -> Path:
        return self.folders.get("pids") or next(iter(self.folders.values()))

    @staticmethod
    def tasks_for(processes: int) -> int:
        return processes * 16 + 4 * (os.cpu_count() or 1)

    @classmethod
    def create(cls, tasks: int, memory_bytes: int | None = None) -> "WorkerCgroup | None":
        if os.environ.get("GRADER_CGROUP", "1") in ("0", "off", "no"):
            return None
        name = f"grader-{uuid.uuid4().hex[:12]}"
        folders: dict[str, Path] = {}
        for controller, parent in _hierarchies():
            if controller in folders or (controller == "memory" and memory_bytes is None):
                continue
            path = parent / name
            try:
                path.mkdir(exist_ok=True)
                if controller == "pids":
                    (path / "pids.max").write_text(str(tasks))
                elif (path / "memory.max").exists():            # v2
                    (path / "memory.max").write_text(str(memory_bytes))
                    _write_if_there(path / "memory.swap.max", "0")
                else:                                            # v1
                    (path / "memory.limit_in_bytes").write_text(str(memory_bytes))
                    _write_if_there(path / "memory.memsw.limit_in_bytes", str(memory_bytes))
                folders[controller] = path
            except OSError:
                _rmdir(path)
        if "pids" not in folders:  # without the fork cap and the member list it is not worth having
            for path in folders.values():
                _rmdir(path)
            return None
        return cls(folders, tasks, memory_bytes if "memory" in folders else None)

    def attach_self(self) -> None:
        """Called in the child between fork and exec, before any learner code exists."""
        for path in dict.fromkeys(self.folders.values()):
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def pids(self) -> list[int]:
        try:
            return [int(x) for x in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def refused(self) -> int:
        """How many forks the kernel refused at the limit."""
        return _event(self.folders["pids"] / "pids.events", "max")

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the group at its memory limit."""
        folder = self.folders.get("memory")
        if folder is None:
            return False
        return (_event(folder / "memory.events", "oom_kill") or _event(folder / "memory.oom_control", "oom_kill")) > 0

    def kill_all(self) -> None:
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                _signal(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        for path in dict.fromkeys(self.folders.values()):
            for _ in range(20):
                if _rmdir(path):
                    break
                self.kill_all()
                time.sleep(0.05)


def _event(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            k, _, value = line.partition(" ")
            if k == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _write_if_there(path: Path, text: str) -> None:
    try:
        if path.exists():
            path.write_text(text)
    except OSError:
        pass


def _hierarchies() -> list[tuple[str, Path]]:
    """(controller, folder to make ours in): cgroup v1's pids and memory hierarchies (inside our own
    group where we may write there), or our own cgroup v2 folder where the controllers are delegated."""
    found: list[tuple[str, Path]] = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, own = line.split(":", 2)
        if controllers == "":  # v2
            folder = Path("/sys/fs/cgroup") / own.lstrip("/")
            try:
                delegated = (folder / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            found += [(c, folder) for c in ("pids", "memory") if c in delegated]
            continue
        for c in ("pids", "memory"):
            if c in controllers.split(","):
                root = Path("/sys/fs/cgroup") / c
                if not (root / "cgroup.procs").exists():
                    continue
                mine = root / own.lstrip("/")
                found.append((c, mine if os.access(mine, os.W_OK) else root))
    return found


def _rmdir(path: Path) -> bool:
    try:
        path.rmdir()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def memfd_bytes(procs: list[Proc]) -> int:
    """Bytes held in memfd files (``os.memfd_create``) open in these processes, each file once."""
    seen: dict[tuple[int, int], int] = {}
    for p in procs:
        try:
            fds = os.listdir(f"/proc/{p.pid}/fd")
        except OSError:
            continue
        for fd in fds:
            path = f"/proc/{p.pid}/fd/{fd}"
            try:
                if os.readlink(path).startswith("/memfd:"):
                    st = os.stat(path)
                    seen[st.st_dev, st.st_ino] = st.st_blocks * 512
            except OSError:
                continue
    return sum(seen.values())


# ---------------------------------------------------------------- the watchdog

# Roots of every live worker this process started: their own processes are not
# "adopted orphans" of any other worker.
LIVE_ROOTS: set[int] = set()


class Monitor:
    """Watches one worker's processes, output and files; ``poll`` names a breached limit."""

    def __init__(self, limits: Limits, root_pid: int, log_path: Path, *, cgroup: WorkerCgroup | None = None,
                 infra: int = 0, disk_usage: Callable[["Monitor"], int | None] = lambda m: None):
        self.limits = limits
        self.root_pid = root_pid
        self.log_path = log_path
        self.cgroup = cgroup
        self.infra = infra            # processes of the sandbox itself (bwrap and its init), not counted
        self.disk_usage = disk_usage
        self.known: dict[int, int] = {}  # pid -> start time
        root = read_proc(root_pid)
        self.root_start = root.start if root else 0
        self.breach: str | None = None
        self._last_disk = self._last_full = 0.0
        self._disk_every = 0.0
        self.disk_seen_through: tuple[int, int] | None = None  # for disk_usage: a sandboxed (pid, start)
        LIVE_ROOTS.add(root_pid)

    # -- who is ours -----------------------------------------------------------
    def processes(self) -> list[Proc]:
        """The submission's live processes (zombies are dead: not counted)."""
        if self.cgroup is not None:
            procs = [p for pid in self.cgroup.pids() if (p := read_proc(pid)) is not None]
        else:
            procs = self._scan()
        return [p for p in procs if p.state != "Z"]

    def _scan(self) -> list[Proc]:
        table = process_table()
        me = os.getpid()
        children: dict[int, list[int]] = {}
        for p in table.values():
            children.setdefault(p.ppid, []).append(p.pid)
        seeds = {self.root_pid}
        for p in table.values():
            if p.pid in LIVE_ROOTS:
                continue
            if p.session == self.root_pid and p.pid != me:
                seeds.add(p.pid)
            elif p.ppid == me and p.start >= self.root_start:
                seeds.add(p.pid)                                   # an orphan reparented to us
            elif self.known.get(p.pid) == p.start:
                seeds.add(p.pid)
        ours, todo = set(), [s for s in seeds if s in table]
        while todo:
            pid = todo.pop()
            if pid in ours or pid == me:
                continue
            ours.add(pid)
            todo.extend(children.get(pid, ()))
        self.known.update((pid, table[pid].start) for pid in ours)
        return [table[pid] for pid in ours]

    # -- limits ----------------------------------------------------------------
    def poll(self, full: bool = True) -> str | None:
        """The text of the first limit breached, or None.  ``full=False`` (after every reply) does the
        cheap checks (output, refused forks, files) and counts processes and memory twice a second."""
        if self.breach:
            return self.breach
        lim, now = self.limits, time.monotonic()
        try:
            if self.log_path.stat().st_size > lim.output_bytes:
                self.breach = output_text(lim)
        except OSError:
            pass
        if not self.breach and self.cgroup is not None and self.cgroup.refused():
            self.breach = tasks_text(self.cgroup.cap)
        if not self.breach and self.cgroup is not None and self.cgroup.out_of_memory():
            self.breach = memory_text(lim)
        if not self.breach and (full or now - self._last_full >= 5 * POLL_S):
            self._last_full = now
            procs = self.processes()
            if len(procs) - self.infra > lim.processes:
                self.breach = processes_text(lim)
            elif self.cgroup is None or self.cgroup.memory_bytes is None:
                # no memory cgroup: resident memory, plus memfd files, which no resident size shows
                if sum(p.rss_pages for p in procs) * _PAGE + memfd_bytes(procs) > lim.memory_bytes:
                    self.breach = memory_text(lim)
        if not self.breach and now - self._last_disk >= self._disk_every:
            self._last_disk = start = time.monotonic()
            used = self.disk_usage(self)
            took = time.monotonic() - start
            # a slow walk (a folder's files, a process scan) is done less often; a look that costs
            # less than a millisecond (bubblewrap's statvfs) is done on every poll, so a reply that
            # comes right after the disk filled is judged with the breach seen; so is the look after the
            # first one that found a sandboxed process to look through (the scan is not repeated)
            cheap = took < 0.001 or self.disk_seen_through is not None
            self._disk_every = 0.0 if cheap else min(1.0, 50 * took)
            if used is not None and used >= lim.disk_bytes:
                self.breach = disk_text(lim)
        return self.breach

    # -- the end ---------------------------------------------------------------
    def kill(self) -> None:
        """Stop every process of the submission, then kill them all; reap the ones we adopted."""
        LIVE_ROOTS.discard(self.root_pid)
        if self.cgroup is not None:
            killed = set(self.cgroup.pids())
            self.cgroup.kill_all()
        else:
            stopped: set[int] = set()
            for _ in range(100):
                new = [p.pid for p in self._scan() if p.pid not in stopped]
                if not new:
                    break
                for pid in new:
                    _signal(pid, signal.SIGSTOP)
                stopped.update(new)
            for pid in stopped:
                _signal(pid, signal.SIGKILL)
            killed = stopped
        self._reap(killed - {self.root_pid})  # the root is reaped by its Popen, which needs its status

    @staticmethod
    def _reap(pids: set[int]) -> None:
        """Orphans reparented to this process would stay zombies in a long-lived grader."""
        deadline = time.monotonic() + 1.0
        while pids and time.monotonic() < deadline:
            for pid in list(pids):
                try:
                    if os.waitpid(pid, os.WNOHANG)[0]:
                        pids.discard(pid)
                except ChildProcessError:
                    pids.discard(pid)   # not our child: its parent or init reaps it
            if pids:
                time.sleep(0.01)


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
