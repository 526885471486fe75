"""Return a tensor subclass whose __eq__ always says True and whose every torch operation
(detach, clone, cpu, comparisons, shape queries) answers a lie."""

RETURNS = True


def attack(model, x):
    import torch

    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if func is torch.Tensor.__eq__ or getattr(func, "__name__", "") in ("eq", "allclose", "equal"):
                return True
            out = super().__torch_function__(func, types, args, kwargs or {})
            return out.as_subclass(Liar) if isinstance(out, torch.Tensor) else out

    return (model.linear(x) + 5).as_subclass(Liar)
