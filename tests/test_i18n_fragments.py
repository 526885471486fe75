"""Every word in Chinese: the texts the grader builds from parts (a limit's detail spliced into a message,
where the learner's code was, click's own messages, a command's --help) hold no run of English words when
the language is Chinese, and the English texts are as they were.  Fast: no worker is started.

``english_runs`` is the shared tool: the runs of three or more English words in a text, once code (in
backticks, or anything with ``_ . ( ) [ ] = / <> {}`` or digits), CamelCase and CAPITALS names (``Net``
aside: a lone capitalised word is a word) are set aside; units (MB, GiB, s) are not words here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from grader import i18n

ROOT = Path(__file__).resolve().parents[1]
_CODE = re.compile(r"`[^`]*`|\S*[_./()\[\]=<>{}0-9\\:]\S*|\b[A-Z]{2,}\w*|\b[A-Za-z]*[a-z][A-Z]\w*")
_RUN = re.compile(r"[A-Za-z]+(?:'[a-z]+)?(?:[ ]+[A-Za-z]+(?:'[a-z]+)?){2,}")
UNITS = {"s", "MB", "GB", "kB", "MiB", "GiB", "KiB", "bytes"}


def english_runs(text: str, n: int = 3) -> list[str]:
    """The runs of ``n`` or more English words in ``text`` (code, identifiers and units aside)."""
    masked = _CODE.sub(" · ", text)
    masked = re.sub(r"(?<!')\b(?:%s)\b" % "|".join(UNITS), " · ", masked)  # not the s of slide's
    return [run for run in _RUN.findall(masked) if len(run.split()) >= n]


def test_english_runs_finds_english_and_passes_code():
    assert english_runs("你的代码在 importing training.py 中printed more than 10 MB") == ["printed more than"]
    assert english_runs("你的代码在 train (training.py) 中用了 `model.eval()` 和 nn.Linear(1, 1)：超过 10 MB") == []
    assert english_runs("CrossEntropyLoss 期望 Long 张量；SIGKILL") == []


@pytest.fixture
def zh():
    with i18n.use_language("zh"):
        yield


@pytest.fixture
def en():
    with i18n.use_language("en"):
        yield


def _no_english(text: str) -> None:
    assert not english_runs(text), f"English in a Chinese text: {english_runs(text)} in {text!r}"


# ---------------------------------------------------------------- the sandbox's outcomes

def _outcomes():
    """One of each outcome learner code can cause, made as the proxy makes them."""
    from grader.sandbox import learner as L
    from grader.sandbox import limits as lim
    from grader.sandbox.process import exit_text
    limits = lim.Limits(output_bytes=10 ** 7, memory_bytes=8 << 30, disk_bytes=512 << 20, file_bytes=256 << 20)
    wheres = [L.IMPORTING, L.importing("training"), L.YOUR_CODE, L.STARTING, L.SEEDING, L.CLEANUP,
              L.Learner._where(None, L.Handle(1, "Net", "Net()")), "train (training.py)"]
    whats = [lim.memory_text(limits), lim.processes_text(limits), lim.tasks_text(528), lim.output_text(limits),
             lim.disk_text(limits), lim.file_text(limits),
             lim.limit_from_error("OSError", "[Errno 28] No space left on device", limits)]
    out = []
    for where in wheres:
        out.append(L.TimedOut(where, 20.0))
        out += [L.LimitExceeded(where, what) for what in whats]
        out += [L.WorkerDied(where, exit_text(code), "") for code in (0, 3, -9, -11, None)]
    out.append(L.TimedOut(L.YOUR_CODE, 300.0, "submission"))
    return out


def test_sandbox_outcomes_are_all_chinese(zh):
    for exc in _outcomes():
        _no_english(str(exc))


def test_sandbox_outcomes_in_english_are_as_they_were(en):
    from grader.sandbox import learner as L
    from grader.sandbox import limits as lim
    from grader.sandbox.process import exit_text
    limits = lim.Limits(output_bytes=10 ** 6, memory_bytes=5 << 30)
    assert str(L.LimitExceeded(L.importing("training"), lim.output_text(limits))) == \
        "your code printed more than 1 MB in importing training.py"
    assert str(L.LimitExceeded("train (training.py)", lim.memory_text(limits))) == \
        "your code used more than 5 GiB of memory in train (training.py)"
    assert str(L.TimedOut(L.IMPORTING, 20.0)) == "your code ran for more than 20 s in importing your files"
    assert str(L.WorkerDied(L.SEEDING, exit_text(-11))) == \
        "the process running your code killed by signal SIGSEGV while in seeding"
    assert exit_text(0) == "exited with status 0" and exit_text(None) == "still running"


def test_where_is_the_same_key_in_every_language():
    """`where` is compared and used as a key (the time-outs already seen, the import hint): the same
    English text whatever the language; only what is shown of it changes."""
    from grader.sandbox import learner as L
    for lang in ("en", "zh"):
        with i18n.use_language(lang):
            where = L.importing("training")
            assert where == "importing training.py" and where.startswith("importing ")
            assert {L.IMPORTING: 1}["importing your files"] == 1
    with i18n.use_language("zh"):
        _no_english(L.shown(L.importing("training")))
        assert "training.py" in L.shown(L.importing("training"))
    import pickle
    again = pickle.loads(pickle.dumps(L.importing("training")))
    assert again == "importing training.py" and L.shown(again) == L.importing("training").shown()


def _classify(exc):
    from grader.plugin import GraderPlugin
    plugin = GraderPlugin.__new__(GraderPlugin)
    return plugin.classify(exc)


def test_import_errors_and_repeats_are_chinese_with_the_same_verdict():
    from grader.sandbox import learner as L
    tb = 'File "training.py", line 3, in <module>\n    1 / 0'
    error = L.LearnerError(L.importing("training"), "ZeroDivisionError", "division by zero", tb)
    proxy = L.Learner(lambda: None, call_s=1, submission_s=1)
    verdicts = {}
    for lang in ("en", "zh"):
        with i18n.use_language(lang):
            proxy.broken, proxy.told = {"training": error}, set()
            first, repeat = proxy._broken("training"), proxy._broken("training")
            outcomes = [first, repeat, L._again(error), L._again(L.TimedOut(L.IMPORTING, 20.0)),
                        L._again(L.LimitExceeded(L.IMPORTING, "x")), L.NotAttempted(L.importing("training"), "stub")]
            verdicts[lang] = [_classify(o)[0] for o in outcomes]
            texts = [_classify(o)[1] for o in outcomes]
            if lang == "en":
                assert texts[0].startswith("importing training.py raised ZeroDivisionError: division by zero\n")
                assert "likely cause: the top level of your file ran code" in texts[0]
                assert "(the same error as above: this check needs that file)" in texts[1]
                assert texts[3].endswith("in importing your files (seen in an earlier check; not run again)")
            else:
                for text in texts:
                    _no_english(text.replace(tb, "").replace("division by zero", ""))
                assert "training.py" in texts[0] and "ZeroDivisionError" in texts[0]
    assert verdicts["en"] == verdicts["zh"]


def test_protocol_and_start_failures_are_chinese(zh):
    import torch
    from grader.sandbox import learner as L
    from grader.sandbox.process import exit_text
    from grader.sandbox.replies import BadReply, check_reply
    _no_english(str(L.WorkerStartFailed(L._start_detail(L.WorkerDied(L.STARTING, exit_text(-9), "Traceback")))))
    _no_english(str(L.WorkerStartFailed(L._start_detail(L.TimedOut(L.STARTING, 90.0)))))
    deep = []
    for _level in range(40):
        deep = [deep]
    bad = deep, 1 << 70, torch.zeros(2, requires_grad=True), torch.zeros(3).expand(2, 3), object()
    for value in bad:
        with pytest.raises(BadReply) as info:
            check_reply(value)
        _no_english(str(info.value))


def test_the_sandbox_notice_and_refusal_are_chinese(zh, monkeypatch):
    from grader.sandbox import bwrap, process
    monkeypatch.setattr(bwrap, "_unusable", lambda: ("bubblewrap (bwrap) is not installed", {}))
    monkeypatch.delenv("GRADER_SANDBOX", raising=False)
    reason = process.choose_sandbox()[1]
    _no_english(reason)
    _no_english(process._fallback_notice(reason, True))
    _no_english(process._fallback_notice(reason, False))
    with pytest.raises(process.SandboxUnavailable) as info:
        process.require_sandbox(False)
    _no_english(str(info.value).replace("apt-get install bubblewrap", "").replace("--allow-unsandboxed", ""))


# ---------------------------------------------------------------- texts kept in tables

def _untranslated_constants(path: Path) -> list[str]:
    """Module-level names bound to text (or tables of text) with English words that is not marked N_():
    a learner would read it untranslated.  The patterns of MISTAKES tables match PyTorch's English and
    stay English."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        names = [t.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
        marked = {id(n) for call in ast.walk(node.value) if isinstance(call, ast.Call)
                  and getattr(call.func, "id", "") in ("N_", "_") for n in ast.walk(call)}
        patterns = set()
        if any(name.endswith("MISTAKES") for name in names):  # (pattern or needles, hint) rows
            for row in ast.walk(node.value):
                if isinstance(row, ast.Tuple) and len(row.elts) == 2:
                    patterns |= {id(n) for n in ast.walk(row.elts[0])}
        for n in ast.walk(node.value):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in marked | patterns:
                if english_runs(n.value):
                    found.append(f"{path.relative_to(ROOT)}:{n.lineno} {', '.join(names)}: {n.value[:60]!r}")
    return found


