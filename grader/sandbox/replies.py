"""What crosses back from the worker is data to validate before any check touches it.

``torch.load(weights_only=True)`` cannot run code, but it still builds whatever a hand-made
payload describes: a tensor whose strides overlap or repeat one element (stride 0) over billions
of places, a sparse or meta tensor, a ``Parameter``, a list that holds the same list a thousand
times at each of twenty levels (a few hundred bytes that any walk over it visits 10**60 times),
an integer of millions of digits.  ``check_reply`` walks the decoded reply once, with a budget,
and refuses all of these, so the grader's own process never spends unbounded time or memory on a
reply.  Everything it accepts is a dense, strided CPU tensor of bounded size that owns the memory
it claims, or plain data of bounded size and depth.
"""

from __future__ import annotations

import torch

from ..i18n import _

MAX_DEPTH = 32              # nesting of lists, tuples and dicts
MAX_NODES = 1_000_000       # values visited in one reply (a shared sub-list counts at each place)
MAX_ELEMENTS = 1 << 27      # elements of one tensor (512 MiB of float32: the frame limit)
MAX_STRING = 1 << 20        # characters of one string
MAX_INT_BITS = 64


class BadReply(ValueError):
    """The reply is not data the grader accepts; the message says what was wrong with it."""


def check_reply(value) -> None:
    """Raise BadReply unless ``value`` is plain data the grader accepts (see the module's text)."""
    budget = [MAX_NODES]
    _walk(value, 0, budget)


def _walk(value, depth: int, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise BadReply(_("more than {n:,} values in one reply").format(n=MAX_NODES))
    if depth > MAX_DEPTH:
        raise BadReply(_("values nested more than {n} levels deep").format(n=MAX_DEPTH))
    kind = type(value)
    if value is None or kind in (bool, float):
        return
    if kind is int:
        if value.bit_length() > MAX_INT_BITS:
            raise BadReply(_("an integer of {n:,} bits").format(n=value.bit_length()))
        return
    if kind is str:
        if len(value) > MAX_STRING:
            raise BadReply(_("a string of {n:,} characters").format(n=len(value)))
        return
    if kind in (list, tuple):
        for item in value:
            _walk(item, depth + 1, budget)
        return
    if kind is dict:
        for key, item in value.items():
            _walk(key, depth + 1, budget)
            _walk(item, depth + 1, budget)
        return
    if isinstance(value, torch.Tensor):
        check_tensor(value)
        return
    raise BadReply(_("a value of type {type}").format(type=kind.__name__))


def check_tensor(t: torch.Tensor) -> None:
    """A plain dense strided CPU tensor, not requiring grad, of bounded size, that owns the memory
    it claims: no overlapping or repeated (stride 0) elements, strides within its storage."""
    if type(t) is not torch.Tensor:
        raise BadReply(_("a tensor of type {type}").format(type=type(t).__name__))
    if t.layout != torch.strided or t.is_nested or t.is_quantized:
        raise BadReply(_("a tensor of layout {layout}").format(layout=t.layout))
    if t.device.type != "cpu":
        raise BadReply(_("a tensor on {device}").format(device=t.device))
    if t.requires_grad:
        raise BadReply(_("a tensor that requires grad"))
    if t.numel() > MAX_ELEMENTS:
        raise BadReply(_("a tensor of {n:,} elements (at most {most:,})").format(n=t.numel(), most=MAX_ELEMENTS))
    if t.numel() == 0:
        return
    # dense and non-overlapping: sorted by stride, each stride is the product of the sizes before it
    span = 1
    for stride, size in sorted((st, sz) for st, sz in zip(t.stride(), t.shape) if sz != 1):
        if stride != span:
            raise BadReply(_("a tensor whose strides {strides} do not lay out its shape {shape} densely (overlapping "
                             "or repeated elements)").format(strides=t.stride(), shape=tuple(t.shape)))
        span *= size
    needed = (t.storage_offset() + t.numel()) * t.element_size()
    if t.untyped_storage().nbytes() < needed:
        raise BadReply(_("a tensor that claims more memory than its storage holds"))
