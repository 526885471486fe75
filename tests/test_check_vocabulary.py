"""The checks' shared vocabulary (grader/checks/common.py through grader.checks.api): failures say what was
expected and what came back, and a recognised mistake names its cause and the fix for it."""

import pytest
import torch

from grader.checks import api
from grader.checks.api import (CheckFailed, Mistake, expect_close, expect_close_or_mistake, expect_count,
                               expect_near, expect_shape, fix_of, judge_fraction_correct, judge_mean_loss,
                               judge_modes, judge_zero_grad)


def failure(call, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        call(*args, **kwargs)
    return info.value


def test_expectations_fill_expected_and_actual():
    f = failure(expect_shape, torch.zeros(2, 3), (3, 2), "x")
    assert (f.message, f.expected, f.actual, f.cause) == ("x: expected shape (3, 2), got (2, 3)", "(3, 2)", "(2, 3)", "")
    f = failure(expect_close, torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), "y")
    assert "first at index [1]: expected 2, got 2.5" in f.message and (f.expected, f.actual) == ("2 at [1]", "2.5 at [1]")
    f = failure(expect_near, 3.5, 3.0, 0.1, "z")
    assert (f.expected, f.actual) == ("3 ± 0.1", "3.5")
    f = failure(expect_count, 9, 8, "Net", ["w", "b"])
    assert (f.expected, f.actual) == ("8 parameters", "9 parameters")
    f = failure(api.expect_tensor, "text", "w")
    assert (f.expected, f.actual) == ("a tensor", "str")


def test_a_recognised_mistake_names_its_cause_and_fix():
    want = torch.tensor([1.0, 2.0])
    mistakes = [Mistake(want * 2, "twice the reference: backward ran twice; zero .grad first", "backward twice")]
    f = failure(expect_close_or_mistake, want * 2, want, "g", mistakes)
    assert f.message == "g: twice the reference: backward ran twice; zero .grad first"
    assert (f.cause, f.help) == ("backward twice", "backward ran twice; zero .grad first")
    assert (f.expected, f.actual) == ("1 at [0]", "2 at [0]")
    f = failure(expect_close_or_mistake, want * 3, want, "g", [(want * 3, "thrice: fix it", "thrice")])  # plain tuples
    assert (f.cause, f.help) == ("thrice", "fix it")
    f = failure(expect_close_or_mistake, want + 1, want, "g", mistakes)  # no known mistake: a plain mismatch
    assert f.cause == "" and "values differ from the reference" in f.message
    assert fix_of("the log is missing; take log-softmax") == "take log-softmax" and fix_of("no separator") == "no separator"
    assert Mistake(0, "a: b", "c", fix="explicit").help == "explicit"


def test_training_verdicts_name_the_mistake():
    g = [torch.ones(2)]
    f = failure(judge_zero_grad, [g, [torch.full((2,), 2.0)], [torch.full((2,), 3.0)]], 3)
    assert f.cause == "missing zero_grad" and f.help.startswith("call optimizer.zero_grad()")
    assert failure(judge_zero_grad, [[torch.zeros(2)]] * 3, 3).cause == "zero_grad after backward"
    f = failure(judge_modes, [[True, False]], "predict", "call model.eval() first", "use no_grad")
    assert (f.message, f.cause, f.help) == ("predict ran the model in training mode: call model.eval() first",
                                            "missing eval()", "call model.eval() first")
    assert failure(judge_modes, [[False, True]], "accuracy").cause == "missing no_grad"
    assert failure(judge_fraction_correct, 75.0, "accuracy").cause == "a percentage"
    f = failure(judge_mean_loss, 3.0, [1.0, 2.0], "train_epoch")
    assert f.cause == "summed losses" and "return their mean (1.5000)" in f.message
    assert failure(judge_mean_loss, 2.0, [1.0, 2.0], "train_epoch").cause == "last batch's loss"
    judge_mean_loss(1.5, [1.0, 2.0], "train_epoch")


def test_check_modules_import_the_api_only():
    from pathlib import Path
    import re
    checks = Path(api.__file__).parent
    for module in sorted(checks.glob("lecture*.py")):
        imports = re.findall(r"^(?:from|import) (\S+)", module.read_text(encoding="utf-8"), re.M)
        grader_imports = {name for name in imports if name.startswith("grader")}
        assert grader_imports <= {"grader.checks.api"}, (module.name, grader_imports)
        assert "learner.exec" not in module.read_text(encoding="utf-8")
