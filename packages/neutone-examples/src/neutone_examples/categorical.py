"""Categorical knob: a waveshaper whose curve is picked from a list.

The idea: not every control is a continuous amount. A ``CategoricalNeutoneParameter`` shows the
plugin a knob with ``n_values`` labelled positions; the adapter turns the knob's [0, 1] value into
the selected index, ``round(v * (n_values - 1))``, and the model receives that index as a float.

The effect is a waveshaper: the input, scaled by ``drive``, goes through one of four curves,

- ``tanh``: smooth saturation,
- ``hard clip``: ``clamp(x, -1, 1)``,
- ``sine fold``: ``sin(pi/2 * x)``, which folds loud peaks back down,
- ``cubic``: ``1.5 x - 0.5 x^3`` inside [-1, 1], flat outside (a gentle soft clip).

To make your own: list your options in ``SHAPES`` (2 to 20 labels of at most 20 characters) and
branch on the index in ``forward``. TorchScript compiles each branch; only the selected one runs.
`torch.export` (the pt2 package) cannot branch on a knob's value: under export the wrapper calls
``forward_selected``, which computes every curve and selects one with ``torch.where``.
"""

import math
from typing import TYPE_CHECKING, Dict, List, Union

import torch
from torch import Tensor, nn

from neutone_core import CategoricalNeutoneParameter, NeutoneParameter, WaveformToWaveformBase

SHAPES = ["tanh", "hard clip", "sine fold", "cubic"]
"""The labels the plugin shows, in index order."""


class Waveshaper(nn.Module):
    """Static waveshaper with four curves.

    Args of ``forward``: ``x`` audio; ``shape`` the index into ``SHAPES``; ``drive`` a linear
    input gain, > 0.

    Shape: ``(channels, n) -> (channels, n)``; the output is in [-1, 1].
    """

    def forward(self, x: Tensor, shape: int, drive: Tensor) -> Tensor:
        x = x * drive
        if shape == 0:
            return torch.tanh(x)
        if shape == 1:
            return torch.clamp(x, -1.0, 1.0)
        if shape == 2:
            return torch.sin(0.5 * math.pi * x)
        x = torch.clamp(x, -1.0, 1.0)
        return 1.5 * x - 0.5 * x * x * x

    def forward_selected(self, x: Tensor, shape: Tensor, drive: Tensor) -> Tensor:
        """`forward` with the index as a tensor: every curve is computed and the index selects
        one, since `torch.export` cannot branch on a knob's value."""
        x = x * drive
        clipped = torch.clamp(x, -1.0, 1.0)
        cubic = 1.5 * clipped - 0.5 * clipped * clipped * clipped
        folded = torch.where(shape == 2, torch.sin(0.5 * math.pi * x), cubic)
        return torch.where(shape == 0, torch.tanh(x), torch.where(shape == 1, clipped, folded))


class WaveshaperWrapper(WaveformToWaveformBase):
    """The waveshaper, with a categorical knob choosing the curve."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: Waveshaper

    def get_model_name(self) -> str:
        return "categorical.waveshaper"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Waveshaper with a selector for its transfer curve."

    def get_model_long_description(self) -> str:
        return (
            "Distorts the sound through one of four curves: smooth tanh saturation, hard "
            "clipping, sine wavefolding or a cubic soft clip. Drive sets how hard the curve is hit."
        )

    def get_technical_description(self) -> str:
        return (
            "A categorical knob (4 labelled values) selects the curve; the model receives the "
            "index. Drive is 0 to +30 dB of input gain."
        )

    def get_tags(self) -> List[str]:
        return ["waveshaper", "distortion", "example"]

    def get_neutone_parameters(self) -> List[Union[CategoricalNeutoneParameter, NeutoneParameter]]:
        return [
            CategoricalNeutoneParameter(
                name="shape",
                description="transfer curve",
                n_values=len(SHAPES),
                default_value=0,
                labels=SHAPES,
            ),
            NeutoneParameter(
                name="drive",
                description="input gain, 0 to +30 dB",
                default_value=9.0,  # dB, in the knob's units like min/max
                min_value=0.0,
                max_value=30.0,
            ),
        ]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        # A categorical knob arrives as its index (a float, already rounded by the adapter).
        drive = torch.pow(10.0, params["drive"] / 20.0)
        # Nested: TorchScript drops only a whole `if not is_scripting()` block, not an `and`.
        if not torch.jit.is_scripting():  # noqa: SIM102
            if torch.compiler.is_exporting():  # no Python branch on the knob's value
                return self.model.forward_selected(x, params["shape"], drive)
        shape = int(params["shape"].item())
        return self.model(x, shape, drive)


def build_model() -> WaveformToWaveformBase:
    """The waveshaper, ready for ``save_neutone_model``."""
    return WaveshaperWrapper(Waveshaper())
