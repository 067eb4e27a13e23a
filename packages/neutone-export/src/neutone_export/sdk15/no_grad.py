"""Methods decorated with ``@torch.no_grad()`` made scriptable, for the Neutone SDK's RAVE examples.

TorchScript on torch 2.x compiles a method decorated with ``@torch.no_grad()`` from its source but
resolves its global names in the decorator's module (``torch.utils._contextlib``), so any use of
``torch.`` inside fails with "undefined value torch". The realtime adapter already runs the model
without autograd, so the decorator adds nothing there: `unwrap_no_grad_methods` removes it before
scripting.
"""

from typing import List

from torch import nn


def _is_no_grad_wrapper(attribute: object) -> bool:
    code = getattr(attribute, "__code__", None)
    return (
        callable(attribute)
        and hasattr(attribute, "__wrapped__")
        and code is not None
        and code.co_filename.endswith("_contextlib.py")
    )


def unwrap_no_grad_methods(model: nn.Module) -> List[str]:
    """Give `model` a subclass of its class without ``@torch.no_grad()`` on its methods.

    Only the instance changes class (the researcher's class is untouched); returns the names of
    the methods unwrapped, empty if none (then nothing changes).
    """
    cls = type(model)
    unwrapped = {
        name: getattr(cls, name).__wrapped__
        for name in dir(cls)
        if _is_no_grad_wrapper(getattr(cls, name, None))
    }
    if unwrapped:
        namespace = dict(unwrapped, __module__=cls.__module__, __qualname__=cls.__qualname__)
        model.__class__ = type(cls.__name__, (cls,), namespace)
    return sorted(unwrapped)
