"""StreamingResampler.configure: rates set at run time, scripted, equal to a fresh construction."""

import io
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.profiler import ProfilerActivity, profile

from neutone_core.resample import StreamingResampler, minimum_delay_units

sys.path.insert(0, str(Path(__file__).parent))  # resample_quality: a test helper, not shipped
from resample_quality import impulse_delay

CHANNELS = 2
RUNTIME_PAIRS = [
    (44100, 48000),
    (48000, 44100),
    (192000, 48000),
    (11025, 48000),
    (48000, 48000),
    (88200, 48000),
    (48000, 176400),
    (22050, 96000),
]


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


_SCRIPTED: Dict[str, torch.jit.ScriptModule] = {}


def scripted_placeholder(quality: str) -> torch.jit.ScriptModule:
    """One scripted placeholder (equal rates) per preset, reused: every test configures it."""
    if quality not in _SCRIPTED:
        _SCRIPTED[quality] = torch.jit.script(StreamingResampler(48000, 48000, CHANNELS, quality))
    return _SCRIPTED[quality]


def run(converter: torch.nn.Module, x: torch.Tensor, sizes: List[int]) -> torch.Tensor:
    """Stream `x` through `converter` in calls of `sizes` (cycled) and join the outputs."""
    pieces = []
    start = 0
    index = 0
    while start < x.shape[1]:
        size = min(sizes[index % len(sizes)], x.shape[1] - start)
        expected = converter.output_count(size)
        y = converter(x[:, start : start + size])
        assert y.shape == (x.shape[0], expected)
        pieces.append(y.clone())
        start += size
        index += 1
    return torch.cat(pieces, dim=1)


def fresh(in_rate: int, out_rate: int, quality: str, extra: int, max_input: int) -> torch.nn.Module:
    converter = StreamingResampler(in_rate, out_rate, CHANNELS, quality, extra)
    converter.set_max_input_size(max_input)
    return converter


def assert_same_configuration(a: torch.nn.Module, b: torch.nn.Module) -> None:
    assert (a.up, a.down, a.delay_phase_units()) == (b.up, b.down, b.delay_phase_units())
    assert a.delay_output_samples() == b.delay_output_samples()
    assert a.max_output_size(700) == b.max_output_size(700)
    for wanted in [0, 1, 300]:
        assert a.input_needed(wanted) == b.input_needed(wanted)


@pytest.mark.parametrize("quality", ["fast", "high", "best"])
@pytest.mark.parametrize("in_rate, out_rate", RUNTIME_PAIRS)
def test_configured_equals_constructed(quality: str, in_rate: int, out_rate: int) -> None:
    generator = torch.Generator().manual_seed(in_rate + out_rate)
    x = torch.randn(CHANNELS, 6000, generator=generator)
    sizes = [512, 1, 0, 300, 511, 64]
    scripted = scripted_placeholder(quality)
    scripted.configure(in_rate, out_rate, 5, 512)
    eager = fresh(in_rate, out_rate, quality, 5, 512)
    assert_same_configuration(scripted, eager)
    assert torch.equal(run(scripted, x, sizes), run(eager, x, sizes))


@pytest.mark.parametrize("quality", ["fast", "best"])
def test_minimum_delay_without_designing(quality: str) -> None:
    scripted = torch.jit.script(minimum_delay_units)
    for in_rate, out_rate in [*RUNTIME_PAIRS, (8000, 192000), (192000, 8000)]:
        expected = StreamingResampler(in_rate, out_rate, 1, quality).delay_phase_units()
        assert minimum_delay_units(in_rate, out_rate, quality) == expected
        assert scripted(in_rate, out_rate, quality) == expected
    with pytest.raises(torch.jit.Error, match="quality"):
        scripted(44100, 48000, "ultra")


def test_configure_switches_rates_and_resets() -> None:
    torch.manual_seed(0)
    x = torch.randn(CHANNELS, 3000)
    scripted = scripted_placeholder("high")
    scripted.configure(44100, 48000, 0, 256)
    first = run(scripted, x, [256, 100])
    scripted.configure(192000, 44100, 3, 256)  # mid-stream: the old history must not leak
    second = run(scripted, x, [256, 7])
    assert torch.equal(second, run(fresh(192000, 44100, "high", 3, 256), x, [256, 7]))
    scripted(x[:, :99])
    scripted.configure(192000, 44100, 3, 128)  # same rates: same tables, state reset
    # Other buffer sizes place the windows elsewhere in memory: float32 sums may round apart.
    torch.testing.assert_close(run(scripted, x, [128]), second, atol=1e-6, rtol=0)
    scripted.configure(44100, 48000, 0, 256)  # back again
    assert torch.equal(run(scripted, x, [256, 100]), first)


