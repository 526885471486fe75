"""English and Chinese: the catalog covers every message, and the language is chosen as documented.

The messages are extracted afresh from the code, the lectures' TOML and the checks' docstrings with the
project's own Babel map (``babel.cfg``), so a message added without its translation fails here, as does
a translation whose placeholders (``{shape}``, ``%(score)s``) differ from the English ones.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader import i18n
from conftest import REPO

BRACE = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")
PERCENT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifgrx%]")


def _extracted():
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    with open(REPO / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(str(REPO), method_map, options_map):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _zh():
    from babel.messages.pofile import read_po
    with open(i18n.po_path("zh"), "rb") as f:
        return read_po(f)


def _placeholders(text: str) -> list[str]:
    return sorted(BRACE.findall(text) + [p for p in PERCENT.findall(text) if p != "%%"])


def test_every_message_has_a_chinese_translation_with_the_same_placeholders():
    zh = _zh()
    missing, differing = [], []
    for message in _extracted():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        found = zh.get(message.id)
        strings = () if found is None else (found.string if isinstance(found.string, tuple) else (found.string,))
        if not strings or not all(s.strip() for s in strings):
            missing.append(f"{ids[0]!r} ({', '.join(f'{p}:{n}' for p, n in message.locations[:2])})")
            continue
        for s in strings:
            if _placeholders(s) != _placeholders(ids[-1]) and _placeholders(s) != _placeholders(ids[0]):
                differing.append(f"{ids[0]!r} -> {s!r}")
    assert not missing, f"{len(missing)} message(s) without a Chinese translation:\n" + "\n".join(missing[:40])
    assert not differing, "placeholders differ between the languages:\n" + "\n".join(differing[:40])


def test_lecture_and_exercise_titles_translate_to_their_title_zh():
    from grader.course import all_lectures
    with i18n.use_language("zh"):
        for lec in all_lectures():
            assert i18n._(lec.title) == lec.title_zh, lec.id
            for ex in lec.exercises:
                assert i18n._(ex.title) in {e.title_zh for other in all_lectures() for e in other.exercises
                                            if e.title == ex.title}, (lec.id, ex.name)


@pytest.mark.parametrize("env, lang", [
    ({}, "en"), ({"LANG": "C.UTF-8"}, "en"), ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"), ({"LANGUAGE": "en:zh", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANGUAGE": "zh_CN:en", "LANG": "C"}, "zh"), ({"GRADER_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
])
def test_the_language_follows_the_locale(env, lang):
    assert i18n.language_from_env(env) == lang


def test_chosen_language_translates_and_english_stays_as_written():
    with i18n.use_language("zh"):
        assert i18n._("passed") == "通过"
        assert i18n.status_label("not_attempted") == "未作答"
        assert i18n.html_lang() == "zh-CN"
    with i18n.use_language("en"):
        assert i18n._("passed") == "passed"
        assert i18n.html_lang() == "en"


def test_compiled_catalog_is_what_gettext_reads(tmp_path):
    import gettext
    mo = tmp_path / "grader.mo"
    i18n.compile_catalog("zh", mo)
    with open(mo, "rb") as f:
        assert gettext.GNUTranslations(f).gettext("not attempted") == "未作答"


def test_cli_lang_option_and_locale_choose_the_language(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "LANG": "C.UTF-8"}
    run = lambda *args, **extra: subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                                                env={**env, **extra}, cwd=tmp_path, timeout=60)
    english = run("check", "lecture99")
    assert english.returncode == 2 and "unknown lecture" in english.stderr
    chinese = run("--lang", "zh", "check", "lecture99")
    assert chinese.returncode == 2 and "未知的讲" in chinese.stderr
    by_locale = run("check", "lecture99", LANG="zh_CN.UTF-8")
    assert "未知的讲" in by_locale.stderr


def test_no_function_shadows_the_translation_function():
    """`_, x = ...` in a function that also calls `_()` makes `_` local there, and the call raises
    UnboundLocalError (it did, in the cluster helper's refusal: the helper died instead of refusing).
    Comprehension targets have their own scope and do not count."""
    import ast
    root = Path(__file__).resolve().parents[1] / "grader"
    bad = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            in_comprehensions = {id(n) for comp in ast.walk(fn) if isinstance(comp, ast.comprehension)
                                 for n in ast.walk(comp.target)}
            stores = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == "_"
                      and isinstance(n.ctx, ast.Store) and id(n) not in in_comprehensions]
            calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"]
            if stores and calls:
                bad.append(f"{path.relative_to(root.parent)}:{fn.lineno} {fn.name}")
    assert not bad, bad
