"""raise KeyboardInterrupt, as if the grader had been stopped by hand."""


def attack(*args):
    raise KeyboardInterrupt
