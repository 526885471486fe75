"""Hidden checks of lecture 09, softmax classifier.

Expected values are computed here with torch.nn.functional, from the slide's
numbers or from the learner's own weights.  The evaluation digits are never
sent to the worker: the Net trained there by the learner's code comes back as
its weights, and its predictions are computed here with the lecture's layers,
where the labels stay.
"""

import torch
import torch.nn.functional as F

from grader.checks.api import expect_close, expect_number, expect_shape, expect_tensor, fail
from grader.checks.common import (PARAMETER_COUNT, RECORDING_SGD, TRAINED_STATE, expect_close_or_mistake,
                                  expect_count, expect_device, expect_list, expect_modes, expect_state,
                                  judge_accuracy, judge_zero_grad, predict_classes, seeded_state)
from grader.data import DATA_DIR, WORKER_DATA_ROOT, read_idx
from grader.sandbox.learner import Handle

MEAN, STD = 0.1307, 0.3081
SLIDE_Z = torch.tensor([0.2, 0.1, -0.1])
SLIDE_Y = torch.tensor([2, 0, 1])
SLIDE_PRED1 = torch.tensor([[0.1, 0.2, 0.9], [1.1, 0.1, 0.2], [0.2, 2.1, 0.1]])
SLIDE_PRED2 = torch.tensor([[0.8, 0.2, 0.3], [0.2, 0.3, 0.5], [0.2, 0.2, 0.5]])


def _randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _targets(n, c, seed):
    return torch.randint(0, c, (n,), generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- softmax

def _softmax_mistakes(z):
    """What common wrong softmaxes compute on z, with the message naming each."""
    shifted = z - z.max(dim=-1, keepdim=True).values
    mistakes = [
        (shifted / shifted.sum(dim=-1, keepdim=True), "the scores were normalised without exp: take torch.exp of "
         "the (shifted) scores, then divide by the sum of the exps"),
        (z / z.sum(dim=-1, keepdim=True), "the scores were normalised without exp: softmax is exp(z) / exp(z).sum()"),
        (z.exp(), "exp(z) was not divided by its sum: softmax is exp(z) / exp(z).sum(dim=-1, keepdim=True)"),
    ]
    if z.dim() == 2:
        mistakes.append((F.softmax(z, dim=0), "normalised over dim 0 (each column sums to 1): normalise each row, "
                         "along the last dim: exps / exps.sum(dim=-1, keepdim=True)"))
    return mistakes


def test_softmax_slide_example(learner):
    """softmax([0.2, 0.1, -0.1]) is the slide's [0.38, 0.34, 0.28]: positive numbers that sum to 1."""
    expect_close_or_mistake(learner.call("softmax", SLIDE_Z), F.softmax(SLIDE_Z, dim=0),
                            "softmax([0.2, 0.1, -0.1])", _softmax_mistakes(SLIDE_Z), atol=1e-4)


def test_softmax_rows_sum_to_one(learner):
    """On batches of scores (N, 10), for N = 1 and N = 4, each row of softmax is F.softmax of that row: it sums to 1."""
    for n, seed in ((1, 90), (4, 91)):
        z = _randn(n, 10, seed=seed) * 3
        got = expect_shape(learner.call("softmax", z), (n, 10), f"softmax of a ({n}, 10) batch")
        sums = got.double().sum(dim=-1)
        if not torch.allclose(sums, torch.ones(n, dtype=torch.float64), atol=1e-4):
            detail = ""
            if n > 1 and torch.allclose(got.double().sum(dim=0), torch.ones(10, dtype=torch.float64), atol=1e-4):
                detail = "; its columns sum to 1 instead: sum over the last dim (dim=-1, keepdim=True), not dim 0"
            elif n == 1 and torch.allclose(got.double(), torch.ones(1, 10, dtype=torch.float64), atol=1e-4):
                detail = "; every entry is 1, as when dividing by a sum over dim 0: sum over the last dim (dim=-1)"
            fail(f"softmax of a ({n}, 10) batch: each row should sum to 1, but the row sums are "
                 f"{[round(s, 4) for s in sums.tolist()]}{detail}")
        expect_close_or_mistake(got, F.softmax(z, dim=-1), f"softmax of a ({n}, 10) batch", _softmax_mistakes(z),
                                atol=1e-5)


def test_softmax_large_logits(learner):
    """softmax stays finite and exact at logits of 1000: [[1000, 1001, 999], [-1000, 0, 1000]] and [1000, 1000]."""
    for z in (torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]]), torch.tensor([1000.0, 1000.0])):
        what = f"softmax({z.tolist()})"
        got = expect_shape(learner.call("softmax", z), tuple(z.shape), what)
        if not torch.isfinite(got).all():
            fail(f"{what} contains {'nan' if torch.isnan(got).any() else 'inf'}: exp(1000) overflows to inf in "
                 "float32 and inf / inf is nan; subtract each row's max before exp, "
                 "z - z.max(dim=-1, keepdim=True).values (softmax does not change)")
        expect_close(got, F.softmax(z, dim=-1), what, atol=1e-5)


