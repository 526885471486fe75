"""Hidden checks of lecture 04, back propagation.

References are computed here: per-sample SGD in float64 from the closed-form
gradient, and the gradients of the affine and quadratic models by autograd in
this process.  The learner's custom Function runs in the worker on float64
inputs under a glue helper that reports its outputs, the gradient its backward
passes on, and its outputs at x +- h; the central differences are taken here.
"""

import torch

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (Mistake, expect_close, expect_close_or_mistake, expect_dtype, expect_near,
                               expect_number, expect_shape, fail, glue)

XS, YS = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
H = 1e-6  # central-difference step in float64: truncation ~h**2, rounding ~1e-16 / h

# errors the lecture's slips raise, recognised before the shared table (grader.diagnose)
MISTAKES = [
    (r"raised AttributeError: 'float' object has no attribute '(?:data|grad)'",
     N_("a Python float arrived where the tensor w is expected: check the order of the arguments, sgd_step(w, lr) "
        "takes the tensor w first, then the learning rate")),
    (r"Sigmoid\b.* raised ValueError: not enough values to unpack \(expected \d+, got 0\)",
     N_("ctx.saved_tensors is empty in backward: forward must keep what backward needs, ctx.save_for_backward(y)")),
]


def _sgd(w, lr, epochs, *, accumulate=False, fresh_each_epoch=False, grad=lambda x, y, w: 2 * x * (x * w - y)):
    """Per-sample SGD on (x*w - y)**2; `accumulate` simulates a w.grad that is never zeroed, ``grad(x, y, w)``
    a mistake's loss gradient."""
    grads, w0 = [], w
    for _unused in range(epochs):
        if fresh_each_epoch:
            w = w0
        g_acc = 0.0
        for x, y in zip(XS, YS):
            g = grad(x, y, w) + (g_acc if accumulate else 0.0)
            g_acc = g
            grads.append(g)
            w -= lr * g
    return w, grads


def _train(learner, epochs):
    got = learner.call("train", XS, YS, 1.0, 0.01, epochs)
    what = f"train(x_data, y_data, 1.0, 0.01, {epochs})"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(_("{what} must return (w, grads)").format(what=what))
    w, grads = got
    if not isinstance(grads, list) or len(grads) != 3 * epochs:
        n = len(grads) if isinstance(grads, list) else type(grads).__name__
        fail(_("{what} returned {n} gradients; expected one per sample per epoch, {v2}").format(what=what, n=n, v2=3 * epochs))
    # "the final w as a float and the recorded gradients" (w.grad.item()): Python floats
    return (expect_number(w, _("the w of {what}").format(what=what), python=True),
            torch.tensor([expect_number(g, _("gradient {i} of {what}").format(i=i, what=what), python=True)
                          for i, g in enumerate(grads)], dtype=torch.float64))


