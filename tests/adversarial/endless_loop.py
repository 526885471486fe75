"""An endless loop that ignores the catchable signals and swallows every exception."""


def attack(*args):
    import signal
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGUSR1):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
