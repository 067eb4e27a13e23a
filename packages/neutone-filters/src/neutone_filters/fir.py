"""Linear-phase FIR filters: Kaiser windowed-sinc design and a streaming convolution.

Design (`design_fir`) follows `scipy.signal.firwin` with a Kaiser window: the ideal response is a
sum of sinc low-passes (a high-pass is ``δ - lowpass``, a band-pass the difference of two
low-passes), centred on tap ``(taps - 1) / 2``, windowed, and scaled to unit gain at the centre of
the first pass band. The cutoff is the half-amplitude (-6 dB) point, as in firwin. The taps and the
window shape come either from the caller or from Kaiser's formulas for a transition width and a
stop-band attenuation (`neutone_core.kaiser`).

Streaming (`FIRFilter`) keeps the last ``taps - 1`` input samples of every channel. Short filters
are convolved directly (one matrix product over an unfolded view); longer ones by FFT, whose kernel
spectrum is cached per FFT size. The crossover, 64 taps, was measured on one CPU thread for stereo
buffers of 64 to 2048 samples (see the package README). Outside autograd the history and the new
buffer are copied into alternating halves of a preallocated work buffer instead of concatenated, and
the taps are kept in the input's dtype, so a steady-state call allocates only what the product
(direct) or the FFTs allocate.
"""

import math
from typing import List, Sequence, Union

import torch
from torch import Tensor, nn

from neutone_core.kaiser import kaiser_beta, kaiser_kernel, kaiser_num_taps
from neutone_filters.biquad import check_frequency

FIR_KINDS = ("lowpass", "highpass", "bandpass", "bandstop")
FIR_METHODS = ("auto", "direct", "fft")
DIRECT_MAX_TAPS = 64


def _cutoffs(
    kind: str, cutoff_hz: Union[float, Sequence[float]], sample_rate: float
) -> List[float]:
    two_edges = kind in ("bandpass", "bandstop")
    values = [cutoff_hz] if isinstance(cutoff_hz, (int, float)) else list(cutoff_hz)
    if len(values) != (2 if two_edges else 1):
        shape = "two frequencies (low, high)" if two_edges else "one frequency"
        raise ValueError(f"cutoff_hz must be {shape} for kind={kind!r}, got {cutoff_hz!r}")
    edges = [float(v) for v in values]
    for edge in edges:
        check_frequency("cutoff_hz", edge, sample_rate)
    if two_edges and not edges[0] < edges[1]:
        raise ValueError(f"cutoff_hz must be increasing (low < high), got {cutoff_hz!r}")
    return edges


def design_fir(
    kind: str,
    cutoff_hz: Union[float, Sequence[float]],
    sample_rate: float,
    num_taps: int | None = None,
    transition_hz: float | None = None,
    attenuation_db: float = 60.0,
) -> Tensor:
    """Kaiser windowed-sinc FIR taps (float64, odd length, symmetric: linear phase).

    Args:
        kind: ``lowpass``, ``highpass``, ``bandpass`` or ``bandstop``.
        cutoff_hz: -6 dB frequency in Hz, in ``(0, sample_rate / 2)``; a pair ``(low, high)`` for
            band-pass and band-stop.
        sample_rate: in Hz, in ``(0, inf)``.
        num_taps: odd number of taps ``>= 3``; give this or `transition_hz`, not both.
        transition_hz: width of each transition band in Hz, in ``(0, sample_rate / 2)``; the tap
            count then follows from Kaiser's formula for `attenuation_db`.
        attenuation_db: stop-band attenuation in dB, in ``(0, inf)``; sets the Kaiser ``beta``.

    Returns:
        ``(taps,)`` float64 taps; the filter delays by ``(taps - 1) / 2`` samples.
    """
    if kind not in FIR_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FIR_KINDS)}, got {kind!r}")
    edges = _cutoffs(kind, cutoff_hz, sample_rate)
    beta = kaiser_beta(attenuation_db)
    if (num_taps is None) == (transition_hz is None):
        raise ValueError(
            "give exactly one of num_taps (odd int >= 3) or transition_hz (Hz in "
            f"(0, {sample_rate / 2:g})), got num_taps={num_taps!r}, transition_hz={transition_hz!r}"
        )
    if transition_hz is not None:
        check_frequency("transition_hz", transition_hz, sample_rate)
        taps = kaiser_num_taps(attenuation_db, transition_hz / sample_rate)
    else:
        taps = num_taps
        if isinstance(taps, bool) or not isinstance(taps, int) or taps < 3 or taps % 2 == 0:
            raise ValueError(f"num_taps must be an odd int >= 3, got {num_taps!r}")
    half = (taps - 1) // 2
    t = torch.arange(taps, dtype=torch.float64) - half
    fractions = [edge / sample_rate for edge in edges]

    def low(fraction: float) -> Tensor:
        return kaiser_kernel(t, fraction, float(half), beta)

    if kind == "lowpass":
        h, scale_at = low(fractions[0]), 0.0
    elif kind == "highpass":
        h, scale_at = low(0.5) - low(fractions[0]), 0.5
    elif kind == "bandpass":
        h, scale_at = low(fractions[1]) - low(fractions[0]), 0.5 * (fractions[0] + fractions[1])
    else:
        h, scale_at = low(0.5) - low(fractions[1]) + low(fractions[0]), 0.0
    return h / (h * torch.cos(2.0 * math.pi * scale_at * t)).sum()