LEARNER_FACING = ["grader/checks/*.py", "grader/diagnose.py", "grader/plugin.py", "grader/sandbox/*.py",
                  "grader/cli/*.py", "grader/runner.py", "grader/notebooks.py"]


def test_no_module_keeps_learner_text_unmarked():
    found = [hit for pattern in LEARNER_FACING for path in sorted(ROOT.glob(pattern))
             for hit in _untranslated_constants(path)]
    assert not found, "texts a learner reads, not marked N_():\n" + "\n".join(found)


def test_lecture11_advice_and_mistakes_are_chinese(zh):
    import torch
    from grader.checks import lecture11 as L11
    from grader.diagnose import diagnose
    for net, (_shapes, advice, _forward) in L11.NETWORKS.items():
        _no_english(i18n._(advice))
    for block, (_shapes, advice) in L11.BLOCKS.items():
        _no_english(i18n._(advice))
    for raised in ("InceptionNet (nets.py) raised RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x1000 and 1408x10)",
                   "ResidualNet (nets.py) raised RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x300 and 512x10)",
                   "InceptionA (nets.py) raised RuntimeError: Sizes of tensors must match except in dimension 1. "
                   "Expected size 12 but got size 10 for tensor number 2 in the list."):
        hint, known = diagnose(raised, L11.MISTAKES)
        assert known and hint
        _no_english(hint)
    x = torch.randn(2, 10, 6, 6, dtype=torch.float64)
    w = {name: torch.randn(*shape, dtype=torch.float64) for name, shape in L11.inception_shapes(10).items()}
    for mistake in L11.inception_mistakes(x, w):
        _no_english(mistake.message)
        _no_english(mistake.cause)


