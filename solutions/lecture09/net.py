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
        # BEGIN SOLUTION
        self.l1 = nn.Linear(784, 512)
        self.l2 = nn.Linear(512, 256)
        self.l3 = nn.Linear(256, 128)
        self.l4 = nn.Linear(128, 64)
        self.l5 = nn.Linear(64, 10)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        x = x.view(-1, 784)
        x = F.relu(self.l1(x))
        x = F.relu(self.l2(x))
        x = F.relu(self.l3(x))
        x = F.relu(self.l4(x))
        return self.l5(x)
        # END SOLUTION


if __name__ == "__main__":
    net = Net()
    print(net(torch.randn(3, 1, 28, 28)).shape, sum(p.numel() for p in net.parameters()))
