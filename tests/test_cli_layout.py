"""The shape of the command line: a package whose modules import each other in no circle, over
``grader.api`` (which knows nothing of click), and a --help that groups the commands.  Fast."""

from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.cli import instructor, learner

CLI = Path(__file__).resolve().parents[1] / "grader" / "cli"


def _imports(path: Path) -> set[str]:
    """The modules of grader/cli that ``path`` (a module of it) imports; the package itself is ``__init__``."""
    siblings = {p.stem for p in CLI.glob("*.py")}

    def within(dotted: str) -> str:  # "" (the package), "learner", "learner.x" -> a module of grader/cli
        first = dotted.split(".")[0] if dotted else ""
        return first if first in siblings else "__init__"

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                found |= {within(module)} if module else {within(a.name) for a in node.names}
            elif node.level == 2 and (module == "cli" or module.startswith("cli.")):
                found.add(within(module[4:]))
            elif node.level == 2 and not module and any(a.name == "cli" for a in node.names):
                found.add("__init__")
            elif node.level == 0 and (module == "grader.cli" or module.startswith("grader.cli.")):
                found.add(within(module[11:]) if module != "grader.cli" else "__init__")
                if module == "grader.cli":
                    found |= {a.name for a in node.names if a.name in siblings}
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "grader.cli" or a.name.startswith("grader.cli."):
                    found.add(within(a.name[11:]))
    return found


def test_no_module_of_the_cli_imports_another_in_a_circle():
    modules = {p.stem: _imports(p) for p in CLI.glob("*.py")}
    assert set(modules) == {"__init__", "_common", "learner", "instructor"}
    assert modules["__init__"] >= {"learner", "instructor", "_common"}
    for name, imported in modules.items():
        assert name not in imported
        assert "__init__" not in imported or name == "__init__", f"{name} imports the package that imports it"
    # no cycle: a depth-first walk never meets a module on its own path
    def walk(name, path):
        for nxt in modules.get(name, ()):
            assert nxt not in path, " -> ".join([*path, nxt])
            walk(nxt, [*path, nxt])
    for name in modules:
        walk(name, [name])


def test_the_api_and_the_renderers_know_nothing_of_the_cli():
    root = CLI.parent
    for path in [root / "api.py", *(root / "render").glob("*.py"), root / "batch.py", root / "results.py"]:
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names |= {node.module or ""} | {f"{node.module}.{a.name}" if node.module else a.name for a in node.names}
            elif isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
        assert not [n for n in names if n == "click" or n.startswith("click.") or n == "cli" or ".cli" in n
                    or n.startswith("cli.")], path


def test_help_groups_learner_and_instructor_commands():
    out = CliRunner().invoke(main, ["--help"]).output
    learner_part, instructor_part = out.split("Learner commands:")[1].split("Instructor commands:")
    for name in ("list", "check", "hint", "init"):
        assert f"\n  {name} " in learner_part and f"\n  {name} " not in instructor_part
    for name in ("verify", "stubs", "release", "grade", "gradescope"):
        assert f"\n  {name} " in instructor_part
    assert "\n  autograde " not in out  # hidden: what Gradescope's run_autograder calls
    assert set(main.commands) == {c.name for c in (*learner.COMMANDS, *instructor.COMMANDS)}


def test_the_worker_starts_before_the_grader_imports_torch():
    """`run_lecture` starts the worker (which imports torch) and only then imports pytest and torch
    itself, so the two imports overlap; a module on the path to it that imports torch at its top
    serialises them (it did: grader.sandbox.replies, about a second of every `grader check`)."""
    import subprocess
    import sys
    code = ("import sys, grader.runner, grader.api, grader.cli\n"
            "heavy = sorted(m for m in ('torch', 'pytest', 'torchvision') if m in sys.modules)\n"
            "assert not heavy, heavy")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0, r.stderr[-2000:]
