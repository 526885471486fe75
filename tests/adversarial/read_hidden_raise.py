"""Read the hidden check module and the reference solution from disk, and raise their text as
the exception message (which the report quotes)."""


def attack(*args):
    found = []
    for path in ("@CHECKS@", "@SOLUTION@"):
        try:
            with open(path, encoding="utf-8") as f:
                found.append(f.read())
        except OSError as exc:
            found.append(f"could not read it: {exc!r}")
    raise RuntimeError("\n".join(found)[-1900:])
