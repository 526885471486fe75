"""Lecture 10 · Basic CNN / 卷积神经网络基础篇: the arithmetic of convolution and pooling.

A convolution with kernel k, padding p and stride s turns a side of n pixels into
floor((n + 2p - k) / s) + 1; a pooling layer with kernel k uses stride k unless told otherwise.
"""
import torch
from torch import nn


def conv_output_size(size: int, kernel_size: int, padding: int = 0, stride: int = 1) -> int:
    """The output side length of a convolution over a side of `size` pixels."""
    # TODO: your code here
    raise NotImplementedError("lecture10/conv_basics.py: fill in conv_output_size")


def pool_output_size(size: int, kernel_size: int, stride: int | None = None) -> int:
    """The output side length of a pooling layer (stride defaults to the kernel size)."""
    # TODO: your code here
    raise NotImplementedError("lecture10/conv_basics.py: fill in pool_output_size")


def conv2d_single(image: torch.Tensor, kernel: torch.Tensor, padding: int = 0, stride: int = 1) -> torch.Tensor:
    """Convolve one (H, W) image with one (kh, kw) kernel using nn.Conv2d (no bias); return (H', W')."""
    # TODO: your code here
    raise NotImplementedError("lecture10/conv_basics.py: fill in conv2d_single")


def max_pool(image: torch.Tensor, kernel_size: int = 2) -> torch.Tensor:
    """Max-pool one (H, W) image with nn.MaxPool2d(kernel_size); return (H', W')."""
    # TODO: your code here
    raise NotImplementedError("lecture10/conv_basics.py: fill in max_pool")


if __name__ == "__main__":
    image = torch.tensor([[3, 4, 6, 5, 7], [2, 4, 6, 8, 2], [1, 6, 7, 8, 4], [9, 7, 4, 6, 2], [3, 7, 5, 4, 1.0]])
    kernel = torch.arange(1, 10.0).reshape(3, 3)
    print(conv2d_single(image, kernel))              # [[211, 295, 262], [259, 282, 214], [251, 253, 169]]
    print(conv2d_single(image, kernel, stride=2))    # [[211, 262], [251, 169]]
    print(conv_output_size(28, 5), pool_output_size(24, 2))
