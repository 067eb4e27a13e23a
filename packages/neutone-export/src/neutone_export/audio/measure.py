"""Measure a delay from audio: the peak of an impulse response and of a cross-correlation, and the
delay beyond minimum phase of a filter's response.

All work on mono sums, so a model that swaps or mixes channels still shows its delay.
"""

import math
from dataclasses import dataclass
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


EXCESS_SEGMENT = 4096
"""Welch segment for `excess_delay`: 85 ms at 48 kHz, long against the responses it measures."""
CONFIDENCE_Z = 3.0
"""Standard errors a measured delay may stray: a correct model fails one case in 370."""


@dataclass(frozen=True)
class PureDelay:
    """The pure delay in a response (`pure_delay`): what a host should compensate."""

    samples: float
    """The measured pure delay, in samples (NaN when nothing could be measured)."""
    standard_error: float
    """The standard error of `samples`, from the coherence of the estimate."""
    explained: float
    """How much of the output the input explains linearly, as a correlation coefficient (0..1)."""
    shape: str
    """The phase model that fits the response better: "linear phase" or "minimum phase"."""

    @property
    def tolerance(self) -> float:
        """Samples a whole-number delay may differ from `samples`: half a sample plus
        `CONFIDENCE_Z` standard errors."""
        return 0.5 + CONFIDENCE_Z * self.standard_error

    def admits(self, delay: int) -> bool:
        """Whether `delay` is a whole number of samples this measurement allows."""
        return abs(self.samples - delay) <= self.tolerance


@dataclass(frozen=True)
class _Fit:
    slope: float
    intercept: float
    standard_error: float


