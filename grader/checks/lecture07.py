"""Hidden checks of lecture 07, multi-dimensional input.

The public table is read here too, to compare with what the learner's loader
returns; the model's output is recomputed here from its own parameters; the
held-out rows are never sent to the worker: the model trained there by the
learner's code comes back as its weights, and its predictions on those rows are
computed here, where their labels stay.
"""

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (expect_close, expect_dtype, expect_history, expect_list, expect_parameter_count,
                               expect_probabilities, expect_shape, expect_tensor, expect_zero_grad_each_step, fail,
                               glue, judge_accuracy, judge_modes, public_files, randn, read_csv_table, seeded_state)

TABLE = "data/breast_cancer/breast_cancer.csv"   # where the worker finds the public table
ACTIVATIONS = {"ReLU": torch.relu, "Tanh": torch.tanh, "Sigmoid": torch.sigmoid}

# What a PyTorch error raised in this lecture's code means here (consulted before the shared table).
MISTAKES = [
    (r"^train \(training\.py\) raised RuntimeError: all elements of target should be between 0 and 1",
     N_("the criterion's target left [0, 1] (it became nan), so it was not the labels y, which are 0 and 1: the "
        "arguments are swapped; call criterion(y_pred, y), the prediction first and the labels second")),
    (r"^predict \(training\.py\) raised RuntimeError: (?:shape '\[-?\d+\]' is invalid for input of size|"
     r"invalid shape dimension)",
     N_("the labels could not be flattened to shape (N,): the model's output is (N, 1), so .view(-1) (or "
        ".squeeze(1)) gives one label per row")),
]


def _run_model(learner, in_features, hidden, activation, x):
    return glue(learner, "multilayer_run", in_features, list(hidden), activation, x,
                where=f"MultiLayerModel({in_features}, hidden={tuple(hidden)}, activation=nn.{activation})")


def _reference(params, x, activation: str, hidden, last=torch.sigmoid) -> torch.Tensor:
    """The stack recomputed from the learner's parameters, taken in the order they were created."""
    sizes = [x.shape[1], *hidden, 1]
    shapes = [s for n_in, n_out in zip(sizes, sizes[1:]) for s in ((n_out, n_in), (n_out,))]
    params = expect_list(params, f"MultiLayerModel({sizes[0]}, hidden={tuple(hidden)}).named_parameters()",
                         noun="parameters")
    if any(type(p) not in (list, tuple) or len(p) != 2 for p in params):
        fail(_("MultiLayerModel.named_parameters() must give (name, tensor) pairs"))
    got = [tuple(expect_tensor(p, str(name)).shape) for name, p in params]
    if got != shapes:
        fail(_("MultiLayerModel({v0}, hidden={v1}) should hold Linear layers {v2} with biases, created "
               "in the order they are applied; its parameters are {v3}").format(v0=sizes[0], v1=tuple(hidden), v2=' -> '.join(map(str, sizes)), v3=[f'{n} {tuple(p.shape)}' for n, p in params]))
    h = x
    for i in range(0, len(params), 2):
        h = F.linear(h, params[i][1].to(h.dtype), params[i + 1][1].to(h.dtype))
        h = ACTIVATIONS[activation](h) if i + 2 < len(params) else last(h)
    return h


