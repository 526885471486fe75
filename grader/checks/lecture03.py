"""Hidden checks of lecture 03, gradient descent by hand.

The reference is simulated here in float64 from the closed-form gradient of the
mean squared error; known mistakes (a missing factor 2, a sum for the mean, the
wrong sign, a stale w in SGD, ...) are simulated too, so a wrong answer that
matches one of them is named.  A second data set catches code that reads the
slide's x_data and y_data instead of its arguments.
"""

import math

import torch

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import CheckFailed, Mistake, expect_close_or_mistake, expect_near, expect_number, fail

X = torch.tensor([1.0, 2.0, 3.0])
Y = torch.tensor([2.0, 4.0, 6.0])
X2 = torch.tensor([0.5, -1.0, 2.0, 3.0])
Y2 = torch.tensor([1.0, -2.5, 3.5, 7.0])
DATA2 = "x = [0.5, -1, 2, 3], y = [1, -2.5, 3.5, 7]"


# errors the lecture's slips raise, recognised before the shared table (grader.diagnose)
MISTAKES = [
    (r"raised TypeError: 'float' object is not iterable",
     N_("a float arrived where the samples x or y are expected (zip(x, y) loops over them): check the order of the "
        "arguments, sgd_epoch(x, y, w, lr) and gd_epoch(x, y, w, lr) take x and y first, then w and lr")),
]


def _cost(x, y, w):
    return ((x.double() * w - y.double()) ** 2).mean().item()


def _grad(x, y, w):
    x, y = x.double(), y.double()
    return (2 * x * (x * w - y)).mean().item()


def _sample_grad(xi, yi, w):
    return 2 * xi * (xi * w - yi)


def _descend(w, lr, g):
    return w - lr * g


def _sgd(x, y, w, lr, stale=False, grad=_sample_grad, step=_descend):
    """One SGD epoch; ``grad(x_i, y_i, w)`` and ``step(w, lr, g)`` may be a mistake's."""
    w0 = w
    for xi, yi in zip(x.double().tolist(), y.double().tolist()):
        w = step(w, lr, grad(xi, yi, w0 if stale else w))
    return w


def _gd(x, y, w, lr):
    return w - lr * _grad(x, y, w)


def _train(x, y, w, lr, epochs, stochastic=False, after=False, epoch=None, cost=_cost, frozen=False):
    """train's reference; ``epoch(x, y, w, lr)`` and ``cost(x, y, w)`` may be a mistake's, ``frozen``: w never
    reassigned."""
    epoch = epoch or (_sgd if stochastic else _gd)
    history = []
    for _unused in range(epochs):
        if not after:
            history.append(cost(x, y, w))
        new_w = epoch(x, y, w, lr)
        w = w if frozen else new_w
        if after:
            history.append(cost(x, y, w))
    return w, history


def _number(learner, what, *args):
    # the lecture's functions take and return Python floats (w, the cost, the gradient, the new w)
    return torch.tensor(expect_number(learner.call(*args), what, python=True), dtype=torch.float64)


def _expect(value, want, what, mistakes=(), tol=1e-4):
    """``mistakes``: (what the mistake computes, its message, its short name), the numbers in float64."""
    expect_close_or_mistake(value, torch.tensor(want, dtype=torch.float64), what,
                            [Mistake(torch.tensor(r, dtype=torch.float64), m, cause) for r, m, cause in mistakes],
                            atol=tol, rtol=1e-5)


def _case(*args, **kwargs):
    return args, kwargs


def _expect_cases(cases):
    """``_expect`` for each of ``cases`` ((args, kwargs) of ``_expect``, the mistakes in the same order in every
    case), naming only the mistakes that explain every case: one case alone can match a mistake by coincidence."""
    close = lambda value, r, tol: abs(value.item() - r) <= tol + 1e-5 * abs(r)
    n = len(cases[0][0][3])
    everywhere = [k for k in range(n)
                  if all(close(args[0], args[3][k][0], kwargs.get("tol", 1e-4)) for args, kwargs in cases)]
    for (value, want, what, mistakes), kwargs in cases:
        _expect(value, want, what, [mistakes[k] for k in everywhere], **kwargs)


