"""The streamed TCN equals the offline network (padding "same") shifted by the reported delay."""

import torch
import torch.nn.functional as F

from neutone_examples import tcn_effect
from neutone_examples.tcn_effect import TCNEffect


def _offline(net: TCNEffect, x: torch.Tensor) -> torch.Tensor:
    """The same weights run on the whole signal with plain ``padding="same"`` convolutions."""
    h = F.conv1d(x, net.expand.weight)
    for block in net.blocks:
        conv, mix = block.conv, block.mix
        context = F.conv1d(h, conv.weight, conv.bias, padding="same", dilation=conv.dilation)
        h = h + F.conv1d(torch.tanh(context), mix.weight, mix.bias)
    return F.conv1d(h, net.project.weight)


def test_streaming_equals_offline_after_the_reported_delay(stream) -> None:
    torch.manual_seed(6)
    x = 0.5 * torch.randn(2, 4096)
    model = tcn_effect.build_model()
    y, delay = stream(model, x, [1 / 3, 0.8])  # drive 0 dB, level 0 dB
    assert delay == sum(tcn_effect.DILATIONS) == 63  # each 'same' layer looks `dilation` ahead
    with torch.no_grad():
        offline = _offline(model.model, x.unsqueeze(1)).squeeze(1)
    # Offline, every layer's input is zero before the start; streamed, a layer's first outputs
    # (offline times before 0) already saw the signal through the look-ahead of the layers below.
    # The two agree once the receptive field, 2 * 63 samples, lies inside the signal.
    start, n = 2 * delay, x.size(1) - delay
    torch.testing.assert_close(y[:, delay + start :], offline[:, start:n], atol=1e-4, rtol=1e-4)
    assert float((y[:, delay:] - x[:, :n]).abs().max()) > 1e-2  # it is not a plain delay
