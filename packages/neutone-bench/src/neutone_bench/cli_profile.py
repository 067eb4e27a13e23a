"""`neutone-bench profile`: top operators by time and memory, peak RSS, CPU use at one setting."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from neutone_bench.options import (
    BufferSizesOption,
    ModelArgument,
    NumThreadsOption,
    SampleRatesOption,
    SeedOption,
    WarmupOption,
    check_model_file,
    check_settings,
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


def register(app: typer.Typer) -> None:
    """Join the `profile` command to `app`."""
    app.command("profile")(profile)


def _one(values: Optional[list[int]], default: int, option: str) -> int:
    """The single value of an option the profiler runs at once; several are refused."""
    if not values:
        return default
    if len(values) > 1:
        raise BadInput(
            f"{option}: profile runs at one setting, got {len(values)} values "
            f"({', '.join(map(str, values))}); run it once per setting"
        )
    return values[0]


def profile(
    model: ModelArgument = None,
    sample_rate: SampleRatesOption = None,
    buffer_size: BufferSizesOption = None,
    num_calls: Annotated[
        int, typer.Option("--num-calls", min=1, max=1_000_000, help="Calls recorded.")
    ] = 100,
    warmup: WarmupOption = 20,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Operators per table.")] = 10,
    num_threads: NumThreadsOption = 1,
    seed: SeedOption = 0,
    trace: Annotated[
        Optional[str],
        typer.Option("--trace", metavar="FILE.json", help="Write a Chrome trace to FILE.json."),
    ] = None,
    json_file: JsonOption = None,
) -> None:
    """Top operators by CPU time and by memory allocated (grouped by input shape), then the
    memory the calls add to the process and their CPU use.

    Runs at one host setting (default 48000 Hz, 128 samples), one intra-op thread unless
    --num-threads.
    """
    check_model_file(model)
    (rate,), (size,) = check_settings(
        [_one(sample_rate, 48000, "--sample-rate")], [_one(buffer_size, 128, "--buffer-size")]
    )
    inputs = input_paths(model)
    outputs = {
        "--json": check_output_file(json_file, "--json", inputs, allow_stdout=True),
        "--trace": check_output_file(trace, "--trace", inputs),
    }
    check_distinct(outputs)
    # Kineto reads its log level when torch loads it; its remaining lines are silenced in
    # profile_model.
    os.environ.setdefault("KINETO_LOG_LEVEL", "5")
    bench = load_model(model)

    from neutone_bench.host import SettingError, torch_threads
    from neutone_bench.profile import (
        CPU_HEADERS,
        MEMORY_CAPTION,
        MEMORY_HEADERS,
        PROCESS_HEADERS,
        cpu_cells,
        memory_cells,
        process_caption,
        process_cells,
        profile_model,
    )
    from neutone_bench.render import print_table

    err = stderr_console()
    say(
        err,
        f"profile: {bench.name} at {rate} Hz / {size} samples, {num_calls} calls, "
        f"{num_threads} thread(s)",
    )
    with torch_threads(num_threads):
        try:
            result = profile_model(
                bench.module, rate, size, num_calls, warmup, top, seed, outputs["--trace"]
            )
        except SettingError as exc:
            raise refused_setting(exc) from None
    if table_wanted(json_file):
        out = stdout_console()
        title = f"top operators by self CPU time, over {num_calls} calls"
        print_table(out, title, CPU_HEADERS, cpu_cells(result.top_cpu), text_columns=2)
        if result.top_memory:
            title = f"top operators by memory allocated, over {num_calls} calls"
            cells = memory_cells(result.top_memory)
            print_table(out, title, MEMORY_HEADERS, cells, text_columns=2, caption=MEMORY_CAPTION)
        else:
            say(out, "no operator allocated memory")
        print_table(
            out,
            "process",
            PROCESS_HEADERS,
            process_cells(result.process),
            caption=process_caption(result.process),
        )
    if json_file is not None:
        data = {"command": "profile", "model": bench.name, **result.to_dict()}
        emit_json(envelope("neutone-bench", data, threads=num_threads), json_file)
    if outputs["--trace"] is not None:
        say(err, f"Chrome trace written to {outputs['--trace']}")
