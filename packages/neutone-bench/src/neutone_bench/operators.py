"""Operators grouped by name and input shape, from the profiler's raw events, in one pass.

``torch.profiler``'s ``key_averages`` first turns every raw event into a Python ``FunctionEvent``
(a recurrent model makes hundreds of thousands per hundred calls: a 16-unit GRU over 256 samples
runs about twenty operators per sample), which took most of a minute and gigabytes of memory.
The figures wanted here need only each event's name, input shapes, thread and interval, so they
are read from the raw events (``prof.profiler.kineto_results.events()``) and nested with one
stack per thread, as ``key_averages`` nests them: an event is the child of the innermost event
whose interval holds its own, and an operator directly inside one of the same name (the
dispatcher's redispatch to an overload) is merged into it.

Memory: each allocation or free the profiler recorded is charged to the innermost operator
running on its thread at that moment. torch's "self CPU memory" nets the frees in, so an operator
that frees the tensors its children allocated shows a negative figure; here the bytes an operator
allocated and the bytes it freed are kept apart, and neither is ever negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: The name of the profiler's allocation and free records.
MEMORY_EVENT = "[memory]"
#: The profiler's own bookkeeping, left out as ``key_averages`` leaves it out.
IGNORED_EVENTS = frozenset(
    {
        "[OutOfMemory]",
        "profiler::_record_function_enter",
        "profiler::_record_function_enter_new",
        "profiler::_record_function_exit",
        "aten::is_leaf",
        "aten::output_nr",
        "aten::_version",
    }
)


@dataclass(frozen=True)
class OperatorRow:
    """One operator at one input shape over every profiled call; times in microseconds.

    ``self_allocated_bytes`` / ``self_freed_bytes``: allocated / freed while the operator itself
    (not one of its children) ran; ``allocated_bytes`` counts its children's allocations too.
    """

    name: str
    input_shapes: list[Any]
    calls: int
    self_cpu_us: float
    cpu_total_us: float
    self_allocated_bytes: int
    self_freed_bytes: int
    allocated_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON."""
        return asdict(self)


@dataclass
class _Totals:
    calls: int = 0
    self_ns: int = 0
    total_ns: int = 0
    self_allocated: int = 0
    self_freed: int = 0
    allocated: int = 0


@dataclass
class _Open:
    """An operator on a thread's stack while its children are read."""

    end_ns: int
    name: str
    totals: _Totals


def _shape_key(shapes: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(n) for n in shape) for shape in shapes)


def group_operators(events: Iterable[Any], cpu_device: Any) -> list[OperatorRow]:
    """Every operator at every input shape, from raw profiler events (``_KinetoEvent``).

    ``cpu_device`` is ``torch.autograd.DeviceType.CPU``; events of other devices, asynchronous
    ones and the profiler's own are left out. Rows come in order of first appearance.
    """
    # (thread, time, kind, -end, index): an operator (kind 0) opens before a memory record
    # (kind 1) at the same instant, and an enclosing operator before the one it encloses.
    timeline: list[tuple[int, int, int, int, int]] = []
    operators: list[tuple[str, tuple[tuple[int, ...], ...], int]] = []
    records: list[int] = []
    for event in events:
        name = event.name()
        if event.device_type() != cpu_device:
            continue
        if name == MEMORY_EVENT:
            timeline.append((event.start_thread_id(), event.start_ns(), 1, 0, len(records)))
            records.append(int(event.nbytes()))
            continue
        if name in IGNORED_EVENTS or event.is_async() or event.is_hidden_event():
            continue
        start, end = event.start_ns(), event.end_ns()
        timeline.append((event.start_thread_id(), start, 0, -end, len(operators)))
        operators.append((name, _shape_key(event.shapes()), end - start))
    timeline.sort()

    groups: dict[tuple[str, tuple[tuple[int, ...], ...]], _Totals] = {}
    stack: list[_Open] = []
    thread = None
    for tid, time, kind, negative_end, index in timeline:
        if tid != thread:
            thread, stack = tid, []
        if kind == 1:
            while stack and time > stack[-1].end_ns:
                stack.pop()
            if not stack:
                continue  # outside every operator: nobody to charge
            nbytes = records[index]
            innermost = stack[-1].totals
            if nbytes >= 0:
                innermost.self_allocated += nbytes
                # A group open twice on the stack (an operator calling itself) counts once.
                for totals in {id(entry.totals): entry.totals for entry in stack}.values():
                    totals.allocated += nbytes
            else:
                innermost.self_freed -= nbytes
            continue
        end = -negative_end
        while stack and (time >= stack[-1].end_ns or end > stack[-1].end_ns):
            stack.pop()
        name, shapes, duration = operators[index]
        if stack and stack[-1].name == name:
            # The dispatcher's redispatch of an operator to its overload (aten::sum inside
            # aten::sum): one call, as key_averages counts it; its children are the parent's.
            stack.append(_Open(end, name, stack[-1].totals))
            continue
        totals = groups.setdefault((name, shapes), _Totals())
        totals.calls += 1
        totals.total_ns += duration
        totals.self_ns += duration
        if stack:
            stack[-1].totals.self_ns -= duration
        stack.append(_Open(end, name, totals))
    return [
        OperatorRow(
            name=name,
            input_shapes=[list(shape) for shape in shapes],
            calls=t.calls,
            self_cpu_us=t.self_ns / 1e3,
            cpu_total_us=t.total_ns / 1e3,
            self_allocated_bytes=t.self_allocated,
            self_freed_bytes=t.self_freed,
            allocated_bytes=t.allocated,
        )
        for (name, shapes), t in groups.items()
    ]
