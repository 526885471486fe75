"""Replace torch's comparisons (allclose, equal, isclose, testing.assert_close, Tensor.__eq__),
hoping the grader compares with them in the same process."""

RETURNS = True


def attack(model, x):
    import torch
    torch.allclose = lambda *a, **k: True
    torch.equal = lambda *a, **k: True
    torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
    torch.testing.assert_close = lambda *a, **k: None
    torch.Tensor.__eq__ = lambda self, other: True
    return model.linear(x) * 0
