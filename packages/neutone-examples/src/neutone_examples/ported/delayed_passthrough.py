"""A model that delays its input by a fixed number of samples, written for the Neutone SDK 1.5.

Mirrors the SDK's example examples/neutone_fx/example_delayed_passthrough.py: a fixed native
rate and buffer size, a model delay reported by ``calc_model_delay_samples`` and a 50/50 dry/wet
default, so a host that compensates the delay plays the dry and wet signals in phase.
neutone_examples.ported.delayed_passthrough is this file with only its imports changed by
``neutone-export port``.
"""

# The imports keep the SDK script's order: porting renames their modules only.
# ruff: noqa: I001, RUF100

import pathlib
from argparse import ArgumentParser
from typing import Dict, List

import torch as tr
import torch.nn as nn
from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import save_neutone_model
from torch import Tensor


class DelayedPassthroughModel(nn.Module):
    def __init__(self, delay_n_samples: int, in_ch: int = 2) -> None:
        super().__init__()
        self.delay_n_samples = delay_n_samples
        self.delay_buf = tr.zeros((in_ch, delay_n_samples))

    def forward(self, x: Tensor) -> Tensor:
        joined = tr.cat([self.delay_buf, x], dim=-1)
        self.delay_buf[:, :] = joined[:, -self.delay_n_samples :]
        return joined[:, : -self.delay_n_samples]


class DelayedPassthroughModelWrapper(WaveformToWaveformBase):
    def get_model_name(self) -> str:
        return "delayed.passthrough"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_short_description(self) -> str:
        return "Delays the audio."

    def get_model_long_description(self) -> str:
        return "Delays the audio by a fixed number of samples; try it at 50/50 dry/wet."

    def get_technical_description(self) -> str:
        return "A FIFO of delay_n_samples samples per channel."

    def get_technical_links(self) -> Dict[str, str]:
        return {}

    def get_tags(self) -> List[str]:
        return []

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return True

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return []

    @tr.jit.export
    def is_input_mono(self) -> bool:
        return False

    @tr.jit.export
    def is_output_mono(self) -> bool:
        return False

    @tr.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return [44100]

    @tr.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return [2048]

    @tr.jit.export
    def reset_model(self) -> bool:
        self.model.delay_buf.fill_(0)
        return True

    @tr.jit.export
    def calc_model_delay_samples(self) -> int:
        return self.model.delay_n_samples

    @tr.jit.export
    def get_wet_default_value(self) -> float:
        return 0.5

    @tr.jit.export
    def get_dry_default_value(self) -> float:
        return 0.5

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model.forward(x)


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("-o", "--output", default="export_model")
    args = parser.parse_args()
    wrapper = DelayedPassthroughModelWrapper(DelayedPassthroughModel(delay_n_samples=500))
    save_neutone_model(wrapper, pathlib.Path(args.output), dump_samples=True, submission=True)
