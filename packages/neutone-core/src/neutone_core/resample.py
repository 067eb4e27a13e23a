"""Streaming polyphase windowed-sinc (Kaiser) sample-rate converter.

The converter evaluates the band-limited reconstruction of the input at the output instants:
``y[k] = sum_n x[n] g(tau_k - n)`` with ``g`` a Kaiser-windowed sinc (`neutone_core.kaiser`)
of half-width ``hw`` input samples and ``tau_k = (k * down - S) / up`` (``up / down`` is
``out_rate / in_rate`` reduced, ``S`` the delay in units of ``1 / up`` input samples). Writing
``k * down - S = q * up + r`` with ``0 <= r < up``, output ``k`` is the dot product of the
``2 hw + 1`` inputs ``q - hw .. q + hw`` with row ``r`` of a polyphase bank
``bank[r, j] = g(r / up + hw - j)``, designed once at construction.

Exact counting: after ``T`` input samples the converter has produced ``floor((T up + e) / down)``
outputs (``e = extra_delay``), whatever the partition into calls. With
``S = (hw + 1) up - down + e`` every counted output has its whole window available, so the output
never drifts and the delay is exactly ``S / up`` input samples, ``S / down`` output samples.

Real-time use: `set_max_input_size` preallocates every buffer; after it a call with at most that
many samples allocates no tensor storage. The outputs are computed in blocks of ``B`` consecutive
outputs: block ``t`` reads ``width`` consecutive inputs, and its ``B`` dot products are one small
matrix (``width x B``, zero outside each output's window) precomputed at construction. Block
matrices repeat every ``up / gcd(up, B)`` blocks, so they and the segment starts are tabulated for
one period plus a chunk of blocks. Per call, one `index_select` gathers the input segments from an
unfolded view of the history (no per-sample window copies) and one batched matrix product
(`bmm`) computes every block, both into preallocated buffers; slicing the tables at the current
block replaces all index arithmetic on tensors.

Example:
    >>> import torch
    >>> rs = StreamingResampler(44100, 48000, num_channels=1)
    >>> (rs.up, rs.down)
    (160, 147)
    >>> y = rs(torch.zeros(1, 441))
    >>> y.shape[1] == rs.output_count(0) + (441 * 160) // 147
    True
"""

import math
from typing import Dict, List, Tuple

import torch
from torch import Tensor, nn

from neutone_core.kaiser import kaiser_beta, kaiser_kernel, kaiser_num_taps

# quality -> (stop-band attenuation dB, pass-band edge, stop-band edge, compute in float64).
# Edges are fractions of the lower Nyquist frequency min(in_rate, out_rate) / 2: a pass band to
# 0.87 keeps 19 kHz at 44.1 kHz; a stop band from 1.0 leaves no aliasing at all ("fast" lets the
# transition band reach 8 % past Nyquist, so content in it folds back above 0.92 of Nyquist).
QUALITY_PRESETS: Dict[str, Tuple[float, float, float, bool]] = {
    "fast": (70.0, 0.87, 1.08, False),
    "high": (125.0, 0.87, 1.0, False),
    "best": (150.0, 0.87, 1.0, True),
}

MAX_RATE = 384000
_CHUNK_OUTPUTS = 640  # outputs per batched product at most; bounds the scratch memory.
_BLOCK_SIZES = (16, 8, 4, 2, 1)  # outputs per block matrix, largest first
_TABLE_BUDGET = 1 << 20  # elements of block matrices worth precomputing (4 MB in float32)
_DEFAULT_MAX_INPUT = 4096
_MAX_COEFFICIENTS = 1 << 24  # polyphase bank size limit (134 MB in float64 while designing)


def _check_rate(name: str, rate: int) -> None:
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_RATE:
        raise ValueError(f"{name} must be an integer number of Hz in [1, {MAX_RATE}], got {rate!r}")


def _check_quality(quality: str) -> None:
    if quality not in QUALITY_PRESETS:
        raise ValueError(f"quality must be one of {sorted(QUALITY_PRESETS)}, got {quality!r}")


