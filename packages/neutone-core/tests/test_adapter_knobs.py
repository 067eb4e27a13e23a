"""Knob values as the model receives them, and what a model may write to.

- ``aggregate_params`` (the Neutone SDK's hook) receives every knob slot as ``(4, n)``, mapped;
  what it returns reaches the model row by row.
- A model writing into its input (as Neutone SDK examples do) changes neither the host's buffer nor
  the context of later windows; a hook writing into its knob block leaves the host's knobs alone.
"""

from typing import Dict, List

import pytest
import torch
from torch import Tensor

from neutone_core import CategoricalNeutoneParameter, NeutoneParameter, RealtimeAdapter

KNOBS = [
    NeutoneParameter("gain", "gain", 0.5, min_value=-2.0, max_value=6.0),
    CategoricalNeutoneParameter("mode", "mode", 5, 1),
]
# (label, wrapper settings, host rate): the host buffer as the block, a queue, resampling.
PATHS = [
    ("direct", {}, 48000),
    ("queued", {"sample_rates": [48000], "buffer_sizes": [64], "look_ahead": 3}, 48000),
    ("resampled", {"sample_rates": [48000], "buffer_sizes": [256]}, 44100),
]


def _mapped(p: Tensor) -> Tensor:
    """What the adapter hands `aggregate_params` for knob positions `p` ``(4, n)``."""
    want = p.clone()
    want[0] = -2.0 + 8.0 * p[0]
    want[1] = torch.round(4.0 * p[1])
    return want


@pytest.fixture(scope="module")
def all_knobs_wrapper(identity_wrapper):
    class AllKnobs(identity_wrapper):
        """Keeps every sample through ``aggregate_params`` and outputs the first knob's values;
        remembers the last block the hook got."""

        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.last = torch.zeros(0, 0)

        def aggregate_params(self, params: Tensor) -> Tensor:
            self.last = params.clone()
            return params

        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            n = x.size(1) - self.lb - self.la
            return params["gain"].unsqueeze(0).expand(self.out_ch, n).clone()

    return AllKnobs


@pytest.mark.parametrize(("label", "kw", "host_sr"), PATHS)
@pytest.mark.parametrize("scripted", [False, True])
def test_aggregate_params_override_receives_every_knob_as_4_by_n(
    all_knobs_wrapper, stream_fn, label, kw, host_sr, scripted
):
    w = all_knobs_wrapper(knobs=KNOBS, **kw)
    a = RealtimeAdapter(w)
    a = torch.jit.script(a) if scripted else a
    a.set_daw_sample_rate_and_buffer_size(host_sr, 128)
    gen = torch.Generator().manual_seed(0)
    n = 1500
    params = torch.rand(4, n, generator=gen)
    y = stream_fn(a, torch.zeros(2, n), [128, 7, 0, 64], params)
    total = a.get_delay_breakdown()["total"]
    last = a.w2w_base.last
    if label == "direct":  # the block is the last host buffer
        assert last.size(0) == 4
        assert torch.allclose(last, _mapped(params[:, n - last.size(1) :]), atol=1e-6)
    elif label == "queued":  # blocks of 64 host samples, the last one complete with look-ahead
        blocks = (n - 3) // 64
        assert last.shape == (4, 64)
        want = _mapped(params[:, (blocks - 1) * 64 : blocks * 64])
        assert torch.allclose(last, want, atol=1e-6)
    else:  # sample-and-hold of mapped values at the native rate
        assert last.shape == (4, 256)
        assert torch.all((last[1] == torch.round(last[1])) & (last[1] >= 0) & (last[1] <= 4))
        assert torch.all((last[0] >= -2.0) & (last[0] <= 6.0))
    if label != "resampled":
        # Every sample of the first knob reaches the model, mapped, delayed by the total.
        assert torch.allclose(y[0, total:], -2.0 + 8.0 * params[0, : n - total], atol=1e-5)


def test_aggregate_params_may_return_one_value_per_knob(identity_wrapper):
    seen: List[Dict[str, Tensor]] = []

    class Means(identity_wrapper):
        def aggregate_params(self, params: Tensor) -> Tensor:
            return torch.mean(params, dim=1, keepdim=True)

        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            seen.append({k: v.clone() for k, v in params.items()})
            return x

    a = RealtimeAdapter(Means(knobs=KNOBS, buffer_sizes=[4]))
    a.set_daw_sample_rate_and_buffer_size(48000, 4)
    seen.clear()
    a(torch.zeros(2, 4), torch.tensor([[0.0, 0.25, 0.5, 0.25], [0.5] * 4, [0.0] * 4, [0.0] * 4]))
    assert seen[-1]["gain"].shape == (1,) and float(seen[-1]["gain"]) == pytest.approx(0.0)
    assert float(seen[-1]["mode"]) == 2.0


def test_aggregation_hooks_are_checked_when_built(identity_wrapper):
    class WrongRows(identity_wrapper):
        def aggregate_params(self, params: Tensor) -> Tensor:
            return params[:2]

    with pytest.raises(ValueError, match=r"aggregate_params must return shape \(4, m\).*got \[2, "):
        RealtimeAdapter(WrongRows(knobs=KNOBS))

    class Both(identity_wrapper):
        def aggregate_param(self, param: Tensor) -> Tensor:
            return param

        def aggregate_params(self, params: Tensor) -> Tensor:
            return params

    with pytest.raises(ValueError, match="overrides both aggregate_param and aggregate_params"):
        RealtimeAdapter(Both(knobs=KNOBS))


@pytest.fixture(scope="module")
def in_place_wrapper(identity_wrapper):
    class HalvesInPlace(identity_wrapper):
        """Halves its whole input window in place (look-behind and look-ahead too), then returns
        the current block, as Neutone SDK examples write into ``x``; its knob hook doubles the
        knob block in place."""

        def aggregate_params(self, params: Tensor) -> Tensor:
            params.mul_(2.0)
            return params

        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            x.mul_(0.5)
            n = x.size(1) - self.lb - self.la
            cur = x[:, self.lb : self.lb + n]
            if cur.size(0) != self.out_ch:
                cur = torch.mean(cur, dim=0, keepdim=True) if self.out_ch == 1 else cur.expand(2, n)
            return cur

    return HalvesInPlace


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"buffer_sizes": [64]},
        {"buffer_sizes": [64], "look_behind": 5, "look_ahead": 3},
        {"look_behind": 2},
        {"in_mono": True, "buffer_sizes": [32], "look_ahead": 9},
    ],
)
@pytest.mark.parametrize("scripted", [False, True])
def test_a_model_writing_into_its_input_changes_nothing_outside_its_window(
    in_place_wrapper, stream_fn, expected_channels_fn, kw, scripted
):
    w = in_place_wrapper(knobs=KNOBS, **kw)
    a = RealtimeAdapter(w)
    a = torch.jit.script(a) if scripted else a
    a.set_daw_sample_rate_and_buffer_size(48000, 128)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 1000, generator=gen)
    params = torch.rand(4, 1000, generator=gen)
    x_before, params_before = x.clone(), params.clone()
    y = stream_fn(a, x, [128, 1, 0, 77], params)
    assert torch.equal(x, x_before), "the host's audio buffer was written to"
    assert torch.equal(params, params_before), "the host's knob buffer was written to"
    total = a.get_delay_breakdown()["total"]
    want = 0.5 * expected_channels_fn(x, w.in_mono, w.out_mono)
    # Halved once: each window's context is what came in, not what the last block wrote.
    assert torch.equal(y[:, total:], want[:, : x.size(1) - total])
