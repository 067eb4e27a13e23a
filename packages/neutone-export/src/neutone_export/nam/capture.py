"""Neural Amp Modeler captures as Neutone models: stream NAM's own networks, traced.

NAM (``neural-amp-modeler``, import name ``nam``) runs a whole file at once: its WaveNet needs
``receptive_field - 1`` past samples in front of every output, and its LSTM starts every call from
its initial state. The streaming modules here carry that past between blocks in registered buffers
updated in place (``state``), which is what a trace keeps: `CachedWaveNetStream` feeds each of NAM's
own WaveNet layers its cached past (the standard layouts), `WaveNetStream` recomputes the receptive
field (any layout), `LSTMStream` carries hidden and cell state. TorchScript cannot compile NAM's
WaveNet, so the wrapper's inner model is traced (``trace=True``) and proven equal to the Python
model before export. They read NAM's module attributes, as of ``neural-amp-modeler`` 0.13.0 (the
version the ``nam`` extra pins). ``nam`` stays an optional extra: only loading a capture needs it.
"""

import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Union

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, StatefulModule, WaveformToWaveformBase
from neutone_core.limits import MAX_JSON_DEPTH, LimitError, check_sample_rate, json_depth
from neutone_core.metadata import MAX_REALTIME_SAMPLE_RATE
from neutone_export.errors import one_line
from neutone_export.files.save import save_neutone_model
from neutone_export.suite.report import ValidationReport

if TYPE_CHECKING:  # nam is an optional extra and ships no types: mypy reads these as Any
    from nam.models import LSTM, WaveNet

NAM_EXTRA = "neutone-export[nam]"
"""What to install for NAM captures: ``pip install 'neutone-export[nam]'``."""

DEFAULT_SAMPLE_RATE = 48000
"""NAM's standard rate, for old captures that do not state theirs."""

CACHED_WAVENET_BUFFER_SIZE = 128
"""Native block of a WaveNet whose layers keep their own past (`CachedWaveNetStream`): its cost per
sample barely depends on the block, so a small one keeps the delay short (127 samples)."""

WAVENET_BUFFER_SIZE = 512
"""Native block of a WaveNet streamed by recomputing its receptive field (`WaveNetStream`): larger
blocks cost less per sample and delay more (``size - 1``)."""

LSTM_BUFFER_SIZE = 32
"""Native block of an LSTM: its cost per sample does not depend on the block, so a small one keeps
the delay short (31 samples)."""

MAX_GAIN_DB = 24.0
"""The gain knob spans -MAX_GAIN_DB to +MAX_GAIN_DB, with 0 dB at its middle."""

DC_BLOCKER_HZ = 5.0
"""Corner of the DC blocker after the network: NAM's own plugin high-passes its output at 5 Hz
(``kDCBlockerFrequency``), since a network's bias leaves an offset that clicks when it starts."""


class DCBlocker(StatefulModule):
    """First-order DC blocker ``y[k] = x[k] - x[k-1] + r y[k-1]``, ``r = exp(-2 pi fc / fs)``, on
    fixed blocks of `block` samples of one channel, solved in closed form (one matrix product, no
    per-sample loop): ``y = L d + p y[-1]``, ``d`` the first differences, ``L[k, j] = r^(k-j)``.

    Minimum phase: no delay in the pass band. Its gain is 0 at DC and within 0.05 dB of 1 above
    ``10 fc``.
    """

    # Buffers (registered in __init__).
    steps: Tensor
    carry: Tensor
    last_in: Tensor
    last_out: Tensor
    diff: Tensor

    def __init__(self, sample_rate: int, block: int, corner_hz: float = DC_BLOCKER_HZ) -> None:
        super().__init__()
        r = math.exp(-2.0 * math.pi * corner_hz / sample_rate)
        k = torch.arange(block, dtype=torch.float64)
        lags = k.view(-1, 1) - k.view(1, -1)
        steps = torch.where(lags >= 0, torch.pow(r, lags.clamp(min=0)), torch.zeros(()))
        self.register_buffer("steps", steps.to(torch.float32))
        self.register_buffer("carry", torch.pow(r, k + 1).to(torch.float32).view(1, -1))
        self.register_buffer("last_in", torch.zeros(1, 1))
        self.register_buffer("last_out", torch.zeros(1, 1))
        self.register_buffer("diff", torch.zeros(1, block))

    def forward(self, x: Tensor) -> Tensor:
        """`x` ``(1, block)`` -> the blocked ``(1, block)``; the state moves on by one block."""
        torch.sub(x[:, 1:], x[:, :-1], out=self.diff[:, 1:])
        torch.sub(x[:, :1], self.last_in, out=self.diff[:, :1])
        y = torch.addmm(self.last_out * self.carry, self.diff, self.steps.t())
        self.last_in.copy_(x[:, -1:])
        self.last_out.copy_(y[:, -1:])
        return y

    def reset(self) -> None:
        self.last_in.zero_()
        self.last_out.zero_()


