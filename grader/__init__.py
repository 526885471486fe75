"""grader: the autograder of the PyTorch practice course (PyTorch深度学习实践).

In a Jupyter notebook: ``import grader; grader.check("lecture05")`` checks the notebook's saved file
(or ``exercises/lecture05/``) in a grader process of its own and shows the report inline;
``grader.hint("lecture05")`` gives the next hint; ``grader.set_language("zh")`` chooses Chinese.
"""

__version__ = "0.1.0"


def check(lecture: str, **options):
    """Check a lecture from a notebook (``grader.jupyter.check``); the report shows itself inline."""
    from .jupyter import check as run
    return run(lecture, **options)


def hint(lecture: str, exercise: str | None = None, **options):
    """The next hint of a lecture's exercise, from a notebook (``grader.jupyter.hint``)."""
    from .jupyter import hint as run
    return run(lecture, exercise, **options)


def set_language(lang: str | None) -> str:
    """``zh`` or ``en`` for every later message and report (None: from the locale again)."""
    from .i18n import set_language as choose
    return choose(lang)
