"""Native rate: a model that runs only at 32 kHz, in blocks of 512 samples.

The idea: many models are trained at one sample rate and run on fixed-size blocks.
``get_native_sample_rates() -> [32000]`` and ``get_native_buffer_sizes() -> [512]`` tell the
adapter so; it then converts the host's audio to 32 kHz, queues it into blocks of exactly 512,
and converts the result back. ``do_forward_pass`` always sees ``(channels, 512)`` at 32 kHz,
whatever the host does (44.1 kHz and 64 samples, 48 kHz and 1000, ...). The conversion and the
queue cost delay, which the adapter computes and reports to the host
(``get_delay_breakdown()``: ``buffering`` and ``resampling``).

The effect is a ring modulator: the input times a sine carrier of 20 Hz to 2 kHz. The carrier is
computed at the native rate from a phase kept between blocks, so its frequency in Hz is exact only
if the model really runs at 32 kHz; that makes it a good probe of the adapter.

To make your own: put your model's training rate and block size in the two getters; the model
never needs to know the host's settings.
"""

import math
from typing import TYPE_CHECKING, Dict, List

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase

NATIVE_SAMPLE_RATE = 32000
"""The only sample rate the model runs at, in Hz."""
NATIVE_BUFFER_SIZE = 512
"""The only block size the model runs on, in samples."""


class RingModulator(nn.Module):
    """Multiplies the input by a sine whose phase continues from block to block.

    Args of ``forward``: ``x`` audio at ``sample_rate``; ``frequency`` the carrier in Hz
    (``0 < frequency < sample_rate / 2``); ``mix`` in [0, 1], from dry to fully modulated.

    Shape: ``(channels, n) -> (channels, n)``.
    """

    phase: Tensor

    def __init__(self, sample_rate: int = NATIVE_SAMPLE_RATE) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        # Phase in cycles, float64 so that it stays exact over hours of audio.
        self.register_buffer("phase", torch.zeros(1, dtype=torch.float64))

    def forward(self, x: Tensor, frequency: Tensor, mix: Tensor) -> Tensor:
        n = x.size(1)
        step = frequency.to(torch.float64) / self.sample_rate  # cycles per sample
        t = torch.arange(n, dtype=torch.float64)
        cycles = self.phase + step * t
        carrier = torch.sin(2.0 * math.pi * torch.frac(cycles)).to(x.dtype)
        self.phase.copy_(torch.frac(self.phase + step * n))
        return (1.0 - mix) * x + mix * x * carrier

    def reset(self) -> None:
        self.phase.zero_()


class RingModWrapper(WaveformToWaveformBase):
    """The ring modulator, pinned to 32 kHz and 512-sample blocks."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: RingModulator

    def get_model_name(self) -> str:
        return "native-rate.ringmod"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Ring modulator that runs at 32 kHz in blocks of 512 samples."

    def get_model_long_description(self) -> str:
        return (
            "Multiplies the sound by a sine wave: low carrier frequencies give tremolo, higher "
            "ones metallic, bell-like tones. Mix blends the modulated sound with the input."
        )

    def get_technical_description(self) -> str:
        return (
            "Native sample rate 32000 Hz and buffer size 512: the adapter resamples and queues "
            "the host's audio. Carrier 20 Hz to 2 kHz on an exponential scale, phase kept in "
            "float64 across blocks."
        )

    def get_technical_links(self) -> Dict[str, str]:
        return {"Ring modulation": "https://en.wikipedia.org/wiki/Ring_modulation"}

    def get_tags(self) -> List[str]:
        return ["ring mod", "modulation", "example"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            # The adapter maps the knob linearly to [min_value, max_value]; an octave scale
            # (log2 of the frequency) makes the knob feel even from 20 Hz to 2 kHz.
            NeutoneParameter(
                name="frequency",
                description="carrier, 20 Hz to 2 kHz",
                default_value=math.log2(200.0),  # in the knob's units (octaves): 200 Hz
                min_value=math.log2(20.0),
                max_value=math.log2(2000.0),
            ),
            NeutoneParameter(name="mix", description="dry to modulated", default_value=0.5),
        ]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return [NATIVE_SAMPLE_RATE]

    def get_native_buffer_sizes(self) -> List[int]:
        return [NATIVE_BUFFER_SIZE]

    def reset_model(self) -> bool:
        self.model.reset()
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        frequency = torch.pow(2.0, params["frequency"])  # octaves to Hz
        return self.model(x, frequency, params["mix"])


def build_model() -> WaveformToWaveformBase:
    """The 32 kHz ring modulator, ready for ``save_neutone_model``."""
    return RingModWrapper(RingModulator())
