"""The grader's helpers that run in the worker, beside the learner's objects.

Checks call them by name (``learner.call("glue:parameter_count", model)``, or ``glue(learner,
"parameter_count", model, where=...)`` from ``grader.checks.api``), as they call the learner's own
functions: they build what a check needs next to the learner's code (an optimizer that records what
it sees, a probe model that records how it was run, a seeded training run of the learner's model on
the public data) and hand back plain data (or a handle).  Nothing here is secret: no expected value,
no evaluation label, no reference solution; every verdict is made in the grader's process.

Standalone (standard library, torch, torchvision): the worker imports it from its own folder;
tests import it as ``grader.sandbox.inside.glue``.  ``resolve`` is set by the worker: it finds a
name in the learner's files as checks do (``resolve("Net")``).

Sections: helpers shared by several lectures, then one section per lecture, in order.
"""

from __future__ import annotations

import functools
import importlib
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


def resolve(name: str):  # replaced by the worker's own at start-up
    raise RuntimeError("glue.resolve is set by the worker")


# ---------------------------------------------------------------- shared by several lectures

def parameter_count(model) -> dict:
    """How many parameters the learner's model trains, and their names (checks compare the count)."""
    return {"count": sum(p.numel() for p in model.parameters()),
            "names": [name for name, _ in model.named_parameters()]}


class RecordingSGD(torch.optim.SGD):
    """An SGD that records the gradients it sees at each step.  With lr=0 the parameters never
    move, so on identical batches every step must see the same gradient; a missing zero_grad
    makes step k see (k+1) times it."""

    def __init__(self, params, lr=0.0):
        super().__init__(params, lr=lr)
        self.seen = []

    def step(self, closure=None):
        self.seen.append([None if p.grad is None else p.grad.detach().clone().cpu()
                          for group in self.param_groups for p in group["params"]])
        return super().step(closure)


def recording_sgd(model) -> RecordingSGD:
    """A RecordingSGD at lr = 0 over ``model``'s parameters, for the learner's training to use."""
    return RecordingSGD(model.parameters(), lr=0.0)


def recorded_gradients(optimizer: RecordingSGD) -> list:
    """The gradients ``optimizer`` saw, one list per step."""
    return optimizer.seen


def state_as_data(model) -> dict:
    """A model's state_dict as CPU tensors, detached and copied."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def trained_state(model) -> dict:
    """A model trained here, as data: its weights as CPU tensors, and the device it trained on.  The
    evaluation inputs are never sent: the grader computes the predictions from these weights."""
    return {"state": state_as_data(model), "param_device": next(model.parameters()).device.type}


def trained_then(function: str, model, args: list, inputs) -> dict:
    """The learner's ``function(*args)``, a training that changes ``model`` in place, then the trained
    model as data: its state_dict (CPU tensors) and what it returns for ``inputs``.  What a check reads
    after trainings run side by side (glue_side_by_side), each in a forked copy of the worker, from which
    the trained model cannot come back as a handle."""
    resolve(function)(*args)
    out = model(inputs)
    return {"state": state_as_data(model), "out": out.detach() if isinstance(out, torch.Tensor) else out}


def number_without_graph(function: str, model, x) -> dict:
    """``function(model, x)`` (predict, pass_probability) and whether what it returned is still in a graph."""
    out = resolve(function)(model, x)
    return {"out": out, "graph": isinstance(out, torch.Tensor) and out.requires_grad}


class ModeProbe(nn.Module):
    """A stand-in model whose answer (``answer``, in a subclass) is written in its input, and that records
    the modes each forward ran in: [model.training, torch.is_grad_enabled()]."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.modes = []

    def forward(self, *inputs):
        self.modes.append([self.training, torch.is_grad_enabled()])
        return self.answer(*inputs) * self.w


class FirstColumn(ModeProbe):
    """P(y = 1) is each row's first feature (lecture 07)."""

    def answer(self, x):
        return x[:, :1]


class FirstPixel(ModeProbe):
    """The class is written in each image's first pixel (lectures 09 and 10)."""

    def answer(self, x):
        return F.one_hot(x.reshape(len(x), -1)[:, 0].long(), 10).float()


class NameLength(ModeProbe):
    """Each name's class is its length (lecture 13)."""

    def answer(self, seq, lengths):
        return F.one_hot(lengths.to(seq.device).long(), 10).float()


