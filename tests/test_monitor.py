"""The watchdog's disk look (grader.sandbox.limits.Monitor): a cheap look is made on every poll, so a
reply that arrives right after the disk filled is judged with the breach seen (the adversarial case
fill_disk failed now and then when the look was skipped for being too soon after the last one)."""

from __future__ import annotations

import subprocess

import pytest

from grader.sandbox import Limits
from grader.sandbox.limits import LIVE_ROOTS, Monitor


@pytest.fixture
def sleeper():
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()
    LIVE_ROOTS.discard(proc.pid)


def _monitor(sleeper, tmp_path, usage):
    log = tmp_path / "output.log"
    log.write_bytes(b"")
    return Monitor(Limits(), sleeper.pid, log, disk_usage=lambda m: next(usage))


def test_a_cheap_disk_look_is_made_on_every_poll(sleeper, tmp_path):
    limits = Limits()
    m = _monitor(sleeper, tmp_path, iter([0, limits.disk_bytes]))
    assert m.poll(full=False) is None
    assert "wrote more than" in (m.poll(full=False) or "")  # at once, not a while later


def test_a_slow_disk_look_is_made_less_often(sleeper, tmp_path):
    import time

    def slow():
        for used in (0, Limits().disk_bytes):
            time.sleep(0.01)  # a walk over many files
            yield used
    m = _monitor(sleeper, tmp_path, slow())
    assert m.poll(full=False) is None
    assert m.poll(full=False) is None  # skipped: within 50 times the last look's cost
