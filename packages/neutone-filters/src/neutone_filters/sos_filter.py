"""Streaming cascade of second-order sections, evaluated block by block in closed form.

A per-sample loop is what an IIR filter is on paper, but a TorchScript loop costs microseconds per
sample, and torchaudio's compiled loop (`torch.ops.torchaudio`) is not available inside the Neutone
plugin, which loads models with plain libtorch. So the recursion is solved in closed form instead.

The cascade is realised as a state space built from each section's direct form II transposed (DF2T)
equations, in float64::

    s[n + 1] = A s[n] + B x[n]        y[n] = C s[n] + D x[n]

For a block of ``L`` samples the output is ``Y = T X + O s0`` (``T`` the lower-triangular Toeplitz
matrix of the impulse response, ``O`` the rows ``C A^i``) and the state after the block is
``P s0 + R X`` with ``P = A^L``. The states at the start of every block of a buffer follow from one
more matrix product (the block-Toeplitz matrix of the powers of ``P``), so a buffer of up to
2048 samples (longer ones go in chunks of that size) costs a fixed handful of matrix products: no
Python or TorchScript loop over samples.
All arithmetic is float64; the output is cast back to the input's dtype.
"""

from typing import List

import torch
from torch import Tensor, nn

from neutone_core.stateful import StatefulModule

_BLOCK = 64
_MAX_STATE_BLOCK_ELEMENTS = 1024


def _check_sections(sections: Tensor) -> Tensor:
    if sections.dim() != 2 or sections.size(1) != 6 or sections.size(0) < 1:
        raise ValueError(
            "sections must have shape (num_sections >= 1, 6) holding [b0, b1, b2, a0, a1, a2], "
            f"got shape {tuple(sections.shape)}"
        )
    sos = sections.detach().to(torch.float64).clone()
    if not bool(torch.isfinite(sos).all()):
        raise ValueError("sections must hold finite coefficients, got a NaN or infinity")
    a0 = sos[:, 3:4]
    if bool((a0 == 0).any()):
        raise ValueError("sections must have a nonzero a0 in every row, got a0 == 0")
    sos = sos / a0
    for k in range(sos.size(0)):
        radius = float(_poles(sos[k]).abs().max())
        if radius >= 1.0:
            raise ValueError(
                f"sections[{k}] must be stable (pole radius in [0, 1)), "
                f"got pole radius {radius:.6g}"
            )
    return sos


def _poles(section: Tensor) -> Tensor:
    a1 = complex(float(section[4]))
    a2 = complex(float(section[5]))
    if a2 == 0:
        return torch.tensor([-a1], dtype=torch.complex128)
    disc = (a1 * a1 - 4 * a2) ** 0.5
    return torch.tensor([(-a1 + disc) / 2, (-a1 - disc) / 2], dtype=torch.complex128)


def cascade_state_space(sections: Tensor) -> List[Tensor]:
    """State-space matrices ``[A, B, C, D]`` (float64) of a cascade of normalised DF2T sections.

    Each section ``[b0, b1, b2, 1, a1, a2]`` has the DF2T state ``(s1, s2)`` with
    ``y = b0 x + s1``, ``s1' = b1 x - a1 y + s2``, ``s2' = b2 x - a2 y``. Sections in series are
    joined so that section ``k`` reads section ``k - 1``'s output.

    Shapes: A ``(S, S)``, B ``(S,)``, C ``(S,)``, D ``()`` with ``S = 2 * num_sections``.
    """
    a_mat = torch.zeros(0, 0, dtype=torch.float64)
    b_vec = torch.zeros(0, dtype=torch.float64)
    c_vec = torch.zeros(0, dtype=torch.float64)
    d = torch.ones((), dtype=torch.float64)
    for k in range(sections.size(0)):
        b0, b1, b2, _, a1, a2 = [sections[k, i] for i in range(6)]
        a_sec = torch.stack([torch.stack([-a1, torch.ones_like(a1)]), torch.stack([-a2, 0 * a2])])
        b_sec = torch.stack([b1 - a1 * b0, b2 - a2 * b0])
        c_sec = torch.tensor([1.0, 0.0], dtype=torch.float64)
        s = a_mat.size(0)
        new_a = torch.zeros(s + 2, s + 2, dtype=torch.float64)
        new_a[:s, :s] = a_mat
        new_a[s:, :s] = torch.outer(b_sec, c_vec)
        new_a[s:, s:] = a_sec
        b_vec = torch.cat([b_vec, b_sec * d])
        c_vec = torch.cat([b0 * c_vec, c_sec])
        d = b0 * d
        a_mat = new_a
    return [a_mat, b_vec, c_vec, d]


