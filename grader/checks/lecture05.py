"""Hidden checks of lecture 05, linear regression with PyTorch.

Expected values are computed here (the slide's data, closed-form gradients of
the sum of squared errors); the worker only builds and runs the learner's code.
"""

import torch

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (expect_close, expect_line_training, expect_list, expect_near,
                               expect_number, expect_parameter_count, expect_tensor, expect_zero_grad_each_step, fail,
                               glue, line_model_outputs, simulate_line_sgd, weight_and_bias)

X = torch.tensor([[1.0], [2.0], [3.0]])
Y = torch.tensor([[2.0], [4.0], [6.0]])


def _simulate_sgd(w: float, b: float, lr: float, steps: int) -> tuple[float, float, list[float]]:
    """The reference: full-batch SGD on the summed squared error (its gradient w.r.t. each prediction is 2r)."""
    return simulate_line_sgd(X.squeeze(1), Y.squeeze(1), w, b, lr, steps, lambda p, y: ((p - y) ** 2).sum(),
                             lambda z, y: 2 * (z - y))


def test_output_shape(learner):
    """LinearModel maps a batch of shape (N, 1) to predictions w*x + b of shape (N, 1), for N = 1 and N = 5."""
    for w, b, n, x, out in line_model_outputs(learner, "LinearModel", -2, 3):
        expect_close(out, w * x + b, _("LinearModel()(x) for N = {n}").format(n=n), atol=1e-5)


def test_parameter_count(learner):
    """LinearModel has exactly two trainable numbers: the weight w and the bias b."""
    model = learner.new("LinearModel")
    expect_parameter_count(learner, model, 2, "LinearModel")
    weight_and_bias(learner, model, "LinearModel")


def test_criterion_sum(learner):
    """make_criterion() returns the summed squared error: 21 for predictions (1, 2, 3) against targets (2, 4, 7)."""
    crit = learner.call("make_criterion")
    pred, target = torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([[2.0], [4.0], [7.0]])
    value = expect_number(learner.call(crit, pred, target), "make_criterion()(pred, target)")
    if abs(value - 7.0) < 1e-4:
        fail(_("the loss is 7, the mean of the squared errors; the lecture sums them: use "
               "reduction='sum'"))
    expect_near(value, 21.0, 1e-4, "make_criterion()(pred, target)")


def test_optimizer_sgd(learner):
    """make_optimizer(model, lr) takes one plain SGD step: every parameter moves by -lr * grad."""
    learner.seed(0)
    model = learner.new("torch.nn.Linear", 1, 1)
    opt = learner.call("make_optimizer", model, 0.05)
    got = glue(learner, "one_step", model, opt, torch.tensor([[1.0], [2.0]]), where="make_optimizer(...).step()")
    lists = [expect_list(got[key], _("nn.Linear(1, 1).parameters() {when}").format(when=_(when)), length=2,
                         noun=_("tensors (weight, bias)"))
             for key, when in (("before", N_("before optimizer.step()")), ("grads", N_("(their gradients)")),
                               ("after", N_("after optimizer.step()")))]
    for name, b, g, a in zip((N_("weight"), N_("bias")), *lists):
        name = _(name)
        b, g, a = (expect_tensor(t, _("the {name} ({which})").format(name=name, which=_(which))) for t, which in
                   ((b, N_("before the step")), (g, N_("its gradient")), (a, N_("after the step"))))
        expected = b - 0.05 * g
        if torch.equal(a, b):
            fail(_("optimizer.step() did not change the {name}: pass model.parameters() to the optimizer").format(name=name))
        try:
            expect_close(a, expected, _("the {name} after one step").format(name=name))
        except AssertionError as exc:
            fail(_("{exc}; an SGD step is w - lr * grad, but your optimizer ({kind}) did something else: "
                   "use torch.optim.SGD(model.parameters(), lr=lr)").format(exc=exc, kind=got['kind']))


def test_loss_history(learner):
    """train(...) returns one Python float per step, the loss before each update, and the losses fall as w, b approach the reference."""
    learner.seed(1)
    model = learner.new("torch.nn.Linear", 1, 1)
    crit = learner.new("torch.nn.MSELoss", reduction="sum")
    values = expect_line_training(learner, model, "", crit, X, Y, _simulate_sgd)
    if not values[-1] < values[0]:
        fail(_("the loss did not decrease: first {v0:.4g}, last {v1:.4g}").format(v0=values[0], v1=values[-1]))


def test_zero_grad_each_step(learner):
    """Each step of train(...) starts from zeroed gradients (checked with lr = 0 on the same data)."""
    learner.seed(2)
    model, crit = learner.new("torch.nn.Linear", 1, 1), learner.new("torch.nn.MSELoss", reduction="sum")
    expect_zero_grad_each_step(learner, model, lambda opt: learner.call("train", model, crit, opt, X, Y, 3))


def test_converges_to_slide_values(learner, thresholds):
    """Your whole pipeline (LinearModel, make_criterion, make_optimizer at lr 0.01, train) reaches w = 2, b = 0, y(4) = 8 in 1000 steps, from several seeds."""
    for seed in thresholds["seeds"]:
        learner.seed(seed)
        model = learner.new("LinearModel")
        opt = learner.call("make_optimizer", model, 0.01)
        learner.call("train", model, learner.call("make_criterion"), opt, X, Y, 1000)
        w, b = weight_and_bias(learner, model, "LinearModel")
        expect_near(w, 2.0, thresholds["w_tol"], _("w after 1000 steps (seed {seed})").format(seed=seed))
        expect_near(b, 0.0, thresholds["b_tol"], _("b after 1000 steps (seed {seed})").format(seed=seed))
        expect_near(learner.call("predict", model, 4.0), 8.0, thresholds["pred_tol"], f"predict(model, 4.0) (seed {seed})")


def test_predict_value(learner):
    """predict(model, x) returns the model's w*x + b at a new x as a number, without building a graph."""
    model = glue(learner, "line_model", 1.5, 0.25)
    got = glue(learner, "number_without_graph", "predict", model, 4.0, where=_("predict (training.py)"))
    if got["graph"] is True:
        fail(_("predict returned a tensor that is still part of the autograd graph: wrap the call in "
               "torch.no_grad() and return .item()"))
    expect_near(got["out"], 6.25, 1e-5, _("predict(model, 4.0) with w = 1.5, b = 0.25"), python=True)