def test_load_data_shapes(learner):
    """load_data(path) reads the shipped table into x of shape (419, 30) and y of shape (419, 1), both float32, row for row."""
    x_ref, y_ref = read_csv_table(public_files("breast_cancer")[TABLE])
    got = learner.call("load_data", TABLE)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(_("load_data must return two tensors (x_data, y_data), got {__name__}").format(__name__=type(got).__name__))
    x, y = expect_tensor(got[0], "load_data(...)'s x"), expect_tensor(got[1], "load_data(...)'s y")
    n = len(y_ref)
    if tuple(y.shape) == (n,):
        fail(_("y has shape ({n},): slice the last column as a matrix, xy[:, [-1]], to get ({n}, 1) "
               "like the model's output; BCELoss wants the target and the prediction in the same shape").format(n=n))
    if tuple(x.shape) == (n, 31):
        fail(_("x has 31 columns: the last column is the label; take the features with xy[:, :-1]"))
    columns = x_ref.shape[1] + 1
    if x.dim() == 2 and x.shape[0] == n and x.shape[1] != x_ref.shape[1]:
        fail(_("x has {k} columns; the table has {columns}, the {features} features and then the label: take every "
               "column but the last, xy[:, :-1]").format(k=x.shape[1], columns=columns, features=columns - 1),
             expected=str(tuple(x_ref.shape)), actual=str(tuple(x.shape)), cause=_("wrong feature columns"))
    expect_shape(x, tuple(x_ref.shape), "load_data(...)'s x")
    expect_shape(y, (n, 1), "load_data(...)'s y")
    for name, t in (("x", x), ("y", y)):
        if t.dtype != torch.float32:
            fail(_("load_data(...)'s {name} has dtype {dtype}: read with dtype=np.float32 (numpy's default "
                   "is float64, and nn.Linear's weights are float32)").format(name=name, dtype=t.dtype))
    expect_close(x, x_ref, _("load_data(...)'s x against the file"), atol=1e-4)
    if not torch.allclose(y[:, 0].double(), y_ref.double(), atol=1e-4):
        for j in range(x_ref.shape[1]):
            if torch.allclose(y[:, 0].double(), x_ref[:, j].double(), atol=1e-4):
                fail(_("y holds column {j} of the table (counting from 0), a feature, not the label: the label is "
                       "the last column, xy[:, [-1]]").format(j=j), expected=_("the last column"),
                     actual=_("column {j}").format(j=j), cause=_("wrong label column"))
    expect_close(y, y_ref.float().unsqueeze(1), _("load_data(...)'s y against the file's last column"))


def test_model_output(learner):
    """MultiLayerModel(in_features) maps (N, in_features) rows to probabilities of shape (N, 1), strictly between 0 and 1, for N = 1 and 5 and 30 or 8 features."""
    learner.seed(0)
    g = torch.Generator().manual_seed(7)
    for in_features, n in ((30, 1), (30, 5), (8, 5)):
        x = torch.randn(n, in_features, generator=g) * 3
        model = learner.new("MultiLayerModel", in_features)
        what = _("MultiLayerModel({in_features})(x) with x of shape ({n}, {in_features})").format(in_features=in_features, n=n)
        out = expect_shape(learner.call(model, x), (n, 1), what)
        expect_probabilities(out, what, _("end with torch.sigmoid after the last Linear layer"))


def test_parameter_count(learner):
    """MultiLayerModel has the Linear layers the sizes ask for: 87 parameters for the lecture's 8-6-4-1, 641 for 30-16-8-1, 1,025 for 30-32-1."""
    for in_features, hidden, expected in ((8, (6, 4), 87), (30, (16, 8), 641), (30, (32,), 1025)):
        model = learner.new("MultiLayerModel", in_features, hidden=hidden)
        expect_parameter_count(learner, model, expected, f"MultiLayerModel({in_features}, hidden={hidden})")


