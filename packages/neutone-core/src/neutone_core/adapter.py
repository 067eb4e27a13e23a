"""`RealtimeAdapter`: the scripted module saved in a `.nm`; runs a model for a host.

Pipeline per host call (``docs/architecture.md``), one stage per module::

    host (ch, n) -> ChannelConverter -> StreamingResampler host->native -> BlockQueue
      -> windows of look_behind + native_bs + look_ahead -> wrapper.do_forward_pass -> native_bs
      -> StreamingResampler native->host -> SampleFifo (host rate, primed with zeros)
      -> ChannelConverter -> host (ch, n)

The knob positions travel beside the audio in a `KnobStream`, which maps and averages them; a
model's own ``aggregate_params`` / ``aggregate_param`` hook gets every mapped sample instead. At the
same rate with any block size and no look-behind or look-ahead, the host buffer is the block: no
queue, no delay. Delays follow `neutone_core.delay_plan`; they are exact, in whole host samples.

This module wires the stages and answers the contract's getters.
``set_daw_sample_rate_and_buffer_size`` designs the resamplers for the host's rate (inside
TorchScript, any host rate) and allocates every buffer; ``forward`` then writes into them (in-place
ops, views, ``out=``) and allocates nothing.
"""

from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn

from neutone_core.block_queue import BlockQueue
from neutone_core.channels import ChannelConverter
from neutone_core.delay_plan import choose_native_settings, plan_delays, reduced_ratio
from neutone_core.fifo import SampleFifo
from neutone_core.knob_stream import KnobStream
from neutone_core.metadata import (
    ScriptedMetadata,
    build_metadata,
    metadata_to_json,
    validate_metadata,
)
from neutone_core.model import WaveformToWaveformBase
from neutone_core.parameters import validate_parameters
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
PRESERVED_ATTRIBUTES = [
    *REFERENCE_PRESERVED_ATTRIBUTES,
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


def _aggregation_hooks(wrapper: WaveformToWaveformBase) -> Tuple[bool, bool]:
    """Whether the wrapper overrides ``aggregate_param`` (one knob at a time, ours) and
    ``aggregate_params`` (all knobs at once, the Neutone SDK's hook); at most one of them."""
    cls = type(wrapper)
    each = cls.aggregate_param is not WaveformToWaveformBase.aggregate_param
    every = cls.aggregate_params is not WaveformToWaveformBase.aggregate_params
    if each and every:
        raise ValueError(
            f"{cls.__name__} overrides both aggregate_param and aggregate_params; override one "
            "(aggregate_params gets every knob at once)"
        )
    return each, every


class RealtimeAdapter(nn.Module):
    """Runs a `WaveformToWaveformBase` at the host's sample rate and (variable) buffer sizes.

    Args:
        wrapper: the model. Its getters are read and validated here (knobs, metadata, channel
            layout, native settings, look-behind, look-ahead, model delay), and one zero block is
            run through ``do_forward_pass`` to check the shape it returns.
        resampling_quality: preset of `StreamingResampler` ("fast", "high", "best").

    Copies: `torch.jit.save`/`load` keep every view tied to its buffer; ``copy.deepcopy`` of
    the scripted adapter does not, so configure a deep copy
    (``set_daw_sample_rate_and_buffer_size``) before its first call, as every host does.

    Raises:
        ValueError: a bad getter value, knob list, aggregation hook or output shape, naming the
            rule.
        MetadataError: invalid metadata, listing every violation.
    """

    native_srs: List[int]
    native_bss: List[int]
    realtime: bool
    preserved_attributes: List[str]
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
        self.preserved_attributes: List[str] = list(PRESERVED_ATTRIBUTES)

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
        self.hook_each, self.hook_all = _aggregation_hooks(wrapper)
        self.hooked = self.hook_each or self.hook_all

        # Stages. The resamplers are placeholders until the host's rate is known.
        self.resampling_quality = resampling_quality
        self.channels = ChannelConverter()
        self.knobs = KnobStream(knobs)
        self.blocks = BlockQueue(self.in_ch, self.look_behind, self.look_ahead)
        self.resampler_in = StreamingResampler(48000, 48000, self.in_ch, resampling_quality)
        self.resampler_out = StreamingResampler(48000, 48000, self.out_ch, resampling_quality)
        self.out_fifo = SampleFifo(self.out_ch)
        # Host-size buffers: the model's input (direct path) or the resampler's, and the output
        # for a mono and for a stereo host.
        self.in_buf = torch.zeros(self.in_ch, 0)
        self.out_buf_mono = torch.zeros(1, 0)
        self.out_buf_stereo = torch.zeros(2, 0)
        self.bt_buf = torch.zeros(2, 0)

        # Settings, set by set_daw_sample_rate_and_buffer_size.
        self.daw_sr = 0
        self.daw_bs = 0
        self.native_sr = 0
        self.native_bs = 0
        self.block_max = 0
        self.resampling = False
        self.direct = False
        self.priming = 0
        self.delays: Dict[str, int] = {}

        default_sr = 48000 if len(self.native_srs) == 0 else self.native_srs[0]
        self.set_daw_sample_rate_and_buffer_size(default_sr, 2048)
        self._check_output_shape()

    def _check_output_shape(self) -> None:
        """Run one zero block through the model (default knobs) and check what it returns."""
        n = self.native_bs if self.native_bs > 0 else min(128, self.block_max)
        x = torch.zeros(self.in_ch, self.look_behind + n + self.look_ahead)
        y = self._process_block(x, None, n)
        self._check_block(y, n)
        self.reset()

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
        self.direct = not resampling and bs == 0 and la == 0 and self.look_behind == 0
        self.priming = p
        self.delays = {
            "buffering": plan["buffering"],
            "resampling": plan["resampling"],
            "look_ahead": plan["look_ahead"],
            "model": plan["model"],
            "total": plan["total"],
        }

        self.blocks.configure(bs, block_max, native_per_call)
        self.knobs.configure(resampling, up, down, s_in, block_max, la, daw_bs)
        out_held = 2 * p + daw_bs + block_out + 2
        self.out_fifo.allocate(out_held, block_out)
        self.in_buf = torch.zeros(self.in_ch, daw_bs)
        self.out_buf_mono = torch.zeros(1, daw_bs)
        self.out_buf_stereo = torch.zeros(2, daw_bs)
        self.bt_buf = torch.zeros(2, out_held + block_out)
        self.w2w_base.set_model_sample_rate_and_buffer_size(sr, block_max)
        self.reset()
        return out_held + block_out

    @torch.jit.export
    def reset(self) -> None:
        """Clear all streaming state: queues (re-primed), resamplers, every `StatefulModule` in
        the model (filters, caches: `neutone_core.stateful`), then the model's ``reset_model()``."""
        self.blocks.reset()
        self.knobs.reset()
        self.out_fifo.clear()
        self.out_fifo.push_zeros(self.priming)
        self.resampler_in.reset()
        self.resampler_out.reset()
        self.w2w_base.reset_stateful_modules()
        self.w2w_base.reset_model()

    @torch.jit.export
    def stop_caching_views(self) -> None:
        """Make the queues take every view anew; call it before `torch.jit.freeze`.

        The queues keep the views they write through in dictionaries (a view costs more than the
        copy into it); freezing cannot follow tensors inside a dictionary and refuses the module
        while they are there. A frozen adapter is correct, and slower by up to about 1 us per call.
        """
        self.blocks.stop_caching_views()
        self.knobs.stop_caching_views()
        self.out_fifo.stop_caching_views()

    # -- audio ------------------------------------------------------------------------------------
    def _check_input(self, x: Tensor, params: Optional[Tensor]) -> int:
        """Check the host's buffer and knobs; returns the buffer's length."""
        if x.dim() != 2 or not 1 <= x.size(0) <= 2:
            raise ValueError(
                f"x must have shape (channels, n) with 1 or 2 channels, got {list(x.shape)}"
            )
        n = x.size(1)
        if n > self.daw_bs:
            raise ValueError(
                f"buffer of {n} samples is longer than the {self.daw_bs} given to "
                "set_daw_sample_rate_and_buffer_size"
            )
        if params is not None:
            self._check_params(params, n)
        return n

    def _check_params(self, params: Tensor, n: int) -> None:
        rows = self.knobs.rows
        if params.dim() != 2 or params.size(0) != rows or params.size(1) != n:
            raise ValueError(
                f"params must have shape ({rows}, n) = [{rows}, {n}], got {list(params.shape)}"
            )

    def _check_block(self, y: Tensor, n: int) -> None:
        if y.dim() != 2 or y.size(0) != self.out_ch or y.size(1) != n:
            raise ValueError(
                f"do_forward_pass must return shape (out_ch, native_bs) = [{self.out_ch}, {n}], "
                f"got {list(y.shape)}"
            )

    def _host_sized(self, buf: Tensor, n: int) -> Tensor:
        """The first `n` samples of a host-size buffer (no view op for a full buffer)."""
        return buf if n == self.daw_bs else buf.narrow(1, 0, n)

    def _knob_values(self, positions: Optional[Tensor], n: int) -> Dict[str, Tensor]:
        """What the model receives for knob `positions` ``(rows, n)`` (``None``: the defaults):
        the mean of each knob's mapped values, or what the model's own aggregation hook makes of
        every mapped sample."""
        if self.knobs.n_knobs == 0:
            no_knobs: Dict[str, Tensor] = {}
            return no_knobs
        if positions is None:
            if not self.hooked:
                return self.knobs.default_values()
            positions = self.knobs.default_positions(n)
        if not self.hooked:
            return self.knobs.mean_values(positions, n)
        block = self.knobs.mapped(positions)
        if self.hook_each:
            values: Dict[str, Tensor] = {}
            for i, name in enumerate(self.knobs.names):
                values[name] = self.w2w_base.aggregate_param(block[i])
            return values
        aggregated = self.w2w_base.aggregate_params(block)
        rows = self.knobs.rows
        if aggregated.dim() != 2 or aggregated.size(0) != rows:
            raise ValueError(
                f"aggregate_params must return shape ({rows}, m) for params of shape "
                f"{list(block.shape)}, got {list(aggregated.shape)}"
            )
        return self.knobs.named_rows(aggregated)

    def _run_model(self, x: Tensor, values: Dict[str, Tensor]) -> Tensor:
        """One block through the model, autograd off: a host never trains, and recording would
        allocate on every call when the model's weights still require grad. (The guard costs
        more than the check, so it is skipped when the host has turned autograd off already.)"""
        y = x
        if torch.is_grad_enabled():
            with torch.no_grad():
                y = self.w2w_base.do_forward_pass(x, values)
        else:
            y = self.w2w_base.do_forward_pass(x, values)
        return y

    def _process_block(self, x: Tensor, positions: Optional[Tensor], n: int) -> Tensor:
        """The model's output for one native block `x` and its knob `positions` ``(rows, n)``
        (``None``: the defaults): knob mapping and aggregation, then ``do_forward_pass``.

        The one seam between the streaming and the model: the pt2 package's runtime
        (``neutone_export.pt2.runtime``) replaces it with the compiled graph of the same
        computation.
        """
        return self._run_model(x, self._knob_values(positions, n))

    def _push_input(self, x: Tensor, params: Optional[Tensor], n: int) -> None:
        """Queue one host buffer: audio at the native rate in the block queue, knobs beside it."""
        if not self.resampling:
            self.channels(x, self.blocks.reserve(n))
        else:
            xin = self._host_sized(self.in_buf, n)
            self.channels(x, xin)
            self.blocks.push(self.resampler_in(xin))
        if self.knobs.n_knobs > 0:
            self.knobs.push(params, n)

    def _run_blocks(self) -> None:
        """Run the model on every complete block queued; queue its output at the host rate."""
        n = self.blocks.next_size()
        while n > 0:
            positions: Optional[Tensor] = None
            if self.knobs.n_knobs > 0:
                positions = self.knobs.take(n)
            y = self._process_block(self.blocks.window(n), positions, n)
            self._check_block(y, n)
            self.blocks.advance(n)
            if self.resampling:
                y = self.resampler_out(y)
            self.out_fifo.push(y)
            n = self.blocks.next_size()

    def _take_output(self, dst: Tensor) -> None:
        """Move the oldest ``dst.size(1)`` output samples into `dst`, in the host's channels."""
        n = dst.size(1)
        if dst.size(0) == self.out_ch:
            self.out_fifo.peek_into(dst)
        else:
            self.channels(self.out_fifo.peek(0, n), dst)
        self.out_fifo.discard(n)

    def _forward_direct(self, x: Tensor, params: Optional[Tensor], n: int) -> Tensor:
        """Same rate, any block size, no context: the host buffer is the block (no queues).

        The model gets a copy of `x` in the adapter's own buffer: a model may write into its
        input, and the host's buffer still holds the dry signal the plugin mixes in.
        """
        dst = self._host_sized(self.out_buf_stereo if x.size(0) == 2 else self.out_buf_mono, n)
        if n == 0:
            return dst
        xin = self._host_sized(self.in_buf, n)
        self.channels(x, xin)
        y = self._process_block(xin, params, n)
        self._check_block(y, n)
        self.channels(y, dst)
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
            (``.clone()``) to keep it. `x` and `params` are never written to.
        """
        n = self._check_input(x, params)
        if self.direct:
            return self._forward_direct(x, params, n)
        self._push_input(x, params, n)
        self._run_blocks()
        dst = self._host_sized(self.out_buf_stereo if x.size(0) == 2 else self.out_buf_mono, n)
        self._take_output(dst)
        return dst

    @torch.jit.export
    def forward_bt(self, x: Tensor, params: Optional[Tensor] = None) -> Optional[Tensor]:
        """Batch mode: process `x` like ``forward`` and return every output sample ready so far.

        The concatenated outputs form the same stream as ``forward``'s (same delay); one call
        returns between 0 and ``set_daw_sample_rate_and_buffer_size(...)`` samples, ``None`` for 0.
        The result is a view of an internal buffer, overwritten by the next call.
        """
        n = self._check_input(x, params)
        self._push_input(x, params, n)
        self._run_blocks()
        m = self.out_fifo.size()
        if m == 0:
            return None
        dst = self.bt_buf[: x.size(0), :m]
        self._take_output(dst)
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
        if params is not None:
            self._check_params(params, n)
        total = self.delays["total"]
        length = n + total
        xp = torch.zeros(hc, length)
        xp[:, :n] = x
        pp: Optional[Tensor] = None
        if params is not None:
            pp = torch.zeros(self.knobs.rows, length)
            pp[:, :n] = params
            if n > 0:
                pp[:, n:] = params[:, n - 1 : n]
            else:
                pp[:, n:] = self.knobs.defaults
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
        return self.knobs.defaults.view(-1).clone()
