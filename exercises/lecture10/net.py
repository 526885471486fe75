"""Lecture 10 · Basic CNN / 卷积神经网络基础篇: the course's network for 28x28 digit images.

(batch, 1, 28, 28) -> Conv2d(1, 10, 5) -> MaxPool2d(2) -> ReLU -> (batch, 10, 12, 12)
                   -> Conv2d(10, 20, 5) -> MaxPool2d(2) -> ReLU -> (batch, 20, 4, 4)
                   -> flatten (batch, 320) -> Linear(320, 10) -> (batch, 10) raw scores (logits)
"""
import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    """Keep the layer names `conv1`, `conv2`, `pooling` and `fc`: 8,490 parameters in all."""

    def __init__(self):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError("lecture10/net.py: fill in Net.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: your code here
        raise NotImplementedError("lecture10/net.py: fill in Net.forward")


if __name__ == "__main__":
    net = Net()
    print(net(torch.randn(3, 1, 28, 28)).shape, sum(p.numel() for p in net.parameters()))
