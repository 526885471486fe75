"""Hidden checks of lecture 12, basic RNN.

Every expected value is computed here with torch's own RNN modules (nn.RNNCell,
nn.RNN, a trusted copy of the hello model) loaded with the weights the learner's
objects hold; the worker only runs the learner's code.  Batch sizes differ from
sequence lengths throughout, so a wrong layout (batch_first) cannot pass.
"""

import torch
from torch import nn

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (HandAdam, Mistake, expect_close, expect_close_or_mistake, expect_history, expect_parameter_count,
                               expect_shape, expect_state, expect_tensor, expect_zero_grad_each_step, fail, glue,
                               randint, randn, shapes_of)

IDX2CHAR = ["e", "h", "l", "o"]
HELLO = torch.tensor([[1, 0, 2, 2, 3]])
OHLOL = torch.tensor([3, 1, 2, 3, 2])
SEQ, BATCH, INPUT, HIDDEN = 5, 3, 4, 2   # seq_len != batch: a swapped layout changes shapes or values


# What a PyTorch error raised in this lecture's code means here (consulted before the shared table): the text
# matched is the error's first line, "{where} raised {type}: {message}".
MISTAKES = [
    (r"rnn_cell_step .*raised RuntimeError: mat1 and mat2 shapes cannot be multiplied",
     N_("weight_ih is (hidden_size, input_size) and weight_hh is (hidden_size, hidden_size), stored as (out, in) like "
        "a Linear layer's weight: multiply by their transposes, x @ weight_ih.t() and h @ weight_hh.t()")),
    (r"rnn_cell_step .*raised RuntimeError: The size of tensor a \(\d+\) must match the size of tensor b",
     N_("the terms' shapes do not fit: x @ weight_ih.t() and h @ weight_hh.t() are matrix products (@, not the "
        "element-wise *), each (batch, hidden_size), and the biases (hidden_size,) are added to them")),
    (r"run_rnn_cell .*raised RuntimeError: input has inconsistent input_size",
     N_("nn.RNNCell is called as cell(input, hidden): cell(x_t, hidden), the step's input first")),
    (r"run_rnn_cell .*raised RuntimeError: stack expects a non-empty TensorList",
     N_("the list of outputs is empty: append each step's new hidden state to it inside the loop, then "
        "torch.stack(outputs)")),
    (r"HelloModel\b.* raised AttributeError: 'HelloModel' object has no attribute '(\w+)'",
     N_("forward uses self.{1}, which __init__ never created: create emb, rnn and fc in __init__")),
    (r"HelloModel\b.* raised RuntimeError: For unbatched 2-D input, hx should also be 2-D",
     N_("the RNN received the (batch, seq_len) indices themselves: embed them first, x = self.emb(x), which is "
        "(batch, seq_len, 10)")),
    (r"HelloModel\b.* raised RuntimeError: input\.size\(-1\) must be equal to input_size\. Expected 10, got 8",
     N_("the RNN received the hidden state as its input: call it as self.rnn(x, hidden), the embedded sequence "
        "first, the initial hidden state second")),
    (r"HelloModel\b.* raised RuntimeError: input\.size\(-1\) must be equal to input_size\. Expected (\d+), got (\d+)",
     N_("the RNN was built for {1} features per step but received {2}: emb = Embedding(4, 10) gives each character "
        "10 features, and rnn = RNN(10, 8, num_layers=2) takes them")),
    (r"HelloModel\b.* raised RuntimeError: (?:shape '\[-?\d+, -?\d+\]' is invalid for input of size|invalid shape "
     r"dimension)",
     N_("flatten the scores to one row per character: x.reshape(-1, 4), where -1 stands for batch * seq_len")),
    (r"predict_hello .*raised IndexError: list index out of range",
     N_("an index was out of range for IDX2CHAR's 4 characters: the scores are (seq_len, 4), so each step's best "
        "character is scores.argmax(dim=1), an index from 0 to 3 (argmax over dim 0 gives, for each character, "
        "the step where it scores best)")),
    (r"train_hello .*raised .*(?:not implemented for 'Long'|Expected floating point type for target)",
     N_("the criterion takes the scores first and the targets second: criterion(outputs, labels), the float "
        "(batch * seq_len, 4) scores, then the Long class indices")),
]


