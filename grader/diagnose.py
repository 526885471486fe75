"""From an error a learner's code raised to the common mistake behind it.

The shared table is COURSE.md's list of learner mistakes, keyed by the text PyTorch prints; the
first matching pattern gives the hint, with ``{1}``, ``{2}``, ... filled in from the pattern's
groups (the sizes in the error, say).  A check module may declare a table of its own, a module-level
``MISTAKES`` of the same form (its hints may also be functions of the match), for the errors of its
lecture's typical mistakes; it is consulted first.  The text matched is the error's first line as the
learner sees it, ``"{where} raised {type}: {message}"``, so a pattern may also ask where it was raised.
Hints are marked ``N_()`` for the catalog and translated (``grader.i18n``) when they are given.
"""

from __future__ import annotations

import re
from typing import Callable, Union

from .i18n import N_, _

Hint = Union[str, Callable[[re.Match], str]]

MISTAKES: list[tuple[str, Hint]] = [
    (r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)",
     N_("a Linear layer's in_features does not match the size of what reaches it: each sample arrives with "
     "{2} numbers, but the layer was built for {3}; after convolutions and poolings, count channels x "
     "height x width of the last map (and flatten with x.view(batch_size, -1))")),
    (r"mat1 and mat2 shapes cannot be multiplied",
     N_("a Linear layer's in_features does not match the size of what reaches it: after convolutions and "
     "poolings, count channels x height x width of the last map")),
    (r"view size is not compatible with input tensor's size and stride",
     N_("`view` needs a contiguous tensor: use `.reshape(...)` (or `.contiguous().view(...)`)")),
    (r"expected scalar type Long but found Float|expected target dtype to be Long|\"nll_loss.*\" not implemented for 'Float'",
     N_("CrossEntropyLoss wants class indices as a Long tensor of shape (N,): use `labels.long()`")),
    (r"0D or 1D target tensor expected",
     N_("CrossEntropyLoss wants targets of shape (N,), not (N, 1): use `labels.view(-1)` or `squeeze(1)`")),
    (r"all elements of input should be between 0 and 1",
     N_("BCELoss wants probabilities: apply `torch.sigmoid` first (or use BCEWithLogitsLoss on raw logits)")),
    (r"Found dtype Long but expected Float",
     N_("BCELoss/MSELoss want float targets: write labels as 0.0 and 1.0, or convert with `y.float()`")),
    (r"Target size .* must be the same as input size|Using a target size .* that is different to the input size",
     N_("the loss's target must have the same shape as the prediction, e.g. (N, 1)")),
    (r"Expected all tensors to be on the same device",
     N_("the model and its inputs are on different devices: move both with `.to(device)`")),
    (r"a leaf Variable that requires grad is being used in an in-place operation",
     N_("update a parameter in place without tracking: `w.data -= lr * w.grad.data` or inside `torch.no_grad()`")),
    (r"Trying to backward through the graph a second time",
     N_("each backward() needs a fresh forward pass: compute the loss again inside the loop")),
    (r"grad can be implicitly created only for scalar outputs",
     N_("backward() needs a scalar: reduce the loss with `.sum()` or `.mean()` first")),
    (r"Can't call numpy\(\) on Tensor that requires grad",
     N_("call `.detach()` (or `.item()` for one number) before `.numpy()`")),
    (r"size_average and reduce args will be deprecated",
     N_("`size_average=False` is deprecated: write `reduction='sum'`")),
    (r"index out of range in self",
     N_("an index is too large for the Embedding: num_embeddings must exceed the largest index")),
    (r"Input and parameter tensors are not at the same device|Input and hidden tensors are not at the same device",
     N_("move the model and its inputs to the same device")),
    (r"'lengths' argument should be a 1D CPU int64 tensor",
     N_("pack_padded_sequence wants lengths on the CPU: pass `lengths.cpu()`")),
    (r"`lengths` array must be sorted in decreasing order",
     N_("sort the batch by length (longest first) or pass `enforce_sorted=False`")),
    (r"An attempt has been made to start a new process before the\s+current process has finished its bootstrapping",
     N_("DataLoader workers under spawn re-import your file: put the training code under `if __name__ == '__main__':`")),
    (r"could not infer output dtype\. Input dtype must be either a floating point",
     N_("mean() needs a floating-point tensor: convert the integers first, e.g. `t.float().mean()`")),
    (r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) at non-singleton dimension",
     N_("these shapes do not broadcast: compared from the last dimension, sizes must be equal or 1; add a "
     "dimension of size 1 where needed (`a[:, None]`, `unsqueeze`, or `keepdim=True` in a reduction)")),
    (r"Expected hidden size \(",
     N_("the initial hidden state must be (num_layers * num_directions, batch, hidden_size): take the batch from the "
     "input, e.g. torch.zeros(num_layers, x.size(0), hidden_size); if your input is (batch, seq_len, ...), build "
     "the RNN with batch_first=True")),
    (r"mat1 and mat2 must have the same dtype, but got Double and Float",
     N_("the input is float64 (numpy's default) but the layers are float32: load with `dtype=np.float32` or call `.float()`")),
    (r"optimizer got an empty parameter list",
     N_("the model has no parameters the optimizer can see: keep layers in attributes, an nn.Sequential or an "
     "nn.ModuleList, not in a plain Python list")),
    (r"'NoneType' object has no attribute '(?:data|item|zero_)'",
     N_("if that was a `.grad`, it is None: the tensor does not require grad (create it with requires_grad=True), "
     "backward() has not run, or it is not a leaf: `w = w - lr * w.grad` makes a new tensor without .grad; "
     "update the leaf in place instead, `w.data -= lr * w.grad.data`")),
    (r"element 0 of tensors does not require grad and does not have a grad_fn",
     N_("the loss is not connected to anything that requires grad: create the weights with requires_grad=True, "
     "and do not .item(), .detach() or rewrap them before computing the loss")),
]


def _first_hint(text: str, table) -> str:
    for pattern, hint in table:
        m = re.search(pattern, text)
        if m:
            if callable(hint):
                return hint(m)
            hint = _(hint)  # the tables' texts are marked N_(): translated here, then filled in
            return hint.format(None, *m.groups()) if m.groups() else hint
    return ""


def diagnose(text: str, mistakes=()) -> tuple[str, bool]:
    """(the hint for the error ``text``, whether it came from ``mistakes``, a check module's own table,
    which is consulted before the shared one); ("", False) when nothing is known."""
    hint = _first_hint(text, mistakes)
    if hint:
        return hint, True
    return _first_hint(text, MISTAKES), False


def hint_for_error(text: str, mistakes=()) -> str:
    """The hint for the error ``text``: from ``mistakes`` (a check module's table) first, then the shared one."""
    return diagnose(text, mistakes)[0]
