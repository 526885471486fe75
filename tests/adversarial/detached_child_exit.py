"""Start children that detach (a new session; a double fork with setsid, ignoring SIGTERM and
SIGHUP), then exit at once, so they outlive the worker unless the grader finds them."""


def attack(*args):
    import os
    import subprocess
    import sys
    code = "import time\nwhile True:\n    time.sleep(0.2)\n"
    subprocess.Popen([sys.executable, "-c", code, "@MARK@"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            import signal
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            os.execv(sys.executable, [sys.executable, "-c", code, "@MARK@"])
        os._exit(0)
    os._exit(0)
