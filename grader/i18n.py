"""English and Chinese: every text a person reads goes through ``_()`` (gettext), and the language is
chosen by ``--lang`` (``set_language``) or, by default, by the locale (``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``, in gettext's order: the first one set decides; ``zh_*`` is Chinese, anything
else English).

The catalog is ``grader/locale/zh/LC_MESSAGES/grader.po`` (source, committed), extracted with Babel
(``babel.cfg``; ``python -m grader.i18n extract`` runs ``pybabel extract`` and ``update``) and compiled to
``grader.mo``: ``python -m grader.i18n compile`` writes it beside the .po; where it is missing or older
than the .po (an editable install, a fresh clone), the .po is compiled in memory at first use, so an
editable install and a wheel find the same messages.

Texts that are data, not code (the lectures' TOML: titles, hints; the checks' docstrings, which are
their descriptions) are extracted into the same catalog by ``grader.i18n_extract`` and translated where
they are shown, with ``_()`` on the English text.  Numbers, shapes and code in messages stay as they are:
they are placeholders (``{shape}``), filled in after translation.
"""

from __future__ import annotations

import gettext
import io
import os
import threading
from pathlib import Path

DOMAIN = "grader"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("en", "zh")
ENV = "GRADER_LANG"  # set by --lang for the grader's own child processes; wins over the locale

_lock = threading.Lock()
_chosen: str | None = None
_catalogs: dict[str, gettext.NullTranslations] = {}


def language_from_env(environ=None) -> str:
    """``zh`` or ``en`` from the environment: GRADER_LANG, then gettext's LANGUAGE, LC_ALL, LC_MESSAGES, LANG."""
    environ = os.environ if environ is None else environ
    explicit = environ.get(ENV, "").strip().lower()
    if explicit in LANGUAGES:
        return explicit
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if not value:
            continue
        first = value.split(":")[0].strip().lower()
        return "zh" if first.startswith("zh") else "en"
    return "en"


def normalize(lang: str | None) -> str:
    """``zh``, ``zh_CN``, ``zh-Hans``... -> ``zh``; ``en``, ``C``, ``en_US``... -> ``en``."""
    text = (lang or "").strip().lower()
    if text.startswith("zh"):
        return "zh"
    if text in ("", "en", "c", "posix") or text.startswith("en"):
        return "en"
    raise ValueError(f"unknown language {lang!r}: choose zh or en")


def set_language(lang: str | None) -> str:
    """Choose the language of every later message (None: from the environment again); returns it."""
    global _chosen
    _chosen = normalize(lang) if lang else None
    return language()


def language() -> str:
    """The language in use now: ``zh`` or ``en``."""
    return _chosen or language_from_env()


class use_language:
    """``with use_language("zh"): ...``: a language for a block, the previous one after it."""

    def __init__(self, lang: str | None):
        self.lang = lang

    def __enter__(self):
        global _chosen
        self.previous = _chosen
        if self.lang:
            _chosen = normalize(self.lang)
        return self

    def __exit__(self, *exc):
        global _chosen
        _chosen = self.previous


def po_path(lang: str = "zh") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str = "zh") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def compile_catalog(lang: str = "zh", target: Path | None = None) -> bytes:
    """The .mo bytes of ``lang``'s .po (Babel); written to ``target`` when given."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with open(po_path(lang), "rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    data = buf.getvalue()
    if target is not None:
        Path(target).write_bytes(data)
    return data


def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    with _lock:
        if lang not in _catalogs:
            po, mo = po_path(lang), mo_path(lang)
            try:
                if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
                    with open(mo, "rb") as f:
                        _catalogs[lang] = gettext.GNUTranslations(f)
                elif po.is_file():
                    _catalogs[lang] = gettext.GNUTranslations(io.BytesIO(compile_catalog(lang)))
                else:
                    _catalogs[lang] = gettext.NullTranslations()
            except (OSError, ImportError):
                _catalogs[lang] = gettext.NullTranslations()  # English rather than no message at all
        return _catalogs[lang]


def gettext_(message: str) -> str:
    """``message`` in the current language (itself where no translation is known)."""
    if not message:
        return message
    return _catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog(language()).ngettext(singular, plural, n)


_ = gettext_


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined (a table, a constant); ``_()`` translates it where used."""
    return message


def status_label(status: str) -> str:
    """A check's status as a person reads it: ``not_attempted`` -> "not attempted" / "未作答"."""
    return _(STATUS_TEXT.get(status, status.replace("_", " ")))


STATUS_TEXT = {"passed": N_("passed"), "failed": N_("failed"), "not_attempted": N_("not attempted"),
               "error": N_("error"), "timed_out": N_("timed out"), "skipped": N_("skipped")}


def html_lang() -> str:
    """The HTML ``lang`` attribute of a report in the current language."""
    return "zh-CN" if language() == "zh" else "en"


def _main(argv: list[str]) -> int:
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    pot = root / "grader" / "locale" / f"{DOMAIN}.pot"
    if argv[:1] == ["extract"]:
        LOCALE_DIR.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                        "-o", str(pot), "--sort-by-file", "--no-wrap",
                        "--project", "pytorch-course-grader", "."], check=True, cwd=root)
        if not po_path("zh").is_file():
            subprocess.run([sys.executable, "-m", "babel.messages.frontend", "init", "-i", str(pot), "-d",
                            str(LOCALE_DIR), "-D", DOMAIN, "-l", "zh_Hans_CN"], check=True, cwd=root)
            Path(LOCALE_DIR / "zh_Hans_CN").rename(LOCALE_DIR / "zh")
        else:
            subprocess.run([sys.executable, "-m", "babel.messages.frontend", "update", "-i", str(pot), "-d",
                            str(LOCALE_DIR), "-D", DOMAIN, "-l", "zh", "--no-fuzzy-matching",
                            "--ignore-obsolete"], check=True, cwd=root)
        return 0
    if argv[:1] == ["compile"]:
        compile_catalog("zh", mo_path("zh"))
        print(f"wrote {mo_path('zh')}")
        return 0
    print("usage: python -m grader.i18n extract|compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    import sys
    raise SystemExit(_main(sys.argv[1:]))
