"""`RealtimeAdapter`: the scripted module saved in a `.nm`; runs a model for a host.

Pipeline per host call (``docs/architecture.md``)::

    host (ch, n) -> channels -> resampler host->native -> input queue (native rate)
      -> blocks of look_behind + native_bs + look_ahead -> wrapper.do_forward_pass -> native_bs
      -> resampler native->host -> output queue (host rate, primed with zeros) -> channels -> host

Knob values travel beside the audio: at the same rate through a queue aligned with the input queue,
with resampling through a host-rate queue read by sample-and-hold at each native sample's host time.
Delays follow `neutone_core.delay_plan`; they are exact, in whole host samples.

The adapter holds one host->native and one native->host `StreamingResampler`;
``set_daw_sample_rate_and_buffer_size`` designs their filters for the host's rate (inside
TorchScript, any host rate), so a `.nm` carries no table for rates it may never meet.

After ``set_daw_sample_rate_and_buffer_size`` every buffer exists: ``forward`` writes into them
(in-place ops, views, ``out=``) and allocates no tensor storage itself.
"""

from typing import Any, Dict, List, Optional

import torch
from torch import Tensor, nn

from neutone_core.delay_plan import choose_native_settings, plan_delays, reduced_ratio
from neutone_core.fifo import SampleFifo
from neutone_core.metadata import (
    ScriptedMetadata,
    build_metadata,
    metadata_to_json,
    validate_metadata,
)
from neutone_core.model import WaveformToWaveformBase
from neutone_core.parameters import (
    MAX_REALTIME_PARAMETERS,
    CategoricalNeutoneParameter,
    validate_parameters,
)
from neutone_core.resample import StreamingResampler, minimum_delay_units

# The Neutone SDK 1.5 loader checks exactly these names after loading a realtime `.nm`
# (`check_for_preserved_attributes`); a file missing one does not load in the plugin.
REFERENCE_PRESERVED_ATTRIBUTES = [
    "w2w_base",
    "forward_bt",
    "is_input_mono",
    "is_output_mono",
    "get_native_sample_rates",
    "get_native_buffer_sizes",
    "is_resampling",
    "calc_buffering_delay_samples",
    "calc_model_delay_samples",
    "set_daw_sample_rate_and_buffer_size",
    "reset",
    "get_preserved_attributes",
    "to_metadata",
    "get_metadata_json",
    "get_wet_default_value",
    "get_dry_default_value",
    "get_default_param_values",
    "get_input_gain_default_value",
    "get_output_gain_default_value",
]

# Ours: the reference's list plus what neutone adds (offline rendering, the delay split).
PRESERVED_ATTRIBUTES = REFERENCE_PRESERVED_ATTRIBUTES + [
    "forward",
    "forward_offline",
    "get_look_behind_samples",
    "get_look_ahead_samples",
    "get_native_sample_rate",
    "get_native_buffer_size",
    "get_delay_breakdown",
]


def _int_getter(wrapper: WaveformToWaveformBase, name: str) -> int:
    value = getattr(wrapper, name)()
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}() must return an int >= 0, got {value!r}")
    return value


def _bool_getter(wrapper: WaveformToWaveformBase, name: str) -> bool:
    value = getattr(wrapper, name)()
    if not isinstance(value, bool):
        raise ValueError(f"{name}() must return a bool, got {value!r}")
    return value


