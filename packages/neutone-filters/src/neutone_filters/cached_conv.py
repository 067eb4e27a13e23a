"""Cached (streaming) 1-D convolutions and a small temporal convolutional network block.

A convolution trained offline on whole signals sees left context (and, with ``'same'`` padding,
right context) that a stream does not have yet. `CachedConv1d` keeps the last
``dilation * (kernel_size - 1)`` input samples of every batch row and channel between calls, so that
buffer-by-buffer output equals the offline output: exactly for causal padding, and delayed by the
look-ahead ``total - total // 2`` for ``'same'`` padding (the right half of the padding becomes
reported delay). It subclasses `torch.nn.Conv1d`, so an offline layer's `state_dict` loads as is.

Offline, every ``'same'`` layer of a network zero-pads its own input at the start of the signal. A
stream delayed by look-ahead would instead feed the next layer outputs that belong before the start
(bias, look-ahead into the first samples). So each layer zeroes the outputs that fall before the
start of the offline signal: the first ``input_delay + look_ahead`` samples after a reset, where
``input_delay`` is the delay already in the stream feeding it. Then a stack of layers streams
exactly like the offline network, delayed by the sum of the look-aheads.

`TCNBlock` is dilated conv → activation → 1×1 conv, plus a residual path delayed to stay aligned;
`CachedTCN` stacks blocks and sums their delays.

A realtime callback must not allocate (an allocation can stall the audio thread). Outside autograd
(under ``torch.no_grad()``), a steady-state call allocates nothing of its own: the context and the
new buffer are copied into one half of a preallocated work buffer (grown only when a longer buffer
or a larger batch arrives), the convolution reads a contiguous view of it, and the context kept for
the next call is a view of that half while the next call fills the other, so no copy is between
overlapping memory. What remains is what `torch.nn.functional.conv1d` allocates for its output (it
has no ``out=``). `TCNBlock` adds its delayed residual in place (`StreamingDelay.add_delayed_`).

Under `torch.export` (``torch.compiler.is_exporting()``) the same streams take a second path that
the exported program can keep: the state lives only in registered buffers updated in place
(``copy_``), the sample counter is a 0-d tensor and no branch depends on the buffer length, so one
graph serves any block length. That path allocates per call; TorchScript and eager never take it.
Its buffers must exist before export: call the module once (eagerly, at the batch size to export)
and `reset` it (reset keeps the state's shape).
"""

from typing import List

import torch
from torch import Tensor, nn

from neutone_core.stateful import StatefulModule
from neutone_filters.checks import is_int_at_least

CONV_PADDINGS = ("causal", "same")


def _require_state(cache: Tensor, x: Tensor, owner: str) -> None:
    """Under export the state cannot be (re)allocated: it must already fit `x`."""
    if cache.shape[:2] != x.shape[:2] or cache.dtype != x.dtype:
        raise ValueError(
            f"{owner}: run one block eagerly (batch and channels {list(x.shape[:2])}, "
            f"{x.dtype}) and reset() before torch.export, so the state buffers exist"
        )


