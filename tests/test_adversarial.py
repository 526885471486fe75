"""Hostile submissions, on both ways of running the worker: under bubblewrap and in the plain
fallback (with the cgroup turned off there, so the grader's own watchdog is what holds).

Each case is one attack from ``tests/adversarial/`` planted in lecture 05's reference solution,
whose graded function then returns a wrong answer.  For every case: the attacked check fails
(never passes) and its message says what happened; the checks the attack did not touch pass;
no line of a hidden check or of the reference solution appears in the report; the terminal
report carries no escape sequence, CI log command or forged status line; and no process of the
submission outlives the grading.  Cases that cannot hold without the sandbox are strict xfails
on the fallback, so the table in the README stays true.

To run fast, up to four attacks share one grading (one per graded function: LinearModel.forward,
make_criterion, make_optimizer, predict), with small limits.  Set GRADER_ADVERSARIAL_TABLE=path
to write the table of cases held per path as JSON.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rich.console import Console

from grader.sandbox import bwrap
from grader.course import load_lecture
from grader.data import public_files
from grader.render import terminal
from grader.results import LectureResult
from grader.runner import run_lecture
from grader.sandbox import Limits
from grader.workspace import PACKAGE_DIR, REPO_DIR, State

from conftest import EXERCISES, SOLUTIONS, submission

pytestmark = pytest.mark.grading

FIXTURES = Path(__file__).with_name("adversarial")
# call_s leaves room for a loaded machine: a worker's first optimizer imports torch._dynamo (seconds)
LIMITS = Limits(call_s=20, submission_s=300, memory_bytes=5 << 30, file_bytes=8 << 20, processes=8,
                output_bytes=10 ** 6, disk_bytes=32 << 20)
CONTROLS = ("loss_history", "zero_grad_each_step")  # train() is never attacked: these must pass
IMPORT_CHECKS = ["output_shape", "criterion_sum"]  # an attack at import fails every check: two show it

# slot -> (file, the reference's code there, the check that calls it, how the report names it)
SLOTS = {
    "forward": ("linear_model.py", "        return self.linear(x)\n", "output_shape", "your LinearModel"),
    "make_criterion": ("training.py", '    return nn.MSELoss(reduction="sum")\n', "criterion_sum",
                       "make_criterion (training.py)"),
    "make_optimizer": ("training.py", "    return torch.optim.SGD(model.parameters(), lr=lr)\n", "optimizer_sgd",
                       "make_optimizer (training.py)"),
    "predict": ("training.py", "    with torch.no_grad():\n        return model(torch.tensor([[float(x)]])).item()\n",
                "predict_value", "predict (training.py)"),
}
# what the slot does after the attack: a wrong answer (a check that passed would have been fooled)
WRONG = {
    "forward": ("        {call}(self, x)\n        return self.linear(x) + 1\n", "        return {call}(self, x)\n"),
    "make_criterion": ("    {call}()\n    return nn.MSELoss()\n", "    return {call}()\n"),
    "make_optimizer": ("    {call}(model, lr)\n    return torch.optim.SGD(model.parameters(), lr=2 * lr)\n",
                       "    return {call}(model, lr)\n"),
    "predict": ("    {call}(model, x)\n    return 0.0\n", "    return {call}(model, x)\n"),
}
PATHS = ("bwrap", "plain")


@dataclass
class Case:
    name: str                       # the fixture's file name, without .py
    tries: str                      # what it tries, for the README's table
    slot: str = "any"               # import | forward | make_criterion | make_optimizer | predict | any
    status: tuple = ("error",)      # what the attacked check may end as (never "passed")
    says: str | dict = ""           # in the attacked check's message ({where}: the function); per path
    plain: str = ""                 # why the fallback cannot hold it ("not tried: ..." skips it there)
    held: tuple = ()                # names of further predicates below
    data: bool = False              # the worker is given the shipped digits (lecture 05 has no data)


CASES = [
    Case("import_sys_exit", "sys.exit(0) at import", "import", says="SystemExit"),
    Case("import_os_exit", "os._exit(0) at import", "import", says="exited with status 0"),
    Case("import_endless_loop", "endless loop at import, catching everything, ignoring signals", "import",
         status=("timed_out",), says="more than 20 s in importing your files"),
    Case("sys_exit", "sys.exit(0) in a graded function", says="stopped the run with SystemExit in {where}"),
    Case("os_exit", "os._exit(0) in a graded function", says="exited with status 0 while in {where}"),
    Case("raise_system_exit", "raise SystemExit", says="stopped the run with SystemExit in {where}"),
    Case("raise_keyboard_interrupt", "raise KeyboardInterrupt",
         says="stopped the run with KeyboardInterrupt in {where}"),
    Case("raise_base_exception", "raise a BaseException subclass", says="stopped the run with Escape in {where}"),
    Case("patch_torch", "replace torch.allclose / equal / isclose / testing.assert_close / Tensor.__eq__",
         "forward", status=("failed",)),
    Case("patch_builtins", "replace builtins (isinstance, float, abs, len, print)", "predict",
         status=("failed", "error")),
    Case("shadow_grader", "ship a `grader` package, conftest.py, sitecustomize.py, pytest.py", status=("failed",)),
    Case("tensor_subclass", "return a tensor subclass whose __eq__ and torch functions lie", "forward",
         status=("failed",)),
    Case("lying_number", "return an object whose __eq__ and __float__ lie", "predict", status=("failed",)),
    Case("read_hidden_raise", "read the checks and the reference solution, raise them as the message",
         says={"bwrap": "No such file or directory", "plain": "[hidden course text withheld]"}),
    Case("read_hidden_print", "read the checks and the reference solution, print them, die",
         says={"bwrap": "could not read", "plain": "[hidden course text withheld]"}),
    Case("read_eval_labels", "read the hidden evaluation labels", says={"bwrap": "could not read the labels"},
         plain="not held: without the sandbox the worker can read every file the grader can", held=("no_labels",)),
    Case("forge_results", "write fake results (.grader/results/lecture05.json, the --json path)",
         status=("failed",), held=("saved_results_true",)),
    Case("forge_other_lecture", "write a fake saved result of another lecture", status=("failed",),
         plain="not held: without the sandbox the worker can write where the grader can", held=("no_forged_file",)),
    Case("fake_pass_lines", "raise text with fake passed rows, a score, escape sequences, ::error:: commands"),
    Case("fake_pass_output", "print fake passed rows and ::notice:: commands, then die",
         says="exited with status 0 while in {where}"),
    Case("pickle_frame", "answer with a hand-made frame holding a malicious pickle",
         says="not plain data", held=("pickle_not_run",)),
    Case("huge_frame", "announce a 2**60-byte reply", says="larger than the grader accepts"),
    Case("forge_figures", "send markup, a pixel bomb and 5 MB of noise as the figures its code drew",
         status=("failed",), held=("no_forged_figure",)),
    Case("endless_loop", "endless loop catching every exception, ignoring signals", status=("timed_out",),
         says="more than 20 s in {where}"),
    Case("hostile_str", "raise an exception whose __str__ never returns", status=("timed_out",)),
    Case("unbounded_memory", "allocate memory without end", says="used more than 5 GiB of memory in {where}"),
    Case("fork_bomb", "fork bomb", says="processes"),
    Case("detached_child_exit", "detached children (new session, double fork), then exit"),
    Case("detached_child_stay", "a detached child (double fork, setsid) that outlives the grading",
         status=("failed",)),
    Case("network", "open a network socket and send data out", status=("error", "failed"),
         plain="holds only where the grader may unshare the network (root)", held=("no_connection",)),
    Case("fill_disk", "fill the disk with 1 MiB files, swallowing errors",
         says="wrote more than 32 MiB of files in {where}"),
    Case("big_file", "write one endless file", says="wrote a file larger than 8 MiB in {where}"),
    Case("deep_recursion", "endless recursion", says="RecursionError"),
    Case("stack_overflow", "recursion limit lifted, recursion through C until the stack overflows",
         says="killed by signal SIGSEGV"),
    Case("flood_output", "print gigabytes", says="printed more than 1 MB in {where}"),
    Case("flood_output_swallow", "print gigabytes to stdout and stderr, swallowing errors",
         says="printed more than 1 MB in {where}"),
    Case("kill_grader", "signal the grader's process and every visible process (kill -1)", status=("error", "failed"),
         plain="not tried: as root the fallback worker can signal any process, the grader included"),
    Case("kernel_settings", "write a kernel setting (/proc/sys/vm/swappiness) and a file in /dev, as host root",
         says={"bwrap": "refused /proc/sys"}, held=("not_root_nothing_written",),
         plain="not held: without the sandbox, code run by root is root" if os.geteuid() == 0 else ""),
    Case("memfd_memory", "allocate memory through memfd files, which no resident size shows",
         says="used more than 5 GiB of memory in {where}"),
    Case("shm_fill", "fill /dev/shm and /tmp with files, swallowing errors",
         says="wrote more than 32 MiB of files in {where}",
         plain="not tried: without the sandbox /dev/shm and /tmp are the machine's own"),
    Case("read_data_sources", "find the sources of hidden splits (/usr/share/datasets, the data cache, "
         "GRADER_FASHION_MNIST)", says={"bwrap": "nothing found"}, held=("no_data_source",),
         plain="not held: without the sandbox the worker can read every file the grader can"),
    Case("poison_data", "rewrite the training data it is given, for later gradings", says={"bwrap": "refused"},
         held=("data_intact",), data=True),
    Case("inflating_tensor", "answer with a stride-0 tensor of 2**40 elements (a few hundred bytes)",
         says="does not accept"),
    Case("shared_list_bomb", "answer with a list shared 10 times at each of 20 levels (10**20 places)",
         says="does not accept"),
]
BY_NAME = {c.name: c for c in CASES}


def _groups() -> list[dict[str, Case]]:
    """Up to one attack per slot in each grading; import-time attacks alone."""
    alone = [{"import": c} for c in CASES if c.slot == "import"]
    shared: list[dict[str, Case]] = []
    placed = [c for c in CASES if c.slot not in ("import", "any")] + [c for c in CASES if c.slot == "any"]
    for case in placed:
        for group in shared:
            free = [s for s in SLOTS if s not in group and case.slot in ("any", s)]
            if free:
                group[free[0]] = case
                break
        else:
            shared.append({case.slot if case.slot != "any" else next(iter(SLOTS)): case})
    return alone + shared


GROUPS = _groups()
GROUP_OF = {case.name: (i, slot) for i, g in enumerate(GROUPS) for slot, case in g.items()}


# ---------------------------------------------------------------- planting the attacks

def _fill(text: str, env: dict) -> str:
    for key, value in env.items():
        text = text.replace(f"@{key}@", str(value))
    return text


def _plant(workdir: Path, group: dict[str, Case], env: dict, path: str) -> Path:
    files = {name: (SOLUTIONS / "lecture05" / name).read_text() for name in ("linear_model.py", "training.py")}
    extra: dict[str, str] = {}
    for slot, case in group.items():
        if path == "plain" and case.plain.startswith("not tried"):
            continue  # never run where it could harm the machine: its slot keeps the reference
        source = _fill((FIXTURES / f"{case.name}.py").read_text(), env)
        if slot == "import":
            files["linear_model.py"] = source + "\n" + files["linear_model.py"]
            continue
        module = f"attack_{slot}"
        extra[f"{module}.py"] = source
        tree = ast.parse(source)
        consts = {t.id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                  for t in n.targets if isinstance(t, ast.Name) and t.id in ("RETURNS", "FILES")}
        extra.update(consts.get("FILES", {}))
        name, original, _, _ = SLOTS[slot]
        assert files[name].count(original) == 1, (slot, original)
        body = WRONG[slot][bool(consts.get("RETURNS"))].format(call=f"__import__({module!r}).attack")
        files[name] = files[name].replace(original, body)
    folder = submission(workdir, "lecture05", files)
    for rel, text in extra.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


class Listener:
    """A TCP listener on the grader's machine: the network case must never reach it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(100) or b"<connected>")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