class SOSFilter(StatefulModule):
    """Stateful IIR filter: a cascade of second-order sections, any channel count, any buffer size.

    Minimum-phase designs have no single delay, so `get_delay_samples` reports 0 (the group delay
    varies with frequency, and grows as a low-pass cutoff falls; 0 is the delay a host must
    compensate: the pure delay, which neutone-export's delay check measures as the phase beyond
    the minimum phase of the response's magnitude). The state is kept per
    channel in float64, allocated on the first call, and zeroed if the channel count changes.

    Args:
        sections: ``(num_sections, 6)`` rows ``[b0, b1, b2, a0, a1, a2]`` as in
            `scipy.signal.sosfilt` (see `neutone_filters.biquad` for designs); every section must
            be stable.

    Shape:
        forward: ``(channels, n) -> (channels, n)``, ``n >= 0``, float32 or float64.

    Example:
        >>> from neutone_filters.biquad import cookbook_biquad
        >>> lp = SOSFilter(cookbook_biquad("lowpass", 1000.0, 48000))
        >>> lp(torch.ones(2, 4800))[:, -1].round(decimals=4).tolist()
        [1.0, 1.0]
    """

    # Buffers (registered in __init__).
    sections: Tensor
    toeplitz_t: Tensor
    observe_t: Tensor
    block_input_t: Tensor
    partial_t: Tensor
    powers_t: Tensor
    carry_t: Tensor
    start_t: Tensor
    state: Tensor

    def __init__(self, sections: Tensor) -> None:
        super().__init__()
        sos = _check_sections(sections)
        a_mat, b_vec, c_vec, d = cascade_state_space(sos)
        order = a_mat.size(0)
        block = _BLOCK
        num_blocks = max(2, min(32, _MAX_STATE_BLOCK_ELEMENTS // order))
        eye = torch.eye(order, dtype=torch.float64)
        powers = [eye]
        for _ in range(block):
            powers.append(a_mat @ powers[-1])
        pw = torch.stack(powers)  # (L + 1, S, S): A^m
        a_m_b = pw[:block] @ b_vec  # (L, S): A^m B
        impulse = torch.cat([d.reshape(1), (a_m_b[: block - 1] @ c_vec)])  # (L,)
        idx = torch.arange(block)
        lag = idx.unsqueeze(1) - idx.unsqueeze(0)  # i - j
        toeplitz = torch.where(lag >= 0, impulse[lag.clamp(min=0)], torch.zeros((), dtype=d.dtype))
        observe = pw[:block].transpose(1, 2) @ c_vec  # (L, S): rows C A^i
        # partial[r][:, i] = A^(r - 1 - i) B for i < r: the state reached from zero after r samples.
        partial = torch.zeros(block + 1, order, block, dtype=torch.float64)
        for r in range(1, block + 1):
            partial[r, :, :r] = a_m_b[:r].flip(0).t()
        big_p = pw[block]
        p_powers = [eye]
        for _ in range(num_blocks):
            p_powers.append(big_p @ p_powers[-1])
        carry = torch.zeros(num_blocks * order, num_blocks * order, dtype=torch.float64)
        for k in range(num_blocks):
            for j in range(k):
                carry[j * order : (j + 1) * order, k * order : (k + 1) * order] = p_powers[
                    k - 1 - j
                ].t()
        start = torch.cat([p.t() for p in p_powers[:num_blocks]], dim=1)  # (S, NB*S)

        self.block = block
        self.num_blocks = num_blocks
        self.order = order
        self.register_buffer("sections", sos, persistent=False)
        self.register_buffer("toeplitz_t", toeplitz.t().contiguous(), persistent=False)
        self.register_buffer("observe_t", observe.t().contiguous(), persistent=False)
        self.register_buffer("block_input_t", partial[block].t().contiguous(), persistent=False)
        self.register_buffer("partial_t", partial.transpose(1, 2).contiguous(), persistent=False)
        self.register_buffer("powers_t", pw.transpose(1, 2).contiguous(), persistent=False)
        self.register_buffer("carry_t", carry, persistent=False)
        self.register_buffer("start_t", start, persistent=False)
        self.register_buffer("state", torch.zeros(0, order, dtype=torch.float64), persistent=False)

    @torch.jit.export
    def reset(self) -> None:
        """Zero the filter state of every channel."""
        self.state = torch.zeros(0, self.order, dtype=self.state.dtype, device=self.state.device)

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """0: minimum phase, no pure delay (the group delay varies with frequency; the delay
        check measures the phase beyond minimum phase)."""
        return 0

    def forward(self, x: Tensor) -> Tensor:
        channels = x.size(0)
        n = x.size(1)
        work = self.toeplitz_t.dtype  # float64 unless the caller converted the module
        if self.state.size(0) != channels or self.state.dtype != work:
            self.state = torch.zeros(channels, self.order, dtype=work, device=x.device)
        if n == 0:
            return x.clone()
        x64 = x.to(work)
        chunk = self.block * self.num_blocks
        outputs: List[Tensor] = []
        for begin in range(0, n, chunk):
            outputs.append(self._chunk(x64[:, begin : begin + chunk]))
        y = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=1)
        return y.to(x.dtype)

    def _chunk(self, x: Tensor) -> Tensor:
        channels = x.size(0)
        n = x.size(1)
        block = self.block
        order = self.order
        nb = (n + block - 1) // block
        xb = nn.functional.pad(x, [0, nb * block - n]).reshape(channels, nb, block)
        contrib = (xb @ self.block_input_t).reshape(channels, nb * order)
        starts = contrib @ self.carry_t[: nb * order, : nb * order]
        starts = starts + self.state @ self.start_t[:, : nb * order]
        starts = starts.reshape(channels, nb, order)
        y = xb @ self.toeplitz_t + starts @ self.observe_t
        r = n - (nb - 1) * block
        final = starts[:, nb - 1] @ self.powers_t[r] + xb[:, nb - 1] @ self.partial_t[r]
        self.state = final.detach()
        return y.reshape(channels, nb * block)[:, :n]
