"""The grader's helpers that run in the worker, beside the learner's objects.

Checks call them by name (``learner.call("glue:parameter_count", model)``), as they call the
learner's own functions: they build what a check needs next to the learner's code (an optimizer
that records what it sees, a DataLoader over the public data, a seeded training run of the
learner's model) and hand back plain data.  Nothing here is secret: no expected value, no
evaluation label, no reference solution; the verdicts are made in the grader's process.

Standalone (standard library, torch, torchvision): the worker imports it from its own folder;
tests import it as ``grader.sandbox.inside.glue``.  ``resolve`` is set by the worker: it finds
a name in the learner's files as checks do (``resolve("Net")``).
"""

from __future__ import annotations

import torch


def resolve(name: str):  # replaced by the worker's own at start-up
    raise RuntimeError("glue.resolve is set by the worker")


def parameter_count(model) -> dict:
    """How many parameters the learner's model trains, and their names (checks compare the count)."""
    return {"count": sum(p.numel() for p in model.parameters()),
            "names": [name for name, _ in model.named_parameters()]}


class RecordingSGD(torch.optim.SGD):
    """An SGD that records the gradients it sees at each step.  With lr=0 the parameters never
    move, so on identical batches every step must see the same gradient; a missing zero_grad
    makes step k see (k+1) times it."""

    def __init__(self, params, lr=0.0):
        super().__init__(params, lr=lr)
        self.seen = []

    def step(self, closure=None):
        self.seen.append([None if p.grad is None else p.grad.detach().clone().cpu()
                          for group in self.param_groups for p in group["params"]])
        return super().step(closure)
