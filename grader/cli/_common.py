"""What the learner's and the instructor's commands share: the exit codes and the exceptions that
carry them, and turning the plain API's errors (``grader.api``) into them.

Exit codes: 0 all passed / all held, 1 something did not pass, 2 a usage error (unknown lecture,
missing folder, unavailable device), 3 a problem of the grader on this machine, not of the
learner's code (its worker cannot start; no sandbox where one is required).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click

from .. import api
from ..course import Lecture

GRADER_PROBLEM = 3  # the grader could not grade here (no sandbox where one is required, no worker)


class UsageProblem(click.ClickException):
    exit_code = 2


class GraderProblem(click.ClickException):
    """The grader cannot grade on this machine as it is set up: not the learner's doing."""
    exit_code = GRADER_PROBLEM


@contextmanager
def exit_codes():
    """The API's exceptions as the command line's: UsageError -> exit 2, CannotGrade -> exit 3."""
    try:
        yield
    except api.UsageError as exc:
        raise UsageProblem(str(exc)) from None
    except api.CannotGrade as exc:
        raise GraderProblem(str(exc)) from None


def _lecture(text: str) -> Lecture:
    with exit_codes():
        return api.resolve_lecture(text)


def _lectures(texts) -> list[Lecture]:
    """Each named lecture once, in order."""
    with exit_codes():
        return api.resolve_lectures(texts)


def _workdir(path: str | None) -> Path:
    with exit_codes():
        return api.resolve_workdir(path)


def _device(choice: str) -> str:
    with exit_codes():
        return api.resolve_device(choice)
