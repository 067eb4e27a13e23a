"""Knob-driven state-variable filter (topology-preserving transform, Zavalishin / Simper).

The TPT SVF keeps two trapezoidal-integrator states that stay meaningful when the coefficients
change, so cutoff and resonance can move every buffer (or every sample) without clicks and without
the blow-ups of a direct-form biquad under modulation. New knob values are reached by a per-sample
ramp across the buffer (log-frequency for the cutoff, log-Q for the resonance), so a jump between
buffers becomes a glide.

Per sample, with ``g = tan(π fc / fs)``, ``k = 1 / Q``, ``a1 = 1 / (1 + g (g + k))``,
``a2 = g a1``, ``a3 = g a2`` and states ``(s1, s2)`` (Simper's ``ic1eq``, ``ic2eq``)::

    v1 = a1 s1 + a2 (x - s2)          (band-pass)
    v2 = s2 + a2 s1 + a3 (x - s2)     (low-pass)
    s1' = 2 v1 - s1                   s2' = 2 v2 - s2

This is an affine recurrence ``s' = M_n s + b_n x_n`` with per-sample 2×2 matrices. Rather than loop
over samples (slow in TorchScript), the whole buffer is solved with a parallel prefix scan
(Hillis–Steele, ``log2(n)`` steps of batched products of 2×2 matrices) in float64.
"""

import math
from typing import List, Optional

import torch
from torch import Tensor, nn

from neutone_filters.biquad import check_frequency

SVF_MODES = ("lowpass", "highpass", "bandpass", "notch")
MIN_CUTOFF_HZ = 1.0
MAX_CUTOFF_FRACTION = 0.49
MIN_Q = 0.05
MAX_Q = 100.0

# Output mixes (x, k * band, low): high = x - k band - low; unity-peak band-pass = k band.
_MIXES = {
    "lowpass": (0.0, 0.0, 1.0),
    "highpass": (1.0, -1.0, -1.0),
    "bandpass": (0.0, 1.0, 0.0),
    "notch": (1.0, -1.0, 0.0),
}