def test_first_gradient(learner):
    """train(...) records d loss/d w after each backward(): -2.0, -7.84, -16.23 in the first epoch from w = 1 with lr = 0.01, ending at w = 1.2607."""
    w, grads = _train(learner, 1)
    want_w, want = _sgd(1.0, 0.01, 1)
    _unused, acc = _sgd(1.0, 0.01, 1, accumulate=True)
    first = grads[0].item()
    if abs(first) < 1e-12:
        fail(_("the first recorded gradient is 0: it was read after sgd_step zeroed w.grad; record "
               "w.grad.item() right after backward(), before the update"))
    if abs(first - 1.0) < 1e-5:
        fail(_("the first gradient is 1 = d/dw (1*w - 2): the loss is not squared; it is (x * w - y) ** "
               "2, whose gradient at x = 1, y = 2, w = 1 is -2.0"))
    epoch = lambda grad: torch.tensor(_sgd(1.0, 0.01, 1, grad=grad)[1], dtype=torch.float64)
    for wrong, message, cause in (
            (epoch(lambda x, y, w_: 2 * x), _("they are the gradients of (x * w - y) * 2: the loss is doubled, not "
                                              "squared; loss = (x * w - y) ** 2"), _("doubled, not squared")),
            (epoch(lambda x, y, w_: 3 * x * (x * w_ - y) ** 2), _("they are the gradients of (x * w - y) ** 3: the "
                                                                 "loss is cubed; square it, (x * w - y) ** 2"),
             _("cubed, not squared")),
            (epoch(lambda x, y, w_: 2 * x * (x * w_ + y)), _("they are the gradients of (x * w + y) ** 2: subtract "
                                                             "the target, loss = (x * w - y) ** 2"), _("error sign")),
            (epoch(lambda x, y, w_: -2 * x / w_ ** 2 * (x / w_ - y)), _("they are the gradients of (x / w - y) ** 2: "
                                                                       "the model multiplies, loss = (x * w - y) ** 2"),
             _("divides by w")),
            (epoch(lambda x, y, w_: 2 * y * (y * w_ - x)), _("they are the gradients of (y * w - x) ** 2: x and y are "
                                                             "swapped (in zip(xs, ys) or in the call loss(x, y, w))"),
             _("x and y swapped"))):
        if abs(first - (-2.0)) > 1e-5 and torch.allclose(grads, wrong, atol=1e-4):
            fail(_("the gradients of the first epoch: {message}").format(message=message), cause=cause,
                 expected=f"{want[0]:.6g}", actual=f"{first:.6g}")
    if abs(first - (-2.0)) > 1e-5:
        fail(_("the first gradient is {first:.6g}, expected -2.0 = d/dw (1*w - 2)**2 at w = 1: the loss "
               "is (x * w - y) ** 2; call backward() on it and record w.grad.item()").format(first=first))
    expect_close_or_mistake(grads, torch.tensor(want, dtype=torch.float64), _("the gradients of the first epoch"),
                            ((torch.tensor(acc, dtype=torch.float64),
                              _("they add up from sample to sample: w.grad was not zeroed after the update; "
                                "call w.grad.data.zero_() in every step"), _("gradient not zeroed")),
                             (torch.tensor(_sgd(1.0, 0.0, 1)[1], dtype=torch.float64),
                              _("they are the gradients at w = 1 every time: w never changed; sgd_step must update "
                                "the caller's w in place, w.data -= lr * w.grad.data"), _("w never updated")),
                             (torch.tensor(_sgd(1.0, 0.0, 1, accumulate=True)[1], dtype=torch.float64),
                              _("w never changed and the gradients add up: sgd_step(w, lr) was not called; call it "
                                "after recording each gradient"), _("no sgd_step")),
                             (torch.tensor(_sgd(1.0, 0.01, 1, grad=lambda x, y, w_: -2 * (x * y - w_))[1],
                                           dtype=torch.float64),
                              _("they are the gradients of loss(x, w, y) = (x * y - w) ** 2: w and y are swapped in "
                                "the call; loss(x, y, w)"), _("w and y swapped"))), atol=1e-4)
    expect_near(w, want_w, 1e-5, _("w after one epoch"))


def _step(learner):
    return glue(learner, "sgd_step_probe", where=_("sgd_step (backprop.py)"))


def test_update_keeps_leaf(learner):
    """sgd_step(w, lr) changes the caller's w in place (w = 1, grad 12, lr 0.1 -> -0.2), and w stays a leaf tensor that requires grad."""
    got = _step(learner)
    after = expect_shape(got["after"], (1,), _("w after sgd_step"))
    if got["is_leaf"] is not True or got["requires_grad"] is not True:
        fail(_("after sgd_step, w is no longer a leaf tensor that requires grad: update its data in "
               "place, w.data -= lr * w.grad.data (or inside torch.no_grad())"))
    if torch.equal(after, expect_shape(got["before"], (1,), _("w before sgd_step"))):
        if isinstance(got["returned"], torch.Tensor) and torch.allclose(got["returned"].double(), torch.tensor([-0.2], dtype=torch.float64)):
            fail(_("sgd_step returned a new tensor and the caller's w did not change: `w = w - lr * w.grad` "
                   "makes a new tensor that is not a leaf (and has no .grad); update the leaf in place, "
                   "w.data -= lr * w.grad.data"))
        fail(_("sgd_step did not change w: update it in place, w.data -= lr * w.grad.data"))
    expect_close_or_mistake(after, torch.tensor([-0.2]), _("w after sgd_step(w, 0.1) from w = 1 with w.grad = 12"), (
        (torch.tensor([1 - 0.1 / 12]), _("it is w - lr / grad = 0.9917: multiply the learning rate by the gradient, "
                                         "w.data -= lr * w.grad.data"), _("lr / gradient")),
        (torch.tensor([2.2]), _("w moved uphill (w + lr * grad = 2.2): subtract, w.data -= lr * w.grad.data"),
         _("uphill")),
        (torch.tensor([-11.0]), _("the learning rate is missing (w - grad = -11): w.data -= lr * w.grad.data"),
         _("missing learning rate"))))


