"""Lecture 01 · Tensor basics / 张量基础

Shapes: reshaping, broadcasting (广播), indexing and matrix products.  Mind the
shape of every result; most bugs in later lectures are a shape that is off by
one dimension.
"""
import torch


def flatten(x: torch.Tensor) -> torch.Tensor:
    """Keep the first (batch) dimension and flatten the rest: (N, d1, d2, ...) -> (N, d1*d2*...).
    It must also work when x is not contiguous (e.g. the result of a transpose)."""
    # TODO: your code here
    raise NotImplementedError("lecture01/shapes.py: fill in flatten")


def pairwise_diff(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """For a of shape (N,) and b of shape (M,), the (N, M) table with out[i, j] = a[i] - b[j],
    built by broadcasting (no Python loops)."""
    # TODO: your code here
    raise NotImplementedError("lecture01/shapes.py: fill in pairwise_diff")


def center_columns(x: torch.Tensor) -> torch.Tensor:
    """Subtract from each column of the (N, C) matrix x that column's mean, so every column has mean 0."""
    # TODO: your code here
    raise NotImplementedError("lecture01/shapes.py: fill in center_columns")


def column(data: torch.Tensor, n: int) -> torch.Tensor:
    """Column n of the (N, D) table `data`, as a 1-D tensor of shape (N,)."""
    # TODO: your code here
    raise NotImplementedError("lecture01/shapes.py: fill in column")


def split_features(data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a table whose LAST column is the label (like the diabetes data of lecture 07) into
    the features, shape (N, D-1), and the labels, shape (N, 1) (a column, as the losses want it)."""
    # TODO: your code here
    raise NotImplementedError("lecture01/shapes.py: fill in split_features")


def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """What nn.Linear computes: x @ w^T + b, for x of shape (..., in_features), the weight w of shape
    (out_features, in_features) and the bias b of shape (out_features,).  The result has shape
    (..., out_features); x may have leading batch dimensions, e.g. (N, in) or (B, N, in)."""
    # TODO: your code here
    raise NotImplementedError("lecture01/shapes.py: fill in linear")
