"""raise a bare BaseException, which `except Exception` does not catch."""


def attack(*args):
    class Escape(BaseException):
        pass
    raise Escape("not an Exception")
