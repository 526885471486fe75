"""Hidden checks of lecture 10, basic CNN.

Reference values are computed here with torch.nn.functional from the slide's
numbers or from the learner's own weights.  The evaluation images are never
sent to the worker: the Net trained there by the learner's code comes back as
its weights, and its predictions are computed here with the course's layers,
where the labels stay.
"""

import torch
import torch.nn.functional as F

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (WORKER_DATA_ROOT, Mistake, expect_class_scores, expect_close, expect_close_or_mistake,
                               expect_device, expect_number,
                               expect_parameter_count, expect_shape, expect_state, expect_zero_grad_each_step, fail,
                               expect_trains_in_train_mode, first_pixel_batches, glue, glue_side_by_side, judge_accuracy, judge_fraction_correct, judge_mean_loss, judge_modes,
                               predict_classes, randn, reject_probabilities, seeded_state)

IMAGE = torch.tensor([[3, 4, 6, 5, 7], [2, 4, 6, 8, 2], [1, 6, 7, 8, 4], [9, 7, 4, 6, 2], [3, 7, 5, 4, 1.0]])
KERNEL = torch.arange(1, 10.0).reshape(3, 3)
POOL_IMAGE = torch.tensor([[3, 4, 6, 5], [2, 4, 6, 8], [1, 6, 7, 8], [9, 7, 4, 6.0]])


# What a PyTorch error raised in this lecture's code means here (consulted before the shared table): the text
# matched is the error's first line, "{where} raised {type}: {message}".
MISTAKES = [
    (r"conv_output_size .*raised ZeroDivisionError",
     N_("conv_output_size divided by zero: the only division is by the stride, (size + 2 * padding - kernel_size) "
        "// stride + 1; the padding is added on both sides, 2 * padding")),
    (r"pool_output_size .*raised TypeError: .*'NoneType'",
     N_("the stride was None: when no stride is given, a pooling layer's stride is its kernel size, "
        "stride = kernel_size if stride is None else stride")),
    (r"conv2d_single .*raised RuntimeError: shape '\[-?\d+, -?\d+, \d+, \d+\]' is invalid",
     N_("nn.Conv2d works on 4-D tensors with one image and one kernel here: the image as (batch, channels, H, W) "
        "= image.reshape(1, 1, H, W), the kernel as the weight (out_channels, in_channels, kh, kw) = "
        "kernel.reshape(1, 1, kh, kw)")),
    (r"max_pool .*raised RuntimeError: shape '\[-?\d+, -?\d+, \d+, \d+\]' is invalid",
     N_("nn.MaxPool2d wants (batch, channels, H, W): one image of one channel is image.reshape(1, 1, H, W)")),
    (r"(?:conv2d_single|max_pool) .*raised IndexError: index \d+ is out of bounds for dimension \d with size 1",
     N_("the layer's output is (1, 1, H', W'), one image of one channel: take it out with [0, 0]")),
    (r"Net\b.* raised AttributeError: 'Net' object has no attribute '(\w+)'",
     N_("forward uses self.{1}, which __init__ never created: create every layer forward uses in __init__ "
        "(conv1, conv2, pooling, fc)")),
    (r"Net\b.* raised RuntimeError: (?:shape '\[-?\d+, -?\d+\]' is invalid for input of size|invalid shape dimension)",
     N_("flatten each image's feature maps to one row of 20 x 4 x 4 = 320 numbers: x.view(batch_size, -1), with "
        "batch_size = x.size(0) and -1 for the rest")),
    (r"Net\b.* raised RuntimeError: .*weight of size \[20, 10, 5, 5\], expected input\[[^\]]*\] to have 10 channels, "
     r"but got (\d+) channels",
     N_("conv2 = Conv2d(10, 20, 5) received {1} channel(s), not the 10 of conv1's output: in forward, pass x through "
        "conv1, pooling and relu first, x = F.relu(self.pooling(self.conv1(x))), then through conv2")),
    (r"evaluate .*raised IndexError: Dimension out of range",
     N_("a dimension index is out of range: the model's scores are (batch, 10), so the predicted class is "
        "argmax(dim=1), and the targets are (batch,), so a batch holds target.size(0) samples")),
]


def _conv_ref(image, kernel, padding=0, stride=1):
    return F.conv2d(image[None, None], kernel[None, None], padding=padding, stride=stride)[0, 0]


