"""Hidden checks of lecture 06, logistic regression.

Expected values are computed here: BCE from its formula and from
``F.binary_cross_entropy`` in this process, SGD on the summed BCE simulated in
closed form from the learner's own initial w and b.
"""

import math

import torch
import torch.nn.functional as F

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (Mistake, expect_close, expect_line_training, expect_near, expect_number,
                               expect_parameter_count, expect_probabilities, expect_shape, expect_tensor,
                               expect_zero_grad_each_step, fail, fail_mistake, glue, glue_side_by_side,
                               line_model_outputs, simulate_line_sgd, weight_and_bias, weight_and_bias_in)

X = torch.tensor([[1.0], [2.0], [3.0]])
Y = torch.tensor([[0.0], [0.0], [1.0]])
SLIDE_Y = torch.tensor([1.0, 1.0, 0.0, 0.0])
SLIDE_P = torch.tensor([0.2, 0.8, 0.3, 0.7])
HOURS_1_AND_4 = torch.tensor([[1.0], [4.0]])


def same_values(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-4, rtol=1e-4)


# What a PyTorch error raised in this lecture's code means here (consulted before the shared table).
MISTAKES = [
    (r"^train \(training\.py\) raised RuntimeError: all elements of target should be between 0 and 1",
     N_("the criterion's target left [0, 1] (it became nan), so it was not the labels y, which are 0 and 1: the "
        "arguments are swapped; call criterion(y_pred, y), the prediction first and the labels second")),
]


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


def _values(t: torch.Tensor) -> str:
    return "(" + ", ".join(f"{v:.4f}" for v in t.tolist()) + ")"


def _judge_pairs(out, per_pair: torch.Tensor) -> None:
    """The losses binary_cross_entropy(y_hat, y, reduction='none') gave on the slide's pairs: a known
    mistake's values, nan, or the pairs (those with y = 0, those with y = 1) whose loss is wrong."""
    what = "binary_cross_entropy(y_hat, y, reduction='none')"
    out = expect_tensor(out, what)
    if out.numel() == 1 and per_pair.numel() > 1:
        value = float(out.reshape(-1)[0])
        which = (_(" (the mean)") if abs(value - float(per_pair.mean())) < 1e-4 else
                 _(" (the sum)") if abs(value - float(per_pair.sum())) < 1e-4 else "")
        fail(_("{what} returned one number, {value:.4f}{which}: with reduction='none' return the loss of each "
               "element, unreduced, of the same shape as y_hat ({n} values here)").format(
                 what=what, value=value, which=which, n=per_pair.numel()),
             expected=str(tuple(per_pair.shape)), actual=str(tuple(out.shape)), cause=_("reduction='none' reduced"))
    if out.shape != per_pair.shape:
        return
    log_p, log_not_p = SLIDE_P.log(), (1 - SLIDE_P).log()
    mistakes = [
        (-(SLIDE_Y * log_p), _("the losses of the pairs with y = 0 are 0: the (1 - y) * log(1 - y_hat) term is missing"),
         _("missing (1 - y) term")),
        (-per_pair, _("the losses are negative: BCE is MINUS (y log y_hat + (1 - y) log(1 - y_hat))"),
         _("missing minus sign")),
        (-(SLIDE_Y * log_p - (1 - SLIDE_Y) * log_not_p),
         _("the (1 - y) * log(1 - y_hat) term is subtracted: inside the minus both terms are added, "
           "-(y * log(y_hat) + (1 - y) * log(1 - y_hat))"), _("second term subtracted")),
        (-(SLIDE_Y * log_p + (1 - SLIDE_Y) * (1 + SLIDE_P).log()),
         _("the second log is log(1 + y_hat): the probability of the other class is 1 - y_hat, so take "
           "log(1 - y_hat)"), _("log(1 + y_hat)")),
    ]
    t = out.detach().double()
    if not same_values(t, per_pair.double()):
        for result, message, cause in mistakes:
            if same_values(t, result.double()):
                fail_mistake(_("{what}: {message}").format(what=what, message=message), Mistake(result, message, cause),
                             expected=_values(per_pair), actual=_values(t))
    if bool(torch.isnan(t).any()):
        fail(_("{what} gave nan for y_hat strictly between 0 and 1 ({got}): one of the logs got a number <= 0; "
               "the two logs are log(y_hat) and log(1 - y_hat)").format(what=what, got=t.tolist()),
             expected=_values(per_pair), actual=str(t.tolist()), cause=_("log of a negative number"))
    right = torch.isclose(t, per_pair.double(), atol=1e-4, rtol=1e-4)
    for label, want, fix in (
            (0, "-log(1 - y_hat)", _("at y = 0 only the (1 - y) * log(1 - y_hat) term may remain, with weight "
                                     "1 - y = 1, and y * log(y_hat) must vanish")),
            (1, "-log(y_hat)", _("at y = 1 only the y * log(y_hat) term may remain, with weight y = 1, and the "
                                 "weight of log(1 - y_hat), 1 - y, is 0"))):
        mask = SLIDE_Y == label
        if bool(right[mask].all()):
            continue
        got, exp = t[mask], per_pair[mask].double()
        ratio = got / exp
        if bool((got == 0).all()):
            how = _(": all 0")
        elif bool(torch.isclose(ratio, ratio[0], rtol=1e-3).all()):
            how = _(": {ratio:.3g} times the right values").format(ratio=float(ratio[0]))
        else:
            how = ""
        others = _("; the pairs with y = {other} are right").format(other=1 - label) if bool(right[~mask].all()) \
            else _("; the pairs with y = {other} are wrong too").format(other=1 - label)
        fail(_("{what}: for the pairs with y = {label} the loss must be {want}, {expected}, got {got}{how}{others}; "
               "{fix}").format(what=what, label=label, want=want, expected=_values(exp), got=_values(got), how=how,
                               others=others, fix=fix),
             expected=_values(exp), actual=_values(got), cause=_("the loss of the pairs with y = {label}").format(label=label),
             help=fix)


