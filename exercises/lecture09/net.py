"""Lecture 09 · Softmax classifier / 多分类问题: the lecture's fully connected network for MNIST.

(batch, 1, 28, 28) -> view (batch, 784) -> Linear(784, 512) -> ReLU -> Linear(512, 256) -> ReLU
-> Linear(256, 128) -> ReLU -> Linear(128, 64) -> ReLU -> Linear(64, 10) -> (batch, 10) logits.
The last layer is not activated: CrossEntropyLoss applies log-softmax itself.
"""
import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    """Keep the layer names `l1` ... `l5`: 575,050 parameters in all."""

    def __init__(self):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError("lecture09/net.py: fill in Net.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: your code here
        raise NotImplementedError("lecture09/net.py: fill in Net.forward")


if __name__ == "__main__":
    net = Net()
    print(net(torch.randn(3, 1, 28, 28)).shape, sum(p.numel() for p in net.parameters()))
