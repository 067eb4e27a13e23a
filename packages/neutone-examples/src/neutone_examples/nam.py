"""Neural Amp Modeler: NAM's own WaveNet and LSTM, exported through the trace fallback.

The idea: thousands of amp and pedal captures are shared as ``.nam`` files, and NAM's WaveNet
cannot be compiled by TorchScript (its layers define functions inside ``forward``). The adapter
calls the inner model with one block shape per native setting, so the inner model is traced at that
shape instead, and the export proves the trace equal to NAM's Python model, block after block
(``save_neutone_model(..., trace=True)``).

``neutone_export.nam`` makes NAM's networks stream, their past kept in buffers updated in place
(which a trace keeps): NAM's WaveNet layers keep no past of their own, so each of NAM's layer
modules gets its cached past in front of every 128-sample block (a block costs what its own
samples cost; delay 127 samples, 2.6 ms at 48 kHz); the LSTM carries its hidden and cell state,
in blocks of 32 samples.

The weights here are random (seeded), in NAM's standard WaveNet layout (two layer arrays, 16 and 8
channels, dilations 1 to 512, receptive field 4093 samples), or come from a capture:
``build_wrapper("wavenet", "my_amp.nam")`` loads it with NAM's own loader. Needs the ``nam`` extra
(``pip install 'neutone-examples[nam]'``), imported only when a model is built.
"""

from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

import torch
from torch import nn

from neutone_core import WaveformToWaveformBase
from neutone_export.files.tracing import trace_inner_model
from neutone_export.nam.capture import (
    NAMCaptureError,
    load_nam_capture,
    read_nam_file,
    wrap_nam_model,
)

NAM_EXTRA = "neutone-examples[nam]"
"""What to install for these examples: ``pip install 'neutone-examples[nam]'``."""
SEED = 3
"""Seed of the random weights."""
SAMPLE_RATE = 48000
"""NAM's standard rate; a capture keeps its own."""
DILATIONS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
"""Dilations of each of the WaveNet's two layer arrays (NAM's standard)."""
CHANNELS = (16, 8)
"""Channels of the two layer arrays (NAM's standard)."""
LSTM_HIDDEN_SIZE = 16


def _layer_array(
    input_size: int, channels: int, head_size: int, head_bias: bool, dilations: List[int]
) -> Dict:
    return {
        "input_size": input_size,
        "condition_size": 1,
        "channels": channels,
        "kernel_size": 3,
        "dilations": dilations,
        "activation": "Tanh",
        "head": {"out_channels": head_size, "kernel_size": 1, "bias": head_bias},
    }


def wavenet_config(
    channels: Tuple[int, int] = CHANNELS, dilations: List[int] = DILATIONS
) -> Dict[str, Any]:
    """NAM's two-array WaveNet layout, its standard by default, for ``WaveNet.init_from_config``."""
    first, second = channels
    return {
        "layers_configs": [
            _layer_array(1, first, second, False, dilations),
            _layer_array(first, second, 1, True, dilations),
        ],
        "head": None,
        "head_scale": 0.02,
        "sample_rate": SAMPLE_RATE,
    }


def build_nam_net(architecture: str = "wavenet", seed: int = SEED) -> nn.Module:
    """NAM's own network with random weights: ``"wavenet"`` or ``"lstm"``, in eval mode."""
    try:
        from nam.models import LSTM, WaveNet  # the optional extra; a slow import
    except ImportError:
        raise NAMCaptureError(
            f"build_nam_net: the `nam` package is not installed; pip install '{NAM_EXTRA}'"
        ) from None

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        if architecture == "wavenet":
            net = WaveNet.init_from_config(wavenet_config())
        elif architecture == "lstm":
            net = LSTM(hidden_size=LSTM_HIDDEN_SIZE, sample_rate=SAMPLE_RATE)
        else:
            raise ValueError(f"architecture: 'wavenet' or 'lstm', got {architecture!r}")
    return net.eval()


def build_wrapper(
    architecture: str = "wavenet", capture: Union[str, Path, None] = None
) -> WaveformToWaveformBase:
    """The NAM model wrapped for Neutone, not traced yet: save it with ``trace=True``.

    Args:
        architecture: ``"wavenet"`` or ``"lstm"`` for random weights; ignored with `capture`.
        capture: a ``.nam`` file to load instead (its metadata names the model).
    """
    if capture is not None:
        config = read_nam_file(capture)
        return wrap_nam_model(load_nam_capture(capture), config, Path(capture).stem)
    net = build_nam_net(architecture)
    metadata = {"name": f"nam.{architecture}.random", "modeled_by": "neutone examples"}
    wrapper = wrap_nam_model(net, {"metadata": metadata, "sample_rate": SAMPLE_RATE})
    wrapper.capture_tags = ["nam", "example"]
    return wrapper


def _traced(wrapper: WaveformToWaveformBase) -> WaveformToWaveformBase:
    """The wrapper with its inner model traced and proven, so that any tool can script it."""
    trace_inner_model(wrapper)
    return wrapper


def build_model() -> WaveformToWaveformBase:
    """The random NAM WaveNet, traced and proven, ready for ``save_neutone_model``."""
    return _traced(build_wrapper("wavenet"))


def build_lstm_model() -> WaveformToWaveformBase:
    """The random NAM LSTM, traced and proven, ready for ``save_neutone_model``."""
    return _traced(build_wrapper("lstm"))
