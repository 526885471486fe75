"""The worker-side glue (grader/sandbox/inside/glue.py), called directly on small models: no worker.

``glue.resolve`` is the worker's lookup of the learner's names; here it is pointed at the
stand-ins each test defines, correct ones and known-wrong ones.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.data import DATA_DIR
from grader.sandbox.inside import glue


@pytest.fixture
def learner_code(monkeypatch):
    """Point glue.resolve at the names a test gives: learner_code(name=function, ...)."""
    def provide(**names):
        monkeypatch.setattr(glue, "resolve", lambda name: names[name])
    return provide


# ---------------------------------------------------------------- standalone and not secret

def test_glue_imports_only_the_standard_library_torch_and_torchvision():
    tree = ast.parse(Path(glue.__file__).read_text(encoding="utf-8"))
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert modules <= {"__future__", "functools", "importlib", "collections", "csv", "gzip", "multiprocessing", "torch",
                       "torchvision"}


def test_resolve_is_left_to_the_worker():
    with pytest.raises(RuntimeError, match="set by the worker"):
        glue.resolve("Net")  # the module's own, before a worker (or the fixture) replaces it


# ---------------------------------------------------------------- shared helpers

def test_parameter_count():
    assert glue.parameter_count(nn.Linear(3, 2)) == {"count": 8, "names": ["weight", "bias"]}


def test_recording_sgd_sees_accumulating_gradients():
    model = nn.Linear(2, 1)
    opt = glue.recording_sgd(model)
    x = torch.ones(4, 2)
    for zero in (True, False, False):
        if zero:
            opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    seen = glue.recorded_gradients(opt)
    assert len(seen) == 3 and all(len(step) == 2 for step in seen)
    assert torch.allclose(seen[1][0], 2 * seen[0][0]) and torch.allclose(seen[2][0], 3 * seen[0][0])
    assert torch.equal(model.weight.grad, seen[2][0])  # lr = 0: nothing moved


def test_trained_state_is_a_copy_on_the_cpu():
    model = nn.Linear(2, 1)
    got = glue.trained_state(model)
    with torch.no_grad():
        model.weight.fill_(7.0)
    assert got["param_device"] == "cpu" and set(got["state"]) == {"weight", "bias"}
    assert not torch.equal(got["state"]["weight"], model.weight)


def test_number_without_graph(learner_code):
    model = glue.line_model(2.0, 1.0)
    learner_code(predict=lambda m, x: m(torch.tensor([[x]])), predict_item=lambda m, x: m(torch.tensor([[x]])).item())
    assert glue.number_without_graph("predict", model, 3.0)["graph"] is True
    assert glue.number_without_graph("predict_item", model, 3.0) == {"out": 7.0, "graph": False}


def test_modes_probe_records_how_the_model_ran(learner_code):
    def careful(model, x):
        model.eval()
        with torch.no_grad():
            return (model(x) >= 0.5).long().view(-1)

    learner_code(careful=careful, careless=lambda model, x: model(x))
    x = torch.tensor([[0.2, 5.0], [0.9, -1.0]])
    got = glue.modes_probe("careful", "first_column", x)
    assert torch.equal(got["out"], torch.tensor([0, 1])) and got["modes"] == [[False, False]]
    assert glue.modes_probe("careless", "first_column", x)["modes"] == [[True, True]]


def test_probes_answer_what_their_input_says():
    pixels = torch.zeros(2, 1, 28, 28)
    pixels[:, 0, 0, 0] = torch.tensor([3.0, 7.0])
    assert glue.FirstPixel()(pixels).argmax(dim=1).tolist() == [3, 7]
    seq, lengths = torch.zeros(2, 5, dtype=torch.long), torch.tensor([2, 5])
    assert glue.NameLength()(seq, lengths).argmax(dim=1).tolist() == [2, 5]


def test_counting_probe_counts_over_all_samples(learner_code):
    def accuracy(model, loader, device=None):
        model.eval()
        right = total = 0
        with torch.no_grad():
            for x, y in loader:
                right += (model(x).argmax(dim=1) == y).sum().item()
                total += len(y)
        return right / total

    def mean_of_batches(model, loader):
        return sum((model(x).argmax(dim=1) == y).float().mean().item() for x, y in loader) / len(loader)

    learner_code(accuracy=accuracy, mean_of_batches=mean_of_batches)
    assert glue.counting_probe("accuracy") == {"out": 0.75, "modes": [[False, False], [False, False]]}
    assert glue.counting_probe("accuracy", "cpu")["out"] == 0.75  # evaluate(model, loader, device)
    assert glue.counting_probe("mean_of_batches")["out"] == pytest.approx(2 / 3)


def test_models_made_from_the_graders_weights():
    state = {"0.weight": torch.ones(3, 4), "0.bias": torch.zeros(3), "2.weight": torch.ones(1, 3), "2.bias": torch.zeros(1)}
    assert glue.binary_mlp(4, 3, state)(torch.ones(1, 4)).item() == pytest.approx(torch.sigmoid(torch.tensor(12.0)).item())
    flat = glue.flat_linear({"1.weight": torch.ones(10, 784), "1.bias": torch.arange(10.0)})
    assert torch.equal(flat(torch.ones(2, 1, 28, 28)), torch.arange(10.0).expand(2, 10) + 784)


def test_line_model_is_laid_out_as_the_lectures():
    line = glue.line_model(1.5, 0.25)
    assert list(line.state_dict()) == ["linear.weight", "linear.bias"] and line(torch.tensor([[2.0]])).item() == 3.25
    logistic = glue.line_model(1.5, -3.0, sigmoid=True)
    assert list(logistic.state_dict()) == ["0.weight", "0.bias"]
    assert logistic(torch.tensor([[2.0]])).item() == pytest.approx(0.5)


# ---------------------------------------------------------------- lecture 01

def test_numpy_bridge_probe_sees_shared_memory(learner_code):
    learner_code(numpy_to_tensor=torch.from_numpy, tensor_to_numpy=lambda t: t.detach().numpy())
    got = glue.numpy_bridge_probe("numpy_to_tensor", 100.0)
    assert got["converted"] and got["values"].dtype == torch.float64
    assert (got["seen_in_result"], got["seen_in_source"]) == (100.0, -5.0)
    got = glue.numpy_bridge_probe("tensor_to_numpy", 50.0)
    assert got["converted"] and torch.equal(got["values"], torch.arange(6.0, dtype=torch.float64).reshape(2, 3))
    assert (got["seen_in_result"], got["seen_in_source"]) == (50.0, -5.0)


def test_numpy_bridge_probe_sees_copies(learner_code):
    learner_code(numpy_to_tensor=torch.tensor, tensor_to_numpy=lambda t: t.detach().numpy().copy())
    got = glue.numpy_bridge_probe("numpy_to_tensor", 100.0)
    assert (got["seen_in_result"], got["seen_in_source"]) == (1.0, 5.0)
    got = glue.numpy_bridge_probe("tensor_to_numpy", 50.0)
    assert (got["seen_in_result"], got["seen_in_source"]) == (1.0, 5.0)
    learner_code(tensor_to_numpy=lambda t: t.tolist())
    assert glue.numpy_bridge_probe("tensor_to_numpy", 50.0)["converted"] is False


# ---------------------------------------------------------------- lecture 04

def test_sgd_step_probe(learner_code):
    def sgd_step(w, lr):
        w.data -= lr * w.grad.data
        w.grad.data.zero_()

    learner_code(sgd_step=sgd_step)
    got = glue.sgd_step_probe()
    assert got["after"].item() == pytest.approx(-0.2) and got["is_leaf"] and got["requires_grad"]
    assert got["grad_after"].item() == 0 and got["returned"] is None
    learner_code(sgd_step=lambda w, lr: w - lr * w.grad)  # a new tensor; the caller's w stays
    got = glue.sgd_step_probe()
    assert torch.equal(got["after"], got["before"]) and got["returned"].item() == pytest.approx(-0.2)


class _Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y * (1 - y)


def test_sigmoid_probe(learner_code):
    learner_code(Sigmoid=_Sigmoid)
    x, g = torch.tensor([[-1.0, 0.5]], dtype=torch.float64), torch.tensor([[2.0, -1.0]], dtype=torch.float64)
    got = glue.sigmoid_probe(x, g, 1e-6)
    s = torch.sigmoid(x)
    assert got["connected"] and torch.allclose(got["out"], s) and torch.allclose(got["grad"], g * s * (1 - s))
    assert torch.allclose((got["plus"] - got["minus"]) / 2e-6, s * (1 - s))


class _SeenGradOutput(_Sigmoid):
    seen = []

    @staticmethod
    def backward(ctx, grad_output):
        _SeenGradOutput.seen.append(grad_output.clone())
        return _Sigmoid.backward(ctx, grad_output)


def test_sigmoid_probe_gives_backward_g_itself(learner_code):
    """The learner's backward receives g, bit for bit, as under out.backward(g); a wrong shape meets
    backward(g)'s own error."""
    learner_code(Sigmoid=_SeenGradOutput)
    x, g = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    glue.sigmoid_probe(x, g, 1e-6)
    assert torch.equal(_SeenGradOutput.seen[-1], g)
    learner_code(Sigmoid=type("Flat", (_Sigmoid,), {"forward": staticmethod(lambda ctx, x: _Sigmoid.forward(ctx, x).flatten())}))
    with pytest.raises(RuntimeError, match="shape"):
        glue.sigmoid_probe(x, g, 1e-6)