PROBES = {"first_column": FirstColumn, "first_pixel": FirstPixel, "name_length": NameLength}


def modes_probe(function: str, probe: str, *args, device: str | None = None) -> dict:
    """``function(model, *args[, torch.device(device)])`` with a PROBES[probe] model left in training
    mode: what it returned, and the modes the model ran in."""
    model = PROBES[probe]()
    model.train()
    extra = (torch.device(device),) if device else ()
    out = resolve(function)(model, *args, *extra)
    return {"out": out, "modes": model.modes}


def _pixel_batch(preds, labels):
    x = torch.zeros(len(preds), 1, 28, 28)
    x[:, 0, 0, 0] = torch.tensor(preds, dtype=torch.float32)
    return x, torch.tensor(labels)


def counting_probe(function: str, device: str | None = None) -> dict:
    """``function`` (accuracy, evaluate) over two batches of FirstPixel images: 5 of 5 right, then 1 of 3
    right, 6 of 8 overall (a mean of per-batch accuracies would give 0.667)."""
    batches = [_pixel_batch([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]), _pixel_batch([7, 8, 9], [7, 0, 0])]
    return modes_probe(function, "first_pixel", batches, device=device)


def binary_mlp(n_in: int, n_hidden: int, state: dict) -> nn.Module:
    """Linear(n_in, n_hidden) -> ReLU -> Linear(n_hidden, 1) -> Sigmoid with the grader's weights (lectures 07, 08)."""
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, 1), nn.Sigmoid())
    model.load_state_dict(state)
    return model


def flat_linear(state: dict) -> nn.Module:
    """Flatten -> Linear(784, 10) with the grader's weights (lectures 09, 10)."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    model.load_state_dict(state)
    return model


def _image_train_set(root: str, dataset_class: str, mean: float, std: float, train_size: int):
    """The public training split of the lecture's images, read with torchvision's own class for it."""
    from torchvision import datasets, transforms
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    train_set = getattr(datasets, dataset_class)(root, train=True, download=False, transform=tf)
    if train_size:
        train_set = torch.utils.data.Subset(train_set, range(train_size))
    return train_set


def _seeded_loader(data, batch_size: int, seed: int):
    return torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True,
                                       generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- lecture 01: tensor basics

def numpy_bridge_probe(function: str, written: float) -> dict:
    """numpy_to_tensor on a float64 (2, 3) array, or tensor_to_numpy on a float32 (2, 3) tensor that requires
    grad: whether it returned the other kind (``converted``), a float64 copy of its values, and whether writes
    go through: ``written`` put at [0, 1] of the source is ``seen_in_result``, -5 put at [1, 2] of the result is
    ``seen_in_source``."""
    to_tensor = function == "numpy_to_tensor"
    t = torch.arange(6, dtype=torch.float64 if to_tensor else torch.float32).reshape(2, 3)
    source = t.numpy() if to_tensor else t.requires_grad_()
    out = resolve(function)(source)
    kind = torch.Tensor if to_tensor else type(torch.zeros(0).numpy())  # numpy's ndarray, reached through torch
    got = {"converted": type(out) is kind, "values": None, "seen_in_result": None, "seen_in_source": None}
    if got["converted"]:
        got["values"] = out.clone() if to_tensor else torch.tensor(out, dtype=torch.float64)
        if tuple(out.shape) == (2, 3):
            with torch.no_grad():
                source[0, 1] = written
            got["seen_in_result"] = float(out[0, 1])
            out[1, 2] = -5.0
            got["seen_in_source"] = float(source[1, 2])
    return got


# ---------------------------------------------------------------- lecture 04: back propagation

def sgd_step_probe() -> dict:
    """sgd_step(w, 0.1) on a leaf w = [1.0] whose gradient is 12: w before and after, whether it is still a
    leaf that requires grad, its gradient after, and what sgd_step returned."""
    w = torch.tensor([1.0], requires_grad=True)
    ((3.0 * w - 1.0) ** 2).sum().backward()  # d/dw = 2 * 3 * (3w - 1) = 12 at w = 1
    before = w.detach().clone()
    out = resolve("sgd_step")(w, 0.1)
    return {"before": before, "after": w.detach().clone(), "is_leaf": bool(w.is_leaf),
            "requires_grad": bool(w.requires_grad), "grad_after": None if w.grad is None else w.grad.detach().clone(),
            "returned": out.detach().clone() if isinstance(out, torch.Tensor) else None}


def sigmoid_probe(x, g, h: float) -> dict:
    """The learner's Sigmoid Function on x: its output, x.grad after backward(g), whether the output is in
    the graph, and its outputs at x + h and x - h (the grader takes the central differences)."""
    sigmoid = resolve("Sigmoid")
    x = x.clone().requires_grad_(True)
    out = sigmoid.apply(x)
    got = {"out": out, "grad": None, "connected": isinstance(out, torch.Tensor) and out.grad_fn is not None}
    if got["connected"]:
        if out.shape == g.shape and out.dtype == g.dtype:
            # the same grad_output (1 * g, bit for bit) reaches the learner's backward as with out.backward(g),
            # whose first non-scalar use imports sympy (torch.fx.experimental.symbolic_shapes, 0.6-1 s)
            (out * g).sum().backward()
        else:  # a wrong shape or dtype: backward(g)'s own error says so
            out.backward(g)
        got["grad"] = x.grad
    with torch.no_grad():
        got["plus"] = sigmoid.apply(x.detach() + h)
        got["minus"] = sigmoid.apply(x.detach() - h)
    return got


# ---------------------------------------------------------------- lectures 05 and 06: linear and logistic regression

def line_model(w: float | None = None, b: float | None = None, *, sigmoid: bool = False) -> nn.Module:
    """nn.Linear(1, 1), with weight w and bias b when given: followed by a Sigmoid in an nn.Sequential, or
    alone, named `linear` as the lecture's LinearModel names it."""
    layer = nn.Linear(1, 1)
    if w is not None:
        with torch.no_grad():
            layer.weight.fill_(w)
            layer.bias.fill_(b)
    return nn.Sequential(layer, nn.Sigmoid()) if sigmoid else nn.Sequential(OrderedDict(linear=layer))


