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
(direct) or the FFTs allocate. Under `torch.export` (``torch.compiler.is_exporting()``) the filter
takes a third path, one direct convolution with no per-length choice, so one graph serves any
block length; TorchScript and eager never take it.
"""

import math
from enum import Enum
from typing import Any, List, Optional, Sequence, Union

import torch
from torch import Tensor

from neutone_core.kaiser import kaiser_beta, kaiser_kernel, kaiser_num_taps
from neutone_core.stateful import StatefulModule
from neutone_filters.biquad import check_frequency
from neutone_filters.checks import is_int_at_least

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
    elif not is_int_at_least(num_taps, 3) or num_taps % 2 == 0:
        raise ValueError(f"num_taps must be an odd int >= 3, got {num_taps!r}")
    else:
        taps = num_taps
    return _design_taps(kind, [edge / sample_rate for edge in edges], taps, beta)


def _design_taps(kind: str, fractions: List[float], taps: int, beta: float) -> Tensor:
    """The windowed-sinc taps of `design_fir` from checked arguments (edges in f/fs); scriptable.

    An edge at or above Nyquist is taken as Nyquist (a low-pass there passes everything), so that
    a scripted filter redesigned for a low sample rate stays defined.
    """
    half = (taps - 1) // 2
    t = torch.arange(taps, dtype=torch.float64) - half
    edges = [min(max(fraction, 1e-9), 0.5) for fraction in fractions]
    width = float(half)
    all_pass = kaiser_kernel(t, 0.5, width, beta)
    if kind == "lowpass":
        h, scale_at = kaiser_kernel(t, edges[0], width, beta), 0.0
    elif kind == "highpass":
        h, scale_at = all_pass - kaiser_kernel(t, edges[0], width, beta), 0.5
    elif kind == "bandpass":
        h = kaiser_kernel(t, edges[1], width, beta) - kaiser_kernel(t, edges[0], width, beta)
        scale_at = 0.5 * (edges[0] + edges[1])
    else:
        h = all_pass - kaiser_kernel(t, edges[1], width, beta)
        h, scale_at = h + kaiser_kernel(t, edges[0], width, beta), 0.0
    gain = float((h * torch.cos(2.0 * math.pi * scale_at * t)).sum())
    if abs(gain) < 1e-12:
        return h  # the whole band lies above Nyquist: nothing passes
    return h / gain


class FilterType(Enum):
    """The Neutone SDK's names for the four FIR responses (`FIRFilter`) and the IIR ones."""

    LOWPASS = "lowpass"
    HIGHPASS = "highpass"
    BANDPASS = "bandpass"
    BANDSTOP = "bandstop"


REFERENCE_FIR_NOTE = (
    "FIRFilter({kind}, cutoffs={cutoffs}, filt_size={size}) is a centred linear-phase filter "
    "here: its impulse peaks at delay={delay} samples, the delay it reports. The Neutone SDK 1.5 "
    "filter reported the same delay but its impulse peaked at {late} (filt_size - 1) and its "
    "kernel was not centred, which bent the response: a ported model now sounds {delay} samples "
    "earlier than under the SDK (matching the delay it reports) and with the response its cutoffs "
    "ask for."
)


def _filter_kind(filt_type: Union["FilterType", str]) -> str:
    value = filt_type.value if isinstance(filt_type, FilterType) else filt_type
    if value not in FIR_KINDS:
        names = ", ".join(f"FilterType.{kind.upper()}" for kind in FIR_KINDS)
        raise ValueError(f"FIRFilter: filt_type must be one of {names}, got {filt_type!r}")
    return value