# ---------------------------------------------------------------- cross-entropy

def _ce_mistakes(z, y):
    n = len(y)
    p = F.softmax(z, dim=1)
    rows = torch.arange(n)
    return [
        (F.cross_entropy(z, y, reduction="sum"), "the losses of the samples were summed; CrossEntropyLoss takes "
         "their mean over the batch (divide by N, or use .mean())"),
        (-p[rows, y].mean(), "the log is missing: the loss is -log(softmax(z)[i, y_i]), not -softmax(z)[i, y_i]"),
        (-p[rows, y].sum(), "the log is missing and the losses were summed: take the mean of -log(softmax(z)[i, y_i])"),
        (-z[rows, y].mean(), "the raw scores were used as log-probabilities: take log-softmax of the scores first"),
        (F.cross_entropy(z, y) / z.shape[1], "the loss was averaged over all N x C entries; take the mean over "
         "the N samples only"),
    ]


def test_cross_entropy_slide_batches(learner):
    """cross_entropy gives the slide's batch losses, 0.4966 and 1.2389 for Y = [2, 0, 1], and 0.9729 for one sample."""
    cases = ((SLIDE_PRED1, SLIDE_Y, "Y_pred1"), (SLIDE_PRED2, SLIDE_Y, "Y_pred2"),
             (SLIDE_Z[None], torch.tensor([0]), "[[0.2, 0.1, -0.1]] with target [0]"))
    for z, y, name in cases:
        got = expect_number(learner.call("cross_entropy", z, y), f"cross_entropy({name}, {y.tolist()})")
        want = F.cross_entropy(z, y).item()
        if abs(got - want) > 1e-4:
            for value, message in _ce_mistakes(z, y):
                if abs(got - value.item()) < 1e-4 and abs(value.item() - want) > 1e-4:
                    fail(f"cross_entropy({name}, {y.tolist()}) returned {got:.4f}, expected {want:.4f}: {message}")
            fail(f"cross_entropy({name}, {y.tolist()}): expected {want:.4f} (the mean of -log softmax(z)[i, y_i]), "
                 f"got {got:.4f}")


CE_WITH_GRAD = """
z = logits.clone().requires_grad_(True)
loss = resolve('cross_entropy')(z, target)
is_tensor = isinstance(loss, torch.Tensor)
value = loss.detach() if is_tensor else loss
has_graph = is_tensor and loss.requires_grad and loss.numel() == 1
grad = None
if has_graph:
    loss.reshape(()).backward()
    grad = z.grad
"""


def test_cross_entropy_matches_functional(learner):
    """cross_entropy equals F.cross_entropy (value and gradient) on random batches of 1 and 5 samples, and stays finite at logits of 1000."""
    cases = [(_randn(1, 10, seed=93) * 2, _targets(1, 10, 94)), (_randn(5, 10, seed=95) * 2, _targets(5, 10, 96)),
             (torch.tensor([[1000.0, 999.0, 990.0], [995.0, 1000.0, 1001.0]]), torch.tensor([1, 0]))]
    for z, y in cases:
        what = f"cross_entropy on a ({len(y)}, {z.shape[1]}) batch" + (" of logits near 1000" if z.abs().max() > 100 else "")
        got = learner.exec(CE_WITH_GRAD, logits=z, target=y, returns=("value", "has_graph", "grad", "is_tensor"),
                           where="cross_entropy (softmax.py)")
        if not got["is_tensor"]:
            fail(f"{what}: expected a 0-dim tensor, got {type(got['value']).__name__}; return the loss as a tensor "
                 "(no .item()) so that loss.backward() works")
        value = expect_tensor(got["value"], what)
        if not torch.isfinite(value).all():
            fail(f"{what} is {value.reshape(-1)[0].item()}: exp(1000) overflows to inf in float32; subtract each "
                 "row's max first, log softmax(z) = (z - max) - log(sum(exp(z - max)))")
        expect_shape(value, (), what + " (a 0-dim tensor, like F.cross_entropy's)")
        ref = z.clone().requires_grad_(True)
        want = F.cross_entropy(ref, y)
        want.backward()
        expect_close_or_mistake(value, want.detach(), what, [(v, m) for v, m in _ce_mistakes(z, y)], atol=1e-4)
        if not got["has_graph"]:
            fail(f"{what}: the loss has no autograd graph back to the logits (it was detached, rebuilt from numbers, "
                 "or computed under no_grad): keep every step in torch operations on the input")
        expect_close(got["grad"], ref.grad, f"the gradient of {what} with respect to the logits", atol=1e-5)


