"""Shared test helpers: stream a signal through a processor in a given partition of buffer sizes."""

from typing import Callable, List

import pytest
import torch
from torch import Tensor, nn

StreamFn = Callable[[nn.Module, Tensor, List[int]], Tensor]


def _stream(module: nn.Module, x: Tensor, sizes: List[int]) -> Tensor:
    """Feed `x` (time last) in buffers of `sizes`, cycled until used up; an empty call first."""
    outputs = [module(x[..., :0])]
    begin = 0
    step = 0
    while begin < x.size(-1):
        size = sizes[step % len(sizes)]
        outputs.append(module(x[..., begin : begin + size]))
        begin += size
        step += 1
    return torch.cat(outputs, dim=-1)


def _script(module: nn.Module) -> torch.jit.ScriptModule:
    return torch.jit.script(module)


@pytest.fixture(scope="session")
def stream() -> StreamFn:
    """The `_stream` helper."""
    return _stream


@pytest.fixture(scope="session")
def script() -> Callable[[nn.Module], torch.jit.ScriptModule]:
    """Script a module with TorchScript."""
    return _script
