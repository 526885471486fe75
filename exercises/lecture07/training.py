"""Lecture 07 · Multi-dimensional input / 处理多维特征的输入: training on all rows at once, and predicting.

Run this file to compare activations on the shipped breast-cancer table: with the
lecture's sigmoid and SGD at lr 0.1, 100 epochs are not enough to leave the
majority class; ReLU learns in the same 100 epochs.
"""
import torch


def train(model, criterion, optimizer, x, y, epochs: int) -> list[float]:
    """`epochs` steps of full-batch training (all rows in one batch); return each step's loss as a float."""
    # TODO: your code here
    raise NotImplementedError("lecture07/training.py: fill in train")


def predict(model, x) -> torch.Tensor:
    """Class labels for the rows of x: 1 where P(y = 1) >= 0.5, else 0, as an int64 tensor of shape (N,).
    Evaluate in eval mode and without building a graph."""
    # TODO: your code here
    raise NotImplementedError("lecture07/training.py: fill in predict")


if __name__ == "__main__":
    from torch import nn

    from data import CSV_PATH, load_data
    from model import MultiLayerModel

    x, y = load_data(CSV_PATH)
    # the last 100 rows are held out here; the grader holds out rows of its own
    x_train, y_train, x_test, y_test = x[:-100], y[:-100], x[-100:], y[-100:].view(-1).long()
    majority = max(y_test.float().mean().item(), 1 - y_test.float().mean().item())
    for activation in (nn.Sigmoid, nn.ReLU, nn.Tanh):
        torch.manual_seed(0)
        model = MultiLayerModel(x.shape[1], (16, 8), activation)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = train(model, nn.BCELoss(), optimizer, x_train, y_train, 100)
        accuracy = (predict(model, x_test) == y_test).float().mean().item()
        print(f"{activation.__name__:8s} loss {losses[0]:.3f} -> {losses[-1]:.3f}, held-out accuracy {accuracy:.3f} "
              f"(majority class {majority:.3f})")
