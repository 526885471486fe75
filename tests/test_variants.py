"""Correct code written differently from the reference keeps full marks (issue 12: strengthening the
checks must not reject it).  Each lecture's variant rewrites every graded function of the reference
another valid way (the functional API, reshape/flatten, broadcasting instead of loops, float64
intermediates, other valid formulas, explicit defaults) and must pass every check."""

from __future__ import annotations

import re
import textwrap

import pytest

from conftest import SOLUTIONS, run_grader, submission

pytestmark = pytest.mark.grading

# lecture -> file -> {function or method name: its new body (the solution region's code)}
VARIANTS = {
    "lecture01": {
        "shapes.py": {
            "flatten": "return torch.flatten(x, start_dim=1)",
            "pairwise_diff": "return a.unsqueeze(1) - b.unsqueeze(0)",
            "center_columns": "return x - x.sum(dim=0) / x.shape[0]",
            "column": "return data.select(1, n)",
            "split_features": "return data[:, :-1], data[:, -1:]",
            "linear": "return torch.nn.functional.linear(x, w, b)",
        },
        "tensors.py": {
            "float_tensor": "return torch.tensor(values, dtype=torch.float64).float()",
            "index_range": "return torch.arange(0, n, 1)",
            "zeros_matrix": "return torch.full((rows, cols), 0.0)",
            "seeded_normal": "torch.manual_seed(seed)\nreturn torch.empty(rows, cols).normal_(mean, std)",
            "average": "return t.to(torch.float64).sum().float() / t.numel()",
            "numpy_to_tensor": "return torch.as_tensor(array)",
            "tensor_to_numpy": "return t.detach().cpu().numpy()",
        },
    },
    "lecture02": {
        "linear_model.py": {
            "forward": "return w * x + b",
            "mse": "y_hat = forward(x.double(), w, b)\nreturn torch.nn.functional.mse_loss(y_hat, y.double()).float()",
            "w_grid": "return torch.linspace(0.0, 4.0, 41)",
            "sweep": "ws = w_grid()\ncosts = ((forward(x[None, :], ws[:, None]) - y[None, :]) ** 2).mean(dim=1)\nreturn ws, costs",
            "best_w": "ws, costs = sweep(x, y)\nreturn float(ws[torch.argmin(costs)])",
            "cost_surface": "W, B = torch.meshgrid(ws, bs, indexing='ij')\n"
                            "return ((x[:, None, None] * W + B - y[:, None, None]) ** 2).mean(dim=0)",
            "surface_minimum": "cost = cost_surface(x, y, ws, bs)\nflat = int(torch.argmin(cost))\n"
                               "i, j = flat // cost.shape[1], flat % cost.shape[1]\nreturn float(ws[i]), float(bs[j])",
        },
    },
    "lecture03": {
        "gradient_descent.py": {
            "predict": "return w * x",
            "cost": "err = x.double() * w - y.double()\nreturn float(torch.mean(err * err))",
            "gradient": "return float(2 * torch.dot(x, x * w - y) / len(x))",
            "gd_epoch": "g = gradient(x, y, w)\nw -= lr * g\nreturn w",
            "sgd_epoch": "for i in range(len(x)):\n    x_i, y_i = float(x[i]), float(y[i])\n"
                         "    w -= lr * 2 * x_i * (x_i * w - y_i)\nreturn w",
            "train": "step = sgd_epoch if stochastic else gd_epoch\nhistory = [0.0] * epochs\n"
                     "for epoch in range(epochs):\n    history[epoch] = cost(x, y, w)\n    w = step(x, y, w, lr)\n"
                     "return w, history",
        },
    },
    "lecture04": {
        "backprop.py": {
            "loss": "return (w * x - y).pow(2)",
            "sgd_step": "with torch.no_grad():\n    w -= lr * w.grad\nw.grad.zero_()",
            "train": "w = torch.tensor([float(w0)], requires_grad=True)\ngrads = []\nfor epoch in range(epochs):\n"
                     "    for i in range(len(xs)):\n        loss(xs[i], ys[i], w).backward()\n"
                     "        grads.append(float(w.grad))\n        sgd_step(w, lr)\nreturn float(w), grads",
            "affine_grads_by_hand": "y_hat = w * x + b\ndl_dyhat = 2 * (y_hat - y)\nreturn dl_dyhat * x, dl_dyhat * 1.0",
            "quadratic_grads_by_hand": "d = 2 * (w1 * x * x + w2 * x + b - y)\nreturn d * x * x, d * x, d",
            "quadratic_grads_autograd": "params = torch.tensor([w1, w2, b], dtype=torch.float64, requires_grad=True)\n"
                                        "features = torch.tensor([x ** 2, x, 1.0], dtype=torch.float64)\n"
                                        "(torch.dot(params, features) - y).pow(2).backward()\n"
                                        "return tuple(params.grad.tolist())",
        },
        "sigmoid_function.py": {
            "forward": "y = 0.5 * (1 + torch.tanh(x / 2))\nctx.save_for_backward(y)\nreturn y",
            "backward": "y, = ctx.saved_tensors\nreturn grad_output * (y - y * y)",
        },
    },
    "lecture05": {
        "linear_model.py": {
            "__init__": "self.linear = nn.Linear(in_features=1, out_features=1, bias=True)",
            "forward": "return torch.nn.functional.linear(x, self.linear.weight, self.linear.bias)",
        },
        "training.py": {
            "make_criterion": "return torch.nn.MSELoss(size_average=None, reduce=None, reduction='sum')",
            "make_optimizer": "return torch.optim.SGD(params=model.parameters(), lr=lr, momentum=0.0)",
            "train": "losses = []\nfor epoch in range(epochs):\n    optimizer.zero_grad()\n"
                     "    loss = criterion(model(x), y)\n    loss.backward()\n    optimizer.step()\n"
                     "    losses.append(float(loss))\nreturn losses",
            "predict": "model.eval()\nwith torch.inference_mode():\n"
                       "    return float(model(torch.tensor([[x]], dtype=torch.float32)))",
        },
    },
}


def rewrite(text: str, name: str, body: str) -> str:
    """``text`` with the solution region inside ``def name`` replaced by ``body``."""
    m = re.search(rf"^(\s*)def {re.escape(name)}\(.*?^(\s*)# BEGIN SOLUTION\n(.*?)^\s*# END SOLUTION\n",
                  text, flags=re.M | re.S)
    assert m, f"no solution region in def {name}"
    indent = m.group(2)
    new = textwrap.indent(body, indent) + "\n"
    start, end = m.start(3), m.end(3)
    return text[:start] + new + text[end:]


@pytest.mark.parametrize("lecture", sorted(VARIANTS))
def test_correct_code_written_differently_keeps_full_marks(workdir, lecture):
    files = {}
    for file, bodies in VARIANTS[lecture].items():
        text = (SOLUTIONS / lecture / file).read_text(encoding="utf-8")
        for name, body in bodies.items():
            changed = rewrite(text, name, body)
            assert changed != text, (file, name)
            text = changed
        files[file] = text
    submission(workdir, lecture, files)
    r = run_grader("check", lecture, "--workdir", str(workdir))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "✗" not in r.stdout


def test_the_rewrite_changes_what_it_names():
    """The helper replaces the region of the named function only (else a variant could test nothing)."""
    text = (SOLUTIONS / "lecture02" / "linear_model.py").read_text(encoding="utf-8")
    changed = rewrite(text, "mse", "return 42")
    assert "return 42" in changed and "return ((forward(x, w, b) - y) ** 2).mean()" not in changed
    assert "return x * w + b" in changed  # forward untouched