def test_cross_entropy_nll_matches(learner):
    """cross_entropy_nll (log_softmax then nll_loss) equals F.cross_entropy on the slide's batches and on random batches of 1 and 6."""
    cases = [(SLIDE_PRED1, SLIDE_Y), (SLIDE_PRED2, SLIDE_Y), (_randn(1, 10, seed=97), _targets(1, 10, 98)),
             (_randn(6, 4, seed=99) * 2, _targets(6, 4, 100))]
    for z, y in cases:
        what = f"cross_entropy_nll on a ({len(y)}, {z.shape[1]}) batch"
        got = expect_number(learner.call("cross_entropy_nll", z, y), what)
        want = F.cross_entropy(z, y).item()
        if abs(got - want) <= 1e-4:
            continue
        mistakes = [(F.nll_loss(F.softmax(z, dim=1), y), "F.nll_loss was given probabilities (softmax); it wants "
                     "log-probabilities: use F.log_softmax(logits, dim=1)"),
                    (F.nll_loss(z, y), "F.nll_loss was given the raw scores; apply F.log_softmax(logits, dim=1) first"),
                    (F.nll_loss(F.log_softmax(z, dim=0), y), "log_softmax ran over dim 0 (the batch); use dim=1, "
                     "the classes"),
                    (F.nll_loss(F.log_softmax(z, dim=1), y, reduction="sum"), "the losses were summed; nll_loss's "
                     "default reduction, the mean, is CrossEntropyLoss's")]
        for value, message in mistakes:
            if abs(got - value.item()) < 1e-4:
                fail(f"{what} returned {got:.4f}, expected {want:.4f}: {message}")
        fail(f"{what}: expected {want:.4f} (F.cross_entropy on the same input), got {got:.4f}; "
             "compute F.nll_loss(F.log_softmax(logits, dim=1), target)")


# ---------------------------------------------------------------- images

TRANSFORM = """
from torchvision import transforms
tf = resolve('make_transform')()
outs = [tf(transforms.ToPILImage()(img)) for img in images]
"""


def test_transform_normalizes(learner):
    """make_transform() turns a 28x28 grey image into a float tensor (1, 28, 28) of (pixel / 255 - 0.1307) / 0.3081, on a real training digit and a random image."""
    first = read_idx(DATA_DIR / "digits" / "MNIST" / "raw" / "train-images-idx3-ubyte")[0].clone()
    noise = torch.randint(0, 256, (28, 28), generator=torch.Generator().manual_seed(9), dtype=torch.uint8)
    images = [first, noise]
    outs = learner.exec(TRANSFORM, images=images, returns=("outs",), where="make_transform (data.py)")["outs"]
    outs = expect_list(outs, "make_transform()(image) for the 2 images sent", length=2, noun="results")
    for k, (img, out) in enumerate(zip(images, outs)):
        what = f"make_transform()(image) for the {'training digit' if k == 0 else 'random image'}"
        if isinstance(out, Handle):
            fail(f"{what}: expected a tensor, got an object of type {out.type}: start with transforms.ToTensor()")
        t = expect_shape(out, (1, 28, 28), what)
        if not t.is_floating_point():
            fail(f"{what}: expected a float tensor, got {t.dtype}: transforms.ToTensor() scales pixels to [0, 1]")
        scaled = img.float().unsqueeze(0) / 255
        expect_close_or_mistake(t, (scaled - MEAN) / STD, what, [
            (scaled, "the pixels are in [0, 1] but not normalised: add transforms.Normalize((0.1307,), (0.3081,)) "
                     "after ToTensor()"),
            ((scaled - STD) / MEAN, "mean and std are swapped: Normalize(mean, std) is Normalize((0.1307,), (0.3081,))"),
            (scaled - MEAN, "only the mean was subtracted: Normalize((0.1307,), (0.3081,)) also divides by the std"),
        ], atol=1e-4)


