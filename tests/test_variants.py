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
    "lecture09": {
        "data.py": {
            "make_transform": "return transforms.Compose((\n"
                              "    transforms.ToTensor(),\n"
                              "    transforms.Normalize(mean=[0.1307], std=[0.3081], inplace=False),\n"
                              "))",
            "flatten": "return images.view(images.size(0), -1)",
        },
        "net.py": {
            "__init__": "self.l1 = nn.Linear(in_features=784, out_features=512, bias=True)\n"
                        "self.l2 = nn.Linear(512, 256)\nself.l3 = nn.Linear(256, 128)\n"
                        "self.l4 = nn.Linear(128, 64)\nself.l5 = nn.Linear(64, 10)\nself.act = nn.ReLU()",
            "forward": "x = torch.flatten(x, start_dim=1)\n"
                       "for layer in (self.l1, self.l2, self.l3, self.l4):\n    x = self.act(layer(x))\n"
                       "return self.l5(x)",
        },
        "softmax.py": {
            "softmax": "z64 = z.to(torch.float64)\ne = torch.exp(z64 - torch.amax(z64, dim=-1, keepdim=True))\n"
                       "return (e / torch.sum(e, dim=-1, keepdim=True)).to(z.dtype)",
            "cross_entropy": "z = logits.double()\nm = z.amax(dim=1, keepdim=True)\n"
                             "log_probs = z - m - torch.log(torch.exp(z - m).sum(dim=1, keepdim=True))\n"
                             "nll = -log_probs.gather(1, target.reshape(-1, 1))\nreturn nll.mean().to(logits.dtype)",
            "cross_entropy_nll": "log_probs = F.log_softmax(logits, dim=-1)\n"
                                 "return F.nll_loss(log_probs, target, ignore_index=-100, reduction='mean')",
        },
        "train.py": {
            "train_one_epoch": "model.train(True)\nlosses = []\nfor images, labels in loader:\n"
                               "    optimizer.zero_grad(set_to_none=True)\n"
                               "    loss = criterion(model(images), labels)\n    loss.backward()\n"
                               "    optimizer.step()\n    losses.append(float(loss))\n"
                               "return sum(losses) / len(losses) if losses else 0.0",
            "accuracy": "model.train(False)\nright, seen = 0, 0\nwith torch.inference_mode():\n"
                        "    for images, labels in loader:\n        predicted = model(images).argmax(dim=-1)\n"
                        "        right += int(torch.eq(predicted, labels).sum())\n        seen += labels.numel()\n"
                        "return float(right) / seen if seen else 0.0",
        },
    },
    "lecture10": {
        "conv_basics.py": {
            "conv_output_size": "import math\nreturn math.floor((size + 2 * padding - kernel_size) / stride) + 1",
            "pool_output_size": "if stride is None:\n    stride = kernel_size\nreturn int((size - kernel_size) / stride) + 1",
            "conv2d_single": "import torch.nn.functional as F\nx = image.to(torch.float32)[None, None]\n"
                             "w = kernel.to(torch.float32)[None, None]\n"
                             "return F.conv2d(x, w, padding=padding, stride=stride).squeeze(1).squeeze(0)",
            "max_pool": "return torch.nn.functional.max_pool2d(image[None], kernel_size)[0]",
        },
        "net.py": {
            "__init__": "self.conv1 = nn.Conv2d(in_channels=1, out_channels=10, kernel_size=(5, 5))\n"
                        "self.conv2 = nn.Conv2d(10, 20, 5, stride=1, padding=0)\n"
                        "self.pooling = nn.MaxPool2d(kernel_size=2, stride=2)\n"
                        "self.fc = nn.Linear(in_features=20 * 4 * 4, out_features=10)",
            "forward": "x = self.pooling(F.relu(self.conv1(x)))\nx = self.pooling(F.relu(self.conv2(x)))\n"
                       "return self.fc(torch.flatten(x, 1))",
        },
        "train.py": {
            "train_one_epoch": "model.train(True)\nlosses = []\nfor inputs, target in loader:\n"
                               "    inputs = inputs.to(device)\n    target = target.to(device)\n"
                               "    loss = criterion(model(inputs), target)\n"
                               "    optimizer.zero_grad(set_to_none=True)\n    loss.backward()\n"
                               "    optimizer.step()\n    losses.append(float(loss))\n"
                               "return sum(losses) / len(losses) if losses else 0.0",
            "evaluate": "model.eval()\nright = total = 0\nwith torch.inference_mode():\n"
                        "    for inputs, target in loader:\n        scores = model(inputs.to(device))\n"
                        "        right += int((scores.argmax(1) == target.to(device)).sum())\n"
                        "        total += len(target)\nreturn right / total",
        },
    },
    "lecture11": {
        "inception.py": {
            "InceptionA.__init__": "self.branch1x1 = nn.Conv2d(in_channels, 16, kernel_size=(1, 1), stride=1, padding=0)\n"
                                   "self.branch5x5_1 = nn.Conv2d(in_channels, 16, 1)\n"
                                   "self.branch5x5_2 = nn.Conv2d(16, 24, 5, padding='same')\n"
                                   "self.branch3x3_1 = nn.Conv2d(in_channels, 16, 1)\n"
                                   "self.branch3x3_2 = nn.Conv2d(16, 24, 3, padding='same')\n"
                                   "self.branch3x3_3 = nn.Conv2d(24, 24, 3, padding='same')\n"
                                   "self.branch_pool = nn.Conv2d(in_channels=in_channels, out_channels=24, kernel_size=1)\n"
                                   "self.pool = nn.AvgPool2d(kernel_size=3, stride=1, padding=1)",
            "InceptionA.forward": "outputs = (\n"
                                  "    self.branch1x1(x),\n"
                                  "    self.branch5x5_2(self.branch5x5_1(x)),\n"
                                  "    self.branch3x3_3(self.branch3x3_2(self.branch3x3_1(x))),\n"
                                  "    self.branch_pool(self.pool(x)),\n"
                                  ")\nreturn torch.cat(outputs, 1)",
            "InceptionNet.__init__": "self.conv1 = nn.Conv2d(in_channels=1, out_channels=10, kernel_size=(5, 5))\n"
                                     "self.incep1 = InceptionA(10)\n"
                                     "self.conv2 = nn.Conv2d(in_channels=88, out_channels=20, kernel_size=5)\n"
                                     "self.incep2 = InceptionA(20)\n"
                                     "self.mp = nn.MaxPool2d(kernel_size=2, stride=2)\n"
                                     "self.fc = nn.Linear(in_features=88 * 4 * 4, out_features=10)",
            "InceptionNet.forward": "x = self.incep1(torch.relu(self.mp(self.conv1(x))))\n"
                                    "x = self.incep2(torch.relu(self.mp(self.conv2(x))))\n"
                                    "return self.fc(torch.flatten(x, start_dim=1))",
        },
        "residual.py": {
            "ResidualBlock.__init__": "self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, stride=1, padding=1, bias=True)\n"
                                      "self.conv2 = nn.Conv2d(channels, channels, 3, padding='same')",
            "ResidualBlock.forward": "identity = x\nout = self.conv2(self.conv1(x).relu())\nout = out + identity\n"
                                     "return torch.relu(out)",
            "ResidualNet.__init__": "self.conv1 = nn.Conv2d(1, 16, kernel_size=(5, 5))\n"
                                    "self.rblock1 = ResidualBlock(channels=16)\n"
                                    "self.conv2 = nn.Conv2d(16, 32, kernel_size=(5, 5))\n"
                                    "self.rblock2 = ResidualBlock(channels=32)\n"
                                    "self.mp = nn.MaxPool2d(2)\nself.fc = nn.Linear(32 * 4 * 4, 10)",
            "ResidualNet.forward": "x = self.rblock1(F.max_pool2d(F.relu(self.conv1(x)), kernel_size=2))\n"
                                   "x = self.rblock2(F.max_pool2d(F.relu(self.conv2(x)), kernel_size=2))\n"
                                   "return self.fc(x.reshape(x.shape[0], -1))",
        },
    },
    "lecture12": {
        "encoding.py": {
            "encode": "lookup = {c: i for i, c in enumerate(IDX2CHAR)}\nreturn torch.tensor([lookup[c] for c in text]).long()",
            "decode": "return ''.join(map(lambda i: IDX2CHAR[i], torch.as_tensor(indices).tolist()))",
            "one_hot": "return torch.nn.functional.one_hot(indices, num_classes).float()",
        },
        "rnn_cell.py": {
            "rnn_cell_step": "import torch.nn.functional as F\n"
                             "return torch.tanh(F.linear(x, weight_ih, bias_ih) + F.linear(h, weight_hh, bias_hh))",
            "run_rnn_cell": "output = inputs.new_empty(inputs.size(0), *hidden.shape)\nh = hidden\n"
                            "for t in range(inputs.size(0)):\n    h = cell(inputs[t], h)\n    output[t] = h\n"
                            "return output, h[None]",
        },
        "hello_model.py": {
            "__init__": "self.emb = nn.Embedding(num_embeddings=NUM_CLASS, embedding_dim=EMBEDDING_SIZE)\n"
                        "self.rnn = nn.RNN(EMBEDDING_SIZE, HIDDEN_SIZE, NUM_LAYERS, batch_first=True)\n"
                        "self.fc = nn.Linear(HIDDEN_SIZE, NUM_CLASS)",
            "forward": "out, _ = self.rnn(self.emb(x))\nreturn self.fc(out).view(-1, NUM_CLASS)",
            "train_hello": "history = []\nfor epoch in range(epochs):\n    optimizer.zero_grad()\n"
                           "    loss = criterion(model(inputs), labels)\n    loss.backward()\n    optimizer.step()\n"
                           "    history.append(float(loss))\nreturn history",
            "predict_hello": "with torch.inference_mode():\n    idx = torch.argmax(model(inputs), dim=-1)\n"
                             "return ''.join(IDX2CHAR[int(i)] for i in idx)",
        },
    },
    "lecture13": {
        "names_data.py": {
            "__init__": "self.names, self.countries = [], []\n"
                        "with gzip.open(path, mode='rt', encoding='utf-8', newline='') as f:\n"
                        "    for name, country in csv.reader(f):\n        self.names.append(name)\n"
                        "        self.countries.append(country)\nself.country_list = sorted(set(self.countries))",
            "__getitem__": "name = self.names[index]\nreturn name, self.country_list.index(self.countries[index])",
            "__len__": "return len(self.countries)",
            "names_to_tensor": "lengths = torch.LongTensor([len(n) for n in names])\n"
                               "codes = [torch.tensor([ord(c) for c in n], dtype=torch.long) for n in names]\n"
                               "return torch.nn.utils.rnn.pad_sequence(codes, batch_first=True), lengths",
        },
        "classifier.py": {
            "__init__": "self.embedding = nn.Embedding(num_embeddings=input_size, embedding_dim=hidden_size)\n"
                        "self.gru = nn.GRU(input_size=hidden_size, hidden_size=hidden_size, num_layers=n_layers,\n"
                        "                  bidirectional=bidirectional, batch_first=True)\n"
                        "self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)",
            "forward": "packed = pack_padded_sequence(self.embedding(input), seq_lengths.cpu(), batch_first=True,\n"
                       "                              enforce_sorted=False)\n_, hidden = self.gru(packed)\n"
                       "if self.n_directions == 2:\n    return self.fc(torch.cat((hidden[-2], hidden[-1]), dim=-1))\n"
                       "return self.fc(hidden[-1])",
        },
        "train.py": {
            "train_epoch": "model.train()\nlosses = []\nfor names, countries in loader:\n"
                           "    seq, lengths = names_to_tensor(names)\n    optimizer.zero_grad()\n"
                           "    loss = criterion(model(seq.to(device), lengths), countries.to(device))\n"
                           "    loss.backward()\n    optimizer.step()\n    losses.append(loss.item())\n"
                           "return sum(losses) / len(losses)",
            "predict": "model.train(False)\nseq, lengths = names_to_tensor(names)\nwith torch.inference_mode():\n"
                       "    scores = model(seq.to(device), lengths)\nreturn torch.max(scores, dim=1).indices.cpu()",
        },
    },
}


def rewrite(text: str, name: str, body: str) -> str:
    """``text`` with the solution region inside ``def name`` replaced by ``body``; ``Class.method`` names
    the method of that class (for files whose classes share method names, like ``__init__``)."""
    cls, _, func = name.rpartition(".")
    pos = 0
    if cls:
        c = re.search(rf"^class {re.escape(cls)}\b", text, flags=re.M)
        assert c, f"no class {cls}"
        pos = c.end()
    m = re.compile(rf"^(\s*)def {re.escape(func)}\(.*?^(\s*)# BEGIN SOLUTION\n(.*?)^\s*# END SOLUTION\n",
                   flags=re.M | re.S).search(text, pos)
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


def test_the_rewrite_finds_the_method_of_the_named_class():
    """``Class.method`` rewrites that class's method, not the first method of that name in the file."""
    text = (SOLUTIONS / "lecture11" / "residual.py").read_text(encoding="utf-8")
    changed = rewrite(text, "ResidualNet.__init__", "pass")
    block, net = changed.split("class ResidualNet")
    assert "self.conv1 = nn.Conv2d(channels, channels" in block
    assert "nn.Conv2d(1, 16, kernel_size=5)" not in net and "        pass\n" in net
