"""The look-ahead limiter never exceeds its ceiling and lowers the gain before a peak arrives."""

import torch

from neutone_examples import look_ahead
from neutone_examples.look_ahead import RAMP


def test_output_never_exceeds_the_threshold(stream) -> None:
    torch.manual_seed(2)
    x = torch.randn(2, 10240) * torch.linspace(0.0, 4.0, 10240)
    y, _ = stream(look_ahead.build_model(), x, [0.5])  # -15 dBFS
    ceiling = 10 ** (-15 / 20)
    assert float(y.abs().max()) <= ceiling + 1e-6
    assert float(y.abs().max()) >= 0.99 * ceiling  # it limits, it does not mute


def test_gain_drops_before_a_peak_arrives(stream) -> None:
    n, onset = 5120, 3000
    t = torch.arange(n) / 48000
    quiet = 0.05 * torch.sin(2 * torch.pi * 440 * t).repeat(2, 1)
    loud = quiet.clone()
    loud[:, onset:] *= 40.0  # from `onset` on the input is far above the ceiling
    model = look_ahead.build_model()
    y_quiet, delay = stream(model, quiet, [0.5])
    y_loud, _ = stream(model, loud, [0.5])
    aligned_quiet = y_quiet[:, delay:]
    aligned_loud = y_loud[:, delay:]
    # Inputs are identical before `onset`: any difference there is the model reading the future.
    before = slice(onset - 2 * RAMP, onset)
    assert float((aligned_quiet[:, before] - aligned_loud[:, before]).abs().max()) > 1e-3
    # Further back than the look-ahead (2 * RAMP) the outputs must agree.
    far = slice(0, onset - 2 * RAMP - RAMP)
    torch.testing.assert_close(aligned_quiet[:, far], aligned_loud[:, far], atol=1e-6, rtol=0.0)
