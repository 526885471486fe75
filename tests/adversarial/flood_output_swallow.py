"""Print gigabytes on stdout and stderr, swallowing the errors when a write fails."""


def attack(*args):
    import os
    line = b"eggs " * 2000 + b"\n"
    while True:
        for fd in (1, 2):
            try:
                os.write(fd, line)
            except OSError:
                pass
