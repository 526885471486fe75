"""Hidden checks of lecture 09, softmax classifier.

Expected values are computed here with torch.nn.functional, from the slide's
numbers or from the learner's own weights.  The evaluation digits are never
sent to the worker: the Net trained there by the learner's code comes back as
its weights, and its predictions are computed here with the lecture's layers,
where the labels stay.
"""

import torch
import torch.nn.functional as F

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (DATA_DIR, WORKER_DATA_ROOT, Handle, Mistake, expect_class_scores, expect_close,
                               expect_close_or_mistake, expect_device, expect_list, expect_number,
                               expect_parameter_count, expect_shape, expect_state, expect_tensor,
                               expect_trains_in_train_mode, expect_zero_grad_each_step, fail, fail_mistake, first_pixel_batches, glue, glue_side_by_side, judge_accuracy,
                               judge_fraction_correct, judge_mean_loss, judge_modes, predict_classes, randint, randn,
                               read_idx, reject_probabilities, seeded_state)

MEAN, STD = 0.1307, 0.3081
SLIDE_Z = torch.tensor([0.2, 0.1, -0.1])
SLIDE_Y = torch.tensor([2, 0, 1])
SLIDE_PRED1 = torch.tensor([[0.1, 0.2, 0.9], [1.1, 0.1, 0.2], [0.2, 2.1, 0.1]])
SLIDE_PRED2 = torch.tensor([[0.8, 0.2, 0.3], [0.2, 0.3, 0.5], [0.2, 0.2, 0.5]])


# ---------------------------------------------------------------- softmax

def _softmax_mistakes(z):
    """What common wrong softmaxes compute on z, with the message naming each."""
    shifted = z - z.max(dim=-1, keepdim=True).values
    mistakes = [
        Mistake(shifted / shifted.sum(dim=-1, keepdim=True), _("the scores were normalised without exp: take torch.exp of the (shifted) scores, then "
                                                               "divide by the sum of the exps"), _("no exp")),
        Mistake(z / z.sum(dim=-1, keepdim=True), _("the scores were normalised without exp: softmax is exp(z) / exp(z).sum()"), _("no exp")),
        Mistake(z.exp(), _("exp(z) was not divided by its sum: softmax is exp(z) / exp(z).sum(dim=-1, keepdim=True)"),
                _("not normalised")),
    ]
    if z.dim() == 2:
        mistakes.append(Mistake(F.softmax(z, dim=0), _("normalised over dim 0 (each column sums to 1): normalise each row, along the last dim: "
                                                       "exps / exps.sum(dim=-1, keepdim=True)"), _("softmax over dim 0")))
    return mistakes


def test_softmax_slide_example(learner):
    """softmax([0.2, 0.1, -0.1]) is the slide's [0.38, 0.34, 0.28]: positive numbers that sum to 1."""
    expect_close_or_mistake(learner.call("softmax", SLIDE_Z), F.softmax(SLIDE_Z, dim=0),
                            "softmax([0.2, 0.1, -0.1])", _softmax_mistakes(SLIDE_Z), atol=1e-4)


def test_softmax_rows_sum_to_one(learner):
    """On batches of scores (N, 10), for N = 1 and N = 4, each row of softmax is F.softmax of that row: it sums to 1."""
    for n, seed in ((1, 90), (4, 91)):
        z = randn(n, 10, seed=seed) * 3
        got = expect_shape(learner.call("softmax", z), (n, 10), _("softmax of a ({n}, 10) batch").format(n=n))
        sums = got.double().sum(dim=-1)
        if not torch.allclose(sums, torch.ones(n, dtype=torch.float64), atol=1e-4):
            detail = ""
            if n > 1 and torch.allclose(got.double().sum(dim=0), torch.ones(10, dtype=torch.float64), atol=1e-4):
                detail = _("; its columns sum to 1 instead: sum over the last dim (dim=-1, keepdim=True), not dim 0")
            elif n == 1 and torch.allclose(got.double(), torch.ones(1, 10, dtype=torch.float64), atol=1e-4):
                detail = _("; every entry is 1, as when dividing by a sum over dim 0: sum over the last dim (dim=-1)")
            fail(_("softmax of a ({n}, 10) batch: each row should sum to 1, but the row sums are "
                   "{v1}{detail}").format(n=n, v1=[round(s, 4) for s in sums.tolist()], detail=detail))
        expect_close_or_mistake(got, F.softmax(z, dim=-1), _("softmax of a ({n}, 10) batch").format(n=n), _softmax_mistakes(z),
                                atol=1e-5)


