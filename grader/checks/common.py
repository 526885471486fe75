"""Glue shared by several lectures' checks: snippets run in the worker (nothing
secret: they only build objects beside the learner's) and the verdicts on what
they report, which are computed here."""

from __future__ import annotations

import torch

from .api import _describe, expect_close, expect_number, expect_tensor, fail

# An SGD that records the gradients it sees at each step.  With lr=0 the
# parameters never move, so on identical batches every step must see the same
# gradient; a missing zero_grad makes step k see (k+1) times it.
RECORDING_SGD = """
class RecordingSGD(torch.optim.SGD):
    def __init__(self, params, lr=0.0):
        super().__init__(params, lr=lr)
        self.seen = []

    def step(self, closure=None):
        self.seen.append([None if p.grad is None else p.grad.detach().clone().cpu()
                          for group in self.param_groups for p in group["params"]])
        return super().step(closure)
"""

PARAMETER_COUNT = """
count = sum(p.numel() for p in model.parameters())
names = [name for name, _ in model.named_parameters()]
"""


def expect_list(value, what: str, *, length: int | None = None, min_length: int | None = None,
                noun: str = "items") -> list:
    """A list (or tuple) that came back from the worker, of the length the check needs, so that no loop,
    zip, all() or any() over it can pass vacuously.  ``what`` names it for the learner, e.g.
    "the history train(..., epochs=100) returned" -> "... holds 0 losses, expected 100"."""
    if type(value) not in (list, tuple):
        fail(f"{what}: expected a list of {noun}, got {_describe(value)}")
    n = len(value)
    if length is not None and n != length:
        fail(f"{what} holds {n} {noun}, expected {length}")
    if min_length is not None and n < min_length:
        fail(f"{what} holds {n} {noun}, expected at least {min_length}")
    return list(value)


def expect_modes(modes, what: str) -> list[tuple[bool, bool]]:
    """A probe model's record of the modes it ran in: at least one call, each a pair
    (model.training, torch.is_grad_enabled())."""
    if type(modes) not in (list, tuple) or not modes:
        fail(f"{what} never called the model")
    pairs = []
    for m in modes:
        if type(m) not in (list, tuple) or len(m) != 2 or any(type(v) is not bool for v in m):
            fail(f"{what}: the model's record of the modes it ran in was changed ({_describe(m)}); "
                 "leave the model's attributes alone")
        pairs.append((m[0], m[1]))
    return pairs


def judge_zero_grad(seen, steps: int) -> None:
    """Verdict on a RecordingSGD's record of ``steps`` identical steps at lr=0: exactly one
    optimizer.step() per step, each with a gradient for every parameter."""
    if not isinstance(seen, list) or not seen:
        fail("optimizer.step() was never called, so the parameters never change: call it after loss.backward()")
    if len(seen) != steps:
        fail(f"optimizer.step() was called {len(seen)} time(s) in {steps} training steps; expected once per step "
             "(each step: zero_grad, forward, loss, backward, step)")
    flat = []
    for i, step in enumerate(seen):
        if not isinstance(step, list) or not step or len(step) != len(seen[0]) or any(g is None for g in step):
            fail(f"at optimizer.step() number {i + 1} some parameters had no gradient: "
                 "call loss.backward() before optimizer.step(), and zero_grad() before backward()")
        flat.append(torch.cat([expect_tensor(g, "a recorded gradient").reshape(-1).double() for g in step]))
    first = flat[0]
    if first.abs().max() == 0:
        fail("the gradients were all zero when optimizer.step() ran: optimizer.zero_grad() was called after "
             "loss.backward(); call it before backward() (order: zero_grad, backward, step)")
    for k, g in enumerate(flat[1:], start=1):
        if torch.allclose(g, first, rtol=1e-4, atol=1e-7):
            continue
        ratio = (g.norm() / first.norm()).item()
        if abs(ratio - (k + 1)) < 0.05 * (k + 1):
            fail(f"gradients accumulate from step to step (at step {k + 1} they were {ratio:.2f} times the "
                 "first step's on the same data): call optimizer.zero_grad() in every step, before loss.backward()")
        fail(f"the gradient at step {k + 1} differs from the first ({ratio:.2f} times its size) although the "
             "data and parameters did not change: compute a fresh loss each step and zero_grad before backward")


def expect_count(value, expected: int, what: str, names=None) -> None:
    n = int(expect_number(value, what))
    if n != expected:
        detail = f" (parameters: {', '.join(names)})" if names else ""
        fail(f"{what}: expected {expected:,} parameters, got {n:,}{detail}")