def _welch(a: Tensor, b: Tensor, segment: int) -> Tuple[Tensor, Tensor, Tensor, int]:
    """Auto spectra of `a` and `b`, their cross spectrum (Hann, half overlap), and the count.

    Each signal's mean is removed first: a DC offset would otherwise leak into the lowest bins and
    pass for the largest gain (removing each segment's own mean would also remove the signal of a
    low-pass narrower than a bin or two)."""
    window = torch.hann_window(segment, periodic=True, dtype=torch.float64)
    starts = range(0, a.numel() - segment + 1, segment // 2)
    a, b = a - a.mean(), b - b.mean()
    spec_a = torch.stack([torch.fft.rfft(a[s : s + segment] * window) for s in starts])
    spec_b = torch.stack([torch.fft.rfft(b[s : s + segment] * window) for s in starts])
    cross = (spec_b * spec_a.conj()).mean(dim=0)
    return spec_a.abs().pow(2).mean(dim=0), spec_b.abs().pow(2).mean(dim=0), cross, len(starts)


def _minimum_phase(log_magnitude: Tensor, segment: int) -> Tensor:
    """Phase (radians, per bin) of the minimum-phase response with this log magnitude."""
    cepstrum = torch.fft.irfft(log_magnitude, segment)
    folded = torch.zeros_like(cepstrum)
    half = segment // 2
    folded[0] = cepstrum[0]
    folded[1:half] = 2.0 * cepstrum[1:half]
    folded[half] = cepstrum[half]
    return torch.fft.rfft(folded).imag


def _unwrap(phase: Tensor) -> Tensor:
    """`phase` wrapped to (-pi, pi], then made continuous along its bins (numpy's unwrap)."""
    phase = torch.atan2(torch.sin(phase), torch.cos(phase))
    step = torch.diff(phase)
    wrapped = torch.remainder(step + math.pi, 2.0 * math.pi) - math.pi
    return torch.cat([phase[:1], phase[1:] + torch.cumsum(wrapped - step, dim=0)])


def _fit(omega: Tensor, phase: Tensor, weight: Tensor) -> _Fit:
    """Weighted least-squares line through `phase(omega)`, and the standard error of its slope."""
    mean_omega = (weight * omega).sum() / weight.sum()
    mean_phase = (weight * phase).sum() / weight.sum()
    spread = float((weight * (omega - mean_omega).pow(2)).sum())
    if not spread > 0:
        return _Fit(math.nan, math.nan, math.inf)
    slope = float((weight * (omega - mean_omega) * (phase - mean_phase)).sum()) / spread
    intercept = float(mean_phase) - slope * float(mean_omega)
    return _Fit(slope, intercept, math.sqrt(1.0 / spread))


def _misfit(omega: Tensor, phase: Tensor, weight: Tensor, fit: _Fit) -> float:
    """Weighted mean square of `phase` less the fitted line, each difference taken modulo pi."""
    if not math.isfinite(fit.slope):
        return math.inf
    residual = phase - fit.intercept - fit.slope * omega
    residual = torch.remainder(residual + math.pi / 2.0, math.pi) - math.pi / 2.0
    return float((weight * residual.pow(2)).sum() / weight.sum())


def pure_delay(x: Tensor, y: Tensor, lag: int) -> PureDelay:
    """The pure delay in the response from `x` to `y` (both `(ch, n)`, `x` broadband noise),
    measured from the phase in the pass band.

    Why: a minimum-phase filter (an IIR low-pass, a state-variable filter, a shelf) has no single
    delay. Its impulse peak and group delay move with the cutoff (a 2-pole low-pass at 8 kHz peaks
    one sample late, at 200 Hz forty), yet it holds nothing back: its response starts at once, and
    the delay a host should compensate is the part of the phase its magnitude does not explain.
    A linear-phase filter (FIR, a resampler, an STFT) delays every frequency alike: its delay is
    its centre. Measured so:

    1. `y` is advanced by `lag` (the reported delay) and the transfer function `H = Sxy / Sxx` is
       estimated by Welch's method (Hann segments of `EXCESS_SEGMENT`, half overlap, `K` of them).
    2. The pass band is the bins within 3 dB of the largest gain (where the response carries the
       signal). Each bin's phase has the variance `(1 - g2) / (2 K g2)`, `g2` the coherence
       (Bendat & Piersol, "Random Data", 9.2.4); its inverse weights the bin.
    3. Two phase models are fitted by weighted least squares, each a line in frequency whose slope
       is the pure delay: minimum phase plus a delay (`arg H` less the minimum-phase phase of
       `|H|`, from the folded real cepstrum: Oppenheim & Schafer, "Discrete-Time Signal
       Processing", 12.8) and linear phase (`arg H` itself). Minimum phase is the default, as
       the models agree for a pure delay and cannot be told apart in a narrow pass band (a 100 Hz
       low-pass's group delay is flat there); linear phase describes the response when its
       residual (modulo pi: a zero on the unit circle flips the sign) is significantly smaller,
       by the factor `exp(CONFIDENCE_Z * sqrt(4 / d))` (`d` bins less two: the log of a ratio of
       mean squares is about normal with variance `2 / d + 2 / d`).
    4. The standard error of the slope follows from the weights: near zero for a linear model,
       larger for a nonlinear one's incoherent output or a narrow pass band (few bins to fit).

    The reported delay is a whole number of samples, so it is right when it lies within half a
    sample of the measured delay (a fractional true delay allows either neighbour) plus
    `CONFIDENCE_Z` standard errors: `PureDelay.admits`. An error of one sample of pure delay
    moves the measurement by 1.000 with a standard error near 0, so it fails.

    Example:
        >>> x = torch.rand(1, 24000, generator=torch.Generator().manual_seed(0)) - 0.5
        >>> y = torch.nn.functional.pad(x, (7, 0))[:, :24000]
        >>> found = pure_delay(x, y, 7)
        >>> round(found.samples, 3), found.admits(7), found.admits(6)
        (7.0, True, False)
    """
    a = x.to(torch.float64).sum(dim=0)
    b = y.to(torch.float64).sum(dim=0)
    n = a.numel() - lag
    segment = min(EXCESS_SEGMENT, 1 << max(0, (n // 2).bit_length() - 1))
    if lag < 0 or segment < 64:
        return PureDelay(math.nan, math.inf, 0.0, "unknown")
    s_aa, s_bb, s_ab, count = _welch(a[:n], b[lag : lag + n], segment)
    if not float(s_bb.sum()) > 0:
        return PureDelay(math.nan, math.inf, 0.0, "unknown")
    s_aa = s_aa.clamp_min(1e-300)
    explained = float(torch.sqrt((s_ab.abs().pow(2) / s_aa).sum() / s_bb.sum()))
    gain = s_ab / s_aa
    coherence = (s_ab.abs().pow(2) / (s_aa * s_bb).clamp_min(1e-300)).clamp(1e-12, 1.0)
    phase_variance = (1.0 - coherence) / (2.0 * count * coherence)
    magnitude = gain.abs()
    # |H| is known to about |H| times its phase error: below that, its logarithm is noise
    floor = torch.maximum(magnitude * phase_variance.sqrt(), magnitude.max() * 1e-12)
    minimum = _minimum_phase(torch.log(torch.maximum(magnitude, floor)), segment)
    band = magnitude.pow(2) >= magnitude.pow(2).max() / 2.0
    omega = torch.arange(magnitude.numel(), dtype=torch.float64)[band] * (2.0 * math.pi / segment)
    weight = 1.0 / phase_variance[band].clamp_min(1e-30)
    phases = {
        "linear phase": _unwrap(torch.angle(gain))[band],
        "minimum phase": _unwrap(torch.angle(gain) - minimum)[band],
    }
    fits = {shape: _fit(omega, phase, weight) for shape, phase in phases.items()}
    misfit = {shape: _misfit(omega, phases[shape], weight, fits[shape]) for shape in phases}
    # Minimum phase unless linear phase fits significantly better: the log of the ratio of two
    # mean squares with d degrees of freedom each is about normal with variance 4 / d.
    freedom = max(1, int(band.sum()) - 2)
    significant = math.exp(CONFIDENCE_Z * math.sqrt(4.0 / freedom))
    better = misfit["linear phase"] * significant < misfit["minimum phase"]
    shape = "linear phase" if better else "minimum phase"
    fit = fits[shape]
    return PureDelay(lag - fit.slope, fit.standard_error, min(explained, 1.0), shape)