def test_softmax_large_logits(learner):
    """softmax stays finite and exact at logits of 1000: [[1000, 1001, 999], [-1000, 0, 1000]] and [1000, 1000]."""
    for z in (torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]]), torch.tensor([1000.0, 1000.0])):
        what = f"softmax({z.tolist()})"
        got = expect_shape(learner.call("softmax", z), tuple(z.shape), what)
        if not torch.isfinite(got).all():
            fail(_("{what} contains {v1}: exp(1000) overflows to inf in float32 and inf / inf is nan; "
                   "subtract each row's max before exp, z - z.max(dim=-1, keepdim=True).values (softmax "
                   "does not change)").format(what=what, v1='nan' if torch.isnan(got).any() else 'inf'))
        expect_close(got, F.softmax(z, dim=-1), what, atol=1e-5)


# ---------------------------------------------------------------- cross-entropy

def _ce_mistakes(z, y):
    n = len(y)
    p = F.softmax(z, dim=1)
    rows = torch.arange(n)
    return [
        Mistake(F.cross_entropy(z, y, reduction="sum"), _("the losses of the samples were summed; CrossEntropyLoss takes their mean over the batch "
                                                          "(divide by N, or use .mean())"), _("summed losses")),
        Mistake(-p[rows, y].mean(), _("the log is missing: the loss is -log(softmax(z)[i, y_i]), not -softmax(z)[i, y_i]"),
                _("missing log")),
        Mistake(-p[rows, y].sum(), _("the log is missing and the losses were summed: take the mean of -log(softmax(z)[i, y_i])"), _("missing log")),
        Mistake(-z[rows, y].mean(), _("the raw scores were used as log-probabilities: take log-softmax of the scores first"), _("no log-softmax")),
        Mistake(F.cross_entropy(z, y) / z.shape[1], _("the loss was averaged over all N x C entries; take the mean over the N samples only"), _("mean over N x C")),
    ]


def test_cross_entropy_slide_batches(learner):
    """cross_entropy gives the slide's batch losses, 0.4966 and 1.2389 for Y = [2, 0, 1], and 0.9729 for one sample."""
    cases = ((SLIDE_PRED1, SLIDE_Y, "Y_pred1"), (SLIDE_PRED2, SLIDE_Y, "Y_pred2"),
             (SLIDE_Z[None], torch.tensor([0]), "[[0.2, 0.1, -0.1]] with target [0]"))
    for z, y, name in cases:
        got = expect_number(learner.call("cross_entropy", z, y), f"cross_entropy({name}, {y.tolist()})")
        want = F.cross_entropy(z, y).item()
        if abs(got - want) > 1e-4:
            for mistake in _ce_mistakes(z, y):
                if abs(got - mistake.result.item()) < 1e-4 and abs(mistake.result.item() - want) > 1e-4:
                    fail_mistake(_("cross_entropy({name}, {v1}) returned {got:.4f}, expected {want:.4f}: {message}").format(name=name, v1=y.tolist(), got=got, want=want, message=mistake.message), mistake, expected=f"{want:.4f}", actual=f"{got:.4f}")
            fail(_("cross_entropy({name}, {v1}): expected {want:.4f} (the mean of -log softmax(z)[i, y_i]), "
                   "got {got:.4f}").format(name=name, v1=y.tolist(), want=want, got=got), expected=f"{want:.4f}", actual=f"{got:.4f}")


