"""The command line (click): the ``grader`` group, its commands registered in two sections.

``learner.py`` holds the learner's commands (list, check, hint, init), ``instructor.py`` the
instructor's and CI's (verify, stubs, release, grade, gradescope, autograde), ``_common.py`` the
exit codes and the helpers both use.  Each is a thin layer over plain functions (``grader.api``
and the modules it names); none of these modules imports this one or each other in a circle.
"""

from __future__ import annotations

import click

from .. import __version__, i18n
from ..i18n import N_, _
from . import instructor, learner
from ._common import GRADER_PROBLEM, GraderProblem, Translated, TranslatedOption, UsageProblem, _lang_in

__all__ = ["main", "GRADER_PROBLEM", "GraderProblem", "UsageProblem"]

SECTIONS = ((N_("Learner commands"), learner.COMMANDS), (N_("Instructor commands"), instructor.COMMANDS))


class SectionedGroup(Translated, click.Group):
    """A group whose --help lists its commands by section, in the order they are registered there, in the
    language chosen: ``--lang`` is looked for before anything is parsed, so ``grader --help --lang zh`` and
    click's own messages (a usage error of the group) are in that language too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        lang = _lang_in(args)
        if lang in i18n.LANGUAGES:
            _choose_language(ctx, None, lang)
        return super().parse_args(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections, placed = [], set()
        for title, commands in SECTIONS:
            shown = [(c.name, c) for c in commands if self.commands.get(c.name) is c and not c.hidden]
            placed |= {name for name, _ in shown}
            if shown:
                sections.append((title, shown))
        other = [(n, c) for n, c in sorted(self.commands.items()) if n not in placed and not c.hidden]
        if other:  # added by someone else: shown all the same
            sections.append((N_("Other commands"), other))
        if not sections:
            return
        width = max(len(name) for _, shown in sections for name, _ in shown)
        limit = formatter.width - 6 - width
        for title, shown in sections:
            with formatter.section(_(title)):
                formatter.write_dl([(name.ljust(width), c.get_short_help_str(limit)) for name, c in shown])


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--lang`` takes effect as soon as it is parsed (before the command's own messages); the grader's
    own child processes inherit it through GRADER_LANG."""
    if value:
        i18n.set_language(value)
        import os
        os.environ[i18n.ENV] = value
    return value


@click.group(cls=SectionedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader", cls=TranslatedOption, help=N_("Show the version and exit."))
@click.option("--lang", type=click.Choice(["zh", "en"]), callback=_choose_language, is_eager=True, expose_value=False,
              cls=TranslatedOption,
              help=N_("Language of every message and report: zh (中文) or en; default from LANG/LC_ALL/LANGUAGE."))
def main() -> None:
    """Autograder of the PyTorch practice course (PyTorch深度学习实践)."""


for _title, _commands in SECTIONS:
    for _command in _commands:
        main.add_command(_command)


def run() -> None:
    """The program's entry point (``grader``, ``python -m grader``): ``main``, then an exit without the
    interpreter's teardown.  Tearing down a process that has imported torch and pytest and graded a lecture
    (freeing every module and object one by one) took 0.7 to 1.0 s of each ``grader check`` (measured on
    lecture 01: 3.9 s in all, of which the learner's code and the checks are a fraction); nothing of it is
    needed once what the interpreter's exit promises is done: the non-daemon threads joined, the ``atexit``
    handlers run (temporary folders, multiprocessing's children, logging) and the output flushed.
    In-process callers (tests, ``CliRunner``) call ``main`` and keep the ordinary exit."""
    try:
        main(prog_name="grader")
    except SystemExit as exc:
        exit_now(exc.code)
    exit_now(0)


def exit_now(code) -> None:
    """``sys.exit(code)``'s promises kept, then ``os._exit``: see ``run``."""
    import atexit
    import os
    import sys
    import threading

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    # What Python does before its atexit handlers: threading's own exit callbacks (an executor's workers
    # told to stop), then the non-daemon threads joined.  ``_shutdown`` is that step, by name since 3.4.
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None and threading.current_thread() is threading.main_thread():
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # a closed pipe (grader check | head): Python's own exit says 120
            status = status or 120
    os._exit(status % 256)
