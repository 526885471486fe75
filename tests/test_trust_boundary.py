"""Learner code runs only in the worker; whatever it does, it never passes a check it did not
earn, and one crash or hang costs only the checks it touched."""

import os

import pytest

from grader.course import load_lecture
from grader.runner import run_lecture
from grader.sandbox import Limits

from conftest import SOLUTIONS, submission

pytestmark = pytest.mark.grading

LINEAR = (SOLUTIONS / "lecture05" / "linear_model.py").read_text()
TRAINING = (SOLUTIONS / "lecture05" / "training.py").read_text()


def grade(workdir, files, **limits):
    folder = submission(workdir, "lecture05", files)
    lim = Limits(**{"call_s": 20, "submission_s": 120, **limits})
    return {c.name: c for c in run_lecture(load_lecture("lecture05"), folder, limits=lim).checks}


def test_exit_inside_a_function_is_an_error_and_others_run(workdir):
    r = grade(workdir, {"training.py": TRAINING.replace('    return nn.MSELoss(reduction="sum")',
                                                         '    import sys; sys.exit(0)')})
    assert r["criterion_sum"].status == "error" and "exit" in r["criterion_sum"].message
    assert r["output_shape"].status == "passed"


def test_hard_exit_kills_only_the_checks_it_touched(workdir):
    r = grade(workdir, {"training.py": TRAINING.replace('    return nn.MSELoss(reduction="sum")',
                                                         '    import os; os._exit(0)')})
    assert r["criterion_sum"].status == "error" and "exited" in r["criterion_sum"].message
    assert r["optimizer_sgd"].status == "passed"   # a fresh worker took over
    assert r["predict_value"].status == "passed"


def test_exit_at_import_fails_everything_and_passes_nothing(workdir):
    r = grade(workdir, {"linear_model.py": "import os\nos._exit(0)\n" + LINEAR})
    assert all(c.status == "error" for c in r.values()), {n: c.status for n, c in r.items()}


def test_infinite_loop_times_out_from_outside(workdir):
    loop = TRAINING.replace('    return nn.MSELoss(reduction="sum")',
                            '    while True:\n        try:\n            pass\n        except BaseException:\n            pass')
    r = grade(workdir, {"training.py": loop}, call_s=3)
    assert r["criterion_sum"].status == "timed_out"
    assert "more than 3 s in make_criterion (training.py)" in r["criterion_sum"].message
    assert r["output_shape"].status == "passed"


def test_submission_time_limit_is_enforced(workdir):
    slow = TRAINING.replace('    return nn.MSELoss(reduction="sum")',
                            '    import time; time.sleep(30)')
    r = grade(workdir, {"training.py": slow}, call_s=30, submission_s=6)
    assert r["criterion_sum"].status == "timed_out"
    assert not any(c.status == "passed" for n, c in r.items() if n not in ("output_shape", "parameter_count"))


def test_lying_return_values_are_not_trusted(workdir):
    liar = TRAINING.replace('''    with torch.no_grad():
        return model(torch.tensor([[float(x)]])).item()''', '''    class Liar(float):
        def __eq__(self, other):
            return True
        def __float__(self):
            return 6.25
    class T(torch.Tensor):
        pass
    return Liar(0.0)''')
    r = grade(workdir, {"training.py": liar})
    assert r["predict_value"].status == "failed"


def test_tensor_subclass_is_stripped_to_its_values(workdir):
    sub = LINEAR.replace("return self.linear(x)", '''class Always(torch.Tensor):
            def __eq__(self, other):
                return True
        return (self.linear(x) + 5).as_subclass(Always)''')
    r = grade(workdir, {"linear_model.py": sub})
    assert r["output_shape"].status == "failed"


def test_monkeypatching_torch_in_the_worker_does_not_reach_the_grader(workdir):
    patched = "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n" + \
        LINEAR.replace("return self.linear(x)", "return self.linear(x) * 0")
    r = grade(workdir, {"linear_model.py": patched})
    assert r["output_shape"].status == "failed"


@pytest.mark.parametrize("setting, threads", [(None, 1), ("2", 2)])
def test_worker_computes_with_one_thread_unless_told(workdir, monkeypatch, setting, threads):
    """Small models on a busy machine: one intra-op thread by default; OMP_NUM_THREADS still rules."""
    from grader.sandbox.learner import Learner
    from grader.sandbox import start_worker
    if setting is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", setting)
    folder = submission(workdir, "lecture05")
    learner = Learner(lambda: start_worker(folder, ["linear_model", "training"], limits=Limits()),
                      call_s=20, submission_s=120)
    try:
        assert learner.call("torch.get_num_threads") == threads
    finally:
        learner.close()


def test_only_the_stubs_marker_means_not_attempted(workdir):
    """torch raises NotImplementedError too (an operator missing for a backend): that is an error in
    the learner's code, not an untouched stub."""
    r = grade(workdir, {"training.py": TRAINING.replace(
        '    return nn.MSELoss(reduction="sum")',
        '    raise NotImplementedError("Could not run \'aten::empty\' with arguments from the \'Meta\' backend")')})
    assert r["criterion_sum"].status == "error" and "Meta" in r["criterion_sum"].message
    assert r["output_shape"].status == "passed"


def test_pytest_plugins_of_the_environment_take_no_part_in_grading(workdir, tmp_path):
    """A package in the learner's environment that registers a pytest plugin (pytest-randomly, xdist,
    or one that rewrites outcomes) is neither imported nor run by the grading's pytest."""
    import subprocess
    import sys
    site = tmp_path / "site"
    (site / "outcome_rewriter-1.0.dist-info").mkdir(parents=True)
    (site / "outcome_rewriter-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: outcome-rewriter\nVersion: 1.0\n")
    (site / "outcome_rewriter-1.0.dist-info" / "entry_points.txt").write_text("[pytest11]\nrewriter = outcome_rewriter\n")
    marker = tmp_path / "imported"
    (site / "outcome_rewriter.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "def pytest_collection_modifyitems(items):\n    items[:] = items[:1]  # every other check vanishes\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}
    probe = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; "
                            "print([e.value for e in m.entry_points(group='pytest11')])"],
                           env=env, capture_output=True, text=True)
    assert "outcome_rewriter" in probe.stdout  # the plugin is visible to pytest's autoload here
    submission(workdir, "lecture01")
    proc = subprocess.run([sys.executable, "-m", "grader", "check", "lecture01", "--workdir", str(workdir), "-q"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert not marker.exists(), "the environment's pytest plugin was loaded"
    assert proc.returncode == 0 and "Score: 14/14" in proc.stdout, proc.stdout + proc.stderr
