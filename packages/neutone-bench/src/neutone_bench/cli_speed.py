"""`neutone-bench speed`: will the model run in realtime, at each host setting, on this machine?

Options and output checks happen before any measurement; the measurement is
``neutone_bench.speed``, the figures ``neutone_bench.stats``, the comparison with a saved run
``neutone_bench.compare``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from neutone_bench.options import (
    BufferSizesOption,
    Host,
    HostOption,
    ModelArgument,
    NumThreadsOption,
    PinCpuOption,
    SampleRatesOption,
    SeedOption,
    WarmupOption,
    check_duration,
    check_model_file,
    check_native_options,
    check_settings,
    distinct,
    input_paths,
    load_model,
    refused_setting,
)
from neutone_bench.render import say
from neutone_export.cli.contract import (
    BadInput,
    JsonOption,
    check_distinct,
    check_output_file,
    emit_json,
    envelope,
    stderr_console,
    stdout_console,
    table_wanted,
)

if TYPE_CHECKING:
    from rich.console import Console

    from neutone_bench.clip_speed import ClipSpeedResult
    from neutone_bench.compare import Change
    from neutone_bench.models import BenchModel
    from neutone_bench.speed import SpeedResult

DEFAULT_SAMPLE_RATES = [48000]
#: Host buffers a run must span at least (--duration is refused below).
MIN_BUFFERS_PER_RUN = 4
DEFAULT_BUFFER_SIZES = [128, 256, 512, 1024, 2048]


def register(app: typer.Typer) -> None:
    """Join the `speed` command to `app`."""
    app.command("speed")(speed)


def speed(
    model: ModelArgument = None,
    sample_rate: SampleRatesOption = None,
    buffer_size: BufferSizesOption = None,
    duration: Annotated[float, typer.Option("--duration", help="Seconds of audio per run.")] = 5.0,
    repetitions: Annotated[
        int,
        typer.Option("--repetitions", min=1, max=1000, help="Runs per setting (reset between)."),
    ] = 3,
    warmup: WarmupOption = 20,
    num_threads: NumThreadsOption = 1,
    seed: SeedOption = 0,
    json_file: JsonOption = None,
    plot_file: Annotated[
        Optional[str],
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Draw each call's time against the deadline (and the machine's floor) to FILE.",
        ),
    ] = None,
    compare_file: Annotated[
        Optional[Path],
        typer.Option(
            "--compare",
            metavar="BASELINE.json",
            help="Compare each setting's median with a saved `speed --json` run; exit 1 on a "
            "regression.",
        ),
    ] = None,
    threshold: Annotated[
        str,
        typer.Option("--threshold", help="Median growth that counts as a regression, e.g. 10%."),
    ] = "10%",
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Add warm-up, spread and the machine's floor (and, native, allocations per call).",
        ),
    ] = False,
    host: HostOption = Host.python,
    pin_cpu: PinCpuOption = None,
    clip_seconds: Annotated[
        list[float] | None,
        typer.Option(
            "--clip-seconds",
            help="Non-realtime (Gen) models: clip length in seconds; repeat for several "
            "(default 1, 5, 10).",
        ),
    ] = None,
) -> None:
    """Time per call at each setting: median, p99, max, deadline misses, mean load of the buffer.

    A call misses its deadline when it takes longer than the buffer lasts. The same loop around a
    no-op module measures the machine's floor, so that a miss is told as the model's or the
    machine's. --host native times the calls in a C++ libtorch runner, as the plugin makes them,
    and counts each call's CPU allocations. A non-realtime (Gen) model is timed per clip instead:
    seconds per clip length and the realtime factor.
    """
    check_model_file(model)
    from neutone_bench import compare as comparing
    from neutone_bench.stats import DISTURBED_STALL_S, MACHINE_RULE, SLOW_RULE

    sample_rates, buffer_sizes = check_settings(
        sample_rate or DEFAULT_SAMPLE_RATES, buffer_size or DEFAULT_BUFFER_SIZES
    )
    duration = check_duration(duration, "--duration")
    clips = distinct(
        [check_duration(c, "--clip-seconds") for c in clip_seconds or []], "--clip-seconds"
    )
    check_native_options(host, pin_cpu, num_threads)
    inputs = input_paths(model) + ([compare_file] if compare_file else [])
    outputs = {
        "--json": check_output_file(json_file, "--json", inputs, allow_stdout=True),
        "--plot": check_output_file(plot_file, "--plot", inputs),
    }
    check_distinct(outputs)
    if outputs["--plot"] is not None:
        _check_plot_format(outputs["--plot"])
    try:
        fraction = comparing.parse_threshold(threshold)
        baseline = comparing.load_baseline(compare_file) if compare_file else None
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    bench = load_model(model)
    if not bench.kind.streams:
        _refuse_for_clips(bench.name, host, outputs["--plot"], compare_file)
        _speed_of_clips(
            bench, sample_rates, buffer_size, clips, repetitions, warmup, num_threads, seed,
            json_file,
        )  # fmt: skip
        return
    if clips:
        raise BadInput(f"--clip-seconds: {bench.name} is a realtime model, timed per buffer")
    settings = [(sr, bs) for sr in sample_rates for bs in buffer_sizes]
    check_duration_covers(duration, settings)
    results = _measure(
        bench, settings, duration, repetitions, warmup, num_threads, seed, host, pin_cpu
    )
    packaged = (
        _measure_package(bench, settings, duration, repetitions, warmup, seed, pin_cpu)
        if host is Host.native
        else []
    )
    err = stderr_console()
    changes = None
    if baseline is not None:
        current = {(r.sample_rate, r.buffer_size): r.summary.median_s for r in results}
        changes = comparing.compare(current, baseline, fraction)
        if not changes:
            say(err, f"warning: {compare_file} holds none of the settings measured now")
    if table_wanted(json_file):
        _print_tables(bench.name, results, verbose, changes, fraction, packaged)
    if json_file is not None:
        data: dict[str, Any] = {
            "command": "speed",
            "model": bench.name,
            "host": host.value,
            "duration_s": duration,
            "repetitions": repetitions,
            "warmup": warmup,
            "seed": seed,
            "slow_rule": SLOW_RULE,
            "machine_rule": MACHINE_RULE,
            "results": [r.to_dict() for r in results],
        }
        if packaged:
            data["package_results"] = [r.to_dict() for r in packaged]
        if changes is not None:
            data["compare"] = {
                "baseline": str(compare_file),
                "threshold": fraction,
                "changes": [c.to_dict() for c in changes],
            }
        emit_json(envelope("neutone-bench", data, threads=num_threads), json_file)
    if outputs["--plot"] is not None:
        from neutone_bench.plot import plot_speed

        plot_speed(results, outputs["--plot"], title=f"speed of {bench.name}")
        say(err, f"plot written to {outputs['--plot']}")
    _warn(err, results, DISTURBED_STALL_S)
    regressions = [c for c in changes or [] if c.regression]
    if regressions:
        where = ", ".join(f"{c.sample_rate} Hz / {c.buffer_size}" for c in regressions)
        say(err, f"regression: the median grew by more than {threshold} at {where}")
        raise typer.Exit(code=1)


def check_duration_covers(duration: float, settings: list[tuple[int, int]]) -> None:
    """Refuse a --duration shorter than ``MIN_BUFFERS_PER_RUN`` host buffers at some setting.

    Fewer calls than that make no median, p99 or miss count worth reading.

    >>> check_duration_covers(0.05, [(48000, 128)])
    """
    rate, size = max(settings, key=lambda s: s[1] / s[0])
    need = math.ceil(MIN_BUFFERS_PER_RUN * size / rate * 1000) / 1000  # whole ms, rounded up
    if duration < need:
        raise BadInput(
            f"--duration {duration:g}: shorter than {MIN_BUFFERS_PER_RUN} buffers of {size} "
            f"samples at {rate} Hz; give at least {need:g} s"
        )


def _check_plot_format(path: Path) -> None:
    """Refuse a --plot file whose suffix names no format matplotlib writes."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix.lstrip(".").lower() not in formats:
        raise BadInput(
            f"--plot: {path} has no image suffix matplotlib writes ({', '.join(sorted(formats))})"
        )


