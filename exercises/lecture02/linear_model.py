"""Lecture 02 · Linear model / 线性模型

The model y_hat = x * w (+ b), its loss (损失) on the training set, the mean
squared error (MSE), and the search for the best w by trying every w of a grid
(穷举), then every (w, b) pair of a grid: the cost surface.
"""
import torch

# The lecture's training set: hours of study x and points y (y = 2x, so the best w is 2).
x_data = torch.tensor([1.0, 2.0, 3.0])
y_data = torch.tensor([2.0, 4.0, 6.0])


def forward(x, w, b=0.0):
    """The linear model y_hat = x * w + b (b is 0 unless given).  Element by element: x, w and b may be
    numbers or tensors that broadcast, e.g. one sample x against a whole grid of w and b."""
    # TODO: your code here
    raise NotImplementedError("lecture02/linear_model.py: fill in forward")


def mse(x: torch.Tensor, y: torch.Tensor, w, b=0.0) -> torch.Tensor:
    """The mean squared error of the model on the samples x, y (1-D tensors of equal length):
    the MEAN over samples of (y_hat - y) ** 2, as a 0-dim tensor."""
    # TODO: your code here
    raise NotImplementedError("lecture02/linear_model.py: fill in mse")


def w_grid() -> torch.Tensor:
    """The weights the lecture tries: 0.0, 0.1, ..., 4.0, i.e. 41 values, 4.0 included."""
    # TODO: your code here
    raise NotImplementedError("lecture02/linear_model.py: fill in w_grid")


def sweep(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Try every w of w_grid() on the samples x, y: return (ws, costs), two tensors of shape (41,),
    costs[k] being the MSE of the model with weight ws[k] (and b = 0)."""
    # TODO: your code here
    raise NotImplementedError("lecture02/linear_model.py: fill in sweep")


def best_w(x: torch.Tensor, y: torch.Tensor) -> float:
    """The weight of w_grid() with the smallest MSE on x, y, as a Python float (the weight, not its index)."""
    # TODO: your code here
    raise NotImplementedError("lecture02/linear_model.py: fill in best_w")


def cost_surface(x: torch.Tensor, y: torch.Tensor, ws: torch.Tensor, bs: torch.Tensor) -> torch.Tensor:
    """The MSE for every pair of a weight ws[i] and a bias bs[j]: for ws of shape (P,) and bs of shape (Q,),
    the (P, Q) table cost[i, j] = mse(x, y, ws[i], bs[j]).  Make the grid with
    torch.meshgrid(ws, bs, indexing="ij") and let broadcasting do the work: no loop over the grid."""
    # TODO: your code here
    raise NotImplementedError("lecture02/linear_model.py: fill in cost_surface")


def surface_minimum(x: torch.Tensor, y: torch.Tensor, ws: torch.Tensor, bs: torch.Tensor) -> tuple[float, float]:
    """The pair (w, b) of the grid where cost_surface(x, y, ws, bs) is smallest, as two Python floats."""
    # TODO: your code here
    raise NotImplementedError("lecture02/linear_model.py: fill in surface_minimum")


if __name__ == "__main__":
    ws, costs = sweep(x_data, y_data)
    for w, c in zip(ws[::5].tolist(), costs[::5].tolist()):
        print(f"w = {w:.1f}  MSE = {c:.3f}")
    print("best w on the grid:", round(best_w(x_data, y_data), 4))
    bs = torch.arange(-2.0, 2.1, 0.1)
    surface = cost_surface(x_data, y_data, ws, bs)
    print("cost surface:", tuple(surface.shape), "minimum at (w, b) =",
          tuple(round(v, 4) for v in surface_minimum(x_data, y_data, ws, bs)))
