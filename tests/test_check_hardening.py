"""Checks treat everything that comes back from the worker as learner-controlled.

1. A loop over what came back checks its length first, so no check passes vacuously: each case plants
   a wrong learner file that also shortens (or empties) what the check loops over, and asserts that
   the check fails and says what came back short.  Learner code shares the worker with the grader's
   glue (grader/sandbox/inside/glue.py), so it can reach the variables of the glue function that
   called it (its frame's locals) and even rewrite what that function returns after it has run (by
   tracing its frame): `_rewrite_when_done` below does that.
2. Accuracy of a fixed architecture is judged from the trained weights, with the predictions
   computed in the grader's process: a submission whose forward (or predict) looks the answers up
   in the training data it saw (a 1-nearest-neighbour table), while its layers learn nothing, passed
   the previous checks (they asked the worker for predictions) and now earns nothing; the reference
   still passes.
"""

from __future__ import annotations

import pytest
import torch

from grader.checks.api import CheckFailed
from grader.checks.common import expect_list, expect_modes, judge_accuracy, judge_zero_grad
from grader.course import load_lecture
from grader.runner import run_lecture

from conftest import SOLUTIONS, submission

# Put at the top of a planted learner file: reaching the grader's glue from the learner's code.
GLUE = '''
import sys as _sys


def _glue_frame():
    """The frame of the grader's glue function that called into the learner's code."""
    f = _sys._getframe(1)
    while f is not None and not f.f_code.co_filename.endswith("glue.py"):
        f = f.f_back
    return f


def _rewrite_when_done(**values):
    """Replace entries of what the glue function returns once it has finished, just before the worker
    sends them back."""
    def tracer(frame, event, arg):
        if event == "return" and isinstance(arg, dict):
            arg.update(values)
        return tracer
    _glue_frame().f_trace = tracer
    _sys.settrace(lambda *args: None)

'''


def source(lecture: str, name: str) -> str:
    return (SOLUTIONS / lecture / name).read_text(encoding="utf-8")


def planted(lecture: str, name: str, tail: str) -> dict[str, str]:
    """The reference file with GLUE before it and `tail` (definitions that replace the reference's) after it."""
    return {name: GLUE + source(lecture, name) + "\n\n" + tail}


def grade(workdir, lecture: str, files: dict[str, str] | None, checks: list[str]) -> dict:
    folder = submission(workdir, lecture, files)
    return {c.name: c for c in run_lecture(load_lecture(lecture), folder, select=checks).checks}


def assert_failed(result, *needles: str) -> None:
    assert result.status == "failed", (result.status, result.message)
    for needle in needles:
        assert needle in result.message, (needle, result.message)


# ---------------------------------------------------------------- the helpers, on their own

def test_expect_list_names_what_came_back_short():
    assert expect_list((1, 2), "x", length=2) == [1, 2]
    with pytest.raises(CheckFailed, match=r"the history train\(\.\.\.\) returned holds 0 losses, expected 100"):
        expect_list([], "the history train(...) returned", length=100, noun="losses")
    with pytest.raises(CheckFailed, match="holds 1 batches, expected at least 2"):
        expect_list([0], "x", min_length=2, noun="batches")
    with pytest.raises(CheckFailed, match="expected a list of items, got a tensor"):
        expect_list(torch.zeros(3), "x", length=3)


def test_zero_grad_verdict_needs_every_step():
    g = [torch.ones(2)]
    judge_zero_grad([g, g, g], steps=3)
    for seen in ([g], [g, g]):   # one recorded step used to pass: nothing to compare it with
        with pytest.raises(CheckFailed, match=f"called {len(seen)} time"):
            judge_zero_grad(seen, steps=3)
    with pytest.raises(CheckFailed, match="no gradient"):
        judge_zero_grad([g, [], g], steps=3)


def test_modes_record_is_validated():
    assert expect_modes([[False, False]], "predict") == [(False, False)]
    with pytest.raises(CheckFailed, match="never called the model"):
        expect_modes([], "predict")
    with pytest.raises(CheckFailed, match="was changed"):
        expect_modes([[]], "predict")


def test_accuracy_verdict_is_computed_here():
    labels = torch.tensor([0, 0, 0, 1])
    assert judge_accuracy(torch.tensor([0, 0, 0, 1]), labels, 0.9, "acc") == 1.0
    with pytest.raises(CheckFailed, match=r"acc: 0\.750, below the threshold 0\.9 \(always answering the majority "
                                          r"class scores 0\.750\)"):
        judge_accuracy(torch.tensor([0, 0, 0, 0]), labels, 0.9, "acc")