def test_activation_is_a_parameter(learner):
    """MultiLayerModel's output equals Linear -> activation -> ... -> Linear -> sigmoid recomputed from its own weights, with activation = nn.ReLU, nn.Tanh and nn.Sigmoid."""
    x = randn(6, 30, seed=8) * 2
    outputs = {}
    for activation in ACTIVATIONS:
        learner.seed(1)
        got = _run_model(learner, 30, (16, 8), activation, x)
        out = expect_shape(got["out"], (6, 1), f"MultiLayerModel(30, activation=nn.{activation})(x)")
        ref = _reference(got["params"], x, activation, (16, 8))
        outputs[activation] = out
        if not torch.allclose(out.double(), ref.double(), atol=1e-5):
            others = [a for a in ACTIVATIONS if a != activation
                      and torch.allclose(out.double(), _reference(got["params"], x, a, (16, 8)).double(), atol=1e-5)]
            if others:
                fail(_("with activation=nn.{activation} the hidden layers used {v1}: build each hidden layer's "
                       "activation from the `activation` argument, e.g. activation()").format(activation=activation, v1=others[0]))
            ends_in_activation = _reference(got["params"], x, activation, (16, 8), last=ACTIVATIONS[activation])
            if activation != "Sigmoid" and torch.allclose(out.double(), ends_in_activation.double(), atol=1e-5):
                fail(_("the last layer ends in the activation instead of the sigmoid: the output must be a "
                       "probability, so apply torch.sigmoid after the last Linear layer"))
        expect_close(out, ref, _("MultiLayerModel(30, activation=nn.{activation})(x) against the layers recomputed from "
                                 "your weights").format(activation=activation), atol=1e-5)
    if torch.allclose(outputs["ReLU"], outputs["Tanh"]):
        fail(_("the output does not depend on the activation: use the `activation` argument"))


# A tiny model (glue's binary_mlp(5, 4, state)) and table made by the grader and sent to the worker, so
# train is judged on its own and the reference never depends on anything that comes back.
SMALL_SHAPES = {"0.weight": (4, 5), "0.bias": (4,), "2.weight": (1, 4), "2.bias": (1,)}


def _small(seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(20, 5, generator=g)
    y = (x[:, :1] + 0.3 * torch.randn(20, 1, generator=g) > 0).float()
    return {"state": seeded_state(SMALL_SHAPES, seed), "x": x, "y": y}


def test_train_loss_history(learner):
    """train(...) runs full-batch steps and returns one Python float per step, the loss before each update, as the grader's own run from the same start."""
    data = _small(3)
    model = glue(learner, "binary_mlp", 5, 4, data["state"])
    opt = learner.new("torch.optim.SGD", learner.method(model, "parameters"), lr=0.1)
    history = learner.call("train", model, learner.new("torch.nn.BCELoss"), opt, data["x"], data["y"], 20)
    values = torch.tensor(expect_history(history, "train", 20))
    ref_model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())
    ref_model.load_state_dict(data["state"])
    ref = []
    for _unused in range(20):  # plain SGD by hand: importing torch.optim here costs seconds
        loss = F.binary_cross_entropy(ref_model(data["x"]), data["y"])
        ref.append(loss.item())
        ref_model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in ref_model.parameters():
                param -= 0.1 * param.grad
    expect_close(values, torch.tensor(ref), _("the loss history"), atol=1e-4, rtol=1e-3)


def test_train_zero_grad(learner):
    """Each step of train(...) starts from zeroed gradients (checked with lr = 0 on the same rows)."""
    data = _small(4)
    model = glue(learner, "binary_mlp", 5, 4, data["state"])
    expect_zero_grad_each_step(learner, model, lambda opt: learner.call(
        "train", model, learner.new("torch.nn.BCELoss"), opt, data["x"], data["y"], 3))


