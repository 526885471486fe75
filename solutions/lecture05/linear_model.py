"""Lecture 05 · Linear regression with PyTorch / 用PyTorch实现线性回归

The model y_hat = w * x + b, written the PyTorch way: a class that inherits
from nn.Module, builds its layers in __init__ and says how to compute the
output in forward (backward is built for you by autograd).
"""
import torch
from torch import nn


class LinearModel(nn.Module):
    """One nn.Linear(1, 1) layer: input (N, 1) -> output (N, 1).  Keep the layer's name `linear`."""

    def __init__(self):
        super().__init__()
        # BEGIN SOLUTION
        self.linear = nn.Linear(1, 1)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        return self.linear(x)
        # END SOLUTION


if __name__ == "__main__":
    model = LinearModel()
    print(model(torch.tensor([[1.0], [2.0]])))
