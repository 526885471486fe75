"""The sandbox wing: everything between the grader and learner code.

* ``process``: starting a worker (bubblewrap or the plain fallback), with limits, and killing
  every process of a submission; ``require_sandbox`` for grading other people's code;
* ``bwrap``: what the bubblewrap sandbox shows the worker, and what it hides;
* ``limits``: the limits and the watchdog that enforces them from outside (cgroups, /proc);
* ``learner``: the grader's side of the worker pipe, the proxy checks use (``Learner``,
  ``Handle``, the outcomes learner code can cause);
* ``replies`` and ``redact``: what comes back is validated, and hidden course text cut from it;
* ``inside/``: the only code that runs in the worker (``worker.py``, its ``wire.py`` frames, the
  ``glue.py`` helpers checks call by name), mounted read-only as one folder.
"""

from .limits import Limits
from .process import SandboxUnavailable, WorkerProcess, choose_sandbox, probe_soon, require_sandbox, start_worker

__all__ = ["Limits", "SandboxUnavailable", "WorkerProcess", "choose_sandbox", "probe_soon", "require_sandbox",
           "start_worker"]
