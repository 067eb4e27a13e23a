"""Shared test models and streaming helpers for the adapter tests (session fixtures)."""

from typing import Callable, Dict, List, Sequence

import pytest
import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase


class IdentityWrapper(WaveformToWaveformBase):
    """Returns the current block (channels converted), delayed by `delay` native samples if > 0."""

    def __init__(
        self,
        in_mono: bool = False,
        out_mono: bool = False,
        sample_rates: List[int] | None = None,
        buffer_sizes: List[int] | None = None,
        look_behind: int = 0,
        look_ahead: int = 0,
        delay: int = 0,
        knobs: list | None = None,
    ) -> None:
        super().__init__(nn.Identity())
        self.in_mono = in_mono
        self.out_mono = out_mono
        self.rates: List[int] = [] if sample_rates is None else list(sample_rates)
        self.sizes: List[int] = [] if buffer_sizes is None else list(buffer_sizes)
        self.lb = look_behind
        self.la = look_ahead
        self.delay = delay
        self.knobs = [] if knobs is None else knobs
        self.out_ch = 1 if out_mono else 2
        self.line = torch.zeros(self.out_ch, delay)

    def get_model_name(self) -> str:
        return "identity"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Returns its input."

    def get_neutone_parameters(self) -> list:
        return self.knobs

    def is_input_mono(self) -> bool:
        return self.in_mono

    def is_output_mono(self) -> bool:
        return self.out_mono

    def get_native_sample_rates(self) -> List[int]:
        return self.rates

    def get_native_buffer_sizes(self) -> List[int]:
        return self.sizes

    def get_look_behind_samples(self) -> int:
        return self.lb

    def get_look_ahead_samples(self) -> int:
        return self.la

    def calc_model_delay_samples(self) -> int:
        return self.delay

    def reset_model(self) -> bool:
        self.line.zero_()
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        n = x.size(1) - self.lb - self.la
        cur = x[:, self.lb : self.lb + n]
        if cur.size(0) != self.out_ch:
            cur = torch.mean(cur, dim=0, keepdim=True) if self.out_ch == 1 else cur.expand(2, n)
        if self.delay > 0:
            full = torch.cat([self.line, cur], dim=1)
            self.line = full[:, n:].clone()
            return full[:, :n]
        return cur


class KnobEchoWrapper(IdentityWrapper):
    """Outputs its first knob's sample-level values (mapped) on every channel."""

    def __init__(self, knobs: list, **kwargs) -> None:
        super().__init__(knobs=knobs, **kwargs)
        self.first_knob: str = knobs[0].name

    def aggregate_param(self, param: Tensor) -> Tensor:
        return param

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        n = x.size(1) - self.lb - self.la
        v = params[self.first_knob]
        return v.unsqueeze(0).expand(self.out_ch, n).clone()


def expected_channels(x: Tensor, in_mono: bool, out_mono: bool) -> Tensor:
    """What an identity model gives for host audio `x`: host -> model -> host channel rules."""
    host_ch = x.size(0)
    m = torch.mean(x, dim=0, keepdim=True) if in_mono and host_ch == 2 else x
    if not in_mono and host_ch == 1:
        m = x.expand(2, x.size(1))
    if out_mono and m.size(0) == 2:
        m = torch.mean(m, dim=0, keepdim=True)
    if m.size(0) == host_ch:
        return m
    if host_ch == 1:
        return torch.mean(m, dim=0, keepdim=True)
    return m.expand(2, m.size(1))


def stream(
    adapter: Callable[..., Tensor],
    x: Tensor,
    sizes: Sequence[int],
    params: Tensor | None = None,
) -> Tensor:
    """Feed `x` ``(ch, n)`` in buffers of `sizes` (cycled, 0 allowed); concatenate output copies."""
    outs = []
    pos = 0
    i = 0
    n = x.size(1)
    while pos < n:
        m = min(sizes[i % len(sizes)], n - pos)
        i += 1
        p = None if params is None else params[:, pos : pos + m]
        outs.append(adapter(x[:, pos : pos + m], p).clone())
        pos += m
    return torch.cat(outs, dim=1)


@pytest.fixture(scope="session")
def identity_wrapper() -> type:
    return IdentityWrapper


@pytest.fixture(scope="session")
def knob_echo_wrapper() -> type:
    return KnobEchoWrapper


@pytest.fixture(scope="session")
def stream_fn() -> Callable[..., Tensor]:
    return stream


@pytest.fixture(scope="session")
def expected_channels_fn() -> Callable[..., Tensor]:
    return expected_channels
