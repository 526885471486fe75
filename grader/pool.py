"""One pool of forked grading processes, for a class (``grader.batch``) and for ``grader verify``.

Each task runs in a process forked from a parent that has already imported torch, pytest and
the grader, so it pays only for its own worker and checks; at most ``jobs`` run at once.  A
process past ``timeout`` is stopped (SIGTERM: it kills its workers' process groups and exits;
SIGKILL after a grace period) and its task's result is failed closed by ``Job.on_fail``; so is one
that dies before reporting.  Every temporary folder of a task lives in one folder that the pool
removes, also when the process was killed and when the run is interrupted.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

from .i18n import _
from .results import LectureResult, SubmissionResult, write_atomic

KILL_GRACE_S = 5.0       # between SIGTERM and SIGKILL
Result = Union[SubmissionResult, LectureResult]


def _kill_my_children() -> None:
    """Kill the process groups of this process's children (the workers run in their own sessions)."""
    me = str(os.getpid())
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:  # fields after "(comm)": state, ppid, pgrp, ...
            pid = int(stat_file.parent.name)
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                except (ProcessLookupError, PermissionError):
                    pass


def _on_sigterm(signum, frame) -> None:
    _kill_my_children()
    os._exit(128 + signum)


SLOT: int | None = None  # in a grading process: which of the pool's ``jobs`` places it runs in


def _child_main(task: Callable[[], Result], result_path: str, tmp: str, slot: int = 0) -> None:
    global SLOT
    SLOT = slot  # what a task may keep per place (verify's zygotes): one grading at a time uses it
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops us cleanly
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held back by the parent during the fork
    # every temporary folder of this grading (staging, the workers' scratch) inside one that the
    # parent removes, also when this process is killed before its own clean-up could run
    os.makedirs(tmp, exist_ok=True)
    tempfile.tempdir = os.path.abspath(tmp)
    # One thread for the checks' own reference computations (the learner's code runs in the worker,
    # a fresh executable with its own threads).  Not an optimisation: a forked child whose parent
    # has already run a parallel torch op inherits OpenMP's thread pool in a broken state and hangs
    # at its first parallel region -- every grading of `verify` inside a test suite, or of
    # `grader.api.grade` in a notebook that trained a model, waited out the pool's time-out.
    import torch
    torch.set_num_threads(1)
    try:
        result = task()
        write_atomic(Path(result_path), result.to_json())
    finally:
        _kill_my_children()


def _tmp_of(result_path: Path) -> Path:
    return result_path.with_suffix(".tmp")


@dataclass
class Job:
    id: str                                   # unique in one run: names its files in the scratch folder
    task: Callable[[], Result]                # runs in the forked grading process
    on_fail: Callable[[str, str], Result]     # (status, message) -> a result failed closed


@dataclass
class _Running:
    job: Job
    proc: multiprocessing.process.BaseProcess
    result_path: Path
    started: float
    slot: int = 0
    terminated_at: float | None = None


@dataclass
class Pool:
    """At most ``jobs`` forked grading processes; a process past ``timeout`` seconds is stopped.
    ``result_type`` is what the tasks return (a SubmissionResult for a class, a LectureResult for
    verify): it crosses back as its canonical JSON, written atomically by the child."""
    jobs: int
    timeout: float
    scratch: Path
    result_type: type = SubmissionResult
    running: list[_Running] = field(default_factory=list)

    def run(self, todo: list[Job], on_result: Callable[[Result, Job], None]) -> None:
        ctx = multiprocessing.get_context("fork")  # children inherit torch/pytest/grader already imported
        queue = list(todo)
        try:
            while queue or self.running:
                while queue and len(self.running) < self.jobs:
                    job = queue.pop(0)
                    result_path = self.scratch / f"{job.id}.json"
                    result_path.unlink(missing_ok=True)
                    slot = min(set(range(self.jobs)) - {r.slot for r in self.running})
                    proc = ctx.Process(target=_child_main, daemon=False,
                                       args=(job.task, str(result_path), str(_tmp_of(result_path)), slot))
                    # Ctrl-C held back between the fork and the bookkeeping: a process started but not
                    # yet in `running` would be missed by the clean-up below, and multiprocessing's exit
                    # handler would wait for it to finish its grading (seen: an interrupted batch that
                    # did not stop within 60 s under load)
                    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                    try:
                        proc.start()
                        self.running.append(_Running(job, proc, result_path, time.monotonic(), slot))
                    finally:
                        signal.pthread_sigmask(signal.SIG_SETMASK, held)
                multiprocessing.connection.wait([r.proc.sentinel for r in self.running], timeout=0.5)
                for r in list(self.running):
                    if r.proc.exitcode is not None:
                        r.proc.join()
                        self.running.remove(r)
                        on_result(self._collect(r), r.job)
                    elif r.terminated_at is None and time.monotonic() - r.started > self.timeout:
                        r.terminated_at = time.monotonic()
                        r.proc.terminate()
                    elif r.terminated_at is not None and time.monotonic() - r.terminated_at > KILL_GRACE_S:
                        r.proc.kill()
        finally:
            for r in self.running:  # interrupted: stop what runs (each cleans up its workers)
                r.proc.terminate()
            for r in self.running:
                r.proc.join(KILL_GRACE_S)
                if r.proc.exitcode is None:
                    r.proc.kill()
                    r.proc.join()
                shutil.rmtree(_tmp_of(r.result_path), ignore_errors=True)

    def _collect(self, r: _Running) -> Result:
        if r.terminated_at is not None:
            return r.job.on_fail("timed_out", _("grading this submission took longer than {seconds} s; it was stopped "
                                                "and its unfinished checks count as timed out").format(seconds=f"{self.timeout:g}"))
        try:
            return self.result_type.from_dict(json.loads(r.result_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            code = r.proc.exitcode
            if code and code < 0:
                message = _("the grading process of this submission was killed by signal {signal} before reporting "
                            "(out of memory?); this is not a verdict on the code: grade it again").format(signal=-code)
            else:
                message = _("the grading process of this submission exited with status {code} before reporting "
                            "(out of memory?); this is not a verdict on the code: grade it again").format(code=code)
            return r.job.on_fail("error", message)
        finally:
            r.result_path.unlink(missing_ok=True)
            shutil.rmtree(_tmp_of(r.result_path), ignore_errors=True)


# ---------------------------------------------------------------- the batch
