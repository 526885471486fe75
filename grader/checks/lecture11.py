"""Hidden checks of lecture 11, advanced CNN: GoogLeNet's Inception block and residual blocks.

Reference values are computed here with torch.nn.functional, in float64, from weights made here
(loaded into the learner's blocks with load_state_dict) or from the learner's own weights (the
networks).  The evaluation images are never sent to the worker: the networks trained there come back
as their weights, and their predictions are computed here with the lecture's layers (float32), where
the labels stay.

Errors that PyTorch raises for this lecture's typical mistakes (a branch without padding, torch.cat
along the wrong dim, a wrong flattened size) are failures that name the mistake: see ``MISTAKES``,
which the grader's diagnosis consults before its shared table.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (WORKER_DATA_ROOT, Mistake, expect_class_scores, expect_close, expect_close_or_mistake,
                               expect_device, expect_parameter_count, expect_shape, expect_state, expect_tensor, fail,
                               fail_mistake, glue, glue_side_by_side, judge_accuracy, predict_classes, randn, reject_probabilities,
                               seeded_state)


# ---------------------------------------------------------------- the lecture's layers, as data

# InceptionA(c): layer name -> weight shape, in the lecture's order
INCEPTION_LAYERS = {
    "branch1x1": lambda c: (16, c, 1, 1),
    "branch5x5_1": lambda c: (16, c, 1, 1),
    "branch5x5_2": lambda c: (24, 16, 5, 5),
    "branch3x3_1": lambda c: (16, c, 1, 1),
    "branch3x3_2": lambda c: (24, 16, 3, 3),
    "branch3x3_3": lambda c: (24, 24, 3, 3),
    "branch_pool": lambda c: (24, c, 1, 1),
}
BRANCH_NAMES = ("branch1x1", "branch5x5", "branch3x3", "branch_pool")  # the order of torch.cat
INCEPTION_CHANNELS = 16 + 24 + 24 + 24  # 88


def inception_shapes(c: int, prefix: str = "") -> dict[str, tuple]:
    shapes = {}
    for name, weight in INCEPTION_LAYERS.items():
        w = weight(c)
        shapes[f"{prefix}{name}.weight"], shapes[f"{prefix}{name}.bias"] = w, (w[0],)
    return shapes


def residual_shapes(c: int, prefix: str = "") -> dict[str, tuple]:
    return {f"{prefix}conv{i}.{kind}": ((c, c, 3, 3) if kind == "weight" else (c,))
            for i in (1, 2) for kind in ("weight", "bias")}


def inception_net_shapes() -> dict[str, tuple]:
    return {"conv1.weight": (10, 1, 5, 5), "conv1.bias": (10,), **inception_shapes(10, "incep1."),
            "conv2.weight": (20, 88, 5, 5), "conv2.bias": (20,), **inception_shapes(20, "incep2."),
            "fc.weight": (10, 1408), "fc.bias": (10,)}


def residual_net_shapes() -> dict[str, tuple]:
    return {"conv1.weight": (16, 1, 5, 5), "conv1.bias": (16,), **residual_shapes(16, "rblock1."),
            "conv2.weight": (32, 16, 5, 5), "conv2.bias": (32,), **residual_shapes(32, "rblock2."),
            "fc.weight": (10, 512), "fc.bias": (10,)}


# ---------------------------------------------------------------- references (float64 unless told, here)

def _conv(w, name, x, padding=0):
    return F.conv2d(x, w[name + ".weight"].to(x.dtype), w[name + ".bias"].to(x.dtype), padding=padding)


def inception_branches(x, w, prefix="", pool=None, relu=False):
    """The four branch outputs of the lecture's InceptionA; `pool` and `relu` give known mistakes."""
    act = F.relu if relu else (lambda t: t)
    c = lambda name, inp, pad=0: act(_conv(w, prefix + name, inp, pad))
    pool = pool or (lambda t: F.avg_pool2d(t, 3, stride=1, padding=1))
    return [c("branch1x1", x),
            c("branch5x5_2", c("branch5x5_1", x), 2),
            c("branch3x3_3", c("branch3x3_2", c("branch3x3_1", x), 1), 1),
            c("branch_pool", pool(x))]


