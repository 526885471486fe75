"""Starting and killing the worker process, with limits enforced from outside it.

Two backends, chosen per worker (``GRADER_SANDBOX`` = auto | bwrap | plain, or the
``sandbox`` argument), each a module with the same small interface (``command``,
``disk_usage``, ``INFRA``, ``CUTS_NETWORK``):

* **bubblewrap** (``grader.sandbox.bwrap``; Linux, where its start-up probe passes): the
  worker sees only the Python environment, its own folder, the public data and
  size-limited scratch file systems; no network, no other process, no grader;
* **plain** (``grader.sandbox.plain``), the fallback: an ordinary child process in its own
  session, with the same limits but no file-system isolation.  The report says so once
  (``WorkerProcess.notice``).

Either way resource limits are set between fork and exec, before any learner
code exists; wall time and the limits no rlimit can hold (processes, total
memory, output, files) are watched by ``grader.sandbox.limits.Monitor`` from the
grader's side of the pipe, never by anything the worker could catch; and at any
limit every process of the submission is killed.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import bwrap, plain
from .limits import Limits, Monitor, WorkerCgroup
from ..i18n import N_, _
from .redact import Redactor

__all__ = ["Limits", "WorkerProcess", "start_worker", "choose_sandbox"]

INSIDE = Path(__file__).with_name("inside")   # what the worker runs: mounted as one folder
WORKER_SCRIPT = INSIDE / "worker.py"
MODES = ("auto", "bwrap", "plain")


class SandboxUnavailable(RuntimeError):
    """``bwrap`` was required (GRADER_SANDBOX=bwrap) but cannot run here."""


@dataclass
class WorkerProcess:
    proc: subprocess.Popen
    to_worker: int
    from_worker: int
    scratch: Path
    log_path: Path
    monitor: Monitor | None = None
    mode: str = "plain"            # "bwrap" or "plain"
    notice: str = ""               # said once in the report when the sandbox is weaker than bubblewrap
    redactor: Redactor | None = None
    cgroup: WorkerCgroup | None = None
    closed: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def exit_description(self) -> str:
        return exit_text(self.proc.poll(), self.mode)

    def output_tail(self, limit: int = 2000) -> str:
        """The last of what the learner's code printed (bounded: it may print gigabytes)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - limit))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return self.redactor.text(text) if self.redactor else text

    def check_limits(self, full: bool = True) -> str | None:
        return self.monitor.poll(full) if self.monitor else None

    def kill(self) -> None:
        """Kill every process of the submission (children that detached included) and reap the worker."""
        if self.closed:
            return
        self.closed = True
        for fd in (self.to_worker, self.from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.monitor is not None:
            self.monitor.kill()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.cgroup is not None:
            self.cgroup.remove()
        shutil.rmtree(self.scratch, ignore_errors=True)


def exit_text(code: int | None, mode: str = "plain") -> str:
    """How the worker ended, from its exit status (``Popen.poll()``), in the learner's language: "exited with
    status 0", "killed by signal SIGKILL" (said after "the process running your code")."""
    if code is None:
        return _("still running")
    if mode == "bwrap" and code > 128:  # bwrap exits 128 + n when its child died of signal n
        code = 128 - code
    if code < 0:
        try:
            return _("killed by signal {signal}").format(signal=signal.Signals(-code).name)
        except ValueError:
            return _("killed by signal {signal}").format(signal=-code)
    return _("exited with status {code}").format(code=code)


def probe_soon() -> None:
    """A command that will start a worker calls this first: bubblewrap's probe (when it will be asked for)
    runs on a thread while the command finds its lecture and copies the files (grader.sandbox.bwrap)."""
    if (os.environ.get("GRADER_SANDBOX") or "auto").lower() in ("auto", "bwrap"):
        bwrap.probe_in_background()


def choose_sandbox(requested: str | None = None) -> tuple[str, str]:
    """(mode, notice): the sandbox to use and, for the fallback, the sentence that says why."""
    want = (requested or os.environ.get("GRADER_SANDBOX") or "auto").lower()
    if want not in MODES:
        raise ValueError(f"GRADER_SANDBOX={want!r}: expected one of {', '.join(MODES)}")
    if want == "plain":
        return "plain", _("turned off with GRADER_SANDBOX=plain")
    reason = bwrap.unusable_reason()
    if reason is None:
        return "bwrap", ""
    if want == "bwrap":
        raise SandboxUnavailable(_("GRADER_SANDBOX=bwrap, but {reason}").format(reason=reason))
    return "plain", reason


UNSANDBOXED_RISK = N_("without it, one submission could read the hidden checks and labels, kill its classmates' "
                    "workers, or poison the data cache for later ones")


def require_sandbox(allow_unsandboxed: bool) -> str:
    """For grading other people's code (a class, Gradescope): bubblewrap, or a refusal that says why.

    Returns the sandbox mode to use; with bubblewrap it is pinned (``GRADER_SANDBOX=bwrap``) so no
    later worker falls back silently.  Raises SandboxUnavailable unless ``allow_unsandboxed``."""
    try:
        mode, reason = choose_sandbox()
    except (SandboxUnavailable, ValueError) as exc:
        mode, reason = "plain", str(exc)
    if mode == "bwrap":
        os.environ["GRADER_SANDBOX"] = "bwrap"
        return mode
    if not allow_unsandboxed:
        raise SandboxUnavailable(_("grading submissions needs the bubblewrap sandbox, and here {reason}; {risk}. "
                                   "Install bubblewrap (Debian: apt-get install bubblewrap), or pass "
                                   "--allow-unsandboxed to grade anyway").format(reason=reason, risk=_(UNSANDBOXED_RISK)))
    os.environ["GRADER_SANDBOX"] = "plain"
    return mode


def _fallback_notice(reason: str, net_cut: bool) -> str:
    if net_cut:
        return _("sandbox: none ({reason}); your code ran as a plain process with limits on time, memory, processes, "
                 "output and files and no network, and could read this machine's files").format(reason=reason)
    return _("sandbox: none ({reason}); your code ran as a plain process with limits on time, memory, processes, "
             "output and files but with network access, and could read this machine's files").format(reason=reason)


def _unshare_network() -> bool:
    """In the child before exec: a network namespace of its own (needs root; harmless failure)."""
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).unshare(0x40000000) == 0  # CLONE_NEWNET
    except (OSError, AttributeError):
        return False


