"""Hidden checks of lecture 06, logistic regression.

Expected values are computed here: BCE from its formula and from
``F.binary_cross_entropy`` in this process, SGD on the summed BCE simulated in
closed form from the learner's own initial w and b.
"""

import math

import torch
import torch.nn.functional as F

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (expect_close, expect_line_training, expect_near, expect_number,
                               expect_parameter_count, expect_probabilities, expect_shape, expect_tensor,
                               expect_zero_grad_each_step, fail, glue, line_model_outputs, simulate_line_sgd,
                               weight_and_bias)

X = torch.tensor([[1.0], [2.0], [3.0]])
Y = torch.tensor([[0.0], [0.0], [1.0]])
SLIDE_Y = torch.tensor([1.0, 1.0, 0.0, 0.0])
SLIDE_P = torch.tensor([0.2, 0.8, 0.3, 0.7])

def _bce(learner, p, y, reduction):
    got = glue(learner, "bce_by_hand", p, y, reduction, where=_("binary_cross_entropy (bce.py)"))
    if got["used_library"] is True:
        fail(_("binary_cross_entropy called F.binary_cross_entropy / nn.BCELoss: the exercise is to "
               "write the formula by hand, -(y * log(y_hat) + (1 - y) * log(1 - y_hat))"))
    return got


def _simulate(w: float, b: float, lr: float, steps: int) -> tuple[float, float, list[float]]:
    """Full-batch SGD on the summed BCE of sigmoid(w x + b); its gradient w.r.t. each logit is p - y."""
    return simulate_line_sgd(X.squeeze(1), Y.squeeze(1), w, b, lr, steps,
                             lambda p, y: F.binary_cross_entropy(p, y, reduction="sum"),
                             lambda z, y: torch.sigmoid(z) - y, link=torch.sigmoid)


def test_model_output(learner):
    """LogisticRegressionModel maps a batch of shape (N, 1) to probabilities sigmoid(w*x + b) of shape (N, 1), for N = 1 and N = 5."""
    for w, b, n, x, out in line_model_outputs(learner, "LogisticRegressionModel", -4, 6):
        what = _("LogisticRegressionModel()(x) with x of shape ({n}, 1)").format(n=n)
        if n > 1 and torch.allclose(out.double(), (w * x + b).double(), atol=1e-5):
            fail(_("{what} returned w*x + b itself (values {v1}...), not a probability: apply torch.sigmoid "
                   "to the linear layer's output").format(what=what, v1=out.flatten()[:3].tolist()))
        expect_probabilities(out, what, _("apply torch.sigmoid to the linear layer's output"))
        expect_close(out, torch.sigmoid(w * x + b), _("sigmoid(w*x + b) for N = {n}").format(n=n), atol=1e-5)


def test_parameter_count(learner):
    """LogisticRegressionModel has exactly two trainable numbers, w and b: the sigmoid has none."""
    model = learner.new("LogisticRegressionModel")
    expect_parameter_count(learner, model, 2, "LogisticRegressionModel")
    weight_and_bias(learner, model, "LogisticRegressionModel")


def test_bce_slide_values(learner):
    """binary_cross_entropy on the slide's pairs (y, y_hat) = (1, .2), (1, .8), (0, .3), (0, .7) gives 1.6094, .2231, .3567, 1.2040 per pair, mean .8483, sum 3.3932."""
    per_pair = -(SLIDE_Y * SLIDE_P.log() + (1 - SLIDE_Y) * (1 - SLIDE_P).log())
    got = _bce(learner, SLIDE_P, SLIDE_Y, "none")["out"]
    out = expect_tensor(got, "binary_cross_entropy(y_hat, y, reduction='none')")
    if out.shape == per_pair.shape:
        only_y = -(SLIDE_Y * SLIDE_P.log())
        if torch.allclose(out.double(), only_y.double(), atol=1e-4):
            fail(_("the losses of the pairs with y = 0 are 0: the (1 - y) * log(1 - y_hat) term is missing"))
        if torch.allclose(out.double(), -per_pair.double(), atol=1e-4):
            fail(_("the losses are negative: BCE is MINUS (y log y_hat + (1 - y) log(1 - y_hat))"))
    expect_close(out, per_pair, _("binary_cross_entropy(y_hat, y, reduction='none') on the slide's pairs"), atol=1e-4)
    mean = expect_number(_bce(learner, SLIDE_P, SLIDE_Y, "mean")["out"], "binary_cross_entropy(y_hat, y)")
    if abs(mean - float(per_pair.sum())) < 1e-3:
        fail(_("the default reduction gave the sum {mean:.4f}; the default is the mean, 0.8483").format(mean=mean))
    expect_near(mean, 0.8483, 1e-3, _("binary_cross_entropy(y_hat, y) (the mean) on the slide's pairs"))
    total = expect_number(_bce(learner, SLIDE_P, SLIDE_Y, "sum")["out"], "binary_cross_entropy(y_hat, y, 'sum')")
    expect_near(total, float(per_pair.sum()), 1e-3, "binary_cross_entropy(y_hat, y, reduction='sum')")