def inception_ref(x, w, prefix="", dtype=torch.float64):
    return torch.cat(inception_branches(x.to(dtype), w, prefix), dim=1)


def inception_mistakes(x, w):
    """(what a known mistake computes, the message naming it) for InceptionA, computed only when needed."""
    x = x.double()
    branches = inception_branches(x, w)
    for order in ((0, 2, 1, 3), (3, 2, 1, 0), (3, 0, 1, 2), (0, 1, 3, 2), (1, 0, 2, 3)):
        yield Mistake(torch.cat([branches[i] for i in order], dim=1),
                      _("the branches are concatenated in the wrong order: torch.cat([branch1x1, branch5x5, "
                        "branch3x3, branch_pool], dim=1) (yours looks like {v0})").format(v0=', '.join(BRANCH_NAMES[i] for i in order)),
                      _("branches out of order"))
    pools = (
        (lambda t: F.max_pool2d(t, 3, stride=1, padding=1),
         _("the pool branch uses max pooling: the lecture's branch_pool is average pooling, "
           "F.avg_pool2d(x, kernel_size=3, stride=1, padding=1), then the 1x1 conv"), _("max pooling branch")),
        (lambda t: t,
         _("the pool branch has no pooling: average-pool x first, F.avg_pool2d(x, kernel_size=3, stride=1, "
           "padding=1), then apply self.branch_pool"), _("no pooling")),
        (lambda t: F.avg_pool2d(t, 3, stride=1, padding=1, count_include_pad=False),
         _("the average pooling leaves the padding out of its average (count_include_pad=False): use "
           "F.avg_pool2d(x, kernel_size=3, stride=1, padding=1) as the lecture does"), "count_include_pad=False"),
    )
    for pool, message, cause in pools:
        yield Mistake(torch.cat(inception_branches(x, w, pool=pool), dim=1), message, cause)
    yield Mistake(torch.cat(inception_branches(x, w, relu=True), dim=1),
                  _("there is a ReLU inside the branches: the lecture's InceptionA applies no activation; "
                    "the network applies ReLU after its own convolutions"), _("ReLU inside the branches"))


def residual_ref(x, w, prefix="", dtype=torch.float64):
    x = x.to(dtype)
    return F.relu(x + _conv(w, prefix + "conv2", F.relu(_conv(w, prefix + "conv1", x, 1)), 1))


def residual_mistakes(x, w):
    x = x.double()
    c1 = lambda t: _conv(w, "conv1", t, 1)
    c2 = lambda t: _conv(w, "conv2", t, 1)
    y = c2(F.relu(c1(x)))
    return [
        Mistake(F.relu(y), _("the skip connection is missing: the block returns relu(conv2(relu(conv1(x)))); return "
                             "F.relu(x + y), adding the input x back"), _("no skip connection")),
        Mistake(x + F.relu(y), _("the ReLU is applied before the addition: return F.relu(x + y), not x + F.relu(y)"),
                _("ReLU before the addition")),
        Mistake(F.relu(x) + F.relu(y), _("the ReLU is applied before the addition: return F.relu(x + y)"),
                _("ReLU before the addition")),
        Mistake(x + y, _("the last ReLU is missing: return F.relu(x + y), not x + y"), _("no last ReLU")),
        Mistake(F.relu(x + c2(c1(x))), _("the ReLU between conv1 and conv2 is missing: y = conv2(relu(conv1(x)))"),
                _("no ReLU between the convolutions")),
        Mistake(F.relu(x + c2(x)), _("conv2 is applied to x: y = conv2(relu(conv1(x))), conv2 takes conv1's activations"), _("conv2 on x")),
        Mistake(F.relu(x + c1(F.relu(c2(x)))), _("conv1 and conv2 are swapped: y = conv2(relu(conv1(x)))"),
                _("convolutions swapped")),
    ]


