"""`SampleFifo`: a preallocated queue of multichannel samples that reads as contiguous views.

The queue is a linear buffer holding samples ``[start, end)``. Writing past the end first moves the
held samples to the front (in non-overlapping pieces, so no temporary is needed); with a capacity
of at least ``2 * max_held + max_push`` this is one copy, and rare. Every read (`peek`) is a view,
so the adapter can hand a block to the model without copying. No sample memory is allocated after
`allocate` (a view is a small object, not samples).
Views are taken with ``narrow`` (one view op; ``buf[:, a:b]`` is two in TorchScript).

In TorchScript making a view costs more than copying a few hundred samples (about 0.5 us against
0.15 us on the reference machine), so the two operations a host call repeats avoid it: `reserve`
returns cached views (a host with a fixed buffer size cycles through a few write positions), and
`peek_into` copies with ``torch.narrow_copy`` (one plain copy, no view) when the destination is
contiguous. `peek` views are never cached: they may reach a model, which could reshape them in
place and so change the cached view. `torch.jit.freeze` cannot follow views kept in a dictionary
and refuses the module: call `stop_caching_views` first (the exporter does).

Example:
    >>> import torch
    >>> q = SampleFifo(1)
    >>> q.allocate(8, 4)
    >>> q.push(torch.arange(4.0).view(1, 4))
    >>> q.discard(1)
    >>> q.peek(0, 3)
    tensor([[1., 2., 3.]])
"""

from typing import Dict

import torch
from torch import Tensor, nn

# Views kept per queue; past this many (a host changing its buffer size all the time) the cache
# starts over, so it stays small whatever the host does.
MAX_CACHED_VIEWS = 256


class SampleFifo(nn.Module):
    """Preallocated FIFO of samples, shape ``(num_channels, capacity)``.

    Args:
        num_channels: rows of the queue (audio channels or knobs).
    """

    views: Dict[int, Tensor]

    def __init__(self, num_channels: int) -> None:
        super().__init__()
        if num_channels < 1:
            raise ValueError(f"num_channels must be >= 1, got {num_channels}")
        self.num_channels = num_channels
        self.max_cached_views = MAX_CACHED_VIEWS  # TorchScript reads no module-level ints
        self.cache_views = True
        self.buf = torch.zeros(num_channels, 0)
        self.capacity = 0
        self.start = 0
        self.end = 0
        no_views: Dict[int, Tensor] = {}
        self.views = no_views

    @torch.jit.export
    def allocate(self, max_held: int, max_push: int) -> None:
        """(Re)allocate for at most `max_held` samples held before a push of at most `max_push`."""
        capacity = 2 * max_held + max_push
        if capacity < 1:
            capacity = 1
        self.buf = torch.zeros(self.num_channels, capacity)
        self.capacity = capacity
        self.start = 0
        self.end = 0
        # Emptied, never replaced: TorchScript folds an unmutated ``{}`` into one constant that
        # every queue would then share.
        self.views.clear()

    @torch.jit.export
    def clear(self) -> None:
        """Empty the queue (the buffer keeps its size)."""
        self.start = 0
        self.end = 0

    @torch.jit.export
    def size(self) -> int:
        """Number of samples held."""
        return self.end - self.start

    @torch.jit.export
    def reserve(self, n: int) -> Tensor:
        """Append `n` samples and return them as a writable view ``(num_channels, n)`` to fill."""
        capacity = self.capacity
        if self.end + n > capacity:
            held = self.end - self.start
            if held + n > capacity:
                raise ValueError(
                    f"SampleFifo overflow: capacity {capacity} samples, {held} held, {n} pushed"
                )
            # Move the held samples to the front in pieces that never overlap their source.
            step = self.start
            done = 0
            while done < held:
                c = min(step, held - done)
                self.buf.narrow(1, done, c).copy_(self.buf.narrow(1, self.start + done, c))
                done += c
            self.start = 0
            self.end = held
        view = self._cached_view(self.end, n)
        self.end += n
        return view

    @torch.jit.export
    def stop_caching_views(self) -> None:
        """Empty the view cache and make every view anew from now on (before `torch.jit.freeze`)."""
        self.cache_views = False
        self.views.clear()

    def _cached_view(self, start: int, n: int) -> Tensor:
        """Columns ``start .. start + n`` of the buffer, from the view cache."""
        if not self.cache_views:
            return self.buf.narrow(1, start, n)
        key = start * (self.capacity + 1) + n
        view = self.views.get(key)
        if view is None:
            if len(self.views) >= self.max_cached_views:
                self.views.clear()
            view = self.buf.narrow(1, start, n)
            self.views[key] = view
        return view

    @torch.jit.export
    def push(self, x: Tensor) -> None:
        """Append `x`, shape ``(num_channels, n)``."""
        self.reserve(x.size(1)).copy_(x)

    @torch.jit.export
    def push_zeros(self, n: int) -> None:
        """Append `n` zero samples."""
        self.reserve(n).zero_()

    @torch.jit.export
    def peek(self, offset: int, n: int) -> Tensor:
        """View of the held samples ``offset .. offset + n``, shape ``(num_channels, n)``."""
        if offset < 0 or offset + n > self.end - self.start:
            raise ValueError(
                f"SampleFifo.peek({offset}, {n}) out of range: {self.end - self.start} samples held"
            )
        return self.buf.narrow(1, self.start + offset, n)

    @torch.jit.export
    def peek_into(self, dst: Tensor) -> None:
        """Copy the oldest ``dst.size(1)`` samples into `dst` ``(num_channels, m)`` (kept)."""
        m = dst.size(1)
        if m > self.end - self.start:
            raise ValueError(
                f"SampleFifo.peek_into({m} samples) out of range: {self.end - self.start} held"
            )
        if dst.is_contiguous() and dst.dtype == self.buf.dtype:
            torch.narrow_copy(self.buf, 1, self.start, m, out=dst)
        else:
            dst.copy_(self.buf.narrow(1, self.start, m))

    @torch.jit.export
    def discard(self, n: int) -> None:
        """Drop the `n` oldest samples."""
        if n > self.end - self.start:
            raise ValueError(
                f"SampleFifo.discard({n}) out of range: {self.end - self.start} samples held"
            )
        self.start += n
        if self.start == self.end:
            self.start = 0
            self.end = 0

    def forward(self, x: Tensor) -> None:
        """Same as `push`."""
        self.push(x)