def test_gradient_zeroed(learner):
    """After sgd_step(w, lr), w.grad is zero (or None), so the next backward() does not add to an old gradient."""
    got = _step(learner)
    grad = got["grad_after"]
    if grad is None:
        return
    grad = expect_shape(grad, (1,), _("w.grad after sgd_step"))
    if grad.abs().max() != 0:
        fail(_("w.grad still holds {v0:g} after sgd_step: backward() ADDS to .grad, so zero it after "
               "the update, w.grad.data.zero_()").format(v0=grad.item()))


def test_train_converges(learner):
    """100 epochs of train(x_data, y_data, 1.0, 0.01, 100) bring w to 2.000 (prediction at x = 4: 8.00), with the last gradients near 0."""
    w, grads = _train(learner, 100)
    want_w, _unused = _sgd(1.0, 0.01, 100)
    stuck, _unused = _sgd(1.0, 0.01, 100, fresh_each_epoch=True)
    if abs(w - stuck) < 1e-4 and abs(w - want_w) > 1e-3:
        fail(_("after 100 epochs w = {w:.4f}, what one epoch gives: w is created anew each epoch; "
               "create it once, w = torch.tensor([w0], requires_grad=True), before the loops").format(w=w))
    expect_near(w, 2.0, 1e-3, _("w after 100 epochs"))
    expect_near(4 * w, 8.0, 4e-3, _("the prediction 4 * w after 100 epochs"))
    expect_near(grads[-1].item(), 0.0, 1e-2, _("the last recorded gradient"))


def _autograd(f, *params):
    ps = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    f(*ps).backward()
    return torch.tensor([p.grad.item() for p in ps], dtype=torch.float64)


def _numbers(got, n, what):
    if not isinstance(got, (tuple, list)) or len(got) != n:
        fail(_("{what} must return {n} numbers").format(what=what, n=n))
    # "as two / three floats": a .grad tensor left as it is (no .item()) is a slip the check names
    return torch.tensor([expect_number(v, f"{what}[{i}]", python=True) for i, v in enumerate(got)], dtype=torch.float64)


