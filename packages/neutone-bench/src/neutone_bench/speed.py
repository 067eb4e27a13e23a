"""Time per buffer of the exported adapter, as the plugin calls it, and the machine's floor.

For each host setting the adapter is configured, called ``warmup`` times (reported apart: the first
calls allocate and specialise and are slower), then streamed ``repetitions`` times over
``duration`` seconds of random audio with random knob values, each call timed on its own with
``time.perf_counter``. The deadline of a call is the duration of one host buffer.

The floor: the same loop around a module that does nothing, each iteration lasting as long as the
model's call it stands for (the loop spins on the clock for the rest), so it spans the same time
at the same period. Each floor figure is the longest gap between two consecutive clock reads in
its iteration: how long the machine (scheduler, other programs) took the CPU away. See
``neutone_bench.stats`` for the figures and the rule that calls a miss the model's or the
machine's.

With the native host (``measure_speed_native``) the same calls are made and timed by the C++
runner of ``neutone_export.native.host`` (steady clock, no interpreter in the loop), which also
counts the CPU allocations of each call; the floor is measured here, over the same span.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import torch
from torch import Tensor, nn

from neutone_bench.host import configure, random_buffers
from neutone_bench.render import ms
from neutone_bench.stats import TimingSummary, median, summarize_timings

if TYPE_CHECKING:
    from neutone_export.native.host import NativeTiming

#: Distinct random buffers cycled through, generated before timing starts.
INPUT_POOL = 8
#: Calls between two progress updates.
PROGRESS_EVERY = 64


class NoOp(nn.Module):
    """The floor's module: the adapter's ``forward`` signature, returning its input."""

    def forward(self, x: Tensor, params: Optional[Tensor] = None) -> Tensor:
        return x


_noop: list[torch.jit.ScriptModule] = []


def noop_module() -> torch.jit.ScriptModule:
    """The scripted no-op, made once per process."""
    if not _noop:
        _noop.append(torch.jit.script(NoOp()))
    return _noop[0]


@dataclass(frozen=True)
class SpeedResult:
    """Timings of one host setting; times in seconds, every call kept.

    ``host`` is "python" or "native"; the native host also counts the CPU allocations of each
    timed call (``allocations[i]`` for ``times[i]``; empty for the Python host). ``format`` is
    what was timed: the ".nm", or the "pt2" package beside it in the C++ pt2 runtime.
    """

    sample_rate: int
    buffer_size: int
    warmup_times: list[float]
    times: list[float]
    floor: list[float]
    summary: TimingSummary
    host: str = "python"
    allocations: list[int] = field(default_factory=list)
    allocated_bytes: list[int] = field(default_factory=list)
    format: str = "nm"

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON, with every per-call time (and allocation count)."""
        data = {
            "sample_rate": self.sample_rate,
            "buffer_size": self.buffer_size,
            "host": self.host,
            "format": self.format,
            **self.summary.to_dict(),
        }
        if self.host == "native":
            data["allocations_median"] = median(self.allocations)
            data["allocations_max"] = max(self.allocations)
            data["allocated_bytes_median"] = median(self.allocated_bytes)
        data.update(warmup_s=self.warmup_times, times_s=self.times, floor_s=self.floor)
        if self.host == "native":
            data["allocations"] = self.allocations
            data["allocated_bytes"] = self.allocated_bytes
        return data


def calls_per_repetition(sample_rate: int, buffer_size: int, duration: float) -> int:
    """Number of host buffers in ``duration`` seconds of audio (at least one)."""
    return max(1, math.ceil(duration * sample_rate / buffer_size))


def floor_stalls(
    targets: Sequence[float], x: Tensor, params: Tensor, on_calls: Callable[[int], None] | None
) -> list[float]:
    """The machine's stall in each iteration of the floor loop (seconds).

    Iteration ``i`` calls the no-op module, then reads the clock until ``targets[i]`` seconds have
    passed since it started; its figure is the longest gap between two consecutive clock reads.
    """
    forward = noop_module().forward
    clock = time.perf_counter
    stalls = []
    for i, target in enumerate(targets):
        start = clock()
        forward(x, params)
        last = clock()
        worst = last - start
        end = start + target
        while last < end:
            now = clock()
            worst = max(worst, now - last)
            last = now
        stalls.append(worst)
        if on_calls is not None and (i + 1) % PROGRESS_EVERY == 0:
            on_calls(PROGRESS_EVERY)
    if on_calls is not None:
        on_calls(len(targets) % PROGRESS_EVERY)
    return stalls


