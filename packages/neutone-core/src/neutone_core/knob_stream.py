"""`KnobStream`: the knob positions beside the audio, turned into the values a model receives.

The plugin sends ``MAX_REALTIME_PARAMETERS`` rows of knob positions in [0, 1], one column per host
sample. The stream keeps all rows whatever the model's knob count, so every step is one tensor op
on the whole ``(rows, n)`` block, never a loop over knobs:

- queue: positions wait beside the audio. At the same rate the queue holds host columns aligned
  with the model's input queue (the block's first current sample is the queue's first column).
  With resampling it holds host-rate columns, and native sample ``j`` takes, by sample-and-hold,
  the column of host index ``floor((j * down - S_in) / up)`` (the host time it was made from,
  ``S_in`` being the host->native resampler's phase delay), read from a table of one period.
- mapping: position ``v`` becomes ``min + v * (max - min)`` for a continuous knob and the index
  ``round(v * (n_values - 1))`` for a categorical one; rows without a knob pass unchanged.
- aggregation: the default is the block's mean of the mapped values. The mean commutes with the
  affine map, so it is one matrix-vector product with ``1 / n`` weights (the cheapest reduction
  TorchScript offers) and a second one that maps all the means at once:
  ``[diag(scale) | offset] @ [means; 1]`` (cheaper than any elementwise op on a few values);
  categorical knobs read a rounded copy (the product mixes rows through zeros, so a NaN position in
  any row, which no host sends, spoils every mean). The model gets row views of that result in a
  dictionary built once (copied per call, so a model may reassign entries).

Every buffer exists after `configure`; nothing is allocated per call.

Example:
    >>> import torch
    >>> from neutone_core.parameters import NeutoneParameter
    >>> knobs = KnobStream([NeutoneParameter("gain", "gain", 1.0, min_value=0.0, max_value=4.0)])
    >>> knobs.configure(False, 1, 1, 0, 4, 0, 4)
    >>> knobs.mean_values(torch.tensor([[0.0, 0.25, 0.5, 0.25]] * 4), 4)["gain"]
    tensor([1.])
"""

from typing import Any, Dict, List, Optional

import torch
from torch import Tensor, nn

from neutone_core.fifo import SampleFifo
from neutone_core.parameters import MAX_REALTIME_PARAMETERS, CategoricalNeutoneParameter

ROWS = MAX_REALTIME_PARAMETERS