def inception_net_ref(x, w, dtype=torch.float64):
    x = x.to(dtype)
    h = F.relu(F.max_pool2d(_conv(w, "conv1", x), 2))
    h = inception_ref(h, w, "incep1.", dtype)
    h = F.relu(F.max_pool2d(_conv(w, "conv2", h), 2))
    h = inception_ref(h, w, "incep2.", dtype)
    return F.linear(h.reshape(len(x), -1), w["fc.weight"].to(dtype), w["fc.bias"].to(dtype))


def residual_net_ref(x, w, dtype=torch.float64):
    x = x.to(dtype)
    h = F.max_pool2d(F.relu(_conv(w, "conv1", x)), 2)
    h = residual_ref(h, w, "rblock1.", dtype)
    h = F.max_pool2d(F.relu(_conv(w, "conv2", h)), 2)
    h = residual_ref(h, w, "rblock2.", dtype)
    return F.linear(h.reshape(len(x), -1), w["fc.weight"].to(dtype), w["fc.bias"].to(dtype))


# ---------------------------------------------------------------- PyTorch's errors, in the lecture's words

NET_FEATURES = {"InceptionNet": ("88 x 4 x 4 = 1408", 1408), "ResidualNet": ("32 x 4 x 4 = 512", 512)}


def _missing_padding(m) -> str:
    number = int(m.group(1))
    which = (_(" (tensor number {number} is {branch} if your list is in the lecture's order)").format(
        number=number, branch=BRANCH_NAMES[number]) if number < len(BRANCH_NAMES) else "")
    return (_("the branches' outputs have different heights/widths, so torch.cat cannot join them: a "
              "branch is missing its padding{which}; the 5x5 conv needs padding=2, each 3x3 conv "
              "padding=1, the average pooling stride=1 and padding=1, so that every branch keeps H and "
              "W").format(which=which))


# What a PyTorch error raised in this lecture's code means here (the grader's diagnosis consults this table
# first; a match is a failure naming the mistake).  Patterns are matched against the error's first line,
# "{where} raised {type}: {message}", so those about a network ask that it was raised in that network.
MISTAKES = [
    (r"Sizes of tensors must match except in dimension 1\. Expected size \d+ but got size \d+ for tensor number (\d+)",
     _missing_padding),
    (r"Sizes of tensors must match except in dimension (\d+)\. Expected size \d+ but got size \d+ for tensor number \d+",
     N_("torch.cat joined the branches along dim {1}: concatenate them along the channels, torch.cat(outputs, dim=1) "
     "for (batch, channels, H, W); the channel counts 16, 24, 24, 24 differ, so any other dim fails")),
    (r"stack expects each tensor to be equal size",
     N_("torch.stack makes a new dimension and needs equal shapes: join the branches with torch.cat(outputs, dim=1)")),
    *[(net + r"\b.* raised .*mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)",
       lambda m, text=text, n=n: _("fc receives {got} features per image but expects {wanted}: after the last block "
                                   "the map is {size} numbers per image, so fc = nn.Linear({n}, 10), after "
                                   "x.view(batch_size, -1)").format(got=m.group(2), wanted=m.group(3), size=text, n=n))
      for net, (text, n) in NET_FEATURES.items()],
    (r"InceptionNet\b.* raised .*expected input\[[^\]]*\] to have (\d+) channels, but got (\d+) channels",
     N_("a convolution expecting {1} input channels got {2}; conv2 = nn.Conv2d(88, 20, 5) takes the 88 channels of "
     "incep1 (16 + 24 + 24 + 24)")),
    (r"expected input\[[^\]]*\] to have (\d+) channels, but got (\d+) channels",
     N_("a convolution expecting {1} input channels got {2}")),
    (r"Residual\w*\b.* raised .*The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) at non-singleton "
     r"dimension [23]",
     N_("x and conv2's output have different heights/widths, so they cannot be added: both 3x3 convolutions need "
     "padding=1 to keep H and W")),
]