def test_sigmoid_probe_leaves_sympy_unimported():
    """Lecture 04's worker never imports sympy (0.6-1 s), which out.backward(g) on a non-scalar would."""
    code = ("import sys, torch\nfrom grader.sandbox.inside import glue\nfrom tests.test_glue import _Sigmoid\n"
            "glue.resolve = {'Sigmoid': _Sigmoid}.__getitem__\n"
            "glue.sigmoid_probe(torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64), 1e-6)\n"
            "print('sympy' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------- lectures 05 and 06

def test_one_step():
    model = nn.Linear(1, 1)
    got = glue.one_step(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.tensor([[1.0], [2.0]]))
    assert got["kind"] == "SGD"
    for before, grad, after in zip(got["before"], got["grads"], got["after"]):
        assert torch.allclose(after, before - 0.1 * grad)


def _bce_by_hand(y_pred, y, reduction="mean"):
    loss = -(y * torch.log(y_pred).clamp(min=-100) + (1 - y) * torch.log(1 - y_pred).clamp(min=-100))
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


def test_bce_by_hand_switches_the_library_off(learner_code):
    p, y = torch.tensor([0.2, 0.8, 0.3]), torch.tensor([1.0, 1.0, 0.0])
    learner_code(binary_cross_entropy=_bce_by_hand)
    got = glue.bce_by_hand(p, y, "mean")
    assert got["used_library"] is False and got["connected"]
    assert torch.allclose(got["out"], F.binary_cross_entropy(p, y))
    assert torch.allclose(got["grad"], (p - y) / (p * (1 - p)) / 3)
    learner_code(binary_cross_entropy=lambda y_pred, y, reduction="mean": nn.BCELoss(reduction=reduction)(y_pred, y))
    got = glue.bce_by_hand(p, y, "sum")
    assert got["used_library"] is True and got["out"] is None
    assert F.binary_cross_entropy(p, y).item() == pytest.approx(_bce_by_hand(p, y).item())  # switched back on


# ---------------------------------------------------------------- lectures 07 and 08

class _MultiLayer(nn.Module):
    def __init__(self, in_features, hidden=(16, 8), activation=nn.Sigmoid):
        super().__init__()
        sizes = [in_features, *hidden, 1]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.activation = activation()

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return torch.sigmoid(self.layers[-1](x))


def test_multilayer_run_and_training(learner_code):
    x, y = torch.randn(12, 5), torch.randint(0, 2, (12, 1)).float()

    def train(model, criterion, optimizer, x, y, epochs):
        for _ in range(epochs):
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()

    learner_code(MultiLayerModel=_MultiLayer, load_data=lambda path: (x, y), train=train)
    got = glue.multilayer_run(5, [4], "Tanh", x)
    assert [name for name, _ in got["params"]] == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert got["out"].shape == (12, 1)
    trained = glue.train_multilayer("table.csv", 0, 0.1, 2)["params"]
    assert [tuple(p.shape) for _, p in trained] == [(16, 5), (16,), (8, 16), (8,), (1, 8), (1,)]


class _Table(torch.utils.data.Dataset):
    def __init__(self, path):
        self.x, self.y = torch.arange(60.0).reshape(20, 3), torch.arange(20.0).reshape(20, 1)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def _make_loader(dataset, batch_size, shuffle=True, seed=None, num_workers=0):
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                                       num_workers=num_workers)


