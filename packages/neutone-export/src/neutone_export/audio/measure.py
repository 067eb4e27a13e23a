"""Measure a delay from audio: the peak of an impulse response and of a cross-correlation.

Both work on mono sums, so a model that swaps or mixes channels still shows its delay.
"""

from typing import Tuple

import torch
from torch import Tensor


def impulse_lag(y: Tensor, position: int) -> int:
    """Samples between an impulse at `position` and the largest output sample; `y` is `(ch, n)`."""
    mono = y.to(torch.float64).sum(dim=0).abs()
    return int(torch.argmax(mono)) - position


def xcorr_lag(x: Tensor, y: Tensor, max_lag: int) -> Tuple[int, float]:
    """Lag `k` in `0..max_lag` maximising the normalised cross-correlation of `y[n + k]` with
    `x[n]`.

    `x` and `y` are `(ch, n)` of the same length; the correlation is computed by FFT on mono sums.
    Returns the lag in samples and the correlation coefficient at that lag (1 for a pure delay, near
    0 when unrelated).
    """
    a = x.to(torch.float64).sum(dim=0)
    b = y.to(torch.float64).sum(dim=0)
    n = a.numel()
    size = 1 << (2 * n - 1).bit_length()
    spectrum = torch.fft.rfft(b, size) * torch.conj(torch.fft.rfft(a, size))
    corr = torch.fft.irfft(spectrum, size)[: min(max_lag, n - 1) + 1]
    lag = int(torch.argmax(corr.abs()))
    # normalise by the energy of the overlapping parts, so a long delay is not penalised
    energy_x = a[: n - lag].pow(2).sum()
    energy_y = b[lag:].pow(2).sum()
    norm = float(torch.sqrt(energy_x * energy_y))
    coefficient = float(corr[lag].abs()) / norm if norm > 0 else 0.0
    return lag, coefficient


def best_shift(reference: Tensor, candidate: Tensor, max_shift: int) -> int:
    """Shift `s` in `-max_shift..max_shift` where `candidate[n + s]` best matches `reference[n]`."""
    forward_lag, forward_c = xcorr_lag(reference, candidate, max_shift)
    backward_lag, backward_c = xcorr_lag(candidate, reference, max_shift)
    return forward_lag if forward_c >= backward_c else -backward_lag
