"""The checks' vocabulary: each expectation and verdict the lectures share, written once.

Every value that came from the worker is treated as suspect: expectations first make sure it is a
real ``torch.Tensor`` (or a real number, a real list), then compare it to values computed here, in
the grader's process.  A failure says what was expected and what came back (``expected``,
``actual``: short strings) and, where it recognises a known mistake, names it (``cause``) and gives
the fix for it (``help``, which replaces the check's own hint).

Work in the worker goes through ``glue``: the helpers of ``grader/sandbox/inside/glue.py``, called
by name.  Check modules import all of this through ``grader.checks.api``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import torch

from ..i18n import N_, _
from ..sandbox.learner import YOUR_CODE, Handle

# ---------------------------------------------------------------- failing


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


def fix_of(message: str) -> str:
    """The fix a mistake's message gives: what follows its first ': ' or '; ' (else the whole message)."""
    cuts = [(i, len(sep)) for sep in (": ", "; ", "：", "；") if (i := message.find(sep)) >= 0]  # zh: full-width
    if not cuts:
        return message
    at, width = min(cuts)
    return message[at + width:]


class Mistake(NamedTuple):
    """A known mistake: what it computes (``result``, made here), the ``message`` naming it, its short
    name (a failure's ``cause``) and the ``fix`` (a failure's ``help``; by default ``fix_of(message)``)."""
    result: Any
    message: str
    cause: str
    fix: str = ""

    @property
    def help(self) -> str:
        return self.fix or fix_of(self.message)


def fail_mistake(message: str, mistake: Mistake, *, expected: str = "", actual: str = "") -> None:
    """Fail naming a recognised mistake: its cause and its fix go with the message."""
    fail(message, expected=expected, actual=actual, cause=mistake.cause, help=mistake.help)


def describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return _("a tensor of shape {value_shape} and dtype {dtype}").format(value_shape=tuple(value.shape), dtype=value.dtype)
    if isinstance(value, Handle):
        return _("an object of type {type}").format(type=value.type)
    return f"{type(value).__name__} {value!r}"[:200]


def _kind(value: Any) -> str:
    """What came back, in a few words (a failure's ``actual``)."""
    if isinstance(value, torch.Tensor):
        return f"tensor {tuple(value.shape)} {value.dtype}"
    if isinstance(value, Handle):
        return value.type
    return type(value).__name__


# ---------------------------------------------------------------- expectations on what came back

def expect_tensor(value: Any, what: str) -> torch.Tensor:
    if type(value) is not torch.Tensor:
        fail(_("{what}: expected a tensor, got {v1}").format(what=what, v1=describe(value)), expected=_("a tensor"), actual=_kind(value))
    return value


def expect_shape(value: Any, shape: tuple, what: str) -> torch.Tensor:
    t = expect_tensor(value, what)
    if tuple(t.shape) != tuple(shape):
        fail(_("{what}: expected shape {v1}, got {t_shape}").format(what=what, v1=tuple(shape), t_shape=tuple(t.shape)), expected=str(tuple(shape)),
             actual=str(tuple(t.shape)))
    return t


def expect_dtype(value: Any, dtype: torch.dtype, what: str) -> torch.Tensor:
    t = expect_tensor(value, what)
    if t.dtype != dtype:
        fail(_("{what}: expected dtype {dtype}, got {dtype2}").format(what=what, dtype=dtype, dtype2=t.dtype), expected=str(dtype), actual=str(t.dtype))
    return t


