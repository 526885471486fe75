"""What leaves the course: the student bundle (no solutions, no hidden checks, works on its own),
its GitHub Actions workflow, and the Gradescope autograder run as Gradescope runs it."""

import ast
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import pytest

from grader.stubs import BEGIN, END

from conftest import EXERCISES, REPO, SOLUTIONS, run_grader

pytestmark = pytest.mark.grading

HIDDEN = "converges_to_slide_values"


def solution_regions(lecture="lecture05"):
    """The reference code between BEGIN/END SOLUTION markers, each as its lines without indentation."""
    regions = []
    for path in (SOLUTIONS / lecture).glob("*.py"):
        inside = None
        for line in path.read_text().splitlines():
            if BEGIN.match(line):
                inside = []
            elif END.match(line):
                regions.append([x.strip() for x in inside if x.strip()])
                inside = None
            elif inside is not None:
                inside.append(line)
    assert regions
    return regions


def text_files(root):
    for p in root.rglob("*"):
        if p.is_file():
            try:
                yield p, p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # data files


def assert_no_solution_code(bundle):
    """No reference block anywhere; a one-line region (e.g. `return self.linear(x)`, which the checks' own
    glue code also writes) in no stub and in no file the release wrote that the course does not hold so."""
    regions = solution_regions()
    whole = [p.read_text().strip() for p in (SOLUTIONS / "lecture05").glob("*.py")]
    for path, text in text_files(bundle):
        rel = path.relative_to(bundle)
        course_twin = REPO / rel if rel.parts[0] != "exercises" else None
        twin_lines = ({x.strip() for x in course_twin.read_text().splitlines()}
                      if course_twin is not None and course_twin.is_file() else set())
        lines = [x.strip() for x in text.splitlines()]
        joined = "\n".join(lines)
        assert not any(w in text for w in whole), f"{rel}: holds a whole solution file"
        for region in regions:
            if len(region) == 1:
                assert region[0] not in lines or region[0] in twin_lines, f"{rel}: holds the solution line {region[0]!r}"
            else:
                assert "\n".join(region) not in joined, f"{rel}: holds a solution block"
    assert not [p for p in bundle.rglob("*") if "solutions" in p.relative_to(bundle).parts]


def test_release_bundle_of_the_course(tmp_path):
    bundle = tmp_path / "bundle"
    r = run_grader("release", "lecture05", "--out", str(bundle))
    assert r.returncode == 0, r.stderr
    assert "8 public checks, 0 hidden" in r.stdout
    assert_no_solution_code(bundle)
    leaky = tmp_path / "leaky"   # the detector detects: a bundle with one filled-in function fails it
    shutil.copytree(bundle, leaky)
    stub = leaky / "exercises" / "lecture05" / "training.py"
    stub.write_text(stub.read_text().replace(
        '    # TODO: your code here\n    raise NotImplementedError("lecture05/training.py: fill in make_optimizer")',
        "    return torch.optim.SGD(model.parameters(), lr=lr)"))
    with pytest.raises(AssertionError, match="solution line"):
        assert_no_solution_code(leaky)
    assert {p.name for p in (bundle / "exercises").iterdir()} == {"lecture05"}
    for stub in (EXERCISES / "lecture05").iterdir():
        assert (bundle / "exercises" / "lecture05" / stub.name).read_text() == stub.read_text()
    assert sorted(p.name for p in (bundle / "grader" / "lectures").iterdir()) == ["lecture05.toml"]
    assert not [p for p in (bundle / "grader" / "checks").glob("lecture*.py") if p.stem != "lecture05"]
    assert not (bundle / "grader" / "data" / "digits").exists()  # lecture05 uses no data set: none ships
    manifest = json.loads((bundle / "RELEASE.json").read_text())
    assert manifest["lectures"] == ["lecture05"] and "grader/checks/lecture05.py" in manifest["files"]
    assert (bundle / ".github" / "workflows" / "grader.yml").is_file()
    assert "python -m grader check lecture05" in (bundle / "README.md").read_text()
    # never over an existing folder, unless it is an earlier release and --force is given
    assert run_grader("release", "lecture05", "--out", str(bundle)).returncode == 2
    assert run_grader("release", "lecture05", "--out", str(bundle), "--force").returncode == 0
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    r = run_grader("release", "lecture05", "--out", str(tmp_path / "mine"), "--force")
    assert r.returncode == 2 and "RELEASE.json" in r.stderr and (tmp_path / "mine" / "thesis.tex").exists()


@pytest.fixture(scope="module")
def course_with_a_hidden_check(tmp_path_factory):
    """A copy of the course where lecture05's `converges_to_slide_values` is marked hidden."""
    course = tmp_path_factory.mktemp("course")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "grader", course / "grader", ignore=ignore)
    shutil.copytree(REPO / "templates", course / "templates")
    shutil.copytree(REPO / "docs", course / "docs")
    shutil.copytree(EXERCISES / "lecture05", course / "exercises" / "lecture05")
    shutil.copytree(SOLUTIONS / "lecture05", course / "solutions" / "lecture05", ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", course)
    toml = course / "grader" / "lectures" / "lecture05.toml"
    text = toml.read_text()
    assert text.count(f'name = "{HIDDEN}"\n') == 1
    toml.write_text(text.replace(f'name = "{HIDDEN}"\n', f'name = "{HIDDEN}"\nhidden = true\n'))
    # a hidden check lives in checks/hidden/: move its function there, importing what it uses
    public = course / "grader" / "checks" / "lecture05.py"
    source = public.read_text()
    (func,) = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == f"test_{HIDDEN}"]
    lines = source.splitlines(keepends=True)
    body = "".join(lines[func.lineno - 1:func.end_lineno])
    public.write_text("".join(lines[:func.lineno - 1] + lines[func.end_lineno:]))
    used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}
    names = sorted(n for n in used if re.search(rf"^(def |class )?{re.escape(n)}\b", source, re.M))
    hidden = course / "grader" / "checks" / "hidden" / "lecture05.py"
    hidden.parent.mkdir()
    hidden.write_text(f'"""Hidden checks of lecture 05."""\n\nfrom grader.checks.api import expect_near\n'
                      f"from grader.checks.lecture05 import {', '.join(names)}\n\n\n" + body)
    return course


