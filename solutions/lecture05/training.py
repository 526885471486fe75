"""Lecture 05 · Linear regression with PyTorch / 用PyTorch实现线性回归

The training cycle: forward (前馈) -> loss (损失) -> zero_grad -> backward (反馈) -> step (更新).
"""
import torch
from torch import nn


def make_criterion() -> nn.Module:
    """The loss of the lecture: the *sum* of squared errors (MSELoss with reduction='sum')."""
    # BEGIN SOLUTION
    return nn.MSELoss(reduction="sum")
    # END SOLUTION


def make_optimizer(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    """Plain stochastic gradient descent over all of the model's parameters, learning rate `lr`."""
    # BEGIN SOLUTION
    return torch.optim.SGD(model.parameters(), lr=lr)
    # END SOLUTION


def train(model, criterion, optimizer, x, y, epochs: int) -> list[float]:
    """Run `epochs` steps of full-batch training; return the loss of each step as a Python float."""
    # BEGIN SOLUTION
    losses = []
    for _ in range(epochs):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses
    # END SOLUTION


def predict(model, x: float) -> float:
    """The model's prediction at one new x, as a Python float (no graph is needed to predict)."""
    # BEGIN SOLUTION
    with torch.no_grad():
        return model(torch.tensor([[float(x)]])).item()
    # END SOLUTION


if __name__ == "__main__":
    from linear_model import LinearModel

    x_data = torch.tensor([[1.0], [2.0], [3.0]])
    y_data = torch.tensor([[2.0], [4.0], [6.0]])
    model = LinearModel()
    losses = train(model, make_criterion(), make_optimizer(model, 0.01), x_data, y_data, 1000)
    print("w =", model.linear.weight.item(), "b =", model.linear.bias.item())
    print("y_pred(4) =", predict(model, 4.0))