def test_table_samples(learner_code):
    learner_code(TableDataset=_Table)
    got = glue.table_samples("table.csv")
    assert got["n"] == 20 and [item[1].item() for item in got["items"]] == [0.0, 1.0, 19.0]


def test_loader_behaviour(learner_code):
    learner_code(make_loader=_make_loader)
    got = glue.loader_behaviour([(10, 3), (5, 8)])
    assert got["counts"] == {"10,3": [4, [3, 3, 3, 1]], "5,8": [1, [5]]}
    assert sorted(got["first"]) == list(range(50)) and got["first"] == got["same_seed"] != got["other_seed"]
    assert got["two_epochs"][0] == got["first"] != got["two_epochs"][1]
    assert got["unshuffled"] == list(range(50)) and got["workers"] == 2
    torch.manual_seed(123)
    assert got["global_after"] == torch.rand(1).item()


def test_trained_then_reads_the_model_its_training_changed(learner_code):
    def train(model, steps):
        with torch.no_grad():
            model.weight += steps
    def no_training(model, steps):
        return model
    model = nn.Linear(1, 1)
    nn.init.zeros_(model.weight), nn.init.zeros_(model.bias)
    learner_code(train=train, no_training=no_training)
    got = glue.trained_then("train", model, [model, 2.0], torch.tensor([[1.0], [3.0]]))
    assert got["state"]["weight"].item() == 2.0 and not got["out"].requires_grad
    assert got["out"].flatten().tolist() == [2.0, 6.0]
    assert glue.trained_then("no_training", model, [model, 1.0], torch.ones(1, 1))["state"]["weight"].item() == 2.0
    learner_code(train=lambda model, steps: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # the learner's error is the call's own (the check's `where`)
        glue.trained_then("train", model, [model, 1.0], torch.ones(1, 1))


def test_spawn_epoch_without_workers(learner_code):
    learner_code(TableDataset=_Table, make_loader=lambda d, b, shuffle=True, num_workers=0: _make_loader(d, b, shuffle))
    assert glue.spawn_epoch("table.csv") == {"workers": 0, "error": None, "batches": []}


def test_train_table_network(learner_code):
    def train(model, loader, criterion, optimizer, epochs):
        for _ in range(epochs):
            for x, y in loader:
                optimizer.zero_grad()
                criterion(model(torch.randn(len(x), 30)), (y > 9).float()).backward()
                optimizer.step()

    learner_code(TableDataset=_Table, make_loader=_make_loader, train=train)
    got = glue.train_table_network("table.csv", 0, 0.1, 1, 8)
    assert got["param_device"] == "cpu" and tuple(got["state"]["0.weight"].shape) == (16, 30)


# ---------------------------------------------------------------- lectures 09 and 10

def _train_one_epoch(model, loader, optimizer, criterion, device="cpu"):
    """A correct train_one_epoch (lecture 09's takes no device), through the grader's own step."""
    losses = [glue.train_step(model, optimizer, criterion, x.to(device), y.to(device)) for x, y in loader]
    return torch.stack(losses).mean().item()


def test_cross_entropy_with_grad(learner_code):
    z, y = torch.randn(3, 4), torch.tensor([0, 3, 1])
    learner_code(cross_entropy=F.cross_entropy)
    got = glue.cross_entropy_with_grad(z, y)
    ref = z.clone().requires_grad_(True)
    F.cross_entropy(ref, y).backward()
    assert got["is_tensor"] and got["has_graph"] and torch.allclose(got["grad"], ref.grad)
    learner_code(cross_entropy=lambda z, y: F.cross_entropy(z, y).item())
    assert glue.cross_entropy_with_grad(z, y)["has_graph"] is False


def test_transform_images(learner_code):
    from torchvision import transforms
    learner_code(make_transform=transforms.ToTensor)
    image = torch.randint(0, 256, (28, 28), dtype=torch.uint8)
    (out,) = glue.transform_images([image])["outs"]
    assert torch.allclose(out, image.float().unsqueeze(0) / 255)


def test_loss_probe_records_what_the_loss_got(learner_code):
    learner_code(train_one_epoch=_train_one_epoch)
    state = {"1.weight": torch.randn(10, 784), "1.bias": torch.zeros(10)}
    batches = [(torch.randn(2, 1, 28, 28), torch.tensor([1, 2])) for _ in range(2)]
    got = glue.loss_probe(state, batches)
    assert len(got["outputs"]) == len(got["inputs"]) == 2
    assert torch.equal(got["outputs"][0], got["inputs"][0]) and torch.equal(got["targets"][1], torch.tensor([1, 2]))


def test_device_probe(learner_code):
    learner_code(train_one_epoch=_train_one_epoch)
    assert glue.device_probe() == {"inputs": ["meta", "meta"], "targets": ["meta", "meta"]}
    learner_code(train_one_epoch=lambda model, loader, optimizer, criterion, device: _train_one_epoch(
        model, loader, optimizer, criterion))  # the batches stay where they are
    assert glue.device_probe() == {"inputs": ["cpu", "cpu"], "targets": ["cpu", "cpu"]}


class _TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x.view(len(x), -1))


