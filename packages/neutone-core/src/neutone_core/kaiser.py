"""Kaiser-window design formulas and the Kaiser-windowed sinc kernel.

Shared by the streaming resampler (`neutone_core.resample`) and the FIR filters of neutone-filters.
Kaiser's empirical formulas (Oppenheim & Schafer, *Discrete-Time Signal Processing*,
eq. 7.62/7.63) give the window shape ``beta`` and the length of a low-pass filter from its
stop-band attenuation and transition width; the kernel is the ideal low-pass impulse response
``2 fc sinc(2 fc t)`` times the Kaiser window, evaluated at arbitrary (fractional) times so that a
polyphase bank can sample it at every phase.

The functions script (`torch.jit.script`), so that a scripted module can design its filters at
run time (`neutone_core.resample.StreamingResampler.configure`).

Example:
    >>> import torch
    >>> beta = kaiser_beta(120.0)
    >>> taps = kaiser_num_taps(120.0, 0.05)
    >>> t = torch.arange(taps, dtype=torch.float64) - taps // 2
    >>> h = kaiser_kernel(t, 0.25, taps // 2, beta)
    >>> round(float(h.sum()), 6)
    1.0
"""

import math

import torch
from torch import Tensor


def _check_attenuation(attenuation_db: float) -> None:
    if not (math.isfinite(attenuation_db) and attenuation_db > 0.0):
        raise ValueError(
            f"attenuation_db must be a finite number of dB in (0, inf), got {attenuation_db}"
        )


def kaiser_beta(attenuation_db: float) -> float:
    """Kaiser window ``beta`` giving a stop-band attenuation of `attenuation_db` dB.

    Args:
        attenuation_db: stop-band attenuation in dB (positive; e.g. 120 for -120 dB side lobes).

    Returns:
        ``0.1102 (A - 8.7)`` for ``A > 50``, ``0.5842 (A - 21)^0.4 + 0.07886 (A - 21)`` for
        ``21 <= A <= 50`` and 0 (a rectangular window) below.
    """
    _check_attenuation(attenuation_db)
    a = float(attenuation_db)
    if a > 50.0:
        return 0.1102 * (a - 8.7)
    if a >= 21.0:
        return 0.5842 * (a - 21.0) ** 0.4 + 0.07886 * (a - 21.0)
    return 0.0


def kaiser_num_taps(attenuation_db: float, transition_width: float) -> int:
    """Odd number of taps for a Kaiser-windowed low-pass filter.

    Kaiser's estimate ``N = (A - 7.95) / (2.285 * 2 pi * df) + 1`` (``df`` in cycles per sample),
    rounded up, then up to the next odd number so that the filter has a whole-sample centre.

    Args:
        attenuation_db: stop-band attenuation in dB, in (0, inf).
        transition_width: width of the transition band in cycles per sample (f/fs), in (0, 0.5).

    Returns:
        An odd tap count, at least 1.
    """
    _check_attenuation(attenuation_db)
    if not (math.isfinite(transition_width) and 0.0 < transition_width < 0.5):
        raise ValueError(
            "transition_width must be in cycles per sample in the open range (0, 0.5), "
            f"got {transition_width}"
        )
    estimate = (attenuation_db - 7.95) / (2.285 * 2.0 * math.pi * transition_width) + 1.0
    taps = max(1, math.ceil(estimate))
    if taps % 2 == 0:
        taps += 1
    return taps


def kaiser_kernel(t: Tensor, cutoff: float, half_width: float, beta: float) -> Tensor:
    """Kaiser-windowed sinc low-pass kernel evaluated at times `t`.

    ``h(t) = 2 fc sinc(2 fc t) I0(beta sqrt(1 - (t / half_width)^2)) / I0(beta)`` for
    ``|t| <= half_width`` and 0 outside. With samples at integer `t` the DC gain ``sum(h)`` is close
    to 1 (within the pass-band ripple; normalise the sampled kernel where exactness matters).

    Args:
        t: times in samples, any shape, any floating or integer dtype (computed in float64).
        cutoff: cut-off frequency in cycles per sample (f/fs), in (0, 0.5].
        half_width: window half-length in samples, in (0, inf).
        beta: Kaiser window shape, in [0, inf) (see `kaiser_beta`).

    Returns:
        float64 tensor of the same shape as `t`.
    """
    if not (math.isfinite(cutoff) and 0.0 < cutoff <= 0.5):
        raise ValueError(f"cutoff must be in cycles per sample in (0, 0.5], got {cutoff}")
    if not (math.isfinite(half_width) and half_width > 0.0):
        raise ValueError(f"half_width must be a number of samples in (0, inf), got {half_width}")
    if not (math.isfinite(beta) and beta >= 0.0):
        raise ValueError(f"beta must be in [0, inf), got {beta}")
    t64 = t.to(torch.float64)
    ratio = t64 / float(half_width)
    inside = ratio.abs() <= 1.0
    arg = float(beta) * torch.sqrt(torch.clamp(1.0 - ratio * ratio, min=0.0))
    window = torch.special.i0(arg) / torch.special.i0(
        torch.tensor(float(beta), dtype=torch.float64)
    )
    sinc = 2.0 * float(cutoff) * torch.sinc(2.0 * float(cutoff) * t64)
    return torch.where(inside, sinc * window, torch.zeros_like(t64))
