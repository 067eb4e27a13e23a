"""The random overdrive is reproducible, and streams exactly like the network run offline."""

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
    y, delay = stream(model, x, [0.5, 0.7])  # drive 18 dB, level 0.7
    net = model.model
    padded = torch.nn.functional.pad(x * 10 ** (18 / 20), [net.receptive_field - 1, 0])
    with torch.no_grad():
        offline = 0.7 * net(padded.unsqueeze(1)).squeeze(1)
    n = x.size(1) - delay
    torch.testing.assert_close(y[:, delay:], offline[:, :n], atol=1e-5, rtol=1e-5)
    assert float(y.abs().max()) <= 0.7 + 1e-6  # the final tanh bounds the output by the level
