"""Small models inside neutone-bench, so that the benchmarks run with nothing else installed.

- ``clipper`` (the default): stereo hard clipper with three knobs, any sample rate and buffer size;
  no delay of its own. It measures the adapter's overhead more than any model.
- ``smoother-48k``: mono linear-phase low-pass with a tone knob, native 48000 Hz and 2048 samples,
  so that every host setting but one exercises resampling and block queueing. It reads a
  look-behind and a look-ahead and has a delay of its own, so the latency split has all four parts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Dict, List

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_core.kaiser import kaiser_beta, kaiser_kernel


class ClipperModel(nn.Module):
    """Hard clipper between ``-low`` and ``high``.

    Shape: ``x (channels, n)``, ``low`` and ``high`` scalars or ``(n,)`` -> ``(channels, n)``.
    """

    def forward(self, x: Tensor, low: Tensor, high: Tensor) -> Tensor:
        return torch.maximum(torch.minimum(x, high), -low)


class EmbeddedClipper(WaveformToWaveformBase):
    """Stereo clipper; knobs ``min``, ``max``, ``gain``; thresholds ``-min*gain``, ``max*gain``."""

    def get_model_name(self) -> str:
        return "bench.clipper"

    def get_model_authors(self) -> List[str]:
        return ["neutone-bench"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Hard clipper used as neutone-bench's default model."

    def get_model_long_description(self) -> str:
        return "Clips the waveform between two thresholds; measures the adapter's own overhead."

    def get_technical_description(self) -> str:
        return "Per-sample thresholds -min*gain and max*gain; no state and no delay."

    def get_tags(self) -> List[str]:
        return ["clipper", "benchmark"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(name="min", description="negative clip threshold", default_value=0.5),
            NeutoneParameter(name="max", description="positive clip threshold", default_value=1.0),
            NeutoneParameter(name="gain", description="scales both thresholds", default_value=1.0),
        ]

    @torch.jit.export
    def is_input_mono(self) -> bool:
        return False

    @torch.jit.export
    def is_output_mono(self) -> bool:
        return False

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return []

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def aggregate_param(self, param: Tensor) -> Tensor:
        return param  # per-sample thresholds

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        gain = params["gain"]
        return self.model(x, params["min"] * gain, params["max"] * gain)


#: Half-length of the smoother's centred kernel (65 taps), in native samples.
SMOOTHER_HALF_TAPS = 32
#: Samples of look-ahead the smoother reads; the rest of the kernel's future becomes model delay.
SMOOTHER_LOOK_AHEAD = 16
#: The smoother's own delay in native samples: ``SMOOTHER_HALF_TAPS - SMOOTHER_LOOK_AHEAD``.
SMOOTHER_MODEL_DELAY = SMOOTHER_HALF_TAPS - SMOOTHER_LOOK_AHEAD
#: Native sample rate (Hz) and buffer size (samples) of the smoother.
SMOOTHER_SAMPLE_RATE = 48000
SMOOTHER_BUFFER_SIZE = 2048


class LinearPhaseLowpass(nn.Module):
    """Centred Kaiser-windowed-sinc low-pass at 6 kHz for 48 kHz audio (65 taps, about 60 dB).

    The kernel is symmetric, so its group delay is exactly ``SMOOTHER_HALF_TAPS`` samples; the
    convolution is "valid": it needs ``SMOOTHER_HALF_TAPS`` samples of context on each side.

    Shape: ``(channels, n) -> (channels, n - 2 * SMOOTHER_HALF_TAPS)``.
    """

    if TYPE_CHECKING:  # the buffer; TorchScript cannot read this module's string annotations
        kernel: Tensor

    def __init__(self) -> None:
        super().__init__()
        t = torch.arange(-SMOOTHER_HALF_TAPS, SMOOTHER_HALF_TAPS + 1)
        kernel = kaiser_kernel(t, 6000.0 / 48000.0, SMOOTHER_HALF_TAPS + 1.0, kaiser_beta(60.0))
        kernel = (kernel / kernel.sum()).to(torch.float32)
        self.register_buffer("kernel", kernel.view(1, 1, -1))

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.conv1d(x.unsqueeze(1), self.kernel).squeeze(1)


class EmbeddedSmoother(WaveformToWaveformBase):
    """Mono tone control: ``(1 - tone) * dry + tone * lowpass``, aligned to the same delay.

    Window per block: ``look_behind = 48``, ``native_bs = 2048``, ``look_ahead = 16`` samples. The
    output sample ``i`` is the centred low-pass at window index ``look_behind + i - 16``: a delay of
    ``SMOOTHER_MODEL_DELAY`` native samples, which the dry path gets too.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        # TorchScript reads module attributes, not Python globals.
        self.half_taps = SMOOTHER_HALF_TAPS
        self.look_ahead = SMOOTHER_LOOK_AHEAD
        self.model_delay = SMOOTHER_MODEL_DELAY
        self.native_sample_rate = SMOOTHER_SAMPLE_RATE
        self.native_buffer_size = SMOOTHER_BUFFER_SIZE

    def get_model_name(self) -> str:
        return "bench.smoother-48k"

    def get_model_authors(self) -> List[str]:
        return ["neutone-bench"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Linear-phase tone control at 48 kHz in blocks of 2048 samples."

    def get_model_long_description(self) -> str:
        return (
            "Blends the input with a 6 kHz linear-phase low-pass. Runs only at 48 kHz in blocks of "
            "2048 samples, so hosts at other settings exercise resampling and queueing."
        )

    def get_technical_description(self) -> str:
        return (
            "65-tap Kaiser-windowed sinc, centred; 48 samples of look-behind, 16 of look-ahead and "
            "16 of model delay at 48 kHz."
        )

    def get_tags(self) -> List[str]:
        return ["filter", "benchmark"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(name="tone", description="0 dry, 1 low-passed", default_value=0.5),
        ]

    @torch.jit.export
    def is_input_mono(self) -> bool:
        return True

    @torch.jit.export
    def is_output_mono(self) -> bool:
        return True

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return [self.native_sample_rate]

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return [self.native_buffer_size]

    @torch.jit.export
    def get_look_behind_samples(self) -> int:
        return self.half_taps + self.model_delay

    @torch.jit.export
    def get_look_ahead_samples(self) -> int:
        return self.look_ahead

    @torch.jit.export
    def calc_model_delay_samples(self) -> int:
        return self.model_delay

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        wet = self.model(x)
        start = self.half_taps  # window index of the first output: look-behind - model delay
        dry = x[:, start : start + wet.size(1)]
        tone = params["tone"]
        return (1.0 - tone) * dry + tone * wet


def build_clipper() -> WaveformToWaveformBase:
    """The default model: a stereo clipper with three knobs."""
    return EmbeddedClipper(ClipperModel())


def build_smoother() -> WaveformToWaveformBase:
    """A mono model with native 48000 Hz / 2048 samples, look-behind, look-ahead and delay."""
    return EmbeddedSmoother(LinearPhaseLowpass())


#: Embedded models by name; ``clipper`` is the default.
EMBEDDED_MODELS: dict[str, Callable[[], WaveformToWaveformBase]] = {
    "clipper": build_clipper,
    "smoother-48k": build_smoother,
}
DEFAULT_MODEL = "clipper"
