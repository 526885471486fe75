"""Hidden checks of lecture 02, the linear model and the search over w (and b).

Expected values are computed here from the formulas (float32, as the learner's
code computes them); besides the slide's data, a second data set (y = 1.5x + 1)
catches code that reads the slide's x_data and y_data instead of its arguments.
"""

import torch

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (expect_close, expect_close_or_mistake, expect_near, expect_number, expect_shape,
                               expect_tensor, fail)

X = torch.tensor([1.0, 2.0, 3.0])
Y = torch.tensor([2.0, 4.0, 6.0])
X2 = torch.tensor([1.0, 2.0, 3.0, 4.0])
Y2 = torch.tensor([2.5, 4.0, 5.5, 7.0])       # y = 1.5 x + 1
WS = torch.arange(0.0, 4.1, 0.1)              # the lecture's grid: 41 weights
BS = torch.arange(-2.0, 2.05, 0.25)           # 17 biases, so a (w, b) mix-up cannot go unseen
BS_LONG = torch.arange(-3.0, 3.05, 0.1)       # 61 biases: a row index computed with the wrong size stays in range
SLIDE = N_("the slide's data")                # compared in English, shown translated: _(name)
DATA2 = "x = [1, 2, 3, 4], y = [2.5, 4, 5.5, 7]"


def _mse(x, y, w, b=0.0):
    return ((x * w + b - y) ** 2).mean()


def _surface(x, y, ws, bs):
    W, B = torch.meshgrid(ws, bs, indexing="ij")
    return ((x[:, None, None] * W + B - y[:, None, None]) ** 2).mean(dim=0)


def _forward_mistakes(x, w, b):
    return ((x / w + b, _("x is divided by w; the model multiplies: x * w + b"), _("divides by w")),
            (x * w - b, _("the bias is subtracted; add it: x * w + b"), _("bias subtracted")))


def _mse_mistakes(x, y, w, b):
    """What mse(x, y, w, b) computes with the plausible slips, beside the named ones of the check."""
    err = x * w + b - y
    return ((((x * w + b + y) ** 2).mean(), _("the error is y_hat + y; subtract the target: (y_hat - y) ** 2"),
             _("error sign")),
            ((err * 2).mean(), _("the errors are doubled (* 2), not squared: (y_hat - y) ** 2"), _("doubled, not squared")),
            ((err ** 3).mean(), _("the errors are cubed; square them: (y_hat - y) ** 2"), _("cubed, not squared")),
            (((x * b + w - y) ** 2).mean(), _("w and b are swapped in the call: forward(x, w, b)"), _("w and b swapped")))


def test_forward_values(learner):
    """forward(x, w, b) is x * w + b element by element: on a tensor of samples, with b left at 0 and given, and for one sample against (w, b) grids."""
    got = learner.call("forward", X, 2.0)
    expect_close_or_mistake(got, X * 2.0, _("forward(x, 2.0) with x = [1, 2, 3]"), _forward_mistakes(X, 2.0, 0.0))
    got = learner.call("forward", X2, 1.5, 1.0)
    if isinstance(got, torch.Tensor) and got.shape == X2.shape and torch.allclose(got, X2 * 1.5):
        fail(_("forward(x, 1.5, 1.0) returned x * w: the bias b is ignored; return x * w + b"))
    expect_close_or_mistake(got, X2 * 1.5 + 1.0, _("forward(x, 1.5, 1.0) with x = [1, 2, 3, 4]"),
                            _forward_mistakes(X2, 1.5, 1.0))
    W, B = torch.meshgrid(WS[:4], BS[:3], indexing="ij")
    expect_close(learner.call("forward", torch.tensor(2.0), W, B), 2.0 * W + B,
                 _("forward(2.0, W, B) with W, B of shape (4, 3) from meshgrid"))


