"""Hidden checks of lecture 13, the RNN classifier of names.

Expected values are computed here: the public names file read by the grader
itself, and a trusted copy of the classifier (torch's GRU and
pack_padded_sequence) loaded with the learner's weights.  The evaluation names
are never sent to the worker: the classifier trained there by the learner's code
comes back as its weights, and the trusted copy loaded with them predicts the
names' countries here, where they stay.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from grader.checks.api import N_, _  # gettext: messages in the learner's language (grader.i18n)
from grader.checks.api import (DATA_DIR, WORKER_DATA_ROOT, Mistake, expect_close, expect_close_or_mistake,
                               expect_device, expect_list, expect_parameter_count, expect_trains_in_train_mode, expect_shape, expect_state,
                               expect_tensor, expect_zero_grad_each_step, fail, glue, glue_side_by_side, judge_accuracy, judge_mean_loss,
                               judge_modes, read_names, shapes_of)

TRAIN_FILE = "names/names_train.csv.gz"
NAMES = ["Li", "Smirnov", "Abe", "O'Neil", "Nakamura"]   # lengths 2, 7, 3, 6, 8: not sorted
SHORT = ["Li", "Ng", "Abe", "Xu", "Ito", "Wu"]           # more names (6) than characters (3): batch != seq_len


# What a PyTorch error raised in this lecture's code means here (consulted before the shared table): the text
# matched is the error's first line, "{where} raised {type}: {message}".
MISTAKES = [
    (r"NameDataset\b.* raised AttributeError: 'NameDataset' object has no attribute '(\w+)'",
     N_("the dataset uses self.{1}, which __init__ never set: read the file in __init__ and keep names, countries, "
        "country_list (and any lookup table __getitem__ uses) as attributes")),
    (r"train_epoch .*raised .*(?:not implemented for 'Long'|Expected floating point type for target)",
     N_("the criterion takes the scores first and the targets second: criterion(output, countries), the float "
        "(batch, classes) scores, then the Long class indices")),
    # the grader's stand-in models (glue's Bag for train_epoch, NameLength for predict) fail so when the padded codes
    # and the lengths are swapped: Bag divides the summed embeddings by the lengths, NameLength one-hot codes them
    (r"train_epoch .*raised RuntimeError: The size of tensor a \(\d+\) must match the size of tensor b",
     N_("the model received the lengths where the padded codes belong: call it as model(seq, lengths), the padded "
        "batch first, the lengths second")),
    (r"predict .*raised RuntimeError: Class values must be smaller than num_classes",
     N_("the model received the padded codes where the lengths belong: call it as model(seq, lengths), the padded "
        "batch first, the lengths second")),
    (r"NameDataset\b.* raised ValueError: invalid mode",
     N_("gzip.open takes the file's path first, then the mode: gzip.open(path, 'rt') reads it as text")),
    (r"NameDataset\b.* raised IndexError: list index out of range",
     N_("each row of the file has two fields: row[0] is the name, row[1] the country")),
    (r"names_to_tensor .*raised RuntimeError: The expanded size of the tensor",
     N_("seq is (batch, longest length), one row per name: torch.zeros(len(names), int(lengths.max()), "
        "dtype=torch.long), then seq[i, :len(name)] = the codes of names[i]")),
    (r"RNNClassifier\b.* raised AttributeError: 'RNNClassifier' object has no attribute '(\w+)'",
     N_("forward uses self.{1}, which __init__ never created: create embedding, gru and fc in __init__")),
    (r"RNNClassifier\b.* raised RuntimeError: Expected hidden size \((\d+), (\d+), (\d+)\), got \[(\d+), (\d+), (\d+)\]",
     N_("the initial hidden state must be (n_layers * n_directions, batch, hidden_size) = ({1}, {2}, {3}), got "
        "({4}, {5}, {6}); after input.t() the input is (seq_len, batch), so the batch is input.size(1)")),
    (r"RNNClassifier\b.* raised RuntimeError: INDICES element is out of DATA bounds",
     N_("the initial hidden state is too small for the batch: after input.t() the input is (seq_len, batch), so the "
        "batch is input.size(1): hidden = torch.zeros(n_layers * n_directions, input.size(1), hidden_size)")),
    (r"RNNClassifier\b.* raised RuntimeError: start \(\d+\) \+ length \(\d+\) exceeds dimension size",
     N_("the padded batch is (batch, seq_len), but the GRU (without batch_first) reads (seq_len, batch, features): "
        "transpose it first, input = input.t(), so that the lengths go with the batch")),
    (r"RNNClassifier\b.* raised TypeError: (?:empty\(\): argument 'size'.*float|zeros\(\) takes 1 positional argument)",
     N_("a size is a float: sizes are whole numbers, so multiply, do not divide: fc takes hidden_size * n_directions "
        "features, and the hidden state's first dimension is n_layers * n_directions")),
    (r"RNNClassifier\b.* raised IndexError: Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)",
     N_("a 1-D tensor, the lengths, was used where the embedded (seq_len, batch, hidden_size) batch belongs: "
        "pack_padded_sequence(embedded, lengths.cpu(), enforce_sorted=False) takes the batch first, the lengths "
        "second")),
    (r"RNNClassifier\b.* raised IndexError: index -?\d+ is out of bounds for dimension 0 with size (\d+)",
     N_("hidden holds {1} final states here (n_layers * n_directions, the last layer's last): the features are the "
        "last layer's two, hidden[-1] and hidden[-2]")),
    (r"RNNClassifier\b.* raised AttributeError: 'PackedSequence' object has no attribute",
     N_("the GRU is called as self.gru(input, h_0): the packed sequence first, the initial hidden state second")),
    (r"RNNClassifier\b.* raised RuntimeError: mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)",
     N_("fc = Linear(hidden_size * n_directions, output_size) receives {2} features per name instead of {3}: with two "
        "directions, concatenate the last layer's two final states along the features, torch.cat([hidden[-1], "
        "hidden[-2]], dim=1); with one direction, use hidden[-1]")),
]


def _batch(names):
    """The padded batch (seq, lengths), built here (not by the learner's names_to_tensor)."""
    lengths = torch.tensor([len(n) for n in names])
    seq = torch.zeros(len(names), int(lengths.max()), dtype=torch.long)
    for i, n in enumerate(names):
        seq[i, :len(n)] = torch.tensor([ord(c) for c in n])
    return seq, lengths


# ---------------------------------------------------------------- the data

def test_dataset_rows(learner):
    """NameDataset(path) reads the shipped names_train.csv.gz: its length, its sorted country_list, and dataset[i] = (name, class index)."""
    names, countries = read_names(DATA_DIR / TRAIN_FILE)
    country_list = sorted(set(countries))
    picks = [0, 1, 7, len(names) - 1]
    got = glue(learner, "name_dataset_rows", f"{WORKER_DATA_ROOT}/{TRAIN_FILE}", picks,
               where=_("NameDataset (names_data.py)"))
    if got["n"] != len(names):
        fail(_("len(NameDataset(names_train.csv.gz)) is {n}; the file has {n_names} rows (no header)").format(n=got['n'], n_names=len(names)))
    if got["country_list"] != country_list:
        if sorted(got["country_list"]) == country_list:
            fail(_("country_list holds the right countries in the wrong order: sort them, so that class i "
                   "is the i-th country alphabetically ({v0}, ...)").format(v0=', '.join(country_list[:3])))
        fail(_("country_list: expected the {n_country_list} distinct countries sorted ({v1}), got "
               "{country_list!r:.300}").format(n_country_list=len(country_list), v1=', '.join(country_list), country_list=got['country_list']))
    items = expect_list(got["items"], _("[tuple(dataset[i]) for i in {picks}]").format(picks=picks), length=len(picks), noun="samples")
    for i, item in zip(picks, items):
        expected = (names[i], country_list.index(countries[i]))
        if type(item) not in (list, tuple):
            fail(_("dataset[{i}]: expected a pair (name, class index), got {__name__}").format(i=i, __name__=type(item).__name__))
        if len(item) == 2 and item[1] == countries[i]:
            fail(_("dataset[{i}] is {item!r}: give the country's class index, {v2} (its place in "
                   "country_list), not its name; CrossEntropyLoss wants indices").format(i=i, item=item, v2=expected[1]))
        if tuple(item) != expected:
            fail(_("dataset[{i}]: expected {expected!r}, got {item!r}").format(i=i, expected=expected, item=item))


def test_names_to_tensor_values(learner):
    """names_to_tensor(names) returns the ASCII codes zero-padded to (batch, longest) as Long, and the lengths as a Long tensor, in the order given."""
    seq, lengths = _batch(NAMES)
    got = learner.call("names_to_tensor", NAMES)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(_("names_to_tensor must return two values, (seq, lengths); got {__name__}").format(__name__=type(got).__name__))
    got_seq, got_len = got
    if isinstance(got_len, list):
        fail(_("lengths is a Python list; return it as a Long tensor: torch.tensor(lengths, "
               "dtype=torch.long)"))
    got_len = expect_tensor(got_len, "lengths")
    got_seq = expect_shape(got_seq, tuple(seq.shape), _("seq for {n_NAMES} names of at most 8 characters").format(n_NAMES=len(NAMES)))
    if got_seq.dtype != torch.long or got_len.dtype != torch.long:
        fail(_("seq and lengths must be Long tensors (Embedding wants integer indices), got {dtype} and "
               "{dtype1}: create them with dtype=torch.long").format(dtype=got_seq.dtype, dtype1=got_len.dtype))
    order = sorted(range(len(NAMES)), key=lambda i: -len(NAMES[i]))
    if torch.equal(got_len, lengths[order]) or torch.equal(got_seq, seq[order]):
        fail(_("the names came back sorted by length; keep the order they were given in (the model "
               "packs with enforce_sorted=False, so nothing needs sorting, and predictions must match "
               "the names)"))
    expect_close(got_len, lengths, "lengths", atol=0, rtol=0)
    if not got_seq.any():
        fix = _("write each name's codes into its row: seq[i, :len(name)] = torch.tensor([ord(c) for c in name])")
        fail(_("seq is all zeros, the padding alone: {fix}").format(fix=fix), cause=_("codes never written"), help=fix)
    if torch.equal(got_seq.flip(1).ne(0).long().sum(1), lengths) and not torch.equal(got_seq, seq):
        fail(_("the codes are padded on the left; put each name's codes first and the zeros after them"))
    expect_close(got_seq, seq, _("seq (ord() of each character, then zeros)"), atol=0, rtol=0)


# ---------------------------------------------------------------- the model

class _Reference(nn.Module):
    """A trusted copy of the lecture's classifier, loaded with the learner's weights."""

    def __init__(self, hidden, classes, layers, bidirectional):
        super().__init__()
        self.embedding = nn.Embedding(128, hidden)
        self.gru = nn.GRU(hidden, hidden, layers, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def final_states(self, seq, lengths, pack=True):
        emb = self.embedding(seq.t())
        x = pack_padded_sequence(emb, lengths, enforce_sorted=False) if pack else emb
        return self.gru(x)[1]

    def scores(self, hidden, pair):
        return self.fc(torch.cat([hidden[pair[0]], hidden[pair[1]]], dim=1) if self.gru.bidirectional else hidden[-1])


CLASSIFIER_ADVICE = N_("keep the lecture's layers embedding = Embedding(128, hidden), gru = GRU(hidden, hidden, "
                       "n_layers, bidirectional=bidirectional), fc = Linear(hidden * (2 if bidirectional else 1), "
                       "classes)")


def _model(learner, hidden=16, classes=5, layers=2, bidirectional=True, seed=13):
    learner.seed(seed)
    model = learner.new("RNNClassifier", 128, hidden, classes, n_layers=layers, bidirectional=bidirectional)
    ref = _Reference(hidden, classes, layers, bidirectional)
    state = expect_state(learner.method(model, "state_dict"), shapes_of(ref), "RNNClassifier", CLASSIFIER_ADVICE,
                         extra_ok=True)
    ref.load_state_dict({n: t.float() for n, t in state.items()})
    return model, ref


def test_classifier_output_shape(learner):
    """RNNClassifier(128, hidden, classes, n_layers, bidirectional) maps a padded batch and its unsorted lengths to scores (batch, classes), for batch 1, 5 and 6 (6 names of at most 3 characters), one or two layers and directions."""
    for layers, bidirectional in ((1, True), (2, False)):
        learner.seed(0)
        model = learner.new("RNNClassifier", 128, 16, 5, n_layers=layers, bidirectional=bidirectional)
        for names in (NAMES[:1], NAMES, SHORT):
            seq, lengths = _batch(names)
            expect_shape(learner.call(model, seq, lengths), (len(names), 5),
                         f"RNNClassifier(128, 16, 5, n_layers={layers}, bidirectional={bidirectional}) on "
                         f"{len(names)} name(s)")


def test_classifier_parameter_count(learner):
    """RNNClassifier(128, 100, 18, n_layers=2) has the lecture's 318,818 parameters (135,818 with bidirectional=False)."""
    for bidirectional, expected in ((True, 318_818), (False, 135_818)):
        model = learner.new("RNNClassifier", 128, 100, 18, n_layers=2, bidirectional=bidirectional)
        expect_parameter_count(learner, model, expected,
                               f"RNNClassifier(128, 100, 18, n_layers=2, bidirectional={bidirectional})")


def test_classifier_values(learner):
    """RNNClassifier's scores on an unsorted padded batch equal the lecture's model with the same weights: packed GRU, last layer's two final states (one with bidirectional=False), then fc."""
    model, ref = _model(learner)
    seq, lengths = _batch(NAMES)
    got = learner.call(model, seq, lengths)
    with torch.no_grad():
        hidden = ref.final_states(seq, lengths)
        expected = ref.scores(hidden, (-1, -2))
        other_order = ref.scores(hidden, (-2, -1))
        mistakes = [
            Mistake(ref.scores(ref.final_states(seq, lengths, pack=False), (-1, -2)),
                    _("the GRU ran over the padding zeros: pack the batch with pack_padded_sequence(embedded, "
                      "lengths.cpu(), enforce_sorted=False) so each name stops at its own length"), _("padding not packed")),
            Mistake(ref.scores(hidden, (0, 1)), _("the features come from the first layer: use the last layer's final states, "
                                                  "torch.cat([hidden[-1], hidden[-2]], dim=1)"), _("first layer's states")),
            Mistake(expected[lengths.argsort(descending=True, stable=True)],
                    _("the rows come back sorted by length, not in the batch's order: pack with "
                      "enforce_sorted=False (or undo the sort before returning)"), _("rows sorted by length")),
        ]
        # hidden holds 4 final states (layer 0 forward, backward, layer 1 forward, backward): any other pair
        for i in range(-4, 0):
            for j in range(-4, 0):
                if {i, j} != {-1, -2} and (i, j) != (-4, -3):
                    mistakes.append(Mistake(
                        ref.scores(hidden, (i, j)),
                        _("the features are hidden[{i}] and hidden[{j}]; the last layer's two final states are "
                          "hidden[-1] and hidden[-2] (hidden is (n_layers * 2, batch, hidden_size), the last layer "
                          "last): torch.cat([hidden[-1], hidden[-2]], dim=1)").format(i=i, j=j),
                        _("wrong final states")))
    got = expect_shape(got, tuple(expected.shape), "RNNClassifier(128, 16, 5, n_layers=2)(seq, lengths)")
    if not torch.allclose(got, other_order, atol=1e-5):  # [hidden[-2], hidden[-1]] is as good as the lecture's order
        expect_close_or_mistake(got, expected, "RNNClassifier(128, 16, 5, n_layers=2)(seq, lengths)", mistakes, atol=1e-5)
    # one direction, two layers: the features are the last layer's final state alone, hidden[-1]
    model, ref = _model(learner, bidirectional=False)
    got = learner.call(model, seq, lengths)
    what = "RNNClassifier(128, 16, 5, n_layers=2, bidirectional=False)(seq, lengths)"
    with torch.no_grad():
        hidden = ref.final_states(seq, lengths)
        expected = ref.fc(hidden[-1])
        mistakes = [Mistake(ref.fc(hidden[0]), _("with one direction the features come from the first layer: use the "
                                                 "last layer's final state, hidden[-1]"), _("first layer's states"))]
    expect_close_or_mistake(expect_shape(got, tuple(expected.shape), what), expected, what, mistakes, atol=1e-5)


def test_padding_invariance(learner):
    """A name's scores do not change when it is batched with longer names (the padding is packed away)."""
    model, _unused = _model(learner, seed=14)
    batch = ["Abercrombie", "Li", "Nakamura", "Ng"]
    seq, lengths = _batch(batch)
    together = expect_shape(learner.call(model, seq, lengths), (4, 5), _("scores of a batch of 4 names"))
    for i in (1, 3):
        alone = expect_shape(learner.call(model, *_batch([batch[i]])), (1, 5), _("scores of {v0!r} alone").format(v0=batch[i]))
        diff = (together[i] - alone[0]).abs().max().item()
        if not diff <= 1e-5:
            fail(_("the scores of {v0!r} changed by up to {diff:.3g} when it was batched with longer names: "
                   "the GRU read the padding; pack the batch with pack_padded_sequence(embedded, "
                   "lengths.cpu(), enforce_sorted=False)").format(v0=batch[i], diff=diff))


# ---------------------------------------------------------------- training and prediction

# A small model built by the grader in the worker (glue's Bag: the mean of a name's character embeddings,
# then a Linear layer), and batches made here, so train_epoch is judged on its own.
BAG_BATCHES = [(("Li", "Smirnov", "Abe"), torch.tensor([0, 1, 2])), (("Nakamura", "Ng"), torch.tensor([2, 2])),
               (("Rossi", "O'Neil", "Kowalski", "Xu"), torch.tensor([1, 0, 0, 2]))]


def _bag_scores(state, names):
    seq, lengths = _batch(names)
    summed = F.embedding(seq, state["embedding.weight"], padding_idx=0).sum(1)
    return F.linear(summed / lengths.unsqueeze(1).float(), state["fc.weight"], state["fc.bias"])


def test_train_zero_grad(learner):
    """train_epoch zeroes the gradients for every batch (checked with lr = 0 on one batch repeated)."""
    model = glue(learner, "Bag")
    expect_zero_grad_each_step(learner, model, lambda opt: learner.call(
        "train_epoch", model, BAG_BATCHES[:1] * 3, learner.new("torch.nn.CrossEntropyLoss"), opt, "cpu"))


TRAIN_FIX = N_("call model.train() at the start of train_epoch: predict() leaves the model in eval mode, and "
                "layers such as dropout (GRU(dropout=...)) must train in training mode")


def test_train_mode(learner):
    """train_epoch trains the model in training mode (model.train()), also when predict left it in eval mode."""
    expect_trains_in_train_mode(
        learner, "NameLength", lambda model, opt, crit: learner.call("train_epoch", model, BAG_BATCHES[:2], crit, opt, "cpu"),
        "train_epoch", "predict", _(TRAIN_FIX))


def test_train_returns_mean_loss(learner):
    """train_epoch returns the mean of its batch losses as a number (checked with lr = 0 on three batches)."""
    model = glue(learner, "Bag")
    state = learner.method(model, "state_dict")  # before training: a copy comes back
    state = {k: expect_tensor(state.get(k), k) for k in ("embedding.weight", "fc.weight", "fc.bias")}
    opt = learner.new("torch.optim.SGD", learner.method(model, "parameters"), lr=0.0)
    loss = learner.call("train_epoch", model, BAG_BATCHES, learner.new("torch.nn.CrossEntropyLoss"), opt, "cpu")
    losses = [F.cross_entropy(_bag_scores(state, names), y).item() for names, y in BAG_BATCHES]
    judge_mean_loss(loss, losses, "train_epoch")


def test_predict_classes(learner):
    """predict(model, names) returns one Long class index per name, in the order of the names, computed in eval mode without a graph."""
    # a model whose scores make each name's class its length; it records the modes it ran in
    got = glue(learner, "modes_probe", "predict", "name_length", NAMES, "cpu", where=_("predict (train.py)"))
    expected = torch.tensor([len(n) for n in NAMES])
    pred = expect_tensor(got["out"], "predict(model, names)")
    if tuple(pred.shape) != (len(NAMES),):
        fail(_("predict(model, {n_NAMES} names) returned shape {pred_shape}; expected one class index "
               "per name, ({n_NAMES},): take argmax over the classes, dim=1").format(n_NAMES=len(NAMES), pred_shape=tuple(pred.shape)))
    if pred.is_floating_point():
        fail(_("predict returned {dtype} values; return the class indices of argmax (a Long tensor)").format(dtype=pred.dtype))
    if not torch.equal(pred.long(), expected):
        fail(_("predict returned {v0}, expected {v1} (the best-scoring class of each name, in the order "
               "of the names)").format(v0=pred.tolist(), v1=expected.tolist()))
    judge_modes(got["modes"], "predict", _("call model.eval() first"), _("compute inside `with torch.no_grad():`"))


# The learner's RNNClassifier trained by the learner's train_epoch in the worker (glue's train_names).  What
# comes back: the trained weights, and the model's own scores on a few public names (which of the two orders
# of the final states its forward concatenates); the evaluation names are never sent.
TRAINING = N_("your RNNClassifier and train_epoch")


def _training(seed: int, device: str, thresholds: dict) -> tuple:
    """glue's train_names's arguments for one seed."""
    probe_seq, probe_lengths = _batch(NAMES)
    return (f"{WORKER_DATA_ROOT}/{TRAIN_FILE}", seed, device, thresholds["hidden"], thresholds["lr"], thresholds["epochs"],
            probe_seq, probe_lengths)


def trained_classifier(learner, seed: int, device: str, thresholds: dict, classes: int):
    """The trusted classifier loaded with the weights the learner's training left, and the order of the
    final states (as test_classifier_values allows either) that its forward uses."""
    probe_seq, probe_lengths = _batch(NAMES)
    got = glue(learner, "train_names", *_training(seed, device, thresholds), where=_(TRAINING))
    expect_device(got, device)
    ref = _Reference(thresholds["hidden"], classes, 1, True)
    state = expect_state(got["state"], shapes_of(ref), _("the trained RNNClassifier"), CLASSIFIER_ADVICE)
    ref.load_state_dict({k: v.float() for k, v in state.items()})
    probe = expect_shape(got["probe"], (len(NAMES), classes), _("the trained RNNClassifier's scores on {n_NAMES} names").format(n_NAMES=len(NAMES)))
    with torch.no_grad():
        hidden = ref.final_states(probe_seq, probe_lengths)
        errors = {pair: (probe.float() - ref.scores(hidden, pair)).abs().max().item() for pair in ((-1, -2), (-2, -1))}
        pair = min(errors, key=errors.get)
        # a wrong order is off by whole units; a GPU's GRU by rounding only
        if errors[pair] <= 1e-3 * (1 + ref.scores(hidden, pair).abs().max().item()):
            return ref, pair
    fail(_("the trained RNNClassifier's scores on {n_NAMES} names differ from the lecture's "
           "classifier computed from its weights (packed GRU, the last layer's two final states, "
           "then fc): the accuracy is computed here from the weights with the lecture's layers").format(n_NAMES=len(NAMES)))


def test_trained_accuracy(learner, thresholds, eval_set, device):
    """Your RNNClassifier trained by your train_epoch (a few epochs on the shipped surnames) predicts the country of held-out names well above the majority class, on every seed (the grader computes the predictions with the lecture's classifier from your trained weights)."""
    names, countries = eval_set("names")
    country_list = sorted(set(read_names(DATA_DIR / TRAIN_FILE)[1]))
    truth = torch.tensor([country_list.index(c) for c in countries])
    seq, lengths = _batch(names)
    glue_side_by_side(learner, "train_names", [_training(seed, device, thresholds) for seed in thresholds["seeds"]],
                      where=_(TRAINING))
    for seed in thresholds["seeds"]:
        ref, pair = trained_classifier(learner, seed, device, thresholds, len(country_list))
        with torch.no_grad():
            pred = ref.scores(ref.final_states(seq, lengths), pair).argmax(dim=1)
        judge_accuracy(pred, truth, thresholds["accuracy"],
                       _("accuracy on {n_names} held-out names after {epochs} epochs (seed {seed})").format(n_names=len(names), epochs=thresholds['epochs'], seed=seed))