def _judge_grads(got, want, r, features, names, what, mistakes, *, by_hand=True, atol=1e-9, rtol=1e-4):
    """The learner's gradients ``got`` of (y_hat - y) ** 2 with respect to the parameters ``names`` (b last),
    against ``want``; ``features``: the values of d y_hat/d p (1 for b), ``r`` = y_hat - y.  A known mistake
    is named; otherwise the diagnosis says which gradient is wrong and what that implies, from the chain rule
    d loss/d p = 2 * r * d y_hat/d p."""
    close = lambda a, b: a.shape == b.shape and bool(torch.allclose(a, b, atol=atol, rtol=rtol))
    if close(got, want) or any(close(got, torch.as_tensor(Mistake(*m).result, dtype=torch.float64)) for m in mistakes):
        expect_close_or_mistake(got, want, what, mistakes, atol=atol, rtol=rtol)
        return
    f = torch.tensor(features, dtype=torch.float64)
    right = torch.isclose(got, want, atol=atol, rtol=rtol)
    labels = [f"d loss/d {n}" for n in names]
    if right.any():
        wrong = [i for i in range(len(names)) if not right[i]]
        parts = "; ".join(_("{grad} is {got:.6g}, {k:.4g} times the right {want:.6g}").format(
            grad=labels[i], got=got[i].item(), k=(got[i] / want[i]).item(), want=want[i].item()) for i in wrong)
        fail(_("{what}: {parts}; the others ({right}) are right, so 2 * r is right and what multiplies it is "
               "not: d loss/d p = 2 * r * d y_hat/d p, and here {features}").format(
                 what=what, parts=parts, right=", ".join(labels[i] for i in range(len(names)) if right[i]),
                 features=", ".join(f"d y_hat/d {names[i]} = {features[i]:g}" for i in wrong)),
             expected=f"{want[wrong[0]].item():.6g}", actual=f"{got[wrong[0]].item():.6g}",
             cause=_("wrong factor in {grad}").format(grad=labels[wrong[0]]))
    s = got[-1].item()  # d loss/d b = (d loss/d y_hat) * 1
    implied = got / s if abs(s) > 1e-12 else None
    if implied is not None and torch.allclose(implied, f, atol=atol, rtol=rtol):
        if by_hand:
            fail(_("{what}: every gradient is off, and all by the same factor: they are 2 * r * ({features}) with "
                   "r = {r_got:.6g}, but r = y_hat - y = {r:.6g} here; the chain-rule factors are right, the "
                   "residual is wrong: recompute r = y_hat - y from the model").format(
                       what=what, features=", ".join(f"{v:g}" for v in features), r_got=s / 2, r=r),
                 expected=f"r = {r:.6g}", actual=f"r = {s / 2:.6g}", cause=_("wrong residual"))
        fail(_("{what}: every gradient is off, and all by the same factor: d loss/d y_hat is {s:.6g}, but for the "
               "loss (y_hat - y) ** 2 it is 2 * (y_hat - y) = {want:.6g}; the model's terms are right, the loss "
               "around them is not: l = (y_hat - y) ** 2").format(what=what, s=s, want=2 * r),
             expected=f"{2 * r:.6g}", actual=f"{s:.6g}", cause=_("wrong loss"))
    if implied is not None and len(names) > 2:
        ok = torch.isclose(implied, f, atol=atol, rtol=rtol)
        odd = [i for i in range(len(names) - 1) if not ok[i]]
        if len(odd) == 1:
            i = odd[0]
        elif len(odd) == len(names) - 1 and torch.allclose(got[:-1] / got[0], f[:-1] / f[0], atol=atol, rtol=rtol):
            i = len(names) - 1  # the others agree among themselves: b is the odd one
        else:
            i = None
        if i is not None:
            j = len(names) - 1 if i != len(names) - 1 else 0
            fail(_("{what}: {grad} is out of proportion with the others: {grad} / d loss/d {other} should be "
                   "{ratio:.6g} (d y_hat/d {p} = {fp:g}, d y_hat/d {other} = {fo:g}), it is {got:.6g}; the term of "
                   "{p} in y_hat = w1 * x**2 + w2 * x + b is wrong").format(
                       what=what, grad=labels[i], other=names[j], ratio=(f[i] / f[j]).item(), p=names[i],
                       fp=features[i], fo=features[j], got=(got[i] / got[j]).item()),
                 expected=f"{want[i].item():.6g}", actual=f"{got[i].item():.6g}",
                 cause=_("wrong term of {p}").format(p=names[i]))
    expect_close_or_mistake(got, want, what, mistakes, atol=atol, rtol=rtol)


def _judge_cases(cases, names, *, by_hand=True, atol=1e-9, rtol=1e-4):
    """``_judge_grads`` for every case, ``cases``: (got, want, r, features, what, mistakes), the mistakes in the
    same order in every case.  A mistake is named only where it explains every case (one case alone can match
    a mistake by coincidence: a wrong term that happens to halve r there)."""
    close = lambda a, b: a.shape == b.shape and bool(torch.allclose(a, torch.as_tensor(b, dtype=torch.float64),
                                                                     atol=atol, rtol=rtol))
    n = len(cases[0][5])
    everywhere = [k for k in range(n) if all(close(got, Mistake(*mistakes[k]).result)
                                             for got, _w, _r, _f, _what, mistakes in cases)]
    for got, want, r, features, what, mistakes in cases:
        _judge_grads(got, want, r, features, names, what, [mistakes[k] for k in everywhere], by_hand=by_hand,
                     atol=atol, rtol=rtol)


