"""Measurements of a sample-rate converter chain: SINAD, aliasing and delay (torch only).

A test and benchmark helper (it lives beside the tests, outside the wheel; the benchmark puts this
folder on its path), so that both report the same figures. A "chain" is a list of
`StreamingResampler` applied one after the other (one converter, or a round trip such as
44.1 -> 48 -> 44.1 kHz). Signals are streamed in host buffers of a given size, as a plugin would.

- `measure_sinad`: a tone per channel; after the reported delay and the filters' warm-up, a least-
  squares fit of ``a sin + b cos`` at the known frequency (float64, time axis corrected by the
  reported delay) is the signal; everything else (noise, distortion, aliasing, images) the error.
- `measure_aliasing`: the strongest spectral line left after removing the expected tone (if it lies
  below every Nyquist frequency of the chain), in dB relative to the input tone.
- `folded_level`: the level of the one line a tone above the output's Nyquist frequency folds to,
  by a least-squares fit (far below the noise floor a spectrum shows; issue 20's "alias").
- `impulse_delay`: the delay of a chain in output samples, found by cross-correlating the output
  of a Gaussian pulse with the pulse and interpolating the peak; independent of the reported delay.

Example:
    >>> from neutone_core.resample import StreamingResampler
    >>> chain = [StreamingResampler(44100, 48000, num_channels=1)]
    >>> measure_sinad(chain, [1000.0], buffer_size=512)[0] > 115.0
    True
"""

import math
from typing import List, Tuple

import torch
from torch import Tensor

from neutone_core.resample import StreamingResampler


def stream(chain: List[StreamingResampler], x: Tensor, buffer_size: int) -> Tensor:
    """Feed `x` to the chain in buffers of `buffer_size` samples and join the outputs.

    Shape:
        ``(channels, n)`` -> ``(channels, m)`` with ``m`` the exact output count of the chain.
    """
    if buffer_size < 1:
        raise ValueError(f"buffer_size must be in [1, inf), got {buffer_size}")
    pieces: List[Tensor] = []
    for start in range(0, x.shape[1], buffer_size):
        y = x[:, start : start + buffer_size]
        for converter in chain:
            y = converter(y)
        pieces.append(y.clone())
    if not pieces:
        return x.new_zeros(x.shape[0], 0)
    return torch.cat(pieces, dim=1)


def chain_delay_seconds(chain: List[StreamingResampler]) -> float:
    """Total reported delay of the chain in seconds."""
    return sum(c.delay_input_samples() / c.in_rate for c in chain)


def _warm_up_seconds(chain: List[StreamingResampler]) -> float:
    # Each filter needs its full length of real input before its output is steady.
    return sum(c.num_taps / c.in_rate for c in chain)


def _steady_output(
    chain: List[StreamingResampler], x: Tensor, buffer_size: int
) -> Tuple[Tensor, Tensor]:
    """Stream `x`, drop the delay and warm-up; return (times of the input signal in s, output)."""
    y = stream(chain, x, buffer_size).to(torch.float64)
    out_rate = chain[-1].out_rate
    delay = chain_delay_seconds(chain)
    first = math.ceil((delay + _warm_up_seconds(chain)) * out_rate) + 1
    if first >= y.shape[1]:
        raise ValueError(
            f"signal too short: {y.shape[1]} outputs, the first {first} are delay and warm-up"
        )
    k = torch.arange(first, y.shape[1], dtype=torch.float64)
    return k / out_rate - delay, y[:, first:]


def tone(frequencies: List[float], rate: int, num_samples: int, amplitude: float = 0.5) -> Tensor:
    """One sine per channel, computed in float64 and returned as float32.

    Shape: ``(len(frequencies), num_samples)``.
    """
    t = torch.arange(num_samples, dtype=torch.float64) / rate
    f = torch.tensor(frequencies, dtype=torch.float64).unsqueeze(1)
    return (amplitude * torch.sin(2 * math.pi * f * t)).to(torch.float32)


def fit_tone(y: Tensor, frequency: float, t: Tensor) -> Tensor:
    """Least-squares fit of ``a sin(2 pi f t) + b cos(2 pi f t)`` to `y` (1-D) in float64."""
    basis = torch.stack(
        [torch.sin(2 * math.pi * frequency * t), torch.cos(2 * math.pi * frequency * t)], dim=1
    )
    target = y.to(torch.float64).unsqueeze(1)
    coefficients = torch.linalg.lstsq(basis, target).solution
    return (basis @ coefficients).squeeze(1)


def _chain_nyquist(chain: List[StreamingResampler]) -> float:
    return min(min(c.in_rate, c.out_rate) for c in chain) / 2.0


