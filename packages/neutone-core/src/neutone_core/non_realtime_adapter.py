"""`NonRealtimeAdapter(model)`: the scripted module saved in a non-realtime ("Gen") `.nm` file.

The Neutone Gen plugin calls ``forward_non_realtime(audio_in, numerical_params, text_params,
tokens_params)`` with whole clips at the host's sample rate. Per call:

```
host tracks (ch, n) -> channel conversion -> StreamingResampler host->native (delay removed)
  -> zero padding by the model's delay and to whole blocks -> per block: cancel? progress,
     knobs aggregated and mapped -> model.do_forward_pass -> outputs checked
  -> blocks joined, delay and padding removed -> StreamingResampler native->host -> host tracks
```

The knob rows arrive at the host rate in [0, 1] and are held sample by sample at the native rate
(no interpolation overshoot). A one-shot model gets the whole clip as one block; a block model
gets blocks of the native buffer size chosen by ``set_daw_sample_rate_and_buffer_size``, so
progress moves block by block from 0 to 100 and a cancel request stops the run before the next
block: the run returns ``[]`` and the request stays until ``reset()`` (as in the Neutone SDK).
Each run starts by resetting every `StatefulModule` in the model and calling its ``reset_model()``,
so a clip renders the same every time.

Unlike the Neutone SDK 1.5, outputs come back at the host's sample rate: a processed clip has the
input's length, a generated clip ``ceil(m * host_rate / native_rate)`` samples for ``m`` native
ones. Each conversion is the whole-clip form of the streaming resampler: its delay is a whole
number of output samples and is cut, and the tail is flushed with zeros.

Method names and signatures are those the Neutone SDK 1.5's ``NonRealtimeSampleQueueWrapper``
exports (``get_preserved_attributes`` lists them); the user's model is the submodule ``nrb``.
"""

import math
from typing import Any, Dict, List, Optional

import torch
from torch import Tensor, nn

from neutone_core.metadata import (
    ScriptedMetadata,
    build_non_realtime_metadata,
    metadata_to_json,
    validate_metadata,
)
from neutone_core.non_realtime import NonRealtimeBase
from neutone_core.parameters import (
    MAX_NUMERICAL_PARAMETERS,
    MAX_TEXT_PARAMETERS,
    MAX_TOKENS_PARAMETERS,
    CategoricalNeutoneParameter,
    DiscreteTokensNeutoneParameter,
    TextNeutoneParameter,
    is_numerical,
    validate_parameters,
)
from neutone_core.resample import StreamingResampler, minimum_delay_units

DEFAULT_DAW_SR = 48000
DEFAULT_DAW_BS = 2048
RESAMPLE_CHUNK = 16384
"""Samples per resampler call: bounds the resampler's buffers for any clip length."""

REFERENCE_PRESERVED_ATTRIBUTES = [
    "nrb",
    "get_audio_in_channels",
    "get_audio_out_channels",
    "get_native_sample_rates",
    "get_native_buffer_sizes",
    "is_resampling",
    "set_daw_sample_rate_and_buffer_size",
    "is_one_shot_model",
    "get_progress_percentage",
    "has_progress_percentage",
    "should_cancel_forward_pass",
    "request_cancel_forward_pass",
    "is_text_model",
    "is_tokens_model",
    "reset",
    "get_current_model_sample_rate",
    "get_current_model_buffer_size",
    "get_model_bpm",
    "get_preserved_attributes",
    "to_metadata",
    "get_metadata_json",
    "get_tokenizer_str",
    "get_tokenizer_type",
    "get_numerical_params_default_values_0to1",
]
"""The Neutone SDK 1.5's preserved names of a non-realtime wrapper, in its order."""

PRESERVED_ATTRIBUTES = [
    *REFERENCE_PRESERVED_ATTRIBUTES,
    "forward_non_realtime",
    "get_audio_in_labels",
    "get_audio_out_labels",
    "calc_model_delay_samples",
]


