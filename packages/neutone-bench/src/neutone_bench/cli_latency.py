"""`neutone-bench latency`: the delay the model reports at each setting, and (`--measure`) has."""

from __future__ import annotations

from typing import Annotated

import typer

from neutone_bench.options import (
    BufferSizesOption,
    Host,
    HostOption,
    ModelArgument,
    NumThreadsOption,
    SampleRatesOption,
    SeedOption,
    check_model_file,
    check_native_options,
    check_settings,
    input_paths,
    load_model,
    refused_setting,
)
from neutone_bench.render import say
from neutone_export.cli.contract import (
    BadInput,
    JsonOption,
    check_output_file,
    emit_json,
    envelope,
    stderr_console,
    stdout_console,
    table_wanted,
)

DEFAULT_SAMPLE_RATES = [44100, 48000]
DEFAULT_BUFFER_SIZES = [128, 256, 512, 1024, 2048]


def register(app: typer.Typer) -> None:
    """Join the `latency` command to `app`."""
    app.command("latency")(latency)


def latency(
    model: ModelArgument = None,
    sample_rate: SampleRatesOption = None,
    buffer_size: BufferSizesOption = None,
    measure: Annotated[
        bool, typer.Option("--measure", help="Also measure the delay with a noise burst.")
    ] = False,
    seed: SeedOption = 0,
    json_file: JsonOption = None,
    host: HostOption = Host.python,
    num_threads: NumThreadsOption = 1,
) -> None:
    """Delay in host samples at each setting, lowest first, split as the model reports it.

    With --measure, a measured delay that differs from the reported total is a warning and the
    command exits with code 1 (the host would misalign the model's output by the difference).
    --host native streams the burst through a C++ libtorch runner, as the plugin calls the model.
    The model runs on one intra-op thread unless --num-threads, as in a plugin.
    """
    check_model_file(model)
    if host is Host.native and not measure:
        raise BadInput("--host native: the native host measures the delay; add --measure")
    check_native_options(host, None, num_threads)
    sample_rates, buffer_sizes = check_settings(
        sample_rate or DEFAULT_SAMPLE_RATES, buffer_size or DEFAULT_BUFFER_SIZES
    )
    check_output_file(json_file, "--json", input_paths(model), allow_stdout=True)
    bench = load_model(model)
    if not bench.kind.streams:
        raise BadInput(f"MODEL: {bench.name} is a non-realtime (Gen) model; it has no stream delay")

    from contextlib import ExitStack

    from neutone_bench.host import SettingError, reported_delay, torch_threads
    from neutone_bench.latency import (
        HEADERS,
        LatencyRow,
        measure_delay,
        measure_delay_native,
        sort_rows,
        table_cells,
    )
    from neutone_bench.models import model_file
    from neutone_bench.render import print_table

    err = stderr_console()
    rates = [int(r) for r in bench.module.get_native_sample_rates()] or "any"
    sizes = [int(b) for b in bench.module.get_native_buffer_sizes()] or "any"
    say(
        err,
        f"latency: {bench.name}, native sample rates {rates}, native buffer sizes {sizes}"
        + (", measuring" if measure else "")
        + (" in the native host" if host is Host.native else "")
        + f", {num_threads} thread(s)",
    )
    rows = []
    with ExitStack() as stack:
        path = stack.enter_context(model_file(bench)) if host is Host.native else None
        stack.enter_context(torch_threads(num_threads))
        try:
            for sr in sample_rates:
                for bs in buffer_sizes:
                    report = reported_delay(bench.module, sr, bs)
                    if path is not None:
                        found = measure_delay_native(path, bench.module, sr, bs, report.total, seed)
                        rows.append(LatencyRow(report, found, True))
                    elif measure:
                        found = measure_delay(bench.module, sr, bs, report.total, seed)
                        rows.append(LatencyRow(report, found, True))
                    else:
                        rows.append(LatencyRow(report))
        except SettingError as exc:
            raise refused_setting(exc) from None
    rows = sort_rows(rows)
    if table_wanted(json_file):
        headers = [*HEADERS, "measured"] if measure else HEADERS
        title = f"delay of {bench.name} in host samples (lowest first)"
        print_table(stdout_console(), title, headers, table_cells(rows, measure))
    if json_file is not None:
        data = {
            "command": "latency",
            "model": bench.name,
            "host": host.value,
            "rows": [r.to_dict() for r in rows],
        }
        emit_json(envelope("neutone-bench", data, threads=num_threads), json_file)
    differing = [r for r in rows if r.mismatch]
    for row in differing:
        r = row.report
        heard = (
            "the output stayed silent" if row.measured is None else f"{row.measured} were measured"
        )
        say(
            err,
            f"warning: at {r.sample_rate} Hz / {r.buffer_size} samples the model "
            f"reports {r.total} samples of delay but {heard}",
        )
    if differing:
        raise typer.Exit(code=1)