def one_step(model, optimizer, x) -> dict:
    """One optimizer.step() after backward of model(x).sum(): the parameters before, their gradients, the
    parameters after, and the optimizer's class."""
    before = [p.detach().clone() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    grads = [p.grad.detach().clone() for p in model.parameters()]
    optimizer.step()
    return {"before": before, "grads": grads, "after": [p.detach().clone() for p in model.parameters()],
            "kind": type(optimizer).__name__}


def bce_by_hand(p, y, reduction: str) -> dict:
    """The learner's binary_cross_entropy with the library's switched off (the exercise is to write it by
    hand): its value, the gradient with respect to p when the result is connected to it, and whether
    it tried the library's."""
    used_library = []

    def refuse(*args, **kwargs):
        used_library.append(True)
        raise RuntimeError("the library's binary_cross_entropy is switched off in this check")

    saved = (F.binary_cross_entropy, torch._C._nn.binary_cross_entropy)
    F.binary_cross_entropy = torch._C._nn.binary_cross_entropy = refuse
    p = p.clone().requires_grad_(True)
    try:
        out = resolve("binary_cross_entropy")(p, y, reduction)
    except Exception:
        if not used_library:
            raise
        out = None
    finally:
        F.binary_cross_entropy, torch._C._nn.binary_cross_entropy = saved
    got = {"out": out, "grad": None, "connected": isinstance(out, torch.Tensor) and out.grad_fn is not None,
           "used_library": bool(used_library)}
    if got["connected"] and out.numel() == 1:
        out.backward()
        got["grad"] = p.grad
    return got


# ---------------------------------------------------------------- lecture 07: multi-dimensional input

def multilayer_run(in_features: int, hidden, activation: str, x) -> dict:
    """The learner's MultiLayerModel built with nn.<activation>: its parameters in creation order, then its output on x."""
    model = resolve("MultiLayerModel")(in_features, hidden=tuple(hidden), activation=getattr(nn, activation))
    params = [(name, p.detach().clone()) for name, p in model.named_parameters()]
    return {"params": params, "out": model(x)}


def train_multilayer(path: str, seed: int, lr: float, epochs: int) -> dict:
    """The learner's load_data, MultiLayerModel (16, 8, ReLU) and train (BCE, SGD) on the public table:
    the trained parameters in creation order."""
    x, y = resolve("load_data")(path)
    torch.manual_seed(seed)
    model = resolve("MultiLayerModel")(x.shape[1], hidden=(16, 8), activation=nn.ReLU)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    resolve("train")(model, nn.BCELoss(), optimizer, x, y, epochs)
    return {"params": [(name, p.detach().cpu().clone()) for name, p in model.named_parameters()]}


# ---------------------------------------------------------------- lecture 08: Dataset and DataLoader

def table_samples(path: str) -> dict:
    """len(TableDataset(path)) and its samples 0, 1 and n - 1."""
    dataset = resolve("TableDataset")(path)
    n = len(dataset)
    items = [dataset[i] for i in (0, 1, n - 1)]
    return {"n": n, "items": items}


def loader_behaviour(cases) -> dict:
    """The learner's make_loader over small datasets made here: len(loader) and the batch sizes for each
    (N, B) in ``cases``; the orders it shuffles in (seeded, twice, two epochs, unshuffled); whether it
    touched the global random state; and the num_workers it passes on."""
    make_loader = resolve("make_loader")

    def order(loader):
        return torch.cat([batch[0] for batch in loader]).tolist()

    got = {"counts": {}}
    for n, b in cases:
        loader = make_loader(torch.utils.data.TensorDataset(torch.arange(n)), b, shuffle=False)
        got["counts"][f"{n},{b}"] = [len(loader), [len(batch[0]) for batch in loader]]
    data = torch.utils.data.TensorDataset(torch.arange(50))
    torch.manual_seed(123)
    got["first"] = order(make_loader(data, 8, shuffle=True, seed=7))
    got["global_after"] = torch.rand(1).item()
    torch.manual_seed(999)
    got["same_seed"] = order(make_loader(data, 8, shuffle=True, seed=7))
    got["other_seed"] = order(make_loader(data, 8, shuffle=True, seed=8))
    loader = make_loader(data, 8, shuffle=True, seed=7)
    got["two_epochs"] = [order(loader), order(loader)]
    got["unshuffled"] = order(make_loader(data, 8, shuffle=False))
    got["workers"] = make_loader(data, 8, shuffle=False, num_workers=2).num_workers
    return got


def spawn_epoch(path: str) -> dict:
    """One epoch of the learner's make_loader over its TableDataset with two worker processes started as
    "spawn" starts them: each imports the learner's files afresh (training.py too, as a script run under
    spawn would) and unpickles the Dataset.  The batches, or the error.

    multiprocessing's "forkserver" with torch preloaded: its workers run spawn's own start-up (the main
    module re-run as __mp_main__, the process object unpickled, the bootstrapping guard armed), forked
    from a server that imported torch once instead of two Pythons importing it each (4.3 s against
    3.1 s measured for this epoch).  Nothing of the learner's is imported in the server."""
    loader = resolve("make_loader")(resolve("TableDataset")(path), 64, shuffle=False, num_workers=2)
    got = {"workers": loader.num_workers, "error": None, "batches": []}
    if got["workers"] == 2:
        import multiprocessing
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["torch"])
        loader.multiprocessing_context = context
        loader.worker_init_fn = functools.partial(importlib.import_module, "training")
        try:
            got["batches"] = [(inputs, labels) for inputs, labels in loader]
        except Exception as exc:
            got["error"] = f"{type(exc).__name__}: {exc}"
    return got


