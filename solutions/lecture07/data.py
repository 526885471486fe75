"""Lecture 07 · Multi-dimensional input / 处理多维特征的输入: reading a table of samples.

One row per sample, one column per feature, the label in the last column.  The
course reads its diabetes table with numpy; we read the shipped breast-cancer
table the same way (419 rows: 30 standardised features, then 1 = benign, 0 = malignant).
"""
from pathlib import Path

import numpy as np
import torch

# the table shipped with the grader (see grader/data/README.md); the grader passes its own path
CSV_PATH = Path(__file__).resolve().parents[2] / "grader" / "data" / "breast_cancer" / "breast_cancer.csv"


def load_data(path) -> tuple[torch.Tensor, torch.Tensor]:
    """Read a comma-separated table (no header, label last) into x of shape (N, F) and y of shape (N, 1), both float32."""
    # BEGIN SOLUTION
    xy = np.loadtxt(path, delimiter=",", dtype=np.float32)
    x_data = torch.from_numpy(xy[:, :-1])
    y_data = torch.from_numpy(xy[:, [-1]])
    return x_data, y_data
    # END SOLUTION


if __name__ == "__main__":
    x, y = load_data(CSV_PATH)
    print(x.shape, y.shape, x.dtype, f"{y.mean().item():.3f} of the rows are benign")