def test_flatten_images(learner):
    """flatten turns batches of images (N, 1, 28, 28) into rows (N, 784), for N = 1 and N = 5, keeping the pixel order."""
    for n in (1, 5):
        x = torch.arange(n * 784, dtype=torch.float32).reshape(n, 1, 28, 28)
        got = learner.call("flatten", x)
        what = f"flatten of a ({n}, 1, 28, 28) batch"
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
        if shape == (n * 784,) or (n > 1 and shape == (1, n * 784)):
            fail(f"{what}: expected shape ({n}, 784), got {shape}: the batch dimension was flattened away too; "
                 "keep one row per image, images.view(-1, 784)")
        if n > 1 and shape == (784, n):
            fail(f"{what}: expected shape ({n}, 784), got (784, {n}): keep one row per image, images.view(-1, 784)")
        expect_close(got, x.reshape(n, 784), what)


# ---------------------------------------------------------------- the network

LAYERS = (("l1", 784, 512), ("l2", 512, 256), ("l3", 256, 128), ("l4", 128, 64), ("l5", 64, 10))
NET_SHAPES = {f"{n}.{p}": ((fan_out, fan_in) if p == "weight" else (fan_out,))
              for n, fan_in, fan_out in LAYERS for p in ("weight", "bias")}
NET_ADVICE = ("the lecture's layers are l1 = Linear(784, 512), l2 = Linear(512, 256), l3 = Linear(256, 128), "
              "l4 = Linear(128, 64), l5 = Linear(64, 10)")


def net_forward(x: torch.Tensor, w: dict, no_relu=()) -> torch.Tensor:
    """The lecture's Net from the weights ``w`` (name -> (weight, bias)): view(-1, 784), l1..l4 each followed
    by ReLU (except those in ``no_relu``, a known mistake), then l5's raw logits."""
    h = x.reshape(len(x), 784)
    for n, _, _ in LAYERS[:-1]:
        h = F.linear(h, *w[n])
        h = h if n in no_relu else F.relu(h)
    return F.linear(h, *w["l5"])


def test_net_output_shape(learner):
    """Net maps (batch, 1, 28, 28) images to (batch, 10) class scores, for batch 1 and batch 3."""
    learner.seed(0)
    net = learner.new("Net")
    for batch in (1, 3):
        expect_shape(learner.call(net, torch.randn(batch, 1, 28, 28)), (batch, 10), f"Net()(x) for a batch of {batch}")


def test_net_parameter_count(learner):
    """Net has the lecture's layers 784-512-256-128-64-10: 575,050 trainable parameters."""
    net = learner.new("Net")
    got = learner.exec(PARAMETER_COUNT, model=net, returns=("count", "names"), where="Net.parameters()")
    expect_count(got["count"], 575050, "Net", got["names"])


def test_net_returns_logits(learner):
    """Net's output equals view(-1, 784) -> l1..l4 each followed by ReLU -> l5, computed from its own weights: raw logits, no softmax."""
    learner.seed(1)
    net = learner.new("Net")
    state = learner.method(net, "state_dict")
    names = [f"{n}.{p}" for n, _, _ in LAYERS for p in ("weight", "bias")]
    if not isinstance(state, dict) or any(n not in state for n in names):
        fail("Net must name its layers l1, l2, l3, l4 and l5 (found: "
             f"{', '.join(state) if isinstance(state, dict) else state})")
    w = {}
    for n, fan_in, fan_out in LAYERS:
        w[n] = (expect_shape(state[f"{n}.weight"], (fan_out, fan_in), f"{n}.weight"),
                expect_shape(state[f"{n}.bias"], (fan_out,), f"{n}.bias"))
    for batch, seed in ((1, 11), (4, 12)):
        x = _randn(batch, 1, 28, 28, seed=seed)
        out = expect_shape(learner.call(net, x), (batch, 10), f"Net()(x) for a batch of {batch}")

        def forward(no_relu=()):
            return net_forward(x, w, no_relu)

        ref = forward()
        if torch.allclose(out.sum(dim=1), torch.ones(batch), atol=1e-4) and (out >= 0).all():
            fail("Net's outputs are probabilities (each row sums to 1): return l5's raw logits; CrossEntropyLoss "
                 "applies log-softmax itself, and a softmax before it slows learning badly")
        hidden = [n for n, _, _ in LAYERS[:-1]]
        mistakes = [(forward(no_relu=hidden), "there is no ReLU between the layers, so the five Linear layers "
                     "collapse into one: apply F.relu after l1, l2, l3 and l4")]
        mistakes += [(forward(no_relu=(n,)), f"there is no ReLU after {n}: apply F.relu after each of l1, l2, l3 "
                      "and l4") for n in hidden]
        mistakes += [(F.relu(ref), "the last layer is activated with ReLU: return l5's output as it is (raw logits)"),
                     (F.log_softmax(ref, dim=1), "the output went through log_softmax: return l5's raw logits; "
                      "CrossEntropyLoss applies log-softmax itself")]
        expect_close_or_mistake(out, ref, f"Net()(x) for a batch of {batch}, against the lecture's layers computed "
                                "from your weights", mistakes, atol=1e-4)