def design_filter(in_rate: int, out_rate: int, quality: str) -> Tuple[float, int, float]:
    """Kaiser low-pass design of a preset for a pair of rates.

    Args:
        in_rate, out_rate: sample rates in Hz, in [1, 384000].
        quality: preset name, one of `QUALITY_PRESETS`.

    Returns:
        ``(cutoff, half_width, beta)``: cut-off in cycles per input sample (f/fs_in), half-width
        ``hw`` in whole input samples (the filter spans ``2 hw + 1`` input samples), Kaiser beta.
        Equal rates give ``(0.5, 0, 0.0)``: a single unit tap.
    """
    _check_rate("in_rate", in_rate)
    _check_rate("out_rate", out_rate)
    _check_quality(quality)
    if in_rate == out_rate:
        return 0.5, 0, 0.0
    attenuation, pass_edge, stop_edge, _ = QUALITY_PRESETS[quality]
    nyquist = min(in_rate, out_rate) / 2.0
    cutoff = min(0.5, 0.5 * (pass_edge + stop_edge) * nyquist / in_rate)
    width = (stop_edge - pass_edge) * nyquist / in_rate
    taps = kaiser_num_taps(attenuation, width)
    # At least the decimation factor, so a window always reaches the next output's input.
    half_width = max((taps - 1) // 2, math.ceil(in_rate / out_rate))
    up = out_rate // math.gcd(in_rate, out_rate)
    if up * (2 * half_width + 1) > _MAX_COEFFICIENTS:
        raise ValueError(
            f"out_rate / in_rate = {out_rate}/{in_rate} reduces to up = {up} phases of "
            f"{2 * half_width + 1} taps: more than {_MAX_COEFFICIENTS} filter coefficients; "
            "use rates with a smaller common ratio"
        )
    return cutoff, half_width, kaiser_beta(attenuation)


def polyphase_bank(up: int, half_width: int, cutoff: float, beta: float) -> Tensor:
    """Polyphase bank ``bank[r, j] = g(r / up + hw - j)``, each row summing to 1 (float64).

    Shape: ``(up, 2 * half_width + 1)``.
    """
    if half_width == 0:
        return torch.ones(up, 1, dtype=torch.float64)
    phase = torch.arange(up, dtype=torch.float64).unsqueeze(1) / up
    tap = torch.arange(2 * half_width + 1, dtype=torch.float64).unsqueeze(0)
    bank = kaiser_kernel(phase + half_width - tap, cutoff, float(half_width), beta)
    return bank / bank.sum(dim=1, keepdim=True)


def _block_layout(up: int, down: int, delay: int, taps: int) -> Tuple[int, int, int]:
    """Outputs per block, number of distinct block matrices and input samples per block.

    Blocks of ``B`` consecutive outputs start at multiples of ``B``; block ``j``'s matrix depends on
    ``j B mod up`` only, so ``up / gcd(up, B)`` matrices repeat. They are stored for one period
    plus a chunk, so that a chunk's matrices are one slice (a single matrix, expanded, when the
    period is 1). The largest ``B`` whose tables fit `_TABLE_BUDGET` is chosen (``B = 1`` is a
    plain polyphase bank in output order).
    """
    for block in _BLOCK_SIZES:
        period = up // math.gcd(up, block)
        span = max(
            (t * block + block - 1) * down - delay - ((t * block * down - delay) // up) * up
            for t in range(period)
        )
        width = span // up + taps
        size = (period + (_CHUNK_OUTPUTS // block if period > 1 else 0)) * block * width
        if size <= _TABLE_BUDGET or block == 1:
            return block, period, width
    raise AssertionError("unreachable: block 1 always fits")


def _block_tables(
    up: int, down: int, delay: int, block: int, count: int, width: int, bank: Tensor
) -> Tuple[List[int], Tensor]:
    """Start of each block's input segment and its matrix, for blocks ``0 .. count - 1``.

    Output ``k = t B + i`` is the dot product of inputs ``q(k) - hw + j`` with ``bank[r(k), j]``,
    where ``k down - S = q(k) up + r(k)``. Block ``t`` reads the ``width`` inputs from
    ``q(t B) - hw``; its matrix (stored transposed, ``width x B``) puts row ``r(k)`` at offset
    ``q(k) - q(t B)`` in column ``i``. Starts are relative to block 0 (one extra entry at the end).

    Returns:
        ``(starts, matrices)`` with ``len(starts) == count + 1`` and matrices of shape
        ``(count, width, block)``, float64.
    """
    taps = bank.shape[1]
    # Python integers for the exact floor division (no float rounding, no overflow).
    q_all: List[int] = []
    r_all: List[int] = []
    for index in range(count * block):
        q, r = divmod(index * down - delay, up)
        q_all.append(q)
        r_all.append(r)
    first = q_all[0]
    starts = [q_all[t * block] - first for t in range(count)]
    starts.append((count * block * down - delay) // up - first)
    offset = torch.tensor(
        [q_all[index] - q_all[(index // block) * block] for index in range(count * block)]
    ).view(count, block, 1)
    rows = bank[torch.tensor(r_all)].view(count, block, taps)
    matrices = torch.zeros(count, block, width, dtype=torch.float64)
    column = offset + torch.arange(taps).view(1, 1, taps)
    matrices.scatter_(2, column, rows)
    return starts, matrices.transpose(1, 2).contiguous()


class StreamingResampler(nn.Module):
    """Stateful sample-rate converter from `in_rate` to `out_rate` Hz for `num_channels` channels.

    Output sample ``k`` sits at input time ``(k * down - S) / up`` with ``S = delay_phase_units()``.
    After ``T`` inputs in total exactly ``floor((T * up + extra_delay) / down)`` outputs have been
    returned. Equal rates give a pure delay of `extra_delay` samples.

    Args:
        in_rate, out_rate: sample rates in Hz, integers in [1, 384000].
        num_channels: channels, at least 1.
        quality: "fast", "high" (default) or "best" (see `QUALITY_PRESETS`).
        extra_delay: delay added to the minimum, in units of ``1 / up`` input samples, >= 0.

    Shape:
        forward: ``(num_channels, n)`` -> ``(num_channels, m)`` float32, any ``n >= 0``,
        ``m = output_count(n)`` evaluated before the call. The result is a view of an internal
        buffer, valid until the next call: copy it to keep it.
    """

    def __init__(
        self,
        in_rate: int,
        out_rate: int,
        num_channels: int = 2,
        quality: str = "high",
        extra_delay: int = 0,
    ) -> None:
        super().__init__()
        _check_rate("in_rate", in_rate)
        _check_rate("out_rate", out_rate)
        _check_quality(quality)
        if isinstance(num_channels, bool) or not isinstance(num_channels, int) or num_channels < 1:
            raise ValueError(f"num_channels must be an integer in [1, inf), got {num_channels!r}")
        if isinstance(extra_delay, bool) or not isinstance(extra_delay, int) or extra_delay < 0:
            raise ValueError(
                f"extra_delay must be an integer number of 1/up input samples in [0, inf), "
                f"got {extra_delay!r}"
            )
        common = math.gcd(in_rate, out_rate)
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.up = out_rate // common
        self.down = in_rate // common
        self.num_channels = num_channels
        self.quality = quality
        self.extra_delay = extra_delay
        cutoff, half_width, beta = design_filter(in_rate, out_rate, quality)
        self.cutoff = cutoff
        self.half_width = half_width
        self.num_taps = 2 * half_width + 1
        self.delay_units = (half_width + 1) * self.up - self.down + extra_delay
        dtype = torch.float64 if QUALITY_PRESETS[quality][3] else torch.float32
        bank = polyphase_bank(self.up, half_width, cutoff, beta)

        block, period, width = _block_layout(self.up, self.down, self.delay_units, self.num_taps)
        self.block = block
        self.period = period  # distinct block matrices: block starts repeat every `period` blocks
        self.width = width  # input samples one block reads
        self.chunk_blocks = _CHUNK_OUTPUTS // block
        starts, matrices = _block_tables(
            self.up, self.down, self.delay_units, block, period + self.chunk_blocks, width, bank
        )
        self.block_starts: List[int] = starts
        self.register_buffer("start_table", torch.tensor(starts, dtype=torch.long), False)
        stored = period + self.chunk_blocks if period > 1 else 1
        self.register_buffer("matrices", matrices[:stored].to(dtype).contiguous(), False)
        # Gathers read at most block_starts[period - 1] samples before a chunk's first segment.
        self.pad = starts[period - 1]
        # Samples kept between calls: from the first window of the next output's block onwards.
        first = (-self.delay_units) // self.up
        self.initial_fill = half_width - first
        self.keep = max(self.initial_fill, 2 * half_width + 2) + width

        chunk = self.chunk_blocks
        self.register_buffer(
            "segments", torch.zeros(chunk, num_channels, width, dtype=dtype), False
        )
        self.register_buffer(
            "products", torch.zeros(chunk, num_channels, block, dtype=dtype), False
        )
        self.register_buffer(
            "gathered", torch.zeros(num_channels * chunk * block, dtype=dtype), False
        )
        self.register_buffer("history", torch.zeros(num_channels, 0, dtype=dtype), False)
        self.register_buffer("scratch", torch.zeros(num_channels, 0, dtype=dtype), False)
        self.register_buffer("output", torch.zeros(0), False)
        self.max_input = 0
        # Streaming state: `fill` samples in `history` from `origin` (the first input the block of
        # the next output reads; the history is zero after them), index of the next output modulo
        # block * period, and T up + e - down * (outputs so far), which gives the next call's count.
        self.origin = 0
        self.fill = 0
        self.position = 0
        self.credit = 0
        self.set_max_input_size(_DEFAULT_MAX_INPUT)

    @torch.jit.export
    def set_max_input_size(self, max_input: int) -> None:
        """Preallocate for calls of up to `max_input` samples (>= 0) and reset the state."""
        if max_input < 0:
            raise ValueError(f"max_input must be in [0, inf), got {max_input}")
        dtype = self.matrices.dtype
        self.max_input = max_input
        # Room for two calls past the kept samples, so that the kept samples are moved back to
        # the front (`_compact`) only every other call at most; blocks past the last output read
        # up to `width` zeros past the data.
        length = self.pad + 2 * (self.keep + max_input) + self.width
        self.history = torch.zeros(self.num_channels, length, dtype=dtype)
        self.scratch = torch.zeros(self.num_channels, self.keep, dtype=dtype)
        self.output = torch.zeros(self.num_channels * self.max_output_size(max_input))
        self.reset()

    @torch.jit.export
    def reset(self) -> None:
        """Forget the past: history of zeros, as if the stream started now."""
        self.history.zero_()
        self.origin = self.pad
        self.fill = self.initial_fill
        self.position = 0
        self.credit = self.extra_delay

    def _compact(self) -> None:
        """Move the kept samples to the front of the history; zero everything after them."""
        if self.origin == self.pad:
            return
        kept = self.scratch[:, : self.fill]
        kept.copy_(self.history[:, self.origin : self.origin + self.fill])
        self.history[:, self.pad : self.pad + self.fill].copy_(kept)
        self.history[:, self.pad + self.fill :].zero_()
        self.origin = self.pad

    @torch.jit.export
    def max_output_size(self, max_input: int) -> int:
        """Most outputs one call with `max_input` inputs can give (the first call included)."""
        return (max(self.extra_delay, self.down - 1) + max_input * self.up) // self.down

    @torch.jit.export
    def output_count(self, num_input: int) -> int:
        """Exact number of outputs the next call with `num_input` samples returns."""
        return (self.credit + num_input * self.up) // self.down

    @torch.jit.export
    def input_needed(self, num_output: int) -> int:
        """Fewest inputs for the next call to return at least `num_output` outputs."""
        missing = num_output * self.down - self.credit
        if missing <= 0:
            return 0
        return (missing + self.up - 1) // self.up

    @torch.jit.export
    def delay_phase_units(self) -> int:
        """Delay ``S`` in units of ``1 / up`` input samples."""
        return self.delay_units

    @torch.jit.export
    def delay_input_samples(self) -> float:
        """Delay in input samples, ``S / up``."""
        return self.delay_units / self.up

    @torch.jit.export
    def delay_output_samples(self) -> float:
        """Delay in output samples, ``S / down``."""
        return self.delay_units / self.down

    def forward(self, x: Tensor) -> Tensor:
        """Convert the next `n` samples of every channel; see the class docstring for shapes."""
        if x.dim() != 2 or x.size(0) != self.num_channels:
            raise ValueError(
                f"x must have shape (num_channels={self.num_channels}, n), got {list(x.shape)}"
            )
        n = x.size(1)
        if n > self.max_input:
            self.set_max_input_size(n)  # allocates: call set_max_input_size up front instead
        if self.origin + self.fill + n + self.width > self.history.size(1):
            self._compact()
        channels = self.num_channels
        block = self.block
        count = self.output_count(n)
        origin = self.origin
        end = origin + self.fill + n
        history = self.history
        if n > 0:
            history[:, origin + self.fill : end].copy_(x)
        frames = history.unfold(1, self.width, 1).transpose(0, 1)
        out = self.output[: channels * count].view(channels, count)
        done = 0
        while done < count:
            index = self.position // block
            skip = self.position - index * block
            todo = min(count - done, self.chunk_blocks * block - skip)
            blocks = (skip + todo + block - 1) // block
            first = self.block_starts[index]
            segments = self.segments[:blocks]
            products = self.products[:blocks]
            torch.index_select(
                frames[origin - first :],
                0,
                self.start_table[index : index + blocks],
                out=segments,
            )
            if self.period == 1:
                matrices = self.matrices.expand(blocks, self.width, block)
            else:
                matrices = self.matrices[index : index + blocks]
            torch.bmm(segments, matrices, out=products)
            gathered = self.gathered[: channels * blocks * block].view(channels, blocks, block)
            gathered.copy_(products.transpose(0, 1))
            flat = gathered.view(channels, blocks * block)
            out[:, done : done + todo].copy_(flat[:, skip : skip + todo])
            origin += self.block_starts[index + (skip + todo) // block] - first
            self.position = (self.position + todo) % (self.period * block)
            done += todo
        self.credit = self.credit + n * self.up - count * self.down
        self.origin = origin
        self.fill = end - origin
        return out


def resample(x: Tensor, in_rate: int, out_rate: int, quality: str = "high") -> Tensor:
    """Convert a whole signal at once with the filter of `StreamingResampler`, without delay.

    Output sample ``k`` sits at input time ``k * in_rate / out_rate`` (the converter's delay is
    removed and the tail flushed with zeros); ``ceil(n * out_rate / in_rate)`` samples come back.

    Shape:
        ``(..., n)`` -> ``(..., ceil(n * out_rate / in_rate))``, float32.

    Example:
        >>> import torch
        >>> resample(torch.zeros(2, 3, 441), 44100, 48000).shape
        torch.Size([2, 3, 480])
    """
    if x.dim() == 0:
        raise ValueError(f"x must have at least one dimension (time), got shape {list(x.shape)}")
    lead = list(x.shape[:-1])
    n = x.shape[-1]
    flat = x.reshape(-1, n)
    channels = flat.shape[0]
    _, half_width, _ = design_filter(in_rate, out_rate, quality)
    common = math.gcd(in_rate, out_rate)
    up, down = out_rate // common, in_rate // common
    # Extra delay making S a multiple of down: the delay is then a whole number of outputs.
    extra = (-((half_width + 1) * up - down)) % down
    converter = StreamingResampler(in_rate, out_rate, max(1, channels), quality, extra)
    skip = converter.delay_phase_units() // converter.down
    wanted = -((-n * converter.up) // converter.down)
    if channels == 0:
        return x.new_zeros([*lead, wanted], dtype=torch.float32)
    padded = torch.zeros(channels, max(converter.input_needed(skip + wanted), n))
    padded[:, :n] = flat
    y = converter(padded)[:, skip : skip + wanted].clone()
    return y.reshape([*lead, wanted])
