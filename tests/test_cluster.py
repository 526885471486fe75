"""Grading a class on a Dask cluster (`grader grade --cluster`): a real `dask scheduler` and real
`dask worker` processes on 127.0.0.1, no mocks.

The same grades as the local pool; a worker killed mid-batch loses and doubles nothing; a worker
with another version of the course refuses; a scheduler that is not there is a clear error; a
`--device cuda` submission goes only to a worker that advertises the GPU resource."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from conftest import REPO, SOLUTIONS, run_grader  # noqa: E402

pytestmark = pytest.mark.grading

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
SOL = {p.name: p.read_text() for p in (SOLUTIONS / "lecture05").glob("*.py")}


def _env(pythonpath: Path = REPO, **extra: str) -> dict:
    """The processes import the grader of `pythonpath` (this checkout unless a test says otherwise)."""
    return dict(os.environ, PYTHONPATH=str(pythonpath), OMP_NUM_THREADS="1", **extra)


class Cluster:
    """A scheduler and workers started here, each in its own process group, stopped by their own pids."""

    def __init__(self, root: Path, pythonpath: Path = REPO):
        self.root, self.pythonpath, self.procs = root, pythonpath, {}
        root.mkdir(parents=True, exist_ok=True)
        self.file = root / "scheduler.json"
        self._start("scheduler", [*DASK, "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(self.file)])
        deadline = time.monotonic() + 60
        while not self.file.is_file():
            assert time.monotonic() < deadline and self.procs["scheduler"].poll() is None, self.log("scheduler")
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]

    def _start(self, name: str, cmd: list[str], pythonpath: Path | None = None,
               env: dict | None = None) -> subprocess.Popen:
        with open(self.root / f"{name}.log", "wb") as log:
            p = subprocess.Popen(cmd, cwd=self.root, env=_env(pythonpath or self.pythonpath, **(env or {})), stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = p
        return p

    def worker(self, name: str, *extra: str, pythonpath: Path | None = None,
               env: dict | None = None) -> subprocess.Popen:
        """A worker of one thread; returns once the scheduler knows it."""
        p = self._start(name, [*WORKER, self.address, "--name", name, "--nthreads", "1", "--no-dashboard",
                               "--host", "127.0.0.1", *extra], pythonpath, env)
        deadline = time.monotonic() + 90
        while name not in self.worker_names():
            assert time.monotonic() < deadline and p.poll() is None, self.log(name)
            time.sleep(0.3)
        return p

    def worker_names(self) -> dict[str, str]:
        with self.client() as c:
            return {w["name"]: addr for addr, w in c.scheduler_info(n_workers=-1)["workers"].items()}

    def client(self):
        return distributed.Client(self.address, timeout=20, set_as_default=False)

    def kill(self, name: str) -> None:
        """SIGKILL to the process group of one process started here (the nanny, its worker, their children)."""
        p = self.procs.pop(name)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(30)

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        for name in [n for n in self.procs if n != "scheduler"] + ["scheduler"]:
            p = self.procs.get(name)
            if p is None:
                continue
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(15)
                except ProcessLookupError:
                    pass
            self.procs.pop(name, None)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two one-thread workers; w2 advertises the resource GPU=1 (there is no GPU)."""
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.worker("w1")
        c.worker("w2", "--resources", "GPU=1")
        yield c
    finally:
        c.stop()


def folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def make_class(root: Path) -> list[Path]:
    """alice (a folder: the reference), bob (a zip: a bug), erin (empty)."""
    folder(root / "alice" / "exercises" / "lecture05", SOL)
    bob = folder(root / "bob-src", {**SOL, "training.py": SOL["training.py"].replace(
        'nn.MSELoss(reduction="sum")', "nn.MSELoss()")})
    with zipfile.ZipFile(root / "bob.zip", "w") as zf:
        for p in bob.iterdir():
            zf.write(p, f"bob/{p.name}")
    (root / "erin").mkdir()
    return [root / "alice", root / "bob.zip", root / "erin"]


