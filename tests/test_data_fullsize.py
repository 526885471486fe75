"""Full-size data where it is installed: `grader check lecture10 --data fashion-mnist` trains and
evaluates on the real Fashion-MNIST (Debian's dataset-fashion-mnist, which .ci/run installs), and
without the files the option says how to get them.  The split into public and hidden files is
tested on a tiny hand-made source, so it runs everywhere."""

from __future__ import annotations

import dataclasses
import gzip
import json
import struct

import pytest

from grader.course import CourseError, load_lecture
from grader.data import DataUnavailable, fullsize, load_eval, public_files, read_idx
from grader.runner import run_lecture

from conftest import SOLUTIONS, run_grader, submission

FASHION = fullsize.source_dir(fullsize.FULL_SIZE["fashion-mnist"])
needs_fashion = pytest.mark.skipif(
    not all((FASHION / f"{s}-{k}.gz").is_file() or (FASHION / f"{s}-{k}").is_file()
            for s in fullsize.SPLITS for k in fullsize.KINDS),
    reason=f"Fashion-MNIST is not installed in {FASHION} (apt-get install dataset-fashion-mnist)")


def _idx(values: list[int], item_shape: tuple[int, ...]) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 8, 1 + len(item_shape)) + struct.pack(f">{1 + len(item_shape)}I",
                                                                              len(values), *item_shape)
    size = 1
    for d in item_shape:
        size *= d
    return header + b"".join(bytes([v % 256]) * size for v in values)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def tiny_source(tmp_path, monkeypatch):
    """A Fashion-MNIST look-alike: 6 training and 10 test items, each image filled with its label."""
    src = tmp_path / "src"
    src.mkdir()
    for split, labels in (("train", [1, 2, 3, 4, 5, 6]), ("t10k", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])):
        (src / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(labels, (28, 28))))
        (src / f"{split}-labels-idx1-ubyte").write_bytes(_idx(labels, ()))  # one uncompressed: both work
    monkeypatch.setenv("GRADER_FASHION_MNIST", str(src))
    return src


def test_split_keeps_the_hidden_half_from_the_worker(tiny_source, cache):
    files = public_files("fashion-mnist")
    assert sorted(p.split("/")[-1] for p in files) == sorted(
        f"{s}-{k}" for s in fullsize.SPLITS for k in fullsize.KINDS)
    assert all(p.startswith("data/FashionMNIST/raw/") for p in files)
    by_name = {p.split("/")[-1]: src for p, src in files.items()}
    # the public test split is the first half; the hidden evaluation split the other
    assert read_idx(by_name["t10k-labels-idx1-ubyte"]).tolist() == [0, 1, 2, 3, 4]
    assert read_idx(by_name["train-labels-idx1-ubyte"]).tolist() == [1, 2, 3, 4, 5, 6]
    load_eval.cache_clear()
    images, labels = load_eval("fashion-mnist")
    assert labels.tolist() == [5, 6, 7, 8, 9] and tuple(images.shape) == (5, 28, 28)
    assert images[:, 0, 0].tolist() == [5, 6, 7, 8, 9]
    eval_dir = fullsize.eval_folder("fashion-mnist")
    assert not any(eval_dir in src.parents for src in files.values())
    # prepared once: a second call reuses the cache
    stamp = (eval_dir / "labels-idx1-ubyte").stat().st_mtime_ns
    public_files("fashion-mnist")
    assert (eval_dir / "labels-idx1-ubyte").stat().st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == []  # no half-written folder left
    load_eval.cache_clear()


def test_torchvision_reads_the_prepared_files(tiny_source, cache):
    from torchvision import datasets
    root = fullsize.prepare("fashion-mnist")
    train = datasets.FashionMNIST(str(root), train=True, download=False)
    assert len(train) == 6 and train.targets.tolist() == [1, 2, 3, 4, 5, 6]


def test_missing_or_broken_files_are_named(tmp_path, cache, monkeypatch):
    monkeypatch.setenv("GRADER_FASHION_MNIST", str(tmp_path / "nowhere"))
    with pytest.raises(DataUnavailable, match="apt-get install dataset-fashion-mnist"):
        public_files("fashion-mnist")
    src = tmp_path / "broken"
    src.mkdir()
    for s in fullsize.SPLITS:
        for k in fullsize.KINDS:
            (src / f"{s}-{k}").write_bytes(b"\0\0\x08\x01\0\0\0\x09" + b"x" * 3)  # 9 promised, 3 there
    monkeypatch.setenv("GRADER_FASHION_MNIST", str(src))
    with pytest.raises(DataUnavailable, match="header promises"):
        public_files("fashion-mnist")