def expect_number(value: Any, what: str, *, python: bool = False) -> float:
    """A real Python number or a one-element tensor; never an object that merely says it is one.
    ``python=True`` where the function promises a Python float (a loss history, a prediction, a gradient
    "as a float"): a tensor is refused with the fix, since it also keeps its autograd graph alive."""
    if python and isinstance(value, torch.Tensor):
        fail(_("{what} returned a tensor of shape {got_shape}, expected a Python float: take the number out "
               "with .item()").format(what=what, got_shape=tuple(value.shape)), expected=_("a Python float"),
             actual=_("a tensor"), cause=_("tensor, not a number"),
             help=_("take the number out of the tensor with .item(): a Python float, which does not keep the "
                    "autograd graph alive"))
    if type(value) is torch.Tensor and value.numel() == 1:
        value = value.item()
    if type(value) not in (int, float) or isinstance(value, bool):
        fail(_("{what}: expected a number, got {v1}").format(what=what, v1=describe(value)), expected=_("a number"), actual=_kind(value))
    if not math.isfinite(value):
        fail(_("{what}: expected a finite number, got {value}").format(what=what, value=value), expected=_("a finite number"), actual=str(value))
    return float(value)


def expect_near(value: Any, target: float, tol: float, what: str, *, python: bool = False) -> float:
    x = expect_number(value, what, python=python)
    if not abs(x - target) <= tol:
        fail(_("{what}: expected {target:g} (within {tol:g}), got {x:.6g} (off by {v4:.3g})").format(what=what, target=target, tol=tol, x=x, v4=abs(x - target)),
             expected=f"{target:g} ± {tol:g}", actual=f"{x:.6g}")
    return x


def _first_difference(got: torch.Tensor, want: torch.Tensor, atol: float, rtol: float) -> tuple[str, str]:
    """(expected, actual) at the first place ``got`` and ``want`` differ, or their shapes."""
    if got.shape != want.shape:
        return str(tuple(want.shape)), str(tuple(got.shape))
    a, e = got.detach().to(torch.float64), want.detach().to(torch.float64)
    bad = ~torch.isclose(a, e, atol=atol, rtol=rtol, equal_nan=False)
    if not bad.any():
        return "", ""
    idx = tuple(int(i) for i in bad.nonzero()[0].tolist())
    where = f" at {list(idx)}" if idx else ""
    return f"{e[idx].item():.6g}{where}", f"{a[idx].item():.6g}{where}"


def expect_close(value: Any, expected: torch.Tensor, what: str, *, atol: float = 1e-5, rtol: float = 1e-4,
                 check_dtype: bool = False) -> torch.Tensor:
    """Shape, then values: the message gives max abs and rel error and the first differing index."""
    expected = torch.as_tensor(expected)
    t = expect_shape(value, tuple(expected.shape), what)
    if check_dtype:
        expect_dtype(t, expected.dtype, what)
    if not (t.is_floating_point() or t.is_complex()) and expected.is_floating_point():
        t = t.to(expected.dtype)
    a, e = t.detach().to(torch.float64), expected.detach().to(torch.float64)
    bad = ~torch.isclose(a, e, atol=atol, rtol=rtol, equal_nan=False)
    if bad.any():
        diff = (a - e).abs()
        diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
        rel = diff / e.abs().clamp_min(1e-12)
        idx = tuple(int(i) for i in bad.nonzero()[0].tolist())
        want, got = _first_difference(a, e, atol, rtol)
        fail(_("{what}: values differ from the reference in {v1} of {v2} place(s); max abs error "
               "{v3:.3g}, max rel error {v4:.3g}; first at index {v5}: expected {v6:.6g}, got {v7:.6g}").format(what=what, v1=int(bad.sum()), v2=bad.numel(), v3=diff.max().item(), v4=rel.max().item(), v5=list(idx), v6=e[idx].item(), v7=a[idx].item()),
             expected=want, actual=got)
    return t


