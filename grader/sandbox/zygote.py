"""A zygote: one bubblewrap sandbox whose process has imported torch once and forks a fresh worker
per request, for ``grader verify`` (and the mutation runs), which grade hundreds of the course's own
variants one after another.

Why: a worker's start-up is mostly ``import torch`` (about 2 s of CPU here), and a verify of the
course starts some 240 workers.  A zygote pays it once per grading slot; each worker it forks starts
with torch already imported, in the same sandbox as ``start_worker``'s (the same binds, limits, user,
no network), on a fresh copy of its submission.

What differs from a worker of its own sandbox, and why that is acceptable for the course's own code
(never for learners': ``start_worker`` remains the only path for them):

* one sandbox serves many workers, one at a time: before each fork the zygote kills every process
  left in the sandbox and empties its writable places, so no worker sees another's leftovers;
* a worker sees the folder that holds all the submissions of the run (the variants of one course),
  not only its own;
* there is no cgroup per worker: the watchdog counts the worker's processes and memory itself, as it
  does wherever cgroups cannot be made.

The zygote is never used outside bubblewrap: it refuses to start unless its parent is bubblewrap's
init in a pid namespace of its own (``inside/worker.py``, ``zygote``).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import bwrap
from .limits import Limits, Monitor, process_table
from .process import WORKER_SCRIPT, WorkerProcess, _limit_resources, _worker_env
from .redact import Redactor

ZYGOTE_ARG = "--zygote"  # = inside/worker.py's ZYGOTE_ARG
SOURCES = "/run/grader/submission"  # = bwrap.SOURCE: the run's folder of submissions, read-only
START_S = 90.0


class ZygoteFailed(RuntimeError):
    pass


class ForkedProc:
    """What ``WorkerProcess`` needs of a ``Popen`` (pid, poll, kill, wait) for a worker that is the
    zygote's child, not ours: its exit status arrives on a pipe the zygote writes when it reaps it."""

    def __init__(self, pid: int, status_r: int):
        self.pid, self._status_r, self.returncode = pid, status_r, None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._status_r], [], [], 0)[0]:
            text = os.read(self._status_r, 32)
            os.close(self._status_r)
            self.returncode = int(text) if text.strip() else 128 + signal.SIGKILL  # the zygote died too
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("worker", timeout)
            select.select([self._status_r], [], [], min(left, 1.0) if left is not None else 1.0)
        return self.returncode