class StateVariableFilter(nn.Module):
    """Stateful TPT state-variable filter whose cutoff and Q may change on every call.

    Knob values passed to `forward` are clamped at run time to cutoff in
    ``[1 Hz, 0.49 * sample_rate]`` and Q in ``[0.05, 100]`` (raising inside the audio callback would
    stop the host); the constructor checks its arguments and raises `ValueError`.
    The delay is 0: the filter is minimum phase, with no bulk delay to compensate.

    Args:
        mode: ``lowpass``, ``highpass``, ``bandpass`` (0 dB at the centre) or ``notch``.
        sample_rate: in Hz, in ``(0, inf)``.
        cutoff_hz: initial cutoff (centre) frequency in Hz, in ``(0, sample_rate / 2)``.
        q: initial quality factor in ``[0.05, 100]``; 0.7071 is Butterworth-flat.

    Shape:
        forward: ``x (channels, n)``; ``cutoff_hz`` and ``q`` each ``None`` (keep the current
        value), a one-element tensor (ramp to it across this buffer) or an ``(n,)`` tensor (one
        value per sample); returns ``(channels, n)``.

    Example:
        >>> svf = StateVariableFilter("lowpass", 48000.0, cutoff_hz=500.0)
        >>> y = svf(torch.randn(2, 256), cutoff_hz=torch.tensor(2000.0))
        >>> tuple(y.shape)
        (2, 256)
    """

    def __init__(
        self, mode: str, sample_rate: float, cutoff_hz: float = 1000.0, q: float = 0.7071
    ) -> None:
        super().__init__()
        if mode not in _MIXES:
            raise ValueError(f"mode must be one of {', '.join(SVF_MODES)}, got {mode!r}")
        check_frequency("cutoff_hz", cutoff_hz, sample_rate)
        if not (math.isfinite(q) and MIN_Q <= q <= MAX_Q):
            raise ValueError(f"q must be in [{MIN_Q}, {MAX_Q}], got {q!r}")
        mix = _MIXES[mode]
        self.mix_x = mix[0]
        self.mix_band = mix[1]
        self.mix_low = mix[2]
        self.sample_rate = float(sample_rate)
        self.min_cutoff = MIN_CUTOFF_HZ
        self.max_cutoff = MAX_CUTOFF_FRACTION * float(sample_rate)
        self.min_q = MIN_Q
        self.max_q = MAX_Q
        self.initial_cutoff = float(cutoff_hz)
        self.initial_q = float(q)
        self.cutoff = float(cutoff_hz)
        self.q = float(q)
        self.register_buffer("state", torch.zeros(0, 2, dtype=torch.float64), persistent=False)

    @torch.jit.export
    def reset(self) -> None:
        """Zero the integrator states and return the knobs to their constructor values."""
        self.state = torch.zeros(0, 2, dtype=torch.float64, device=self.state.device)
        self.cutoff = self.initial_cutoff
        self.q = self.initial_q

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """0: the filter is minimum phase, with no bulk delay to compensate."""
        return 0

    def _trajectory(
        self, target: Optional[Tensor], current: float, low: float, high: float, n: int
    ) -> Tensor:
        """Per-sample values (float64, ``(n,)``), ramped geometrically from `current` to `target`."""
        if target is None:
            return torch.full([n], current, dtype=torch.float64, device=self.state.device)
        values = target.to(torch.float64).reshape(-1)
        if values.numel() == 1:
            start = math.log(current)
            stop = math.log(min(max(float(values[0]), low), high))
            ramp = torch.arange(1, n + 1, dtype=torch.float64, device=self.state.device) / n
            return torch.exp(start + (stop - start) * ramp)
        if values.numel() != n:
            raise ValueError(
                f"a per-sample knob must have n = {n} values (or one), got {values.numel()}"
            )
        return values.clamp(low, high)

    def forward(
        self, x: Tensor, cutoff_hz: Optional[Tensor] = None, q: Optional[Tensor] = None
    ) -> Tensor:
        channels = x.size(0)
        n = x.size(1)
        if self.state.size(0) != channels or self.state.dtype != torch.float64:
            self.state = torch.zeros(channels, 2, dtype=torch.float64, device=x.device)
        if n == 0:
            return x.clone()
        cut = self._trajectory(cutoff_hz, self.cutoff, self.min_cutoff, self.max_cutoff, n)
        res = self._trajectory(q, self.q, self.min_q, self.max_q, n)
        self.cutoff = float(cut[n - 1])
        self.q = float(res[n - 1])
        g = torch.tan(math.pi * cut / self.sample_rate)
        k = 1.0 / res
        a1 = 1.0 / (1.0 + g * (g + k))
        a2 = g * a1
        a3 = g * a2
        x64 = x.to(torch.float64)
        # State update s' = M s + b x, per sample.
        m = torch.stack(
            [
                torch.stack([2.0 * a1 - 1.0, -2.0 * a2], -1),
                torch.stack([2.0 * a2, 1.0 - 2.0 * a3], -1),
            ],
            -2,
        )  # (n, 2, 2)
        u = torch.stack([2.0 * a2, 2.0 * a3], -1).unsqueeze(0) * x64.unsqueeze(-1)  # (C, n, 2)
        prod, acc = _affine_scan(m, u)
        s0 = self.state
        # State before each sample: s0, then G[i] s0 + v[:, i] after sample i.
        after = (prod @ s0.t()).permute(2, 0, 1) + acc  # (C, n, 2)
        before = torch.cat([s0.unsqueeze(1), after[:, : n - 1]], dim=1)
        self.state = after[:, n - 1]
        # y = mix_x x + mix_band k v1 + mix_low v2 with v1, v2 as in the module docstring.
        band = self.mix_band * k
        c1 = band * a1 + self.mix_low * a2
        c2 = -band * a2 + self.mix_low * (1.0 - a3)
        d = self.mix_x + band * a2 + self.mix_low * a3
        y = c1 * before[:, :, 0] + c2 * before[:, :, 1] + d * x64
        return y.to(x.dtype)


def _affine_scan(m: Tensor, u: Tensor) -> List[Tensor]:
    """Inclusive scan of ``s -> m[i] s + u[:, i]`` (Hillis–Steele, ``log2(n)`` steps).

    Returns ``G[i] = m[i] ... m[0]`` and ``v[:, i]`` such that the state after sample ``i`` is
    ``G[i] s0 + v[:, i]``. Shapes: m ``(n, 2, 2)`` (shared by the channels), u ``(C, n, 2)``.
    """
    n = m.size(0)
    prod = m
    acc = u
    span = 1
    while span < n:
        head = prod[span:]
        carried = (head @ acc[:, : n - span].unsqueeze(-1)).squeeze(-1)
        acc = torch.cat([acc[:, :span], carried + acc[:, span:]], dim=1)
        prod = torch.cat([prod[:span], head @ prod[: n - span]], dim=0)
        span *= 2
    return [prod, acc]
