"""`RealtimeSTFT`: perfect reconstruction for any buffer sizes, frames equal torch.stft, a hook."""

from typing import List

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neutone_filters.stft import RealtimeSTFT

CONFIGS = [
    (512, 128, "hann"),
    (300, 100, "hann"),
    (6, 2, "hann"),
    (256, 128, "sqrt_hann"),
    (1024, 256, "sqrt_hann"),
    (64, 1, "hann"),
]


class HighCut(RealtimeSTFT):
    """Zero every bin from `cut` up and halve the rest: a spectral function that scripts."""

    def __init__(self, n_fft: int, hop_length: int, cut: int) -> None:
        super().__init__(n_fft, hop_length)
        self.cut = cut

    def process_spectrum(self, spec: torch.Tensor) -> torch.Tensor:
        out = spec * 0.5
        out[..., self.cut :] = 0
        return out


class Recorder(RealtimeSTFT):
    """Keep every spectrum it sees (eager only)."""

    def __init__(self, n_fft: int, hop_length: int) -> None:
        super().__init__(n_fft, hop_length)
        self.seen: List[torch.Tensor] = []

    def process_spectrum(self, spec: torch.Tensor) -> torch.Tensor:
        self.seen.append(spec.clone())
        return spec


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    sizes=st.lists(st.integers(1, 4096), min_size=1, max_size=12),
    n=st.integers(1, 8000),
    channels=st.integers(1, 3),
    config=st.sampled_from(CONFIGS),
    seed=st.integers(0, 2**31 - 1),
)
def test_identity_reconstructs_input_delayed_for_any_buffers(
    stream, sizes, n, channels, config, seed
) -> None:
    n_fft, hop, window = config
    x = torch.randn(channels, n, generator=torch.Generator().manual_seed(seed))
    stft = RealtimeSTFT(n_fft, hop, window)
    y = stream(stft, x, sizes)
    delay = stft.get_delay_samples()
    assert delay == n_fft - 1
    assert y.shape == x.shape
    # Before the delay: silence; after it: the input. (Either part may be empty.)
    head = y[:, :delay].abs().flatten()
    tail = (y[:, delay:] - x[:, : max(n - delay, 0)]).abs().flatten()
    assert torch.cat([head, torch.zeros(1)]).max().item() < 1e-6
    err = torch.cat([tail, torch.zeros(1)]).max().item()
    assert err < 1e-5, f"{config}, sizes {sizes}: max error {err}"


def test_frames_equal_torch_stft_without_centring() -> None:
    n_fft, hop = 256, 64
    x = torch.randn(2, 3000, generator=torch.Generator().manual_seed(1))
    rec = Recorder(n_fft, hop)
    rec(x[:, :1000])
    rec(x[:, 1000:])
    ours = torch.cat(rec.seen, dim=1)  # (C, frames, bins)
    padded = torch.nn.functional.pad(x, [n_fft - hop, 0])
    window = torch.hann_window(n_fft)
    theirs = torch.stft(padded, n_fft, hop, window=window, center=False, return_complex=True)
    frames = ours.size(1)
    assert frames == 3000 // hop
    assert torch.allclose(ours, theirs.transpose(1, 2)[:, :frames], atol=1e-4)


def test_spectral_hook_streams_scripts_and_resets(stream, script) -> None:
    x = torch.randn(2, 6000, generator=torch.Generator().manual_seed(2))
    eager = HighCut(512, 128, cut=40)
    offline = eager(x)
    scripted = script(HighCut(512, 128, cut=40))
    streamed = stream(scripted, x, [1, 127, 128, 1000, 4096])
    assert (streamed - offline).abs().max().item() < 1e-5
    scripted.reset()
    assert (scripted(x) - offline).abs().max().item() < 1e-5
    # Halving the spectrum halves a signal with no energy above bin 40 (3.75 kHz at 48 kHz).
    t = torch.arange(6000) / 48000.0
    tone = torch.sin(2 * torch.pi * 1000.0 * t).unsqueeze(0)
    out = HighCut(512, 128, cut=40)(tone)
    assert (out[:, 2000:] - 0.5 * tone[:, 2000 - 511 : 6000 - 511]).abs().max().item() < 1e-3


def test_empty_buffer_and_channel_change() -> None:
    stft = RealtimeSTFT(64, 16)
    assert stft(torch.zeros(2, 0)).shape == (2, 0)
    stft(torch.randn(2, 100))
    x = torch.randn(4, 300)
    assert torch.equal(stft(x), RealtimeSTFT(64, 16)(x))


@pytest.mark.parametrize(
    "args, match",
    [
        (
            (512, 200, "hann"),
            r"hop_length must make the hann window overlap-add.*got hop_length=200",
        ),
        ((512, 256, "hann"), r"n_fft / hop_length must be an integer >= 3"),
        ((512, 512, "sqrt_hann"), r"integer >= 2"),
        ((512, 0, "hann"), r"hop_length must be in \[1, n_fft=512\], got 0"),
        ((512, 600, "hann"), r"hop_length must be in \[1, n_fft=512\], got 600"),
        ((1, 1, "hann"), r"n_fft must be an int in \[2, inf\), got 1"),
        ((512, 128, "kaiser"), r"window must be one of hann, sqrt_hann"),
    ],
)
def test_bad_arguments_raise(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        RealtimeSTFT(*args)
