"""The learner's commands that grade nothing (fast, no worker): the lecture from the working directory,
hints (by a function's name, forgotten, withheld once passed), reset and init from the pristine stubs,
`grader stubs` refusing to overwrite edits, `grader list`, the live rows, the next lecture, completion."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import grader.workspace as workspace
from grader import api
from grader.cli import main
from grader.course import all_lectures, load_lecture
from grader.render import terminal
from grader.results import CheckResult, LectureResult, summarize_exercise
from grader.stubs import generate
from grader.workspace import State

from conftest import EXERCISES, SOLUTIONS


def run_grader(*args: str, cwd: Path | None = None, env: dict | None = None):
    """The command line in this process (click's runner; a subprocess per call would make this tier slow)."""
    old = Path.cwd()
    try:
        if cwd:
            os.chdir(cwd)
        r = CliRunner().invoke(main, list(args), prog_name="grader", env=env)
    finally:
        os.chdir(old)
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    r.returncode = r.exit_code
    return r


@pytest.fixture
def course(tmp_path):
    """A learner's working directory with the untouched stubs (named so it is not the grading tier's `workdir`)."""
    shutil.copytree(EXERCISES, tmp_path / "exercises")
    return tmp_path


def saved_result(course: Path, lecture: str, passed: set[str] | str, *, started: float | None = None) -> LectureResult:
    """A result of `lecture` as `grader check` saves it: the checks of the exercises in `passed` (or "all") pass."""
    lec = load_lecture(lecture)
    checks = [CheckResult(name=c.name, exercise=c.exercise, status="passed" if passed == "all" or c.exercise in passed
                          else "failed", points=0, max_points=c.points) for c in lec.checks]
    for c in checks:
        c.points = c.max_points if c.passed else 0.0
    result = LectureResult(lecture=lec.id, title=lec.title, checks=checks,
                           exercises=[summarize_exercise(e.name, e.title, e.file, checks) for e in lec.exercises])
    State(course).save_result(result, started if started is not None else time.time())
    return result


# ---------------------------------------------------------------- which lecture, which working directory

def test_no_lecture_outside_a_lecture_folder_says_what_to_give(course):
    r = run_grader("check", cwd=course)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "which lecture? give one, e.g. `grader check lecture05`" in r.stderr and "exercises/lectureNN/" in r.stderr
    assert run_grader("watch", cwd=course).returncode == 2
    assert run_grader("hint", cwd=course).returncode == 2


def test_the_lecture_and_the_workdir_from_where_you_stand(course):
    here = course / "exercises" / "lecture05"
    assert api.lecture_here(here).id == "lecture05" and api.lecture_here(course) is None
    assert api.lecture_here(here / "sub").id == "lecture05"
    # --workdir takes the course folder, its exercises/ folder, or a lecture folder in it
    assert api.resolve_workdir(course) == api.resolve_workdir(course / "exercises") == api.resolve_workdir(here) \
        == course.resolve()
    r = run_grader("hint", cwd=here)  # no LECTURE inside exercises/lecture05/
    assert r.returncode == 0 and r.stdout.startswith("lecture05/linear_model ("), r.stdout + r.stderr
    r = run_grader("hint", "lecture05", "predict", "--workdir", str(course / "exercises"))
    assert r.returncode == 0 and "hint 1 of 2" in r.stdout, r.stderr
    assert State(course).hints_revealed("lecture05", "predict") == 1
    r = run_grader("hint", "train", cwd=here)  # inside a lecture folder, a lone name may be the exercise
    assert r.returncode == 0 and r.stdout.startswith("lecture05/training_loop ("), r.stdout + r.stderr


# ---------------------------------------------------------------- hints

def test_hints_by_function_name_forgotten_and_withheld_once_passed(course):
    first = api.hint("lecture05", "train", workdir=course)  # the function, not the exercise's name
    assert first.startswith("lecture05/training_loop (") and "hint 1 of 3" in first
    assert "hint 2 of 3" in run_grader("hint", "lecture05", "train", cwd=course).stdout
    with pytest.raises(api.UsageError, match=r"training_loop \(train\)"):
        api.hint("lecture05", "trian", workdir=course)
    # --reset forgets: the next one is the first again
    r = run_grader("hint", "lecture05", "train", "--reset", cwd=course)
    assert r.returncode == 0 and "forgot the 2 hint(s)" in r.stdout, r.stdout + r.stderr
    assert "hint 1 of 3" in api.hint("lecture05", "training_loop", workdir=course)
    api.hint("lecture06", workdir=course)
    assert "forgot the 2 hint(s) revealed in the course" in run_grader("hint", "--reset", cwd=course).stdout
    assert State(course).hints_revealed("lecture06", "model") == 0

    # an exercise whose checks passed at the last check gets no hint, and it says so
    saved_result(course, "lecture05", {"linear_model", "training_loop"})
    said = api.hint("lecture05", "train", workdir=course)
    assert "passed at your last check; no hint needed" in said
    assert State(course).hints_revealed("lecture05", "training_loop") == 0
    assert api.hint("lecture05", workdir=course).startswith("lecture05/loss_and_optimizer (")  # first unfinished
    saved_result(course, "lecture05", "all")
    said = api.hint("lecture05", workdir=course)
    assert "every exercise passed" in said and "next: lecture06 · Logistic regression" in said
    saved_result(course, "lecture13", "all")
    assert "the course is done" in api.hint("lecture13", workdir=course)


# ---------------------------------------------------------------- reset, init, stubs: the pristine stubs

def test_reset_restores_the_shipped_stub_and_keeps_a_backup(course):
    folder = course / "exercises" / "lecture05"
    shipped = generate(SOLUTIONS / "lecture05")
    mine = (SOLUTIONS / "lecture05" / "training.py").read_text() + "\n# my notes\n"
    (folder / "training.py").write_text(mine)
    (folder / "linear_model.py").write_text("class LinearModel: pass  # mine\n")

    # one exercise of a file that holds others: only its own function goes back to the stub
    r = run_grader("reset", "lecture05", "train", cwd=course)
    assert r.returncode == 0, r.stdout + r.stderr
    now = (folder / "training.py").read_text()
    assert "def train(" in now
    train_stub = re.search(r"def train\(.*?(?=\n\S)", shipped["training.py"], re.S).group(0)
    assert train_stub in now and "raise NotImplementedError" in train_stub
    assert 'nn.MSELoss(reduction="sum")' in now and "# my notes" in now   # make_criterion, the rest: kept
    backup = Path(re.search(r"your version is kept in (\S+)", r.stdout).group(1))
    assert backup.is_relative_to(course / ".grader" / "backups") and (backup / "training.py").read_text() == mine

    # the whole lecture; a file already as shipped is left alone
    (folder / "README.md").write_text(shipped["README.md"])
    r = run_grader("reset", "lecture05", cwd=folder)
    assert r.returncode == 0, r.stdout + r.stderr
    assert {p.name: p.read_text() for p in folder.iterdir()} == shipped
    assert "restored linear_model.py, training.py" in r.stdout and "already as shipped: README.md" in r.stdout
    backup = Path(re.search(r"your version is kept in (\S+)", r.stdout).group(1))
    assert (backup / "linear_model.py").read_text() == "class LinearModel: pass  # mine\n"

    # a file that does not parse is reset whole, and the note says what else that reset
    (folder / "training.py").write_text("def train(:\n")
    r = run_grader("reset", "lecture05", "predict", cwd=course)
    assert r.returncode == 0 and "the whole file was reset" in r.stdout and "does not parse" in r.stdout
    assert (folder / "training.py").read_text() == shipped["training.py"]
    assert run_grader("reset", "lecture09", "trained_accuracy", cwd=course).returncode == 2  # no code of its own


def _fake_checkout(root: Path, edited: str) -> Path:
    """A course checkout (solutions/, and exercises/ of lecture05) whose working copy of training.py is edited."""
    shutil.copytree(SOLUTIONS, root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(EXERCISES / "lecture05", root / "exercises" / "lecture05")
    (root / "exercises" / "lecture05" / "training.py").write_text(edited)
    return root


def test_pristine_stubs_never_come_from_an_edited_working_copy(tmp_path, monkeypatch):
    shipped = generate(SOLUTIONS / "lecture05")
    # a course checkout: the generator's output from solutions/, not exercises/ (a learner may work there)
    checkout = _fake_checkout(tmp_path / "checkout", "# edited in the clone\n")
    monkeypatch.setattr(workspace, "REPO_DIR", checkout)
    assert workspace.pristine_stubs("lecture05") == shipped
    target = api.init(tmp_path / "mine")
    assert (target / "lecture05" / "training.py").read_text() == shipped["training.py"]
    assert sorted(p.name for p in target.iterdir()) == [f"lecture{n:02d}" for n in range(1, 14)]
    # an installed wheel: the package's copy
    wheel = tmp_path / "site-packages"
    shutil.copytree(EXERCISES / "lecture05", wheel / "grader" / "exercises" / "lecture05")
    monkeypatch.setattr(workspace, "REPO_DIR", wheel)
    monkeypatch.setattr(workspace, "PACKAGE_DIR", wheel / "grader")
    assert workspace.pristine_stubs("lecture05") == shipped


def test_pristine_stubs_of_a_release_bundle_from_its_manifest_and_git(tmp_path, monkeypatch):
    import hashlib
    bundle = tmp_path / "bundle"
    shutil.copytree(EXERCISES / "lecture05", bundle / "exercises" / "lecture05")
    files = {f"exercises/lecture05/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
             for p in (bundle / "exercises" / "lecture05").iterdir()}
    (bundle / "RELEASE.json").write_text(json.dumps({"files": files}))
    monkeypatch.setattr(workspace, "REPO_DIR", bundle)
    monkeypatch.setattr(workspace, "PACKAGE_DIR", bundle / "grader")
    shipped = generate(SOLUTIONS / "lecture05")
    assert workspace.pristine_stubs("lecture05") == shipped
    stub = bundle / "exercises" / "lecture05" / "training.py"
    stub.write_text("# my work\n")
    with pytest.raises(workspace.WorkspaceError, match="edited"):
        workspace.pristine_stubs("lecture05")
    if not shutil.which("git"):
        pytest.skip("no git here")
    git = ["git", "-C", str(bundle), "-c", "user.name=t", "-c", "user.email=t@t"]
    stub.write_text(shipped["training.py"])
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "the release"], check=True)
    stub.write_text("# my work, committed\n")
    subprocess.run([*git, "commit", "-qam", "my work"], check=True)
    assert workspace.pristine_stubs("lecture05") == shipped  # found in the history by the manifest's sha256


