"""Lecture 07 · Multi-dimensional input / 处理多维特征的输入: a stack of layers.

Each nn.Linear maps a whole row of features at once (x of shape (N, F) times a
weight of shape (out, F), transposed); between layers a nonlinear activation, and
at the end one output squashed by the sigmoid into P(y = 1).  For the lecture's
diabetes model: 8 -> 6 -> 4 -> 1.
"""
import torch
from torch import nn


class MultiLayerModel(nn.Module):
    """Linear(in_features, hidden[0]) -> activation -> ... -> Linear(hidden[-1], 1) -> sigmoid.

    `activation` is a class such as nn.Sigmoid (the lecture's first choice), nn.ReLU or nn.Tanh,
    used after every hidden layer; the last layer always ends in the sigmoid, so the output is a
    probability of shape (N, 1).  Create the layers in the order they are applied.
    """

    def __init__(self, in_features: int, hidden: tuple[int, ...] = (16, 8), activation: type[nn.Module] = nn.Sigmoid):
        super().__init__()
        # BEGIN SOLUTION
        layers = []
        sizes = [in_features, *hidden]
        for n_in, n_out in zip(sizes, sizes[1:]):
            layers += [nn.Linear(n_in, n_out), activation()]
        layers += [nn.Linear(sizes[-1], 1), nn.Sigmoid()]
        self.layers = nn.Sequential(*layers)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        return self.layers(x)
        # END SOLUTION


if __name__ == "__main__":
    model = MultiLayerModel(8, (6, 4))  # the lecture's diabetes model
    print(model)
    print(sum(p.numel() for p in model.parameters()), "parameters")  # 87
