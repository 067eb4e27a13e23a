"""`IIRFilter` and `IIRSVF`: the Neutone SDK's IIR filters, on neutone's state-variable filter.

The SDK's ``IIRFilter(filt_type, cutoff, resonance)`` is a trapezoidal (TPT) state-variable filter
with damping ``2R = 1 / resonance``, i.e. ``Q = resonance``, run sample by sample in Python. Here it
is `StateVariableFilter` (the same topology, solved in blocks): the same response, any number of
channels, and a `reset` that clears the state (the SDK's does not). Like the SDK's, it is built at
48 kHz and redesigned by ``set_parameters(sample_rate=...)`` from
``set_model_sample_rate_and_buffer_size``; out-of-range values are clamped at run time (cutoff to
``[1 Hz, 0.49 fs]``, Q to ``[0.05, 100]``, where the SDK allowed ``[1e-4, fs / 2]`` and any Q).

`IIRSVF` is the SDK's time-varying filter: cutoff, resonance and the mix of band-, low- and
high-pass change per sample. Here the cutoff and resonance are read every 16 samples (the
state-variable filter's control rate) and are shared by all channels (the first row is used).
"""

import math
from typing import Optional

import torch
from torch import Tensor

from neutone_core.stateful import StatefulModule
from neutone_filters.fir import FilterType
from neutone_filters.state_variable import StateVariableFilter

IIR_KINDS = ("lowpass", "highpass", "bandpass")
IIR_NOTE = (
    "IIRFilter is neutone's state-variable filter here, with the SDK's response (Q = resonance); "
    "its state is cleared by reset() and it runs any number of channels. Cutoff is clamped to "
    "[1 Hz, 0.49 fs] and Q to [0.05, 100] (the SDK allowed any positive resonance): a ported "
    "model sounds the same unless it used values outside those ranges."
)


def _kind(filt_type: object) -> str:
    if not isinstance(filt_type, FilterType) or filt_type.value not in IIR_KINDS:
        raise ValueError(
            "IIRFilter: filt_type must be FilterType.LOWPASS, HIGHPASS or BANDPASS, got "
            f"{filt_type!r}"
        )
    return filt_type.value


class IIRFilter(StatefulModule):
    """Second-order low-, high- or band-pass (unity peak) filter with state per channel.

    Args:
        filt_type: `FilterType.LOWPASS`, `HIGHPASS` or `BANDPASS`.
        cutoff: cutoff (centre) frequency in Hz, ``> 0``.
        resonance: the filter's Q, ``> 0`` (0.7071 is Butterworth-flat).

    Shape:
        forward: ``(channels, n) -> (channels, n)``.

    Example:
        >>> iir = IIRFilter(FilterType.LOWPASS, cutoff=1000.0, resonance=0.7071)
        >>> iir(torch.randn(2, 256)).shape, iir.delay
        (torch.Size([2, 256]), 0)
    """

    def __init__(self, filt_type: FilterType, cutoff: float, resonance: float) -> None:
        super().__init__()
        kind = _kind(filt_type)
        for name, value in (("cutoff", cutoff), ("resonance", resonance)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"IIRFilter: {name} must be a number > 0, got {value!r}")
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"IIRFilter: {name} must be a finite number > 0, got {value!r}")
        self.kind = kind
        self.cutoff = float(cutoff)
        self.resonance = float(resonance)
        self.sample_rate = 48000
        self.delay = 0
        self.porting_note = IIR_NOTE
        self.svf = StateVariableFilter("lowpass", 48000.0, 1000.0)
        self.svf.configure(kind, 48000.0, self.cutoff, self.resonance)

    def set_parameters(
        self,
        filt_type: Optional[FilterType] = None,
        cutoff: Optional[float] = None,
        resonance: Optional[float] = None,
        sample_rate: Optional[int] = None,
    ) -> None:
        """Change any of the settings (the Neutone SDK's method; scriptable); the state is kept."""
        if filt_type is not None:
            if filt_type.value == "bandstop":
                raise ValueError("IIRFilter.set_parameters: filt_type must not be BANDSTOP")
            self.kind = filt_type.value
        if cutoff is not None:
            self.cutoff = cutoff
        if resonance is not None:
            self.resonance = resonance
        if sample_rate is not None:
            self.sample_rate = sample_rate
        self.svf.configure(self.kind, float(self.sample_rate), self.cutoff, self.resonance)

    @torch.jit.export
    def reset(self) -> None:
        """Clear the filter state of every channel."""
        self.svf.reset()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """0: minimum phase, no pure delay (the group delay varies with frequency; the delay
        check measures the phase beyond minimum phase)."""
        return 0

    def forward(self, audio: Tensor) -> Tensor:
        return self.svf(audio)


IIRSVF_NOTE = (
    "IIRSVF is neutone's state-variable filter here: cutoff and resonance are read every 16 "
    "samples (the SDK read every sample) and the first row serves every channel; the mix still "
    "changes per sample. A ported model sounds the same unless its cutoff jumps within 16 "
    "samples or differs between channels."
)


class IIRSVF(StatefulModule):
    """Time-varying state-variable filter with a per-sample mix of band-, low- and high-pass.

    Shape:
        forward: ``audio (channels, n)``; ``cutoff`` (Hz) and ``resonance`` (Q) ``(rows, n, 1)``
        (row 0 is used); ``mix (channels or 1, n, 3)``: weights of the unity-peak band-pass,
        low-pass and high-pass outputs; ``sample_rate`` in Hz. Returns ``(channels, n)``.

    Example:
        >>> svf = IIRSVF()
        >>> n = 64
        >>> cutoff, q = torch.full((1, n, 1), 1000.0), torch.full((1, n, 1), 0.7071)
        >>> mix = torch.tensor([0.0, 1.0, 0.0]).expand(1, n, 3)  # low-pass
        >>> svf(torch.randn(2, n), cutoff, q, mix, 48000).shape
        torch.Size([2, 64])
    """

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0
        self.sample_rate = 48000.0
        self.porting_note = IIRSVF_NOTE
        self.band = StateVariableFilter("bandpass", 48000.0)
        self.low = StateVariableFilter("lowpass", 48000.0)
        self.high = StateVariableFilter("highpass", 48000.0)

    @torch.jit.export
    def reset(self) -> None:
        """Clear the filter state of every channel."""
        self.band.reset()
        self.low.reset()
        self.high.reset()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """0: minimum phase, no pure delay (the group delay varies with frequency; the delay
        check measures the phase beyond minimum phase)."""
        return 0

    def forward(
        self, audio: Tensor, cutoff: Tensor, resonance: Tensor, mix: Tensor, sample_rate: int
    ) -> Tensor:
        if float(sample_rate) != self.sample_rate:
            self.sample_rate = float(sample_rate)
            self.band.configure("bandpass", self.sample_rate, self.band.cutoff, self.band.q)
            self.low.configure("lowpass", self.sample_rate, self.low.cutoff, self.low.q)
            self.high.configure("highpass", self.sample_rate, self.high.cutoff, self.high.q)
        cut = cutoff[0, :, 0]
        q = resonance[0, :, 0]
        band = self.band(audio, cut, q)
        low = self.low(audio, cut, q)
        high = self.high(audio, cut, q)
        return mix[..., 0] * band + mix[..., 1] * low + mix[..., 2] * high