def _cell_tensors():
    x, h = randn(BATCH, INPUT, seed=120), randn(BATCH, HIDDEN, seed=121)
    w_ih, w_hh = randn(HIDDEN, INPUT, seed=122), randn(HIDDEN, HIDDEN, seed=123)
    b_ih, b_hh = randn(HIDDEN, seed=124), randn(HIDDEN, seed=125)
    return x, h, w_ih, w_hh, b_ih, b_hh


def _torch_cell(w_ih, w_hh, b_ih, b_hh, nonlinearity: str = "tanh") -> nn.RNNCell:
    cell = nn.RNNCell(w_ih.shape[1], w_ih.shape[0], nonlinearity=nonlinearity).to(w_ih.dtype)
    cell.load_state_dict({"weight_ih": w_ih, "weight_hh": w_hh, "bias_ih": b_ih, "bias_hh": b_hh})
    return cell


def _tensors_of(state, like: nn.Module, owner: str, advice: str) -> dict:
    """The learner's tensors named and shaped as ``like``'s, as float32."""
    state = expect_state(state, shapes_of(like), owner, advice, extra_ok=True)
    return {n: t.detach().float() for n, t in state.items()}


# ---------------------------------------------------------------- the cell by hand

def test_cell_step_values(learner):
    """rnn_cell_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh) returns tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), equal to nn.RNNCell with the same weights (batch 3, input 4, hidden 2)."""
    x, h, w_ih, w_hh, b_ih, b_hh = _cell_tensors()
    got = learner.call("rnn_cell_step", x, h, w_ih, w_hh, b_ih, b_hh)
    with torch.no_grad():
        expected = _torch_cell(w_ih, w_hh, b_ih, b_hh)(x, h)
        pre = x @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh
        mistakes = [
            Mistake(pre, _("this is the cell before its nonlinearity: apply torch.tanh to the sum"), _("no tanh")),
            Mistake(torch.relu(pre), _("the cell uses ReLU; nn.RNNCell's default nonlinearity is tanh"), _("ReLU for tanh")),
            Mistake(torch.tanh(pre - b_hh), _("bias_hh is missing: the cell adds both biases, b_ih and b_hh"),
                    _("no bias_hh")),
            Mistake(torch.tanh(pre - b_ih), _("bias_ih is missing: the cell adds both biases, b_ih and b_hh"),
                    _("no bias_ih")),
            Mistake(torch.tanh(x @ w_ih.t() + b_ih + b_hh), _("the previous hidden state h is not used: add h @ weight_hh.t()"), "h unused"),
            Mistake(torch.tanh(x @ w_ih.t() + b_ih + h @ w_hh + b_hh),
                    _("weight_hh was not transposed: nn.RNNCell computes h @ weight_hh.t() (weight_hh is (hidden_size, "
                      "hidden_size), stored as (out, in) like a Linear layer's weight)"), _("weight_hh not transposed")),
        ]
        for name, term in (("bias_hh", b_hh), ("h @ weight_hh.t()", h @ w_hh.t()), ("bias_ih", b_ih)):
            mistakes.append(Mistake(torch.tanh(pre - 2 * term),
                                    _("{name} was subtracted: the cell adds all four terms, x @ weight_ih.t() + bias_ih + "
                                      "h @ weight_hh.t() + bias_hh").format(name=name), _("a term subtracted")))
    expect_shape(got, (BATCH, HIDDEN), _("rnn_cell_step(x, h, ...) with batch 3, input_size 4, hidden_size 2"))
    expect_close_or_mistake(got, expected, "rnn_cell_step(...)", mistakes)


