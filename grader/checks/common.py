"""Glue shared by several lectures' checks: snippets run in the worker (nothing
secret: they only build objects beside the learner's) and the verdicts on what
they report, which are computed here."""

from __future__ import annotations

import torch

from .api import expect_close, expect_number, expect_tensor, fail

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


def judge_zero_grad(seen) -> None:
    """Verdict on a RecordingSGD's record of identical steps at lr=0."""
    if not isinstance(seen, list) or not seen:
        fail("optimizer.step() was never called, so the parameters never change: call it after loss.backward()")
    flat = []
    for i, step in enumerate(seen):
        if not isinstance(step, list) or any(g is None for g in step):
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
