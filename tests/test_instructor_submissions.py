"""Reading what learners hand in: folders in several layouts, zips (with their attacks), notebooks."""

import io
import json
import stat
import zipfile

import nbformat
import pytest

from grader.course import load_lecture
from grader.submissions import (MAX_DEPTH, MAX_DIRS, MAX_TOTAL_BYTES, SubmissionError, extract_zip, fingerprint,
                                notebook_files, stage, submission_id)

from conftest import SOLUTIONS

LEC = load_lecture("lecture05")
FILES = {p.name: p.read_text() for p in (SOLUTIONS / "lecture05").glob("*.py")}


def write_files(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def make_zip(path, entries):
    """entries: name -> bytes, or (bytes, unix mode) for special files."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            if isinstance(data, tuple):
                info = zipfile.ZipInfo(name)
                info.external_attr = data[1] << 16
                zf.writestr(info, data[0])
            else:
                zf.writestr(name, data)
    return path


def notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    for kind, source, *tags in cells:
        cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, str(path))
    return path


@pytest.mark.parametrize("layout", ["exercises/lecture05", "lecture05", ".", "alice-wrapper/exercises/lecture05"])
def test_folder_layouts_are_found(tmp_path, layout):
    sub = tmp_path / "alice"
    write_files(sub / layout, FILES)
    staged = stage(sub, [LEC], tmp_path / "staged")
    assert not staged.problems and not staged.notes
    assert {p.name for p in staged.lecture_dirs["lecture05"].iterdir()} == set(FILES)
    assert (staged.lecture_dirs["lecture05"] / "training.py").read_text() == FILES["training.py"]


def test_missing_file_is_noted_and_empty_or_foreign_submissions_are_refused(tmp_path):
    write_files(tmp_path / "bob", {"linear_model.py": FILES["linear_model.py"]})
    staged = stage(tmp_path / "bob", [LEC], tmp_path / "s1")
    assert "lecture05" in staged.lecture_dirs
    assert any("training.py missing" in n for n in staged.notes)

    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match="is empty"):
        stage(tmp_path / "empty", [LEC], tmp_path / "s2")

    write_files(tmp_path / "other", {"notes.txt": "hello"})
    staged = stage(tmp_path / "other", [LEC], tmp_path / "s3")
    assert "none of lecture05's files" in staged.problems["lecture05"]

    with pytest.raises(SubmissionError, match="does not exist"):
        stage(tmp_path / "nobody", [LEC], tmp_path / "s4")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(SubmissionError, match="cannot grade this kind of file"):
        stage(tmp_path / "x.pdf", [LEC], tmp_path / "s5")


def test_symlinks_are_never_followed(tmp_path):
    """A link to the reference solution must not be graded as the learner's file."""
    sub = write_files(tmp_path / "mallory", {"linear_model.py": FILES["linear_model.py"]})
    (sub / "training.py").symlink_to(SOLUTIONS / "lecture05" / "training.py")
    staged = stage(sub, [LEC], tmp_path / "staged")
    assert not (staged.lecture_dirs["lecture05"] / "training.py").exists()
    assert any("symbolic link" in n for n in staged.notes)


@pytest.mark.parametrize("link", ["exercises/lecture05", "exercises", "lecture05"])
def test_a_folder_reached_through_a_link_is_refused(tmp_path, link):
    """A submission whose lecture folder links to the course's own solutions got 11/11: refused."""
    sub = tmp_path / "mallory"
    (sub / link).parent.mkdir(parents=True, exist_ok=True)
    (sub / "README.md").write_text("mine")
    # exercises -> the solutions folder (which holds lecture05/); the others -> solutions/lecture05
    (sub / link).symlink_to(SOLUTIONS if link == "exercises" else SOLUTIONS / "lecture05")
    staged = stage(sub, [LEC], tmp_path / "staged")
    assert "lecture05" not in staged.lecture_dirs
    assert "symbolic link" in staged.problems["lecture05"]


def test_a_submission_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "alias").symlink_to(SOLUTIONS / "lecture05")
    with pytest.raises(SubmissionError, match="symbolic link"):
        stage(tmp_path / "alias", [LEC], tmp_path / "staged")


