"""Start a detached child (double fork, setsid) and return normally, so it lives on after the
grading unless the grader kills it."""


def attack(*args):
    import os
    import sys
    code = "import time\nwhile True:\n    time.sleep(0.2)\n"
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", code, "@MARK@"])
        os._exit(0)
    os.waitpid(pid, 0)
