"""Knob-driven state-variable filter (topology-preserving transform, Zavalishin / Simper).

The TPT SVF keeps two trapezoidal-integrator states that stay meaningful when the coefficients
change, so cutoff and resonance can move every buffer (or every sample) without clicks and without
the blow-ups of a direct-form biquad under modulation. New knob values are reached by a ramp across
the buffer (log-frequency for the cutoff, log-Q for the resonance) at control rate: the
coefficients are updated every 16 samples (3 kHz at 48 kHz), so a jump between buffers becomes a
glide.

Per sample, with ``g = tan(π fc / fs)``, ``k = 1 / Q``, ``a1 = 1 / (1 + g (g + k))``,
``a2 = g a1``, ``a3 = g a2`` and states ``(s1, s2)`` (Simper's ``ic1eq``, ``ic2eq``)::

    v1 = a1 s1 + a2 (x - s2)          (band-pass)
    v2 = s2 + a2 s1 + a3 (x - s2)     (low-pass)
    s1' = 2 v1 - s1                   s2' = 2 v2 - s2

which is linear: ``s' = A s + B x`` and ``y = c·s + d x``. Rather than loop over samples (slow in
TorchScript), each 16-sample control block is solved in closed form (powers of ``A`` by doubling,
the block's impulse-response Toeplitz matrix and state response), and the block-to-block state
recursion by a parallel prefix scan (Hillis–Steele, ``log2(blocks)`` steps), all in float64.
While the knobs rest, the block matrices of the last setting are reused.
"""

import math
from typing import List

import torch
from torch import Tensor, nn

from neutone_core.stateful import StatefulModule
from neutone_filters.biquad import check_frequency

SVF_MODES = ("lowpass", "highpass", "bandpass", "notch")
MIN_CUTOFF_HZ = 1.0
MAX_CUTOFF_FRACTION = 0.49
MIN_Q = 0.05
MAX_Q = 100.0
CONTROL_BLOCK = 16

# Output mixes (x, k * band, low): high = x - k band - low; unity-peak band-pass = k band.
_MIXES = {
    "lowpass": (0.0, 0.0, 1.0),
    "highpass": (1.0, -1.0, -1.0),
    "bandpass": (0.0, 1.0, 0.0),
    "notch": (1.0, -1.0, 0.0),
}