def _int_list_getter(wrapper: WaveformToWaveformBase, name: str, high: int) -> List[int]:
    values = getattr(wrapper, name)()
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{name}() must return a list of ints, got {values!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= high:
            raise ValueError(f"{name}() entries must be ints in [1, {high}], got {v!r}")
    return [int(v) for v in values]


class RealtimeAdapter(nn.Module):
    """Runs a `WaveformToWaveformBase` at the host's sample rate and (variable) buffer sizes.

    Args:
        wrapper: the model. Its getters are read and validated here (knobs, metadata, channel
            layout, native settings, look-behind, look-ahead, model delay), and one zero block is
            run through ``do_forward_pass`` to check the shape it returns.
        resampling_quality: preset of `StreamingResampler` ("fast", "high", "best").

    Raises:
        ValueError: a bad getter value, knob list or output shape, naming the rule.
        MetadataError: invalid metadata, listing every violation.
    """

    native_srs: List[int]
    native_bss: List[int]
    param_names: List[str]
    param_categorical: List[bool]
    realtime: bool
    preserved_attributes: List[str]
    hold_list: List[int]
    delays: Dict[str, int]

    def __init__(
        self,
        wrapper: WaveformToWaveformBase,
        resampling_quality: str = "high",
    ) -> None:
        super().__init__()
        if not isinstance(wrapper, WaveformToWaveformBase):
            raise ValueError(
                f"wrapper must be a WaveformToWaveformBase, got {type(wrapper).__name__}"
            )
        knobs = list(wrapper.get_neutone_parameters())
        validate_parameters(knobs)
        metadata = build_metadata(wrapper)
        validate_metadata(metadata)
        self.realtime = True  # the plugin's loader reads this before anything else
        self.w2w_base = wrapper
        self.metadata = ScriptedMetadata(metadata)
        self.metadata_json = metadata_to_json(metadata)

        self.in_mono = _bool_getter(wrapper, "is_input_mono")
        self.out_mono = _bool_getter(wrapper, "is_output_mono")
        self.in_ch = 1 if self.in_mono else 2
        self.out_ch = 1 if self.out_mono else 2
        self.native_srs: List[int] = _int_list_getter(wrapper, "get_native_sample_rates", 96000)
        self.native_bss: List[int] = _int_list_getter(wrapper, "get_native_buffer_sizes", 1 << 24)
        self.look_behind = _int_getter(wrapper, "get_look_behind_samples")
        self.look_ahead = _int_getter(wrapper, "get_look_ahead_samples")
        self.model_delay = _int_getter(wrapper, "calc_model_delay_samples")
        self.wet_default = float(metadata["wet_default_value"])
        self.dry_default = float(metadata["dry_default_value"])
        self.input_gain_default = float(metadata["input_gain_default_value"])
        self.output_gain_default = float(metadata["output_gain_default_value"])

        # Knobs: names, the affine map of the knob position, categorical rounding, defaults.
        self.n_params = len(knobs)
        self.param_names: List[str] = [k.name for k in knobs]
        self.param_categorical: List[bool] = [
            isinstance(k, CategoricalNeutoneParameter) for k in knobs
        ]
        rows = max(1, self.n_params)
        scale = torch.ones(rows, 1)
        offset = torch.zeros(rows, 1)
        defaults = torch.zeros(MAX_REALTIME_PARAMETERS)
        for i, k in enumerate(knobs):
            scale[i, 0] = k.scale
            offset[i, 0] = k.offset
            defaults[i] = k.normalized_default()
        self.register_buffer("param_scale", scale)
        self.register_buffer("param_offset", offset)
        self.register_buffer("default_params", defaults)
        self.register_buffer("one_half", torch.tensor(0.5))
        self.register_buffer("inv_n", torch.tensor(1.0))
        self.register_buffer("hold_shift", torch.tensor(0, dtype=torch.long))
        self.default_aggregation = (
            type(wrapper).aggregate_param is WaveformToWaveformBase.aggregate_param
        )

        # Placeholders: set_daw_sample_rate_and_buffer_size designs them for the host's rate.
        self.resampling_quality = resampling_quality
        self.resampler_in = StreamingResampler(48000, 48000, self.in_ch, resampling_quality)
        self.resampler_out = StreamingResampler(48000, 48000, self.out_ch, resampling_quality)
        self.preserved_attributes: List[str] = list(PRESERVED_ATTRIBUTES)

        # Streaming state, set by set_daw_sample_rate_and_buffer_size.
        self.in_fifo = SampleFifo(self.in_ch)
        self.out_fifo = SampleFifo(self.out_ch)
        self.param_fifo = SampleFifo(rows)
        self.out_buf = torch.zeros(2, 0)
        self.bt_buf = torch.zeros(2, 0)
        self.conv_buf = torch.zeros(self.in_ch, 0)
        self.param_block = torch.zeros(rows, 0)
        self.param_mean = torch.zeros(rows, 1)
        self.hold_index = torch.zeros(0, dtype=torch.long)
        self.hold_table = torch.zeros(0, dtype=torch.long)
        self.hold_list: List[int] = []
        self.daw_sr = 0
        self.daw_bs = 0
        self.native_sr = 0
        self.native_bs = 0
        self.block_max = 0
        self.resampling = False
        self.direct = False
        self.up = 1
        self.down = 1
        self.param_pre = 0
        self.param_base = 0
        self.native_done = 0
        self.priming = 0
        self.delays: Dict[str, int] = {}

        self._check_output_shape()
        default_sr = 48000 if len(self.native_srs) == 0 else self.native_srs[0]
        self.set_daw_sample_rate_and_buffer_size(default_sr, 2048)

    def _check_output_shape(self) -> None:
        """Run one zero block through the model and check the shape it returns."""
        bs = self.native_bss[0] if len(self.native_bss) > 0 else 128
        sr = self.native_srs[0] if len(self.native_srs) > 0 else 48000
        self.w2w_base.set_model_sample_rate_and_buffer_size(sr, bs)
        x = torch.zeros(self.in_ch, self.look_behind + bs + self.look_ahead)
        params = {
            name: self.default_params[i : i + 1].clone() for i, name in enumerate(self.param_names)
        }
        with torch.no_grad():
            y = self.w2w_base.do_forward_pass(x, params)
        self._check_block(y, bs)
        self.w2w_base.reset_model()

    # -- settings -------------------------------------------------------------------------------
    @torch.jit.export
    def set_daw_sample_rate_and_buffer_size(
        self,
        daw_sr: int,
        daw_bs: int,
        model_sr: Optional[int] = None,
        model_bs: Optional[int] = None,
    ) -> int:
        """Choose the native settings for a host at `daw_sr` Hz calling with up to `daw_bs` samples.

        Allocates every buffer and resets the state. Returns the most samples one ``forward_bt``
        call can return (at least `daw_bs`).
        """
        if daw_sr < 1:
            raise ValueError(f"daw_sr must be a sample rate in Hz >= 1, got {daw_sr}")
        if daw_bs < 1:
            raise ValueError(f"daw_bs must be a buffer size >= 1, got {daw_bs}")
        sr, bs = choose_native_settings(daw_sr, self.native_srs, self.native_bss, self.look_ahead)
        if model_sr is not None:
            if len(self.native_srs) > 0 and model_sr not in self.native_srs:
                raise ValueError(
                    f"model_sr must be one of the native sample rates {self.native_srs}, "
                    f"got {model_sr}"
                )
            sr = model_sr
        if model_bs is not None:
            if model_bs < 1 or (len(self.native_bss) > 0 and model_bs not in self.native_bss):
                raise ValueError(
                    f"model_bs must be one of the native buffer sizes {self.native_bss} "
                    f"(any >= 1 if empty), got {model_bs}"
                )
            bs = model_bs
        resampling = sr != daw_sr
        s_in = 0
        s_out = 0
        if resampling:
            s_in = minimum_delay_units(daw_sr, sr, self.resampling_quality)
            s_out = minimum_delay_units(sr, daw_sr, self.resampling_quality)
        up, down = reduced_ratio(sr, daw_sr)
        la = self.look_ahead
        lb = self.look_behind
        plan = plan_delays(up, down, bs, la, self.model_delay, s_in, s_out)
        p = plan["priming"]
        # Largest native block and native samples per call; the resamplers are designed here.
        native_per_call = daw_bs
        if resampling:
            self.resampler_in.configure(daw_sr, sr, 0, daw_bs)
            native_per_call = self.resampler_in.max_output_size(daw_bs)
        block_max = bs if bs > 0 else native_per_call
        block_out = block_max
        if resampling:
            self.resampler_out.configure(sr, daw_sr, plan["extra_phase"], block_max)
            block_out = self.resampler_out.max_output_size(block_max)

        self.daw_sr = daw_sr
        self.daw_bs = daw_bs
        self.native_sr = sr
        self.native_bs = bs
        self.block_max = block_max
        self.resampling = resampling
        self.direct = not resampling and bs == 0 and la == 0 and lb == 0
        self.up = up
        self.down = down
        self.priming = p
        self.delays = {
            "buffering": plan["buffering"],
            "resampling": plan["resampling"],
            "look_ahead": plan["look_ahead"],
            "model": plan["model"],
            "total": plan["total"],
        }

        self.in_fifo.allocate(lb + la + block_max, native_per_call)
        out_held = 2 * p + daw_bs + block_out + 2
        self.out_fifo.allocate(out_held, block_out)
        self.out_buf = torch.zeros(2, daw_bs)
        self.bt_buf = torch.zeros(2, out_held + block_out)
        self.conv_buf = torch.zeros(self.in_ch, daw_bs)
        rows = self.param_block.size(0)
        self.param_block = torch.zeros(rows, block_max)
        self.hold_index = torch.zeros(block_max, dtype=torch.long)
        if resampling:
            # Host index of native sample j: floor((j down - S_in) / up), one period plus a block.
            j = torch.arange(up + block_max + 1, dtype=torch.long)
            self.hold_table = torch.div(j * down - s_in, up, rounding_mode="floor")
            hold: List[int] = self.hold_table.tolist()
            self.hold_list = hold
            self.param_pre = (s_in + up - 1) // up + 1
            held = ((block_max + la) * down + s_in + up - 1) // up + self.param_pre + 2
            self.param_fifo.allocate(held, daw_bs)
        else:
            self.hold_table = torch.zeros(0, dtype=torch.long)
            no_hold: List[int] = []
            self.hold_list = no_hold
            self.param_pre = lb
            self.param_fifo.allocate(lb + la + block_max, daw_bs)
        self.w2w_base.set_model_sample_rate_and_buffer_size(sr, block_max)
        self.reset()
        return out_held + block_out

    @torch.jit.export
    def reset(self) -> None:
        """Clear all streaming state: queues (re-primed), resamplers, the model's own state."""
        self.in_fifo.clear()
        self.in_fifo.push_zeros(self.look_behind)
        self.out_fifo.clear()
        self.out_fifo.push_zeros(self.priming)
        self.param_fifo.clear()
        k = self.n_params
        if k > 0:
            pre = self.param_fifo.reserve(self.param_pre)
            pre.copy_(self.default_params[:k].unsqueeze(1).expand(k, self.param_pre))
        self.param_base = -self.param_pre if self.resampling else 0
        self.native_done = 0
        self.resampler_in.reset()
        self.resampler_out.reset()
        self.w2w_base.reset_model()

    # -- audio ------------------------------------------------------------------------------------
    def _check_input(self, x: Tensor, params: Optional[Tensor]) -> int:
        if x.dim() != 2 or x.size(0) < 1 or x.size(0) > 2:
            raise ValueError(
                f"x must have shape (channels, n) with 1 or 2 channels, got {list(x.shape)}"
            )
        n = x.size(1)
        if n > self.daw_bs:
            raise ValueError(
                f"buffer of {n} samples is longer than the {self.daw_bs} given to "
                "set_daw_sample_rate_and_buffer_size"
            )
        if params is not None and (params.dim() != 2 or params.size(0) != 4 or params.size(1) != n):
            raise ValueError(
                f"params must have shape ({4}, n) = [{4}, {n}], got {list(params.shape)}"
            )
        return n

    def _average(self, x: Tensor, dst: Tensor) -> None:
        """Mean of the two rows of `x` into `dst` ``(1, n)``.

        The factor is a tensor: a Python scalar operand allocates a temporary in TorchScript.
        """
        torch.add(x[0:1], x[1:2], out=dst)
        dst.mul_(self.one_half)

    def _to_model_channels(self, x: Tensor, dst: Tensor) -> None:
        """Write host audio `x` ``(1|2, n)`` into `dst` ``(in_ch, n)``: average or duplicate."""
        if x.size(0) == self.in_ch:
            dst.copy_(x)
        elif self.in_ch == 1:
            self._average(x, dst)
        else:
            dst.copy_(x.expand(2, x.size(1)))

    def _to_host_channels(self, y: Tensor, dst: Tensor) -> None:
        """Write model audio `y` ``(out_ch, n)`` into `dst` ``(host_ch, n)``."""
        if y.size(0) == dst.size(0):
            dst.copy_(y)
        elif dst.size(0) == 1:
            self._average(y, dst)
        else:
            dst.copy_(y.expand(2, y.size(1)))

    def _push_input(self, x: Tensor, params: Optional[Tensor]) -> None:
        n = x.size(1)
        if not self.resampling:
            self._to_model_channels(x, self.in_fifo.reserve(n))
        else:
            xin = x
            if x.size(0) != self.in_ch:
                xin = self.conv_buf[:, :n]
                self._to_model_channels(x, xin)
            self.in_fifo.push(self.resampler_in(xin))
        k = self.n_params
        if k > 0:
            dst = self.param_fifo.reserve(n)
            if params is None:
                dst.copy_(self.default_params[:k].unsqueeze(1).expand(k, n))
            else:
                dst.copy_(params[:k])

    def _check_block(self, y: Tensor, n: int) -> None:
        if y.dim() != 2 or y.size(0) != self.out_ch or y.size(1) != n:
            raise ValueError(
                f"do_forward_pass must return shape (out_ch, native_bs) = [{self.out_ch}, {n}], "
                f"got {list(y.shape)}"
            )

    def _block_params(self, n: int) -> Dict[str, Tensor]:
        """Knob values of the `n` native samples of the next block, mapped and aggregated."""
        k = self.n_params
        if k == 0:
            no_params: Dict[str, Tensor] = {}
            return no_params
        block = self.param_block[:k, :n]
        if not self.resampling:
            block.copy_(self.param_fifo.peek(self.look_behind, n))
            self.param_fifo.discard(n)
        else:
            # Sample-and-hold: native sample j takes the knob value at host index
            # floor((j down - S_in) / up) = hold_table[j mod up] + (j div up) down.
            j0 = self.native_done
            r = j0 % self.up
            shift = (j0 // self.up) * self.down - self.param_base
            index = self.hold_index[:n]
            index.copy_(self.hold_table[r : r + n])
            self.hold_shift.fill_(shift)
            index.add_(self.hold_shift)  # an int operand would allocate a temporary
            held = self.param_fifo.peek(0, self.param_fifo.size())
            for i in range(k):
                # Row by row: index_select copies a non-contiguous source first.
                torch.index_select(held[i], 0, index, out=block[i])
            next_host = self.hold_list[r + n] + shift
            drop = min(max(next_host, 0), self.param_fifo.size())
            self.param_fifo.discard(drop)
            self.param_base += drop
        return self._map_params(block)

    def _map_params(self, block: Tensor) -> Dict[str, Tensor]:
        """Map knob positions `block` ``(k, n)`` (adapter scratch) in place and aggregate them."""
        params: Dict[str, Tensor] = {}
        n = block.size(1)
        block.mul_(self.param_scale[: self.n_params]).add_(self.param_offset[: self.n_params])
        self.inv_n.fill_(1.0 / n)
        for i, name in enumerate(self.param_names):
            row = block[i]
            if self.default_aggregation:
                mean = self.param_mean[i]
                torch.sum(row, dim=0, keepdim=True, out=mean)
                mean.mul_(self.inv_n)
                if self.param_categorical[i]:
                    mean.round_()
                params[name] = mean
            else:
                if self.param_categorical[i]:
                    row.round_()
                params[name] = self.w2w_base.aggregate_param(row)
        return params

    def _run_model(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        """One block through the model, autograd off: a host never trains, and recording would
        allocate on every call when the model's weights still require grad."""
        y = x
        with torch.no_grad():
            y = self.w2w_base.do_forward_pass(x, params)
        return y

    def _run_blocks(self) -> None:
        """Run the model on every complete block in the input queue."""
        lb = self.look_behind
        la = self.look_ahead
        while True:
            avail = self.in_fifo.size() - lb - la
            if self.native_bs > 0:
                n = self.native_bs
                if avail < n:
                    break
            else:
                n = min(avail, self.block_max)
                if n <= 0:
                    break
            window = self.in_fifo.peek(0, lb + n + la)
            params = self._block_params(n)
            y = self._run_model(window, params)
            self._check_block(y, n)
            if not self.resampling:
                self.out_fifo.push(y)
            else:
                self.out_fifo.push(self.resampler_out(y))
            self.in_fifo.discard(n)
            self.native_done += n

    def _forward_direct(self, x: Tensor, params: Optional[Tensor], n: int) -> Tensor:
        """Same rate, any block size, no context: the host buffer is the block (no queues)."""
        dst = self.out_buf[: x.size(0), :n]
        if n == 0:
            return dst
        xin = x
        if x.size(0) != self.in_ch:
            xin = self.conv_buf[:, :n]
            self._to_model_channels(x, xin)
        k = self.n_params
        knobs: Dict[str, Tensor] = {}
        if k > 0:
            block = self.param_block[:k, :n]
            if params is None:
                block.copy_(self.default_params[:k].unsqueeze(1).expand(k, n))
            else:
                block.copy_(params[:k])
            knobs = self._map_params(block)
        y = self._run_model(xin, knobs)
        self._check_block(y, n)
        self._to_host_channels(y, dst)
        return dst

    def forward(self, x: Tensor, params: Optional[Tensor] = None) -> Tensor:
        """Process one host buffer.

        Args:
            x: ``(host_ch, n)`` with ``host_ch`` 1 or 2 and ``0 <= n <= daw_bs``, float32.
            params: ``(4, n)`` knob positions in [0, 1] at sample rate; ``None`` uses the defaults.

        Returns:
            ``(host_ch, n)``: the output, delayed by ``calc_buffering_delay_samples() +
            calc_model_delay_samples()`` samples. It is a view of a buffer preallocated by
            ``set_daw_sample_rate_and_buffer_size`` and is overwritten by the next call: copy it
            (``.clone()``) to keep it.
        """
        n = self._check_input(x, params)
        if self.direct:
            return self._forward_direct(x, params, n)
        self._push_input(x, params)
        self._run_blocks()
        dst = self.out_buf[: x.size(0), :n]
        self._to_host_channels(self.out_fifo.peek(0, n), dst)
        self.out_fifo.discard(n)
        return dst

    @torch.jit.export
    def forward_bt(self, x: Tensor, params: Optional[Tensor] = None) -> Optional[Tensor]:
        """Batch mode: process `x` like ``forward`` and return every output sample ready so far.

        The concatenated outputs form the same stream as ``forward``'s (same delay); one call
        returns between 0 and ``set_daw_sample_rate_and_buffer_size(...)`` samples, ``None`` for 0.
        The result is a view of an internal buffer, overwritten by the next call.
        """
        self._check_input(x, params)
        self._push_input(x, params)
        self._run_blocks()
        m = self.out_fifo.size()
        if m == 0:
            return None
        dst = self.bt_buf[: x.size(0), :m]
        self._to_host_channels(self.out_fifo.peek(0, m), dst)
        self.out_fifo.discard(m)
        return dst

    @torch.jit.export
    def forward_offline(self, x: Tensor, params: Optional[Tensor] = None) -> Tensor:
        """Process a whole signal ``(host_ch, n)``; return it aligned with the input, same length.

        Streams `x` (then zeros, to flush the delay) through ``forward`` in buffers of ``daw_bs``
        and drops the first ``total`` delay samples. Resets the state before and after; allocates
        (not for the audio thread). `params` is ``(4, n)`` or ``None``; its last column is held
        while flushing.
        """
        if x.dim() != 2 or x.size(0) < 1 or x.size(0) > 2:
            raise ValueError(
                f"x must have shape (channels, n) with 1 or 2 channels, got {list(x.shape)}"
            )
        n = x.size(1)
        hc = x.size(0)
        if params is not None and (params.dim() != 2 or params.size(0) != 4 or params.size(1) != n):
            raise ValueError(
                f"params must have shape ({4}, n) = [{4}, {n}], got {list(params.shape)}"
            )
        total = self.delays["total"]
        length = n + total
        xp = torch.zeros(hc, length)
        xp[:, :n] = x
        pp: Optional[Tensor] = None
        if params is not None:
            pp = torch.zeros(4, length)
            pp[:, :n] = params
            if n > 0:
                pp[:, n:] = params[:, n - 1 : n]
            else:
                pp[:, n:] = self.default_params.unsqueeze(1)
        y = torch.zeros(hc, length)
        self.reset()
        pos = 0
        while pos < length:
            m = min(self.daw_bs, length - pos)
            chunk_params: Optional[Tensor] = None
            if pp is not None:
                chunk_params = pp[:, pos : pos + m]
            y[:, pos : pos + m] = self.forward(xp[:, pos : pos + m], chunk_params)
            pos += m
        self.reset()
        return y[:, total:]

    # -- contract getters --------------------------------------------------------------------------
    @torch.jit.export
    def is_input_mono(self) -> bool:
        return self.in_mono

    @torch.jit.export
    def is_output_mono(self) -> bool:
        return self.out_mono

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return self.native_srs

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return self.native_bss

    @torch.jit.export
    def get_native_sample_rate(self) -> int:
        """The native sample rate (Hz) chosen for the current host settings."""
        return self.native_sr

    @torch.jit.export
    def get_native_buffer_size(self) -> int:
        """The native buffer size chosen (0: any, the model gets blocks of varying length)."""
        return self.native_bs

    @torch.jit.export
    def get_look_behind_samples(self) -> int:
        return self.look_behind

    @torch.jit.export
    def get_look_ahead_samples(self) -> int:
        return self.look_ahead

    @torch.jit.export
    def is_resampling(self) -> bool:
        return self.resampling

    @torch.jit.export
    def calc_buffering_delay_samples(self) -> int:
        """Host samples of delay from buffering, resampling and look-ahead."""
        return self.delays["total"] - self.delays["model"]

    @torch.jit.export
    def calc_model_delay_samples(self) -> int:
        """The model's own delay in host samples (floor of its native delay converted)."""
        return self.delays["model"]

    @torch.jit.export
    def get_delay_breakdown(self) -> Dict[str, int]:
        """Delays in host samples: buffering, resampling, look_ahead, model and their total."""
        return self.delays

    @torch.jit.export
    def get_preserved_attributes(self) -> List[str]:
        return self.preserved_attributes

    @torch.jit.export
    def to_metadata(self) -> Dict[str, Any]:
        return self.metadata.to_dict()

    @torch.jit.export
    def get_metadata_json(self) -> str:
        return self.metadata_json

    @torch.jit.export
    def get_wet_default_value(self) -> float:
        return self.wet_default

    @torch.jit.export
    def get_dry_default_value(self) -> float:
        return self.dry_default

    @torch.jit.export
    def get_input_gain_default_value(self) -> float:
        return self.input_gain_default

    @torch.jit.export
    def get_output_gain_default_value(self) -> float:
        return self.output_gain_default

    @torch.jit.export
    def get_default_param_values(self) -> Tensor:
        """Default knob positions, shape ``(4,)``, in [0, 1] (0 for unused slots)."""
        return self.default_params.clone()
