"""The grader's side of the trust boundary: a proxy through which checks ask the
worker to act on the learner's code, and the outcomes that learner code can cause.

Every wait on the worker has a deadline enforced here, with ``select`` on the
pipe: the worker cannot catch, delay or forge it.  While it waits, the grader
also looks at the worker's processes, memory, output and files every
``POLL_S`` (``grader.sandbox.limits``).  At a deadline or a limit, or when the worker
dies or talks nonsense, every process of the submission is killed; the next
call starts a fresh worker, so one hung check costs only the checks it touched.
Every string that comes back is passed through the redactor before a check
sees it (``grader.sandbox.redact``).
"""

from __future__ import annotations

import os
import select
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..i18n import N_, _
from .limits import POLL_S, limit_from_error
from .process import WorkerProcess


class Where(str):
    """Where learner code was when something happened ("importing training.py"): as a string it is the
    English text, the same in every language (a key of ``Learner.timed_out``, what the diagnosis matches,
    what the plugin compares), and ``shown(where)`` is that text in the learner's language."""

    def __new__(cls, template: str, **fields):
        self = super().__new__(cls, template.format(**fields))
        self.template, self.fields = template, fields
        return self

    def __reduce__(self):
        return _make_where, (self.template, self.fields)

    def shown(self) -> str:
        return _(self.template).format(**self.fields)


def _make_where(template: str, fields: dict) -> "Where":
    return Where(template, **fields)


def shown(where: str) -> str:
    """A ``where`` as the learner reads it: a ``Where`` translated, any other text (a check's own, already
    translated where it was made; "train (training.py)") as it is."""
    return where.shown() if isinstance(where, Where) else where


def importing(module: str) -> Where:
    """The ``where`` of one learner file's import."""
    return Where(N_("importing {file}"), file=f"{module}.py")


IMPORTING = Where(N_("importing your files"))  # the `where` of the import step
YOUR_CODE = Where(N_("your code"))  # the `where` of a lecture whose whole time ran out, and glue's default
STARTING = Where(N_("starting the worker"))
SEEDING = Where(N_("seeding"))
CLEANUP = Where(N_("cleanup"))
STARTUP_S = 90.0  # importing torch on a loaded 2-core machine; not learner time


# ---------------------------------------------------------------- outcomes caused by learner code

class LearnerProblem(Exception):
    """Base of every outcome the learner's code (not the check) is responsible for."""


class NotAttempted(LearnerProblem):
    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where


class LearnerError(LearnerProblem):
    """Learner code raised; ``traceback`` is already cut to the learner's frames."""

    def __init__(self, where: str, exc_type: str, message: str, traceback: str, exited: bool = False):
        super().__init__(f"{exc_type}: {message}")
        self.where, self.exc_type, self.message, self.traceback, self.exited = where, exc_type, message, traceback, exited


class TimedOut(LearnerProblem):
    def __init__(self, where: str, limit_s: float, what: str = "call"):
        what_text = _("the whole lecture's time limit") if what == "submission" else _("{s:g} s").format(s=limit_s)
        super().__init__(_("your code ran for more than {limit} in {where}").format(limit=what_text, where=shown(where)))
        self.where, self.limit_s, self.what = where, limit_s, what


class WorkerDied(LearnerProblem):
    def __init__(self, where: str, description: str, output: str = ""):
        super().__init__(_("the process running your code {description} while in {where}").format(
            description=description, where=shown(where)))
        self.where, self.description, self.output = where, description, output


class LimitExceeded(LearnerProblem):
    """A limit other than time: memory, processes, output, files.  ``what`` is in the learner's
    words ("printed more than 10 MB")."""

    def __init__(self, where: str, what: str, detail: str = ""):
        super().__init__(_("your code {what} in {where}").format(what=what, where=shown(where)) + (f" ({detail})" if detail else ""))
        self.where, self.what = where, what


class WorkerStartFailed(Exception):
    """The process that runs learner code could not be started: a problem of the grader's
    installation or of this machine, never of the learner's code (not a ``LearnerProblem``)."""

    def __init__(self, detail: str):
        super().__init__(_("the grader could not start the process that runs your code: {detail}. This is a problem "
                           "of the grader's installation or of this machine, not of your code").format(detail=detail))
        self.detail = detail