class NAMCaptureError(ValueError):
    """A capture cannot be read, or ``nam`` is missing; one-line message."""


class WaveNetStream(nn.Module):
    """NAM's WaveNet, block by block: the last ``receptive_field - 1`` input samples wait in
    ``state`` (zeros at the start, as NAM's ``pad_start`` gives offline).

    Shape: ``(1, n), (1,) -> (1, n)``; the gain scales the input before the network.
    """

    buffer_size = WAVENET_BUFFER_SIZE
    state: Tensor
    initial_state: Tensor

    def __init__(self, net: "WaveNet") -> None:
        super().__init__()
        self.net = net
        self.history = int(net.receptive_field) - 1
        self.register_buffer("state", torch.zeros(1, self.history))
        self.register_buffer("initial_state", torch.zeros(1, self.history))

    def forward(self, x: Tensor, gain: Tensor) -> Tensor:
        full = torch.cat([self.state, x * gain], dim=1)
        self.state.copy_(full[:, full.size(1) - self.history :])
        return self.net(full, pad_start=False)


class CachedWaveNetStream(nn.Module):
    """NAM's WaveNet, block by block, with each layer keeping the past its dilated convolution
    needs: a block costs what its own samples cost, not the receptive field's.

    NAM's own layer modules do the arithmetic; this module feeds each one its cached past in front
    of the block (all caches are views of one ``state`` buffer, updated in place) and adds up the
    heads as NAM's layer arrays do. For the standard layouts: NAM's condition network, FiLM and
    a final head are not supported (`supports` says so; `WaveNetStream` streams those).

    Shape: ``(1, n), (1,) -> (1, n)``; the gain scales the input before the network.
    """

    buffer_size = CACHED_WAVENET_BUFFER_SIZE
    state: Tensor
    initial_state: Tensor

    def __init__(self, net: "WaveNet") -> None:
        super().__init__()
        problem = self.unsupported(net)
        if problem:
            raise NAMCaptureError(f"CachedWaveNetStream: {problem}; use WaveNetStream")
        self.net = net
        self.arrays = list(net._net._layer_arrays)
        self.head_scale = float(net._net._head_scale)
        self.caches: List[List[int]] = []  # (offset, channels, length) per layer, then per head
        total = 0
        for array in self.arrays:
            for layer in array._layers:
                shape = [total, layer.conv.in_channels, (layer.kernel_size - 1) * layer.dilation]
                self.caches.append(shape)
                total += shape[1] * shape[2]
            head = array._head_rechannel
            self.caches.append([total, head.in_channels, head.kernel_size[0] - 1])
            total += head.in_channels * (head.kernel_size[0] - 1)
        self.register_buffer("state", torch.zeros(total))
        # NAM pads the input with zeros, not the layers: start from the caches silence leaves.
        with torch.no_grad():
            self.forward(torch.zeros(1, int(net.receptive_field)), torch.ones(1))
        self.register_buffer("initial_state", self.state.clone())

    @staticmethod
    def unsupported(net: "WaveNet") -> str | None:
        """Why this WaveNet cannot stream layer by layer, or None."""
        wavenet = net._net
        if wavenet._condition_dsp is not None:
            return "a condition network (condition_dsp) is not supported"
        if wavenet._head is not None:
            return "a final head is not supported"
        for array in wavenet._layer_arrays:
            if array._rechannel.kernel_size[0] != 1:
                return "an input rechannel wider than 1 sample is not supported"
            for layer in array._layers:
                if any(name.endswith("_film") for name, _ in layer.named_children()):
                    return "FiLM layers are not supported"
                for name, module in layer.named_modules():
                    wide = isinstance(module, nn.Conv1d) and module.kernel_size[0] != 1
                    if wide and module is not layer.conv:
                        return f"a {name} convolution wider than 1 sample is not supported"
        return None

    def _with_past(self, x: Tensor, index: int) -> Tensor:
        """`x` ``(1, channels, n)`` with cache `index` in front; the cache takes the newest part."""
        offset, channels, length = self.caches[index]
        if length == 0:
            return x
        cache = self.state.narrow(0, offset, channels * length).view(1, channels, length)
        full = torch.cat([cache, x], dim=2)
        cache.copy_(full[:, :, full.size(2) - length :])
        return full

    def forward(self, x: Tensor, gain: Tensor) -> Tensor:
        condition = (x * gain)[:, None, :]
        n = condition.size(2)
        y = condition
        head = condition.new_zeros(1)  # the heads' running sum; zero plus a term is exact
        index = 0
        for array in self.arrays:
            y = array._rechannel(y)
            for layer in array._layers:
                y, term = layer(self._with_past(y, index), condition, n)
                head = head + term
                index += 1
            head = array._head_rechannel(self._with_past(head, index))
            index += 1
        return (self.head_scale * head)[:, 0, :]


