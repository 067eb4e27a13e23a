"""TCN effect: a temporal convolutional network that streams with cached convolutions.

The idea: TCNs (stacks of dilated 1-D convolutions with residual connections, as in micro-TCN) are
a common architecture for learning audio effects. Trained offline on whole files, they see
context that a stream does not have yet. ``neutone_filters``' cached convolutions keep the last
``dilation * (kernel_size - 1)`` input samples of every layer between calls, so buffer-by-buffer
output equals the offline output with no look-behind to recompute.

The layers here use ``padding="same"``, as an offline model often does: each layer then also
looks ``dilation`` samples into the future. Streaming cannot see the future, so every layer's
output comes that many samples late; the network sums its layers' delays in
``get_delay_samples()`` and the wrapper reports the total through ``calc_model_delay_samples``.
With ``padding="causal"`` the delay would be 0.

The weights are random (a fixed seed, as in ``overdrive_random``), scaled so that each block adds
a gentle, colouring distortion to the dry signal carried by the residual connections. Swap them
for trained weights: ``CachedConv1d`` subclasses ``nn.Conv1d``, so an offline model's
``state_dict`` loads as it is.

To make your own: change ``CHANNELS``, ``KERNEL_SIZE`` or ``DILATIONS`` (the receptive field is
``1 + (KERNEL_SIZE - 1) * sum(DILATIONS)``), load your trained weights, keep the wrapper.
"""

from typing import TYPE_CHECKING, Dict, List, Sequence

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_filters import CachedConv1d, TCNBlock

CHANNELS = 16
KERNEL_SIZE = 3
DILATIONS = [1, 2, 4, 8, 16, 32]
SEED = 7
"""Seed of the random weights."""
BLOCK_GAIN = 0.3
"""Scale of each block's random weights relative to N(0, 1/fan_in): small keeps the dry path
dominant, large makes the effect wilder."""


class TCNEffect(nn.Module):
    """Input projection, residual `TCNBlock` layers with tanh, output projection, all streaming.

    Shape: ``(batch, 1, n) -> (batch, 1, n)``, delayed by ``get_delay_samples()`` samples.
    """

    def __init__(
        self,
        channels: int = CHANNELS,
        kernel_size: int = KERNEL_SIZE,
        dilations: List[int] = DILATIONS,
        seed: int = SEED,
    ) -> None:
        super().__init__()
        self.expand = CachedConv1d(1, channels, 1, bias=False)
        # tanh, not the default LeakyReLU: without biases a piecewise-linear network scales with
        # its input, and the drive knob would change only the volume.
        blocks = [
            TCNBlock(channels, kernel_size, dilation, padding="same", activation=nn.Tanh())
            for dilation in dilations
        ]
        if TYPE_CHECKING:  # torch types a ModuleList's items as bare Modules
            self.blocks: Sequence[TCNBlock] = blocks
        else:  # the ModuleList registers them, and TorchScript unrolls loops over it
            self.blocks = nn.ModuleList(blocks)
        self.project = CachedConv1d(channels, 1, 1, bias=False)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            # Unit expansion and its transpose as projection: with the blocks silent, the network
            # would be the identity; the random blocks add their colour on top.
            direction = torch.randn(channels, 1, 1, generator=generator)
            direction /= direction.norm()
            self.expand.weight.copy_(direction)
            self.project.weight.copy_(direction.transpose(0, 1))
            for name, weight in (item for block in blocks for item in block.named_parameters()):
                if name.endswith("weight"):
                    fan_in = weight.shape[1] * weight.shape[2]
                    noise = torch.randn(weight.shape, generator=generator)
                    weight.copy_(noise * BLOCK_GAIN / fan_in**0.5)
                else:
                    weight.zero_()  # no biases: silence in, silence out

    def forward(self, x: Tensor) -> Tensor:
        h = self.expand(x)
        for block in self.blocks:
            h = block(h)
        return self.project(h)

    def get_delay_samples(self) -> int:
        # Each block delays by its look-ahead (its residual path is delayed to match); the 1x1
        # projections add nothing.
        total = 0
        for block in self.blocks:
            total += block.get_delay_samples()
        return total

    def reset(self) -> None:
        self.expand.reset()
        for block in self.blocks:
            block.reset()
        self.project.reset()


class TCNEffectWrapper(WaveformToWaveformBase):
    """The TCN, with drive and output level knobs and its delay reported."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: TCNEffect

    def get_model_name(self) -> str:
        return "tcn.random"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Temporal convolutional network effect, streamed with cached convolutions."

    def get_model_long_description(self) -> str:
        return (
            "A small untrained temporal convolutional network that colours and distorts the sound. "
            "Drive pushes it into its nonlinear range; level sets the output volume."
        )

    def get_technical_description(self) -> str:
        return (
            "Six residual blocks of dilated convolutions (16 channels, kernel 3, dilations 1 to "
            "32, tanh), 'same' padding made streamable by cached convolutions; reports the "
            "63 samples of look-ahead that padding implies as model delay. Random weights, seed 7."
        )

    def get_technical_links(self) -> Dict[str, str]:
        return {
            "micro-TCN": "https://github.com/csteinmetz1/micro-tcn",
            "Paper": "https://arxiv.org/abs/2102.06200",
        }

    def get_tags(self) -> List[str]:
        return ["tcn", "distortion", "example"]

    def get_citation(self) -> str:
        return (
            "Steinmetz, C. J., & Reiss, J. D. (2021). Efficient neural networks for real-time "
            "modeling of analog dynamic range compression. arXiv preprint arXiv:2102.06200."
        )

    def is_experimental(self) -> bool:
        return True

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(
                name="drive",
                description="input gain, -12 to +24 dB",
                default_value=0.0,  # dB, in the knob's units like min/max
                min_value=-12.0,  # the adapter maps the knob's [0, 1] to decibels
                max_value=24.0,
            ),
            NeutoneParameter(
                name="level",
                description="output gain, -24 to +6 dB",
                default_value=0.0,
                min_value=-24.0,
                max_value=6.0,
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

    def calc_model_delay_samples(self) -> int:
        return self.model.get_delay_samples()

    def reset_model(self) -> bool:
        self.model.reset()  # clear every layer's cache
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        # x: (channels, n); the channels become the batch of the network.
        drive = torch.pow(10.0, params["drive"] / 20.0)
        level = torch.pow(10.0, params["level"] / 20.0)
        return self.model((x * drive).unsqueeze(1)).squeeze(1) * level


def build_model() -> WaveformToWaveformBase:
    """The TCN effect with seed ``SEED``, ready for ``save_neutone_model``."""
    return TCNEffectWrapper(TCNEffect())
