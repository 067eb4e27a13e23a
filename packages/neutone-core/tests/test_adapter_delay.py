"""The adapter's output is its input delayed by exactly the reported delay, for any settings.

Same rate: every sample equal (identity model), zeros before the delay. With resampling: within the
resampler's accuracy, on tones below 0.4 of the lower rate faded in so that the check covers the
whole signal.
"""

import math

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neutone_core import RealtimeAdapter

RATES = [16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000]
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def model_settings(draw, resampling: bool):
    host_sr = draw(st.sampled_from(RATES))
    if resampling:
        native = draw(st.sampled_from([r for r in RATES if r != host_sr]))
        rates = [native]
    else:
        rates = draw(
            st.sampled_from([[], [host_sr], [host_sr, 96000 if host_sr != 96000 else 8000]])
        )
    sizes = draw(
        st.one_of(
            st.just([]),
            st.lists(
                st.integers(1, 4096) if not resampling else st.integers(16, 1024),
                min_size=1,
                max_size=3,
            ),
        )
    )
    return {
        "host_sr": host_sr,
        "rates": rates,
        "sizes": sizes,
        "look_behind": draw(st.integers(0, 300)),
        "look_ahead": draw(st.integers(0, 300)),
        "delay": draw(st.integers(0, 300)),
        "in_mono": draw(st.booleans()),
        "out_mono": draw(st.booleans()),
        "host_ch": draw(st.sampled_from([1, 2])),
        # Resampling tests start at 16 samples per call only to bound their run time.
        "max_bs": draw(st.integers(16 if resampling else 1, 2048)),
        "seq": draw(st.lists(st.integers(0, 2048), min_size=1, max_size=12)),
    }


def _build(identity_wrapper, s):
    w = identity_wrapper(
        in_mono=s["in_mono"],
        out_mono=s["out_mono"],
        sample_rates=s["rates"],
        buffer_sizes=s["sizes"],
        look_behind=s["look_behind"],
        look_ahead=s["look_ahead"],
        delay=s["delay"],
    )
    a = RealtimeAdapter(w)
    a.set_daw_sample_rate_and_buffer_size(s["host_sr"], s["max_bs"])
    sizes = [min(n, s["max_bs"]) for n in s["seq"]] + [s["max_bs"]]
    return a, sizes


@HYPOTHESIS
@given(s=model_settings(resampling=False))
def test_same_rate_output_is_input_delayed_exactly(
    s, identity_wrapper, stream_fn, expected_channels_fn
):
    a, sizes = _build(identity_wrapper, s)
    assert not a.is_resampling()
    d = a.get_delay_breakdown()
    total = d["total"]
    assert total == a.calc_buffering_delay_samples() + a.calc_model_delay_samples()
    assert d["buffering"] + d["resampling"] + d["look_ahead"] + d["model"] == total
    assert d["model"] == s["delay"] and d["look_ahead"] == s["look_ahead"]
    gen = torch.Generator().manual_seed(1)
    n = total + 1500
    x = torch.randn(s["host_ch"], n, generator=gen)
    y = stream_fn(a, x, sizes)
    want = expected_channels_fn(x, s["in_mono"], s["out_mono"])
    assert y.shape == x.shape
    assert torch.count_nonzero(y[:, :total]) == 0, f"non-zero before the delay {total}: {s}"
    assert torch.equal(y[:, total:], want[:, : n - total]), f"delay {total} mismatch: {s}"


@HYPOTHESIS
@given(s=model_settings(resampling=False))
def test_tiny_view_caches_stream_exactly(s, identity_wrapper, stream_fn):
    # The queues keep the views they write through; with room for two the cache starts over
    # on almost every call, which must not cost a sample.
    usual, sizes = _build(identity_wrapper, s)
    tiny, _ = _build(identity_wrapper, s)
    queues = (tiny.blocks.fifo, tiny.knobs.fifo, tiny.out_fifo)
    for fifo in queues:
        fifo.max_cached_views = 2
    x = torch.randn(s["host_ch"], 3000, generator=torch.Generator().manual_seed(2))
    assert torch.equal(stream_fn(tiny, x, sizes), stream_fn(usual, x, sizes))
    assert all(len(fifo.views) <= 2 for fifo in queues)


def _tones(num_channels: int, n: int, rate: int, f_max: float, seed: int) -> torch.Tensor:
    """Sum of 3 tones per channel below `f_max` Hz, faded in over 2000 samples, peak <= 1."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.arange(n, dtype=torch.float64) / rate
    x = torch.zeros(num_channels, n, dtype=torch.float64)
    for c in range(num_channels):
        for _ in range(3):
            f = float(torch.rand(1, generator=gen)) * f_max
            phase = float(torch.rand(1, generator=gen)) * 2 * math.pi
            x[c] += torch.sin(2 * math.pi * f * t + phase) / 3
    ramp = torch.clamp(torch.arange(n, dtype=torch.float64) / 2000, max=1.0)
    return (x * 0.5 * (1 - torch.cos(math.pi * ramp))).float()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=model_settings(resampling=True))
def test_resampled_output_is_input_delayed_by_reported_delay(
    s, identity_wrapper, stream_fn, expected_channels_fn
):
    a, sizes = _build(identity_wrapper, s)
    assert a.is_resampling()
    d = a.get_delay_breakdown()
    total = d["total"]
    assert total == a.calc_buffering_delay_samples() + a.calc_model_delay_samples()
    assert min(d.values()) >= 0
    f_max = 0.4 * min(s["host_sr"], s["rates"][0])
    n = total + 4000
    x = _tones(s["host_ch"], n, s["host_sr"], f_max, seed=2)
    y = stream_fn(a, x, sizes)
    want = expected_channels_fn(x, s["in_mono"], s["out_mono"])
    err = (y[:, total:] - want[:, : n - total]).abs().max().item()
    # "high" resampler: >= 120 dB stop band, pass-band ripple far below 1e-3 for two passes.
    assert err < 1e-3, f"error {err:.2e} at delay {total}: {s}"
    assert y[:, :total].abs().max().item() < 1e-3
