"""Spectral filter: a band-pass applied bin by bin on a realtime STFT.

The idea: many models work on spectra rather than waveforms. ``neutone_filters.RealtimeSTFT``
cuts the stream into overlapping windowed frames, hands every frame's spectrum to
``process_spectrum``, and overlap-adds the result back into a waveform, for any host buffer size.
Subclass it and override ``process_spectrum``: that is the whole spectral model.

Here the spectrum is multiplied by a mask: 1 between the ``low`` and ``high`` cutoffs and
``1 - depth`` outside. The knobs are read once per host call and turned into the mask before the
frames are processed.

Framing costs delay: a frame can only be processed once its last sample has arrived, and the
overlap-add completes a hop later. The STFT reports the total, ``n_fft - 1`` samples, through
``get_delay_samples``, and the wrapper passes it on through ``calc_model_delay_samples``.

To make your own: override ``process_spectrum`` with your model (a mask network, a vocoder, ...);
trade frequency resolution against delay with ``N_FFT`` and ``HOP`` (``N_FFT / HOP`` an integer
``>= 3`` for the Hann window).
"""

import math
from typing import TYPE_CHECKING, Dict, List

import torch
from torch import Tensor

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_filters import RealtimeSTFT

N_FFT = 1024
"""Frame length in samples: 47 Hz bins and 1023 samples (21 ms) of delay at 48 kHz."""
HOP = 256
"""Hop between frames in samples."""


class BandMaskSTFT(RealtimeSTFT):
    """Realtime STFT whose spectral step keeps a band and attenuates the rest.

    Call ``set_band`` before ``forward`` to update the mask; ``sample_rate`` (Hz) converts bins
    to frequencies.

    Shape: ``(channels, n) -> (channels, n)``, delayed by ``get_delay_samples()`` samples.
    """

    bin_index: Tensor
    mask: Tensor

    def __init__(self, n_fft: int = N_FFT, hop_length: int = HOP) -> None:
        super().__init__(n_fft, hop_length, window="hann")
        self.sample_rate = 48000
        n_bins = n_fft // 2 + 1
        self.register_buffer("bin_index", torch.arange(n_bins, dtype=torch.float32))
        self.register_buffer("mask", torch.ones(n_bins))

    def set_sample_rate(self, sample_rate: int) -> None:
        """The rate of the audio to come, in Hz: sets the frequency of every bin."""
        self.sample_rate = sample_rate

    def set_band(self, low_hz: Tensor, high_hz: Tensor, depth: Tensor) -> None:
        """Mask 1 for bins in ``[low_hz, high_hz]``, ``1 - depth`` elsewhere (depth in [0, 1])."""
        freqs = self.bin_index * (self.sample_rate / self.n_fft)
        inside = (freqs >= low_hz) & (freqs <= high_hz)
        outside = (1.0 - depth).expand_as(freqs)
        self.mask.copy_(torch.where(inside, torch.ones_like(freqs), outside))

    def process_spectrum(self, spec: Tensor) -> Tensor:
        return spec * self.mask  # (channels, frames, bins) times (bins,)


class SpectralFilterWrapper(WaveformToWaveformBase):
    """The spectral band-pass: three knobs, the STFT's delay reported."""

    if TYPE_CHECKING:  # TorchScript cannot read a module-typed class annotation
        model: BandMaskSTFT

    def get_model_name(self) -> str:
        return "spectral.bandpass"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Band-pass filter applied in the frequency domain."

    def get_model_long_description(self) -> str:
        return (
            "Keeps the frequencies between the low and high cutoffs and turns down the rest. "
            "Depth sets how much is removed outside the band; crossing the cutoffs (low above "
            "high) removes everything at full depth."
        )

    def get_technical_description(self) -> str:
        return (
            "Realtime STFT (1024-sample Hann frames, hop 256) with a per-bin mask, resynthesised "
            "by weighted overlap-add. Reports the framing delay of 1023 samples."
        )

    def get_technical_links(self) -> Dict[str, str]:
        return {"STFT": "https://en.wikipedia.org/wiki/Short-time_Fourier_transform"}

    def get_tags(self) -> List[str]:
        return ["filter", "spectral", "stft", "example"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        # Cutoffs on an octave scale: the adapter maps the knob to log2 of the frequency in Hz.
        lowest, highest = math.log2(20.0), math.log2(20000.0)
        return [
            NeutoneParameter(
                "low",
                "low cutoff, 20 Hz to 20 kHz",
                math.log2(200.0),
                min_value=lowest,
                max_value=highest,
            ),
            NeutoneParameter(
                "high",
                "high cutoff, 20 Hz to 20 kHz",
                math.log2(8000.0),
                min_value=lowest,
                max_value=highest,
            ),
            NeutoneParameter("depth", "attenuation outside the band", default_value=0.9),
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
        return self.model.get_delay_samples()  # n_fft - 1

    def set_model_sample_rate_and_buffer_size(self, sample_rate: int, n_samples: int) -> bool:
        self.model.set_sample_rate(sample_rate)
        return True

    def reset_model(self) -> bool:
        self.model.reset()
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        low_hz = torch.pow(2.0, params["low"])
        high_hz = torch.pow(2.0, params["high"])
        self.model.set_band(low_hz, high_hz, params["depth"])
        return self.model(x)


def build_model() -> WaveformToWaveformBase:
    """The spectral band-pass, ready for ``save_neutone_model``."""
    return SpectralFilterWrapper(BandMaskSTFT())