def expect_close_or_mistake(value, expected: torch.Tensor, what: str, mistakes=(), *, atol: float = 1e-5,
                            rtol: float = 1e-4) -> torch.Tensor:
    """``expect_close``, but when the value is not the reference and matches what a known mistake
    computes (``mistakes``: ``Mistake``s, or tuples of their fields), the failure names it."""
    t = expect_tensor(value, what)
    expected = torch.as_tensor(expected)
    same = lambda a, b: a.shape == b.shape and torch.allclose(a.double(), b.double(), atol=atol, rtol=rtol)
    if not same(t.detach(), expected):
        for mistake in mistakes:
            mistake = Mistake(*mistake)
            if same(t.detach(), torch.as_tensor(mistake.result)):
                want, got = _first_difference(t, expected, atol, rtol)
                fail_mistake(_("{what}: {message}").format(what=what, message=mistake.message), mistake, expected=want, actual=got)
    return expect_close(t, expected, what, atol=atol, rtol=rtol)


def expect_list(value, what: str, *, length: int | None = None, min_length: int | None = None,
                noun: str = "items") -> list:
    """A list (or tuple) that came back from the worker, of the length the check needs, so that no loop,
    zip, all() or any() over it can pass vacuously.  ``what`` names it for the learner, e.g.
    "the history train(..., epochs=100) returned" -> "... holds 0 losses, expected 100"."""
    if type(value) not in (list, tuple):
        fail(_("{what}: expected a list of {noun}, got {v2}").format(what=what, noun=noun, v2=describe(value)), expected=_("a list of {noun}").format(noun=noun),
             actual=_kind(value))
    n = len(value)
    if length is not None and n != length:
        fail(_("{what} holds {n} {noun}, expected {length}").format(what=what, n=n, noun=noun, length=length), expected=f"{length} {noun}", actual=f"{n} {noun}")
    if min_length is not None and n < min_length:
        fail(_("{what} holds {n} {noun}, expected at least {min_length}").format(what=what, n=n, noun=noun, min_length=min_length), expected=_("at least {min_length} {noun}").format(min_length=min_length, noun=noun),
             actual=f"{n} {noun}")
    return list(value)


def expect_history(history, who: str, steps: int) -> list[float]:
    """The losses a training function returned: a list of ``steps`` Python floats, one per step."""
    if not isinstance(history, list):
        what = "tensors" if isinstance(history, torch.Tensor) else type(history).__name__
        fail(_("{who} must return a list of floats, got {what}").format(who=who, what=what), expected=_("a list of floats"), actual=what)
    if len(history) != steps:
        fail(_("{who}(..., epochs={steps}) returned {n_history} losses; expected one per step, {steps}").format(who=who, steps=steps, n_history=len(history)),
             expected=f"{steps} losses", actual=f"{len(history)} losses")
    if any(isinstance(v, torch.Tensor) for v in history):
        fail(_("the history holds tensors: append loss.item(), a Python float, so the graph is not kept "
               "alive"),
             expected="floats", actual="tensors", cause=_("tensors in the history"),
             help=_("append loss.item(), a Python float, so the graph is not kept alive"))
    return [expect_number(v, f"loss {i}") for i, v in enumerate(history)]


def expect_probabilities(out: torch.Tensor, what: str, fix: str) -> None:
    """Every value strictly between 0 and 1 (a sigmoid's output)."""
    if not bool(((out > 0) & (out < 1)).all()):
        low, high = out.min().item(), out.max().item()
        fail(_("{what}: expected probabilities strictly between 0 and 1, got values from {low:.4g} to "
               "{high:.4g}: {fix}").format(what=what, low=low, high=high, fix=fix), expected=_("values in (0, 1)"), actual=_("{low:.4g} to {high:.4g}").format(low=low, high=high), cause=_("no sigmoid"), help=fix)


def reject_probabilities(out: torch.Tensor, owner: str, last: str) -> None:
    """Class scores must be raw logits: rows that are all >= 0 and sum to 1 went through a softmax."""
    if torch.allclose(out.sum(dim=1), torch.ones(len(out)), atol=1e-4) and (out >= 0).all():
        fix = _("return {last}'s raw logits; CrossEntropyLoss applies log-softmax itself, and a softmax before it "
                "slows learning badly").format(last=last)
        fail(_("{owner}'s outputs are probabilities (each row sums to 1): {fix}").format(owner=owner, fix=fix), expected=_("raw logits"),
             actual=_("rows that sum to 1"), cause=_("softmax before CrossEntropyLoss"), help=fix)