# ---------------------------------------------------------------- loops over what came back

def test_lecture05_zero_grad_with_one_step_is_not_a_pass(workdir):
    """train steps only in its first epoch: one recorded step used to leave nothing to compare."""
    files = planted("lecture05", "training.py", '''
def train(model, criterion, optimizer, x, y, epochs):
    losses = []
    for _ in range(epochs):
        loss = criterion(model(x), y)
        losses.append(loss.item())
        loss.backward()
        if len(losses) == 1:
            optimizer.step()
    return losses
''')
    r = grade(workdir, "lecture05", files, ["zero_grad_each_step"])
    assert_failed(r["zero_grad_each_step"], "optimizer.step() was called 1 time(s) in 3 training steps")


def test_lecture05_optimizer_check_sees_both_parameters(workdir):
    """make_optimizer ignores lr and hides the model's parameters from the check's loop."""
    files = planted("lecture05", "training.py", '''
def make_optimizer(model, lr):
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    model.parameters = lambda recurse=True: iter(())
    return opt
''')
    r = grade(workdir, "lecture05", files, ["optimizer_sgd"])
    assert_failed(r["optimizer_sgd"], "parameters() before optimizer.step() holds 0 tensors (weight, bias), expected 2")


def test_lecture08_dataset_items_cannot_come_back_empty(workdir):
    files = planted("lecture08", "dataset.py", '''
_TableDataset = TableDataset


class TableDataset(_TableDataset):
    def __len__(self):
        _rewrite_when_done(items=[])
        return super().__len__()

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return x * 0, y
''')
    r = grade(workdir, "lecture08", files, ["dataset_len_and_items"])
    assert_failed(r["dataset_len_and_items"], "[dataset[i] for i in (0, 1, n - 1)] holds 0 samples, expected 3")


def test_lecture08_train_cannot_hide_a_batch(workdir):
    """train leaves the last batch out of each epoch's mean, then drops it from the loader it was given."""
    files = planted("lecture08", "training.py", '''
def train(model, loader, criterion, optimizer, epochs):
    history = []
    for _ in range(epochs):
        losses = []
        for inputs, labels in loader:
            loss = criterion(model(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(sum(losses[:-1]) / len(losses[:-1]))
    if isinstance(loader, list):
        del loader[-1:]
    return history
''')
    r = grade(workdir, "lecture08", files, ["train_step_per_batch"])
    assert_failed(r["train_step_per_batch"], "expected the mean of the 5 batch losses")


def test_lecture09_transform_results_cannot_come_back_empty(workdir):
    """make_transform forgets Normalize and empties the list of images the check's loop runs over."""
    files = planted("lecture09", "data.py", '''
def make_transform():
    _sys._getframe(1).f_locals["images"].clear()
    return transforms.ToTensor()
''')
    r = grade(workdir, "lecture09", files, ["transform_normalizes"])
    assert_failed(r["transform_normalizes"], "make_transform()(image) for the 2 images sent holds 0 results, expected 2")


TRAIN09_FLOAT_TARGETS = '''
def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    total, batches = 0.0, 0
    for inputs, target in loader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), target.float())
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    if isinstance(loader, list):
        loader.clear()
    return total / batches
'''


def test_lecture09_targets_are_judged_against_the_graders_labels(workdir):
    """Float targets, and the batches emptied so the labels that came back were none."""
    r = grade(workdir, "lecture09", planted("lecture09", "train.py", TRAIN09_FLOAT_TARGETS), ["train_targets_long"])
    assert_failed(r["train_targets_long"], "Float targets")


TRAIN_STOPS_EARLY = '''
def train_one_epoch(model, loader, optimizer, criterion{device}):
    model.train()
    losses = []
    for inputs, target in loader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if len(losses) == 2:
            break
    if isinstance(loader, list):
        del loader[2:]
    return sum(losses) / len(losses)
'''


@pytest.mark.parametrize("lecture, device", [("lecture09", ""), ("lecture10", ", device")])
def test_mean_loss_is_judged_on_the_graders_batches(workdir, lecture, device):
    """train_one_epoch stops after 2 of 3 batches and hides the third from the batches that came back."""
    r = grade(workdir, lecture, planted(lecture, "train.py", TRAIN_STOPS_EARLY.format(device=device)),
              ["train_returns_mean_loss"])
    assert_failed(r["train_returns_mean_loss"], "the mean of the batch losses was")