class StreamingDelay(StatefulModule):
    """Delay a ``(batch, channels, n)`` stream by a whole number of samples (zeros first).

    `forward` returns a new tensor; `add_delayed_` adds the delayed stream into a tensor the caller
    owns and allocates nothing in steady state (`TCNBlock` uses it for its residual path).

    Args:
        delay: delay in samples, in ``[0, inf)``.
    """

    # Buffers (registered in __init__).
    cache: Tensor
    spare: Tensor

    def __init__(self, delay: int) -> None:
        super().__init__()
        if not is_int_at_least(delay, 0):
            raise ValueError(f"delay must be an int number of samples in [0, inf), got {delay!r}")
        self.delay = delay
        self.register_buffer("cache", torch.zeros(0, 0, delay), persistent=False)
        self.register_buffer("spare", torch.zeros(0, 0, delay), persistent=False)

    @torch.jit.export
    def reset(self) -> None:
        """Forget the buffered samples (in place: the buffers keep their size)."""
        self.cache.zero_()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """The constructor's `delay`."""
        return self.delay

    def _fit(self, x: Tensor) -> None:
        """Zeroed state for `x`'s batch and channel counts and dtype (kept while they hold)."""
        if self.cache.shape[:2] != x.shape[:2] or self.cache.dtype != x.dtype:
            self.cache = x.new_zeros(x.size(0), x.size(1), self.delay)
            self.spare = x.new_zeros(x.size(0), x.size(1), self.delay)

    def forward(self, x: Tensor) -> Tensor:
        if self.delay == 0:
            return x
        self._fit(x)
        n = x.size(2)
        joined = torch.cat([self.cache, x], dim=2)
        self.cache.copy_(joined.narrow(2, n, self.delay).detach())
        return joined.narrow(2, 0, n)

    @torch.jit.export
    def add_delayed_(self, y: Tensor, x: Tensor) -> Tensor:
        """``y += forward(x)`` in place, allocating nothing in steady state; returns `y`.

        Shape:
            ``y``, ``x``: ``(batch, channels, n)``, the same shape, not sharing memory.
        """
        if self.delay == 0:
            return y.add_(x)
        # Nested: TorchScript drops only a whole `if not is_scripting()` block, not an `and`.
        if not torch.jit.is_scripting():  # noqa: SIM102
            if torch.compiler.is_exporting():
                # One graph for any n: no branch on n against the delay.
                return y.add_(self.forward(x))
        self._fit(x)
        n = x.size(2)
        d = self.delay
        if n >= d:
            y.narrow(2, 0, d).add_(self.cache)
            y.narrow(2, d, n - d).add_(x.narrow(2, 0, n - d))
            self.cache.copy_(x.narrow(2, n - d, d).detach())
        else:
            # The kept samples move left by n, between overlapping memory: build the new state in
            # the spare buffer and swap the two.
            y.add_(self.cache.narrow(2, 0, n))
            self.spare.narrow(2, 0, d - n).copy_(self.cache.narrow(2, n, d - n))
            self.spare.narrow(2, d - n, n).copy_(x.detach())
            kept = self.spare
            self.spare = self.cache
            self.cache = kept
        return y