INCEPTION_ADVICE = N_("keep the lecture's layers branch1x1 = Conv2d(in, 16, 1); branch5x5_1 = Conv2d(in, 16, 1), "
                      "branch5x5_2 = Conv2d(16, 24, 5, padding=2); branch3x3_1 = Conv2d(in, 16, 1), "
                      "branch3x3_2 = Conv2d(16, 24, 3, padding=1), branch3x3_3 = Conv2d(24, 24, 3, padding=1); "
                      "branch_pool = Conv2d(in, 24, 1)")
RESIDUAL_ADVICE = N_("keep conv1 and conv2, both nn.Conv2d(channels, channels, kernel_size=3, padding=1)")
INCEPTION_NET_ADVICE = N_("the lecture's layers are conv1 = Conv2d(1, 10, 5), incep1 = InceptionA(10), "
                          "conv2 = Conv2d(88, 20, 5), incep2 = InceptionA(20), fc = Linear(1408, 10)")
RESIDUAL_NET_ADVICE = N_("the lecture's layers are conv1 = Conv2d(1, 16, 5), rblock1 = ResidualBlock(16), "
                         "conv2 = Conv2d(16, 32, 5), rblock2 = ResidualBlock(32), fc = Linear(512, 10)")
# net -> (its parameter shapes, the advice when they differ, its forward from weights)
NETWORKS = {"InceptionNet": (inception_net_shapes, INCEPTION_NET_ADVICE, inception_net_ref),
            "ResidualNet": (residual_net_shapes, RESIDUAL_NET_ADVICE, residual_net_ref)}


def _block_with(learner, cls: str, channels: int, state: dict, shapes: dict, advice: str):
    """The learner's block built in the worker, its weights replaced by `state` (made here)."""
    block = learner.call(cls, channels)
    expect_state(learner.method(block, "state_dict"), shapes, f"{cls}({channels})", advice)
    learner.method(block, "load_state_dict", state)
    return block


# block -> (its parameter shapes for c input channels, the advice when they differ)
BLOCKS = {"InceptionA": (inception_shapes, INCEPTION_ADVICE), "ResidualBlock": (residual_shapes, RESIDUAL_ADVICE)}


def _known_block_output(learner, cls: str, channels: int, seed: int, shape: tuple, x_seed: int):
    """The learner's ``cls(channels)`` given weights made here from ``seed``, on an input made here from
    ``x_seed``: (its output, the input, the weights)."""
    shapes, advice = BLOCKS[cls]
    w, x = seeded_state(shapes(channels), seed), randn(*shape, seed=x_seed)
    return learner.call(_block_with(learner, cls, channels, w, shapes(channels), advice), x), x, w


def _block_outputs(learner, cls: str, cases):
    """The learner's ``cls(c)`` on a random input of ``shape``, for each (c, shape) of ``cases`` (after seed 0;
    only shapes are judged): (shape, its output, what it was)."""
    learner.seed(0)
    for c, shape in cases:
        what = _("{block} on an input of shape {shape}").format(block=f"{cls}({c})", shape=shape)
        yield shape, expect_tensor(learner.call(learner.call(cls, c), torch.randn(*shape)), what), what


# ---------------------------------------------------------------- InceptionA