def measure_speed(
    module: torch.jit.ScriptModule,
    sample_rate: int,
    buffer_size: int,
    duration: float,
    repetitions: int,
    warmup: int,
    seed: int,
    on_calls: Callable[[int], None] | None = None,
) -> SpeedResult:
    """Time every ``forward`` call of ``module`` at one host setting, then the floor.

    Args:
        module: scripted adapter (the content of a ``.nm``).
        sample_rate: host sample rate in Hz; buffer_size: host buffer in samples.
        duration: seconds of audio per repetition (> 0); repetitions: >= 1, the adapter is reset
            before each; warmup: calls made first and reported apart (>= 0).
        seed: seed of the random audio (uniform in [-1, 1)) and knob values (uniform in [0, 1)).
        on_calls: called with the number of calls (model or floor) just made, outside the timed
            region.
    """
    if not (math.isfinite(duration) and duration > 0.0):
        raise ValueError(f"duration must be a finite number of seconds > 0, got {duration}")
    if repetitions < 1:
        raise ValueError(f"repetitions must be >= 1, got {repetitions}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0 calls, got {warmup}")
    configure(module, sample_rate, buffer_size)
    audio, knobs = random_buffers(buffer_size, INPUT_POOL, seed)
    forward = module.forward
    clock = time.perf_counter

    def timed_calls(count: int) -> list[float]:
        times = []
        for i in range(count):
            x, p = audio[i % INPUT_POOL], knobs[i % INPUT_POOL]
            start = clock()
            forward(x, p)
            times.append(clock() - start)
            if on_calls is not None and (i + 1) % PROGRESS_EVERY == 0:
                on_calls(PROGRESS_EVERY)
        if on_calls is not None:
            on_calls(count % PROGRESS_EVERY)
        return times

    with torch.no_grad():
        warmup_times = timed_calls(warmup)
        times: list[float] = []
        for _ in range(repetitions):
            module.reset()
            times.extend(timed_calls(calls_per_repetition(sample_rate, buffer_size, duration)))
        floor = floor_stalls(times, audio[0], knobs[0], on_calls)
    return SpeedResult(
        sample_rate=sample_rate,
        buffer_size=buffer_size,
        warmup_times=warmup_times,
        times=times,
        floor=floor,
        summary=summarize_timings(times, buffer_size / sample_rate, floor),
    )


def measure_speed_native(
    path: str | os.PathLike[str],
    sample_rate: int,
    buffer_size: int,
    duration: float,
    repetitions: int,
    warmup: int,
    seed: int,
    pin_cpu: int | None = None,
    on_calls: Callable[[int], None] | None = None,
) -> SpeedResult:
    """``measure_speed`` for the ``.nm`` at ``path``, timed by the native runner (C++ libtorch).

    Same calls (``warmup``, then ``repetitions`` runs of ``duration`` seconds, the adapter reset
    before each) with the runner's own random audio and knobs from ``seed``; ``pin_cpu`` pins the
    runner to that core. Raises ``NativeHostError`` (a ``ValueError``) when the runner cannot be
    built or the file does not load or run in plain libtorch.
    """
    from neutone_export.native.host import time_native

    calls = _native_calls(sample_rate, buffer_size, duration)
    timing = time_native(
        path,
        sample_rate,
        buffer_size,
        calls=calls,
        warmup=warmup,
        pin_cpu=pin_cpu,
        seed=seed,
        repetitions=repetitions,
    )
    if on_calls is not None:
        on_calls(warmup + repetitions * calls)
    return _native_result(timing, sample_rate, buffer_size, seed, on_calls, "nm")


def _native_calls(sample_rate: int, buffer_size: int, duration: float) -> int:
    """Calls per repetition of a native run of `duration` seconds (refused unless finite > 0)."""
    if not (math.isfinite(duration) and duration > 0.0):
        raise ValueError(f"duration must be a finite number of seconds > 0, got {duration}")
    return calls_per_repetition(sample_rate, buffer_size, duration)


def _native_result(
    timing: NativeTiming,
    sample_rate: int,
    buffer_size: int,
    seed: int,
    on_calls: Callable[[int], None] | None,
    file_format: str,
) -> SpeedResult:
    """A native program's timings as a `SpeedResult`, beside this machine's floor."""
    audio, knobs = random_buffers(buffer_size, 1, seed)
    with torch.no_grad():
        floor = floor_stalls(timing.times_s, audio[0], knobs[0], on_calls)
    return SpeedResult(
        sample_rate=sample_rate,
        buffer_size=buffer_size,
        warmup_times=timing.warmup_s,
        times=timing.times_s,
        floor=floor,
        summary=summarize_timings(timing.times_s, buffer_size / sample_rate, floor),
        host="native",
        allocations=timing.allocations,
        allocated_bytes=timing.allocated_bytes,
        format=file_format,
    )