def train_table_network(path: str, seed: int, lr: float, epochs: int, batch_size: int) -> dict:
    """The learner's TableDataset, make_loader (seeded shuffle) and train on the grader's 30-16-8-1 network."""
    loader = resolve("make_loader")(resolve("TableDataset")(path), batch_size, shuffle=True, seed=seed)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    resolve("train")(model, loader, nn.BCELoss(), optimizer, epochs)
    return trained_state(model)


# ---------------------------------------------------------------- lecture 09: softmax classifier

def cross_entropy_with_grad(logits, target) -> dict:
    """The learner's cross_entropy: its value, whether it is a tensor with a graph back to the logits, and
    the logits' gradient."""
    z = logits.clone().requires_grad_(True)
    loss = resolve("cross_entropy")(z, target)
    is_tensor = isinstance(loss, torch.Tensor)
    got = {"value": loss.detach() if is_tensor else loss, "is_tensor": is_tensor, "grad": None,
           "has_graph": is_tensor and loss.requires_grad and loss.numel() == 1}
    if got["has_graph"]:
        loss.reshape(()).backward()
        got["grad"] = z.grad
    return got


def transform_images(images) -> dict:
    """The learner's make_transform() applied to each (H, W) uint8 image, given as a PIL image."""
    from torchvision import transforms
    tf = resolve("make_transform")()
    return {"outs": [tf(transforms.ToPILImage()(img)) for img in images]}


