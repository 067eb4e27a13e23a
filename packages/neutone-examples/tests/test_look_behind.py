"""The look-behind echo repeats an impulse exactly ``time`` milliseconds later."""

import torch

from neutone_examples import look_behind


def test_impulse_returns_after_the_echo_time(stream) -> None:
    x = torch.zeros(2, 5120)
    x[:, 1000] = 1.0
    y, delay = stream(look_behind.build_model(), x, [0.5, 0.5])  # time, level
    echo = round((1.0 + 0.5 * (look_behind.MAX_TIME_MS - 1.0)) * 48000 / 1000)  # 984 samples
    expected = torch.zeros(2, 5120)
    expected[:, 1000 + delay] = 1.0
    expected[:, 1000 + delay + echo] = 0.5
    torch.testing.assert_close(y, expected, atol=1e-6, rtol=0.0)
