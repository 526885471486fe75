"""Read the hidden evaluation labels (the answers to the accuracy checks)."""


def attack(*args):
    try:
        with open("@EVAL@", "rb") as f:
            data = f.read()
    except OSError as exc:
        raise RuntimeError(f"could not read the labels: {exc!r}") from None
    raise RuntimeError(f"STOLEN {len(data)} bytes of labels: {data[8:40].hex()}")
