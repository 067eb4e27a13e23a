"""`ChannelConverter`: writes audio with one channel count into a buffer with another.

The host calls with 1 or 2 channels whatever the model's layout; the adapter converts on the way
in (host -> model) and on the way out (model -> host) with the same rule: copy when the counts
match, average the two channels into one, duplicate one channel into two. It writes into a buffer
the caller owns and allocates nothing.

Example:
    >>> import torch
    >>> dst = torch.zeros(1, 3)
    >>> ChannelConverter()(torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), dst)
    >>> dst
    tensor([[2., 2., 2.]])
"""

import torch
from torch import Tensor, nn


class ChannelConverter(nn.Module):
    """Copy, average (2 -> 1) or duplicate (1 -> 2) audio ``(channels, n)`` into a buffer."""

    one_half: Tensor

    def __init__(self) -> None:
        super().__init__()
        # A tensor factor: a Python scalar operand allocates a temporary in TorchScript.
        self.register_buffer("one_half", torch.tensor(0.5))

    def forward(self, src: Tensor, dst: Tensor) -> None:
        """Write `src` ``(1|2, n)`` into `dst` ``(1|2, n)``; the two may not overlap.

        Averaging is ``(a + b) * 0.5``, bit-identical to ``torch.mean`` over the two channels.
        """
        if src.size(0) == dst.size(0):
            if dst.is_contiguous() and src.is_contiguous() and src.dtype == dst.dtype:
                # One plain copy: ``copy_`` costs twice as much on a host-size buffer. `dst` is
                # tested first: a queue's columns never are contiguous (stereo), the host's are.
                torch.narrow_copy(src, 1, 0, src.size(1), out=dst)
            else:
                dst.copy_(src)
        elif dst.size(0) == 1:
            torch.add(src[0:1], src[1:2], out=dst)
            dst.mul_(self.one_half)
        else:
            dst.copy_(src.expand(2, src.size(1)))
