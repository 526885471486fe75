"""Lift the recursion limit and recurse through C calls until the process's stack overflows."""


def attack(*args):
    import sys
    sys.setrecursionlimit(10 ** 8)

    def down(n):
        return list(map(down, [n + 1]))
    return down(0)
