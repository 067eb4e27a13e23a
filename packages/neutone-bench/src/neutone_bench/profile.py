"""Where the time and memory of the adapter's ``forward`` go (`neutone-bench profile`).

The adapter is configured at one host setting, called ``warmup`` times, then ``num_calls`` times
under ``torch.profiler`` (CPU activity, input shapes and memory recorded). Operators are grouped by
name and input shape, and the top ones by self CPU time and by self CPU memory (bytes allocated by
the operator itself, minus what it freed) are listed. The process's resident memory and CPU use
over the profiled calls come from psutil (CPU use: user + system time over wall time, 100 % = one
core busy).

The profiler's own C++ log lines (kineto's ``USDT: profiler_start``, ``ERROR: gpuGetDeviceCount
failed`` on a machine without a GPU) are written to the process's stderr below Python; they are
sent to the null device while the profiler starts and stops, so stderr holds only our messages.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
import torch
from torch.profiler import ProfilerActivity
from torch.profiler import profile as torch_profile

from neutone_bench.host import configure, random_buffers
from neutone_export.cli_contract import write_output

try:
    import resource
except ImportError:  # Windows: psutil's peak_wset is used instead
    resource = None  # type: ignore[assignment]


@dataclass(frozen=True)
class OperatorRow:
    """One operator at one input shape; times in microseconds, memory in bytes."""

    name: str
    input_shapes: list[Any]
    calls: int
    self_cpu_us: float
    cpu_total_us: float
    self_cpu_memory_bytes: int
    cpu_memory_bytes: int


@dataclass(frozen=True)
class ProfileResult:
    """Top operators and process figures of one profiled run."""

    sample_rate: int
    buffer_size: int
    num_calls: int
    wall_s: float
    top_cpu: list[OperatorRow]
    top_memory: list[OperatorRow]
    rss_before_bytes: int
    rss_after_bytes: int
    peak_rss_bytes: int | None
    cpu_percent: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON."""
        return asdict(self)


def peak_rss_bytes() -> int | None:
    """Largest resident set size of this process so far, in bytes (``None`` where unknown).

    psutil gives the peak directly on Windows (``peak_wset``); elsewhere it comes from
    ``getrusage``, whose ``ru_maxrss`` is in kilobytes on Linux and in bytes on macOS.
    """
    info = psutil.Process().memory_info()
    if hasattr(info, "peak_wset"):
        return int(info.peak_wset)
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def _at_least(peak: int | None, current: int) -> int | None:
    # Linux updates ru_maxrss lazily, so it can trail the current RSS by a few pages.
    return None if peak is None else max(peak, current)


def _operator_rows(events: Sequence[Any]) -> list[OperatorRow]:
    return [
        OperatorRow(
            name=str(e.key),
            input_shapes=list(e.input_shapes),
            calls=int(e.count),
            self_cpu_us=float(e.self_cpu_time_total),
            cpu_total_us=float(e.cpu_time_total),
            self_cpu_memory_bytes=int(e.self_cpu_memory_usage),
            cpu_memory_bytes=int(e.cpu_memory_usage),
        )
        for e in events
    ]


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what C++ code writes to file descriptor 2 to the null device for the block."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 to redirect
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def profile_model(
    module: torch.jit.ScriptModule,
    sample_rate: int,
    buffer_size: int,
    num_calls: int,
    warmup: int,
    top: int,
    seed: int,
    trace: Path | None = None,
) -> ProfileResult:
    """Profile ``num_calls`` forward calls at one host setting; ``trace``: Chrome trace file."""
    if num_calls < 1:
        raise ValueError(f"num_calls must be >= 1, got {num_calls}")
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    configure(module, sample_rate, buffer_size)
    (x,), (params,) = random_buffers(buffer_size, 1, seed)
    process = psutil.Process()
    with torch.no_grad():
        for _ in range(warmup):
            module.forward(x, params)
        rss_before = process.memory_info().rss
        with (
            native_stderr_silenced(),
            torch_profile(
                activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=True
            ) as prof,
        ):
            # Wall and CPU time of the calls only, not of the profiler's start and stop.
            cpu_before = process.cpu_times()
            start = time.perf_counter()
            for _ in range(num_calls):
                module.forward(x, params)
            wall = time.perf_counter() - start
            cpu_after = process.cpu_times()
        rss_after = process.memory_info().rss
    if trace is not None:
        write_output(trace, lambda temp: prof.export_chrome_trace(str(temp)))
    events = list(prof.key_averages(group_by_input_shape=True))
    by_cpu = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:top]
    by_memory = sorted(events, key=lambda e: e.self_cpu_memory_usage, reverse=True)[:top]
    cpu_used = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    return ProfileResult(
        sample_rate=sample_rate,
        buffer_size=buffer_size,
        num_calls=num_calls,
        wall_s=wall,
        top_cpu=_operator_rows(by_cpu),
        top_memory=_operator_rows(by_memory),
        rss_before_bytes=rss_before,
        rss_after_bytes=rss_after,
        peak_rss_bytes=_at_least(peak_rss_bytes(), rss_after),
        cpu_percent=100.0 * cpu_used / wall if wall > 0 else 0.0,
    )


def _kib(n: int) -> str:
    return f"{n / 1024:.1f}"


def operator_cells(rows: Sequence[OperatorRow]) -> list[list[str]]:
    """Table rows for a list of operators."""
    return [
        [
            r.name,
            str(r.input_shapes),
            str(r.calls),
            f"{r.self_cpu_us / 1e3:.3f}",
            f"{r.cpu_total_us / 1e3:.3f}",
            _kib(r.self_cpu_memory_bytes),
            _kib(r.cpu_memory_bytes),
        ]
        for r in rows
    ]


OPERATOR_HEADERS = [
    "operator",
    "input shapes",
    "calls",
    "self CPU ms",
    "CPU total ms",
    "self mem KiB",
    "mem KiB",
]
