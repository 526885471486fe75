"""Grading a class in batch: every kind of submission, hangs and crashes, reruns, interruptions."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.batch import closed_result
from grader.pool import Job, Pool
from grader.course import load_lecture
from grader.results import SubmissionResult

from conftest import REPO, SOLUTIONS, run_grader

pytestmark = pytest.mark.grading

LEC = load_lecture("lecture05")
SOL = {p.name: p.read_text() for p in (SOLUTIONS / "lecture05").glob("*.py")}


def folder(path, files):
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """Seven submissions of lecture05, graded once with --jobs 2 (shared by the tests below)."""
    root = tmp_path_factory.mktemp("class")
    subs = root / "hand-ins"
    folder(subs / "alice" / "exercises" / "lecture05", SOL)
    bob = folder(root / "bob-src", {**SOL, "training.py": SOL["training.py"].replace(
        'nn.MSELoss(reduction="sum")', "nn.MSELoss()")})
    with zipfile.ZipFile(subs / "bob.zip", "w") as zf:
        for p in bob.iterdir():
            zf.write(p, f"bob/{p.name}")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 线性回归"),
                nbformat.v4.new_code_cell(SOL["linear_model.py"]), nbformat.v4.new_code_cell(SOL["training.py"]),
                nbformat.v4.new_code_cell("model = LinearModel()\nprint(train(model, make_criterion(), "
                                          "make_optimizer(model, 0.01), None, None, 0))")]
    nbformat.write(nb, str(subs / "carol.ipynb"))
    (subs / "dave.ipynb").write_text('{"cells": [oops')
    (subs / "erin").mkdir()
    folder(subs / "frank", {**SOL, "training.py": SOL["training.py"].replace(
        "    losses = []\n    for _ in range(epochs):", "    losses = []\n    while True:\n        pass\n    for _ in range(epochs):")})
    folder(subs / "grace", {**SOL, "linear_model.py": "import os\nos._exit(3)\n" + SOL["linear_model.py"]})
    names = ["alice", "bob.zip", "carol.ipynb", "dave.ipynb", "erin", "frank", "grace"]
    out = root / "out"
    started = time.monotonic()
    r = run_grader("grade", *[str(subs / n) for n in names], "--lecture", "5", "--out", str(out), "--jobs", "2",
                   "--timeout", "30", timeout=900)
    elapsed = time.monotonic() - started
    assert r.returncode == 0, r.stdout + r.stderr
    results = {p.parent.name: json.loads(p.read_text()) for p in (out / "submissions").glob("*/result.json")}
    return {"root": root, "subs": subs, "names": names, "out": out, "run": r, "results": results, "elapsed": elapsed}


def checks(result):
    return {c["name"]: c for lec in result["lectures"] for c in lec["checks"]}


def test_every_submission_gets_its_three_files_and_the_class_its_exports(klass):
    out = klass["out"]
    assert set(klass["results"]) == {"alice", "bob", "carol", "dave", "erin", "frank", "grace"}
    for name in klass["results"]:
        for f in ("report.html", "result.json", "results.json"):
            assert (out / "submissions" / name / f).is_file(), (name, f)
        gs = json.loads((out / "submissions" / name / "results.json").read_text())
        assert len(gs["tests"]) == 8 and all(t["status"] in ("passed", "failed") for t in gs["tests"])
        assert gs["score"] == klass["results"][name]["score"]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["submission"] for r in rows[1:]] == sorted(klass["results"])
    assert {r["submission"]: r["total"] for r in rows[1:]}["alice"] == "11"
    assert len(rows[0]) == 8 + 4  # submission, 8 checks, total, max_total, problems
    root = ET.parse(out / "junit.xml").getroot()
    assert root.get("tests") == str(8 * 7)
    page = (out / "index.html").read_text()
    for name in klass["results"]:
        assert f'href="submissions/{name}/report.html"' in page
    assert "graded alice: 11/11" in klass["run"].stderr  # the progress, one line per submission off a terminal


def test_scores_and_messages_per_kind_of_submission(klass):
    res = klass["results"]
    assert res["alice"]["score"] == 11
    assert res["carol"]["score"] == 11, checks(res["carol"])  # the notebook, its training cell left out
    assert any("left out" in p for p in res["carol"]["problems"])
    bob = checks(res["bob"])
    assert bob["criterion_sum"]["status"] == "failed" and "reduction='sum'" in bob["criterion_sum"]["message"]
    assert bob["output_shape"]["status"] == "passed"
    assert res["dave"]["score"] == 0 and "dave.ipynb cannot be read" in res["dave"]["problems"][0]
    assert all(c["status"] == "error" and "cannot be read" in c["message"] for c in checks(res["dave"]).values())
    assert res["erin"]["score"] == 0 and "is empty" in res["erin"]["problems"][0]
    frank = checks(res["frank"])   # hangs in train(): only the checks that train time out
    assert frank["loss_history"]["status"] == "timed_out"
    assert frank["output_shape"]["status"] == "passed" and frank["criterion_sum"]["status"] == "passed"
    grace = checks(res["grace"])   # the worker dies importing: errors (then the time is up), never passes
    assert all(c["status"] in ("error", "timed_out") for c in grace.values()), grace
    assert "exited with status 3" in grace["output_shape"]["message"]
    report = (klass["out"] / "submissions" / "dave" / "report.html").read_text()
    assert "cannot be read" in report and 'id="score">0 / 11<' in report


def test_rerun_skips_what_is_done_and_regrades_what_changed(klass):
    out, subs = klass["out"], klass["subs"]
    stamp = {n: (out / "submissions" / n / "result.json").stat().st_mtime_ns for n in klass["results"]}
    paths = [str(subs / n) for n in klass["names"]]
    r = run_grader("grade", *paths, "--lecture", "lecture05", "--out", str(out), "--no-progress")
    assert r.returncode == 0 and "0 graded, 7 already graded" in r.stdout, r.stdout + r.stderr
    assert stamp == {n: (out / "submissions" / n / "result.json").stat().st_mtime_ns for n in klass["results"]}
    # erin hands in her work: only she is graded again
    shutil.copytree(SOLUTIONS / "lecture05", subs / "erin", dirs_exist_ok=True)
    r = run_grader("grade", *paths, "--lecture", "lecture05", "--out", str(out), "--no-progress")
    assert "1 graded, 6 already graded" in r.stdout, r.stdout + r.stderr
    assert json.loads((out / "submissions" / "erin" / "result.json").read_text())["score"] == 11
    assert "erin" in (out / "grades.csv").read_text()


def _job(name, task):
    def on_fail(status, message):
        return SubmissionResult(name, [closed_result(LEC, status, message)], problems=[message])
    return Job(id=name, task=task, on_fail=on_fail)


def test_a_grading_process_that_hangs_or_crashes_costs_only_its_submission(tmp_path):
    pid_file = tmp_path / "grandchild.pid"

    def hang():
        # like a worker: a child in its own session, which must die with its grading process
        p = subprocess.Popen(["sleep", "600"], start_new_session=True)
        pid_file.write_text(str(p.pid))
        time.sleep(600)

    def crash():
        os._exit(7)

    def fine():
        return SubmissionResult("fine", [closed_result(LEC, "skipped", "not graded in this test")])

    got = {}
    started = time.monotonic()
    Pool(jobs=2, timeout=3, scratch=tmp_path).run(
        [_job("hang", hang), _job("crash", crash), _job("fine", fine)], lambda res, job: got.setdefault(job.id, res))
    assert time.monotonic() - started < 30
    assert set(got) == {"hang", "crash", "fine"}
    assert all(c.status == "timed_out" for c in got["hang"].lectures[0].checks)
    assert "longer than 3 s" in got["hang"].problems[0]
    assert all(c.status == "error" for c in got["crash"].lectures[0].checks)
    assert "exited with status 7" in got["crash"].problems[0]
    assert all(c.status == "skipped" for c in got["fine"].lectures[0].checks)
    assert not running(int(pid_file.read_text()))  # the hung process's child was killed too, not left behind


def running(pid: int) -> bool:
    """Alive, not a zombie waiting for init to reap it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.2)
    return True


