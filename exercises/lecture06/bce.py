"""Lecture 06 · Logistic regression / 逻辑斯蒂回归

Binary cross-entropy (BCE), the loss of binary classification, written by hand:

    loss = -( y * log(y_hat) + (1 - y) * log(1 - y_hat) )

It is small when y_hat is close to y and grows without bound as y_hat moves to the
wrong end.  The slide's four pairs (y, y_hat) = (1, 0.2), (1, 0.8), (0, 0.3), (0, 0.7)
give 1.6094, 0.2231, 0.3567, 1.2040, mean 0.8483.
"""
import torch


def binary_cross_entropy(y_pred: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """BCE of probabilities `y_pred` against targets `y` (same shape, values in [0, 1]).

    reduction: "none" (one loss per element), "mean" (the default) or "sum".  Like PyTorch's
    own BCELoss, clamp each log at -100, so that y_pred of exactly 0 or 1 gives a finite loss.
    Use torch operations only (no math.log, numpy or .item()), so that autograd can follow.
    """
    # TODO: your code here
    raise NotImplementedError("lecture06/bce.py: fill in binary_cross_entropy")


if __name__ == "__main__":
    y = torch.tensor([1.0, 1.0, 0.0, 0.0])
    y_hat = torch.tensor([0.2, 0.8, 0.3, 0.7])
    print(binary_cross_entropy(y_hat, y, reduction="none"))  # 1.6094, 0.2231, 0.3567, 1.2040
    print(binary_cross_entropy(y_hat, y))                    # 0.8483
