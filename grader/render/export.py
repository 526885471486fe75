"""The one export path: every file format the grader writes, registered once with its renderer,
and ``write``, which every writer of report files calls (``grader check``, batch grading,
the Gradescope autograder).

    write(result, {"html": "report.html", "junit": "junit.xml", "markdown": os.environ["GITHUB_STEP_SUMMARY"]})

``result`` is a ``SubmissionResult`` (one lecture is a one-lecture submission:
``SubmissionResult.of(lecture_result)``) or a ``ClassResult``.  Files are written in the order
given, each atomically (a temporary file, then a rename) except those a format *appends* to
(the Markdown summary, as GitHub's ``$GITHUB_STEP_SUMMARY`` expects from each step).  Keyword
options go to the formats that declare them (``back_link``, ``hidden_visibility``).
A new format is one ``register`` call here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ..results import ClassResult, LectureResult, SubmissionResult, write_atomic
from . import classpage, csv, gradescope, html, junit, markdown


@dataclass(frozen=True)
class Format:
    name: str
    render: Callable[..., str]          # (result, **options) -> the file's text
    takes: tuple[type, ...]             # SubmissionResult and/or ClassResult
    what: str
    options: tuple[str, ...] = ()       # keyword options of ``render``
    append: bool = False                # append to the file instead of replacing it


FORMATS: dict[str, Format] = {}


def register(name: str, render: Callable[..., str], *, takes: tuple[type, ...], what: str,
             options: tuple[str, ...] = (), append: bool = False) -> None:
    if name in FORMATS:
        raise ValueError(f"format {name!r} is registered twice")
    FORMATS[name] = Format(name, render, takes, what, options, append)


SUB, CLASS = (SubmissionResult,), (ClassResult,)

register("json", lambda r: r.to_json(), takes=SUB + CLASS,
         what="the canonical JSON of a submission or a class (batch result.json and class.json, check --all --json)")
register("lecture-json", lambda r: r.only_lecture().to_json(), takes=SUB,
         what="the canonical JSON of a one-lecture submission's LectureResult (grader check LECTURE --json)")
register("html", html.render, takes=SUB,
         what="the learner's self-contained report of one lecture (grader check LECTURE --html)")
register("submission-html", classpage.render_submission, takes=SUB, options=("back_link",),
         what="a submission's report page; back_link leads to the class page (default ../../index.html, empty: none)")
register("class-html", classpage.render, takes=CLASS,
         what="the class page: charts and a row per submission (batch index.html)")
register("junit", junit.render, takes=SUB + CLASS,
         what="JUnit XML: a testsuite per lecture (per submission and lecture for a class)")
register("markdown", markdown.render, takes=SUB, append=True,
         what="a Markdown summary for a CI job page, appended ($GITHUB_STEP_SUMMARY)")
register("gradescope", gradescope.render_json, takes=SUB, options=("hidden_visibility",),
         what="Gradescope's results.json")
register("csv", csv.render, takes=CLASS,
         what="the gradebook: a row per submission, a column per check")


def _as(fmt: Format, result: SubmissionResult | ClassResult) -> SubmissionResult | ClassResult:
    if isinstance(result, fmt.takes):
        return result
    if ClassResult in fmt.takes and isinstance(result, SubmissionResult):
        return ClassResult.of(result)
    raise TypeError(f"format {fmt.name!r} renders a {' or a '.join(t.__name__ for t in fmt.takes)}, "
                    f"not a {type(result).__name__}")


def render(result: SubmissionResult | ClassResult | LectureResult, fmt: str, **options) -> str:
    """The text of one format (what ``write`` puts in its file)."""
    try:
        f = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; the formats: {', '.join(FORMATS)}") from None
    if isinstance(result, LectureResult):
        result = SubmissionResult.of(result)
    return f.render(_as(f, result), **{k: v for k, v in options.items() if k in f.options})


def write(result: SubmissionResult | ClassResult | LectureResult, targets: Mapping[str, str | os.PathLike],
          **options) -> None:
    """Write ``result`` in each format of ``targets`` ({format: path}), in that order."""
    unknown = [k for k in options if not any(k in f.options for f in FORMATS.values())]
    if unknown:
        raise TypeError(f"no format takes the option(s) {', '.join(unknown)}")
    texts = [(render(result, fmt, **options), FORMATS[fmt], Path(path))
             for fmt, path in targets.items()]  # every text first: a bad request writes nothing
    for text, f, path in texts:
        if f.append:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(text)
        else:
            write_atomic(path, text)