class CachedConv1d(nn.Conv1d, StatefulModule):
    """`torch.nn.Conv1d` that streams: same arguments (stride 1), same weights, state between calls.

    Args:
        in_channels, out_channels, kernel_size, dilation, groups, bias, device, dtype: as
            `torch.nn.Conv1d` (same order; `kernel_size` and `dilation` as ints).
        padding_mode: must be ``zeros``.
        stride: must be 1 (a strided layer changes the rate of the stream).
        padding: ``causal`` (all context on the left; no delay) or ``same`` (the offline
            ``padding='same'`` layer; its right half, ``total - total // 2`` samples with
            ``total = dilation * (kernel_size - 1)``, is reported as delay).
        input_delay: samples of delay already in the input stream (the look-ahead of the layers
            before this one), in ``[0, inf)``; that many leading outputs (plus this layer's
            look-ahead) are zeroed after a reset, as offline padding would make them.

    Shape:
        forward: ``(batch, in_channels, n) -> (batch, out_channels, n)``, ``n >= 0``; the cache is
        allocated on the first call and zeroed if the batch size or dtype changes. Outside
        autograd, a call no longer than any before at the same batch size and dtype allocates only
        the convolution's output.

    Example:
        >>> offline = nn.Conv1d(2, 4, 3, padding="same")
        >>> cached = CachedConv1d(2, 4, 3, padding="same")
        >>> _ = cached.load_state_dict(offline.state_dict())
        >>> x = torch.randn(1, 2, 100)
        >>> y = torch.cat([cached(x[..., :37]), cached(x[..., 37:])], dim=-1)
        >>> bool((y[..., 1:] - offline(x)[..., :-1]).abs().max() < 1e-5)
        True
    """

    # Buffers (registered in __init__).
    cache: Tensor
    work: Tensor
    emitted_samples: Tensor

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: str = "causal",
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
        input_delay: int = 0,
    ) -> None:
        if stride != 1:
            raise ValueError(f"stride must be 1 for a streaming convolution, got {stride!r}")
        if padding not in CONV_PADDINGS:
            raise ValueError(f"padding must be one of {', '.join(CONV_PADDINGS)}, got {padding!r}")
        if padding_mode != "zeros":
            raise ValueError(
                f"padding_mode must be 'zeros' (a stream cannot reflect its future), "
                f"got {padding_mode!r}"
            )
        for name, value in (("kernel_size", kernel_size), ("dilation", dilation)):
            if not is_int_at_least(value, 1):
                raise ValueError(f"{name} must be an int in [1, inf), got {value!r}")
        if not is_int_at_least(input_delay, 0):
            raise ValueError(f"input_delay must be an int in [0, inf), got {input_delay!r}")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=1,
            padding=0,
            dilation=dilation,
            groups=groups,
            bias=bias,
            device=device,
            dtype=dtype,
        )
        context = dilation * (kernel_size - 1)
        self.context = context
        self.look_ahead = 0 if padding == "causal" else context - context // 2
        self.leading_zeros = input_delay + self.look_ahead
        self.emitted = 0
        # The export path's count of `emitted` (export keeps no Python state between calls).
        self.register_buffer("emitted_samples", torch.zeros((), dtype=torch.long), persistent=False)
        self.register_buffer("cache", torch.zeros(0, in_channels, context), persistent=False)
        # (batch * in_channels * (context + n),) for the longest n seen: the cache, then the buffer.
        self.register_buffer("work", torch.zeros(0), persistent=False)

    @torch.jit.export
    def reset(self) -> None:
        """Forget the left context (the next call sees zeros before it, like offline padding)."""
        # Its own zeros, not a view of the work buffer: torch.export refuses state that aliases
        # other state.
        self.cache = torch.zeros_like(self.cache)
        self.emitted = 0
        self.emitted_samples.zero_()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """Look-ahead of the offline padding: 0 for causal, ``total - total // 2`` for same."""
        return self.look_ahead

    def _joined(self, x: Tensor) -> Tensor:
        """Context then `x`, ``(batch, in_channels, context + n)``, contiguous; updates the cache.

        Outside autograd it is a view of the work buffer; the cache is a tensor of its own, refilled
        from the end of that view, so no copy overlaps and a deep copy of the layer, which turns
        views into tensors of their own, runs as the original.
        With autograd recording (the weight or `x` requires grad) it is a new tensor, since the
        convolution keeps its input for the backward pass and a later call would overwrite it.
        """
        n = x.size(2)
        if torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad):
            joined = torch.cat([self.cache, x], dim=2)
            self.cache.copy_(joined.narrow(2, n, self.context).detach())
            return joined
        size = x.size(0) * self.in_channels * (self.context + n)
        if self.work.size(0) < size or self.work.dtype != x.dtype:
            self.work = x.new_empty(size)
        joined = self.work.narrow(0, 0, size).view(x.size(0), self.in_channels, self.context + n)
        joined.narrow(2, 0, self.context).copy_(self.cache)
        joined.narrow(2, self.context, n).copy_(x)
        self.cache.copy_(joined.narrow(2, n, self.context))
        return joined

    def forward(self, x: Tensor) -> Tensor:
        # Nested: TorchScript drops only a whole `if not is_scripting()` block, not an `and`.
        if not torch.jit.is_scripting():  # noqa: SIM102
            if torch.compiler.is_exporting():
                return self._forward_exported(x)
        if self.cache.size(0) != x.size(0) or self.cache.dtype != x.dtype:
            self.cache = x.new_zeros(x.size(0), self.in_channels, self.context)
        n = x.size(2)
        if n == 0:
            return x.new_zeros(x.size(0), self.out_channels, 0)
        joined = x if self.context == 0 else self._joined(x)
        y = nn.functional.conv1d(
            joined, self.weight, self.bias, 1, 0, self.dilation[0], self.groups
        )
        if self.emitted < self.leading_zeros:
            y[:, :, : self.leading_zeros - self.emitted] = 0.0
            self.emitted = min(self.emitted + n, self.leading_zeros)
        return y

    @torch.jit.unused
    def _forward_exported(self, x: Tensor) -> Tensor:
        """`forward` as `torch.export` can keep it: the cache updated in place, the count of
        emitted samples a tensor, the leading zeros a mask (one graph for any length)."""
        _require_state(self.cache, x, "CachedConv1d")
        joined = x
        if self.context > 0:
            joined = torch.cat([self.cache, x], dim=2)
            self.cache.copy_(joined.narrow(2, x.size(2), self.context))
        y = nn.functional.conv1d(
            joined, self.weight, self.bias, 1, 0, self.dilation[0], self.groups
        )
        if self.leading_zeros == 0:
            return y
        position = torch.arange(x.size(2), device=x.device) + self.emitted_samples
        y = y.masked_fill(position < self.leading_zeros, 0.0)
        self.emitted_samples.copy_(
            torch.clamp(self.emitted_samples + x.size(2), max=self.leading_zeros)
        )
        return y


