"""Lecture 06 · Logistic regression / 逻辑斯蒂回归

Classification instead of regression: the model still computes w * x + b, but
the sigmoid (logistic function) squashes it into (0, 1) so that the output can
be read as a probability, here P(pass) after x hours of study.
"""
import torch
from torch import nn


class LogisticRegressionModel(nn.Module):
    """y_hat = sigmoid(w * x + b): input (N, 1) -> probabilities (N, 1).  Keep the layer's name `linear`."""

    def __init__(self):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError("lecture06/logistic_model.py: fill in LogisticRegressionModel.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: your code here
        raise NotImplementedError("lecture06/logistic_model.py: fill in LogisticRegressionModel.forward")


if __name__ == "__main__":
    model = LogisticRegressionModel()
    print(model(torch.tensor([[1.0], [2.0], [3.0]])))  # three numbers strictly between 0 and 1
