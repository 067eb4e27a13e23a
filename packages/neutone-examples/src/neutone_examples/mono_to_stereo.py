"""Mono to stereo: a Haas widener with a delay line kept inside the model.

The idea: a model may take mono and give stereo. ``is_input_mono() -> True`` makes the adapter mix
the host's channels down to one before ``do_forward_pass``; ``is_output_mono() -> False`` makes the
model return two channels, which the adapter passes on to a stereo host (or mixes down for a mono
one).

The effect is the Haas (precedence) effect: the left channel is the input, the right channel the
input delayed by 1 to 30 ms. The ear hears one, wider source. The ``spread`` knob fades the right
channel from the dry input (mono) to the delayed copy (wide).

Unlike ``look_behind``, this model keeps its own past: a delay line in a buffer, updated on every
call. Such state must be cleared in ``reset_model``, which the adapter calls whenever the host's
settings change or playback restarts.

To make your own: replace ``HaasWidener`` with any model that returns ``(2, n)``; keep any state
in registered buffers and clear it in ``reset_model``.
"""

from typing import TYPE_CHECKING, Dict, List

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase

MAX_TIME_MS = 30.0
"""Longest delay of the right channel, in milliseconds."""
HISTORY = 4096
"""Length of the delay line in samples: covers ``MAX_TIME_MS`` at 96 kHz (2880 samples)."""


class HaasWidener(nn.Module):
    """Mono in, stereo out: the right channel is a delayed copy of the left.

    Args:
        history: length of the delay line in samples, in [1, inf); the longest delay.

    Args of ``forward``: ``x`` mono audio; ``delay`` in samples, ``0 <= delay <= history``;
    ``spread`` in [0, 1], the share of the delayed copy in the right channel.

    Shape: ``(1, n) -> (2, n)``.
    """

    history: Tensor

    def __init__(self, history: int = HISTORY) -> None:
        super().__init__()
        if history < 1:
            raise ValueError(f"history must be in [1, inf), got {history}")
        self.max_delay = history  # TorchScript reads module attributes, not module-level globals
        self.register_buffer("history", torch.zeros(1, history))

    def forward(self, x: Tensor, delay: int, spread: Tensor) -> Tensor:
        n = x.size(1)
        start = self.max_delay - delay
        line = torch.cat([self.history, x], dim=1)  # (1, history + n)
        delayed = line[:, start : start + n]
        self.history.copy_(line[:, n:])
        right = (1.0 - spread) * x + spread * delayed
        return torch.cat([x, right], dim=0)

    def forward_indexed(self, x: Tensor, delay: Tensor, spread: Tensor) -> Tensor:
        """`forward` with the delay as a tensor (``0 <= delay <= history``, long), read by
        indexing: `torch.export` cannot slice at a position that depends on a knob's value."""
        n = x.size(1)
        line = torch.cat([self.history, x], dim=1)  # (1, history + n)
        index = torch.arange(n, device=x.device) + (self.max_delay - delay)
        delayed = line.index_select(1, index)
        self.history.copy_(line[:, n:])
        right = (1.0 - spread) * x + spread * delayed
        return torch.cat([x, right], dim=0)

    def reset(self) -> None:
        self.history.zero_()


class WidenerModelWrapper(WaveformToWaveformBase):
    """The widener: mono input, stereo output, with state."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: HaasWidener

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.sample_rate = 48000  # replaced by the adapter before any audio arrives

    def get_model_name(self) -> str:
        return "mono-to-stereo.haas"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Turns a mono source into a wide stereo image with the Haas effect."

    def get_model_long_description(self) -> str:
        return (
            "Delays the right channel by a few milliseconds. The ear fuses both channels into one "
            "source that sounds wider. Use short times for width, longer ones for a double."
        )

    def get_technical_description(self) -> str:
        return (
            "Mono input, stereo output. Left = x, right = (1 - spread) x + spread x[n - d], "
            "d from 1 to 30 ms, with a 4096-sample delay line kept in the model and cleared on "
            "reset."
        )

    def get_technical_links(self) -> Dict[str, str]:
        return {"Haas effect": "https://en.wikipedia.org/wiki/Precedence_effect"}

    def get_tags(self) -> List[str]:
        return ["stereo", "widener", "haas", "example"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(
                name="time",
                description="delay, 1 to 30 ms",
                default_value=12.6,  # ms, in the knob's units like min/max
                min_value=1.0,  # the adapter maps the knob's [0, 1] to milliseconds
                max_value=MAX_TIME_MS,
            ),
            # Below 1, part of the right channel stays undelayed: the mix keeps its strongest
            # component in time with the dry signal, and the image stays anchored in the centre.
            NeutoneParameter(name="spread", description="mono to wide", default_value=0.7),
        ]

    def is_input_mono(self) -> bool:
        return True

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def set_model_sample_rate_and_buffer_size(self, sample_rate: int, n_samples: int) -> bool:
        self.sample_rate = sample_rate
        return True

    def reset_model(self) -> bool:
        self.model.reset()
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        time_ms = params["time"]  # already in ms, see get_neutone_parameters
        # Nested: TorchScript drops only a whole `if not is_scripting()` block, not an `and`.
        if not torch.jit.is_scripting():  # noqa: SIM102
            if torch.compiler.is_exporting():  # no Python number from the knob's value
                samples = torch.round(time_ms * self.sample_rate / 1000.0).long()
                capped = samples.clamp(0, self.model.max_delay)
                return self.model.forward_indexed(x, capped, params["spread"])
        delay = int(torch.round(time_ms * self.sample_rate / 1000.0).item())
        return self.model(x, min(delay, self.model.max_delay), params["spread"])


def build_model() -> WaveformToWaveformBase:
    """The Haas widener, ready for ``save_neutone_model``."""
    return WidenerModelWrapper(HaasWidener())
