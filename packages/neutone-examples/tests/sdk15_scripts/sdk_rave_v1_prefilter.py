"""A stereo RAVE v1 wrapper with a pre-filter passed in, written for the Neutone SDK 1.5.

Mirrors the SDK's example examples/example_rave_v1_prefilter.py, faults kept: the filter is built
with the SDK 1.0 call ``FIRFilter([40, 8000], sample_rate=48000, filt_type="bandpass")`` (SDK 1.5
itself refuses it) and its delay is never reported (no ``calc_model_delay_samples``).
"""

from argparse import ArgumentParser
from pathlib import Path
from typing import Dict, List

import torch
import torchaudio
from neutone_sdk import NeutoneParameter, WaveformToWaveformBase
from neutone_sdk.audio import AudioSample, AudioSamplePair, render_audio_sample
from neutone_sdk.filters import FIRFilter
from neutone_sdk.utils import save_neutone_model
from torch import Tensor, nn


class FilteredRAVEv1ModelWrapper(WaveformToWaveformBase):
    def __init__(
        self, model: nn.Module, pre_filter: nn.Module, use_debug_mode: bool = True
    ) -> None:
        super().__init__(model, use_debug_mode)
        self.pre_filter = pre_filter

    def get_model_name(self) -> str:
        return "RAVE.v1.prefilter"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_short_description(self) -> str:
        return "Stereo RAVE v1 behind a band-pass."

    def get_model_long_description(self) -> str:
        return "Timbre transfer with RAVE v1, each channel on its own, fed 40 Hz to 8 kHz."

    def get_technical_description(self) -> str:
        return "RAVE model proposed by Caillon and Esling, behind a FIR band-pass."

    def get_technical_links(self) -> Dict[str, str]:
        return {"Paper": "https://arxiv.org/abs/2111.05011"}

    def get_tags(self) -> List[str]:
        return ["timbre transfer", "RAVE"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return False

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(name="Chaos", description="latent noise", default_value=0.0),
            NeutoneParameter(name="Z edit index", description="latent to edit", default_value=0.0),
            NeutoneParameter(name="Z scale", description="latent scale", default_value=0.5),
            NeutoneParameter(name="Z offset", description="latent offset", default_value=0.5),
        ]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [2048]

    def get_citation(self) -> str:
        return "Caillon, A., & Esling, P. (2021). RAVE. arXiv:2111.05011."

    @torch.no_grad()
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        x = self.pre_filter(x)
        z_mean, z_std = self.model.encode_amortized(x.unsqueeze(1))
        batch, latent_dim, time = z_std.shape
        noise = torch.randn(1, latent_dim, 1, device=z_std.device).expand(batch, -1, time)
        z = noise * z_std * params["Chaos"] * 4 + z_mean
        index = int(
            torch.clamp(params["Z edit index"], min=0.0, max=0.99) * self.model.cropped_latent_size
        )
        z[:, index] = z[:, index] * params["Z scale"] * 2 + (params["Z offset"] * 2 - 1)
        return self.model.decode(z).squeeze(1)


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("-i", "--input", default="./models/rave/rave_cached.ts")
    parser.add_argument("-o", "--output", default="ravemodel")
    parser.add_argument("-f", "--folder", default="./exports")
    parser.add_argument("-s", "--sounds", nargs="*", type=str, default=None)
    args = parser.parse_args()
    pre_filter = FIRFilter([40, 8000], sample_rate=48000, filt_type="bandpass")
    wrapper = FilteredRAVEv1ModelWrapper(torch.jit.load(args.input), pre_filter)
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