def expect_class_scores(learner, cls: str, classes: int = 10) -> None:
    """The learner's ``cls()`` maps (batch, 1, 28, 28) images to (batch, classes) scores, for batch 1 and 3."""
    learner.seed(0)
    net = learner.call(cls)
    for batch in (1, 3):
        expect_shape(learner.call(net, torch.randn(batch, 1, 28, 28)), (batch, classes),
                     _("{cls}()(x) for a batch of {batch}").format(cls=cls, batch=batch))


def expect_count(value, expected: int, what: str, names=None) -> None:
    n = int(expect_number(value, what))
    if n != expected:
        detail = f" (parameters: {', '.join(names)})" if names else ""
        fail(_("{what}: expected {expected:,} parameters, got {n:,}{detail}").format(what=what, expected=expected, n=n, detail=detail), expected=f"{expected:,} parameters",
             actual=f"{n:,} parameters")


def expect_state(state, shapes: dict[str, tuple], owner: str, advice: str, *,
                 extra_ok: bool = False) -> dict[str, torch.Tensor]:
    """The learner's state_dict has the lecture's parameter names and shapes (plain tensors): exactly
    those names, or at least those with ``extra_ok``.  Returns the named tensors.  ``advice`` (marked ``N_()``)
    is said in the learner's language."""
    advice = _(advice)
    if not isinstance(state, dict):
        fail(_("{owner}.state_dict() did not return a dict (got {__name__})").format(owner=owner, __name__=type(state).__name__), expected=_("a dict"),
             actual=_kind(state))
    missing = [n for n in shapes if n not in state]
    extra = [n for n in state if n not in shapes]
    if missing:
        fail((_("{owner} has no parameter(s) {missing} (it has {extra}): {advice}") if extra else
              _("{owner} has no parameter(s) {missing}: {advice}")).format(
                  owner=owner, missing=", ".join(missing), extra=", ".join(map(str, extra)), advice=advice),
             expected=", ".join(shapes), actual=", ".join(map(str, state)))
    if extra and not extra_ok:
        fail(_("{owner} has parameter(s) the lecture's does not: {v1}: {advice}").format(owner=owner, v1=', '.join(map(str, extra)), advice=advice),
             expected=", ".join(shapes), actual=", ".join(map(str, state)))
    for name, shape in shapes.items():
        got = expect_tensor(state[name], name)
        if tuple(got.shape) != tuple(shape):
            fail(_("{owner}'s {name} has shape {got_shape}, expected {v3}: {advice}").format(owner=owner, name=name, got_shape=tuple(got.shape), v3=tuple(shape), advice=advice),
                 expected=str(tuple(shape)), actual=str(tuple(got.shape)))
    return {name: state[name] for name in shapes}


def line_model_outputs(learner, cls: str, low: float, high: float):
    """The learner's ``cls()``, one input to one output kept as `self.linear` (lectures 05 and 06), made after
    seed 0: for batches x of N = 1 and then 5 inputs from ``low`` to ``high``, (w, b, N, x, its (N, 1) output)."""
    learner.seed(0)
    model = learner.new(cls)
    w, b = weight_and_bias(learner, model, cls)
    for n in (1, 5):
        x = torch.linspace(low, high, n).reshape(n, 1)
        yield w, b, n, x, expect_shape(learner.call(model, x), (n, 1), _("{cls}()(x) with x of shape ({n}, 1)").format(cls=cls, n=n))


