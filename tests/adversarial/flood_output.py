"""Print gigabytes."""


def attack(*args):
    import sys
    line = "spam " * 2000 + "\n"
    while True:
        sys.stdout.write(line)
