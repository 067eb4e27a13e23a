"""SampleFifo: first in, first out, through the compaction, scripted and eager alike."""

import pytest
import torch

from neutone_core.fifo import SampleFifo


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
