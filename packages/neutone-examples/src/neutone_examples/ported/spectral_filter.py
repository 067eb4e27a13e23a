"""A spectral notch filter on the SDK's realtime STFT, written for the Neutone SDK 1.5.

Mirrors the SDK's example examples/example_spectral_filter.py: ``RealtimeSTFT`` built with the
SDK's keywords, ``audio_to_spec`` -> a model that edits the magnitude spectrogram in place ->
``spec_to_audio``, the buffer sizes the STFT supports as native sizes, and the example's own
faults kept as they are: it reports its delay from ``calc_min_delay_samples`` (a name SDK 1.5
never calls) and resizes the STFT in ``set_model_buffer_size`` (never called either), and it
overrides ``prepare_for_inference``.
neutone_examples.ported.spectral_filter is this file with only its imports changed by
``neutone-export port``.
"""

# The imports keep the SDK script's order: porting renames their modules only.
# ruff: noqa: I001, RUF100

import pathlib
from argparse import ArgumentParser
from typing import Dict, List

import torch as tr
import torch.nn as nn
from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_filters import RealtimeSTFT
from neutone_export import save_neutone_model
from torch import Tensor


class SpectralNotch(nn.Module):
    """Attenuates a band of a positive magnitude spectrogram ``(ch, bins, frames)``."""

    def __init__(self) -> None:
        super().__init__()
        self.base = tr.tensor(1025 / tr.e)

    def _bin(self, position: Tensor, max_bin: int) -> int:
        """Knob position in [0, 1] -> bin index, logarithmically spaced."""
        index = (tr.pow(self.base, position) - 1.0) / (self.base - 1.0) * max_bin
        return int(tr.clip(tr.round(index), 0, max_bin))

    def forward(self, x: Tensor, center: Tensor, width: Tensor, amount: Tensor) -> Tensor:
        if amount == 0.0:
            return x
        top = x.size(1) - 1
        mid = self._bin(center, top)
        low = max(0, self._bin(center * (1.0 - width), top))
        high = min(top, self._bin(center + (1.0 - center) * width, top))
        if mid > low:
            ramp = 1.0 - tr.linspace(0.0, 1.0, mid - low + 2)[1:-1] * amount
            x[:, low:mid, :] *= ramp.view(1, -1, 1)
        if high > mid:
            ramp = 1.0 - tr.linspace(1.0, 0.0, high - mid + 1)[:-1] * amount
            x[:, mid:high, :] *= ramp.view(1, -1, 1)
        return x


class SpectralFilterWrapper(WaveformToWaveformBase):
    def __init__(
        self,
        spectral_model: nn.Module,
        model_io_n_frames: int = 16,
        n_fft: int = 2048,
        hop_len: int = 512,
        fade_n_samples: int = 384,
        use_debug_mode: bool = True,
    ) -> None:
        super().__init__(spectral_model, use_debug_mode)
        in_ch = 1 if self.is_input_mono() else 2
        self.stft = RealtimeSTFT(
            model_io_n_frames=model_io_n_frames,
            io_n_ch=in_ch,
            n_fft=n_fft,
            hop_len=hop_len,
            power=1.0,
            logarithmize=False,
            ensure_pos_spec=True,
            use_phase_info=True,
            fade_n_samples=fade_n_samples,
            use_debug_mode=use_debug_mode,
        )
        self.stft.set_buffer_size(self.stft.calc_min_buffer_size())

    def get_model_name(self) -> str:
        return "spectral.filter"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_short_description(self) -> str:
        return "Spectral notch filter."

    def get_model_long_description(self) -> str:
        return "Attenuates a band around a centre frequency in the spectral domain."

    def get_technical_description(self) -> str:
        return "STFT magnitude notch whose width follows its centre; resynthesis with the phase."

    def get_technical_links(self) -> Dict[str, str]:
        return {}

    def get_tags(self) -> List[str]:
        return ["spectral", "filter", "stft"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return True

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            NeutoneParameter("center", "centre frequency of the notch", default_value=0.3),
            NeutoneParameter("width", "width of the notch", default_value=0.5),
            NeutoneParameter("amount", "attenuation", default_value=0.9),
        ]

    @tr.jit.export
    def is_input_mono(self) -> bool:
        return False

    @tr.jit.export
    def is_output_mono(self) -> bool:
        return False

    @tr.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return [44100]

    @tr.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return self.stft.calc_supported_buffer_sizes()

    @tr.jit.export
    def calc_min_delay_samples(self) -> int:
        return self.stft.calc_min_delay_samples()

    def set_model_buffer_size(self, n_samples: int) -> bool:
        self.stft.set_buffer_size(n_samples)
        return True

    def reset_model(self) -> bool:
        self.stft.reset()
        return True

    def prepare_for_inference(self) -> None:
        super().prepare_for_inference()
        self.stft.use_debug_mode = False
        self.stft.eval()

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        spec = self.stft.audio_to_spec(x)
        spec = self.model.forward(spec, params["center"], params["width"], params["amount"])
        return self.stft.spec_to_audio(spec)


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("-o", "--output", default="export_model")
    args = parser.parse_args()
    wrapper = SpectralFilterWrapper(SpectralNotch())
    save_neutone_model(wrapper, pathlib.Path(args.output), dump_samples=True, submission=True)