def test_cost_value(learner):
    """cost(x, y, w) is the mean squared error: 4.667 on the slide's data at w = 1, and the MSE of other data."""
    cases = []
    for x, y, w, name in ((X, Y, 1.0, _("the slide's data")), (X2, Y2, 0.7, DATA2)):
        what = _("cost(x, y, {w}) on {name}").format(w=w, name=name)
        err = x.double() * w - y.double()
        cases.append(_case(_number(learner, what, "cost", x, y, w), _cost(x, y, w), what,
                (((err ** 2).sum().item(), _("that is the SUM of squared errors; the cost is their mean"),
                  _("sum, not mean")),
                 (err.mean().item(), _("the errors are not squared: (x * w - y) ** 2"), _("errors not squared")),
                 ((err * 2).mean().item(), _("the errors are doubled (* 2), not squared: (x * w - y) ** 2"),
                  _("doubled, not squared")),
                 ((err ** 3).mean().item(), _("the errors are cubed; square them: (x * w - y) ** 2"),
                  _("cubed, not squared")),
                 (((x.double() * w + y.double()) ** 2).mean().item(),
                  _("the error is x * w + y; subtract the target: (x * w - y) ** 2"), _("error sign")),
                 (((x.double() / w - y.double()) ** 2).mean().item(),
                  _("the prediction divides x by w; the model multiplies: predict(x, w) = x * w"), _("divides by w")))))
    _expect_cases(cases)


def _scale(got, want):
    """The one factor k with got = k * want in every case (want != 0 somewhere, got = 0 where want = 0), or None."""
    k = next((g / v for g, v in zip(got, want) if abs(v) > 1e-9), None)
    if k is None or abs(k - 1) < 1e-4 or not all(abs(g - k * v) <= 1e-4 * max(1.0, abs(k * v)) for g, v in zip(got, want)):
        return None
    return k


def test_gradient_values(learner):
    """gradient(x, y, w) is d(cost)/dw = mean of 2 * x * (x * w - y): -9.333, 0 and 9.333 at w = 1, 2, 3 on the slide's data, and the same formula on other data."""
    cases = [(X, Y, w, _("the slide's data")) for w in (1.0, 2.0, 3.0)] + [(X2, Y2, 0.7, DATA2)]
    whats = [_("gradient(x, y, {w}) on {name}").format(w=w, name=name) for x, y, w, name in cases]
    got = [_number(learner, what, "gradient", x, y, w) for (x, y, w, name), what in zip(cases, whats)]
    k = _scale([g.item() for g in got], [_grad(x, y, w) for x, y, w, name in cases])
    judged = []
    for (x, y, w, name), what, value in zip(cases, whats, got):
        want = _grad(x, y, w)
        xd, yd = x.double(), y.double()
        scaled = () if k is None else (
            (k * want, _("it is {k:.4g} times the right gradient on every input: a constant factor is wrong; the "
                         "derivative of (x*w - y)**2 is 2 * x * (x*w - y), with the factor 2").format(k=k),
             _("wrong constant factor")),)
        judged.append(_case(value, want, what,
                ((want / 2, _("it is half the gradient: the derivative of (x*w - y)**2 brings down a factor 2"),
                  _("missing factor 2")),
                 (want * len(x), _("that is the SUM over the samples; the cost is a mean, so is its gradient"),
                  _("sum, not mean")),
                 (-want, _("the sign is wrong: the derivative of (x*w - y)**2 is 2 * x * (x*w - y); "
                           "with (y - x*w) inside, the gradient points the other way"), _("wrong sign")),
                 ((2 * (xd * w - yd)).mean().item(), _("the factor x is missing: by the chain rule "
                                                       "d(x*w - y)/dw = x, so the gradient is 2 * x * (x*w - y)"),
                  _("missing factor x")),
                 ((2 / xd * (xd * w - yd)).mean().item(), _("x divides; by the chain rule d(x*w - y)/dw = x "
                                                            "multiplies: 2 * x * (x*w - y)"), _("divides by x")),
                 ((2 * xd * (xd * w + yd)).mean().item(), _("the error is x*w + y; subtract the target: "
                                                            "2 * x * (x*w - y)"), _("error sign")),
                 ((2 * xd * (xd / w - yd)).mean().item(), _("the prediction divides x by w; the model multiplies, "
                                                            "y_hat = x * w: 2 * x * (x*w - y)"), _("divides by w")))
                + scaled))
    _expect_cases(judged)


