"""Non-realtime processor: whole-clip edits chosen with a categorical knob.

The idea: some processing needs the whole clip at once, which a realtime model never has. Reversing
needs the last sample first; normalising needs the loudest peak of the entire clip. A one-shot Gen
model (``is_one_shot_model()`` True) receives the whole clip in one call.

The ``action`` knob is a ``CategoricalNeutoneParameter``: the plugin shows its labels, the model
receives the index of the selected one. The actions:

- ``normalize``: scale so that the clip's peak reaches ``level`` dBFS,
- ``reverse``: play the clip backwards,
- ``fade in`` / ``fade out``: a raised-cosine fade over the whole clip.

The model runs at 44.1 kHz; at any other host rate the adapter converts the clip there and back,
so the result has the input's length at the host's rate.

To make your own: put the options in ``ACTIONS`` (2 to 20 labels of at most 20 characters) and
branch on the index in ``forward``.
"""

import math
from typing import Dict, List

import torch
from torch import Tensor, nn

from neutone_core import CategoricalNeutoneParameter, ContinuousNeutoneParameter
from neutone_core.non_realtime import NonRealtimeBase

ACTIONS = ["normalize", "reverse", "fade in", "fade out"]
"""The labels the plugin shows, in index order."""


class ClipEditor(nn.Module):
    """Whole-clip edits. Shape: ``(channels, n) -> (channels, n)``."""

    def forward(self, x: Tensor, action: int, level_db: float) -> Tensor:
        n = x.size(1)
        if action == 0:
            peak = float(x.abs().max()) if n > 0 else 0.0
            if peak == 0.0:
                return x.clone()
            return x * (math.pow(10.0, level_db / 20.0) / peak)
        if action == 1:
            return torch.flip(x, dims=[1])
        ramp = 0.5 - 0.5 * torch.cos(math.pi * torch.arange(n, dtype=x.dtype) / max(1, n - 1))
        if action == 2:
            return x * ramp
        return x * torch.flip(ramp, dims=[0])


class ClipProcessorWrapper(NonRealtimeBase):
    """One stereo clip in, one out; the categorical knob picks the edit."""

    def get_model_name(self) -> str:
        return "gen.clip_processor"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Normalize, reverse or fade a whole clip."

    def get_model_long_description(self) -> str:
        return (
            "Edits that need the whole clip: normalize its peak to a level, reverse it, or fade "
            "it in or out over its full length."
        )

    def get_technical_description(self) -> str:
        return "One-shot model at 44.1 kHz; a categorical knob (4 labelled values) picks the edit."

    def get_tags(self) -> List[str]:
        return ["utility", "reverse", "example"]

    def get_neutone_parameters(self) -> list:
        return [
            CategoricalNeutoneParameter("action", "what to do with the clip", 4, 0, ACTIONS),
            ContinuousNeutoneParameter("level", "normalize: peak level, dBFS", -1.0, -24.0, 0.0),
        ]

    def get_audio_in_channels(self) -> List[int]:
        return [2]

    def get_audio_out_channels(self) -> List[int]:
        return [2]

    def get_native_sample_rates(self) -> List[int]:
        return [44100]

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
        # A categorical knob arrives as its index (a float, already rounded by the adapter).
        action = int(numerical_params["action"][0])
        level = float(numerical_params["level"][0])
        return [self.model(audio_in[0], action, level)]


def build_model() -> NonRealtimeBase:
    """The clip processor, ready for ``save_non_realtime_model``."""
    return ClipProcessorWrapper(ClipEditor())
