"""Streaming polyphase windowed-sinc (Kaiser) sample-rate converter.

The converter evaluates the band-limited reconstruction of the input at the output instants:
``y[k] = sum_n x[n] g(tau_k - n)`` with ``g`` a Kaiser-windowed sinc (`neutone_core.kaiser`)
of half-width ``hw`` input samples and ``tau_k = (k * down - S) / up`` (``up / down`` is
``out_rate / in_rate`` reduced, ``S`` the delay in units of ``1 / up`` input samples). Writing
``k * down - S = q * up + r`` with ``0 <= r < up``, output ``k`` is the dot product of the
``2 hw + 1`` inputs ``q - hw .. q + hw`` with row ``r`` of a polyphase bank
``bank[r, j] = g(r / up + hw - j)``, designed by `configure` (at construction, or later).

Exact counting: after ``T`` input samples the converter has produced ``floor((T up + e) / down)``
outputs (``e = extra_delay``), whatever the partition into calls. With
``S = (hw + 1) up - down + e`` every counted output has its whole window available, so the output
never drifts and the delay is exactly ``S / up`` input samples, ``S / down`` output samples.

Real-time use: `configure` (scriptable) designs the filter for a new pair of rates and
preallocates every buffer, so a scripted module can follow the host's sample rate without
prebuilt tables; after it (or `set_max_input_size`) a call with at most that many samples
allocates no tensor storage. The outputs are computed in blocks of ``B`` consecutive
outputs: block ``t`` reads ``width`` consecutive inputs, and its ``B`` dot products are one small
matrix (``width x B``, zero outside each output's window) precomputed by `configure`. Block
matrices repeat every ``up / gcd(up, B)`` blocks, so they and the block starts are tabulated for
one period plus a chunk of blocks. Blocks advance by about ``B down / up`` inputs; their windows
are read a whole ``stride`` apart, each matrix placing its taps where its block's inputs fall in
its window, so that all windows of a call are one strided view of the history (no copy). Ratios
whose blocks repeat only after thousands of outputs (44100 -> 47999 Hz) gather the windows with one
`index_select` instead. One batched matrix product (`bmm`) per call computes every block into a
preallocated buffer, which is the output itself for one float32 channel.

Cost (one thread, 512 mono samples at 44.1 -> 48 kHz, `high`): about 5 us of the ~11 us are the
batched product, a batch of matrix-vector products bound by reading each output's ``width``
coefficients (about 320 kB) from the cache; about 2 us are the bare call of a scripted module; the
rest is the interpretation of the bookkeeping. Stereo takes about 17 us (a two-row product per
block, then one copy into channel-major order).

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

MAX_RATE = 384000
_CHUNK_OUTPUTS = 640  # outputs per batched product at most; bounds the scratch memory.
_MAX_BLOCK = 64  # outputs per block matrix at most
_TABLE_BUDGET = 1 << 20  # elements of block matrices worth precomputing (4 MB in float32)
# Work per block and per gathered block, in multiply-adds of one output: what a batched product's
# per-matrix overhead and an index_select cost on one CPU core (512-sample calls, measured).
_BLOCK_COST = 1000
_GATHER_COST = 80
_DEFAULT_MAX_INPUT = 4096
_MAX_COEFFICIENTS = 1 << 24  # polyphase bank size limit (134 MB in float64 while designing)
# TorchScript cannot read module constants: the functions it compiles take them as the default
# values of trailing arguments, which it does read.


def quality_preset(quality: str) -> Tuple[float, float, float, bool]:
    """Design targets of a preset (scriptable): the single definition behind `QUALITY_PRESETS`.

    Returns:
        ``(stop-band attenuation dB, pass-band edge, stop-band edge, compute in float64)``. Edges
        are fractions of the lower Nyquist frequency ``min(in_rate, out_rate) / 2``. Every stop
        band starts at Nyquist, so nothing aliases; the pass-band edges are what the Kaiser
        length formula leaves at a latency of 0.45, 1.05 and 1.75 ms at 44.1 kHz (19, 46 and 77
        input samples a side), where libsamplerate's `sinc_fastest`, `sinc_medium` and
        `sinc_best` delay by about 0.45, 1.07 and 3.27 ms. Their -3 dB points fall at 0.75,
        0.89 and 0.92 of Nyquist (libsamplerate: 0.82, 0.91, 0.98). "best" computes in float64:
        float32 arithmetic caps the SINAD near 131 dB.
    """
    if quality == "fast":
        return 128.0, 0.559, 1.0, False
    if quality == "high":
        return 128.0, 0.815, 1.0, False
    if quality == "best":
        return 170.0, 0.853, 1.0, True
    raise ValueError(f"quality must be one of ['best', 'fast', 'high'], got '{quality}'")


QUALITY_PRESETS: Dict[str, Tuple[float, float, float, bool]] = {
    name: quality_preset(name) for name in ("fast", "high", "best")
}


def _check_rate(name: str, rate: int, max_rate: int = MAX_RATE) -> None:
    if rate < 1 or rate > max_rate:
        raise ValueError(f"{name} must be an integer number of Hz in [1, {max_rate}], got {rate}")


def _check_coefficients(
    in_rate: int, out_rate: int, up: int, taps: int, limit: int = _MAX_COEFFICIENTS
) -> None:
    if up * taps > limit:
        raise ValueError(
            f"out_rate / in_rate = {out_rate}/{in_rate} reduces to up = {up} phases of "
            f"{taps} taps: more than {limit} filter coefficients; "
            "use rates with a smaller common ratio"
        )


def _check_extra_delay(extra_delay: int) -> None:
    if extra_delay < 0:
        raise ValueError(
            "extra_delay must be an integer number of 1/up input samples in [0, inf), "
            f"got {extra_delay}"
        )


def _check_python_int(name: str, value: object, allowed: str) -> None:
    """Reject bools and floats in eager construction (TorchScript types the arguments itself)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer in {allowed}, got {value!r}")