AFFINE_CASES = [(1.0, 2.0, 1.0, 0.0), (2.0, 4.0, 1.0, 1.0), (-1.5, 0.5, 0.3, -0.7), (3.0, -2.0, -1.2, 0.4)]
QUADRATIC_CASES = [(2.0, 4.0, 1.0, 1.0, 1.0), (-1.5, 0.5, 0.3, -0.7, 0.2), (3.0, 10.0, -0.4, 1.1, 0.0),
                   (0.5, -1.0, 2.0, 0.0, -0.3)]


def test_affine_grads_by_hand(learner):
    """affine_grads_by_hand(x, y, w, b) equals autograd's (d loss/d w, d loss/d b) for (w*x + b - y)**2 at several points, negative x included."""
    cases = []
    for x, y, w, b in AFFINE_CASES:
        what = f"affine_grads_by_hand({x}, {y}, {w}, {b})"
        got = _numbers(learner.call("affine_grads_by_hand", x, y, w, b), 2, what)
        want = _autograd(lambda w_, b_: (w_ * x + b_ - y) ** 2, w, b)
        r = w * x + b - y
        cases.append((got, want, r, (x, 1.0), what, (
            (torch.tensor([2 * r * x, 2 * r * x], dtype=torch.float64),
             _("d loss/d b has a factor x it should not have: d(w*x + b)/db = 1, so d loss/d b = 2 * (w*x + b - y)"),
             _("x in d loss/d b")),
            (want / 2, _("both are half of autograd's: the derivative of r**2 is 2 * r"), _("missing factor 2")),
            (-want, _("the signs are flipped: with r = w*x + b - y, d loss/d w = 2 * r * x"), _("wrong sign")),
            (want.flip(0), _("the two gradients are swapped: return (d loss/d w, d loss/d b)"), _("swapped")))))
    _judge_cases(cases, ("w", "b"))


def test_quadratic_grads_by_hand(learner):
    """quadratic_grads_by_hand(x, y, w1, w2, b) equals autograd's (d loss/d w1, d loss/d w2, d loss/d b) for (w1*x**2 + w2*x + b - y)**2 at several points."""
    cases = []
    for x, y, w1, w2, b in QUADRATIC_CASES:
        what = f"quadratic_grads_by_hand({x}, {y}, {w1}, {w2}, {b})"
        got = _numbers(learner.call("quadratic_grads_by_hand", x, y, w1, w2, b), 3, what)
        want = _autograd(lambda a, c, d: (a * x ** 2 + c * x + d - y) ** 2, w1, w2, b)
        r = w1 * x ** 2 + w2 * x + b - y
        cases.append((got, want, r, (x ** 2, x, 1.0), what, (
            (torch.tensor([2 * r * x, 2 * r * x, 2 * r], dtype=torch.float64),
             _("d loss/d w1 must carry x ** 2 (d(w1 * x**2)/dw1 = x**2), not x"), _("x for x ** 2")),
            (want / 2, _("all are half of autograd's: the derivative of r**2 is 2 * r"), _("missing factor 2")),
            (want.flip(0), _("the three gradients are in reverse order: return (d loss/d w1, d loss/d w2, d loss/d b)"),
             _("reverse order")))))
    _judge_cases(cases, ("w1", "w2", "b"))


def test_quadratic_grads_autograd(learner):
    """quadratic_grads_autograd(x, y, w1, w2, b) returns the three gradients that backward() leaves in .grad, equal to this grader's autograd."""
    cases = []
    for x, y, w1, w2, b in QUADRATIC_CASES:
        what = f"quadratic_grads_autograd({x}, {y}, {w1}, {w2}, {b})"
        got = _numbers(learner.call("quadratic_grads_autograd", x, y, w1, w2, b), 3, what)
        want = _autograd(lambda a, c, d: (a * x ** 2 + c * x + d - y) ** 2, w1, w2, b)
        r = w1 * x ** 2 + w2 * x + b - y
        f = torch.tensor([x ** 2, x, 1.0], dtype=torch.float64)
        mistakes = (
            (2 * want, _("each gradient is twice autograd's: backward() ran twice without zeroing .grad"),
             _("backward twice")),
            (f, _("the loss is not squared: it is r = y_hat - y itself; l = (y_hat - y) ** 2"), _("loss not squared")),
            (2 * f, _("the loss is doubled (* 2), not squared: l = (y_hat - y) ** 2"), _("doubled, not squared")),
            (3 * r ** 2 * f, _("the loss is cubed; square it: l = (y_hat - y) ** 2"), _("cubed, not squared")),
            (2 * (r + 2 * y) * f, _("the error is y_hat + y; subtract the target: l = (y_hat - y) ** 2"),
             _("error sign")))
        cases.append((got, want, r, (x ** 2, x, 1.0), what, mistakes))
    # autograd in float32 (the lecture's tensors): within its rounding
    _judge_cases(cases, ("w1", "w2", "b"), by_hand=False, atol=1e-4, rtol=1e-5)