def _measure(
    bench: BenchModel,
    settings: list[tuple[int, int]],
    duration: float,
    repetitions: int,
    warmup: int,
    num_threads: int,
    seed: int,
    host: Host = Host.python,
    pin_cpu: int | None = None,
) -> list[SpeedResult]:
    """Every setting measured, with a progress bar on stderr."""
    from contextlib import ExitStack

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from neutone_bench.host import SettingError, torch_threads
    from neutone_bench.models import model_file
    from neutone_bench.speed import calls_per_repetition, measure_speed, measure_speed_native

    err = stderr_console()
    total = sum(
        warmup + 2 * repetitions * calls_per_repetition(sr, bs, duration) for sr, bs in settings
    )
    say(
        err,
        f"speed: {bench.name}, {len(settings)} setting(s), {num_threads} thread(s), "
        f"{repetitions} x {duration:g} s of audio each after {warmup} warm-up calls, "
        "then the machine's floor"
        + (", in the native host" + (f" pinned to CPU {pin_cpu}" if pin_cpu is not None else ""))
        * (host is Host.native),
    )
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,  # a bar drawn into a pipe or a log is noise
    )
    results = []
    with ExitStack() as stack:
        stack.enter_context(progress)
        stack.enter_context(torch_threads(num_threads))
        path = stack.enter_context(model_file(bench)) if host is Host.native else None
        task = progress.add_task("calls", total=total)
        for sr, bs in settings:
            progress.update(task, description=f"{sr} Hz / {bs} samples")

            def advance(n: int) -> None:
                progress.advance(task, n)

            try:
                if path is not None:
                    configure_in_python(bench, sr, bs)  # a refused setting in one line
                    result = measure_speed_native(
                        path, sr, bs, duration, repetitions, warmup, seed, pin_cpu, advance
                    )
                else:
                    result = measure_speed(
                        bench.module, sr, bs, duration, repetitions, warmup, seed, advance
                    )
            except SettingError as exc:
                raise refused_setting(exc) from None
            results.append(result)
    return results