def test_cross_entropy_matches_functional(learner):
    """cross_entropy equals F.cross_entropy (value and gradient) on random batches of 1 and 5 samples, and stays finite at logits of 1000."""
    cases = [(randn(1, 10, seed=93) * 2, randint(10, (1,), 94)), (randn(5, 10, seed=95) * 2, randint(10, (5,), 96)),
             (torch.tensor([[1000.0, 999.0, 990.0], [995.0, 1000.0, 1001.0]]), torch.tensor([1, 0]))]
    for z, y in cases:
        what = (_("cross_entropy on a ({n}, {classes}) batch of logits near 1000") if z.abs().max() > 100 else
                _("cross_entropy on a ({n}, {classes}) batch")).format(n=len(y), classes=z.shape[1])
        got = glue(learner, "cross_entropy_with_grad", z, y, where=_("cross_entropy (softmax.py)"))
        if not got["is_tensor"]:
            fail(_("{what}: expected a 0-dim tensor, got {__name__}; return the loss as a tensor (no "
                   ".item()) so that loss.backward() works").format(what=what, __name__=type(got['value']).__name__))
        value = expect_tensor(got["value"], what)
        if not torch.isfinite(value).all():
            fail(_("{what} is {v1}: exp(1000) overflows to inf in float32; subtract each row's max first, "
                   "log softmax(z) = (z - max) - log(sum(exp(z - max)))").format(what=what, v1=value.reshape(-1)[0].item()))
        expect_shape(value, (), what + " (a 0-dim tensor, like F.cross_entropy's)")
        ref = z.clone().requires_grad_(True)
        want = F.cross_entropy(ref, y)
        want.backward()
        expect_close_or_mistake(value, want.detach(), what, _ce_mistakes(z, y), atol=1e-4)
        if not got["has_graph"]:
            fail(_("{what}: the loss has no autograd graph back to the logits (it was detached, rebuilt "
                   "from numbers, or computed under no_grad): keep every step in torch operations on the "
                   "input").format(what=what))
        expect_close(got["grad"], ref.grad, _("the gradient of {what} with respect to the logits").format(what=what), atol=1e-5)


def test_cross_entropy_nll_matches(learner):
    """cross_entropy_nll (log_softmax then nll_loss) equals F.cross_entropy on the slide's batches and on random batches of 1 and 6."""
    cases = [(SLIDE_PRED1, SLIDE_Y), (SLIDE_PRED2, SLIDE_Y), (randn(1, 10, seed=97), randint(10, (1,), 98)),
             (randn(6, 4, seed=99) * 2, randint(4, (6,), 100))]
    for z, y in cases:
        what = _("cross_entropy_nll on a ({n}, {classes}) batch").format(n=len(y), classes=z.shape[1])
        got = expect_number(learner.call("cross_entropy_nll", z, y), what)
        want = F.cross_entropy(z, y).item()
        if abs(got - want) <= 1e-4:
            continue
        mistakes = [Mistake(F.nll_loss(F.softmax(z, dim=1), y), _("F.nll_loss was given probabilities (softmax); it wants log-probabilities: use "
                                                                  "F.log_softmax(logits, dim=1)"), _("nll_loss of probabilities")),
                    Mistake(F.nll_loss(z, y), _("F.nll_loss was given the raw scores; apply F.log_softmax(logits, dim=1) first"), _("nll_loss of raw scores")),
                    Mistake(F.nll_loss(F.log_softmax(z, dim=0), y), _("log_softmax ran over dim 0 (the batch); use dim=1, the classes"), _("log_softmax over dim 0")),
                    Mistake(F.nll_loss(F.log_softmax(z, dim=1), y, reduction="sum"), _("the losses were summed; nll_loss's default reduction, the mean, is CrossEntropyLoss's"), _("summed losses"))]
        for mistake in mistakes:
            if abs(got - mistake.result.item()) < 1e-4:
                fail_mistake(_("{what} returned {got:.4f}, expected {want:.4f}: {message}").format(what=what, got=got, want=want, message=mistake.message), mistake,
                             expected=f"{want:.4f}", actual=f"{got:.4f}")
        fail(_("{what}: expected {want:.4f} (F.cross_entropy on the same input), got {got:.4f}; compute "
               "F.nll_loss(F.log_softmax(logits, dim=1), target)").format(what=what, want=want, got=got), expected=f"{want:.4f}", actual=f"{got:.4f}")


