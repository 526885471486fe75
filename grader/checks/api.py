"""What check modules import, and all they import from the grader: ``from grader.checks.api import ...``.

* the vocabulary of ``grader.checks.common``: failing (``fail``, ``CheckFailed``, ``Mistake``),
  expectations on what came back (``expect_*``), verdicts (``judge_*``), inputs made here, and
  ``glue``, the call of a worker-side helper of ``grader/sandbox/inside/glue.py`` by name;
* from ``grader.sandbox.learner``: ``Handle`` (an object that stays in the worker) and the outcomes
  a check may look at (``LearnerError``, ``NotAttempted``);
* from ``grader.data``: the shipped data, read here (``read_idx``, ``read_csv_table``, ``read_names``,
  ``public_files``, ``DATA_DIR``) and where the worker finds its public part (``WORKER_DATA_ROOT``).

A check module may also declare ``MISTAKES = [(pattern, hint), ...]``: the errors its learner code
typically raises, consulted before the shared table of ``grader.diagnose``; a learner error it
recognises is a failure that names the mistake.
"""

from ..i18n import N_, _
from ..data import DATA_DIR, WORKER_DATA_ROOT, public_files, read_csv_table, read_idx, read_names
from ..sandbox.learner import Handle, LearnerError, NotAttempted
from .common import (CheckFailed, HandAdam, Mistake, describe, expect_class_scores, expect_close, expect_close_or_mistake,
                     expect_count, expect_device, expect_dtype, expect_history, expect_line_training, expect_list,
                     expect_modes, expect_near, expect_number, expect_parameter_count, expect_probabilities,
                     expect_shape, expect_state, expect_tensor, expect_trains_in_train_mode, expect_zero_grad_each_step, fail,
                     fail_mistake,
                     first_pixel_batches, fix_of, glue, glue_side_by_side, judge_accuracy, judge_fraction_correct, judge_mean_loss, judge_modes,
                     judge_zero_grad, line_model_outputs, predict_classes, randint, randn, reject_probabilities,
                     seeded_state, shapes_of, simulate_line_sgd, weight_and_bias, weight_and_bias_in)

__all__ = [
    # messages in the learner's language (gettext): _("text {x}").format(x=...); N_ marks a table's text
    "_", "N_",
    # failing
    "CheckFailed", "Mistake", "fail", "fail_mistake", "fix_of", "describe",
    # expectations on what came back
    "expect_close", "expect_close_or_mistake", "expect_count", "expect_device", "expect_dtype", "expect_history",
    "expect_list", "expect_modes", "expect_near", "expect_number", "expect_probabilities", "expect_shape",
    "expect_state", "expect_tensor", "reject_probabilities", "shapes_of",
    # the learner's objects at work, in the worker
    "first_pixel_batches", "glue", "glue_side_by_side", "expect_class_scores", "expect_line_training", "expect_parameter_count", "expect_trains_in_train_mode",
    "expect_zero_grad_each_step",
    "line_model_outputs", "weight_and_bias", "weight_and_bias_in",
    # verdicts
    "judge_accuracy", "judge_fraction_correct", "judge_mean_loss", "judge_modes", "judge_zero_grad",
    "predict_classes",
    # inputs and references made here
    "HandAdam", "randint", "randn", "seeded_state", "simulate_line_sgd",
    # from the sandbox and the data
    "Handle", "LearnerError", "NotAttempted", "DATA_DIR", "WORKER_DATA_ROOT", "public_files", "read_csv_table",
    "read_idx", "read_names",
]