class FIRFilter(nn.Module):
    """Streaming FIR filter with state per channel; output is the full convolution, delayed.

    Reports ``(taps - 1) / 2`` samples of delay: exact for the symmetric (linear-phase) taps of
    `design_fir`, and the centre tap for any other odd-length kernel.

    Args:
        taps: ``(taps,)`` kernel, odd length (a whole-sample delay); float32/float64.
        method: ``direct``, ``fft`` or ``auto`` (direct up to 64 taps, FFT above).

    Shape:
        forward: ``(channels, n) -> (channels, n)``, ``n >= 0``; the state is allocated on the first
        call and zeroed if the channel count or dtype changes.

    Example:
        >>> fir = FIRFilter(design_fir("lowpass", 4000.0, 48000, num_taps=31))
        >>> fir.get_delay_samples()
        15
    """

    def __init__(self, taps: Tensor, method: str = "auto") -> None:
        super().__init__()
        if taps.dim() != 1 or taps.numel() % 2 == 0:
            raise ValueError(
                f"taps must be a 1-D kernel of odd length, got shape {tuple(taps.shape)}"
            )
        if method not in FIR_METHODS:
            raise ValueError(f"method must be one of {', '.join(FIR_METHODS)}, got {method!r}")
        num = taps.numel()
        self.num_taps = num
        self.use_fft = method == "fft" or (method == "auto" and num > DIRECT_MAX_TAPS)
        self.register_buffer("taps", taps.detach().to(torch.float64).clone(), persistent=False)
        self.register_buffer("reversed_taps", self.taps.flip(0), persistent=False)
        self.register_buffer("kernel", self.reversed_taps.float(), persistent=False)
        self.register_buffer("history", torch.zeros(0, num - 1), persistent=False)
        self.register_buffer("kernel_fft", torch.zeros(0, dtype=torch.complex64), persistent=False)
        self.fft_size = 0
        # Two halves of (channels * (taps - 1 + n),) for the longest n seen; `half` is the one the
        # next call fills (history, then the buffer).
        self.register_buffer("work", torch.zeros(0), persistent=False)
        self.half = 0

    @torch.jit.export
    def reset(self) -> None:
        """Zero the input history of every channel (in place)."""
        self.history.zero_()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """``(taps - 1) / 2``: the centre of a linear-phase kernel, a whole number of samples."""
        return (self.num_taps - 1) // 2

    def forward(self, x: Tensor) -> Tensor:
        channels = x.size(0)
        n = x.size(1)
        if self.history.size(0) != channels or self.history.dtype != x.dtype:
            self.history = torch.zeros(channels, self.num_taps - 1, dtype=x.dtype, device=x.device)
        if n == 0:
            return x.clone()
        padded = self._padded(x)
        if self.use_fft:
            return self._fft(padded, n)
        if self.kernel.dtype != x.dtype:
            self.kernel = self.reversed_taps.to(x.dtype)
        # The product copies the overlapping windows into a matrix of its own (taps times the
        # buffer); copying them into a preallocated one instead changes the result in the last bit
        # for some shapes (another product kernel), so that allocation stays.
        return padded.unfold(1, self.num_taps, 1) @ self.kernel

    def _padded(self, x: Tensor) -> Tensor:
        """History then `x`, ``(channels, taps - 1 + n)``, contiguous; updates the history.

        Outside autograd a view of one half of the work buffer (the history is a view of the other
        half, so no copy overlaps); a new tensor when `x` requires grad.
        """
        n = x.size(1)
        kept = self.num_taps - 1
        if torch.is_grad_enabled() and x.requires_grad:
            padded = torch.cat([self.history, x], dim=1)
            self.history.copy_(padded.narrow(1, n, kept).detach())
            return padded
        size = x.size(0) * (kept + n)
        if self.work.size(0) < 2 * size or self.work.dtype != x.dtype:
            self.work = x.new_empty(2 * size)  # the history still holds the old buffer
        start = self.half * (self.work.size(0) // 2)
        self.half = 1 - self.half
        padded = self.work.narrow(0, start, size).view(x.size(0), kept + n)
        padded.narrow(1, 0, kept).copy_(self.history)
        padded.narrow(1, kept, n).copy_(x)
        self.history = padded.narrow(1, n, kept)
        return padded

    def _fft(self, padded: Tensor, n: int) -> Tensor:
        length = padded.size(1)
        size = 1
        while size < length:
            size *= 2
        spectrum_dtype = torch.complex128 if padded.dtype == torch.float64 else torch.complex64
        if size != self.fft_size or self.kernel_fft.dtype != spectrum_dtype:
            self.kernel_fft = torch.fft.rfft(self.taps, size).to(spectrum_dtype)
            self.fft_size = size
        y = torch.fft.irfft(torch.fft.rfft(padded, size) * self.kernel_fft, size)
        return y[:, self.num_taps - 1 : length]