def test_cell_step_gradients(learner):
    """Gradients flow through rnn_cell_step to x, h and all four weights, equal to autograd's through nn.RNNCell."""
    x, h, w_ih, w_hh, b_ih, b_hh = _cell_tensors()
    upstream = randn(BATCH, HIDDEN, seed=126)
    got = glue(learner, "rnn_cell_gradients", x, h, w_ih, w_hh, b_ih, b_hh, upstream,
               where=_("rnn_cell_step (rnn_cell.py), then backward()"))
    if got["graph"] is not True:
        fail(_("the result of rnn_cell_step is not connected to its inputs (requires_grad is False): "
               "compute it with torch operations on the tensors themselves, not on .data, .detach() or "
               "numpy copies"))
    cell = _torch_cell(w_ih.double(), w_hh.double(), b_ih.double(), b_hh.double())
    xd, hd = x.double().requires_grad_(), h.double().requires_grad_()
    (cell(xd, hd) * upstream.double()).sum().backward()
    reference = [xd.grad, hd.grad, cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad, cell.bias_hh.grad]
    grads = got["grads"] if isinstance(got["grads"], list) and len(got["grads"]) == 6 else [None] * 6
    for name, g, ref in zip(("x", "h", "weight_ih", "weight_hh", "bias_ih", "bias_hh"), grads, reference):
        if g is None:
            fail(_("no gradient reached {name}: use the tensor itself in the computation, not {name}.data "
                   "or {name}.detach()").format(name=name))
        expect_close(g, ref.float(), _("the gradient with respect to {name}").format(name=name), atol=1e-5, rtol=1e-4)


# ---------------------------------------------------------------- the cell over a sequence