def test_inception_output_shape(learner):
    """InceptionA(c) maps (batch, c, H, W) to (batch, 88, H, W): four branches joined on dim 1, for batch 1 and 3, odd and even H, W, and 10 or 20 input channels."""
    cases = ((10, (1, 10, 12, 12)), (10, (3, 10, 7, 9)), (20, (2, 20, 4, 4)), (20, (1, 20, 5, 3)))
    for shape, out, what in _block_outputs(learner, "InceptionA", cases):
        b, _unused, h, w = shape
        if out.dim() != 4:
            fail(_("{what}: expected a 4-d output (batch, 88, H, W), got shape {out_shape}").format(what=what, out_shape=tuple(out.shape)))
        if out.shape[0] != b:
            fail(_("{what}: dim 0 (the batch) of the output is {v1}, not {b}: the branches were "
                   "concatenated along the batch; use torch.cat(outputs, dim=1), the channel dimension").format(what=what, v1=out.shape[0], b=b))
        if out.shape[1] != INCEPTION_CHANNELS:
            fail(_("{what}: expected 88 channels (branch1x1 16 + branch5x5 24 + branch3x3 24 + branch_pool "
                   "24), got {v1}: check each branch's out_channels and concatenate along dim=1").format(what=what, v1=out.shape[1]))
        if tuple(out.shape[2:]) != (h, w):
            fail(_("{what}: H x W changed from {h} x {w} to {v3} x {v4}: every branch must keep the size "
                   "(padding=2 for the 5x5 conv, padding=1 for each 3x3 conv, average pooling with stride=1 "
                   "and padding=1)").format(what=what, h=h, w=w, v3=out.shape[2], v4=out.shape[3]))


def test_inception_parameter_count(learner):
    """InceptionA has the lecture's seven convolutions: 19,104 parameters for 10 input channels, 19,824 for 20."""
    for c, want in ((10, 19104), (20, 19824)):
        expect_parameter_count(learner, learner.call("InceptionA", c), want, f"InceptionA({c})")


BRANCH_CHANNELS = {"branch1x1": (0, 16), "branch5x5": (16, 40), "branch3x3": (40, 64), "branch_pool": (64, 88)}


def judge_inception(out, x, w, what: str) -> None:
    """The learner's block output against the reference: a known mistake of the whole block is named;
    otherwise, when only some branches' channels are wrong, those branches are."""
    ref = inception_ref(x, w)
    out = expect_shape(out, tuple(ref.shape), what)
    close = lambda a, b: torch.allclose(a.double(), b, atol=1e-4, rtol=1e-4)
    if close(out, ref):
        return
    for mistake in inception_mistakes(x, w):
        if close(out, mistake.result):
            fail_mistake(_("{what}: {message}").format(what=what, message=mistake.message), mistake)
    wrong = [name for name, (lo, hi) in BRANCH_CHANNELS.items() if not close(out[:, lo:hi], ref[:, lo:hi])]
    if len(wrong) < len(BRANCH_CHANNELS):
        for name in wrong:
            lo, hi = BRANCH_CHANNELS[name]
            if close(out[:, lo:hi], F.relu(ref[:, lo:hi])):
                fail(_("{what}: channels {lo}..{v2} ({name}) are relu of the reference: there is a ReLU inside "
                       "{name}; the lecture's InceptionA applies no activation in its branches").format(what=what, lo=lo, v2=hi - 1, name=name),
                     cause=_("ReLU inside a branch"), help=_("the lecture's InceptionA applies no activation in its branches"))
        for name in wrong:
            lo, hi = BRANCH_CHANNELS[name]
            expect_close(out[:, lo:hi], ref[:, lo:hi], _("{what}, channels {lo}..{v2} ({name}; the other branches match)").format(what=what, lo=lo, v2=hi - 1, name=name), atol=1e-4, rtol=1e-4)
    expect_close(out, ref, what, atol=1e-4, rtol=1e-4)


def test_inception_matches_reference(learner):
    """InceptionA, given known weights with load_state_dict, computes the lecture's four branches and joins them as torch.cat([branch1x1, branch5x5, branch3x3, branch_pool], dim=1) (odd sizes, batch 1 and 2)."""
    for seed, c, shape in ((0, 10, (1, 10, 9, 7)), (1, 3, (2, 3, 6, 5))):
        out, x, w = _known_block_output(learner, "InceptionA", c, seed, shape, 100 + seed)
        judge_inception(out, x, w, _("InceptionA({c}) on an input of shape {shape}").format(c=c, shape=shape))


