"""Mutation testing of the course (grader/mutation.py, scripts/mutate.py): the mutator changes only
solution regions, one node at a time, into code that parses; ids are stable; the runner classifies
killed / survived / equivalent and decides "names the cause" as docs/mutation.md says.
The benchmark itself (every mutant of a lecture graded) is not a test: `python scripts/mutate.py`."""

import ast
import difflib
import re
import subprocess
import sys

import pytest

from grader.course import lecture_ids, load_lecture
from grader.mutation import (EQUIVALENT_FILE, GeneratedMutant, LectureReport, Outcome, judge, lecture_mutants,
                             load_equivalent, mutate_source, names_cause, run_mutants, select, solution_lines,
                             survivors, table)
from grader.results import CheckResult, LectureResult
from grader.workspace import solutions_dir

from conftest import REPO

SOURCE = '''import torch


def outside(a, b):
    return a + b * 2


def inside(a, b, x, model, optimizer, n):
    """docstring"""
    # BEGIN SOLUTION
    total = a + b
    half = n // 2
    if a < b and not x.requires_grad:
        model.eval()
    optimizer.zero_grad()
    with torch.no_grad():
        y = x.sum(dim=1)
    for _ in range(n):
        total += 1
    z = x.view(n, -1).T
    loss = torch.nn.MSELoss(reduction="sum")
    flag = True
    w = c * (a + b).T
    return torch.zeros(n, a), total, half, y, z, loss, flag, w
    # END SOLUTION
'''


@pytest.fixture(scope="module")
def mutants():
    return mutate_source(SOURCE, "lectureXX", "demo.py")


def by_op(mutants, op):
    return [m for m in mutants if m.operator == op]


def changed_original_lines(source: str, mutated: str) -> set[int]:
    """1-based numbers of the source lines a mutant changed (an insertion counts the line it precedes)."""
    a, b = source.splitlines(), mutated.splitlines()
    out = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out |= set(range(i1 + 1, max(i2, i1 + 1) + 1))
    return out


def test_only_solution_regions_are_touched(mutants):
    region = solution_lines(SOURCE)
    assert region == set(range(11, 25))
    assert mutants
    for m in mutants:
        assert changed_original_lines(SOURCE, m.text) <= region, m.id
        assert m.text != SOURCE
    assert not [m for m in mutants if m.line < 11]  # `a + b * 2` of outside() has no mutant


def test_each_operator_makes_what_it_should(mutants):
    made = {(m.operator, m.mutated) for m in mutants}
    for op, line in [
        ("arith_add_sub", "total = a - b"),
        ("arith_floordiv_div", "half = n / 2"),
        ("const_plus1", "half = n // 3"),
        ("const_minus1", "half = n // 1"),
        ("cmp_lt_le", "if a <= b and not x.requires_grad:"),
        ("and_or", "if a < b or not x.requires_grad:"),
        ("drop_not", "if a < b and x.requires_grad:"),
        ("drop_eval", "pass"),
        ("drop_zero_grad", "pass"),
        ("drop_no_grad", "if True:"),
        ("dim_1_0", "y = x.sum(dim=0)"),
        ("sum_mean", "y = x.mean(dim=1)"),
        ("range_plus1", "for _ in range(n + 1):"),
        ("range_minus1", "for _ in range(n - 1):"),
        ("drop_stmt", "pass"),
        ("view_reshape", "z = x.reshape(n, -1).T"),
        ("drop_T", "z = x.view(n, -1)"),
        ("reduction_sum_mean", "loss = torch.nn.MSELoss(reduction='mean')"),
        ("bool_true_false", "flag = False"),
        ("swap_args_1_2", "return torch.zeros(a, n), total, half, y, z, loss, flag, w"),
    ]:
        assert any(o == op and (mut == line or mut.replace(" ", "") == line.replace(" ", "")) for o, mut in made), \
            (op, line, sorted(m for o, m in made if o == op))
    # the body of `with torch.no_grad():` is kept, as it was
    (no_grad,) = by_op(mutants, "drop_no_grad")
    assert "    if True:\n        y = x.sum(dim=1)\n" in no_grad.text
    # a statement that assigns a fresh name is not dropped (it would only raise NameError)
    assert not [m for m in by_op(mutants, "drop_stmt") if m.original.startswith(("half =", "flag ="))]
    # `total += 1` is dropped, `y = x.sum(...)` keeps its dimension out of the constants' mutations
    assert [m for m in by_op(mutants, "drop_stmt") if m.original == "total += 1"]
    assert not [m for m in mutants if m.operator.startswith("const") and m.original.startswith("y = x.sum")]


