"""Lecture 06 · Logistic regression / 逻辑斯蒂回归

The slide's question: after 1, 2 or 3 hours of study a student failed, failed,
passed; what is P(pass) after 4 hours?  Same training cycle as lecture 05
(forward, loss, zero_grad, backward, step), new model and new loss (BCE).
"""
import torch
from torch import nn


def slide_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The slide's data as two float32 tensors of shape (3, 1): hours x = 1, 2, 3 and labels y = 0, 0, 1."""
    # TODO: your code here
    raise NotImplementedError("lecture06/training.py: fill in slide_data")


def make_criterion() -> nn.Module:
    """The lecture's loss: binary cross-entropy *summed* over the samples (BCELoss with reduction='sum')."""
    # TODO: your code here
    raise NotImplementedError("lecture06/training.py: fill in make_criterion")


def make_optimizer(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    """Plain SGD over all of the model's parameters, learning rate `lr`."""
    # TODO: your code here
    raise NotImplementedError("lecture06/training.py: fill in make_optimizer")


def train(model, criterion, optimizer, x, y, epochs: int) -> list[float]:
    """Run `epochs` steps of full-batch training; return the loss of each step as a Python float."""
    # TODO: your code here
    raise NotImplementedError("lecture06/training.py: fill in train")


def pass_probability(model, hours: float) -> float:
    """P(pass) after `hours` of study according to the model, as a Python float, without building a graph."""
    # TODO: your code here
    raise NotImplementedError("lecture06/training.py: fill in pass_probability")


if __name__ == "__main__":
    from logistic_model import LogisticRegressionModel

    torch.manual_seed(0)
    x_data, y_data = slide_data()
    model = LogisticRegressionModel()
    losses = train(model, make_criterion(), make_optimizer(model, 0.01), x_data, y_data, 1000)
    w, b = model.linear.weight.item(), model.linear.bias.item()
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}; w = {w:.4f}, b = {b:.4f}")
    for hours in (1.0, 2.0, 2.5, 3.0, 4.0):
        print(f"P(pass | {hours} h) = {pass_probability(model, hours):.3f}")
    print(f"P(pass) crosses 0.5 at {-b / w:.2f} hours")