# ---------------------------------------------------------------- the Inception network

def test_inception_net_output_shape(learner):
    """InceptionNet maps (batch, 1, 28, 28) images to (batch, 10) class scores, for batch 1 and 3."""
    expect_class_scores(learner, "InceptionNet")


def test_inception_net_parameter_count(learner):
    """InceptionNet has the lecture's layers: 97,298 trainable parameters, with fc = Linear(1408, 10)."""
    _expect_net_parameters(learner, "InceptionNet", 97298)


def test_inception_net_returns_logits(learner):
    """InceptionNet's output equals conv1 -> mp -> relu -> incep1 -> conv2 -> mp -> relu -> incep2 -> flatten -> fc computed from its own weights: raw logits, no softmax."""
    _expect_net_logits(learner, "InceptionNet")


def _expect_net_parameters(learner, net: str, count: int) -> None:
    """The learner's ``net`` has fc = Linear(features, 10) for the lecture's last map, and ``count`` parameters."""
    model = learner.call(net)
    state = learner.method(model, "state_dict")
    text, features = NET_FEATURES[net]
    if isinstance(state, dict) and isinstance(state.get("fc.weight"), torch.Tensor) \
            and tuple(state["fc.weight"].shape) != (10, features):
        fail(_("{net}'s fc has weight shape {v1}: the last map is {text} numbers per image, so fc = "
               "nn.Linear({features}, 10)").format(net=net, v1=tuple(state['fc.weight'].shape), text=text, features=features))
    expect_parameter_count(learner, model, count, net)


def _expect_net_logits(learner, net: str) -> None:
    """The learner's ``net`` computes the lecture's layers, in order, from its own weights: raw logits."""
    shapes, advice, forward = NETWORKS[net]
    learner.seed(1)
    model = learner.call(net)
    w = expect_state(learner.method(model, "state_dict"), shapes(), net, advice)
    x = randn(4, 1, 28, 28, seed=3)
    out = expect_shape(learner.call(model, x), (4, 10), f"{net}()(x)")
    reject_probabilities(out, net, "fc")
    expect_close(out, forward(x, w), _("{net}()(x) against the lecture's layer order computed from your weights").format(net=net),
                 atol=1e-4, rtol=1e-4)


# ---------------------------------------------------------------- ResidualBlock

def test_residual_block_shape(learner):
    """ResidualBlock(c) keeps the shape of its input, (batch, c, H, W), for batch 1 and 3, odd sizes and 3, 16 or 32 channels."""
    cases = ((16, (1, 16, 12, 12)), (16, (3, 16, 7, 5)), (32, (2, 32, 4, 4)), (3, (2, 3, 9, 9)))
    for shape, out, what in _block_outputs(learner, "ResidualBlock", cases):
        if tuple(out.shape) != shape:
            fail(_("{what}: got shape {out_shape}; the output must have the input's shape (both convs "
                   "Conv2d(channels, channels, 3, padding=1), so x + y can be added)").format(what=what, out_shape=tuple(out.shape)))


def test_residual_block_parameter_count(learner):
    """ResidualBlock(c) has two 3x3 convolutions from c to c channels: 4,640 parameters for 16 channels, 18,496 for 32."""
    for c, want in ((16, 4640), (32, 18496)):
        expect_parameter_count(learner, learner.call("ResidualBlock", c), want, f"ResidualBlock({c})")


