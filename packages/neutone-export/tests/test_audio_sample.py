"""`AudioSample`, `AudioSamplePair`, `render_audio_sample`: the Neutone SDK's demo-audio names."""

import math
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export.sdk15.audio_sample import AudioSample, AudioSamplePair, render_audio_sample


class Gain(WaveformToWaveformBase):
    """Stereo gain of 2 * knob, any rate and buffer size."""

    def get_model_name(self) -> str:
        return "audio.sample.test"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "A model made by the audio sample tests."

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("gain", "output gain", default_value=0.5)]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x * (2.0 * params["gain"])


class Delayed(Gain):
    """Stereo delay of 100 samples at 48 kHz, reported: the render must remove it."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.register_buffer("tail", torch.zeros(2, 100))

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [256]

    def calc_model_delay_samples(self) -> int:
        return 100

    def reset_model(self) -> bool:
        self.tail.zero_()
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        joined = torch.cat([self.tail, x], dim=1)
        self.tail = joined[:, -100:].clone()
        return joined[:, : x.size(1)] * (2.0 * params["gain"])


def _tone(freq: float, sample_rate: int, seconds: float = 0.5) -> Tensor:
    t = torch.arange(int(sample_rate * seconds), dtype=torch.float64) / sample_rate
    return (0.5 * torch.sin(2 * math.pi * freq * t)).float().reshape(1, -1).repeat(2, 1)


def test_render_removes_the_reported_delay() -> None:
    x = _tone(440.0, 48000)
    out = render_audio_sample(Delayed(nn.Identity()), AudioSample(x, 48000), output_sr=48000)
    assert (out.sr, tuple(out.audio.shape)) == (48000, tuple(x.shape))
    error = (out.audio - x).abs().max()
    assert torch.isfinite(error) and error < 1e-5, f"max error {error}"


def test_render_at_another_rate_keeps_pitch_and_timing() -> None:
    x = _tone(440.0, 44100)
    out = render_audio_sample(Delayed(nn.Identity()), AudioSample(x, 44100), output_sr=48000)
    assert tuple(out.audio.shape) == (2, 24000)
    expected = _tone(440.0, 48000)
    # two resamplings (44.1 -> 48 kHz inside the adapter and back, then to 48 kHz here): the
    # sine must come out at the same phase within -50 dB, away from the ends
    error = (out.audio - expected)[:, 2000:-2000].abs().max()
    assert torch.isfinite(error) and error < 0.5 * 10 ** (-50 / 20), f"max error {error}"


def test_render_uses_the_knobs_given() -> None:
    x = _tone(440.0, 48000, seconds=0.1)
    model = Gain(nn.Identity())
    quiet = render_audio_sample(model, AudioSample(x, 48000), torch.tensor([0.25, 0, 0, 0]), 48000)
    torch.testing.assert_close(quiet.audio, 0.5 * x, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"params must be \(4,\) or \(4, 4800\)"):
        render_audio_sample(model, AudioSample(x, 48000), torch.zeros(3), 48000)


def test_wav_round_trip_and_pair_metadata() -> None:
    sample = AudioSample(_tone(1000.0, 16000, seconds=0.1), 16000)
    back = AudioSample.from_bytes(sample.to_wav_bytes())
    assert back.sr == 16000
    assert (back.audio - sample.audio).abs().max() < 1.0 / 32767 + 1e-6  # 16-bit rounding
    entry = AudioSamplePair(sample, back).to_metadata_format()
    assert sorted(entry) == ["in", "out"] and entry["in"] == sample.to_mp3_b64()


@pytest.mark.parametrize(
    "audio, sr, words",
    [
        (torch.zeros(100), 48000, "channels, n"),
        (torch.zeros(3, 100), 48000, "1 or 2 channels"),
        (torch.zeros(1, 100), 0, "positive int"),
    ],
)
def test_bad_audio_sample_raises_value_error(audio: Tensor, sr: int, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        AudioSample(audio, sr)


def test_from_bytes_of_not_a_wav_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="only PCM WAV"):
        AudioSample.from_bytes(b"ID3 not a wav")
