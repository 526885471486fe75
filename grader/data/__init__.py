"""Data sets shipped with the grader, and which of their files the worker may see.

``public_files`` is what a worker is given (linked into its scratch folder, at
the path torchvision expects: ``data/MNIST/raw/...``).  ``load_eval`` reads
evaluation images *and labels* in the grader's process only; the worker is sent
the images of an evaluation set, never its labels.  Provenance and licences are
in ``grader/data/README.md``.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent

# name -> (public files: path in the worker's scratch folder -> shipped file, evaluation split folder)
_DIGITS = DATA_DIR / "digits"
DATASETS: dict[str, tuple[dict[str, Path], Path]] = {
    "digits": (
        {f"data/MNIST/raw/{split}-{kind}": _DIGITS / "MNIST" / "raw" / f"{split}-{kind}"
         for split in ("train", "t10k") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")},
        _DIGITS / "eval",
    ),
}

WORKER_DATA_ROOT = "data"  # relative to the worker's working directory


def public_files(name: str) -> dict[str, Path]:
    return dict(DATASETS[name][0])


def read_idx(path: Path):
    """Read an idx file (the MNIST format): big-endian magic, dims, then uint8 data."""
    import torch  # not at module level: the grader starts its worker before importing torch
    raw = Path(path).read_bytes()
    magic, = struct.unpack(">I", raw[:4])
    if magic >> 8 != 0x08:
        raise ValueError(f"{path}: not a uint8 idx file (magic {magic:#x})")
    ndim = magic & 0xFF
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8)
    return data.reshape(dims)


@lru_cache(maxsize=None)
def load_eval(name: str):
    """(images as uint8 (N, 28, 28), labels as int64 (N,)) of a data set's hidden evaluation split."""
    folder = DATASETS[name][1]
    images = read_idx(folder / "images-idx3-ubyte")
    labels = read_idx(folder / "labels-idx1-ubyte").long()
    return images, labels
