"""The categorical knob selects one of four waveshaper curves."""

import itertools

import torch

from neutone_examples import categorical
from neutone_examples.categorical import SHAPES


def test_each_position_selects_a_different_curve(stream) -> None:
    t = torch.arange(5120) / 48000
    x = 0.8 * torch.sin(2 * torch.pi * 220 * t).repeat(2, 1)
    outputs = {}
    for index, label in enumerate(SHAPES):
        position = index / (len(SHAPES) - 1)
        outputs[label], _ = stream(categorical.build_model(), x, [position, 0.3])  # shape, drive
    for a, b in itertools.combinations(SHAPES, 2):
        assert float((outputs[a] - outputs[b]).abs().max()) > 1e-2, (a, b)


def test_hard_clip_position_is_a_clamp(stream) -> None:
    torch.manual_seed(5)
    x = torch.randn(2, 1024)
    y, delay = stream(categorical.build_model(), x, [1 / 3, 0.5])  # "hard clip", drive 15 dB
    expected = torch.clamp(x * 10 ** (15 / 20), -1.0, 1.0)
    torch.testing.assert_close(y[:, delay:], expected[:, : x.size(1) - delay], atol=1e-5, rtol=0.0)