def _measure_package(
    bench: BenchModel,
    settings: list[tuple[int, int]],
    duration: float,
    repetitions: int,
    warmup: int,
    seed: int,
    pin_cpu: int | None,
) -> list[SpeedResult]:
    """The pt2 package exported beside the model's `.nm`, timed at every setting in the C++ pt2
    runtime (none when the model is not a file or has no package beside it)."""
    from neutone_bench.speed import measure_speed_package, package_beside

    package = package_beside(bench.path) if bench.path is not None else None
    if package is None:
        return []
    say(stderr_console(), f"speed: also timing the pt2 package {package} in the C++ runtime")
    return [
        measure_speed_package(package, sr, bs, duration, repetitions, warmup, seed, pin_cpu)
        for sr, bs in settings
    ]


def configure_in_python(bench: BenchModel, sample_rate: int, buffer_size: int) -> None:
    """Ask the model (in Python) whether it takes the setting: a refusal is a `SettingError`."""
    from neutone_bench.host import configure

    configure(bench.module, sample_rate, buffer_size)


def _print_tables(
    name: str,
    results: list[SpeedResult],
    verbose: bool,
    changes: list[Change] | None,
    fraction: float,
    packaged: list[SpeedResult],
) -> None:
    """The speed table on stdout (and the `.nm` beside its pt2 package when one was timed); with
    --verbose the floor table; with --compare the changes."""
    from neutone_bench import compare as comparing
    from neutone_bench.render import print_table
    from neutone_bench.speed import (
        ALLOCATION_HEADERS,
        FORMAT_HEADERS,
        HEADERS,
        VERBOSE_HEADERS,
        allocation_cells,
        format_cells,
        table_cells,
        verbose_cells,
    )

    out = stdout_console()
    caption = (
        "misses: calls slower than the buffer lasts, and whose they are (the model's or the "
        "machine's); load: the mean call as a share of the buffer's duration."
    )
    where = " (native host)" if results and results[0].host == "native" else ""
    print_table(out, f"speed of {name}{where}", HEADERS, table_cells(results), caption=caption)
    if packaged:
        title = "the .nm and its pt2 package, both called from C++ (allocations per call)"
        print_table(out, title, FORMAT_HEADERS, format_cells(results, packaged))
    if verbose:
        print_table(
            out, "warm-up, spread and machine floor", VERBOSE_HEADERS, verbose_cells(results)
        )
        native = allocation_cells(results)
        if native:
            title = "CPU allocations per call in the native host (0: allocation-free)"
            print_table(out, title, ALLOCATION_HEADERS, native)
    if changes:
        title = f"median against the baseline (regression: > +{100 * fraction:g} %)"
        print_table(out, title, comparing.HEADERS, comparing.change_cells(changes))


