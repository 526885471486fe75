"""Calls run side by side (``Learner.prefetch``, the worker's ``op_map``, the checks' ``glue_side_by_side``):
a check's trainings on several seeds run at once in forked copies of the worker, and each later identical
call gets its reply without running again.  Nothing but the wall time may differ from calling one by one:
values, errors, exits, time-outs and figures are each those of the call they belong to."""

from __future__ import annotations

import time

import pytest

from grader.sandbox import Limits
from grader.sandbox.learner import Learner, LearnerError, TimedOut
from grader.sandbox.process import start_worker

pytestmark = pytest.mark.grading

CODE = '''import os, time

def where(seed):
    """The process that ran the call, and a value that depends on the seed only."""
    return {"pid": os.getpid(), "value": seed * 10}

def busy(seed):
    time.sleep(0.8)
    return seed

def fails(seed):
    if seed == 2:
        raise ValueError(f"seed {seed} is wrong")
    if seed == 3:
        os._exit(7)
    if seed == 4:
        time.sleep(60)
    return seed

def model(seed):
    import torch
    return torch.nn.Linear(2, 2)

def draws(seed):
    import matplotlib.pyplot as plt
    plt.plot([seed, seed + 1])
    plt.show()
    return seed
'''


@pytest.fixture
def learner(tmp_path):
    (tmp_path / "probe.py").write_text(CODE)
    exchanges: list[str] = []
    made = Learner(lambda: start_worker(tmp_path, ["probe"], limits=Limits(call_s=5)), call_s=5, submission_s=120)
    original = made._exchange

    def counted(req, **kwargs):
        exchanges.append(req["op"])
        return original(req, **kwargs)
    made._exchange = counted
    made.exchanges = exchanges
    yield made
    made.close()


def test_each_call_gets_its_own_reply_from_a_forked_copy(learner):
    worker = learner.call("probe.where", 0)["pid"]
    learner.prefetch("probe.where", [(1,), (2,), (3,)])
    before = len(learner.exchanges)
    got = [learner.call("probe.where", seed) for seed in (1, 2, 3)]
    assert len(learner.exchanges) == before, "a prefetched call went to the worker again"
    assert [g["value"] for g in got] == [10, 20, 30]
    assert len({g["pid"] for g in got} | {worker}) == 4, "the calls did not run in copies of the worker"
    assert learner.call("probe.where", 1)["pid"] == worker, "a reply was used twice"


def test_they_run_at_the_same_time(learner):
    learner.call("probe.busy", 0)  # the worker is up
    start = time.monotonic()
    learner.prefetch("probe.busy", [(1,), (2,), (3,)])
    took = time.monotonic() - start
    assert [learner.call("probe.busy", s) for s in (1, 2, 3)] == [1, 2, 3]
    assert took < 3 * 0.8 - 0.5, f"three sleeps of 0.8 s took {took:.2f} s"


def test_errors_exits_and_time_outs_stay_with_their_call(learner):
    learner.prefetch("probe.fails", [(1,), (2,), (3,), (4,)], timeout=2)
    assert learner.call("probe.fails", 1, timeout=2) == 1
    with pytest.raises(LearnerError, match="seed 2 is wrong") as raised:
        learner.call("probe.fails", 2, timeout=2)
    assert raised.value.exc_type == "ValueError" and "probe.py" in raised.value.traceback
    with pytest.raises(LearnerError, match="ended without an answer") as exited:
        learner.call("probe.fails", 3, timeout=2)
    assert exited.value.exited
    with pytest.raises(TimedOut):
        learner.call("probe.fails", 4, timeout=2)
    start = time.monotonic()
    with pytest.raises(TimedOut):  # the same place again: at once, as after a call that timed out
        learner.call("probe.fails", 5, timeout=2)
    assert time.monotonic() - start < 1


def test_what_cannot_cross_is_said_and_figures_arrive(learner):
    learner.prefetch("probe.model", [(1,), (2,)])
    with pytest.raises(LearnerError, match="cannot be sent back from a call run side by side"):
        learner.call("probe.model", 1)
    learner.release()
    learner.prefetch("probe.draws", [(1,), (2,)])
    assert [learner.call("probe.draws", s) for s in (1, 2)] == [1, 2]
    assert learner.figures, "the figures drawn in the copies were lost"


def test_release_forgets_what_was_prefetched(learner):
    learner.prefetch("probe.where", [(1,), (2,)])
    learner.release()
    before = len(learner.exchanges)
    learner.call("probe.where", 1)
    assert len(learner.exchanges) == before + 1
