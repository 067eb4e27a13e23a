"""`TCN1D` and `TCN1DBlock`: the Neutone SDK's offline temporal convolutional network.

A stack of dilated 1-D convolutions (dilation ``dil_growth ** n`` in block ``n``), each followed by
FiLM conditioning (or batch norm), an activation and a 1x1 residual path. It is stateless: give it a
window with enough past context (``calc_receptive_field() - 1`` samples of look-behind, or
``'same'`` padding plus look-ahead); for a cached, streaming network use `CachedTCN`. Attribute
names match the SDK's (``blocks.N.conv``, ``.film``, ``.bn``, ``.act``, ``.res``), so an SDK
model's ``state_dict`` loads as is.

One difference: with a padding that shortens the output, the SDK crops the residual to its samples
``[L - 1 - n, L - 1)`` (one sample early); here the residual is cropped to its last ``n`` samples,
aligned with the convolution's output.
"""

from typing import Optional

from torch import Tensor, nn

from neutone_filters.checks import is_int_at_least
from neutone_filters.film import FiLM


class TCN1DBlock(nn.Module):
    """Dilated conv -> FiLM (with ``cond_dim > 0``) or batch norm -> activation, plus residual.

    Args:
        in_ch, out_ch: channels in and out.
        kernel_size: taps, ``>= 1``.
        dilation: ``>= 1``.
        padding: zeros on each side; None: ``(kernel_size - 1) // 2 * dilation`` (same length).
        cond_dim: size of the conditioning vector; 0: none (batch norm if `use_bn`).
        use_bias_in_conv, use_bn, use_act, use_res: which parts to build.
        act: the activation; default `nn.PReLU(prelu_ch)`.
        prelu_ch: channels of the default PReLU.
        res_groups: groups of the 1x1 residual convolution.

    Shape:
        forward: ``x (batch, in_ch, n)``, ``cond (batch, cond_dim)`` or None ->
        ``(batch, out_ch, n + 2 * padding - dilation * (kernel_size - 1))``.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int,
        dilation: int,
        padding: Optional[int] = None,
        cond_dim: int = 0,
        use_bias_in_conv: bool = True,
        use_bn: bool = True,
        use_act: bool = True,
        use_res: bool = True,
        act: Optional[nn.Module] = None,
        prelu_ch: int = 1,
        res_groups: int = 1,
    ) -> None:
        super().__init__()
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if padding < 0:
            raise ValueError(f"TCN1DBlock: padding must be >= 0, got {padding}")
        self.padding = padding
        self.act = (act if act is not None else nn.PReLU(prelu_ch)) if use_act else None
        self.conv = nn.Conv1d(
            in_ch, out_ch, kernel_size, dilation=dilation, padding=padding, bias=use_bias_in_conv
        )
        self.film = FiLM(cond_dim, out_ch, use_bn=use_bn) if cond_dim > 0 else None
        self.bn = nn.BatchNorm1d(out_ch) if use_bn and cond_dim == 0 else None
        self.res = nn.Conv1d(in_ch, out_ch, 1, groups=res_groups, bias=False) if use_res else None

    def forward(self, x: Tensor, cond: Optional[Tensor] = None) -> Tensor:
        y = self.conv(x)
        if cond is not None and self.film is not None:
            y = self.film(y, cond)
        elif self.bn is not None:
            y = self.bn(y)
        if self.act is not None:
            y = self.act(y)
        if self.res is not None:
            residual = self.res(x)
            y = y + residual[..., residual.size(-1) - y.size(-1) :]
        return y


class TCN1D(nn.Module):
    """`TCN1DBlock`s with dilations ``dil_growth ** n``: ``in_ch -> n_channels ... -> out_ch``.

    Args: as the Neutone SDK's ``TCN1D`` (see `TCN1DBlock` for `padding`, `cond_dim`, `use_act`,
    `use_bn`, `use_bias_in_conv`); ``n_blocks >= 2``.

    Shape:
        forward: ``x (batch, in_ch, n)``, ``cond (batch, cond_dim)`` or None -> ``(batch, out_ch,
        m)``; ``m = n`` with the default padding.

    Example:
        >>> import torch
        >>> tcn = TCN1D(n_blocks=3, kernel_size=3, n_channels=8, dil_growth=2)
        >>> tcn(torch.randn(1, 1, 100)).shape, tcn.calc_receptive_field()
        (torch.Size([1, 1, 100]), 15)
    """

    def __init__(
        self,
        in_ch: int = 1,
        out_ch: int = 1,
        n_blocks: int = 10,
        kernel_size: int = 13,
        n_channels: int = 64,
        dil_growth: int = 4,
        padding: Optional[int] = None,
        cond_dim: int = 0,
        use_act: bool = True,
        use_bn: bool = False,
        use_bias_in_conv: bool = True,
    ) -> None:
        super().__init__()
        if not is_int_at_least(n_blocks, 2):
            raise ValueError(f"TCN1D: n_blocks must be an int >= 2, got {n_blocks!r}")
        self.kernel_size = kernel_size
        self.n_channels = n_channels
        self.dil_growth = dil_growth
        self.n_blocks = n_blocks
        self.cond_dim = cond_dim
        widths = [in_ch] + [n_channels] * (n_blocks - 1) + [out_ch]
        self.blocks = nn.ModuleList(
            TCN1DBlock(
                widths[n],
                widths[n + 1],
                kernel_size,
                dil_growth**n,
                padding=padding,
                cond_dim=cond_dim,
                use_act=use_act,
                use_bn=use_bn,
                use_bias_in_conv=use_bias_in_conv,
            )
            for n in range(n_blocks)
        )

    def forward(self, x: Tensor, cond: Optional[Tensor] = None) -> Tensor:
        if x.dim() != 3:
            raise ValueError(f"TCN1D: x must be (batch, in_ch, n), got {list(x.shape)}")
        for block in self.blocks:
            x = block(x, cond)
        return x

    def calc_receptive_field(self) -> int:
        """Samples of input that one output sample depends on."""
        field = self.kernel_size
        for n in range(1, self.n_blocks):
            field += (self.kernel_size - 1) * self.dil_growth**n
        return field