def in_tree(root, *args, env=None, **kw):
    """Run `python -m grader` from `root`'s own copy of the package (not the installed one)."""
    env = {**os.environ, "PYTHONPATH": str(root), **(env or {})}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600, **kw)


def test_hidden_check_is_left_out_and_the_workflow_grades_in_the_bundle(course_with_a_hidden_check, tmp_path):
    course = course_with_a_hidden_check
    bundle = tmp_path / "bundle"
    r = in_tree(course, "release", "lecture05", "--out", str(bundle))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "7 public checks, 1 hidden check(s) left out" in r.stdout
    module = (bundle / "grader" / "checks" / "lecture05.py").read_text()
    assert f"def test_{HIDDEN}" not in module and "from several seeds" not in module
    compile(module, "lecture05.py", "exec")
    assert HIDDEN not in (bundle / "grader" / "lectures" / "lecture05.toml").read_text()
    assert "hidden" not in (bundle / "grader" / "lectures" / "lecture05.toml").read_text()
    for path, text in text_files(bundle):
        assert HIDDEN not in text, path
    assert_no_solution_code(bundle)
    # the learner's copy runs by itself: the bundle's package, not the course's or the installed one
    env = {**os.environ, "PYTHONPATH": str(bundle)}
    where = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], cwd=bundle, env=env,
                           capture_output=True, text=True).stdout
    assert where.startswith(str(bundle)), where
    for src in (SOLUTIONS / "lecture05").glob("*.py"):
        shutil.copy(src, bundle / "exercises" / "lecture05" / src.name)
    # the workflow's own grading step, as GitHub runs it (bash, $GITHUB_STEP_SUMMARY set)
    workflow = (bundle / ".github" / "workflows" / "grader.yml").read_text()
    (step,) = re.findall(r"^\s+run: (python -m grader check .*)$", workflow, re.M)
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    r = subprocess.run(["bash", "-c", step], cwd=bundle, capture_output=True, text=True, timeout=600,
                       env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 0, r.stdout + r.stderr
    md = summary.read_text()
    assert md.startswith("earlier step\n") and "## grader: 9/9 points" in md  # appended, hidden check absent
    junit = ET.parse(bundle / "reports" / "junit.xml").getroot()
    names = [c.get("name") for c in junit.iter("testcase")]
    assert len(names) == 7 and HIDDEN not in names and junit.get("failures") == "0"
    result = json.loads((bundle / "reports" / "result.json").read_text())
    assert result["score"] == 9 and [r["lecture"] for r in result["lectures"]] == ["lecture05"]
    assert "9 / 9" in (bundle / "reports" / "report.html").read_text()


def test_gradescope_autograder_runs_as_gradescope_runs_it(tmp_path):
    zpath = tmp_path / "autograder.zip"
    r = run_grader("gradescope", "lecture05", "--out", str(zpath))
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(zpath) as zf:
        names = zf.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        root = tmp_path / "autograder"
        zf.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "grader/checks/lecture05.py", "grader/lectures/lecture05.toml"} <= set(names)
    assert modes["run_autograder"] == 0o755 and modes["setup.sh"] == 0o755
    assert not [n for n in names if "solutions" in n or re.search(r"checks/lecture(?!05)\d\d\.py", n)]
    setup = (root / "source" / "setup.sh").read_text()
    assert "download.pytorch.org/whl/cpu torch==" in setup
    assert subprocess.run(["bash", "-n", str(root / "source" / "setup.sh")]).returncode == 0
    # Gradescope's layout: the learner's files in submission/, results/ to be written
    (root / "submission").mkdir()
    for src in (SOLUTIONS / "lecture05").glob("*.py"):
        text = src.read_text().replace('nn.MSELoss(reduction="sum")', "nn.MSELoss()")
        (root / "submission" / src.name).write_text(text)
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    r = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    tests = {t["name"]: t for t in results["tests"]}
    assert len(tests) == 8 and results["score"] == 8   # the mean loss: wrong criterion, and no convergence
    assert tests["criterion_sum"]["status"] == "failed" and tests["criterion_sum"]["score"] == 0
    assert tests["converges_to_slide_values"]["status"] == "failed"
    assert "reduction='sum'" in tests["criterion_sum"]["output"]
    assert tests["output_shape"]["status"] == "passed" and tests["output_shape"]["max_score"] == 1
    assert all(t["visibility"] == "visible" for t in tests.values())
    # fail closed: an autograder that cannot even start still leaves a zero and a reason
    env["GRADER_PYTHON"] = "/bin/false"
    r = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root, env=env, capture_output=True,
                       text=True, timeout=60)
    broken = json.loads((root / "results" / "results.json").read_text())
    assert r.returncode == 0 and broken["score"] == 0 and "not a verdict on your code" in broken["output"]
    assert os.stat(zpath).st_mode & stat.S_IRUSR