def test_residual_block_matches_reference(learner):
    """ResidualBlock, given known weights with load_state_dict, computes y = relu(x + conv2(relu(conv1(x)))) (odd sizes, batch 1 and 2)."""
    for seed, c, shape in ((0, 16, (1, 16, 7, 9)), (1, 4, (2, 4, 6, 5))):
        out, x, w = _known_block_output(learner, "ResidualBlock", c, seed, shape, 200 + seed)
        expect_close_or_mistake(out, residual_ref(x, w), _("ResidualBlock({c}) on an input of shape {shape}").format(c=c, shape=shape),
                                residual_mistakes(x, w), atol=1e-4, rtol=1e-4)


def _zeroed_conv2(c: int, seed: int) -> dict[str, torch.Tensor]:
    w = seeded_state(residual_shapes(c), seed)
    w["conv2.weight"], w["conv2.bias"] = torch.zeros_like(w["conv2.weight"]), torch.zeros_like(w["conv2.bias"])
    return w


def test_residual_identity_when_conv2_zero(learner):
    """With conv2's weight and bias set to zero, ResidualBlock(x) is relu(x): only the skip connection is left."""
    c, shape = 8, (2, 8, 5, 7)
    block = _block_with(learner, "ResidualBlock", c, _zeroed_conv2(c, 3), residual_shapes(c), RESIDUAL_ADVICE)
    x = randn(*shape, seed=7)
    out = expect_shape(learner.call(block, x), shape, _("ResidualBlock with conv2 = 0"))
    if torch.allclose(out, torch.zeros(shape), atol=1e-6):
        fail(_("with conv2 = 0 the block returned all zeros instead of relu(x): the skip connection is "
               "missing; return F.relu(x + y)"))
    if torch.allclose(out, x, atol=1e-6):
        fail(_("with conv2 = 0 the block returned x itself, negative values included, instead of "
               "relu(x): apply the ReLU after the addition, F.relu(x + y), not before it"))
    expect_close(out, F.relu(x), _("ResidualBlock(x) with conv2's weight and bias zero (expected relu(x))"), atol=1e-5)


def test_residual_gradient_reaches_input(learner):
    """The gradient reaches x through the skip path: with conv2 = 0 it is upstream * (x > 0); with all weights set, it equals autograd's through relu(x + conv2(relu(conv1(x))))."""
    c, shape = 6, (2, 6, 5, 4)
    for seed, w, case in ((4, _zeroed_conv2(c, 4), "with conv2 = 0"), (5, seeded_state(residual_shapes(c), 5), "")):
        block = _block_with(learner, "ResidualBlock", c, w, residual_shapes(c), RESIDUAL_ADVICE)
        g = torch.Generator().manual_seed(300 + seed)
        x, upstream = torch.randn(*shape, generator=g), torch.randn(*shape, generator=g)
        # backward through the learner's block, in the worker, from a weighting of its output made here
        got = glue(learner, "input_gradient", block, x, upstream, where=_("ResidualBlock.forward and backward"))
        if got["grad"] is None:
            fail(_("x.grad is None after backward: the block cut its input out of the graph; do not use "
                   "x.data, x.detach() or torch.no_grad() in forward"))
        grad = expect_shape(got["grad"], shape, _("the gradient of x {case}").format(case=case).strip())
        xd = x.double().requires_grad_(True)
        (residual_ref(xd, w) * upstream.double()).sum().backward()
        if case and grad.abs().max() == 0:
            fail(_("with conv2 = 0 no gradient reached x: the skip connection is missing (or x is detached "
                   "before the addition); with relu(x + y) the gradient flows straight back to x, which is "
                   "what keeps deep residual networks from the vanishing gradient"))
        expect_close(grad, xd.grad, _("the gradient of x through ResidualBlock {case}").format(case=case).strip(),
                     atol=1e-4, rtol=1e-4)


# ---------------------------------------------------------------- the residual network

def test_residual_net_output_shape(learner):
    """ResidualNet maps (batch, 1, 28, 28) images to (batch, 10) class scores, for batch 1 and 3."""
    expect_class_scores(learner, "ResidualNet")


