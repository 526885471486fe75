"""Hidden checks of lecture 08, Dataset and DataLoader.

The public table is read here too, to compare with what the learner's Dataset
returns; batch counts, orders and losses are computed here; the held-out rows
are never sent to the worker: the network trained there by the learner's code
comes back as its weights, and its predictions are computed here, where the
labels stay.
"""

import math

import torch
import torch.nn.functional as F

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (expect_close, expect_list, expect_number, expect_shape, expect_state, expect_tensor,
                               expect_zero_grad_each_step, fail, glue, judge_accuracy, public_files, read_csv_table,
                               seeded_state)

TABLE = "data/breast_cancer/breast_cancer.csv"   # where the worker finds the public table


# What a PyTorch error raised in this lecture's code means here (consulted before the shared table).
MISTAKES = [
    (r"^TableDataset \(dataset\.py\) raised AttributeError: '\w+' object has no attribute '(\w+)'",
     N_("__getitem__ or __len__ uses self.{1}, which __init__ never set: read the table once in __init__ and keep "
        "what the other two methods need on self (the row count, the features, the labels)")),
    (r"^make_loader \(dataset\.py\) raised \w+: manual_seed expected a long, but got NoneType",
     N_("make_loader seeded a generator with seed = None: make the generator only when a seed is given (if seed is "
        "not None), and pass generator=None otherwise")),
    (r"^train \(training\.py\) raised RuntimeError: all elements of target should be between 0 and 1",
     N_("the criterion's target left [0, 1] (it became nan), so it was not the batch's labels, which are 0 and 1: "
        "the arguments are swapped; call criterion(y_pred, labels), the prediction first and the labels second")),
]


def _label_column(items, x_ref, y_ref, rows) -> None:
    """Labels that are not the table's last column but one of its features, in every sample looked at."""
    labels = []
    for i, item in zip(rows, items):
        if not isinstance(item, (tuple, list)) or len(item) != 2 or type(item[1]) is not torch.Tensor \
                or item[1].numel() != 1:
            return
        labels.append(float(item[1].reshape(-1)[0]))
    if all(abs(v - float(y_ref[i])) < 1e-4 for i, v in zip(rows, labels)):
        return
    for j in range(x_ref.shape[1]):
        if all(abs(v - float(x_ref[i, j])) < 1e-4 for i, v in zip(rows, labels)):
            fail(_("dataset[i]'s label is column {j} of the table (counting from 0), a feature, not the label: the "
                   "label is the last column, xy[:, [-1]]").format(j=j), expected=_("the last column"),
                 actual=_("column {j}").format(j=j), cause=_("wrong label column"))


def _table():
    return read_csv_table(public_files("breast_cancer")[TABLE])


