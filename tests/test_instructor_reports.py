"""The submission and class levels of the result model, and every export made from it."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

from grader.results import (CheckResult, ClassResult, LectureResult, SubmissionResult, summarize_exercise)
from grader.render import classpage, gradescope, junit, markdown
from grader.render import csv as csv_render

EVIL = "<img src=x onerror=alert(1)> | =cmd & \x1b[31m\x00"


def lecture(statuses, lecture_id="lecture05", hidden=()):
    checks = [CheckResult(name=f"c{i}", exercise="ex_a" if i < 2 else "ex_b", status=s,
                          points=2.0 if s == "passed" else 0.0, max_points=2.0,
                          message="" if s == "passed" else f"wrong {EVIL}", hint="" if s == "passed" else "call zero_grad()",
                          description=f"check {i}", hidden=f"c{i}" in hidden, duration_s=0.25)
              for i, s in enumerate(statuses)]
    exercises = [summarize_exercise(n, n.upper(), f"{n}.py", checks) for n in ("ex_a", "ex_b")]
    return LectureResult(lecture=lecture_id, title="Linear regression", checks=checks, exercises=exercises,
                         duration_s=1.5)


def klass():
    subs = [SubmissionResult("alice", [lecture(["passed"] * 4)], source="alice.zip"),
            SubmissionResult("bob", [lecture(["passed", "failed", "error", "timed_out"])], problems=[EVIL]),
            SubmissionResult("=carol", [lecture(["not_attempted"] * 3 + ["skipped"])])]
    return ClassResult(subs, lectures=["lecture05"])


def test_lecture_json_is_unchanged_and_the_new_levels_round_trip():
    r = lecture(["passed", "failed", "passed", "passed"])
    assert set(r.to_dict()) == {"lecture", "title", "checks", "exercises", "device", "duration_s", "notes",
                                "schema_version", "score", "max_score"}
    k = klass()
    again = ClassResult.from_dict(json.loads(k.to_json()))
    assert again == k
    s = SubmissionResult.from_dict(json.loads(k.submissions[1].to_json()))
    assert s == k.submissions[1] and s.score == 2 and s.max_score == 8 and s.problems == [EVIL]
    assert json.loads(k.submissions[0].to_json())["score"] == 8
    assert k.pass_rates()[0] == ("lecture05", "c0", 2 / 3)


def test_gradescope_results_follow_the_documented_schema():
    r = lecture(["passed", "failed", "not_attempted", "timed_out"], hidden=("c1",))
    out = gradescope.render(SubmissionResult("s", [r], problems=["training.py missing"]))
    assert out["score"] == 2 and "training.py missing" in out["output"]
    assert [t["name"] for t in out["tests"]] == ["c0", "c1", "c2", "c3"]
    for t in out["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed") and t["max_score"] == 2
    by = {t["name"]: t for t in out["tests"]}
    assert by["c0"]["status"] == "passed" and by["c0"]["score"] == 2
    assert by["c1"]["visibility"] == "after_due_date" and by["c0"]["visibility"] == "visible"
    assert "hint: call zero_grad()" in by["c1"]["output"] and by["c3"]["output"].startswith("timed out")
    assert gradescope.render(r, hidden_visibility="hidden")["tests"][1]["visibility"] == "hidden"
    json.dumps(out)  # plain JSON


def test_junit_xml_parses_counts_and_escapes():
    text = junit.render_class(klass())
    root = ET.fromstring(text.encode())  # must parse: learner text escaped, control characters replaced
    assert root.tag == "testsuites" and root.get("tests") == "12"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    bob = suites["bob.lecture05"]
    assert (bob.get("failures"), bob.get("errors"), bob.get("skipped")) == ("1", "2", "0")
    assert suites["=carol.lecture05"].get("failures") == "3" and suites["=carol.lecture05"].get("skipped") == "1"
    case = next(c for c in bob.iter("testcase") if c.get("name") == "c1")
    assert case.get("classname") == "bob.lecture05.ex_a"
    assert "<img src=x" in case.find("failure").text and "\\x1b" in case.find("failure").text
    assert "hint: call zero_grad()" in case.find("failure").text
    assert "&lt;img" in text
    single = ET.fromstring(junit.render([lecture(["passed", "passed", "failed", "passed"])]).encode())
    assert single.get("failures") == "1"


def test_csv_gradebook_one_row_per_submission_and_no_formulas():
    rows = list(csv.reader(io.StringIO(csv_render.render(klass()))))
    assert rows[0] == ["submission", "c0", "c1", "c2", "c3", "total", "max_total", "problems"]
    assert rows[1][0] == "(max points)" and rows[1][5] == "8"
    by = {r[0]: r for r in rows[2:]}
    assert by["alice"][1:7] == ["2", "2", "2", "2", "8", "8"]
    assert by["bob"][5] == "2"
    assert "'=carol" in by and by["'=carol"][5] == "0"   # a name a spreadsheet would run is defused
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_markdown_summary_escapes_learner_text():
    md = markdown.render([lecture(["passed", "failed", "passed", "passed"])])
    assert "## grader: 6/8 points" in md and "| ❌ | `c1` |" in md
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "<details><summary>❌ c1: failed</summary>" in md and "hint: call zero_grad()" in md


def test_class_page_and_submission_report_are_self_contained_and_escaped():
    page = classpage.render(klass())
    assert page.count('class="bar"') == 10 and page.count('class="rate"') == 4
    assert 'href="submissions/alice/report.html"' in page and "8</strong> / 8" in page
    assert "3 submissions" in page and "full marks 1" in page
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "<script" not in page and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "Content-Security-Policy" in page
    report = classpage.render_submission(klass().submissions[1])
    assert 'id="score">2 / 8<' in report and "&lt;img src=x" in report and "<img src=x" not in report
    assert 'href="../../index.html"' in report and "timed out" in report
    assert "<script" not in report
