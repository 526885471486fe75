"""Allocate memory that no process's resident size shows: memfd files, written without end.  One
file is bounded by the file-size limit and one process by its open files, so six processes each
fill as many memfd files as they may, just under the file-size limit, and hold them."""


def attack(*args):
    import os
    import time
    chunk = b"\1" * (1 << 20)
    for _ in range(6):
        if os.fork() == 0:
            try:
                while True:
                    fd = os.memfd_create("hoard")
                    for _ in range(7):          # 7 MiB a file: under the tests' 8 MiB file limit
                        os.write(fd, chunk)
            except OSError:
                pass                            # out of file descriptors: hold what is there
            time.sleep(600)
            os._exit(0)
    time.sleep(600)