class LSTMStream(nn.Module):
    """NAM's LSTM, block by block: hidden and cell state carried in ``state``, starting from the
    capture's initial state, as NAM's own forward does for a whole file.

    Shape: ``(1, n), (1,) -> (1, n)``; the gain scales the input before the network.
    """

    buffer_size = LSTM_BUFFER_SIZE
    state: Tensor
    initial_state: Tensor

    def __init__(self, net: "LSTM") -> None:
        super().__init__()
        self.net = net
        with torch.no_grad():
            initial = torch.stack([net._initial_hidden, net._initial_cell])[:, :, None, :]
        self.register_buffer("state", initial.detach().clone())  # (2, layers, 1, hidden)
        self.register_buffer("initial_state", initial.detach().clone())

    def forward(self, x: Tensor, gain: Tensor) -> Tensor:
        features, (hidden, cell) = self.net._core(
            (x * gain)[:, :, None], (self.state[0], self.state[1])
        )
        self.state[0].copy_(hidden)
        self.state[1].copy_(cell)
        return self.net._apply_head(features)


NAMStream = Union[WaveNetStream, CachedWaveNetStream, LSTMStream]
"""A NAM network streamed block by block (a trace of one has the same buffers and forward)."""


def stream_nam_model(net: nn.Module) -> NAMStream:
    """The streaming module for a NAM WaveNet or LSTM (``nam.models``): a WaveNet streams layer
    by layer where its layout allows, else by recomputing its receptive field."""
    kind = type(net).__name__
    if kind == "WaveNet":
        if CachedWaveNetStream.unsupported(net) is None:
            return CachedWaveNetStream(net)
        return WaveNetStream(net)
    if kind == "LSTM":
        return LSTMStream(net)
    raise NAMCaptureError(
        f"stream_nam_model: NAM architecture {kind} is not supported; use a WaveNet or an LSTM"
    )


