"""Read the hidden check module and the reference solution, print them, then die, so the report
quotes the last output."""


def attack(*args):
    import os
    for path in ("@SOLUTION@", "@CHECKS@"):
        try:
            with open(path, encoding="utf-8") as f:
                print(f.read(), flush=True)
        except OSError as exc:
            print(f"could not read {path}: {exc!r}", flush=True)
    os._exit(1)