def without_times(value):
    """A result with its timings left out: what must be the same wherever it was graded."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k not in ("duration_s", "execution_time")}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def test_a_class_graded_on_the_cluster_gets_the_local_pools_grades(cluster, tmp_path):
    subs = make_class(tmp_path / "class")
    local, remote = tmp_path / "local", tmp_path / "remote"
    r = run_grader("grade", *map(str, subs), "--lecture", "5", "--out", str(local), "--jobs", "2", timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_grader("grade", *map(str, subs), "--lecture", "5", "--out", str(remote), "--cluster", str(cluster.file),
                   timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 graded, 0 already graded" in r.stdout
    for name in ("alice", "bob", "erin"):
        assert f"graded {name}: " in r.stderr  # progress, as locally
    assert (remote / "grades.csv").read_bytes() == (local / "grades.csv").read_bytes()
    scores = {}
    for name in ("alice", "bob", "erin"):
        mine, theirs = (json.loads((o / "submissions" / name / "result.json").read_text()) for o in (local, remote))
        assert without_times(theirs) == without_times(mine), name
        assert (remote / "submissions" / name / "report.html").is_file()
        scores[name] = theirs["score"]
    assert scores == {"alice": 11, "bob": scores["bob"], "erin": 0} and 0 < scores["bob"] < 11
    # a rerun skips what is graded, without a task
    r = run_grader("grade", *map(str, subs), "--lecture", "5", "--out", str(remote), "--cluster", cluster.address,
                   "--no-progress", timeout=300)
    assert r.returncode == 0 and "0 graded, 3 already graded" in r.stdout, r.stdout + r.stderr


def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(cluster, tmp_path):
    cluster.worker("w3")
    names = [f"s{i}" for i in range(4)]
    subs = [folder(tmp_path / "class" / n, SOL) for n in names]
    out = tmp_path / "out"
    grading = subprocess.Popen([sys.executable, "-m", "grader", "grade", *map(str, subs), "--lecture", "5", "--out",
                                str(out), "--cluster", cluster.address], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        w3 = cluster.worker_names()["w3"]
        deadline = time.monotonic() + 120
        with cluster.client() as c:
            def executing(dask_worker):
                return sorted(str(ts.key) for ts in dask_worker.state.executing)
            while not c.run(executing, workers=[w3])[w3]:  # w3 runs a task of the batch: kill w3 then
                assert time.monotonic() < deadline and grading.poll() is None, "w3 was never given a task"
                time.sleep(0.2)
            time.sleep(2.0)  # well into it (its grading helper starts, then grades for seconds)
            lost = c.run(executing, workers=[w3])[w3]
            cluster.kill("w3")
        assert lost, "the task on w3 ended before w3 was killed"
        stdout, stderr = grading.communicate(timeout=600)
    finally:
        if grading.poll() is None:
            grading.kill()
            grading.wait()
    assert grading.returncode == 0, stdout + stderr
    assert "4 graded, 0 already graded" in stdout, stdout + stderr
    for n in names:
        assert stderr.count(f"graded {n}: 11/11") == 1, stderr  # each written once
        assert json.loads((out / "submissions" / n / "result.json").read_text())["score"] == 11
    r = run_grader("grade", *map(str, subs), "--lecture", "5", "--out", str(out), "--cluster", cluster.address,
                   "--no-progress", timeout=300)
    assert r.returncode == 0 and "0 graded, 4 already graded" in r.stdout, r.stdout + r.stderr


@pytest.fixture(scope="module")
def other_course(tmp_path_factory):
    """A second cluster: its one worker (no GPU resource) imports a course whose lecture05 check differs."""
    root = tmp_path_factory.mktemp("other")
    shutil.copytree(REPO / "grader", root / "course" / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    check = root / "course" / "grader" / "checks" / "lecture05.py"
    check.write_text(check.read_text() + "\n# another version of the course\n")
    c = Cluster(root / "cluster")
    try:
        c.worker("old", pythonpath=root / "course")
        yield c
    finally:
        c.stop()


def test_a_worker_with_another_course_refuses_to_grade(other_course, tmp_path):
    sub = folder(tmp_path / "alice", SOL)
    out = tmp_path / "out"
    r = run_grader("grade", str(sub), "--lecture", "5", "--out", str(out), "--cluster", other_course.address,
                   "--no-progress", timeout=300)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "another version of the course" in r.stderr and "Traceback" not in r.stderr, r.stderr
    result = json.loads((out / "submissions" / "alice" / "result.json").read_text())
    assert result["score"] == 0 and "another version of the course" in result["problems"][0]
    assert all(lec["grader_error"] for lec in result["lectures"])  # not a grade: the next run grades it again
    assert {ch["status"] for lec in result["lectures"] for ch in lec["checks"]} == {"error"}


def test_cuda_without_a_gpu_worker_is_a_clear_error(other_course, tmp_path):
    sub = folder(tmp_path / "alice", SOL)
    r = run_grader("grade", str(sub), "--lecture", "5", "--out", str(tmp_path / "out"), "--cluster",
                   other_course.address, "--device", "cuda", timeout=300)
    assert r.returncode == 3 and "no worker of the cluster" in r.stderr and "GPU=1" in r.stderr, r.stderr


def test_a_worker_without_the_sandbox_refuses_unless_allowed(tmp_path):
    c = Cluster(tmp_path / "cluster")
    try:
        c.worker("plain", env={"GRADER_SANDBOX": "plain"})  # as on a node where bubblewrap cannot run
        sub = folder(tmp_path / "alice", SOL)
        out = tmp_path / "out"
        refused = run_grader("grade", str(sub), "--lecture", "5", "--out", str(out), "--cluster", c.address,
                             "--no-progress", timeout=300)
        allowed = run_grader("grade", str(sub), "--lecture", "5", "--out", str(out), "--cluster", c.address,
                             "--no-progress", "--allow-unsandboxed", timeout=300)
    finally:
        c.stop()
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "refused to grade" in refused.stderr and "needs the bubblewrap sandbox" in refused.stderr, refused.stderr
    # the refusal was not a grade: the next run (here allowed to grade unsandboxed) grades it
    assert allowed.returncode == 0 and "1 graded, 0 already graded" in allowed.stdout, allowed.stdout + allowed.stderr
    result = json.loads((out / "submissions" / "alice" / "result.json").read_text())
    assert result["score"] == 11 and any("sandbox: none" in n for n in result["lectures"][0]["notes"]), result


def test_a_scheduler_that_is_not_there_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nothing listens there
    sub = folder(tmp_path / "alice", SOL)
    r = run_grader("grade", str(sub), "--lecture", "5", "--out", str(tmp_path / "out"), "--cluster",
                   f"tcp://127.0.0.1:{port}", timeout=120)
    assert r.returncode == 3, r.stdout + r.stderr
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_cuda_submission_goes_only_to_a_worker_with_the_gpu_resource(cluster, tmp_path):
    from grader.cluster import submit
    from grader.course import load_lecture
    lec = load_lecture("lecture05")
    subs = [folder(tmp_path / f"s{i}", SOL) for i in range(3)]
    workers = cluster.worker_names()
    with cluster.client() as c:
        futures = [submit(c, p, p.name, "", [lec], device="cuda") for p in subs]
        answers = [json.loads(f.result(timeout=300)) for f in futures]
        where = c.who_has(futures)
    assert {addr for addrs in where.values() for addr in addrs} == {workers["w2"]}  # never w1, which has no GPU
    for answer in answers:  # w2 advertises a GPU it does not have: it refuses (a grader problem), never grades
        assert "CUDA is not available" in answer["refused"] and workers["w2"] in answer["refused"], answer
