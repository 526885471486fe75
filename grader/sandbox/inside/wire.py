"""The wire between the grader and the worker, shared by both sides.

The protocol is a stream of frames on two inherited pipe file descriptors (never stdin/stdout,
which belong to the learner's prints).  A frame is an 8-byte big-endian length followed by a
``torch.save`` payload of *plain data only*: tensors, numbers, strings, None, lists, tuples and
str-keyed dicts.  Both sides decode with ``torch.load(weights_only=True)``, which cannot run code,
so whatever the learner does to the worker, the grader never unpickles anything it wrote (and
``grader.sandbox.replies`` validates what it decoded before any check sees it).

Standalone (standard library and torch): imported as ``wire`` by the worker, as
``grader.sandbox.inside.wire`` by the grader.
"""

from __future__ import annotations

import io
import os
import re
import struct

HEADER = struct.Struct(">Q")
MAX_FRAME = 512 * 1024 * 1024  # a hostile peer must not make the other side allocate without bound


# ---------------------------------------------------------------- framing (shared with the trusted side)

# The message of the NotImplementedError that every stub raises (``grader.stubs`` writes it): only
# this marks a check "not attempted"; torch's own NotImplementedError is an ordinary error.
STUB_MESSAGE = "{lecture}/{file}: fill in {where}"
_STUB = re.compile(r"lecture\d\d/[A-Za-z_][A-Za-z0-9_]*\.py: fill in \S")


def is_stub(exc: BaseException) -> bool:
    try:
        return isinstance(exc, NotImplementedError) and bool(_STUB.match(str(exc)))
    except Exception:  # a learner's exception whose __str__ raises is not a stub's
        return False


def encode(obj) -> bytes:
    import torch  # here, not at the top: the grader imports this module before it needs torch
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def decode(data: bytes):
    import torch
    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


def write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(HEADER.pack(len(payload)) + payload)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes:
    (n,) = HEADER.unpack(read_exact(fd, HEADER.size))
    if n > MAX_FRAME:
        raise ValueError(f"frame of {n} bytes exceeds the limit")
    return read_exact(fd, n)
