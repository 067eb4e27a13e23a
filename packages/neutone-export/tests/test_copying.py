"""The checks' fresh copies: a deep copy (fast: it shares the compiled code) only where it is
faithful, the archive round trip where the user's model holds two tensors on one storage."""

import copy
import io
from typing import Dict

import torch
from torch import Tensor, nn

from neutone_export import script_neutone_model
from neutone_export.files.copying import (
    copy_script_module,
    copy_through_archive,
    deep_copy_is_faithful,
    storage_references,
)


class HeadIsAView(nn.Module):
    """Writes through a view made once in __init__ and reads the buffer it views: a deep copy
    separates them, the archive keeps them one."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("memory", torch.zeros(2, 64))
        self.register_buffer("head", self.memory[:, :8])

    def forward(self, x: Tensor) -> Tensor:
        self.head.add_(x[:, :8])
        return x + self.memory.sum(dim=1, keepdim=True)


def _wrapped(models, inner: nn.Module) -> nn.Module:
    class Wrapper(models.Identity):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return self.model(x)

    return Wrapper(inner)


def _stream(module: torch.jit.ScriptModule) -> Tensor:
    """Four host buffers of noise, configured first as the plugin does."""
    module.set_daw_sample_rate_and_buffer_size(48000, 128)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        blocks = [torch.rand(2, 128, generator=generator) for _ in range(4)]
        return torch.cat([module.forward(block, None).clone() for block in blocks], dim=1)


def test_storage_references_count_a_view_as_a_second_reference() -> None:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(HeadIsAView()), buffer)
    assert sorted(storage_references(buffer.getvalue()).values()) == [2]


def test_a_plain_model_in_our_adapter_is_deep_copied_and_streams_as_the_archive_copy(
    models,
) -> None:
    scripted = script_neutone_model(models.Gain(nn.Identity()))
    assert deep_copy_is_faithful(scripted)
    assert torch.equal(
        _stream(copy_script_module(scripted)), _stream(copy_through_archive(scripted))
    )


def test_a_view_in_the_users_model_is_copied_through_the_archive(models) -> None:
    scripted = script_neutone_model(_wrapped(models, HeadIsAView()))
    assert not deep_copy_is_faithful(scripted)
    expected = _stream(copy_through_archive(scripted))
    assert torch.equal(_stream(copy_script_module(scripted)), expected)
    # What the census guards against: the deep copy loses the view and sounds different.
    assert not torch.equal(_stream(copy.deepcopy(scripted)), expected)


def test_a_module_that_is_not_our_adapter_is_copied_through_the_archive() -> None:
    scripted = torch.jit.script(nn.Linear(2, 2))
    assert not deep_copy_is_faithful(scripted)
    copied = copy_script_module(scripted)
    assert torch.equal(copied.weight, scripted.weight)
    assert copied.weight.data_ptr() != scripted.weight.data_ptr()