def test_conv_output_sizes(learner):
    """conv_output_size(n, k, padding, stride) gives the side length after a convolution, for the course's layers and odd sizes."""
    # (6, 3, 0, 2) and (10, 4, 1, 3): strides that do not divide n + 2p - k, so the floor matters
    cases = [(28, 5, 0, 1), (12, 5, 0, 1), (100, 3, 0, 1), (5, 3, 1, 1), (5, 3, 0, 2), (7, 3, 1, 2), (9, 4, 2, 3),
             (6, 3, 0, 2), (10, 4, 1, 3)]
    for n, k, p, s in cases:
        got = expect_number(learner.call("conv_output_size", n, k, p, s), f"conv_output_size({n}, {k}, {p}, {s})")
        want = (n + 2 * p - k) // s + 1
        if got != want:
            what = _("conv_output_size({n}, kernel_size={k}, padding={p}, stride={s}): expected {want}, got {got:g}").format(
                n=n, k=k, p=p, s=s, want=want, got=got)
            if abs(got - ((n + 2 * p - k) / s + 1)) < 1e-9:
                fix = _("a side length is a whole number of window positions: divide by the stride with // (floor "
                        "division), so a window that would run past the edge is not counted")
                fail(_("{what}, a fraction: {fix}").format(what=what, fix=fix), expected=str(want), actual=f"{got:g}",
                     cause=_("/ for //"), help=fix)
            fail(what
                 + (_("; padding adds p pixels on *each* side (2p in all)") if p and got == (n + p - k) // s + 1 else "")
                 + (_("; divide by the stride before adding 1") if s > 1 and got == (n + 2 * p - k + 1) // s else ""))


def test_pool_output_sizes(learner):
    """pool_output_size(n, k, stride) gives the side length after pooling; the stride defaults to the kernel size."""
    for args, want in (((24, 2), 12), ((8, 2), 4), ((9, 2), 4), ((7, 3), 2), ((10, 3, 1), 8), ((11, 2, 3), 4)):
        got = expect_number(learner.call("pool_output_size", *args), f"pool_output_size{args}")
        if got != want:
            fail(_("pool_output_size{args}: expected {want}, got {got:g}; a pooling layer's output side is "
                   "(n - k) // stride + 1, with stride = k by default").format(args=args, want=want, got=got))


def _conv_mistakes(image, kernel, padding=0, stride=1):
    """What conv2d_single computes with the slips a learner makes, from the same image and kernel."""
    return [
        Mistake(_conv_ref(image, kernel.flip(0, 1), padding, stride),
                _("the kernel was flipped (a convolution as in signal processing); nn.Conv2d computes a "
                  "cross-correlation: use the kernel as it is, reshaped to (1, 1, kh, kw)"), _("flipped kernel")),
        Mistake(_conv_ref(image, kernel.t(), padding, stride) if kernel.shape[0] == kernel.shape[1] else None,
                _("the kernel was transposed: reshape it to (1, 1, kh, kw) without swapping its rows and columns"),
                _("transposed kernel")),
    ]


def _reject_row(got, expected, what, layer):
    """Fail naming a missing batch or channel dimension when ``got`` is one row of the expected (H', W')."""
    if isinstance(got, torch.Tensor) and got.dim() == 1 and tuple(got.shape) == tuple(expected.shape[1:]):
        fix = _("give {layer} the image as (batch, channels, H, W) = image.reshape(1, 1, H, W); its output is then "
                "(1, 1, H', W') and [0, 0] is the whole map").format(layer=layer)
        fail(_("{what}: got one row, shape {shape}, instead of the map {want}: the layer's output had a dimension "
               "fewer than (1, 1, H', W') (an image of shape (1, H, W) is read as one unbatched image), so [0, 0] "
               "picked a row: {fix}").format(what=what, shape=tuple(got.shape), want=tuple(expected.shape), fix=fix),
             expected=str(tuple(expected.shape)), actual=str(tuple(got.shape)), cause=_("batch dimension missing"),
             help=fix)


def _reject_bias(diff, what):
    """Fail naming a bias when ``diff`` (the result minus the right one) is one non-zero value everywhere."""
    offset = diff.mean().item()
    if diff.numel() > 1 and abs(offset) > 1e-6 and (diff - offset).abs().max() < 1e-5 * (1 + abs(offset)):
        fix = _("build nn.Conv2d(..., bias=False): the slide's convolution has no bias")
        fail(_("{what}: every value is off by the same {offset:.4g}, a bias the convolution added: {fix}").format(
            what=what, offset=offset, fix=fix), cause=_("bias added"), help=fix)


def _expect_conv(got, image, kernel, what, padding=0, stride=1, expected=None, atol=1e-5):
    """conv2d_single's result against F.conv2d's, naming a known slip: a bias added (every value off by the same
    amount), the kernel never used (random weights), a flipped or transposed kernel."""
    expected = _conv_ref(image, kernel, padding, stride) if expected is None else expected
    _reject_row(got, expected, what, "nn.Conv2d")
    got = expect_shape(got, tuple(expected.shape), what)
    if not torch.allclose(got.detach().double(), expected.double(), atol=atol, rtol=1e-4):
        _reject_bias(got.detach().double() - expected.double(), what)
        mistakes = [m for m in _conv_mistakes(image, kernel, padding, stride) if m.result is not None]
        expect_close_or_mistake(got, expected, what, mistakes, atol=atol)
    return got


def _expect_kernel_used(learner):
    """conv2d_single with an all-zero kernel gives zeros: the kernel passed in is the convolution's weight."""
    got = learner.call("conv2d_single", IMAGE, torch.zeros(3, 3))
    what = _("conv2d_single(image, all-zero 3x3 kernel)")
    _reject_row(got, torch.zeros(3, 3), what, "nn.Conv2d")
    got = expect_shape(got, (3, 3), what).detach().double()
    _reject_bias(got, what)
    if got.abs().max() > 1e-6:
        fix = _("set the layer's weight to the kernel you were given: conv.weight.data = kernel.reshape(1, 1, kh, kw)")
        fail(_("conv2d_single(image, kernel) with an all-zero kernel returned non-zero values (up to {v:.4g}): the "
               "convolution used its own random weights, not the kernel: {fix}").format(
                   v=got.abs().max().item(), fix=fix), expected="0", cause=_("kernel not used"), help=fix)


def test_conv_worked_example(learner):
    """conv2d_single reproduces the slide's 5x5 example: valid, padding 1 and stride 2, and an odd-sized image."""
    _expect_kernel_used(learner)
    _expect_conv(learner.call("conv2d_single", IMAGE, KERNEL), IMAGE, KERNEL, _("conv2d_single(image, kernel) (no padding)"),
                 expected=torch.tensor([[211, 295, 262], [259, 282, 214], [251, 253, 169.0]]))
    padded = learner.call("conv2d_single", IMAGE, KERNEL, padding=1)
    if isinstance(padded, torch.Tensor) and tuple(padded.shape) == (3, 3):
        fail(_("with padding=1 the output should stay 5x5, got 3x3: pass padding to nn.Conv2d"))
    _expect_conv(padded, IMAGE, KERNEL, "conv2d_single(image, kernel, padding=1)", padding=1)
    strided = learner.call("conv2d_single", IMAGE, KERNEL, stride=2)
    if isinstance(strided, torch.Tensor) and tuple(strided.shape) == (3, 3):
        fail(_("with stride=2 the output should be 2x2, got 3x3: pass stride to nn.Conv2d"))
    _expect_conv(strided, IMAGE, KERNEL, "conv2d_single(image, kernel, stride=2)", stride=2,
                 expected=torch.tensor([[211, 262], [251, 169.0]]))
    g = torch.Generator().manual_seed(10)
    img, ker = torch.randn(7, 6, generator=g), torch.randn(3, 2, generator=g)
    _expect_conv(learner.call("conv2d_single", img, ker, padding=1, stride=2), img, ker,
                 _("conv2d_single on a 7x6 image with a 3x2 kernel, padding 1, stride 2"), padding=1, stride=2, atol=1e-4)


def _expect_pool(got, image, kernel_size, what):
    """max_pool's result against F.max_pool2d's, naming a fixed 2x2 window and average pooling."""
    expected = F.max_pool2d(image[None, None], kernel_size)[0, 0]
    _reject_row(got, expected, what, "nn.MaxPool2d")
    shape_of_2x2 = tuple(F.max_pool2d(image[None, None], 2).shape[2:])
    if isinstance(got, torch.Tensor) and tuple(got.shape) == shape_of_2x2 != tuple(expected.shape):
        fix = _("pass kernel_size to nn.MaxPool2d(kernel_size) instead of a fixed 2")
        fail(_("{what}: the output has the shape of a 2x2 pooling, {shape}, not {want}: {fix}").format(
            what=what, shape=tuple(got.shape), want=tuple(expected.shape), fix=fix), expected=str(tuple(expected.shape)),
             actual=str(tuple(got.shape)), cause=_("kernel_size ignored"), help=fix)
    expect_close_or_mistake(got, expected, what, [
        Mistake(F.avg_pool2d(image[None, None], kernel_size)[0, 0],
                _("each window was averaged; max pooling keeps the largest value of each window: use nn.MaxPool2d"),
                _("average pooling"))])


def test_max_pool_example(learner):
    """max_pool reproduces the slide's 4x4 example ([[4, 8], [9, 8]]), floors odd sizes, and uses the kernel size given."""
    _expect_pool(learner.call("max_pool", POOL_IMAGE, 2), POOL_IMAGE, 2, "max_pool(image, 2)")
    odd = torch.arange(25.0).reshape(5, 5)
    _expect_pool(learner.call("max_pool", odd, 2), odd, 2, _("max_pool of a 5x5 image"))
    wide = randn(7, 8, seed=11)
    _expect_pool(learner.call("max_pool", wide, 3), wide, 3, _("max_pool(image, 3) of a 7x8 image"))


def test_net_output_shape(learner):
    """Net maps (batch, 1, 28, 28) images to (batch, 10) class scores, for batch 1 and batch 3."""
    expect_class_scores(learner, "Net")


def test_net_parameter_count(learner):
    """Net has the course's layers: 8,490 trainable parameters."""
    net = learner.new("Net")
    expect_parameter_count(learner, net, 8490, "Net")


NET_SHAPES = {"conv1.weight": (10, 1, 5, 5), "conv1.bias": (10,), "conv2.weight": (20, 10, 5, 5), "conv2.bias": (20,),
              "fc.weight": (10, 320), "fc.bias": (10,)}
NET_ADVICE = N_("the course's layers are conv1 = Conv2d(1, 10, 5), conv2 = Conv2d(10, 20, 5), fc = Linear(320, 10), "
                "with MaxPool2d(2) and ReLU after each convolution")


def net_forward(x: torch.Tensor, w: dict) -> torch.Tensor:
    """The course's Net from the weights ``w``: conv1 -> pool -> relu -> conv2 -> pool -> relu -> flatten -> fc."""
    h = F.relu(F.max_pool2d(F.conv2d(x, w["conv1.weight"], w["conv1.bias"]), 2))
    h = F.relu(F.max_pool2d(F.conv2d(h, w["conv2.weight"], w["conv2.bias"]), 2))
    return F.linear(h.reshape(len(x), -1), w["fc.weight"], w["fc.bias"])


def test_net_returns_logits(learner):
    """Net's output equals conv1 -> pool -> relu -> conv2 -> pool -> relu -> flatten -> fc computed from its own weights: raw logits, no softmax."""
    learner.seed(1)
    net = learner.new("Net")
    w = expect_state(learner.method(net, "state_dict"), NET_SHAPES, "Net", NET_ADVICE, extra_ok=True)
    x = randn(4, 1, 28, 28, seed=3)
    out = expect_shape(learner.call(net, x), (4, 10), "Net()(x)")
    ref = net_forward(x, w)
    reject_probabilities(out, "Net", "fc")
    expect_close(out, ref, _("Net()(x) against the course's layer order computed from your weights"), atol=1e-4)


# A small model (glue's flat_linear(state)) and its batches, made by the grader and sent to the worker, so
# that train_one_epoch is judged on its own and the reference never depends on anything that comes back.


def _small(seed: int, n: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    batches = [(torch.randn(8, 1, 28, 28, generator=g), torch.randint(0, 10, (8,), generator=g)) for _unused in range(n)]
    return {"state": seeded_state({"1.weight": (10, 784), "1.bias": (10,)}, 0), "batches": batches}


def _cpu(learner):
    """torch.device("cpu") in the worker, as the lecture's train_one_epoch takes it."""
    return learner.new("torch.device", "cpu")


def test_train_zero_grad(learner):
    """train_one_epoch zeroes the gradients for every batch (checked with lr = 0 on one batch repeated)."""
    data = _small(0, 1)
    model = glue(learner, "flat_linear", data["state"])
    expect_zero_grad_each_step(learner, model, lambda opt: learner.call(
        "train_one_epoch", model, data["batches"] * 3, opt, learner.new("torch.nn.CrossEntropyLoss"), _cpu(learner)))


TRAIN_FIX = N_("call model.train() at the start of train_one_epoch: evaluate() leaves the model in eval mode, and "
                "layers such as dropout and batch-norm must train in training mode")


def test_train_mode(learner):
    """train_one_epoch trains the model in training mode (model.train()), also when evaluate left it in eval mode."""
    expect_trains_in_train_mode(
        learner, "FirstPixel",
        lambda model, opt, crit: learner.call("train_one_epoch", model, first_pixel_batches(), opt, crit, _cpu(learner)),
        "train_one_epoch", "evaluate", _(TRAIN_FIX))


def test_train_moves_batches(learner):
    """train_one_epoch moves every batch (inputs and targets) to the device it is given."""
    got = glue(learner, "device_probe", where=_("train_one_epoch (train.py)"))
    if got["inputs"] != ["meta", "meta"]:
        fail(_("the inputs reached the model on device(s) {inputs} instead of the device passed in: "
               "move each batch with inputs.to(device)").format(inputs=got['inputs']))
    if got["targets"] != ["meta", "meta"]:
        fail(_("the targets reached the loss on device(s) {targets} instead of the device passed in: "
               "move them too, with target.to(device)").format(targets=got['targets']))


def test_train_returns_mean_loss(learner):
    """train_one_epoch returns the mean of its batch losses, as a number (checked with lr = 0 on three batches)."""
    data = _small(5, 3)
    model = glue(learner, "flat_linear", data["state"])
    opt = learner.new("torch.optim.SGD", learner.method(model, "parameters"), lr=0.0)
    loss = learner.call("train_one_epoch", model, data["batches"], opt, learner.new("torch.nn.CrossEntropyLoss"),
                        _cpu(learner))
    w, b = data["state"]["1.weight"], data["state"]["1.bias"]
    losses = [F.cross_entropy(F.linear(x.reshape(len(x), -1), w, b), y).item() for x, y in data["batches"]]
    judge_mean_loss(loss, losses, "train_one_epoch")


# glue's counting_probe: a model whose prediction is written in each image's first pixel, 6 of 8 right in
# uneven batches; it records the modes it ran in.
def test_evaluate_modes(learner):
    """evaluate switches the model to eval mode and computes without building a graph (torch.no_grad)."""
    got = glue(learner, "counting_probe", "evaluate", "cpu", where=_("evaluate (train.py)"))
    judge_modes(got["modes"], "evaluate")


def test_evaluate_accuracy_value(learner):
    """evaluate returns the fraction of correct predictions over all samples: 0.75 for 6 right out of 8 in uneven batches."""
    got = glue(learner, "counting_probe", "evaluate", "cpu", where=_("evaluate (train.py)"))
    if isinstance(got["out"], torch.Tensor):  # the count kept as a tensor: (predicted == target).sum() without .item()
        expect_number(got["out"], _("{who}(...)'s return value").format(who="evaluate"), python=True)
    judge_fraction_correct(got["out"], "evaluate")


# The seeded training run (glue's train_cnn), on the lecture's image data (the shipped digits, or --data's
# full-size set): torchvision's own dataset class reads the idx files the worker is given.  Only the trained
# weights come back; the evaluation images are never sent: the grader computes the predictions (net_forward).
def test_trained_accuracy(learner, thresholds, eval_set, image_data, device):
    """Your Net trained by your train_one_epoch (a short seeded run on real images: the shipped digits, or the set chosen with --data) classifies held-out images above the threshold, on every seed, on the requested device (the grader computes the predictions with the course's layers from your trained weights)."""
    images, labels = eval_set(image_data.name)
    x = (((images.float() / 255) - image_data.mean) / image_data.std).unsqueeze(1)
    def run(seed):  # glue's train_cnn's arguments for one seed
        return (WORKER_DATA_ROOT, image_data.torchvision_class, thresholds.get("train_size", 0), seed, device,
                thresholds["batch_size"], thresholds["epochs"], image_data.mean, image_data.std)
    where = _("your Net and train_one_epoch")
    glue_side_by_side(learner, "train_cnn", [run(seed) for seed in thresholds["seeds"]], where=where)
    for seed in thresholds["seeds"]:
        got = glue(learner, "train_cnn", *run(seed), where=where)
        expect_device(got, device)
        w = {k: v.float() for k, v in expect_state(got["state"], NET_SHAPES, _("the trained Net"), NET_ADVICE).items()}
        pred = predict_classes(lambda chunk: net_forward(chunk, w), x)
        judge_accuracy(pred, labels, thresholds["accuracy"],
                       _("accuracy on {n_labels:,} held-out {name} images after {epochs} epoch(s) (seed {seed})").format(n_labels=len(labels), name=image_data.name, epochs=thresholds['epochs'], seed=seed))