def test_stubs_refuses_to_overwrite_edited_exercises_without_force(tmp_path, monkeypatch):
    checkout = _fake_checkout(tmp_path / "checkout", "# a learner's work in the clone\n")
    monkeypatch.setattr(workspace, "REPO_DIR", checkout)
    monkeypatch.setattr(workspace, "solutions_dir", lambda: checkout / "solutions")
    stub = checkout / "exercises" / "lecture05" / "training.py"
    r = CliRunner().invoke(main, ["stubs", "lecture05"])
    assert r.exit_code == 1 and "not written: training.py" in r.output and "--force" in r.output, r.output
    assert stub.read_text() == "# a learner's work in the clone\n"
    r = CliRunner().invoke(main, ["stubs", "lecture05", "--force"])
    assert r.exit_code == 0 and "wrote" in r.output, r.output
    assert stub.read_text() == generate(SOLUTIONS / "lecture05")["training.py"]
    if not shutil.which("git"):
        return
    # a committed stub left as the generator made it is rewritten after its solution changed
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "course"], check=True)
    solution = checkout / "solutions" / "lecture05" / "training.py"
    solution.write_text(solution.read_text() + "\n\n# a new line in the solution\n")
    r = CliRunner().invoke(main, ["stubs", "lecture05"])
    assert r.exit_code == 0 and "wrote" in r.output, r.output
    assert "# a new line in the solution" in stub.read_text()