def test_bce_slide_values(learner):
    """binary_cross_entropy on the slide's pairs (y, y_hat) = (1, .2), (1, .8), (0, .3), (0, .7) gives 1.6094, .2231, .3567, 1.2040 per pair, mean .8483, sum 3.3932."""
    per_pair = -(SLIDE_Y * SLIDE_P.log() + (1 - SLIDE_Y) * (1 - SLIDE_P).log())
    out = _bce(learner, SLIDE_P, SLIDE_Y, "none")["out"]
    _judge_pairs(out, per_pair)
    expect_close(out, per_pair, _("binary_cross_entropy(y_hat, y, reduction='none') on the slide's pairs"), atol=1e-4)
    mean = expect_number(_bce(learner, SLIDE_P, SLIDE_Y, "mean")["out"], "binary_cross_entropy(y_hat, y)")
    if abs(mean - float(per_pair.sum())) < 1e-3:
        fail(_("the default reduction gave the sum {mean:.4f}; the default is the mean, 0.8483").format(mean=mean),
             expected="0.8483", actual=f"{mean:.4f}", cause=_("sum for mean"))
    expect_near(mean, 0.8483, 1e-3, _("binary_cross_entropy(y_hat, y) (the mean) on the slide's pairs"))
    total = expect_number(_bce(learner, SLIDE_P, SLIDE_Y, "sum")["out"], "binary_cross_entropy(y_hat, y, 'sum')")
    if abs(total - 0.8483) < 1e-3:
        fail(_("reduction='sum' gave the mean {total:.4f}; 'sum' adds the losses up: {want:.4f}").format(
            total=total, want=float(per_pair.sum())), expected=f"{float(per_pair.sum()):.4f}", actual=f"{total:.4f}",
             cause=_("mean for sum"))
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
    want = F.binary_cross_entropy(p, y, reduction="none")
    if not torch.allclose(out.double(), want.double(), atol=1e-3) and bool(torch.isclose(out[:2], want[:2]).all()):
        fix = _("clamp each log at -100, as PyTorch's BCELoss does: torch.log(y_pred).clamp(min=-100)")
        fail(_("at y_hat of exactly 0 or 1 the wrong class's log is clamped to give {got} instead of 100: "
               "{fix}").format(got=_values(out[2:]), fix=fix),
             expected="(100.0000, 100.0000)", actual=_values(out[2:]), cause=_("clamp not at -100"), help=fix)
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
        if tuple(t.shape) == (3, 1) and not torch.equal(t, expected):
            fail(_("slide_data()'s {name} is {got}; the slide's data are the hours x = 1, 2, 3 and the labels "
                   "y = 0, 0, 1 (fail, fail, pass), in this order").format(name=name, got=t.flatten().tolist()),
                 expected=str(expected.flatten().tolist()), actual=str(t.flatten().tolist()))
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
    runs = []  # (seed, w0, b0, glue trained_then's arguments): every seed's model and optimizer first
    for seed in thresholds["seeds"]:
        learner.seed(seed)
        model = learner.new("LogisticRegressionModel")
        w0, b0 = weight_and_bias(learner, model, "LogisticRegressionModel")
        opt = learner.call("make_optimizer", model, 0.01)
        data = learner.call("slide_data")
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            fail(_("slide_data() must return two tensors (x_data, y_data)"))
        train_args = [model, learner.call("make_criterion"), opt, data[0], data[1], 1000]
        runs.append((seed, w0, b0, ("train", model, train_args, HOURS_1_AND_4)))
    # the trainings (no random numbers drawn) side by side, each then read back as data
    where = _("train(model, criterion, optimizer, x_data, y_data, 1000)")
    glue_side_by_side(learner, "trained_then", [args for *_unused, args in runs], where=where)
    for seed, w0, b0, args in runs:
        got = glue(learner, "trained_then", *args, where=where)
        w, b = weight_and_bias_in(got["state"], "LogisticRegressionModel")
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
        probs = expect_shape(got["out"], (2, 1), _("the model at 1 h and 4 h"))
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
