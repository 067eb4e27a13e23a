"""Operators grouped from the profiler's raw events: nesting, memory, and torch's own figures."""

from dataclasses import dataclass, field

import pytest
import torch
from torch.autograd import DeviceType
from torch.profiler import ProfilerActivity, profile

from neutone_bench.operators import MEMORY_EVENT, group_operators


@dataclass
class FakeEvent:
    """The part of a ``_KinetoEvent`` that ``group_operators`` reads."""

    label: str
    start: int
    end: int
    nbytes_: int = 0
    shapes_: list[list[int]] = field(default_factory=list)
    thread: int = 1
    device: DeviceType = DeviceType.CPU

    def name(self) -> str:
        return self.label

    def start_ns(self) -> int:
        return self.start

    def end_ns(self) -> int:
        return self.end

    def nbytes(self) -> int:
        return self.nbytes_

    def shapes(self) -> list[list[int]]:
        return self.shapes_

    def start_thread_id(self) -> int:
        return self.thread

    def device_type(self) -> DeviceType:
        return self.device

    def is_async(self) -> bool:
        return False

    def is_hidden_event(self) -> bool:
        return False


def memory(at: int, nbytes: int, thread: int = 1) -> FakeEvent:
    return FakeEvent(MEMORY_EVENT, at, at, nbytes, thread=thread)


def test_self_time_and_memory_are_charged_to_the_innermost_operator() -> None:
    """A parent that frees what its child allocated shows the free apart, never a negative."""
    events = [
        FakeEvent("aten::gru", 0, 1000, shapes_=[[2, 256, 1]]),
        FakeEvent("aten::addmm", 100, 300, shapes_=[[48], [2, 16]]),
        memory(150, 4096),  # inside addmm
        FakeEvent("aten::addmm", 400, 500, shapes_=[[48], [2, 16]]),
        memory(450, 4096),
        memory(900, -8192),  # gru frees its children's tensors
        FakeEvent("aten::add", 2000, 2100, shapes_=[[2, 16]], thread=2),
        memory(2050, 64, thread=2),
        memory(5000, 128),  # outside every operator: nobody to charge
        FakeEvent("aten::add", 3000, 3100, device=DeviceType.CUDA),
    ]
    rows = {row.name: row for row in group_operators(events, DeviceType.CPU)}
    gru, addmm, add = rows["aten::gru"], rows["aten::addmm"], rows["aten::add"]
    assert (gru.calls, gru.cpu_total_us, gru.self_cpu_us) == (1, 1.0, 0.7)
    assert (addmm.calls, addmm.cpu_total_us, addmm.self_cpu_us) == (2, 0.3, 0.3)
    assert addmm.input_shapes == [[48], [2, 16]]
    assert (addmm.self_allocated_bytes, addmm.self_freed_bytes) == (8192, 0)
    assert (gru.self_allocated_bytes, gru.self_freed_bytes, gru.allocated_bytes) == (0, 8192, 8192)
    assert (add.calls, add.self_allocated_bytes) == (1, 64)  # the CUDA event is left out


def test_a_redispatch_to_an_overload_is_one_call_of_the_outer_operator() -> None:
    events = [
        FakeEvent("aten::sum", 0, 100, shapes_=[[32, 4], []]),
        FakeEvent("aten::sum", 10, 90, shapes_=[[32, 4], [], [], []]),
        FakeEvent("aten::fill_", 20, 40),
        memory(50, 16),
    ]
    rows = {row.name: row for row in group_operators(events, DeviceType.CPU)}
    assert rows["aten::sum"].input_shapes == [[32, 4], []]
    assert (rows["aten::sum"].calls, rows["aten::sum"].self_cpu_us) == (1, 0.08)
    assert rows["aten::sum"].self_allocated_bytes == 16


def test_one_operator_at_two_shapes_is_two_rows() -> None:
    events = [
        FakeEvent("aten::cat", 0, 10, shapes_=[[2, 8]]),
        FakeEvent("aten::cat", 20, 30, shapes_=[[2, 16]]),
        FakeEvent("aten::cat", 40, 50, shapes_=[[2, 8]]),
    ]
    rows = group_operators(events, DeviceType.CPU)
    assert [(r.input_shapes, r.calls) for r in rows] == [([[2, 8]], 2), ([[2, 16]], 1)]


def test_a_real_profile_agrees_with_torchs_key_averages() -> None:
    """Same events, same grouping: calls equal, times within torch's microsecond rounding, and
    allocated - freed equals torch's (netted) self memory."""
    layer = torch.nn.GRU(1, 8)
    x = torch.randn(32, 1, 1)
    with (
        torch.no_grad(),
        profile(activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=True) as prof,
    ):
        for _ in range(3):
            torch.relu(layer(x)[0] @ torch.ones(8, 4)).sum()
    ours = {
        (r.name, str(r.input_shapes)): r
        for r in group_operators(prof.profiler.kineto_results.events(), DeviceType.CPU)
    }
    theirs = {
        (e.key, str(e.input_shapes)): e
        for e in prof.key_averages(group_by_input_shape=True)
        if e.key != "[memory]"  # torch lists the records no operator holds under this name
    }
    assert set(ours) == set(theirs)
    for key, row in ours.items():
        event = theirs[key]
        assert row.calls == event.count, key
        slack = 2.0 * row.calls + 2.0  # torch truncates every interval to whole microseconds
        assert row.cpu_total_us == pytest.approx(event.cpu_time_total, abs=slack), key
        assert row.self_cpu_us >= 0 and row.self_allocated_bytes >= 0 and row.self_freed_bytes >= 0
        net = row.self_allocated_bytes - row.self_freed_bytes
        assert net == event.self_cpu_memory_usage, key