# ---------------------------------------------------------------- list

def test_list_aligns_totals_marks_stale_and_errors_outside_a_course(course, tmp_path_factory):
    empty = tmp_path_factory.mktemp("nowhere")
    r = run_grader("list", cwd=empty)
    assert r.returncode == 2 and "no exercises/ folder" in r.stderr, r.stdout + r.stderr
    saved_result(course, "lecture01", "all")
    saved_result(course, "lecture05", {"linear_model"}, started=time.time() - 60)
    stub = course / "exercises" / "lecture05" / "training.py"
    stub.write_text(stub.read_text() + "\n")  # changed after that check began
    r = run_grader("list", cwd=course)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    rows = {line.split()[0]: line for line in lines if line.startswith("lecture")}
    assert "\x1b[" not in r.stdout  # plain where the output is not a terminal
    assert rows["lecture01"].rstrip().endswith("14/14 ✓") and "stale" not in rows["lecture01"]
    assert "2/11" in rows["lecture05"] and "stale" in rows["lecture05"]
    assert "not checked" in rows["lecture02"]
    from rich.cells import cell_len
    ends = {cell_len(line[:line.index("not checked")]) for line in lines if "not checked" in line}
    assert len(ends) == 1, "the last-check column is aligned (titles in Chinese are two cells wide)"
    total = sum(lec.max_points for lec in all_lectures())
    assert f"course: 16/{total:g} points, 1 of 13 lectures passed" in r.stdout
    assert "next: lecture02 · Linear model" in r.stdout
    buf = io.StringIO()
    terminal.render_overview(Console(file=buf, force_terminal=True, color_system="standard", width=150),
                             api.course_overview(course), following=("lecture02", "Linear model"))
    assert "\x1b[32m" in buf.getvalue()  # green in a terminal


# ---------------------------------------------------------------- the terminal: live rows, -q, next