def _survivors(mark: str) -> list[str]:
    """Live processes whose command line carries this grading's mark."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{name}/cmdline").read_bytes()
            state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if mark.encode() in cmd and state != "Z":
            text = cmd.replace(b"\0", b" ")[:120].decode(errors="replace")
            found.append(f"{name}: {text}")
    return found


@dataclass
class Graded:
    result: LectureResult
    checks: dict
    terminal: str
    workdir: Path
    mark: str
    received: list
    survivors: list
    seconds: float
    env: dict = field(default_factory=dict)
    data_changed: bool = False


_CACHE: dict[tuple[str, int], Graded] = {}


def _grade(path: str, index: int, tmp_root: Path) -> Graded:
    key = (path, index)
    if key in _CACHE:
        return _CACHE[key]
    group = GROUPS[index]
    workdir = tmp_root / f"{path}-{index}"
    shutil.copytree(EXERCISES, workdir / "exercises")
    listener = Listener()
    mark = f"grader-mark-{uuid.uuid4().hex}"
    # sources of hidden splits, made here so that there is something to find
    sources = {"GRADER_CACHE": tmp_root / f"cache-{path}-{index}", "GRADER_FASHION_MNIST": tmp_root / f"src-{path}-{index}"}
    for folder in sources.values():
        folder.mkdir()
        (folder / "t10k-labels-idx1-ubyte").write_bytes(b"\0\0\x08\x01")
    env = {"CHECKS": PACKAGE_DIR / "checks" / "lecture05.py", "SOLUTION": SOLUTIONS / "lecture05" / "training.py",
           "EVAL": PACKAGE_DIR / "data" / "digits" / "eval" / "labels-idx1-ubyte", "WORKDIR": workdir,
           "PORT": listener.port, "MARK": workdir / mark,
           "CACHE": sources["GRADER_CACHE"], "FASHION": sources["GRADER_FASHION_MNIST"]}
    folder = _plant(workdir, group, env, path)
    saved = {k: os.environ.get(k) for k in ("GRADER_SANDBOX", "GRADER_CGROUP", *sources)}
    os.environ["GRADER_SANDBOX"] = path
    os.environ.update({k: str(v) for k, v in sources.items()})
    lecture = load_lecture("lecture05")
    if any(case.data for case in group.values()):
        lecture = dataclasses.replace(lecture, data=("digits",))
    shipped = _digests(lecture)
    if path == "plain":
        os.environ["GRADER_CGROUP"] = "0"   # the watchdog alone, the weakest case
    started = time.monotonic()
    try:
        select = IMPORT_CHECKS if "import" in group else sorted({SLOTS[s][2] for s in SLOTS} | set(CONTROLS))
        result = run_lecture(lecture, folder, limits=LIMITS, select=select)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        listener.close()
    seconds = time.monotonic() - started
    # what `grader check` does next: save the result, write --json
    State(workdir).save_result(result)
    result.write_json(workdir / "result.json")
    buf = io.StringIO()
    terminal.render(result, Console(file=buf, width=200, color_system=None, highlight=False))
    survivors = _survivors(mark)
    for _ in range(20):
        if not survivors:
            break
        time.sleep(0.1)
        survivors = _survivors(mark)
    graded = Graded(result, {c.name: c for c in result.checks}, buf.getvalue(), workdir, mark,
                    listener.received, survivors, seconds, env, data_changed=_digests(lecture) != shipped)
    _CACHE[key] = graded
    return graded


# ---------------------------------------------------------------- what must hold

def _hidden_lines(graded: Graded) -> list[str]:
    """Lines of the hidden check module and of the reference solution that the learner could not
    have known: not in the public stubs, not in their own submission, not in a check's public text."""
    def lines(paths):
        return {s for p in paths for line in Path(p).read_text().splitlines() if len(s := line.strip()) >= 25}
    hidden = lines([PACKAGE_DIR / "checks" / "lecture05.py", *(SOLUTIONS / "lecture05").glob("*.py")])
    public = lines((EXERCISES / "lecture05").glob("*.py")) | lines(
        (graded.workdir / "exercises" / "lecture05").rglob("*.py"))
    shown = " ".join(c.description + " " + c.hint for c in graded.result.checks)
    return sorted(h for h in hidden - public if h not in shown)