def test_parentheses_keep_the_tree(mutants):
    """`c * (a + b).T` without `.T` must stay `c * (a + b)`, not become `c * a + b`."""
    (drop_t,) = [m for m in by_op(mutants, "drop_T") if m.original.startswith("w =")]
    assert drop_t.mutated == "w = c * (a + b)"
    for m in mutants:
        ast.parse(m.text)


def test_ids_are_stable_and_unique(mutants):
    again = mutate_source(SOURCE, "lectureXX", "demo.py")
    assert [m.id for m in again] == [m.id for m in mutants]
    assert len({m.id for m in mutants}) == len(mutants)
    assert len({m.text for m in mutants}) == len(mutants)  # no two mutants are the same program
    for m in mutants:
        assert re.fullmatch(r"lectureXX/demo\.py:\d+:\d+:[A-Za-z0-9_]+", m.id), m.id
        assert m.id == f"lectureXX/demo.py:{m.line}:{m.col}:{m.operator}"
        assert SOURCE.splitlines()[m.line - 1].strip() == m.original
    # a change on a later line leaves the ids before it as they were
    edited = SOURCE.replace("flag = True", "flag = False")
    before = [m.id for m in mutants if m.line < 22]
    assert [m.id for m in mutate_source(edited, "lectureXX", "demo.py") if m.line < 22] == before


@pytest.mark.parametrize("lecture_id", lecture_ids())
def test_every_lectures_mutants_parse_and_stay_in_regions(lecture_id):
    folder = solutions_dir() / lecture_id
    mutants = lecture_mutants(lecture_id, folder)
    assert mutants
    sources = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.py")}
    for m in mutants:
        ast.parse(m.text)
        assert m.text != sources[m.file]
        assert changed_original_lines(sources[m.file], m.text) <= solution_lines(sources[m.file]), m.id


def test_the_equivalent_list_names_real_mutants_with_reasons():
    listed = load_equivalent()
    ids = {m.id for lec in lecture_ids() for m in lecture_mutants(lec, solutions_dir() / lec)}
    assert not sorted(set(listed) - ids), "triage these again: no such mutant now"
    assert all(reason.strip() for reason in listed.values())