class NAMWrapper(WaveformToWaveformBase):
    """A NAM capture as a Neutone model: mono, at the capture's rate, with one input gain knob.

    ``model`` is a `WaveNetStream` or `LSTMStream` (or its trace): ``state`` and
    ``initial_state`` buffers and ``forward(x, gain)``. ``buffer_size``: the one native block
    size, where the trace is made and proven (default: the stream's own ``buffer_size``).
    """

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: NAMStream

    def __init__(
        self,
        model: nn.Module,
        sample_rate: int,
        name: str = "nam.capture",
        authors: List[str] | None = None,
        description: str = "A Neural Amp Modeler capture.",
        tags: List[str] | None = None,
        buffer_size: int | None = None,
    ) -> None:
        super().__init__(model)
        native: int = getattr(model, "buffer_size", WAVENET_BUFFER_SIZE)
        self.buffer_size = int(buffer_size or native)
        net = getattr(model, "net", None)
        self.architecture = type(net).__name__ if net is not None else type(model).__name__
        self.capture_rate = int(sample_rate)
        self.capture_name = name
        self.capture_authors = authors or ["unknown"]
        self.capture_description = description
        self.capture_tags = ["nam"] if tags is None else tags
        self.dc_blocker = DCBlocker(self.capture_rate, self.buffer_size)

    def get_model_name(self) -> str:
        return self.capture_name

    def get_model_authors(self) -> List[str]:
        return self.capture_authors

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return self.capture_description

    def get_model_long_description(self) -> str:
        return (
            "A Neural Amp Modeler capture of an amp or pedal, streamed sample-exactly as NAM "
            "runs it offline, then DC-blocked at 5 Hz as NAM's plugin does. Gain drives the "
            "input (0 dB in the middle)."
        )

    def get_technical_description(self) -> str:
        return (
            f"NAM {self.architecture} at {self.capture_rate} Hz in blocks of "
            f"{self.buffer_size} samples, traced and proven equal to NAM's Python model; the "
            "past carried between blocks in buffers."
        )

    def get_technical_links(self) -> Dict[str, str]:
        return {"Neural Amp Modeler": "https://github.com/sdatkinson/neural-amp-modeler"}

    def get_tags(self) -> List[str]:
        return self.capture_tags

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(
                name="gain",
                description=f"input gain, -{MAX_GAIN_DB:g} to +{MAX_GAIN_DB:g} dB",
                default_value=0.5,
                min_value=-MAX_GAIN_DB,
                max_value=MAX_GAIN_DB,
            )
        ]

    def is_input_mono(self) -> bool:
        return True

    def is_output_mono(self) -> bool:
        return True

    def get_native_sample_rates(self) -> List[int]:
        return [self.capture_rate]

    def get_native_buffer_sizes(self) -> List[int]:
        return [self.buffer_size]

    def reset_model(self) -> bool:
        self.model.state.copy_(self.model.initial_state)
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        gain = torch.pow(10.0, params["gain"] / 20.0)
        return self.dc_blocker(self.model(x, gain))


def _nam_builders() -> Dict[str, Any]:
    """NAM's constructors from a capture's `config`, by architecture (NAM 0.13's loader); one
    line naming the extra to install when ``nam`` is missing."""
    try:
        from nam.models import _from_nam
    except ImportError:
        raise NAMCaptureError(
            f"load_nam_capture: the `nam` package is not installed; pip install '{NAM_EXTRA}'"
        ) from None
    return {"WaveNet": _from_nam._init_wavenet, "LSTM": _from_nam._init_lstm}


MAX_NAM_WEIGHTS = 20_000_000
"""Most weights a capture may carry (NAM's largest standard WaveNet has about 14 000)."""

NAM_ARCHITECTURES = ("WaveNet", "LSTM")
"""The architectures this import streams."""

MAX_NAM_FILE_CHARS = 400_000_000
"""Longest `.nam` file read (20 million weights written as JSON numbers)."""


