"""Replace builtins (isinstance, float, abs, len, type checks) the worker and the grader rely on."""


def attack(*args):
    import builtins
    builtins.isinstance = lambda obj, cls: True
    builtins.float = lambda *a: 6.25
    builtins.abs = lambda v: 0
    builtins.len = lambda v: 1
    builtins.print = lambda *a, **k: None