def test_dataset_len_and_items(learner):
    """TableDataset(path) has one sample per row (419), and dataset[i] is (features, label): float32 tensors of shapes (30,) and (1,), equal to row i of the file."""
    x_ref, y_ref = _table()
    got = glue(learner, "table_samples", TABLE, where=_("TableDataset (dataset.py)"))
    n = int(expect_number(got["n"], "len(TableDataset(path))"))
    if n != len(y_ref):
        fail(_("len(TableDataset(path)) is {n}; the table has {n_y_ref} rows (xy.shape[0])").format(n=n, n_y_ref=len(y_ref)))
    items = expect_list(got["items"], _("[dataset[i] for i in (0, 1, n - 1)]"), length=3, noun="samples")
    _label_column(items, x_ref, y_ref, (0, 1, n - 1))
    for i, item in zip((0, 1, n - 1), items):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            fail(_("dataset[{i}] must be a pair (features, label), got {__name__}").format(i=i, __name__=type(item).__name__))
        x = expect_tensor(item[0], f"dataset[{i}]'s features")
        y = expect_tensor(item[1], f"dataset[{i}]'s label")
        if tuple(x.shape) == (31,):
            fail(_("dataset[{i}]'s features have 31 values: the last column is the label; keep xy[:, :-1]").format(i=i))
        if x.dim() == 1 and len(x) != x_ref.shape[1]:
            fail(_("dataset[{i}]'s features have {k} values; the table has {columns} columns, the {features} "
                   "features and then the label: keep every column but the last, xy[:, :-1]").format(
                       i=i, k=len(x), columns=x_ref.shape[1] + 1, features=x_ref.shape[1]),
                 expected=f"({x_ref.shape[1]},)", actual=str(tuple(x.shape)), cause=_("wrong feature columns"))
        expect_shape(x, (30,), f"dataset[{i}]'s features")
        if tuple(y.shape) == ():
            fail(_("dataset[{i}]'s label has shape (): keep it as a column, xy[:, [-1]], so that "
                   "dataset[i]'s label has shape (1,) and a batch of labels (B, 1), like the model's output").format(i=i))
        expect_shape(y, (1,), f"dataset[{i}]'s label")
        for name, t in (("features", x), ("label", y)):
            if t.dtype != torch.float32:
                fail(_("dataset[{i}]'s {name} have dtype {dtype}: read the table with dtype=np.float32").format(i=i, name=name, dtype=t.dtype))
        expect_close(x, x_ref[i], _("dataset[{i}]'s features against row {i} of the file").format(i=i), atol=1e-4)
        expect_close(y, y_ref[i:i + 1].float(), _("dataset[{i}]'s label against row {i} of the file").format(i=i))


# The learner's make_loader over small datasets built in the worker (glue's loader_behaviour): its
# batches for each (N, B), and how it shuffles.
CASES = [(10, 3), (419, 32), (419, 64), (64, 64), (5, 8)]


