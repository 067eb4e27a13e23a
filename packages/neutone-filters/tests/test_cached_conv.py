"""Cached convolutions stream exactly like their offline `nn.Conv1d` twins, after the delay."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neutone_filters.cached_conv import CachedConv1d, CachedTCN, StreamingDelay, TCNBlock


def _offline_conv(conv: CachedConv1d, padding: str) -> nn.Conv1d:
    """The layer a researcher trained: causal = left zero padding only, same = nn.Conv1d('same')."""
    offline = nn.Conv1d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size[0],
        dilation=conv.dilation[0],
        groups=conv.groups,
        bias=conv.bias is not None,
        padding="same" if padding == "same" else 0,
    )
    offline.load_state_dict(conv.state_dict())
    if padding == "causal":
        return nn.Sequential(nn.ConstantPad1d((conv.context, 0), 0.0), offline)
    return offline


# torch warns that nn.Conv1d(padding="same") copies the input for even kernels (slow, not wrong).
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    sizes=st.lists(st.integers(1, 4096), min_size=1, max_size=12),
    n=st.integers(1, 6000),
    kernel=st.integers(1, 6),
    dilation=st.integers(1, 9),
    groups=st.sampled_from([1, 2]),
    bias=st.booleans(),
    padding=st.sampled_from(["causal", "same"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_streaming_equals_offline_conv1d(
    stream, sizes, n, kernel, dilation, groups, bias, padding, seed
) -> None:
    torch.manual_seed(seed)
    conv = CachedConv1d(4, 6, kernel, dilation=dilation, groups=groups, bias=bias, padding=padding)
    x = torch.randn(2, 4, n)
    with torch.no_grad():
        offline = _offline_conv(conv, padding)(x)
        streamed = stream(conv, x, sizes)
    delay = conv.get_delay_samples()
    assert delay == (
        0 if padding == "causal" else dilation * (kernel - 1) - dilation * (kernel - 1) // 2
    )
    # Outputs before the offline signal starts are zeros, as the offline padding makes them.
    assert torch.equal(streamed[..., :delay], torch.zeros_like(streamed[..., :delay]))
    diff = (streamed[..., delay:] - offline[..., : max(n - delay, 0)]).abs().flatten()
    err = torch.cat([diff, torch.zeros(1)]).max().item()
    assert err < 1e-5, f"k={kernel} d={dilation} {padding}, sizes {sizes}: max error {err}"


def _offline_tcn(tcn: CachedTCN, x: torch.Tensor) -> torch.Tensor:
    """The same network applied to the whole signal with ordinary 'same'-padded convolutions."""
    for block in tcn.blocks:
        conv = block.conv
        y = nn.functional.conv1d(
            x, conv.weight, conv.bias, dilation=conv.dilation[0], padding="same"
        )
        y = nn.functional.conv1d(block.activation(y), block.mix.weight, block.mix.bias)
        x = x + y
    return x


def test_tcn_streams_like_the_offline_network_and_reports_its_delay(stream, script) -> None:
    torch.manual_seed(0)
    tcn = CachedTCN(3, 3, [1, 2, 4, 8], padding="same")
    x = torch.randn(1, 3, 5000)
    with torch.no_grad():
        offline = _offline_tcn(tcn, x)
        scripted = script(tcn)
        streamed = stream(scripted, x, [1, 100, 511, 2048])
    delay = scripted.get_delay_samples()
    assert delay == 1 + 2 + 4 + 8
    assert (streamed[..., delay:] - offline[..., :-delay]).abs().max().item() < 1e-5
    scripted.reset()
    with torch.no_grad():
        again = stream(scripted, x, [1, 100, 511, 2048])
    assert torch.equal(again, streamed)


def test_causal_tcn_block_has_no_delay_and_loads_a_state_dict(script) -> None:
    torch.manual_seed(1)
    block = TCNBlock(2, 5, dilation=3)
    twin = TCNBlock(2, 5, dilation=3)
    twin.load_state_dict(block.state_dict())
    x = torch.randn(2, 2, 700)
    with torch.no_grad():
        assert torch.equal(script(block)(x), twin(x))
    assert block.get_delay_samples() == 0


def test_streaming_delay_and_empty_buffers() -> None:
    delay = StreamingDelay(3)
    x = torch.arange(10.0).reshape(1, 1, 10)
    y = torch.cat([delay(x[..., :2]), delay(x[..., 2:2]), delay(x[..., 2:])], dim=-1)
    assert torch.equal(y[..., 3:], x[..., :7]) and torch.equal(y[..., :3], torch.zeros(1, 1, 3))
    conv = CachedConv1d(1, 2, 3)
    assert conv(torch.zeros(4, 1, 0)).shape == (4, 2, 0)


@pytest.mark.parametrize("delay", [0, 1, 5, 50])
def test_add_delayed_adds_what_forward_returns(script, delay) -> None:
    torch.manual_seed(3)
    x = torch.randn(2, 3, 400)
    offset = torch.randn(2, 3, 400)
    forward, adding = StreamingDelay(delay), script(StreamingDelay(delay))
    begin = 0
    for size in [1, 7, 64, 2, 0, 49, 200, 77]:
        part = x[..., begin : begin + size]
        expected = offset[..., begin : begin + size] + forward(part)
        got = adding.add_delayed_(offset[..., begin : begin + size].clone(), part)
        assert torch.equal(got, expected), f"delay {delay}, buffer at {begin} of {size}"
        begin += size


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(stride=2), r"stride must be 1"),
        (dict(padding="valid"), r"padding must be one of causal, same, got 'valid'"),
        (dict(kernel_size=0), r"kernel_size must be an int in \[1, inf\), got 0"),
        (dict(dilation=0), r"dilation must be an int in \[1, inf\), got 0"),
        (dict(padding_mode="reflect"), r"padding_mode must be 'zeros'"),
        (dict(input_delay=-1), r"input_delay must be an int in \[0, inf\), got -1"),
    ],
)
def test_bad_arguments_raise(kwargs, match) -> None:
    args = dict(in_channels=1, out_channels=1, kernel_size=3) | kwargs
    with pytest.raises(ValueError, match=match):
        CachedConv1d(**args)
    with pytest.raises(ValueError, match=r"delay must be an int number of samples in \[0, inf\)"):
        StreamingDelay(-1)
