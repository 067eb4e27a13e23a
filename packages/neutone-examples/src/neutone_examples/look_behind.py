"""Look-behind: a model that reads past samples through the adapter's look-behind window.

The idea: some models need context from before the current buffer (a convolution's receptive
field, an echo, an envelope follower). ``get_look_behind_samples`` asks the adapter to prepend that
many past samples to every block, so ``do_forward_pass`` receives
``(channels, look_behind + buffer_size)`` and returns only the ``buffer_size`` newest samples.
Look-behind adds no delay; it costs the recomputation of the prepended samples on every call.

The effect is a feed-forward echo (a "slapback"): ``y[n] = x[n] + level * x[n - d]`` with ``d`` set
by the ``time`` knob, 1 to 40 ms. The sample rate is learnt in
``set_model_sample_rate_and_buffer_size``; the look-behind is sized for 40 ms at 96 kHz.

To make your own: set ``LOOK_BEHIND`` to the context your model needs and replace
``EchoModel.forward``; remember to return only the block's samples.
"""

from typing import TYPE_CHECKING, Dict, List

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase

MAX_TIME_MS = 40.0
"""Longest echo time, in milliseconds."""
LOOK_BEHIND = 4096
"""Look-behind in samples: covers ``MAX_TIME_MS`` at 96 kHz (3840 samples)."""


class EchoModel(nn.Module):
    """Feed-forward echo reading its delayed copy from the look-behind window.

    Args:
        look_behind: past samples in front of every block, in [0, inf); the longest echo.

    Args of ``forward``: ``x`` of shape ``(channels, look_behind + n)``; ``delay`` in samples,
    ``0 <= delay <= look_behind``; ``level`` the echo's linear gain.

    Shape: ``(channels, look_behind + n) -> (channels, n)``.
    """

    def __init__(self, look_behind: int = LOOK_BEHIND) -> None:
        super().__init__()
        if look_behind < 0:
            raise ValueError(f"look_behind must be in [0, inf), got {look_behind}")
        # TorchScript reads module attributes, not module-level globals.
        self.look_behind = look_behind

    def forward(self, x: Tensor, delay: int, level: Tensor) -> Tensor:
        start = self.look_behind
        n = x.size(1) - start
        current = x[:, start:]
        past = x[:, start - delay : start - delay + n]
        return current + level * past

    def forward_indexed(self, x: Tensor, delay: Tensor, level: Tensor) -> Tensor:
        """`forward` with the delay as a tensor (``0 <= delay <= look_behind``, long), read by
        indexing: `torch.export` cannot slice at a position that depends on a knob's value."""
        start = self.look_behind
        n = x.size(1) - start
        index = torch.arange(n, device=x.device) + (start - delay)
        return x[:, start:] + level * x.index_select(1, index)


class EchoModelWrapper(WaveformToWaveformBase):
    """The echo, with its look-behind and its sample-rate-dependent delay time."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: EchoModel

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.sample_rate = 48000  # replaced by the adapter before any audio arrives

    def get_model_name(self) -> str:
        return "look-behind.echo"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Slapback echo that reads past samples from a look-behind buffer."

    def get_model_long_description(self) -> str:
        return (
            "Adds one echo of the input, 1 to 40 ms later. Short times give a doubled, comb-"
            "filtered sound; longer ones a slapback."
        )

    def get_technical_description(self) -> str:
        return (
            "y[n] = x[n] + level * x[n - d]. The delayed samples come from the adapter's "
            "look-behind window of 4096 samples, so the model keeps no state of its own."
        )

    def get_tags(self) -> List[str]:
        return ["echo", "delay", "example"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            # The adapter maps the knob's [0, 1] to [min_value, max_value]: here milliseconds.
            NeutoneParameter(
                name="time",
                description="echo time, 1 to 40 ms",
                default_value=12.7,  # ms, in the knob's units like min/max
                min_value=1.0,
                max_value=MAX_TIME_MS,
            ),
            NeutoneParameter(name="level", description="echo level", default_value=0.5),
        ]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def get_look_behind_samples(self) -> int:
        return self.model.look_behind

    def set_model_sample_rate_and_buffer_size(self, sample_rate: int, n_samples: int) -> bool:
        self.sample_rate = sample_rate
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        time_ms = params["time"]  # already in ms, see get_neutone_parameters
        # Nested: TorchScript drops only a whole `if not is_scripting()` block, not an `and`.
        if not torch.jit.is_scripting():  # noqa: SIM102
            if torch.compiler.is_exporting():  # no Python number from the knob's value
                samples = torch.round(time_ms * self.sample_rate / 1000.0).long()
                capped = samples.clamp(0, self.model.look_behind)
                return self.model.forward_indexed(x, capped, params["level"])
        delay = int(torch.round(time_ms * self.sample_rate / 1000.0).item())
        # Above 96 kHz the longest times would need more look-behind: they are capped.
        return self.model(x, min(delay, self.model.look_behind), params["level"])


def build_model() -> WaveformToWaveformBase:
    """The look-behind echo, ready for ``save_neutone_model``."""
    return EchoModelWrapper(EchoModel())
