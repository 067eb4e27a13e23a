"""Scripted cached convolutions and FIR filters allocate, per steady-state call, only what their
bare arithmetic does.

`torch.nn.functional.conv1d` has no ``out=``: its output (and on CPU its im2col buffer) is the
floor; for `FIRFilter` the product or the FFTs. The profiler (memory on) counts allocation events
and bytes over steady-state calls of the scripted module outside autograd, and the same for the
scripted bare arithmetic on the shapes the module feeds it. A control that concatenates like a
naive cache shows the count can fail.
"""

from collections import Counter
from typing import Callable, List, Tuple

import pytest
import torch
from torch import Tensor, nn
from torch.profiler import ProfilerActivity, profile

from neutone_filters.cached_conv import CachedConv1d, CachedTCN
from neutone_filters.fir import FIRFilter, design_fir

ALLOCATING = ("aten::cat", "aten::resize_")


def _allocations(call: Callable[[Tensor], Tensor], inputs: List[Tensor]) -> Tuple[Counter, int]:
    """(allocation-like aten events, bytes allocated) over 40 steady-state calls, no autograd."""
    with torch.no_grad():
        for i in range(30):  # warm up: profiling executor optimisation, first-call buffers
            call(inputs[i % len(inputs)])
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            for i in range(40):
                call(inputs[i % len(inputs)])
    events = prof.events()
    names = Counter(
        e.name for e in events if e.name.startswith("aten::empty") or e.name in ALLOCATING
    )
    return names, sum(max(0, e.self_cpu_memory_usage) for e in events)


class _BareConv(nn.Module):
    """`conv1d` on an input that already holds the context: the floor for one cached layer."""

    def __init__(self, conv: CachedConv1d) -> None:
        super().__init__()
        self.weight = conv.weight
        self.bias = conv.bias
        self.dilation = conv.dilation[0]
        self.groups = conv.groups

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.conv1d(x, self.weight, self.bias, 1, 0, self.dilation, self.groups)


class _ConcatenatingConv(_BareConv):
    """The control: concatenate a context with the buffer every call, as a naive cache does."""

    def __init__(self, conv: CachedConv1d) -> None:
        super().__init__(conv)
        self.context = torch.zeros(1, conv.in_channels, conv.context)

    def forward(self, x: Tensor) -> Tensor:
        joined = torch.cat([self.context, x], dim=2)
        return nn.functional.conv1d(
            joined, self.weight, self.bias, 1, 0, self.dilation, self.groups
        )


CONVS = [
    # label, CachedConv1d arguments, buffer sizes (the longest first: no growth after warm-up)
    ("causal k3 d4", dict(in_channels=2, out_channels=16, kernel_size=3, dilation=4), [128]),
    (
        "same k4 d3 groups 2, varying sizes",
        dict(in_channels=4, out_channels=6, kernel_size=4, dilation=3, padding="same", groups=2),
        [512, 1, 77, 3, 256],
    ),
    ("1x1", dict(in_channels=3, out_channels=5, kernel_size=1), [64, 7]),
]


@pytest.mark.parametrize(("label", "kwargs", "sizes"), CONVS)
def test_cached_conv_allocates_only_what_conv1d_does(label, kwargs, sizes) -> None:
    torch.manual_seed(0)
    conv = CachedConv1d(**kwargs)
    buffers = [torch.randn(2, conv.in_channels, n) for n in sizes]
    joined = [torch.randn(2, conv.in_channels, conv.context + n) for n in sizes]
    ours = _allocations(torch.jit.script(conv), buffers)
    floor = _allocations(torch.jit.script(_BareConv(conv)), joined)
    assert ours == floor, f"{label}: cached {ours}, bare conv1d {floor}"


def test_the_count_sees_a_concatenating_cache() -> None:
    conv = CachedConv1d(2, 16, 3, dilation=4)
    buffers = [torch.randn(1, 2, 128)]
    ours = _allocations(torch.jit.script(_ConcatenatingConv(conv)), buffers)
    floor = _allocations(torch.jit.script(_BareConv(conv)), [torch.randn(1, 2, 136)])
    assert ours[0]["aten::cat"] == 40 and ours[1] >= floor[1] + 40 * 2 * 136 * 4