def test_lecture09_modes_record_changed_is_a_failure_not_a_crash(workdir):
    files = planted("lecture09", "train.py", '''
def accuracy(model, loader):
    correct = total = 0
    for inputs, target in loader:
        correct += (model(inputs).argmax(dim=1) == target).sum().item()
        total += len(target)
    _rewrite_when_done(modes=[[]])
    return correct / total
''')
    r = grade(workdir, "lecture09", files, ["accuracy_modes"])
    assert_failed(r["accuracy_modes"], "record of the modes it ran in was changed")


def test_lecture13_dataset_rows_cannot_come_back_empty(workdir):
    """dataset[i] upper-cases the names, and the constructor empties the indexes the check asks for."""
    files = planted("lecture13", "names_data.py", '''
_NameDataset = NameDataset


class NameDataset(_NameDataset):
    def __init__(self, path):
        super().__init__(path)
        _sys._getframe(1).f_locals["picks"].clear()

    def __getitem__(self, index):
        name, label = super().__getitem__(index)
        return name.upper(), label
''')
    r = grade(workdir, "lecture13", files, ["dataset_rows"])
    assert_failed(r["dataset_rows"], "holds 0 samples, expected 4")


# ---------------------------------------------------------------- accuracy from the trained weights

# Each planted submission trains nothing (its layers keep their initial weights) and answers with a
# 1-nearest-neighbour table of the training data it saw; asked for predictions, it scored above every
# threshold (0.95 and more on the digits and the table, 0.65 on the names), so the previous checks passed it.
NEAREST = '''
import torch as _torch
import torch.nn.functional as _F


def _nearest(x, memory):
    """Labels of the remembered rows nearest to the rows of x."""
    mx = _torch.cat([m[0] for m in memory]).float()
    my = _torch.cat([m[1] for m in memory])
    return my[_torch.cdist(x.reshape(len(x), -1).float().cpu(), mx).argmin(dim=1)]

'''

LOOKUP_NET = NEAREST + '''
_Net = Net


class Net(_Net):
    def forward(self, x):
        if not self.training and self.__dict__.get("_memory"):
            return _F.one_hot(_nearest(x, self._memory), 10).float().to(x.device)
        return super().forward(x)
'''

MEMORISING_TRAIN = '''
def train_one_epoch(model, loader, optimizer, criterion, device="cpu"):
    memory = model.__dict__.setdefault("_memory", [])
    for inputs, target in loader:
        memory.append((inputs.reshape(len(inputs), -1).cpu(), target.cpu()))
    return 1.0
'''

LOOKUP_FORWARD_IN_EVAL = NEAREST + '''

def _looking_up(cls):
    class LookingUp(cls):
        def forward(self, x):
            memory = self.__dict__.setdefault("_memory", [])
            if self.training:  # the grader's loop holds the batch's labels: remember them, learn nothing
                memory.append((x.reshape(len(x), -1).cpu(), _glue_frame().f_locals["target"].cpu()))
                return sum(p.sum() for p in self.parameters()) * 0 + _torch.zeros(len(x), 10, device=x.device)
            return _F.one_hot(_nearest(x, memory), 10).float().to(x.device)
    LookingUp.__name__ = LookingUp.__qualname__ = cls.__name__
    return LookingUp

'''

NAIVE_BAYES = '''
import math as _math
from collections import Counter as _Counter


def _naive_bayes(memory, names):
    """A naive Bayes over the character pairs of the remembered (name, class) pairs: not the model at all."""
    prior, pairs = _Counter(), {}
    for name, c in memory:
        prior[c] += 1
        s = "^" + name.lower() + "$"
        pairs.setdefault(c, _Counter()).update(s[i:i + 2] for i in range(len(s) - 1))
    totals = {c: sum(p.values()) for c, p in pairs.items()}
    vocabulary = len({b for p in pairs.values() for b in p})

    def score(name, c):
        s = "^" + name.lower() + "$"
        return _math.log(prior[c]) + sum(_math.log((pairs[c][s[i:i + 2]] + 1) / (totals[c] + vocabulary))
                                         for i in range(len(s) - 1))
    return torch.tensor([max(prior, key=lambda c: score(name, c)) for name in names])

'''

