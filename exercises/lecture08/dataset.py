"""Lecture 08 · Dataset and DataLoader / 加载数据集

A Dataset says how many samples there are (__len__) and how to fetch sample i
(__getitem__); a DataLoader draws mini-batches from it: shuffled, batch_size at a
time, optionally in parallel worker processes (num_workers).

Under the "spawn" start method (Windows and macOS, and what the grader uses here)
every worker process starts a fresh Python, re-imports this file and receives a
pickled copy of the Dataset.  So this file must be importable without side effects
(nothing runs at import: demo code goes under `if __name__ == "__main__":`), and a
Dataset must hold only what pickles (arrays, tensors, numbers; no open files).
"""
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

# the table shipped with the grader (see grader/data/README.md); the grader passes its own path
CSV_PATH = Path(__file__).resolve().parents[2] / "grader" / "data" / "breast_cancer" / "breast_cancer.csv"


class TableDataset(Dataset):
    """The rows of a comma-separated table (no header, label last), all read into memory at once.

    dataset[i] is (features, label): a float32 tensor of shape (F,) and a float32 tensor of shape (1,),
    so that a batch of labels has shape (B, 1), like the model's output.
    """

    def __init__(self, path):
        # TODO: your code here
        raise NotImplementedError("lecture08/dataset.py: fill in TableDataset.__init__")

    def __getitem__(self, index):
        # TODO: your code here
        raise NotImplementedError("lecture08/dataset.py: fill in TableDataset.__getitem__")

    def __len__(self):
        # TODO: your code here
        raise NotImplementedError("lecture08/dataset.py: fill in TableDataset.__len__")


def make_loader(dataset, batch_size: int, shuffle: bool = True, seed: int | None = None,
                num_workers: int = 0) -> DataLoader:
    """A DataLoader over `dataset` with `batch_size` samples per batch (the last batch may be smaller).

    When `seed` is given, shuffle with a torch.Generator seeded with it, so that two loaders made with
    the same seed give the same order (and the global random state is left alone).
    """
    # TODO: your code here
    raise NotImplementedError("lecture08/dataset.py: fill in make_loader")


if __name__ == "__main__":
    dataset = TableDataset(CSV_PATH)
    loader = make_loader(dataset, batch_size=32, shuffle=True, seed=0, num_workers=2)
    x, y = dataset[0]
    print(len(dataset), "rows;", "one sample:", tuple(x.shape), tuple(y.shape), "->", len(loader), "batches of 32")
    for i, (inputs, labels) in enumerate(loader):
        if i < 2 or i == len(loader) - 1:
            print(f"batch {i}: inputs {tuple(inputs.shape)}, labels {tuple(labels.shape)}")