@pytest.mark.parametrize("padding", ["causal", "same"])
def test_tcn_allocates_only_what_its_convolutions_do(padding) -> None:
    torch.manual_seed(0)
    tcn = CachedTCN(8, 3, [1, 2, 4, 8], padding=padding)
    sizes = [256, 128, 5]
    ours = _allocations(torch.jit.script(tcn), [torch.randn(1, 8, n) for n in sizes])
    # The floor: each bare convolution on the shapes it sees; activation and residual work in place.
    floor_names: Counter = Counter()
    floor_bytes = 0
    for block in tcn.blocks:
        for conv in (block.conv, block.mix):
            inputs = [torch.randn(1, 8, conv.context + n) for n in sizes]
            names, allocated = _allocations(torch.jit.script(_BareConv(conv)), inputs)
            floor_names += names
            floor_bytes += allocated
    assert ours == (floor_names, floor_bytes), f"{padding}: {ours}, bare convolutions {floor_names}"


def test_streaming_under_autograd_gives_the_offline_gradient(stream) -> None:
    torch.manual_seed(2)
    conv = CachedConv1d(2, 3, 3, dilation=2)
    offline = nn.Conv1d(2, 3, 3, dilation=2)
    offline.load_state_dict(conv.state_dict())
    x = torch.randn(1, 2, 300)
    loss = stream(conv, x, [7, 100, 1]).square().sum()
    assert not conv.cache.requires_grad
    conv.reset()  # must not touch what the backward pass kept
    loss.backward()
    offline(nn.functional.pad(x, [4, 0])).square().sum().backward()
    assert torch.allclose(conv.weight.grad, offline.weight.grad, rtol=1e-5, atol=1e-4)
    assert torch.allclose(conv.bias.grad, offline.bias.grad, rtol=1e-5, atol=1e-4)


class _BareFIR(nn.Module):
    """`FIRFilter`'s arithmetic on an input that already holds the history."""

    def __init__(self, fir: FIRFilter, fft_size: int) -> None:
        super().__init__()
        self.num_taps = fir.num_taps
        self.use_fft = fir.use_fft
        self.fft_size = fft_size
        self.kernel = fir.reversed_taps.float()
        self.kernel_fft = torch.zeros(0, dtype=torch.complex64)
        if fir.use_fft:
            self.kernel_fft = torch.fft.rfft(fir.taps, fft_size).to(torch.complex64)

    def forward(self, padded: Tensor) -> Tensor:
        if self.use_fft:
            spectrum = torch.fft.rfft(padded, self.fft_size) * self.kernel_fft
            return torch.fft.irfft(spectrum, self.fft_size)[:, self.num_taps - 1 :]
        return padded.unfold(1, self.num_taps, 1) @ self.kernel


@pytest.mark.parametrize(("taps", "fft_size"), [(31, 0), (511, 1024)])
def test_fir_allocates_only_what_its_arithmetic_does(taps, fft_size) -> None:
    torch.manual_seed(0)
    fir = FIRFilter(design_fir("lowpass", 4000.0, 48000, num_taps=taps))
    ours = _allocations(torch.jit.script(fir), [torch.randn(2, 500)])
    floor = _allocations(
        torch.jit.script(_BareFIR(fir, fft_size)), [torch.randn(2, taps - 1 + 500)]
    )
    assert ours == floor, f"{taps} taps: {ours}, bare arithmetic {floor}"


def test_fir_under_autograd_gives_the_offline_gradient(stream) -> None:
    torch.manual_seed(4)
    fir = FIRFilter(design_fir("lowpass", 4000.0, 48000, num_taps=31))
    weights = torch.randn(2, 300)
    x = torch.randn(2, 300, requires_grad=True)
    # The state kept between calls is detached from autograd (as the README promises), so a
    # gradient flows within one buffer only: compare one buffer.
    loss = (stream(fir, x, [300]) * weights).sum()
    assert not fir.history.requires_grad
    fir.reset()  # must not touch what the backward pass kept
    loss.backward()
    twin = x.detach().clone().requires_grad_(True)
    windows = nn.functional.pad(twin, [30, 0]).unfold(1, 31, 1)
    ((windows @ fir.reversed_taps.float()) * weights).sum().backward()
    assert torch.allclose(x.grad, twin.grad, rtol=1e-5, atol=1e-6)
