"""Make the worker send "figures" that are markup, a pixel bomb (a PNG header claiming 100000 x
100000 pixels) and 5 MB of noise, hoping the report embeds them: the learner's code runs in the
worker, so it can replace the worker's own figure-taking (``Worker.take_figures``)."""


def attack(*args):
    import struct
    import sys
    import zlib

    import torch

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    fakes = [b"<script>alert('@MARK@')</script>", bomb, b"\x89PNG\r\n\x1a\n" + bytes(5 << 20)]
    worker = sys.modules["__main__"].Worker
    worker.take_figures = lambda self: [torch.frombuffer(bytearray(f), dtype=torch.uint8) for f in fakes]
