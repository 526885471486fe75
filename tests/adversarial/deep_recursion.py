"""Recurse without end (Python frames)."""


def attack(*args):
    def down(n):
        return down(n + 1) + 1
    return down(0)
