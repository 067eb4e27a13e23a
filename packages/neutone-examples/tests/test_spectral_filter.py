"""The spectral band-pass keeps in-band tones, aligned by the reported delay, and removes others."""

import math

import torch

from neutone_examples import spectral_filter

KNOBS = [1 / 3, 0.87, 1.0]  # low 200 Hz, high 8.1 kHz, full depth


def _tone(frequency: float, n: int) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / 48000
    return (0.5 * torch.sin(2 * math.pi * frequency * t)).float().repeat(2, 1)


def test_in_band_tone_comes_back_after_the_reported_delay(stream) -> None:
    x = _tone(1000.0, 8192)
    y, delay = stream(spectral_filter.build_model(), x, KNOBS)
    assert delay == spectral_filter.N_FFT - 1
    start = spectral_filter.N_FFT  # past the first, partly empty frames
    torch.testing.assert_close(
        y[:, delay + start :], x[:, start : x.size(1) - delay], atol=1e-3, rtol=0.0
    )


def test_out_of_band_tone_is_removed(stream) -> None:
    x = _tone(50.0, 8192)
    y, delay = stream(spectral_filter.build_model(), x, KNOBS)
    residual = float(y[:, delay + spectral_filter.N_FFT :].abs().max())
    assert 20 * math.log10(residual / 0.5) < -40