class FIRFilter(StatefulModule):
    """Streaming FIR filter with state per channel; output is the full convolution, delayed.

    Reports ``(taps - 1) / 2`` samples of delay (`get_delay_samples`, and `delay` as the Neutone
    SDK names it): exact for the symmetric (linear-phase) taps of `design_fir`, and the centre tap
    for any other odd-length kernel.

    Two ways to build one:

    * ours, from taps: ``FIRFilter(design_fir("lowpass", 4000.0, 48000, num_taps=31))``;
    * the Neutone SDK's, from a response: ``FIRFilter(FilterType.LOWPASS, [1000.0],
      filt_size=257)``, designed here by `design_fir` (Kaiser, 60 dB) at `sample_rate`; call
      ``set_parameters(sample_rate=sr)`` (scriptable) from
      ``set_model_sample_rate_and_buffer_size`` to redesign it at the model's rate. Unlike the
      SDK's, the kernel is centred: see `REFERENCE_FIR_NOTE`. The SDK 1.0 form
      ``FIRFilter([40, 8000], sample_rate=48000, filt_type="bandpass")`` is accepted as well.

    Args:
        taps: ``(taps,)`` kernel, odd length (a whole-sample delay); float32/float64. Or a
            `FilterType` (the SDK's ``filt_type``).
        cutoffs: with a `FilterType`: the -6 dB frequencies in Hz, one (low/high-pass) or two
            increasing ones (band-pass/stop), each in ``(0, sample_rate / 2)``.
        filt_size: with a `FilterType`: the odd number of taps, ``>= 3``.
        method: ``direct``, ``fft`` or ``auto`` (direct up to 64 taps, FFT above).
        filt_type: the SDK's keyword for the response (`FilterType` or its value).
        sample_rate: with a `FilterType`: the design rate in Hz until `set_parameters` changes it.

    Shape:
        forward: ``(channels, n) -> (channels, n)``, ``n >= 0``; the state is allocated on the first
        call and zeroed if the channel count or dtype changes.

    Example:
        >>> fir = FIRFilter(design_fir("lowpass", 4000.0, 48000, num_taps=31))
        >>> fir.get_delay_samples()
        15
        >>> FIRFilter(FilterType.LOWPASS, [1000.0], filt_size=257).delay
        128
    """

    # Buffers (registered in __init__).
    taps: Tensor
    reversed_taps: Tensor
    kernel: Tensor
    history: Tensor
    kernel_fft: Tensor
    work: Tensor

    cutoffs: List[float]

    def __init__(
        self,
        taps: Union[Tensor, FilterType, Sequence[float], None] = None,
        cutoffs: Optional[Sequence[float]] = None,
        filt_size: int = 257,
        method: str = "auto",
        *,
        filt_type: Union[FilterType, str, None] = None,
        sample_rate: int = 48000,
    ) -> None:
        super().__init__()
        if method not in FIR_METHODS:
            raise ValueError(f"method must be one of {', '.join(FIR_METHODS)}, got {method!r}")
        self.method = method
        self.direct_max_taps = DIRECT_MAX_TAPS
        self.kind = ""  # the design's response; "" for taps given by the caller
        self.cutoffs = []
        self.sample_rate = 0
        self.attenuation_db = 60.0
        self.porting_note = ""
        if isinstance(taps, FilterType) or filt_type is not None:
            # The SDK's argument orders move values between parameters of other types; each is
            # checked where it is used (_filter_kind, _design), so they are Any here.
            response: Any = filt_type
            given: Any = taps
            edges: Any = cutoffs
            if response is None:
                response, given = given, None
            if edges is None and given is not None and not isinstance(given, Tensor):
                edges, given = given, None  # the SDK 1.0 order: cutoffs first
            if given is not None:
                raise ValueError(
                    f"FIRFilter: give taps or filt_type, not both; got taps={given!r} and "
                    f"filt_type={response!r}"
                )
            kernel = self._design(_filter_kind(response), edges, sample_rate, filt_size)
            self.porting_note = REFERENCE_FIR_NOTE.format(
                kind=f"FilterType.{self.kind.upper()}",
                cutoffs=self.cutoffs,
                size=filt_size,
                delay=(filt_size - 1) // 2,
                late=filt_size - 1,
            )
        elif isinstance(taps, Tensor):
            if taps.dim() != 1 or taps.numel() % 2 == 0:
                raise ValueError(
                    f"taps must be a 1-D kernel of odd length, got shape {tuple(taps.shape)}"
                )
            kernel = taps
        else:
            raise ValueError(
                "FIRFilter: taps must be a 1-D Tensor of odd length or a FilterType, got "
                f"{taps!r}; "
                "e.g. FIRFilter(design_fir('lowpass', 1000.0, 48000, num_taps=257)) or "
                "FIRFilter(FilterType.LOWPASS, [1000.0])"
            )
        self.num_taps = kernel.numel()
        self.delay = (self.num_taps - 1) // 2
        self.use_fft = False
        self.fft_size = 0
        self.register_buffer("taps", torch.zeros(0, dtype=torch.float64), persistent=False)
        self.register_buffer("reversed_taps", torch.zeros(0, dtype=torch.float64), persistent=False)
        self.register_buffer("kernel", torch.zeros(0), persistent=False)
        self.register_buffer("history", torch.zeros(0, 0), persistent=False)
        self.register_buffer("kernel_fft", torch.zeros(0, dtype=torch.complex64), persistent=False)
        # (channels * (taps - 1 + n),) for the longest n seen: the history, then the buffer.
        self.register_buffer("work", torch.zeros(0), persistent=False)
        self._load(kernel.detach().to(torch.float64).clone())

    def _design(
        self, kind: str, cutoffs: Optional[Sequence[float]], sample_rate: int, filt_size: int
    ) -> Tensor:
        if isinstance(filt_size, bool) or not isinstance(filt_size, int):
            raise ValueError(f"FIRFilter: filt_size must be an odd int >= 3, got {filt_size!r}")
        if filt_size < 3 or filt_size % 2 == 0:
            raise ValueError(
                f"FIRFilter: filt_size must be an odd int >= 3 (a whole-sample delay), got "
                f"{filt_size}; use {max(3, filt_size + 1)}"
            )
        if cutoffs is None:
            raise ValueError(f"FIRFilter: cutoffs (Hz) are required with filt_type {kind!r}")
        edges = _cutoffs(kind, [float(c) for c in cutoffs], float(sample_rate))
        self.kind = kind
        self.cutoffs = edges
        self.sample_rate = int(sample_rate)
        beta = kaiser_beta(self.attenuation_db)
        return _design_taps(kind, [edge / sample_rate for edge in edges], filt_size, beta)

    def _load(self, taps: Tensor) -> None:
        """Install a float64 kernel; state and caches restart (the next call allocates them)."""
        num = taps.numel()
        self.num_taps = num
        self.delay = (num - 1) // 2
        self.use_fft = self.method == "fft" or (
            self.method == "auto" and num > self.direct_max_taps
        )
        self.taps = taps
        self.reversed_taps = taps.flip(0)
        self.kernel = self.reversed_taps.float()
        self.history = torch.zeros(0, num - 1, device=taps.device)
        self.kernel_fft = torch.zeros(0, dtype=torch.complex64, device=taps.device)
        self.fft_size = 0
        self.work = torch.zeros(0, device=taps.device)

    def set_parameters(
        self,
        filt_type: Optional[FilterType] = None,
        cutoffs: Optional[List[float]] = None,
        sample_rate: Optional[int] = None,
        filt_size: Optional[int] = None,
    ) -> None:
        """Redesign a filter built from a `FilterType` (the Neutone SDK's method; scriptable).

        Arguments left out keep their value; the state restarts. Edges at or above the new Nyquist
        frequency are taken as Nyquist.
        """
        if self.kind == "":
            raise ValueError(
                "FIRFilter.set_parameters: this filter was built from taps; build a new "
                "FIRFilter(taps) instead"
            )
        kind = self.kind if filt_type is None else filt_type.value
        edges = self.cutoffs if cutoffs is None else cutoffs
        rate = self.sample_rate if sample_rate is None else sample_rate
        size = self.num_taps if filt_size is None else filt_size
        if len(edges) != (2 if kind == "bandpass" or kind == "bandstop" else 1):
            raise ValueError("FIRFilter.set_parameters: cutoffs must be 1 value (2 for bandpass)")
        if size < 3 or size % 2 == 0 or rate <= 0:
            raise ValueError("FIRFilter.set_parameters: filt_size must be odd >= 3, rate > 0")
        self.kind = kind
        self.cutoffs = edges
        self.sample_rate = rate
        fractions = [edge / float(rate) for edge in edges]
        beta = kaiser_beta(self.attenuation_db)
        self._load(_design_taps(kind, fractions, size, beta).to(self.taps.device))

    @torch.jit.export
    def reset(self) -> None:
        """Zero the input history of every channel (in place)."""
        self.history.zero_()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """``(taps - 1) / 2``: the centre of a linear-phase kernel, a whole number of samples (its
        group delay at every frequency: the pure delay the delay check compares)."""
        return (self.num_taps - 1) // 2

    def forward(self, x: Tensor) -> Tensor:
        channels = x.size(0)
        n = x.size(1)
        if self.history.size(0) != channels or self.history.dtype != x.dtype:
            self.history = torch.zeros(channels, self.num_taps - 1, dtype=x.dtype, device=x.device)
        if n == 0:
            return x.clone()
        # Nested: TorchScript drops only a whole `if not is_scripting()` block, not an `and`.
        if not torch.jit.is_scripting():  # noqa: SIM102
            if torch.compiler.is_exporting():
                return self._forward_exported(x)
        padded = self._padded(x)
        if self.use_fft:
            return self._fft(padded, n)
        if self.kernel.dtype != x.dtype:
            self.kernel = self.reversed_taps.to(x.dtype)
        # The product copies the overlapping windows into a matrix of its own (taps times the
        # buffer); copying them into a preallocated one instead changes the result in the last bit
        # for some shapes (another product kernel), so that allocation stays.
        return padded.unfold(1, self.num_taps, 1) @ self.kernel

    def _forward_exported(self, x: Tensor) -> Tensor:
        """The convolution as `torch.export` can keep it for any block length: no work buffer
        sized per call and no FFT size chosen per length (one direct convolution), the history
        updated in place. Equal to the other paths up to float rounding; allocates per call."""
        n = x.size(1)
        padded = torch.cat([self.history, x], dim=1)
        self.history.copy_(padded.narrow(1, n, self.num_taps - 1))
        kernel = self.reversed_taps.to(x.dtype).view(1, 1, self.num_taps)
        return torch.nn.functional.conv1d(padded.unsqueeze(1), kernel).squeeze(1)

    def _padded(self, x: Tensor) -> Tensor:
        """History then `x`, ``(channels, taps - 1 + n)``, contiguous; updates the history.

        Outside autograd a view of the work buffer; the history is a tensor of its own, refilled
        from the end of that view (taps - 1 samples per channel), so no copy overlaps and a deep
        copy of the filter, which turns views into tensors of their own, runs as the original. A
        new tensor when `x` requires grad.
        """
        n = x.size(1)
        kept = self.num_taps - 1
        if torch.is_grad_enabled() and x.requires_grad:
            padded = torch.cat([self.history, x], dim=1)
            self.history.copy_(padded.narrow(1, n, kept).detach())
            return padded
        size = x.size(0) * (kept + n)
        if self.work.size(0) < size or self.work.dtype != x.dtype:
            self.work = x.new_empty(size)
        padded = self.work.narrow(0, 0, size).view(x.size(0), kept + n)
        padded.narrow(1, 0, kept).copy_(self.history)
        padded.narrow(1, kept, n).copy_(x)
        self.history.copy_(padded.narrow(1, n, kept))
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
