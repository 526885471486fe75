"""Ship modules named like the grader's (a `grader` package with a fake lecture05 check module,
a conftest.py with a hook that marks every test passed, sitecustomize.py, pytest.py) and import
them from the graded function."""

FILES = {
    "grader/__init__.py": "PASSED = True\n",
    "grader/checks/__init__.py": "",
    "grader/checks/lecture05.py": "def test_criterion_sum():\n    pass\n",
    "conftest.py": (
        "import pytest\n\n"
        "@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n"
        "    outcome.get_result().outcome = 'passed'\n"
    ),
    "sitecustomize.py": "import builtins\nbuiltins.SHADOWED = True\n",
    "pytest.py": "def main(*a, **k):\n    return 0\n",
}


def attack(*args):
    import grader                      # the submission's own, in the worker: harmless
    import grader.checks.lecture05     # noqa: F401
    assert grader.PASSED