# ---------------------------------------------------------------- images

def test_transform_normalizes(learner):
    """make_transform() turns a 28x28 grey image into a float tensor (1, 28, 28) of (pixel / 255 - 0.1307) / 0.3081, on a real training digit and a random image."""
    first = read_idx(DATA_DIR / "digits" / "MNIST" / "raw" / "train-images-idx3-ubyte")[0].clone()
    noise = torch.randint(0, 256, (28, 28), generator=torch.Generator().manual_seed(9), dtype=torch.uint8)
    images = [first, noise]
    outs = glue(learner, "transform_images", images, where=_("make_transform (data.py)"))["outs"]
    outs = expect_list(outs, _("make_transform()(image) for the 2 images sent"), length=2, noun="results")
    for k, (img, out) in enumerate(zip(images, outs)):
        what = _("make_transform()(image) for the training digit") if k == 0 else _("make_transform()(image) for the random image")
        if isinstance(out, Handle):
            fail(_("{what}: expected a tensor, got an object of type {type}: start with "
                   "transforms.ToTensor()").format(what=what, type=out.type))
        t = expect_shape(out, (1, 28, 28), what)
        if not t.is_floating_point():
            fail(_("{what}: expected a float tensor, got {dtype}: transforms.ToTensor() scales pixels to "
                   "[0, 1]").format(what=what, dtype=t.dtype))
        scaled = img.float().unsqueeze(0) / 255
        expect_close_or_mistake(t, (scaled - MEAN) / STD, what, [
            (scaled, _("the pixels are in [0, 1] but not normalised: add transforms.Normalize((0.1307,), (0.3081,)) "
                       "after ToTensor()"), _("not normalised")),
            ((scaled - STD) / MEAN, _("mean and std are swapped: Normalize(mean, std) is "
                                      "Normalize((0.1307,), (0.3081,))"), _("mean and std swapped")),
            (scaled - MEAN, _("only the mean was subtracted: Normalize((0.1307,), (0.3081,)) also divides by the std"),
             _("std missing")),
        ], atol=1e-4)


def test_flatten_images(learner):
    """flatten turns batches of images (N, 1, 28, 28) into rows (N, 784), for N = 1 and N = 5, keeping the pixel order."""
    for n in (1, 5):
        x = torch.arange(n * 784, dtype=torch.float32).reshape(n, 1, 28, 28)
        got = learner.call("flatten", x)
        what = _("flatten of a ({n}, 1, 28, 28) batch").format(n=n)
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
        if shape == (n * 784,) or (n > 1 and shape == (1, n * 784)):
            fail(_("{what}: expected shape ({n}, 784), got {shape}: the batch dimension was flattened away "
                   "too; keep one row per image, images.view(-1, 784)").format(what=what, n=n, shape=shape))
        if n > 1 and shape == (784, n):
            fail(_("{what}: expected shape ({n}, 784), got (784, {n}): keep one row per image, "
                   "images.view(-1, 784)").format(what=what, n=n))
        expect_close(got, x.reshape(n, 784), what)


# ---------------------------------------------------------------- the network

LAYERS = (("l1", 784, 512), ("l2", 512, 256), ("l3", 256, 128), ("l4", 128, 64), ("l5", 64, 10))
NET_SHAPES = {f"{n}.{p}": ((fan_out, fan_in) if p == "weight" else (fan_out,))
              for n, fan_in, fan_out in LAYERS for p in ("weight", "bias")}
NET_ADVICE = N_("the lecture's layers are l1 = Linear(784, 512), l2 = Linear(512, 256), l3 = Linear(256, 128), "
                "l4 = Linear(128, 64), l5 = Linear(64, 10)")


