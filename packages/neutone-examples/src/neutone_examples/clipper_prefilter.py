"""Clipper with a pre-filter: shape what a model sees, and report the delay that costs.

The idea: a model often behaves best on the kind of input it was built or trained for, and a
filter in front of it restricts the input to that range. Here a linear-phase low-pass FIR filter
from ``neutone_filters`` removes the top of the spectrum before the clipper of ``clipper.py``, so
the clipper's harmonics start from a darker, band-limited signal.

A linear-phase FIR filter delays everything by half its length, ``(taps - 1) / 2`` samples. The
filter knows its delay (``get_delay_samples``) and the wrapper passes it on through
``calc_model_delay_samples``; the host then shifts the dry signal to line up with the wet one.
The filter keeps its own state (the last input samples), so ``reset_model`` clears it.

The filter is designed in cycles per sample (``sample_rate=1``): its cutoff is a fixed fraction of
the sample rate, 6 kHz at 48 kHz, and its delay is the same number of samples at every rate. A
model that needs a cutoff in Hz would instead name its native sample rate (see ``native_rate``).

To make your own: pick another ``design_fir`` kind (``highpass``, ``bandpass``, ``bandstop``) or a
steeper transition (more taps, more delay); put your model where the clipper is.
"""

from typing import TYPE_CHECKING, Dict, List

from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_examples.clipper import ClipperModel
from neutone_filters import FIRFilter, design_fir

CUTOFF = 0.125
"""Cutoff (-6 dB) of the low-pass, in cycles per sample: 6 kHz at 48 kHz."""
TRANSITION = 0.04
"""Transition band width, in cycles per sample; with a 60 dB stop band: 93 taps, delay 46."""


class PrefilteredClipper(nn.Module):
    """Low-pass FIR filter, then the hard clipper.

    Args of ``forward``: as ``ClipperModel``.

    Shape: ``(channels, n) -> (channels, n)``, delayed by ``get_delay_samples()`` samples.
    """

    def __init__(self, cutoff: float = CUTOFF, transition: float = TRANSITION) -> None:
        super().__init__()
        taps = design_fir("lowpass", cutoff, sample_rate=1.0, transition_hz=transition)
        self.prefilter = FIRFilter(taps)
        self.clipper = ClipperModel()

    def forward(self, x: Tensor, min_val: Tensor, max_val: Tensor, gain: Tensor) -> Tensor:
        return self.clipper(self.prefilter(x), min_val, max_val, gain)

    def get_delay_samples(self) -> int:
        return self.prefilter.get_delay_samples()

    def reset(self) -> None:
        self.prefilter.reset()


class PrefilteredClipperWrapper(WaveformToWaveformBase):
    """The pre-filtered clipper; differs from ``ClipperModelWrapper`` in delay and reset."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: PrefilteredClipper

    def get_model_name(self) -> str:
        return "clipper.prefilter"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Hard clipper behind a low-pass filter."

    def get_model_long_description(self) -> str:
        return (
            "Darkens the sound with a low-pass filter, then clips it between two thresholds. "
            "The filter keeps the clipping smoother than on the full-band signal."
        )

    def get_technical_description(self) -> str:
        return (
            "Kaiser-windowed linear-phase FIR low-pass at 1/8 of the sample rate (93 taps, 60 dB "
            "stop band), then torch.clamp. Reports the filter's 46 samples of delay."
        )

    def get_tags(self) -> List[str]:
        return ["clipper", "filter", "distortion", "example"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter(name="min", description="negative clip threshold", default_value=0.5),
            NeutoneParameter(name="max", description="positive clip threshold", default_value=1.0),
            NeutoneParameter(name="gain", description="scales both thresholds", default_value=1.0),
        ]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def calc_model_delay_samples(self) -> int:
        return self.model.get_delay_samples()  # the filter's (taps - 1) / 2

    def reset_model(self) -> bool:
        self.model.reset()  # forget the filter's past input
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x, params["min"], params["max"], params["gain"])


def build_model() -> WaveformToWaveformBase:
    """The pre-filtered clipper, ready for ``save_neutone_model``."""
    return PrefilteredClipperWrapper(PrefilteredClipper())