def _report_hygiene(graded: Graded) -> None:
    texts = [c.message for c in graded.result.checks] + list(graded.result.notes) + [graded.terminal]
    for line in _hidden_lines(graded):
        for text in texts:
            assert line not in text, f"hidden course text in the report: {line!r}"
    assert "\x1b" not in graded.terminal
    passed = {c.name for c in graded.result.checks if c.passed}
    for line in graded.terminal.splitlines():
        stripped = line.strip()
        assert not stripped.startswith(("::", "##[", "##vso[")), f"a CI command reached the log: {line!r}"
        if stripped.startswith("✓ passed"):
            assert line.startswith("  ✓ passed") and stripped.split()[2] in passed, f"a forged row: {line!r}"
        if stripped.startswith("Score:"):
            assert line.startswith("Score:"), f"a forged score: {line!r}"
    assert sum(line.startswith("Score:") for line in graded.terminal.splitlines()) == 1


def no_labels(graded, check):
    assert "STOLEN" not in check.message, check.message


def saved_results_true(graded, check):
    for path in (graded.workdir / ".grader" / "results" / "lecture05.json", graded.workdir / "result.json"):
        saved = json.loads(path.read_text())
        assert {c["name"]: c["status"] for c in saved["checks"]} == {c.name: c.status for c in graded.result.checks}