def test_bce_matches_pytorch(learner):
    """binary_cross_entropy equals F.binary_cross_entropy on random shapes and soft targets, for every reduction, stays finite at y_hat of exactly 0 or 1 (logs clamped at -100), and has the same gradient."""
    g = torch.Generator().manual_seed(6)
    cases = [(torch.rand(6, 1, generator=g) * 0.96 + 0.02, torch.randint(0, 2, (6, 1), generator=g).float()),
             (torch.rand(2, 3, generator=g) * 0.96 + 0.02, torch.rand(2, 3, generator=g))]
    for p, y in cases:
        for reduction in ("none", "mean", "sum"):
            what = f"binary_cross_entropy(y_hat, y, reduction={reduction!r}) with shape {tuple(p.shape)}"
            got = _bce(learner, p, y, reduction)
            expect_close(got["out"], F.binary_cross_entropy(p, y, reduction=reduction), what, atol=1e-4)
    p, y = cases[0]
    got = _bce(learner, p, y, "mean")
    if got["connected"] is not True or got["grad"] is None:
        fail(_("the loss is not connected to y_pred in the autograd graph, so backward() cannot reach "
               "the model: use torch.log and tensor arithmetic, not math.log, numpy or .item()"))
    expected_grad = (p - y) / (p * (1 - p)) / p.numel()
    try:
        expect_close(got["grad"], expected_grad, _("the gradient of the mean BCE with respect to y_hat"), atol=1e-4)
    except AssertionError as exc:
        fail(_("{exc}. The values are right but the gradient is not: part of the formula left the "
               "autograd graph (math.log, numpy, .item(), .detach() or .data); use torch operations "
               "throughout").format(exc=exc))
    p, y = torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([0.0, 1.0, 0.0, 1.0])
    out = expect_shape(_bce(learner, p, y, "none")["out"], (4,), _("binary_cross_entropy at y_hat = 0, 1, 1, 0"))
    if not bool(torch.isfinite(out).all()):
        fail(_("at y_hat of exactly 0 or 1 the loss is {v0}: log(0) is -inf and 0 * -inf is nan. Clamp "
               "each log as PyTorch does: torch.log(y_pred).clamp(min=-100)").format(v0=out.tolist()))
    expect_close(out, F.binary_cross_entropy(p, y, reduction="none"),
                 _("binary_cross_entropy at y_hat = 0, 1, 1, 0 for y = 0, 1, 0, 1 (PyTorch: 0, 0, 100, 100)"), atol=1e-3)


def test_slide_data_float(learner):
    """slide_data() returns the hours x = 1, 2, 3 and the labels y = 0, 0, 1 as float32 tensors of shape (3, 1)."""
    got = learner.call("slide_data")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(_("slide_data() must return two tensors (x_data, y_data), got {__name__}").format(__name__=type(got).__name__))
    for name, value, expected in (("x_data", got[0], X), ("y_data", got[1], Y)):
        t = expect_tensor(value, f"slide_data()'s {name}")
        if not t.is_floating_point():
            fail(_("slide_data()'s {name} has dtype {dtype}: write 0.0 and 1.0 (not 0 and 1) so the tensor "
                   "is float32; BCELoss refuses Long targets ('Found dtype Long but expected Float')").format(name=name, dtype=t.dtype))
        if t.numel() == 3 and tuple(t.shape) != (3, 1):
            fail(_("slide_data()'s {name} has shape {t_shape}: use one row per sample, shape (3, 1), e.g. "
                   "[[1.0], [2.0], [3.0]], to match the model's output").format(name=name, t_shape=tuple(t.shape)))
        expect_close(t, expected, f"slide_data()'s {name}", check_dtype=True)