def test_image_training_runs_on_the_shipped_digits(learner_code):
    root = str(DATA_DIR / "digits")
    learner_code(Net=_TinyNet, TinyNet=_TinyNet, train_one_epoch=_train_one_epoch)
    for got in (glue.train_digits_mlp(root, 0, "cpu", 1, 0.1307, 0.3081),
                glue.train_cnn(root, "MNIST", 64, 0, "cpu", 32, 1, 0.1307, 0.3081),
                glue.train_with_adam("TinyNet", root, "MNIST", 64, 0, "cpu", 32, 1, 0.01, 0.1307, 0.3081)):
        assert got["param_device"] == "cpu" and tuple(got["state"]["fc.weight"].shape) == (10, 784)


# ---------------------------------------------------------------- lectures 11 to 13

def test_input_gradient():
    block = nn.Identity()
    x, upstream = torch.randn(2, 3), torch.randn(2, 3)
    assert torch.equal(glue.input_gradient(block, x, upstream)["grad"], upstream)


def test_rnn_cell_gradients(learner_code):
    def cell(x, h, w_ih, w_hh, b_ih, b_hh):
        return torch.tanh(x @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh)

    learner_code(rnn_cell_step=cell)
    args = (torch.randn(3, 4), torch.randn(3, 2), torch.randn(2, 4), torch.randn(2, 2), torch.randn(2), torch.randn(2))
    got = glue.rnn_cell_gradients(*args, torch.ones(3, 2))
    assert got["graph"] and [tuple(g.shape) for g in got["grads"]] == [tuple(a.shape) for a in args]
    learner_code(rnn_cell_step=lambda *leaves: cell(*(t.detach() for t in leaves)))
    assert glue.rnn_cell_gradients(*args, torch.ones(3, 2)) == {"graph": False, "grads": [None] * 6}


