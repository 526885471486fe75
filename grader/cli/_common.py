"""What the learner's and the instructor's commands share: the exit codes and the exceptions that
carry them, and turning the plain API's errors (``grader.api``) into them.

Exit codes: 0 all passed / all held, 1 something did not pass, 2 a usage error (unknown lecture,
missing folder, unavailable device), 3 a problem of the grader on this machine, not of the
learner's code (its worker cannot start; no sandbox where one is required).
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from pathlib import Path

import click

from .. import api, i18n
from ..course import Lecture
from ..i18n import N_, _, ngettext

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


# ---------------------------------------------------------------- the command line in the learner's language

# Click's own messages that a person meets (usage errors, the help's headings), for the catalog: click looks
# each up with gettext when it says it, and ``translate_click`` points those look-ups at the grader's catalog.
CLICK_TEXTS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("Error: {message}"), N_("Try '{command} {option}' for help."),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"), N_("Missing argument"),
    N_("Missing option"), N_("Missing parameter"), N_("Missing {param_type}"), N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("Missing command."), N_("Aborted!"),
    N_("default: {default}"), N_("required"), N_("env var: {var}"), N_("deprecated"),
    N_("Option {name!r} does not take a value."), N_("Argument {name!r} takes {nargs} values."),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."), N_("{name} {filename!r} is not executable."),
    N_("Could not open file {filename!r}: {message}"), N_("unknown error"),
)


def _click_plurals(n: int) -> tuple:
    """Never called: marks click's plural messages for extraction (click asks for them with ngettext)."""
    return (ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", n),
            ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", n),
            ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", n),
            ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", n),
            ngettext("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given.", n))


def translate_click() -> None:
    """Click says its own texts ("Usage:", "Error: ...", "No such option ...") through the standard library's
    gettext, bound in each of its modules when it is imported; point them at the grader's catalog, which
    gives each message in the language chosen (``--lang``, the locale) and leaves English as click wrote it."""
    import gettext
    import importlib
    for name in ("core", "exceptions", "parser", "types", "formatting", "decorators", "termui", "utils"):
        module = importlib.import_module(f"click.{name}")
        if getattr(module, "_", None) is gettext.gettext:
            module._ = i18n.gettext_
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = i18n.ngettext


def _lang_in(args: list[str]) -> str | None:
    """The value of ``--lang`` among the group's own options (before the command's name), if given."""
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        if args[i] == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if args[i].startswith("--lang="):
            return args[i].partition("=")[2]
        i += 1
    return None


def _short_chinese(text: str, limit: int) -> str:
    """The first clause of a Chinese help text (up to 。 or ； outside brackets), cut to ``limit`` columns
    (a Chinese character takes two)."""
    import unicodedata
    first, depth = text.partition("\n\n")[0].replace("\n", ""), 0
    for i, ch in enumerate(first):
        depth += (ch in "（(") - (ch in "）)")
        if depth <= 0 and ch in "。；":
            first = first[:i]
            break
    width, out = 0, ""
    for ch in first:
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if width > limit - 1:
            return out + "…"
        out += ch
    return out


class Translated:
    """What a command shows of itself (its docstring, which the catalog holds whole, its short help, the
    --help option's help) in the language in use when it is shown, not the one at import."""

    @property
    def help(self) -> str | None:
        return _(inspect.cleandoc(self._help)) if self._help else self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help is None and self._help and i18n.language() == "zh":
            return _short_chinese(self.help, limit)  # click shortens at spaces, which Chinese has none of
        return super().get_short_help_str(limit)

    def get_help_option(self, ctx: click.Context):
        option = super().get_help_option(ctx)  # made once and kept: its help is said again in today's language
        if option is not None:
            option.help = _("Show this message and exit.")
        return option


class TranslatedCommand(Translated, click.Command):
    pass


class TranslatedOption(click.Option):
    """An option whose help (marked ``N_()``) is translated when --help shows it."""

    @property
    def help(self) -> str | None:
        return _(self._help) if self._help else self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value


def command(*args, **kwargs):
    """``click.command`` whose help is in the learner's language (``TranslatedCommand``)."""
    return click.command(*args, cls=TranslatedCommand, **kwargs)


def option(*args, **kwargs):
    """``click.option`` whose help is in the learner's language (``TranslatedOption``)."""
    return click.option(*args, cls=TranslatedOption, **kwargs)


translate_click()
