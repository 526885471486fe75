"""Lecture 04 · Back propagation / 反向传播

Your own autograd operation: a torch.autograd.Function says how to compute its
output (forward) and how to pass the gradient back to its input (backward),
which is exactly what every node of the computational graph does.
"""
import torch


class Sigmoid(torch.autograd.Function):
    """sigmoid(x) = 1 / (1 + exp(-x)), element by element, in the dtype of x.  Use it as Sigmoid.apply(x)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """Compute the output and keep what backward needs with ctx.save_for_backward(...)."""
        # BEGIN SOLUTION
        y = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(y)
        return y
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        """Given d loss/d output, return d loss/d x by the chain rule; sigmoid'(x) = y * (1 - y) with y = sigmoid(x)."""
        # BEGIN SOLUTION
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)
        # END SOLUTION
