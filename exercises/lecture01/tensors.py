"""Lecture 01 · Tensor basics / 张量基础

Making tensors (张量), their dtype and shape, and the bridge to NumPy.
Every function here is small; read the docstring, then fill in the body.
"""
import numpy as np
import torch


def float_tensor(values) -> torch.Tensor:
    """A float32 tensor holding `values` (a number, a list, or nested lists), even when they are ints."""
    # TODO: your code here
    raise NotImplementedError("lecture01/tensors.py: fill in float_tensor")


def index_range(n: int) -> torch.Tensor:
    """The integers 0, 1, ..., n-1 as a 1-D int64 tensor (what indexes and class labels use)."""
    # TODO: your code here
    raise NotImplementedError("lecture01/tensors.py: fill in index_range")


def zeros_matrix(rows: int, cols: int) -> torch.Tensor:
    """A float32 matrix of shape (rows, cols) filled with zeros."""
    # TODO: your code here
    raise NotImplementedError("lecture01/tensors.py: fill in zeros_matrix")


def seeded_normal(seed: int, rows: int, cols: int, mean: float = 0.0, std: float = 1.0) -> torch.Tensor:
    """A (rows, cols) tensor drawn from the normal distribution N(mean, std**2), reproducibly:
    seed torch's random number generator with `seed` first, so the same seed gives the same numbers."""
    # TODO: your code here
    raise NotImplementedError("lecture01/tensors.py: fill in seeded_normal")


def average(t: torch.Tensor) -> torch.Tensor:
    """The mean of ALL elements of `t` as a 0-dim float32 tensor, whatever t's dtype and shape
    (an int64 tensor from arange included: its mean is 4.5 for arange(10), not 4)."""
    # TODO: your code here
    raise NotImplementedError("lecture01/tensors.py: fill in average")


def numpy_to_tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor that SHARES memory with the NumPy `array` (no copy, same dtype): a write to
    one is seen in the other."""
    # TODO: your code here
    raise NotImplementedError("lecture01/tensors.py: fill in numpy_to_tensor")


def tensor_to_numpy(t: torch.Tensor) -> np.ndarray:
    """A NumPy array that shares memory with `t`; it must also work when t.requires_grad is True."""
    # TODO: your code here
    raise NotImplementedError("lecture01/tensors.py: fill in tensor_to_numpy")


if __name__ == "__main__":
    from shapes import center_columns, column, flatten, linear, pairwise_diff, split_features

    print("float_tensor([[1, 2], [3, 4]]) =", float_tensor([[1, 2], [3, 4]]))
    print("index_range(5) =", index_range(5))
    print("zeros_matrix(2, 3) =", zeros_matrix(2, 3))
    print("seeded_normal(0, 2, 3) =", seeded_normal(0, 2, 3))
    print("average(index_range(10)) =", average(index_range(10)))
    a = np.arange(6.0).reshape(2, 3)
    t = numpy_to_tensor(a)
    a[0, 0] = 100.0
    print("after a[0, 0] = 100, the tensor holds", t[0, 0].item())
    x = torch.randn(2, 3, 4).transpose(1, 2)
    print("flatten of a transposed (2, 4, 3) tensor:", tuple(flatten(x).shape))
    print("pairwise_diff:", pairwise_diff(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0, 2.0])))
    print("center_columns:", center_columns(torch.tensor([[1.0, 10.0], [3.0, 30.0]])))
    data = torch.arange(12.0).reshape(3, 4)
    features, labels = split_features(data)
    print("column(data, 0):", tuple(column(data, 0).shape), "features:", tuple(features.shape),
          "labels:", tuple(labels.shape))
    print("linear:", tuple(linear(torch.randn(5, 3), torch.randn(2, 3), torch.randn(2)).shape))