def _run_sequence(learner):
    learner.seed(12)
    cell = learner.new("torch.nn.RNNCell", INPUT, HIDDEN)
    inputs, h0 = randn(SEQ, BATCH, INPUT, seed=127), randn(BATCH, HIDDEN, seed=128)
    got = learner.call("run_rnn_cell", cell, inputs, h0)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(_("run_rnn_cell must return two tensors, (output, h_n), as nn.RNN does; got {type}").format(type=type(got).__name__)
             + (_(" of length {n}").format(n=len(got)) if isinstance(got, (tuple, list)) else ""))
    w = _tensors_of(learner.method(cell, "state_dict"), nn.RNNCell(INPUT, HIDDEN), _("the RNNCell"),
                    _("it is torch.nn.RNNCell({input}, {hidden})").format(input=INPUT, hidden=HIDDEN))
    rnn = nn.RNN(INPUT, HIDDEN)
    rnn.load_state_dict({f"{k}_l0": v for k, v in w.items()})
    with torch.no_grad():
        out, h_n = rnn(inputs, h0.unsqueeze(0))
        cell_ref = _torch_cell(w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
        from_h0 = torch.stack([cell_ref(x_t, h0) for x_t in inputs])
    return got, out, h_n, from_h0, h0


def test_sequence_output(learner):
    """run_rnn_cell(cell, inputs, h0) over a sequence (seq_len 5, batch 3) returns output of shape (5, 3, 2) equal to nn.RNN's with the same weights."""
    (output, _unused), out, _unused, from_h0, h0 = _run_sequence(learner)
    output = expect_tensor(output, _("output, the first value run_rnn_cell returns"))
    if tuple(output.shape) == (BATCH, SEQ, HIDDEN):
        fail(_("output has shape {output_shape}, batch first; nn.RNN's output is (seq_len, batch, "
               "hidden_size) = {v1}: stack the hidden states along dimension 0").format(output_shape=tuple(output.shape), v1=(SEQ, BATCH, HIDDEN)))
    expect_shape(output, (SEQ, BATCH, HIDDEN), _("output of run_rnn_cell (seq_len 5, batch 3, hidden_size 2)"))
    expect_close_or_mistake(output, out, _("output of run_rnn_cell"), [
        Mistake(from_h0, _("every step started again from h0: feed each step's new hidden state to the next step"),
                _("restarted from h0")),
        Mistake(h0.expand(SEQ, BATCH, HIDDEN), _("every step's output is h0, the hidden state was never updated: "
                                                 "hidden = cell(x_t, hidden) inside the loop"), _("hidden not updated"))])


def test_sequence_hidden(learner):
    """run_rnn_cell returns h_n of shape (1, 3, 2) (num_layers, batch, hidden_size): the hidden state after the last step, equal to nn.RNN's."""
    (_unused, h_last), out, h_n, from_h0, h0 = _run_sequence(learner)
    h_last = expect_tensor(h_last, _("h_n, the second value run_rnn_cell returns"))
    if tuple(h_last.shape) == (BATCH, HIDDEN):
        fail(_("h_n has shape {h_last_shape}; nn.RNN's h_n has a leading num_layers dimension: (1, "
               "batch, hidden_size) = {v1}, e.g. hidden.unsqueeze(0)").format(h_last_shape=tuple(h_last.shape), v1=(1, BATCH, HIDDEN)))
    if tuple(h_last.shape) in ((BATCH, 1, HIDDEN), (BATCH, HIDDEN, 1)):
        fix = _("put the num_layers dimension first: hidden.unsqueeze(0)")
        fail(_("h_n has shape {shape}; nn.RNN's h_n is (num_layers, batch, hidden_size) = {want}: {fix}").format(
            shape=tuple(h_last.shape), want=(1, BATCH, HIDDEN), fix=fix), expected=str((1, BATCH, HIDDEN)),
             actual=str(tuple(h_last.shape)), cause=_("num_layers dimension misplaced"), help=fix)
    expect_shape(h_last, (1, BATCH, HIDDEN), _("h_n of run_rnn_cell (num_layers 1, batch 3, hidden_size 2)"))
    expect_close_or_mistake(h_last, h_n, _("h_n of run_rnn_cell"), [
        Mistake(h0.unsqueeze(0), _("h_n is h0, the hidden state was never updated: hidden = cell(x_t, hidden) inside "
                                   "the loop"), _("hidden not updated")),
        Mistake(out[0:1], _("h_n is the hidden state after the first step; it must be the one after the last step"),
                _("h_n of the first step")),
        Mistake(from_h0[-1:], _("every step started again from h0: feed each step's new hidden state to the next step"),
                _("restarted from h0"))])


# ---------------------------------------------------------------- characters as numbers

def test_encode_indices(learner):
    """encode("hello") is the Long tensor [1, 0, 2, 2, 3] and encode("ohlol") is [3, 1, 2, 3, 2] (IDX2CHAR = e, h, l, o)."""
    for text, expected in (("hello", HELLO[0]), ("ohlol", OHLOL), ("leo", torch.tensor([2, 0, 3]))):
        got = expect_tensor(learner.call("encode", text), f'encode("{text}")')
        if got.dtype != torch.long:
            fail(_('encode("{text}"): expected dtype torch.int64 (Long), got {dtype}; Embedding and '
                   "CrossEntropyLoss want Long indices: torch.tensor(..., dtype=torch.long)").format(text=text, dtype=got.dtype))
        if tuple(got.shape) == tuple(expected.shape) and not torch.equal(got, expected):
            fail(_('encode("{text}"): expected {v1}, got {v2}; the index of a character is its place in '
                   "IDX2CHAR = {IDX2CHAR}").format(text=text, v1=expected.tolist(), v2=got.tolist(), IDX2CHAR=IDX2CHAR))
        expect_close(got, expected, f'encode("{text}")', atol=0, rtol=0)


def test_decode_text(learner):
    """decode([3, 1, 2, 3, 2]) is "ohlol", from a list or a 1-D Long tensor."""
    for indices, expected in (([3, 1, 2, 3, 2], "ohlol"), (torch.tensor([1, 0, 2, 2, 3]), "hello"),
                              (torch.tensor([3, 2, 0]), "ole")):
        got = learner.call("decode", indices)
        shown = indices.tolist() if isinstance(indices, torch.Tensor) else indices
        if type(got) is not str:
            fail(_("decode({shown}): expected a str, got {__name__}: join the characters with ''.join(...)").format(shown=shown, __name__=type(got).__name__))
        if got != expected:
            fail(_("decode({shown}): expected {expected!r}, got {got!r}; look each index up in IDX2CHAR = "
                   "{IDX2CHAR}").format(shown=shown, expected=expected, got=got, IDX2CHAR=IDX2CHAR))


def test_one_hot_vectors(learner):
    """one_hot(indices, num_classes) returns float32 one-hot vectors of shape indices.shape + (num_classes,), for 1-D and 2-D indices."""
    for indices, classes in ((HELLO[0], 4), (torch.tensor([[3, 0, 1], [2, 2, 4]]), 5)):
        what = _("one_hot(indices of shape {shape}, {classes})").format(shape=tuple(indices.shape), classes=classes)
        got = expect_tensor(learner.call("one_hot", indices, classes), what)
        if got.dtype != torch.float32:
            fail(_("{what}: expected dtype torch.float32, got {dtype}; RNN layers want float inputs: "
                   "convert with .float()").format(what=what, dtype=got.dtype))
        expected = torch.eye(classes)[indices]
        expect_shape(got, tuple(expected.shape), what)
        expect_close(got, expected, what, atol=0, rtol=0)


# ---------------------------------------------------------------- the hello model

class _HelloReference(nn.Module):
    """A trusted copy of the lecture's model, loaded with the learner's weights."""

    def __init__(self, batch_first: bool = True):
        super().__init__()
        self.emb = nn.Embedding(4, 10)
        self.rnn = nn.RNN(10, 8, num_layers=2, batch_first=batch_first)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        if not self.rnn.batch_first:
            out, _unused = self.rnn(self.emb(x))
            return self.fc(out).reshape(-1, 4)
        out, _unused = self.rnn(self.emb(x), torch.zeros(2, x.size(0), 8, dtype=self.fc.weight.dtype))
        return self.fc(out).reshape(-1, 4)


HELLO_ADVICE = N_("the lecture's layers are emb = Embedding(4, 10), rnn = RNN(10, 8, num_layers=2), fc = Linear(8, 4)")


def _reference_of(learner, model, batch_first: bool = True) -> _HelloReference:
    ref = _HelloReference(batch_first)
    ref.load_state_dict(_tensors_of(learner.method(model, "state_dict"), ref, "HelloModel", HELLO_ADVICE))
    return ref


def _indices(batch: int, seq: int, seed: int) -> torch.Tensor:
    return randint(4, (batch, seq), seed)


def test_hello_model_shape(learner):
    """HelloModel() maps Long indices (batch, seq_len) to scores (batch * seq_len, 4): (1, 5) -> (5, 4) and (3, 7) -> (21, 4)."""
    learner.seed(0)
    model = learner.new("HelloModel")
    for batch, seq in ((1, 5), (3, 7)):
        got = expect_tensor(learner.call(model, _indices(batch, seq, seed=129)), _("HelloModel()(x), x of shape {v0}").format(v0=(batch, seq)))
        if tuple(got.shape) == (2 * batch * seq, 4):
            fix = _("map each step's 8 hidden features to 4 scores with self.fc before flattening")
            fail(_("HelloModel()(x) for x of shape {v0} returned {got_shape}, twice the rows expected: these are the "
                   "RNN's 8 hidden features cut into rows of 4, not scores: {fix}").format(
                       v0=(batch, seq), got_shape=tuple(got.shape), fix=fix), expected=str((batch * seq, 4)),
                 actual=str(tuple(got.shape)), cause=_("fc not applied"), help=fix)
        if tuple(got.shape) == (4, batch * seq):
            fix = _("flatten with .reshape(-1, 4): one row per character, 4 scores per row")
            fail(_("HelloModel()(x) for x of shape {v0} returned {got_shape}: 4 rows instead of one row of 4 scores "
                   "per character: {fix}").format(v0=(batch, seq), got_shape=tuple(got.shape), fix=fix),
                 expected=str((batch * seq, 4)), actual=str(tuple(got.shape)), cause=_("4 rows, not 4 columns"), help=fix)
        if tuple(got.shape) == (batch, seq, 4):
            fail(_("HelloModel()(x) for x of shape {v0} returned {got_shape}; CrossEntropyLoss wants one "
                   "row per character: flatten with .view(-1, 4) to {v2}").format(v0=(batch, seq), got_shape=tuple(got.shape), v2=(batch * seq, 4)))
        expect_shape(got, (batch * seq, 4), _("HelloModel()(x) for x of shape {v0}").format(v0=(batch, seq)))


def test_hello_model_parameters(learner):
    """HelloModel has the lecture's layers emb, rnn, fc: Embedding(4, 10), RNN(10, 8, num_layers=2), Linear(8, 4), 380 parameters."""
    model = learner.new("HelloModel")
    expect_parameter_count(learner, model, 380, "HelloModel")
    _reference_of(learner, model)


def test_hello_model_values(learner):
    """HelloModel's scores on a batch of 3 sequences of 7 equal those of the lecture's model with the same weights (batch_first layout, zero initial hidden state)."""
    learner.seed(1)
    model = learner.new("HelloModel")
    x = _indices(3, 7, seed=130)
    got = learner.call(model, x)
    ref, swapped = _reference_of(learner, model), _reference_of(learner, model, batch_first=False)
    with torch.no_grad():
        expected, wrong_layout = ref(x), swapped(x)
    expect_shape(got, (21, 4), _("HelloModel()(x) for x of shape (3, 7)"))
    expect_close_or_mistake(got, expected, _("HelloModel()(x) for x of shape (3, 7)"), [
        Mistake(wrong_layout, _("the RNN read the batch dimension as time: the input is (batch, seq_len, "
                                "embedding_size), so build nn.RNN(..., batch_first=True)"), _("batch_first missing"))], atol=1e-5)


# ---------------------------------------------------------------- training and prediction

def test_train_zero_grad(learner):
    """Each step of train_hello starts from zeroed gradients (checked with lr = 0 on the same batch)."""
    learner.seed(2)
    model = learner.new("HelloModel")
    crit = learner.new("torch.nn.CrossEntropyLoss")
    expect_zero_grad_each_step(learner, model,
                               lambda opt: learner.call("train_hello", model, crit, opt, HELLO, OHLOL, 3))


def test_train_loss_history(learner, thresholds):
    """train_hello(model, criterion, Adam(lr=0.05), inputs, labels, 15) returns 15 floats, the loss before each step, equal to the reference's run from the same weights."""
    learner.seed(3)
    model = learner.new("HelloModel")
    ref = _reference_of(learner, model)
    crit = learner.new("torch.nn.CrossEntropyLoss")
    opt = learner.new("torch.optim.Adam", learner.method(model, "parameters"), lr=0.05)
    values = torch.tensor(expect_history(learner.call("train_hello", model, crit, opt, HELLO, OHLOL, 15), "train_hello",
                                         15))
    ref_opt, expected = HandAdam(ref.parameters(), lr=0.05), []
    for _unused in range(15):
        loss = nn.functional.cross_entropy(ref(HELLO), OHLOL)
        expected.append(loss.item())
        ref_opt.zero_grad()
        loss.backward()
        ref_opt.step()
    expect_close(values, torch.tensor(expected), _("the loss history of train_hello"), atol=thresholds["loss_atol"],
                 rtol=1e-3)


def test_learns_ohlol(learner, thresholds):
    """HelloModel, trained with train_hello (CrossEntropyLoss, Adam lr 0.05, 15 epochs), predicts "ohlol" for "hello", from every seed checked (the grader computes the prediction with the lecture's model from your trained weights)."""
    for seed in thresholds["seeds"]:
        learner.seed(seed)
        model = learner.new("HelloModel")
        opt = learner.new("torch.optim.Adam", learner.method(model, "parameters"), lr=0.05)
        learner.call("train_hello", model, learner.new("torch.nn.CrossEntropyLoss"), opt, HELLO, OHLOL, 15)
        with torch.no_grad():
            scores = _reference_of(learner, model)(HELLO)
        got = "".join(IDX2CHAR[i] for i in scores.argmax(dim=1).tolist())
        if got != "ohlol":
            fail(_('after 15 epochs from seed {seed} the model predicts {got!r} for "hello", expected '
                   '"ohlol"; check the model (embedding, two RNN layers, batch_first) and the training step').format(seed=seed, got=got))


def test_predict_string(learner):
    """predict_hello(model, inputs) returns the string of the highest-scoring character at each step, without building a graph."""
    scores = randn(5, 4, seed=131)
    expected = "".join(IDX2CHAR[i] for i in scores.argmax(dim=1).tolist())
    got = glue(learner, "predict_hello_probe", scores, HELLO, where=_("predict_hello (hello_model.py)"))
    if type(got["out"]) is not str:
        fail(_("predict_hello must return a str, got {__name__}").format(__name__=type(got['out']).__name__))
    if got["out"] != expected:
        fail(_("predict_hello predicted {out!r} for scores whose best character per step spells "
               "{expected!r}: take argmax over the classes (dim=1) and look each index up in IDX2CHAR = "
               "{IDX2CHAR}").format(out=got['out'], expected=expected, IDX2CHAR=IDX2CHAR))
    if got["modes"] != [False]:
        fail(_("predict_hello ran the model with gradients enabled (or not exactly once): wrap the call "
               "in torch.no_grad()"))
