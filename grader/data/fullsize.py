"""Full-size image data sets that are not shipped but used where present (``--data fashion-mnist``).

Fashion-MNIST comes from Debian's package ``dataset-fashion-mnist`` (gzipped idx files under
``/usr/share/datasets/fashion-mnist``), or from any folder named by ``GRADER_FASHION_MNIST``
holding the four idx files, gzipped or not.  torchvision's ``FashionMNIST(root, download=False)``
reads *uncompressed* files from ``root/FashionMNIST/raw/``, so the first use writes them once into
a cache (``GRADER_CACHE``, default ``~/.cache/grader``), split as the shipped digits are:

* ``FashionMNIST/raw/train-*``: the 60,000 training images and labels: public, the worker trains on them;
* ``FashionMNIST/raw/t10k-*``: the first 5,000 of the 10,000 test images and labels: public, for the
  learner's own evaluation (torchvision wants the test files present even to load the training set);
* ``eval/``: the other 5,000 test images and labels: hidden, read only by the grader's process.

The ``complete`` marker holds the sha256 of every file; each use checks them and rebuilds a
folder whose files changed.  The sandbox hides the cache, the source folder and Debian's
data-set folders from the worker, which gets the public files as read-only binds (copies in the
plain fallback), never as links into the cache.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

KINDS = ("images-idx3-ubyte", "labels-idx1-ubyte")
SPLITS = ("train", "t10k")


class DataUnavailable(Exception):
    """A full-size data set was asked for but its files are not on this machine."""


@dataclass(frozen=True)
class FullSize:
    name: str           # as on the command line: fashion-mnist
    folder: str         # torchvision's folder under root: FashionMNIST
    env: str            # the variable that points at the source files
    default_source: str
    how_to_get: str
    public_test: int    # test images the learner may see; the rest of the test split is hidden


FULL_SIZE = {
    "fashion-mnist": FullSize(
        "fashion-mnist", "FashionMNIST", "GRADER_FASHION_MNIST", "/usr/share/datasets/fashion-mnist",
        "install Debian's package (`sudo apt-get install dataset-fashion-mnist`, which puts them in "
        "/usr/share/datasets/fashion-mnist), or set GRADER_FASHION_MNIST to a folder holding "
        "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
        "(gzipped or not), as published at https://github.com/zalandoresearch/fashion-mnist",
        public_test=5000),
}


def source_dir(spec: FullSize) -> Path:
    return Path(os.environ.get(spec.env) or spec.default_source)


def _source_file(folder: Path, split: str, kind: str) -> Path | None:
    for name in (f"{split}-{kind}", f"{split}-{kind}.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _sources(spec: FullSize) -> dict[tuple[str, str], Path]:
    folder = source_dir(spec)
    found = {(s, k): _source_file(folder, s, k) for s in SPLITS for k in KINDS}
    missing = [f"{s}-{k}" for (s, k), p in found.items() if p is None]
    if missing:
        raise DataUnavailable(f"--data {spec.name}: the {spec.name} files are not in {folder} "
                              f"(missing: {', '.join(missing)}). To use it, {spec.how_to_get}.")
    return found  # type: ignore[return-value]


def _read(path: Path) -> tuple[tuple[int, ...], bytes]:
    """(dims, header + data) of an idx file, checked: uint8 data, as many bytes as the dims say."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataUnavailable(f"{path}: cannot be read ({exc})") from None
    if len(raw) < 8 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise DataUnavailable(f"{path}: not a uint8 idx file")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    size = 1
    for d in dims:
        size *= d
    if len(raw) != 4 + 4 * ndim + size:
        raise DataUnavailable(f"{path}: {len(raw)} bytes, but its header promises {4 + 4 * ndim + size}")
    return dims, raw


def _slice(dims: tuple[int, ...], raw: bytes, start: int, stop: int) -> bytes:
    """The idx file of items start..stop-1 (along the first dimension)."""
    header = 4 + 4 * len(dims)
    item = len(raw[header:]) // dims[0]
    new_dims = (stop - start, *dims[1:])
    return raw[:4] + struct.pack(f">{len(dims)}I", *new_dims) + raw[header + start * item:header + stop * item]


def cache_root() -> Path:
    return Path(os.environ.get("GRADER_CACHE") or Path.home() / ".cache" / "grader")


def prepare(name: str) -> Path:
    """The cache folder of a full-size data set, written on first use (atomically: a folder is
    renamed into place only once complete, so an interrupted run leaves nothing half-written)."""
    spec = FULL_SIZE[name]
    sources = _sources(spec)
    key = hashlib.sha256(repr(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                                     for p in sources.values())).encode()).hexdigest()[:16]
    dest = cache_root() / f"{name}-{key}"
    if (dest / "complete").is_file():
        if _intact(dest):
            return dest
        _discard(dest)  # changed since it was written (by hand, or by code that could write there): rebuild
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dest.parent))
    try:
        raw_dir, eval_dir = tmp / spec.folder / "raw", tmp / "eval"
        raw_dir.mkdir(parents=True)
        eval_dir.mkdir()
        counts = {}
        for kind in KINDS:
            dims, raw = _read(sources["train", kind])
            (raw_dir / f"train-{kind}").write_bytes(raw)
            counts["train", kind] = dims[0]
            dims, raw = _read(sources["t10k", kind])
            counts["t10k", kind] = dims[0]
            cut = min(spec.public_test, dims[0] // 2)
            (raw_dir / f"t10k-{kind}").write_bytes(_slice(dims, raw, 0, cut))
            (eval_dir / kind).write_bytes(_slice(dims, raw, cut, dims[0]))
        for split in SPLITS:
            if counts[split, KINDS[0]] != counts[split, KINDS[1]]:
                raise DataUnavailable(f"{source_dir(spec)}: {split} has {counts[split, KINDS[0]]} images but "
                                      f"{counts[split, KINDS[1]]} labels")
        (tmp / "complete").write_text(json.dumps(_hashes(tmp), indent=1, sort_keys=True))
        try:
            tmp.rename(dest)
        except OSError:
            if not (dest / "complete").is_file():  # another grader did it meanwhile: theirs serves
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _hashes(folder: Path) -> dict[str, str]:
    """sha256 of every data file of a cache folder, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "complete"}


def _intact(folder: Path) -> bool:
    """The cache folder holds exactly the files it was written with, byte for byte (the hashes are
    stored in its ``complete`` marker when it is written)."""
    try:
        stored = json.loads((folder / "complete").read_text())
        return isinstance(stored, dict) and bool(stored) and _hashes(folder) == stored
    except (OSError, ValueError):
        return False


def _discard(folder: Path) -> None:
    """Move a damaged cache folder out of the way atomically, then remove it."""
    trash = folder.with_name(f".{folder.name}-damaged-{os.getpid()}")
    try:
        folder.rename(trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def public_files(name: str, worker_root: str) -> dict[str, Path]:
    """What the worker is given: torchvision's raw folder, training and public test files."""
    spec = FULL_SIZE[name]
    raw = prepare(name) / spec.folder / "raw"
    return {f"{worker_root}/{spec.folder}/raw/{split}-{kind}": raw / f"{split}-{kind}"
            for split in SPLITS for kind in KINDS}


def eval_folder(name: str) -> Path:
    return prepare(name) / "eval"