def _pick_rate(daw_sr: int, native: List[int]) -> int:
    """The host's rate when the model takes it, else the nearest native rate (higher on a tie)."""
    if len(native) == 0 or daw_sr in native:
        return daw_sr
    best = native[0]
    for sr in native:
        if abs(sr - daw_sr) < abs(best - daw_sr) or (
            abs(sr - daw_sr) == abs(best - daw_sr) and sr > best
        ):
            best = sr
    return best


def _pick_buffer_size(daw_bs: int, native: List[int]) -> int:
    """The host's buffer size when the model takes any, else the nearest native size."""
    if len(native) == 0 or daw_bs in native:
        return daw_bs
    best = native[0]
    for bs in native:
        if abs(bs - daw_bs) < abs(best - daw_bs) or (
            abs(bs - daw_bs) == abs(best - daw_bs) and bs > best
        ):
            best = bs
    return best


def _whole_number_delay(in_rate: int, out_rate: int) -> int:
    """Extra delay making the resampler's delay a whole number of output samples."""
    down = in_rate // math.gcd(in_rate, out_rate)
    return (-minimum_delay_units(in_rate, out_rate, "high")) % down


def _match_channels(x: Tensor, channels: int) -> Tensor:
    """Stereo to mono by the mean, mono to stereo by duplication."""
    if x.size(0) == channels:
        return x
    if channels == 1:
        return x.mean(dim=0, keepdim=True)
    return x.expand(channels, x.size(1))


