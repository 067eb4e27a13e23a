"""StreamingResampler: exact counts, streaming == offline, reported delay, scripting, allocation."""

import math
import sys
from pathlib import Path
from typing import Iterator, List

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.profiler import ProfilerActivity, profile

from neutone_core.kaiser import kaiser_kernel
from neutone_core.resample import (
    StreamingResampler,
    design_filter,
    polyphase_bank,
    resample,
)

sys.path.insert(0, str(Path(__file__).parent))  # resample_quality: a test helper, not shipped
from resample_quality import fit_tone, impulse_delay, stream


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """One intra-op thread, as in an audio callback (and steady timings on a shared machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


PAIRS = [
    (44100, 48000),
    (48000, 44100),
    (48000, 96000),
    (96000, 48000),
    (22050, 48000),
    (32000, 44100),
    (88200, 44100),
    (8000, 192000),
    (192000, 8000),
    (48000, 48000),
]


def direct(x: torch.Tensor, converter: StreamingResampler, num_outputs: int) -> torch.Tensor:
    """Slow, obvious reference: y[k] = sum_n x[n] g(tau_k - n), g evaluated anew for each output."""
    cutoff, half_width, beta = design_filter(converter.in_rate, converter.out_rate, "high")
    up, down, delay = converter.up, converter.down, converter.delay_phase_units()
    y = torch.zeros(x.shape[0], num_outputs, dtype=torch.float64)
    x64 = x.to(torch.float64)
    for k in range(num_outputs):
        tau = (k * down - delay) / up
        n = torch.arange(math.floor(tau) - half_width, math.floor(tau) + half_width + 2)
        if half_width == 0:
            g = (n.to(torch.float64) == tau).to(torch.float64)
        else:
            g = kaiser_kernel(tau - n.to(torch.float64), cutoff, float(half_width), beta)
            g = g / g.sum()  # the bank normalises each phase to unit DC gain
        inside = (n >= 0) & (n < x.shape[1])
        y[:, k] = x64[:, n[inside]] @ g[inside]
    return y


@pytest.mark.parametrize(
    "in_rate, out_rate", [(44100, 48000), (96000, 48000), (48000, 48000), (44100, 47999)]
)
def test_matches_direct_formula(in_rate: int, out_rate: int) -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 400)
    converter = StreamingResampler(in_rate, out_rate, 2, "high", extra_delay=5)
    y = stream([converter], x, 97)
    expected = direct(x, converter, y.shape[1])
    # float32 arithmetic on unit-variance noise: errors of a few 1e-7.
    torch.testing.assert_close(y.to(torch.float64), expected, atol=5e-6, rtol=0)


def test_bank_rows_are_the_kernel() -> None:
    cutoff, half_width, beta = design_filter(44100, 48000, "high")
    bank = polyphase_bank(160, half_width, cutoff, beta)
    r = 37
    t = r / 160 + half_width - torch.arange(2 * half_width + 1, dtype=torch.float64)
    row = kaiser_kernel(t, cutoff, float(half_width), beta)
    torch.testing.assert_close(bank[r], row / row.sum(), atol=1e-15, rtol=0)
    torch.testing.assert_close(bank.sum(dim=1), torch.ones(160, dtype=torch.float64))


@settings(max_examples=60, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    quality=st.sampled_from(["fast", "high", "best"]),
    channels=st.integers(1, 3),
    extra_delay=st.integers(0, 400),
    sizes=st.lists(st.integers(0, 4096), min_size=1, max_size=8),
    seed=st.integers(0, 2**16),
)
def test_streaming_equals_whole_signal(
    pair: tuple, quality: str, channels: int, extra_delay: int, sizes: List[int], seed: int
) -> None:
    in_rate, out_rate = pair
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(channels, sum(sizes), generator=generator)
    streaming = StreamingResampler(in_rate, out_rate, channels, quality, extra_delay)
    streaming.set_max_input_size(max(sizes))
    pieces = []
    start = 0
    for size in sizes:
        expected_count = streaming.output_count(size)
        y = streaming(x[:, start : start + size])
        assert y.shape == (channels, expected_count)
        pieces.append(y.clone())
        start += size
    offline = StreamingResampler(in_rate, out_rate, channels, quality, extra_delay)
    whole = offline(x)
    assert whole.shape[1] == (sum(sizes) * offline.up + extra_delay) // offline.down
    # Unit-variance noise through float32 sums of up to ~300 products, which other partitions add
    # in another order (other memory alignment): a few ulps apart.
    torch.testing.assert_close(torch.cat(pieces, dim=1), whole, atol=5e-6, rtol=0)


@pytest.mark.parametrize("quality", ["fast", "high", "best"])
def test_block_windows(quality: str) -> None:
    # Common pairs read every block's window as one strided view of the history; a ratio whose
    # blocks repeat only after thousands of outputs gathers the windows at their own starts.
    for in_rate, out_rate in PAIRS:
        assert StreamingResampler(in_rate, out_rate, 1, quality).stride > 0, (in_rate, out_rate)
    odd = StreamingResampler(44100, 47999, 2, quality)
    assert (odd.stride, odd.period) == (0, 6857)
    x = torch.randn(2, 5000, generator=torch.Generator().manual_seed(6))
    whole = StreamingResampler(44100, 47999, 2, quality)(x).clone()
    torch.testing.assert_close(stream([odd], x, 333), whole, atol=5e-6, rtol=0)


@pytest.mark.parametrize("quality", ["fast", "best"])
def test_a_larger_call_grows_and_keeps_the_stream(quality: str) -> None:
    x = torch.randn(2, 6000, generator=torch.Generator().manual_seed(7))
    converter = StreamingResampler(24000, 16000, 2, quality, extra_delay=1)
    converter.set_max_input_size(64)
    pieces = []
    for start, size in [(0, 64), (64, 4096), (4160, 1840)]:
        expected = converter.output_count(size)
        pieces.append(converter(x[:, start : start + size]).clone())
        assert pieces[-1].shape == (2, expected)
    whole = StreamingResampler(24000, 16000, 2, quality, extra_delay=1)(x)
    torch.testing.assert_close(torch.cat(pieces, dim=1), whole, atol=5e-6, rtol=0)


def test_ten_minutes_no_drift() -> None:
    # Ten minutes of 44.1 kHz in uneven chunks: the count is exact, whatever the partition.
    converter = StreamingResampler(44100, 48000, 1, "fast", extra_delay=3)
    generator = torch.Generator().manual_seed(1)
    sizes = torch.randint(20000, 70000, (2000,), generator=generator).tolist()
    total_in = 0
    total_out = 0
    chunk = torch.zeros(1, 70000)
    converter.set_max_input_size(70000)
    while total_in < 600 * 44100:
        size = min(sizes.pop(), 600 * 44100 - total_in)
        total_out += converter(chunk[:, :size]).shape[1]
        total_in += size
    assert total_out == (total_in * 160 + 3) // 147
    assert abs(total_out - total_in * 48000 / 44100) <= 1


@pytest.mark.parametrize("extra_delay", [0, 1, 146, 147, 1000])
def test_counts_and_input_needed(extra_delay: int) -> None:
    converter = StreamingResampler(44100, 48000, 1, "high", extra_delay)
    generator = torch.Generator().manual_seed(extra_delay)
    produced = 0
    consumed = 0
    for _ in range(50):
        wanted = int(torch.randint(0, 600, (1,), generator=generator))
        needed = converter.input_needed(wanted)
        assert converter.output_count(needed) >= wanted
        assert needed == 0 or converter.output_count(needed - 1) < wanted
        assert converter.output_count(needed) <= converter.max_output_size(needed)
        produced += converter(torch.zeros(1, needed)).shape[1]
        consumed += needed
        assert produced == (consumed * 160 + extra_delay) // 147


@pytest.mark.parametrize("in_rate, out_rate", PAIRS)
@pytest.mark.parametrize("extra_delay", [0, 7])
def test_reported_delay_is_measured_delay(in_rate: int, out_rate: int, extra_delay: int) -> None:
    converter = StreamingResampler(in_rate, out_rate, 1, "high", extra_delay)
    assert converter.delay_phase_units() == (
        (converter.half_width + 1) * converter.up - converter.down + extra_delay
    )
    measured = impulse_delay([converter], buffer_size=333)
    # Cross-correlation with a Gaussian pulse resolves the delay to about 1e-6 output samples.
    assert measured == pytest.approx(converter.delay_output_samples(), abs=1e-3), (
        in_rate,
        out_rate,
    )
    assert converter.delay_input_samples() == converter.delay_phase_units() / converter.up


@settings(max_examples=25, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    quality=st.sampled_from(["fast", "high", "best"]),
    extra_delay=st.integers(0, 500),
    buffer_size=st.integers(1, 700),
)
def test_measured_delay_any_phase(
    pair: tuple, quality: str, extra_delay: int, buffer_size: int
) -> None:
    converter = StreamingResampler(pair[0], pair[1], 1, quality, extra_delay)
    measured = impulse_delay([converter], buffer_size=buffer_size)
    assert measured == pytest.approx(converter.delay_output_samples(), abs=1e-3)


def test_equal_rates_is_a_pure_delay() -> None:
    torch.manual_seed(2)
    x = torch.randn(2, 1000)
    converter = StreamingResampler(48000, 48000, 2, "high", extra_delay=13)
    y = stream([converter], x, 64)
    assert converter.delay_output_samples() == 13.0
    assert y.shape == (2, 1013)
    assert torch.equal(y[:, 13:], x)
    assert torch.equal(y[:, :13], torch.zeros(2, 13))
    identity = StreamingResampler(48000, 48000, 2)
    assert torch.equal(identity(x), x)


def test_constant_stays_constant() -> None:
    converter = StreamingResampler(44100, 48000, 1, "high")
    y = stream([converter], torch.ones(1, 4000), 128)
    steady = y[0, converter.num_taps * 2 :]
    assert float((steady - 1.0).abs().max()) < 1e-6


def test_reset_restarts_the_stream() -> None:
    torch.manual_seed(3)
    x = torch.randn(2, 900)
    converter = StreamingResampler(48000, 44100, 2)
    first = converter(x).clone()
    converter(torch.randn(2, 77))
    converter.reset()
    torch.testing.assert_close(converter(x), first, atol=0, rtol=0)


def test_scripted_equals_eager() -> None:
    torch.manual_seed(4)
    x = torch.randn(2, 3000)
    eager = StreamingResampler(44100, 48000, 2, "high", extra_delay=9)
    scripted = torch.jit.script(StreamingResampler(44100, 48000, 2, "high", extra_delay=9))
    for start, size in [(0, 0), (0, 1), (1, 512), (513, 2000), (2513, 487)]:
        assert scripted.output_count(size) == eager.output_count(size)
        assert scripted.input_needed(size) == eager.input_needed(size)
        torch.testing.assert_close(
            scripted(x[:, start : start + size]), eager(x[:, start : start + size]), atol=0, rtol=0
        )
    assert scripted.delay_output_samples() == eager.delay_output_samples()
    assert scripted.max_output_size(512) == eager.max_output_size(512)


@pytest.mark.parametrize(
    "in_rate, out_rate, quality, channels",
    [
        (44100, 48000, "fast", 2),
        (44100, 48000, "high", 2),
        (48000, 44100, "high", 1),
        (44100, 48000, "best", 3),
        (96000, 48000, "high", 2),
        (44100, 47999, "high", 2),
    ],
)
def test_scripted_call_allocates_nothing(
    in_rate: int, out_rate: int, quality: str, channels: int
) -> None:
    converter = torch.jit.script(StreamingResampler(in_rate, out_rate, channels, quality, 5))
    converter.set_max_input_size(512)
    x = torch.randn(channels, 512)
    for size in [512, 3, 128, 0, 511] * 3:
        converter(x[:, :size])
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        for size in [512, 128, 1, 0, 333, 32]:
            converter(x[:, :size])
    events = prof.events()
    empties = [e.name for e in events if e.name.startswith("aten::empty")]
    allocated = sum(e.cpu_memory_usage for e in events if e.cpu_memory_usage > 0)
    assert empties == []
    assert allocated == 0
    assert any(e.name == "aten::bmm" for e in events)  # the profile did see the calls


@pytest.mark.parametrize("in_rate, out_rate", [(44100, 48000), (48000, 44100), (16000, 48000)])
def test_functional_resample_is_aligned(in_rate: int, out_rate: int) -> None:
    frequency = 1000.0
    n = 4410
    t_in = torch.arange(n, dtype=torch.float64) / in_rate
    x = torch.sin(2 * math.pi * frequency * t_in).to(torch.float32)
    y = resample(x.view(1, 1, n), in_rate, out_rate)
    m = math.ceil(n * out_rate / in_rate)
    assert y.shape == (1, 1, m)
    t_out = torch.arange(m, dtype=torch.float64) / out_rate
    expected = torch.sin(2 * math.pi * frequency * t_out)
    # Away from the edges (where the signal starts and stops abruptly) the tone is exact.
    edge = m // 5
    error = (y[0, 0, edge:-edge].double() - expected[edge:-edge]).abs().max()
    assert float(error) < 1e-5
    fitted = fit_tone(y[0, 0, edge:-edge], frequency, t_out[edge:-edge])
    assert float((fitted - expected[edge:-edge]).abs().max()) < 1e-5


def test_functional_resample_uses_the_streaming_filter() -> None:
    torch.manual_seed(5)
    x = torch.randn(2, 1000)
    y = resample(x, 48000, 44100, "best")
    extra = (-StreamingResampler(48000, 44100, 2, "best").delay_phase_units()) % 160
    converter = StreamingResampler(48000, 44100, 2, "best", extra)
    skip = converter.delay_phase_units() // 160
    streamed = converter(torch.cat([x, torch.zeros(2, 2000)], dim=1))
    torch.testing.assert_close(y, streamed[:, skip : skip + y.shape[1]], atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(in_rate=0, out_rate=48000), r"in_rate .*\[1, 384000\].*0"),
        (dict(in_rate=44100, out_rate=400000), r"out_rate .*\[1, 384000\].*400000"),
        (dict(in_rate=44100.0, out_rate=48000), r"in_rate .*44100.0"),
        (dict(in_rate=44100, out_rate=48000, quality="ultra"), r"quality .*'ultra'"),
        (dict(in_rate=44100, out_rate=48000, num_channels=0), r"num_channels .*\[1, inf\).*0"),
        (dict(in_rate=44100, out_rate=48000, extra_delay=-1), r"extra_delay .*\[0, inf\).*-1"),
        (dict(in_rate=383999, out_rate=384000), r"up = 384000 phases"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StreamingResampler(**kwargs)


def test_bad_input_shape() -> None:
    converter = StreamingResampler(44100, 48000, 2)
    with pytest.raises(ValueError, match=r"num_channels=2"):
        converter(torch.zeros(1, 10))
    with pytest.raises(ValueError, match="quality"):
        resample(torch.zeros(10), 44100, 48000, "medium")
