"""`StatefulModule`: the adapters reset every opted-in module, whether or not `reset_model` does."""

from typing import Dict, List

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from neutone_core import (
    NonRealtimeAdapter,
    NonRealtimeBase,
    RealtimeAdapter,
    StatefulModule,
    WaveformToWaveformBase,
)


class RunningSum(StatefulModule):
    """Cumulative sum per channel across calls; its state is allocated on the first call."""

    def __init__(self) -> None:
        super().__init__()
        self.total = torch.zeros(0, 1)

    def forward(self, x: Tensor) -> Tensor:
        if self.total.size(0) != x.size(0):
            self.total = torch.zeros(x.size(0), 1)
        y = torch.cumsum(x, dim=1) + self.total
        self.total = y[:, -1:].detach().clone()
        return y

    def reset(self) -> None:
        self.total = torch.zeros(0, 1)


class CallCounter(nn.Module):
    """Not opted in: has a ``reset()`` of its own, which the adapters must leave alone."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: Tensor) -> Tensor:
        self.calls += 1
        return x

    def reset(self) -> None:
        self.calls = 0


class Helpers(WaveformToWaveformBase):
    """No ``reset_model``: its stateful helper (also nested in a container) is reset for it."""

    def __init__(self) -> None:
        super().__init__(nn.Sequential(nn.Identity(), RunningSum()))
        self.direct = RunningSum()
        self.counter = CallCounter()

    def get_model_name(self) -> str:
        return "helpers"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Running sums."

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.counter(self.model(x) + self.direct(x))


def _stream(adapter: torch.nn.Module, buffers: List[Tensor]) -> List[Tensor]:
    return [adapter(b).clone() for b in buffers]


def _buffers(sizes: List[int], seed: int) -> List[Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(2, n, generator=generator) for n in sizes]


@pytest.mark.parametrize("scripted", [True, False], ids=["scripted", "eager"])
@settings(max_examples=15, deadline=None)
@given(
    before=st.lists(st.integers(1, 64), min_size=1, max_size=4),
    after=st.lists(st.integers(1, 64), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_reset_makes_a_used_adapter_stream_like_a_fresh_one(scripted, before, after, seed):
    def build() -> torch.nn.Module:
        adapter = RealtimeAdapter(Helpers())
        module = torch.jit.script(adapter) if scripted else adapter
        module.set_daw_sample_rate_and_buffer_size(48000, 64)
        return module

    used = build()
    _stream(used, _buffers(before, seed))
    used.reset()
    replay = _buffers(after, seed + 1)
    for got, want in zip(_stream(used, replay), _stream(build(), replay), strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_a_module_that_does_not_opt_in_is_not_reset():
    adapter = torch.jit.script(RealtimeAdapter(Helpers()))
    adapter.set_daw_sample_rate_and_buffer_size(48000, 64)
    adapter(torch.randn(2, 64))
    calls = adapter.w2w_base.counter.calls
    adapter.reset()
    assert calls > 0
    assert adapter.w2w_base.counter.calls == calls


def test_the_scripted_reset_calls_only_the_opted_in_modules():
    code = torch.jit.script(RealtimeAdapter(Helpers())).w2w_base.reset_stateful_modules.code
    assert code.count(".reset(") == 2  # model.1 and direct; not counter
    assert "counter" not in code


def test_a_subclass_that_forgets_reset_is_told_which_method_to_write():
    class Forgetful(StatefulModule):
        def forward(self, x: Tensor) -> Tensor:
            return x

    with pytest.raises(NotImplementedError, match=r"Forgetful must override reset\(\)"):
        Forgetful().reset()


class GenHelpers(NonRealtimeBase):
    """A Gen model whose helper keeps a running sum across blocks; no ``reset_model``."""

    def __init__(self) -> None:
        super().__init__(nn.Identity())
        self.helper = RunningSum()

    def get_model_name(self) -> str:
        return "gen helpers"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Running sum."

    def get_audio_in_channels(self) -> List[int]:
        return [1]

    def get_audio_out_channels(self) -> List[int]:
        return [1]

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [256]

    def is_one_shot_model(self) -> bool:
        return False

    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        return [self.helper(audio_in[0])]


@pytest.mark.parametrize("scripted", [True, False], ids=["scripted", "eager"])
def test_non_realtime_runs_and_reset_start_the_helpers_afresh(scripted):
    adapter = NonRealtimeAdapter(GenHelpers())
    module = torch.jit.script(adapter) if scripted else adapter
    module.set_daw_sample_rate_and_buffer_size(48000, 1000)
    x = torch.randn(1, 1000, generator=torch.Generator().manual_seed(3))
    (first,) = module.forward_non_realtime([x])
    (second,) = module.forward_non_realtime([x])
    torch.testing.assert_close(second, first, rtol=0, atol=0)
    module.reset()
    assert module.nrb.helper.total.numel() == 0
