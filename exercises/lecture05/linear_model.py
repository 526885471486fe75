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
        # TODO: your code here
        raise NotImplementedError("lecture05/linear_model.py: fill in LinearModel.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: your code here
        raise NotImplementedError("lecture05/linear_model.py: fill in LinearModel.forward")


if __name__ == "__main__":
    model = LinearModel()
    print(model(torch.tensor([[1.0], [2.0]])))
