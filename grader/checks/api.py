"""What check modules use: expectations that fail with learner-readable messages.

Every value that came from the worker is treated as suspect: expectations first
make sure it is a real ``torch.Tensor`` (or a real number), then compare it to
values computed here, in the grader's process.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..sandbox.learner import Handle


class CheckFailed(AssertionError):
    """A check's verdict: the learner's answer is wrong.  ``message`` is shown as is; the optional
    parts let a report lay them out (check50's Mismatch and Failure): what was ``expected``, what
    came ``actual``-ly back, the diagnosed ``cause`` (a mistake's name), and the ``help`` that
    follows from that cause (it replaces the check's own hint; without a cause, no help)."""

    def __init__(self, message: str, *, expected: str = "", actual: str = "", cause: str = "", help: str = ""):
        super().__init__(message)
        self.message = message
        self.expected, self.actual, self.cause, self.help = expected, actual, cause, help

    def details(self) -> dict:
        return {"expected": self.expected, "actual": self.actual, "cause": self.cause, "help": self.help}


def fail(message: str, **details) -> None:
    """Fail the check: ``message`` for the learner; ``details`` as in CheckFailed."""
    raise CheckFailed(message, **details)


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, Handle):
        return f"an object of type {value.type}"
    return f"{type(value).__name__} {value!r}"[:200]


def expect_tensor(value: Any, what: str) -> torch.Tensor:
    if type(value) is not torch.Tensor:
        fail(f"{what}: expected a tensor, got {_describe(value)}")
    return value


def expect_shape(value: Any, shape: tuple, what: str) -> torch.Tensor:
    t = expect_tensor(value, what)
    if tuple(t.shape) != tuple(shape):
        fail(f"{what}: expected shape {tuple(shape)}, got {tuple(t.shape)}")
    return t


def expect_dtype(value: Any, dtype: torch.dtype, what: str) -> torch.Tensor:
    t = expect_tensor(value, what)
    if t.dtype != dtype:
        fail(f"{what}: expected dtype {dtype}, got {t.dtype}")
    return t


def expect_number(value: Any, what: str) -> float:
    """A real Python number or a one-element tensor; never an object that merely says it is one."""
    if type(value) is torch.Tensor and value.numel() == 1:
        value = value.item()
    if type(value) not in (int, float) or isinstance(value, bool):
        fail(f"{what}: expected a number, got {_describe(value)}")
    if not math.isfinite(value):
        fail(f"{what}: expected a finite number, got {value}")
    return float(value)


def expect_near(value: Any, target: float, tol: float, what: str) -> float:
    x = expect_number(value, what)
    if not abs(x - target) <= tol:
        fail(f"{what}: expected {target:g} (within {tol:g}), got {x:.6g} (off by {abs(x - target):.3g})")
    return x


def expect_close(value: Any, expected: torch.Tensor, what: str, *, atol: float = 1e-5, rtol: float = 1e-4,
                 check_dtype: bool = False) -> torch.Tensor:
    """Shape, then values: the message gives max abs and rel error and the first differing index."""
    expected = torch.as_tensor(expected)
    t = expect_shape(value, tuple(expected.shape), what)
    if check_dtype and t.dtype != expected.dtype:
        fail(f"{what}: expected dtype {expected.dtype}, got {t.dtype}")
    if not (t.is_floating_point() or t.is_complex()) and expected.is_floating_point():
        t = t.to(expected.dtype)
    a, e = t.detach().to(torch.float64), expected.detach().to(torch.float64)
    bad = ~torch.isclose(a, e, atol=atol, rtol=rtol, equal_nan=False)
    if bad.any():
        diff = (a - e).abs()
        diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
        rel = diff / e.abs().clamp_min(1e-12)
        idx = tuple(int(i) for i in bad.nonzero()[0].tolist())
        fail(f"{what}: values differ from the reference in {int(bad.sum())} of {bad.numel()} place(s); "
             f"max abs error {diff.max().item():.3g}, max rel error {rel.max().item():.3g}; "
             f"first at index {list(idx)}: expected {e[idx].item():.6g}, got {a[idx].item():.6g}")
    return t