# ---------------------------------------------------------------- the command line

def _cli(args, env=None):
    from click.testing import CliRunner
    from grader.cli import main
    previous = i18n._chosen
    env = {"GRADER_LANG": None, "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8", **(env or {})}
    try:
        return CliRunner().invoke(main, args, env=env, prog_name="grader")
    finally:
        i18n._chosen = previous


COMMANDS = ["list", "check", "watch", "hint", "reset", "init", "verify", "stubs", "release", "grade", "gradescope"]


@pytest.mark.parametrize("how", [["--lang", "zh"], "LANG"])
def test_help_is_chinese(how):
    args, env = (how, None) if isinstance(how, list) else ([], {"LANG": "zh_CN.UTF-8"})
    for command in [[], *[[c] for c in COMMANDS]]:
        r = _cli([*args, *command, "--help"], env)
        assert r.exit_code == 0, r.output
        assert "用法" in r.output and "选项" in r.output, r.output
        _no_english(r.output)
    r = _cli([*args, "--help"], env)
    assert "学习者命令" in r.output and "教师命令" in r.output


def test_help_after_the_option_is_chinese_too():
    r = _cli(["--help", "--lang", "zh"])
    assert "用法" in r.output
    _no_english(r.output)


def test_help_is_english_otherwise():
    r = _cli(["check", "--help"])
    assert r.output.startswith("Usage: grader check [OPTIONS] [LECTURE]") and "Show this message and exit." in r.output
    assert "Check your exercises for LECTURE" in r.output and "用法" not in r.output
    r = _cli(["--help"], {"LANG": "en_US.UTF-8"})
    assert "Learner commands:" in r.output and "Instructor commands:" in r.output


@pytest.mark.parametrize("args", [["check", "--nope"], ["init"], ["hint", "a", "b", "c"], ["check", "--device", "gpu"],
                                  ["nope"], ["release"], ["grade", "x", "--lecture", "5", "--out", "y", "--jobs", "0"]])
def test_usage_errors_are_chinese(args):
    r = _cli(["--lang", "zh", *args])
    assert r.exit_code == 2 and "错误" in r.output and "Error:" not in r.output, r.output
    _no_english(r.output)
    english = _cli(args)
    assert english.exit_code == 2 and "Error: " in english.output and "错误" not in english.output


# ---------------------------------------------------------------- notebooks

