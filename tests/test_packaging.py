"""A learner who pip-installs the package gets the stubs, templates and data, and no solutions."""

import subprocess
import sys
import zipfile


def test_wheel_has_course_files_and_no_solutions(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), "."], check=True, cwd=__import__("conftest").REPO, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("grader/cli.py", "grader/worker.py", "grader/templates/report.html.j2",
                   "grader/exercises/lecture05/training.py", "grader/exercises/lecture05/README.md",
                   "grader/lectures/lecture05.toml", "grader/checks/lecture05.py",
                   "grader/data/digits/MNIST/raw/train-images-idx3-ubyte"):
        assert needed in names, needed
    assert not any(n.startswith("solutions/") or "/solutions/" in n or "mutants" in n for n in names)
    stub = zipfile.ZipFile(wheel).read("grader/exercises/lecture05/training.py").decode()
    assert "BEGIN SOLUTION" not in stub and "NotImplementedError" in stub
