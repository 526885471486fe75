"""From PyTorch's error text to the learner's mistake: the hint names it, with the error's numbers."""

import re

from grader.diagnose import MISTAKES, hint_for_error


def test_linear_size_hint_quotes_the_sizes():
    hint = hint_for_error("RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x500 and 320x10)")
    assert "arrives with 500 numbers" in hint and "built for 320" in hint


def test_known_errors_get_their_hint_and_others_none():
    assert "reshape" in hint_for_error("view size is not compatible with input tensor's size and stride")
    assert "requires_grad=True" in hint_for_error("'NoneType' object has no attribute 'data'")
    assert hint_for_error("ZeroDivisionError: division by zero") == ""


def test_every_hint_formats():
    for pattern, hint in MISTAKES:
        groups = re.compile(pattern).groups
        if groups:
            hint.format(None, *["1"] * groups)  # no stray braces, no group out of range


def test_a_check_modules_own_table_comes_first():
    from grader.diagnose import diagnose
    own = [(r"mat1 and mat2 shapes cannot be multiplied", "the lecture's own words"),
           (r"for tensor number (\d+)", lambda m: f"tensor {m.group(1)}")]
    assert hint_for_error("mat1 and mat2 shapes cannot be multiplied (2x500 and 320x10)", own) == "the lecture's own words"
    assert diagnose("Expected size 12 but got size 8 for tensor number 2 in the list", own) == ("tensor 2", True)
    hint, own_table = diagnose("view size is not compatible with input tensor's size and stride", own)
    assert "reshape" in hint and own_table is False


def test_lecture11_table_names_its_mistakes_where_they_were_raised():
    from grader.checks import lecture11
    from grader.diagnose import diagnose
    cat = ("your InceptionA raised RuntimeError: Sizes of tensors must match except in dimension 1. Expected size 12 "
           "but got size 8 for tensor number 1 in the list.")
    hint, own = diagnose(cat, lecture11.MISTAKES)
    assert own and "missing its padding (tensor number 1 is branch5x5" in hint
    fc = "training your ResidualNet raised RuntimeError: mat1 and mat2 shapes cannot be multiplied (16x800 and 512x10)"
    assert "fc receives 800 features per image but expects 512" in diagnose(fc, lecture11.MISTAKES)[0]
    block = "your InceptionA raised RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x500 and 320x10)"
    hint, own = diagnose(block, lecture11.MISTAKES)  # not in a network: the shared table's hint
    assert not own and "built for 320" in hint
    for pattern, hint in lecture11.MISTAKES:
        if isinstance(hint, str) and re.compile(pattern).groups:
            hint.format(None, *["1"] * re.compile(pattern).groups)


def test_a_mistake_the_check_module_knows_is_a_failure():
    from grader.plugin import GraderPlugin
    from grader.sandbox.learner import LearnerError
    exc = LearnerError("your Net", "RuntimeError", "stack expects each tensor to be equal size, but got [1] and [2]", "")
    own = [(r"stack expects each tensor", "join them with torch.cat")]
    status, message = GraderPlugin.classify(None, exc, own)
    assert status == "failed" and message.endswith("likely cause: join them with torch.cat")
    assert GraderPlugin.classify(None, exc)[0] == "error"
