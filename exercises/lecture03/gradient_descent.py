"""Lecture 03 · Gradient descent / 梯度下降

Instead of trying every w, follow the gradient (梯度) of the cost downhill:
w <- w - lr * d(cost)/dw.  Batch gradient descent uses the mean gradient of all
samples for one update per epoch; stochastic gradient descent (随机梯度下降, SGD)
updates w after every single sample.  The gradients are written by hand here;
lecture 04 lets autograd compute them.

x and y are 1-D float tensors of samples, w is a Python float; return Python floats.
"""
import torch

# The lecture's training set: y = 2x, so gradient descent should bring w to 2.
x_data = torch.tensor([1.0, 2.0, 3.0])
y_data = torch.tensor([2.0, 4.0, 6.0])


def predict(x, w: float):
    """The model y_hat = x * w (a number or a tensor of samples)."""
    # TODO: your code here
    raise NotImplementedError("lecture03/gradient_descent.py: fill in predict")


def cost(x: torch.Tensor, y: torch.Tensor, w: float) -> float:
    """The mean squared error over the samples, as a Python float."""
    # TODO: your code here
    raise NotImplementedError("lecture03/gradient_descent.py: fill in cost")


def gradient(x: torch.Tensor, y: torch.Tensor, w: float) -> float:
    """d(cost)/dw worked out by hand: the mean over the samples of 2 * x * (x * w - y), as a Python float."""
    # TODO: your code here
    raise NotImplementedError("lecture03/gradient_descent.py: fill in gradient")


def gd_epoch(x: torch.Tensor, y: torch.Tensor, w: float, lr: float) -> float:
    """One epoch of batch gradient descent: ONE update with the gradient of the whole set; returns the new w."""
    # TODO: your code here
    raise NotImplementedError("lecture03/gradient_descent.py: fill in gd_epoch")


def sgd_epoch(x: torch.Tensor, y: torch.Tensor, w: float, lr: float) -> float:
    """One epoch of stochastic gradient descent: for each sample in order, update w with the gradient of
    that sample's loss (y_hat - y) ** 2 alone, 2 * x_i * (x_i * w - y_i), at the current w; returns the new w."""
    # TODO: your code here
    raise NotImplementedError("lecture03/gradient_descent.py: fill in sgd_epoch")


def train(x: torch.Tensor, y: torch.Tensor, w: float, lr: float, epochs: int,
          stochastic: bool = False) -> tuple[float, list[float]]:
    """Run `epochs` epochs of batch GD (or SGD when `stochastic`) from w.  Return the final w and the
    history: the cost over all samples at the START of each epoch, one float per epoch."""
    # TODO: your code here
    raise NotImplementedError("lecture03/gradient_descent.py: fill in train")


if __name__ == "__main__":
    w = 1.0
    print("Predict (before training)", 4, predict(4.0, w))
    for epoch in range(100):
        cost_val = cost(x_data, y_data, w)
        w = gd_epoch(x_data, y_data, w, 0.01)
        if epoch < 3 or epoch % 10 == 9:
            print(f"Epoch: {epoch}  w = {w:.4f}  loss = {cost_val:.4f}")
    print("Predict (after training)", 4, round(predict(4.0, w), 2))
    w_sgd, _ = train(x_data, y_data, 1.0, 0.01, 100, stochastic=True)
    print("SGD: w =", round(w_sgd, 4), " predict(4) =", round(predict(4.0, w_sgd), 2))
