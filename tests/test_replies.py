"""What the worker sends back is validated before any check touches it (grader.sandbox.replies): a reply
of a few hundred bytes must not become gigabytes or hours in the grader's process."""

from __future__ import annotations

import io

import pytest
import torch

from grader.sandbox.inside import wire
from grader.sandbox.replies import MAX_ELEMENTS, MAX_NODES, BadReply, check_reply


def roundtrip(value):
    """As the grader receives it: encoded by torch.save, decoded with weights_only=True."""
    return wire.decode(wire.encode(value))


@pytest.mark.parametrize("value", [
    None, 1, -3, 2.5, True, "text", [1, 2.0, "x"], (1, 2), {"a": [1, {"b": None}]},
    torch.zeros(0), torch.tensor(3.0), torch.arange(12.0).reshape(3, 4),
    torch.arange(12.0).reshape(3, 4).t().clone(),        # transposed strides, still dense: kept as is
    torch.ones(2, 1, 3).expand(2, 1, 3).clone(), torch.zeros(5, dtype=torch.int64),
    {"weight": torch.randn(4, 3), "bias": torch.randn(4)},
])
def test_plain_data_is_accepted(value):
    check_reply(roundtrip(value))


def _refused(value, says: str):
    with pytest.raises(BadReply) as info:
        check_reply(roundtrip(value))
    assert says in str(info.value)
    return info.value


def test_an_expanded_tensor_is_refused():
    # stride 0: one float that claims to be 2**40 of them; saved, it is a few hundred bytes
    t = torch.ones(1).expand(1 << 40)
    assert len(wire.encode(t)) < 2000
    _refused(t, "elements")
    _refused(torch.ones(1).expand(10), "densely")


def test_overlapping_strides_are_refused():
    base = torch.arange(10.0)
    _refused(base.as_strided((4, 4), (1, 1)), "densely")
    _refused(base.as_strided((3, 2), (2, 3)), "densely")


def test_a_tensor_that_claims_more_than_its_storage_is_refused():
    t = torch.arange(4.0)
    fake = torch.empty(0)
    fake.set_(t.untyped_storage(), 0, (4,), (1,))
    check_reply(fake)  # honest
    with pytest.raises((BadReply, RuntimeError)):
        fake.set_(t.untyped_storage(), 2, (4,), (1,))   # torch itself refuses to build it
        check_reply(fake)


@pytest.mark.parametrize("value, says", [
    (torch.nn.Parameter(torch.ones(2)), "Parameter"),
    (torch.ones(3, requires_grad=True), "requires grad"),
    (torch.ones(3).to_sparse(), "layout"),
])
def test_tensors_of_other_kinds_are_refused(value, says):
    _refused(value, says)


def test_a_meta_tensor_is_refused():
    with pytest.raises(BadReply, match="meta"):
        check_reply(torch.empty(3, device="meta"))


def test_a_shared_list_bomb_is_refused_quickly():
    # 20 levels, each holding the level below 10 times: 10**20 places, a few hundred bytes on the wire
    bomb: list = [0]
    for _ in range(20):
        bomb = [bomb] * 10
    assert len(wire.encode(bomb)) < 5000
    _refused(bomb, f"{MAX_NODES:,} values")


def test_depth_ints_and_strings_are_bounded():
    deep: list = []
    for _ in range(40):
        deep = [deep]
    _refused(deep, "nested")
    _refused(1 << 100, "bits")
    _refused("x" * (2 << 20), "characters")


def test_element_cap_is_the_frame_limit():
    assert MAX_ELEMENTS * 4 <= wire.MAX_FRAME


def test_a_huge_tensor_is_refused_before_any_check(monkeypatch):
    monkeypatch.setattr("grader.sandbox.replies.MAX_ELEMENTS", 100)
    _refused(torch.zeros(101), "elements")
    check_reply(roundtrip(torch.zeros(100)))


def test_unknown_types_never_get_through():
    # weights_only decoding allows a few library types (torch.Size, dtypes, OrderedDict ...):
    # anything not on the plain list is refused by name
    value = roundtrip({"size": torch.Size([2, 3])})
    with pytest.raises(BadReply):
        check_reply(value)
    with pytest.raises(BadReply):
        check_reply(io.BytesIO())