def no_forged_file(graded, check):
    assert not (graded.workdir / ".grader" / "results" / "lecture06.json").exists()


def pickle_not_run(graded, check):
    assert not Path(f"{graded.env['MARK']}.pwned").exists()


def no_forged_figure(graded, check):
    from grader.render import html
    assert graded.result.figures == [], [f.where for f in graded.result.figures]
    assert "<script" not in html.render(graded.result)
    assert any("figure" in note for note in graded.result.notes), graded.result.notes


def not_root_nothing_written(graded, check):
    assert "WROTE" not in check.message and "AS ROOT" not in check.message, check.message


def no_data_source(graded, check):
    assert "FOUND" not in check.message, check.message


def data_intact(graded, check):
    assert not graded.data_changed


def _digests(lecture) -> dict:
    files = {}
    for name in lecture.data:
        files.update(public_files(name))
    return {rel: hashlib.sha256(Path(src).read_bytes()).hexdigest() for rel, src in files.items()}


def no_connection(graded, check):
    assert graded.received == [], graded.received


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("adversarial")


@pytest.fixture(scope="module", autouse=True)
def table():
    rows: dict[str, dict[str, str]] = {}
    yield rows
    if os.environ.get("GRADER_ADVERSARIAL_TABLE"):
        timings = {f"{p}-{i}": round(g.seconds, 1) for (p, i), g in _CACHE.items()}
        Path(os.environ["GRADER_ADVERSARIAL_TABLE"]).write_text(json.dumps(
            {"cases": [{"name": c.name, "tries": c.tries, **rows.get(c.name, {})} for c in CASES]
             + [{"name": "sigint_grader", "tries": "interrupt the grader (SIGINT to its parent) from untouched stubs",
                 **rows.get("sigint_grader", {})}],
             "gradings_s": timings}, indent=2))


