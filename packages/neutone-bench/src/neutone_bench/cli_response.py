"""`neutone-bench response`: what a model does to a signal, as tables and an optional plot.

Options and output paths are checked before any measurement; the measurement is
``neutone_bench.response`` (sweep or noise through the model as the plugin runs it, at a few
positions of each knob; impulse response; harmonics of a sine at a few levels).
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from neutone_bench.options import (
    ModelArgument,
    NumThreadsOption,
    check_model_file,
    check_settings,
    input_paths,
    load_model,
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


def register(app: typer.Typer) -> None:
    """Join the `response` command to `app`."""
    app.command("response")(response)


def response(
    model: ModelArgument = None,
    plot_file: Annotated[
        Optional[str],
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Draw the magnitude responses, impulse response and harmonics to FILE.",
        ),
    ] = None,
    sample_rate: Annotated[
        int, typer.Option("--sample-rate", "-r", help="Host sample rate in Hz.")
    ] = 48000,
    buffer_size: Annotated[
        int, typer.Option("--buffer-size", "-b", help="Host buffer size in samples.")
    ] = 512,
    method: Annotated[
        str, typer.Option("--method", help="Test signal: sweep (exponential sine) or noise.")
    ] = "sweep",
    seconds: Annotated[
        float, typer.Option("--seconds", help="Length of each test signal, 0.5 to 60 s.")
    ] = 2.0,
    steps: Annotated[
        int, typer.Option("--steps", help="Positions measured per knob, 0 to 1 (2 to 9).")
    ] = 3,
    num_threads: NumThreadsOption = 1,
    json_file: JsonOption = None,
) -> None:
    """Magnitude response at a few settings of each knob, impulse response, harmonic levels.

    The model runs on one intra-op thread unless --num-threads, as in a plugin.
    """
    check_model_file(model)
    from neutone_bench.response import check_options

    (sample_rate,), (buffer_size,) = check_settings([sample_rate], [buffer_size])
    try:
        check_options(method, seconds, steps)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    inputs = input_paths(model)
    outputs = {
        "--json": check_output_file(json_file, "--json", inputs, allow_stdout=True),
        "--plot": check_output_file(plot_file, "--plot", inputs),
    }
    check_distinct(outputs)
    if outputs["--plot"] is not None:
        from neutone_bench.cli_speed import _check_plot_format

        _check_plot_format(outputs["--plot"])
    bench = load_model(model)

    from neutone_bench.host import torch_threads
    from neutone_bench.render import print_table
    from neutone_bench.response import (
        harmonics_table,
        magnitude_table,
        measure_response,
        plot_response,
    )

    err = stderr_console()
    say(err, f"response: {bench.name}, {num_threads} thread(s)")
    with torch_threads(num_threads):
        result = measure_response(
            bench.module,
            bench.name,
            sample_rate=sample_rate,
            buffer_size=buffer_size,
            method=method,
            seconds=seconds,
            steps=steps,
            progress=lambda line: say(err, f"response: {line}"),
        )
    if table_wanted(json_file):
        out = stdout_console()
        headers, rows = magnitude_table(result)
        print_table(out, f"magnitude response of {bench.name}", headers, rows, text_columns=1)
        headers, rows = harmonics_table(result)
        verdict = "non-linear" if result.harmonics and result.harmonics.nonlinear else "linear"
        frequency = result.harmonics.frequency_hz if result.harmonics else 0.0
        title = f"{frequency:g} Hz sine: harmonics, dBFS ({verdict})"
        print_table(out, title, headers, rows)
    if json_file is not None:
        data = {"command": "response", "model": bench.name, "response": result.to_dict()}
        emit_json(envelope("neutone-bench", data, threads=num_threads), json_file)
    if outputs["--plot"] is not None:
        plot_response(result, outputs["--plot"])
        say(err, f"plot written to {outputs['--plot']}")
