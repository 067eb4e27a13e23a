"""A clipper with sample-level knobs, written for the Neutone SDK 1.5.

Mirrors the SDK's example examples/neutone_fx/example_clipper.py: the same API use (SDK knob
signatures, the ``aggregate_params`` hook returning all knobs as ``(4, n)``, a model that writes
into its input and its knob tensors, ``save_neutone_model(dump_samples=True, submission=True)``).
neutone_examples.ported.clipper is this file with only its imports changed by
``neutone-export port``.
"""

# The imports keep the SDK script's order: porting renames their modules only.
# ruff: noqa: I001, RUF100

import pathlib
from argparse import ArgumentParser
from typing import Dict, List

import torch as tr
import torch.nn as nn
from neutone_sdk import ContinuousNeutoneParameter, NeutoneParameter, WaveformToWaveformBase
from neutone_sdk.utils import save_neutone_model
from torch import Tensor


class ClipperModel(nn.Module):
    def forward(self, x: Tensor, min_val: Tensor, max_val: Tensor, gain: Tensor) -> Tensor:
        # In place, as the SDK example does: the thresholds and the audio are overwritten.
        tr.neg(min_val, out=min_val)
        tr.mul(gain, min_val, out=min_val)
        tr.mul(gain, max_val, out=max_val)
        tr.clip(x, min=min_val, max=max_val, out=x)
        return x


class ClipperModelWrapper(WaveformToWaveformBase):
    def get_model_name(self) -> str:
        return "clipper"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_short_description(self) -> str:
        return "Audio clipper."

    def get_model_long_description(self) -> str:
        return "Clips the audio between a lower and an upper threshold, scaled by a gain."

    def get_technical_description(self) -> str:
        return "Sample-level thresholds: every knob arrives at audio rate."

    def get_technical_links(self) -> Dict[str, str]:
        return {}

    def get_tags(self) -> List[str]:
        return ["clipper"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return False

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            ContinuousNeutoneParameter("min", "lower clip threshold", default_value=0.15),
            ContinuousNeutoneParameter("max", "upper clip threshold", default_value=0.15),
            ContinuousNeutoneParameter("gain", "scales both thresholds", default_value=1.0),
        ]

    @tr.jit.export
    def is_input_mono(self) -> bool:
        return False

    @tr.jit.export
    def is_output_mono(self) -> bool:
        return False

    @tr.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return []  # any sample rate

    @tr.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return []  # any buffer size

    def aggregate_params(self, params: Tensor) -> Tensor:
        return params  # sample-level control: no aggregation

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model.forward(x, params["min"], params["max"], params["gain"])


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("-o", "--output", default="export_model")
    args = parser.parse_args()
    wrapper = ClipperModelWrapper(ClipperModel())
    save_neutone_model(wrapper, pathlib.Path(args.output), dump_samples=True, submission=True)
