"""A clipper behind a FIR low-pass pre-filter, written for the Neutone SDK 1.5.

Mirrors the SDK's example examples/neutone_fx/example_clipper_prefilter.py: the filter is the
SDK's ``FIRFilter(FilterType.LOWPASS, cutoffs=[...], filt_size=257)``, redesigned at the model's
sample rate in ``set_model_sample_rate_and_buffer_size`` and reporting ``pre_filter.delay``.
neutone_examples.ported.clipper_prefilter is this file with only its imports changed by
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
from neutone_sdk.filters import FilterType, FIRFilter
from neutone_sdk.utils import save_neutone_model
from torch import Tensor


class ClipperModel(nn.Module):
    def forward(self, x: Tensor, min_val: Tensor, max_val: Tensor, gain: Tensor) -> Tensor:
        tr.neg(min_val, out=min_val)
        tr.mul(gain, min_val, out=min_val)
        tr.mul(gain, max_val, out=max_val)
        tr.clip(x, min=min_val, max=max_val, out=x)
        return x


class ClipperModelWrapper(WaveformToWaveformBase):
    def __init__(self, model: nn.Module, use_debug_mode: bool = True) -> None:
        super().__init__(model, use_debug_mode)
        self.pre_filter = FIRFilter(FilterType.LOWPASS, cutoffs=[1000.0], filt_size=257)

    def get_model_name(self) -> str:
        return "clipper.prefilter"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_short_description(self) -> str:
        return "Low-pass filter, then clipper."

    def get_model_long_description(self) -> str:
        return "Low-passes the audio at 1 kHz, then clips it between two thresholds."

    def get_technical_description(self) -> str:
        return "257-tap FIR low-pass redesigned at the model's sample rate, then a clipper."

    def get_technical_links(self) -> Dict[str, str]:
        return {}

    def get_tags(self) -> List[str]:
        return ["clipper", "filter"]

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

    def calc_model_delay_samples(self) -> int:
        return self.pre_filter.delay

    def set_model_sample_rate_and_buffer_size(self, sample_rate: int, n_samples: int) -> bool:
        self.pre_filter.set_parameters(sample_rate=sample_rate)
        return True

    @tr.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return []

    @tr.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def aggregate_params(self, params: Tensor) -> Tensor:
        return params

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        x = self.pre_filter(x)
        return self.model.forward(x, params["min"], params["max"], params["gain"])


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("-o", "--output", default="export_model")
    args = parser.parse_args()
    wrapper = ClipperModelWrapper(ClipperModel())
    save_neutone_model(wrapper, pathlib.Path(args.output), dump_samples=True, submission=True)