class StateVariableFilter(StatefulModule):
    """Stateful TPT state-variable filter whose cutoff and Q may change on every call.

    Knob values passed to `forward` are clamped at run time to cutoff in
    ``[1 Hz, 0.49 * sample_rate]`` and Q in ``[0.05, 100]`` (raising inside the audio callback would
    stop the host); the constructor checks its arguments and raises `ValueError`.
    It reports a delay of 0: minimum phase, it has no single delay. Its group delay varies with
    frequency: a low-pass at Q 0.7071 delays low frequencies by about ``sqrt(2) / (2 pi fc / fs)``
    samples (11 at 1 kHz, 48 kHz) and its impulse response starts at sample 0. 0 is its pure
    delay, the number neutone-export's delay check compares: the phase beyond the minimum phase
    of its magnitude, at any cutoff.

    Args:
        mode: ``lowpass``, ``highpass``, ``bandpass`` (0 dB at the centre) or ``notch``.
        sample_rate: in Hz, in ``(0, inf)``.
        cutoff_hz: initial cutoff (centre) frequency in Hz, in ``(0, sample_rate / 2)``.
        q: initial quality factor in ``[0.05, 100]``; 0.7071 is Butterworth-flat.

    Shape:
        forward: ``x (channels, n)``; ``cutoff_hz`` and ``q`` each ``None`` (keep the current
        value), a one-element tensor (ramp to it across this buffer) or an ``(n,)`` tensor (a
        value per sample, read at control rate: the last sample of each 16-sample block);
        returns ``(channels, n)``. The state is per channel, allocated on the first call, zeroed
        if the channel count changes, and detached from autograd between calls.

    Example:
        >>> svf = StateVariableFilter("lowpass", 48000.0, cutoff_hz=500.0)
        >>> y = svf(torch.randn(2, 256), cutoff_hz=torch.tensor(2000.0))
        >>> tuple(y.shape)
        (2, 256)
    """

    # Buffers (registered in __init__).
    lag: Tensor
    causal: Tensor
    eye: Tensor
    state: Tensor

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
        self.max_cutoff_fraction = MAX_CUTOFF_FRACTION
        self.max_cutoff = MAX_CUTOFF_FRACTION * float(sample_rate)
        self.min_q = MIN_Q
        self.max_q = MAX_Q
        self.initial_cutoff = float(cutoff_hz)
        self.initial_q = float(q)
        self.cutoff = float(cutoff_hz)
        self.q = float(q)
        self.control_block = CONTROL_BLOCK
        lag = torch.arange(CONTROL_BLOCK).unsqueeze(1) - torch.arange(CONTROL_BLOCK).unsqueeze(0)
        self.register_buffer("lag", lag.clamp(min=0), persistent=False)
        self.register_buffer("causal", (lag >= 0).to(torch.float64), persistent=False)
        self.register_buffer("eye", torch.eye(2, dtype=torch.float64), persistent=False)
        self.register_buffer("state", torch.zeros(0, 2, dtype=torch.float64), persistent=False)
        self.cached_cutoff = -1.0
        self.cached_q = -1.0
        self.cached = [torch.zeros(0)]

    @torch.jit.export
    def reset(self) -> None:
        """Zero the integrator states and return the knobs to their constructor values."""
        self.state = torch.zeros(0, 2, dtype=torch.float64, device=self.state.device)
        self.cutoff = self.initial_cutoff
        self.q = self.initial_q

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """0: minimum phase, no pure delay (the group delay varies with frequency; the delay
        check measures the phase beyond minimum phase)."""
        return 0

    @torch.jit.export
    def configure(self, mode: str, sample_rate: float, cutoff_hz: float, q: float) -> None:
        """Set mode, sample rate and knob values at once, without a ramp (scriptable).

        For a host's new settings, between streams: the state is kept (call `reset` to clear it).
        Cutoff and Q are clamped to the run-time ranges, as knob values are.
        """
        if mode == "lowpass":
            self.mix_x, self.mix_band, self.mix_low = 0.0, 0.0, 1.0
        elif mode == "highpass":
            self.mix_x, self.mix_band, self.mix_low = 1.0, -1.0, -1.0
        elif mode == "bandpass":
            self.mix_x, self.mix_band, self.mix_low = 0.0, 1.0, 0.0
        elif mode == "notch":
            self.mix_x, self.mix_band, self.mix_low = 1.0, -1.0, 0.0
        else:
            raise ValueError("mode must be one of lowpass, highpass, bandpass, notch")
        if not sample_rate > 0.0:
            raise ValueError("sample_rate must be in Hz in (0, inf)")
        self.sample_rate = sample_rate
        self.max_cutoff = self.max_cutoff_fraction * sample_rate
        self.cutoff = min(max(cutoff_hz, self.min_cutoff), self.max_cutoff)
        self.q = min(max(q, self.min_q), self.max_q)
        self.initial_cutoff = self.cutoff
        self.initial_q = self.q
        self.cached_cutoff = -1.0  # the block matrices belong to the old settings

    def _control(
        self, target: Tensor | None, current: float, low: float, high: float, ends: Tensor
    ) -> Tensor:
        """Knob value for each control block (float64, ``(blocks,)``), read at the block's end.

        `ends` holds each block's last sample index; a one-value `target` is a geometric ramp from
        `current` that arrives at the buffer's last sample.
        """
        n = int(ends[-1]) + 1
        if target is None:
            return torch.full(ends.shape, current, dtype=torch.float64, device=ends.device)
        values = target.to(torch.float64).reshape(-1)
        if values.numel() == 1:
            stop = min(max(float(values[0]), low), high)
            if stop == current:
                return torch.full(ends.shape, current, dtype=torch.float64, device=ends.device)
            ramp = (ends + 1).to(torch.float64) / n
            return torch.exp(math.log(current) + (math.log(stop) - math.log(current)) * ramp)
        if values.numel() != n:
            raise ValueError(
                f"a per-sample knob must have n = {n} values (or one), got {values.numel()}"
            )
        return values[ends].clamp(low, high)

    def _block_matrices(self, cut: Tensor, res: Tensor) -> List[Tensor]:
        """Closed-form matrices of each control block from its cutoff and Q (``(blocks,)`` each).

        Returns ``[toeplitz (blocks, size, size), rows (blocks, size, 2), a_m_b (blocks, 2, size),
        power (blocks, 2, 2), cols (blocks, 2, 3 size)]``: the impulse-response Toeplitz matrix,
        the rows ``c A^m``, the columns ``A^m B``, ``A^size``, and ``A^m [B | I]`` interleaved.
        """
        size = self.control_block
        blocks = cut.size(0)
        # Simper's coefficients, then s' = A s + B x and y = c.s + d x.
        g = torch.tan(math.pi * cut / self.sample_rate)
        k = 1.0 / res
        a1 = 1.0 / (1.0 + g * (g + k))
        a2 = g * a1
        a3 = g * a2
        a_mat = torch.stack(
            [
                torch.stack([2.0 * a1 - 1.0, -2.0 * a2], -1),
                torch.stack([2.0 * a2, 1.0 - 2.0 * a3], -1),
            ],
            -2,
        )  # (blocks, 2, 2)
        b_vec = torch.stack([2.0 * a2, 2.0 * a3], -1).unsqueeze(-1)  # (blocks, 2, 1)
        band = self.mix_band * k
        c_first = band * a1 + self.mix_low * a2
        c_second = -band * a2 + self.mix_low * (1.0 - a3)
        c_row = torch.stack([c_first, c_second], -1).unsqueeze(1)  # (blocks, 1, 2)
        d = self.mix_x + band * a2 + self.mix_low * a3  # (blocks,)
        # By doubling (batched 2x2 products): columns A^m [B | I] for m < size, then rows c A^m.
        cols = torch.cat([b_vec, self.eye.expand(blocks, 2, 2)], 2)  # (blocks, 2, 3)
        power = a_mat
        while cols.size(2) < 3 * size:
            cols = torch.cat([cols, torch.bmm(power, cols)], 2)
            power = torch.bmm(power, power)
        # power = A^size; cols[:, :, 3m] = A^m B, cols[:, :, 3m + 1 : 3m + 3] = A^m.
        rows = torch.bmm(c_row, cols).reshape(blocks, size, 3)  # c A^m B, c A^m
        impulse = torch.cat([d.unsqueeze(1), rows[:, : size - 1, 0]], 1)
        toeplitz = impulse[:, self.lag] * self.causal  # (blocks, size, size): h[i - j]
        return [toeplitz, rows[:, :, 1:], cols[:, :, 0::3], power, cols]

    def forward(
        self, x: Tensor, cutoff_hz: Tensor | None = None, q: Tensor | None = None
    ) -> Tensor:
        channels = x.size(0)
        n = x.size(1)
        if self.state.size(0) != channels or self.state.dtype != torch.float64:
            self.state = torch.zeros(channels, 2, dtype=torch.float64, device=x.device)
        if n == 0:
            return x.clone()
        size = self.control_block
        blocks = (n + size - 1) // size
        ends = (torch.arange(1, blocks + 1, device=x.device) * size - 1).clamp(max=n - 1)
        cut = self._control(cutoff_hz, self.cutoff, self.min_cutoff, self.max_cutoff, ends)
        res = self._control(q, self.q, self.min_q, self.max_q, ends)
        settled = bool((cut == self.cutoff).all()) and bool((res == self.q).all())
        self.cutoff = float(cut[-1])
        self.q = float(res[-1])
        if settled:
            # Knobs at rest: every block has the same matrices, kept from the last time.
            fresh = self.cached_cutoff == self.cutoff and self.cached_q == self.q
            if not fresh or self.cached[0].device != x.device:
                self.cached = self._block_matrices(cut[:1], res[:1])
                self.cached_cutoff = self.cutoff
                self.cached_q = self.q
            matrices = [m.expand(blocks, -1, -1) for m in self.cached]
        else:
            matrices = self._block_matrices(cut, res)
        toeplitz, rows, a_m_b, power, cols = matrices
        x64 = x.to(torch.float64)
        padded = nn.functional.pad(x64, [0, blocks * size - n])
        xb = padded.reshape(channels, blocks, size).permute(1, 2, 0)  # (blocks, size, C)
        zero_state = torch.bmm(toeplitz, xb)  # (blocks, size, C)
        pushed = torch.bmm(a_m_b.flip(2), xb)  # (blocks, 2, C): A^(size - 1 - i) B x_i summed
        prod, acc = _affine_scan(power, pushed)
        s0 = self.state.t()  # (2, C)
        after = torch.matmul(prod, s0) + acc  # (blocks, 2, C): state after each block
        starts = torch.cat([s0.unsqueeze(0), after[: blocks - 1]], dim=0)
        y = zero_state + torch.bmm(rows, starts)  # (blocks, size, C)
        tail = n - (blocks - 1) * size
        final = after[blocks - 1]
        if tail < size:
            last = blocks - 1
            a_tail = cols[last, :, 3 * tail + 1 : 3 * tail + 3]
            into = a_m_b[last, :, :tail].flip(1)
            final = a_tail @ starts[last] + into @ xb[last, :tail]
        self.state = final.t().detach()
        return y.permute(2, 0, 1).reshape(channels, blocks * size)[:, :n].to(x.dtype)


def _affine_scan(m: Tensor, u: Tensor) -> List[Tensor]:
    """Inclusive scan of ``s -> m[i] s + u[i]`` (Hillis–Steele, ``log2(n)`` batched products).

    Returns ``G[i] = m[i] ... m[0]`` and ``v[i]`` such that the state after step ``i`` is
    ``G[i] s0 + v[i]``. Shapes: m ``(n, 2, 2)``, u ``(n, 2, C)`` (a column per channel).
    """
    n = m.size(0)
    prod = m
    acc = u
    span = 1
    while span < n:
        head = prod[span:]
        acc = torch.cat([acc[:span], torch.baddbmm(acc[span:], head, acc[: n - span])], 0)
        prod = torch.cat([prod[:span], torch.bmm(head, prod[: n - span])], 0)
        span *= 2
    return [prod, acc]
