"""The clipper keeps every sample between its thresholds and reads its knobs per sample."""

import torch

from neutone_examples import clipper


def test_output_stays_between_thresholds_and_reaches_them(stream) -> None:
    torch.manual_seed(0)
    x = 2.0 * torch.randn(2, 5120)
    y, _ = stream(clipper.build_model(), x, [0.3, 0.8, 0.5])  # min, max, gain
    lower, upper = -0.3 * 0.5, 0.8 * 0.5
    assert float(y.min()) >= lower - 1e-6 and float(y.max()) <= upper + 1e-6
    # A clipper, not a mute: loud noise hits both thresholds.
    assert abs(float(y.min()) - lower) < 1e-6 and abs(float(y.max()) - upper) < 1e-6


def test_thresholds_follow_the_knob_within_a_buffer(stream) -> None:
    n = 1024
    x = torch.ones(2, n)
    knobs = torch.zeros(4, n)
    knobs[1] = torch.linspace(0.0, 1.0, n)  # "max" sweeps across the whole signal
    knobs[2] = 1.0  # gain
    y, delay = stream(clipper.build_model(), x, knobs)
    # Sample t of the output is the input (1.0) clipped at the knob value of sample t - delay.
    expected = knobs[1, : n - delay]
    torch.testing.assert_close(y[0, delay:], expected, atol=1e-6, rtol=0.0)
