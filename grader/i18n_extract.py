"""Babel extractors for the texts that are data (``babel.cfg`` names them): a lecture's TOML (its title,
its exercises' titles and hints), a check module's check descriptions (the first paragraph of each
``test_*`` docstring, as ``grader.plugin`` shows it), and a command's help (the whole docstring of each
function made a click command, as ``--help`` shows it), besides the modules' ``_()`` calls.  They put these
texts into the one catalog, so ``tests/test_i18n.py`` proves each has a translation.

The checks' own TOML ``hint`` of each ``[[checks]]`` entry is not extracted: no learner or report sees it
(a failure's hint is the diagnosed cause; the lecture's hints are the exercises' ``hints``).
"""

from __future__ import annotations

import ast
import inspect
import tomllib


def description(doc: str | None) -> str:
    """What the report shows of a check's docstring (``grader.plugin._first_paragraph`` before translation)."""
    return inspect.cleandoc(doc or "").split("\n\n")[0].replace("\n", " ")


def _line_of(lines: list[str], text: str) -> int:
    probe = text[:40]
    for i, line in enumerate(lines, 1):
        if probe in line:
            return i
    return 0


def extract_toml(fileobj, keywords, comment_tags, options):
    text = fileobj.read().decode("utf-8")
    raw = tomllib.loads(text)
    lines = text.splitlines()
    found = [(raw["title"], "lecture title")]
    for ex in raw.get("exercises", []):
        found.append((ex["title"], f"title of exercise {ex['name']}"))
        found += [(h, f"hint of exercise {ex['name']}") for h in ex.get("hints", [])]
    for message, comment in found:
        yield _line_of(lines, message), None, message, [comment]


def extract_checks(fileobj, keywords, comment_tags, options):
    from babel.messages.extract import extract_python
    source = fileobj.read()
    import io
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    tree = ast.parse(source.decode("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            text = description(ast.get_docstring(node, clean=False))
            if text:
                yield node.lineno, None, text, [f"description of check {node.name.removeprefix('test_')}"]


def _is_command(decorator: ast.expr) -> bool:
    """``@command(...)``, ``@click.command(...)``, ``@click.group(...)`` (called or not)."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("command", "group")


def extract_commands(fileobj, keywords, comment_tags, options):
    from babel.messages.extract import extract_python
    source = fileobj.read()
    import io
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    tree = ast.parse(source.decode("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(_is_command(d) for d in node.decorator_list):
            text = ast.get_docstring(node, clean=True)  # what TranslatedCommand looks up: inspect.cleandoc
            if text:
                yield node.lineno, None, text, [f"help of the command {node.name}"]
