"""`PaddingCached`: the Neutone SDK's cached left padding for streaming convolutions.

A convolution run buffer by buffer needs the last ``padding_l`` input samples of the previous
buffer in front of the current one; `PaddingCached` keeps them per batch row and channel and
prepends them (zeros after a reset), so ``conv(pad(x))`` streams like the offline convolution with
causal padding. The SDK's right padding appends samples of an earlier buffer, which no offline
convolution does; a streaming convolution that needs right context reports it as delay instead
(`neutone_filters.CachedConv1d` with ``'same'`` padding), so ``padding_r`` must be 0 here.
"""

from typing import Optional

import torch
from torch import Tensor

from neutone_core.stateful import StatefulModule
from neutone_filters.checks import is_int_at_least


class PaddingCached(StatefulModule):
    """Prepend the previous call's last `padding_l` samples (the Neutone SDK's constructor).

    Args:
        n_ch: channels, ``>= 1``.
        padding_l: samples kept and prepended, ``>= 0``.
        padding_r: must be 0 (see the module).
        use_dynamic_bs: follow the input's batch size (the cache restarts at zeros when it changes);
            False: a different batch size raises.
        batch_size: initial batch size, ``>= 1``.
        debug_mode: accepted for the SDK's signature; shapes are always checked.

    Shape:
        forward: ``(batch, n_ch, n) -> (batch, n_ch, padding_l + n)``.

    Example:
        >>> pad = PaddingCached(n_ch=1, padding_l=2)
        >>> pad(torch.ones(1, 1, 3)).tolist(), pad(torch.full((1, 1, 1), 2.0)).tolist()
        ([[[0.0, 0.0, 1.0, 1.0, 1.0]]], [[[1.0, 1.0, 2.0]]])
    """

    # Buffers (registered in __init__).
    pad_l_buf: Tensor

    def __init__(
        self,
        n_ch: int,
        padding_l: int,
        padding_r: int = 0,
        use_dynamic_bs: bool = True,
        batch_size: int = 1,
        debug_mode: bool = True,
    ) -> None:
        super().__init__()
        for name, value, low in (
            ("n_ch", n_ch, 1),
            ("padding_l", padding_l, 0),
            ("batch_size", batch_size, 1),
        ):
            if not is_int_at_least(value, low):
                raise ValueError(f"PaddingCached: {name} must be an int >= {low}, got {value!r}")
        if padding_r != 0:
            raise ValueError(
                f"PaddingCached: padding_r must be 0, got {padding_r!r}; a streaming convolution "
                "cannot see future samples: use CachedConv1d(..., padding='same'), which reports "
                "the right context as delay"
            )
        self.n_ch = n_ch
        self.padding_l = padding_l
        self.padding_r = 0
        self.use_dynamic_bs = use_dynamic_bs
        self.debug_mode = debug_mode
        self.register_buffer("pad_l_buf", torch.zeros(batch_size, n_ch, padding_l))

    @torch.jit.export
    def reset(self, batch_size: Optional[int] = None) -> None:
        """Zero the cache; with `batch_size`, resize it to that batch."""
        if batch_size is None:
            self.pad_l_buf.zero_()
        else:
            self.pad_l_buf = self.pad_l_buf.new_zeros(batch_size, self.n_ch, self.padding_l)

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """0: only past samples are prepended."""
        return 0

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.size(1) != self.n_ch:
            raise ValueError(
                f"PaddingCached: expected (batch, {self.n_ch}, n), got {list(x.shape)}"
            )
        if self.padding_l == 0:
            return x
        if x.size(0) != self.pad_l_buf.size(0):
            if not self.use_dynamic_bs:
                raise ValueError(
                    f"PaddingCached: batch size {x.size(0)} differs from "
                    f"{self.pad_l_buf.size(0)}; build it with use_dynamic_bs=True"
                )
            self.reset(x.size(0))
        joined = torch.cat([self.pad_l_buf.to(x.dtype), x], dim=-1)
        self.pad_l_buf = joined[..., joined.size(-1) - self.padding_l :].detach()
        return joined