class _Breach(Exception):
    def __init__(self, what: str):
        self.what = what


class _BadFrame(Exception):
    pass


class ProtocolError(LearnerProblem):
    """The worker answered with something that is not plain data: never trusted, never a pass."""


@dataclass(frozen=True)
class Handle:
    """An object that lives in the worker (a model, an optimizer, ...)."""
    id: int
    type: str
    repr: str

    def __str__(self) -> str:
        return f"<{self.type} in your code>"


def _to_wire(value):
    if isinstance(value, Handle):
        return {"__handle__": value.id}
    if isinstance(value, (list, tuple)):
        items = [_to_wire(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items()}
    return value


def _from_wire(value):
    if isinstance(value, dict):
        if "__handle__" in value:
            return Handle(int(value["__handle__"]), str(value.get("type", "?")), str(value.get("repr", "")))
        return {k: _from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_wire(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_from_wire(v) for v in value)
    return value


def _start_detail(exc: Exception) -> str:
    if isinstance(exc, WorkerDied):
        tail = exc.output.strip()[-600:]
        return (_("the worker {description} as it started").format(description=exc.description)
                + (_("; it said: {output}").format(output=tail) if tail else ""))
    if isinstance(exc, TimedOut):
        return _("the worker did not answer within {s:g} s of starting").format(s=exc.limit_s)
    return str(exc)


def _again(exc: LearnerProblem) -> LearnerProblem:
    """The same outcome again, without running the learner's code again, saying so."""
    note = _(" (seen in an earlier check; not run again)")
    again = type(exc).__new__(type(exc))  # not copy.copy: these classes' __init__ take other arguments
    again.__dict__.update(exc.__dict__)
    if isinstance(again, LearnerError):
        again.message, again.traceback = again.message + note, ""
    again.args = (f"{exc}{note}",)
    return again


# ---------------------------------------------------------------- the proxy

class Learner:
    """What a check sees of the learner's code.  ``start`` launches a worker
    (``start_worker`` is a zero-argument factory); calls block with deadlines."""

    def __init__(self, start_worker: Callable[[], WorkerProcess], *, call_s: float, submission_s: float,
                 describe: Callable[[str], str] = lambda name: name,
                 module_of: Callable[[str], str | None] = lambda name: None):
        self._start_worker = start_worker
        self.call_s = call_s
        self.deadline = time.monotonic() + submission_s
        self.submission_s = submission_s
        self.describe = describe  # "train" -> "train (training.py)"
        self.proc: WorkerProcess | None = None
        self._ready = False
        self.restarts = 0
        self.start_failure = ""  # why the worker could not start: every later call fails at once with it
        self.module_of = module_of  # "train" -> "training": the learner's file that defines a name
        # What one mistake costs only once.  A file whose import raised: the checks that use it fail
        # (its traceback shown the first time), the others run.  An import that hung, exited or hit a
        # limit, and a call that ran out of time: later checks that would do the same fail at once.
        self.broken: dict[str, LearnerError] = {}
        self.told: set[str] = set()
        self.import_failure: LearnerProblem | None = None
        self.timed_out: dict[str, TimedOut] = {}
        # Figures the learner's code drew (grader.sandbox.figures).  ``check``
        # is the check running when it was drawn (set by the plugin; "" at import), so that a figure
        # drawn on a hidden check's inputs can be left out of what the learner sees.
        self.check = ""
        self.figures: list[list] = []  # [check, where, PNG bytes, times drawn]
        self.figures_left_out = 0   # over the limits, or not a PNG
        self.figures_unsandboxed = 0  # drawn in the plain fallback (see _keep_figures)
        # Replies of calls already run side by side (``prefetch``), by the call's request: each is used
        # once, by the identical call, within the same check (``release`` forgets them).
        self.prefetched: dict[bytes, dict] = {}

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        """Start the worker now, without waiting for it: its torch import overlaps ours."""
        if self.start_failure:
            return
        if self.proc is None or self.proc.closed:
            if self.proc is not None:
                self.restarts += 1
            try:
                self.proc = self._start_worker()
            except Exception as exc:  # the sandbox refused, the interpreter is gone, ...
                self.start_failure = f"{type(exc).__name__}: {exc}"
                self.proc = None
            self._ready = False

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()

    def output(self) -> str:
        return self.proc.output_tail() if self.proc else ""

    @property
    def sandbox_notice(self) -> str:
        """One sentence for the report when the worker ran without bubblewrap, else empty."""
        return self.proc.notice if self.proc else ""

    # -- the operations checks use -----------------------------------------
    def call(self, target: str | Handle, *args, timeout: float | None = None, **kwargs) -> Any:
        """Call a learner function or class by name (``"train"``, ``"Net"``), a library
        callable by dotted path (``"torch.optim.SGD"``), or a handle (``model(x)``)."""
        req = {"op": "call", "target": _to_wire(target), "args": _to_wire(list(args)), "kwargs": _to_wire(kwargs)}
        if self.prefetched:
            from .inside import wire
            reply = self.prefetched.pop(wire.encode(req), None)
            if reply is not None:
                return self._prefetched_outcome(reply, where=self._where(target), limit=timeout or self.call_s)
        return self._request(req, where=self._where(target), timeout=timeout, target=target)

    new = call

    def prefetch(self, target: str, calls: list[tuple], *, timeout: float | None = None) -> None:
        """Run ``target(*args)`` for each of ``calls`` now, side by side (forked copies of the worker, one
        per call: a check's trainings on three seeds use both cores), keeping each reply for the identical
        ``call`` that follows in the same check.  Nothing else changes for that call: its value, error,
        figures and time-out (``timeout`` or call_s, each copy on its own) are what running it then would
        have given.  When the run side by side fails as a whole, the calls simply run one by one."""
        if len(calls) < 2 or self.start_failure:
            return
        where = self._where(target)
        if where in self.timed_out:
            return
        from .inside import wire
        limit = timeout or self.call_s
        requests = [{"op": "call", "target": _to_wire(target), "args": _to_wire(list(args)), "kwargs": {}}
                    for args in calls]
        try:
            replies = self._request({"op": "map", "target": _to_wire(target), "calls": [r["args"] for r in requests],
                                     "limit": limit}, where=where, timeout=limit * len(calls), target=target)
        except LearnerProblem:
            return  # a time-out is remembered by _request; anything else the calls meet again, one by one
        if isinstance(replies, list) and len(replies) == len(calls) and all(isinstance(r, dict) for r in replies):
            self.prefetched.update((wire.encode(req), reply) for req, reply in zip(requests, replies))

    def _prefetched_outcome(self, reply: dict, *, where: str, limit: float):
        """A prefetched reply taken as its call's own (``_exchange``'s verdict on a reply)."""
        if reply.get("kind") == "timeout" and reply.get("ok") is False:
            self.timed_out[where] = exc = TimedOut(where, limit, "call")
            raise exc
        return self._outcome(self.proc, dict(reply), where=where)

    def method(self, handle: Handle, name: str, *args, timeout: float | None = None, **kwargs) -> Any:
        return self._request({"op": "call", "target": _to_wire(handle), "method": name,
                              "args": _to_wire(list(args)), "kwargs": _to_wire(kwargs)},
                             where=f"{handle.type}.{name}", timeout=timeout)

    def seed(self, seed: int) -> None:
        self._request({"op": "seed", "seed": int(seed)}, where=SEEDING)

    def release(self) -> None:
        """Drop the worker's handles between checks (cheap; skipped when no worker runs)."""
        self.prefetched.clear()
        if self.proc is not None and not self.proc.closed and self._ready:
            self._request({"op": "release"}, where=CLEANUP)

    # -- plumbing ----------------------------------------------------------
    def _where(self, target) -> str:
        if isinstance(target, Handle):
            return Where(N_("your {type}"), type=target.type)
        return self.describe(str(target))

    def _ensure_ready(self) -> None:
        if self.import_failure is not None:  # it hung, exited or hit a limit before: not again
            raise _again(self.import_failure)
        if time.monotonic() >= self.deadline:  # no worker is started for a lecture whose time is up
            raise TimedOut(YOUR_CODE, self.submission_s, "submission")
        self.start()
        if self.start_failure:
            raise WorkerStartFailed(self.start_failure)
        if not self._ready:
            # startup is not the learner's time, and no learner code has run yet: a failure here is
            # the grader's (an interpreter the sandbox cannot see, a broken torch), said as such
            try:
                self._exchange({"op": "ping"}, where=STARTING, limit=STARTUP_S, kind="call")
            except TimedOut as exc:
                if exc.what == "submission":
                    raise  # the lecture's time was used up by the learner's code before: theirs, not ours
                self.start_failure = _start_detail(exc)
                raise WorkerStartFailed(self.start_failure) from None
            except LearnerProblem as exc:
                self.start_failure = _start_detail(exc)
                raise WorkerStartFailed(self.start_failure) from None
            self._ready = True
            self._import()

    def _import(self) -> None:
        try:
            reply = self._exchange({"op": "import"}, where=IMPORTING, limit=self.call_s, kind="call")
        except LearnerProblem as exc:
            self.import_failure = exc
            raise
        broken = reply.get("broken", {}) if isinstance(reply, dict) else {}
        for module, failure in broken.items() if isinstance(broken, dict) else ():
            if isinstance(failure, dict) and module not in self.broken:
                self.broken[str(module)] = LearnerError(importing(str(module)), str(failure.get("type", "Exception")),
                                                        str(failure.get("message", "")),
                                                        str(failure.get("traceback", "")))

    def _request(self, req: dict, *, where: str, timeout: float | None = None, target=None):
        if where in self.timed_out:
            raise _again(self.timed_out[where])
        self._ensure_ready()
        if isinstance(target, str) and (module := self.module_of(target)) in self.broken:
            raise self._broken(module)
        try:
            return self._exchange(req, where=where, limit=timeout or self.call_s, kind="call")
        except TimedOut as exc:
            if exc.what == "call":
                self.timed_out[where] = exc
            raise
        except LearnerError as exc:
            # a name looked up inside the worker (by glue) may be in the file that failed
            for module, error in self.broken.items():
                if (exc.exc_type, exc.message) == (error.exc_type, error.message):
                    raise self._broken(module) from None
            raise

    def _broken(self, module: str) -> LearnerError:
        """The import error of one of the learner's files: whole the first time, then by reference."""
        exc = self.broken[module]
        if module in self.told:
            return LearnerError(exc.where, exc.exc_type, exc.message + _(" (the same error as above: this check needs "
                                                                         "that file)"), "")
        self.told.add(module)
        return exc

    def _exchange(self, req: dict, *, where: str, limit: float, kind: str):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.close()
            raise TimedOut(where, self.submission_s, "submission")
        if remaining < limit:
            limit, kind = remaining, "submission"
        # these import torch: kept off the start-up path, so the worker starts before the grader's
        # own torch import and the two overlap (tests/test_cli_layout.py holds this)
        from .inside import wire
        from .replies import BadReply, check_reply
        proc = self.proc
        deadline = time.monotonic() + limit
        try:
            self._send(proc, wire.encode(req), deadline)
            reply = self._recv(proc, deadline)
        except TimeoutError:
            proc.kill()
            raise TimedOut(where, self.submission_s if kind == "submission" else limit, kind) from None
        except _Breach as breach:
            proc.kill()
            raise LimitExceeded(where, breach.what) from None
        except _BadFrame:
            proc.kill()
            raise ProtocolError(_("the process running your code announced a reply larger than the grader "
                                  "accepts; it was not trusted")) from None
        except (EOFError, BrokenPipeError, OSError):
            try:
                proc.proc.wait(timeout=2)
            except Exception:
                pass
            what = proc.check_limits()
            description, output = proc.exit_description(), proc.output_tail()
            proc.kill()
            if what:
                raise LimitExceeded(where, what) from None
            raise WorkerDied(where, description, output) from None
        try:
            message = wire.decode(reply)
            check_reply(message)
            message["ok"]  # a reply without it is no reply
        except BadReply as exc:
            proc.kill()
            raise ProtocolError(_("the process running your code sent back data the grader does not accept "
                                  "({problem}); it was not trusted").format(problem=exc)) from None
        except Exception as exc:
            proc.kill()
            raise ProtocolError(_("the process running your code sent back something that is not plain data "
                                  "({type}); it was not trusted").format(type=type(exc).__name__)) from None
        if proc.redactor is not None:
            figures = message.pop("figures", None) if isinstance(message, dict) else None
            message = proc.redactor.value(message)
            if figures is not None:
                message["figures"] = figures
        return self._outcome(proc, message, where=where)

    def _outcome(self, proc: WorkerProcess, message: dict, *, where: str):
        """A checked, redacted reply as the call's value, or the exception it stands for."""
        ok = message["ok"]
        figures = message.pop("figures", None)
        what = proc.check_limits(full=not ok)  # a reply that arrived at a limit does not count
        if what:
            proc.kill()
            raise LimitExceeded(where, what)
        if figures is not None:
            self._keep_figures(proc, figures, where)
        if ok:
            return _from_wire(message.get("value"))
        kind_of = message.get("kind")
        if kind_of == "not_attempted":
            raise NotAttempted(where, str(message.get("message", "")))
        exc_type, text = str(message.get("type", "Exception")), str(message.get("message", ""))
        what = limit_from_error(exc_type, text, proc.monitor.limits) if proc.monitor else None
        if what:
            proc.kill()  # its memory or disk is full: a fresh worker for the next check
            raise LimitExceeded(where, what, f"{exc_type}: {text}"[:300])
        raise LearnerError(where, exc_type, text, str(message.get("traceback", "")), exited=kind_of == "exit")

    def _keep_figures(self, proc: WorkerProcess, figures, where: str) -> None:
        """Keep what is a PNG within the limits: the first figure of each place that draws (``train``
        called by five checks draws the same curve five times; the others are counted), at most
        MAX_KEPT.  Only from the bubblewrap sandbox: in the plain fallback the learner's code can read
        the grader's files, and an image would carry them past the redactor, which sees only text."""
        from .figures import MAX_KEPT, png_bytes
        place = "" if where == IMPORTING else shown(where)  # "your LinearModel" in the learner's language
        for value in figures if isinstance(figures, list) else [figures]:
            if proc.mode != "bwrap":
                self.figures_unsandboxed += 1
                continue
            data = png_bytes(value)
            same = [f for f in self.figures if f[1] == place]
            if data is not None and same:
                same[0][3] += 1
            elif data is None or len(self.figures) >= MAX_KEPT:
                self.figures_left_out += 1
            else:
                self.figures.append([self.check, place, data, 1])

    @staticmethod
    def _wait(proc: WorkerProcess, deadline: float, *, readable: bool) -> bool:
        """Wait until the pipe is ready or the deadline passes, looking at the limits meanwhile."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            fds = [proc.from_worker] if readable else []
            wfds = [] if readable else [proc.to_worker]
            r, w, _ = select.select(fds, wfds, [], min(left, POLL_S))
            if r or w:
                return True
            if not proc.alive():
                # the worker is gone, but a child it left may still hold the pipe open, so no EOF
                # would ever come: its answer never will either
                raise EOFError
            what = proc.check_limits()
            if what:
                raise _Breach(what)

    @classmethod
    def _send(cls, proc: WorkerProcess, payload: bytes, deadline: float) -> None:
        from .inside.wire import HEADER
        view = memoryview(HEADER.pack(len(payload)) + payload)
        os.set_blocking(proc.to_worker, False)
        while view:
            cls._wait(proc, deadline, readable=False)
            try:
                view = view[os.write(proc.to_worker, view):]
            except BlockingIOError:
                continue

    @classmethod
    def _recv(cls, proc: WorkerProcess, deadline: float) -> bytes:
        from .inside.wire import HEADER, MAX_FRAME

        def exact(n: int) -> bytes:
            chunks, left_n = [], n
            while left_n:
                cls._wait(proc, deadline, readable=True)
                chunk = os.read(proc.from_worker, min(left_n, 1 << 20))
                if not chunk:
                    raise EOFError
                chunks.append(chunk)
                left_n -= len(chunk)
            return b"".join(chunks)

        (n,) = HEADER.unpack(exact(HEADER.size))
        if n > MAX_FRAME:
            raise _BadFrame
        return exact(n)
