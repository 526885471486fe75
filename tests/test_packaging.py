"""A learner who pip-installs the package gets the stubs, templates and data, and no solutions."""

import subprocess
import sys
import zipfile

from conftest import EXERCISES, REPO
from grader.course import all_lectures
from grader.data import DATASETS
from grader.workspace import PACKAGE_DIR


def test_wheel_has_course_files_and_no_solutions(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), "."], check=True, cwd=REPO, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("grader/cli/__init__.py", "grader/sandbox/inside/worker.py", "grader/sandbox/inside/wire.py",
                   "grader/sandbox/inside/glue.py", "grader/templates/report.html.j2",
                   "grader/lectures/lecture05.toml", "grader/checks/lecture05.py",
                   "grader/locale/zh/LC_MESSAGES/grader.po", "grader/templates/notebook.html.j2"):
        assert needed in names, needed
    # every lecture's stubs and README, and every data set a lecture names (public and hidden split)
    for lecture in all_lectures():
        assert f"grader/lectures/{lecture.id}.toml" in names
        for stub in (EXERCISES / lecture.id).iterdir():
            assert f"grader/exercises/{lecture.id}/{stub.name}" in names, stub
    for name, (public, eval_dir) in DATASETS.items():
        for path in [*public.values(), *eval_dir.iterdir()]:
            rel = "grader/" + path.relative_to(PACKAGE_DIR).as_posix()
            assert rel in names, f"data set {name}: {rel} is not in the wheel"
    assert not any(n.startswith("solutions/") or "/solutions/" in n or "mutants" in n for n in names)
    stub = zipfile.ZipFile(wheel).read("grader/exercises/lecture05/training.py").decode()
    assert "BEGIN SOLUTION" not in stub and "NotImplementedError" in stub
