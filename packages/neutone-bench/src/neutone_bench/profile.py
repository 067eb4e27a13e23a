"""Where the time and memory of the adapter's ``forward`` go (`neutone-bench profile`).

The adapter is configured at one host setting and called ``warmup`` times. Then two passes of
``num_calls`` calls each:

1. unprofiled, for the process figures: wall time, CPU use (user + system time over wall time,
   100 % = one core busy) and resident memory (RSS). The RSS before the calls is the interpreter,
   torch and the model at rest; what the calls add is reported apart: the growth (after - before)
   and the peak growth (the highest RSS during the calls - before). On Linux the peak is the
   kernel's high-water mark, reset just before the calls (``/proc/self/clear_refs``), so a tensor
   allocated and freed inside one call counts; elsewhere RSS is sampled after every call.
2. under ``torch.profiler`` (CPU activity, input shapes and memory recorded), for the operators:
   grouped by name and input shape (``neutone_bench.operators``), the top ones by self CPU time
   and by bytes allocated. The profiler's own memory (gigabytes for a recurrent model, whose
   every step is an event) never enters the process figures.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import torch
from torch.profiler import ProfilerActivity
from torch.profiler import profile as torch_profile

from neutone_bench.host import configure, random_buffers
from neutone_bench.operators import OperatorRow, group_operators
from neutone_export.cli.contract import write_output

#: Linux: writing this to /proc/self/clear_refs resets the peak RSS (VmHWM) to the current RSS.
CLEAR_PEAK_RSS = "5"
PEAK_FROM_KERNEL = "the kernel's high-water mark"
PEAK_FROM_SAMPLES = "RSS sampled after every call"


@dataclass(frozen=True)
class ProcessFigures:
    """Wall time, CPU use and resident memory of ``calls`` unprofiled calls; bytes, seconds.

    ``peak_rss_bytes`` is the highest RSS during the calls, found by ``peak_rss_method``.
    """

    calls: int
    wall_s: float
    cpu_percent: float
    rss_before_bytes: int
    rss_after_bytes: int
    peak_rss_bytes: int
    peak_rss_method: str

    @property
    def rss_growth_bytes(self) -> int:
        """What the calls left in resident memory."""
        return self.rss_after_bytes - self.rss_before_bytes

    @property
    def peak_growth_bytes(self) -> int:
        """The most the calls added to resident memory at any moment."""
        return max(0, self.peak_rss_bytes - self.rss_before_bytes)


@dataclass(frozen=True)
class ProfileResult:
    """Top operators and process figures of one profiled run; times in seconds."""

    sample_rate: int
    buffer_size: int
    num_calls: int
    top_cpu: list[OperatorRow]
    top_memory: list[OperatorRow]
    process: ProcessFigures

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON (the RSS figures flat, with the growths)."""
        p = self.process
        return {
            "sample_rate": self.sample_rate,
            "buffer_size": self.buffer_size,
            "num_calls": self.num_calls,
            "wall_s": p.wall_s,
            "cpu_percent": p.cpu_percent,
            "rss_before_bytes": p.rss_before_bytes,
            "rss_after_bytes": p.rss_after_bytes,
            "peak_rss_bytes": p.peak_rss_bytes,
            "rss_growth_bytes": p.rss_growth_bytes,
            "peak_growth_bytes": p.peak_growth_bytes,
            "peak_rss_method": p.peak_rss_method,
            "top_cpu": [r.to_dict() for r in self.top_cpu],
            "top_memory": [r.to_dict() for r in self.top_memory],
        }