SCRIPT = """
import sys, time
from pathlib import Path
from grader.batch import closed_result, run_batch
from grader.course import load_lecture
from grader.results import SubmissionResult

def grade(path, lectures, *, device, timeout, name):
    import tempfile
    Path(tempfile.mkdtemp(prefix="grader-submission-"), "staged.py").write_text("x = 1")  # as staging does
    time.sleep(float(Path(path, "delay").read_text()))
    return SubmissionResult(name, [closed_result(lectures[0], "skipped", "fake grading")])

run_batch([Path(p) for p in sys.argv[2:]], [load_lecture("lecture05")], Path(sys.argv[1]), jobs=1,
          progress=False, grade=grade)
"""


def test_an_interrupted_batch_keeps_what_was_graded(tmp_path):
    subs = []
    for name, delay in (("quick", "0"), ("slow", "300")):
        subs.append(str(folder(tmp_path / name, {"delay": delay, "training.py": "x = 1\n"})))
    out = tmp_path / "out"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp)}
    # SIGINT as a terminal gives it: a suite started in the background by a non-interactive shell runs
    # with SIGINT ignored, which the batch would inherit (Python then installs no KeyboardInterrupt)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out), *subs], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    done = out / "submissions" / "quick" / "result.json"
    deadline = time.monotonic() + 120
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.exists()
    time.sleep(1)  # the slow one is being graded now
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # seen in full suites only: say what state the batch was in
        seen = []
        for stat in [Path(f"/proc/{proc.pid}/stat"), *Path("/proc").glob("[0-9]*/stat")]:
            try:
                fields = stat.read_text().rsplit(")", 1)[-1].split()
                if stat.parent.name != str(proc.pid) and fields[1:2] != [str(proc.pid)]:
                    continue
                status = (stat.parent / "status").read_text()
            except (OSError, IndexError):
                continue
            seen.append(f"{stat.parent.name}: " + " ".join(l for l in status.splitlines() if l.startswith(("State", "Sig"))))
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("the batch did not stop on SIGINT:\n" + "\n".join(seen) + "\n" + err[-3000:])
    assert json.loads(done.read_text())["submission"] == "quick"
    assert not (out / "submissions" / "slow").exists()
    assert not list(out.rglob("*.tmp"))
    # no staging or scratch folder is left behind, in the batch's folder or the system's
    assert sorted(p.name for p in out.iterdir()) == ["submissions"], list(out.iterdir())
    assert not list(tmp.iterdir()), list(tmp.iterdir())
    # the rerun picks up where it stopped
    (tmp_path / "slow" / "delay").write_text("0")
    subprocess.run([sys.executable, "-c", SCRIPT, str(out), *subs], env=env, cwd=tmp_path, check=True, timeout=120)
    assert (out / "submissions" / "slow" / "result.json").exists()
    assert json.loads(done.read_text())["submission"] == "quick"


def test_a_grading_process_computes_after_the_parent_used_torch_threads(tmp_path):
    """A forked grading process inherits the parent's OpenMP state; once the parent has run a parallel
    torch op (a test suite, a notebook that called grader.api.grade), a child entering OpenMP again
    hangs for good.  This is what made `verify` in the test suite wait out every pool time-out in
    CI: the grading processes must compute with their own single thread."""
    import torch
    torch.set_num_threads(2)
    a = torch.randn(2_000_000)
    a.exp().sum()  # a parallel region in this (the parent) process
    (torch.randn(500, 500) @ torch.randn(500, 500)).sum()

    def compute():
        y = torch.randn(2_000_000).exp().sum() + (torch.randn(500, 500) @ torch.randn(500, 500)).sum()
        assert torch.isfinite(y)
        return SubmissionResult("fine", [closed_result(LEC, "skipped", "computed")])

    got = {}
    Pool(jobs=1, timeout=30, scratch=tmp_path).run([_job("compute", compute)], lambda res, job: got.setdefault(job.id, res))
    assert [c.status for c in got["compute"].lectures[0].checks] == ["skipped"] * len(LEC.checks), got["compute"].problems