class OutputRecorder(nn.Module):
    """Wraps a model and records its outputs."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.outputs = []

    def forward(self, x):
        out = self.inner(x)
        self.outputs.append(out.detach().clone())
        return out


class InputRecorder(nn.Module):
    """A loss that records what it is given."""

    def __init__(self):
        super().__init__()
        self.inputs, self.targets = [], []

    def forward(self, out, target):
        self.inputs.append(out.detach().clone())
        self.targets.append(target.detach().clone())
        return (out.float() ** 2).mean()


def loss_probe(state: dict, batches) -> dict:
    """train_one_epoch over ``batches`` with a flat_linear(state) model that records its outputs and a loss
    that records what it receives (lr = 0): the loss must get the raw outputs and the loader's labels."""
    probe, criterion = OutputRecorder(flat_linear(state)), InputRecorder()
    optimizer = torch.optim.SGD(probe.parameters(), lr=0.0)
    resolve("train_one_epoch")(probe, batches, optimizer, criterion)
    return {"outputs": probe.outputs, "inputs": criterion.inputs, "targets": criterion.targets}


class OnDevice:
    """A loader whose batches are brought to ``device`` (the lecture's loop takes batches as they come)."""

    def __init__(self, loader, device):
        self.loader, self.device = loader, device

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for x, y in self.loader:
            yield x.to(self.device), y.to(self.device)


def train_digits_mlp(root: str, seed: int, device: str, epochs: int, mean: float, std: float) -> dict:
    """The learner's Net trained by the learner's train_one_epoch on the public digits (SGD lr 0.05,
    momentum 0.5, batches of 16), the images normalised once."""
    from torchvision import datasets
    train_set = datasets.MNIST(root, train=True, download=False)
    x_train = ((train_set.data.float() / 255 - mean) / std).unsqueeze(1)  # ToTensor + Normalize, done once
    data = torch.utils.data.TensorDataset(x_train, train_set.targets)
    dev = torch.device(device)
    torch.manual_seed(seed)
    model = resolve("Net")().to(dev)
    loader = OnDevice(_seeded_loader(data, 16, seed), dev)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    train = resolve("train_one_epoch")
    for _ in range(epochs):
        train(model, loader, optimizer, nn.CrossEntropyLoss())
    return trained_state(model)


# ---------------------------------------------------------------- lecture 10: basic CNN

class StayingProbe(nn.Module):
    """Stays where it is (a stand-in for a model already on the device) and records where batches arrive."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(10))
        self.seen = []

    def to(self, *args, **kwargs):
        return self

    def forward(self, x):
        self.seen.append(x.device.type)
        return self.w.expand(x.shape[0], 10)


class DeviceLoss(nn.Module):
    """A loss that records the device its targets arrive on."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, out, target):
        self.seen.append(target.device.type)
        return (out ** 2).sum() + 1.0


def device_probe() -> dict:
    """train_one_epoch on two CPU batches, told the device is 'meta': where the inputs and targets arrived."""
    model, criterion = StayingProbe(), DeviceLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    batches = [(torch.randn(4, 1, 28, 28), torch.randint(0, 10, (4,))) for _ in range(2)]
    resolve("train_one_epoch")(model, batches, optimizer, criterion, torch.device("meta"))
    return {"inputs": model.seen, "targets": criterion.seen}


