"""Non-realtime generator: a drum hit synthesised from a text prompt.

The idea: a Gen model needs no audio input. It receives the words the user typed (a
``TextNeutoneParameter``) and its knobs once per render, and returns a whole clip. Here the words
are looked up in a small table of timbres, so "deep punchy kick" and "short bright hat" sound as
they read, and a seed knob makes the noise repeatable: the same prompt, knobs and seed always
render the same hit.

The hit is a sine whose pitch drops from ``pitch * (1 + drop)`` to ``pitch`` plus noise, under an
exponential decay. Words set the starting values (``kick``, ``snare``, ``tom``, ``hat``, ``clap``)
and modifiers scale them (``deep``, ``bright``, ``short``, ``long``, ``punchy``, ``soft``); unknown
words are ignored and an empty prompt plays a kick. The noise is a hash of the sample index and the
seed, so it needs no random generator state.

The render runs in ten slices: after each, the model reports its progress with
``set_progress_percentage`` and stops early if the host asked to cancel, which is what a long
one-shot model should do.

To make your own: replace ``DrumSynth`` with your generator and keep the wrapper's shape: no input
tracks, one output track, ``is_one_shot_model()`` True.
"""

import math
from typing import TYPE_CHECKING, Dict, List

import torch
from torch import Tensor, nn

from neutone_core import ContinuousNeutoneParameter
from neutone_core.non_realtime import NonRealtimeBase
from neutone_core.parameters import TextNeutoneParameter

SAMPLE_RATE = 48000
SLICES = 10
# word -> [pitch Hz, pitch drop (x pitch), decay s, noise share, gain]
VOICES: Dict[str, List[float]] = {
    "kick": [55.0, 3.0, 0.45, 0.05, 1.0],
    "snare": [190.0, 0.5, 0.20, 0.65, 0.8],
    "tom": [110.0, 1.0, 0.35, 0.10, 0.9],
    "hat": [4000.0, 0.0, 0.06, 0.95, 0.5],
    "clap": [900.0, 0.2, 0.15, 0.85, 0.7],
}
# word -> factors for the same five values
MODIFIERS: Dict[str, List[float]] = {
    "deep": [0.7, 1.0, 1.2, 1.0, 1.0],
    "bright": [1.5, 1.0, 0.8, 1.3, 1.0],
    "short": [1.0, 1.0, 0.5, 1.0, 1.0],
    "long": [1.0, 1.0, 2.0, 1.0, 1.0],
    "punchy": [1.0, 2.0, 0.8, 1.0, 1.0],
    "soft": [1.0, 1.0, 1.0, 1.0, 0.5],
}


class DrumSynth(nn.Module):
    """Drum-hit synthesiser driven by a list of timbre words."""

    def __init__(self) -> None:
        super().__init__()
        self.voices = VOICES
        self.modifiers = MODIFIERS
        self.sample_rate = SAMPLE_RATE  # TorchScript reads attributes, not module constants
        self.slices = SLICES

    def timbre(self, prompt: str) -> List[float]:
        """The five synthesis values for `prompt` (voice words, then modifiers, in any order)."""
        values = list(self.voices["kick"])
        words = prompt.lower().split()
        for word in words:
            if word in self.voices:
                values = list(self.voices[word])
        for word in words:
            if word in self.modifiers:
                factors = self.modifiers[word]
                for i in range(len(values)):
                    values[i] = values[i] * factors[i]
        values[3] = min(values[3], 1.0)
        return values

    def forward(self, t: Tensor, timbre: List[float], seed: float) -> Tensor:
        """Samples of the hit at times `t` (s), shape ``(n,)`` -> ``(1, n)``."""
        pitch, drop, decay, noise_share, gain = (
            timbre[0],
            timbre[1],
            timbre[2],
            timbre[3],
            timbre[4],
        )
        sweep = 0.02  # s: the pitch falls to its base within this time
        # Phase of a sine whose frequency falls exponentially from pitch * (1 + drop) to pitch.
        phase = 2 * math.pi * pitch * (t + drop * sweep * (1.0 - torch.exp(-t / sweep)))
        tone = torch.sin(phase)
        index = torch.round(t * self.sample_rate)
        hashed = torch.sin(index * 12.9898 + seed * 78.233) * 43758.5453
        noise = (hashed - torch.floor(hashed)) * 2.0 - 1.0  # uniform in [-1, 1)
        envelope = torch.exp(-t / decay)
        y = gain * envelope * ((1.0 - noise_share) * tone + noise_share * noise)
        return y.unsqueeze(0)


class DrumHitWrapper(NonRealtimeBase):
    """One-shot generator: prompt and knobs in, one mono hit out."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: DrumSynth

    def get_model_name(self) -> str:
        return "gen.drum_hit"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Drum hits from words: 'deep punchy kick', 'short bright hat'."

    def get_model_long_description(self) -> str:
        return (
            "Type a drum (kick, snare, tom, hat, clap) and modifiers (deep, bright, short, long, "
            "punchy, soft). Length sets the clip's duration; seed changes the noise."
        )

    def get_technical_description(self) -> str:
        return (
            "Words index a table of pitch, pitch drop, decay, noise share and gain; a swept sine "
            "plus hashed noise under an exponential decay. Deterministic for a given seed."
        )

    def get_tags(self) -> List[str]:
        return ["drums", "generator", "example"]

    def get_neutone_parameters(self) -> list:
        return [
            TextNeutoneParameter("prompt", "drum and modifiers", 64, "punchy kick"),
            ContinuousNeutoneParameter("length", "clip length in seconds", 0.5, 0.1, 2.0),
            ContinuousNeutoneParameter("seed", "noise seed", 0.0, 0.0, 100.0),
        ]

    def get_audio_in_channels(self) -> List[int]:
        return []

    def get_audio_out_channels(self) -> List[int]:
        return [1]

    def get_audio_out_labels(self) -> List[str]:
        return ["hit"]

    def get_native_sample_rates(self) -> List[int]:
        return [SAMPLE_RATE]

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def is_one_shot_model(self) -> bool:
        return True

    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        rate = self.model.sample_rate
        n = int(torch.round(numerical_params["length"][0] * rate))
        seed = float(torch.round(numerical_params["seed"][0]))
        timbre = self.model.timbre(text_params[0])
        slices: List[Tensor] = []
        step = (n + self.model.slices - 1) // self.model.slices
        for start in range(0, n, step):
            if self.should_cancel_forward_pass():
                return []
            t = torch.arange(start, min(n, start + step), dtype=torch.float32) / rate
            slices.append(self.model(t, timbre, seed))
            self.set_progress_percentage(100.0 * min(n, start + step) / n)
        return [torch.cat(slices, dim=1)]


def build_model() -> NonRealtimeBase:
    """The drum-hit generator, ready for ``save_non_realtime_model``."""
    return DrumHitWrapper(DrumSynth())
