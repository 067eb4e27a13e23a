"""The ring modulator runs at 32 kHz: a tone comes out shifted by exactly the carrier frequency."""

import math

import torch

from neutone_examples import native_rate


def _level_db(y: torch.Tensor, frequency: float, sample_rate: int) -> float:
    """Level of the component at ``frequency`` Hz (Hann-windowed DFT bin), dB re full scale."""
    n = y.numel()
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    window = torch.hann_window(n, periodic=False, dtype=torch.float64)
    z = (y.double() * window * torch.exp(-2j * math.pi * frequency * t)).sum()
    return 20 * math.log10(float(z.abs()) * 2 / float(window.sum()) + 1e-12)


def test_tone_is_shifted_by_the_carrier_at_the_host_rate(stream) -> None:
    sr = 48000
    carrier = 500.0
    position = math.log(carrier / 20.0) / math.log(100.0)  # the knob runs over log2 Hz
    t = torch.arange(sr) / sr
    x = 0.5 * torch.sin(2 * math.pi * 3000.0 * t).repeat(2, 1)
    y, delay = stream(native_rate.build_model(), x, [position, 1.0], sample_rate=sr)
    steady = y[0, delay + 4096 :]
    # x * sin(carrier): two tones of half the amplitude at 3000 -/+ 500 Hz, none at 3000 Hz.
    for side in (2500.0, 3500.0):
        assert abs(_level_db(steady, side, sr) - 20 * math.log10(0.25)) < 0.5, side
    assert _level_db(steady, 3000.0, sr) < 20 * math.log10(0.25) - 50
