"""The CUDA path: `--device cuda` trains and checks on the GPU where one is present, and says
clearly that it cannot where none is."""

import json

import pytest
import torch

from conftest import run_grader, submission

pytestmark = pytest.mark.grading

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


@needs_cuda
def test_lecture10_on_cuda_passes_with_model_and_outputs_on_the_gpu(workdir):
    submission(workdir, "lecture10")
    r = run_grader("check", "lecture10", "--device", "cuda", "--json", "r.json", cwd=workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    result = json.loads((workdir / "r.json").read_text())
    assert result["device"] == "cuda" and result["score"] == result["max_score"]


@needs_cuda
def test_auto_picks_cuda_when_present(workdir):
    submission(workdir, "lecture05")
    r = run_grader("check", "lecture05", "--json", "r.json", cwd=workdir)
    assert r.returncode == 0 and json.loads((workdir / "r.json").read_text())["device"] == "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_requested_without_a_gpu_is_a_usage_error(workdir):
    r = run_grader("check", "lecture05", "--device", "cuda", cwd=workdir)
    assert r.returncode == 2 and "CUDA is not available" in r.stderr


def test_auto_falls_back_to_cpu_without_a_gpu(workdir):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    submission(workdir, "lecture05")
    r = run_grader("check", "lecture05", "--json", "r.json", cwd=workdir)
    assert r.returncode == 0 and json.loads((workdir / "r.json").read_text())["device"] == "cpu"
