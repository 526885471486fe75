"""Starting and killing the worker process, with limits enforced from outside it.

The worker gets its own process group (``start_new_session``) so that one
``killpg`` takes down whatever it spawned; resource limits are set between
fork and exec, before any learner code exists; wall time is enforced by the
grader's side of the pipe (see ``learner.Channel``), never by anything the
worker could catch.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

WORKER_SCRIPT = Path(__file__).with_name("worker.py")


@dataclass(frozen=True)
class Limits:
    call_s: float = 30.0          # wall time of one call into learner code
    submission_s: float = 300.0   # wall time of a whole lecture's checks
    memory_bytes: int = 8 << 30   # address space of the worker
    file_bytes: int = 256 << 20   # largest file the worker may write
    open_files: int = 256


@dataclass
class WorkerProcess:
    proc: subprocess.Popen
    to_worker: int
    from_worker: int
    scratch: Path
    log_path: Path
    closed: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def exit_description(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "still running"
        if code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with status {code}"

    def output_tail(self, limit: int = 2000) -> str:
        """The last of what the learner's code printed (bounded: it may print gigabytes)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - limit))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the whole process group, children included, and reap the worker."""
        if self.closed:
            return
        self.closed = True
        for fd in (self.to_worker, self.from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.scratch, ignore_errors=True)


def _limit_resources(limits: Limits, device: str):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        if device == "cpu":
            # CUDA's runtime reserves far more address space than it uses, so an address-space
            # cap would break every GPU run; on CPU it is the memory limit.
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    return apply


def _worker_env(scratch: Path, device: str) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    for key in ("CUDA_VISIBLE_DEVICES", "VIRTUAL_ENV", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if key in os.environ and key not in env:
            env[key] = os.environ[key]
    return env


def start_worker(lecture_dir: Path, modules: list[str], *, limits: Limits, device: str = "cpu",
                 data_files: dict[str, Path] | None = None) -> WorkerProcess:
    """Copy the learner's lecture directory into a fresh scratch directory and start a worker on it.

    ``data_files`` maps a path inside the scratch directory to a file to expose there
    (training data the learner may see; never evaluation labels).
    """
    scratch = Path(tempfile.mkdtemp(prefix="grader-worker-"))
    code_dir = scratch / "code"
    shutil.copytree(lecture_dir, code_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".grader"))
    for rel, src in (data_files or {}).items():
        dest = scratch / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(src, dest)
    log_path = scratch / "output.log"
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_SCRIPT), str(req_r), str(resp_w), str(code_dir), ",".join(modules)],
            pass_fds=(req_r, resp_w),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=scratch, env=_worker_env(scratch, device),
            start_new_session=True, preexec_fn=_limit_resources(limits, device),
        )
    os.close(req_r)
    os.close(resp_w)
    return WorkerProcess(proc=proc, to_worker=req_w, from_worker=resp_r, scratch=scratch, log_path=log_path)