def test_an_equivalent_entry_needs_a_reason(tmp_path):
    bad = tmp_path / "equivalent.toml"
    bad.write_text('[[equivalent]]\nid = "lecture02/linear_model.py:18:12:arith_add_sub"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="reason"):
        load_equivalent(bad)
    assert load_equivalent(tmp_path / "missing.toml") == {}
    assert EQUIVALENT_FILE.name == "equivalent.toml"


def test_listed_equivalent_mutants_are_counted_so_and_not_graded():
    lecture = load_lecture("lecture02")
    mutants = select(lecture_mutants("lecture02", solutions_dir() / "lecture02"), limit=3, seed=1)
    report = run_mutants(lecture, mutants, equivalent={m.id: "planted" for m in mutants})
    assert [o.status for o in report.outcomes] == ["equivalent"] * 3
    assert [o.reason for o in report.outcomes] == ["planted"] * 3
    assert report.kill_rate is None and "equivalent" in table([report])


def test_select_only_and_limit_are_reproducible():
    all_ = lecture_mutants("lecture02", solutions_dir() / "lecture02")
    assert select(all_, limit=5, seed=3) == select(all_, limit=5, seed=3)
    assert len(select(all_, limit=5, seed=3)) == 5
    assert all(":26:" in m.id for m in select(all_, only=[":26:"]))


def check(status="failed", message="", exercise="ex", name="c", cause="", hint=""):
    return CheckResult(name=name, exercise=exercise, status=status, points=0, max_points=1, message=message,
                       cause=cause, hint=hint)


def test_names_the_cause_is_a_diagnosis_not_a_generic_text():
    generic = ["f(x): values differ from the reference in 3 of 3 place(s); max abs error 1",
               "w_grid(): expected shape (41,), got (31,)", "f(x): expected a tensor, got NoneType None",
               "f(x): expected dtype torch.float32, got torch.int64", "best_w: expected a number, got str 'a'",
               "best_w on data: expected 2 (within 0.0001), got 1.9 (off by 0.1)",
               "the history holds 3 losses, expected 100"]
    for text in generic:
        assert not names_cause(check(message=text)), text
    assert names_cause(check(message="forward(x, 1.5, 1.0) returned x * w: the bias b is ignored"))
    assert names_cause(check(message="values differ from the reference", cause="sum, not mean"))
    assert names_cause(check(status="error", message="f raised RuntimeError: view size", hint="use reshape"))
    assert not names_cause(check(status="error", message="f raised RuntimeError: upper bound and lower bound"))
    assert not names_cause(check(status="timed_out", message="took longer than 20 s"))


def mutant(symbol="forward"):
    return GeneratedMutant("lectureXX/demo.py:3:5:arith_add_sub", "lectureXX", "demo.py", 3, 5, "arith_add_sub",
                           symbol, "a + b", "a - b", "")


def test_judge_classifies_and_prefers_the_changed_exercise():
    def result(*checks, grader_error=""):
        return LectureResult(lecture="lectureXX", title="t", checks=list(checks), grader_error=grader_error)

    passed = check(status="passed")
    assert judge(mutant(), result(passed)).status == "survived"
    assert judge(mutant(), result(passed, grader_error="the grader could not start")).status == "ungraded"
    own_generic = check(name="own", exercise="mine", message="f: values differ from the reference")
    other_named = check(name="other", exercise="theirs", message="g: the bias is ignored")
    o = judge(mutant(), result(own_generic, other_named), own_exercise="mine")
    assert (o.status, o.named, o.caught_by) == ("killed", False, ["own", "other"])
    assert o.message.startswith("own: ")
    o = judge(mutant(), result(passed, other_named), own_exercise="mine")  # seen only downstream
    assert (o.status, o.named) == ("killed", True)


def test_table_and_survivors_print_what_docs_say():
    r = LectureReport("lectureXX", [
        Outcome("a", "f", 1, "op", "x + y", "x - y", "killed", named=True),
        Outcome("b", "f", 2, "op", "x * y", "x / y", "killed"),
        Outcome("c", "f", 3, "op", "u", "v", "survived"),
        Outcome("d", "f", 4, "op", "p", "q", "equivalent", reason="same")])
    lines = table([r]).splitlines()
    assert lines[0].split() == ["lecture", "mutants", "killed", "survived", "equivalent", "kill", "rate", "named"]
    assert lines[1].split() == ["lectureXX", "4", "2", "1", "1", "66.7%", "50.0%"]
    assert survivors([r]) == "c\n    - u\n    + v"


def test_the_script_lists_mutants_without_grading():
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "mutate.py"), "lecture02", "--list", "--only", ":26:"],
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "lecture02/linear_model.py:26:12:mean_sum" in out.stdout
    assert re.search(r"lecture02: \d+ mutants", out.stdout)


@pytest.mark.grading
def test_runner_grades_a_killed_mutant_and_honours_a_planted_equivalent():
    """Two real gradings: `.mean()` -> `.sum()` in mse is killed with a message naming the sum; a mutant
    planted in the equivalent list is counted as equivalent and kept out of the kill rate."""
    lecture = load_lecture("lecture02")
    all_ = lecture_mutants("lecture02", solutions_dir() / "lecture02")
    killed = next(m for m in all_ if m.id.endswith(":mean_sum") and m.symbol == "mse")
    planted = next(m for m in all_ if m.id.endswith(":arith_add_sub") and m.symbol == "forward")
    report = run_mutants(lecture, [killed, planted], equivalent={planted.id: "planted by the test"}, jobs=1)
    k, e = report.outcomes
    assert k.status == "killed" and "mse_slide_values" in k.caught_by, k
    assert k.named and "SUM" in k.message
    assert e.status == "equivalent" and e.reason == "planted by the test"
    assert (report.count("killed"), report.count("equivalent"), report.kill_rate) == (1, 1, 1.0)