def _limit_resources(limits: Limits, device: str, cgroup: WorkerCgroup | None, cut_network: bool, status_w: int):
    """Runs in the child between fork and exec.  Joining the cgroup and cutting the network may
    not be possible; it says on ``status_w`` what it did (two bytes, b"0" or b"1" each)."""
    def apply() -> None:
        joined = False
        if cgroup is not None:
            try:
                cgroup.attach_self()
                joined = True
            except OSError:
                pass
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        if device == "cpu":
            # CUDA's runtime reserves far more address space than it uses, so an address-space
            # cap would break every GPU run; on CPU it is the memory limit.
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        net = cut_network and _unshare_network()
        os.write(status_w, b"1" if joined else b"0")
        os.write(status_w, b"1" if net else b"0")
        os.close(status_w)
    return apply


def _worker_env(home: str, device: str, display: str = "", warm_imports=(), forkserver_preload=()) -> dict:
    env = {
        "GRADER_DISPLAY_ROOT": display,  # = inside/worker.py's DISPLAY_ENV: paths in tracebacks as the learner knows them
        "GRADER_WARM_IMPORTS": ",".join(warm_imports),  # = inside/worker.py's WARM_ENV (Lecture.warm_imports)
        # = inside/worker.py's FORKSERVER_ENV (Lecture.forkserver_preload)
        "GRADER_FORKSERVER_PRELOAD": ",".join(forkserver_preload),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",  # matplotlib without a display: plt.show() in learner code neither blocks nor fails
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    for key in ("CUDA_VISIBLE_DEVICES", "VIRTUAL_ENV", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if key in os.environ and key not in env:
            env[key] = os.environ[key]
    # One intra-op thread unless the grader's environment says otherwise (torch reads it at import).
    # The course's models are small, and on a busy machine OpenMP threads waiting for descheduled
    # peers make each op many times slower (measured: InceptionNet's forward pass on 3 images 0.2 s
    # instead of 0.007 s; lecture 13's training 60-115 s instead of 1.3-2.4 s).
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def start_worker(lecture_dir: Path, modules: list[str], *, limits: Limits, device: str = "cpu",
                 data_files: dict[str, Path] | None = None, sandbox: str | None = None,
                 display: str = "", warm_imports=(), forkserver_preload=()) -> WorkerProcess:
    """Copy the learner's lecture directory into a fresh scratch directory and start a worker on it.

    ``data_files`` maps a path inside the worker's working directory to a file to expose there
    (training data the learner may see; never evaluation labels).  ``sandbox``: auto | bwrap | plain
    (default: the ``GRADER_SANDBOX`` environment variable, else auto).  ``display``: the folder of the
    learner's files as they know it (``exercises/lecture06``), for the paths in tracebacks.
    ``warm_imports``: modules the worker imports before its first request (``Lecture.warm_imports``).
    ``forkserver_preload``: modules of the fork server the worker starts at once (``Lecture.forkserver_preload``).
    """
    mode, reason = choose_sandbox(sandbox)
    scratch = Path(tempfile.mkdtemp(prefix="grader-worker-")).resolve()  # bwrap binds it from any cwd
    code_dir = scratch / "code"
    shutil.copytree(lecture_dir, code_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".grader"),
                    symlinks=True)
    redactor = Redactor(code_dir)
    log_path = scratch / "output.log"
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    status_r, status_w = os.pipe()
    backend = bwrap if mode == "bwrap" else plain
    args, home = backend.command(scratch=scratch, code_dir=code_dir, modules=modules, fds=(req_r, resp_w),
                                 data_files=data_files or {}, limits=limits, device=device, worker=WORKER_SCRIPT)
    cgroup = WorkerCgroup.create(WorkerCgroup.tasks_for(limits.processes), limits.memory_bytes)
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                args, pass_fds=(req_r, resp_w, status_w),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=scratch, env=_worker_env(home, device, display, warm_imports, forkserver_preload), start_new_session=True,
                preexec_fn=_limit_resources(limits, device, cgroup, backend.CUTS_NETWORK, status_w),
            )
    except BaseException:
        for fd in (req_w, resp_r):
            os.close(fd)
        if cgroup is not None:
            cgroup.remove()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    finally:
        for fd in (req_r, resp_w, status_w):
            os.close(fd)
        with os.fdopen(status_r, "rb") as status:
            report = status.read(2)
    if cgroup is not None and report[:1] != b"1":
        cgroup.remove()  # could not join it: the monitor counts processes itself
        cgroup = None
    worker = WorkerProcess(proc=proc, to_worker=req_w, from_worker=resp_r, scratch=scratch, log_path=log_path,
                           mode=mode, redactor=redactor, cgroup=cgroup,
                           notice="" if mode == "bwrap" else _fallback_notice(reason, report[1:2] == b"1"))
    worker.monitor = Monitor(limits, proc.pid, log_path, cgroup=cgroup, infra=backend.INFRA,
                             disk_usage=lambda monitor: backend.disk_usage(monitor, scratch))
    return worker