def test_loader_batch_count(learner):
    """make_loader(dataset, B) gives ceil(N / B) batches: full batches of B and a smaller last one (nothing dropped), for several N and B."""
    got = glue(learner, "loader_behaviour", CASES, where=_("make_loader (dataset.py)"))["counts"]
    for n, b in CASES:
        want = math.ceil(n / b)
        sizes = [b] * (n // b) + ([n % b] if n % b else [])
        count, seen = expect_list(got.get(f"{n},{b}") if isinstance(got, dict) else None,
                                  _("the batch count and sizes of a loader over {n} samples").format(n=n), length=2)
        if count != want or seen != sizes:
            dropped = _(" (drop_last=True drops the smaller last batch: leave it False)") if count == n // b else ""
            fail(_("a loader over {n} samples with batch_size={b}: expected {want} batches of sizes "
                   "{sizes}, got len(loader) = {count} and batches of sizes {seen}{dropped}").format(n=n, b=b, want=want, sizes=sizes, count=count, seen=seen, dropped=dropped))


def test_loader_seeded_shuffle(learner):
    """make_loader(..., shuffle=True, seed=s) shuffles every epoch differently, each epoch a permutation of all samples, in the same orders for the same seed, using its own torch.Generator (the global random state is left alone)."""
    got = glue(learner, "loader_behaviour", [], where=_("make_loader (dataset.py)"))
    everything = list(range(50))
    if got["unshuffled"] != everything:
        fail(_("make_loader(..., shuffle=False) did not give the samples in order 0, 1, 2, ...: pass "
               "shuffle to the DataLoader"))
    if sorted(got["first"]) != everything:
        fail(_("one epoch of a shuffled loader must give every sample exactly once"))
    if got["first"] == everything:
        fail(_("make_loader(..., shuffle=True) gave the samples in order: pass shuffle=shuffle to the "
               "DataLoader"))
    if got["same_seed"] != got["first"]:
        fail(_("two loaders made with the same seed shuffled differently: pass "
               "generator=torch.Generator().manual_seed(seed) to the DataLoader"))
    if got["other_seed"] == got["first"]:
        fail(_("loaders made with seeds 7 and 8 shuffled the same way: seed the generator with `seed`"))
    torch.manual_seed(123)
    if got["global_after"] != torch.rand(1).item():
        fail(_("make_loader changed the global random state (torch.manual_seed?): seed a generator of "
               "the loader's own instead, generator=torch.Generator().manual_seed(seed)"))
    first, second = expect_list(got["two_epochs"], _("the orders of two epochs of one loader"), length=2,
                                noun="epochs")
    if first != got["first"]:
        fail(_("the first epoch of a loader made with seed 7 differs from another loader's made with "
               "seed 7"))
    if second == first:
        fail(_("two epochs of the same loader came in the same order: make the generator once, in "
               "make_loader, so that each epoch draws a new permutation from it"))
    if got["workers"] != 2:
        fail(_("make_loader(..., num_workers=2) made a loader with num_workers = {workers}: pass it on").format(workers=got['workers']))


# Why loading with spawned workers (glue's spawn_epoch: each worker is a fresh Python that imports the
# learner's files, training.py too, and unpickles the Dataset) fails, by what the error says.
SPAWN_MISTAKES = [
    (("bootstrapping phase", "daemonic processes are not allowed"),
     N_("a worker process started new processes while importing your files: code at the top level of dataset.py or "
     "training.py runs again in every worker. Put it under `if __name__ == \"__main__\":` (or in a function)")),
    (("pickle",),
     N_("the Dataset could not be sent to the worker processes (under spawn it is pickled): keep only arrays, tensors "
     "and numbers in it; no open files, lambdas, or classes defined inside a function")),
]


def test_spawn_workers(learner, thresholds):
    """With num_workers=2 under the "spawn" start method, the workers import your files and receive your Dataset: one epoch gives every row of the table, in 7 batches of up to 64. Nothing may run when your files are imported (the `if __name__ == "__main__":` lesson)."""
    got = glue(learner, "spawn_epoch", TABLE, where=_("a DataLoader with num_workers=2 over your TableDataset"),
               timeout=thresholds["spawn_s"])
    if got["workers"] != 2:
        fail(_("make_loader(..., num_workers=2) made a loader with num_workers = {workers}: pass it on").format(workers=got['workers']))
    if got["error"]:
        text = f"{got['error']}\n{learner.output()}"
        for needles, advice in SPAWN_MISTAKES:
            if any(needle in text for needle in needles):
                fail(_("loading with 2 spawned workers failed ({v0}): {advice}").format(v0=got['error'].splitlines()[0][:200], advice=_(advice)))
        fail(_("loading with 2 spawned workers failed: {v0}. Your files must import without side "
               'effects (put scripts under `if __name__ == "__main__":`) and the Dataset must pickle').format(v0=got['error'][:500]))
    x_ref, y_ref = _table()
    batches = expect_list(got["batches"], _("one epoch over 419 rows with batch_size=64"), length=7, noun="batches")
    batches = [expect_list(b, _("a batch"), length=2, noun=_("tensors (inputs, labels)")) for b in batches]
    inputs = torch.cat([expect_tensor(b[0], _("a batch of inputs")) for b in batches])
    labels = torch.cat([expect_tensor(b[1], _("a batch of labels")) for b in batches])
    expect_close(inputs, x_ref, _("the inputs of one epoch (no shuffle) against the table"), atol=1e-4)
    expect_close(labels, y_ref.float().unsqueeze(1), _("the labels of one epoch (no shuffle) against the table"))


# A tiny model (glue's binary_mlp(4, 3, state)) and five batches made by the grader and sent to the worker,
# so train is judged on its own and the reference never depends on anything that comes back.
SMALL_SHAPES = {"0.weight": (3, 4), "0.bias": (3,), "2.weight": (1, 3), "2.bias": (1,)}


def _small(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    batches = [(torch.randn(6, 4, generator=g), torch.randint(0, 2, (6, 1), generator=g).float()) for _unused in range(5)]
    return {"state": seeded_state(SMALL_SHAPES, seed), "batches": batches}


def test_train_step_per_batch(learner):
    """train(model, loader, criterion, optimizer, epochs) takes one optimizer step per mini-batch and returns each epoch's mean batch loss (checked with lr = 0: 5 batches, 2 epochs; then with lr = 0.5, 3 epochs, where each epoch's mean is of its own batches)."""
    data = _small(1)
    model = glue(learner, "binary_mlp", 4, 3, data["state"])
    opt = glue(learner, "recording_sgd", model)
    history = learner.call("train", model, data["batches"], learner.new("torch.nn.BCELoss"), opt, 2)
    seen = glue(learner, "recorded_gradients", opt)
    steps = len(seen) if isinstance(seen, list) else None
    if steps != 10:
        fail(_("train made {steps} optimizer steps for 2 epochs of 5 mini-batches; expected 10, one per "
               "batch: the inner loop runs over the loader, and each batch gets forward, loss, "
               "zero_grad, backward, step").format(steps=steps))
    if not isinstance(history, list) or len(history) != 2:
        fail(_("train(..., epochs=2) must return a list of 2 numbers, one per epoch, got {type}").format(
            type=type(history).__name__) + (_(" of length {n}").format(n=len(history)) if isinstance(history, list) else ""))
    s = data["state"]
    losses = [F.binary_cross_entropy(torch.sigmoid(F.linear(F.relu(F.linear(x, s["0.weight"], s["0.bias"])),
                                                            s["2.weight"], s["2.bias"])), y).item()
              for x, y in data["batches"]]
    mean = sum(losses) / len(losses)
    for epoch, value in enumerate(history):
        v = expect_number(value, _("train's loss of epoch {v0}").format(v0=epoch + 1), python=True)
        if abs(v - losses[-1]) < 1e-5 and abs(mean - losses[-1]) > 1e-4:
            fail(_("epoch {v0}'s loss is the last batch's ({v:.4f}); return the mean over the epoch's "
                   "batches ({mean:.4f})").format(v0=epoch + 1, v=v, mean=mean))
        if abs(v - sum(losses)) < 1e-4:
            fail(_("epoch {v0}'s loss is the sum of the batch losses ({v:.4f}); return their mean "
                   "({mean:.4f})").format(v0=epoch + 1, v=v, mean=mean))
        if abs(v - mean) > 1e-4:
            fail(_("epoch {v0}'s loss: expected the mean of the 5 batch losses, {mean:.4f}, got {v:.4f}").format(v0=epoch + 1, mean=mean, v=v))
    _judge_epoch_means(learner, data)


def _epoch_losses(state: dict, batches, lr: float, epochs: int) -> list[list[float]]:
    """The grader's own run of train: each epoch's batch losses, SGD by hand on the grader's 4-3-1 network."""
    w = {k: v.clone().requires_grad_(True) for k, v in state.items()}
    epochs_seen = []
    for _unused in range(epochs):
        losses = []
        for x, y in batches:
            h = F.relu(F.linear(x, w["0.weight"], w["0.bias"]))
            loss = F.binary_cross_entropy(torch.sigmoid(F.linear(h, w["2.weight"], w["2.bias"])), y)
            losses.append(loss.item())
            grads = torch.autograd.grad(loss, list(w.values()))
            with torch.no_grad():
                for param, grad in zip(w.values(), grads):
                    param -= lr * grad
        epochs_seen.append(losses)
    return epochs_seen


def _judge_epoch_means(learner, data, lr: float = 0.5, epochs: int = 3) -> None:
    """With a real SGD step the epochs' losses differ: each epoch's value is the mean of its own batches."""
    model = glue(learner, "binary_mlp", 4, 3, data["state"])
    opt = learner.new("torch.optim.SGD", learner.method(model, "parameters"), lr=lr)
    history = learner.call("train", model, data["batches"], learner.new("torch.nn.BCELoss"), opt, epochs)
    got = expect_list(history, _("the history train(..., epochs={epochs}) returned").format(epochs=epochs),
                      length=epochs, noun="losses")
    got = [expect_number(v, _("train's loss of epoch {v0}").format(v0=k + 1), python=True) for k, v in enumerate(got)]
    per_epoch = _epoch_losses(data["state"], data["batches"], lr, epochs)
    want = [sum(losses) / len(losses) for losses in per_epoch]
    for k in range(epochs):
        if abs(got[k] - want[k]) <= 1e-4:
            continue
        seen = [v for losses in per_epoch[:k + 1] for v in losses]
        if abs(got[k] - sum(seen) / len(seen)) < 1e-4:
            fail(_("epoch {v0}'s loss ({v:.4f}) is the mean over every batch since the first epoch; expected the "
                   "mean of epoch {v0}'s own batches ({want:.4f}): reset the running total and the batch count at "
                   "the start of every epoch").format(v0=k + 1, v=got[k], want=want[k]),
                 expected=f"{want[k]:.4f}", actual=f"{got[k]:.4f}", cause=_("running total not reset"))
        if abs(got[k] - sum(seen) / len(per_epoch[k])) < 1e-4:
            fail(_("epoch {v0}'s loss ({v:.4f}) adds the batch losses of the earlier epochs too; expected the "
                   "mean of epoch {v0}'s own batches ({want:.4f}): reset the running total at the start of every "
                   "epoch").format(v0=k + 1, v=got[k], want=want[k]),
                 expected=f"{want[k]:.4f}", actual=f"{got[k]:.4f}", cause=_("running total not reset"))
        fail(_("with SGD at lr {lr} over the same 5 batches, epoch {v0}'s loss was {v:.4f}; the grader's run from the "
               "same weights gives {want:.4f} (the mean of that epoch's batch losses, each taken before its step)").format(
                   lr=lr, v0=k + 1, v=got[k], want=want[k]), expected=f"{want[k]:.4f}", actual=f"{got[k]:.4f}")


def test_train_zero_grad(learner):
    """Each mini-batch step of train(...) starts from zeroed gradients (checked with lr = 0 on one batch repeated)."""
    data = _small(2)
    model = glue(learner, "binary_mlp", 4, 3, data["state"])
    expect_zero_grad_each_step(learner, model, lambda opt: learner.call(
        "train", model, data["batches"][:1] * 3, learner.new("torch.nn.BCELoss"), opt, 1))


# The learner's Dataset, loader and train in the worker (glue's train_table_network), on the grader's
# 30-16-8-1 network; only its trained weights come back, and the held-out rows never leave this process.
NETWORK = {"0.weight": (16, 30), "0.bias": (16,), "2.weight": (8, 16), "2.bias": (8,), "4.weight": (1, 8),
           "4.bias": (1,)}


def network(x: torch.Tensor, w: dict) -> torch.Tensor:
    """The grader's 30-16-8-1 network (ReLU, ReLU, sigmoid) from the weights ``w``."""
    h = F.relu(F.linear(x, w["0.weight"].float(), w["0.bias"].float()))
    h = F.relu(F.linear(h, w["2.weight"].float(), w["2.bias"].float()))
    return torch.sigmoid(F.linear(h, w["4.weight"].float(), w["4.bias"].float()))


def test_minibatch_accuracy(learner, thresholds, eval_set):
    """Your TableDataset, make_loader (batches of 32, seeded shuffle) and train (BCE, SGD lr 0.1, 10 epochs) train a 30-16-8-1 network whose weights classify 150 held-out rows well above the majority class, on every seed (the grader computes the predictions from the trained weights)."""
    rows, labels = eval_set("breast_cancer")
    for seed in thresholds["seeds"]:
        got = glue(learner, "train_table_network", TABLE, seed, thresholds["lr"], thresholds["epochs"],
                   thresholds["batch_size"], where=_("your TableDataset, make_loader and train"))
        w = expect_state(got["state"], NETWORK, _("the trained network"),
                         _("train the model it is given, in place; do not replace its layers"))
        with torch.no_grad():
            prob = network(rows.float(), w)
        judge_accuracy((prob[:, 0] >= 0.5).long(), labels, thresholds["accuracy"],
                       _("accuracy on the {n_labels} held-out rows after {epochs} epochs of mini-batches (seed "
                         "{seed})").format(n_labels=len(labels), epochs=thresholds['epochs'], seed=seed))
