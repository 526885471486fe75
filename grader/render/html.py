"""Self-contained HTML reports: jinja2 templates from ``templates/``, autoescaped,
inline CSS and SVG, no external links, so a report opens offline and learner
text can never become markup.  This module: the shared environment and the learner's report of
one lecture (``grader check --html``); the pages of a batch are in ``classpage``."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .. import i18n
from ..results import LectureResult, SubmissionResult
from ..workspace import resource_dir

STATUS_COLORS = {"passed": "#1a7f37", "failed": "#cf222e", "not_attempted": "#9a6700", "error": "#cf222e",
                 "timed_out": "#cf222e", "skipped": "#6e7781"}


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(resource_dir("templates"))),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    # gettext in the templates: {{ _("text %(x)s", x=...) }}, in the language chosen now (grader.i18n)
    env.install_gettext_callables(gettext=i18n.gettext_, ngettext=i18n.ngettext, newstyle=True)
    env.globals["status_label"] = i18n.status_label
    env.globals["html_lang"] = i18n.html_lang()
    env.globals["status_colors"] = STATUS_COLORS
    env.filters["num"] = lambda x: f"{x:g}"
    return env


def render(result: SubmissionResult | LectureResult) -> str:
    """The report of a one-lecture submission (or of one LectureResult)."""
    lecture = SubmissionResult.of(result).only_lecture()
    return environment().get_template("report.html.j2").render(r=lecture, counts=lecture.counts())


def render_fragment(result: SubmissionResult | LectureResult) -> str:
    """One lecture's report as a fragment to show inside a page (a Jupyter notebook's output)."""
    lecture = SubmissionResult.of(result).only_lecture()
    return environment().get_template("notebook.html.j2").render(r=lecture)
