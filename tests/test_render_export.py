"""The one export path (grader/render/export.py): every format from the same model, written by
``write``; the Markdown summary appended; a bad request writes nothing.  Fast: no worker."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from grader.render import classpage, csv as csv_render, gradescope, html, junit, markdown
from grader.render.export import FORMATS, render, write
from grader.results import ClassResult, LectureResult, SubmissionResult

from test_render_golden import model


def a_class() -> ClassResult:
    return ClassResult([SubmissionResult("alice", [model()]), SubmissionResult("bob", [model()], problems=["empty"])],
                       lectures=["lecture05"])


def test_every_format_renders_the_model_it_takes():
    sub, klass = SubmissionResult.of(model()), a_class()
    assert set(FORMATS) == {"json", "lecture-json", "html", "submission-html", "class-html", "junit", "markdown",
                            "gradescope", "csv"}
    for name, fmt in FORMATS.items():
        assert fmt.what and set(fmt.takes) <= {SubmissionResult, ClassResult}
        for result in (sub, klass):
            if isinstance(result, fmt.takes) or (ClassResult in fmt.takes):
                assert render(result, name)  # a one-submission class where a format takes only classes
            else:
                with pytest.raises(TypeError, match=name):
                    render(result, name)


def test_the_registry_renders_what_the_renderer_modules_do():
    lec = model()
    sub = SubmissionResult.of(lec)
    assert (sub.submission, sub.lectures, sub.duration_s) == ("lecture05", [lec], lec.duration_s)
    assert SubmissionResult.of(sub) is sub and ClassResult.of(a_class()).submissions[1].problems == ["empty"]
    assert render(sub, "lecture-json") == lec.to_json() and LectureResult.from_dict(json.loads(lec.to_json())) == lec
    assert render(sub, "html") == html.render(lec)
    assert render(sub, "junit") == junit.render([lec]) and ET.fromstring(render(sub, "junit")).get("name") == "grader"
    assert render(a_class(), "junit") == junit.render_class(a_class())
    assert render(sub, "markdown") == markdown.render([lec])
    assert json.loads(render(sub, "gradescope", hidden_visibility="hidden")) == gradescope.render(lec, hidden_visibility="hidden")
    assert render(a_class(), "csv") == csv_render.render(a_class())
    assert render(a_class(), "class-html") == classpage.render(a_class())
    assert render(sub, "submission-html", back_link="") == classpage.render_submission(sub, back_link="")
    assert 'href="../../index.html"' in render(sub, "submission-html")  # the batch's default


def test_write_replaces_files_in_order_and_appends_the_summary(tmp_path):
    sub = SubmissionResult.of(model())
    summary = tmp_path / "ci" / "summary.md"
    summary.parent.mkdir()
    summary.write_text("earlier step\n")
    targets = {"lecture-json": tmp_path / "r.json", "html": tmp_path / "deep" / "r.html", "markdown": summary}
    write(sub, targets)
    write(sub, targets)
    assert json.loads((tmp_path / "r.json").read_text())["lecture"] == "lecture05"
    assert (tmp_path / "deep" / "r.html").read_text() == html.render(model())
    md = markdown.render([model()])
    assert summary.read_text() == "earlier step\n" + md + md  # appended, as $GITHUB_STEP_SUMMARY expects
    assert not list(tmp_path.rglob(".*.tmp"))


def test_a_bad_request_writes_nothing(tmp_path):
    sub = SubmissionResult.of(model())
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        write(sub, {"html": tmp_path / "r.html", "pdf": tmp_path / "r.pdf"})
    with pytest.raises(TypeError, match="back_lnk"):
        write(sub, {"submission-html": tmp_path / "s.html"}, back_lnk="")
    with pytest.raises(TypeError, match="lecture-json"):
        write(a_class(), {"json": tmp_path / "class.json", "lecture-json": tmp_path / "r.json"})
    two = SubmissionResult("all lectures", [model(), model()])
    with pytest.raises(ValueError, match="2 lectures where one was expected"):
        write(two, {"html": tmp_path / "r.html"})
    assert not list(tmp_path.iterdir())
