"""Figures the learner's code drew, as they come back from the worker: checked before they are kept.

The worker renders each open matplotlib figure to PNG after a call (``Worker.take_figures``) and
sends the bytes with its reply.  They are the learner's data, so nothing here trusts them: a
figure is kept only if it is a uint8 tensor holding a PNG (its signature and header chunk) of at
most ``MAX_BYTES`` and ``MAX_SIDE`` pixels a side, and at most ``MAX_KEPT`` are kept per lecture.
A report shows a kept figure as an ``<img>`` of a ``data:image/png`` address: the browser decodes
it as an image only, never as markup or script.
"""

from __future__ import annotations

import base64
import struct

MAX_KEPT = 3             # per lecture: the loss curve and a few more, not a gallery
MAX_BYTES = 200_000      # one PNG; a line plot at 800 px is 20-60 KB
MAX_SIDE = 2000          # pixels
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_bytes(value) -> bytes | None:
    """The PNG in ``value`` (a 1-D uint8 tensor from the worker), or None if it is anything else."""
    import torch
    if type(value) is not torch.Tensor or value.dtype != torch.uint8 or value.dim() != 1:
        return None
    if value.numel() > MAX_BYTES:
        return None
    data = value.numpy().tobytes()
    # the signature, then the IHDR chunk first: length 13, type, width, height
    if len(data) < 33 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        return None
    return data


def as_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
