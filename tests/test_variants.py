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
    "lecture06": {
        "bce.py": {
            "binary_cross_entropy": "p = y_pred.double()\n"
                                    "loss = -(y * torch.clamp(torch.log(p), min=-100)\n"
                                    "         + (1 - y) * torch.clamp(torch.log1p(-p), min=-100))\n"
                                    "if reduction == 'mean':\n    return loss.mean().float()\n"
                                    "if reduction == 'sum':\n    return loss.sum().float()\nreturn loss.float()",
        },
        "logistic_model.py": {
            "__init__": "self.linear = nn.Linear(in_features=1, out_features=1)",
            "forward": "return 1 / (1 + torch.exp(-self.linear(x)))",
        },
        "training.py": {
            "slide_data": "x_data = torch.arange(1, 4, dtype=torch.float32).reshape(-1, 1)\n"
                          "y_data = torch.tensor([0, 0, 1], dtype=torch.float32).unsqueeze(1)\nreturn x_data, y_data",
            "make_criterion": "return nn.BCELoss(weight=None, reduction='sum')",
            "make_optimizer": "return torch.optim.SGD(params=list(model.parameters()), lr=lr, momentum=0)",
            "train": "history = []\nfor epoch in range(epochs):\n    optimizer.zero_grad()\n"
                     "    loss = criterion(model(x), y)\n    history.append(float(loss))\n    loss.backward()\n"
                     "    optimizer.step()\nreturn history",
            "pass_probability": "model.eval()\nwith torch.inference_mode():\n"
                                "    p = model(torch.full((1, 1), hours, dtype=torch.float32))\nreturn float(p)",
        },
    },
    "lecture07": {
        "data.py": {
            "load_data": "data = torch.tensor(np.genfromtxt(path, delimiter=','), dtype=torch.float32)\n"
                         "return data[:, :-1], data[:, -1:]",
        },
        "model.py": {
            "__init__": "self.hidden = nn.ModuleList()\nn_in = in_features\nfor n_out in hidden:\n"
                        "    self.hidden.append(nn.Linear(n_in, n_out))\n    n_in = n_out\n"
                        "self.out = nn.Linear(n_in, 1)\nself.act = activation()",
            "forward": "for layer in self.hidden:\n    x = self.act(layer(x))\nreturn torch.sigmoid(self.out(x))",
        },
        "training.py": {
            "train": "history = []\nfor epoch in range(epochs):\n    optimizer.zero_grad()\n"
                     "    loss = criterion(model(x), y)\n    history.append(float(loss))\n    loss.backward()\n"
                     "    optimizer.step()\nreturn history",
            "predict": "model.train(False)\nwith torch.no_grad():\n    p = model(x)\n"
                       "return torch.where(p.flatten() >= 0.5, 1, 0).to(torch.int64)",
        },
    },
    "lecture08": {
        "dataset.py": {
            "__init__": "table = torch.tensor(np.loadtxt(path, delimiter=',', dtype=np.float64), dtype=torch.float32)\n"
                        "self.features, self.labels = table[:, :-1], table[:, -1:]",
            "__getitem__": "return self.features[index], self.labels[index]",
            "__len__": "return len(self.labels)",
            "make_loader": "generator = None\nif seed is not None:\n    generator = torch.Generator()\n"
                           "    generator.manual_seed(seed)\n"
                           "return DataLoader(dataset=dataset, batch_size=batch_size, shuffle=shuffle,\n"
                           "                  num_workers=num_workers, generator=generator, drop_last=False)",
        },
        "training.py": {
            "train": "history = []\nfor epoch in range(epochs):\n    losses = []\n    for x, y in loader:\n"
                     "        optimizer.zero_grad()\n        loss = criterion(model(x), y)\n        loss.backward()\n"
                     "        optimizer.step()\n        losses.append(loss.item())\n"
                     "    history.append(sum(losses) / len(losses))\nreturn history",
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
