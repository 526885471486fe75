"""Lecture 04 · Back propagation / 反向传播

The forward pass (前馈) builds a computational graph; loss.backward() (反馈)
walks it backwards with the chain rule and leaves d loss/d w in w.grad.  Here
autograd trains a single weight, and you check it against gradients worked out
by hand for the affine model w*x + b and the quadratic model w1*x**2 + w2*x + b.
"""
import torch

# The lecture's training set: y = 2x.
x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]


def loss(x: float, y: float, w: torch.Tensor) -> torch.Tensor:
    """The squared error (x * w - y) ** 2 of one sample, as a tensor in w's graph (so backward() can run)."""
    # BEGIN SOLUTION
    return (x * w - y) ** 2
    # END SOLUTION


def sgd_step(w: torch.Tensor, lr: float) -> None:
    """One gradient-descent update of the leaf tensor w, IN PLACE (w must stay the same leaf tensor that
    requires grad): subtract lr * w.grad from w's data, then zero w.grad for the next backward().
    Returns nothing."""
    # BEGIN SOLUTION
    w.data -= lr * w.grad.data
    w.grad.data.zero_()
    # END SOLUTION


def train(xs: list[float], ys: list[float], w0: float, lr: float, epochs: int) -> tuple[float, list[float]]:
    """Stochastic gradient descent with autograd, as in the lecture: w = torch.tensor([w0], requires_grad=True);
    every epoch, for every sample in order: compute the loss, call backward(), record w.grad.item(), then
    sgd_step(w, lr).  Return the final w as a float and the recorded gradients (one per sample per epoch)."""
    # BEGIN SOLUTION
    w = torch.tensor([w0], requires_grad=True)
    grads = []
    for _ in range(epochs):
        for x, y in zip(xs, ys):
            l = loss(x, y, w)
            l.backward()
            grads.append(w.grad.item())
            sgd_step(w, lr)
    return w.item(), grads
    # END SOLUTION


def affine_grads_by_hand(x: float, y: float, w: float, b: float) -> tuple[float, float]:
    """For one sample and y_hat = w * x + b with the loss (y_hat - y) ** 2: (d loss/d w, d loss/d b),
    worked out with the chain rule (no autograd), as two floats."""
    # BEGIN SOLUTION
    r = w * x + b - y
    return 2 * r * x, 2 * r
    # END SOLUTION


def quadratic_grads_by_hand(x: float, y: float, w1: float, w2: float, b: float) -> tuple[float, float, float]:
    """For one sample and y_hat = w1 * x**2 + w2 * x + b with the loss (y_hat - y) ** 2:
    (d loss/d w1, d loss/d w2, d loss/d b) by the chain rule (no autograd), as three floats."""
    # BEGIN SOLUTION
    r = w1 * x ** 2 + w2 * x + b - y
    return 2 * r * x ** 2, 2 * r * x, 2 * r
    # END SOLUTION


def quadratic_grads_autograd(x: float, y: float, w1: float, w2: float, b: float) -> tuple[float, float, float]:
    """The same three gradients computed by autograd: make w1, w2 and b tensors that require grad,
    compute the loss, call backward(), and return the three .grad values as floats."""
    # BEGIN SOLUTION
    w1_t = torch.tensor(float(w1), requires_grad=True)
    w2_t = torch.tensor(float(w2), requires_grad=True)
    b_t = torch.tensor(float(b), requires_grad=True)
    l = (w1_t * x ** 2 + w2_t * x + b_t - y) ** 2
    l.backward()
    return w1_t.grad.item(), w2_t.grad.item(), b_t.grad.item()
    # END SOLUTION


if __name__ == "__main__":
    from sigmoid_function import Sigmoid

    w = torch.tensor([1.0], requires_grad=True)
    print("predict (before training)", 4, 4 * w.item())
    w_final, grads = train(x_data, y_data, 1.0, 0.01, 100)
    print("first gradients:", [round(g, 4) for g in grads[:3]])
    print("predict (after training)", 4, round(4 * w_final, 4))
    print("quadratic model at x=2, y=4, w1=w2=b=1:",
          quadratic_grads_by_hand(2.0, 4.0, 1.0, 1.0, 1.0), "by hand,",
          quadratic_grads_autograd(2.0, 4.0, 1.0, 1.0, 1.0), "by autograd")
    x = torch.linspace(-3, 3, 5, dtype=torch.float64, requires_grad=True)
    Sigmoid.apply(x).sum().backward()
    print("Sigmoid' at", x.tolist(), "=", [round(v, 4) for v in x.grad.tolist()])