def test_criterion_sum(learner):
    """make_criterion() returns the summed BCE: 3.3932 on the slide's four pairs (the mean would be 0.8483)."""
    crit = learner.call("make_criterion")
    value = expect_number(learner.call(crit, SLIDE_P.reshape(4, 1), SLIDE_Y.reshape(4, 1)),
                          _("make_criterion()(y_hat, y) on the slide's pairs"))
    if abs(value - 0.8483) < 1e-3:
        fail(_("the loss is 0.8483, the mean of the four BCE values; the lecture sums them: "
               "nn.BCELoss(reduction='sum')"))
    expected = float(F.binary_cross_entropy(SLIDE_P, SLIDE_Y, reduction="sum"))
    expect_near(value, expected, 1e-3, _("make_criterion()(y_hat, y), the summed BCE"))


def _sigmoid_model(learner):
    return glue(learner, "line_model", sigmoid=True)


def test_loss_history(learner):
    """train(...) returns one Python float per step, the summed BCE before each update, matching SGD simulated from the same start."""
    learner.seed(1)
    model = _sigmoid_model(learner)
    expect_line_training(learner, model, "0.", learner.new("torch.nn.BCELoss", reduction="sum"), X, Y, _simulate)


def test_zero_grad_each_step(learner):
    """Each step of train(...) starts from zeroed gradients (checked with lr = 0 on the same data)."""
    learner.seed(2)
    model, crit = _sigmoid_model(learner), learner.new("torch.nn.BCELoss", reduction="sum")
    expect_zero_grad_each_step(learner, model, lambda opt: learner.call("train", model, crit, opt, X, Y, 3))


def test_crosses_half_near_slide(learner, thresholds):
    """Your whole pipeline (slide_data, LogisticRegressionModel, make_criterion, make_optimizer at lr 0.01, train for 1000 epochs) makes P(pass) cross 0.5 near 2.4 hours, from several seeds."""
    for seed in thresholds["seeds"]:
        learner.seed(seed)
        model = learner.new("LogisticRegressionModel")
        w0, b0 = weight_and_bias(learner, model, "LogisticRegressionModel")
        opt = learner.call("make_optimizer", model, 0.01)
        data = learner.call("slide_data")
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            fail(_("slide_data() must return two tensors (x_data, y_data)"))
        learner.call("train", model, learner.call("make_criterion"), opt, data[0], data[1], 1000)
        w, b = weight_and_bias(learner, model, "LogisticRegressionModel")
        w_ref, b_ref, _unused = _simulate(w0, b0, 0.01, 1000)
        crossing = -b / w if w else math.inf
        tol = thresholds["wb_tol"]
        if abs(w - w_ref) > tol or abs(b - b_ref) > tol:
            fail(_("seed {seed}: from w = {w0:.4f}, b = {b0:.4f}, 1000 SGD steps at lr 0.01 on the summed "
                   "BCE reach w = {w_ref:.4f}, b = {b_ref:.4f} (P(pass) = 0.5 at {v5:.2f} h); yours reached "
                   "w = {w:.4f}, b = {b:.4f} ({crossing:.2f} h). Check make_criterion (reduction='sum'), "
                   "make_optimizer (SGD with the lr given) and train (every epoch: forward, loss, "
                   "zero_grad, backward, step)").format(seed=seed, w0=w0, b0=b0, w_ref=w_ref, b_ref=b_ref, v5=-b_ref / w_ref, w=w, b=b, crossing=crossing))
        expect_near(crossing, thresholds["boundary"], thresholds["boundary_tol"],
                    _("the hours where P(pass) = 0.5 (seed {seed})").format(seed=seed))
        probs = expect_shape(learner.call(model, torch.tensor([[1.0], [4.0]])), (2, 1), _("the model at 1 h and 4 h"))
        if not probs[0, 0] < 0.5 < probs[1, 0]:
            fail(_("P(pass | 1 h) = {v0:.3f} and P(pass | 4 h) = {v1:.3f}: expected below 0.5 at 1 h and "
                   "above at 4 h").format(v0=probs[0, 0].item(), v1=probs[1, 0].item()))


def test_pass_probability_value(learner):
    """pass_probability(model, hours) returns the model's probability at a new x as a number, without building a graph."""
    model = glue(learner, "line_model", 1.5, -3.0, sigmoid=True)
    got = glue(learner, "number_without_graph", "pass_probability", model, 2.5, where=_("pass_probability (training.py)"))
    if got["graph"] is True:
        fail(_("pass_probability returned a tensor that is still part of the autograd graph: wrap the "
               "call in torch.no_grad() and return .item()"))
    expect_near(got["out"], 1 / (1 + math.exp(-0.75)), 1e-5, _("pass_probability(model, 2.5) with w = 1.5, b = -3"),
                python=True)