# ---------------------------------------------------------------- training

# A small model and its batches, made by the grader and sent to the worker, so that train_one_epoch is
# judged on its own and the reference never depends on anything that comes back.
SMALL_MODEL = """
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
model.load_state_dict(state)
"""


def _small(seed: int, n: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    batches = [(torch.randn(8, 1, 28, 28, generator=g), torch.randint(0, 10, (8,), generator=g)) for _ in range(n)]
    return {"state": seeded_state({"1.weight": (10, 784), "1.bias": (10,)}, 0), "batches": batches}


def test_train_zero_grad(learner):
    """train_one_epoch zeroes the gradients for every batch (checked with lr = 0 on one batch repeated)."""
    got = learner.exec(SMALL_MODEL + RECORDING_SGD + """
batches = [batches[0]] * 3
opt = RecordingSGD(model.parameters(), lr=0.0)
resolve('train_one_epoch')(model, batches, opt, nn.CrossEntropyLoss())
seen = opt.seen
""", **_small(0, 1), returns=("seen",), where="train_one_epoch (train.py)")
    judge_zero_grad(got["seen"], steps=3)


# A model that records its outputs and a loss that records what it is given: the loss must
# receive the model's raw outputs and the loader's Long (N,) labels.
LOSS_PROBE = SMALL_MODEL + """
class Recorder(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.outputs = []
    def forward(self, x):
        out = self.inner(x)
        self.outputs.append(out.detach().clone())
        return out
class ProbeLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.inputs, self.targets = [], []
    def forward(self, out, target):
        self.inputs.append(out.detach().clone())
        self.targets.append(target.detach().clone())
        return (out.float() ** 2).mean()
probe, crit = Recorder(model), ProbeLoss()
opt = torch.optim.SGD(probe.parameters(), lr=0.0)
resolve('train_one_epoch')(probe, batches, opt, crit)
outputs, inputs, targets = probe.outputs, crit.inputs, crit.targets
"""


def _loss_probe(learner):
    data = _small(3, 2)
    got = learner.exec(LOSS_PROBE, **data, returns=("outputs", "inputs", "targets"),
                       where="train_one_epoch (train.py)")
    got["labels"] = [y for _, y in data["batches"]]   # the grader's own, not what came back
    for key in ("outputs", "inputs", "targets"):
        if not isinstance(got[key], list) or len(got[key]) != 2:
            fail(f"train_one_epoch over 2 batches called the {'model' if key == 'outputs' else 'loss'} "
                 f"{len(got[key]) if isinstance(got[key], list) else 'an unknown number of'} time(s): "
                 "once per batch expected (outputs = model(inputs); loss = criterion(outputs, target))")
    return got


def test_train_loss_gets_logits(learner):
    """train_one_epoch hands the loss the model's raw outputs (logits), not a softmax of them."""
    got = _loss_probe(learner)
    for k, (out, given) in enumerate(zip(got["outputs"], got["inputs"])):
        given = expect_tensor(given, f"what reached the loss at batch {k + 1}")
        if given.shape == out.shape and torch.allclose(given.double(), F.softmax(out.double(), dim=1), atol=1e-5):
            fail("the loss was given softmax(outputs): softmax before CrossEntropyLoss. CrossEntropyLoss applies "
                 "log-softmax itself; pass the model's raw outputs, criterion(outputs, target)")
        if given.shape == out.shape and torch.allclose(given.double(), F.log_softmax(out.double(), dim=1), atol=1e-5):
            fail("the loss was given log_softmax(outputs): CrossEntropyLoss applies log-softmax itself; pass the "
                 "model's raw outputs, criterion(outputs, target)")
        expect_close(given, out, f"what reached the loss at batch {k + 1} (the model's outputs for that batch)")


def test_train_targets_long(learner):
    """train_one_epoch passes the loader's labels to the loss as they are: Long class indices of shape (N,)."""
    got = _loss_probe(learner)
    for k, (given, labels) in enumerate(zip(got["targets"], got["labels"])):
        given = expect_tensor(given, f"the targets that reached the loss at batch {k + 1}")
        if given.is_floating_point():
            fail(f"the targets reached the loss as {given.dtype}, Float targets: CrossEntropyLoss wants class "
                 "indices as a Long tensor (torch.int64); pass the loader's labels unchanged, no .float() "
                 "(with real CrossEntropyLoss this fails with 'expected ... Long')")
        if tuple(given.shape) == (len(labels), 1):
            fail(f"the targets reached the loss with shape {tuple(given.shape)}, (N, 1) targets: CrossEntropyLoss "
                 f"wants shape (N,) = ({len(labels)},); do not view(-1, 1) or unsqueeze them (that is BCELoss's "
                 "layout)")
        expect_shape(given, tuple(labels.shape), f"the targets that reached the loss at batch {k + 1}")
        if given.dtype != torch.int64:
            fail(f"the targets reached the loss as {given.dtype}; CrossEntropyLoss wants Long (torch.int64)")
        if not torch.equal(given, labels):
            fail(f"the targets that reached the loss at batch {k + 1} are not the loader's labels: "
                 f"expected {labels.tolist()}, got {given.tolist()}")


def test_train_returns_mean_loss(learner):
    """train_one_epoch returns the mean of its batch losses, as a number (checked with lr = 0 on three batches)."""
    data = _small(5, 3)
    got = learner.exec(SMALL_MODEL + """
opt = torch.optim.SGD(model.parameters(), lr=0.0)
loss = resolve('train_one_epoch')(model, batches, opt, nn.CrossEntropyLoss())
""", **data, returns=("loss",), where="train_one_epoch (train.py)")
    w, b = data["state"]["1.weight"], data["state"]["1.bias"]
    logits = [(F.linear(x.reshape(len(x), -1), w, b), y) for x, y in data["batches"]]
    losses = [F.cross_entropy(z, y).item() for z, y in logits]
    value = expect_number(got["loss"], "train_one_epoch(...)'s return value")
    want = sum(losses) / len(losses)
    softmaxed = sum(F.cross_entropy(F.softmax(z, dim=1), y).item() for z, y in logits) / len(logits)
    if abs(value - softmaxed) < 1e-4:
        fail(f"train_one_epoch returned {value:.4f}, the loss of softmax(outputs): softmax before CrossEntropyLoss; "
             f"pass the raw outputs (the mean loss would be {want:.4f})")
    if abs(value - sum(losses)) < 1e-4:
        fail(f"train_one_epoch returned the sum of the batch losses ({value:.4f}); return their mean ({want:.4f})")
    if abs(value - losses[-1]) < 1e-4:
        fail(f"train_one_epoch returned the last batch's loss ({value:.4f}); return the mean over the batches "
             f"({want:.4f})")
    if abs(value - want) > 1e-4:
        fail(f"train_one_epoch returned {value:.4f}; the mean of the batch losses was {want:.4f}")


# ---------------------------------------------------------------- accuracy

# A model whose prediction is written in each image's first pixel; it records the modes it ran in.
ACCURACY_PROBE = """
class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.modes = []
    def forward(self, x):
        self.modes.append([self.training, torch.is_grad_enabled()])
        return F.one_hot(x.reshape(len(x), -1)[:, 0].long(), 10).float() * self.w
def batch(preds, labels):
    x = torch.zeros(len(preds), 1, 28, 28)
    x[:, 0, 0, 0] = torch.tensor(preds, dtype=torch.float32)
    return x, torch.tensor(labels)
# 5 of 5 right, then 1 of 3 right: 6 of 8 overall (a mean of per-batch accuracies would give 0.667)
batches = [batch([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]), batch([7, 8, 9], [7, 0, 0])]
model = Probe()
model.train()
acc = resolve('accuracy')(model, batches)
modes = model.modes
"""


def test_accuracy_modes(learner):
    """accuracy switches the model to eval mode and computes without building a graph (torch.no_grad)."""
    modes = expect_modes(learner.exec(ACCURACY_PROBE, returns=("modes",), where="accuracy (train.py)")["modes"],
                         "accuracy")
    if any(m[0] for m in modes):
        fail("accuracy ran the model in training mode: call model.eval() before the loop "
             "(dropout and batch-norm behave differently when evaluating)")
    if any(m[1] for m in modes):
        fail("accuracy built an autograd graph: wrap the loop in `with torch.no_grad():` (faster, less memory)")


def test_accuracy_value(learner):
    """accuracy returns the fraction of correct predictions over all samples: 0.75 for 6 right out of 8 in uneven batches."""
    value = expect_number(learner.exec(ACCURACY_PROBE, returns=("acc",), where="accuracy (train.py)")["acc"],
                          "accuracy(...)'s return value")
    if abs(value - 75.0) < 1e-6:
        fail("accuracy returned 75.0, a percentage: return the fraction 0.75")
    if abs(value - 2 / 3) < 1e-4:
        fail("accuracy returned 0.667, the mean of per-batch accuracies; divide the correct count by the number "
             "of samples (6 / 8 = 0.75)")
    if abs(value - 6) < 1e-6:
        fail("accuracy returned 6, the number of correct predictions: divide by the number of samples (8)")
    if abs(value - 0.75) > 1e-6:
        fail(f"accuracy returned {value:.4g}; 6 of the 8 predictions were right, so expected 0.75")


# ---------------------------------------------------------------- trained on real digits

# The learner's Net trained by the learner's train_one_epoch in the worker; only its trained weights come
# back, and the evaluation digits are never sent: the grader computes the predictions (net_forward).
TRAIN = """
from torchvision import datasets
train_set = datasets.MNIST(root, train=True, download=False)
# ToTensor + Normalize((MEAN,), (STD,)) of every image, done once
x_train = ((train_set.data.float() / 255 - MEAN) / STD).unsqueeze(1)
data = torch.utils.data.TensorDataset(x_train, train_set.targets)
dev = torch.device(device)
class OnDevice:
    # the lecture's loop takes batches as they come: the grader's loader brings them to the device
    def __init__(self, loader):
        self.loader = loader
    def __len__(self):
        return len(self.loader)
    def __iter__(self):
        for x, y in self.loader:
            yield x.to(dev), y.to(dev)
torch.manual_seed(seed)
model = resolve('Net')().to(dev)
loader = OnDevice(torch.utils.data.DataLoader(data, batch_size=16, shuffle=True,
                                              generator=torch.Generator().manual_seed(seed)))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
train = resolve('train_one_epoch')
for _ in range(epochs):
    train(model, loader, opt, nn.CrossEntropyLoss())
""" + TRAINED_STATE


def trained_net(learner, seed: int, device: str, epochs: int) -> dict:
    """The weights (name -> (weight, bias)) of the learner's Net after the learner's training, checked
    against the lecture's layers."""
    got = learner.exec(TRAIN, root=WORKER_DATA_ROOT, seed=seed, device=device, epochs=epochs, MEAN=MEAN, STD=STD,
                       returns=("state", "param_device"), where="your Net and train_one_epoch")
    expect_device(got, device)
    state = expect_state(got["state"], NET_SHAPES, "the trained Net", NET_ADVICE)
    return {n: (state[f"{n}.weight"].float(), state[f"{n}.bias"].float()) for n, _, _ in LAYERS}


def test_trained_accuracy(learner, thresholds, eval_set, device):
    """Your Net trained by your train_one_epoch (5 epochs on 1,197 real digit images) classifies held-out digits above the threshold, on every seed, on the requested device (the grader computes the predictions with the lecture's layers from your trained weights)."""
    images, labels = eval_set("digits")
    x = (((images.float() / 255) - MEAN) / STD).unsqueeze(1)
    for seed in thresholds["seeds"]:
        w = trained_net(learner, seed, device, thresholds["epochs"])
        pred = predict_classes(lambda chunk: net_forward(chunk, w), x)
        judge_accuracy(pred, labels, thresholds["accuracy"],
                       f"accuracy on {len(labels)} held-out digits after {thresholds['epochs']} epochs (seed {seed})")
