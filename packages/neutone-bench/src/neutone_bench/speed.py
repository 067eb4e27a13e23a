"""`neutone-bench speed`: time per buffer of the exported adapter, as the plugin calls it.

For each host setting the adapter is configured, called ``warmup`` times (reported apart: the first
calls allocate and specialise and are slower), then streamed ``repetitions`` times over
``duration`` seconds of random audio with random knob values, each call timed on its own with
``time.perf_counter``. The figures are order statistics and deadline misses over every call (see
``neutone_bench.stats``); the deadline of a call is the duration of one host buffer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import torch
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from neutone_bench.host import SettingError, configure, random_buffers, torch_threads
from neutone_bench.options import (
    BufferSizesOption,
    JsonOption,
    ModelArgument,
    NumThreadsOption,
    SampleRatesOption,
    SeedOption,
    check_settings,
    load_model,
    refused_setting,
)
from neutone_bench.render import ms, print_table, stderr_console, stdout_console, write_json
from neutone_bench.stats import OUTLIER_K, TimingSummary, summarize_timings

DEFAULT_SAMPLE_RATES = [48000]
DEFAULT_BUFFER_SIZES = [128, 256, 512, 1024, 2048]
#: Distinct random buffers cycled through, generated before timing starts.
INPUT_POOL = 8
#: Outliers shown per row in the table (all of them are in the JSON).
OUTLIERS_SHOWN = 3


@dataclass(frozen=True)
class SpeedResult:
    """Timings of one host setting; times in seconds."""

    sample_rate: int
    buffer_size: int
    warmup_times: list[float]
    summary: TimingSummary

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON."""
        return {
            "sample_rate": self.sample_rate,
            "buffer_size": self.buffer_size,
            "warmup": {
                "calls": len(self.warmup_times),
                "first_s": self.warmup_times[0] if self.warmup_times else None,
                "max_s": max(self.warmup_times) if self.warmup_times else None,
            },
            **self.summary.to_dict(),
        }


def calls_per_repetition(sample_rate: int, buffer_size: int, duration: float) -> int:
    """Number of host buffers in ``duration`` seconds of audio (at least one)."""
    return max(1, math.ceil(duration * sample_rate / buffer_size))


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
    """Time every ``forward`` call of ``module`` at one host setting.

    Args:
        module: scripted adapter (the content of a ``.nm``).
        sample_rate: host sample rate in Hz; buffer_size: host buffer in samples.
        duration: seconds of audio per repetition (> 0); repetitions: >= 1, the adapter is reset
            before each; warmup: untimed-in-the-summary calls made first (>= 0).
        seed: seed of the random audio (uniform in [-1, 1)) and knob values (uniform in [0, 1)).
        on_calls: called with the number of calls just made, outside the timed region.
    """
    if not duration > 0.0:
        raise ValueError(f"duration must be > 0 seconds, got {duration}")
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
            if on_calls is not None and (i + 1) % 64 == 0:
                on_calls(64)
        if on_calls is not None:
            on_calls(count % 64)
        return times

    with torch.no_grad():
        warmup_times = timed_calls(warmup)
        times: list[float] = []
        for _ in range(repetitions):
            module.reset()
            times.extend(timed_calls(calls_per_repetition(sample_rate, buffer_size, duration)))
    return SpeedResult(
        sample_rate=sample_rate,
        buffer_size=buffer_size,
        warmup_times=warmup_times,
        summary=summarize_timings(times, buffer_size / sample_rate, OUTLIER_K),
    )


def table_cells(results: Sequence[SpeedResult]) -> list[list[str]]:
    """One table row per setting, times in milliseconds."""
    cells = []
    for result in results:
        s = result.summary
        shown = ", ".join(ms(t) for _, t in s.outliers[:OUTLIERS_SHOWN])
        more = len(s.outliers) - OUTLIERS_SHOWN
        outliers = f"{len(s.outliers)}" + (f": {shown}" if shown else "")
        if more > 0:
            outliers += ", …"
        warm = result.warmup_times
        cells.append(
            [
                str(result.sample_rate),
                str(result.buffer_size),
                ms(s.deadline_s),
                ms(warm[0]) if warm else "-",
                ms(max(warm)) if warm else "-",
                ms(s.median_s),
                ms(s.p99_s),
                ms(s.max_s),
                f"{s.inverse_rtf:.1f}",
                f"{s.deadline_misses}/{s.num_calls}",
                outliers,
            ]
        )
    return cells


