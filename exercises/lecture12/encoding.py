"""Lecture 12 · Basic RNN / 循环神经网络基础篇

Characters are not numbers: give each one an index (a dictionary, here
idx2char), then either a one-hot vector or an embedding for the network.
"""
import torch

IDX2CHAR = ["e", "h", "l", "o"]  # the lecture's dictionary: index -> character


def encode(text: str) -> torch.Tensor:
    """The indices of `text`'s characters in IDX2CHAR, as a Long tensor: "hello" -> [1, 0, 2, 2, 3]."""
    # TODO: your code here
    raise NotImplementedError("lecture12/encoding.py: fill in encode")


def decode(indices) -> str:
    """The text that a sequence of indices (a list or a 1-D tensor) stands for: [3, 1, 2, 3, 2] -> "ohlol"."""
    # TODO: your code here
    raise NotImplementedError("lecture12/encoding.py: fill in decode")


def one_hot(indices: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One-hot vectors of Long `indices` of any shape: a float32 tensor of shape indices.shape + (num_classes,)
    with a 1.0 at each index and 0.0 elsewhere (RNN layers want float inputs)."""
    # TODO: your code here
    raise NotImplementedError("lecture12/encoding.py: fill in one_hot")


if __name__ == "__main__":
    x = encode("hello")
    print(x.tolist(), decode(encode("ohlol")))
    print(one_hot(x, len(IDX2CHAR)))