def test_gd_first_epoch(learner):
    """gd_epoch(x, y, w, lr) makes one batch update w - lr * gradient: from w = 1 with lr = 0.01 the slide's first epoch gives w = 1.0933."""
    cases = []
    for x, y, w, lr, name in ((X, Y, 1.0, 0.01, _("the slide's data")), (X2, Y2, 0.7, 0.05, DATA2)):
        what = _("gd_epoch(x, y, {w}, {lr}) on {name}").format(w=w, lr=lr, name=name)
        g = _grad(x, y, w)
        cases.append(_case(_number(learner, what, "gd_epoch", x, y, w, lr), w - lr * g, what,
                ((w + lr * g, _("w moved uphill: gradient DEscent subtracts, w - lr * gradient"), _("uphill")),
                 (w - g, _("the learning rate is missing: w - lr * gradient"), _("missing learning rate")),
                 (w - lr / g if g else math.inf,
                  _("the learning rate is divided by the gradient; multiply: w - lr * gradient(x, y, w)"),
                  _("lr / gradient")),
                 (_gd(y, x, w, lr), _("x and y are swapped in the call; gradient(x, y, w) takes the inputs first, "
                                      "then the targets"), _("x and y swapped")),
                 (w - lr * (2 * x.double() * (x.double() * y.double() - w)).mean().item(),
                  _("w and y are swapped in the call; gradient(x, y, w) takes w last"), _("w and y swapped"))),
                tol=1e-5))
    _expect_cases(cases)


def test_sgd_epoch_per_sample(learner):
    """sgd_epoch(x, y, w, lr) updates w after each sample with that sample's gradient at the current w: from w = 1 with lr = 0.01 on the slide's data, w = 1.2607."""
    cases = []
    for x, y, w, lr, name in ((X, Y, 1.0, 0.01, _("the slide's data")), (X2, Y2, 0.7, 0.05, DATA2)):
        what = _("sgd_epoch(x, y, {w}, {lr}) on {name}").format(w=w, lr=lr, name=name)
        cases.append(_case(_number(learner, what, "sgd_epoch", x, y, w, lr), _sgd(x, y, w, lr), what,
                ((w - lr * _grad(x, y, w), _("that is one batch update with the mean gradient; SGD makes one update "
                                             "for each sample, with the gradient of that sample alone"), _("batch update")),
                 (_sgd(x, y, w, lr, stale=True), _("every sample's gradient was taken at the starting w; update w "
                                                   "after each sample so the next gradient uses the current w"),
                  _("stale w")),
                 (w, _("w came back unchanged: assign each update, w = w - lr * grad, inside the loop"),
                  _("w never updated")),
                 (_sgd(y, x, w, lr), _("x and y are swapped; zip(x, y) gives each sample's x_i, then its y_i"),
                  _("x and y swapped")),
                 (_sgd(x, y, w, lr, step=lambda w_, lr_, g: w_ + lr_ * g),
                  _("w moved uphill: descent subtracts, w = w - lr * grad"), _("uphill")),
                 (_sgd(x, y, w, lr, step=lambda w_, lr_, g: w_ - lr_ / g if g else math.inf),
                  _("the learning rate is divided by the gradient; multiply: w = w - lr * grad"), _("lr / gradient")),
                 (_sgd(x, y, w, lr, grad=lambda xi, yi, w_: xi * (xi * w_ - yi)),
                  _("each sample's gradient lacks the factor 2: 2 * x_i * (x_i * w - y_i)"), _("missing factor 2")),
                 (_sgd(x, y, w, lr, grad=lambda xi, yi, w_: 2 / xi * (xi * w_ - yi)),
                  _("x_i divides; by the chain rule it multiplies: 2 * x_i * (x_i * w - y_i)"), _("divides by x")),
                 (_sgd(x, y, w, lr, grad=lambda xi, yi, w_: 2 * xi * (xi * w_ + yi)),
                  _("the error is x_i * w + y_i; subtract the target: 2 * x_i * (x_i * w - y_i)"), _("error sign")),
                 (_sgd(x, y, w, lr, grad=lambda xi, yi, w_: 2 * xi * (xi / w_ - yi)),
                  _("the prediction divides x_i by w; the model multiplies: 2 * x_i * (x_i * w - y_i)"),
                  _("divides by w"))),
                tol=1e-5))
    try:
        _expect_cases(cases)
    except CheckFailed as failure:
        if failure.cause:
            raise
        _one_sample(learner)  # no known mistake: is it the sample's gradient, or the loop over the samples?
        raise