def expect_line_training(learner, model, prefix: str, criterion, x, y, simulate, *, lr: float = 0.01,
                         steps: int = 100) -> list[float]:
    """The learner's ``train(model, criterion, SGD(lr), x, y, steps)`` (lectures 05 and 06, ``model`` a line
    whose layer's parameters are named ``prefix`` weight and bias) returns the loss before each step, as
    ``simulate(w0, b0, lr, steps)`` computes them here from the model's first w and b.  The losses."""
    w0, b0 = weight_and_bias(learner, model, _("the model"), prefix=prefix)
    optimizer = learner.new("torch.optim.SGD", learner.method(model, "parameters"), lr=lr)
    values = expect_history(learner.call("train", model, criterion, optimizer, x, y, steps), "train", steps)
    _unused, _unused, reference = simulate(w0, b0, lr, steps)
    expect_close(torch.tensor(values), torch.tensor(reference), _("the loss history"), atol=1e-3, rtol=1e-3)
    return values


def shapes_of(module) -> dict[str, tuple]:
    """The names and shapes of a module's state (a trusted copy of the lecture's model, made here)."""
    return {name: tuple(t.shape) for name, t in module.state_dict().items()}


def weight_and_bias(learner, model, owner: str, prefix: str = "linear.") -> tuple[float, float]:
    """w and b of a one-input, one-output layer kept as `self.linear` (lectures 05 and 06)."""
    return weight_and_bias_in(learner.method(model, "state_dict"), owner, prefix)


def weight_and_bias_in(state, owner: str, prefix: str = "linear.") -> tuple[float, float]:
    """w and b in a model's state_dict (``weight_and_bias``; glue's ``trained_then`` returns one)."""
    w = state.get(prefix + "weight") if isinstance(state, dict) else None
    b = state.get(prefix + "bias") if isinstance(state, dict) else None
    if w is None or b is None:
        found = ", ".join(state) if isinstance(state, dict) else state
        fail(_("{owner} must keep its layer as `self.{v1}` (found parameters: {found})").format(owner=owner, v1=prefix.rstrip('.'), found=found))
    return expect_number(w, prefix + "weight"), expect_number(b, prefix + "bias")


# ---------------------------------------------------------------- inputs made here

def randn(*shape: int, seed: int) -> torch.Tensor:
    """Standard normal numbers of ``shape`` from their own seeded generator."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def randint(high: int, shape: tuple, seed: int) -> torch.Tensor:
    """Integers in [0, high) of ``shape`` (class indices) from their own seeded generator."""
    return torch.randint(0, high, shape, generator=torch.Generator().manual_seed(seed))


def simulate_line_sgd(x: torch.Tensor, y: torch.Tensor, w: float, b: float, lr: float, steps: int, loss,
                      loss_grad, link=lambda z: z) -> tuple[float, float, list[float]]:
    """The reference of lectures 05 and 06: full-batch SGD of y_hat = link(w * x + b) on a summed loss, in
    float32 like the learner's; ``loss_grad(z, y)`` is the summed loss's gradient with respect to each z.
    The final w and b, and the loss before each step."""
    w_t, b_t = torch.tensor(w), torch.tensor(b)
    losses = []
    for _unused in range(steps):
        z = w_t * x + b_t
        losses.append(float(loss(link(z), y)))
        g = loss_grad(z, y)
        w_t, b_t = w_t - lr * (g * x).sum(), b_t - lr * g.sum()
    return float(w_t), float(b_t), losses


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


class HandAdam:
    """``torch.optim.Adam(params, lr)``'s update with its defaults (betas 0.9 and 0.999, eps 1e-8, no weight
    decay, the single-tensor formula), by hand, for the grader's own reference runs: the first torch.optim
    optimizer of a process imports torch._dynamo, 1.5 to 3 s that the grader would spend on the other core
    while the learner's worker starts (tests/test_warm_imports.py: no grading imports it here)."""

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps, self.steps = lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        b1, b2, t = self.beta1, self.beta2, self.steps
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.lerp_(p.grad, 1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad.conj(), value=1 - b2)
            denom = (v.sqrt() / math.sqrt(1 - b2 ** t)).add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / (1 - b1 ** t))


