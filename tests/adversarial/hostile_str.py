"""Raise an exception whose __str__ never returns, so the worker hangs while reporting it."""


def attack(*args):
    class Endless(Exception):
        def __str__(self):
            while True:
                pass

    raise Endless()
