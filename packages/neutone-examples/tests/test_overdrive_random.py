"""The random overdrive is reproducible, streams like the network run offline, reports its lag."""

import torch

from neutone_examples import overdrive_random
from neutone_examples.overdrive_random import RandomOverdriveNet


def test_weights_depend_only_on_the_seed() -> None:
    first, second = RandomOverdriveNet(), RandomOverdriveNet()
    other = RandomOverdriveNet(seed=overdrive_random.SEED + 1)
    for name, weight in first.state_dict().items():
        assert torch.equal(weight, second.state_dict()[name]), name
        assert not torch.equal(weight, other.state_dict()[name]), name


def test_streamed_output_equals_the_offline_network(stream) -> None:
    torch.manual_seed(1)
    x = 0.5 * torch.randn(2, 4096)
    model = overdrive_random.build_model()
    y, total_delay = stream(model, x, [0.5, 0.7])  # drive 18 dB, level 0.7
    net = model.model
    buffering = total_delay - net.delay  # the lag is the network's own, already in `offline`
    padded = torch.nn.functional.pad(x * 10 ** (18 / 20), [net.receptive_field - 1, 0])
    with torch.no_grad():
        offline = 0.7 * net(padded.unsqueeze(1)).squeeze(1)
    n = x.size(1) - buffering
    torch.testing.assert_close(y[:, buffering:], offline[:, :n], atol=1e-5, rtol=1e-5)
    assert float(y.abs().max()) <= 0.7 + 1e-6  # the final tanh bounds the output by the level


def test_reported_delay_is_where_a_small_impulse_peaks(stream) -> None:
    x = torch.zeros(2, 1024)
    x[:, 300] = 1e-3
    y, delay = stream(overdrive_random.build_model(), x, [0.0, 1.0])  # drive 0 dB, level 1
    assert delay > 0
    assert int(y[0].abs().argmax()) == 300 + delay