def test_zip_depth_and_folder_count_are_capped(tmp_path):
    deep = "/".join(f"d{i}" for i in range(MAX_DEPTH)) + "/training.py"
    with pytest.raises(SubmissionError, match="folders deep"):
        extract_zip(make_zip(tmp_path / "deep.zip", {deep: b"x = 1"}), tmp_path / "out1")
    many = {f"f{i}/x.py": b"" for i in range(MAX_DIRS + 1)}
    with pytest.raises(SubmissionError, match="folders"):
        extract_zip(make_zip(tmp_path / "many.zip", many), tmp_path / "out2")
    assert not (tmp_path / "out2" / f"f{MAX_DIRS}").exists()  # refused before anything was written
    fine = {f"course/exercises/lecture05/{n}": t for n, t in FILES.items()}
    assert (extract_zip(make_zip(tmp_path / "ok.zip", fine), tmp_path / "out3") / "course").is_dir()


def test_zip_of_a_folder_is_graded_like_the_folder(tmp_path):
    archive = make_zip(tmp_path / "carol.zip", {f"carol/exercises/lecture05/{n}": t for n, t in FILES.items()}
                       | {"__MACOSX/carol/._training.py": b"junk"})
    staged = stage(archive, [LEC], tmp_path / "staged")
    assert (staged.lecture_dirs["lecture05"] / "training.py").read_text() == FILES["training.py"]
    assert submission_id(archive) == "carol"


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil.py", "a/../../evil.py", "C:/evil.py", "..\\evil.py"])
def test_zip_slip_is_refused(tmp_path, name):
    archive = make_zip(tmp_path / "slip.zip", {name: b"print('pwned')", "training.py": b"x = 1"})
    with pytest.raises(SubmissionError, match="outside the archive"):
        extract_zip(archive, tmp_path / "out")
    assert not (tmp_path / "evil.py").exists() and not list(tmp_path.rglob("evil.py"))


def test_zip_symlink_entries_are_skipped(tmp_path):
    archive = make_zip(tmp_path / "link.zip", {"training.py": (b"/work/main/solutions/lecture05/training.py",
                                                               stat.S_IFLNK | 0o777),
                                               "linear_model.py": b"x = 1"})
    out = extract_zip(archive, tmp_path / "out")
    assert (out / "linear_model.py").is_file()
    assert not (out / "training.py").exists()


