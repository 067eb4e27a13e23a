"""The pre-filter passes low tones after exactly the reported delay and removes high ones."""

import math

import torch

from neutone_examples import clipper_prefilter


def _tone(frequency: float, n: int, amplitude: float = 0.3) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / 48000
    return (amplitude * torch.sin(2 * math.pi * frequency * t)).float().repeat(2, 1)


def test_low_tone_passes_after_the_reported_delay(stream) -> None:
    model = clipper_prefilter.build_model()
    x = _tone(1000.0, 4096)  # well inside the pass band and below the thresholds
    y, delay = stream(model, x, [0.5, 1.0, 1.0])
    assert delay == model.model.get_delay_samples() == 46
    steady = slice(delay + 200, None)  # past the filter's start-up
    # 60 dB stop band: pass-band ripple of the Kaiser design is about 1e-3.
    torch.testing.assert_close(y[:, steady], x[:, 200 : x.size(1) - delay], atol=2e-3, rtol=0.0)


def test_high_tone_is_removed(stream) -> None:
    x = _tone(15000.0, 4096)  # far into the stop band (above 0.125 + 0.02 cycles/sample)
    y, delay = stream(clipper_prefilter.build_model(), x, [0.5, 1.0, 1.0])
    residual = float(y[:, delay + 200 :].abs().max())
    assert 20 * math.log10(residual / 0.3) < -55
