"""Random overdrive: a small convolutional network that was never trained.

The idea comes from "Randomized Overdrive Neural Networks" (Steinmetz and Reiss, 2020): a stack of
1-D convolutions with saturating activations, left at its random initial weights, already sounds
like a family of distortion effects. Each seed gives another character; the weights are drawn from
a generator seeded with ``SEED`` so that every export of this file sounds the same.

The convolutions are unpadded ("valid"), so each output sample depends on the last
``receptive_field - 1`` input samples. The wrapper asks the adapter for exactly that much
look-behind, which makes the streamed output identical to running the network on the whole file.
For deeper networks, cached convolutions (see ``tcn_effect``) avoid recomputing the look-behind.

A random filter also has a delay nobody chose: its impulse response peaks some samples after the
impulse, so the distorted sound lags the dry one. The network measures that lag once, at
construction, on a small impulse (where tanh is linear), and the wrapper reports it through
``calc_model_delay_samples`` so that the host lines the wet and dry signals up. With heavy drive
the saturation reshapes the response and the lag can move by a few samples.

This file also shows the full metadata a model needs when it is submitted to the public model
list: links, citation, tags and the three descriptions.

To make your own: change ``SEED``, the dilations or the activation and listen (and export again:
the validation suite checks that the reported lag is the measured one); or load trained weights
into ``RandomOverdriveNet`` and keep the wrapper.
"""

from typing import TYPE_CHECKING, Dict, List, Sequence

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase

SEED = 1234
"""Seed of the weight generator: change it for another distortion character."""


class RandomOverdriveNet(nn.Module):
    """Dilated 1-D convolutions with tanh, randomly initialised from a fixed seed.

    Args:
        channels: hidden channels per layer (>= 1).
        kernel_size: taps per convolution (>= 1).
        dilations: one dilation per hidden layer (each >= 1).
        seed: seed of the weight generator.

    Shape: ``(batch, 1, look_behind + n) -> (batch, 1, n)`` with
    ``look_behind = receptive_field - 1``; the output is in [-1, 1] (the last layer is a tanh).
    """

    def __init__(
        self,
        channels: int = 8,
        kernel_size: int = 3,
        dilations: Sequence[int] = (1, 2, 4, 8),
        seed: int = SEED,
    ) -> None:
        super().__init__()
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        if kernel_size < 1:
            raise ValueError(f"kernel_size must be >= 1, got {kernel_size}")
        if any(d < 1 for d in dilations):
            raise ValueError(f"dilations must all be >= 1, got {list(dilations)}")
        generator = torch.Generator().manual_seed(seed)
        layers: List[nn.Module] = []
        in_channels = 1
        for dilation in dilations:
            conv = nn.Conv1d(in_channels, channels, kernel_size, dilation=dilation, bias=False)
            _randomise(conv, generator)
            layers += [conv, nn.Tanh()]
            in_channels = channels
        mix = nn.Conv1d(in_channels, 1, kernel_size=1, bias=False)
        _randomise(mix, generator)
        layers += [mix, nn.Tanh()]
        self.net = nn.Sequential(*layers)
        # No biases: silence in gives silence out, and no DC offset is added.
        self.receptive_field = 1 + (kernel_size - 1) * sum(dilations)
        self.delay = self._impulse_peak()

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def _impulse_peak(self) -> int:
        """Lag, in samples, of the largest tap of the small-signal impulse response."""
        impulse = torch.zeros(1, 1, 2 * self.receptive_field - 1)
        impulse[0, 0, self.receptive_field - 1] = 1e-4  # small: every tanh works in its linear part
        with torch.no_grad():
            response = self.net(impulse)[0, 0]  # response[k]: output k samples after the impulse
        return int(response.abs().argmax())


def _randomise(conv: nn.Conv1d, generator: torch.Generator) -> None:
    """Draw the weights from N(0, 1/fan_in): each layer keeps its input's level, so tanh saturates
    only when the input is driven hard."""
    fan_in = conv.in_channels * conv.kernel_size[0]
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) / fan_in**0.5)


class OverdriveModelWrapper(WaveformToWaveformBase):
    """The random overdrive with the metadata of a submitted model."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: RandomOverdriveNet

    def get_model_name(self) -> str:
        return "conv1d-overdrive.random"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Distortion from a randomly initialised convolutional network."

    def get_model_long_description(self) -> str:
        return (
            "An overdrive whose character comes from a small neural network that was never "
            "trained: its random weights colour and saturate the sound. Turn up the drive for "
            "heavier distortion, and set the output level to taste."
        )

    def get_technical_description(self) -> str:
        return (
            "Four dilated 1-D convolutions (8 channels, kernel 3) with tanh activations and a 1x1 "
            "output layer, weights drawn from N(0, 1/fan_in) with a fixed seed. Each channel is "
            "processed on its own; the lag of the network's impulse response is reported as its "
            "delay. Based on Randomized Overdrive Neural Networks by Steinmetz and Reiss."
        )

    def get_technical_links(self) -> Dict[str, str]:
        return {
            "Paper": "https://arxiv.org/abs/2010.04237",
            "Code": "https://github.com/csteinmetz1/ronn",
        }

    def get_tags(self) -> List[str]:
        return ["distortion", "overdrive", "random", "conv1d"]

    def get_citation(self) -> str:
        return (
            "Steinmetz, C. J., & Reiss, J. D. (2020). Randomized overdrive neural networks. "
            "arXiv preprint arXiv:2010.04237."
        )

    def is_experimental(self) -> bool:
        return False

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            # The adapter maps the knob's [0, 1] to [min_value, max_value]: here decibels.
            NeutoneParameter(
                name="drive",
                description="input gain, 0 to +36 dB",
                default_value=18.0,  # dB, in the knob's units like min/max
                min_value=0.0,
                max_value=36.0,
            ),
            NeutoneParameter(name="level", description="output level", default_value=0.7),
        ]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def get_look_behind_samples(self) -> int:
        return self.model.receptive_field - 1

    def calc_model_delay_samples(self) -> int:
        return self.model.delay  # the lag of the random filter, measured at construction

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        # x: (channels, look_behind + n); the channels become the batch of the network.
        drive = torch.pow(10.0, params["drive"] / 20.0)  # dB to a linear factor
        y = self.model((x * drive).unsqueeze(1)).squeeze(1)
        return y * params["level"]


def build_model() -> WaveformToWaveformBase:
    """The random overdrive with seed ``SEED``, ready for ``save_neutone_model``."""
    return OverdriveModelWrapper(RandomOverdriveNet())
