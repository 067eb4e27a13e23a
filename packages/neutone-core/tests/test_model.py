"""`WaveformToWaveformBase` answers the Neutone SDK 1.5 wrapper's calls a ported script makes."""

from typing import List

import torch
from torch import nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_core.metadata import PARAMETER_SLOTS


class Ported(WaveformToWaveformBase):
    def get_model_name(self) -> str:
        return "ported"

    def get_model_authors(self) -> List[str]:
        return ["tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "a model written for the Neutone SDK"

    def get_neutone_parameters(self) -> list:
        return [NeutoneParameter("gain", "output gain", 1.0, 0.0, 4.0)]

    def is_input_mono(self) -> bool:
        return True

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [512]


def test_debug_mode_is_accepted_and_prepare_for_inference_turns_it_off():
    net = nn.Dropout(0.5)
    wrapper = Ported(net, use_debug_mode=True)
    assert wrapper.use_debug_mode and net.training
    wrapper.prepare_for_inference()
    assert not wrapper.use_debug_mode
    assert not net.training and not wrapper.training


def test_metadata_from_the_wrapper_itself():
    wrapper = Ported(nn.Identity())
    metadata = wrapper.to_metadata()
    assert metadata["model_name"] == "ported"
    assert metadata["model_type"] == "mono-stereo"
    assert metadata["native_buffer_sizes"] == [512]
    knobs = wrapper.get_neutone_parameters_metadata()
    assert list(knobs) == list(PARAMETER_SLOTS)
    assert knobs["p1"]["name"] == "gain" and knobs["p1"]["max_value"] == 4.0
    assert knobs == metadata["neutone_parameters"]
    assert knobs["p2"]["used"] is False


def test_default_aggregate_params_is_the_block_mean_of_every_row():
    params = torch.rand(4, 16, generator=torch.Generator().manual_seed(0))
    out = Ported(nn.Identity()).aggregate_params(params)
    assert out.shape == (4, 1)
    assert torch.allclose(out[:, 0], params.mean(dim=1))