def design_filter(in_rate: int, out_rate: int, quality: str) -> Tuple[float, int, float]:
    """Kaiser low-pass design of a preset for a pair of rates (scriptable).

    Args:
        in_rate, out_rate: sample rates in Hz, in [1, 384000].
        quality: preset name, see `quality_preset`.

    Returns:
        ``(cutoff, half_width, beta)``: cut-off in cycles per input sample (f/fs_in), half-width
        ``hw`` in whole input samples (the filter spans ``2 hw + 1`` input samples), Kaiser beta.
        Equal rates give ``(0.5, 0, 0.0)``: a single unit tap.
    """
    _check_rate("in_rate", in_rate)
    _check_rate("out_rate", out_rate)
    attenuation, pass_edge, stop_edge, _ = quality_preset(quality)
    if in_rate == out_rate:
        return 0.5, 0, 0.0
    nyquist = min(in_rate, out_rate) / 2.0
    cutoff = min(0.5, 0.5 * (pass_edge + stop_edge) * nyquist / in_rate)
    width = (stop_edge - pass_edge) * nyquist / in_rate
    taps = kaiser_num_taps(attenuation, width)
    # At least the decimation factor, so a window always reaches the next output's input.
    half_width = max((taps - 1) // 2, math.ceil(in_rate / out_rate))
    up, _ = _reduced(in_rate, out_rate)
    _check_coefficients(in_rate, out_rate, up, 2 * half_width + 1)
    return cutoff, half_width, kaiser_beta(attenuation)


def _reduced(in_rate: int, out_rate: int) -> Tuple[int, int]:
    """``(up, down)``: ``out_rate / in_rate`` in lowest terms."""
    common = math.gcd(in_rate, out_rate)
    return out_rate // common, in_rate // common


def minimum_delay_units(in_rate: int, out_rate: int, quality: str) -> int:
    """Delay ``S`` with ``extra_delay = 0``, in units of ``1 / up`` input samples (scriptable).

    What `StreamingResampler.delay_phase_units` reports for these rates and no extra delay, without
    designing any table: ``(hw + 1) up - down``. Raises like `design_filter`.
    """
    _, half_width, _ = design_filter(in_rate, out_rate, quality)
    up, down = _reduced(in_rate, out_rate)
    return (half_width + 1) * up - down


def polyphase_bank(up: int, half_width: int, cutoff: float, beta: float) -> Tensor:
    """Polyphase bank ``bank[r, j] = g(r / up + hw - j)``, each row summing to 1 (scriptable).

    Shape: ``(up, 2 * half_width + 1)``, float64.
    """
    if half_width == 0:
        return torch.ones(up, 1, dtype=torch.float64)
    phase = torch.arange(up, dtype=torch.float64).unsqueeze(1) / up
    tap = torch.arange(2 * half_width + 1, dtype=torch.float64).unsqueeze(0)
    bank = kaiser_kernel(phase + half_width - tap, cutoff, float(half_width), beta)
    return bank / bank.sum(dim=1, keepdim=True)


def _phase_split(index: Tensor, up: int, down: int, delay: int) -> Tuple[Tensor, Tensor]:
    """``(q, r)`` with ``index * down - delay = q * up + r``, ``0 <= r < up`` (exact int64)."""
    units = index * down - delay
    q = torch.div(units, up, rounding_mode="floor")
    return q, units - q * up


def _block_geometry(
    up: int, down: int, delay: int, block: int, stored: int
) -> Tuple[Tensor, Tensor]:
    """First input of blocks ``0 .. stored`` relative to block 0, and the inputs each block spans.

    Block ``i`` holds outputs ``i B .. i B + B - 1``; its first output reads from ``q(i B) - hw``
    and its last from ``q(i B + B - 1) - hw`` (``k down - S = q(k) up + r(k)``).
    """
    first, _ = _phase_split(torch.arange(stored + 1, dtype=torch.long) * block, up, down, delay)
    last, _ = _phase_split(
        torch.arange(stored, dtype=torch.long) * block + block - 1, up, down, delay
    )
    return first - first[0], last - first[:stored]


def _window_offsets(starts: Tensor, stride: int) -> Tensor:
    """Where each block's inputs begin inside its window when windows start ``stride`` apart.

    With ``stride > 0`` window ``i`` starts at ``i * stride`` (shifted so that no offset is
    negative); ``stride == 0`` means windows start at the blocks' own first inputs (offset 0).
    """
    if stride == 0:
        return torch.zeros_like(starts)
    offsets = starts - torch.arange(starts.shape[0], dtype=torch.long) * stride
    return offsets - offsets.min()


def _stored_blocks(period: int, block: int, chunk_outputs: int = _CHUNK_OUTPUTS) -> int:
    """Block matrices kept: one period plus a chunk, or the single one when the period is 1."""
    return period + chunk_outputs // block if period > 1 else 1


def _chunk_blocks(block: int, chunk_outputs: int = _CHUNK_OUTPUTS) -> int:
    """Blocks one batched product computes at most."""
    return chunk_outputs // block


def _layout_cost(
    up: int,
    down: int,
    delay: int,
    taps: int,
    block: int,
    strided: bool,
    chunk_outputs: int = _CHUNK_OUTPUTS,
    block_cost: int = _BLOCK_COST,
    gather_cost: int = _GATHER_COST,
) -> Tuple[int, int, int]:
    """``(width, stride, cost)`` of `block`-output blocks read by strided windows or by a gather.

    ``width`` is the window of inputs one block reads, ``stride`` the step between windows
    (0: gathered at the blocks' own starts), ``cost`` the estimated work per output in
    multiply-adds (``width``, plus a share of the per-block and per-gather overheads measured on a
    CPU core).
    """
    period = up // math.gcd(up, block)
    stored = _stored_blocks(period, block, chunk_outputs)
    starts, spans = _block_geometry(up, down, delay, block, stored)
    stride = 0
    extra = gather_cost
    if strided:
        # Blocks advance by block * down / up inputs: the nearest whole step drifts by under half a
        # sample per block, which the windows absorb (zero on exact steps, when up divides block).
        stride = max(1, (2 * block * down + up) // (2 * up))
        extra = 0
    offsets = _window_offsets(starts[:stored], stride)
    width = int((offsets + spans).max()) + taps
    return width, stride, width + block_cost // block + extra


def _block_layout(
    up: int,
    down: int,
    delay: int,
    taps: int,
    max_block: int = _MAX_BLOCK,
    budget: int = _TABLE_BUDGET,
    chunk_outputs: int = _CHUNK_OUTPUTS,
) -> Tuple[int, int, int, int]:
    """Cheapest ``(block, period, width, stride)`` whose block matrices fit the budget.

    Blocks of ``B`` consecutive outputs start at multiples of ``B``; block ``j``'s matrix depends on
    ``j B mod up`` only, so ``up / gcd(up, B)`` of them repeat (the period). Every ``B`` up to
    `max_block` is tried, with windows a whole stride apart (one strided view of the history per
    call, no copy) or gathered at each block's start (one `index_select`); the one with the least
    estimated work per output wins. Only divisors of ``up`` and powers of 2 are tried, which keeps
    the tables small. When none fits the budget, ``B = 1`` gathered (a polyphase bank in output
    order) is used.
    """
    best_cost = -1
    choice = (1, up, taps, 0)
    for block in range(1, max_block + 1):
        period = up // math.gcd(up, block)
        if period * block != up and block & (block - 1) != 0:
            continue  # only divisors of up (one period spans up outputs) and powers of 2
        for strided in [True, False]:
            width, stride, cost = _layout_cost(up, down, delay, taps, block, strided, chunk_outputs)
            fits = _stored_blocks(period, block, chunk_outputs) * width * block <= budget
            if fits and (best_cost < 0 or cost < best_cost):
                best_cost = cost
                choice = (block, period, width, stride)
    return choice


def _block_tables(
    up: int,
    down: int,
    delay: int,
    block: int,
    count: int,
    stored: int,
    width: int,
    stride: int,
    bank: Tensor,
    dtype: torch.dtype,
) -> Tuple[List[int], List[int], Tensor]:
    """First input of blocks ``0 .. count`` (relative to block 0), window offsets, matrices.

    Output ``k = t B + i`` is the dot product of inputs ``q(k) - hw + j`` with ``bank[r(k), j]``,
    where ``k down - S = q(k) up + r(k)``. Block ``t``'s window starts ``offset[t]`` inputs before
    its first input ``q(t B) - hw``; its matrix (stored transposed, ``width x B``) puts row
    ``r(k)`` at ``offset[t] + q(k) - q(t B)`` in column ``i``.

    Returns:
        ``(starts, offsets, matrices)``: ``count + 1`` starts, ``stored`` offsets and matrices of
        shape ``(stored, width, block)`` in `dtype` (blocks ``0 .. stored - 1``).
    """
    taps = bank.shape[1]
    first, _ = _block_geometry(up, down, delay, block, count)
    starts: List[int] = first.tolist()
    offsets = _window_offsets(first[:stored], stride)
    q, r = _phase_split(torch.arange(stored * block, dtype=torch.long), up, down, delay)
    q = q.view(stored, 1, block)
    row = (
        q
        - q[:, :, :1]
        + offsets.view(stored, 1, 1)
        + torch.arange(taps, dtype=torch.long).view(1, taps, 1)
    )
    values = bank.to(dtype).index_select(0, r).view(stored, block, taps).transpose(1, 2)
    matrices = torch.zeros(stored, width, block, dtype=dtype)
    matrices.scatter_(1, row, values)
    window_offsets: List[int] = offsets.tolist()
    return starts, window_offsets, matrices


class StreamingResampler(nn.Module):
    """Stateful sample-rate converter from `in_rate` to `out_rate` Hz for `num_channels` channels.

    Output sample ``k`` sits at input time ``(k * down - S) / up`` with ``S = delay_phase_units()``.
    After ``T`` inputs in total exactly ``floor((T * up + extra_delay) / down)`` outputs have been
    returned. Equal rates give a pure delay of `extra_delay` samples. `configure` switches to other
    rates at run time, scripted too; `num_channels` and `quality` are fixed at construction.

    Args:
        in_rate, out_rate: sample rates in Hz, integers in [1, 384000] (equal rates make a cheap
            placeholder to `configure` later).
        num_channels: channels, at least 1.
        quality: "fast", "high" (default) or "best" (see `QUALITY_PRESETS`).
        extra_delay: delay added to the minimum, in units of ``1 / up`` input samples, >= 0.

    Shape:
        forward: ``(num_channels, n)`` -> ``(num_channels, m)`` float32, any ``n >= 0``,
        ``m = output_count(n)`` evaluated before the call. The result is a view of an internal
        buffer (not always contiguous), valid until the next call: copy it to keep it.
    """

    block_starts: List[int]
    offsets: List[int]

    def __init__(
        self,
        in_rate: int,
        out_rate: int,
        num_channels: int = 2,
        quality: str = "high",
        extra_delay: int = 0,
    ) -> None:
        super().__init__()
        _check_python_int("in_rate", in_rate, f"[1, {MAX_RATE}] Hz")
        _check_python_int("out_rate", out_rate, f"[1, {MAX_RATE}] Hz")
        _check_python_int("num_channels", num_channels, "[1, inf)")
        if num_channels < 1:
            raise ValueError(f"num_channels must be an integer in [1, inf), got {num_channels}")
        _check_python_int("extra_delay", extra_delay, "[0, inf)")
        self.num_channels = num_channels
        self.quality = quality
        self.double_precision = quality_preset(quality)[3]
        # Rates of no configuration, so that the first `configure` designs everything.
        self.in_rate = 0
        self.out_rate = 0
        self.extra_delay = 0
        # Buffers, all (re)allocated by `configure` and `set_max_input_size`.
        tables = ["start_table", "matrices", "segments", "products", "gathered"]
        for name in [*tables, "history"]:
            self.register_buffer(name, torch.zeros(0), False)
        self.configure(in_rate, out_rate, extra_delay, _DEFAULT_MAX_INPUT)

    @torch.jit.export
    def configure(self, in_rate: int, out_rate: int, extra_delay: int, max_input: int) -> None:
        """Switch to new rates: design the filter and its tables, preallocate, reset the state.

        Runs scripted (e.g. when the host announces its sample rate); the tables are sized for
        these rates only. Raises `ValueError` (``torch.jit.Error`` when scripted) for rates
        outside [1, 384000], a ratio needing more than 2^24 coefficients, `extra_delay` < 0 or
        `max_input` < 0, leaving the previous configuration in place. The same rates and
        `extra_delay` keep the tables and only reallocate and reset.

        Args:
            in_rate, out_rate: sample rates in Hz, in [1, 384000].
            extra_delay: delay added to the minimum, in units of ``1 / up`` input samples, >= 0.
            max_input: most samples per call that allocate nothing, >= 0.
        """
        cutoff, half_width, beta = design_filter(in_rate, out_rate, self.quality)
        _check_extra_delay(extra_delay)
        if max_input < 0:
            raise ValueError(f"max_input must be in [0, inf), got {max_input}")
        if (in_rate, out_rate, extra_delay) == (self.in_rate, self.out_rate, self.extra_delay):
            self.set_max_input_size(max_input)
            return
        up, down = _reduced(in_rate, out_rate)
        taps = 2 * half_width + 1
        delay = (half_width + 1) * up - down + extra_delay
        bank = polyphase_bank(up, half_width, cutoff, beta)
        block, period, width, stride = _block_layout(up, down, delay, taps)
        chunk = _chunk_blocks(block)
        dtype = torch.float64 if self.double_precision else torch.float32
        stored = _stored_blocks(period, block)
        starts, offsets, matrices = _block_tables(
            up, down, delay, block, period + chunk, stored, width, stride, bank, dtype
        )

        self.in_rate = in_rate
        self.out_rate = out_rate
        self.up = up
        self.down = down
        self.extra_delay = extra_delay
        self.cutoff = cutoff
        self.half_width = half_width
        self.num_taps = taps
        self.delay_units = delay
        self.block = block
        self.period = period  # distinct block matrices: block starts repeat every `period` blocks
        self.cycle = period * block  # outputs after which the blocks repeat
        self.width = width  # input samples one block reads
        self.stride = stride  # inputs between consecutive windows; 0: gathered at the starts
        self.chunk_blocks = chunk
        self.block_starts = starts
        self.offsets = offsets
        self.start_table = torch.tensor(starts, dtype=torch.long)
        self.matrices = matrices
        # Elements between consecutive blocks' matrices: 0 repeats the single one of period 1.
        self.matrix_step = 0 if stored == 1 else width * block
        # Windows begin up to max(offsets) before the next block's first input; gathers slice the
        # history from block_starts[period - 1] before it.
        # TorchScript's max takes two numbers or one list: no flattening into max(*offsets, ...).
        self.pad = max(max(offsets), starts[period - 1])  # noqa: PLW3301
        # Samples kept between calls: from the first window of the next output's block onwards.
        self.initial_fill = half_width - (-delay) // up
        self.keep = max(self.initial_fill, 2 * half_width + 2) + width
        self.segments = torch.zeros(
            chunk if stride == 0 else 0, self.num_channels, width, dtype=dtype
        )
        # Streaming state (set by `reset`): `fill` samples in `history` from `origin` (the first
        # input the block of the next output reads; the history is zero after them), index of
        # the next output modulo block * period, and T up + e - down * (outputs so far), which
        # gives the next call's count.
        self.origin = 0
        self.fill = 0
        self.position = 0
        self.credit = 0
        self.max_input = 0
        self.set_max_input_size(max_input)

    @torch.jit.export
    def set_max_input_size(self, max_input: int) -> None:
        """Preallocate for calls of up to `max_input` samples (>= 0) and reset the state."""
        if max_input < 0:
            raise ValueError(f"max_input must be in [0, inf), got {max_input}")
        dtype = self.matrices.dtype
        channels = self.num_channels
        self.max_input = max_input
        # Room for four calls past the kept samples, so that the kept samples are moved back to
        # the front (`_compact`) every few calls only, without overlapping themselves; blocks past
        # the last output read up to `width` samples past the data.
        length = self.pad + 2 * self.keep + 4 * max_input + self.width
        self.history = torch.zeros(channels, length, dtype=dtype)
        self.length = length
        # Every block one call computes, in output order; then channel-major float32 unless the
        # products already are the output (one channel in float32).
        blocks = (self.block - 1 + self.max_output_size(max_input)) // self.block + 1
        self.products = torch.zeros(blocks, channels, self.block, dtype=dtype)
        self.direct = channels == 1 and dtype == torch.float32
        self.gathered = torch.zeros(0 if self.direct else channels * blocks * self.block)
        self.reset()

    @torch.jit.export
    def reset(self) -> None:
        """Forget the past: history of zeros, as if the stream started now."""
        self.history.zero_()
        self.origin = self.pad
        self.fill = self.initial_fill
        self.position = 0
        self.credit = self.extra_delay

    def _grow(self, max_input: int) -> None:
        """Reallocate for calls of up to `max_input` samples, keeping the stream going."""
        kept = self.history[:, self.origin : self.origin + self.fill].clone()
        position = self.position
        credit = self.credit
        self.set_max_input_size(max_input)
        self.history[:, self.pad : self.pad + kept.size(1)].copy_(kept)
        self.fill = kept.size(1)
        self.position = position
        self.credit = credit

    def _compact(self) -> None:
        """Move the kept samples to the front of the history.

        The history leaves room for several calls, so source and destination never overlap; what
        lies after the kept samples is overwritten by the next inputs before any counted output
        reads it (blocks past the last output read it, and are dropped).
        """
        if self.origin == self.pad:
            return
        channels = self.num_channels
        length = self.length
        kept = self.history.as_strided([channels, self.fill], [length, 1], self.origin)
        self.history.as_strided([channels, self.fill], [length, 1], self.pad).copy_(kept)
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

    def _gather(self, origin: int, index: int, blocks: int) -> Tensor:
        """Input windows of blocks ``index .. index + blocks - 1`` at their own starts (one copy).

        Shape: ``(blocks, channels, width)``.
        """
        frames = self.history.unfold(1, self.width, 1).transpose(0, 1)
        segments = self.segments[:blocks]
        table = self.start_table[index : index + blocks]
        torch.index_select(frames[origin - self.block_starts[index] :], 0, table, out=segments)
        return segments

    def forward(self, x: Tensor) -> Tensor:
        """Convert the next `n` samples of every channel; see the class docstring for shapes."""
        if x.dim() != 2 or x.size(0) != self.num_channels:
            raise ValueError(
                f"x must have shape (num_channels={self.num_channels}, n), got {list(x.shape)}"
            )
        n = x.size(1)
        if n > self.max_input:
            self._grow(n)  # allocates: call set_max_input_size up front instead
        if self.origin + self.fill + n + self.width > self.length:
            self._compact()
        # Views are taken with as_strided: one cheap dispatch where slicing takes one per dimension.
        channels = self.num_channels
        block = self.block
        width = self.width
        length = self.length
        count = (self.credit + n * self.up) // self.down  # output_count(n), inlined
        origin = self.origin
        position = self.position
        if n > 0:
            self.history.as_strided([channels, n], [length, 1], origin + self.fill).copy_(x)
        end = origin + self.fill + n
        first_skip = position % block
        done = 0
        computed = 0  # blocks computed so far: they follow each other in `products`
        while done < count:
            index = position // block
            skip = position - index * block
            todo = min(count - done, self.chunk_blocks * block - skip)
            blocks = (skip + todo + block - 1) // block
            matrices = self.matrices.as_strided(
                [blocks, width, block], [self.matrix_step, block, 1], index * self.matrix_step
            )
            products = self.products.as_strided(
                [blocks, channels, block], [channels * block, block, 1], computed * channels * block
            )
            if self.stride > 0:  # strided windows: a view of the history, no copy
                segments = self.history.as_strided(
                    [blocks, channels, width],
                    [self.stride, length, 1],
                    origin - self.offsets[index],
                )
            else:
                segments = self._gather(origin, index, blocks)
            torch.bmm(segments, matrices, out=products)
            origin += self.block_starts[index + (skip + todo) // block] - self.block_starts[index]
            position = (position + todo) % self.cycle
            done += todo
            computed += blocks
        self.credit = self.credit + n * self.up - count * self.down
        self.origin = origin
        self.position = position
        self.fill = end - origin
        if self.direct:  # one float32 channel: the products are the output
            return self.products.as_strided([1, count], [count, 1], first_skip)
        total = computed * block
        gathered = self.gathered.as_strided([channels, computed, block], [total, block, 1], 0)
        gathered.copy_(self.products[:computed].transpose(0, 1))
        return gathered.as_strided([channels, count], [total, 1], first_skip)


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
    minimum = minimum_delay_units(in_rate, out_rate, quality)
    _, down = _reduced(in_rate, out_rate)
    # Extra delay making S a multiple of down: the delay is then a whole number of outputs.
    extra = (-minimum) % down
    converter = StreamingResampler(in_rate, out_rate, max(1, channels), quality, extra)
    skip = converter.delay_phase_units() // converter.down
    wanted = -((-n * converter.up) // converter.down)
    if channels == 0:
        return x.new_zeros([*lead, wanted], dtype=torch.float32)
    padded = torch.zeros(channels, max(converter.input_needed(skip + wanted), n))
    padded[:, :n] = flat
    y = converter(padded)[:, skip : skip + wanted].clone()
    return y.reshape([*lead, wanted])