def read_nam_file(path: Union[str, Path]) -> Dict[str, Any]:
    """The parsed JSON of a ``.nam`` file (no ``nam`` needed), at most `MAX_NAM_FILE_CHARS` long
    and `MAX_JSON_DEPTH` deep, with an architecture and weights."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        if len(text) > MAX_NAM_FILE_CHARS:
            raise ValueError(f"at most {MAX_NAM_FILE_CHARS} characters, got {len(text)}")
        if json_depth(text) > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        config = json.loads(text)
    except (OSError, ValueError) as error:
        raise NAMCaptureError(f"load_nam_capture: cannot read {path}: {error}") from None
    if not isinstance(config, dict) or "architecture" not in config or "weights" not in config:
        raise NAMCaptureError(
            f"load_nam_capture: {path} is not a NAM capture (no 'architecture' and 'weights')"
        )
    return config


def check_nam_config(config: Dict[str, Any], source: str) -> None:
    """Refuse, naming the field, a capture whose form NAM would choke on: an architecture this
    import does not stream, `config` not an object, weights that are not a list of finite
    numbers, a `sample_rate` outside [1000, 96000] Hz (a realtime model's), a metadata field read
    for the model's name or tags that is not text. Sizes and the weight count are `build_nam_net`'s.
    """
    where = f"load_nam_capture: {source}"
    architecture = config["architecture"]
    if architecture not in NAM_ARCHITECTURES:
        raise NAMCaptureError(
            f"{where}: architecture must be one of {list(NAM_ARCHITECTURES)}, got {architecture!r}"
        )
    if not isinstance(config.get("config"), dict):
        kind = type(config.get("config")).__name__
        raise NAMCaptureError(f"{where}: config must be an object, got {kind}")
    weights = config["weights"]
    if not isinstance(weights, list) or len(weights) > MAX_NAM_WEIGHTS:
        size = len(weights) if isinstance(weights, list) else type(weights).__name__
        raise NAMCaptureError(
            f"{where}: weights must be a list of at most {MAX_NAM_WEIGHTS}, got {size}"
        )
    bad = next((w for w in weights if not _is_finite_number(w)), None)
    if bad is not None or any(isinstance(w, bool) for w in weights):
        raise NAMCaptureError(f"{where}: weights must be finite numbers, got {bad!r}")
    rate = config.get("sample_rate")
    if rate is not None:
        try:
            check_sample_rate(rate, "sample_rate")
        except LimitError as error:
            raise NAMCaptureError(f"{where}: {error}") from None
        if rate > MAX_REALTIME_SAMPLE_RATE:
            raise NAMCaptureError(
                f"{where}: sample_rate must be at most {MAX_REALTIME_SAMPLE_RATE} Hz for a "
                f"realtime model, got {rate!r}"
            )
    metadata = config.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise NAMCaptureError(f"{where}: metadata must be an object, got {type(metadata).__name__}")
    for key in _METADATA_READ:
        value = (metadata or {}).get(key)
        if value is not None and not isinstance(value, str):
            raise NAMCaptureError(
                f"{where}: metadata.{key} must be text, got {type(value).__name__}"
            )


_METADATA_READ = ("name", "modeled_by", "gear_make", "gear_model", "gear_type", "tone_type")


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def build_nam_net(config: Dict[str, Any], source: str) -> nn.Module:
    """NAM's model for a capture (`read_nam_file`), its form checked first (`check_nam_config`):
    built on torch's `meta` device (no memory) to refuse a layout above `MAX_NAM_WEIGHTS`
    parameters or one NAM cannot build, then for real, its weight count compared with NAM's
    before the weights are loaded. A malformed capture fails naming the field, in one line."""
    where = f"load_nam_capture: {source}"
    builders = _nam_builders()
    check_nam_config(config, source)
    build = builders[config["architecture"]]
    rate = config.get("sample_rate")
    # NAM's own code fed the file's config: any error it raises is the file's.
    try:
        with torch.device("meta"):
            shape = build(config=config["config"], sample_rate=rate)
    except Exception as error:  # noqa: BLE001
        problem = one_line(error)
        raise NAMCaptureError(f"{where}: config: NAM cannot build it ({problem})") from None
    parameters = sum(p.numel() for p in shape.parameters())
    if parameters > MAX_NAM_WEIGHTS:
        raise NAMCaptureError(
            f"{where}: config describes {parameters} parameters, at most {MAX_NAM_WEIGHTS}"
        )
    net = build(config=config["config"], sample_rate=rate)
    expected = len(net._export_weights())
    if len(config["weights"]) != expected:
        raise NAMCaptureError(
            f"{where}: weights: the config needs {expected}, the file has {len(config['weights'])}"
        )
    try:
        net.import_weights(torch.tensor(config["weights"], dtype=torch.float32))
    except Exception as error:  # noqa: BLE001  # as above: NAM's loader on the file's numbers
        problem = one_line(error)
        raise NAMCaptureError(f"{where}: weights: NAM cannot load them ({problem})") from None
    return net


def load_nam_capture(path: Union[str, Path]) -> nn.Module:
    """NAM's own model for a ``.nam`` file, checked (`check_nam_config`, `build_nam_net`) and
    loaded with NAM's own code, in eval mode."""
    config = read_nam_file(path)
    return build_nam_net(config, str(path)).eval()


def _tag(value: Any) -> str | None:
    text = re.sub(r"[^a-z0-9_]+", "_", str(value).lower()).strip("_")[:15]
    return text or None


def wrap_nam_model(
    net: nn.Module,
    config: Dict[str, Any] | None = None,
    fallback_name: str = "nam.capture",
    buffer_size: int | None = None,
) -> NAMWrapper:
    """`NAMWrapper` around a NAM model, with name, author and gear from the capture's metadata.

    Args:
        net: a NAM WaveNet or LSTM (``nam.models``).
        config: the parsed ``.nam`` file, for its ``metadata`` and ``sample_rate``.
        fallback_name: the model name when the metadata has none.
        buffer_size: the native block size (default: the stream's own, see `NAMWrapper`).
    """
    config = config or {}
    metadata = config.get("metadata") or {}
    rate = config.get("sample_rate") or getattr(net, "sample_rate", None) or DEFAULT_SAMPLE_RATE
    name = str(metadata.get("name") or fallback_name)[:30]
    author = metadata.get("modeled_by")
    gear = " ".join(str(metadata[k]) for k in ("gear_make", "gear_model") if metadata.get(k))
    kind = metadata.get("gear_type")
    what = f"{gear} ({kind})" if gear and kind else gear or (str(kind) if kind else "")
    description = (
        f"Neural Amp Modeler capture of {what}." if what else "A Neural Amp Modeler capture."
    )
    tags = ["nam"]
    for value in (kind, metadata.get("tone_type")):
        tag = _tag(value) if value else None
        if tag and tag not in tags:
            tags.append(tag)
    return NAMWrapper(
        stream_nam_model(net),
        sample_rate=round(float(rate)),
        name=name,
        authors=[str(author)] if author else None,
        description=description[:150],
        tags=tags,
        buffer_size=buffer_size,
    )


def import_nam(
    capture: Union[str, Path], out_dir: Union[str, Path], *, quiet: bool = False
) -> ValidationReport:
    """Turn a ``.nam`` capture into a checked ``.nm`` export in `out_dir` (`save_neutone_model`,
    inner model traced and proven).

    Returns:
        the validation report of the written file.

    Raises:
        NAMCaptureError: the file is not a NAM capture, NAM cannot load it, or ``nam`` is
            missing (the message names the extra to install).
    """
    config = read_nam_file(capture)
    net = build_nam_net(config, str(capture)).eval()
    wrapper = wrap_nam_model(net, config, fallback_name=Path(capture).stem)
    return save_neutone_model(wrapper, out_dir, trace=True, quiet=quiet)