def reset_peak_rss() -> bool:
    """Reset the kernel's peak RSS of this process to its current RSS; False where impossible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write(CLEAR_PEAK_RSS)
    except OSError:
        return False
    return kernel_peak_rss() is not None


def kernel_peak_rss() -> int | None:
    """The kernel's peak RSS of this process in bytes (``VmHWM``), ``None`` where unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # in kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def process_figures(
    module: torch.jit.ScriptModule, x: torch.Tensor, params: torch.Tensor, calls: int
) -> ProcessFigures:
    """Time ``calls`` calls of ``module.forward(x, params)`` and follow the process's RSS."""
    process = psutil.Process()
    forward = module.forward
    before = process.memory_info().rss
    from_kernel = reset_peak_rss()
    sampled = before
    cpu_before = process.cpu_times()
    start = time.perf_counter()
    for _ in range(calls):
        forward(x, params)
        if not from_kernel:
            sampled = max(sampled, process.memory_info().rss)
    wall = time.perf_counter() - start
    cpu_after = process.cpu_times()
    after = process.memory_info().rss
    peak = kernel_peak_rss() if from_kernel else None
    cpu_used = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    return ProcessFigures(
        calls=calls,
        wall_s=wall,
        cpu_percent=100.0 * cpu_used / wall if wall > 0 else 0.0,
        rss_before_bytes=before,
        rss_after_bytes=after,
        # The kernel updates the mark lazily, so it can trail the current RSS by a few pages.
        peak_rss_bytes=max(peak if peak is not None else sampled, after),
        peak_rss_method=PEAK_FROM_KERNEL if from_kernel else PEAK_FROM_SAMPLES,
    )


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
    with torch.no_grad():
        for _ in range(warmup):
            module.forward(x, params)
        figures = process_figures(module, x, params, num_calls)
        with (
            native_stderr_silenced(),
            torch_profile(
                activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=True
            ) as prof,
        ):
            for _ in range(num_calls):
                module.forward(x, params)
    if trace is not None:
        write_output(trace, lambda temp: prof.export_chrome_trace(str(temp)))
    rows = group_operators(prof.profiler.kineto_results.events(), torch.autograd.DeviceType.CPU)
    by_cpu = sorted(rows, key=lambda r: r.self_cpu_us, reverse=True)[:top]
    allocating = [r for r in rows if r.self_allocated_bytes > 0]
    by_memory = sorted(allocating, key=lambda r: r.self_allocated_bytes, reverse=True)[:top]
    return ProfileResult(
        sample_rate=sample_rate,
        buffer_size=buffer_size,
        num_calls=num_calls,
        top_cpu=by_cpu,
        top_memory=by_memory,
        process=figures,
    )


def shapes_text(shapes: Sequence[Sequence[int]]) -> str:
    """The shapes of an operator's tensor inputs, e.g. ``2x256x1 1x2x16``.

    Arguments without a shape (scalars, lists of tensors, ``None``) are left out, and an operator
    with none reads as its argument count; the JSON keeps every argument.

    >>> shapes_text([[], [2, 256, 1], [1, 2, 16], []])
    '2x256x1 1x2x16'
    >>> shapes_text([[], []])
    '(2 args)'
    """
    tensors = " ".join("x".join(map(str, shape)) for shape in shapes if shape)
    if tensors:
        return tensors
    return f"({len(shapes)} arg{'' if len(shapes) == 1 else 's'})" if shapes else "-"


def _kib(n: int) -> str:
    return f"{n / 1024:.1f}"


CPU_HEADERS = ["operator", "input shapes", "calls", "self CPU ms", "CPU total ms"]
MEMORY_HEADERS = [
    "operator",
    "input shapes",
    "calls",
    "allocated KiB",
    "freed KiB",
    "with children KiB",
]
MEMORY_CAPTION = (
    "allocated and freed: while the operator itself ran (not its children), over every call; "
    "with children: allocated by it and every operator it called. Frees are not subtracted: "
    "an operator that frees its children's tensors would show less than nothing."
)
PROCESS_HEADERS = [
    "calls",
    "wall s",
    "CPU %",
    "RSS before MiB",
    "growth MiB",
    "peak growth MiB",
]


def cpu_cells(rows: Sequence[OperatorRow]) -> list[list[str]]:
    """Rows of the table by self CPU time."""
    return [
        [
            r.name,
            shapes_text(r.input_shapes),
            str(r.calls),
            f"{r.self_cpu_us / 1e3:.3f}",
            f"{r.cpu_total_us / 1e3:.3f}",
        ]
        for r in rows
    ]


def memory_cells(rows: Sequence[OperatorRow]) -> list[list[str]]:
    """Rows of the table by bytes allocated."""
    return [
        [
            r.name,
            shapes_text(r.input_shapes),
            str(r.calls),
            _kib(r.self_allocated_bytes),
            _kib(r.self_freed_bytes),
            _kib(r.allocated_bytes),
        ]
        for r in rows
    ]


def process_cells(figures: ProcessFigures) -> list[list[str]]:
    """The one row of the process table."""
    mib = 2**20
    return [
        [
            str(figures.calls),
            f"{figures.wall_s:.3f}",
            f"{figures.cpu_percent:.0f}",
            f"{figures.rss_before_bytes / mib:.1f}",
            f"{figures.rss_growth_bytes / mib:.1f}",
            f"{figures.peak_growth_bytes / mib:.1f}",
        ]
    ]


def process_caption(figures: ProcessFigures) -> str:
    """What the process figures are, and how the peak was found."""
    return (
        f"the same {figures.calls} calls without the profiler. RSS before: the process at rest "
        "(interpreter, torch, the model); growth: what the calls left; peak growth: the most "
        f"they added at any moment ({figures.peak_rss_method})."
    )
