"""Write one file without end."""


def attack(*args):
    block = b"x" * (1 << 20)
    with open("big.bin", "wb") as f:
        for _ in range(200):
            f.write(block)
