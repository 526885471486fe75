"""Return an object that claims to equal anything and converts to the expected number."""

RETURNS = True


def attack(*args):
    class Liar:
        def __eq__(self, other):
            return True

        def __float__(self):
            return 6.25

        def __index__(self):
            return 6

        def __repr__(self):
            return "6.25"

        def item(self):
            return 6.25

    return Liar()
