"""Lecture 09 · Softmax classifier / 多分类问题: softmax and cross-entropy by hand.

For the scores (logits) z of C classes, softmax(z)_i = exp(z_i) / sum_j exp(z_j): every output is
positive and they sum to 1.  The cross-entropy of a sample whose class is y is -log softmax(z)_y;
a batch's loss is the mean over its samples.  CrossEntropyLoss = LogSoftmax + NLLLoss.
"""
import torch
import torch.nn.functional as F


def softmax(z: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension of z, shape (C,) or (N, C), written with torch.exp.

    Subtract each row's maximum before exp (the result is the same): exp(1000) overflows to inf.
    """
    # TODO: your code here
    raise NotImplementedError("lecture09/softmax.py: fill in softmax")


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean cross-entropy of raw scores `logits` (N, C) against class indices `target` (N,) Long,
    by hand (no F.cross_entropy / nn.CrossEntropyLoss); a 0-dim tensor that autograd can differentiate."""
    # TODO: your code here
    raise NotImplementedError("lecture09/softmax.py: fill in cross_entropy")


def cross_entropy_nll(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The same loss as CrossEntropyLoss, built from its two halves: F.log_softmax, then F.nll_loss."""
    # TODO: your code here
    raise NotImplementedError("lecture09/softmax.py: fill in cross_entropy_nll")


if __name__ == "__main__":
    print(softmax(torch.tensor([0.2, 0.1, -0.1])))          # [0.3780, 0.3420, 0.2800]
    Y = torch.tensor([2, 0, 1])
    Y_pred1 = torch.tensor([[0.1, 0.2, 0.9], [1.1, 0.1, 0.2], [0.2, 2.1, 0.1]])
    Y_pred2 = torch.tensor([[0.8, 0.2, 0.3], [0.2, 0.3, 0.5], [0.2, 0.2, 0.5]])
    print(f"Batch Loss1 = {cross_entropy(Y_pred1, Y):.4f}, Loss2 = {cross_entropy(Y_pred2, Y):.4f}")  # 0.4966, 1.2389
    print(f"with log_softmax + nll_loss: {cross_entropy_nll(Y_pred1, Y):.4f}, {cross_entropy_nll(Y_pred2, Y):.4f}")
