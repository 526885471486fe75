"""Learners in Jupyter: a notebook per lecture (``grader init --notebooks``), finding the notebook of a
lecture (``grader check lecture05`` in its folder, ``grader check path/lecture05.ipynb``), and turning a
notebook into the lecture's files to grade, by the same rules as batch grading
(``grader.submissions.notebook_files``: ``%%writefile NAME.py`` cells are files; of other cells only
imports, functions, classes and UPPER_CASE constants are kept, and the report says what was left out).

A notebook written here holds, in the chosen language: the lecture's title and tasks (from its
``exercises/lectureNN/README.md``) as markdown, each stub file as one ``%%writefile NAME.py`` code cell
(running it saves the file beside the notebook, so ``%run training.py`` tries it), and a last cell that
checks the notebook: ``grader.check("lectureNN")``.  The check runs in a separate grader process with the
learner's code in its sandboxed worker, never in the notebook's kernel (``grader.jupyter``).
"""

from __future__ import annotations

import re
from pathlib import Path

from .course import Lecture, all_lectures, load_lecture, lecture_ids
from .i18n import N_, _, language, use_language
from .stubs import TODO
from .workspace import WorkspaceError, pristine_stubs, resource_dir

METADATA_KEY = "grader"  # notebook metadata written by init: {"lecture": "lecture05", "lang": "zh"}
TODO_TEXT = N_("# TODO: your code here")  # = stubs.TODO, the comment over each part to fill in


def _readme(lecture: Lecture) -> str:
    try:
        return (resource_dir("exercises") / lecture.id / "README.md").read_text(encoding="utf-8")
    except (OSError, WorkspaceError):
        return ""


def task_text(lecture: Lecture, lang: str) -> str:
    """The tasks of the README in one language: its ``## 任务`` section in Chinese, ``## Tasks`` in English."""
    text = _readme(lecture)
    heading = "## 任务" if lang == "zh" else "## Tasks"
    m = re.search(rf"^{re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return f"{heading}\n{m.group(1).rstrip()}\n" if m else ""


def lecture_notebook(lecture: Lecture, lang: str):
    """The notebook of one lecture, in ``lang`` (``zh`` or ``en``)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    with use_language(lang):
        title = _(lecture.title)
        cells = [new_markdown_cell(
            f"# {lecture.id} · {title}\n\n"
            + _("Fill in each code cell below where it raises `NotImplementedError`, run it (it saves its file "
                "beside this notebook), save the notebook, then run the last cell: it checks this notebook's "
                "saved file in a separate, sandboxed process and shows the result here.")
            + "\n\n" + _("Code outside functions and classes (training runs, plots, prints) is not graded; "
                         "write it under `if __name__ == \"__main__\":` in a file cell, or in cells of its own."))]
        tasks = task_text(lecture, lang)
        if tasks:
            cells.append(new_markdown_cell(tasks))
        for name, text in pristine_stubs(lecture.id).items():
            if not name.endswith(".py"):
                continue
            defines = ", ".join(f"`{s}`" for e in lecture.exercises if e.file == name for s in e.symbols
                                if lecture.exercise_of_symbol(s) is e)
            cells.append(new_markdown_cell(f"### `{name}`" + (f" · {defines}" if defines else "")))
            text = text.replace(TODO, _(TODO_TEXT))  # the comment in the notebook's language; the raise stays
            cells.append(new_code_cell(f"%%writefile {name}\n{text.rstrip()}\n"))
        cells.append(new_markdown_cell(_("Check this notebook (save it first: the saved file is what is graded):")))
        lang_arg = ', lang="zh"' if lang == "zh" else ""
        cells.append(new_code_cell(f'import grader\ngrader.check("{lecture.id}"{lang_arg})'))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[METADATA_KEY] = {"lecture": lecture.id, "lang": lang}
    nbformat.validate(nb)
    return nb


def write_notebooks(directory: str | Path, lang: str | None = None) -> list[Path]:
    """One ``lectureNN.ipynb`` per lecture in ``directory`` (never over an existing one); their paths."""
    import nbformat
    lang = lang or language()
    folder = Path(directory).resolve()
    existing = [folder / f"{lec}.ipynb" for lec in lecture_ids() if (folder / f"{lec}.ipynb").exists()]
    if existing:
        raise FileExistsError(_("{path} already exists: choose another directory").format(path=existing[0]))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lec in all_lectures():
        path = folder / f"{lec.id}.ipynb"
        nbformat.write(lecture_notebook(lec, lang), str(path))
        written.append(path)
    return written


def lecture_of_notebook(path: Path) -> str | None:
    """The lecture a notebook is for: its metadata (``grader init --notebooks`` writes it), else its name
    (``lecture05.ipynb``, ``05_linear.ipynb``, ``my-lecture5.ipynb``)."""
    try:
        import json
        meta = json.loads(Path(path).read_text(encoding="utf-8")).get("metadata", {}).get(METADATA_KEY, {})
        if isinstance(meta, dict) and meta.get("lecture") in lecture_ids():
            return meta["lecture"]
    except (OSError, ValueError, AttributeError):
        pass
    stem = Path(path).stem.lower()
    m = re.search(r"lecture[_\- ]?0*(\d{1,2})(?!\d)", stem) or re.search(r"(?<!\d)0*(\d{1,2})(?!\d)", stem)
    if m and f"lecture{int(m.group(1)):02d}" in lecture_ids():
        return f"lecture{int(m.group(1)):02d}"
    return None


def find_notebook(lecture: Lecture, folder: Path) -> Path | None:
    """The notebook of ``lecture`` in ``folder`` (not below it): ``lectureNN.ipynb`` first, else the one
    notebook there that is for this lecture."""
    folder = Path(folder)
    exact = folder / f"{lecture.id}.ipynb"
    if exact.is_file() and not exact.is_symlink():
        return exact
    try:
        candidates = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    except OSError:
        return None
    matching = [p for p in candidates if lecture_of_notebook(p) == lecture.id]
    return matching[0] if len(matching) == 1 else None


def stage(path: Path, lecture: Lecture, dest: Path) -> list[str]:
    """Write the lecture's files made from the notebook at ``path`` into ``dest``; the notes for the report
    (what was left out).  Raises ``grader.submissions.SubmissionError`` for an unreadable notebook."""
    from .submissions import SubmissionError, notebook_files
    files, notes = notebook_files(path, lecture)
    if not files:
        raise SubmissionError(_("the notebook {name} has no code for {lecture}").format(name=path.name,
                                                                                        lecture=lecture.id))
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (dest / name).write_text(text, encoding="utf-8")
    return notes


__all__ = ["find_notebook", "lecture_notebook", "lecture_of_notebook", "load_lecture", "stage", "task_text",
           "write_notebooks"]