def net_forward(x: torch.Tensor, w: dict, no_relu=()) -> torch.Tensor:
    """The lecture's Net from the weights ``w`` (name -> (weight, bias)): view(-1, 784), l1..l4 each followed
    by ReLU (except those in ``no_relu``, a known mistake), then l5's raw logits."""
    h = x.reshape(len(x), 784)
    for n, _unused, _unused in LAYERS[:-1]:
        h = F.linear(h, *w[n])
        h = h if n in no_relu else F.relu(h)
    return F.linear(h, *w["l5"])


def test_net_output_shape(learner):
    """Net maps (batch, 1, 28, 28) images to (batch, 10) class scores, for batch 1 and batch 3."""
    expect_class_scores(learner, "Net")


def test_net_parameter_count(learner):
    """Net has the lecture's layers 784-512-256-128-64-10: 575,050 trainable parameters."""
    net = learner.new("Net")
    expect_parameter_count(learner, net, 575050, "Net")


def test_net_returns_logits(learner):
    """Net's output equals view(-1, 784) -> l1..l4 each followed by ReLU -> l5, computed from its own weights: raw logits, no softmax."""
    learner.seed(1)
    net = learner.new("Net")
    state = expect_state(learner.method(net, "state_dict"), NET_SHAPES, "Net", NET_ADVICE, extra_ok=True)
    w = {n: (state[f"{n}.weight"], state[f"{n}.bias"]) for n, _unused, _unused in LAYERS}
    for batch, seed in ((1, 11), (4, 12)):
        x = randn(batch, 1, 28, 28, seed=seed)
        out = expect_shape(learner.call(net, x), (batch, 10), _("Net()(x) for a batch of {batch}").format(batch=batch))

        def forward(no_relu=()):
            return net_forward(x, w, no_relu)

        ref = forward()
        reject_probabilities(out, "Net", "l5")
        hidden = [n for n, _unused, _unused in LAYERS[:-1]]
        mistakes = [Mistake(forward(no_relu=hidden), _("there is no ReLU between the layers, so the five Linear layers collapse into one: apply "
                                                       "F.relu after l1, l2, l3 and l4"), _("no ReLU"))]
        mistakes += [Mistake(forward(no_relu=(n,)), _("there is no ReLU after {n}: apply F.relu after each of l1, l2, l3 and l4").format(n=n), _("no ReLU after {n}").format(n=n)) for n in hidden]
        mistakes += [Mistake(F.relu(ref), _("the last layer is activated with ReLU: return l5's output as it is (raw logits)"), _("ReLU on the logits")),
                     Mistake(F.log_softmax(ref, dim=1), _("the output went through log_softmax: return l5's raw logits; CrossEntropyLoss applies "
                                                          "log-softmax itself"), _("log_softmax in the model"))]
        expect_close_or_mistake(out, ref, _("Net()(x) for a batch of {batch}, against the lecture's layers computed from your weights").format(batch=batch), mistakes, atol=1e-4)


# ---------------------------------------------------------------- training

