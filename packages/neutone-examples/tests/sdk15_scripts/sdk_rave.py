"""A wrapper for a pretrained RAVE model (TorchScript), written for the Neutone SDK 1.5.

Mirrors the SDK's example examples/example_rave.py: mono, 48 kHz, blocks of 2048; the knobs edit
the latent code from ``encode_amortized`` (noise scaled by the latent's standard deviation, one
dimension scaled and offset); optional demo sounds rendered with the SDK's ``AudioSample`` and
``render_audio_sample`` and saved with ``audio_sample_pairs``. It needs an exported RAVE file
(``-i``); the tests build a stand-in.
"""

from argparse import ArgumentParser
from pathlib import Path
from typing import Dict, List

import torch
import torchaudio
from neutone_sdk import NeutoneParameter, WaveformToWaveformBase
from neutone_sdk.audio import AudioSample, AudioSamplePair, render_audio_sample
from neutone_sdk.utils import save_neutone_model
from torch import Tensor


class RAVEModelWrapper(WaveformToWaveformBase):
    def get_model_name(self) -> str:
        return "RAVE.example"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_short_description(self) -> str:
        return "RAVE timbre transfer."

    def get_model_long_description(self) -> str:
        return "Timbre transfer with a RAVE variational autoencoder."

    def get_technical_description(self) -> str:
        return "RAVE model proposed by Caillon and Esling."

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
            NeutoneParameter(name="Chaos", description="latent noise", default_value=0.25),
            NeutoneParameter(name="Z edit index", description="latent to edit", default_value=0.0),
            NeutoneParameter(name="Z scale", description="latent scale", default_value=0.5),
            NeutoneParameter(name="Z offset", description="latent offset", default_value=0.5),
        ]

    @torch.jit.export
    def is_input_mono(self) -> bool:
        return True

    @torch.jit.export
    def is_output_mono(self) -> bool:
        return True

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return [2048]

    def get_citation(self) -> str:
        return "Caillon, A., & Esling, P. (2021). RAVE. arXiv:2111.05011."

    @torch.no_grad()
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        if x.size(0) == 2:
            x = x.mean(dim=0, keepdim=True)
        z_mean, z_std = self.model.encode_amortized(x.unsqueeze(1))
        z = torch.randn_like(z_std) * z_std * params["Chaos"] * 4 + z_mean
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
    wrapper = RAVEModelWrapper(torch.jit.load(args.input))
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
        dump_samples=True,
        submission=True,
        audio_sample_pairs=pairs,
    )
