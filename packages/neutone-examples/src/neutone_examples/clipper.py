"""Clipper: the smallest complete neutone model, with no AI in it.

The idea: any ``nn.Module`` that maps audio to audio can run in the plugin once it is wrapped in a
``WaveformToWaveformBase``. Here the module is a hard clipper with three knobs:

- ``min``: how far below zero the signal may go (the negative threshold is ``-min * gain``),
- ``max``: how far above zero the signal may go (the positive threshold is ``max * gain``),
- ``gain``: scales both thresholds together.

The wrapper says what the plugin needs to know (name, authors, knobs, channel layout, native sample
rates and buffer sizes) and turns the knob values, always in [0, 1], into the model's arguments.
The clipper keeps the knobs' per-sample values (see ``aggregate_param``) so that automation moves
the thresholds smoothly inside one buffer instead of once per buffer.

To make your own model from this file: replace ``ClipperModel`` with your module, edit the metadata
getters, list your knobs in ``get_neutone_parameters`` and map them in ``do_forward_pass``.
Export it with ``neutone-examples export clipper --out exports/`` or ``save_neutone_model``.
"""

from typing import Dict, List

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase


class ClipperModel(nn.Module):
    """Hard clipper with separate negative and positive thresholds.

    Args of ``forward``: ``x`` audio, ``min_val``/``max_val`` the threshold magnitudes (linear,
    >= 0), ``gain`` a factor on both; the thresholds may be scalars or per-sample ``(n,)`` tensors.

    Shape: ``(channels, n) -> (channels, n)``; every output sample lies in
    ``[-min_val * gain, max_val * gain]``.
    """

    def forward(self, x: Tensor, min_val: Tensor, max_val: Tensor, gain: Tensor) -> Tensor:
        return torch.clamp(x, min=-min_val * gain, max=max_val * gain)


class ClipperModelWrapper(WaveformToWaveformBase):
    """The clipper, described for the plugin."""

    # Metadata: what the plugin and the model browser show.
    def get_model_name(self) -> str:
        return "clipper"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Hard clipper with adjustable thresholds."

    def get_model_long_description(self) -> str:
        return (
            "Clips the waveform between a negative and a positive threshold. Lower the thresholds "
            "for a harsher, quieter sound; automate them for gated or rhythmic distortion."
        )

    def get_technical_description(self) -> str:
        return (
            "torch.clamp between -min*gain and max*gain, with the knobs read per sample. "
            "A starting point for wrapping a PyTorch module without any learned weights."
        )

    def get_technical_links(self) -> Dict[str, str]:
        return {}

    def get_tags(self) -> List[str]:
        return ["clipper", "distortion", "example"]

    def get_citation(self) -> str:
        return ""

    def is_experimental(self) -> bool:
        return False

    # Knobs: at most four; the plugin sends each as values in [0, 1].
    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(name="min", description="negative clip threshold", default_value=0.5),
            NeutoneParameter(name="max", description="positive clip threshold", default_value=1.0),
            NeutoneParameter(name="gain", description="scales both thresholds", default_value=1.0),
        ]

    # Audio layout: stereo in, stereo out, any sample rate, any buffer size.
    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []  # a clipper has no notion of time: every rate works

    def get_native_buffer_sizes(self) -> List[int]:
        return []  # and every buffer size

    def aggregate_param(self, param: Tensor) -> Tensor:
        # Keep one value per sample (the default averages the buffer to one value).
        return param

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x, params["min"], params["max"], params["gain"])


def build_model() -> WaveformToWaveformBase:
    """The clipper, ready for ``save_neutone_model``."""
    return ClipperModelWrapper(ClipperModel())