def _check(name: str, status: str) -> CheckResult:
    return CheckResult(name=name, exercise="linear_model", status=status, points=float(status == "passed"), max_points=1)


def test_live_rows_in_a_terminal_and_nothing_elsewhere():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with terminal.LiveChecks(console, "lecture05", "Linear regression", 2) as live:
        live(_check("output_shape", "passed"))
        live.live.refresh()
        shown = buf.getvalue()
        live(_check("parameter_count", "failed"))
        live.live.refresh()
    assert "output_shape" in shown and "parameter_count" not in shown and "1/2" in shown
    assert "parameter_count" in buf.getvalue()
    plain = io.StringIO()
    with terminal.LiveChecks(Console(file=plain, force_terminal=False), "lecture05", "Linear regression", 1) as live:
        live(_check("output_shape", "passed"))
    assert plain.getvalue() == ""


def test_next_lecture_after_a_lecture_passes_and_the_end_of_the_course():
    def text(result, following):
        buf = io.StringIO()
        terminal.render_next(Console(file=buf, width=100), result, following)
        return buf.getvalue()
    done = LectureResult("lecture05", "Linear regression with PyTorch", [_check("output_shape", "passed")])
    assert text(done, ("lecture06", "Logistic regression")) == "next: lecture06 · Logistic regression\n"
    assert api.next_lecture("lecture05").id == "lecture06" and api.next_lecture("13") is None
    last = LectureResult("lecture13", "RNN classifier", [_check("output_shape", "passed")])
    assert "the course is done" in text(last, None)
    assert text(LectureResult("lecture05", "x", [_check("a", "failed")]), ("lecture06", "y")) == ""


# ---------------------------------------------------------------- shell completion

def _complete(words: str, cwd: Path | None = None) -> list[str]:
    env = {"_GRADER_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    r = run_grader(cwd=cwd, env=env)
    assert r.returncode == 0, r.output
    return [line.split(",", 1)[1] for line in r.stdout.splitlines() if line]


def test_shell_completion_of_lectures_and_exercises(course):
    assert _complete("grader check lecture0") == [f"lecture0{n}" for n in range(1, 10)]
    assert _complete("grader watch 1") == ["lecture10", "lecture11", "lecture12", "lecture13"]
    assert _complete("grader hint lecture05 tr") == ["training_loop", "train"]
    assert "predict" in _complete("grader reset lecture05 ")
    # inside a lecture's folder the first argument of hint and reset may be an exercise
    assert _complete("grader hint tr", cwd=course / "exercises" / "lecture05") == ["training_loop", "train"]
    assert _complete("grader check tr", cwd=course / "exercises" / "lecture05") == []


def test_readme_sets_a_learner_up_apart_from_the_test_command():
    from conftest import REPO
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    top, rest = readme.split("## Learning with it", 1)
    learner = rest.split("## The course", 1)[0]
    # the two commands at the top: install and check a lecture; install and pass the tests
    assert ".venv/bin/pip install -e . && .venv/bin/grader check lecture05" in top and "bash scripts/test.sh" in top
    blocks = re.findall(r"```bash\n(.*?)```", learner, re.S)
    setup = blocks[0].strip().splitlines()
    assert len(setup) == 2 and "activate" in setup[0] and "lecture01" in setup[1]
    for line in (x for block in blocks for x in block.splitlines() if x.startswith("grader ")):
        words = line.split()[1:]
        if words[0] == "--lang":  # the group's own option comes before the command
            assert words[1] in ("zh", "en"), line
            words = words[2:]
        assert words[0] in main.commands, line  # every command shown exists
    assert 'eval "$(_GRADER_COMPLETE=bash_source grader)"' in learner
    chinese = learner.split("### 中文说明", 1)[1]
    for word in ("张量", "梯度", "反向传播", "损失函数", "优化器", "数据集"):  # the seed notes' vocabulary
        assert word in chinese, word


def test_an_interrupted_check_is_not_saved_as_the_last_result(course, monkeypatch):
    """Ctrl-C in the middle of a check (how `grader watch` is often stopped) leaves the last result as it was."""
    import grader.runner
    before = saved_result(course, "lecture05", "all")

    def interrupted(lecture, folder, **kw):
        checks = [CheckResult(name=c.name, exercise=c.exercise, status="error", points=0, max_points=c.points,
                              message="the grading was interrupted (SIGINT) before this check finished")
                  for c in lecture.checks]
        return LectureResult(lecture=lecture.id, title=lecture.title, checks=checks,
                             notes=["the grading was interrupted: checks that did not finish count as errors"])
    monkeypatch.setattr(grader.runner, "run_lecture", interrupted)
    assert api.check("lecture05", workdir=course, device="cpu").score == 0
    assert State(course).last_result("lecture05") == before