# ---------------------------------------------------------------- the worker's glue

def glue(learner, name: str, *args, where: str = YOUR_CODE, timeout: float | None = None, **kwargs) -> Any:
    """Call ``name`` of grader/sandbox/inside/glue.py in the worker (handles and plain data cross as for
    any call); an error, a time-out or a stub in the learner's code it runs is reported as in
    ``where`` ("train (training.py)"), not in the glue."""
    target = f"glue:{name}"
    describe_target = learner.describe
    learner.describe = lambda t: where if t == target else describe_target(t)
    try:
        return learner.call(target, *args, timeout=timeout, **kwargs)
    finally:
        learner.describe = describe_target


def glue_side_by_side(learner, name: str, calls: list[tuple], *, where: str = YOUR_CODE,
                      timeout: float | None = None) -> None:
    """Say which ``glue(learner, name, *args)`` calls a check is about to make one by one (a training per
    seed): they run now, side by side in forked copies of the worker (``Learner.prefetch``), and each
    ``glue`` call with the same arguments then gets its reply at once.  Verdicts, errors and time-outs
    are those of the calls made one by one; only the wall time differs."""
    target = f"glue:{name}"
    describe_target = learner.describe
    learner.describe = lambda t: where if t == target else describe_target(t)
    try:
        learner.prefetch(target, calls, timeout=timeout)
    finally:
        learner.describe = describe_target


def first_pixel_batches() -> list:
    """Two identical batches of four 28x28 images for glue's FirstPixel probe (it predicts from each image's
    first pixel), with their labels: what lectures 09 and 10 train their train-mode probe on."""
    x = torch.zeros(4, 1, 28, 28)
    x[:, 0, 0, 0] = torch.tensor([1.0, 2, 3, 4])
    return [(x, torch.tensor([1, 2, 3, 0]))] * 2


def expect_trains_in_train_mode(learner, probe: str, train: Callable, function: str, evaluator: str, fix: str) -> None:
    """The lecture's training ``function`` runs the model in training mode, also when the lecture's
    ``evaluator`` left it in eval mode: glue's ``probe`` model (FirstPixel, NameLength: one parameter, it
    records [model.training, grad enabled] at each forward) is put in eval mode and ``train(model, optimizer,
    criterion)`` calls ``function`` with SGD at lr 0 and a CrossEntropyLoss; ``fix`` is the advice."""
    model = glue(learner, probe)
    learner.method(model, "eval")
    optimizer = learner.new("torch.optim.SGD", learner.method(model, "parameters"), lr=0.0)
    train(model, optimizer, learner.new("torch.nn.CrossEntropyLoss"))
    pairs = expect_modes(learner.method(model, "__getattribute__", "modes"), function)
    if not all(training for training, _unused in pairs):
        fail(_("{function} ran the model in eval mode (the mode {evaluator} had left it in): {fix}").format(
                 function=function, evaluator=evaluator, fix=fix),
             expected=_("model.training True"), actual=_("model.training False"), cause=_("missing train()"), help=fix)


def expect_parameter_count(learner, model, expected: int, owner: str) -> None:
    """``model`` (a handle) trains exactly ``expected`` numbers; ``owner`` names it ("Net", "InceptionA(10)")."""
    got = glue(learner, "parameter_count", model, where=owner.partition("(")[0] + ".parameters()")
    got = got if isinstance(got, dict) else {}
    expect_count(got.get("count"), expected, owner, got.get("names"))


# ---------------------------------------------------------------- verdicts on what the learner's training did

