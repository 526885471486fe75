"""raise SystemExit with a "success" code and message."""


def attack(*args):
    raise SystemExit("all checks passed")