def test_predict_hello_probe(learner_code):
    def predict_hello(model, inputs):
        with torch.no_grad():
            return "".join("ehlo"[i] for i in model(inputs).argmax(dim=1).tolist())

    learner_code(predict_hello=predict_hello)
    scores = torch.eye(4)[[3, 1, 2, 3, 2]]
    assert glue.predict_hello_probe(scores, torch.zeros(1, 5)) == {"out": "ohlol", "modes": [False]}


class _Names:
    def __init__(self, path):
        self.rows = [("Li", "Chinese"), ("Abe", "Japanese"), ("Ng", "Vietnamese")]
        self.country_list = sorted({c for _, c in self.rows})

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i][0], self.country_list.index(self.rows[i][1])


def test_name_dataset_rows(learner_code):
    learner_code(NameDataset=_Names)
    got = glue.name_dataset_rows("names.csv.gz", [0, 2])
    assert got == {"n": 3, "country_list": ["Chinese", "Japanese", "Vietnamese"], "items": [("Li", 0), ("Ng", 2)]}


def test_bag_scores_a_padded_batch():
    seq = torch.tensor([[76, 105, 0], [65, 98, 101]])
    assert glue.Bag()(seq, torch.tensor([2, 3])).shape == (2, 3)


class _Classifier(nn.Module):
    def __init__(self, vocabulary, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, hidden)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, seq, lengths):
        return self.fc(self.embedding(seq).sum(1))


def test_train_names_on_the_shipped_names(learner_code):
    def train_epoch(model, loader, criterion, optimizer, device="cpu"):
        for batch, (names, countries) in enumerate(loader):
            if batch == 2:
                break
            seq = torch.tensor([[ord(c) for c in name[:3].ljust(3)] for name in names])
            optimizer.zero_grad()
            criterion(model(seq, None), countries).backward()
            optimizer.step()

    learner_code(RNNClassifier=_Classifier, train_epoch=train_epoch)
    probe_seq, probe_lengths = torch.tensor([[76, 105, 0]]), torch.tensor([2])
    got = glue.train_names(str(DATA_DIR / "names" / "names_train.csv.gz"), 0, "cpu", 4, 0.01, 1, probe_seq,
                           probe_lengths)
    classes = got["state"]["fc.weight"].shape[0]
    assert tuple(got["probe"].shape) == (1, classes) and got["param_device"] == "cpu"
