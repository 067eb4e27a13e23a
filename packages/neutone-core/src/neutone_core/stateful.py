"""`StatefulModule`: how a module says it keeps state between calls, so the adapters reset it.

A module is stateful when its output depends on earlier calls: a filter's memory, a delay line, a
convolution's cache of past samples, a recurrent hidden state, an overlap-add buffer. Such a module
subclasses `StatefulModule` (instead of ``nn.Module``, or before another module base such as
``nn.Conv1d``) and overrides ``reset()`` to put every piece of that state back as it was right after
construction. The adapters' ``reset()`` calls it on every `StatefulModule` inside the model, then
the model's own ``reset_model()``: a wrapper need not reset its helpers itself. A module that does
not subclass it is never touched, whatever methods it has.

TorchScript: ``ModelDescription.reset_stateful_modules``, which the adapters' ``reset()`` call,
walks ``self.modules()``, which TorchScript unrolls when it compiles the adapter, and keeps the
modules for which ``hasattr(m, "is_stateful_module")`` holds, which it also decides then. The
scripted reset calls exactly those modules' ``reset()``, with no lookup left at run time; the
audio path (``forward``) is not changed.

Example:
    >>> import torch
    >>> from neutone_core.description import ModelDescription
    >>> class Accumulator(StatefulModule):
    ...     def __init__(self) -> None:
    ...         super().__init__()
    ...         self.total = torch.zeros(1)
    ...     def forward(self, x: torch.Tensor) -> torch.Tensor:
    ...         self.total = self.total + x.sum()
    ...         return self.total
    ...     def reset(self) -> None:
    ...         self.total = torch.zeros(1)
    >>> wrapper = ModelDescription(torch.nn.Sequential(Accumulator()))
    >>> wrapper.model(torch.ones(3)).item(), wrapper.model(torch.ones(2)).item()
    (3.0, 5.0)
    >>> wrapper.reset_stateful_modules()
    >>> wrapper.model(torch.ones(2)).item()
    2.0
"""

from torch import nn


class StatefulModule(nn.Module):
    """Base of a module whose output depends on earlier calls; the adapters reset it for you.

    Override ``reset()``: after it, the module computes exactly what a freshly constructed one
    would. Its marker, ``is_stateful_module``, is what the adapters look for; do not remove it.
    """

    def reset(self) -> None:
        """Put every piece of state back to its value right after construction."""
        raise NotImplementedError(f"{type(self).__name__} must override reset() -> None")

    def is_stateful_module(self) -> bool:
        """Marker: the adapters' ``reset()`` resets every module that has it (see the module)."""
        return True
