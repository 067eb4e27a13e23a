"""`BlockQueue`: the model's input at the native rate, cut into the windows the model runs on.

A window is ``look_behind + n + look_ahead`` samples: ``look_behind`` already-processed samples
(zeros at the start), the ``n`` samples of the current block, and ``look_ahead`` future samples.
The queue is primed with ``look_behind`` zeros, so a window is always its first samples; after a
block, its ``n`` samples are dropped. With a native buffer size every block has that size; without
one (size 0) a block takes every sample available, up to the largest block configured.

A model may write into the window it gets (Neutone SDK examples do): a window with look-behind or
look-ahead is therefore a copy, so that the next window's context is what came in. Without context
the window is a view of the queue, whose samples are dropped right after the block anyway.

Example:
    >>> import torch
    >>> q = BlockQueue(1, look_behind=1, look_ahead=1)
    >>> q.configure(block_size=2, block_max=2, max_push=4)
    >>> q.push(torch.arange(1.0, 5.0).view(1, 4))
    >>> q.next_size(), q.window(2)
    (2, tensor([[0., 1., 2., 3.]]))
"""

import torch
from torch import Tensor, nn

from neutone_core.fifo import SampleFifo


class BlockQueue(nn.Module):
    """Input queue of ``num_channels`` channels that yields windows for the model.

    Args:
        num_channels: the model's input channels.
        look_behind, look_ahead: samples before and after each block in its window (>= 0).
    """

    def __init__(self, num_channels: int, look_behind: int, look_ahead: int) -> None:
        super().__init__()
        self.look_behind = look_behind
        self.look_ahead = look_ahead
        self.block_size = 0
        self.block_max = 0
        self.fifo = SampleFifo(num_channels)
        self.window_buf = torch.zeros(num_channels, 0)

    def configure(self, block_size: int, block_max: int, max_push: int) -> None:
        """Allocate for blocks of `block_size` (0: any, up to `block_max`) and pushes of at most
        `max_push` samples; empties the queue."""
        self.block_size = block_size
        self.block_max = block_max
        self.fifo.allocate(self.look_behind + self.look_ahead + block_max, max_push)
        self.window_buf = torch.zeros(
            self.window_buf.size(0), self.look_behind + self.look_ahead + block_max
        )
        self.reset()

    def reset(self) -> None:
        """Empty the queue and prime it with the look-behind's zeros."""
        self.fifo.clear()
        self.fifo.push_zeros(self.look_behind)

    def reserve(self, n: int) -> Tensor:
        """Append `n` samples; returns them as a view ``(num_channels, n)`` to fill."""
        return self.fifo.reserve(n)

    def push(self, x: Tensor) -> None:
        """Append `x` ``(num_channels, n)``."""
        self.fifo.push(x)

    def next_size(self) -> int:
        """Size of the next block whose window is complete; 0 if none."""
        available = self.fifo.size() - self.look_behind - self.look_ahead
        if self.block_size > 0:
            return self.block_size if available >= self.block_size else 0
        return max(min(available, self.block_max), 0)

    def window(self, n: int) -> Tensor:
        """The next block's window ``(num_channels, look_behind + n + look_ahead)``, valid until
        the next call; the caller may write into it."""
        size = self.look_behind + n + self.look_ahead
        if size == n:
            return self.fifo.peek(0, n)
        window = self.window_buf
        if size != window.size(1):
            window = window.narrow(1, 0, size)
        self.fifo.peek_into(window)
        return window

    def stop_caching_views(self) -> None:
        """See `SampleFifo.stop_caching_views`."""
        self.fifo.stop_caching_views()

    def advance(self, n: int) -> None:
        """Drop the oldest `n` samples: the next window starts `n` samples later."""
        self.fifo.discard(n)