def test_notebook_stubs_say_what_to_do_in_chinese():
    from grader.course import load_lecture
    from grader.notebooks import lecture_notebook
    lec = load_lecture("lecture05")
    zh = "\n".join(c.source for c in lecture_notebook(lec, "zh").cells if c.cell_type == "code")
    en = "\n".join(c.source for c in lecture_notebook(lec, "en").cells if c.cell_type == "code")
    assert "# TODO: your code here" in en and "# TODO: your code here" not in zh
    comments = [line.strip() for line in zh.splitlines() if line.strip().startswith("# TODO")]
    assert comments, zh
    for line in comments:
        _no_english(line)
    assert 'raise NotImplementedError("lecture05/training.py: fill in train")' in zh  # what marks a stub


def test_shared_judgements_are_chinese(zh):
    import torch
    from grader.checks.common import CheckFailed, judge_fraction_correct, judge_modes, reject_probabilities
    tries = [lambda: judge_fraction_correct(v, "accuracy") for v in (75.0, 2 / 3, 6.0)]
    tries += [lambda: reject_probabilities(torch.full((2, 4), 0.25), "Net", "fc"),
              lambda: judge_modes([[True, False]], "predict"), lambda: judge_modes([[False, True]], "predict")]
    for attempt in tries:
        with pytest.raises(CheckFailed) as info:
            attempt()
        for text in (info.value.message, *map(str, info.value.details().values())):
            _no_english(text)


# ---------------------------------------------------------------- texts written inside functions

def _matched_not_shown(node, parents) -> bool:
    """A text compared with another (``"cannot be multiplied" in exc.message``, ``.startswith(...)``): a
    key that matches PyTorch's or the grader's own English, never shown."""
    parent = parents.get(node)
    if isinstance(parent, ast.Compare):
        return True
    return (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute)
            and parent.func.attr in ("startswith", "endswith", "removeprefix", "removesuffix", "find", "split"))


def _untranslated_texts(path: Path) -> list[tuple[str, str]]:
    """(``file:line``, text) of every string with a run of English words that a person would read
    untranslated: not a docstring, not inside ``_()`` / ``N_()`` / ``ngettext()``, not a pattern of a
    ``*MISTAKES`` table (it matches PyTorch's English), not a key compared with another text.  The
    pieces of an f-string count one by one (an f-string is never translated: it must become
    ``_("...{x}...").format(x=...)``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    marked, patterns = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("_", "N_", "ngettext"):
            marked |= {id(n) for n in ast.walk(node)}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "").endswith("MISTAKES") for t in node.targets):
            for row in ast.walk(node.value):
                if isinstance(row, ast.Tuple) and len(row.elts) == 2:
                    patterns |= {id(n) for n in ast.walk(row.elts[0])}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in marked | patterns:
            continue
        if isinstance(parents.get(node), ast.Expr) or _matched_not_shown(node, parents):
            continue
        if english_runs(node.value):
            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    return found


# Where a person reads what the grader wrote at run time: the checks' failures, the batch's and the
# cluster's closed results, the runner's messages, the instructor's commands.
SHOWN_AT_RUN_TIME = ["grader/checks/*.py", "grader/pool.py", "grader/batch.py", "grader/cluster.py",
                     "grader/runner.py", "grader/cli/instructor.py"]

# Texts with English words that no person reads as a message.
NOT_SHOWN = {
    # a ValueError for a bug of the grader's own (the predictions are computed by the grader)
    ("grader/checks/common.py", "predictions of shape "), ("grader/checks/common.py", " for labels of shape "),
}


def test_no_text_written_at_run_time_is_left_english():
    found = [f"{where}: {text[:100]!r}" for pattern in SHOWN_AT_RUN_TIME for path in sorted(ROOT.glob(pattern))
             for where, text in _untranslated_texts(path) if (where.split(":")[0], text) not in NOT_SHOWN]
    assert not found, f"{len(found)} English texts a person reads, not marked _() / N_():\n" + "\n".join(found)


def test_the_scanner_finds_an_f_string_and_passes_what_is_marked(tmp_path):
    sample = ROOT / "grader" / "_scan_sample.py"
    sample.write_text('from grader.i18n import _, N_\n'
                      'MISTAKES = [("must match the size of tensor", N_("the sizes differ here and there"))]\n'
                      'def f(x, message):\n'
                      '    """A docstring is a description, extracted on its own."""\n'
                      '    if "cannot be multiplied" in message:\n'
                      '        return _("this one is translated fine")\n'
                      '    return f"this one is not {x} translated at all"\n', encoding="utf-8")
    try:
        assert [text for _where, text in _untranslated_texts(sample)] == ["this one is not ", " translated at all"]
    finally:
        sample.unlink()