def train_cnn(root: str, dataset_class: str, train_size: int, seed: int, device: str, batch_size: int,
              epochs: int, mean: float, std: float) -> dict:
    """The learner's Net trained by the learner's train_one_epoch (SGD lr 0.05, momentum 0.5) on the
    lecture's public images."""
    train_set = _image_train_set(root, dataset_class, mean, std, train_size)
    torch.manual_seed(seed)
    dev = torch.device(device)
    model = resolve("Net")().to(dev)
    loader = _seeded_loader(train_set, batch_size, seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    train = resolve("train_one_epoch")
    for _ in range(epochs):
        train(model, loader, optimizer, nn.CrossEntropyLoss(), dev)
    return trained_state(model)


# ---------------------------------------------------------------- lecture 11: advanced CNN

def train_step(model, optimizer, criterion, inputs, target):
    """One step of the grader's own training: zero the gradients, forward, loss, backward, update; the loss."""
    optimizer.zero_grad()
    loss = criterion(model(inputs), target)
    loss.backward()
    optimizer.step()
    return loss.detach()


def input_gradient(block, x, upstream) -> dict:
    """x.grad after backward through the learner's block from the weighting ``upstream`` of its output."""
    x = x.clone().requires_grad_(True)
    (block(x) * upstream).sum().backward()
    return {"grad": x.grad}


def train_with_adam(net: str, root: str, dataset_class: str, train_size: int, seed: int, device: str,
                    batch_size: int, epochs: int, lr: float, mean: float, std: float) -> dict:
    """The learner's network ``net`` trained by the grader's own loop (Adam, cross-entropy) on the lecture's
    public images (lecture 10 graded the learner's loop)."""
    train_set = _image_train_set(root, dataset_class, mean, std, train_size)
    torch.manual_seed(seed)
    dev = torch.device(device)
    model = resolve(net)().to(dev)
    loader = _seeded_loader(train_set, batch_size, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        for inputs, labels in loader:
            train_step(model, optimizer, criterion, inputs.to(dev), labels.to(dev))
    return trained_state(model)


# ---------------------------------------------------------------- lecture 12: basic RNN

def rnn_cell_gradients(x, h, w_ih, w_hh, b_ih, b_hh, upstream) -> dict:
    """rnn_cell_step on leaf copies of its inputs: whether its result is in the graph, and each input's
    gradient after backward from the weighting ``upstream``."""
    leaves = [t.clone().requires_grad_() for t in (x, h, w_ih, w_hh, b_ih, b_hh)]
    out = resolve("rnn_cell_step")(*leaves)
    graph = isinstance(out, torch.Tensor) and out.requires_grad
    if graph:
        (out * upstream).sum().backward()
    return {"graph": graph, "grads": [t.grad for t in leaves]}


class FixedScores(nn.Module):
    """Answers the same scores whatever it is given; records whether gradients were enabled."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores
        self.scale = nn.Parameter(torch.ones(()))
        self.grad_modes = []

    def forward(self, x):
        self.grad_modes.append(torch.is_grad_enabled())
        return self.scores * self.scale


def predict_hello_probe(scores, inputs) -> dict:
    """predict_hello with a FixedScores(scores) model: what it returned, and the grad modes of each forward."""
    model = FixedScores(scores)
    out = resolve("predict_hello")(model, inputs)
    return {"out": out, "modes": model.grad_modes}


# ---------------------------------------------------------------- lecture 13: RNN classifier

def name_dataset_rows(path: str, picks) -> dict:
    """len(NameDataset(path)), its country_list, and its samples at ``picks``."""
    dataset = resolve("NameDataset")(path)
    n = len(dataset)
    country_list = list(dataset.country_list)
    items = [tuple(dataset[i]) for i in picks]
    return {"n": n, "country_list": country_list, "items": items}


class Bag(nn.Module):
    """The mean of a name's character embeddings (the padding code 0 embeds to zeros), then a Linear layer."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embedding = nn.Embedding(128, 8, padding_idx=0)
        self.fc = nn.Linear(8, 3)

    def forward(self, seq, lengths):
        return self.fc(self.embedding(seq).sum(1) / lengths.to(seq.device).unsqueeze(1).float())


def train_names(path: str, seed: int, device: str, hidden: int, lr: float, epochs: int, probe_seq,
                probe_lengths) -> dict:
    """The learner's RNNClassifier trained by the learner's train_epoch (Adam, batches of 64) on the public
    names: its weights, and its own scores (in eval mode) on a few public names."""
    import csv
    import gzip
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    country_list = sorted({r[1] for r in rows})
    items = [(r[0], country_list.index(r[1])) for r in rows]
    torch.manual_seed(seed)
    dev = torch.device(device)
    model = resolve("RNNClassifier")(128, hidden, len(country_list)).to(dev)
    loader = _seeded_loader(items, 64, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train = resolve("train_epoch")
    for _ in range(epochs):
        train(model, loader, nn.CrossEntropyLoss(), optimizer, dev)
    got = trained_state(model)
    model.eval()
    with torch.no_grad():
        got["probe"] = model(probe_seq.to(dev), probe_lengths).detach().cpu()
    return got
