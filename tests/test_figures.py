"""Figures the learner's code draws: kept for the HTML report only when they are real PNGs within the
limits, drawn in the sandbox, and not on a hidden check's inputs (grader.sandbox.figures,
Learner._keep_figures, runner._figures); one real grading shows the whole path."""

from __future__ import annotations

import io
import struct
import zlib
from types import SimpleNamespace

import pytest
import torch

from conftest import submission
from grader.course import load_lecture
from grader.render import html
from grader.results import Figure, LectureResult
from grader.runner import _figures
from grader.sandbox import figures
from grader.sandbox.learner import IMPORTING, Learner


def png(width: int = 4, height: int = 3, pad: int = 0) -> bytes:
    """A valid PNG of the given size (stdlib only), optionally padded with an extra chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    extra = chunk(b"tEXt", b"x" * pad) if pad else b""
    return (figures.PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + extra
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def as_tensor(data: bytes) -> torch.Tensor:
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def test_a_png_within_the_limits_is_kept():
    assert figures.png_bytes(as_tensor(png())) == png()


@pytest.mark.parametrize("value", [
    png(),                                                     # bytes, not a tensor
    torch.tensor(list(png()), dtype=torch.int64),              # not uint8
    as_tensor(png()).reshape(1, -1),                           # not 1-D
    as_tensor(b"<script>alert(1)</script>" + png()),           # not a PNG at the start
    as_tensor(b"GIF89a" + png()[6:]),                          # another format
    as_tensor(png(pad=figures.MAX_BYTES)),                     # over the size limit
    as_tensor(png(width=figures.MAX_SIDE + 1)),                # wider than the limit
    as_tensor(png(height=0)),                                  # no pixels
    as_tensor(png()[:20]),                                     # cut short
])
def test_anything_else_is_refused(value):
    assert figures.png_bytes(value) is None


def _learner() -> Learner:
    return Learner(lambda: None, call_s=1, submission_s=10)


def test_the_first_figure_of_each_place_is_kept_and_the_rest_counted():
    learner, sandboxed = _learner(), SimpleNamespace(mode="bwrap")
    learner.check = "loss_history"
    learner._keep_figures(sandboxed, [as_tensor(png())], "train (training.py)")
    learner.check = "converges"
    learner._keep_figures(sandboxed, [as_tensor(png(5, 5))], "train (training.py)")  # the same place again
    learner._keep_figures(sandboxed, [as_tensor(b"not a png")], "plot (training.py)")
    learner.check = ""
    learner._keep_figures(sandboxed, [as_tensor(png())], IMPORTING)
    assert [(c, w, t) for c, w, _, t in learner.figures] == [("loss_history", "train (training.py)", 2), ("", "", 1)]
    assert learner.figures[0][2] == png()
    assert learner.figures_left_out == 1


def test_no_more_than_the_limit_are_kept():
    learner, sandboxed = _learner(), SimpleNamespace(mode="bwrap")
    for i in range(figures.MAX_KEPT + 2):
        learner._keep_figures(sandboxed, [as_tensor(png())], f"plot{i}")
    assert len(learner.figures) == figures.MAX_KEPT and learner.figures_left_out == 2


def test_figures_from_the_plain_fallback_are_not_kept():
    """Unsandboxed, the learner's code can read the grader's files; an image would carry them past
    the redactor (it sees only text)."""
    learner = _learner()
    learner._keep_figures(SimpleNamespace(mode="plain"), [as_tensor(png())], "train (training.py)")
    assert learner.figures == [] and learner.figures_unsandboxed == 1


def test_a_hidden_checks_figures_stay_out_of_the_report_and_the_notes_say_what_is_missing():
    lecture = load_lecture("lecture05")
    public = lecture.checks[0].name
    hidden = SimpleNamespace(name="secret", hidden=True)
    lecture = SimpleNamespace(checks=[*lecture.checks, hidden])
    learner = SimpleNamespace(figures=[[public, "train (training.py)", png(), 3], ["secret", "plot (training.py)", png(), 1]],
                              figures_left_out=2, figures_unsandboxed=1)
    notes: list[str] = []
    kept = _figures(lecture, learner, notes)
    assert [(f.check, f.where, f.times) for f in kept] == [(public, "train (training.py)", 3)]
    assert figures.as_base64(png()) == kept[0].png
    assert any("hidden" in n for n in notes) and any("2 figure(s)" in n for n in notes)
    assert any("sandbox" in n for n in notes)


def test_the_html_report_shows_a_figure_as_an_image_and_json_keeps_it():
    result = LectureResult(lecture="lecture05", title="t", checks=[],
                           figures=[Figure("loss_history", "train (training.py)", figures.as_base64(png()), 5)])
    page = html.render(result)
    assert f'src="data:image/png;base64,{figures.as_base64(png())}"' in page
    assert "drawn by train (training.py)" in page and "drawn 5 times" in page
    assert LectureResult.from_dict(result.to_dict()).figures == result.figures
    assert "figures" not in LectureResult(lecture="l", title="t", checks=[]).to_dict()  # the canonical form unchanged


def test_a_loss_curve_drawn_in_train_reaches_the_report(workdir, tmp_path):
    """The course's own habit (lecture 05: ``plt.plot(losses); plt.show()`` in ``train``), graded for
    real: full marks, plt.show() neither blocks nor fails, and the curve is in the HTML report."""
    from conftest import run_grader
    from grader.sandbox.process import choose_sandbox
    folder = submission(workdir, "lecture05")
    training = folder / "training.py"
    training.write_text(training.read_text().replace(
        "        optimizer.step()\n    return losses",
        "        optimizer.step()\n    import matplotlib.pyplot as plt\n    plt.plot(losses)\n    plt.show()\n    return losses"))
    report, result = tmp_path / "report.html", tmp_path / "result.json"
    r = run_grader("check", "lecture05", "--workdir", str(workdir), "--html", str(report), "--json", str(result))
    assert r.returncode == 0, r.stdout + r.stderr
    graded = LectureResult.from_dict(__import__("json").loads(result.read_text()))
    if choose_sandbox()[0] != "bwrap":
        assert graded.figures == [] and any("sandbox" in n for n in graded.notes)
        return
    assert [(f.where, f.times > 1) for f in graded.figures] == [("train (training.py)", True)]
    data = __import__("base64").b64decode(graded.figures[0].png)
    from PIL import Image  # matplotlib's own dependency
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) <= 800  # FIGURE_PX
    assert "data:image/png;base64," in report.read_text() and "they are in the HTML report" in r.stdout