def test_variants_are_declared_and_validated():
    lec = load_lecture("lecture10")
    fm = lec.with_data("fashion-mnist")
    assert fm.data == ("fashion-mnist",) and fm.variant == "fashion-mnist"
    assert fm.thresholds["accuracy"] != lec.thresholds["accuracy"] and fm.submission_s >= lec.submission_s
    with pytest.raises(CourseError, match="data options: fashion-mnist"):
        lec.with_data("cifar")
    assert load_lecture("lecture11").with_data("fashion-mnist").thresholds["train_size"] == 20000
    with pytest.raises(CourseError, match="data options: none"):
        load_lecture("lecture05").with_data("fashion-mnist")


@pytest.mark.grading
def test_cli_data_errors_exit_2(workdir, tmp_path):
    submission(workdir, "lecture10")
    r = run_grader("check", "lecture10", "--data", "cifar", cwd=workdir)
    assert r.returncode == 2 and "data options: fashion-mnist" in r.stderr, r.stderr
    r = run_grader("check", "lecture05", "--data", "fashion-mnist", cwd=workdir)
    assert r.returncode == 2 and "cannot be checked with --data fashion-mnist" in r.stderr
    import os
    import subprocess
    import sys
    env = {**os.environ, "GRADER_FASHION_MNIST": str(tmp_path / "nowhere"), "GRADER_CACHE": str(tmp_path / "c")}
    r = subprocess.run([sys.executable, "-m", "grader", "check", "lecture10", "--data", "fashion-mnist"],
                       cwd=workdir, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "apt-get install dataset-fashion-mnist" in r.stderr, r.stderr


@needs_fashion
@pytest.mark.grading
@pytest.mark.slow
def test_reference_passes_on_fashion_mnist(workdir):
    submission(workdir, "lecture10")
    r = run_grader("check", "lecture10", "--data", "fashion-mnist", "--device", "cpu", "--json", "r.json",
                   cwd=workdir)
    result = json.loads((workdir / "r.json").read_text())
    assert r.returncode == 0, r.stdout + r.stderr
    assert any("fashion-mnist" in n for n in result["notes"])
    assert {c["name"]: c["status"] for c in result["checks"]}["trained_accuracy"] == "passed"


@needs_fashion
@pytest.mark.grading
@pytest.mark.slow
def test_missing_zero_grad_fails_on_fashion_mnist(workdir):
    train = (SOLUTIONS / "lecture10" / "train.py").read_text()
    assert train.count("        optimizer.zero_grad()\n") == 1
    folder = submission(workdir, "lecture10", {"train.py": train.replace("        optimizer.zero_grad()\n", "")})
    lecture = load_lecture("lecture10").with_data("fashion-mnist")
    # a sixth of the training set is plenty to see it fail (0.09 on the full set), and saves CI a minute
    lecture = dataclasses.replace(lecture, thresholds={**lecture.thresholds, "train_size": 10000})
    result = run_lecture(lecture, folder, select=["trained_accuracy"])
    (check,) = result.checks
    assert check.status == "failed", (check.status, check.message)
    assert "held-out fashion-mnist images" in check.message


@needs_fashion
@pytest.mark.grading
@pytest.mark.slow
def test_lecture11_reference_passes_on_fashion_mnist(workdir):
    folder = submission(workdir, "lecture11")
    result = run_lecture(load_lecture("lecture11").with_data("fashion-mnist"), folder, select=["residual_accuracy"])
    (check,) = result.checks
    assert check.status == "passed", (check.status, check.message)


def test_a_changed_cache_file_is_found_and_rebuilt(tiny_source, cache):
    """The cache is checked against the hashes stored when it was written: code that could write
    there (the plain fallback) cannot poison later gradings with other training data or labels."""
    first = public_files("fashion-mnist")
    labels = next(src for rel, src in first.items() if rel.endswith("train-labels-idx1-ubyte"))
    original = labels.read_bytes()
    folder = fullsize.prepare("fashion-mnist")
    hidden = folder / "eval" / "labels-idx1-ubyte"
    hidden_original = hidden.read_bytes()
    labels.write_bytes(original[:8] + bytes(len(original) - 8))     # every training label 0
    hidden.write_bytes(hidden_original[:8] + bytes(len(hidden_original) - 8))
    again = public_files("fashion-mnist")
    assert next(src for rel, src in again.items() if rel.endswith("train-labels-idx1-ubyte")).read_bytes() == original
    assert (fullsize.prepare("fashion-mnist") / "eval" / "labels-idx1-ubyte").read_bytes() == hidden_original
    assert not [p for p in cache.iterdir() if "damaged" in p.name]


def test_a_cache_marker_without_hashes_is_not_trusted(tiny_source, cache):
    folder = fullsize.prepare("fashion-mnist")
    (folder / "complete").write_text("")   # as written before hashes were kept, or by hand
    labels = folder / "eval" / "labels-idx1-ubyte"
    good = labels.read_bytes()
    labels.write_bytes(b"\0" * len(good))
    assert (fullsize.prepare("fashion-mnist") / "eval" / "labels-idx1-ubyte").read_bytes() == good
