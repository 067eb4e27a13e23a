"""`Conv1dGeneral`: the Neutone SDK's 1-D convolution that is either offline or cached (streaming).

Offline (``cached=False``) it is `torch.nn.Conv1d` with the padding computed as the SDK does
(``'same'``, ``'valid'`` or an int; causal padding puts it all on the left). Cached
(``cached=True``, what `prepare_for_inference` selects) it keeps the last
``dilation * (kernel_size - 1)`` input samples and returns one output per input sample: the
offline output delayed by the right context the padding gave it, ``get_delay_samples() =
dilation * (kernel_size - 1) - padding_l`` (0 when causal). The SDK reports ``padding_r`` there,
which is the same for ``'same'`` padding and wrong for other paddings. The weights live in
``conv1d`` as in the SDK, so its ``state_dict`` loads as is.
"""

from typing import Optional, Tuple, Union

import torch
from torch import Tensor, nn

from neutone_core.stateful import StatefulModule
from neutone_filters.checks import is_int_at_least
from neutone_filters.padding import PaddingCached


def _padding(padding: Union[str, int, Tuple[int]], span: int, causal: bool) -> Tuple[int, int]:
    """(left, right) padding; `span` is ``dilation * (kernel_size - 1)``."""
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return (span, 0) if causal else (span // 2, span - span // 2)
    if not is_int_at_least(padding, 0):
        raise ValueError(
            f"Conv1dGeneral: padding must be 'same', 'valid' or an int >= 0, got {padding!r}"
        )
    return (padding, 0) if causal else (padding, padding)


class Conv1dGeneral(StatefulModule):
    """Conv1d with the Neutone SDK's causal and cached modes (its constructor and methods).

    Shape:
        forward: ``(batch, in_channels, n)`` -> offline: like `torch.nn.Conv1d` with the padding;
        cached: ``(batch, out_channels, n)``, delayed by `get_delay_samples`.

    Example:
        >>> conv = Conv1dGeneral(1, 4, kernel_size=3, causal=True, cached=True)
        >>> conv(torch.randn(1, 1, 10)).shape, conv.get_delay_samples()
        (torch.Size([1, 4, 10]), 0)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: Union[str, int, Tuple[int]] = "same",
        dilation: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        causal: bool = True,
        cached: bool = False,
        use_dynamic_bs: bool = True,
        batch_size: int = 1,
        debug_mode: bool = True,
    ) -> None:
        super().__init__()
        if stride != 1:
            raise ValueError(f"Conv1dGeneral: stride must be 1 (as in the SDK), got {stride}")
        span = (kernel_size - 1) * dilation
        self.padding_l, self.padding_r = _padding(padding, span, causal)
        if self.padding_l > span:
            raise ValueError(
                f"Conv1dGeneral: left padding {self.padding_l} exceeds the kernel's span {span}; "
                "a cached convolution cannot produce outputs before its input"
            )
        self.in_channels = in_channels
        self.causal = causal
        self.cached = cached
        self.debug_mode = debug_mode
        self.padded_kernel_size = span
        self.padding_mode = "constant" if padding_mode == "zeros" else padding_mode
        self.conv1d = nn.Conv1d(
            in_channels, out_channels, kernel_size, dilation=dilation, bias=bias
        )
        self.padding_cached = PaddingCached(
            in_channels, span, use_dynamic_bs=use_dynamic_bs, batch_size=batch_size
        )

    @torch.jit.export
    def is_cached(self) -> bool:
        return self.cached

    @torch.jit.export
    def set_cached(self, cached: bool) -> None:
        """Switch between offline and cached mode; the cache restarts at zeros."""
        self.cached = cached
        self.reset(None)  # TorchScript wants the optional argument spelled out

    @torch.jit.export
    def reset(self, batch_size: Optional[int] = None) -> None:
        self.padding_cached.reset(batch_size)

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """Delay of the cached output against the offline one: the right context, in samples."""
        return self.padded_kernel_size - self.padding_l

    def prepare_for_inference(self) -> None:
        """Select cached mode (streaming) and evaluation mode, as the SDK does before export."""
        self.set_cached(True)
        self.eval()

    def forward(self, x: Tensor) -> Tensor:
        if self.cached:
            return self.conv1d(self.padding_cached(x))
        padded = nn.functional.pad(x, [self.padding_l, self.padding_r], mode=self.padding_mode)
        return self.conv1d(padded)
