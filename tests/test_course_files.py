"""The course's own files are consistent: metadata, check modules, stubs, mutants."""

import ast

import pytest

from grader.course import CourseError, all_lectures, lecture_ids, load_lecture, normalize_id, parse_lecture
from grader.stubs import StubError, stale_stubs, strip_solution
from grader.verify import load_mutants

from conftest import EXERCISES, SOLUTIONS


def _check_functions(path):
    if not path.is_file():
        return set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name.removeprefix("test_") for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


@pytest.mark.parametrize("lecture_id", lecture_ids())
def test_metadata_matches_check_module(lecture_id):
    """Public checks in checks/lectureNN.py, hidden ones (`hidden = true`) in checks/hidden/lectureNN.py."""
    lecture = load_lecture(lecture_id)
    assert _check_functions(lecture.checks_path) == {c.name for c in lecture.checks if not c.hidden}
    assert _check_functions(lecture.hidden_checks_path) == {c.name for c in lecture.checks if c.hidden}


@pytest.mark.parametrize("lecture_id", lecture_ids())
def test_committed_stubs_are_generated(lecture_id):
    assert stale_stubs(SOLUTIONS / lecture_id, EXERCISES / lecture_id) == []


@pytest.mark.parametrize("lecture_id", lecture_ids())
def test_lecture_has_bilingual_readme_and_mutants(lecture_id):
    readme = (EXERCISES / lecture_id / "README.md").read_text(encoding="utf-8")
    assert "grader check" in readme and "任务" in readme
    assert len(load_mutants(lecture_id)) >= 4


@pytest.mark.parametrize("lecture_id", lecture_ids())
def test_stubs_hold_no_solution_code(lecture_id):
    for stub in (EXERCISES / lecture_id).glob("*.py"):
        text = stub.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text


def test_lecture_names_are_normalised():
    assert normalize_id("5") == normalize_id("05") == normalize_id("lecture5") == "lecture05"


def test_unknown_keys_are_errors():
    good = {"number": 5, "title": "t", "title_zh": "t", "limits": {"call_s": 1, "submission_s": 2},
            "exercises": [{"name": "e", "file": "e.py", "symbols": ["f"], "title": "t", "title_zh": "t", "hints": ["h"]}],
            "checks": [{"name": "c", "exercise": "e", "points": 1, "hint": "h"}]}
    assert parse_lecture("lecture05", good).max_points == 1
    for mutate in (lambda d: d.update(colour=1),
                   lambda d: d["checks"][0].update(pionts=2),
                   lambda d: d["checks"][0].update(exercise="nope"),
                   lambda d: d["limits"].pop("call_s"),
                   lambda d: d["exercises"][0].update(hints="not a list"),
                   lambda d: d.update(number=6)):
        bad = {**good, "limits": dict(good["limits"]), "checks": [dict(good["checks"][0])],
               "exercises": [dict(good["exercises"][0])]}
        mutate(bad)
        with pytest.raises(CourseError):
            parse_lecture("lecture05", bad)


def test_every_lecture_loads():
    assert [lec.id for lec in all_lectures()] == lecture_ids()


def test_stub_generator_replaces_regions_and_names_the_function():
    src = "def f(x):\n    '''doc'''\n    # BEGIN SOLUTION\n    return x + 1\n    # END SOLUTION\n"
    stub = strip_solution(src, "lecture05", "m.py")
    assert "return x + 1" not in stub
    assert 'raise NotImplementedError("lecture05/m.py: fill in f")' in stub
    for broken in ("# BEGIN SOLUTION\nx = 1\n", "x = 1\n# END SOLUTION\n",
                   "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n"):
        with pytest.raises(StubError):
            strip_solution(broken, "lecture05", "m.py")


def test_not_attempted_names_each_symbols_own_file():
    from grader.runner import _where_to_fill
    lec = load_lecture("lecture10")
    assert _where_to_fill(lec, lec.exercise("accuracy")) == (
        "`Net` in exercises/lecture10/net.py; `train_one_epoch` in exercises/lecture10/train.py")
    assert _where_to_fill(lec, lec.exercise("net")) == "`Net` in exercises/lecture10/net.py"


def test_a_mutant_is_graded_by_the_checks_that_can_see_its_file():
    from grader.verify import checks_seeing
    lec = load_lecture("lecture10")
    seeing = checks_seeing(lec, "net.py")
    assert {"net_output_shape", "net_parameter_count", "net_returns_logits", "trained_accuracy"} <= set(seeing)
    assert "conv_output_sizes" not in seeing and "evaluate_modes" not in seeing
    assert "trained_accuracy" in checks_seeing(lec, "train.py")


def test_every_stub_raises_the_marker_the_worker_knows():
    """Only the stub generator's message marks "not attempted" (grader.sandbox.inside.wire.is_stub):
    every stub of the course raises one, and torch's own NotImplementedError does not match."""
    import re

    from grader.sandbox.inside.wire import is_stub
    raised = 0
    for path in EXERCISES.glob("lecture*/*.py"):
        for message in re.findall(r'raise NotImplementedError\("([^"]*)"\)', path.read_text()):
            assert is_stub(NotImplementedError(message)), (path, message)
            raised += 1
    assert raised > 50
    assert not is_stub(NotImplementedError("Could not run 'aten::empty' with arguments from the 'Meta' backend"))
    assert not is_stub(NotImplementedError())
    assert not is_stub(ValueError("lecture05/training.py: fill in make_criterion"))