def weight_and_bias(learner, model, owner: str, prefix: str = "linear.") -> tuple[float, float]:
    """w and b of a one-input, one-output layer kept as `self.linear` (lectures 05 and 06)."""
    state = learner.method(model, "state_dict")
    w = state.get(prefix + "weight") if isinstance(state, dict) else None
    b = state.get(prefix + "bias") if isinstance(state, dict) else None
    if w is None or b is None:
        found = ", ".join(state) if isinstance(state, dict) else state
        fail(f"{owner} must keep its layer as `self.{prefix.rstrip('.')}` (found parameters: {found})")
    return expect_number(w, prefix + "weight"), expect_number(b, prefix + "bias")


def expect_close_or_mistake(value, expected: torch.Tensor, what: str, mistakes=(), *, atol: float = 1e-5,
                            rtol: float = 1e-4) -> torch.Tensor:
    """``expect_close``, but when the value is not the reference and matches what a known mistake
    computes (``mistakes``: pairs of that result, computed here, and the message naming it), say so."""
    t = expect_tensor(value, what)
    expected = torch.as_tensor(expected)
    same = lambda a, b: a.shape == b.shape and torch.allclose(a.double(), b.double(), atol=atol, rtol=rtol)
    if not same(t.detach(), expected):
        for result, message in mistakes:
            if same(t.detach(), torch.as_tensor(result)):
                fail(f"{what}: {message}")
    return expect_close(t, expected, what, atol=atol, rtol=rtol)


# ---------------------------------------------------------------- weights made here, weights trained there

def seeded_state(shapes: dict[str, tuple], seed: int) -> dict[str, torch.Tensor]:
    """Float32 weights of the given shapes, scaled like PyTorch's own initialisation, from a seed: made
    here and sent to the worker, so that a check's reference never depends on what comes back."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in shapes.items():
        fan_in = 1
        for s in (shape[1:] if len(shape) > 1 else ()):
            fan_in *= s
        scale = (1.0 / fan_in) ** 0.5 if len(shape) > 1 else 0.1
        state[name] = torch.randn(*shape, generator=g) * scale
    return state


# Run in the worker after the learner's code trained `model`: its weights as plain CPU tensors, and the
# device it trained on.  The evaluation inputs are never sent: the grader computes the predictions from
# these weights with the lecture's architecture, so a forward that looks answers up earns nothing.
TRAINED_STATE = """
state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
param_device = next(model.parameters()).device.type
"""


def expect_state(state, shapes: dict[str, tuple], owner: str, advice: str) -> dict[str, torch.Tensor]:
    """The learner's state_dict has exactly the lecture's parameter names and shapes (plain tensors)."""
    if not isinstance(state, dict):
        fail(f"{owner}.state_dict() did not return a dict (got {type(state).__name__})")
    missing = [n for n in shapes if n not in state]
    extra = [n for n in state if n not in shapes]
    if missing:
        fail(f"{owner} has no parameter(s) {', '.join(missing)}"
             + (f" (it has {', '.join(map(str, extra))})" if extra else "") + f": {advice}")
    if extra:
        fail(f"{owner} has parameter(s) the lecture's does not: {', '.join(map(str, extra))}: {advice}")
    for name, shape in shapes.items():
        got = expect_tensor(state[name], name)
        if tuple(got.shape) != tuple(shape):
            fail(f"{owner}'s {name} has shape {tuple(got.shape)}, expected {tuple(shape)}: {advice}")
    return state


def expect_device(got: dict, device: str) -> None:
    """The model trained in the worker stayed on the device the grading asked for."""
    if got.get("param_device") != device:
        fail(f"the model's parameters ended up on {got.get('param_device')}, not on {device}: move the model with "
             f".to(device) and keep it there")


def predict_classes(forward, x: torch.Tensor, chunk: int = 500) -> torch.Tensor:
    """The class index of every row of ``x`` under ``forward`` (the lecture's architecture computed here,
    in the grader's process, from the learner's trained weights), in chunks, without a graph."""
    with torch.no_grad():
        return torch.cat([forward(x[i:i + chunk]).argmax(dim=1) for i in range(0, len(x), chunk)])


def judge_accuracy(pred: torch.Tensor, labels: torch.Tensor, threshold: float, what: str) -> float:
    """Fail when fewer than ``threshold`` of the predictions (computed here) match the hidden labels;
    ``what`` says on what and after which run, e.g. "accuracy on 300 held-out digits (seed 0)"."""
    labels = labels.long()
    if tuple(pred.shape) != tuple(labels.shape):  # computed here, so a grader bug, never the learner's
        raise ValueError(f"predictions of shape {tuple(pred.shape)} for labels of shape {tuple(labels.shape)}")
    acc = (pred.long() == labels).float().mean().item()
    if acc < threshold:
        majority = torch.bincount(labels).max().item() / len(labels)
        fail(f"{what}: {acc:.3f}, below the threshold {threshold} (always answering the majority class scores "
             f"{majority:.3f}); the predictions are computed by the grader with the lecture's layers from the "
             "weights your training left")
    return acc