def test_predict_labels(learner):
    """predict(model, x) returns int64 class labels of shape (N,), 1 where P(y = 1) >= 0.5, computed in eval mode without a graph."""
    x = torch.zeros(6, 30)
    # a model whose P(y = 1) is the first feature; 0.5 exactly is a 1 (">= 0.5", not "> 0.5")
    x[:, 0] = torch.tensor([0.1, 0.7, 0.49, 0.51, 0.95, 0.5])
    got = glue(learner, "modes_probe", "predict", "first_column", x, where=_("predict (training.py)"))
    pred = expect_tensor(got["out"], "predict(model, x)")
    expected = torch.tensor([0, 1, 0, 1, 1, 1])
    if tuple(pred.shape) == (6, 1):
        fail(_("predict returned shape (6, 1): return one label per row, shape (N,), e.g. with .view(-1)"))
    expect_shape(pred, (6,), _("predict(model, x) for 6 rows"))
    if pred.is_floating_point() and not bool(((pred == 0) | (pred == 1)).all()):
        fail(_("predict returned probabilities ({v0}), not labels: compare with 0.5, (y_hat >= "
               "0.5).long()").format(v0=pred.tolist()))
    if pred.dtype == torch.bool:
        fail(_("predict returned booleans (dtype torch.bool), the comparison itself: turn them into int64 labels "
               "0 and 1 with .long()"), expected="torch.int64", actual="torch.bool", cause=_("bool labels"),
             help=_("convert the comparison with .long(): (y_hat >= 0.5).long()"))
    expect_dtype(pred, torch.int64, _("predict(model, x) (labels as .long())"))
    if pred.tolist() == [0, 1, 0, 1, 1, 0]:
        fail(_("predict gave label 0 where P(y = 1) is exactly 0.5: the rule is P(y = 1) >= 0.5, not > 0.5"),
             expected="1", actual="0", cause=_("> for >="), help=_("compare with >= 0.5: (y_hat >= 0.5).long()"))
    _judge_threshold(pred, x[:, 0], expected)
    expect_close(pred, expected, _("predict(model, x) for P(y = 1) = 0.1, 0.7, 0.49, 0.51, 0.95, 0.5"))
    judge_modes(got["modes"], "predict", _("call model.eval() first"), _("wrap the forward pass in `with torch.no_grad():`"))


def _judge_threshold(pred: torch.Tensor, prob: torch.Tensor, expected: torch.Tensor) -> None:
    """Labels 0 and 1 that are not those of P(y = 1) >= 0.5: where the threshold they imply lies."""
    labels = pred.tolist()
    if labels == expected.tolist() or any(v not in (0, 1) for v in labels):
        return
    ones = [p for p, v in zip(prob.tolist(), labels) if v == 1]
    zeros = [p for p, v in zip(prob.tolist(), labels) if v == 0]
    rule = _("a row is 1 exactly when P(y = 1) >= 0.5")
    got = ", ".join(map(str, labels))
    if not ones or not zeros:
        label, extreme = (0, max(zeros)) if not ones else (1, min(ones))
        message = _("predict labelled every row {label} (even the one with P(y = 1) = {p:.2f}): {rule}").format(
            label=label, p=extreme, rule=rule)
    elif max(zeros) < min(ones):
        message = _("predict's labels ({got}) put the threshold between {low:.2f} and {high:.2f}, not at 0.5: "
                    "{rule}").format(got=got, low=max(zeros), high=min(ones), rule=rule)
    elif max(ones) < min(zeros):
        message = _("predict's labels ({got}) are inverted: 1 where P(y = 1) is small; {rule}").format(got=got, rule=rule)
    else:
        return
    fail(message, expected=", ".join(map(str, expected.tolist())), actual=got, cause=_("wrong threshold"),
         help=rule)


def test_heldout_accuracy(learner, thresholds, eval_set):
    """Your load_data, MultiLayerModel (16, 8 hidden units, ReLU) and train (BCE, SGD lr 0.1, 100 epochs) train a model whose weights classify 150 held-out rows well above the majority class, on every seed (the grader computes the predictions from your trained weights)."""
    rows, labels = eval_set("breast_cancer")
    for seed in thresholds["seeds"]:
        # the learner's whole pipeline trains in the worker; only the trained weights come back (in the
        # order the layers were created), and the held-out rows never leave this process
        got = glue(learner, "train_multilayer", TABLE, seed, thresholds["lr"], thresholds["epochs"],
                   where=_("your load_data, MultiLayerModel and train"))
        with torch.no_grad():
            prob = _reference(got["params"], rows, "ReLU", (16, 8))
        judge_accuracy((prob[:, 0] >= 0.5).long(), labels, thresholds["accuracy"],
                       _("accuracy on the {n_labels} held-out rows after {epochs} epochs (seed {seed})").format(n_labels=len(labels), epochs=thresholds['epochs'], seed=seed))
