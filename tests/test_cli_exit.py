"""The program's exit (``grader.cli.run`` / ``exit_now``): the interpreter's teardown is skipped (it cost
0.7 to 1.0 s of every ``grader check``; scripts/benchmark.py shows the ratio), and everything an
ordinary exit promises is still done.  Fast: plain subprocesses, no worker."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import grader

REPO = Path(__file__).resolve().parents[1]


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})


def test_exit_keeps_what_an_ordinary_exit_promises(tmp_path):
    """atexit handlers run, non-daemon threads and an executor's queued work finish, a temporary folder is
    removed, buffered output (a megabyte, more than a pipe holds) arrives whole, and the status is kept."""
    done = _python(f"""
        import atexit, concurrent.futures, sys, tempfile, threading, time
        from pathlib import Path
        from grader.cli import exit_now
        out = Path({str(tmp_path)!r})
        atexit.register(lambda: (out / "atexit").write_text("ran"))
        def later(name):
            time.sleep(0.3)
            (out / name).write_text("ran")
        threading.Thread(target=later, args=("thread",)).start()
        pool = concurrent.futures.ThreadPoolExecutor(1)
        pool.submit(later, "executor-1"); pool.submit(later, "executor-2")
        kept = tempfile.TemporaryDirectory(dir=out, prefix="scratch-")
        (out / "scratch-name").write_text(kept.name)
        sys.stdout.write("x" * 1_000_000 + "end")
        exit_now(3)
        """, tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stdout == "x" * 1_000_000 + "end"
    for name in ("atexit", "thread", "executor-1", "executor-2"):
        assert (tmp_path / name).read_text() == "ran", name
    assert not Path((tmp_path / "scratch-name").read_text()).exists()


def test_exit_skips_the_interpreters_teardown(tmp_path):
    """What makes it fast: objects still alive are not finalized one by one (this ``__del__`` runs in an
    ordinary exit, shown by the same script ending with sys.exit)."""
    code = """
        import sys
        from pathlib import Path
        from grader.cli import exit_now
        class Torn:
            def __del__(self):
                Path({out!r}, "torn-down").write_text("yes")
        held = Torn()
        {ending}(0)
        """
    ordinary = _python(code.format(out=str(tmp_path), ending="sys.exit"), tmp_path)
    assert ordinary.returncode == 0 and (tmp_path / "torn-down").exists()
    (tmp_path / "torn-down").unlink()
    fast = _python(code.format(out=str(tmp_path), ending="exit_now"), tmp_path)
    assert fast.returncode == 0, fast.stderr
    assert not (tmp_path / "torn-down").exists()


def test_exit_statuses_as_sys_exit_gives_them(tmp_path):
    for ending, status, stderr in (("None", 0, ""), ("'no such lecture'", 1, "no such lecture\n"), ("2", 2, ""),
                                   ("256 + 4", 4, "")):
        done = _python(f"from grader.cli import exit_now\nexit_now({ending})\n", tmp_path)
        assert (done.returncode, done.stderr) == (status, stderr), ending


def test_the_program_exits_through_run(tmp_path):
    """``python -m grader`` and the installed ``grader`` both end in ``run``: the version is printed and
    a usage error keeps click's status 2."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    version = subprocess.run([sys.executable, "-m", "grader", "--version"], capture_output=True, text=True, env=env,
                             timeout=120)
    assert (version.returncode, grader.__version__ in version.stdout) == (0, True), version.stderr
    wrong = subprocess.run([sys.executable, "-m", "grader", "no-such-command"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert wrong.returncode == 2 and "no-such-command" in wrong.stderr
    scripts = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'grader = "grader.cli:run"' in scripts
    assert (REPO / "grader" / "__main__.py").read_text(encoding="utf-8").count("run()") == 1
