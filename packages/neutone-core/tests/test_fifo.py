"""SampleFifo: first in, first out, through the compaction, scripted and eager alike."""

import pytest
import torch

from neutone_core.fifo import MAX_CACHED_VIEWS, SampleFifo


@pytest.mark.parametrize("scripted", [False, True])
def test_fifo_returns_samples_in_order(scripted):
    q = SampleFifo(2)
    q = torch.jit.script(q) if scripted else q
    q.allocate(10, 7)
    gen = torch.Generator().manual_seed(0)
    stream = torch.arange(2000, dtype=torch.float32).repeat(2, 1)
    stream[1] *= -1
    pushed = 0
    popped = 0
    while popped < 1500:
        n = int(torch.randint(0, 8, (1,), generator=gen))
        if q.size() <= 10:
            q.push(stream[:, pushed : pushed + n])
            pushed += n
        m = int(torch.randint(0, q.size() + 1, (1,), generator=gen))
        assert torch.equal(q.peek(0, m), stream[:, popped : popped + m])
        q.discard(m)
        popped += m


def test_fifo_errors():
    q = SampleFifo(1)
    q.allocate(2, 2)
    q.push(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="out of range: 3 samples held"):
        q.peek(1, 3)
    with pytest.raises(ValueError, match="overflow"):
        q.push(torch.zeros(1, 4))
    with pytest.raises(ValueError, match="num_channels must be >= 1, got 0"):
        SampleFifo(0)


@pytest.mark.parametrize("scripted", [False, True])
def test_write_view_cache_stays_bounded_and_follows_reallocation(scripted):
    # A host changing its buffer size at every call must neither grow the cache without bound
    # nor read stale data; a reallocated queue must not write into the old buffer's views.
    q = SampleFifo(1)
    q = torch.jit.script(q) if scripted else q
    q.allocate(200, 200)
    stream = torch.arange(100_000, dtype=torch.float32).view(1, -1)
    pushed = 0
    popped = 0
    for n in list(range(1, 200)) * 3:
        q.push(stream[:, pushed : pushed + n])
        pushed += n
        assert len(q.views) <= MAX_CACHED_VIEWS
        m = q.size() - n // 2
        assert torch.equal(q.peek(0, m), stream[:, popped : popped + m])
        q.discard(m)
        popped += m
    q.allocate(200, 200)
    q.push(torch.full((1, 5), 7.0))
    assert torch.equal(q.peek(0, 5), torch.full((1, 5), 7.0))


@pytest.mark.parametrize("scripted", [False, True])
@pytest.mark.parametrize("dst_kind", ["contiguous", "strided", "float64"])
def test_peek_into_copies_the_oldest_samples_and_keeps_them(scripted, dst_kind):
    q = SampleFifo(2)
    q = torch.jit.script(q) if scripted else q
    q.allocate(20, 20)
    stream = torch.arange(40, dtype=torch.float32).view(2, 20)
    q.push(stream)
    q.discard(3)
    wide = torch.full((2, 12), float("nan"))
    if dst_kind == "contiguous":
        dst = torch.full((2, 9), float("nan"))
    elif dst_kind == "strided":
        dst = wide[:, :9]
    else:
        dst = torch.full((2, 9), float("nan"), dtype=torch.float64)
    q.peek_into(dst)
    assert torch.equal(dst.float(), stream[:, 3:12])
    assert q.size() == 17  # nothing consumed
    assert torch.isnan(wide[:, 9:]).all()
    with pytest.raises((ValueError, torch.jit.Error), match="out of range: 17 held"):
        q.peek_into(torch.zeros(2, 18))


def test_scripted_queues_never_share_their_view_cache():
    # Two models in one plugin each hold queues of the same scripted class: a write into one
    # must land in its own buffer, however often the methods have run (the profiling executor
    # optimises after a few calls).
    queues = []
    for i in range(6):
        q = torch.jit.script(SampleFifo(1))
        q.allocate(10, 7)
        q.allocate(10, 7)
        q.push(torch.full((1, 2), float(i)))
        queues.append(q)
    for i, q in enumerate(queues):
        assert torch.equal(q.peek(0, 2), torch.full((1, 2), float(i)))