def _sigmoid(learner):
    x = torch.tensor([[-20.0, -3.0, -1.0, -0.25], [0.0, 0.5, 2.0, 8.0], [1.0, -0.5, 4.0, -6.0]], dtype=torch.float64)
    g = torch.linspace(-1.5, 2.0, 12, dtype=torch.float64).reshape(3, 4)
    got = glue(learner, "sigmoid_probe", x, g, H, where=_("Sigmoid (sigmoid_function.py)"))
    return x, g, got


def test_sigmoid_forward(learner):
    """Sigmoid.apply(x) on a float64 (3, 4) tensor equals 1 / (1 + exp(-x)) and stays float64."""
    x, _unused, got = _sigmoid(learner)
    out = expect_shape(got["out"], (3, 4), _("Sigmoid.apply(x) for x of shape (3, 4)"))
    if out.dtype != torch.float64:
        fail(_("Sigmoid.apply(x) for a float64 x returned {dtype}: compute in the input's dtype (1 / (1 "
               "+ torch.exp(-x)) keeps it)").format(dtype=out.dtype))
    what = _("Sigmoid.apply(x) in float64")
    want = torch.sigmoid(x)
    if not torch.allclose(out, want, atol=1e-12, rtol=1e-10):
        e = torch.exp(-x)
        close = lambda a: bool(torch.allclose(out, a, atol=1e-12, rtol=1e-10))
        for wrong, message, cause in (
                (1 + e, _("it is 1 + exp(-x), the denominator: the sigmoid is its reciprocal, 1 / (1 + torch.exp(-x))"),
                 _("reciprocal missing")),
                (1 / (1 - e), _("the denominator is 1 - exp(-x); it is 1 + exp(-x): 1 / (1 + torch.exp(-x))"),
                 _("minus in the denominator")),
                (torch.sigmoid(-x), _("it is sigmoid(-x): the exponent's sign is flipped; 1 / (1 + torch.exp(-x))"),
                 _("sign of the exponent")),
                (1 / e, _("it is 1 / exp(-x) = exp(x): the 1 + is missing in the denominator, 1 / (1 + torch.exp(-x))"),
                 _("1 + missing"))):
            if close(wrong):
                fail(_("{what}: {message}").format(what=what, message=message), cause=cause,
                     expected=f"{want[0, 0].item():.6g}", actual=f"{out[0, 0].item():.6g}")
        if bool((out == 0).all()):
            fail(_("{what}: every value is 0; a sigmoid lies strictly between 0 and 1: with true division, "
                   "1 / (1 + torch.exp(-x)) (the numerator 1, not 0 or //)").format(what=what),
                 cause=_("all zeros"), expected="0.5 at x = 0", actual="0")
        k = (out / want).flatten()
        if torch.allclose(k, k[0].expand_as(k), rtol=1e-9, atol=0):
            fail(_("{what}: it is {k:.4g} times the sigmoid everywhere: the numerator is 1, "
                   "1 / (1 + torch.exp(-x))").format(what=what, k=k[0].item()),
                 cause=_("wrong numerator"), expected="0.5 at x = 0", actual=f"{out[1, 0].item():.6g} at x = 0")
        at0 = out[1, 0].item()  # x[1, 0] = 0
        if abs(at0 - 0.5) > 1e-9:
            fail(_("{what}: at x = 0 it gives {at0:.6g}, while 1 / (1 + exp(0)) = 0.5; from there, compare each part "
                   "of your formula with 1 / (1 + torch.exp(-x))").format(what=what, at0=at0),
                 cause=_("wrong value at 0"), expected="0.5", actual=f"{at0:.6g}")
    expect_close(out, want, what, atol=1e-12, rtol=1e-10)