def test_residual_net_parameter_count(learner):
    """ResidualNet has the lecture's layers: 41,514 trainable parameters, with fc = Linear(512, 10)."""
    _expect_net_parameters(learner, "ResidualNet", 41514)


def test_residual_net_returns_logits(learner):
    """ResidualNet's output equals conv1 -> mp -> relu -> rblock1 -> conv2 -> mp -> relu -> rblock2 -> flatten -> fc computed from its own weights: raw logits, no softmax."""
    _expect_net_logits(learner, "ResidualNet")


# ---------------------------------------------------------------- accuracy after training

# The data the accuracy checks train on and are judged on (the `image_data` fixture: the shipped digits,
# or the full-size set chosen with --data): the worker reads the public training split with torchvision's
# class for it, the grader keeps the labels of the evaluation split (read with the `eval_set` fixture).
# The training glue (glue's train_with_adam) runs in the worker with the grader's loop (lecture 10 graded the
# loop itself).  Only the trained weights come back; the evaluation images are never sent: the grader computes
# the predictions with the lecture's layers (NETWORKS).

def _training(net: str, seed: int, device: str, thresholds: dict, data) -> tuple:
    """glue's train_with_adam's arguments for one seed."""
    return (net, WORKER_DATA_ROOT, data.torchvision_class, thresholds.get("train_size", 0), seed, device,
            thresholds["batch_size"], thresholds["epochs"], thresholds["lr"], data.mean, data.std)


def train_net(learner, net: str, seed: int, device: str, thresholds: dict, data) -> dict:
    """The learner's network trained by the grader's loop in the worker: its weights, checked against the
    lecture's layers."""
    got = glue(learner, "train_with_adam", *_training(net, seed, device, thresholds, data),
               where=_("training your {net}").format(net=net))
    expect_device(got, device)
    shapes, advice, _unused = NETWORKS[net]
    return {k: v.float() for k, v in expect_state(got["state"], shapes(), _("the trained {net}").format(net=net), advice).items()}


def _judge_accuracy(learner, net: str, threshold: float, seeds: list, thresholds: dict, eval_set, data,
                    device: str) -> None:
    images, labels = eval_set(data.name)
    x = (((images.float() / 255) - data.mean) / data.std).unsqueeze(1)
    forward = NETWORKS[net][2]
    glue_side_by_side(learner, "train_with_adam", [_training(net, seed, device, thresholds, data) for seed in seeds],
                      where=_("training your {net}").format(net=net))
    for seed in seeds:
        w = train_net(learner, net, seed, device, thresholds, data)
        pred = predict_classes(lambda chunk: forward(chunk, w, torch.float32), x)
        judge_accuracy(pred, labels, threshold,
                       _("{net}: accuracy on {n_labels:,} held-out {name} images after {epochs} epoch(s) (seed "
                         "{seed})").format(net=net, n_labels=len(labels), name=data.name, epochs=thresholds['epochs'], seed=seed))


def test_inception_accuracy(learner, thresholds, eval_set, image_data, device):
    """Your InceptionNet, trained by the grader (Adam, a short seeded run on real images: the shipped digits, or the set chosen with --data), classifies held-out images above the threshold, on every seed, on the requested device (the grader computes the predictions with the lecture's layers from the trained weights)."""
    _judge_accuracy(learner, "InceptionNet", thresholds["inception_accuracy"], thresholds["inception_seeds"],
                    thresholds, eval_set, image_data, device)


def test_residual_accuracy(learner, thresholds, eval_set, image_data, device):
    """Your ResidualNet, trained by the grader (Adam, a short seeded run on real images: the shipped digits, or the set chosen with --data), classifies held-out images above the threshold, on every seed, on the requested device (the grader computes the predictions with the lecture's layers from the trained weights)."""
    _judge_accuracy(learner, "ResidualNet", thresholds["residual_accuracy"], thresholds["residual_seeds"],
                    thresholds, eval_set, image_data, device)
