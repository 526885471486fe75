"""Rewrite the training data the worker is given (the digits' labels), hoping later gradings or
classmates train on it."""


def attack(*args):
    import glob
    import os
    done = []
    for path in glob.glob("data/**/*labels*", recursive=True) or ["data"]:
        try:
            with open(path, "r+b") as f:
                f.seek(8)
                f.write(b"\0" * 16)
            done.append(f"wrote {path}")
        except OSError as exc:
            done.append(f"refused {os.path.basename(path)} ({exc.strerror})")
    raise RuntimeError("; ".join(done))