def _one_sample(learner):
    """sgd_epoch on ONE sample makes one update, w - lr * 2 * x_i * (x_i * w - y_i): from w = 0.5 with lr = 0.1 on
    x = [2], y = [3], a step of +0.8 (gradient -8).  Fails saying whether that update is wrong, or the loop."""
    what = _("sgd_epoch(x, y, 0.5, 0.1) with the one sample x = [2], y = [3]")
    out = _number(learner, what, "sgd_epoch", torch.tensor([2.0]), torch.tensor([3.0]), 0.5, 0.1).item()
    step, want = out - 0.5, 0.8
    if step == 0:
        fail(_("{what} returns w unchanged, 0.5: no update was made for that sample; the loop must visit every "
               "sample, for x_i, y_i in zip(x, y)").format(what=what), expected="1.3", actual="0.5",
             cause=_("a sample skipped"))
    if abs(step - want) > 1e-5:
        fail(_("{what} returns {out:.6g}, a step of {step:.4g} ({k:.4g} times the right step): one update "
               "w - lr * 2 * x_i * (x_i * w - y_i) = 0.5 - 0.1 * (-8) gives 1.3; the single sample's update is "
               "wrong, check its gradient 2 * x_i * (x_i * w - y_i) and the step w - lr * grad").format(
                   what=what, out=out, step=step, k=step / want),
             expected="1.3", actual=f"{out:.6g}", cause=_("wrong per-sample update"))
    fail(_("with one sample, sgd_epoch makes the right update (0.5 -> 1.3), but with several samples the result "
           "is wrong: the loop over the samples is at fault; update w once per sample, in order, each gradient at "
           "the w the previous update left"), cause=_("loop over the samples"))

def _history(learner, what, got, epochs):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(_("{what} must return (w, history)").format(what=what))
    w, history = got
    if not isinstance(history, list) or len(history) != epochs:
        n = len(history) if isinstance(history, list) else type(history).__name__
        fail(_("{what} returned a history of {n} costs; expected a list of one float per epoch, {epochs}").format(what=what, n=n, epochs=epochs))
    return (expect_number(w, _("the w of {what}").format(what=what), python=True),
            [expect_number(v, _("cost {i} of {what}").format(i=i, what=what), python=True) for i, v in enumerate(history)])


