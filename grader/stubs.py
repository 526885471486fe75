"""Generating the learner's stubs (``exercises/``) from the reference solutions (``solutions/``).

In a solution file, a region

        # BEGIN SOLUTION
        ...reference code...
        # END SOLUTION

becomes, at the indentation of the BEGIN marker, a ``raise NotImplementedError``
that names the lecture, file and function to fill in.  Other files (the
lecture README) are copied as they are.  ``tests/test_stubs.py`` proves the
committed stubs are exactly what this makes.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

from .sandbox.inside.wire import STUB_MESSAGE

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
COPIED_SUFFIXES = {".md", ".csv", ".txt"}
TODO = "# TODO: your code here"  # the line above each stub's raise (a notebook says it in its language)


class StubError(Exception):
    pass


def _enclosing_name(tree: ast.AST, lineno: int) -> str:
    """The innermost `Class.method` or function around a line, for the pointer in the stub."""
    best: list[str] = []

    def visit(node, path):
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if child.lineno <= lineno <= (child.end_lineno or child.lineno):
                    best = path + [child.name]
                    visit(child, path + [child.name])

    visit(tree, [])
    return ".".join(best) or "this part"


def strip_solution(source: str, lecture: str, filename: str) -> str:
    tree = ast.parse(source, filename=filename)
    out: list[str] = []
    lines = source.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        if not m:
            if END.match(lines[i]):
                raise StubError(f"{filename}:{i + 1}: END SOLUTION without BEGIN")
            out.append(lines[i])
            i += 1
            continue
        start = i
        i += 1
        while i < len(lines) and not END.match(lines[i]):
            if BEGIN.match(lines[i]):
                raise StubError(f"{filename}:{i + 1}: nested BEGIN SOLUTION")
            i += 1
        if i == len(lines):
            raise StubError(f"{filename}:{start + 1}: BEGIN SOLUTION without END")
        where = _enclosing_name(tree, start + 1)
        out.append(f'{m.group("indent")}{TODO}\n')
        message = STUB_MESSAGE.format(lecture=lecture, file=filename, where=where)
        out.append(f'{m.group("indent")}raise NotImplementedError("{message}")\n')
        i += 1  # skip END
    stub = "".join(out)
    ast.parse(stub, filename=filename)  # a stub must at least be valid Python
    return stub


def generate(solution_dir: Path) -> dict[str, str]:
    """File name -> stub text for one lecture's solution folder."""
    lecture = solution_dir.name
    files: dict[str, str] = {}
    for path in sorted(solution_dir.iterdir()):
        if path.suffix == ".py":
            files[path.name] = strip_solution(path.read_text(encoding="utf-8"), lecture, path.name)
        elif path.suffix in COPIED_SUFFIXES:
            files[path.name] = path.read_text(encoding="utf-8")
    return files


def write_stubs(solution_dir: Path, exercise_dir: Path) -> list[str]:
    """Regenerate ``exercise_dir`` from ``solution_dir``; returns the files written."""
    files = generate(solution_dir)
    if exercise_dir.exists():
        shutil.rmtree(exercise_dir)
    exercise_dir.mkdir(parents=True)
    for name, text in files.items():
        (exercise_dir / name).write_text(text, encoding="utf-8")
    return sorted(files)


def stale_stubs(solution_dir: Path, exercise_dir: Path) -> list[str]:
    """Files whose committed stub differs from what the generator makes (empty when all agree)."""
    want = generate(solution_dir)
    have = {p.name: p.read_text(encoding="utf-8") for p in exercise_dir.iterdir()
            if p.is_file() and (p.name in want or p.suffix == ".py")} if exercise_dir.is_dir() else {}
    return sorted(n for n in set(want) | set(have) if want.get(n) != have.get(n))