def judge_zero_grad(seen, steps: int) -> None:
    """Verdict on a RecordingSGD's record of ``steps`` identical steps at lr=0: exactly one
    optimizer.step() per step, each with a gradient for every parameter."""
    if not isinstance(seen, list) or not seen:
        fail(_("optimizer.step() was never called, so the parameters never change: call it after "
               "loss.backward()"),
             expected=f"{steps} steps", actual="0 steps", cause=_("no optimizer.step()"),
             help=_("call optimizer.step() after loss.backward()"))
    if len(seen) != steps:
        fail(_("optimizer.step() was called {n_seen} time(s) in {steps} training steps; expected once "
               "per step (each step: zero_grad, forward, loss, backward, step)").format(n_seen=len(seen), steps=steps), expected=f"{steps} steps",
             actual=f"{len(seen)} steps")
    flat = []
    for i, step in enumerate(seen):
        if not isinstance(step, list) or not step or len(step) != len(seen[0]) or any(g is None for g in step):
            fail(_("at optimizer.step() number {v0} some parameters had no gradient: call loss.backward() "
                   "before optimizer.step(), and zero_grad() before backward()").format(v0=i + 1))
        flat.append(torch.cat([expect_tensor(g, _("a recorded gradient")).reshape(-1).double() for g in step]))
    first = flat[0]
    if first.abs().max() == 0:
        fix = _("call it before backward() (order: zero_grad, backward, step)")
        fail(_("the gradients were all zero when optimizer.step() ran: optimizer.zero_grad() was called "
               "after loss.backward(); {fix}").format(fix=fix), cause=_("zero_grad after backward"), help=fix)
    for k, g in enumerate(flat[1:], start=1):
        if torch.allclose(g, first, rtol=1e-4, atol=1e-7):
            continue
        ratio = (g.norm() / first.norm()).item()
        if abs(ratio - (k + 1)) < 0.05 * (k + 1):
            fix = _("call optimizer.zero_grad() in every step, before loss.backward()")
            fail(_("gradients accumulate from step to step (at step {v0} they were {ratio:.2f} times the "
                   "first step's on the same data): {fix}").format(v0=k + 1, ratio=ratio, fix=fix), expected=_("1.00 times the first step's gradient"),
                 actual=f"{ratio:.2f} times", cause=_("missing zero_grad"), help=fix)
        fail(_("the gradient at step {v0} differs from the first ({ratio:.2f} times its size) although "
               "the data and parameters did not change: compute a fresh loss each step and zero_grad "
               "before backward").format(v0=k + 1, ratio=ratio),
             expected=_("1.00 times the first step's gradient"), actual=f"{ratio:.2f} times")


def expect_zero_grad_each_step(learner, model, train: Callable[[Handle], Any], steps: int = 3) -> None:
    """``train(optimizer)`` runs the learner's training for ``steps`` steps on identical data with an
    optimizer (lr = 0) that records the gradients each step sees; they must all be the same."""
    optimizer = glue(learner, "recording_sgd", model)
    train(optimizer)
    judge_zero_grad(glue(learner, "recorded_gradients", optimizer), steps)


def expect_modes(modes, what: str) -> list[tuple[bool, bool]]:
    """A probe model's record of the modes it ran in: at least one call, each a pair
    (model.training, torch.is_grad_enabled())."""
    if type(modes) not in (list, tuple) or not modes:
        fail(_("{what} never called the model").format(what=what))
    pairs = []
    for m in modes:
        if type(m) not in (list, tuple) or len(m) != 2 or any(type(v) is not bool for v in m):
            fail(_("{what}: the model's record of the modes it ran in was changed ({v1}); leave the model's "
                   "attributes alone").format(what=what, v1=describe(m)))
        pairs.append((m[0], m[1]))
    return pairs


EVAL_FIX = N_("call model.eval() before the loop (dropout and batch-norm behave differently when evaluating)")
NO_GRAD_FIX = N_("wrap the loop in `with torch.no_grad():` (faster, less memory)")