class KnobStream(nn.Module):
    """Queue, sample-and-hold, mapping and default aggregation of a model's knobs.

    Args:
        knobs: the model's (validated) knob list, at most ``MAX_REALTIME_PARAMETERS``.
    """

    names: List[str]
    categorical_knobs: List[bool]
    hold_list: List[int]
    values: Dict[str, Tensor]
    # Buffers (registered in __init__).
    scale: Tensor
    offset: Tensor
    defaults: Tensor
    mapped_defaults: Tensor
    categorical: Tensor
    mapped_defaults_1d: Tensor
    affine: Tensor

    def __init__(self, knobs: List[Any]) -> None:
        super().__init__()
        self.rows = ROWS  # TorchScript reads no module-level ints
        self.n_knobs = len(knobs)
        self.names = [k.name for k in knobs]
        scale = torch.ones(ROWS, 1)
        offset = torch.zeros(ROWS, 1)
        defaults = torch.zeros(ROWS, 1)
        mapped_defaults = torch.zeros(ROWS, 1)
        categorical = torch.zeros(ROWS, 1, dtype=torch.bool)
        for i, k in enumerate(knobs):
            scale[i, 0] = k.scale
            offset[i, 0] = k.offset
            defaults[i, 0] = k.normalized_default()
            mapped_defaults[i, 0] = k.map_value(k.normalized_default())
            categorical[i, 0] = isinstance(k, CategoricalNeutoneParameter)
        self.categorical_knobs = [isinstance(k, CategoricalNeutoneParameter) for k in knobs]
        self.any_categorical = any(self.categorical_knobs)
        self.register_buffer("scale", scale)
        self.register_buffer("offset", offset)
        self.register_buffer("defaults", defaults)
        self.register_buffer("mapped_defaults", mapped_defaults)
        self.register_buffer("categorical", categorical)
        # Aggregation results and the dictionary of their row views handed to the model. The raw
        # means sit above a constant 1, so that one product applies scale and offset.
        self.register_buffer("mapped_defaults_1d", mapped_defaults.view(ROWS))
        self.register_buffer("affine", torch.cat([torch.diag(scale.view(ROWS)), offset], 1))
        self.raw_and_one = torch.ones(ROWS + 1)
        self.raw_mean = self.raw_and_one[:ROWS]
        self.mean = torch.zeros(ROWS)
        self.rounded = torch.zeros(ROWS)
        self.weights_buf = torch.zeros(0)
        self.weights = torch.zeros(0)
        self.weights_n = 0
        no_values: Dict[str, Tensor] = {}
        self.values = no_values
        # Queue and scratch, sized by configure.
        self.fifo = SampleFifo(ROWS)
        self.default_view = self.defaults.expand(ROWS, 0)
        self.gathered = torch.zeros(ROWS, 0)
        self.block = torch.zeros(ROWS, 0)
        self.rounded_block = torch.zeros(ROWS, 0)
        self.index = torch.zeros(0, dtype=torch.long)
        self.hold_table = torch.zeros(0, dtype=torch.long)
        self.hold_shift = torch.zeros((), dtype=torch.long)
        self.hold_list = []
        self.resampling = False
        self.up = 1
        self.down = 1
        self.pre = 0
        self.base = 0
        self.native_done = 0

    @torch.jit.export
    def configure(
        self,
        resampling: bool,
        up: int,
        down: int,
        s_in: int,
        block_max: int,
        look_ahead: int,
        max_push: int,
    ) -> None:
        """Allocate for blocks of at most `block_max` native samples and pushes of `max_push`.

        Args:
            resampling: whether native samples are made from host samples by a resampler.
            up, down: native / host rate ratio, reduced.
            s_in: the host->native resampler's ``delay_phase_units()`` (0 without resampling).
            block_max: largest block the model runs on.
            look_ahead: the model's look-ahead (native samples queued beyond the block).
            max_push: largest host buffer.
        """
        self.resampling = resampling
        self.up = up
        self.down = down
        self.gathered = torch.zeros(self.rows, block_max)
        self.block = torch.zeros(self.rows, block_max)
        self.rounded_block = torch.zeros(self.rows, block_max)
        self.index = torch.zeros(block_max, dtype=torch.long)
        self.weights_buf = torch.zeros(block_max)
        self.weights = self.weights_buf[:0]
        self.weights_n = 0
        # Views are made here, not once: a copy of the module (copy.deepcopy) holds separate
        # tensors where views were, and configuring it again ties them up anew.
        self.raw_and_one = torch.ones(self.rows + 1)
        self.raw_mean = self.raw_and_one[: self.rows]
        values: Dict[str, Tensor] = {}
        for i, name in enumerate(self.names):
            source = self.rounded if self.categorical_knobs[i] else self.mean
            values[name] = source[i : i + 1]
        self.values = values
        if resampling:
            # Host index of native sample j, over one period plus a block.
            j = torch.arange(up + block_max + 1, dtype=torch.long)
            self.hold_table = torch.div(j * down - s_in, up, rounding_mode="floor")
            hold: List[int] = self.hold_table.tolist()
            self.hold_list = hold
            # Native samples made before host time 0 hold the defaults: `pre` default columns.
            self.pre = (s_in + up - 1) // up + 1
            held = ((block_max + look_ahead) * down + s_in + up - 1) // up + self.pre + 2
            self.fifo.allocate(held, max_push)
        else:
            self.hold_table = torch.zeros(0, dtype=torch.long)
            no_hold: List[int] = []
            self.hold_list = no_hold
            self.pre = 0
            self.fifo.allocate(look_ahead + block_max, max_push)
        self.reset()

    @torch.jit.export
    def reset(self) -> None:
        """Empty the queue (with resampling: prime it with the default positions)."""
        self.fifo.clear()
        self.native_done = 0
        self.base = 0
        if self.resampling:
            self.fifo.reserve(self.pre).copy_(self.defaults.expand(self.rows, self.pre))
            self.base = -self.pre

    @torch.jit.export
    def stop_caching_views(self) -> None:
        """See `SampleFifo.stop_caching_views`."""
        self.fifo.stop_caching_views()

    @torch.jit.export
    def push(self, params: Optional[Tensor], n: int) -> None:
        """Queue `n` host columns: `params` ``(rows, n)``, or the defaults if ``None``."""
        dst = self.fifo.reserve(n)
        if params is None:
            dst.copy_(self.default_positions(n))
        else:
            dst.copy_(params)

    @torch.jit.export
    def take(self, n: int) -> Tensor:
        """Positions ``(rows, n)`` of the next `n` native samples, removed from the queue.

        The result is a view valid until the next `push`.
        """
        if not self.resampling:
            positions = self.fifo.peek(0, n)
            self.fifo.discard(n)
            return positions
        r = self.native_done % self.up
        shift = (self.native_done // self.up) * self.down - self.base
        index = self.index[:n]
        self.hold_shift.fill_(shift)  # an int operand would allocate a temporary
        torch.add(self.hold_table[r : r + n], self.hold_shift, out=index)
        positions = self.gathered[:, :n]
        held = self.fifo.peek(0, self.fifo.size())
        torch.gather(held, 1, index.expand(self.rows, n), out=positions)
        next_host = self.hold_list[r + n] + shift
        drop = min(max(next_host, 0), self.fifo.size())
        self.fifo.discard(drop)
        self.base += drop
        self.native_done += n
        return positions

    @torch.jit.export
    def default_positions(self, n: int) -> Tensor:
        """The default positions as a read-only view ``(rows, n)`` (kept for the next call with
        the same `n`: making a view costs more than copying it)."""
        if n != self.default_view.size(1):
            self.default_view = self.defaults.expand(self.rows, n)
        return self.default_view

    @torch.jit.export
    def mean_values(self, positions: Tensor, n: int) -> Dict[str, Tensor]:
        """Knob name -> mean mapped value ``(1,)`` over the block `positions` ``(rows, n)``.

        The values are views of buffers overwritten by the next call.
        """
        if n != self.weights_n:
            self.weights = self.weights_buf[:n]
            self.weights.fill_(1.0 / n)
            self.weights_n = n
        # Both writes unconditional: `torch.jit.freeze` must see `mean` written before the row
        # views of it in `values` are read, or it refuses the module.
        torch.mv(positions, self.weights, out=self.raw_mean)
        torch.mv(self.affine, self.raw_and_one, out=self.mean)
        if self.any_categorical:
            torch.round(self.mean, out=self.rounded)
        return self.values.copy()

    @torch.jit.export
    def default_values(self) -> Dict[str, Tensor]:
        """What `mean_values` gives for the default positions (no averaging needed)."""
        self.mean.copy_(self.mapped_defaults_1d)
        if self.any_categorical:
            self.rounded.copy_(self.mapped_defaults_1d)
        return self.values.copy()

    @torch.jit.export
    def mapped(self, positions: Tensor) -> Tensor:
        """Every sample of `positions` ``(rows, n)`` mapped (categorical knobs rounded).

        Returns a scratch buffer ``(rows, n)`` overwritten by the next call.
        """
        n = positions.size(1)
        block = self.block[:, :n]
        torch.addcmul(self.offset, positions, self.scale, out=block)
        if self.any_categorical:
            rounded = self.rounded_block[:, :n]
            torch.round(block, out=rounded)
            torch.where(self.categorical, rounded, block, out=block)
        return block

    @torch.jit.export
    def named_rows(self, values: Tensor) -> Dict[str, Tensor]:
        """Knob name -> row of `values` ``(rows, m)``, for a model's own aggregation."""
        named: Dict[str, Tensor] = {}
        for i, name in enumerate(self.names):
            named[name] = values[i]
        return named

    def forward(self, positions: Tensor) -> Dict[str, Tensor]:
        """Same as `mean_values`."""
        return self.mean_values(positions, positions.size(1))