def test_sigmoid_backward(learner):
    """Sigmoid's backward, checked in float64 with an upstream gradient g: x.grad equals g times the central differences (f(x+h) - f(x-h)) / 2h of the forward, i.e. g * y * (1 - y)."""
    x, g, got = _sigmoid(learner)
    if got["connected"] is not True:
        fail(_("Sigmoid.apply(x) is not connected to x in the graph: return the output tensor from "
               "forward"))
    if got["grad"] is None:
        fail(_("after backward, x.grad is None: backward must return the gradient with respect to x"))
    grad = expect_dtype(expect_shape(got["grad"], (3, 4), _("x.grad after Sigmoid.apply(x).backward(g)")),
                        torch.float64, _("x.grad after Sigmoid.apply(x).backward(g)"))
    plus = expect_dtype(expect_shape(got["plus"], (3, 4), "Sigmoid.apply(x + h)"), torch.float64, "Sigmoid.apply(x + h)")
    minus = expect_dtype(expect_shape(got["minus"], (3, 4), "Sigmoid.apply(x - h)"), torch.float64, "Sigmoid.apply(x - h)")
    central = (plus - minus) / (2 * H)
    s = torch.sigmoid(x)
    mistakes = (
        (central, _("backward ignored grad_output: by the chain rule return grad_output * y * (1 - y)"),
         _("grad_output ignored")),
        (g * s, _("the factor (1 - y) is missing: sigmoid'(x) = y * (1 - y)"), _("missing (1 - y)")),
        (g * x * (1 - x), _("the derivative was taken at the input x; it is y * (1 - y) with y = sigmoid(x), "
                            "the OUTPUT: save y in forward with ctx.save_for_backward(y)"), _("derivative at the input")),
        (g * s / (1 - s), _("it is grad_output * y / (1 - y): multiply by (1 - y), grad_output * y * (1 - y)"),
         _("divides by (1 - y)")),
        (g / s * (1 - s), _("it is grad_output / y * (1 - y): multiply by y, grad_output * y * (1 - y)"),
         _("divides by y")),
        (g * s * (1 + s), _("it is y * (1 + y): sigmoid'(x) = y * (1 - y), with a minus"), _("(1 + y)")))
    close = lambda a: bool(torch.allclose(grad, a, atol=1e-8, rtol=1e-6))
    if not close(g * central) and not close(g * s * (1 - s)) and not any(close(m[0]) for m in mistakes):
        local = grad / g  # g has no zero: the local derivative the learner's backward used
        if bool((local < 0).any()):
            i = tuple(int(v) for v in divmod(int(local.argmin()), local.shape[1]))
            fail(_("x.grad / grad_output, your backward's sigmoid'(x), is negative ({v:.4g} at x = {x:g}); "
                   "sigmoid'(x) = y * (1 - y) is positive everywhere, since 0 < y < 1").format(
                       v=local[i].item(), x=x[i].item()), cause=_("negative derivative"),
                 expected=f"{(s * (1 - s))[i].item():.6g}", actual=f"{local[i].item():.6g}")
        if bool((local > 0.25 + 1e-9).any()):
            i = tuple(int(v) for v in divmod(int(local.argmax()), local.shape[1]))
            fail(_("x.grad / grad_output, your backward's sigmoid'(x), is {v:.4g} at x = {x:g}; sigmoid'(x) = "
                   "y * (1 - y) is at most 0.25 (at x = 0)").format(v=local[i].item(), x=x[i].item()),
                 cause=_("derivative above 0.25"), expected=f"{(s * (1 - s))[i].item():.6g}",
                 actual=f"{local[i].item():.6g}")
    expect_close_or_mistake(grad, g * central, _("x.grad against g * central differences of your forward"), mistakes,
                            atol=1e-8, rtol=1e-6)
    expect_close(grad, g * s * (1 - s), _("x.grad against g * y * (1 - y)"), atol=1e-10, rtol=1e-8)
