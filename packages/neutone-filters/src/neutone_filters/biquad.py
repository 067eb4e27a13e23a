"""Second-order section designs: the audio-EQ cookbook biquads and Butterworth cascades.

The cookbook (R. Bristow-Johnson, *Cookbook formulae for audio EQ biquad filter coefficients*) is
the bilinear transform, pre-warped at the centre frequency, of the analogue prototypes
``1 / (s² + s/Q + 1)`` and friends; so a Butterworth filter of order N is a cascade of cookbook
low-pass (or high-pass) sections with ``Q_k = 1 / (2 sin((2k - 1) π / (2N)))``, plus one
first-order section when N is odd. Designs return ``(num_sections, 6)`` float64 rows
``[b0, b1, b2, a0, a1, a2]`` normalised to ``a0 = 1``, the layout of `scipy.signal.sosfilt`;
run them with `neutone_filters.sos_filter.SOSFilter`.

Example:
    >>> sos = butterworth("lowpass", 4, 1000.0, 48000)
    >>> tuple(sos.shape)
    (2, 6)
"""

import math
from typing import List

import torch
from torch import Tensor

COOKBOOK_KINDS = ("lowpass", "highpass", "bandpass", "bandstop", "peaking", "lowshelf", "highshelf")
BUTTERWORTH_KINDS = ("lowpass", "highpass")
MAX_BUTTERWORTH_ORDER = 32


def check_frequency(name: str, frequency_hz: float, sample_rate: float) -> None:
    """Raise `ValueError` unless ``0 < frequency_hz < sample_rate / 2`` and the rate is positive."""
    if not (math.isfinite(sample_rate) and sample_rate > 0):
        raise ValueError(f"sample_rate must be in Hz in (0, inf), got {sample_rate!r}")
    nyquist = sample_rate / 2.0
    if not (math.isfinite(frequency_hz) and 0.0 < frequency_hz < nyquist):
        raise ValueError(
            f"{name} must be in Hz in the open range (0, {nyquist:g}) (below Nyquist at "
            f"sample_rate={sample_rate:g}), got {frequency_hz!r}"
        )


def _check_kind(kind: str, allowed: tuple) -> None:
    if kind not in allowed:
        raise ValueError(f"kind must be one of {', '.join(allowed)}, got {kind!r}")


