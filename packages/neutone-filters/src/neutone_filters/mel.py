"""`CachedMelSpec`: the Neutone SDK's streaming mel spectrogram, without torchaudio.

Frames are causal: frame ``j`` holds input samples ``[(j + 1) H - N, (j + 1) H)`` (``N = n_fft``,
``H = hop_len``, zeros before the start), so each block of ``k H`` samples yields ``k`` frames.
Against a centred offline spectrogram that is a delay of ``N / 2 - H`` samples
(`get_delay_samples`). Each frame is windowed, transformed, raised to `power` (magnitude ** power)
and projected on triangular mel filters (HTK mel scale, unnormalised: torchaudio's defaults, built
here so that the scripted module needs none of torchaudio's compiled operators).
"""

import math
from typing import Callable, Optional

import torch
from torch import Tensor

from neutone_core.stateful import StatefulModule


def _hz_to_mel(hz: float) -> float:
    return 2595.0 * math.log10(1.0 + hz / 700.0)


def mel_filterbank(
    n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int
) -> Tensor:
    """Triangular HTK-mel filters, ``(n_freqs, n_mels)``: column ``m`` weights the FFT bins.

    Filter ``m`` rises from mel point ``m`` to ``m + 1`` and falls to ``m + 2``, with ``n_mels + 2``
    points evenly spaced in mel between `f_min` and `f_max` (Hz).
    """
    bins = torch.linspace(0.0, sample_rate / 2.0, n_freqs, dtype=torch.float64)
    mels = torch.linspace(_hz_to_mel(f_min), _hz_to_mel(f_max), n_mels + 2, dtype=torch.float64)
    points = 700.0 * (torch.pow(10.0, mels / 2595.0) - 1.0)
    widths = points[1:] - points[:-1]  # (n_mels + 1,)
    slopes = points.unsqueeze(0) - bins.unsqueeze(1)  # (n_freqs, n_mels + 2)
    rising = -slopes[:, :-2] / widths[:-1]
    falling = slopes[:, 2:] / widths[1:]
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


class CachedMelSpec(StatefulModule):
    """Streaming mel spectrogram with the Neutone SDK's constructor.

    Args:
        sr: sample rate in Hz.
        n_ch: channels.
        n_fft: frame length, even; ``n_fft // 2`` a multiple of `hop_len`.
        hop_len: hop in samples.
        f_min, f_max: band of the mel filters in Hz; `f_max` None means ``sr / 2``.
        n_mels: mel bands.
        window_fn: builds the window from its length (``torch.hann_window``).
        power: exponent of the magnitude, ``> 0``.
        normalized: divide the spectrum by the window's energy ``sqrt(sum(w²))``.
        center: must be True (the SDK's only mode; see the module for the framing).
        use_debug_mode: accepted for the SDK's signature; shapes are always checked.

    Shape:
        forward: ``(n_ch, k * hop_len) -> (n_ch, n_mels, k)``.

    Example:
        >>> mel = CachedMelSpec(sr=16000, n_ch=1, n_fft=512, hop_len=128, n_mels=40)
        >>> mel(torch.randn(1, 1024)).shape, mel.get_delay_samples()
        (torch.Size([1, 40, 8]), 128)
    """

    # Buffers (registered in __init__).
    window: Tensor
    fbank: Tensor
    padding: Tensor

    def __init__(
        self,
        sr: int,
        n_ch: int,
        n_fft: int = 2048,
        hop_len: int = 512,
        f_min: float = 0.0,
        f_max: Optional[float] = None,
        n_mels: int = 128,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        power: float = 2.0,
        normalized: bool = False,
        center: bool = True,
        use_debug_mode: bool = True,
    ) -> None:
        super().__init__()
        if not center:
            raise ValueError("CachedMelSpec: center must be True (the SDK's only mode)")
        if n_fft < 2 or n_fft % 2 != 0 or hop_len < 1 or (n_fft // 2) % hop_len != 0:
            raise ValueError(
                f"CachedMelSpec: n_fft must be even and n_fft // 2 a multiple of hop_len, got "
                f"n_fft={n_fft}, hop_len={hop_len}"
            )
        if not (math.isfinite(power) and power > 0.0):
            raise ValueError(f"CachedMelSpec: power must be > 0, got {power!r}")
        top = sr / 2.0 if f_max is None else float(f_max)
        if not 0.0 <= f_min < top <= sr / 2.0:
            raise ValueError(
                f"CachedMelSpec: need 0 <= f_min < f_max <= sr / 2 = {sr / 2:g}, got "
                f"f_min={f_min}, f_max={f_max}"
            )
        window = window_fn(n_fft).to(torch.float32)
        scale = float(window.pow(2).sum().sqrt()) if normalized else 1.0
        self.n_ch = n_ch
        self.n_fft = n_fft
        self.hop_len = hop_len
        self.power = float(power)
        self.use_debug_mode = use_debug_mode
        self.register_buffer("window", window / scale, persistent=False)
        fbank = mel_filterbank(n_fft // 2 + 1, f_min, top, n_mels, sr)
        self.register_buffer("fbank", fbank.t().contiguous().float(), persistent=False)
        self.register_buffer("padding", torch.zeros(n_ch, n_fft - hop_len), persistent=False)

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """``n_fft // 2 - hop_len``: against a centred spectrogram of the same signal."""
        return self.n_fft // 2 - self.hop_len

    @torch.jit.export
    def get_delay_frames(self) -> int:
        return self.get_delay_samples() // self.hop_len

    @torch.jit.export
    def reset(self) -> None:
        """Forget the past audio (the next frames start from silence)."""
        self.padding.zero_()

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.size(0) != self.n_ch or x.size(1) % self.hop_len != 0:
            raise ValueError(
                f"CachedMelSpec: expected ({self.n_ch}, a multiple of hop_len={self.hop_len}), "
                f"got {list(x.shape)}"
            )
        joined = torch.cat([self.padding, x.to(self.padding.dtype)], dim=1)
        self.padding.copy_(joined[:, joined.size(1) - self.padding.size(1) :])
        frames = joined.unfold(1, self.n_fft, self.hop_len)  # (C, k, N)
        spectrum = torch.fft.rfft(frames * self.window, dim=-1).abs().pow(self.power)
        return torch.matmul(self.fbank, spectrum.transpose(1, 2))  # (C, n_mels, k)
