"""The Haas widener turns one channel into two: the right one is the left one, delayed."""

import torch

from neutone_examples import mono_to_stereo


def test_right_channel_is_the_left_channel_delayed(stream) -> None:
    torch.manual_seed(3)
    x = torch.randn(1, 5120).repeat(2, 1)  # a mono source on a stereo track
    y, delay = stream(mono_to_stereo.build_model(), x, [0.5, 1.0])  # time, spread
    d = round((1.0 + 0.5 * (mono_to_stereo.MAX_TIME_MS - 1.0)) * 48000 / 1000)  # 744 samples
    n = x.size(1) - delay - d
    torch.testing.assert_close(y[0, delay : delay + n], x[0, :n], atol=1e-6, rtol=0.0)
    torch.testing.assert_close(y[1, delay + d :], x[0, :n], atol=1e-6, rtol=0.0)
    assert float((y[0] - y[1]).abs().max()) > 0.1


def test_zero_spread_gives_identical_channels(stream) -> None:
    torch.manual_seed(4)
    x = torch.randn(2, 2048)
    y, _ = stream(mono_to_stereo.build_model(), x, [0.5, 0.0])
    torch.testing.assert_close(y[0], y[1])


def test_reset_clears_the_delay_line() -> None:
    widener = mono_to_stereo.build_model().model
    widener(torch.ones(1, 512), 100, torch.ones(1))
    widener.reset()
    out = widener(torch.zeros(1, 512), 100, torch.ones(1))
    assert float(out.abs().max()) == 0.0