@settings(max_examples=20, deadline=None)
@given(
    pair=st.sampled_from(RUNTIME_PAIRS),
    extra_delay=st.integers(0, 300),
    sizes=st.lists(st.integers(0, 700), min_size=1, max_size=5).filter(any),
    seed=st.integers(0, 2**16),
)
def test_configured_counts_and_delay(
    pair: Tuple[int, int], extra_delay: int, sizes: List[int], seed: int
) -> None:
    in_rate, out_rate = pair
    scripted = scripted_placeholder("high")
    scripted.configure(in_rate, out_rate, extra_delay, max(sizes))
    x = torch.randn(CHANNELS, 2000, generator=torch.Generator().manual_seed(seed))
    y = run(scripted, x, sizes)
    assert y.shape[1] == (2000 * scripted.up + extra_delay) // scripted.down
    expected = (scripted.half_width + 1) * scripted.up - scripted.down + extra_delay
    assert scripted.delay_phase_units() == expected
    scripted.configure(in_rate, out_rate, extra_delay, 333)
    # Cross-correlation with a Gaussian pulse resolves the delay to about 1e-6 output samples.
    measured = impulse_delay([scripted], buffer_size=333)
    assert measured == pytest.approx(scripted.delay_output_samples(), abs=1e-3)


@pytest.mark.parametrize("in_rate, out_rate", [(192000, 44100), (11025, 48000), (44100, 44100)])
def test_configured_call_allocates_nothing(in_rate: int, out_rate: int) -> None:
    converter = scripted_placeholder("best")
    converter.configure(in_rate, out_rate, 2, 512)
    x = torch.randn(CHANNELS, 512)
    for size in [512, 3, 128, 0, 511] * 3:
        converter(x[:, :size])
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        for size in [512, 128, 1, 0, 333, 32]:
            converter(x[:, :size])
    events = prof.events()
    assert [e.name for e in events if e.name.startswith("aten::empty")] == []
    assert sum(e.cpu_memory_usage for e in events if e.cpu_memory_usage > 0) == 0
    assert any(e.name == "aten::bmm" for e in events)  # the profile did see the calls


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, 48000, 0, 512), r"in_rate .*\[1, 384000\].*got 0"),
        ((44100, 400000, 0, 512), r"out_rate .*\[1, 384000\].*got 400000"),
        ((44100, 48000, -1, 512), r"extra_delay .*\[0, inf\).*got -1"),
        ((44100, 48000, 0, -1), r"max_input .*\[0, inf\).*got -1"),
        ((383999, 384000, 0, 512), r"up = 384000 phases"),
    ],
)
def test_bad_configuration_keeps_the_previous_one(args: Tuple[int, ...], message: str) -> None:
    x = torch.randn(CHANNELS, 1000, generator=torch.Generator().manual_seed(1))
    eager = StreamingResampler(48000, 44100, CHANNELS)
    with pytest.raises(ValueError, match=message):
        eager.configure(*args)
    scripted = scripted_placeholder("high")
    scripted.configure(48000, 44100, 0, 512)
    with pytest.raises(torch.jit.Error, match=message):
        scripted.configure(*args)
    scripted.reset()
    eager.reset()
    assert torch.equal(run(scripted, x, [512]), run(eager, x, [512]))


def saved_size(module: torch.jit.ScriptModule) -> int:
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    return buffer.getbuffer().nbytes


def test_saved_module_holds_the_current_tables_only() -> None:
    converter = torch.jit.script(StreamingResampler(44100, 48000, CHANNELS, "high"))
    assert saved_size(converter) < 1_000_000
    for in_rate, out_rate in [(48000, 44100), (11025, 192000), (48000, 48000)]:
        converter.configure(in_rate, out_rate, 0, 0)
        tables = converter.matrices.numel() * converter.matrices.element_size()
        assert tables < saved_size(converter) < tables + 200_000, (in_rate, out_rate)
    assert saved_size(converter) < 100_000  # a placeholder holds next to nothing
    # What is saved designs its tables again when loaded.
    buffer = io.BytesIO()
    torch.jit.save(converter, buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    loaded.configure(88200, 48000, 4, 256)
    x = torch.randn(CHANNELS, 2000, generator=torch.Generator().manual_seed(2))
    expected = run(fresh(88200, 48000, "high", 4, 256), x, [256, 13])
    assert torch.equal(run(loaded, x, [256, 13]), expected)
