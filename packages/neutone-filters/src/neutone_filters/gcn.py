"""`GCN1D`: the Neutone SDK's gated convolutional network (Comunità et al., 2022), for porting.

Names, constructor arguments and parameter names (so its ``state_dict`` loads) are those of
``neutone_sdk.gcn_1d``. Like the SDK's, it is an offline network: each call pads its input with
zeros on the left, so a streaming model gives it ``calc_receptive_field() - 1`` samples of
look-behind and keeps the last ``n`` outputs.

Conditioning (``cond_dim > 0``) goes through temporal FiLM: the block's features are max-pooled
over blocks of ``tfilm_block_size`` samples, an RNN turns the pooled sequence into one gain per
channel and block, and the features are scaled by it. The SDK hands that RNN its sequence as
``(blocks, batch, channels)`` although the RNN is ``batch_first``, so the RNN runs across the
*batch* axis and sees each block as its own sequence; its state is carried from call to call.
Models trained with the SDK learned their weights under that order, so it is kept here, on purpose,
and only the first call after `reset` starts from a zero state.
"""

from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from neutone_core.stateful import StatefulModule
from neutone_filters.checks import is_int_at_least


def _check_positive(owner: str, **values: object) -> None:
    for name, value in values.items():
        if not is_int_at_least(value, 1):
            raise ValueError(f"{owner}: {name} must be an int >= 1, got {value!r}")


class _TFiLMBase(StatefulModule):
    """Pooling and the per-block gain shared by the LSTM and GRU variants."""

    def __init__(self, n_channels: int, cond_dim: int, tfilm_block_size: int) -> None:
        super().__init__()
        _check_positive("TFiLM", n_channels=n_channels, tfilm_block_size=tfilm_block_size)
        self.n_channels = n_channels
        self.cond_dim = cond_dim
        self.tfilm_block_size = tfilm_block_size
        self.maxpool = nn.MaxPool1d(kernel_size=tfilm_block_size)

    def _pooled(self, x: Tensor, cond: Optional[Tensor]) -> Tuple[Tensor, int]:
        """The padded input's block maxima (and the conditioning), as ``(blocks, batch, ch)``."""
        blocks = (x.size(2) + self.tfilm_block_size - 1) // self.tfilm_block_size
        padded = F.pad(x, (0, blocks * self.tfilm_block_size - x.size(2)))
        down = self.maxpool(padded)
        if cond is not None:
            down = torch.cat((down, cond.unsqueeze(-1).expand(-1, -1, blocks)), dim=1)
        return down.permute(2, 0, 1), blocks

    def _modulate(self, x: Tensor, gains: Tensor, blocks: int) -> Tensor:
        """``x`` scaled by one gain per channel and block; ``gains`` is ``(blocks, batch, ch)``."""
        n = x.size(2)
        padded = F.pad(x, (0, blocks * self.tfilm_block_size - n))
        shaped = padded.reshape(x.size(0), self.n_channels, blocks, self.tfilm_block_size)
        scale = gains.permute(1, 2, 0).reshape(x.size(0), self.n_channels, blocks, 1)
        return (scale * shaped).reshape(padded.shape)[..., :n]


class TFiLM(_TFiLMBase):
    """Temporal FiLM with an LSTM (the SDK's default ``rnn_type="lstm"``).

    Shape:
        forward: ``x (batch, n_channels, n)``, ``cond (batch, cond_dim)`` or None -> like ``x``.
    """

    def __init__(self, n_channels: int, cond_dim: int, tfilm_block_size: int) -> None:
        super().__init__(n_channels, cond_dim, tfilm_block_size)
        self.rnn = nn.LSTM(n_channels + cond_dim, n_channels, num_layers=1, batch_first=True)
        self.started = False
        self.hidden = torch.zeros(0)
        self.cell = torch.zeros(0)

    def forward(self, x: Tensor, cond: Optional[Tensor] = None) -> Tensor:
        sequence, blocks = self._pooled(x, cond)
        if self.started and self.hidden.size(1) == sequence.size(0):
            gains, (hidden, cell) = self.rnn(sequence, (self.hidden, self.cell))
        else:  # first call, or another number of blocks (the SDK's state would not fit either)
            gains, (hidden, cell) = self.rnn(sequence)
        self.hidden, self.cell = hidden.detach(), cell.detach()
        self.started = True
        return self._modulate(x, gains, blocks)

    @torch.jit.export
    def reset(self) -> None:
        """Start the next call from a zero state."""
        self.started = False


class TFiLMGRU(_TFiLMBase):
    """Temporal FiLM with a GRU (the SDK's ``rnn_type="gru"``)."""

    def __init__(self, n_channels: int, cond_dim: int, tfilm_block_size: int) -> None:
        super().__init__(n_channels, cond_dim, tfilm_block_size)
        self.rnn = nn.GRU(n_channels + cond_dim, n_channels, num_layers=1, batch_first=True)
        self.started = False
        self.hidden = torch.zeros(0)

    def forward(self, x: Tensor, cond: Optional[Tensor] = None) -> Tensor:
        sequence, blocks = self._pooled(x, cond)
        if self.started and self.hidden.size(1) == sequence.size(0):
            gains, hidden = self.rnn(sequence, self.hidden)
        else:
            gains, hidden = self.rnn(sequence)
        self.hidden = hidden.detach()
        self.started = True
        return self._modulate(x, gains, blocks)

    @torch.jit.export
    def reset(self) -> None:
        """Start the next call from a zero state."""
        self.started = False


