"""Non-realtime processor with two inputs: a sidechain ducker.

The idea: a Gen model may take several labelled audio tracks. The plugin shows the labels
(``get_audio_in_labels``) so the user knows where to drop the music ("main") and the kick or voice
that should push it down ("sidechain"). The model returns one labelled track, the ducked main.

How it works, per block of 2048 samples at 48 kHz: the sidechain's peak level is taken over
64-sample frames, smoothed by a one-pole release (``release`` knob, in ms) that follows rises at
once, and turned into a gain: full level at silence, down by ``depth`` dB at full scale. The gain
is held per frame and applied to both channels of the main track. The envelope is state carried
from block to block; ``reset_model`` clears it, and the adapter calls it before every clip.

To make your own: list your tracks in ``get_audio_in_channels`` (1 or 2 channels each) with a label
per track, and read ``audio_in`` in that order in ``do_forward_pass``.
"""

import math
from typing import TYPE_CHECKING, Dict, List

import torch
from torch import Tensor, nn

from neutone_core import ContinuousNeutoneParameter
from neutone_core.non_realtime import NonRealtimeBase

SAMPLE_RATE = 48000
BLOCK = 2048
FRAME = 64


class Ducker(nn.Module):
    """Peak envelope of a sidechain, smoothed frame by frame, as a gain on the main signal.

    Shapes: ``main (2, n)``, ``side (1, n)`` with ``n`` a multiple of `FRAME` -> ``(2, n)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.frame = FRAME
        self.sample_rate = SAMPLE_RATE
        self.envelope = 0.0

    def reset(self) -> None:
        self.envelope = 0.0

    def forward(self, main: Tensor, side: Tensor, depth_db: float, release_ms: float) -> Tensor:
        peaks = side.abs().reshape(-1, self.frame).amax(dim=1).clamp(max=1.0)
        frames_per_s = self.sample_rate / self.frame
        keep = math.exp(-1.0 / (release_ms / 1000.0 * frames_per_s))
        levels: List[float] = []
        env = self.envelope
        values: List[float] = peaks.tolist()  # TorchScript needs the element type
        for peak in values:
            env = peak if peak > env else keep * env + (1.0 - keep) * peak
            levels.append(env)
        self.envelope = env
        gain = torch.pow(10.0, -depth_db * torch.tensor(levels) / 20.0)
        return main * gain.repeat_interleave(self.frame).unsqueeze(0)


class SidechainDuckerWrapper(NonRealtimeBase):
    """Two labelled inputs (stereo main, mono sidechain), one labelled stereo output."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: Ducker

    def get_model_name(self) -> str:
        return "gen.sidechain_ducker"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Ducks the main track whenever the sidechain track is loud."

    def get_model_long_description(self) -> str:
        return (
            "Drop music on 'main' and a kick or voice on 'sidechain': the music dips by up to "
            "'depth' dB while the sidechain plays and comes back over 'release' milliseconds."
        )

    def get_technical_description(self) -> str:
        return (
            "Peak envelope over 64-sample frames with instant attack and one-pole release; gain "
            "10^(-depth * envelope / 20) held per frame; 2048-sample blocks at 48 kHz."
        )

    def get_tags(self) -> List[str]:
        return ["ducking", "sidechain", "example"]

    def get_neutone_parameters(self) -> list:
        return [
            ContinuousNeutoneParameter("depth", "ducking at full scale, dB", 12.0, 0.0, 40.0),
            ContinuousNeutoneParameter("release", "recovery time, ms", 150.0, 10.0, 1000.0),
        ]

    def get_audio_in_channels(self) -> List[int]:
        return [2, 1]

    def get_audio_in_labels(self) -> List[str]:
        return ["main", "sidechain"]

    def get_audio_out_channels(self) -> List[int]:
        return [2]

    def get_audio_out_labels(self) -> List[str]:
        return ["ducked"]

    def get_native_sample_rates(self) -> List[int]:
        return [SAMPLE_RATE]

    def get_native_buffer_sizes(self) -> List[int]:
        return [BLOCK]

    def is_one_shot_model(self) -> bool:
        return False

    def reset_model(self) -> bool:
        self.model.reset()
        return True

    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        depth = float(numerical_params["depth"][0])
        release = float(numerical_params["release"][0])
        return [self.model(audio_in[0], audio_in[1], depth, release)]


def build_model() -> NonRealtimeBase:
    """The sidechain ducker, ready for ``save_non_realtime_model``."""
    return SidechainDuckerWrapper(Ducker())
