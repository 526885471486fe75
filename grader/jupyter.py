"""Checking from inside Jupyter: ``import grader; grader.check("lecture05")`` in a notebook.

The kernel runs the learner's cells, so it is learner code's process: the grader must not run its
checks there (hidden checks, expected values and the evaluation labels would be in reach of the
notebook).  ``check`` therefore starts the ordinary command line, ``python -m grader check ... --json``,
in a process of its own, which grades the notebook's *saved* file (or ``exercises/lectureNN/``) in the
sandboxed worker exactly as ``grader check`` does, and reads back only its JSON result.  What it returns
shows itself inline as HTML (IPython's rich display: ``_repr_html_``), in the learner's language.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import i18n
from .i18n import _


class CheckReport:
    """The result of ``grader.check`` in a notebook: ``result`` (a LectureResult, None when the grader
    could not grade), ``error`` (what the grader said instead), ``exit_code``; shown as HTML."""

    def __init__(self, result, error: str = "", exit_code: int = 0, lang: str = "en"):
        self.result, self.error, self.exit_code, self.lang = result, error, exit_code, lang

    @property
    def score(self) -> float:
        return self.result.score if self.result else 0.0

    @property
    def max_score(self) -> float:
        return self.result.max_score if self.result else 0.0

    @property
    def all_passed(self) -> bool:
        return bool(self.result and self.result.all_passed)

    def _repr_html_(self) -> str:
        from .render.html import render_fragment
        with i18n.use_language(self.lang):
            if self.result is None:
                return (f'<div lang="{i18n.html_lang()}" class="grader-error" style="color:#cf222e">'
                        f"<strong>{html.escape(_('grader problem: {grader_error}').format(grader_error=''))}</strong>"
                        f"<pre>{html.escape(self.error)}</pre></div>")
            return render_fragment(self.result)

    def __repr__(self) -> str:
        if self.result is None:
            return self.error
        with i18n.use_language(self.lang):
            return _("Score: {v0}/{v1}{where}  ({summary})  in {duration_s:.1f} s").format(
                v0=f"{self.result.score:g}", v1=f"{self.result.max_score:g}", where=f"  {self.result.lecture}",
                summary=_(", ").join(f"{n} {i18n.status_label(s)}" for s, n in self.result.counts().items() if n),
                duration_s=self.result.duration_s)


def check(lecture: str, *, lang: str | None = None, device: str = "auto", workdir: str | os.PathLike | None = None,
          timeout: float = 1800) -> CheckReport:
    """Check ``lecture`` (``"lecture05"``: this folder's ``lecture05.ipynb`` as saved, else
    ``exercises/lecture05/``; or a notebook's path) in a grader process of its own; the report, shown inline."""
    lang = i18n.normalize(lang) if lang else i18n.language()
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        out = Path(tmp) / "result.json"
        args = [sys.executable, "-m", "grader", "--lang", lang, "check", str(lecture), "--quiet", "--device", device,
                "--json", str(out)]
        if workdir:
            args += ["--workdir", str(workdir)]
        env = {**os.environ, i18n.ENV: lang}
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return CheckReport(None, f"grader check {lecture}: no result after {timeout:g} s", 124, lang)
        if not out.is_file():
            said = (done.stderr.strip() or done.stdout.strip() or f"exit code {done.returncode}")
            return CheckReport(None, said, done.returncode, lang)
        from .results import LectureResult
        result = LectureResult.from_dict(json.loads(out.read_text(encoding="utf-8")))
    return CheckReport(result, "", done.returncode, lang)


class HintText(str):
    """A hint, shown as text in a notebook (and usable as a plain string)."""

    def _repr_html_(self) -> str:
        return f'<pre class="grader-hint" style="white-space:pre-wrap;color:#8250df">{html.escape(str(self))}</pre>'


def hint(lecture: str, exercise: str | None = None, *, lang: str | None = None,
         workdir: str | os.PathLike | None = None) -> HintText:
    """The next hint of ``exercise`` (by default the first unfinished one) of the notebook in this folder,
    or of ``exercises/LECTURE/``: the same as ``grader hint``.  Hints are the course's public text; no
    learner code runs for them."""
    from . import api
    with i18n.use_language(lang or i18n.language()):
        nb = api.notebook_for(lecture, workdir) if not str(lecture).endswith(".ipynb") else api.notebook_for(lecture)
        try:
            if nb:
                return HintText(api.hint(nb[0], exercise, nb[1].parent))
            return HintText(api.hint(lecture, exercise, workdir))
        except api.UsageError as exc:
            return HintText(str(exc))
