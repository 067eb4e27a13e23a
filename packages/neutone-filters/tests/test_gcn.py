"""`GCN1D` is the Neutone SDK's gated convolutional network: its weights load, and the same input
gives the same output, call after call (temporal FiLM's state included), scripted or not."""

from typing import Optional

import pytest
import torch

from neutone_filters import GCN1D

sdk_gcn = pytest.importorskip("neutone_sdk.gcn_1d", reason="compared with the Neutone SDK itself")


@pytest.mark.parametrize(("cond_dim", "rnn_type"), [(0, "lstm"), (2, "lstm"), (3, "gru")])
def test_loads_the_sdks_weights_and_matches_it_call_after_call(cond_dim: int, rnn_type: str):
    torch.manual_seed(0)
    options = dict(n_blocks=3, n_channels=8, kernel_size=5, cond_dim=cond_dim, rnn_type=rnn_type)
    sdk = sdk_gcn.GCN1D(tfilm_block_size=32, **options).eval()
    ours = GCN1D(tfilm_block_size=32, **options).eval()
    assert set(ours.state_dict()) == set(sdk.state_dict())
    ours.load_state_dict(sdk.state_dict())
    scripted = torch.jit.script(GCN1D(tfilm_block_size=32, **options).eval())
    scripted.load_state_dict(sdk.state_dict())
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for n in (200, 200, 224):  # the SDK needs the same number of FiLM blocks per call
            x = torch.randn(1, 1, n, generator=generator)
            cond: Optional[torch.Tensor] = (
                torch.rand(1, cond_dim, generator=generator) if cond_dim else None
            )
            expected = sdk(x, cond)
            torch.testing.assert_close(ours(x, cond), expected, rtol=0, atol=0)
            torch.testing.assert_close(scripted(x, cond), expected, rtol=0, atol=0)
    assert ours.calc_receptive_field() == sdk.calc_receptive_field() == 85


def test_reset_starts_film_from_zero_and_a_new_block_count_does_not_fail() -> None:
    torch.manual_seed(0)
    net = GCN1D(n_blocks=2, n_channels=4, kernel_size=3, cond_dim=1, tfilm_block_size=16).eval()
    x, cond = torch.randn(1, 1, 64), torch.rand(1, 1)
    with torch.no_grad():
        first = net(x, cond)
        assert not torch.equal(net(x, cond), first)  # the FiLM state carried over
        net.reset()
        torch.testing.assert_close(net(x, cond), first, rtol=0, atol=0)
        assert net(torch.randn(1, 1, 40), cond).shape == (1, 1, 40)  # 3 blocks instead of 4


def test_bad_arguments_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="n_blocks must be an int >= 1, got 0"):
        GCN1D(n_blocks=0)
    with pytest.raises(ValueError, match="rnn_type must be 'lstm' or 'gru', got 'rnn'"):
        GCN1D(cond_dim=1, rnn_type="rnn")