def measure_sinad(
    chain: List[StreamingResampler],
    frequencies: List[float],
    buffer_size: int,
    duration: float = 0.5,
    amplitude: float = 0.5,
) -> List[float]:
    """SINAD in dB of a tone per channel streamed through the chain.

    Args:
        chain: converters, the first one's `num_channels` equal to ``len(frequencies)``.
        frequencies: one tone per channel in Hz, below every Nyquist frequency of the chain.
        buffer_size: host buffer size in samples, >= 1.
        duration: seconds of input.
        amplitude: peak amplitude of each tone (full scale is 1).

    Returns:
        ``10 log10(fitted power / residual power)`` per channel.
    """
    rate = chain[0].in_rate
    x = tone(frequencies, rate, int(duration * rate), amplitude)
    t, y = _steady_output(chain, x, buffer_size)
    result: List[float] = []
    for channel, frequency in enumerate(frequencies):
        fitted = fit_tone(y[channel], frequency, t)
        error = y[channel] - fitted
        ratio = float(fitted.pow(2).sum()) / max(float(error.pow(2).sum()), 1e-300)
        result.append(10.0 * math.log10(ratio))
    return result


def measure_aliasing(
    chain: List[StreamingResampler],
    frequency: float,
    buffer_size: int = 512,
    duration: float = 0.5,
    amplitude: float = 0.5,
) -> float:
    """Level in dB (re the input tone) of the strongest spectral line other than the tone itself.

    The tone goes through every channel of the chain; channel 0 is analysed. If `frequency` lies
    below every Nyquist frequency of the chain it is the expected component and is removed by a
    least-squares fit first; otherwise nothing of it should remain. The rest is analysed with a
    Kaiser window (beta 20, side lobes below -180 dB).
    """
    rate = chain[0].in_rate
    x = tone([frequency] * chain[0].num_channels, rate, int(duration * rate), amplitude)
    t, y = _steady_output(chain, x, buffer_size)
    residual = y[0]
    if frequency < _chain_nyquist(chain):
        residual = residual - fit_tone(residual, frequency, t)
    window = torch.kaiser_window(residual.shape[0], periodic=False, beta=20.0, dtype=torch.float64)
    spectrum = torch.fft.rfft(residual * window).abs() * (2.0 / float(window.sum()))
    return 20.0 * math.log10(max(float(spectrum.max()), 1e-300) / amplitude)


def folded_level(
    converter: StreamingResampler, frequency: float, buffer_size: int = 512, duration: float = 2.0
) -> float:
    """Level in dB (re the input tone) of the alias of a tone above the output's Nyquist frequency.

    The tone at `frequency` (between ``out_rate / 2`` and ``out_rate``) folds to
    ``out_rate - frequency``; that component is fitted by least squares on channel 0.
    """
    out_rate = converter.out_rate
    if not out_rate / 2 < frequency < out_rate:
        raise ValueError(
            f"frequency must lie in ({out_rate / 2}, {out_rate}) Hz to fold, got {frequency}"
        )
    amplitude = 0.5
    x = tone(
        [frequency] * converter.num_channels, converter.in_rate, int(duration * converter.in_rate)
    )
    t, y = _steady_output([converter], x, buffer_size)
    fitted = fit_tone(y[0], out_rate - frequency, t)
    level = math.sqrt(2.0 * float(fitted.pow(2).mean()))
    return 20.0 * math.log10(max(level, 1e-300) / amplitude)


def impulse_delay(chain: List[StreamingResampler], buffer_size: int = 512) -> float:
    """Delay of the chain in output samples, measured with a Gaussian pulse.

    The pulse (standard deviation 4 samples of the slowest rate in the chain) is centred on a
    whole input sample; the output is cross-correlated with the pulse as it would look at the output
    rate, on a grid of 1/1000 output sample around the peak, and the peak refined by a parabola.
    A symmetric (linear-phase) chain keeps the output symmetric about the delayed centre, so the
    estimate does not depend on the filter's amplitude response.
    """
    in_rate = chain[0].in_rate
    out_rate = chain[-1].out_rate
    sigma = 4.0 * in_rate / (2.0 * _chain_nyquist(chain))  # input samples
    centre = math.ceil(10 * sigma) + 16
    delay_in = chain_delay_seconds(chain) * in_rate
    length = (
        2 * centre + math.ceil(delay_in) + sum(c.num_taps * in_rate // c.in_rate for c in chain)
    )
    n = torch.arange(length, dtype=torch.float64)
    pulse = torch.exp(-0.5 * ((n - centre) / sigma) ** 2).to(torch.float32)
    x = pulse.unsqueeze(0).expand(chain[0].num_channels, length).contiguous()
    y = stream(chain, x, buffer_size)[0].to(torch.float64)
    scale = out_rate / in_rate
    sigma_out = sigma * scale
    peak = int(torch.argmax(y))
    half = math.ceil(10 * sigma_out)
    low, high = max(0, peak - half), min(y.shape[0], peak + half + 1)
    k = torch.arange(low, high, dtype=torch.float64)
    taus = peak + torch.linspace(-2.0, 2.0, 4001, dtype=torch.float64)
    template = torch.exp(-0.5 * ((k.unsqueeze(0) - taus.unsqueeze(1)) / sigma_out) ** 2)
    correlation = template @ y[low:high]
    best = int(torch.argmax(correlation))
    best = min(max(best, 1), correlation.shape[0] - 2)
    left, middle, right = (float(v) for v in correlation[best - 1 : best + 2])
    step = float(taus[1] - taus[0])
    offset = 0.5 * (left - right) / (left - 2 * middle + right) if left != right else 0.0
    tau = float(taus[best]) + offset * step
    return tau - centre * scale
