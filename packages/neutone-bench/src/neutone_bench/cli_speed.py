"""`neutone-bench speed`: will the model run in realtime, at each host setting, on this machine?

Options and output checks happen before any measurement; the measurement is
``neutone_bench.speed``, the figures ``neutone_bench.stats``, the comparison with a saved run
``neutone_bench.compare``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from neutone_bench.options import (
    BufferSizesOption,
    ModelArgument,
    NumThreadsOption,
    SampleRatesOption,
    SeedOption,
    WarmupOption,
    check_duration,
    check_settings,
    input_paths,
    load_model,
    refused_setting,
)
from neutone_export.cli_contract import (
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

    from neutone_bench.compare import Change
    from neutone_bench.models import BenchModel
    from neutone_bench.speed import SpeedResult

DEFAULT_SAMPLE_RATES = [48000]
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
        bool, typer.Option("--verbose", "-v", help="Add warm-up, spread and the machine's floor.")
    ] = False,
) -> None:
    """Time per call at each setting: median, p99, max, deadline misses, load of the buffer.

    A call misses its deadline when it takes longer than the buffer lasts. The same loop around a
    no-op module measures the machine's floor, so that a miss is told as the model's or the
    machine's.
    """
    from neutone_bench import compare as comparing
    from neutone_bench.stats import DISTURBED_STALL_S, MACHINE_RULE, SLOW_RULE

    sample_rates, buffer_sizes = check_settings(
        sample_rate or DEFAULT_SAMPLE_RATES, buffer_size or DEFAULT_BUFFER_SIZES
    )
    duration = check_duration(duration, "--duration")
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
    settings = [(sr, bs) for sr in sample_rates for bs in buffer_sizes]
    results = _measure(bench, settings, duration, repetitions, warmup, num_threads, seed)
    err = stderr_console()
    changes = None
    if baseline is not None:
        current = {(r.sample_rate, r.buffer_size): r.summary.median_s for r in results}
        changes = comparing.compare(current, baseline, fraction)
        if not changes:
            err.print(f"warning: {compare_file} holds none of the settings measured now")
    if table_wanted(json_file):
        _print_tables(bench.name, results, verbose, changes, fraction)
    if json_file is not None:
        data = {
            "command": "speed",
            "model": bench.name,
            "duration_s": duration,
            "repetitions": repetitions,
            "warmup": warmup,
            "seed": seed,
            "slow_rule": SLOW_RULE,
            "machine_rule": MACHINE_RULE,
            "results": [r.to_dict() for r in results],
        }
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
        err.print(f"plot written to {outputs['--plot']}")
    _warn(err, results, DISTURBED_STALL_S)
    regressions = [c for c in changes or [] if c.regression]
    if regressions:
        settings = ", ".join(f"{c.sample_rate} Hz / {c.buffer_size}" for c in regressions)
        err.print(f"regression: the median grew by more than {threshold} at {settings}")
        raise typer.Exit(code=1)


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
) -> list[SpeedResult]:
    """Every setting measured, with a progress bar on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from neutone_bench.host import SettingError, torch_threads
    from neutone_bench.speed import calls_per_repetition, measure_speed

    err = stderr_console()
    total = sum(
        warmup + 2 * repetitions * calls_per_repetition(sr, bs, duration) for sr, bs in settings
    )
    err.print(
        f"speed: {bench.name}, {len(settings)} setting(s), {num_threads} thread(s), "
        f"{repetitions} x {duration:g} s of audio each after {warmup} warm-up calls, "
        "then the machine's floor"
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
    with progress, torch_threads(num_threads):
        task = progress.add_task("calls", total=total)
        for sr, bs in settings:
            progress.update(task, description=f"{sr} Hz / {bs} samples")
            try:
                results.append(
                    measure_speed(
                        bench.module,
                        sr,
                        bs,
                        duration,
                        repetitions,
                        warmup,
                        seed,
                        on_calls=lambda n: progress.advance(task, n),
                    )
                )
            except SettingError as exc:
                raise refused_setting(exc) from None
    return results


def _print_tables(
    name: str,
    results: list[SpeedResult],
    verbose: bool,
    changes: list[Change] | None,
    fraction: float,
) -> None:
    """The speed table on stdout; with --verbose the floor table; with --compare the changes."""
    from neutone_bench import compare as comparing
    from neutone_bench.render import print_table
    from neutone_bench.speed import HEADERS, VERBOSE_HEADERS, table_cells, verbose_cells

    out = stdout_console()
    caption = "misses: calls slower than the buffer lasts, and whose (model or machine)"
    print_table(out, f"speed of {name}", HEADERS, table_cells(results), caption=caption)
    if verbose:
        print_table(
            out, "warm-up, spread and machine floor", VERBOSE_HEADERS, verbose_cells(results)
        )
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
            err.print(
                f"warning: {s.deadline_misses} of {s.num_calls} calls at {where} overran the "
                f"buffer's {s.deadline_s * 1e3:.3f} ms; {whose}"
            )
        if s.unstable:
            err.print(
                f"warning: at {where} the middle half of the calls spreads over "
                f"{100 * s.iqr_s / s.median_s:.0f} % of the median (IQR): the timings are unstable"
            )
    worst = max(results, key=lambda r: r.summary.floor_max_s)
    if worst.summary.floor_max_s > disturbed_s:
        err.print(
            "warning: the machine was disturbed: a loop doing nothing lost the CPU for up to "
            f"{worst.summary.floor_max_s * 1e3:.1f} ms (at {worst.sample_rate} Hz / "
            f"{worst.buffer_size}); other programs or the scheduler, not the model. Rerun on a "
            "quiet machine for trustworthy p99 and max."
        )
