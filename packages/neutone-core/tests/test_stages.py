"""The adapter's stages on their own: channel conversion, the block queue, the knob stream.

Each against a slow, obvious reference, scripted and eager alike; the docstring examples run.
"""

import doctest
import io
from typing import List

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neutone_core import block_queue, channels, knob_stream
from neutone_core.block_queue import BlockQueue
from neutone_core.channels import ChannelConverter
from neutone_core.knob_stream import KnobStream
from neutone_core.parameters import CategoricalNeutoneParameter, NeutoneParameter

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("module", [block_queue, channels, knob_stream])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("scripted", [False, True])
@pytest.mark.parametrize(("src_ch", "dst_ch"), [(1, 1), (2, 2), (2, 1), (1, 2)])
def test_channel_conversion_copies_averages_or_duplicates(scripted, src_ch, dst_ch):
    convert = ChannelConverter()
    convert = torch.jit.script(convert) if scripted else convert
    src = torch.randn(src_ch, 50, generator=torch.Generator().manual_seed(src_ch))
    dst = torch.full((dst_ch, 50), float("nan"))
    convert(src, dst)
    want = torch.mean(src, dim=0, keepdim=True) if dst_ch == 1 else src.expand(2, 50)
    assert torch.equal(dst, want)


@pytest.mark.parametrize("scripted", [False, True])
@pytest.mark.parametrize(
    "layout",
    ["strided source", "strided destination", "float64 source"],
)
def test_channel_copy_of_any_layout_or_dtype_is_exact(scripted, layout):
    # The plain-copy fast path needs both sides contiguous and of one dtype; anything else
    # must still arrive exactly.
    convert = ChannelConverter()
    convert = torch.jit.script(convert) if scripted else convert
    wide = torch.randn(2, 80, generator=torch.Generator().manual_seed(5))
    src = wide[:, 10:60] if layout == "strided source" else wide[:, :50].contiguous()
    if layout == "float64 source":
        src = src.double()
    dst_buf = torch.full((2, 70), float("nan"))
    dst = dst_buf[:, :50] if layout == "strided destination" else torch.full((2, 50), float("nan"))
    convert(src, dst)
    assert torch.equal(dst, src.float())
    if layout == "strided destination":
        assert torch.isnan(dst_buf[:, 50:]).all()  # nothing written past the view


@SETTINGS
@given(
    look_behind=st.integers(0, 20),
    look_ahead=st.integers(0, 20),
    block_size=st.integers(0, 16),
    pushes=st.lists(st.integers(0, 24), min_size=1, max_size=30),
)
def test_block_queue_windows_are_the_stream_with_context(
    look_behind, look_ahead, block_size, pushes
):
    q = BlockQueue(2, look_behind, look_ahead)
    block_max = block_size if block_size > 0 else 24
    q.configure(block_size, block_max, 24)
    stream = torch.arange(1.0, 1.0 + sum(pushes)).repeat(2, 1)
    stream[1] *= -1
    padded = torch.cat([torch.zeros(2, look_behind), stream], dim=1)  # look-behind of the start
    pos = 0
    done = 0  # current samples processed so far
    for m in pushes:
        q.push(stream[:, pos : pos + m])
        pos += m
        n = q.next_size()
        while n > 0:
            assert block_size == 0 or n == block_size
            window = q.window(n)
            want = padded[:, done : done + look_behind + n + look_ahead]
            assert torch.equal(window, want), f"window at {done}, size {n}"
            window.mul_(0.0)  # a model may write into its window
            q.advance(n)
            done += n
            n = q.next_size()
    # Every block whose window is complete has run.
    waiting = pos - done - look_ahead
    assert waiting < max(block_size, 1)


def _knobs() -> List:
    return [
        NeutoneParameter("gain", "", 0.5, min_value=-2.0, max_value=6.0),
        CategoricalNeutoneParameter("mode", "", 5, 1),
        NeutoneParameter("mix", "", 0.5),
    ]


@pytest.mark.parametrize("scripted", [False, True])
def test_knob_means_and_samples_are_mapped_like_each_parameter(scripted):
    knobs = _knobs()
    stream = KnobStream(knobs)
    stream = torch.jit.script(stream) if scripted else stream
    stream.configure(False, 1, 1, 0, 64, 0, 64)
    gen = torch.Generator().manual_seed(3)
    for n in (64, 1, 17, 64):
        positions = torch.rand(4, n, generator=gen)
        values = stream.mean_values(positions, n)
        assert sorted(values) == ["gain", "mix", "mode"]
        for i, k in enumerate(knobs):
            want = k.map_value(float(positions[i].double().mean()))
            assert values[k.name].shape == (1,)
            assert float(values[k.name]) == pytest.approx(want, abs=1e-5), (k.name, n)
        samples = stream.mapped(positions)
        for i, k in enumerate(knobs):
            want = torch.tensor([k.map_value(float(v)) for v in positions[i]])
            assert torch.allclose(samples[i], want, atol=1e-5), (k.name, n)
        assert torch.equal(samples[3], positions[3])  # an unused slot passes unchanged
    defaults = stream.default_values()
    for k in knobs:
        assert float(defaults[k.name]) == pytest.approx(k.map_value(k.normalized_default()))


def test_knob_means_survive_save_and_load():
    # The raw means are a view above a constant 1 that the mapping product reads: a saved and
    # loaded stream must keep that view, or every mapped mean goes stale.
    stream = torch.jit.script(KnobStream(_knobs()))
    stream.configure(False, 1, 1, 0, 64, 0, 64)
    buffer = io.BytesIO()
    torch.jit.save(stream, buffer)
    loaded = torch.jit.load(io.BytesIO(buffer.getvalue()))
    gen = torch.Generator().manual_seed(4)
    for n in (64, 9):
        positions = torch.rand(4, n, generator=gen)
        want = {k: v.clone() for k, v in stream.mean_values(positions, n).items()}
        got = loaded.mean_values(positions, n)
        assert got.keys() == want.keys()
        for name, value in want.items():
            assert torch.equal(got[name], value), name


@pytest.mark.parametrize("scripted", [False, True])
@pytest.mark.parametrize(("up", "down", "s_in"), [(160, 147, 5000), (1, 2, 7), (3, 1, 0)])
def test_knob_sample_and_hold_reads_the_host_sample_each_native_sample_came_from(
    scripted, up, down, s_in
):
    stream = KnobStream(_knobs())
    stream = torch.jit.script(stream) if scripted else stream
    block, host_bs = 40, 32
    stream.configure(True, up, down, s_in, block, 0, host_bs)
    host_n = 12 * host_bs
    positions = torch.arange(host_n, dtype=torch.float32).repeat(4, 1) + 1.0
    pushed = 0
    native = 0
    while pushed < host_n:
        stream.push(positions[:, pushed : pushed + host_bs], host_bs)
        pushed += host_bs
        # Native samples whose host time is already pushed, in blocks.
        while (((native + block - 1) * down - s_in) // up) < pushed:
            got = stream.take(block)
            for j in range(block):
                host = ((native + j) * down - s_in) // up
                # Native samples made before host time 0 hold the default position.
                want = float(stream.defaults[0, 0]) if host < 0 else float(positions[0, host])
                assert float(got[0, j]) == want, f"native {native + j} -> host {host}"
            native += block