def judge_modes(modes, who: str, eval_fix: str = EVAL_FIX, no_grad_fix: str = NO_GRAD_FIX) -> None:
    """Evaluating code (``who``: predict, accuracy, evaluate) runs the model in eval mode, without a graph;
    the fixes default to those for an evaluation loop."""
    pairs = expect_modes(modes, who)
    eval_fix, no_grad_fix = _(eval_fix), _(no_grad_fix)
    if any(training for training, _unused in pairs):
        fail(_("{who} ran the model in training mode: {eval_fix}").format(who=who, eval_fix=eval_fix), expected=_("model.training False"),
             actual=_("model.training True"), cause=_("missing eval()"), help=eval_fix)
    if any(grad for _unused, grad in pairs):
        fail(_("{who} built an autograd graph: {no_grad_fix}").format(who=who, no_grad_fix=no_grad_fix), expected=_("grad disabled"), actual=_("grad enabled"),
             cause=_("missing no_grad"), help=no_grad_fix)


def judge_fraction_correct(value, who: str) -> None:
    """``who`` counted 6 right predictions of 8, in batches of 5 (all right) and 3 (one right): 0.75."""
    value = expect_number(value, _("{who}(...)'s return value").format(who=who))
    for wrong, cause, message in (
            (75.0, _("a percentage"), _("{who} returned 75.0, a percentage: return the fraction 0.75").format(who=who)),
            (2 / 3, _("mean of batch accuracies"), _("{who} returned 0.667, the mean of per-batch accuracies; divide the "
                                                     "correct count by the number of samples (6 / 8 = 0.75)").format(who=who)),
            (6.0, _("a count"), _("{who} returned 6, the number of correct predictions: divide by the number of "
                                  "samples (8)").format(who=who))):
        if abs(value - wrong) < 1e-4:
            fail_mistake(message, Mistake(wrong, message, cause), expected="0.75", actual=f"{value:.4g}")
    if abs(value - 0.75) > 1e-6:
        fail(_("{who} returned {value:.4g}; 6 of the 8 predictions were right, so expected 0.75").format(who=who, value=value), expected="0.75",
             actual=f"{value:.4g}")


def judge_mean_loss(value, losses: list[float], who: str, mistakes=()) -> None:
    """``who`` returns the mean of its batch losses (``losses``, computed here) as a Python float;
    ``mistakes``: other known wrong values (``Mistake``s with a number as result), tried first."""
    value = expect_number(value, _("{who}(...)'s return value").format(who=who), python=True)
    want = sum(losses) / len(losses)
    known = [Mistake(*m) for m in mistakes] + [
        Mistake(sum(losses), _("{who} returned the sum of the batch losses ({value:.4f}); return their mean ({want:.4f})").format(who=who, value=value, want=want), _("summed losses")),
        Mistake(losses[-1], _("{who} returned the last batch's loss ({value:.4f}); return the mean over the batches "
                              "({want:.4f})").format(who=who, value=value, want=want), _("last batch's loss"))]
    for mistake in known:
        if abs(value - mistake.result) < 1e-4 and abs(want - mistake.result) > 1e-4:
            fail_mistake(mistake.message, mistake, expected=f"{want:.4f}", actual=f"{value:.4f}")
    if abs(value - want) > 1e-4:
        fail(_("{who} returned {value:.4f}; the mean of the batch losses was {want:.4f}").format(who=who, value=value, want=want), expected=f"{want:.4f}",
             actual=f"{value:.4f}")


# ---------------------------------------------------------------- accuracy of trained weights, judged here

def expect_device(got: dict, device: str) -> None:
    """The model trained in the worker stayed on the device the grading asked for."""
    if got.get("param_device") != device:
        fail(_("the model's parameters ended up on {v0}, not on {device}: move the model with "
               ".to(device) and keep it there").format(v0=got.get('param_device'), device=device), expected=device, actual=str(got.get("param_device")))


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
        fail(_("{what}: {acc:.3f}, below the threshold {threshold} (always answering the majority class "
               "scores {majority:.3f}); the predictions are computed by the grader with the lecture's "
               "layers from the weights your training left").format(what=what, acc=acc, threshold=threshold, majority=majority), expected=f">= {threshold}", actual=f"{acc:.3f}")
    return acc

