"""From PyTorch's error text to the learner's mistake: the hint names it, with the error's numbers."""

from grader.diagnose import MISTAKES, hint_for_error


def test_linear_size_hint_quotes_the_sizes():
    hint = hint_for_error("RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x500 and 320x10)")
    assert "arrives with 500 numbers" in hint and "built for 320" in hint


def test_known_errors_get_their_hint_and_others_none():
    assert "reshape" in hint_for_error("view size is not compatible with input tensor's size and stride")
    assert "requires_grad=True" in hint_for_error("'NoneType' object has no attribute 'data'")
    assert hint_for_error("ZeroDivisionError: division by zero") == ""


def test_every_hint_formats():
    import re
    for pattern, hint in MISTAKES:
        groups = re.compile(pattern).groups
        if groups:
            hint.format(None, *["1"] * groups)  # no stray braces, no group out of range