def _bwrap_or_skip():
    reason = bwrap.unusable_reason()
    if reason:
        pytest.skip(f"bubblewrap cannot run here: {reason}")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_attack_is_contained(name, path, tmp_root, table, request):
    case = BY_NAME[name]
    if path == "bwrap":
        _bwrap_or_skip()
    if path == "plain" and case.plain.startswith("not tried"):
        table.setdefault(name, {})[path] = "not tried"
        pytest.skip(case.plain)
    index, slot = GROUP_OF[name]
    graded = _grade(path, index, tmp_root)
    attacked = IMPORT_CHECKS if slot == "import" else [SLOTS[slot][2]]
    expect_fail = path == "plain" and case.plain.startswith("not held")
    try:
        where = SLOTS[slot][3] if slot in SLOTS else ""
        for check_name in attacked:
            check = graded.checks[check_name]
            assert check.status in case.status, (check.status, check.message)
            says = case.says.get(path, "") if isinstance(case.says, dict) else case.says
            assert says.format(where=where) in check.message, check.message
            for predicate in case.held:
                globals()[predicate](graded, check)
        # the grader and the checks the attacks did not touch are unaffected
        if slot != "import":
            untouched = list(CONTROLS) + [SLOTS[s][2] for s in SLOTS if s not in GROUPS[index]]
            for c in untouched:
                assert graded.checks[c].status == "passed", (c, graded.checks[c].message)
        _report_hygiene(graded)
        assert not graded.survivors, f"processes outlived the grading: {graded.survivors}"
        notes = [n for n in graded.result.notes if n.startswith("sandbox:")]
        assert len(notes) == (1 if path == "plain" else 0), graded.result.notes
    except AssertionError:
        table.setdefault(name, {})[path] = "not held"
        if expect_fail:
            pytest.xfail(case.plain)
        raise
    table.setdefault(name, {})[path] = "held"
    if expect_fail:
        pytest.fail(f"expected not to hold on the fallback ({case.plain}), but it held: update the case")


# ---------------------------------------------------------------- an interrupt of the grader itself

SIGINT_AT_IMPORT = '''import os, signal
os.kill(os.getppid(), signal.SIGINT)  # the grader's process, in the fallback
'''


@pytest.mark.parametrize("path", PATHS)
def test_an_interrupted_grading_passes_nothing(path, tmp_path, table):
    """Untouched stubs whose first file sends SIGINT to its parent: in the fallback that is the
    grader, whose pytest run stops mid-check.  A check passes only from its own call, so the score
    stays 0 (it was 1 of 11 when a check's passed set-up counted)."""
    name = "sigint_grader"
    if path == "bwrap":
        _bwrap_or_skip()
    shutil.copytree(EXERCISES, tmp_path / "exercises")
    target = tmp_path / "exercises" / "lecture05" / "linear_model.py"
    target.write_text(SIGINT_AT_IMPORT + target.read_text())
    out = tmp_path / "result.json"
    env = {**os.environ, "GRADER_SANDBOX": path}
    r = subprocess.run([sys.executable, "-m", "grader", "check", "lecture05", "--json", str(out)], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=300)
    try:
        result = json.loads(out.read_text())
        assert r.returncode == 1, r.stdout + r.stderr
        assert result["score"] == 0 and not [c for c in result["checks"] if c["status"] == "passed"], result
    except AssertionError:
        table.setdefault(name, {})[path] = "not held"
        raise
    table.setdefault(name, {})[path] = "held"