class _CausalConv(nn.Module):
    """``nn.Conv1d`` after ``(kernel_size - 1) * dilation`` zeros on the left (the SDK's
    ``Conv1dCausal``; its weights sit at ``conv.weight``)."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, dilation: int, bias: bool):
        super().__init__()
        self.left = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(in_ch, out_ch, kernel_size, dilation=dilation, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.pad(x, (self.left, 0)))


class GCN1DBlock(StatefulModule):
    """Causal dilated convolution, optional temporal FiLM, gated activation, 1x1 residual.

    Shape:
        forward: ``x (batch, in_ch, n)`` and ``cond (batch, cond_dim)`` or None ->
        ``(batch, out_ch, n)``.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int = 3,
        dilation: int = 1,
        stride: int = 1,
        cond_dim: int = 0,
        rnn_type: str = "lstm",
        tfilm_block_size: int = 128,
        use_bias_in_conv: bool = False,
    ) -> None:
        super().__init__()
        _check_positive("GCN1DBlock", in_ch=in_ch, out_ch=out_ch, kernel_size=kernel_size)
        if stride != 1:
            raise ValueError(f"GCN1DBlock: stride must be 1 (as in the SDK's GCN1D), got {stride}")
        if rnn_type.lower() not in ("lstm", "gru"):
            raise ValueError(f"GCN1DBlock: rnn_type must be 'lstm' or 'gru', got {rnn_type!r}")
        self.conv = _CausalConv(in_ch, 2 * out_ch, kernel_size, dilation, use_bias_in_conv)
        self.tfilm = None
        if cond_dim > 0:
            film = TFiLM if rnn_type.lower() == "lstm" else TFiLMGRU
            self.tfilm = film(2 * out_ch, cond_dim, tfilm_block_size)
        self.res = nn.Conv1d(in_ch, out_ch, kernel_size=1, bias=False)

    def forward(self, x: Tensor, cond: Optional[Tensor] = None) -> Tensor:
        y = self.conv(x)
        if cond is not None and self.tfilm is not None:
            y = self.tfilm(y, cond)
        filt, gate = y.chunk(2, dim=1)
        return torch.tanh(filt) * torch.sigmoid(gate) + self.res(x)

    @torch.jit.export
    def reset(self) -> None:
        """Start temporal FiLM from a zero state again."""
        if self.tfilm is not None:
            self.tfilm.reset()

    @torch.jit.export
    def reset_state(self) -> None:
        """The same as `reset` (the Neutone SDK's name)."""
        self.reset()


class GCN1D(StatefulModule):
    """Stack of `GCN1DBlock` with dilations ``dil_growth ** i``, a 1x1 output layer and tanh.

    Args:
        in_ch, out_ch: channels in and out.
        n_blocks, n_channels: depth and width.
        dil_growth, kernel_size: dilation growth per block and kernel size (samples).
        cond_dim: size of the conditioning vector (0: none).
        tfilm_block_size, rnn_type: temporal FiLM's pooling block (samples) and RNN.
        use_act: apply tanh at the output (the SDK applies it whatever this says; so does this).
        use_bias_in_conv: biases in the dilated convolutions.

    Shape:
        forward: ``x (batch, in_ch, n)`` and ``cond (batch, cond_dim)`` or None ->
        ``(batch, out_ch, n)``.

    Example:
        >>> net = GCN1D(n_blocks=2, n_channels=4, kernel_size=3)
        >>> net(torch.randn(1, 1, 64)).shape, net.calc_receptive_field()
        (torch.Size([1, 1, 64]), 11)
    """

    def __init__(
        self,
        in_ch: int = 1,
        out_ch: int = 1,
        n_blocks: int = 10,
        n_channels: int = 64,
        dil_growth: int = 4,
        kernel_size: int = 13,
        cond_dim: int = 0,
        tfilm_block_size: int = 128,
        rnn_type: str = "lstm",
        use_act: bool = True,
        use_bias_in_conv: bool = False,
    ) -> None:
        super().__init__()
        _check_positive("GCN1D", n_blocks=n_blocks, n_channels=n_channels, dil_growth=dil_growth)
        self.kernel_size = kernel_size
        self.dilations: List[int] = [dil_growth**i for i in range(n_blocks)]
        self.use_act = use_act
        self.blocks = nn.ModuleList(
            GCN1DBlock(
                in_ch if i == 0 else n_channels,
                n_channels,
                kernel_size,
                dilation=dilation,
                cond_dim=cond_dim,
                rnn_type=rnn_type,
                tfilm_block_size=tfilm_block_size,
                use_bias_in_conv=use_bias_in_conv,
            )
            for i, dilation in enumerate(self.dilations)
        )
        self.out_net = nn.Conv1d(n_channels, out_ch, kernel_size=1, bias=False)
        self.act = nn.Tanh()

    def forward(self, x: Tensor, cond: Optional[Tensor] = None) -> Tensor:
        if x.dim() != 3:
            raise ValueError(f"GCN1D: x must be (batch, in_ch, n), got shape {list(x.shape)}")
        for block in self.blocks:
            x = block(x, cond)
        return self.act(self.out_net(x))

    @torch.jit.export
    def calc_receptive_field(self) -> int:
        """Input samples that reach one output sample: ``1 + sum((kernel - 1) * dilation)``."""
        field = 1
        for dilation in self.dilations:
            field += (self.kernel_size - 1) * dilation
        return field

    @torch.jit.export
    def reset(self) -> None:
        """Start temporal FiLM from a zero state again."""
        for block in self.blocks:
            # A ModuleList yields nn.Module to mypy; TorchScript needs the ModuleList.
            block.reset()  # type: ignore[operator]
