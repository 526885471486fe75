"""os._exit(0) inside a graded function."""


def attack(*args):
    import os
    os._exit(0)