def cookbook_biquad(
    kind: str,
    cutoff_hz: float,
    sample_rate: float,
    q: float = 1.0 / math.sqrt(2.0),
    gain_db: float = 0.0,
) -> Tensor:
    """One audio-EQ cookbook biquad as a ``(1, 6)`` float64 section.

    Args:
        kind: ``lowpass``, ``highpass``, ``bandpass`` (0 dB peak), ``bandstop`` (notch),
            ``peaking``, ``lowshelf`` or ``highshelf``.
        cutoff_hz: corner or centre frequency in Hz, in ``(0, sample_rate / 2)``. For low/high-pass
            with the default Q it is the -3 dB point; for shelves the half-gain point.
        sample_rate: in Hz, in ``(0, inf)``.
        q: quality factor in ``(0, inf)``; for shelves it is the cookbook's Q (0.7071 gives the
            steepest shelf without overshoot).
        gain_db: boost (positive) or cut in dB for ``peaking`` and the shelves; ignored otherwise.

    Returns:
        ``(1, 6)`` tensor ``[[b0, b1, b2, 1, a1, a2]]``.
    """
    _check_kind(kind, COOKBOOK_KINDS)
    check_frequency("cutoff_hz", cutoff_hz, sample_rate)
    if not (math.isfinite(q) and q > 0.0):
        raise ValueError(f"q must be in (0, inf), got {q!r}")
    if not math.isfinite(gain_db):
        raise ValueError(f"gain_db must be a finite number of dB, got {gain_db!r}")
    w0 = 2.0 * math.pi * cutoff_hz / sample_rate
    cos_w = math.cos(w0)
    alpha = math.sin(w0) / (2.0 * q)
    amp = 10.0 ** (gain_db / 40.0)
    if kind == "lowpass":
        coeffs = [(1 - cos_w) / 2, 1 - cos_w, (1 - cos_w) / 2, 1 + alpha, -2 * cos_w, 1 - alpha]
    elif kind == "highpass":
        coeffs = [(1 + cos_w) / 2, -(1 + cos_w), (1 + cos_w) / 2, 1 + alpha, -2 * cos_w, 1 - alpha]
    elif kind == "bandpass":
        coeffs = [alpha, 0.0, -alpha, 1 + alpha, -2 * cos_w, 1 - alpha]
    elif kind == "bandstop":
        coeffs = [1.0, -2 * cos_w, 1.0, 1 + alpha, -2 * cos_w, 1 - alpha]
    elif kind == "peaking":
        coeffs = [
            1 + alpha * amp,
            -2 * cos_w,
            1 - alpha * amp,
            1 + alpha / amp,
            -2 * cos_w,
            1 - alpha / amp,
        ]
    else:
        root = 2 * math.sqrt(amp) * alpha
        sign = 1.0 if kind == "lowshelf" else -1.0
        ap, am = amp + 1, amp - 1
        coeffs = [
            amp * (ap - sign * am * cos_w + root),
            sign * 2 * amp * (am - sign * ap * cos_w),
            amp * (ap - sign * am * cos_w - root),
            ap + sign * am * cos_w + root,
            -sign * 2 * (am + sign * ap * cos_w),
            ap + sign * am * cos_w - root,
        ]
    sos = torch.tensor([coeffs], dtype=torch.float64)
    return sos / sos[:, 3:4]


def butterworth(kind: str, order: int, cutoff_hz: float, sample_rate: float) -> Tensor:
    """Digital Butterworth low- or high-pass of order `order`, as cookbook sections.

    Maximally flat, -3.01 dB at `cutoff_hz` (bilinear transform pre-warped at the cutoff, as
    `scipy.signal.butter`); the roll-off is ``6 * order`` dB per octave.

    Args:
        kind: ``lowpass`` or ``highpass``.
        order: filter order in ``[1, 32]``.
        cutoff_hz: -3 dB frequency in Hz, in ``(0, sample_rate / 2)``.
        sample_rate: in Hz, in ``(0, inf)``.

    Returns:
        ``(ceil(order / 2), 6)`` float64 sections, the first-order one (odd orders) last.
    """
    _check_kind(kind, BUTTERWORTH_KINDS)
    if isinstance(order, bool) or not isinstance(order, int):
        raise ValueError(f"order must be an int in [1, {MAX_BUTTERWORTH_ORDER}], got {order!r}")
    if not 1 <= order <= MAX_BUTTERWORTH_ORDER:
        raise ValueError(f"order must be in [1, {MAX_BUTTERWORTH_ORDER}], got {order}")
    check_frequency("cutoff_hz", cutoff_hz, sample_rate)
    rows: List[Tensor] = []
    for k in range(1, order // 2 + 1):
        q = 1.0 / (2.0 * math.sin((2 * k - 1) * math.pi / (2 * order)))
        rows.append(cookbook_biquad(kind, cutoff_hz, sample_rate, q=q))
    if order % 2 == 1:
        warp = math.tan(math.pi * cutoff_hz / sample_rate)
        pole = (warp - 1.0) / (warp + 1.0)
        if kind == "lowpass":
            gain = warp / (1.0 + warp)
            row = [gain, gain, 0.0, 1.0, pole, 0.0]
        else:
            gain = 1.0 / (1.0 + warp)
            row = [gain, -gain, 0.0, 1.0, pole, 0.0]
        rows.append(torch.tensor([row], dtype=torch.float64))
    return torch.cat(rows, dim=0)
