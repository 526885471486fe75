"""Data sets shipped with the grader, and which of their files the worker may see.

``public_files`` is what a worker is given (linked into its scratch folder, at
the path torchvision expects: ``data/MNIST/raw/...``).  ``load_eval`` reads
evaluation images *and labels* in the grader's process only; the worker is sent
the images of an evaluation set, never its labels.  Provenance and licences are
in ``grader/data/README.md``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import fullsize
from .fullsize import DataUnavailable  # noqa: F401  (raised by public_files for a set not on this machine)

DATA_DIR = Path(__file__).resolve().parent

# name -> (public files: path in the worker's scratch folder -> shipped file, evaluation split folder)
_DIGITS = DATA_DIR / "digits"
DATASETS: dict[str, tuple[dict[str, Path], Path]] = {
    "digits": (
        {f"data/MNIST/raw/{split}-{kind}": _DIGITS / "MNIST" / "raw" / f"{split}-{kind}"
         for split in ("train", "t10k") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")},
        _DIGITS / "eval",
    ),
    # a table (30 standardised features, label last) for lectures 07-08; eval/eval.csv is hidden
    "breast_cancer": (
        {"data/breast_cancer/breast_cancer.csv": DATA_DIR / "breast_cancer" / "breast_cancer.csv"},
        DATA_DIR / "breast_cancer" / "eval",
    ),
    # surnames labelled by country (`name,country` gzipped CSV) for lecture 13; eval/names.csv.gz is hidden
    "names": (
        {f"data/names/names_{split}.csv.gz": DATA_DIR / "names" / f"names_{split}.csv.gz" for split in ("train", "test")},
        DATA_DIR / "names" / "eval",
    ),
}

WORKER_DATA_ROOT = "data"  # relative to the worker's working directory


@dataclass(frozen=True)
class ImageSet:
    """How the checks load an image data set in the worker: torchvision's class and the
    Normalize constants (the lecture's MNIST ones for the digits, which stand in for MNIST)."""
    name: str
    torchvision_class: str
    mean: float
    std: float


IMAGE_SETS = {
    "digits": ImageSet("digits", "MNIST", 0.1307, 0.3081),
    "fashion-mnist": ImageSet("fashion-mnist", "FashionMNIST", 0.2860, 0.3530),
}


def image_set(names) -> ImageSet:
    """The image data set among a lecture's data sets."""
    for name in names:
        if name in IMAGE_SETS:
            return IMAGE_SETS[name]
    raise KeyError(f"no image data set among {list(names)}")


def public_files(name: str) -> dict[str, Path]:
    if name in fullsize.FULL_SIZE:
        return fullsize.public_files(name, WORKER_DATA_ROOT)
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


def read_csv_table(path: Path):
    """(features as float32 (N, F), labels as int64 (N,)) of a comma-separated table, label last."""
    import torch
    rows = [[float(v) for v in line.split(",")] for line in Path(path).read_text().splitlines() if line.strip()]
    table = torch.tensor(rows, dtype=torch.float64)
    return table[:, :-1].float(), table[:, -1].long()


def read_names(path: Path) -> tuple[list[str], list[str]]:
    """(names, countries) of a gzipped `name,country` CSV without a header."""
    import csv
    import gzip
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    return [r[0] for r in rows], [r[1] for r in rows]


@lru_cache(maxsize=None)
def load_eval(name: str):
    """(inputs, labels as int64 (N,)) of a data set's hidden evaluation split: images as uint8
    (N, 28, 28), or the float32 (N, F) rows of a table (``eval/eval.csv``)."""
    folder = fullsize.eval_folder(name) if name in fullsize.FULL_SIZE else DATASETS[name][1]
    if (folder / "names.csv.gz").is_file():
        return read_names(folder / "names.csv.gz")  # text: (names, countries), two lists of str
    if (folder / "eval.csv").is_file():
        return read_csv_table(folder / "eval.csv")
    images = read_idx(folder / "images-idx3-ubyte")
    labels = read_idx(folder / "labels-idx1-ubyte").long()
    return images, labels