def test_mse_slide_values(learner):
    """mse(x, y, w) on the slide's data is 18.667, 4.667, 0, 4.667, 18.667 at w = 0, 1, 2, 3, 4; with a bias, mse(x, y, w, b) on other data matches the mean of squared errors."""
    cases = [(X, Y, float(w), 0.0, f"mse(x_data, y_data, {w})") for w in range(5)]
    cases.append((X2, Y2, 1.0, 0.5, "mse(x, y, 1.0, 0.5) with x = [1, 2, 3, 4], y = [2.5, 4, 5.5, 7]"))
    for x, y, w, b, what in cases:
        value = expect_number(learner.call("mse", x, y, w, b), what)
        err = x * w + b - y
        mistakes = (((err ** 2).sum(), _("that is the SUM of the squared errors; the MSE divides by the number of "
                                         "samples: take .mean()"), _("sum, not mean")),
                    ((err ** 2).mean().sqrt(), _("that is the square root of the MSE (RMSE); do not take the root"),
                     _("RMSE")),
                    (err.mean() ** 2, _("that squares the mean error; square each error first, then take the mean"),
                     _("mean squared before")),
                    (err.abs().mean(), _("that is the mean absolute error; square the errors"), _("absolute error")),
                    (err.mean(), _("the errors are not squared: (y_hat - y) ** 2"), _("errors not squared"))) + \
            _mse_mistakes(x, y, w, b)
        expect_close_or_mistake(torch.tensor(value), _mse(x, y, w, b), what, mistakes, atol=1e-4)


def test_w_grid_values(learner):
    """w_grid() is the lecture's 41 weights 0.0, 0.1, ..., 4.0, with 4.0 included."""
    got = expect_tensor(learner.call("w_grid"), "w_grid()")
    if tuple(got.shape) == (40,):
        fail(_("w_grid() has 40 values and stops at 3.9: arange excludes its end, so write "
               "torch.arange(0.0, 4.1, 0.1)"))
    if got.dim() == 1 and len(got) >= 2 and tuple(got.shape) != (41,):
        first, last, step = got[0].item(), got[-1].item(), (got[1] - got[0]).item()
        wrong = [part for bad, part in (
            (abs(first) > 1e-6, _("it starts at {first:.4g}, not 0.0").format(first=first)),
            (abs(step - 0.1) > 1e-6, _("its step is {step:.4g}, not 0.1").format(step=step)),
            (abs(last - 4.0) > 1e-4, _("it ends at {last:.4g}, not 4.0").format(last=last))) if bad]
        fail(_("w_grid() has {n} values ({wrong}); torch.arange(start, end, step) counts from start in steps of "
               "step and stops BEFORE end: torch.arange(0.0, 4.1, 0.1)").format(n=len(got), wrong="; ".join(wrong)),
             cause=_("wrong grid"))
    expect_shape(got, (41,), "w_grid()")
    expect_close(got, WS, "w_grid()", atol=1e-5)


def test_sweep_costs(learner):
    """sweep(x, y) returns the 41 weights and the MSE at each: 18.667 / 4.667 / 0 at w = 0 / 1 / 2 on the slide's data; on other data, the MSE of that data."""
    for x, y, name in ((X, Y, SLIDE), (X2, Y2, DATA2)):
        got = learner.call("sweep", x, y)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(_("sweep(x, y) must return two tensors: (ws, costs)"))
        ws = expect_shape(got[0], (41,), _("the ws of sweep on {name}").format(name=_(name)))
        expect_close(ws, WS, _("the ws of sweep on {name}").format(name=_(name)), atol=1e-5)
        costs = expect_shape(got[1], (41,), _("the costs of sweep on {name}").format(name=_(name)))
        want = torch.stack([_mse(x, y, w) for w in WS])
        slide = torch.stack([_mse(X, Y, w) for w in WS])
        if name != SLIDE and torch.allclose(costs, slide, atol=1e-4):
            fail(_("sweep(x, y) on new data returned the costs of the slide's data: use the x and y it is "
                   "given, not the globals x_data and y_data"))
        expect_close_or_mistake(costs, want, _("the costs of sweep on {name}").format(name=_(name)),
                                ((want * len(x), _("the costs are the SUM of squared errors; divide by the number "
                                                   "of samples (the slide's l_sum / 3)"), _("sum, not mean")),
                                 (torch.stack([_mse(y, x, w) for w in WS]),
                                  _("x and y are swapped: call mse(x, y, w)"), _("x and y swapped")),
                                 (torch.stack([_mse(x, w, y) for w in WS]),
                                  _("the arguments of mse are out of order: mse(x, y, w)"), _("arguments swapped"))),
                                atol=1e-4)


