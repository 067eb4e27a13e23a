"""A RAVE wrapper behind a FIR band-pass pre-filter, written for the Neutone SDK 1.5.

Mirrors the SDK's example examples/example_rave_prefilter.py: ``FIRFilter(FilterType.BANDPASS,
cutoffs=[500.0, 4000.0], filt_size=257)`` redesigned at the model's rate and its ``delay``
reported; the knobs edit the latent code from ``encode`` (noise scaled by the knob alone).
"""

from argparse import ArgumentParser
from pathlib import Path
from typing import Dict, List

import torch
import torchaudio
from neutone_sdk import NeutoneParameter, WaveformToWaveformBase
from neutone_sdk.audio import AudioSample, AudioSamplePair, render_audio_sample
from neutone_sdk.filters import FilterType, FIRFilter
from neutone_sdk.utils import save_neutone_model
from torch import Tensor, nn


class FilteredRAVEModelWrapper(WaveformToWaveformBase):
    def __init__(self, model: nn.Module, use_debug_mode: bool = True) -> None:
        super().__init__(model, use_debug_mode)
        self.pre_filter = FIRFilter(FilterType.BANDPASS, cutoffs=[500.0, 4000.0], filt_size=257)

    def get_model_name(self) -> str:
        return "RAVE.prefilter"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_short_description(self) -> str:
        return "Band-passed RAVE timbre transfer."

    def get_model_long_description(self) -> str:
        return "Timbre transfer with RAVE, fed only 500 Hz to 4 kHz."

    def get_technical_description(self) -> str:
        return "RAVE model proposed by Caillon and Esling, behind a FIR band-pass."

    def get_technical_links(self) -> Dict[str, str]:
        return {"Paper": "https://arxiv.org/abs/2111.05011"}

    def get_tags(self) -> List[str]:
        return ["timbre transfer", "RAVE"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return True

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(name="Chaos", description="latent noise", default_value=0.0),
            NeutoneParameter(name="Z edit index", description="latent to edit", default_value=0.0),
            NeutoneParameter(name="Z scale", description="latent scale", default_value=0.5),
            NeutoneParameter(name="Z offset", description="latent offset", default_value=0.5),
        ]

    def is_input_mono(self) -> bool:
        return True

    def is_output_mono(self) -> bool:
        return True

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [2048]

    def calc_model_delay_samples(self) -> int:
        return self.pre_filter.delay

    def set_model_sample_rate_and_buffer_size(self, sample_rate: int, n_samples: int) -> bool:
        self.pre_filter.set_parameters(sample_rate=sample_rate)
        return True

    def get_citation(self) -> str:
        return "Caillon, A., & Esling, P. (2021). RAVE. arXiv:2111.05011."

    @torch.no_grad()
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        x = self.pre_filter(x)
        z = self.model.encode(x.unsqueeze(1))
        z = torch.randn_like(z) * params["Chaos"] * 2 + z
        index = int(torch.clamp(params["Z edit index"], min=0.0, max=0.99) * self.model.latent_size)
        z[:, index] = z[:, index] * params["Z scale"] * 2 + (params["Z offset"] * 2 - 1)
        return self.model.decode(z).squeeze(1)


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("-i", "--input", default="./models/rave/rave_cached.ts")
    parser.add_argument("-o", "--output", default="ravemodel")
    parser.add_argument("-f", "--folder", default="./exports")
    parser.add_argument("-s", "--sounds", nargs="*", type=str, default=None)
    args = parser.parse_args()
    wrapper = FilteredRAVEModelWrapper(torch.jit.load(args.input))
    pairs = None
    if args.sounds is not None:
        pairs = []
        for sound in args.sounds:
            wave, sr = torchaudio.load(sound)
            sample = AudioSample(wave, sr)
            pairs.append(AudioSamplePair(sample, render_audio_sample(wrapper, sample)))
    save_neutone_model(
        wrapper,
        Path(args.folder) / args.output,
        freeze=False,
        dump_samples=True,
        submission=True,
        audio_sample_pairs=pairs,
    )
