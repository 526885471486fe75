"""sys.exit(0) inside a graded function."""


def attack(*args):
    import sys
    sys.exit(0)
