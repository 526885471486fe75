"""The course proves itself, lecture by lecture: `grader verify` (solutions pass every check,
untouched stubs are "not attempted", every mutant is caught by a check that names the mistake,
and every check is seen failing on some mutant)."""

import pytest

from grader.course import lecture_ids, load_lecture
from grader.verify import verify

pytestmark = [pytest.mark.grading, pytest.mark.slow]


@pytest.mark.parametrize("lecture_id", lecture_ids())
def test_lecture_proves_itself(lecture_id):
    (verdict,) = verify([load_lecture(lecture_id)], jobs=2)
    problems = [f"{f.what}: {f.detail}" for f in verdict.findings if not f.ok]
    assert verdict.ok, "\n".join(problems)