CHEATS = {
    "lecture07": ({"training.py": NEAREST + '''
def train(model, criterion, optimizer, x, y, epochs):
    model.__dict__["_memory"] = [(x, y[:, 0].long())]
    return [0.5] * epochs


def predict(model, x):
    if model.__dict__.get("_memory"):
        return _nearest(x, model._memory)
    with torch.no_grad():
        return (model(x) >= 0.5).long().view(-1)
'''}, ["heldout_accuracy"]),
    "lecture08": ({"training.py": NEAREST + '''
def train(model, loader, criterion, optimizer, epochs):
    memory = [(inputs, labels) for inputs, labels in loader]
    model.forward = lambda rows: _nearest(rows, memory).float().view(-1, 1)
    return [0.5] * epochs
'''}, ["minibatch_accuracy"]),
    "lecture09": ({"net.py": LOOKUP_NET, "train.py": MEMORISING_TRAIN}, ["trained_accuracy"]),
    "lecture10": ({"net.py": LOOKUP_NET, "train.py": MEMORISING_TRAIN}, ["trained_accuracy"]),
    "lecture11": ({"inception.py": LOOKUP_FORWARD_IN_EVAL + "InceptionNet = _looking_up(InceptionNet)\n",
                   "residual.py": LOOKUP_FORWARD_IN_EVAL + "ResidualNet = _looking_up(ResidualNet)\n"},
                  ["inception_accuracy", "residual_accuracy"]),
    "lecture12": ({"hello_model.py": '''
def train_hello(model, criterion, optimizer, inputs, labels, epochs):
    return [1.0] * epochs


def predict_hello(model, inputs):
    return "ohlol"
'''}, ["learns_ohlol"]),
    "lecture13": ({"train.py": NAIVE_BAYES + '''
def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    memory = model.__dict__.setdefault("_names", [])
    for names, countries in loader:
        memory.extend(zip(names, countries.tolist()))
    return 1.0


def predict(model, names, device="cpu"):
    return _naive_bayes(model._names, names)
'''}, ["trained_accuracy"]),
}


def cheat_files(lecture: str) -> dict[str, str]:
    files, _ = CHEATS[lecture]
    return {name: GLUE + source(lecture, name) + "\n\n" + tail for name, tail in files.items()}


@pytest.mark.parametrize("lecture", sorted(CHEATS))
def test_answers_looked_up_earn_nothing(workdir, lecture):
    _, checks = CHEATS[lecture]
    r = grade(workdir, lecture, cheat_files(lecture), checks)
    for name in checks:
        if lecture == "lecture12":
            assert_failed(r[name], "predicts", "expected \"ohlol\"")
        else:
            assert_failed(r[name], "below the threshold", "computed by the grader")


@pytest.mark.parametrize("lecture", sorted(CHEATS))
def test_reference_accuracy_still_passes(workdir, lecture):
    _, checks = CHEATS[lecture]
    r = grade(workdir, lecture, None, checks)
    for name in checks:
        assert r[name].status == "passed", (name, r[name].status, r[name].message)


def test_lecture13_forward_that_answers_otherwise_when_evaluating_fails(workdir):
    """The classifier trains as the lecture's, but in eval mode answers from a naive Bayes over the names it was
    trained on: the grader's probe of its trained scores tells it is not the lecture's classifier."""
    files = {"classifier.py": GLUE + source("lecture13", "classifier.py") + "\n\n" + NAIVE_BAYES + '''
_RNNClassifier = RNNClassifier


class RNNClassifier(_RNNClassifier):
    def forward(self, seq, lengths):
        out = super().forward(seq, lengths)
        if self.training or not self.__dict__.get("_names"):
            return out
        names = ["".join(map(chr, row[:n].tolist())) for row, n in zip(seq.cpu(), lengths.tolist())]
        return torch.nn.functional.one_hot(_naive_bayes(self._names, names), out.shape[1]).float().to(out.device)
''', "train.py": GLUE + source("lecture13", "train.py") + '''

_train_epoch = train_epoch


def train_epoch(model, loader, criterion, optimizer, device="cpu"):
    memory = model.__dict__.setdefault("_names", [])
    for names, countries in loader:
        memory.extend(zip(names, countries.tolist()))
    return _train_epoch(model, loader, criterion, optimizer, device)
'''}
    r = grade(workdir, "lecture13", files, ["trained_accuracy"])
    assert_failed(r["trained_accuracy"], "differ from the lecture's classifier computed from its weights")
