"""Signal the process that started the worker (the grader, in the fallback) and every process it
can see.  Guarded: it acts only where its pid is tiny, i.e. inside a pid namespace, so a run
without the sandbox cannot take down the test run or the machine."""


def attack(*args):
    import os
    import signal
    if os.getpid() > 100:
        raise RuntimeError("not in a pid namespace: not trying")
    os.kill(os.getppid(), signal.SIGKILL)
    os.kill(-1, signal.SIGKILL)