@dataclass
class Zygote:
    """One sandbox (``start``), then ``worker(...)`` per worker; ``close`` ends it."""
    sources: Path                     # the folder holding every submission this zygote may be asked for
    limits: Limits
    data_files: dict[str, Path]
    device: str = "cpu"
    warm_imports: tuple[str, ...] = ()  # imported by the zygote before it forks any worker
    proc: subprocess.Popen | None = None
    ctrl: socket.socket | None = None
    scratch: Path | None = None
    broken: str = ""

    def start(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-zygote-")).resolve()
        os.chmod(self.scratch, 0o755)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        keep = sorted({str(Path(bwrap.SANDBOX) / Path(rel).parts[0]) for rel in self.data_files})
        args = bwrap.argv(python=bwrap.python_executable(), submission=self.sources, data_files=self.data_files,
                          disk_bytes=self.limits.disk_bytes, device=self.device, hidden=bwrap.hidden_paths(),
                          worker_script=WORKER_SCRIPT,
                          worker_args=[ZYGOTE_ARG, str(theirs.fileno()), bwrap.SANDBOX, *keep])
        status_r, status_w = os.pipe()
        try:
            with open(self.scratch / "zygote.log", "wb") as log:
                self.proc = subprocess.Popen(
                    args, pass_fds=(theirs.fileno(), status_w), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, cwd=self.scratch, env=_worker_env(bwrap.SANDBOX, self.device, warm_imports=self.warm_imports),
                    start_new_session=True,
                    preexec_fn=_limit_resources(self.limits, self.device, None, False, status_w))
        finally:
            theirs.close()
            os.close(status_w)
            os.read(status_r, 2)
            os.close(status_r)
        self.ctrl = ours

    def serves(self, submission: Path, data_files: dict[str, Path], device: str) -> bool:
        """Whether this zygote can start a worker for ``submission`` with these data files."""
        if self.broken or self.ctrl is None or device != self.device:
            return False
        if any(self.data_files.get(rel) != src for rel, src in data_files.items()):
            return False
        return Path(submission).resolve().is_relative_to(self.sources.resolve())

    def worker(self, submission: Path, modules: list[str], *, limits: Limits | None = None,
               display: str = "", forkserver_preload=()) -> WorkerProcess:
        """A fresh worker on ``submission`` (a folder inside ``sources``), as ``start_worker`` gives."""
        if self.broken:
            raise ZygoteFailed(self.broken)
        rel = Path(submission).resolve().relative_to(self.sources.resolve())
        scratch = Path(tempfile.mkdtemp(prefix="grader-worker-")).resolve()
        log_path = scratch / "output.log"
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        status_r, status_w = os.pipe()
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            request = {"root": f"{bwrap.SANDBOX}/code", "modules": ",".join(modules),
                       "source": f"{SOURCES}/{rel}", "display": display,
                       "forkserver": ",".join(forkserver_preload)}
            socket.send_fds(self.ctrl, [json.dumps(request).encode()], [req_r, resp_w, log_fd, status_w])
            if not select.select([self.ctrl], [], [], START_S)[0]:
                raise ZygoteFailed(f"the zygote did not answer within {START_S:g} s")
            reply = self.ctrl.recv(4096)
            if not reply:
                raise ZygoteFailed("the zygote ended: " + self._log_tail())
            ns_pid = int(json.loads(reply)["pid"])
        except BaseException as exc:
            for fd in (req_w, resp_r, status_r):
                os.close(fd)
            if not isinstance(exc, ZygoteFailed):
                exc = ZygoteFailed(f"{type(exc).__name__}: {exc}")
            self.broken = str(exc)
            raise exc from None
        finally:
            for fd in (req_r, resp_w, log_fd, status_w):
                os.close(fd)
        host_pid = self._host_pid(ns_pid)
        proc = ForkedProc(host_pid, status_r)
        worker = WorkerProcess(proc=proc, to_worker=req_w, from_worker=resp_r, scratch=scratch, log_path=log_path,
                               mode="bwrap", redactor=Redactor(Path(submission)))
        worker.monitor = Monitor(limits or self.limits, host_pid, log_path, infra=0,
                                 disk_usage=lambda m: bwrap.usage_seen_by(m.root_pid, m.limits))
        return worker

    def _host_pid(self, ns_pid: int) -> int:
        """The pid, as this process sees it, of the zygote's child ``ns_pid`` (its pid in the sandbox)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            table = process_table()
            inside = {self.proc.pid}
            changed = True
            while changed:  # the sandbox's processes: bwrap's descendants
                grown = inside | {p.pid for p in table.values() if p.ppid in inside}
                changed, inside = grown != inside, grown
            for pid in inside - {self.proc.pid}:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("NSpid:") and line.split()[-1] == str(ns_pid) and len(line.split()) > 2:
                        return pid
            time.sleep(0.01)
        self.broken = f"the zygote's worker {ns_pid} was not found"
        raise ZygoteFailed(self.broken)

    def _log_tail(self) -> str:
        try:
            return (self.scratch / "zygote.log").read_text(errors="replace")[-600:]
        except OSError:
            return ""

    def close(self) -> None:
        if self.ctrl is not None:
            self.ctrl.close()
            self.ctrl = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.kill()
            self.proc.wait()
        if self.scratch is not None:
            import shutil
            shutil.rmtree(self.scratch, ignore_errors=True)