def _warn(err: Console, results: list[SpeedResult], disturbed_s: float) -> None:
    """Warnings on stderr: misses and whose they are, a disturbed machine, unstable timings."""
    for r in results:
        s = r.summary
        where = f"{r.sample_rate} Hz / {r.buffer_size}"
        if s.deadline_misses:
            whose = (
                "the machine's: a loop doing nothing stalled as often over the same span; "
                "rerun on a quiet machine"
                if s.cause == "machine"
                else "the model's: it is too slow for this setting on this machine"
            )
            say(
                err,
                f"warning: {s.deadline_misses} of {s.num_calls} calls at {where} overran the "
                f"buffer's {s.deadline_s * 1e3:.3f} ms; {whose}",
            )
        if s.unstable:
            say(
                err,
                f"warning: at {where} the middle half of the calls spreads over "
                f"{100 * s.iqr_s / s.median_s:.0f} % of the median (IQR): the timings are unstable",
            )
    worst = max(results, key=lambda r: r.summary.floor_max_s)
    if worst.summary.floor_max_s > disturbed_s:
        say(
            err,
            "warning: the machine was disturbed: a loop doing nothing lost the CPU for up to "
            f"{worst.summary.floor_max_s * 1e3:.1f} ms (at {worst.sample_rate} Hz / "
            f"{worst.buffer_size}); other programs or the scheduler, not the model. Rerun on a "
            "quiet machine for trustworthy p99 and max.",
        )


def _refuse_for_clips(name: str, host: Host, plot: Path | None, compare_file: Path | None) -> None:
    """Options that have no meaning for a model timed per clip."""
    if host is Host.native:
        raise BadInput(
            f"--host native: {name} is a non-realtime (Gen) model; the native host calls "
            "realtime models per buffer; use --host python"
        )
    for option, value in (("--plot", plot), ("--compare", compare_file)):
        if value is not None:
            raise BadInput(f"{option}: {name} is a non-realtime (Gen) model, timed per clip")


def _speed_of_clips(
    bench: BenchModel,
    sample_rates: list[int],
    buffer_sizes: list[int] | None,
    clips: list[float],
    repetitions: int,
    warmup: int,
    num_threads: int,
    seed: int,
    json_file: str | None,
) -> None:
    """Seconds per clip length and realtime factor of a Gen model: table and JSON."""
    from neutone_bench.clip_speed import (
        DEFAULT_CLIP_SECONDS,
        HEADERS,
        HOST_BUFFER_SIZE,
        measure_clip_speed,
        table_cells,
    )
    from neutone_bench.host import torch_threads
    from neutone_bench.render import print_table

    clips = clips or DEFAULT_CLIP_SECONDS
    host_buffer = buffer_sizes[0] if buffer_sizes else HOST_BUFFER_SIZE
    warmup = min(warmup, 2)  # a clip is long; TorchScript specialises over its first two calls
    say(
        stderr_console(),
        f"speed: {bench.name} (non-realtime), clips of {', '.join(f'{c:g}' for c in clips)} s, "
        f"{repetitions} timed call(s) each after {warmup} warm-up, {num_threads} thread(s)",
    )
    results: list[ClipSpeedResult] = []
    with torch_threads(num_threads):
        for sr in sample_rates:
            for clip in clips:
                results.append(
                    measure_clip_speed(
                        bench.module, sr, clip, repetitions, warmup, seed, host_buffer
                    )
                )
    if table_wanted(json_file):
        title = f"speed of {bench.name} per clip (realtime x: seconds of audio per second)"
        print_table(stdout_console(), title, HEADERS, table_cells(results))
    if json_file is not None:
        data = {
            "command": "speed",
            "model": bench.name,
            "realtime": False,
            "host": "python",
            "host_buffer_size": host_buffer,
            "repetitions": repetitions,
            "warmup": warmup,
            "seed": seed,
            "clip_seconds": clips,
            "results": [r.to_dict() for r in results],
        }
        emit_json(envelope("neutone-bench", data, threads=num_threads), json_file)