def test_train_history(learner):
    """train(x, y, w, lr, epochs, stochastic) returns the final w and the cost at the START of each epoch (4.667, 3.836, 3.154 for batch GD from w = 1, lr = 0.01); stochastic=True runs SGD epochs."""
    for stochastic in (False, True):
        what = f"train(x_data, y_data, 1.0, 0.01, 3, stochastic={stochastic})"
        w, hist = _history(learner, what, learner.call("train", X, Y, 1.0, 0.01, 3, stochastic=stochastic), 3)
        want_w, want_h = _train(X, Y, 1.0, 0.01, 3, stochastic)
        _unused, after_h = _train(X, Y, 1.0, 0.01, 3, stochastic, after=True)
        other_w, other_h = _train(X, Y, 1.0, 0.01, 3, not stochastic)
        wrong_mode = _("that is what {mode} gives: with stochastic={stochastic} use {function}").format(
            mode=_("batch GD") if stochastic else "SGD", stochastic=stochastic,
            function="sgd_epoch" if stochastic else "gd_epoch")
        function = "sgd_epoch" if stochastic else "gd_epoch"
        epoch = _sgd if stochastic else _gd
        # (the mistake's w and history, its message, its short name)
        slips = [
            (_train(X, Y, 1.0, 0.01, 3, stochastic, frozen=True),
             _("w never changes from epoch to epoch: assign the new w, w = {function}(x, y, w, lr)").format(
                 function=function), _("w never updated")),
            (_train(X, Y, 1.0, 0.01, 3, stochastic, cost=lambda x, y, w_: _cost(y, x, w_)),
             _("the costs are cost(y, x, w): x and y are swapped in the call; cost(x, y, w)"), _("x and y swapped")),
            (_train(X, Y, 1.0, 0.01, 3, stochastic, cost=lambda x, y, w_: ((x.double() * y.double() - w_) ** 2).mean().item()),
             _("the costs are cost(x, w, y): w and y are swapped in the call; cost(x, y, w)"), _("w and y swapped")),
            (_train(X, Y, 1.0, 0.01, 3, stochastic, epoch=lambda x, y, w_, lr: epoch(y, x, w_, lr)),
             _("x and y are swapped in the call to {function}; {function}(x, y, w, lr)").format(function=function),
             _("x and y swapped")),
            (_train(X, Y, 1.0, 0.01, 3, stochastic, epoch=lambda x, y, w_, lr: epoch(x, y, lr, w_)),
             _("w and lr are swapped in the call to {function}; {function}(x, y, w, lr)").format(function=function),
             _("w and lr swapped"))]
        _expect(torch.tensor(hist, dtype=torch.float64), want_h, _("the history of {what}").format(what=what),
                ((after_h, _("the costs were recorded after each update; record the cost at the START of the "
                             "epoch, before w changes (the slide's epoch 0 shows loss 4.667 at w = 1)"),
                  _("recorded after the update")),
                 (other_h, wrong_mode, _("stochastic ignored")),
                 *[(h, message, cause) for (_w, h), message, cause in slips]))
        _expect(torch.tensor(w, dtype=torch.float64), want_w, _("the w of {what}").format(what=what),
                ((other_w, wrong_mode, _("stochastic ignored")),
                 *[(w_, message, cause) for (w_, _h), message, cause in slips]), tol=1e-5)


def test_converges_to_two(learner):
    """Batch GD and SGD on the slide's data from w = 1 with lr = 0.01 reach w = 2.000 in 100 epochs, and predict(4, w) = 8.00."""
    for stochastic in (False, True):
        what = f"train(x_data, y_data, 1.0, 0.01, 100, stochastic={stochastic})"
        w, _unused = _history(learner, what, learner.call("train", X, Y, 1.0, 0.01, 100, stochastic=stochastic), 100)
        expect_near(w, 2.0, 1e-3, _("w after {what}").format(what=what))
        expect_near(learner.call("predict", 4.0, w), 8.0, 0.005, _("predict(4.0, w) after {what}").format(what=what))