# A small model (glue's flat_linear(state)) and its batches, made by the grader and sent to the worker, so
# that train_one_epoch is judged on its own and the reference never depends on anything that comes back.
def _small(seed: int, n: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    batches = [(torch.randn(8, 1, 28, 28, generator=g), torch.randint(0, 10, (8,), generator=g)) for _unused in range(n)]
    return {"state": seeded_state({"1.weight": (10, 784), "1.bias": (10,)}, 0), "batches": batches}


def test_train_zero_grad(learner):
    """train_one_epoch zeroes the gradients for every batch (checked with lr = 0 on one batch repeated)."""
    data = _small(0, 1)
    model = glue(learner, "flat_linear", data["state"])
    expect_zero_grad_each_step(learner, model, lambda opt: learner.call(
        "train_one_epoch", model, data["batches"] * 3, opt, learner.new("torch.nn.CrossEntropyLoss")))


# glue's loss_probe: a model that records its outputs and a loss that records what it is given; the loss
# must receive the model's raw outputs and the loader's Long (N,) labels.
def _loss_probe(learner):
    data = _small(3, 2)
    got = glue(learner, "loss_probe", data["state"], data["batches"], where=_("train_one_epoch (train.py)"))
    got["labels"] = [y for _unused, y in data["batches"]]   # the grader's own, not what came back
    for key in ("outputs", "inputs", "targets"):
        if not isinstance(got[key], list) or len(got[key]) != 2:
            fail(_("train_one_epoch over 2 batches called the {v0} {v1} time(s): once per batch expected "
                   "(outputs = model(inputs); loss = criterion(outputs, target))").format(v0='model' if key == 'outputs' else 'loss', v1=len(got[key]) if isinstance(got[key], list) else _('an unknown number of')))
    return got


def test_train_loss_gets_logits(learner):
    """train_one_epoch hands the loss the model's raw outputs (logits), not a softmax of them."""
    got = _loss_probe(learner)
    for k, (out, given) in enumerate(zip(got["outputs"], got["inputs"])):
        given = expect_tensor(given, _("what reached the loss at batch {v0}").format(v0=k + 1))
        if given.shape == out.shape and torch.allclose(given.double(), F.softmax(out.double(), dim=1), atol=1e-5):
            fail(_("the loss was given softmax(outputs): softmax before CrossEntropyLoss. CrossEntropyLoss "
                   "applies log-softmax itself; pass the model's raw outputs, criterion(outputs, target)"))
        if given.shape == out.shape and torch.allclose(given.double(), F.log_softmax(out.double(), dim=1), atol=1e-5):
            fail(_("the loss was given log_softmax(outputs): CrossEntropyLoss applies log-softmax itself; "
                   "pass the model's raw outputs, criterion(outputs, target)"))
        expect_close(given, out, _("what reached the loss at batch {v0} (the model's outputs for that batch)").format(v0=k + 1))


def test_train_targets_long(learner):
    """train_one_epoch passes the loader's labels to the loss as they are: Long class indices of shape (N,)."""
    got = _loss_probe(learner)
    for k, (given, labels) in enumerate(zip(got["targets"], got["labels"])):
        given = expect_tensor(given, _("the targets that reached the loss at batch {v0}").format(v0=k + 1))
        if given.is_floating_point():
            fail(_("the targets reached the loss as {dtype}, Float targets: CrossEntropyLoss wants class "
                   "indices as a Long tensor (torch.int64); pass the loader's labels unchanged, no .float() "
                   "(with real CrossEntropyLoss this fails with 'expected ... Long')").format(dtype=given.dtype))
        if tuple(given.shape) == (len(labels), 1):
            fail(_("the targets reached the loss with shape {given_shape}, (N, 1) targets: CrossEntropyLoss "
                   "wants shape (N,) = ({n_labels},); do not view(-1, 1) or unsqueeze them (that is "
                   "BCELoss's layout)").format(given_shape=tuple(given.shape), n_labels=len(labels)))
        expect_shape(given, tuple(labels.shape), _("the targets that reached the loss at batch {v0}").format(v0=k + 1))
        if given.dtype != torch.int64:
            fail(_("the targets reached the loss as {dtype}; CrossEntropyLoss wants Long (torch.int64)").format(dtype=given.dtype))
        if not torch.equal(given, labels):
            fail(_("the targets that reached the loss at batch {v0} are not the loader's labels: expected "
                   "{v1}, got {v2}").format(v0=k + 1, v1=labels.tolist(), v2=given.tolist()))


def test_train_returns_mean_loss(learner):
    """train_one_epoch returns the mean of its batch losses, as a number (checked with lr = 0 on three batches)."""
    data = _small(5, 3)
    model = glue(learner, "flat_linear", data["state"])
    opt = learner.new("torch.optim.SGD", learner.method(model, "parameters"), lr=0.0)
    loss = learner.call("train_one_epoch", model, data["batches"], opt, learner.new("torch.nn.CrossEntropyLoss"))
    w, b = data["state"]["1.weight"], data["state"]["1.bias"]
    logits = [(F.linear(x.reshape(len(x), -1), w, b), y) for x, y in data["batches"]]
    losses = [F.cross_entropy(z, y).item() for z, y in logits]
    value = expect_number(loss, _("train_one_epoch(...)'s return value"), python=True)  # "as a Python float"
    want = sum(losses) / len(losses)
    softmaxed = sum(F.cross_entropy(F.softmax(z, dim=1), y).item() for z, y in logits) / len(logits)
    judge_mean_loss(value, losses, "train_one_epoch", [Mistake(
        softmaxed, _("train_one_epoch returned {value:.4f}, the loss of softmax(outputs): softmax before "
                     "CrossEntropyLoss; pass the raw outputs (the mean loss would be {want:.4f})").format(value=value, want=want), _("softmax before CrossEntropyLoss"),
        _("pass the raw outputs to the loss"))])


TRAIN_FIX = N_("call model.train() at the start of train_one_epoch: accuracy() leaves the model in eval mode, and "
                "layers such as dropout and batch-norm must train in training mode")


def test_train_mode(learner):
    """train_one_epoch trains the model in training mode (model.train()), also when accuracy left it in eval mode."""
    expect_trains_in_train_mode(
        learner, "FirstPixel",
        lambda model, opt, crit: learner.call("train_one_epoch", model, first_pixel_batches(), opt, crit),
        "train_one_epoch", "accuracy", _(TRAIN_FIX))


# ---------------------------------------------------------------- accuracy

# glue's counting_probe: a model whose prediction is written in each image's first pixel, 6 of 8 right in
# uneven batches; it records the modes it ran in.
def test_accuracy_modes(learner):
    """accuracy switches the model to eval mode and computes without building a graph (torch.no_grad)."""
    got = glue(learner, "counting_probe", "accuracy", where=_("accuracy (train.py)"))
    judge_modes(got["modes"], "accuracy")


def test_accuracy_value(learner):
    """accuracy returns the fraction of correct predictions over all samples: 0.75 for 6 right out of 8 in uneven batches."""
    got = glue(learner, "counting_probe", "accuracy", where=_("accuracy (train.py)"))
    if isinstance(got["out"], torch.Tensor):  # the count kept as a tensor: (predicted == labels).sum() without .item()
        expect_number(got["out"], _("{who}(...)'s return value").format(who="accuracy"), python=True)
    judge_fraction_correct(got["out"], "accuracy")


# ---------------------------------------------------------------- trained on real digits

TRAINING = N_("your Net and train_one_epoch")


def trained_net(learner, seed: int, device: str, epochs: int) -> dict:
    """The weights (name -> (weight, bias)) of the learner's Net after the learner's training, checked
    against the lecture's layers."""
    # glue's train_digits_mlp: only the trained weights come back, and the evaluation digits are never sent:
    # the grader computes the predictions (net_forward)
    got = glue(learner, "train_digits_mlp", WORKER_DATA_ROOT, seed, device, epochs, MEAN, STD, where=_(TRAINING))
    expect_device(got, device)
    state = expect_state(got["state"], NET_SHAPES, _("the trained Net"), NET_ADVICE)
    return {n: (state[f"{n}.weight"].float(), state[f"{n}.bias"].float()) for n, _unused, _unused in LAYERS}


def test_trained_accuracy(learner, thresholds, eval_set, device):
    """Your Net trained by your train_one_epoch (5 epochs on 1,197 real digit images) classifies held-out digits above the threshold, on every seed, on the requested device (the grader computes the predictions with the lecture's layers from your trained weights)."""
    images, labels = eval_set("digits")
    x = (((images.float() / 255) - MEAN) / STD).unsqueeze(1)
    glue_side_by_side(learner, "train_digits_mlp", [(WORKER_DATA_ROOT, seed, device, thresholds["epochs"], MEAN, STD)
                                                    for seed in thresholds["seeds"]], where=_(TRAINING))
    for seed in thresholds["seeds"]:
        w = trained_net(learner, seed, device, thresholds["epochs"])
        pred = predict_classes(lambda chunk: net_forward(chunk, w), x)
        judge_accuracy(pred, labels, thresholds["accuracy"],
                       _("accuracy on {n_labels} held-out digits after {epochs} epochs (seed {seed})").format(n_labels=len(labels), epochs=thresholds['epochs'], seed=seed))