HEADERS = [
    "rate (Hz)",
    "buffer",
    "deadline ms",
    "warm-up 1st ms",
    "warm-up max ms",
    "median ms",
    "p99 ms",
    "max ms",
    "1/RTF",
    "misses",
    "outliers (ms)",
]


def speed(
    model: ModelArgument = None,
    sample_rate: SampleRatesOption = None,
    buffer_size: BufferSizesOption = None,
    duration: Annotated[
        float, typer.Option("--duration", help="Seconds of audio per run (> 0).")
    ] = 5.0,
    repetitions: Annotated[
        int, typer.Option("--repetitions", min=1, help="Runs per setting (reset in between).")
    ] = 3,
    warmup: Annotated[
        int, typer.Option("--warmup", min=0, help="Calls before timing, reported apart.")
    ] = 20,
    num_threads: NumThreadsOption = 1,
    seed: SeedOption = 0,
    json_file: JsonOption = None,
    plot_file: Annotated[
        Path | None,
        typer.Option(
            "--plot", metavar="FILE.png", dir_okay=False, help="Draw time per buffer to FILE.png."
        ),
    ] = None,
) -> None:
    """Time per buffer at each setting: median, p99, max, 1/RTF, deadline misses, outliers.

    A call misses its deadline when it takes longer than the buffer lasts; an outlier is a call
    slower than median + 5 x 1.4826 x MAD (median absolute deviation) of its setting's calls.
    """
    sample_rates = sample_rate or DEFAULT_SAMPLE_RATES
    buffer_sizes = buffer_size or DEFAULT_BUFFER_SIZES
    check_settings(sample_rates, buffer_sizes)
    if not duration > 0.0:
        raise typer.BadParameter(f"must be > 0 seconds, got {duration}", param_hint="'--duration'")
    bench = load_model(model)
    err = stderr_console()
    settings = [(sr, bs) for sr in sample_rates for bs in buffer_sizes]
    total_calls = sum(
        warmup + repetitions * calls_per_repetition(sr, bs, duration) for sr, bs in settings
    )
    err.print(
        f"speed: {bench.name}, {len(settings)} settings, {num_threads} thread(s), "
        f"{repetitions} x {duration:g} s of audio each after {warmup} warm-up calls"
    )
    results = []
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with progress, torch_threads(num_threads):
        task = progress.add_task("calls", total=total_calls)
        for sr, bs in settings:
            progress.update(task, description=f"{sr} Hz / {bs} samples")
            try:
                result = measure_speed(
                    bench.module,
                    sr,
                    bs,
                    duration,
                    repetitions,
                    warmup,
                    seed,
                    on_calls=lambda n: progress.advance(task, n),
                )
            except SettingError as exc:
                raise refused_setting(exc) from exc
            results.append(result)
    data = {
        "command": "speed",
        "model": bench.name,
        "num_threads": num_threads,
        "duration_s": duration,
        "repetitions": repetitions,
        "outlier_rule": f"time > median + {OUTLIER_K:g} * 1.4826 * MAD",
        "results": [r.to_dict() for r in results],
    }
    if json_file is None or str(json_file) != "-":
        print_table(stdout_console(), f"speed of {bench.name}", HEADERS, table_cells(results))
    if json_file is not None:
        write_json(data, json_file)
    if plot_file is not None:
        from neutone_bench.plot import plot_speed

        plot_speed(results, plot_file, title=f"speed of {bench.name}")
        err.print(f"plot written to {plot_file}")
    missed = sum(r.summary.deadline_misses for r in results)
    if missed:
        err.print(
            f"[yellow]warning:[/] {missed} call(s) overran their buffer's duration: "
            "the plugin would click at those settings on this machine"
        )