def package_beside(path: str | os.PathLike[str]) -> Path | None:
    """The pt2 package exported beside the `.nm` at `path` (``model.nm`` -> ``model.pt2pkg/``)."""
    package = Path(path).with_suffix(".pt2pkg")
    return package if (package / "manifest.json").is_file() else None


def measure_speed_package(
    package_dir: str | os.PathLike[str],
    sample_rate: int,
    buffer_size: int,
    duration: float,
    repetitions: int,
    warmup: int,
    seed: int,
    pin_cpu: int | None = None,
) -> SpeedResult:
    """``measure_speed_native`` for the pt2 package in `package_dir`, timed in the C++ pt2 runtime
    (``neutone_export.pt2.native_runtime``): the same calls, clock and allocation count, so its
    figures stand beside the `.nm`'s. Raises ``NativeHostError`` like the native host."""
    from neutone_export.pt2.native_runtime import time_package_native

    calls = _native_calls(sample_rate, buffer_size, duration)
    timing = time_package_native(
        package_dir,
        sample_rate,
        buffer_size,
        calls=calls,
        warmup=warmup,
        pin_cpu=pin_cpu,
        seed=seed,
        repetitions=repetitions,
    )
    return _native_result(timing, sample_rate, buffer_size, seed, None, "pt2")


HEADERS = ["rate Hz", "buffer", "median ms", "p99 ms", "max ms", "misses", "load %"]
#: The `.nm` and its pt2 package side by side, both timed in C++.
FORMAT_HEADERS = [
    "rate Hz",
    "buffer",
    "format",
    "median ms",
    "p99 ms",
    "misses",
    "median allocs",
    "max allocs",
]
VERBOSE_HEADERS = [
    "rate Hz",
    "buffer",
    "deadline ms",
    "warm-up 1st ms",
    "warm-up max ms",
    "IQR ms",
    "slow calls",
    "floor max ms",
    "floor misses",
]
#: The verbose table of the native host's CPU allocations per timed call.
ALLOCATION_HEADERS = ["rate Hz", "buffer", "median allocs", "max allocs", "median bytes"]


def misses_cell(summary: TimingSummary) -> str:
    """Deadline misses, with whose they are: ``0``, ``3 model``, ``2 machine``."""
    if summary.deadline_misses == 0:
        return "0"
    return f"{summary.deadline_misses} {summary.cause}"


def table_cells(results: Sequence[SpeedResult]) -> list[list[str]]:
    """One row per setting: median, p99, max, misses (and whose), load % of the buffer."""
    return [
        [
            str(r.sample_rate),
            str(r.buffer_size),
            ms(r.summary.median_s),
            ms(r.summary.p99_s),
            ms(r.summary.max_s),
            misses_cell(r.summary),
            f"{100.0 * r.summary.load:.1f}",
        ]
        for r in results
    ]


def verbose_cells(results: Sequence[SpeedResult]) -> list[list[str]]:
    """One row per setting: deadline, warm-up, spread, slow calls and the machine's floor."""
    return [
        [
            str(r.sample_rate),
            str(r.buffer_size),
            ms(r.summary.deadline_s),
            ms(r.warmup_times[0]) if r.warmup_times else "-",
            ms(max(r.warmup_times)) if r.warmup_times else "-",
            ms(r.summary.iqr_s),
            str(r.summary.slow_calls),
            ms(r.summary.floor_max_s),
            str(r.summary.floor_misses),
        ]
        for r in results
    ]


def format_cells(nm: Sequence[SpeedResult], pt2: Sequence[SpeedResult]) -> list[list[str]]:
    """Per setting, the `.nm` row then the pt2 package's: median, p99, misses, allocations."""
    by_setting = {(r.sample_rate, r.buffer_size): r for r in pt2}
    rows = []
    for first in nm:
        for r in (first, by_setting.get((first.sample_rate, first.buffer_size))):
            if r is None:
                continue
            rows.append(
                [
                    str(r.sample_rate),
                    str(r.buffer_size),
                    ".nm" if r.format == "nm" else "pt2",
                    ms(r.summary.median_s),
                    ms(r.summary.p99_s),
                    misses_cell(r.summary),
                    f"{median(r.allocations):g}",
                    str(max(r.allocations)),
                ]
            )
    return rows


def allocation_cells(results: Sequence[SpeedResult]) -> list[list[str]]:
    """One row per setting timed by the native host: CPU allocations per call (median, max)."""
    return [
        [
            str(r.sample_rate),
            str(r.buffer_size),
            f"{median(r.allocations):g}",
            str(max(r.allocations)),
            f"{median(r.allocated_bytes):g}",
        ]
        for r in results
        if r.host == "native"
    ]