class ClipResampler(nn.Module):
    """Whole-clip sample-rate conversion with a `StreamingResampler`, delay removed.

    The resampler's delay is made a whole number of output samples (extra delay) and cut; the
    clip is fed in chunks of at most `RESAMPLE_CHUNK` samples, then zeros until the tail is out.
    Equal rates copy nothing and convert nothing.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.resampler = StreamingResampler(48000, 48000, channels)
        self.chunk = RESAMPLE_CHUNK
        self.same_rate = True

    @torch.jit.export
    def configure(self, in_rate: int, out_rate: int) -> None:
        """Design the filter for these rates (Hz)."""
        self.same_rate = in_rate == out_rate
        extra = _whole_number_delay(in_rate, out_rate)
        self.resampler.configure(in_rate, out_rate, extra, self.chunk)

    @torch.jit.export
    def convert(self, x: Tensor, wanted: int) -> Tensor:
        """`x` ``(channels, n)`` at the output rate, exactly `wanted` samples."""
        if self.same_rate:
            if x.size(1) >= wanted:
                return x[:, :wanted]
            return torch.nn.functional.pad(x, [0, wanted - x.size(1)])
        rs = self.resampler
        rs.reset()
        skip = rs.delay_phase_units() // rs.down
        pieces: List[Tensor] = []
        got = 0
        pos = 0
        n = x.size(1)
        while got < skip + wanted:
            if pos < n:
                piece = x[:, pos : pos + self.chunk].float()
            else:
                needed = min(self.chunk, rs.input_needed(skip + wanted - got))
                piece = torch.zeros(x.size(0), needed)
            pos += piece.size(1)
            y = rs(piece).clone()
            pieces.append(y)
            got += y.size(1)
        return torch.cat(pieces, dim=1)[:, skip : skip + wanted]


class NonRealtimeAdapter(nn.Module):
    """The scripted wrapper of a `NonRealtimeBase`, implementing the Gen plugin's methods.

    Args:
        model: the researcher's model; its getters are read and validated here.

    Raises:
        ValueError: a getter breaks a rule (channel counts, labels, parameters), with the name
            of the getter or parameter; `MetadataError` for metadata limits.
    """

    # TorchScript types attributes from the class when a list may be empty.
    tokenizer_type: Optional[str]
    model_bpm: Optional[int]
    in_channels: List[int]
    in_labels: List[str]
    out_labels: List[str]
    native_srs: List[int]
    native_bss: List[int]
    knob_names: List[str]
    text_names: List[str]
    text_max_chars: List[int]
    text_defaults: List[str]
    tokens_names: List[str]
    tokens_max: List[int]
    tokens_defaults: List[List[int]]
    # Buffers (registered in __init__).
    knob_scale: Tensor
    knob_offset: Tensor
    knob_categorical: Tensor
    knob_defaults: Tensor

    def __init__(self, model: NonRealtimeBase) -> None:
        super().__init__()
        if not isinstance(model, NonRealtimeBase):
            raise ValueError(f"model: must be a NonRealtimeBase, got {type(model).__name__}")
        params = list(model.get_neutone_parameters())
        validate_parameters(
            params, MAX_NUMERICAL_PARAMETERS, MAX_TEXT_PARAMETERS, MAX_TOKENS_PARAMETERS
        )
        metadata = build_non_realtime_metadata(model)
        validate_metadata(metadata, realtime=False)
        delay: object = model.calc_model_delay_samples()  # a subclass may return anything
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            raise ValueError(f"calc_model_delay_samples() must return an int >= 0, got {delay!r}")

        self.realtime = False
        self.nrb = model
        self.metadata = ScriptedMetadata(metadata)
        self.metadata_json = metadata_to_json(metadata)
        self.in_channels: List[int] = list(metadata["audio_in_channels"])
        self.out_channels: List[int] = list(metadata["audio_out_channels"])
        self.in_labels: List[str] = list(metadata["audio_in_labels"])
        self.out_labels: List[str] = list(metadata["audio_out_labels"])
        self.native_srs: List[int] = list(metadata["native_sample_rates"])
        self.native_bss: List[int] = list(metadata["native_buffer_sizes"])
        self.one_shot = bool(metadata["is_one_shot_model"])
        self.model_bpm = metadata["model_bpm"]
        self.progress_reported = bool(model.has_progress_percentage())
        self.model_delay = delay
        self.tokenizer_str = str(model.get_tokenizer_str())
        self.tokenizer_type = model.get_tokenizer_type()

        # Numerical knobs: the affine map of the knob position, categorical rounding, defaults.
        knobs = [p for p in params if is_numerical(p)]
        self.n_numerical = len(knobs)
        self.knob_names: List[str] = [k.name for k in knobs]
        rows = max(1, self.n_numerical)
        scale = torch.ones(rows, 1)
        offset = torch.zeros(rows, 1)
        categorical = torch.zeros(rows, 1, dtype=torch.bool)
        defaults = torch.zeros(self.n_numerical, 1)
        for i, k in enumerate(knobs):
            scale[i, 0] = k.scale
            offset[i, 0] = k.offset
            categorical[i, 0] = isinstance(k, CategoricalNeutoneParameter)
            defaults[i, 0] = k.default_value_0to1
        self.register_buffer("knob_scale", scale)
        self.register_buffer("knob_offset", offset)
        self.register_buffer("knob_categorical", categorical)
        self.register_buffer("knob_defaults", defaults)

        texts = [p for p in params if isinstance(p, TextNeutoneParameter)]
        self.text_names: List[str] = [p.name for p in texts]
        self.text_max_chars: List[int] = [p.max_n_chars for p in texts]
        self.text_defaults: List[str] = [p.default_value for p in texts]
        tokens = [p for p in params if isinstance(p, DiscreteTokensNeutoneParameter)]
        self.tokens_names: List[str] = [p.name for p in tokens]
        self.tokens_max: List[int] = [p.max_n_tokens for p in tokens]
        self.tokens_defaults: List[List[int]] = [list(p.default_value) for p in tokens]

        # One resampler per direction and channel count, designed for the host's rate later.
        self.in_mono = ClipResampler(1)
        self.in_stereo = ClipResampler(2)
        self.out_mono = ClipResampler(1)
        self.out_stereo = ClipResampler(2)
        # TorchScript reads no module constants: the defaults are attributes.
        self.default_daw_sr = DEFAULT_DAW_SR
        self.default_daw_bs = DEFAULT_DAW_BS
        self.daw_sr = DEFAULT_DAW_SR
        self.daw_bs = DEFAULT_DAW_BS
        self.model_sr = DEFAULT_DAW_SR
        self.model_bs = DEFAULT_DAW_BS
        self.progress_base = 0.0
        self.block_share = 0.0
        self.preserved_attributes: List[str] = list(PRESERVED_ATTRIBUTES)
        self.set_daw_sample_rate_and_buffer_size(DEFAULT_DAW_SR, DEFAULT_DAW_BS)

    # -- settings ---------------------------------------------------------------------------------
    @torch.jit.export
    def set_daw_sample_rate_and_buffer_size(
        self,
        daw_sr: Optional[int] = None,
        daw_bs: Optional[int] = None,
        model_sr: Optional[int] = None,
        model_bs: Optional[int] = None,
    ) -> int:
        """Choose the native rate and block size for the host's settings and reset.

        ``None`` or 0 for the host's rate or buffer size means 48000 Hz / 2048 samples; `model_sr`
        and `model_bs` force a native setting (one of the model's, if it lists any). Returns -1,
        as the Neutone SDK does (a non-realtime model has no batch mode).
        """
        sr = self.default_daw_sr if daw_sr is None or daw_sr == 0 else daw_sr
        bs = self.default_daw_bs if daw_bs is None or daw_bs == 0 else daw_bs
        if sr < 1 or sr > 384000:
            raise ValueError(f"daw_sr must be a sample rate in [1, 384000] Hz, got {sr}")
        if bs < 1:
            raise ValueError(f"daw_bs must be a buffer size >= 1, got {bs}")
        if model_sr is None:
            native_sr = _pick_rate(sr, self.native_srs)
        else:
            native_sr = model_sr
            if len(self.native_srs) > 0 and native_sr not in self.native_srs:
                raise ValueError(
                    f"model_sr must be one of the native sample rates {self.native_srs}, "
                    f"got {native_sr}"
                )
        if model_bs is None:
            native_bs = _pick_buffer_size(bs, self.native_bss)
        else:
            native_bs = model_bs
            if len(self.native_bss) > 0 and native_bs not in self.native_bss:
                raise ValueError(
                    f"model_bs must be one of the native buffer sizes {self.native_bss}, "
                    f"got {native_bs}"
                )
        self.daw_sr = sr
        self.daw_bs = bs
        self.model_sr = native_sr
        self.model_bs = native_bs
        self.in_mono.configure(sr, native_sr)
        self.in_stereo.configure(sr, native_sr)
        self.out_mono.configure(native_sr, sr)
        self.out_stereo.configure(native_sr, sr)
        self.nrb.set_model_sample_rate_and_buffer_size(native_sr, native_bs)
        self.reset()
        return -1

    @torch.jit.export
    def reset(self) -> None:
        """Clear the progress, the cancel request, every `StatefulModule` in the model
        (`neutone_core.stateful`) and the model's own state (``reset_model()``)."""
        self.progress_base = 0.0
        self.block_share = 0.0
        self.nrb.progress_percentage = 0.0
        self.nrb.cancel_forward_pass_requested = False
        self.nrb.reset_stateful_modules()
        self.nrb.reset_model()

    @torch.jit.export
    def is_resampling(self) -> bool:
        return self.model_sr != self.daw_sr

    @torch.jit.export
    def get_current_model_sample_rate(self) -> int:
        return self.model_sr

    @torch.jit.export
    def get_current_model_buffer_size(self) -> int:
        return self.model_bs

    # -- progress and cancellation ----------------------------------------------------------------
    @torch.jit.export
    def get_progress_percentage(self) -> float:
        """Progress of the run, 0 to 100: finished blocks plus the model's share of this one."""
        inner = self.nrb.get_progress_percentage() / 100.0
        return min(100.0, self.progress_base + self.block_share * inner)

    @torch.jit.export
    def has_progress_percentage(self) -> bool:
        return self.progress_reported

    @torch.jit.export
    def should_cancel_forward_pass(self) -> bool:
        return self.nrb.should_cancel_forward_pass()

    @torch.jit.export
    def request_cancel_forward_pass(self) -> None:
        """Stop the run in progress before its next block; it returns []. Cleared by reset()."""
        self.nrb.request_cancel_forward_pass()

    # -- description ------------------------------------------------------------------------------
    @torch.jit.export
    def get_audio_in_channels(self) -> List[int]:
        return self.in_channels

    @torch.jit.export
    def get_audio_out_channels(self) -> List[int]:
        return self.out_channels

    @torch.jit.export
    def get_audio_in_labels(self) -> List[str]:
        return self.in_labels

    @torch.jit.export
    def get_audio_out_labels(self) -> List[str]:
        return self.out_labels

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return self.native_srs

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return self.native_bss

    @torch.jit.export
    def is_one_shot_model(self) -> bool:
        return self.one_shot

    @torch.jit.export
    def is_text_model(self) -> bool:
        return len(self.text_names) > 0

    @torch.jit.export
    def is_tokens_model(self) -> bool:
        return len(self.tokens_names) > 0

    @torch.jit.export
    def get_model_bpm(self) -> Optional[int]:
        return self.model_bpm

    @torch.jit.export
    def calc_model_delay_samples(self) -> int:
        """The model's own delay in native samples; outputs come back without it."""
        return self.model_delay

    @torch.jit.export
    def get_numerical_params_default_values_0to1(self) -> Tensor:
        """Default knob positions, ``(n_numerical, 1)`` in [0, 1]."""
        return self.knob_defaults

    @torch.jit.export
    def get_tokenizer_str(self) -> str:
        return self.tokenizer_str

    @torch.jit.export
    def get_tokenizer_type(self) -> Optional[str]:
        return self.tokenizer_type

    @torch.jit.export
    def get_preserved_attributes(self) -> List[str]:
        return self.preserved_attributes

    @torch.jit.export
    def to_metadata(self) -> Dict[str, Any]:
        return self.metadata.to_dict()

    @torch.jit.export
    def get_metadata_json(self) -> str:
        return self.metadata_json

    # -- the run ----------------------------------------------------------------------------------
    def forward(
        self,
        audio_in: List[Tensor],
        numerical_params: Optional[Tensor] = None,
        text_params: Optional[List[str]] = None,
        tokens_params: Optional[List[List[int]]] = None,
    ) -> List[Tensor]:
        """Same as ``forward_non_realtime``."""
        return self.forward_non_realtime(audio_in, numerical_params, text_params, tokens_params)

    def _convert(self, x: Tensor, to_native: bool, wanted: int) -> Tensor:
        """`x` at the other rate (native when `to_native`), `wanted` samples, delay removed."""
        if to_native:
            if x.size(0) == 1:
                return self.in_mono.convert(x, wanted)
            return self.in_stereo.convert(x, wanted)
        if x.size(0) == 1:
            return self.out_mono.convert(x, wanted)
        return self.out_stereo.convert(x, wanted)

    def _native_length(self, host_length: int) -> int:
        return (host_length * self.model_sr + self.daw_sr - 1) // self.daw_sr

    def _host_length(self, native_length: int) -> int:
        return (native_length * self.daw_sr + self.model_sr - 1) // self.model_sr

    def _check_prompts(self, text: List[str], tokens: List[List[int]]) -> None:
        if len(text) != len(self.text_names):
            raise ValueError(
                f"forward_non_realtime: text_params must hold {len(self.text_names)} strings "
                f"({self.text_names}), got {len(text)}"
            )
        for i in range(len(text)):
            limit = self.text_max_chars[i]
            if limit != -1 and len(text[i]) > limit:
                raise ValueError(
                    f"forward_non_realtime: text parameter '{self.text_names[i]}' takes at most "
                    f"{limit} characters, got {len(text[i])}"
                )
        if len(tokens) != len(self.tokens_names):
            raise ValueError(
                f"forward_non_realtime: tokens_params must hold {len(self.tokens_names)} lists "
                f"({self.tokens_names}), got {len(tokens)}"
            )
        for i in range(len(tokens)):
            limit = self.tokens_max[i]
            if limit != -1 and len(tokens[i]) > limit:
                raise ValueError(
                    f"forward_non_realtime: tokens parameter '{self.tokens_names[i]}' takes at "
                    f"most {limit} tokens, got {len(tokens[i])}"
                )

    def _host_tracks(self, audio_in: List[Tensor]) -> List[Tensor]:
        """Check the input tracks and give each the model's channel count; all the same length."""
        if len(self.in_channels) == 0:
            return []  # the plugin may pass empty tensors to a generator
        if len(audio_in) != len(self.in_channels):
            raise ValueError(
                f"forward_non_realtime: audio_in must hold {len(self.in_channels)} tracks "
                f"(channels {self.in_channels}), got {len(audio_in)}"
            )
        n = audio_in[0].size(-1)
        tracks: List[Tensor] = []
        for i in range(len(audio_in)):
            x = audio_in[i]
            if x.dim() != 2 or x.size(0) < 1 or x.size(0) > 2:
                raise ValueError(
                    f"forward_non_realtime: audio_in[{i}] must have shape (1 or 2, n), "
                    f"got {x.shape}"
                )
            if x.size(1) != n or n == 0:
                raise ValueError(
                    f"forward_non_realtime: every track must have the same length > 0, "
                    f"audio_in[{i}] has {x.size(1)} samples and audio_in[0] {n}"
                )
            tracks.append(_match_channels(x, self.in_channels[i]))
        return tracks

    def _knob_rows(self, params: Optional[Tensor], host_length: int) -> Optional[Tensor]:
        """Knob positions ``(n_numerical, host_length)`` in [0, 1]; defaults when None."""
        if self.n_numerical == 0:
            return None
        if params is None:
            return self.knob_defaults.expand(self.n_numerical, host_length)
        if params.dim() != 2 or params.size(0) != self.n_numerical:
            raise ValueError(
                f"forward_non_realtime: numerical_params must have shape "
                f"({self.n_numerical}, n), got {params.shape}"
            )
        if host_length > 0 and params.size(1) != host_length:
            raise ValueError(
                f"forward_non_realtime: numerical_params must have one value per input sample "
                f"({host_length}), got {params.size(1)}"
            )
        if params.size(1) == 0:
            raise ValueError("forward_non_realtime: numerical_params must not be empty")
        inside = torch.logical_and(params >= 0.0, params <= 1.0)
        if not bool(inside.all()):
            raise ValueError(
                "forward_non_realtime: numerical_params must be knob positions in [0, 1] "
                "(NaN and infinity are refused)"
            )
        return params

    def _map_knobs(self, rows: Tensor) -> Dict[str, Tensor]:
        """Knob positions of one block -> the values the model receives, by knob name."""
        rows = self.nrb.aggregate_numerical_params_0to1(rows)
        n = self.n_numerical
        values = rows * self.knob_scale[:n] + self.knob_offset[:n]
        values = torch.where(self.knob_categorical[:n], torch.round(values), values)
        out: Dict[str, Tensor] = {}
        for i in range(n):
            out[self.knob_names[i]] = values[i]
        return out

    @torch.jit.export
    def forward_non_realtime(
        self,
        audio_in: List[Tensor],
        numerical_params: Optional[Tensor] = None,
        text_params: Optional[List[str]] = None,
        tokens_params: Optional[List[List[int]]] = None,
    ) -> List[Tensor]:
        """Run the model on whole clips at the host rate; ``[]`` when cancelled.

        Args:
            audio_in: one ``(1 or 2, n)`` tensor per input track (any channel count is converted
                to the model's), all of length ``n``; ignored for a generator.
            numerical_params: ``(n_numerical, n)`` knob positions in [0, 1] (one per sample;
                any length for a generator); None means the defaults.
            text_params, tokens_params: one entry per text / tokens parameter; None means the
                defaults.

        Returns:
            one ``(channels, m)`` tensor per output track at the host rate: ``m = n`` for a
            model that returns as many samples as it received.
        """
        self.progress_base = 0.0
        self.block_share = 0.0
        self.nrb.progress_percentage = 0.0
        if self.nrb.should_cancel_forward_pass():
            return []
        # every clip starts from a clean state: runs are reproducible
        self.nrb.reset_stateful_modules()
        self.nrb.reset_model()
        text = self.text_defaults if text_params is None else text_params
        tokens = self.tokens_defaults if tokens_params is None else tokens_params
        if len(self.text_names) == 0:
            text = []
        if len(self.tokens_names) == 0:
            tokens = []
        self._check_prompts(text, tokens)
        tracks = self._host_tracks(audio_in)
        host_length = tracks[0].size(1) if len(tracks) > 0 else 0
        knobs = self._knob_rows(numerical_params, host_length)
        if host_length == 0 and knobs is not None and numerical_params is not None:
            host_length = knobs.size(1)
        if host_length == 0:
            host_length = self.daw_bs
        if knobs is not None and knobs.size(1) != host_length:
            knobs = self.knob_defaults.expand(self.n_numerical, host_length)
        native_length = self._native_length(host_length)

        native: List[Tensor] = []
        for track in tracks:
            if self.nrb.should_cancel_forward_pass():
                return []
            native.append(self._convert(track, True, native_length))
        native_knobs: Optional[Tensor] = None
        if knobs is not None:
            hold = torch.arange(native_length) * self.daw_sr // self.model_sr
            native_knobs = knobs.index_select(1, hold.clamp(max=host_length - 1))

        delay = self.model_delay
        block = native_length + delay if self.one_shot else self.model_bs
        n_blocks = (native_length + delay + block - 1) // block
        padded = n_blocks * block
        for i in range(len(native)):
            native[i] = torch.nn.functional.pad(native[i], [0, padded - native_length])
        if native_knobs is not None:
            last = native_knobs[:, native_length - 1 :].expand(
                self.n_numerical, padded - native_length
            )
            native_knobs = torch.cat([native_knobs, last], dim=1)

        blocks: List[List[Tensor]] = []
        self.block_share = 100.0 / n_blocks
        for b in range(n_blocks):
            if self.nrb.should_cancel_forward_pass():
                return []
            self.progress_base = 100.0 * b / n_blocks
            self.nrb.progress_percentage = 0.0
            start = b * block
            audio_block = [x[:, start : start + block] for x in native]
            knob_values: Dict[str, Tensor] = {}
            if native_knobs is not None:
                knob_values = self._map_knobs(native_knobs[:, start : start + block])
            out = self.nrb.do_forward_pass(b, audio_block, knob_values, text, tokens)
            if self.nrb.should_cancel_forward_pass():
                return []
            self._check_block(out, block)
            blocks.append(out)

        results: List[Tensor] = []
        for t in range(len(self.out_channels)):
            parts = [blocks[b][t] for b in range(n_blocks)]
            y = torch.cat(parts, dim=1)
            end = y.size(1) if self.one_shot else delay + native_length
            y = y[:, delay:end]
            wanted = host_length if y.size(1) == native_length else self._host_length(y.size(1))
            if self.nrb.should_cancel_forward_pass():
                return []
            results.append(self._convert(y, False, wanted))
        self.progress_base = 100.0
        self.block_share = 0.0
        return results

    def _check_block(self, out: List[Tensor], block: int) -> None:
        """The model returned one track per output, with its channels (and the block's length)."""
        if len(out) != len(self.out_channels):
            raise ValueError(
                f"do_forward_pass must return {len(self.out_channels)} tracks "
                f"(channels {self.out_channels}), got {len(out)}"
            )
        for t in range(len(out)):
            y = out[t]
            if y.dim() != 2 or y.size(0) != self.out_channels[t]:
                raise ValueError(
                    f"do_forward_pass: output track {t} must have shape "
                    f"({self.out_channels[t]}, n), got {y.shape}"
                )
            if not self.one_shot and y.size(1) != block:
                raise ValueError(
                    f"do_forward_pass: output track {t} must have the block's {block} samples "
                    f"(a block model), got {y.size(1)}"
                )