class TCNBlock(StatefulModule):
    """Residual block ``x + mix(activation(conv(x)))`` with a dilated `CachedConv1d`.

    Args:
        channels: input = output channels, in ``[1, inf)``.
        kernel_size: taps of the dilated convolution, in ``[1, inf)``.
        dilation: in ``[1, inf)``.
        padding: ``causal`` or ``same`` (see `CachedConv1d`); the residual is delayed to match.
        activation: pointwise module, applied to the convolution's fresh output (so it may work
            in place); default ``nn.LeakyReLU(0.2, inplace=True)``.
        input_delay: delay already in the input stream (see `CachedConv1d`), in ``[0, inf)``.

    Shape:
        forward: ``(batch, channels, n) -> (batch, channels, n)``.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int,
        dilation: int = 1,
        padding: str = "causal",
        activation: nn.Module | None = None,
        input_delay: int = 0,
    ) -> None:
        super().__init__()
        self.conv = CachedConv1d(
            channels,
            channels,
            kernel_size,
            dilation=dilation,
            padding=padding,
            input_delay=input_delay,
        )
        self.activation = nn.LeakyReLU(0.2, inplace=True) if activation is None else activation
        delay = self.conv.get_delay_samples()
        self.mix = CachedConv1d(channels, channels, 1, input_delay=input_delay + delay)
        self.residual = StreamingDelay(delay)

    @torch.jit.export
    def reset(self) -> None:
        """Clear the convolution caches and the residual delay line."""
        self.conv.reset()
        self.mix.reset()
        self.residual.reset()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """Delay of the dilated convolution (the residual path is delayed to match)."""
        return self.conv.get_delay_samples()

    def forward(self, x: Tensor) -> Tensor:
        return self.residual.add_delayed_(self.mix(self.activation(self.conv(x))), x)


class CachedTCN(StatefulModule):
    """A stack of `TCNBlock`, one per dilation; its delay is the sum of the blocks' delays.

    Args:
        channels: in ``[1, inf)``.
        kernel_size: in ``[1, inf)``.
        dilations: one block per entry, each in ``[1, inf)``, e.g. ``[1, 2, 4, 8]``.
        padding: ``causal`` or ``same``.

    Shape:
        forward: ``(batch, channels, n) -> (batch, channels, n)``.
    """

    def __init__(
        self, channels: int, kernel_size: int, dilations: List[int], padding: str = "causal"
    ) -> None:
        super().__init__()
        if len(dilations) == 0:
            raise ValueError("dilations must list at least one dilation in [1, inf), got []")
        blocks: List[TCNBlock] = []
        delay = 0
        for dilation in dilations:
            blocks.append(TCNBlock(channels, kernel_size, dilation, padding, input_delay=delay))
            delay += blocks[-1].get_delay_samples()
        self.blocks = nn.ModuleList(blocks)

    @torch.jit.export
    def reset(self) -> None:
        """Clear every block."""
        for block in self.blocks:
            # A ModuleList yields nn.Module to mypy; TorchScript needs the ModuleList.
            block.reset()  # type: ignore[operator]

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """Sum of the blocks' delays."""
        total = 0
        for block in self.blocks:
            # A ModuleList yields nn.Module to mypy; TorchScript needs the ModuleList.
            total += block.get_delay_samples()  # type: ignore[operator]
        return total

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x
