"""Build the shipped digit images (run once by a maintainer; needs scikit-learn).

Source: scikit-learn's bundled `load_digits` (the UCI "Optical Recognition of
Handwritten Digits" test set, 1,797 images of 8x8 pixels, 0..16 grey levels;
E. Alpaydin and C. Kaynak, 1998; UCI Machine Learning Repository, CC BY 4.0).

Each image is upscaled bilinearly to 20x20 and centred in a 28x28 frame, as
MNIST centres its digits, scaled to 0..255 and written as MNIST idx files so
that `torchvision.datasets.MNIST(root, download=False)` reads them.  A seeded
permutation splits the images three ways:

  MNIST/raw/train-*  1,197 images  public: the worker trains on them
  MNIST/raw/t10k-*     300 images  public: learners may evaluate on them
  eval/               300 images  hidden: only the grader's process reads them
"""
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "grader" / "data" / "digits")


def write_images(path: Path, images: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    n, h, w = images.shape
    path.write_bytes(struct.pack(">IIII", 2051, n, h, w) + images.astype(np.uint8).tobytes())


def write_labels(path: Path, labels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes())


def main() -> None:
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    x = F.interpolate(x, size=(20, 20), mode="bilinear", align_corners=False).clamp(0, 1)
    x = F.pad(x, (4, 4, 4, 4))
    images = (x.squeeze(1) * 255).round().numpy()
    labels = digits.target
    order = np.random.RandomState(20261122).permutation(len(labels))
    parts = {"train": order[:1197], "t10k": order[1197:1497], "eval": order[1497:]}
    raw = OUT / "MNIST" / "raw"
    for split in ("train", "t10k"):
        write_images(raw / f"{split}-images-idx3-ubyte", images[parts[split]])
        write_labels(raw / f"{split}-labels-idx1-ubyte", labels[parts[split]])
    write_images(OUT / "eval" / "images-idx3-ubyte", images[parts["eval"]])
    write_labels(OUT / "eval" / "labels-idx1-ubyte", labels[parts["eval"]])
    print({k: len(v) for k, v in parts.items()}, "->", OUT)


if __name__ == "__main__":
    main()