def test_zip_bomb_is_refused_by_bytes_inflated_not_by_headers(tmp_path):
    big = b"\0" * (MAX_TOTAL_BYTES // 4)   # compresses to a few kB; five of them inflate past the limit
    archive = make_zip(tmp_path / "bomb.zip", {f"f{i}.py": big for i in range(5)})
    assert archive.stat().st_size < 1 << 20
    with pytest.raises(SubmissionError, match="zip bomb"):
        extract_zip(archive, tmp_path / "out")
    # a forged size in the central directory (1 byte declared, 64 MiB inside) is no way around it
    raw = bytearray(make_zip(tmp_path / "liar.zip", {"a.py": b"\0" * (MAX_TOTAL_BYTES + 10)}).read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 24:central + 28] = (1).to_bytes(4, "little")
    (tmp_path / "liar.zip").write_bytes(bytes(raw))
    with pytest.raises(SubmissionError):
        extract_zip(tmp_path / "liar.zip", tmp_path / "out2")
    assert sum(p.stat().st_size for p in (tmp_path / "out2").rglob("*") if p.is_file()) <= MAX_TOTAL_BYTES
    (tmp_path / "garbage.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        stage(tmp_path / "garbage.zip", [LEC], tmp_path / "s")


def test_notebook_cells_map_to_files(tmp_path):
    nb = notebook(tmp_path / "dora.ipynb", [
        ("markdown", "# Lecture 5"),
        ("code", "%%writefile linear_model.py\n" + FILES["linear_model.py"]),
        ("code", "!pip install torch\nimport torch\nfrom torch import nn\n%matplotlib inline\n"
                 "LR = 0.01\nlr = 0.5\n\ndef make_criterion():\n    return nn.MSELoss(reduction='sum')\n"
                 "print('training...')\nmodel = None\n"),
        ("code", "def train(model, criterion, optimizer, x, y, epochs):\n    return [1.0]\n", "file:other_helpers.py"),
        ("code", "def broken(:\n    pass\n"),
        ("code", "%%time\nx = sum(range(10))\n"),
    ])
    files, notes = notebook_files(nb, LEC)
    assert files["linear_model.py"].endswith(FILES["linear_model.py"] + "\n")
    assert "other_helpers.py" in files and "def train" in files["other_helpers.py"]
    training = files["training.py"]  # no cell claimed it: the shared cells
    assert "LR = 0.01" in training and "def make_criterion" in training
    assert "print('training...')" not in training and "lr = 0.5" not in training and "model = None" not in training
    assert "pip install" not in training and "matplotlib" not in training
    assert "def broken(:" in training            # kept as is: the learner sees their own SyntaxError
    assert "sum(range(10))" not in training
    text = " ".join(notes)
    assert "3 top-level statement(s)" in text and "not valid Python" in text and "%%time" in text
    compile(files["linear_model.py"], "linear_model.py", "exec")


def test_notebook_shared_cells_fill_every_file(tmp_path):
    code = FILES["linear_model.py"] + "\n" + FILES["training.py"]
    nb = notebook(tmp_path / "erin.ipynb", [("code", code)])
    staged = stage(nb, [LEC], tmp_path / "staged")
    folder = staged.lecture_dirs["lecture05"]
    for name in ("linear_model.py", "training.py"):
        text = (folder / name).read_text()
        assert "class LinearModel" in text and "def train(" in text
        assert "__main__" not in text    # the demo block would run at import: left out
        compile(text, name, "exec")


@pytest.mark.parametrize("content, why", [
    ("not json at all", "cannot be read"),
    (json.dumps({"cells": 3}), "cannot be read"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}), "no code cells"),
])
def test_malformed_or_empty_notebook_is_a_clear_message(tmp_path, content, why):
    (tmp_path / "bad.ipynb").write_text(content)
    with pytest.raises(SubmissionError, match=why):
        stage(tmp_path / "bad.ipynb", [LEC], tmp_path / "staged")


def test_notebook_inside_a_folder_or_zip(tmp_path):
    sub = tmp_path / "frank"
    sub.mkdir()
    notebook(sub / "Lecture05.ipynb", [("code", FILES["linear_model.py"] + "\n" + FILES["training.py"])])
    staged = stage(sub, [LEC], tmp_path / "s1")
    assert "class LinearModel" in (staged.lecture_dirs["lecture05"] / "training.py").read_text()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(sub / "Lecture05.ipynb", "frank/Lecture05.ipynb")
    (tmp_path / "frank.zip").write_bytes(buf.getvalue())
    staged = stage(tmp_path / "frank.zip", [LEC], tmp_path / "s2")
    assert "def train(" in (staged.lecture_dirs["lecture05"] / "training.py").read_text()


def test_fingerprint_changes_with_content_and_ids_are_safe(tmp_path):
    sub = write_files(tmp_path / "gina", FILES)
    before = fingerprint(sub)
    assert before == fingerprint(sub)
    (sub / "training.py").write_text(FILES["training.py"] + "\n# edited\n")
    assert fingerprint(sub) != before
    assert submission_id(tmp_path / "../we ird<name>.zip") == "we_ird_name"
    assert submission_id(tmp_path / "..") not in ("", "..")