def test_best_w(learner):
    """best_w(x, y) is the grid weight with the smallest MSE, as a number: 2.0 on the slide's data, 1.8 for y = 1.5x + 1 (no bias in this model)."""
    for x, y, name in ((X, Y, SLIDE), (X2, Y2, DATA2)):
        costs = torch.stack([_mse(x, y, w) for w in WS])
        want = WS[costs.argmin()].item()
        value = expect_number(learner.call("best_w", x, y), _("best_w on {name}").format(name=_(name)), python=True)
        swapped = torch.stack([_mse(y, x, w) for w in WS])
        if abs(value - want) > 1e-4 and abs(value - WS[swapped.argmin()].item()) < 1e-4:
            fail(_("best_w on {name} returned {value:g}, the best w with x and y swapped: call sweep(x, y)").format(
                name=_(name), value=value), cause=_("x and y swapped"))
        if abs(value - costs.argmin().item()) < 1e-6 and abs(value - want) > 1e-3:
            fail(_("best_w on {name} returned {value:g}, the index of the smallest cost; return the weight "
                   "at that index, ws[costs.argmin()] = {want:.1f}").format(name=_(name), value=value, want=want))
        if abs(value - WS[costs.argmax()].item()) < 1e-4:
            fail(_("best_w on {name} returned {value:g}, the weight with the LARGEST cost: use argmin, not "
                   "argmax").format(name=_(name), value=value))
        expect_near(value, want, 1e-4, _("best_w on {name}").format(name=_(name)))


def test_cost_surface(learner):
    """cost_surface(x, y, ws, bs) is the (P, Q) table of MSEs with rows following ws and columns following bs (checked with 41 weights and 17 biases, on two data sets)."""
    for x, y, name in ((X, Y, SLIDE), (X2, Y2, DATA2)):
        what = _("cost_surface on {name} with 41 ws and 17 bs").format(name=_(name))
        got = expect_tensor(learner.call("cost_surface", x, y, WS, BS), what)
        want = _surface(x, y, WS, BS)
        if tuple(got.shape) == (len(BS), len(WS)):
            fail(_("{what} has shape {got_shape}, expected (41, 17): indexing='xy' swaps the axes; use "
                   "torch.meshgrid(ws, bs, indexing='ij')").format(what=what, got_shape=tuple(got.shape)))
        expect_shape(got, (len(WS), len(BS)), what)
        expect_close_or_mistake(got, want, what,
                                ((want * len(x), _("the table holds the SUM of squared errors; divide by the "
                                                   "number of samples"), _("sum, not mean")),
                                 (want * len(x) ** 2, _("the summed squared errors are multiplied by the number of "
                                                        "samples; divide instead: total / len(x)"),
                                  _("multiplied, not divided"))), atol=1e-3)


def test_surface_minimum(learner):
    """surface_minimum(x, y, ws, bs) is the grid's (w, b) of least cost: (2, 0) on the slide's data and (1.5, 1) for y = 1.5x + 1 (41 weights, 61 biases)."""
    for x, y, name, want in ((X, Y, SLIDE, (2.0, 0.0)), (X2, Y2, DATA2, (1.5, 1.0))):
        got = learner.call("surface_minimum", x, y, WS, BS_LONG)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(_("surface_minimum must return two numbers: (w, b)"))
        w = expect_number(got[0], _("the w of surface_minimum on {name}").format(name=_(name)), python=True)
        b = expect_number(got[1], _("the b of surface_minimum on {name}").format(name=_(name)), python=True)
        if abs(w - want[1]) < 1e-4 and abs(b - want[0]) < 1e-4 and want[0] != want[1]:
            fail(_("surface_minimum on {name} returned (w, b) = ({w:g}, {b:g}): w and b are swapped").format(name=_(name), w=w, b=b))
        if not (abs(w - want[0]) < 1e-4 and abs(b - want[1]) < 1e-4):
            fail(_("surface_minimum on {name}: expected (w, b) = {want}, got ({w:.4g}, {b:.4g}); with cost "
                   "of shape (P, Q), the flat index k of argmin is row k // Q (the w) and column k % Q (the "
                   "b)").format(name=_(name), want=want, w=w, b=b))
