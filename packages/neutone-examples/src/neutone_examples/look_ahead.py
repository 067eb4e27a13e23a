"""Look-ahead: a peak limiter that sees peaks coming.

The idea: a limiter that only looks at the current sample must react instantly to a peak, which
clicks. With look-ahead it can lower the gain smoothly *before* the peak arrives.
``get_look_ahead_samples`` asks the adapter for ``A`` future samples on every block, so
``do_forward_pass`` receives ``(channels, look_behind + buffer_size + A)`` and returns the block's
``buffer_size`` samples. The adapter can only supply the future by holding the output back: the
look-ahead is reported as part of the buffering delay (``get_delay_breakdown()["look_ahead"]``), so
the model itself reports no delay.

The gain, for ``L = RAMP``:

- ``g_hold[k] = min(1, threshold / max |x[k-L .. k+L]|)`` (both channels linked),
- ``g[n] = mean(g_hold[n .. n+L])``: a linear ramp of ``L`` samples instead of a step.

Every ``g_hold[k]`` in the mean looks at a window containing ``n``, so each is at most
``threshold / |x[n]|``, and so is their mean: ``|y[n]| = g[n] |x[n]| <= threshold`` always. The
window reaches ``2L`` samples ahead and ``L`` behind: ``A = 2L`` and look-behind ``L``.

To make your own: change ``RAMP`` (longer is smoother and adds ``2 * RAMP`` samples of delay), or
replace ``LookAheadLimiter`` with any model that needs future context.
"""

from typing import TYPE_CHECKING, Dict, List

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase

RAMP = 32
"""Length of the gain ramp, in samples (0.67 ms at 48 kHz)."""


class LookAheadLimiter(nn.Module):
    """Stereo-linked brick-wall limiter with a linear attack ramp.

    Args:
        ramp: length ``L`` of the gain ramp in samples, in [1, inf).

    Args of ``forward``: ``x`` with ``L`` past and ``2 L`` future samples around the block;
    ``threshold`` the linear ceiling, > 0.

    Shape: ``(channels, L + n + 2 L) -> (channels, n)``; ``|output| <= threshold``.
    """

    def __init__(self, ramp: int = RAMP) -> None:
        super().__init__()
        if ramp < 1:
            raise ValueError(f"ramp must be in [1, inf), got {ramp}")
        self.ramp = ramp  # TorchScript reads module attributes, not module-level globals

    def forward(self, x: Tensor, threshold: Tensor) -> Tensor:
        ramp = self.ramp
        n = x.size(1) - 3 * ramp
        # Peak of both channels over [k - L, k + L] for the n + L points k that the ramp needs.
        level = x.abs().amax(dim=0, keepdim=True).unsqueeze(0)  # (1, 1, 3 L + n)
        # Nested: TorchScript drops only a whole `if not is_scripting()` block, not an `and`.
        if not torch.jit.is_scripting():  # noqa: SIM102
            if torch.compiler.is_exporting():
                # The pools' shape checks fix the block length under `torch.export`; sliding
                # windows (`unfold`) give the same maxima and means for any length.
                peak = level.unfold(2, 2 * ramp + 1, 1).amax(dim=3)
                g_hold = torch.clamp(threshold / peak.clamp(min=1e-12), max=1.0)
                gain = g_hold.unfold(2, ramp + 1, 1).mean(dim=3)
                return x[:, ramp : ramp + n] * gain[0]
        peak = F.max_pool1d(level, kernel_size=2 * ramp + 1, stride=1)  # (1, 1, n + L)
        g_hold = torch.clamp(threshold / peak.clamp(min=1e-12), max=1.0)
        gain = F.avg_pool1d(g_hold, kernel_size=ramp + 1, stride=1)  # (1, 1, n)
        return x[:, ramp : ramp + n] * gain[0]


class LimiterModelWrapper(WaveformToWaveformBase):
    """The limiter, asking for look-ahead and look-behind."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: LookAheadLimiter

    def get_model_name(self) -> str:
        return "look-ahead.limiter"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Peak limiter that lowers the gain before a peak arrives."

    def get_model_long_description(self) -> str:
        return (
            "Keeps every sample under the ceiling set by the threshold knob without clicks: the "
            "model looks 1.3 ms ahead and ramps the gain down before each peak."
        )

    def get_technical_description(self) -> str:
        return (
            "Gain = moving average over 33 samples of min(1, threshold / local peak), the peak "
            "taken over 65 samples centred on each point. Uses 64 samples of look-ahead and 32 of "
            "look-behind; the output never exceeds the threshold."
        )

    def get_tags(self) -> List[str]:
        return ["limiter", "dynamics", "example"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            # The adapter maps the knob's [0, 1] to [min_value, max_value]: here dBFS.
            NeutoneParameter(
                name="threshold",
                description="ceiling, -30 to 0 dBFS",
                default_value=-6.0,  # in the knob's units, like min/max
                min_value=-30.0,
                max_value=0.0,
            ),
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
        return self.model.ramp

    def get_look_ahead_samples(self) -> int:
        return 2 * self.model.ramp

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        threshold = torch.pow(10.0, params["threshold"] / 20.0)  # dBFS to a linear ceiling
        return self.model(x, threshold)


def build_model() -> WaveformToWaveformBase:
    """The look-ahead limiter, ready for ``save_neutone_model``."""
    return LimiterModelWrapper(LookAheadLimiter())
